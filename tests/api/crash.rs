//! Crash safety and several instances: deliveries a dead instance left are taken over
//! when their lease runs out, a turn cut between its steps is finished once, two
//! instances on one database answer every message once, and Graph's `Retry-After` is
//! honoured.

use std::time::Duration;

use serde_json::Value;
use sqlx::Row;

use crate::helpers::{TestApp, demo_now, spawn_app_on};
use crate::webhooks::{
    STRANGER, channel_config, conversation_of, crashed_row, meta_app_with, now_secs, outbox_rows,
    post_wa, settle, shown, to_wa, wa_delivery, wa_statuses, wa_text,
};
use verity::http::fake_graph::Fault;
use verity::store::claims::wall_ms;
use verity::store::conversations::{self, MessageRow, Role};

/// A delivery as an instance leaves it that died while processing it: claimed, its
/// lease run out a moment ago.
async fn dead_instances_delivery(app: &TestApp, body: &Value) -> String {
    let id = format!("dlv_dead_{}", hex::encode(rand::random::<[u8; 6]>()));
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, channel, received_ms, body, claimed_by, lease_until_ms) \
         VALUES ($1, 'whatsapp', $2, $3, 'inst_dead', $4)",
    )
    .bind(&id)
    .bind(demo_now().timestamp_millis())
    .bind(body.to_string())
    .bind(wall_ms() - 1)
    .execute(app.store.pool())
    .await
    .unwrap();
    id
}

