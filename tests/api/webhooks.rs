//! WhatsApp and Messenger webhooks end to end: signed deliveries in Meta's documented
//! shapes, the inbox worker, the outbox and a fake Graph API on loopback.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{TestApp, demo_app_with, demo_now};
use verity::channels::outbox::{Delivery, Outbox, Outgoing};
use verity::channels::sign;
use verity::config::{ChannelConfig, Secret};
use verity::http::fake_graph::{FakeGraph, SentRequest};
use verity::store::{cases, channels as db, conversations, records};

pub(crate) const WA_SECRET: &str = "wa-app-secret-for-tests";
const MS_SECRET: &str = "ms-app-secret-for-tests";
const WA_VERIFY: &str = "wa-verify-token";
const MS_VERIFY: &str = "ms-verify-token";
const WA_TOKEN: &str = "wa-access-token";
const MS_TOKEN: &str = "ms-page-token";
pub(crate) const PHONE_NUMBER_ID: &str = "109876543210";
const PAGE_ID: &str = "1234567890";
/// A WhatsApp sender who is no customer (verifies with order number and postcode).
pub(crate) const STRANGER: &str = "4915550000001";

pub(crate) struct Meta {
    pub(crate) app: TestApp,
    pub(crate) graph: FakeGraph,
}

pub(crate) fn channel_config(graph: &FakeGraph) -> ChannelConfig {
    ChannelConfig {
        whatsapp_verify_token: Some(Secret::new(WA_VERIFY)),
        whatsapp_app_secret: Some(Secret::new(WA_SECRET)),
        whatsapp_access_token: Some(Secret::new(WA_TOKEN)),
        whatsapp_phone_number_id: Some(PHONE_NUMBER_ID.into()),
        messenger_verify_token: Some(Secret::new(MS_VERIFY)),
        messenger_app_secret: Some(Secret::new(MS_SECRET)),
        messenger_page_access_token: Some(Secret::new(MS_TOKEN)),
        messenger_page_id: Some(PAGE_ID.into()),
        graph_api_url: graph.base.clone(),
        // The clock is fixed: a retry is due at once.
        outbox_retry_base_ms: 0,
        ..ChannelConfig::default()
    }
}

pub(crate) async fn meta_app_with(adjust: impl FnOnce(&mut ChannelConfig)) -> Meta {
    let graph = FakeGraph::start().await.unwrap();
    let mut cfg = channel_config(&graph);
    adjust(&mut cfg);
    let app = demo_app_with(move |c| c.channels = cfg).await;
    Meta { app, graph }
}

async fn meta_app() -> Meta {
    meta_app_with(|_| {}).await
}

pub(crate) fn now_secs() -> i64 {
    demo_now().timestamp()
}

pub(crate) fn wa_text(from: &str, id: &str, text: &str) -> Value {
    json!({"from": from, "id": id, "timestamp": now_secs().to_string(), "type": "text", "text": {"body": text}})
}

fn wa_button(from: &str, id: &str, action: &str, title: &str) -> Value {
    json!({"from": from, "id": id, "timestamp": now_secs().to_string(), "type": "interactive",
        "context": {"from": PHONE_NUMBER_ID, "id": "wamid.previous"},
        "interactive": {"type": "button_reply", "button_reply": {"id": action, "title": title}}})
}

pub(crate) fn wa_delivery(messages: Vec<Value>) -> Value {
    let contacts: Vec<Value> = messages
        .iter()
        .filter_map(|m| m["from"].as_str())
        .map(|f| json!({"wa_id": f, "profile": {"name": "Testkundin"}}))
        .collect();
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": contacts,
        "messages": messages
    }}]}]})
}

pub(crate) fn wa_statuses(statuses: Vec<Value>) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": statuses
    }}]}]})
}

pub(crate) fn ms_delivery(events: Vec<Value>) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE_ID, "time": demo_now().timestamp_millis(), "messaging": events}]})
}

pub(crate) fn ms_event(psid: &str, kind: &str, body: Value) -> Value {
    let mut e = json!({"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": demo_now().timestamp_millis()});
    e[kind] = body;
    e
}

async fn post_raw(app: &TestApp, path: &str, body: &str, signature: Option<String>) -> u16 {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = signature {
        req = req.header("X-Hub-Signature-256", s);
    }
    req.send().await.unwrap().status().as_u16()
}

pub(crate) async fn post_wa(app: &TestApp, body: &Value) {
    let raw = body.to_string();
    let status = post_raw(
        app,
        "/webhooks/whatsapp",
        &raw,
        Some(sign(WA_SECRET, raw.as_bytes())),
    )
    .await;
    assert_eq!(status, 200);
}

pub(crate) async fn post_ms(app: &TestApp, body: &Value) {
    let raw = body.to_string();
    let status = post_raw(
        app,
        "/webhooks/messenger",
        &raw,
        Some(sign(MS_SECRET, raw.as_bytes())),
    )
    .await;
    assert_eq!(status, 200);
}

pub(crate) async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Waits until every stored delivery is processed and nothing waits in the outbox.
pub(crate) async fn settle(app: &TestApp) {
    // Generous: on a loaded machine (the whole suite in parallel) the workers are slow.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        let open = count(
            app,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_ms IS NULL",
        )
        .await
            + count(
                app,
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
            )
            .await;
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the webhook worker and the outbox did not finish");
}

