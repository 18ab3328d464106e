//! The assistant's tools against a real store with the demo data: identity, scoping,
//! confirmation before any write, idempotent cases, policy refusals with alternatives.

use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::{TestApp, demo_app};
use verity::assistant::state::ConversationState;
use verity::assistant::tools::{ToolContext, call_tool, registry};
use verity::domain::Locale;
use verity::store::conversations::ConversationRow;
use verity::store::{cases, records};
use verity::truth::Policy;

struct Chat {
    conversation: ConversationRow,
    state: ConversationState,
    now: chrono::DateTime<Utc>,
    policy: Policy,
}

impl Chat {
    fn new(channel: &str) -> Self {
        Chat {
            conversation: ConversationRow {
                id: format!("conv-{}", rand_id()),
                channel: channel.to_string(),
                external_id: (channel != "web").then(|| "4917000000009".to_string()),
                token_hash: None,
                customer_id: None,
                language: "de".to_string(),
                failed_verifications: 0,
                locked_until_ms: None,
                taken_over_by: None,
                state: "{}".to_string(),
                created_ms: 0,
                last_inbound_ms: None,
                updated_ms: 0,
            },
            state: ConversationState::default(),
            now: verity::demo::story_time(verity::demo::DEFAULT_ANCHOR).with_timezone(&Utc),
            policy: Policy::default(),
        }
    }

    async fn call(&mut self, app: &TestApp, name: &str, args: Value) -> Value {
        let mut ctx = ToolContext {
            store: &app.store,
            policy: &self.policy,
            now: self.now,
            conversation: &mut self.conversation,
            state: &mut self.state,
            locale: Locale::De,
            reads: Default::default(),
            client: None,
        };
        call_tool(&mut ctx, name, &args).await.unwrap().result
    }

    async fn verified(app: &TestApp) -> Self {
        let mut chat = Chat::new("web");
        let r = chat
            .call(
                app,
                "verify_customer",
                json!({"order_number": "A-100234", "postcode": "33100"}),
            )
            .await;
        assert_eq!(r["verified"], true, "{r}");
        chat
    }
}

fn rand_id() -> String {
    hex::encode(rand::random::<[u8; 6]>())
}

async fn case_count(app: &TestApp, customer: &str) -> usize {
    let mut conn = app.store.read().await.unwrap();
    cases::list_cases_for_customer(&mut conn, customer)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn every_tool_has_a_schema_and_unknown_tools_are_refused() {
    let app = demo_app().await;
    let names: Vec<&str> = registry().iter().map(|t| t.name).collect();
    assert_eq!(names.len(), 10);
    for t in registry() {
        assert_eq!(t.parameters["type"], "object", "{}", t.name);
    }
    let mut chat = Chat::new("web");
    let r = chat.call(&app, "delete_everything", json!({})).await;
    assert_eq!(r["error"]["code"], "unknown_tool");
}

#[tokio::test]
async fn a_wrong_postcode_and_an_unknown_order_get_the_same_neutral_answer() {
    let app = demo_app().await;
    let mut chat = Chat::new("web");
    let wrong_postcode = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "33102"}),
        )
        .await;
    let unknown_order = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-999999", "postcode": "33100"}),
        )
        .await;
    assert_eq!(wrong_postcode, unknown_order);
    assert_eq!(
        wrong_postcode,
        json!({"verified": false, "reason": "no_match"})
    );
    assert!(chat.conversation.customer_id.is_none());
    // Before verification no order data comes out.
    let r = chat
        .call(&app, "get_order", json!({"order_number": "A-100234"}))
        .await;
    assert_eq!(r["error"]["code"], "not_verified");
}

#[tokio::test]
async fn verification_locks_after_five_failures_for_thirty_minutes() {
    let app = demo_app().await;
    let mut chat = Chat::new("web");
    for _ in 0..4 {
        let r = chat
            .call(
                &app,
                "verify_customer",
                json!({"order_number": "A-100234", "postcode": "00000"}),
            )
            .await;
        assert_eq!(r["reason"], "no_match");
    }
    let r = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "00000"}),
        )
        .await;
    assert_eq!(r["reason"], "locked");
    // The 30 minutes docs/security.md promises, not the implementation's own constant.
    assert_eq!(r["retry_after_minutes"], 30);
    // Even the right answer is refused while locked.
    let r = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "33100"}),
        )
        .await;
    assert_eq!(r["reason"], "locked", "{r}");
    // Still locked just before the 30 minutes are over.
    chat.now += chrono::Duration::minutes(29);
    let r = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "33100"}),
        )
        .await;
    assert_eq!(r["reason"], "locked", "{r}");
    chat.now += chrono::Duration::minutes(2);
    let r = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "33100"}),
        )
        .await;
    assert_eq!(r["verified"], true, "{r}");
}

