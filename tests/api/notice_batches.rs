//! Notices decided in batches: a bulk ingestion's after its answer, and what an
//! ingestion marked but never decided (a crash) by the sweep, each story once.

use serde_json::{Value, json};
use verity::clock::Clock;

use crate::helpers::{TestApp, ndjson};
use crate::notices::{DAYTIME, app_with_mail};

/// `n` customers with an email, each with an order and its shipment, all consistent.
fn records(n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            json!({"type":"customer","id":format!("C-B{i}"),"name":"Mara Lindqvist",
            "email":format!("mara{i}@example.org"),"locale":"de"}),
        );
        out.push(json!({"type":"order","number":format!("B-{i}"),"customer_id":format!("C-B{i}"),
            "placed_at":"2026-06-08T09:00:00+02:00","currency":"EUR","total":"19.90",
            "shipping_address":{"name":"Mara Lindqvist","street":"Am Markt 2","postcode":"33602","city":"Bielefeld","country":"DE"},
            "lines":[{"sku":"CUP-1","name":"Tasse","qty":1,"unit_price":"19.90"}]}));
        out.push(
            json!({"type":"shipment","tracking_number":format!("0034{i:016}"),"carrier":"dhl",
            "order_number":format!("B-{i}"),"kind":"original","skus":["CUP-1"]}),
        );
    }
    out
}

/// Delivered at 06:48 by the carrier, nobody home at 06:51 by the driver.
fn contradiction(i: usize) -> Vec<Value> {
    let t = format!("0034{i:016}");
    vec![
        json!({"type":"tracking_scan","id":format!("b-scan-{i}"),"tracking_number":t,
            "occurred_at":"2026-06-10T06:48:00+02:00","status":"delivered","location":"Bielefeld"}),
        json!({"type":"driver_report","id":format!("b-drv-{i}"),"tracking_number":t,
            "occurred_at":"2026-06-10T06:51:00+02:00","outcome":"recipient_absent",
            "notice_card_left":true,"note":"Nobody at home"}),
    ]
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    use sqlx::Row;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn a_bulk_ingestion_answers_first_and_tells_each_new_story_once_after() {
    let (app, _smtp) = app_with_mail(DAYTIME).await;
    // More orders than are decided before the answer.
    let mut items = records(300);
    for i in (0..300).step_by(30) {
        items.extend(contradiction(i));
    }
    let report = app.ingest_ok(ndjson(&items)).await;
    assert_eq!(report["accepted"], items.len());
    let mut notices = 0;
    for _ in 0..200 {
        notices = count(&app, "SELECT COUNT(*) FROM notices").await;
        if notices >= 10 && count(&app, "SELECT COUNT(*) FROM notice_pending").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(notices, 10, "one notice per order with a contradiction");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notice_pending").await, 0);
    // The same stories again: nothing new, and nothing left waiting.
    app.ingest_ok(ndjson(&items)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notices").await, 10);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notice_pending").await, 0);
}

#[tokio::test]
async fn what_an_ingestion_marked_but_never_decided_is_told_by_the_next_sweep() {
    let (app, _smtp) = app_with_mail(DAYTIME).await;
    let mut items = records(2);
    items.extend(contradiction(1));
    // Stored as the API stores it, but the process "crashed" before the notices.
    let inputs = verity::ingest::parse_ndjson(&ndjson(&items));
    let now = chrono::DateTime::parse_from_rfc3339(DAYTIME)
        .unwrap()
        .with_timezone(&chrono::Utc);
    verity::ingest::apply(&app.store, inputs, now.timestamp_millis())
        .await
        .unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notices").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notice_pending").await, 2);
    let restarted = verity::http::App::state(
        app.store.clone(),
        verity::config::Config::default(),
        Clock::Fixed(now),
        verity::truth::Policy::default(),
    );
    assert_eq!(verity::notices::sweep(&restarted).await.unwrap(), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notice_pending").await, 0);
    // The delivered order moves no more; the other has no scan yet and is watched.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_watch WHERE order_number = 'B-1'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_watch WHERE order_number = 'B-0'"
        )
        .await,
        1
    );
    assert_eq!(verity::notices::sweep(&restarted).await.unwrap(), 0);
}
