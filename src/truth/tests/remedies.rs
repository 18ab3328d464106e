//! Remedy decisions on reconciled views: what the policy allows, refuses and why.

use serde_json::json;

use super::*;
use crate::domain::Locale;
use crate::truth::{
    CaseStatus, ExistingCase, Policy, Remedy, RemedyContext, ShipmentView, eligibility,
    reconcile_order, reconcile_shipment,
};

fn disputed(now: &str, lines: &[(&str, &str)]) -> ShipmentView {
    let events = vec![
        scan(
            "s1",
            "2025-09-11T06:48:00+02:00",
            "delivered",
            json!({"postcode":"33154","location":"Ffeld"}),
        ),
        driver(
            "d1",
            "2025-09-11T06:51:00+02:00",
            "recipient_absent",
            json!({"next_attempt_on":"2025-09-12"}),
        ),
    ];
    reconcile_shipment(
        &shipment(),
        Some(&order_with(ORDER, lines)),
        &events,
        at(now),
        &Policy::default(),
    )
}

fn cheap() -> [(&'static str, &'static str); 1] {
    [("SHIRT-M", "19.90")]
}

#[test]
fn no_redelivery_or_replacement_while_the_drivers_next_attempt_is_ahead() {
    let now = "2025-09-11T09:30:00+02:00";
    let v = disputed(now, &cheap());
    let p = Policy::default();
    let ctx = RemedyContext::default();
    let r = eligibility(Remedy::Redelivery, &v, &ctx, at(now), &p);
    assert!(!r.allowed);
    assert!(
        r.reason.get(Locale::De).contains("am 12.09.2025 erneut"),
        "{:?}",
        r.reason
    );
    assert!(
        r.reason.get(Locale::En).contains("on 12 Sep 2025"),
        "{:?}",
        r.reason
    );
    assert!(!eligibility(Remedy::Replacement, &v, &ctx, at(now), &p).allowed);
    assert!(eligibility(Remedy::Investigation, &v, &ctx, at(now), &p).allowed);
    let cb = eligibility(Remedy::Callback, &v, &ctx, at(now), &p);
    assert!(cb.allowed);
    assert!(
        cb.reason
            .get(Locale::De)
            .contains("11.09.2025, 12:00–14:00 Uhr"),
        "{:?}",
        cb.reason
    );
}

#[test]
fn once_the_next_attempt_day_has_passed_redelivery_and_replacement_are_allowed() {
    let now = "2025-09-13T09:30:00+02:00";
    let v = disputed(now, &cheap());
    let p = Policy::default();
    let ctx = RemedyContext::default();
    assert!(eligibility(Remedy::Redelivery, &v, &ctx, at(now), &p).allowed);
    assert!(eligibility(Remedy::Replacement, &v, &ctx, at(now), &p).allowed);
    assert!(v.contradictions[0].remedies.contains(&Remedy::Replacement));
    let no_wait = Policy {
        wait_for_next_attempt: false,
        ..Policy::default()
    };
    let early = disputed("2025-09-11T09:30:00+02:00", &cheap());
    assert!(
        eligibility(
            Remedy::Redelivery,
            &early,
            &ctx,
            at("2025-09-11T09:30:00+02:00"),
            &no_wait
        )
        .allowed
    );
}

#[test]
fn a_replacement_above_the_value_limit_is_refused_with_the_reason() {
    let now = "2025-09-13T09:30:00+02:00";
    let v = disputed(now, &[("TV-55", "499.00")]);
    let r = eligibility(
        Remedy::Replacement,
        &v,
        &RemedyContext::default(),
        at(now),
        &Policy::default(),
    );
    assert!(!r.allowed);
    assert!(
        r.reason.get(Locale::De).contains("Warenwert"),
        "{:?}",
        r.reason
    );
}

