//! The status API for portals and hotlines: the same view and summary as the bot.

use serde_json::Value;

use crate::helpers::{API_TOKEN, TestApp, demo_app, spawn_app_with};
use verity::store::cases::{NewCase, insert_case};
use verity::truth::Remedy;

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn codes(contradictions: &Value) -> Vec<String> {
    contradictions
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_three_truths_shipment_shows_both_facts_in_german_and_english() {
    let app = demo_app().await;
    let (status, body) = get(&app, "/api/v1/shipments/00340434161234567890").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["locale"], "de", "the customer's language by default");
    let found = codes(&body["shipment"]["contradictions"]);
    assert!(
        found.contains(&"delivered_but_driver_reports_failure".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"delivery_location_mismatch".to_string()),
        "{found:?}"
    );
    assert_eq!(body["shipment"]["in_dispute"], true);
    let s = body["summary"].as_str().unwrap();
    assert!(
        s.contains("06:48") && s.contains("Empfänger nicht angetroffen"),
        "{s}"
    );
    assert!(s.contains("widersprechen sich"), "{s}");
    assert!(!s.contains("🎉"));

    let (_, en) = get(&app, "/api/v1/shipments/00340434161234567890?locale=en").await;
    assert_eq!(en["locale"], "en");
    let s = en["summary"].as_str().unwrap();
    assert!(s.contains("06:48") && s.contains("disagree"), "{s}");
    // The view is the same whatever the language.
    assert_eq!(en["shipment"], body["shipment"]);

    let r = app
        .client
        .get(app.url("/api/v1/shipments/00340434161234567890"))
        .bearer_auth(API_TOKEN)
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["locale"], "en");
}

#[tokio::test]
async fn the_wrong_item_order_shows_every_contradiction_of_its_story() {
    let app = demo_app().await;
    let (status, body) = get(&app, "/api/v1/orders/A-100250?locale=en").await;
    assert_eq!(status, 200, "{body}");
    let mut found = codes(&body["order"]["contradictions"]);
    for s in body["order"]["shipments"].as_array().unwrap() {
        found.extend(codes(&s["contradictions"]));
    }
    for code in [
        "promise_overdue",
        "shipped_after_cancellation",
        "refunded_and_delivered",
        "customer_told_otherwise",
    ] {
        assert!(
            found.iter().any(|c| c == code),
            "{code} missing in {found:?}"
        );
    }
    let s = body["summary"].as_str().unwrap();
    assert!(s.contains("return label"), "{s}");
}

#[tokio::test]
async fn a_consistent_delivery_has_no_contradiction_and_states_its_status() {
    let app = demo_app().await;
    let (status, body) = get(&app, "/api/v1/orders/A-100261").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["locale"], "en", "the customer's language");
    assert_eq!(body["order"]["in_dispute"], false);
    assert!(codes(&body["order"]["contradictions"]).is_empty());
    for s in body["order"]["shipments"].as_array().unwrap() {
        assert!(codes(&s["contradictions"]).is_empty(), "{s}");
    }
}

#[tokio::test]
async fn remedies_already_requested_are_no_longer_offered() {
    let app = demo_app().await;
    let path = "/api/v1/shipments/00340434161234567890";
    let (_, before) = get(&app, path).await;
    let remedies = &before["shipment"]["contradictions"][0]["remedies"];
    assert!(
        remedies
            .as_array()
            .unwrap()
            .contains(&Value::from("callback")),
        "{remedies}"
    );
    let mut tx = app.store.begin().await.unwrap();
    let (_, created) = insert_case(
        tx.conn(),
        &NewCase {
            id: "case-1",
            remedy: Remedy::Callback,
            customer_id: None,
            order_number: Some("A-100234"),
            tracking_number: Some("00340434161234567890"),
            conversation_id: None,
            contradiction_code: Some("delivered_but_driver_reports_failure"),
            claim_key: "callback:A-100234",
            details: serde_json::json!({}),
            due_ms: None,
        },
        0,
    )
    .await
    .unwrap();
    assert!(created);
    tx.commit().await.unwrap();
    let (_, after) = get(&app, path).await;
    let remedies = &after["shipment"]["contradictions"][0]["remedies"];
    assert!(
        !remedies
            .as_array()
            .unwrap()
            .contains(&Value::from("callback")),
        "{remedies}"
    );
}

