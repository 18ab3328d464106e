//! Contacts (the people an order affects besides its customer): ingested with the
//! order, verified with their own email, scoped to that order only, told its notices.

use serde_json::{Value, json};

use crate::chat::{open, say};
use crate::helpers::{TestApp, ndjson};
use crate::notices::{DAYTIME, app_with_mail, header, order_link, outbox};

/// A company customer with two orders to two places; the first names a recipient
/// (English) and a stakeholder, the second another recipient.
fn records() -> Vec<Value> {
    let order = |number: &str, street: &str, postcode: &str, city: &str, contacts: Value| {
        json!({"type":"order","number":number,"customer_id":"C-K1","placed_at":"2026-06-08T09:00:00+02:00",
               "currency":"EUR","total":"120.00",
               "shipping_address":{"name":"Weber Bau GmbH","street":street,"postcode":postcode,"city":city,"country":"DE"},
               "lines":[{"sku":"HELM-1","name":"Schutzhelm","qty":4,"unit_price":"30.00"}],
               "contacts":contacts})
    };
    vec![
        json!({"type":"customer","id":"C-K1","name":"Weber Bau GmbH","email":"einkauf@weber-bau.example","locale":"de"}),
        order(
            "K-2001",
            "Baustellenweg 2",
            "33100",
            "Paderborn",
            json!([
            {"name":"Lea Brandt","email":"Lea.Brandt@example.org","role":"recipient","locale":"en"},
            {"name":"Olaf Kern","email":"olaf.kern@example.org","phone":"+4915122223333","role":"stakeholder"}]),
        ),
        order(
            "K-2002",
            "Hafenstraße 9",
            "33602",
            "Bielefeld",
            json!([
            {"name":"Mia Sommer","email":"mia.sommer@example.org","role":"recipient","locale":"de"}]),
        ),
        json!({"type":"shipment","tracking_number":"00340000000000002001","carrier":"dhl","order_number":"K-2001","kind":"original","skus":["HELM-1"]}),
        json!({"type":"shipment","tracking_number":"00340000000000002002","carrier":"dhl","order_number":"K-2002","kind":"original","skus":["HELM-1"]}),
        json!({"type":"tracking_scan","id":"k-scan-2","tracking_number":"00340000000000002002",
               "occurred_at":"2026-06-09T10:00:00+02:00","status":"in_transit","location":"Bielefeld"}),
    ]
}

/// The carrier says delivered at 06:48; the driver says nobody was there at 06:51.
fn three_truths() -> Vec<Value> {
    vec![
        json!({"type":"tracking_scan","id":"k-scan-1","tracking_number":"00340000000000002001",
               "occurred_at":"2026-06-10T06:48:00+02:00","status":"delivered","location":"Paderborn","postcode":"33100"}),
        json!({"type":"driver_report","id":"k-drv-1","tracking_number":"00340000000000002001",
               "occurred_at":"2026-06-10T06:51:00+02:00","outcome":"recipient_absent",
               "next_attempt_on":"2026-06-11","note":"Niemand angetroffen"}),
    ]
}

fn text(r: &Value) -> &str {
    r["text"].as_str().unwrap()
}

/// Nothing of order K-2002 shows: not its place, not its parcel.
fn shows_nothing_of_k2002(r: &Value) {
    let t = text(r);
    for secret in ["Bielefeld", "33602", "Hafenstraße", "00340000000000002002"] {
        assert!(!t.contains(secret), "{secret} shown: {t}");
    }
}

async fn app() -> TestApp {
    let (app, _smtp) = app_with_mail(DAYTIME).await;
    app.ingest_ok(ndjson(&records())).await;
    app
}

