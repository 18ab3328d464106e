//! One line of the ingestion format: a record (upsert) or an event (append-only).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::event::Event;
use super::fields::{FieldError, Obj, shown};
use super::record::{Customer, Order, Shipment};

/// An ingested item, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Customer(Customer),
    Order(Order),
    Shipment(Shipment),
    Event(Event),
}

/// Records serialize with their `type` in front, like the ingestion format.
#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

impl Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let kind = self.type_name();
        match self {
            Item::Customer(c) => Tagged { kind, inner: c }.serialize(s),
            Item::Order(o) => Tagged { kind, inner: o }.serialize(s),
            Item::Shipment(x) => Tagged { kind, inner: x }.serialize(s),
            Item::Event(e) => e.serialize(s),
        }
    }
}

/// All `type` values the ingestion API accepts.
pub const ITEM_TYPES: &[&str] = &[
    "customer",
    "order",
    "shipment",
    "tracking_scan",
    "driver_report",
    "order_event",
    "notification_sent",
    "customer_report",
];

impl Item {
    /// Parses one item of the ingestion format.
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        let o = Obj::new(v, "")?;
        let kind = o.opt_str("type")?.ok_or_else(|| {
            FieldError::new(
                "type",
                format!("missing; expected one of {}", ITEM_TYPES.join(", ")),
            )
        })?;
        match kind {
            "customer" => Customer::from_obj(&o).map(Item::Customer),
            "order" => Order::from_obj(&o).map(Item::Order),
            "shipment" => Shipment::from_obj(&o).map(Item::Shipment),
            "tracking_scan" | "driver_report" | "order_event" | "notification_sent"
            | "customer_report" => Event::from_obj(kind, &o).map(Item::Event),
            other => Err(FieldError::new(
                "type",
                format!(
                    "unknown value {}; allowed: {}",
                    shown(other),
                    ITEM_TYPES.join(", ")
                ),
            )),
        }
    }

    /// The ingestion `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Item::Customer(_) => "customer",
            Item::Order(_) => "order",
            Item::Shipment(_) => "shipment",
            Item::Event(e) => e.body.type_name(),
        }
    }

    /// The key a report names the item by: the id, number or tracking number.
    pub fn key(&self) -> &str {
        match self {
            Item::Customer(c) => c.id.as_str(),
            Item::Order(o) => o.number.as_str(),
            Item::Shipment(s) => s.tracking_number.as_str(),
            Item::Event(e) => e.id.as_str(),
        }
    }

    /// One line of NDJSON in the ingestion format.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Event {
    /// The canonical JSON of the event (ingestion format).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A hash of the canonical JSON: the same id with another hash is a conflict.
    pub fn content_hash(canonical_json: &str) -> String {
        let digest = Sha256::digest(canonical_json.as_bytes());
        hex::encode(&digest[..16])
    }
}

