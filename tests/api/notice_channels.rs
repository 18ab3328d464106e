//! Notices by chat: "STOP" and "START" on every channel (the same flag as the email's
//! unsubscribe link), and the channel a notice takes outside the 24-hour window (the
//! approved WhatsApp template, else email), against the fake Graph API and the SMTP
//! server on loopback.

use serde_json::{Value, json};
use sqlx::Row;

use crate::chat::{open, say};
use crate::helpers::{TestApp, demo_app_with, demo_now, ndjson};
use crate::smtp::SmtpServer;
use crate::webhooks::{
    channel_config, conversation_of, ms_delivery, ms_event, post_ms, post_wa, settle, wa_delivery,
    wa_text,
};
use verity::http::fake_graph::FakeGraph;
use verity::truth::notices::WhatsAppTemplate;

/// The customer's WhatsApp id (their phone on file without the plus).
const WA_ID: &str = "4917000000077";
const PSID: &str = "7000000000077";

/// The demo app (demo clock, 09:30 Berlin) with email, WhatsApp and Messenger.
async fn app(template: Option<WhatsAppTemplate>) -> (TestApp, SmtpServer, FakeGraph) {
    let smtp = SmtpServer::start().await;
    let graph = FakeGraph::start().await.unwrap();
    let mut channels = channel_config(&graph);
    channels.smtp_url = Some(verity::config::Secret::new(smtp.url()));
    channels.mail_from = Some("Kundenservice <service@shop.example>".into());
    channels.whatsapp_notice_template = template;
    let app = demo_app_with(move |c| {
        c.link_secret = Some(verity::config::Secret::new("test-link-secret"));
        c.channels = channels;
    })
    .await;
    (app, smtp, graph)
}

fn days_ago(d: i64) -> String {
    (demo_now() - chrono::Duration::days(d)).to_rfc3339()
}

/// A customer with an email and a phone, an order and its shipment, consistent.
fn records() -> Vec<Value> {
    vec![
        json!({"type":"customer","id":"C-Q1","name":"Tessa Hartley","email":"tessa.q@example.org",
               "phone":"+4917000000077","locale":"en","salutation":"ms"}),
        json!({"type":"order","number":"Q-1001","customer_id":"C-Q1","placed_at":days_ago(3),
               "currency":"EUR","total":"49.90",
               "shipping_address":{"name":"Tessa Hartley","street":"Lindenweg 3","postcode":"33100","city":"Paderborn","country":"DE"},
               "lines":[{"sku":"MUG-1","name":"Mug","qty":1,"unit_price":"49.90"}]}),
        json!({"type":"shipment","tracking_number":"00340000000000000077","carrier":"dhl","order_number":"Q-1001",
               "kind":"original","skus":["MUG-1"]}),
    ]
}

/// Delivered by scan, nobody home by the driver: a contradiction.
fn three_truths() -> Vec<Value> {
    vec![
        json!({"type":"tracking_scan","id":"q-scan-1","tracking_number":"00340000000000000077",
               "occurred_at":days_ago(1),"status":"delivered","location":"Paderborn","postcode":"33100"}),
        json!({"type":"driver_report","id":"q-drv-1","tracking_number":"00340000000000000077",
               "occurred_at":(demo_now() - chrono::Duration::hours(23)).to_rfc3339(),"outcome":"recipient_absent"}),
    ]
}

/// The shop refunds the order although the carrier says it was delivered.
fn refund() -> Vec<Value> {
    vec![
        json!({"type":"order_event","id":"q-oms-1","order_number":"Q-1001",
                "occurred_at":(demo_now() - chrono::Duration::hours(2)).to_rfc3339(),"event":"refund_issued",
                "details":{"amount":"49.90"}}),
    ]
}

async fn opted_out(app: &TestApp, key: &str) -> bool {
    let mut conn = app.store.read().await.unwrap();
    verity::store::notices::opted_out(&mut conn, key)
        .await
        .unwrap()
}

