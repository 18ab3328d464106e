//! Store queries that have no HTTP route yet, on both engines.

use verity::domain::{CustomerId, OrderNumber};
use verity::store::conversations::{self, ConversationRow, MessageRow, Role};
use verity::store::records;

use crate::helpers::{ndjson, spawn_app};

fn conversation(id: &str) -> ConversationRow {
    ConversationRow {
        id: id.to_string(),
        channel: "whatsapp".to_string(),
        external_id: Some("4917000000001".to_string()),
        token_hash: None,
        customer_id: None,
        language: "de".to_string(),
        failed_verifications: 0,
        locked_until_ms: None,
        taken_over_by: None,
        state: "{}".to_string(),
        created_ms: 1,
        last_inbound_ms: None,
        updated_ms: 1,
    }
}

fn message(conv: &str, id: &str, wamid: Option<&str>) -> MessageRow {
    MessageRow {
        id: id.to_string(),
        conversation_id: conv.to_string(),
        seq: 0,
        role: Role::Customer,
        text: "Hallo".to_string(),
        action: None,
        actions: None,
        tool_calls: None,
        grounding: None,
        engine_stats: None,
        channel_message_id: wamid.map(str::to_string),
        author: None,
        created_ms: 2,
    }
}

#[tokio::test]
async fn conversations_keep_their_messages_in_order_and_refuse_redeliveries() {
    let app = spawn_app().await;
    let mut tx = app.store.begin().await.unwrap();
    let mut c = conversation("conv-1");
    conversations::insert_conversation(tx.conn(), &c)
        .await
        .unwrap();
    let mut m1 = message("conv-1", "m1", Some("wamid.1"));
    assert!(
        conversations::append_message(tx.conn(), &mut m1)
            .await
            .unwrap()
    );
    let mut again = message("conv-1", "m1-again", Some("wamid.1"));
    assert!(
        !conversations::append_message(tx.conn(), &mut again)
            .await
            .unwrap()
    );
    let mut m2 = message("conv-1", "m2", None);
    m2.role = Role::Bot;
    assert!(
        conversations::append_message(tx.conn(), &mut m2)
            .await
            .unwrap()
    );
    let mut m3 = message("conv-1", "m3", None);
    assert!(
        conversations::append_message(tx.conn(), &mut m3)
            .await
            .unwrap()
    );
    c.customer_id = Some("C-1".to_string());
    c.failed_verifications = 2;
    c.state = r#"{"focus":"A-1"}"#.to_string();
    conversations::update_conversation(tx.conn(), &c)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut conn = app.store.read().await.unwrap();
    let msgs = conversations::list_messages(&mut conn, "conv-1", 0)
        .await
        .unwrap();
    let seqs: Vec<(i64, &str)> = msgs.iter().map(|m| (m.seq, m.id.as_str())).collect();
    assert_eq!(seqs, [(1, "m1"), (2, "m2"), (3, "m3")]);
    assert_eq!(msgs[1].role, Role::Bot);
    let later = conversations::list_messages(&mut conn, "conv-1", 2)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    let back = conversations::get_conversation(&mut conn, "conv-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, c);
    let found = conversations::find_conversation_by_sender(&mut conn, "whatsapp", "4917000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "conv-1");
    assert!(
        conversations::get_conversation(&mut conn, "nope")
            .await
            .unwrap()
            .is_none()
    );
}

/// A turn's two writes (on a SQLite file they run on the writer's thread): the inbound
/// message is numbered and stamps the conversation; a redelivery stores nothing; the
/// reply saves the turn's state and leaves the conversation's times as the customer's
/// message set them.
#[tokio::test]
async fn a_turn_records_its_message_once_and_its_reply_after_it() {
    let app = spawn_app().await;
    let mut tx = app.store.begin().await.unwrap();
    conversations::insert_conversation(tx.conn(), &conversation("conv-t"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (conv, first) =
        conversations::record_inbound(&app.store, message("conv-t", "in-1", Some("wamid.7")), 50)
            .await
            .unwrap()
            .expect("stored");
    assert_eq!(
        (first.seq, conv.last_inbound_ms, conv.updated_ms),
        (1, Some(50), 50)
    );
    let again =
        conversations::record_inbound(&app.store, message("conv-t", "in-1b", Some("wamid.7")), 60)
            .await
            .unwrap();
    assert!(again.is_none(), "a redelivery is not stored again");
    let mut turn = conv.clone();
    turn.customer_id = Some("C-1".to_string());
    turn.state = r#"{"focus":"A-1"}"#.to_string();
    turn.updated_ms = 999;
    let mut reply = message("conv-t", "out-1", None);
    reply.role = Role::Bot;
    let reply = conversations::record_reply(&app.store, reply, turn)
        .await
        .unwrap();
    assert_eq!(reply.seq, 2);
    let missing =
        conversations::record_inbound(&app.store, message("nope", "in-x", None), 70).await;
    assert!(missing.is_err(), "no conversation, nothing stored");

    let mut conn = app.store.read().await.unwrap();
    let msgs = conversations::list_messages(&mut conn, "conv-t", 0)
        .await
        .unwrap();
    let ids: Vec<(i64, &str)> = msgs.iter().map(|m| (m.seq, m.id.as_str())).collect();
    assert_eq!(ids, [(1, "in-1"), (2, "out-1")]);
    assert!(
        conversations::list_messages(&mut conn, "nope", 0)
            .await
            .unwrap()
            .is_empty()
    );
    let back = conversations::get_conversation(&mut conn, "conv-t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.customer_id.as_deref(), Some("C-1"));
    assert_eq!(back.state, r#"{"focus":"A-1"}"#);
    assert_eq!((back.last_inbound_ms, back.updated_ms), (Some(50), 50));
}

#[tokio::test]
async fn verification_lookups_answer_only_for_a_matching_pair() {
    let app = spawn_app().await;
    let items = vec![
        serde_json::json!({"type":"customer","id":"C-1","name":"Erika Probe","email":"erika@example.org","phone":"+4917000000001","locale":"de"}),
        serde_json::json!({"type":"customer","id":"C-2","name":"Max Muster","email":"shared@example.org","locale":"de"}),
        serde_json::json!({"type":"customer","id":"C-3","name":"Moritz Muster","email":"shared@example.org","locale":"de"}),
        serde_json::json!({"type":"order","number":"A-9001","customer_id":"C-1","placed_at":"2025-09-08T10:00:00+02:00",
            "total":"59.80","shipping_address":{"name":"Erika Probe","street":"Testweg 1","postcode":"33100","city":"Paderborn"},
            "lines":[{"sku":"JACKET-L","name":"Jacke L","qty":1,"unit_price":"59.80"}]}),
        serde_json::json!({"type":"order","number":"A-9002","customer_id":"C-1","placed_at":"2025-09-09T10:00:00+02:00",
            "total":"10.00","shipping_address":{"name":"Erika Probe","street":"Testweg 1","postcode":"33100","city":"Paderborn"},
            "lines":[{"sku":"CAP","name":"Mütze","qty":1,"unit_price":"10.00"}]}),
    ];
    app.ingest_ok(ndjson(&items)).await;
    let mut conn = app.store.read().await.unwrap();
    let a9001 = OrderNumber::parse("A-9001").unwrap();
    let c1 = CustomerId::parse("C-1").unwrap();
    assert_eq!(
        records::find_order_owner(&mut conn, &a9001, "33100")
            .await
            .unwrap(),
        Some(c1.clone())
    );
    assert_eq!(
        records::find_order_owner(&mut conn, &a9001, "33102")
            .await
            .unwrap(),
        None
    );
    let unknown = OrderNumber::parse("A-1").unwrap();
    assert_eq!(
        records::find_order_owner(&mut conn, &unknown, "33100")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        records::find_customer_by_email(&mut conn, "Erika@Example.org")
            .await
            .unwrap(),
        Some(c1.clone())
    );
    assert_eq!(
        records::find_customer_by_email(&mut conn, "shared@example.org")
            .await
            .unwrap(),
        None,
        "ambiguous"
    );
    assert_eq!(
        records::find_customer_by_phone(&mut conn, "+4917000000001")
            .await
            .unwrap(),
        Some(c1.clone())
    );
    let orders = records::list_order_numbers_for_customer(&mut conn, &c1)
        .await
        .unwrap();
    let orders: Vec<&str> = orders.iter().map(|o| o.as_str()).collect();
    assert_eq!(orders, ["A-9002", "A-9001"]);
}
