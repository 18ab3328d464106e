//! The table of hand-written histories: each with exactly the contradiction codes it
//! must yield (none for the consistent ones), at least one story per code.

use serde_json::json;

use super::*;
use crate::truth::{ContradictionCode as Code, Policy, reconcile_shipment};

pub(super) struct Story {
    pub name: &'static str,
    pub now: &'static str,
    pub events: Vec<Event>,
    want: &'static [Code],
}

pub(super) fn codes(v: &crate::truth::ShipmentView) -> Vec<Code> {
    v.contradictions.iter().map(|c| c.code).collect()
}

/// The first story of docs/architecture.md: the scan says delivered in Ffeld, the driver says
/// nobody was home in Paderborn and comes back tomorrow.
pub(super) fn three_truths() -> Vec<Event> {
    vec![
        scan(
            "dhl-88100",
            "2025-09-10T19:02:00+02:00",
            "in_transit",
            json!({"location":"Paketzentrum Bielefeld"}),
        ),
        scan(
            "dhl-88110",
            "2025-09-11T05:41:00+02:00",
            "out_for_delivery",
            json!({"location":"Paderborn"}),
        ),
        scan(
            "dhl-88121",
            "2025-09-11T06:48:00+02:00",
            "delivered",
            json!({
            "location":"Ffeld","postcode":"33154","lat":51.67,"lon":8.62,
            "carrier_code":"ZU","description":"Die Sendung wurde zugestellt."}),
        ),
        driver(
            "drv-5531",
            "2025-09-11T06:51:00+02:00",
            "recipient_absent",
            json!({
            "notice_card_left":true,"next_attempt_on":"2025-09-12",
            "note":"Empfänger nicht angetroffen","lat":51.72,"lon":8.75}),
        ),
    ]
}

