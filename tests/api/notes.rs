//! Internal notes: staff write them on a conversation or one of its cases, see them in
//! the console's timeline (live, with author and time), and the customer never sees
//! them: not in the widget's history, not on WhatsApp, not in the status API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Customer, add_staff, log_in, log_in_as, three_truths_with_callback};
use crate::helpers::{API_TOKEN, TestApp, demo_app};
use crate::live::{Events, console_events};

/// A note's text, easy to look for.
const NOTE: &str = "Stammkundin, bitte vor 12 Uhr zurückrufen. Vermerk-7Q4";
const MARK: &str = "Vermerk-7Q4";

async fn add_colleague(app: &TestApp) -> crate::console::Staff {
    verity::console::accounts::create_named_staff(
        &app.store,
        "jonas.brandt@verity.example",
        "auch-lang-genug-2025",
        verity::console::accounts::Role::Agent,
        Some("Jonas Brandt"),
        0,
    )
    .await
    .unwrap();
    log_in_as(app, "jonas.brandt@verity.example", "auch-lang-genug-2025").await
}

async fn status_api(app: &TestApp, order: &str) -> String {
    app.client
        .get(app.url(&format!("/api/v1/orders/{order}")))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_internal_note_is_shown_to_staff_live_and_never_to_the_web_customer() {
    let app = demo_app().await;
    add_staff(&app).await;
    let ida = log_in(&app).await;
    let jonas = add_colleague(&app).await;
    let c: Customer = three_truths_with_callback(&app).await;
    let conv = format!("/console/conversations/{}", c.id);
    let case_id = {
        let mut conn = app.store.read().await.unwrap();
        verity::store::console::list_cases_for_conversation(&mut conn, &c.id)
            .await
            .unwrap()[0]
            .id
            .clone()
    };
    // Ida has the conversation open; Jonas writes a note about its callback case.
    let mut ida_sees = console_events(&app, &ida, &c.id).await;
    assert_eq!(ida_sees.next("pulse").await["notes"], 0);
    let r = jonas
        .post(
            &app,
            &format!("{conv}/notes"),
            &[("note", NOTE), ("case_id", &case_id)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("ok=noted")
    );
    // Ida's page hears of it (each event waits at most 5 s).
    loop {
        let pulse: Value = ida_sees.next("pulse").await;
        if pulse["notes"] == 1 {
            break;
        }
    }

    // In the console's timeline: set apart, with its author, its time and its case.
    let (status, page) = ida.get(&app, &conv).await;
    assert_eq!(status, 200);
    let at = page.find(MARK).expect("the note is in the timeline");
    let entry = &page[page[..at].rfind("<li").unwrap()..at];
    assert!(entry.contains("msg note"), "{entry}");
    assert!(entry.contains("Internal note · Jonas Brandt"), "{entry}");
    assert!(entry.contains("<time>"), "{entry}");
    assert!(entry.contains("About: callback"), "{entry}");

    // The customer: not in their history, not in what the bot answers next, not in
    // the status API.
    let reply = c
        .say(&app, json!({"text": "Wann ruft mich jemand an?"}))
        .await;
    assert!(!reply.to_string().contains(MARK), "{reply}");
    let history = c.transcript(&app).await.to_string();
    assert!(!history.contains(MARK) && !history.contains("Stammkundin"));
    let status = status_api(&app, "A-100234").await;
    assert!(status.contains("A-100234"), "{status}");
    assert!(!status.contains(MARK), "{status}");
    // The widget's stream knows nothing of notes.
    let mut widget = Events::of(
        app.client
            .get(app.url(&format!("/api/v1/chat/sessions/{}/events", c.id)))
            .bearer_auth(&c.token)
            .send()
            .await
            .unwrap(),
    );
    let state = widget.next("state").await;
    assert!(state.get("notes").is_none(), "{state}");
}

#[tokio::test]
async fn a_note_must_say_something_and_name_a_case_of_its_own_conversation() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let with_case = three_truths_with_callback(&app).await;
    let other = Customer::open(&app).await;
    let case_id = {
        let mut conn = app.store.read().await.unwrap();
        verity::store::console::list_cases_for_conversation(&mut conn, &with_case.id)
            .await
            .unwrap()[0]
            .id
            .clone()
    };
    let path = format!("/console/conversations/{}/notes", other.id);
    let r = staff.post(&app, &path, &[("note", "  ")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = staff
        .post(&app, &path, &[("note", NOTE), ("case_id", &case_id)])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = staff
        .post(
            &app,
            "/console/conversations/conv_nope/notes",
            &[("note", NOTE)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let mut conn = app.store.read().await.unwrap();
    let notes = verity::store::notes::list_notes_for_conversation(&mut conn, &other.id)
        .await
        .unwrap();
    assert!(notes.is_empty());
}

#[tokio::test]
async fn a_note_on_a_whatsapp_conversation_is_never_sent() {
    use crate::webhooks::{
        STRANGER, conversation_of, meta_app_with, post_wa, settle, shown, to_wa, wa_delivery,
        wa_text,
    };
    let m = meta_app_with(|_| {}).await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.n1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    add_staff(&m.app).await;
    let staff = log_in(&m.app).await;
    let base = format!("/console/conversations/{}", conv.id);
    // Before and during a takeover.
    let r = staff
        .post(&m.app, &format!("{base}/notes"), &[("note", NOTE)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = staff.post(&m.app, &format!("{base}/take-over"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = staff
        .post(&m.app, &format!("{base}/notes"), &[("note", NOTE)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.n2", "Ist da jemand?")]),
    )
    .await;
    settle(&m.app).await;
    let sent: Vec<String> = to_wa(&m.graph, STRANGER).iter().map(shown).collect();
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|t| !t.contains(MARK)), "{sent:?}");
    let mut conn = m.app.store.read().await.unwrap();
    let outbox = verity::store::channels::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert!(outbox.iter().all(|o| !o.payload.contains(MARK)));
    let notes = verity::store::notes::list_notes_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert_eq!(notes.len(), 2);
}