/// The text a sent message shows.
pub(crate) fn shown(r: &SentRequest) -> String {
    let b = &r.body;
    b["text"]["body"]
        .as_str()
        .or(b["interactive"]["body"]["text"].as_str())
        .or(b["message"]["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn to_wa(graph: &FakeGraph, wa_id: &str) -> Vec<SentRequest> {
    graph
        .accepted()
        .into_iter()
        .filter(|r| r.body["to"] == wa_id)
        .collect()
}

fn button_ids(r: &SentRequest) -> Vec<String> {
    let i = &r.body["interactive"];
    let items = if i["type"] == "button" {
        i["action"]["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["reply"]["id"].clone())
            .collect::<Vec<_>>()
    } else {
        i["action"]["sections"][0]["rows"]
            .as_array()
            .map(|rows| rows.iter().map(|r| r["id"].clone()).collect())
            .unwrap_or_default()
    };
    items
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// One reply as the customer got it: its parts joined, the buttons of its last part.
#[derive(Debug)]
struct Reply {
    text: String,
    buttons: Vec<String>,
    statuses: Vec<String>,
}

fn buttons_of(body: &Value) -> Vec<String> {
    let i = &body["interactive"];
    let items: Vec<Value> = if i["type"] == "button" {
        i["action"]["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["reply"]["id"].clone())
            .collect()
    } else if i["type"] == "list" {
        i["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect()
    } else {
        body["message"]["quick_replies"]
            .as_array()
            .map(|q| q.iter().map(|x| x["payload"].clone()).collect())
            .unwrap_or_default()
    };
    items
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The replies queued for a sender, in order (from the outbox).
async fn replies(app: &TestApp, channel: &str, sender: &str) -> Vec<Reply> {
    let conv = conversation_of(app, channel, sender).await;
    let mut conn = app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    let mut out: Vec<(Option<String>, Reply)> = Vec::new();
    for r in rows {
        let body: Value = serde_json::from_str(&r.payload).unwrap();
        let part = shown(&SentRequest {
            account: String::new(),
            authorization: None,
            query: None,
            body: body.clone(),
            status: 0,
            message_id: None,
            at: std::time::Instant::now(),
        });
        match out.last_mut() {
            Some((id, reply)) if *id == r.message_id && r.message_id.is_some() => {
                reply.text.push('\n');
                reply.text.push_str(&part);
                reply.buttons = buttons_of(&body);
                reply.statuses.push(r.status.clone());
            }
            _ => out.push((
                r.message_id.clone(),
                Reply {
                    text: part,
                    buttons: buttons_of(&body),
                    statuses: vec![r.status.clone()],
                },
            )),
        }
    }
    out.into_iter().map(|(_, r)| r).collect()
}

pub(crate) async fn conversation_of(
    app: &TestApp,
    channel: &str,
    sender: &str,
) -> conversations::ConversationRow {
    let mut conn = app.store.read().await.unwrap();
    conversations::find_conversation_by_sender(&mut conn, channel, sender)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_handshake_answers_the_raw_challenge_only_to_the_right_token() {
    let m = meta_app().await;
    for (path, token) in [
        ("/webhooks/whatsapp", WA_VERIFY),
        ("/webhooks/messenger", MS_VERIFY),
    ] {
        let ok = m
            .app
            .client
            .get(m.app.url(path))
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert!(
            ok.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(ok.text().await.unwrap(), "1158201444");
        for q in [
            [
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "wrong"),
                ("hub.challenge", "1"),
            ],
            [
                ("hub.mode", "unsubscribe"),
                ("hub.verify_token", token),
                ("hub.challenge", "1"),
            ],
        ] {
            let r = m
                .app
                .client
                .get(m.app.url(path))
                .query(&q)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
        }
    }
    // A channel without a verify token refuses every handshake.
    let bare = meta_app_with(|c| c.whatsapp_verify_token = None).await;
    let r = bare
        .app
        .client
        .get(bare.app.url("/webhooks/whatsapp"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", ""),
            ("hub.challenge", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn deliveries_with_a_missing_or_wrong_signature_are_refused_and_not_stored() {
    let m = meta_app().await;
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.sig1", "Hallo")]).to_string();
    assert_eq!(
        post_raw(&m.app, "/webhooks/whatsapp", &body, None).await,
        401
    );
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/whatsapp",
            &body,
            Some(sign("not-the-secret", body.as_bytes()))
        )
        .await,
        401
    );
    // Signed over other bytes (the same JSON, re-serialized with a space).
    let other = body.replacen(':', ": ", 1);
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/whatsapp",
            &body,
            Some(sign(WA_SECRET, other.as_bytes()))
        )
        .await,
        401
    );
    // Messenger's secret does not sign WhatsApp deliveries.
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/whatsapp",
            &body,
            Some(sign(MS_SECRET, body.as_bytes()))
        )
        .await,
        401
    );
    let ms = ms_delivery(vec![ms_event(
        "PSID-1",
        "message",
        json!({"mid": "m_sig", "text": "Hallo"}),
    )])
    .to_string();
    assert_eq!(
        post_raw(&m.app, "/webhooks/messenger", &ms, Some("sha256=00".into())).await,
        401
    );
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM webhook_deliveries").await,
        0
    );
    assert_eq!(count(&m.app, "SELECT COUNT(*) FROM messages").await, 0);
}

/// A body, the app secret and the header Meta would send, computed independently of
/// Verity: `printf '%s' "$BODY" | openssl dgst -sha256 -hmac wa-app-secret-for-tests`.
const KNOWN_BODY: &str = r#"{"object":"whatsapp_business_account","entry":[]}"#;
const KNOWN_SIGNATURE: &str =
    "sha256=307ec995eb998e41acb53801cd7ab9346646ce7b2a11e12d9b31d9ebce35185e";

#[tokio::test]
async fn a_signature_computed_elsewhere_is_accepted_and_matches_ours() {
    assert_eq!(sign(WA_SECRET, KNOWN_BODY.as_bytes()), KNOWN_SIGNATURE);
    assert!(verity::channels::signature_is_valid(
        WA_SECRET,
        KNOWN_BODY.as_bytes(),
        Some(KNOWN_SIGNATURE)
    ));
    let m = meta_app().await;
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/whatsapp",
            KNOWN_BODY,
            Some(KNOWN_SIGNATURE.into())
        )
        .await,
        200
    );
    // One changed byte of the header, or of the body, and it is refused.
    let wrong = KNOWN_SIGNATURE.replace("185e", "185f");
    assert_eq!(
        post_raw(&m.app, "/webhooks/whatsapp", KNOWN_BODY, Some(wrong)).await,
        401
    );
    let other = KNOWN_BODY.replace("[]", "[ ]");
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/whatsapp",
            &other,
            Some(KNOWN_SIGNATURE.into())
        )
        .await,
        401
    );
}

#[tokio::test]
async fn without_an_app_secret_configured_every_delivery_is_refused() {
    let m = meta_app_with(|c| {
        c.whatsapp_app_secret = None;
        c.messenger_app_secret = None;
    })
    .await;
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.nosecret", "Hallo")]).to_string();
    // Signed with the secret the sender knows, or with an empty one, or not at all.
    for signature in [
        Some(sign(WA_SECRET, body.as_bytes())),
        Some(sign("", body.as_bytes())),
        None,
    ] {
        assert_eq!(
            post_raw(&m.app, "/webhooks/whatsapp", &body, signature).await,
            401
        );
    }
    let ms = ms_delivery(vec![ms_event(
        "PSID-2",
        "message",
        json!({"mid": "m_nosecret", "text": "Hallo"}),
    )])
    .to_string();
    assert_eq!(
        post_raw(
            &m.app,
            "/webhooks/messenger",
            &ms,
            Some(sign(MS_SECRET, ms.as_bytes()))
        )
        .await,
        401
    );
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM webhook_deliveries").await,
        0
    );
}