#[tokio::test]
async fn a_verified_customer_gets_nothing_of_another_customers_order() {
    let app = demo_app().await;
    let mut chat = Chat::verified(&app).await;
    let mine = chat
        .call(&app, "get_order", json!({"order_number": "A-100234"}))
        .await;
    assert_eq!(mine["order"]["order"]["number"], "A-100234");
    let theirs = chat
        .call(&app, "get_order", json!({"order_number": "A-100250"}))
        .await;
    assert_eq!(theirs["error"]["code"], "not_found");
    let text = theirs.to_string();
    assert!(
        !text.contains("33602") && !text.contains("Bielefeld"),
        "{text}"
    );
    let theirs = chat
        .call(
            &app,
            "track_shipment",
            json!({"tracking_number": "00340434169999999999"}),
        )
        .await;
    assert_eq!(theirs["error"]["code"], "not_found");
    let theirs = chat
        .call(
            &app,
            "propose_remedy",
            json!({"remedy": "callback", "order_number": "A-100250"}),
        )
        .await;
    assert_eq!(theirs["error"]["code"], "not_found");
    let theirs = chat
        .call(
            &app,
            "report_problem",
            json!({"claim": "not_received", "order_number": "A-100250"}),
        )
        .await;
    assert_eq!(theirs["error"]["code"], "not_found");
    let orders = chat.call(&app, "list_orders", json!({})).await;
    for o in orders["orders"].as_array().unwrap() {
        assert_ne!(o["order_number"], "A-100250");
    }
}

#[tokio::test]
async fn nothing_is_written_without_a_confirmed_proposal() {
    let app = demo_app().await;
    let mut chat = Chat::verified(&app).await;
    let customer = chat.conversation.customer_id.clone().unwrap();
    let r = chat.call(&app, "confirm_remedy", json!({})).await;
    assert_eq!(r["error"]["code"], "no_pending_proposal");
    let p = chat
        .call(&app, "propose_remedy", json!({"remedy": "callback", "order_number": "A-100234", "tracking_number": "00340434161234567890"}))
        .await;
    assert_eq!(p["allowed"], true, "{p}");
    assert!(!p["slots"].as_array().unwrap().is_empty());
    assert_eq!(
        case_count(&app, &customer).await,
        0,
        "a proposal writes nothing"
    );
    let r = chat
        .call(&app, "confirm_remedy", json!({"proposal_id": "p99"}))
        .await;
    assert_eq!(r["error"]["code"], "unknown_proposal");
    assert_eq!(case_count(&app, &customer).await, 0);
}