pub(super) fn stories() -> Vec<Story> {
    let near = json!({"lat":51.7189,"lon":8.7575});
    vec![
        Story {
            name: "three truths (docs/architecture.md)",
            now: "2025-09-11T09:30:00+02:00",
            events: three_truths(),
            want: &[
                Code::DeliveredButDriverReportsFailure,
                Code::DeliveryLocationMismatch,
            ],
        },
        Story {
            name: "delivered scan and the driver's refusal minutes before it",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                driver("d1", "2025-09-11T10:00:00+02:00", "refused", json!({})),
                scan(
                    "s1",
                    "2025-09-11T10:02:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[Code::DeliveredButDriverReportsFailure],
        },
        Story {
            name: "delivered scan at the right postcode but 5 km from the driver",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100","lat":51.7189,"lon":8.7575}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "delivered_to_recipient",
                    json!({"lat":51.7189,"lon":8.83}),
                ),
            ],
            want: &[Code::DeliveryLocationMismatch],
        },
        Story {
            name: "the driver delivered to a neighbour, no scan after seven hours",
            now: "2025-09-11T17:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered_to_neighbour",
                    json!({"handed_to":{"name":"Frau Schmidt","address":"Beispielweg 9"}}),
                ),
            ],
            want: &[Code::DriverDeliveredWithoutScan],
        },
        Story {
            name: "the driver delivered two hours ago, the scan is still within its grace time",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered_to_neighbour",
                    json!({"handed_to":{"name":"Frau Schmidt"}}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the customer reports not received after a delivered scan",
            now: "2025-09-12T09:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                customer_report("cr1", "2025-09-11T18:00:00+02:00", "not_received"),
            ],
            want: &[Code::CustomerDisputesDelivery],
        },
        Story {
            name: "a not-received report before the delivery is no dispute",
            now: "2025-09-12T09:00:00+02:00",
            events: vec![
                scan("s0", "2025-09-10T10:00:00+02:00", "in_transit", json!({})),
                customer_report("cr1", "2025-09-10T18:00:00+02:00", "not_received"),
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the order was cancelled and the parcel moved on",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                scan(
                    "s0",
                    "2025-09-10T18:00:00+02:00",
                    "info_received",
                    json!({}),
                ),
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "cancelled",
                    json!(null),
                ),
                scan("s1", "2025-09-11T15:00:00+02:00", "in_transit", json!({})),
            ],
            want: &[Code::ShippedAfterCancellation],
        },
        Story {
            name: "a refund of the whole order and a delivery hours later",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "refund_issued",
                    json!(null),
                ),
                scan(
                    "s1",
                    "2025-09-11T14:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[Code::RefundedAndDelivered],
        },
        Story {
            name: "a refund for items that came back is no contradiction",
            now: "2025-09-15T18:00:00+02:00",
            events: vec![
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "refund_issued",
                    json!({"skus":["SHIRT-M"]}),
                ),
                scan(
                    "s1",
                    "2025-09-11T14:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                order_event(
                    ORDER,
                    "o2",
                    "2025-09-15T09:00:00+02:00",
                    "return_received",
                    json!(null),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the customer was told delivered while the parcel is out for delivery",
            now: "2025-09-11T11:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                notification(
                    ORDER,
                    "n1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"tracking_number":TN}),
                ),
            ],
            want: &[Code::CustomerToldOtherwise],
        },
        Story {
            name: "the customer was told delivered while scan and driver disagree",
            now: "2025-09-11T09:30:00+02:00",
            events: {
                let mut e = three_truths();
                e.push(notification(
                    ORDER,
                    "n1",
                    "2025-09-11T06:50:00+02:00",
                    "delivered",
                    json!({"channel":"sms"}),
                ));
                e
            },
            want: &[
                Code::DeliveredButDriverReportsFailure,
                Code::DeliveryLocationMismatch,
                Code::CustomerToldOtherwise,
            ],
        },
        Story {
            name: "no scan for four days while in transit",
            now: "2025-09-15T10:00:00+02:00",
            events: vec![scan(
                "s1",
                "2025-09-11T08:00:00+02:00",
                "in_transit",
                json!({}),
            )],
            want: &[Code::StaleTracking],
        },
        Story {
            name: "a neighbour delivery confirmed by scan and driver",
            now: "2025-09-12T10:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s2",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100","detail":"neighbour","lat":51.7189,"lon":8.7575}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "delivered_to_neighbour",
                    merge(
                        json!({"handed_to":{"name":"Frau Schmidt","address":"Beispielweg 9"}}),
                        near.clone(),
                    ),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a failed attempt followed by a delivery the next day",
            now: "2025-09-12T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s2",
                    "2025-09-11T10:00:00+02:00",
                    "attempt_failed",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "recipient_absent",
                    json!({"notice_card_left":true,"next_attempt_on":"2025-09-12"}),
                ),
                scan(
                    "s3",
                    "2025-09-12T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s4",
                    "2025-09-12T10:30:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                driver(
                    "d2",
                    "2025-09-12T10:31:00+02:00",
                    "delivered_to_recipient",
                    json!({}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a failed attempt and a second run the same afternoon",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "recipient_absent",
                    json!({}),
                ),
                scan(
                    "s3",
                    "2025-09-11T14:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s4",
                    "2025-09-11T15:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a parcel-shop delivery far from the address",
            now: "2025-09-13T10:00:00+02:00",
            events: vec![
                driver(
                    "d1",
                    "2025-09-11T11:00:00+02:00",
                    "delivered_to_parcel_shop",
                    json!({"lat":51.70,"lon":8.70}),
                ),
                scan(
                    "s1",
                    "2025-09-11T11:05:00+02:00",
                    "delivered",
                    json!({"location":"Kiosk am Markt","postcode":"33102","detail":"parcel_shop","lat":51.71,"lon":8.76}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a parcel waiting at the parcel shop is not stale",
            now: "2025-09-16T10:00:00+02:00",
            events: vec![scan(
                "s1",
                "2025-09-11T11:05:00+02:00",
                "available_for_pickup",
                json!({"location":"Kiosk am Markt","postcode":"33102"}),
            )],
            want: &[],
        },
    ]
}

#[test]
fn every_hand_written_history_yields_exactly_its_expected_codes() {
    let policy = Policy::default();
    let (o, s) = (order(), shipment());
    let mut seen = Vec::new();
    for story in stories() {
        let v = reconcile_shipment(&s, Some(&o), &story.events, at(story.now), &policy);
        assert_eq!(codes(&v), story.want, "{}", story.name);
        assert_eq!(v.in_dispute, !story.want.is_empty(), "{}", story.name);
        seen.extend_from_slice(story.want);
    }
    // Together with the wrong-item story (order level), every code has a story.
    seen.extend([Code::PromiseOverdue]);
    for code in Code::ALL {
        assert!(seen.contains(&code), "no story for {code:?}");
    }
}