#[tokio::test]
async fn a_signed_whatsapp_text_is_stored_acknowledged_and_answered_with_buttons() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(
            STRANGER,
            "wamid.first",
            "Wo ist mein Paket? A-100234, 33100",
        )]),
    )
    .await;
    // Stored raw before anything else.
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM webhook_deliveries").await,
        1
    );
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    assert_eq!(r.len(), 2, "the greeting, then the answer: {r:?}");
    assert!(
        r[0].text.contains("automatische Assistent"),
        "{}",
        r[0].text
    );
    assert!(r[1].text.contains("06:48"), "{}", r[1].text);
    assert!(r[1].buttons.contains(&"callback".to_string()), "{r:?}");
    assert!(
        r.iter().all(|x| x.statuses.iter().all(|s| s == "sent")),
        "{r:?}"
    );
    // What reached the Graph API: Meta's shapes, within Meta's limits.
    let sent = to_wa(&m.graph, STRANGER);
    let last = sent.last().unwrap();
    assert_eq!(last.account, PHONE_NUMBER_ID);
    assert_eq!(
        last.authorization.as_deref(),
        Some(format!("Bearer {WA_TOKEN}").as_str())
    );
    assert_eq!(last.body["messaging_product"], "whatsapp");
    assert_eq!(last.body["type"], "interactive", "{}", last.body);
    assert!(
        button_ids(last).contains(&"callback".to_string()),
        "{}",
        last.body
    );
    // Up to three actions are reply buttons, more are a list: either within Meta's limits.
    let action = &last.body["interactive"]["action"];
    if let Some(buttons) = action["buttons"].as_array() {
        assert!(!buttons.is_empty() && buttons.len() <= 3);
        assert!(
            buttons
                .iter()
                .all(|b| b["reply"]["title"].as_str().unwrap().chars().count() <= 20)
        );
    } else {
        let rows = action["sections"][0]["rows"].as_array().unwrap();
        assert!(rows.len() > 3 && rows.len() <= 10, "{}", last.body);
        assert!(
            rows.iter()
                .all(|r| r["title"].as_str().unwrap().chars().count() <= 24)
        );
    }
    assert!(shown(last).chars().count() <= 1024);
    assert!(sent.iter().all(|x| shown(x).chars().count() <= 4096));
    assert_eq!(count(&m.app, "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_ms IS NOT NULL AND error IS NULL").await, 1);
}

#[tokio::test]
async fn the_three_truths_story_over_whatsapp_ends_in_one_callback_case() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(
            STRANGER,
            "wamid.t1",
            "Hallo, laut Portal ist mein Paket zugestellt, es ist aber nicht da.",
        )]),
    )
    .await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    assert!(r.last().unwrap().text.contains("Bestellnummer"), "{r:?}");
    assert!(
        !r.iter().any(|x| x.text.contains("06:48")),
        "nothing before verification"
    );

    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.t2", "A-100234, 33100")]),
    )
    .await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    let status = r.last().unwrap();
    assert!(
        status.text.contains("06:48") && status.text.contains("nicht angetroffen"),
        "{}",
        status.text
    );
    assert!(
        status.buttons.contains(&"callback".to_string()),
        "{status:?}"
    );

    post_wa(
        &m.app,
        &wa_delivery(vec![wa_button(
            STRANGER,
            "wamid.t3",
            "callback",
            "Rückruf vereinbaren",
        )]),
    )
    .await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    let proposal = r.last().unwrap();
    assert!(proposal.text.contains("Rückruf"), "{}", proposal.text);
    assert_eq!(proposal.buttons, ["confirm", "decline"]);

    post_wa(
        &m.app,
        &wa_delivery(vec![wa_button(
            STRANGER,
            "wamid.t4",
            "confirm",
            "Ja, bitte",
        )]),
    )
    .await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    assert!(r.last().unwrap().text.contains("Rückruf"), "{r:?}");
    // Every customer message answered once: the greeting and four answers.
    assert_eq!(r.len(), 5, "{r:?}");

    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let mut conn = m.app.store.read().await.unwrap();
    let customer = conv.customer_id.clone().expect("verified");
    let created = cases::list_cases_for_customer(&mut conn, &customer)
        .await
        .unwrap();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        (created[0].kind.as_str(), created[0].status.as_str()),
        ("callback", "open")
    );
    // The first verification linked the sender to the customer.
    assert_eq!(
        conversations::linked_customer(&mut conn, "whatsapp", STRANGER)
            .await
            .unwrap(),
        Some(customer)
    );
}

