//! The rules behind each remedy decision, one function per remedy, each with the
//! customer-readable reason for its answer.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{ShipmentKind, TrackingNumber};
use crate::truth::format;
use crate::truth::policy::Policy;
use crate::truth::reconcile::{OrderState, local_date};
use crate::truth::view::{ContradictionCode as Code, NextStep, ShipmentStatus, ShipmentView};

use super::{CaseStatus, Eligibility, Remedy, RemedyContext, Subject, callback_slots};

pub(super) fn active_case(
    ctx: &RemedyContext,
    remedy: Remedy,
    tn: Option<&TrackingNumber>,
) -> bool {
    ctx.cases.iter().any(|c| {
        c.remedy == remedy
            && c.status.is_active()
            && (tn.is_none() || c.tracking_number.is_none() || c.tracking_number.as_ref() == tn)
    })
}

/// For remedies about one parcel: the shipment's decision, or for an order the first
/// shipment that allows it (else the first refusal).
pub(super) fn per_shipment(
    subject: Subject<'_>,
    f: impl Fn(&ShipmentView) -> Eligibility,
) -> Eligibility {
    match subject {
        Subject::Shipment(s) => f(s),
        Subject::Order(o) => {
            let mut first_no = None;
            for s in &o.shipments {
                let e = f(s);
                if e.allowed {
                    return e;
                }
                first_no.get_or_insert(e);
            }
            first_no.unwrap_or_else(|| Eligibility::no("no_shipment"))
        }
    }
}

pub(super) fn next_attempt(view: &ShipmentView) -> Option<NaiveDate> {
    view.next.iter().find_map(|n| match n {
        NextStep::NextAttempt { on, .. } => Some(*on),
        _ => None,
    })
}

pub(super) fn callback(ctx: &RemedyContext, now: DateTime<Utc>, policy: &Policy) -> Eligibility {
    if active_case(ctx, Remedy::Callback, None) {
        return Eligibility::no("callback_arranged");
    }
    let Some(slot) = callback_slots(now, policy).into_iter().next() else {
        return Eligibility::no("no_callback_slot");
    };
    let day = local_date(slot.start, policy);
    let (from, to) = (
        format::time(slot.start, policy.time_zone),
        format::time(slot.end, policy.time_zone),
    );
    Eligibility::yes_with("callback_possible", |l| {
        minijinja::context! { day => format::date(day, l), from => from, to => to }
    })
}

pub(super) fn waiting_for(next: NaiveDate, now: DateTime<Utc>, policy: &Policy) -> bool {
    policy.wait_for_next_attempt && next >= local_date(now, policy)
}

pub(super) fn redelivery(
    s: &ShipmentView,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Eligibility {
    if s.kind == ShipmentKind::Return {
        return Eligibility::no("return_not_redelivered");
    }
    if active_case(ctx, Remedy::Redelivery, Some(&s.tracking_number)) {
        return Eligibility::no("redelivery_requested");
    }
    if let Some(on) = next_attempt(s)
        && waiting_for(on, now, policy)
    {
        return Eligibility::no_with("redelivery_after_next_attempt", |l| {
            minijinja::context! { day => format::date(on, l) }
        });
    }
    let failed = matches!(
        s.status,
        ShipmentStatus::AttemptFailed
            | ShipmentStatus::AvailableForPickup
            | ShipmentStatus::Exception
    ) || s
        .contradictions
        .iter()
        .any(|c| c.code == Code::DeliveredButDriverReportsFailure);
    if !failed {
        return Eligibility::no("redelivery_needs_failed_attempt");
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes_with(
        "redelivery_possible",
        |_| minijinja::context! { carrier => carrier },
    )
}

/// Codes that put a delivery in doubt enough to investigate or replace it.
const DOUBTFUL: [Code; 5] = [
    Code::DeliveredButDriverReportsFailure,
    Code::DeliveryLocationMismatch,
    Code::DriverDeliveredWithoutScan,
    Code::CustomerDisputesDelivery,
    Code::StaleTracking,
];

pub(super) fn doubtful(s: &ShipmentView) -> bool {
    s.kind != ShipmentKind::Return && s.contradictions.iter().any(|c| DOUBTFUL.contains(&c.code))
}

pub(super) fn investigation(s: &ShipmentView, ctx: &RemedyContext) -> Eligibility {
    if active_case(ctx, Remedy::Investigation, Some(&s.tracking_number)) {
        return Eligibility::no("investigation_running");
    }
    if !doubtful(s) {
        return Eligibility::no("records_agree");
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes_with(
        "investigation_possible",
        |_| minijinja::context! { carrier => carrier },
    )
}

pub(super) fn replacement(
    subject: Subject<'_>,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Eligibility {
    let (state, ships): (&OrderState, Vec<&ShipmentView>) = match subject {
        Subject::Shipment(s) => (&s.order_state, vec![s]),
        Subject::Order(o) => (&o.order_state, o.shipments.iter().collect()),
    };
    if state.cancelled || state.refunded {
        return Eligibility::no("order_cancelled_or_refunded");
    }
    let case_count = ctx
        .cases
        .iter()
        .filter(|c| {
            c.remedy == Remedy::Replacement
                && matches!(
                    c.status,
                    CaseStatus::Open | CaseStatus::InProgress | CaseStatus::Done
                )
        })
        .count() as u32;
    let created = state
        .replacements_created
        .max(case_count)
        .max(u32::from(ctx.replacement_created));
    if created >= policy.max_replacements_per_order {
        return Eligibility::no("replacement_arranged");
    }
    if let Some(on) = ships.iter().find_map(|s| next_attempt(s))
        && waiting_for(on, now, policy)
    {
        return Eligibility::no_with("replacement_after_next_attempt", |l| {
            minijinja::context! { day => format::date(on, l) }
        });
    }
    let doubtful_ship = ships.iter().find(|s| doubtful(s));
    if doubtful_ship.is_none() && !state.wrong_item_reported && !state.damage_reported {
        return Eligibility::no("replacement_not_shown");
    }
    let value = match (subject, doubtful_ship) {
        (_, Some(s)) => s.items_value,
        (Subject::Shipment(s), None) => s.items_value,
        (Subject::Order(o), None) => Some(o.order.value_of(&[])),
    };
    if let Some(v) = value
        && v > policy.replacement_max_value
    {
        return Eligibility::no("replacement_over_limit");
    }
    Eligibility::yes("replacement_possible")
}

pub(super) fn return_label(subject: Subject<'_>, ctx: &RemedyContext) -> Eligibility {
    let (state, codes): (&OrderState, Vec<Code>) = match subject {
        Subject::Shipment(s) => (
            &s.order_state,
            s.contradictions.iter().map(|c| c.code).collect(),
        ),
        Subject::Order(o) => (
            &o.order_state,
            o.all_contradictions().map(|c| c.code).collect(),
        ),
    };
    if active_case(ctx, Remedy::ReturnLabel, None) {
        return Eligibility::no("return_label_in_work");
    }
    if state.return_label_issued && !state.return_label_overdue {
        return Eligibility::no("return_label_issued");
    }
    let unwanted_goods = codes.iter().any(|c| {
        matches!(
            c,
            Code::ShippedAfterCancellation | Code::RefundedAndDelivered
        )
    });
    if state.wrong_item_reported || state.return_label_overdue || unwanted_goods {
        Eligibility::yes("return_label_possible")
    } else {
        Eligibility::no("return_label_not_available")
    }
}
