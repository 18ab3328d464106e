//! Property tests: arrival order and repetition never change a view; consistent
//! histories never yield a contradiction; every piece of evidence exists in the input.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, TimeDelta};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::domain::{CustomerClaim, DriverOutcome, NotificationClaim, OrderEventKind, ScanStatus};
use crate::truth::{OrderView, Policy, reconcile_order, reconcile_shipment};

const R: &str = "00340434169999999999";

fn base() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-09-08T08:00:00+02:00").unwrap()
}

fn ts(minutes: i64) -> String {
    (base() + TimeDelta::minutes(minutes)).to_rfc3339()
}

/// One arbitrary event of `TN`, its order or the replacement `R`, from a few numbers.
fn arbitrary_event(i: usize, (kind, minutes, a, b): (u8, u32, u8, u8)) -> Event {
    let id = format!("e{i}");
    let at = ts(i64::from(minutes));
    let coords = |v: &mut Value, b: u8| {
        if b.is_multiple_of(2) {
            let (lat, lon) = if b.is_multiple_of(4) {
                (51.7189, 8.7575)
            } else {
                (51.67, 8.62)
            };
            v["lat"] = json!(lat);
            v["lon"] = json!(lon);
        }
    };
    let tn = if b.is_multiple_of(5) { R } else { TN };
    match kind % 6 {
        0 | 1 => {
            let mut v = json!({"type":"tracking_scan","id":id,"tracking_number":tn,"occurred_at":at,
                "status":ScanStatus::ALL[usize::from(a) % 8].0});
            if let Some(p) = [None, Some("33100"), Some("33154")][usize::from(b) % 3] {
                v["postcode"] = json!(p);
            }
            if let Some(d) = [
                None,
                Some("neighbour"),
                Some("parcel_shop"),
                Some("locker"),
                Some("safe_place"),
            ][usize::from(a / 8) % 5]
            {
                v["detail"] = json!(d);
            }
            coords(&mut v, b);
            ev(v)
        }
        2 => {
            let mut v = json!({"type":"driver_report","id":id,"tracking_number":tn,"occurred_at":at,
                "outcome":DriverOutcome::ALL[usize::from(a) % 9].0});
            if b.is_multiple_of(3) {
                let day = (base() + TimeDelta::days(i64::from(b % 9))).date_naive();
                v["next_attempt_on"] = json!(day.to_string());
            }
            coords(&mut v, b / 2);
            ev(v)
        }
        3 => {
            let name = OrderEventKind::NAMES[usize::from(a) % 8];
            let details = match name {
                "refund_issued" if b.is_multiple_of(2) => json!({"skus":["SHIRT-M"]}),
                "refund_issued" => json!({"amount":"19.90"}),
                "replacement_created" | "replacement_cancelled" | "return_label_issued" => {
                    match b % 3 {
                        0 => json!({"tracking_number":R}),
                        1 => json!({"tracking_number":TN}),
                        _ => Value::Null,
                    }
                }
                "return_label_promised" => {
                    json!({"due_by":ts(i64::from(minutes) + i64::from(b) * 60)})
                }
                "wrong_item_reported" => json!({"skus":["SHIRT-M"]}),
                _ => Value::Null,
            };
            order_event(ORDER, &id, &at, name, details)
        }
        4 => {
            let claim = NotificationClaim::ALL[usize::from(a) % 11].0;
            let extra = if b.is_multiple_of(2) {
                json!({"tracking_number":tn})
            } else {
                json!({})
            };
            notification(ORDER, &id, &at, claim, extra)
        }
        _ => {
            let claim = CustomerClaim::ALL[usize::from(a) % 3].0;
            let mut v = json!({"type":"customer_report","id":id,"order_number":ORDER,"occurred_at":at,"claim":claim});
            if b.is_multiple_of(2) {
                v["tracking_number"] = json!(tn);
            }
            ev(v)
        }
    }
}

fn history() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec((any::<u8>(), 0u32..10_080, any::<u8>(), any::<u8>()), 1..24).prop_map(
        |specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, s)| arbitrary_event(i, s))
                .collect()
        },
    )
}