#[tokio::test]
async fn a_batch_of_entries_and_messages_is_answered_message_by_message() {
    let m = meta_app().await;
    let other = "4915550000002";
    let mut body = wa_delivery(vec![
        wa_text(STRANGER, "wamid.b1", "Hallo"),
        wa_text(STRANGER, "wamid.b2", "A-100234 33100"),
    ]);
    let second = wa_delivery(vec![wa_text(
        other,
        "wamid.b3",
        "Hello, where is my parcel?",
    )]);
    body["entry"]
        .as_array_mut()
        .unwrap()
        .push(second["entry"][0].clone());
    post_wa(&m.app, &body).await;
    settle(&m.app).await;
    // Greeting + two answers for the first sender, greeting + one answer for the second.
    let first = replies(&m.app, "whatsapp", STRANGER).await;
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(first.last().unwrap().text.contains("06:48"));
    assert_eq!(replies(&m.app, "whatsapp", other).await.len(), 2);
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let mut conn = m.app.store.read().await.unwrap();
    let msgs = conversations::list_messages(&mut conn, &conv.id, 0)
        .await
        .unwrap();
    let ids: Vec<_> = msgs
        .iter()
        .filter_map(|x| x.channel_message_id.clone())
        .collect();
    assert_eq!(ids, ["wamid.b1", "wamid.b2"], "in order");
}

#[tokio::test]
async fn a_redelivered_message_is_answered_once() {
    let m = meta_app().await;
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.dup", "A-100234 33100")]);
    post_wa(&m.app, &body).await;
    post_wa(&m.app, &body).await;
    settle(&m.app).await;
    post_wa(&m.app, &body).await;
    // The same message again inside another batch.
    post_wa(
        &m.app,
        &wa_delivery(vec![
            wa_text(STRANGER, "wamid.dup", "A-100234 33100"),
            wa_text(STRANGER, "wamid.new", "danke"),
        ]),
    )
    .await;
    settle(&m.app).await;
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM webhook_deliveries").await,
        4
    );
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'wamid.dup'"
        )
        .await,
        1
    );
    // Greeting, the one answer, and the answer to the new message.
    assert_eq!(replies(&m.app, "whatsapp", STRANGER).await.len(), 3);
}

#[tokio::test]
async fn a_very_late_redelivery_is_stored_without_an_answer() {
    let m = meta_app().await;
    let mut old = wa_text(STRANGER, "wamid.late", "Wo ist mein Paket?");
    old["timestamp"] = json!((now_secs() - 3 * 24 * 3600).to_string());
    post_wa(&m.app, &wa_delivery(vec![old])).await;
    settle(&m.app).await;
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'wamid.late'"
        )
        .await,
        1
    );
    assert!(
        m.graph
            .requests()
            .iter()
            .all(|r| !shown(r).contains("Bestellnummer")),
        "no stale auto-reply"
    );
    assert_eq!(count(&m.app, "SELECT COUNT(*) FROM messages WHERE role = 'bot' AND text LIKE '%Bestellnummer und%Postleitzahl%' AND text NOT LIKE '%automatische%'").await, 0);
}

#[tokio::test]
async fn a_message_that_is_not_text_gets_a_polite_answer() {
    let m = meta_app().await;
    let image = json!({"from": STRANGER, "id": "wamid.img", "timestamp": now_secs().to_string(), "type": "image",
        "image": {"id": "MEDIA-1", "mime_type": "image/jpeg", "sha256": "abc"}});
    post_wa(&m.app, &wa_delivery(vec![image])).await;
    settle(&m.app).await;
    let sent = to_wa(&m.graph, STRANGER);
    let last = shown(sent.last().unwrap());
    assert!(last.contains("nur Textnachrichten"), "{last}");
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'wamid.img'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn webhook_texts_share_the_chat_length_limit_and_a_longer_one_is_never_read() {
    let m = meta_app_with(|c| c.message_max_chars = 40).await;
    let long = "Wo ist meine Bestellung A-100234? ".repeat(3);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.long", &long)]),
    )
    .await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.short", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let sent: Vec<String> = to_wa(&m.graph, STRANGER).iter().map(shown).collect();
    assert!(
        sent.iter()
            .any(|t| t.contains("zu lang") && t.contains("40 Zeichen")),
        "{sent:?}"
    );
    // The long text is not stored, so nothing of it reaches staff, the engine or a log.
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'wamid.long' AND text = '[too_long]'").await,
        1
    );
    // The next message within the limit is read as usual.
    assert_eq!(
        count(&m.app, "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'wamid.short' AND text = 'Hallo'").await,
        1
    );
}

#[tokio::test]
async fn delivery_statuses_move_the_outbox_forward_only() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.s1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let sent = to_wa(&m.graph, STRANGER);
    let first = sent[0].message_id.clone().unwrap();
    let second = sent[1].message_id.clone().unwrap();
    let st = |id: &str, s: &str| json!({"id": id, "status": s, "timestamp": now_secs().to_string(), "recipient_id": STRANGER});
    // "read" before "delivered" (Meta does not promise the order); a failure with its error.
    post_wa(
        &m.app,
        &wa_statuses(vec![st(&first, "read"), st(&first, "delivered")]),
    )
    .await;
    let mut failed = st(&second, "failed");
    failed["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "message": "More than 24 hours have passed"}]);
    post_wa(&m.app, &wa_statuses(vec![failed])).await;
    settle(&m.app).await;
    let mut conn = m.app.store.read().await.unwrap();
    let a = db::find_outbox_by_provider_id(&mut conn, &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, "read");
    let b = db::find_outbox_by_provider_id(&mut conn, &second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.status, "failed");
    assert!(b.last_error.unwrap().contains("131047"));
}

