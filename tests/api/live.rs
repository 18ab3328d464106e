//! The live event streams: the widget's (what its conversation has that it has not
//! shown, takeover and hand-back) and the console's; one open handoff case per
//! conversation in the store; staff shown by name.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Customer, add_staff, log_in};
use crate::helpers::{TestApp, demo_app, spawn_app};

/// An open event stream, read event by event.
pub struct Events {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>,
    >,
    buf: String,
}

impl Events {
    pub fn of(r: reqwest::Response) -> Events {
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Events {
            body: Box::pin(r.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event named `name` (others are skipped) with its JSON data; fails
    /// after five seconds.
    pub async fn next(&mut self, name: &str) -> Value {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                while let Some(cut) = self.buf.find("\n\n") {
                    let block: String = self.buf.drain(..cut + 2).collect();
                    let event = block.lines().find_map(|l| l.strip_prefix("event: "));
                    let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                    if let (Some(e), Some(d)) = (event, data)
                        && e == name
                    {
                        return serde_json::from_str(d).unwrap();
                    }
                }
                let chunk = self.body.next().await.expect("the stream goes on").unwrap();
                self.buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no `{name}` event within 5 s"))
    }
}

async fn widget_events(app: &TestApp, c: &Customer, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/chat/sessions/{}/events", c.id)))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_widget_stream_is_only_for_the_sessions_own_token() {
    let app = demo_app().await;
    let c = Customer::open(&app).await;
    let other = Customer::open(&app).await;
    let r = widget_events(&app, &c, &other.token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .get(app.url(&format!("/api/v1/chat/sessions/{}/events", c.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_widget_stream_tells_of_a_takeover_each_staff_message_and_the_hand_back() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = Customer::open(&app).await;
    c.say(&app, json!({"text": "A-100234 33100"})).await;
    let mut events = Events::of(widget_events(&app, &c, &c.token).await);
    let first = events.next("state").await;
    assert_eq!(
        first,
        json!({"seq": 3, "taken_over": false, "handoff": false}),
        "greeting, message, reply"
    );

    let conv = format!("/console/conversations/{}", c.id);
    let r = staff.post(&app, &format!("{conv}/take-over"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        events.next("state").await,
        json!({"seq": 3, "taken_over": true, "handoff": false})
    );
    let r = staff
        .post(&app, &format!("{conv}/reply"), &[("text", "Hier ist Ida.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = events.next("state").await;
    assert_eq!(s["seq"], 4, "{s}");
    // What the widget then reads after its cursor: the staff message.
    let t: Value = app
        .client
        .get(app.url(&format!("/api/v1/chat/sessions/{}/messages?after=3", c.id)))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["messages"][0]["role"], "staff");
    assert_eq!(t["messages"][0]["text"], "Hier ist Ida.");

    let r = staff.post(&app, &format!("{conv}/hand-back"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        events.next("state").await,
        json!({"seq": 4, "taken_over": false, "handoff": false})
    );
}

#[tokio::test]
async fn a_conversation_has_one_open_handoff_case_whatever_the_claim() {
    use verity::store::cases::{NewCase, insert_case};
    use verity::truth::Remedy;
    let app = spawn_app().await;
    let case = |id: &'static str, claim: &'static str| NewCase {
        id,
        remedy: Remedy::Handoff,
        customer_id: None,
        order_number: None,
        tracking_number: None,
        conversation_id: Some("conv-h"),
        contradiction_code: None,
        claim_key: claim,
        details: json!({}),
        due_ms: None,
    };
    let mut tx = app.store.begin().await.unwrap();
    let (first, created) = insert_case(tx.conn(), &case("case-1", "handoff:conv-h"), 1)
        .await
        .unwrap();
    assert!(created);
    // Asked again through the remedy buttons of an order: the same case answers.
    let (second, created) = insert_case(tx.conn(), &case("case-2", "handoff:A-1:-"), 2)
        .await
        .unwrap();
    assert_eq!((second.as_str(), created), (first.as_str(), false));
    tx.commit().await.unwrap();
    let mut conn = app.store.read().await.unwrap();
    let cases = verity::store::console::list_cases_for_conversation(&mut conn, "conv-h")
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
}

/// The console's event stream, with the conversation `id` open on the page.
pub(crate) async fn console_events(
    app: &TestApp,
    staff: &crate::console::Staff,
    id: &str,
) -> Events {
    let r = staff
        .client
        .get(app.url(&format!("/console/events?conversation={id}")))
        .header("cookie", &staff.cookie)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    Events::of(r)
}

impl Events {
    /// The next `pulse` whose open conversation has reached message `seq`.
    async fn pulse_at(&mut self, seq: i64) -> Value {
        loop {
            let p = self.next("pulse").await;
            if p["conversation"]["seq"].as_i64().unwrap_or(0) >= seq {
                return p;
            }
        }
    }
}

#[tokio::test]
async fn whatsapp_and_messenger_messages_reach_the_console_live_not_by_a_poll() {
    use crate::webhooks::{
        STRANGER, channel_config, conversation_of, ms_delivery, ms_event, post_ms, post_wa, settle,
        wa_delivery, wa_text,
    };
    let graph = verity::http::fake_graph::FakeGraph::start().await.unwrap();
    let cfg = channel_config(&graph);
    // The streams look at the store only every ten minutes: what arrives within a test
    // came by the live bus.
    let app = crate::helpers::demo_app_with(move |c| {
        c.channels = cfg;
        c.live_poll = Duration::from_secs(600);
    })
    .await;
    add_staff(&app).await;
    let staff = log_in(&app).await;

    post_wa(
        &app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.l1", "Hallo")]),
    )
    .await;
    settle(&app).await;
    let wa = conversation_of(&app, "whatsapp", STRANGER).await;
    let mut events = console_events(&app, &staff, &wa.id).await;
    let seq = events.next("pulse").await["conversation"]["seq"]
        .as_i64()
        .unwrap();
    // The customer writes again: their message and the bot's reply, live.
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.l2", "Wo ist mein Paket?")]),
    )
    .await;
    events.pulse_at(seq + 2).await;

    // Taken over: the bot is silent, the customer's message alone arrives live.
    let r = staff
        .post(
            &app,
            &format!("/console/conversations/{}/take-over", wa.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    post_wa(
        &app,
        &wa_delivery(vec![wa_text(STRANGER, "wamid.l3", "Hallo? Ist da jemand?")]),
    )
    .await;
    let p = events.pulse_at(seq + 3).await;
    assert_eq!(p["conversation"]["taken_over"], true, "{p}");

    // Messenger: a new conversation, its greeting and answer live on its page.
    let psid = "7009990042";
    post_ms(
        &app,
        &ms_delivery(vec![ms_event(
            psid,
            "message",
            json!({"mid": "m_l1", "text": "Hallo"}),
        )]),
    )
    .await;
    settle(&app).await;
    let ms = conversation_of(&app, "messenger", psid).await;
    let mut events = console_events(&app, &staff, &ms.id).await;
    let seq = events.next("pulse").await["conversation"]["seq"]
        .as_i64()
        .unwrap();
    post_ms(
        &app,
        &ms_delivery(vec![ms_event(
            psid,
            "message",
            json!({"mid": "m_l2", "text": "Wo ist mein Paket?"}),
        )]),
    )
    .await;
    events.pulse_at(seq + 2).await;
}