#[tokio::test]
async fn a_contact_verifies_with_their_email_and_sees_only_that_order() {
    let app = app().await;
    let (s, _) = open(&app, "en").await;
    let r = say(&app, &s, "K-2001, lea.brandt@example.org").await;
    assert_eq!(r["verified"], true, "{r}");
    assert!(text(&r).contains("Lea Brandt"), "greets the contact: {r}");
    assert!(!text(&r).contains("Weber Bau GmbH, "), "{r}");
    const ASKS: [&str; 4] = [
        "and the other orders?",
        "where is K-2002?",
        "where is parcel 00340000000000002002?",
        "K-2002 33100",
    ];
    for ask in ASKS {
        let r = say(&app, &s, ask).await;
        shows_nothing_of_k2002(&r);
    }
    // The customer (the order's postcode) is told: the same questions do reveal.
    for ask in &ASKS[..3] {
        let (c, _) = open(&app, "en").await;
        say(&app, &c, "K-2001, 33100").await;
        let r = say(&app, &c, ask).await;
        assert!(text(&r).contains("Bielefeld"), "{ask}: {r}");
    }
    // The verified person of the conversation is the contact, never the customer.
    let mut conn = app.store.read().await.unwrap();
    let conv = verity::store::conversations::get_conversation(&mut conn, &s.id)
        .await
        .unwrap()
        .unwrap();
    assert!(conv.customer_id.unwrap().starts_with("contact~"));
    drop(conn);
    // Staff see the order's contacts in the conversation.
    crate::console::add_staff(&app).await;
    let staff = crate::console::log_in(&app).await;
    let (status, html) = staff
        .get(&app, &format!("/console/conversations/{}", s.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Lea Brandt") && html.contains("olaf.kern@example.org"),
        "{html}"
    );
}

#[tokio::test]
async fn a_contact_of_one_order_cannot_see_another_order_of_the_same_customer() {
    let app = app().await;
    // Mia is a contact of K-2002, not of K-2001: her email opens nothing there.
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, "K-2001 mia.sommer@example.org").await;
    assert_eq!(r["verified"], false, "{r}");
    assert!(!text(&r).contains("Paderborn"), "{r}");
    // Verified for K-2002, she still sees nothing of K-2001.
    let r = say(&app, &s, "K-2002 mia.sommer@example.org").await;
    assert_eq!(r["verified"], true, "{r}");
    for ask in [
        "Wo ist K-2001?",
        "Wo ist die Sendung 00340000000000002001?",
        "und die anderen Bestellungen?",
    ] {
        let r = say(&app, &s, ask).await;
        let t = text(&r);
        for secret in ["Paderborn", "Baustellenweg", "00340000000000002001"] {
            assert!(!t.contains(secret), "{ask}: {secret} shown: {t}");
        }
    }
}

#[tokio::test]
async fn failed_contact_verifications_lock_like_a_customers() {
    let app = app().await;
    for n in 0..5 {
        let (s, _) = open(&app, "de").await;
        let r = say(&app, &s, &format!("K-2001 falsch{n}@example.org")).await;
        assert_eq!(r["verified"], false, "{r}");
    }
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, "K-2001 lea.brandt@example.org").await;
    assert_eq!(r["verified"], false, "{r}");
    assert!(text(&r).contains("30 Minuten"), "{r}");
}

async fn contacts_of(app: &TestApp, order: &str) -> Vec<verity::store::contacts::ContactRow> {
    let mut conn = app.store.read().await.unwrap();
    verity::store::contacts::list_contacts(&mut conn, order)
        .await
        .unwrap()
}

#[tokio::test]
async fn contacts_are_upserted_with_their_order_and_refused_with_the_field() {
    let app = app().await;
    app.ingest_ok(ndjson(&records())).await;
    let stored = contacts_of(&app, "K-2001").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(stored[0].email.as_deref(), Some("lea.brandt@example.org"));
    let lea = stored[0].person_id.clone();
    // Olaf dropped, Lea renamed: upserted by her email, the same person.
    let mut order = records()[1].clone();
    order["contacts"] =
        json!([{"name":"Lea Brandt-Öz","email":"lea.brandt@example.org","role":"orderer"}]);
    app.ingest_ok(ndjson(&[order.clone()])).await;
    let stored = contacts_of(&app, "K-2001").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (stored[0].name.as_str(), &stored[0].person_id),
        ("Lea Brandt-Öz", &lea)
    );
    // An order record without `contacts` keeps them.
    order.as_object_mut().unwrap().remove("contacts");
    app.ingest_ok(ndjson(&[order.clone()])).await;
    assert_eq!(contacts_of(&app, "K-2001").await.len(), 1);
    // A bad contact refuses its order line, naming the field.
    order["contacts"] = json!([{"name":"X","email":"not-an-email","role":"recipient"}]);
    let r = app.ingest_ok(ndjson(&[order])).await;
    assert_eq!(r["rejected"], 1, "{r}");
    let e = r["items"][0]["error"].as_str().unwrap();
    assert!(
        e.starts_with("contacts[0].email: not an email address"),
        "{e}"
    );
}

