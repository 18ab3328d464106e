//! Reconciling one shipment with 20 events (the "three truths" story with a transit
//! history, a failed attempt, order events, a notification and a customer report).
//! Run: `cargo bench --bench reconcile`. Goal: median under 20 µs.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use verity::domain::{Event, Item, Order, Shipment};
use verity::truth::{Policy, reconcile_shipment};

const TN: &str = "00340434161234567890";

fn parse(v: Value) -> Item {
    Item::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn event(v: Value) -> Event {
    match parse(v) {
        Item::Event(e) => e,
        _ => panic!("not an event"),
    }
}

fn scan(id: &str, at: &str, status: &str, extra: Value) -> Event {
    let mut v = json!({"type":"tracking_scan","id":id,"tracking_number":TN,"occurred_at":at,"status":status});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    event(v)
}

fn fixture() -> (Shipment, Order, Vec<Event>) {
    let Item::Order(order) = parse(
        json!({"type":"order","number":"A-100234","customer_id":"C-1001",
        "placed_at":"2025-09-08T10:12:00+02:00","currency":"EUR","total":"59.70",
        "shipping_address":{"name":"Muster GmbH","street":"Beispielweg 7","postcode":"33100","city":"Paderborn","country":"DE"},
        "lines":[{"sku":"SHIRT-M","name":"T-Shirt M","qty":3,"unit_price":"19.90"}]}),
    ) else {
        panic!("order")
    };
    let Item::Shipment(shipment) = parse(
        json!({"type":"shipment","tracking_number":TN,"carrier":"dhl",
        "order_number":"A-100234","kind":"original","skus":["SHIRT-M"]}),
    ) else {
        panic!("shipment")
    };
    let mut events = vec![
        scan(
            "s01",
            "2025-09-08T18:00:00+02:00",
            "info_received",
            json!({}),
        ),
        scan(
            "s02",
            "2025-09-08T22:10:00+02:00",
            "in_transit",
            json!({"location":"Paketzentrum Hamburg"}),
        ),
        scan(
            "s03",
            "2025-09-09T03:40:00+02:00",
            "in_transit",
            json!({"location":"Paketzentrum Hannover"}),
        ),
        scan(
            "s04",
            "2025-09-09T09:15:00+02:00",
            "in_transit",
            json!({"location":"Paketzentrum Bielefeld"}),
        ),
        scan(
            "s05",
            "2025-09-09T14:30:00+02:00",
            "in_transit",
            json!({"location":"Zustellbasis Paderborn"}),
        ),
        scan(
            "s06",
            "2025-09-10T05:50:00+02:00",
            "out_for_delivery",
            json!({"location":"Paderborn"}),
        ),
        scan(
            "s07",
            "2025-09-10T10:12:00+02:00",
            "attempt_failed",
            json!({"location":"Paderborn","postcode":"33100"}),
        ),
        event(
            json!({"type":"driver_report","id":"d01","tracking_number":TN,"occurred_at":"2025-09-10T10:13:00+02:00",
            "outcome":"recipient_absent","notice_card_left":true,"next_attempt_on":"2025-09-11","lat":51.7189,"lon":8.7575}),
        ),
        scan(
            "s08",
            "2025-09-10T19:00:00+02:00",
            "in_transit",
            json!({"location":"Zustellbasis Paderborn"}),
        ),
        scan(
            "s09",
            "2025-09-11T05:41:00+02:00",
            "out_for_delivery",
            json!({"location":"Paderborn"}),
        ),
        scan(
            "dhl-88121",
            "2025-09-11T06:48:00+02:00",
            "delivered",
            json!({"location":"Ffeld","postcode":"33154",
            "lat":51.67,"lon":8.62,"carrier_code":"ZU","description":"Die Sendung wurde zugestellt."}),
        ),
        event(
            json!({"type":"driver_report","id":"drv-5531","tracking_number":TN,"occurred_at":"2025-09-11T06:51:00+02:00",
            "outcome":"recipient_absent","notice_card_left":true,"next_attempt_on":"2025-09-12",
            "note":"Empfänger nicht angetroffen","lat":51.72,"lon":8.75}),
        ),
        event(
            json!({"type":"notification_sent","id":"n01","order_number":"A-100234","tracking_number":TN,
            "occurred_at":"2025-09-08T18:05:00+02:00","channel":"email","claim":"replacement_created"}),
        ),
        event(
            json!({"type":"notification_sent","id":"n02","order_number":"A-100234","tracking_number":TN,
            "occurred_at":"2025-09-11T06:50:00+02:00","channel":"sms","claim":"delivered"}),
        ),
        event(
            json!({"type":"customer_report","id":"c01","order_number":"A-100234","tracking_number":TN,
            "occurred_at":"2025-09-11T09:10:00+02:00","claim":"not_received","channel":"web"}),
        ),
        event(
            json!({"type":"order_event","id":"o01","order_number":"A-100234",
            "occurred_at":"2025-09-08T10:15:00+02:00","event":"return_label_promised","details":{"due_by":"2025-09-20"}}),
        ),
        event(
            json!({"type":"order_event","id":"o02","order_number":"A-100234",
            "occurred_at":"2025-09-09T10:00:00+02:00","event":"wrong_item_reported","details":{"skus":["SHIRT-M"]}}),
        ),
        event(
            json!({"type":"order_event","id":"o03","order_number":"A-100234",
            "occurred_at":"2025-09-09T11:00:00+02:00","event":"return_label_issued"}),
        ),
    ];
    // Two repeats, delivered again by an at-least-once feed.
    events.push(events[10].clone());
    events.push(events[11].clone());
    events.reverse();
    assert_eq!(events.len(), 20);
    (shipment, order, events)
}

fn bench(c: &mut Criterion) {
    let (shipment, order, events) = fixture();
    let policy = Policy::default();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2025-09-11T09:30:00+02:00")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default();
    let v = reconcile_shipment(&shipment, Some(&order), &events, now, &policy);
    assert!(v.in_dispute && v.timeline.len() == 18);
    c.bench_function("reconcile_shipment/20_events", |b| {
        b.iter(|| {
            reconcile_shipment(
                black_box(&shipment),
                black_box(Some(&order)),
                black_box(&events),
                black_box(now),
                black_box(&policy),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