#[tokio::test]
async fn the_same_claim_creates_one_case() {
    let app = demo_app().await;
    let case = |id: &'static str| NewCase {
        id,
        remedy: Remedy::Replacement,
        customer_id: None,
        order_number: Some("A-100250"),
        tracking_number: None,
        conversation_id: None,
        contradiction_code: None,
        claim_key: "replacement:A-100250",
        details: serde_json::json!({}),
        due_ms: None,
    };
    let mut tx = app.store.begin().await.unwrap();
    let first = insert_case(tx.conn(), &case("case-a"), 0).await.unwrap();
    let second = insert_case(tx.conn(), &case("case-b"), 0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first, ("case-a".to_string(), true));
    assert_eq!(second, ("case-a".to_string(), false));
}

#[tokio::test]
async fn unknown_and_malformed_numbers_get_404_and_400() {
    let app = demo_app().await;
    let (status, body) = get(&app, "/api/v1/shipments/00340434160000000000").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = get(&app, "/api/v1/orders/A-999999").await;
    assert_eq!(status, 404);
    let (status, body) = get(&app, "/api/v1/shipments/12").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&app, "/api/v1/orders/A-100250?locale=fr").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_status_api_requires_its_token() {
    let app = demo_app().await;
    let url = app.url("/api/v1/orders/A-100250");
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .bearer_auth(crate::helpers::INGEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the ingest token is not a status token");
    let off = spawn_app_with(|c| c.api_token = None).await;
    let r = off
        .client
        .get(off.url("/api/v1/orders/A-100250"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_long_timeline_is_bounded_to_its_newest_entries_and_keeps_the_evidence() {
    let app = demo_app().await;
    let t = "00340434161234567890";
    let start = crate::helpers::demo_now() - chrono::Duration::days(4);
    let scans: Vec<Value> = (0..1500)
        .map(|i| {
            serde_json::json!({"type": "tracking_scan", "id": format!("bulk-{i}"), "tracking_number": t,
                "occurred_at": (start + chrono::Duration::seconds(i)).to_rfc3339(),
                "status": "in_transit", "location": "Hub", "carrier_code": "IT"})
        })
        .collect();
    let report = app.ingest_ok(crate::helpers::ndjson(&scans)).await;
    assert_eq!(report["accepted"], 1500, "{report}");

    let (status, body) = get(&app, &format!("/api/v1/shipments/{t}")).await;
    assert_eq!(status, 200, "{body}");
    let timeline = body["shipment"]["timeline"].as_array().unwrap();
    let omitted = body["timeline_omitted"].as_u64().unwrap() as usize;
    assert!(timeline.len() <= 200 + 8, "{}", timeline.len());
    assert!(omitted >= 1300, "{omitted}");
    let ids: Vec<&str> = timeline
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    // The newest bulk scan stays, the oldest is left out.
    assert!(
        ids.contains(&"bulk-1499") && !ids.contains(&"bulk-0"),
        "{ids:?}"
    );
    // Every piece of evidence of an open contradiction stays, whatever its age.
    for c in body["shipment"]["contradictions"].as_array().unwrap() {
        for e in c["evidence"].as_array().unwrap() {
            assert!(ids.contains(&e.as_str().unwrap()), "{e} missing");
        }
    }
    // The same view with a smaller bound, and over the order.
    let (_, small) = get(&app, &format!("/api/v1/shipments/{t}?timeline_limit=10")).await;
    assert!(small["shipment"]["timeline"].as_array().unwrap().len() <= 10 + 8);
    let (_, order) = get(&app, "/api/v1/orders/A-100234").await;
    assert!(
        order["timeline_omitted"].as_u64().unwrap() >= 1300,
        "{}",
        order["timeline_omitted"]
    );
    // A bound outside 1..=1000 is refused with the parameter named.
    for bad in ["0", "1001", "many"] {
        let (status, body) =
            get(&app, &format!("/api/v1/shipments/{t}?timeline_limit={bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("timeline_limit"),
            "{body}"
        );
    }
}