/// (channel, status, reason) of the customer's notices, oldest first.
async fn notices(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let mut conn = app.store.read().await.unwrap();
    let mut rows: Vec<_> = verity::store::notices::list_for_person(&mut conn, "C-Q1")
        .await
        .unwrap();
    rows.reverse();
    rows.into_iter()
        .map(|n| (n.channel, n.status, n.reason))
        .collect()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query("SELECT action FROM audit_log WHERE action LIKE 'notices.%' ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The Messenger sender writes `text`.
async fn ms_say(app: &TestApp, mid: &str, text: &str) {
    let event = ms_event(PSID, "message", json!({"mid": mid, "text": text}));
    post_ms(app, &ms_delivery(vec![event])).await;
}

/// Sets the customer's WhatsApp or Messenger conversation's last message `hours` ago.
async fn last_wrote(app: &TestApp, channel: &str, sender: &str, hours: i64) {
    let conv = conversation_of(app, channel, sender).await;
    let at = demo_now().timestamp_millis() - hours * 3600 * 1000;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query("UPDATE conversations SET last_inbound_ms = $1 WHERE id = $2")
        .bind(at)
        .bind(&conv.id)
        .execute(&mut *conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn stop_in_the_web_chat_opts_the_verified_customer_out_and_start_opts_in_again() {
    let (app, smtp, _graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    let (s, _) = open(&app, "en").await;
    say(&app, &s, "Q-1001, 33100").await;
    // A parcel that stopped moving is no opt-out.
    let r = say(&app, &s, "The parcel stopped moving").await;
    assert!(!r["text"].as_str().unwrap().contains("START"), "{r}");
    assert!(!opted_out(&app, "C-Q1").await);

    let r = say(&app, &s, "Stop sending me messages").await;
    let text = r["text"].as_str().unwrap();
    assert!(
        text.contains("no more notifications") && text.contains("START"),
        "{text}"
    );
    assert_eq!(r["language"], "en");
    assert!(opted_out(&app, "C-Q1").await);
    // The same flag the unsubscribe link sets: the notice is suppressed, no email.
    app.ingest_ok(ndjson(&three_truths())).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(smtp.mails().is_empty());
    assert_eq!(
        notices(&app).await,
        [(
            "email".to_string(),
            "suppressed".to_string(),
            Some("opted_out".to_string())
        )]
    );

    let r = say(&app, &s, "start notices again").await;
    assert!(r["text"].as_str().unwrap().contains("STOP"), "{r}");
    assert!(!opted_out(&app, "C-Q1").await);
    app.ingest_ok(ndjson(&refund())).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["<tessa.q@example.org>".to_string()]);
    assert_eq!(
        audit_actions(&app).await,
        ["notices.opt_out", "notices.opt_in"]
    );
}

#[tokio::test]
async fn an_unverified_web_chat_is_asked_to_verify_before_stop_and_nothing_is_recorded() {
    let (app, _smtp, _graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, "Bitte keine Nachrichten mehr").await;
    assert!(r["text"].as_str().unwrap().contains("Bestellnummer"), "{r}");
    assert!(audit_actions(&app).await.is_empty());
    // "Stoppen Sie die Sendung" asks to stop a shipment: no notices answer.
    let r = say(&app, &s, "Stoppen Sie die Sendung!").await;
    assert!(!r["text"].as_str().unwrap().contains("STOP"), "{r}");
}

#[tokio::test]
async fn stop_on_whatsapp_from_the_customers_phone_suppresses_their_notices() {
    let (app, smtp, graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    post_wa(&app, &wa_delivery(vec![wa_text(WA_ID, "wamid.q1", "STOP")])).await;
    settle(&app).await;
    let sent = graph
        .wait_accepted(2, std::time::Duration::from_secs(20))
        .await;
    let last = &sent.last().unwrap().body;
    assert!(
        last["text"]["body"].as_str().unwrap().contains("START"),
        "{last}"
    );
    assert!(opted_out(&app, "C-Q1").await);
    app.ingest_ok(ndjson(&three_truths())).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(smtp.mails().is_empty());
    assert_eq!(notices(&app).await[0].1, "suppressed");
}

#[tokio::test]
async fn an_unverified_messenger_senders_stop_keeps_notices_off_that_address_after_verifying() {
    let (app, smtp, graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    ms_say(&app, "m.q1", "keine Nachrichten mehr").await;
    settle(&app).await;
    assert!(opted_out(&app, &format!("messenger~{PSID}")).await);
    assert!(!opted_out(&app, "C-Q1").await);
    ms_say(&app, "m.q2", "Q-1001, 33100").await;
    settle(&app).await;
    assert_eq!(
        conversation_of(&app, "messenger", PSID)
            .await
            .customer_id
            .as_deref(),
        Some("C-Q1")
    );
    let before = graph.accepted().len();
    // Inside the window, but that address said STOP: the notice goes by email.
    app.ingest_ok(ndjson(&three_truths())).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(notices(&app).await[0].0, "email");
    settle(&app).await;
    assert_eq!(graph.accepted().len(), before);
}

#[tokio::test]
async fn a_whatsapp_customer_outside_the_window_gets_the_approved_template() {
    let template = WhatsAppTemplate::parse("order_notice", Some("en=en_US")).unwrap();
    let (app, smtp, graph) = app(Some(template)).await;
    app.ingest_ok(ndjson(&records())).await;
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(WA_ID, "wamid.q2", "Hello")]),
    )
    .await;
    settle(&app).await;
    last_wrote(&app, "whatsapp", WA_ID, 25).await;
    let before = graph.accepted().len();
    app.ingest_ok(ndjson(&three_truths())).await;
    let sent = graph
        .wait_accepted(before + 1, std::time::Duration::from_secs(20))
        .await;
    let body = &sent[before].body;
    assert_eq!(
        body,
        &json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
            "type": "template",
            "template": {"name": "order_notice", "language": {"code": "en_US"},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": "Q-1001"},
                    {"type": "text", "text": "the carrier's scan and the driver's report disagree"}
                ]}]}
        })
    );
    assert_eq!(notices(&app).await[0].0, "whatsapp");
    assert!(smtp.mails().is_empty());
}