impl From<Customer> for Item {
    fn from(c: Customer) -> Self {
        Item::Customer(c)
    }
}
impl From<Order> for Item {
    fn from(o: Order) -> Self {
        Item::Order(o)
    }
}
impl From<Shipment> for Item {
    fn from(s: Shipment) -> Self {
        Item::Shipment(s)
    }
}
impl From<Event> for Item {
    fn from(e: Event) -> Self {
        Item::Event(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The examples of docs/ingestion.md, verbatim.
    fn design_examples() -> Vec<Value> {
        vec![
            json!({"type":"customer","id":"C-1001","name":"Jana Beispiel","email":"jana@example.org","phone":"+4915112345678","locale":"de"}),
            json!({"type":"order","number":"A-100234","customer_id":"C-1001","placed_at":"2025-09-08T10:12:00+02:00",
                "currency":"EUR","total":"89.90",
                "shipping_address":{"name":"Muster GmbH","street":"Beispielweg 7","postcode":"33100","city":"Paderborn","country":"DE"},
                "lines":[{"sku":"SHIRT-M","name":"T-Shirt M","qty":3,"unit_price":"19.90"}]}),
            json!({"type":"shipment","tracking_number":"00340434161234567890","carrier":"dhl","order_number":"A-100234",
                "kind":"original","skus":["SHIRT-M"]}),
            json!({"type":"tracking_scan","id":"dhl-88121","tracking_number":"00340434161234567890",
                "occurred_at":"2025-09-11T06:48:00+02:00","status":"delivered",
                "location":"Ffeld","postcode":"33154","lat":51.67,"lon":8.62,
                "carrier_code":"ZU","description":"Die Sendung wurde zugestellt."}),
            json!({"type":"driver_report","id":"drv-5531","tracking_number":"00340434161234567890",
                "occurred_at":"2025-09-11T06:51:00+02:00","outcome":"recipient_absent",
                "notice_card_left":true,"next_attempt_on":"2025-09-12",
                "note":"Empfänger nicht angetroffen","lat":51.72,"lon":8.75}),
            json!({"type":"order_event","id":"oms-7781","order_number":"A-100250",
                "occurred_at":"2025-10-17T09:00:00+02:00","event":"replacement_cancelled",
                "details":{"tracking_number":"00340434169999999999"}}),
            json!({"type":"notification_sent","id":"mail-311","order_number":"A-100250",
                "occurred_at":"2025-10-17T09:05:00+02:00","channel":"email","claim":"replacement_cancelled"}),
            json!({"type":"order_event","id":"oms-1","order_number":"A-1","occurred_at":"2025-10-17T09:00:00+02:00","event":"cancelled"}),
            json!({"type":"order_event","id":"oms-2","order_number":"A-1","occurred_at":"2025-10-17T09:00:00+02:00",
                "event":"refund_issued","details":{"amount":"19.90","skus":["SHIRT-M"]}}),
            json!({"type":"customer_report","id":"cr-1","order_number":"A-1","occurred_at":"2025-10-17T09:00:00+02:00","claim":"not_received","channel":"web"}),
        ]
    }

    #[test]
    fn every_design_example_parses_and_serializes_back_to_itself() {
        for v in design_examples() {
            let item = Item::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"));
            let back: Value = serde_json::from_str(&item.to_json_line()).unwrap();
            assert_eq!(back, v, "round trip of {}", item.type_name());
            assert_eq!(Item::parse(&back).unwrap(), item);
        }
    }

    #[test]
    fn rejections_name_the_field_and_the_allowed_values() {
        let cases = [
            (json!({"id":"x"}), "type: missing; expected one of customer"),
            (
                json!({"type":"parcel"}),
                "type: unknown value 'parcel'; allowed: customer",
            ),
            (
                json!({"type":"tracking_scan","id":"s","tracking_number":"00340434161234567890","occurred_at":"11.09.2025","status":"delivered"}),
                "occurred_at: expected RFC 3339 with offset, got '11.09.2025'",
            ),
            (
                json!({"type":"tracking_scan","id":"s","tracking_number":"00340434161234567890","occurred_at":"2025-09-11T06:48:00+02:00","status":"lost"}),
                "status: unknown value 'lost'; allowed: info_received, in_transit, out_for_delivery, attempt_failed, delivered, available_for_pickup, exception, returned_to_sender",
            ),
            (
                json!({"type":"driver_report","id":"d","tracking_number":"00340434161234567890","occurred_at":"2025-09-11T06:48:00+02:00","outcome":"gone"}),
                "outcome: unknown value 'gone'; allowed: delivered_to_recipient",
            ),
            (
                json!({"type":"order_event","id":"o","order_number":"A-1","occurred_at":"2025-09-11T06:48:00+02:00","event":"refund_issued","details":{"amount":"19,90"}}),
                "details.amount: expected an amount like",
            ),
            (
                json!({"type":"customer","id":"C-1","name":"X","locale":"fr"}),
                "locale: unsupported locale 'fr'",
            ),
        ];
        for (v, want) in cases {
            let e = Item::parse(&v).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}\n  does not start with\n{want}");
        }
    }

    #[test]
    fn the_same_content_gives_the_same_hash() {
        let v = &design_examples()[3];
        let Item::Event(a) = Item::parse(v).unwrap() else {
            panic!()
        };
        let mut v2 = v.clone();
        v2["description"] = json!("Zugestellt.");
        let Item::Event(b) = Item::parse(&v2).unwrap() else {
            panic!()
        };
        let (ha, hb) = (
            Event::content_hash(&a.canonical_json()),
            Event::content_hash(&b.canonical_json()),
        );
        assert_eq!(ha, Event::content_hash(&a.canonical_json()));
        assert_ne!(ha, hb);
    }
}