#[test]
fn one_order_gets_one_replacement() {
    let now = "2025-09-13T09:30:00+02:00";
    let v = disputed(now, &cheap());
    let p = Policy::default();
    let ctx = RemedyContext {
        replacement_created: true,
        ..RemedyContext::default()
    };
    let r = eligibility(Remedy::Replacement, &v, &ctx, at(now), &p);
    assert!(!r.allowed);
    assert!(
        r.reason.get(Locale::En).contains("already"),
        "{:?}",
        r.reason
    );
    let refined = v.clone().with_remedy_context(&ctx, at(now), &p);
    assert!(
        !refined.contradictions[0]
            .remedies
            .contains(&Remedy::Replacement)
    );
    assert!(v.contradictions[0].remedies.contains(&Remedy::Replacement));
}

#[test]
fn an_open_case_of_the_same_kind_is_not_requested_twice() {
    let now = "2025-09-11T09:30:00+02:00";
    let v = disputed(now, &cheap());
    let p = Policy::default();
    let case = |remedy, status| ExistingCase {
        remedy,
        status,
        tracking_number: Some(v.tracking_number.clone()),
    };
    let ctx = RemedyContext {
        cases: vec![
            case(Remedy::Callback, CaseStatus::Open),
            case(Remedy::Investigation, CaseStatus::InProgress),
        ],
        replacement_created: false,
    };
    assert!(!eligibility(Remedy::Callback, &v, &ctx, at(now), &p).allowed);
    assert!(!eligibility(Remedy::Investigation, &v, &ctx, at(now), &p).allowed);
    assert!(eligibility(Remedy::Handoff, &v, &ctx, at(now), &p).allowed);
    let done = RemedyContext {
        cases: vec![case(Remedy::Callback, CaseStatus::Done)],
        replacement_created: false,
    };
    assert!(eligibility(Remedy::Callback, &v, &done, at(now), &p).allowed);
}

#[test]
fn an_undisputed_delivery_needs_no_investigation_nor_replacement_nor_label() {
    let now = at("2025-09-12T09:00:00+02:00");
    let events = [scan(
        "s1",
        "2025-09-11T10:00:00+02:00",
        "delivered",
        json!({"postcode":"33100"}),
    )];
    let v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &events,
        now,
        &Policy::default(),
    );
    let (p, ctx) = (Policy::default(), RemedyContext::default());
    for r in [
        Remedy::Investigation,
        Remedy::Replacement,
        Remedy::ReturnLabel,
        Remedy::Redelivery,
    ] {
        assert!(!eligibility(r, &v, &ctx, now, &p).allowed, "{r:?}");
    }
    assert!(eligibility(Remedy::Handoff, &v, &ctx, now, &p).allowed);
}

#[test]
fn a_wrong_item_allows_a_return_label_and_one_replacement_for_the_order() {
    let now = at("2025-09-12T09:00:00+02:00");
    let events = [
        scan(
            "s1",
            "2025-09-11T10:00:00+02:00",
            "delivered",
            json!({"postcode":"33100"}),
        ),
        order_event(
            ORDER,
            "o1",
            "2025-09-11T18:00:00+02:00",
            "wrong_item_reported",
            json!({"skus":["SHIRT-M"]}),
        ),
    ];
    let v = reconcile_order(&order(), &[shipment()], &events, now, &Policy::default());
    let (p, ctx) = (Policy::default(), RemedyContext::default());
    assert!(eligibility(Remedy::ReturnLabel, &v, &ctx, now, &p).allowed);
    assert!(eligibility(Remedy::Replacement, &v, &ctx, now, &p).allowed);
    let issued = [
        events[0].clone(),
        events[1].clone(),
        order_event(
            ORDER,
            "o2",
            "2025-09-11T19:00:00+02:00",
            "return_label_issued",
            json!(null),
        ),
    ];
    let v = reconcile_order(&order(), &[shipment()], &issued, now, &p);
    let r = eligibility(Remedy::ReturnLabel, &v, &ctx, now, &p);
    assert!(!r.allowed);
    assert!(
        r.reason.get(Locale::De).contains("bereits ausgestellt"),
        "{:?}",
        r.reason
    );
}

#[test]
fn remedies_parse_from_their_snake_case_names() {
    for r in Remedy::ALL {
        assert_eq!(Remedy::parse(r.as_str()).unwrap(), r);
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
    assert!(
        Remedy::parse("refund")
            .unwrap_err()
            .contains("allowed: callback")
    );
}