#[tokio::test]
async fn graph_api_429_and_500_are_retried_then_sent() {
    let m = meta_app().await;
    m.graph.fail_next(&[429, 500]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.r1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let statuses: Vec<u16> = m.graph.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..3], [429, 500, 200]);
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let mut conn = m.app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert_eq!(rows[0].attempts, 3);
    assert_eq!(rows[0].status, "sent");
    // The greeting went first, the answer after it: order kept through the retries.
    let sent = to_wa(&m.graph, STRANGER);
    assert!(shown(&sent[0]).contains("automatische Assistent"));
    assert_eq!(sent.len(), 2);
}

#[tokio::test]
async fn a_message_is_dead_after_the_last_attempt_and_says_why() {
    let m = meta_app_with(|c| c.outbox_max_attempts = 2).await;
    m.graph.fail_next(&[500, 503]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.d1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let mut conn = m.app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert_eq!(rows[0].status, "dead");
    assert_eq!(rows[0].attempts, 2);
    assert!(
        rows[0].last_error.as_deref().unwrap().contains("HTTP 503"),
        "{:?}",
        rows[0].last_error
    );
    // The next message still goes out.
    assert_eq!(rows[1].status, "sent");
    // A message Meta refuses for good (400) is not retried.
    drop(conn);
    m.graph.fail_next(&[400]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.d2", "Hallo nochmal")]),
    )
    .await;
    settle(&m.app).await;
    let mut conn = m.app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert_eq!((rows[2].status.as_str(), rows[2].attempts), ("failed", 1));
}

/// The outbox rows of a conversation, as stored.
pub(crate) async fn outbox_rows(
    app: &TestApp,
    conversation_id: &str,
) -> Vec<verity::store::channels::OutboxRow> {
    let mut conn = app.store.read().await.unwrap();
    db::list_outbox_for_conversation(&mut conn, conversation_id)
        .await
        .unwrap()
}

/// An outbox of the same store whose clock reads `ms` after the demo's now.
pub(crate) fn outbox_at(m: &Meta, ms: i64, cfg: ChannelConfig) -> Outbox {
    let at = demo_now() + chrono::Duration::milliseconds(ms);
    Outbox::new(m.app.store.clone(), verity::clock::Clock::Fixed(at), cfg)
}

#[tokio::test]
async fn retries_wait_twice_as_long_each_time_and_the_last_failure_is_dead() {
    let cfg = |c: &mut ChannelConfig| {
        c.outbox_retry_base_ms = 1_000;
        c.outbox_max_attempts = 4;
    };
    let m = meta_app_with(cfg).await;
    let mut config = channel_config(&m.graph);
    cfg(&mut config);
    m.graph.fail_next(&[500, 503, 429, 500]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.backoff", "Hallo")]),
    )
    .await;
    // The app's own worker (its clock stands still) makes the first attempt.
    let conv = loop {
        let mut conn = m.app.store.read().await.unwrap();
        let found = conversations::find_conversation_by_sender(&mut conn, "whatsapp", STRANGER)
            .await
            .unwrap();
        drop(conn);
        if let Some(c) = found
            && outbox_rows(&m.app, &c.id)
                .await
                .first()
                .is_some_and(|r| r.attempts == 1 && r.status == "pending")
        {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let t0 = demo_now().timestamp_millis();
    let first = outbox_rows(&m.app, &conv.id).await.remove(0);
    assert_eq!(first.next_attempt_ms, t0 + 1_000, "{first:?}");
    // Each wait is twice the one before: 1 s, 2 s, 4 s; nothing goes out earlier.
    let mut at = 0;
    for (attempt, wait) in [(2, 1_000), (3, 2_000), (4, 4_000)] {
        let requests = m.graph.requests().len();
        assert!(
            !outbox_at(&m, at + wait - 1, config.clone())
                .send_due()
                .await
                .unwrap(),
            "attempt {attempt} is not due yet"
        );
        assert_eq!(m.graph.requests().len(), requests);
        at += wait;
        assert!(outbox_at(&m, at, config.clone()).send_due().await.unwrap());
        if attempt < 4 {
            assert_eq!(m.graph.requests().len(), requests + 1);
        } else {
            // A dead row does not hold its conversation: the next one follows at once.
            assert!(m.graph.requests().len() > requests + 1);
        }
        let row = outbox_rows(&m.app, &conv.id).await.remove(0);
        assert_eq!(row.attempts, attempt, "{row:?}");
        if attempt < 4 {
            assert_eq!(row.status, "pending");
            assert_eq!(row.next_attempt_ms, t0 + at + wait * 2, "{row:?}");
        } else {
            // The fourth failure was the last attempt: dead, with the reason.
            assert_eq!(row.status, "dead");
            let error = row.last_error.unwrap();
            assert!(
                error.contains("gave up after 4 attempts") && error.contains("HTTP 500"),
                "{error}"
            );
        }
    }
    // The conversation's next message is not held up by the dead one.
    let outbox = outbox_at(&m, at, config.clone());
    while outbox.send_due().await.unwrap() {}
    let rows = outbox_rows(&m.app, &conv.id).await;
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(rows[1..].iter().all(|r| r.status == "sent"), "{rows:?}");
    assert_eq!(m.graph.accepted().len(), rows.len() - 1);
}

/// Queues a row as a process leaves it that died while sending it.
pub(crate) async fn crashed_row(m: &Meta, conv_id: &str, name: &str) -> String {
    let now = demo_now().timestamp_millis();
    let mut row = verity::store::channels::OutboxRow {
        id: format!("out_crashed_{name}"),
        conversation_id: conv_id.to_string(),
        message_id: None,
        channel: "whatsapp".into(),
        recipient: STRANGER.into(),
        payload: json!({"messaging_product": "whatsapp", "to": STRANGER, "type": "text",
                        "text": {"body": "Hallo"}, "biz_opaque_callback_data": format!("out_crashed_{name}")})
        .to_string(),
        status: "sending".into(),
        attempts: 1,
        next_attempt_ms: now,
        provider_message_id: None,
        last_error: None,
        created_ms: now,
        updated_ms: now,
        position: 0,
        unknown_resends: 0,
    };
    let mut tx = m.app.store.begin().await.unwrap();
    db::insert_outbox(tx.conn(), &mut row).await.unwrap();
    tx.commit().await.unwrap();
    row.id
}

#[tokio::test]
async fn a_send_cut_off_by_a_crash_is_settled_by_its_status_or_sent_once_more_after_the_wait() {
    let m = meta_app_with(|c| c.outbox_unknown_wait_ms = 60_000).await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.crash", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let sent_before = m.graph.requests().len();
    // Two rows a dead instance was sending (their leases ran out), and one another
    // instance is sending right now (its lease runs for a minute more).
    let settled = crashed_row(&m, &conv.id, "a").await;
    let resent = crashed_row(&m, &conv.id, "b").await;
    let alive = crashed_row(&m, &conv.id, "c").await;
    sqlx::query("UPDATE outbox SET claimed_by = $1, lease_until_ms = $2 WHERE id = $3")
        .bind("inst_other")
        .bind(verity::store::claims::wall_ms() + 60_000)
        .bind(&alive)
        .execute(m.app.store.pool())
        .await
        .unwrap();
    // The running worker gives the dead ones up as unknown, and sends neither again.
    let mut rows = Vec::new();
    for _ in 0..500 {
        rows = outbox_rows(&m.app, &conv.id).await;
        if rows.iter().filter(|r| r.status == "unknown").count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let row = |rows: &[verity::store::channels::OutboxRow], id: &str| {
        rows.iter().find(|r| r.id == id).unwrap().clone()
    };
    assert_eq!(row(&rows, &settled).status, "unknown", "{rows:?}");
    assert_eq!(row(&rows, &resent).status, "unknown", "{rows:?}");
    assert_eq!(row(&rows, &alive).status, "sending", "{rows:?}");
    assert_eq!(m.graph.requests().len(), sent_before);
    // Meta's status report names the row it got: settled, with Meta's id, not resent.
    post_wa(
        &m.app,
        &wa_statuses(vec![json!({"id": "wamid.LATE", "status": "delivered",
            "timestamp": now_secs().to_string(), "recipient_id": STRANGER,
            "biz_opaque_callback_data": settled})]),
    )
    .await;
    let mut rows = Vec::new();
    for _ in 0..500 {
        rows = outbox_rows(&m.app, &conv.id).await;
        if row(&rows, &settled).status != "unknown" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let a = row(&rows, &settled);
    assert_eq!(
        (a.status.as_str(), a.provider_message_id.as_deref()),
        ("delivered", Some("wamid.LATE"))
    );
    // Before the wait is over nothing is sent; after it, the other is sent once more.
    assert!(
        !outbox_at(&m, 59_000, channel_config(&m.graph))
            .send_due()
            .await
            .unwrap()
    );
    assert_eq!(m.graph.requests().len(), sent_before);
    let later = outbox_at(&m, 61_000, channel_config(&m.graph));
    assert!(later.send_due().await.unwrap());
    assert_eq!(m.graph.requests().len(), sent_before + 1);
    let rows = outbox_rows(&m.app, &conv.id).await;
    let b = row(&rows, &resent);
    assert_eq!((b.status.as_str(), b.unknown_resends), ("sent", 1), "{b:?}");
    // The row another instance holds is left to it, and nothing after it overtakes.
    assert_eq!(row(&rows, &alive).status, "sending");
    assert!(!later.send_due().await.unwrap());
    let metrics = verity::http::metrics_handle().render();
    assert!(
        metrics.contains("verity_outbox_possible_duplicates_total"),
        "the resend is counted"
    );
}

#[tokio::test]
async fn a_resend_whose_outcome_stays_unknown_is_not_sent_a_third_time() {
    let m = meta_app_with(|c| c.outbox_unknown_wait_ms = 0).await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.twice", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let id = crashed_row(&m, &conv.id, "twice").await;
    sqlx::query("UPDATE outbox SET status = 'unknown', unknown_resends = 1 WHERE id = $1")
        .bind(&id)
        .execute(m.app.store.pool())
        .await
        .unwrap();
    let before = m.graph.requests().len();
    let outbox = outbox_at(&m, 1_000, channel_config(&m.graph));
    while outbox.send_due().await.unwrap() {}
    let rows = outbox_rows(&m.app, &conv.id).await;
    let row = rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(row.status, "dead", "{row:?}");
    assert!(row.last_error.as_deref().unwrap().contains("unknown"));
    assert_eq!(m.graph.requests().len(), before);
}

#[tokio::test]
async fn messenger_text_quick_reply_and_postback_are_answered_and_echoes_ignored() {
    let m = meta_app().await;
    let psid = "7001234567890";
    post_ms(&m.app, &ms_delivery(vec![
        ms_event(psid, "message", json!({"mid": "m_1", "text": "A-100234 33100"})),
        // Our own message, echoed back: ignored.
        json!({"sender": {"id": PAGE_ID}, "recipient": {"id": psid}, "timestamp": demo_now().timestamp_millis(),
               "message": {"mid": "m_echo", "is_echo": true, "app_id": 1517, "text": "Hallo"}}),
    ])).await;
    settle(&m.app).await;
    let r = replies(&m.app, "messenger", psid).await;
    assert_eq!(r.len(), 2, "greeting and answer: {r:?}");
    assert!(r[1].text.contains("06:48"), "{}", r[1].text);
    assert!(r[1].buttons.contains(&"callback".to_string()), "{r:?}");
    let sent = m.graph.accepted();
    let last = sent.last().unwrap();
    assert_eq!(last.account, PAGE_ID);
    assert_eq!(
        last.query.as_deref(),
        Some(format!("access_token={MS_TOKEN}").as_str())
    );
    assert_eq!(last.body["recipient"]["id"], psid);
    assert_eq!(last.body["messaging_type"], "RESPONSE");
    assert!(sent.iter().all(|x| shown(x).chars().count() <= 2000));
    let quick = last.body["message"]["quick_replies"].as_array().unwrap();
    assert!(
        quick
            .iter()
            .all(|q| q["title"].as_str().unwrap().chars().count() <= 20)
    );
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM messages WHERE channel_message_id = 'm_echo'"
        )
        .await,
        0
    );

    post_ms(&m.app, &ms_delivery(vec![ms_event(psid, "message", json!({"mid": "m_2", "text": "Rückruf vereinbaren", "quick_reply": {"payload": "callback"}}))])).await;
    settle(&m.app).await;
    let proposal = replies(&m.app, "messenger", psid).await.pop().unwrap();
    assert_eq!(proposal.buttons, ["confirm", "decline"]);

    post_ms(
        &m.app,
        &ms_delivery(vec![ms_event(
            psid,
            "postback",
            json!({"mid": "m_3", "title": "Ja, bitte", "payload": "confirm"}),
        )]),
    )
    .await;
    settle(&m.app).await;
    assert!(
        replies(&m.app, "messenger", psid)
            .await
            .pop()
            .unwrap()
            .text
            .contains("Rückruf")
    );
    let conv = conversation_of(&m.app, "messenger", psid).await;
    let mut conn = m.app.store.read().await.unwrap();
    let created = cases::list_cases_for_customer(&mut conn, conv.customer_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    // Messenger's first verification links the sender.
    assert!(
        conversations::linked_customer(&mut conn, "messenger", psid)
            .await
            .unwrap()
            .is_some()
    );
    drop(conn);
    // Delivery and read receipts.
    let mids: Vec<String> = m
        .graph
        .accepted()
        .iter()
        .filter_map(|r| r.message_id.clone())
        .collect();
    post_ms(
        &m.app,
        &ms_delivery(vec![
            ms_event(
                psid,
                "delivery",
                json!({"mids": [mids[0]], "watermark": demo_now().timestamp_millis()}),
            ),
            ms_event(
                psid,
                "read",
                json!({"watermark": demo_now().timestamp_millis()}),
            ),
        ]),
    )
    .await;
    settle(&m.app).await;
    let mut conn = m.app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.status == "read"), "{rows:?}");
}

#[tokio::test]
async fn a_whatsapp_customer_known_by_phone_starts_verified_and_sees_the_web_case() {
    let m = meta_app().await;
    // On the web, the three-truths customer asks for a callback.
    let s: Value = m
        .app
        .client
        .post(m.app.url("/api/v1/chat/sessions"))
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, token) = (
        s["session_id"].as_str().unwrap(),
        s["token"].as_str().unwrap(),
    );
    for body in [
        json!({"text": "A-100234, 33100"}),
        json!({"action": "callback"}),
        json!({"action": "confirm"}),
    ] {
        let r = m
            .app
            .client
            .post(m.app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let mut conn = m.app.store.read().await.unwrap();
    let owner = records::order_customer(
        &mut conn,
        &verity::domain::OrderNumber::parse("A-100234").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let customer = records::get_customer(&mut conn, &owner)
        .await
        .unwrap()
        .unwrap();
    let phone = customer
        .phone
        .clone()
        .expect("the demo customer has a phone number");
    let wa_id = phone.trim_start_matches('+').to_string();
    let web_cases = cases::list_cases_for_customer(&mut conn, owner.as_str())
        .await
        .unwrap();
    assert_eq!(web_cases.len(), 1);
    drop(conn);

    // Later on WhatsApp, from the number on file.
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(
            &wa_id,
            "wamid.x1",
            "Hallo, wo ist mein Paket?",
        )]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", &wa_id).await;
    assert_eq!(
        conv.customer_id.as_deref(),
        Some(owner.as_str()),
        "verified by the phone number"
    );
    let r = replies(&m.app, "whatsapp", &wa_id).await;
    // Greeted as a bot, with what is open from the web.
    assert!(r[0].text.contains("automatische Assistent"), "{r:?}");
    assert!(r[0].text.contains("Ihr Rückruf ist geplant: am "), "{r:?}");
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        !r.iter().any(|x| x.text.contains("Postleitzahl")),
        "not asked to verify again: {r:?}"
    );
    assert!(r.last().unwrap().text.contains("06:48"), "{r:?}");

    // Asking for the callback again finds the one from the web: still one case.
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_button(&wa_id, "wamid.x2", "callback", "Rückruf")]),
    )
    .await;
    settle(&m.app).await;
    let last = replies(&m.app, "whatsapp", &wa_id).await.pop().unwrap();
    assert!(last.text.contains("bereits vereinbart"), "{last:?}");
    assert!(!last.buttons.contains(&"callback".to_string()));
    let mut conn = m.app.store.read().await.unwrap();
    assert_eq!(
        cases::list_cases_for_customer(&mut conn, owner.as_str())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        conversations::linked_customer(&mut conn, "whatsapp", &wa_id)
            .await
            .unwrap()
            .as_deref(),
        Some(owner.as_str())
    );
}