/// A history, the same events shuffled with some repeated, and a `now`.
fn shuffled() -> impl Strategy<Value = (Vec<Event>, Vec<Event>, i64)> {
    (
        history(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        0i64..14 * 24 * 60,
    )
        .prop_flat_map(|(events, dups, now)| {
            let mut again = events.clone();
            for d in &dups {
                again.push(events[d.index(events.len())].clone());
            }
            (Just(events), Just(again).prop_shuffle(), Just(now))
        })
}

fn ships() -> Vec<Shipment> {
    vec![
        shipment_of(TN, ORDER, "original", &["SHIRT-M"]),
        shipment_of(R, ORDER, "replacement", &["SHIRT-M"]),
    ]
}

fn all_ids_exist(v: &OrderView, input: &[Event]) -> Result<(), TestCaseError> {
    let ids: HashSet<&str> = input.iter().map(|e| e.id.as_str()).collect();
    for c in v.all_contradictions() {
        prop_assert!(!c.evidence.is_empty(), "{:?} without evidence", c.code);
        for id in &c.evidence {
            prop_assert!(ids.contains(id.as_str()), "{:?} cites unknown {id}", c.code);
        }
        for f in &c.facts {
            if let Some(id) = &f.event_id {
                prop_assert!(
                    c.evidence.contains(id),
                    "{:?}: fact {id} not in evidence",
                    c.code
                );
            }
        }
    }
    for s in &v.shipments {
        for t in &s.timeline {
            prop_assert!(ids.contains(t.event_id.as_str()));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_permutation_and_repetition_of_the_events_gives_the_same_view(
        (events, again, now) in shuffled()
    ) {
        let policy = Policy::default();
        let now = at(&ts(now));
        let o = order();
        for s in ships() {
            let a = reconcile_shipment(&s, Some(&o), &events, now, &policy);
            let b = reconcile_shipment(&s, Some(&o), &again, now, &policy);
            prop_assert_eq!(a, b);
        }
        let a = reconcile_order(&o, &ships(), &events, now, &policy);
        let b = reconcile_order(&o, &ships(), &again, now, &policy);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn every_contradictions_evidence_exists_in_the_input((events, _again, now) in shuffled()) {
        let v = reconcile_order(&order(), &ships(), &events, at(&ts(now)), &Policy::default());
        all_ids_exist(&v, &events)?;
    }

    #[test]
    fn consistent_histories_yield_no_contradiction(h in consistent()) {
        let (events, now) = h;
        let policy = Policy::default();
        let v = reconcile_order(&order(), &[shipment()], &events, at(&ts(now)), &policy);
        let codes: Vec<_> = v.all_contradictions().map(|c| c.code).collect();
        prop_assert!(codes.is_empty(), "{:?}\n{:#?}", codes, events);
        prop_assert!(!v.in_dispute);
    }
}

/// A history where every source agrees: data received, transit, failed attempts the
/// driver reports with a next attempt (next day or the same afternoon), then a delivery
/// that scan and driver describe alike (or a parcel-shop hand-over), and a notification
/// that says what happened. Returns the events and `now` (minutes after the base).
fn consistent() -> impl Strategy<Value = (Vec<Event>, i64)> {
    (1usize..4, 0usize..3, any::<bool>(), 0u8..5, any::<bool>(), 0i64..30, 0i64..48 * 60)
        .prop_map(|(transit, failed, same_day, ending, with_driver, jitter, after)| {
            let near = |v: &mut Value, k: i64| {
                v["lat"] = json!(51.7189 + 0.0003 * k as f64);
                v["lon"] = json!(8.7575 - 0.0003 * k as f64);
            };
            let mut e = Vec::new();
            let mut n = 0;
            let mut id = |p: &str| {
                n += 1;
                format!("{p}{n}")
            };
            e.push(scan(&id("s"), &ts(0), "info_received", json!({})));
            let mut t = 0;
            for _ in 0..transit {
                t += 6 * 60;
                e.push(scan(&id("s"), &ts(t), "in_transit", json!({"location":"Paketzentrum"})));
            }
            let mut day = 1;
            for _ in 0..failed {
                let start = day * 24 * 60 - 60; // 07:00 local
                e.push(scan(&id("s"), &ts(start), "out_for_delivery", json!({})));
                let fail = start + 180 + jitter;
                e.push(scan(&id("s"), &ts(fail), "attempt_failed", json!({})));
                let next = (base() + TimeDelta::days(day + 1)).date_naive();
                let mut d = json!({"notice_card_left":true,"next_attempt_on":next.to_string()});
                near(&mut d, jitter % 3);
                e.push(driver(&id("d"), &ts(fail + 1), "recipient_absent", d));
                if same_day {
                    t = fail + 240;
                } else {
                    day += 1;
                    t = day * 24 * 60 - 60;
                }
            }
            if failed == 0 {
                t = day * 24 * 60 - 60;
            }
            e.push(scan(&id("s"), &ts(t), "out_for_delivery", json!({})));
            let at_door = t + 120 + jitter;
            let (detail, outcome) = match ending {
                0 => (None, "delivered_to_recipient"),
                1 => (Some("neighbour"), "delivered_to_neighbour"),
                2 => (Some("safe_place"), "delivered_to_safe_place"),
                3 => (Some("parcel_shop"), "delivered_to_parcel_shop"),
                _ => (None, "delivered_to_parcel_shop"),
            };
            let last = if ending == 4 {
                let mut d = json!({});
                near(&mut d, 1);
                e.push(driver(&id("d"), &ts(at_door), outcome, d));
                e.push(scan(&id("s"), &ts(at_door + 5), "available_for_pickup",
                    json!({"location":"Kiosk am Markt","postcode":"33102"})));
                at_door + 5
            } else {
                let mut s = json!({"postcode":"33100"});
                if let Some(d) = detail {
                    s["detail"] = json!(d);
                }
                near(&mut s, 0);
                e.push(scan(&id("s"), &ts(at_door), "delivered", s));
                if with_driver {
                    let mut d = match outcome {
                        "delivered_to_neighbour" => json!({"handed_to":{"name":"Frau Schmidt","address":"Beispielweg 9"}}),
                        "delivered_to_safe_place" => json!({"safe_place":"Garage"}),
                        _ => json!({}),
                    };
                    near(&mut d, 2);
                    e.push(driver(&id("d"), &ts(at_door + 1 + jitter % 4), outcome, d));
                }
                e.push(notification(ORDER, &id("n"), &ts(at_door + 10), "delivered", json!({"tracking_number":TN})));
                at_door + 10
            };
            (e, last + after)
        })
}