#[tokio::test]
async fn a_contradiction_notice_reaches_each_affected_contact_exactly_once() {
    let (app, smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    let mails = smtp.wait_for(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut to: Vec<String> = smtp.mails().iter().map(|m| m.to.join(",")).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "<einkauf@weber-bau.example>",
            "<lea.brandt@example.org>",
            "<olaf.kern@example.org>"
        ],
        "{:?}",
        outbox(&app).await
    );
    // Each in their language; K-2002's recipient hears nothing of K-2001.
    let lea = mails.iter().find(|m| m.to[0].contains("lea")).unwrap();
    let olaf = mails.iter().find(|m| m.to[0].contains("olaf")).unwrap();
    assert!(lea.data.contains("Hello Lea Brandt"), "{}", lea.data);
    assert!(olaf.data.contains("Guten Tag Olaf Kern"), "{}", olaf.data);
    // Re-ingesting the same story tells nobody again.
    app.ingest_ok(ndjson(&items)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.mails().len(), 3, "{:?}", outbox(&app).await);
    // Lea's order page opens (her order, in English); her unsubscribe link names her.
    let link = order_link(&lea.data);
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{link}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("K-2001") && html.contains("lang=\"en\""),
        "{html}"
    );
    let unsub = header(&lea.data, "List-Unsubscribe").unwrap();
    let url = unsub.trim_start_matches('<').trim_end_matches('>');
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_chat_on_a_contacts_order_page_opens_verified_for_that_order_only() {
    let (app, smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    let mails = smtp.wait_for(3).await;
    let lea = mails.iter().find(|m| m.to[0].contains("lea")).unwrap();
    let link = order_link(&lea.data);
    let token = link.rsplit('/').next().unwrap().to_string();

    // The page carries the widget, opened with its own link; never cached, no referrer.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/static/widget.js"), "{html}");
    assert!(
        html.contains(&format!("data-order-link=\"{token}\"")),
        "{html}"
    );

    // The session opened with the link: Lea's language, the notice as its first word.
    let r = crate::chat::open_with(&app, json!({"language": "de", "order_link": token})).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["language"], "en", "{body}");
    let first = &body["messages"][0];
    assert!(
        text(first).contains("06:48") && text(first).contains("K-2001"),
        "{first}"
    );
    assert!(!first["actions"].as_array().unwrap().is_empty(), "{first}");
    let s = crate::chat::Session {
        id: body["session_id"].as_str().unwrap().to_string(),
        token: body["token"].as_str().unwrap().to_string(),
    };
    // Verified for K-2001 without being asked: a question about it is answered.
    let r = say(&app, &s, "when does the driver come again?").await;
    let t = text(&r);
    assert!(!t.contains("postcode"), "asked to verify: {t}");
    assert!(t.contains("11") || t.contains("Thursday"), "{t}");
    // And nothing of the customer's other order.
    for ask in ["where is K-2002?", "and the other orders?"] {
        let r = say(&app, &s, ask).await;
        shows_nothing_of_k2002(&r);
    }
    let mut conn = app.store.read().await.unwrap();
    let conv = verity::store::conversations::get_conversation(&mut conn, &s.id)
        .await
        .unwrap()
        .unwrap();
    assert!(conv.customer_id.unwrap().starts_with("contact~"));
    drop(conn);

    // A tampered link opens no chat, and says so with 403 (not 401: that is a lost
    // session, which the widget would open anew).
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    for bad in [tampered.as_str(), "nothing-of-ours"] {
        let r = crate::chat::open_with(&app, json!({ "order_link": bad })).await;
        assert_eq!(r.status(), 403, "{bad}");
        let e: Value = r.json().await.unwrap();
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not valid")
        );
    }
}