#[tokio::test]
async fn the_same_confirmation_twice_creates_one_case() {
    let app = demo_app().await;
    let mut chat = Chat::verified(&app).await;
    let customer = chat.conversation.customer_id.clone().unwrap();
    let p = chat
        .call(&app, "propose_remedy", json!({"remedy": "callback", "order_number": "A-100234", "tracking_number": "00340434161234567890"}))
        .await;
    let id = p["proposal"]["id"].as_str().unwrap().to_string();
    let first = chat
        .call(&app, "confirm_remedy", json!({"proposal_id": id}))
        .await;
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["case"]["kind"], "callback");
    let again = chat
        .call(&app, "confirm_remedy", json!({"proposal_id": id}))
        .await;
    assert_eq!(again["error"]["code"], "no_pending_proposal", "{again}");
    // Asking for the same remedy again: the policy knows the open callback.
    let p2 = chat
        .call(&app, "propose_remedy", json!({"remedy": "callback", "order_number": "A-100234", "tracking_number": "00340434161234567890"}))
        .await;
    assert_eq!(p2["allowed"], false, "{p2}");
    assert_eq!(case_count(&app, &customer).await, 1);
    let listed = chat.call(&app, "list_cases", json!({})).await;
    assert_eq!(listed["cases"][0]["kind"], "callback");
    assert_eq!(
        listed["cases"][0]["contradiction_code"],
        "delivered_but_driver_reports_failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_confirms_of_the_same_remedy_create_exactly_one_case() {
    let app = std::sync::Arc::new(demo_app().await);
    // The same customer in several conversations (the widget in two tabs, WhatsApp),
    // each with the same callback proposed, all confirming at the same moment: the
    // policy's "already requested" check cannot see the others' cases yet, the claim
    // must.
    const CONVERSATIONS: usize = 8;
    let propose = json!({"remedy": "callback", "order_number": "A-100234",
                         "tracking_number": "00340434161234567890"});
    let mut chats = Vec::new();
    for _ in 0..CONVERSATIONS {
        let mut chat = Chat::verified(&app).await;
        let p = chat.call(&app, "propose_remedy", propose.clone()).await;
        assert_eq!(p["allowed"], true, "{p}");
        chats.push((chat, p["proposal"]["id"].clone()));
    }
    let customer = chats[0].0.conversation.customer_id.clone().unwrap();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(CONVERSATIONS));
    let tasks: Vec<_> = chats
        .into_iter()
        .map(|(mut chat, id)| {
            let (app, start) = (app.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                chat.call(&app, "confirm_remedy", json!({"proposal_id": id}))
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(case_count(&app, &customer).await, 1, "{results:?}");
    let created = results.iter().filter(|r| r["created"] == true).count();
    assert_eq!(created, 1, "{results:?}");
    // Every other one is told about that case, or that it was already requested.
    for r in &results {
        assert!(r["case"]["id"].is_string() || r["allowed"] == false, "{r}");
    }
}

#[tokio::test]
async fn a_refused_remedy_comes_with_the_reason_and_the_alternatives() {
    let app = demo_app().await;
    let mut chat = Chat::verified(&app).await;
    // The driver's next attempt is still ahead: no replacement yet.
    let r = chat
        .call(&app, "propose_remedy", json!({"remedy": "replacement", "order_number": "A-100234", "tracking_number": "00340434161234567890"}))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert!(!r["reason"].as_str().unwrap().is_empty());
    let alternatives: Vec<&str> = r["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(alternatives.contains(&"callback"), "{alternatives:?}");
    assert!(chat.state.pending.is_none());
}

#[tokio::test]
async fn a_customer_report_is_recorded_once_and_shows_in_the_truth() {
    let app = demo_app().await;
    let mut chat = Chat::verified(&app).await;
    let args = json!({"claim": "not_received", "tracking_number": "00340434161234567890"});
    let r = chat.call(&app, "report_problem", args.clone()).await;
    assert_eq!(r["recorded"], true, "{r}");
    chat.call(&app, "report_problem", args).await;
    let mut conn = app.store.read().await.unwrap();
    let t = verity::domain::TrackingNumber::parse("00340434161234567890").unwrap();
    let events = verity::store::events::events_for_shipment(&mut conn, &t)
        .await
        .unwrap();
    let reports = events
        .iter()
        .filter(|e| e.body.type_name() == "customer_report")
        .count();
    assert_eq!(reports, 1);
    let timeline = r["view"]["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|e| e["source"] == "customer"),
        "{timeline:?}"
    );
}

#[tokio::test]
async fn handoff_opens_one_case_and_help_answers_general_questions() {
    let app = demo_app().await;
    let mut chat = Chat::new("web");
    let help = chat
        .call(
            &app,
            "search_help",
            json!({"query": "Wie lange dauert die Lieferung?"}),
        )
        .await;
    assert_eq!(help["articles"][0]["id"], "delivery_times");
    let h = chat
        .call(
            &app,
            "handoff_to_human",
            json!({"reason": "customer asked"}),
        )
        .await;
    assert_eq!(h["handoff"], true);
    let again = chat.call(&app, "handoff_to_human", json!({})).await;
    assert_eq!(again["case_id"], h["case_id"]);
    assert_eq!(again["created"], false);
    assert!(chat.state.waiting_for_staff);
}

#[tokio::test]
async fn verifying_on_whatsapp_links_the_sender_to_the_customer() {
    let app = demo_app().await;
    let mut chat = Chat::new("whatsapp");
    let r = chat
        .call(
            &app,
            "verify_customer",
            json!({"order_number": "A-100234", "email": "katrin.olbrich@example.org"}),
        )
        .await;
    assert_eq!(r["verified"], true, "{r}");
    let mut conn = app.store.read().await.unwrap();
    let linked =
        verity::store::conversations::linked_customer(&mut conn, "whatsapp", "4917000000009")
            .await
            .unwrap();
    let owner = records::order_customer(
        &mut conn,
        &verity::domain::OrderNumber::parse("A-100234").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(linked.as_deref(), Some(owner.as_str()));
}
