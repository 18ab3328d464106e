//! Tests across the truth module: fixtures in the ingestion format, the table of
//! hand-written histories (one per contradiction code, the two stories of docs/architecture.md,
//! consistent histories), remedy decisions and property tests.

mod design;
mod props;
mod remedies;
mod stories;
mod sweep;
mod views;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::{Event, Item, Order, Shipment};

pub(crate) const TN: &str = "00340434161234567890";
pub(crate) const ORDER: &str = "A-100234";

/// Parses one event in the ingestion format.
pub(crate) fn ev(v: Value) -> Event {
    match Item::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}")) {
        Item::Event(e) => e,
        other => panic!("not an event: {other:?}"),
    }
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// A scan of `TN`.
pub(crate) fn scan(id: &str, at: &str, status: &str, extra: Value) -> Event {
    scan_of(TN, id, at, status, extra)
}

pub(crate) fn scan_of(tn: &str, id: &str, at: &str, status: &str, extra: Value) -> Event {
    ev(merge(
        json!({"type":"tracking_scan","id":id,"tracking_number":tn,"occurred_at":at,"status":status}),
        extra,
    ))
}

/// A driver report on `TN`.
pub(crate) fn driver(id: &str, at: &str, outcome: &str, extra: Value) -> Event {
    ev(merge(
        json!({"type":"driver_report","id":id,"tracking_number":TN,"occurred_at":at,"outcome":outcome}),
        extra,
    ))
}

pub(crate) fn order_event(order: &str, id: &str, at: &str, event: &str, details: Value) -> Event {
    let mut v =
        json!({"type":"order_event","id":id,"order_number":order,"occurred_at":at,"event":event});
    if !details.is_null() {
        v["details"] = details;
    }
    ev(v)
}

pub(crate) fn notification(order: &str, id: &str, at: &str, claim: &str, extra: Value) -> Event {
    ev(merge(
        json!({"type":"notification_sent","id":id,"order_number":order,"occurred_at":at,"channel":"email","claim":claim}),
        extra,
    ))
}

pub(crate) fn customer_report(id: &str, at: &str, claim: &str) -> Event {
    ev(
        json!({"type":"customer_report","id":id,"order_number":ORDER,"tracking_number":TN,"occurred_at":at,"claim":claim,"channel":"web"}),
    )
}

/// An order to Paderborn 33100; `lines` as (sku, unit price).
pub(crate) fn order_with(number: &str, lines: &[(&str, &str)]) -> Order {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, price)| json!({"sku":sku,"name":format!("Artikel {sku}"),"qty":1,"unit_price":price}))
        .collect();
    let v = json!({"type":"order","number":number,"customer_id":"C-1001","placed_at":"2025-09-08T10:12:00+02:00",
        "currency":"EUR","total":"59.70",
        "shipping_address":{"name":"Muster GmbH","street":"Beispielweg 7","postcode":"33100","city":"Paderborn","country":"DE"},
        "lines":lines});
    match Item::parse(&v).unwrap() {
        Item::Order(o) => o,
        _ => unreachable!(),
    }
}

pub(crate) fn order() -> Order {
    order_with(ORDER, &[("SHIRT-M", "19.90"), ("JACKET-L", "39.80")])
}

pub(crate) fn shipment_of(tn: &str, order: &str, kind: &str, skus: &[&str]) -> Shipment {
    let v = json!({"type":"shipment","tracking_number":tn,"carrier":"dhl","order_number":order,"kind":kind,"skus":skus});
    match Item::parse(&v).unwrap() {
        Item::Shipment(s) => s,
        _ => unreachable!(),
    }
}

pub(crate) fn shipment() -> Shipment {
    shipment_of(TN, ORDER, "original", &[])
}

impl crate::truth::Contradiction {
    /// The evidence ids as strings, for assertions.
    pub(crate) fn evidence_strs(&self) -> Vec<&str> {
        self.evidence.iter().map(|e| e.as_str()).collect()
    }
}