#[tokio::test]
async fn outside_the_24_hour_window_no_free_text_is_sent() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.w1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let before = m.graph.requests().len();
    let mut conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    // A staff reply, a day and a bit after the customer's last message.
    conv.last_inbound_ms = Some(demo_now().timestamp_millis() - 25 * 3600 * 1000);
    let outbox = Outbox::new(
        m.app.store.clone(),
        verity::clock::Clock::Fixed(demo_now()),
        channel_config(&m.graph),
    );
    let d = outbox
        .deliver(
            &conv,
            Outgoing {
                message_id: None,
                text: "Wir rufen Sie morgen an.",
                actions: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(d, Delivery::OutsideWindow);
    // Within the window the same call queues it.
    conv.last_inbound_ms = Some(demo_now().timestamp_millis() - 3600 * 1000);
    let d = outbox
        .deliver(
            &conv,
            Outgoing {
                message_id: None,
                text: "Wir rufen Sie morgen an.",
                actions: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(d, Delivery::Queued(1));
    settle(&m.app).await;
    let mut conn = m.app.store.read().await.unwrap();
    let rows = db::list_outbox_for_conversation(&mut conn, &conv.id)
        .await
        .unwrap();
    let refused = &rows[rows.len() - 2];
    assert_eq!(refused.status, "failed");
    assert!(refused.last_error.as_deref().unwrap().contains("24-hour"));
    assert_eq!(rows.last().unwrap().status, "sent");
    assert_eq!(m.graph.requests().len(), before + 1);
    // Web conversations need nothing sent.
    let mut web = conv.clone();
    web.channel = "web".into();
    assert_eq!(
        outbox
            .deliver(
                &web,
                Outgoing {
                    message_id: None,
                    text: "x",
                    actions: &[]
                }
            )
            .await
            .unwrap(),
        Delivery::Stored
    );
}

#[tokio::test]
async fn deliveries_left_unprocessed_are_picked_up_by_the_worker() {
    let m = meta_app().await;
    // As if a previous process stored it and stopped before processing.
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.restart", "Hallo")]).to_string();
    db::insert_delivery(
        &m.app.store,
        "dlv_left_over",
        "whatsapp",
        demo_now().timestamp_millis(),
        &body,
    )
    .await
    .unwrap();
    settle(&m.app).await;
    assert_eq!(to_wa(&m.graph, STRANGER).len(), 2);
    let metrics = verity::http::metrics_handle().render();
    assert!(metrics.contains("verity_webhook_events_total"), "metrics");
    assert!(metrics.contains("verity_outbox_messages_total"), "metrics");
}

#[tokio::test]
async fn a_sender_without_a_phone_number_is_answered_by_user_id() {
    let m = meta_app().await;
    // A user with a WhatsApp username: no `from`, a business-scoped user id instead.
    let user = "DE.1502576394655843";
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"user_id": user, "profile": {"name": "Testkundin"}}],
        "messages": [{"from_user_id": user, "id": "wamid.bsuid", "timestamp": now_secs().to_string(), "type": "text", "text": {"body": "A-100234 33100"}}]
    }}]}]});
    post_wa(&m.app, &body).await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", user).await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[1].text.contains("06:48"), "{r:?}");
    let sent = m.graph.accepted();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|x| x.body["recipient"] == user && x.body.get("to").is_none()),
        "{sent:?}"
    );
}

