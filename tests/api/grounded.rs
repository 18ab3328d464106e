//! Every reply of the offline engine passes the grounding check: many generated
//! conversations over the demo data, in German and English, about every kind of order.

use chrono::Utc;

use crate::helpers::demo_app;
use verity::assistant::service::{Inbound, TurnOutcome};
use verity::demo::{DEFAULT_ANCHOR, generate};
use verity::domain::{Item, Locale};

#[tokio::test]
async fn offline_replies_pass_the_grounding_check_in_many_generated_conversations() {
    let app = demo_app().await;
    let data = generate(DEFAULT_ANCHOR);
    // Every order named in a contradiction case, plus a spread of ordinary ones.
    let mut orders: Vec<(String, String)> = Vec::new();
    for item in &data.items {
        if let Item::Order(o) = item {
            let listed = data
                .contradiction_cases
                .iter()
                .any(|c| c.order_number == o.number.as_str());
            if listed || orders.len() < 40 || o.number.as_str().ends_with('7') {
                orders.push((o.number.to_string(), o.shipping_address.postcode.clone()));
            }
        }
    }
    let scripts: [(&str, &[&str]); 2] = [
        (
            "de",
            &[
                "Hallo!",
                "{order} {postcode}",
                "Wo ist mein Paket?",
                "Das Paket ist nicht angekommen.",
                "Ich hätte gern einen Rückruf",
                "ja",
                "Danke!",
            ],
        ),
        (
            "en",
            &[
                "Hi, where is my parcel?",
                "{order}, postcode {postcode}",
                "It never arrived.",
                "I'd like a replacement",
                "Can someone call me?",
                "no thanks",
                "bye",
            ],
        ),
    ];
    let assistant = verity::assistant::service::Assistant::new(
        app.store.clone(),
        verity::truth::Policy::default(),
        verity::clock::Clock::Fixed(
            verity::demo::story_time(DEFAULT_ANCHOR).with_timezone(&Utc)
                + chrono::Duration::milliseconds(17_250),
        ),
    );
    let mut turns = 0;
    let mut failures = Vec::new();
    for (i, (order, postcode)) in orders.iter().enumerate() {
        let (lang, script) = scripts[i % 2];
        let conv = assistant
            .open("web", None, None, Locale::parse(lang).unwrap())
            .await
            .unwrap();
        for line in script {
            let text = line
                .replace("{order}", order)
                .replace("{postcode}", postcode);
            let outcome = assistant
                .turn(&conv.id, Inbound::Text(text.clone()), None)
                .await
                .unwrap();
            let TurnOutcome::Replied(reply) = outcome else {
                panic!("no reply")
            };
            turns += 1;
            if !reply.grounded
                || reply.text.contains("nicht verstanden") && text.contains(order.as_str())
            {
                failures.push(format!("{order} {text:?} → {:?}", reply.text));
            }
        }
        let mut conn = app.store.read().await.unwrap();
        for m in verity::store::conversations::list_messages(&mut conn, &conv.id, 0)
            .await
            .unwrap()
        {
            if let Some(g) = m.grounding.as_deref() {
                let v: serde_json::Value = serde_json::from_str(g).unwrap();
                if v.get("replaced").is_some() {
                    failures.push(format!(
                        "{order}: replaced by the template: {}",
                        v["replaced"]
                    ));
                }
            }
        }
    }
    assert!(turns >= 500, "{turns} turns");
    assert!(
        failures.is_empty(),
        "{} of {turns} turns failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
