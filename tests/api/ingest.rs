//! The ingestion API: the format of docs/ingestion.md, idempotency, conflicts, out-of-order
//! events, per-item rejection, authentication and the size limit.

use serde_json::{Value, json};

use crate::helpers::{INGEST_TOKEN, ndjson, spawn_app, spawn_app_with};
use verity::domain::{Item, OrderNumber, TrackingNumber};
use verity::store::{events, records};

pub(crate) const T: &str = "00340434161234567890";

pub(crate) fn customer() -> Value {
    json!({"type":"customer","id":"C-1001","name":"Jana Beispiel","email":"jana@example.org","phone":"+4915112345678","locale":"de","salutation":"ms"})
}
pub(crate) fn order() -> Value {
    json!({"type":"order","number":"A-100234","customer_id":"C-1001","placed_at":"2025-09-08T10:12:00+02:00",
        "currency":"EUR","total":"89.90",
        "shipping_address":{"name":"Muster GmbH","street":"Beispielweg 7","postcode":"33100","city":"Paderborn","country":"DE"},
        "lines":[{"sku":"SHIRT-M","name":"T-Shirt M","qty":3,"unit_price":"19.90"}]})
}
pub(crate) fn shipment() -> Value {
    json!({"type":"shipment","tracking_number":T,"carrier":"dhl","order_number":"A-100234","kind":"original","skus":["SHIRT-M"]})
}
pub(crate) fn scan() -> Value {
    json!({"type":"tracking_scan","id":"dhl-88121","tracking_number":T,
        "occurred_at":"2025-09-11T06:48:00+02:00","status":"delivered",
        "location":"Ffeld","postcode":"33154","lat":51.67,"lon":8.62,
        "carrier_code":"ZU","description":"Die Sendung wurde zugestellt."})
}
fn driver() -> Value {
    json!({"type":"driver_report","id":"drv-5531","tracking_number":T,
        "occurred_at":"2025-09-11T06:51:00+02:00","outcome":"recipient_absent",
        "notice_card_left":true,"next_attempt_on":"2025-09-12",
        "note":"Empfänger nicht angetroffen","lat":51.72,"lon":8.75})
}
fn order_event() -> Value {
    json!({"type":"order_event","id":"oms-7781","order_number":"A-100234",
        "occurred_at":"2025-09-12T09:00:00+02:00","event":"refund_issued",
        "details":{"amount":"19.90","skus":["SHIRT-M"]}})
}
fn notification() -> Value {
    json!({"type":"notification_sent","id":"mail-311","order_number":"A-100234","tracking_number":T,
        "occurred_at":"2025-09-11T06:55:00+02:00","channel":"email","claim":"delivered"})
}
fn customer_report() -> Value {
    json!({"type":"customer_report","id":"cr-1","order_number":"A-100234","tracking_number":T,
        "occurred_at":"2025-09-11T09:30:00+02:00","claim":"not_received","channel":"web"})
}

fn all_items() -> Vec<Value> {
    vec![
        customer(),
        order(),
        shipment(),
        scan(),
        driver(),
        order_event(),
        notification(),
        customer_report(),
    ]
}

fn statuses(report: &Value) -> Vec<String> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect()
}

fn parsed(v: &Value) -> Item {
    Item::parse(v).unwrap()
}

