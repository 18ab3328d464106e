//! The web chat API end to end, with the offline engine over the demo data.

use serde_json::{Value, json};

use crate::helpers::{TestApp, demo_app, spawn_app_with};
use verity::store::cases;

pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) token: String,
}

/// `POST /api/v1/chat/sessions` with `body`, as it answers.
pub(crate) async fn open_with(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/chat/sessions"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn open(app: &TestApp, language: &str) -> (Session, Value) {
    let r = open_with(app, json!({"language": language})).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        Session {
            id: body["session_id"].as_str().unwrap().to_string(),
            token: body["token"].as_str().unwrap().to_string(),
        },
        body,
    )
}

pub(crate) async fn send(app: &TestApp, s: &Session, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn say(app: &TestApp, s: &Session, text: &str) -> Value {
    let (status, body) = send(app, s, json!({"text": text})).await;
    assert_eq!(status, 200, "{body}");
    body["reply"].clone()
}

pub(crate) async fn press(app: &TestApp, s: &Session, action: &str) -> Value {
    let (status, body) = send(app, s, json!({"action": action})).await;
    assert_eq!(status, 200, "{body}");
    body["reply"].clone()
}

fn action_ids(reply: &Value) -> Vec<String> {
    reply["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn open_cases(app: &TestApp) -> Vec<cases::CaseRow> {
    let mut conn = app.store.read().await.unwrap();
    let owner = verity::store::records::order_customer(
        &mut conn,
        &verity::domain::OrderNumber::parse("A-100234").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    cases::list_cases_for_customer(&mut conn, owner.as_str())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_three_truths_story_runs_end_to_end_and_creates_one_callback() {
    let app = demo_app().await;
    let (s, opened) = open(&app, "de").await;
    let greeting = opened["messages"][0]["text"].as_str().unwrap();
    assert!(greeting.contains("automatische Assistent"), "{greeting}");

    let r = say(
        &app,
        &s,
        "Hallo, laut Portal ist mein Paket zugestellt, es ist aber nicht da.",
    )
    .await;
    assert_eq!(r["verified"], false);
    assert!(r["text"].as_str().unwrap().contains("Bestellnummer"), "{r}");
    assert!(
        !r["text"].as_str().unwrap().contains("06:48"),
        "nothing before verification"
    );

    let r = say(&app, &s, "A-100234, 33100").await;
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["language"], "de");
    let text = r["text"].as_str().unwrap();
    assert!(text.contains("06:48"), "{text}");
    assert!(text.contains("nicht angetroffen"), "{text}");
    assert!(!text.contains("🎉"));
    let codes: Vec<&str> = r["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"delivered_but_driver_reports_failure"),
        "{codes:?}"
    );
    assert!(action_ids(&r).contains(&"callback".to_string()), "{r}");
    let tools: Vec<&str> = r["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tools.contains(&"track_shipment"), "{tools:?}");
    assert!(!tools.contains(&"confirm_remedy"));
    assert_eq!(r["grounded"], true);

    let r = press(&app, &s, "callback").await;
    assert!(r["text"].as_str().unwrap().contains("Rückruf"), "{r}");
    assert_eq!(action_ids(&r), ["confirm", "decline"]);
    assert!(
        open_cases(&app).await.is_empty(),
        "nothing before the customer confirms"
    );

    let r = say(&app, &s, "ja, bitte").await;
    assert!(
        r["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("confirm_remedy")),
        "{r}"
    );
    assert!(r["text"].as_str().unwrap().contains("Rückruf"), "{r}");
    let again = press(&app, &s, "confirm").await;
    assert!(
        !again["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("confirm_remedy"))
            || again["text"].as_str().unwrap().contains("bereits")
    );

    let created = open_cases(&app).await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0].kind, "callback");
    assert_eq!(created[0].status, "open");

    // The transcript keeps everything in order, without tool internals.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let msgs = t["messages"].as_array().unwrap();
    assert!(msgs.len() >= 9, "{}", msgs.len());
    assert!(!t.to_string().contains("tool_calls"));
}

#[tokio::test]
async fn an_english_customer_gets_a_plain_consistent_answer() {
    let app = demo_app().await;
    let (s, _) = open(&app, "en").await;
    let r = say(
        &app,
        &s,
        "Hi, has my order A-100261 arrived? My postcode is 50667.",
    )
    .await;
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["language"], "en");
    assert_eq!(r["contradictions"], json!([]));
    let text = r["text"].as_str().unwrap();
    assert!(text.to_lowercase().contains("delivered"), "{text}");
}

#[tokio::test]
async fn another_customers_order_reveals_nothing() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    say(&app, &s, "A-100234 33100").await;
    let r = say(&app, &s, "Und wo ist Bestellung A-100250?").await;
    let text = r["text"].as_str().unwrap();
    assert!(
        !text.contains("Bielefeld")
            && !text.contains("33602")
            && !text.contains("00340434169999999999"),
        "{text}"
    );
    assert!(r["contradictions"] == json!([]), "{r}");
}

#[tokio::test]
async fn wrong_answers_are_neutral_and_lock_after_five() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    let wrong = say(&app, &s, "A-100234 12345").await;
    let unknown = say(&app, &s, "A-999999 33100").await;
    assert_eq!(
        wrong["text"], unknown["text"],
        "no hint whether the order exists"
    );
    for _ in 0..3 {
        say(&app, &s, "A-100234 12345").await;
    }
    let r = say(&app, &s, "A-100234 33100").await;
    assert_eq!(
        r["verified"], false,
        "locked even for the right answer: {r}"
    );
    assert!(r["text"].as_str().unwrap().contains("Minuten"), "{r}");
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let app = spawn_app_with(|c| c.channels.message_max_chars = 50).await;
    let (s, _) = open(&app, "de").await;
    let (status, _) = send(&app, &s, json!({"text": "   "})).await;
    assert_eq!(status, 400);
    let (status, body) = send(&app, &s, json!({"text": "x".repeat(51)})).await;
    assert_eq!(status, 413, "{body}");
    let (status, _) = send(&app, &s, json!({"text": "a", "action": "callback"})).await;
    assert_eq!(status, 400);
    let (status, _) = send(&app, &s, json!({"mood": "happy"})).await;
    assert_eq!(status, 400);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .body(vec![
            b'{', b'"', b't', b'e', b'x', b't', b'"', b':', b'"', 0xff, b'"', b'}',
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "invalid UTF-8");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .json(&json!({"text": "hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no token");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth("not-the-token")
        .json(&json!({"text": "hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "wrong token");
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions/conv_nope/messages"))
        .bearer_auth(&s.token)
        .json(&json!({"text": "hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_session_that_sends_too_fast_is_told_to_wait() {
    let app = spawn_app_with(|c| c.chat_rate_per_session = 3).await;
    let (s, _) = open(&app, "de").await;
    for _ in 0..3 {
        let (status, _) = send(&app, &s, json!({"text": "Hallo"})).await;
        assert_eq!(status, 200);
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .json(&json!({"text": "Hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_reply_can_be_streamed_as_server_sent_events() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .header("accept", "text/event-stream")
        .json(&json!({"text": "Wie lange dauert die Lieferung?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("event: delta"), "{body}");
    let last = body.split("event: message\ndata: ").nth(1).unwrap();
    let reply: Value = serde_json::from_str(last.lines().next().unwrap()).unwrap();
    assert!(
        reply["text"].as_str().unwrap().contains("Werktag"),
        "{reply}"
    );
}

#[tokio::test]
async fn when_staff_take_over_the_bot_says_so_once_and_then_stays_silent() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    say(&app, &s, "A-100234 33100").await;
    let mut tx = app.store.begin().await.unwrap();
    let mut conv = verity::store::conversations::get_conversation(tx.conn(), &s.id)
        .await
        .unwrap()
        .unwrap();
    conv.taken_over_by = Some("staff_1".to_string());
    verity::store::conversations::update_conversation(tx.conn(), &conv)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = say(&app, &s, "Hallo? Ist da jemand?").await;
    assert_eq!(r["taken_over"], true, "{r}");
    assert!(r["text"].as_str().unwrap().contains("Mitarbeiter"), "{r}");
    let (status, body) = send(&app, &s, json!({"text": "Noch da?"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["reply"], Value::Null, "silent while staff answer");
    // Both customer messages are stored all the same.
    let mut conn = app.store.read().await.unwrap();
    let msgs = verity::store::conversations::list_messages(&mut conn, &s.id, 0)
        .await
        .unwrap();
    assert!(msgs.iter().any(|m| m.text == "Noch da?"));
}

#[tokio::test]
async fn a_customer_with_one_order_is_told_there_is_no_other() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    say(&app, &s, "A-100234 33100").await;
    let r = say(&app, &s, "und die andere Bestellung?").await;
    assert!(
        r["text"]
            .as_str()
            .unwrap()
            .contains("keine weitere Bestellung"),
        "{r}"
    );
}

#[tokio::test]
async fn a_follow_up_about_the_other_order_answers_about_it() {
    let app = demo_app().await;
    // Deterministic: the first customer (by id) with two orders, both to German postcodes.
    let data = verity::demo::generate(verity::demo::DEFAULT_ANCHOR);
    let mut by_customer: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    for item in &data.items {
        if let verity::domain::Item::Order(o) = item
            && o.shipping_address.country == "DE"
        {
            by_customer
                .entry(o.customer_id.to_string())
                .or_default()
                .push((o.number.to_string(), o.shipping_address.postcode.clone()));
        }
    }
    let orders = by_customer
        .values()
        .find(|v| v.len() == 2)
        .expect("a customer with two orders");
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, &format!("{} {}", orders[0].0, orders[0].1)).await;
    assert_eq!(r["verified"], true, "{r}");
    let r = say(&app, &s, "und die andere Bestellung?").await;
    let tools: Vec<&str> = r["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tools.contains(&"track_shipment"), "{r}");
    let mut conn = app.store.read().await.unwrap();
    let msgs = verity::store::conversations::list_messages(&mut conn, &s.id, 0)
        .await
        .unwrap();
    let last = msgs.last().unwrap().tool_calls.clone().unwrap();
    assert!(
        last.contains(&orders[1].0),
        "the other order was looked up: {last}"
    );
}