#[tokio::test]
async fn outside_the_window_without_a_template_whatsapp_and_messenger_customers_get_email() {
    let (app, smtp, graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(WA_ID, "wamid.q3", "Hello")]),
    )
    .await;
    settle(&app).await;
    last_wrote(&app, "whatsapp", WA_ID, 25).await;
    let before = graph.accepted().len();
    app.ingest_ok(ndjson(&three_truths())).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["<tessa.q@example.org>".to_string()]);

    // Messenger: verified there (the last channel), then silent for a day and more.
    last_wrote(&app, "whatsapp", WA_ID, 30).await;
    ms_say(&app, "m.q3", "Q-1001, 33100").await;
    settle(&app).await;
    last_wrote(&app, "messenger", PSID, 25).await;
    let before_ms = graph.accepted().len();
    app.ingest_ok(ndjson(&refund())).await;
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    settle(&app).await;
    assert_eq!(graph.accepted().len(), before_ms);
    assert!(
        before < before_ms,
        "the verification was answered on Messenger"
    );
    let channels: Vec<String> = notices(&app).await.into_iter().map(|n| n.0).collect();
    assert_eq!(channels, ["email", "email"]);
}

#[tokio::test]
async fn the_console_shows_a_contact_on_their_own_page_with_their_opt_out() {
    let (app, _smtp, _graph) = app(None).await;
    let mut items = records();
    items[1]["contacts"] = json!([
        {"name":"Lea Brandt","email":"lea.q@example.org","role":"recipient","locale":"en"}
    ]);
    app.ingest_ok(ndjson(&items)).await;
    let (s, _) = open(&app, "en").await;
    let r = say(&app, &s, "Q-1001, lea.q@example.org").await;
    assert_eq!(r["verified"], true, "{r}");
    say(&app, &s, "unsubscribe").await;
    let person = {
        let mut conn = app.store.read().await.unwrap();
        verity::store::contacts::list_contacts(&mut conn, "Q-1001")
            .await
            .unwrap()[0]
            .person_id
            .clone()
    };
    assert!(opted_out(&app, &person).await);
    assert!(!opted_out(&app, "C-Q1").await, "the contact's choice only");

    crate::console::add_staff(&app).await;
    let staff = crate::console::log_in(&app).await;
    let link = format!("href=\"/console/customers/{person}\"");
    let (_, list) = staff.get(&app, "/console/conversations").await;
    assert!(list.contains(&link), "the conversation links the contact");
    let (status, page) = staff
        .get(&app, &format!("/console/customers/{person}"))
        .await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "Lea Brandt",
        "lea.q@example.org",
        "recipient",
        "Q-1001",
        "Notices switched off",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
    // A contact's page shows their one order only, never the customer's others.
    assert!(!page.contains("tessa.q@example.org"), "{page}");
    let (status, _) = staff
        .get(&app, "/console/customers/contact~000000000000000000000000")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn stop_with_a_question_opts_out_and_answers_the_question_too() {
    let (app, _smtp, _graph) = app(None).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    for (lang, ask, confirmed) in [
        (
            "en",
            "no more notifications please, but where is my parcel now?",
            "no more notifications",
        ),
        (
            "de",
            "Bitte keine Nachrichten mehr. Aber wo ist mein Paket jetzt?",
            "keine Benachrichtigungen mehr",
        ),
    ] {
        let (s, _) = open(&app, lang).await;
        say(&app, &s, "Q-1001, 33100").await;
        let r = say(&app, &s, ask).await;
        let text = r["text"].as_str().unwrap();
        assert!(
            text.starts_with("Done") || text.starts_with("Erledigt"),
            "{text}"
        );
        assert!(text.contains(confirmed), "{text}");
        // Then the answer about the parcel (here: nothing new since the story was told).
        let (_, rest) = text
            .split_once("\n\n")
            .expect("an answer after the confirmation");
        assert!(
            rest.contains("Q-1001"),
            "the question is answered too: {text}"
        );
        assert!(opted_out(&app, "C-Q1").await);
        say(&app, &s, "START").await;
    }
    // A courtesy is not a question: the confirmation alone.
    let (s, _) = open(&app, "en").await;
    say(&app, &s, "Q-1001, 33100").await;
    let r = say(&app, &s, "stop sending me messages, thanks").await;
    let text = r["text"].as_str().unwrap();
    assert!(
        text.starts_with("Done") && !text.contains("Q-1001"),
        "{text}"
    );
}

/// The messages of a conversation, as stored.
async fn transcript(
    app: &TestApp,
    conversation_id: &str,
) -> Vec<verity::store::conversations::MessageRow> {
    let mut conn = app.store.read().await.unwrap();
    verity::store::conversations::list_messages(&mut conn, conversation_id, 0)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_notice_on_whatsapp_is_in_the_transcript_with_the_order_in_focus_and_its_answer_read_against_it()
 {
    let (app, smtp, graph) = app(None).await;
    app.ingest_ok(ndjson(&records())).await;
    // The customer wrote from their phone on file a moment ago: the window is open.
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(WA_ID, "wamid.t1", "Hello")]),
    )
    .await;
    settle(&app).await;
    let before = graph.accepted().len();
    app.ingest_ok(ndjson(&three_truths())).await;
    let sent = graph
        .wait_accepted(before + 1, std::time::Duration::from_secs(20))
        .await;
    let body = &sent[before].body;
    assert_eq!(
        body["type"], "interactive",
        "the remedies as buttons: {body}"
    );
    assert!(smtp.mails().is_empty());

    // Staff see it in the conversation, as Verity's message with its buttons.
    let conv = conversation_of(&app, "whatsapp", WA_ID).await;
    let messages = transcript(&app, &conv.id).await;
    let notice = messages.last().unwrap();
    assert_eq!(notice.role, verity::store::conversations::Role::Bot);
    assert!(notice.text.contains("Q-1001"), "{}", notice.text);
    assert!(notice.actions.as_deref().unwrap().contains("callback"));
    assert!(
        notice
            .engine_stats
            .as_deref()
            .unwrap()
            .contains("\"notice\"")
    );
    let state: Value = serde_json::from_str(&conv.state).unwrap();
    assert_eq!(state["focus_order"], "Q-1001", "{state}");

    // The customer answers the notice: about that order, without naming it.
    let before = graph.accepted().len();
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(WA_ID, "wamid.t2", "yes please, call me back")]),
    )
    .await;
    settle(&app).await;
    let sent = graph
        .wait_accepted(before + 1, std::time::Duration::from_secs(20))
        .await;
    let answer = sent[before..]
        .iter()
        .map(|r| r.body.to_string())
        .collect::<String>();
    assert!(
        answer.to_lowercase().contains("callback") && !answer.contains("order number"),
        "{answer}"
    );
}
