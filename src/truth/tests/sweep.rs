//! When the sweep looks at an order again ([`next_change`]): never after a clock rule
//! turns. For histories whose truth changes with time alone, at every half hour over
//! days around their turning points, the contradictions just before the instant
//! `next_change` names are the ones of now; and each rule's own instant is found (a
//! millisecond after it: a rule turns just after its instant).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::{at, driver, order, order_event, scan, shipment};
use crate::domain::Event;
use crate::truth::notices::{RECHECK_AT_LEAST_EVERY, next_change};
use crate::truth::{ContradictionCode, Policy, reconcile_order};

fn codes(events: &[Event], now: DateTime<Utc>) -> Vec<ContradictionCode> {
    let view = reconcile_order(&order(), &[shipment()], events, now, &Policy::default());
    let mut c: Vec<_> = view.all_contradictions().map(|c| c.code).collect();
    c.sort();
    c
}

fn wake(events: &[Event], now: DateTime<Utc>) -> DateTime<Utc> {
    let policy = Policy::default();
    let view = reconcile_order(&order(), &[shipment()], events, now, &policy);
    next_change(&view, events, &policy, now)
}

fn histories() -> Vec<(&'static str, Vec<Event>)> {
    vec![
        (
            "in transit, then silence",
            vec![scan(
                "s1",
                "2025-09-10T08:00:00+02:00",
                "in_transit",
                json!({}),
            )],
        ),
        (
            "at the parcel shop until its deadline, then silence",
            vec![scan(
                "s1",
                "2025-09-10T11:05:00+02:00",
                "available_for_pickup",
                json!({"location":"Kiosk am Markt","postcode":"33102"}),
            )],
        ),
        (
            "nobody home, a redelivery day, then silence",
            vec![
                scan(
                    "s1",
                    "2025-09-10T07:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-10T10:00:00+02:00",
                    "recipient_absent",
                    json!({"next_attempt_on":"2025-09-12"}),
                ),
            ],
        ),
        (
            "the driver says delivered, the scan is awaited",
            vec![
                scan(
                    "s1",
                    "2025-09-10T07:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-10T10:00:00+02:00",
                    "delivered_to_recipient",
                    json!({}),
                ),
            ],
        ),
        (
            "a return label promised by a day",
            vec![
                scan("s1", "2025-09-10T07:00:00+02:00", "delivered", json!({})),
                order_event(
                    "A-100234",
                    "o1",
                    "2025-09-10T12:00:00+02:00",
                    "return_label_promised",
                    json!({"due_by":"2025-09-12T18:00:00+02:00"}),
                ),
            ],
        ),
    ]
}

#[test]
fn nothing_changes_before_the_instant_the_sweep_looks_again() {
    let start = at("2025-09-10T12:00:00+02:00");
    for (name, events) in histories() {
        let mut turned = false;
        for step in 0..(24 * 2 * 12) {
            let now = start + TimeDelta::minutes(30 * step);
            let next = wake(&events, now);
            assert!(
                next > now && next <= now + RECHECK_AT_LEAST_EVERY * 2,
                "{name} at {now}: {next}"
            );
            let before = codes(&events, next - TimeDelta::seconds(1));
            assert_eq!(
                codes(&events, now),
                before,
                "{name}: changed before {next} (now {now})"
            );
            turned |= codes(&events, next + TimeDelta::minutes(1)) != codes(&events, now);
        }
        assert!(turned, "{name}: its truth turns within the twelve days");
    }
}

#[test]
fn each_rule_names_its_own_instant() {
    let (_, silent) = &histories()[0];
    // 72 hours after the last scan, from a day before it.
    let now = at("2025-09-12T08:30:00+02:00");
    let later = wake(silent, now);
    assert!(later >= now + RECHECK_AT_LEAST_EVERY && later < now + RECHECK_AT_LEAST_EVERY * 2);
    let now = at("2025-09-13T07:30:00+02:00");
    assert_eq!(wake(silent, now), at("2025-09-13T08:00:00.001+02:00"));
    // The day after the redelivery day, at midnight in the shop's time zone.
    let (_, redelivery) = &histories()[2];
    let now = at("2025-09-12T23:30:00+02:00");
    assert_eq!(wake(redelivery, now), at("2025-09-13T00:00:00.001+02:00"));
    // A return label's due time.
    let (_, promised) = &histories()[4];
    let now = at("2025-09-12T17:15:00+02:00");
    assert_eq!(wake(promised, now), at("2025-09-12T18:00:00.001+02:00"));
}