#[tokio::test]
async fn while_staff_answer_the_bot_sends_one_notice_and_nothing_else() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.s1", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let mut conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    conv.taken_over_by = Some("staff_1".into());
    let mut tx = m.app.store.begin().await.unwrap();
    conversations::update_conversation(tx.conn(), &conv)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let image = json!({"from": STRANGER, "id": "wamid.s3", "timestamp": now_secs().to_string(), "type": "sticker", "sticker": {"id": "S"}});
    post_wa(
        &m.app,
        &wa_delivery(vec![
            wa_text(STRANGER, "wamid.s2", "Hallo? Ist da jemand?"),
            image,
            wa_text(STRANGER, "wamid.s4", "Hallo??"),
        ]),
    )
    .await;
    settle(&m.app).await;
    let r = replies(&m.app, "whatsapp", STRANGER).await;
    // Greeting, the first answer, then one notice that staff answer.
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r[2].text.contains("Mitarbeiter"), "{r:?}");
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM messages WHERE role = 'customer'"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn what_staff_write_in_the_console_reaches_the_whatsapp_customer() {
    let m = meta_app().await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(
            STRANGER,
            "wamid.c1",
            "Hallo, ich brauche Hilfe",
        )]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    crate::console::add_staff(&m.app).await;
    let staff = crate::console::log_in(&m.app).await;
    let r = staff
        .post(
            &m.app,
            &format!("/console/conversations/{}/take-over", conv.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let text = "Guten Tag, hier ist Ida vom Kundenservice. Ich kümmere mich darum.";
    let r = staff
        .post(
            &m.app,
            &format!("/console/conversations/{}/reply", conv.id),
            &[("text", text)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("ok=queued"),
        "{:?}",
        r.headers()
    );
    settle(&m.app).await;
    let sent: Vec<String> = to_wa(&m.graph, STRANGER).iter().map(shown).collect();
    assert_eq!(sent.last().map(String::as_str), Some(text), "{sent:?}");
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE role = 'staff')"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_messenger_sender_is_linked_only_after_a_real_verification() {
    let m = meta_app().await;
    let psid = "7009990001";
    post_ms(
        &m.app,
        &ms_delivery(vec![ms_event(
            psid,
            "message",
            json!({"mid": "m_e1", "text": "katrin.olbrich@example.org ist meine Mail"}),
        )]),
    )
    .await;
    settle(&m.app).await;
    let answer = replies(&m.app, "messenger", psid).await.pop().unwrap();
    assert!(
        !answer.text.contains("Olbrich") && !answer.text.contains("33100"),
        "{}",
        answer.text
    );
    let mut conn = m.app.store.read().await.unwrap();
    assert!(
        conversations::linked_customer(&mut conn, "messenger", psid)
            .await
            .unwrap()
            .is_none(),
        "an email alone links nobody"
    );
    drop(conn);
    post_ms(
        &m.app,
        &ms_delivery(vec![ms_event(
            psid,
            "message",
            json!({"mid": "m_e2", "text": "A-100234 33100"}),
        )]),
    )
    .await;
    settle(&m.app).await;
    assert_eq!(
        count(
            &m.app,
            "SELECT COUNT(*) FROM channel_identities WHERE channel = 'messenger' \
             AND external_id = '7009990001' AND method = 'order_postcode'"
        )
        .await,
        1
    );
}