#[tokio::test]
async fn every_item_type_round_trips_through_the_store() {
    let app = spawn_app().await;
    let report = app.ingest_ok(ndjson(&all_items())).await;
    assert_eq!(report["accepted"], 8, "{report}");
    assert_eq!(report["rejected"], 0);

    let mut conn = app.store.read().await.unwrap();
    let Item::Customer(c) = parsed(&customer()) else {
        panic!()
    };
    assert_eq!(
        records::get_customer(&mut conn, &c.id).await.unwrap(),
        Some(c.clone())
    );
    let Item::Order(o) = parsed(&order()) else {
        panic!()
    };
    assert_eq!(
        records::get_order(&mut conn, &o.number).await.unwrap(),
        Some(o.clone())
    );
    assert_eq!(
        records::get_order_with_locale(&mut conn, &o.number)
            .await
            .unwrap(),
        Some((o.clone(), Some(c.locale))),
        "the lines and the customer's locale in one query"
    );
    let Item::Shipment(s) = parsed(&shipment()) else {
        panic!()
    };
    let t = TrackingNumber::parse(T).unwrap();
    assert_eq!(
        records::list_shipments_sharing_order(&mut conn, &t)
            .await
            .unwrap(),
        vec![s.clone()]
    );
    assert_eq!(records::get_shipment(&mut conn, &t).await.unwrap(), Some(s));
    let unknown = TrackingNumber::parse("00340434169999999999").unwrap();
    assert!(
        records::list_shipments_sharing_order(&mut conn, &unknown)
            .await
            .unwrap()
            .is_empty()
    );

    let stored = events::events_for_order(&mut conn, &o.number, std::slice::from_ref(&t))
        .await
        .unwrap();
    let want: Vec<Item> = all_items()[3..].iter().map(parsed).collect();
    assert_eq!(stored.len(), want.len());
    for w in want {
        let Item::Event(w) = w else { panic!() };
        assert!(stored.contains(&w), "missing {:?}", w.id);
    }
    // Read back in the order they happened.
    let times: Vec<i64> = stored.iter().map(|e| e.occurred_at_ms()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test]
async fn a_json_array_is_accepted_like_ndjson() {
    let app = spawn_app().await;
    let body = serde_json::to_string(&all_items()).unwrap();
    let report = app.ingest_ok(body).await;
    assert_eq!(report["accepted"], 8, "{report}");
    assert!(report["items"][0].get("line").is_none());
}

#[tokio::test]
async fn a_duplicate_event_id_is_reported_not_stored_twice() {
    let app = spawn_app().await;
    app.ingest_ok(ndjson(&all_items())).await;
    let again = app.ingest_ok(ndjson(&all_items())).await;
    // Records are upserts (accepted again); events are duplicates.
    assert_eq!(again["accepted"], 3, "{again}");
    assert_eq!(again["duplicates"], 5);
    // The same id twice within one batch is a duplicate too.
    let twice = app.ingest_ok(ndjson(&[scan(), scan()])).await;
    assert_eq!(statuses(&twice), ["duplicate", "duplicate"]);
    let mut conn = app.store.read().await.unwrap();
    let counts = records::count_records(&mut conn).await.unwrap();
    assert_eq!(counts.events, 5);
}

#[tokio::test]
async fn the_same_id_with_other_content_is_a_conflict_and_the_first_is_kept() {
    let app = spawn_app().await;
    app.ingest_ok(ndjson(&[shipment(), scan()])).await;
    let mut changed = scan();
    changed["status"] = json!("in_transit");
    let mut new_in_batch = driver();
    let mut new_in_batch_changed = driver();
    new_in_batch_changed["outcome"] = json!("refused");
    new_in_batch["id"] = json!("drv-new");
    new_in_batch_changed["id"] = json!("drv-new");
    let report = app
        .ingest_ok(ndjson(&[changed, new_in_batch, new_in_batch_changed]))
        .await;
    assert_eq!(
        statuses(&report),
        ["conflict", "accepted", "conflict"],
        "{report}"
    );
    assert_eq!(report["conflicts"], 2);
    assert!(
        report["items"][0]["note"]
            .as_str()
            .unwrap()
            .contains("first version is kept")
    );
    let mut conn = app.store.read().await.unwrap();
    let stored = events::events_for_shipment(&mut conn, &TrackingNumber::parse(T).unwrap())
        .await
        .unwrap();
    let Item::Event(first) = parsed(&scan()) else {
        panic!()
    };
    assert!(stored.contains(&first));
    assert_eq!(stored.len(), 2);
}

#[tokio::test]
async fn events_for_an_unknown_shipment_are_kept_and_linked_when_it_arrives() {
    let app = spawn_app().await;
    // Newest first, and before the shipment exists.
    let report = app.ingest_ok(ndjson(&[driver(), scan()])).await;
    assert_eq!(report["accepted"], 2);
    let note = report["items"][0]["note"].as_str().unwrap();
    assert!(note.contains("not known yet"), "{note}");
    let report = app.ingest_ok(ndjson(&[shipment()])).await;
    assert!(
        report["items"][0]["note"]
            .as_str()
            .unwrap()
            .contains("order A-100234 not known yet")
    );
    let mut conn = app.store.read().await.unwrap();
    let t = TrackingNumber::parse(T).unwrap();
    let stored = events::events_for_shipment(&mut conn, &t).await.unwrap();
    let ids: Vec<&str> = stored.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        ["dhl-88121", "drv-5531"],
        "ordered by when they happened"
    );
    let shipments =
        records::list_shipments_for_order(&mut conn, &OrderNumber::parse("A-100234").unwrap())
            .await
            .unwrap();
    assert_eq!(shipments.len(), 1);
    assert_eq!(
        records::list_shipments_sharing_order(&mut conn, &t)
            .await
            .unwrap(),
        shipments,
        "found by its tracking number though its order is unknown"
    );
    assert_eq!(
        records::get_order_with_locale(&mut conn, &OrderNumber::parse("A-100234").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn each_item_is_accepted_or_rejected_on_its_own_with_the_field_and_reason() {
    let app = spawn_app().await;
    let mut bad_time = scan();
    bad_time["id"] = json!("s-bad-time");
    bad_time["occurred_at"] = json!("11.09.2025");
    let mut bad_status = scan();
    bad_status["id"] = json!("s-bad-status");
    bad_status["status"] = json!("lost");
    let mut bad_outcome = driver();
    bad_outcome["outcome"] = json!("vanished");
    let mut body = ndjson(&[customer(), bad_time, bad_status, scan(), bad_outcome]);
    body.push_str("{\"type\": \"tracking_scan\", oops}\n");
    body.push_str(&ndjson(&[json!({"type":"pallet","id":"p"}), driver()]));
    let report = app.ingest_ok(body).await;
    assert_eq!(
        statuses(&report),
        [
            "accepted", "rejected", "rejected", "accepted", "rejected", "rejected", "rejected",
            "accepted"
        ],
        "{report}"
    );
    let items = report["items"].as_array().unwrap();
    assert_eq!(
        items[1]["error"],
        "occurred_at: expected RFC 3339 with offset, got '11.09.2025'"
    );
    assert_eq!(items[1]["line"], 2);
    let e = items[2]["error"].as_str().unwrap();
    assert!(
        e.starts_with("status: unknown value 'lost'; allowed: info_received,"),
        "{e}"
    );
    assert!(e.contains("returned_to_sender"));
    let e = items[4]["error"].as_str().unwrap();
    assert!(
        e.starts_with("outcome: unknown value 'vanished'; allowed: delivered_to_recipient"),
        "{e}"
    );
    let e = items[5]["error"].as_str().unwrap();
    assert!(e.starts_with("invalid JSON at column 27"), "{e}");
    assert!(
        items[6]["error"]
            .as_str()
            .unwrap()
            .starts_with("type: unknown value 'pallet'")
    );
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(records::count_records(&mut conn).await.unwrap().events, 2);
}

#[tokio::test]
async fn unparseable_json_gets_400_with_line_and_column() {
    let app = spawn_app().await;
    let resp = app
        .ingest("[\n  {\"type\": \"customer\",\n   \"id\": }\n]")
        .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("invalid JSON at line 3, column"), "{msg}");
    let resp = app.ingest("   ").await;
    assert_eq!(resp.status(), 400);
    let resp = app.ingest(vec![0xff_u8, 0xfe, b'{']).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn ingestion_requires_the_bearer_token() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/ingest");
    let body = ndjson(&[customer()]);
    let resp = app
        .client
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let resp = app
        .client
        .post(&url)
        .bearer_auth("wrong")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = app
        .client
        .post(&url)
        .bearer_auth(INGEST_TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(
        records::count_records(&mut conn).await.unwrap().customers,
        1
    );
}

#[tokio::test]
async fn without_a_configured_token_ingestion_says_how_to_set_one() {
    let app = spawn_app_with(|c| c.ingest_token = None).await;
    let resp = app.ingest(ndjson(&[customer()])).await;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("VERITY_INGEST_TOKEN")
    );
}

#[tokio::test]
async fn an_oversized_body_gets_413_with_the_limit() {
    let app = spawn_app_with(|c| c.ingest_max_bytes = 1024).await;
    let items: Vec<Value> = (0..50)
        .map(|i| {
            let mut s = scan();
            s["id"] = json!(format!("s-{i}"));
            s
        })
        .collect();
    let resp = app.ingest(ndjson(&items)).await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1024 bytes"),
        "{body}"
    );
    // A streamed body without Content-Length is cut at the limit as well.
    let stream = futures_stream(ndjson(&items).into_bytes());
    let resp = app
        .client
        .post(app.url("/api/v1/ingest"))
        .bearer_auth(INGEST_TOKEN)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(records::count_records(&mut conn).await.unwrap().events, 0);
}

fn futures_stream(
    bytes: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(256).map(|c| Ok(c.to_vec())).collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn concurrent_ingests_of_the_same_events_store_each_once() {
    let app = spawn_app().await;
    let items: Vec<Value> = (0..500)
        .map(|i| {
            let mut s = scan();
            s["id"] = json!(format!("race-{i}"));
            s
        })
        .collect();
    let body = ndjson(&items);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, url, body) = (app.client.clone(), app.url("/api/v1/ingest"), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(INGEST_TOKEN)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut accepted = 0;
    let mut duplicates = 0;
    for t in tasks {
        let report = t.await.unwrap();
        assert_eq!(report["conflicts"], 0, "{report}");
        accepted += report["accepted"].as_u64().unwrap();
        duplicates += report["duplicates"].as_u64().unwrap();
    }
    assert_eq!(accepted + duplicates, 2000);
    assert!(
        accepted >= 500,
        "each event is accepted by at least one ingest"
    );
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(records::count_records(&mut conn).await.unwrap().events, 500);
}