async fn processed(app: &TestApp, delivery: &str) {
    for _ in 0..3000 {
        let row = sqlx::query("SELECT processed_ms, error FROM webhook_deliveries WHERE id = $1")
            .bind(delivery)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let done: Option<i64> = row.try_get(0).unwrap();
        if done.is_some() {
            let error: Option<String> = row.try_get(1).unwrap();
            assert_eq!(error, None);
            return settle(app).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the delivery a dead instance left was not taken over");
}

/// Stores a message as the step of a turn that ran before the crash did.
async fn stored(app: &TestApp, conversation_id: &str, role: Role, text: &str, wamid: Option<&str>) {
    let mut msg = MessageRow {
        id: verity::store::new_sorted_id("msg"),
        conversation_id: conversation_id.to_string(),
        seq: 0,
        role,
        text: text.to_string(),
        action: None,
        actions: (role == Role::Bot).then(|| "[]".to_string()),
        tool_calls: None,
        grounding: None,
        engine_stats: None,
        channel_message_id: wamid.map(str::to_string),
        author: None,
        created_ms: demo_now().timestamp_millis(),
    };
    let mut tx = app.store.begin().await.unwrap();
    assert!(
        conversations::append_message(tx.conn(), &mut msg)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

/// An app whose stranger has written once and been answered: the conversation and how
/// many sends reached Graph so far.
async fn after_a_first_exchange() -> (
    crate::webhooks::Meta,
    verity::store::conversations::ConversationRow,
    usize,
) {
    let m = meta_app_with(|_| {}).await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.first", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let sent_before = to_wa(&m.graph, STRANGER).len();
    (m, conv, sent_before)
}

async fn messages(app: &TestApp, conversation_id: &str) -> Vec<MessageRow> {
    let mut conn = app.store.read().await.unwrap();
    conversations::list_messages(&mut conn, conversation_id, 0)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_message_stored_before_a_crash_without_its_reply_is_answered_once_by_the_next_instance() {
    let (m, conv, sent_before) = after_a_first_exchange().await;
    // The instance stored the customer's message, then died; its delivery stays claimed.
    let text = "Wann kommt meine Lieferung?";
    stored(&m.app, &conv.id, Role::Customer, text, Some("wamid.cut")).await;
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.cut", text)]);
    let delivery = dead_instances_delivery(&m.app, &body).await;
    processed(&m.app, &delivery).await;
    let all = messages(&m.app, &conv.id).await;
    let at = all
        .iter()
        .position(|x| x.channel_message_id.as_deref() == Some("wamid.cut"))
        .unwrap();
    let after = &all[at + 1..];
    assert_eq!(after.len(), 1, "one reply: {after:?}");
    assert_eq!(after[0].role, Role::Bot);
    let sent = to_wa(&m.graph, STRANGER);
    assert!(sent.len() > sent_before);
    let replied: String = sent[sent_before..]
        .iter()
        .map(shown)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        replied.contains(after[0].text.lines().next().unwrap_or_default()),
        "{replied}"
    );
    // Meta redelivers it: nothing new is stored or sent.
    post_wa(&m.app, &body).await;
    settle(&m.app).await;
    assert_eq!(messages(&m.app, &conv.id).await.len(), all.len());
    assert_eq!(to_wa(&m.graph, STRANGER).len(), sent.len());
}

#[tokio::test]
async fn a_reply_stored_before_a_crash_without_its_outbox_rows_is_sent_once() {
    let (m, conv, sent_before) = after_a_first_exchange().await;
    // The instance stored the message and the reply, then died before queueing it.
    stored(
        &m.app,
        &conv.id,
        Role::Customer,
        "Danke",
        Some("wamid.cut2"),
    )
    .await;
    stored(&m.app, &conv.id, Role::Bot, "Gern geschehen.", None).await;
    let count = messages(&m.app, &conv.id).await.len();
    let body = wa_delivery(vec![wa_text(STRANGER, "wamid.cut2", "Danke")]);
    let delivery = dead_instances_delivery(&m.app, &body).await;
    processed(&m.app, &delivery).await;
    let sent = to_wa(&m.graph, STRANGER);
    assert_eq!(sent.len(), sent_before + 1);
    assert_eq!(shown(&sent[sent_before]), "Gern geschehen.");
    assert_eq!(
        messages(&m.app, &conv.id).await.len(),
        count,
        "no second reply"
    );
    post_wa(&m.app, &body).await;
    settle(&m.app).await;
    assert_eq!(to_wa(&m.graph, STRANGER).len(), sent.len());
}

#[tokio::test]
async fn two_instances_sharing_a_database_answer_every_message_once_when_meta_delivers_to_both() {
    let m = meta_app_with(|_| {}).await;
    if m.app.store.backend() != verity::store::Backend::Postgres {
        // Several instances share PostgreSQL only (a SQLite file serves one process);
        // this runs with VERITY_TEST_POSTGRES_URL.
        eprintln!("two instances: PostgreSQL only, skipped on SQLite");
        return;
    }
    let other = spawn_app_on(
        m.app.database_url.clone(),
        None,
        verity::clock::Clock::Fixed(demo_now()),
        |c| c.channels = channel_config(&m.graph),
    )
    .await;
    let senders: Vec<String> = (0..12).map(|i| format!("4915560{i:06}")).collect();
    let rounds = 3;
    for round in 0..rounds {
        // Each delivery reaches both instances (Meta retries at the other), at once.
        let posts = senders.iter().flat_map(|s| {
            let body = wa_delivery(vec![wa_text(
                s,
                &format!("wamid.{s}.{round}"),
                "Wie lange dauert der Versand?",
            )]);
            let (a, b) = (&m.app, &other);
            let again = body.clone();
            [
                Box::pin(async move { post_wa(a, &body).await })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
                Box::pin(async move { post_wa(b, &again).await }),
            ]
        });
        futures_util::future::join_all(posts).await;
        settle(&m.app).await;
    }
    for s in &senders {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM conversations WHERE channel = 'whatsapp' AND external_id = $1",
        )
        .bind(s)
        .fetch_one(m.app.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        assert_eq!(n, 1, "one conversation for {s}");
        let conv = conversation_of(&m.app, "whatsapp", s).await;
        let all = messages(&m.app, &conv.id).await;
        let customer = all.iter().filter(|x| x.role == Role::Customer).count();
        let bot = all.iter().filter(|x| x.role == Role::Bot).count();
        assert_eq!(
            (customer, bot),
            (rounds, rounds + 1),
            "{s}: a greeting and one reply each"
        );
        // Every row sent once, none twice.
        let rows = outbox_rows(&m.app, &conv.id).await;
        assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
        let sent = to_wa(&m.graph, s);
        assert_eq!(sent.len(), rows.len(), "{s}");
        let mut ids: Vec<&str> = sent
            .iter()
            .filter_map(|r| r.body["biz_opaque_callback_data"].as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows.len());
    }
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let m = meta_app_with(|_| {}).await;
    m.graph.fault_next(&[Fault {
        status: Some(429),
        retry_after_secs: Some(5),
        hang_ms: 0,
    }]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.busy", "Hallo")]),
    )
    .await;
    let t0 = demo_now().timestamp_millis();
    for _ in 0..3000 {
        if let Ok(mut conn) = m.app.store.read().await
            && let Some(c) =
                conversations::find_conversation_by_sender(&mut conn, "whatsapp", STRANGER)
                    .await
                    .unwrap()
        {
            drop(conn);
            let rows = outbox_rows(&m.app, &c.id).await;
            if let Some(r) = rows.first()
                && r.attempts == 1
                && r.status == "pending"
            {
                // The test's retry base is 0: the wait is Meta's five seconds.
                assert_eq!(r.next_attempt_ms, t0 + 5_000, "{r:?}");
                assert!(r.last_error.as_deref().unwrap().contains("429"));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let c = conversation_of(&m.app, "whatsapp", STRANGER).await;
    panic!(
        "the 429 was not recorded: {:?}",
        outbox_rows(&m.app, &c.id).await
    );
}

#[tokio::test]
async fn a_send_that_times_out_is_not_retried_blindly() {
    let m = meta_app_with(|c| {
        c.graph_timeout_ms = 200;
        c.outbox_unknown_wait_ms = 60_000;
    })
    .await;
    m.graph.fault_next(&[Fault {
        status: None,
        retry_after_secs: None,
        hang_ms: 1_000,
    }]);
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.slow", "Hallo")]),
    )
    .await;
    for _ in 0..3000 {
        if let Ok(mut conn) = m.app.store.read().await
            && let Some(c) =
                conversations::find_conversation_by_sender(&mut conn, "whatsapp", STRANGER)
                    .await
                    .unwrap()
        {
            drop(conn);
            let rows = outbox_rows(&m.app, &c.id).await;
            if rows.first().is_some_and(|r| r.status == "unknown") {
                tokio::time::sleep(Duration::from_millis(1_500)).await;
                // Meta got it once; nothing was sent again, nothing after it overtook.
                assert_eq!(m.graph.requests().len(), 1);
                let rows = outbox_rows(&m.app, &c.id).await;
                assert_eq!(rows[0].status, "unknown");
                assert!(rows[1..].iter().all(|r| r.status == "pending"), "{rows:?}");
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the timed-out send was not recorded as unknown");
}

#[tokio::test]
async fn a_status_report_that_comes_while_the_send_still_waits_settles_it_when_it_times_out() {
    let m = meta_app_with(|c| c.outbox_unknown_wait_ms = 0).await;
    post_wa(
        &m.app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.early", "Hallo")]),
    )
    .await;
    settle(&m.app).await;
    let conv = conversation_of(&m.app, "whatsapp", STRANGER).await;
    let id = crashed_row(&m, &conv.id, "early").await;
    // Being sent by another instance, whose answer from Meta is late.
    sqlx::query("UPDATE outbox SET claimed_by = 'inst_other', lease_until_ms = $1 WHERE id = $2")
        .bind(wall_ms() + 60_000)
        .bind(&id)
        .execute(m.app.store.pool())
        .await
        .unwrap();
    post_wa(
        &m.app,
        &wa_statuses(vec![
            serde_json::json!({"id": "wamid.EARLY", "status": "sent",
            "timestamp": now_secs().to_string(), "recipient_id": STRANGER,
            "biz_opaque_callback_data": id}),
        ]),
    )
    .await;
    for _ in 0..3000 {
        let rows = outbox_rows(&m.app, &conv.id).await;
        if rows
            .iter()
            .any(|r| r.id == id && r.provider_message_id.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // That instance dies: the row's outcome is unknown, but Meta's report named it.
    sqlx::query("UPDATE outbox SET lease_until_ms = 0 WHERE id = $1")
        .bind(&id)
        .execute(m.app.store.pool())
        .await
        .unwrap();
    let before = m.graph.requests().len();
    // The app's own worker finds it.
    for _ in 0..3000 {
        let rows = outbox_rows(&m.app, &conv.id).await;
        let row = rows.iter().find(|r| r.id == id).unwrap();
        if row.status == "sent" {
            assert_eq!(row.provider_message_id.as_deref(), Some("wamid.EARLY"));
            assert_eq!(row.unknown_resends, 0);
            assert_eq!(m.graph.requests().len(), before, "not sent again");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the row was not settled by the status that came early: {:?}",
        outbox_rows(&m.app, &conv.id).await
    );
}

#[tokio::test]
async fn a_web_message_stored_before_a_crash_without_its_reply_is_answered_once_when_the_client_retries()
 {
    let app = crate::helpers::spawn_app().await;
    let (id, token) = crate::web::open_session(&app).await;
    // The instance stored the customer's message, then died before the reply.
    let text = "Wie lange dauert die Lieferung?";
    stored(
        &app,
        &id,
        Role::Customer,
        text,
        Some(&format!("web:{id}:cut-0001")),
    )
    .await;
    let before = messages(&app, &id).await.len();
    // The widget retries with the same client_id.
    let msg = serde_json::json!({"text": text, "client_id": "cut-0001"});
    let (status, body) = crate::web::post(&app, &id, &token, &msg).await;
    assert_eq!(status, 200);
    assert!(body["reply"]["text"].is_string(), "answered: {body}");
    let all = messages(&app, &id).await;
    assert_eq!(
        all.len(),
        before + 1,
        "one reply, the message not stored again"
    );
    assert_eq!(all[before].role, Role::Bot);
    // Once: a further retry is not answered again.
    let (status, body) = crate::web::post(&app, &id, &token, &msg).await;
    assert_eq!(status, 200);
    assert_eq!(body["reply"], Value::Null, "{body}");
    assert_eq!(messages(&app, &id).await.len(), all.len());
}

#[tokio::test]
async fn a_turn_waits_while_another_process_holds_the_conversations_turn() {
    let app = crate::helpers::spawn_app().await;
    let (id, token) = crate::web::open_session(&app).await;
    let lease = format!("turn:{id}");
    let now = wall_ms();
    assert!(
        verity::store::claims::acquire_lease(&app.store, &lease, "inst_other", now, now + 60_000)
            .await
            .unwrap()
    );
    let before = messages(&app, &id).await.len();
    let answered = std::sync::atomic::AtomicBool::new(false);
    let msg = serde_json::json!({"text": "Wie lange dauert die Lieferung?"});
    let turn = async {
        let out = crate::web::post(&app, &id, &token, &msg).await;
        answered.store(true, std::sync::atomic::Ordering::SeqCst);
        out
    };
    let other = async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            !answered.load(std::sync::atomic::Ordering::SeqCst),
            "the turn waits for the other process"
        );
        assert_eq!(
            messages(&app, &id).await.len(),
            before,
            "nothing stored while the other process holds the turn"
        );
        verity::store::claims::release_lease(&app.store, &lease, "inst_other")
            .await
            .unwrap();
    };
    let ((status, body), ()) = tokio::join!(turn, other);
    assert_eq!(status, 200);
    assert!(body["reply"]["text"].is_string(), "{body}");
    assert_eq!(messages(&app, &id).await.len(), before + 2);
}
