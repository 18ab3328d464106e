//! The rules behind each remedy decision, one function per remedy, each with the
//! customer-readable reason for its answer.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{Locale, ShipmentKind, TrackingNumber};
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
            first_no.unwrap_or_else(|| {
                Eligibility::no(
                    "Zu dieser Bestellung gibt es noch keine Sendung.",
                    "There is no shipment for this order yet.",
                )
            })
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
        return Eligibility::no(
            "Ein Rückruf ist bereits vereinbart.",
            "A callback is already arranged.",
        );
    }
    let Some(slot) = callback_slots(now, policy).into_iter().next() else {
        return Eligibility::no(
            "Zurzeit ist kein Rückruftermin frei.",
            "No callback slot is free at the moment.",
        );
    };
    let day = local_date(slot.start, policy);
    let (from, to) = (
        format::time(slot.start, policy.time_zone),
        format::time(slot.end, policy.time_zone),
    );
    Eligibility::yes(
        format!(
            "Wir können Sie zurückrufen; der nächste freie Termin ist am {}, {from}–{to} Uhr.",
            format::date(day, Locale::De)
        ),
        format!(
            "We can call you back; the next free slot is {}, {from}–{to}.",
            format::date(day, Locale::En)
        ),
    )
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
        return Eligibility::no(
            "Eine Rücksendung wird nicht erneut zugestellt.",
            "A return shipment is not redelivered.",
        );
    }
    if active_case(ctx, Remedy::Redelivery, Some(&s.tracking_number)) {
        return Eligibility::no(
            "Eine neue Zustellung ist bereits beauftragt.",
            "A new delivery has already been requested.",
        );
    }
    if let Some(on) = next_attempt(s)
        && waiting_for(on, now, policy)
    {
        return Eligibility::no(
            format!(
                "Der Fahrer versucht am {} erneut zuzustellen; vorher beauftragen wir keine neue Zustellung.",
                format::date(on, Locale::De)
            ),
            format!(
                "The driver will try again on {}; we do not book another delivery before that.",
                format::date(on, Locale::En)
            ),
        );
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
        return Eligibility::no(
            "Eine neue Zustellung ist nur nach einem gescheiterten Zustellversuch möglich.",
            "A new delivery is possible only after a failed delivery attempt.",
        );
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes(
        format!("Wir können {carrier} mit einer neuen Zustellung beauftragen."),
        format!("We can ask {carrier} to deliver the parcel again."),
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
        return Eligibility::no(
            "Eine Nachforschung beim Paketdienst läuft bereits.",
            "An investigation with the carrier is already under way.",
        );
    }
    if !doubtful(s) {
        return Eligibility::no(
            "Die Angaben zu dieser Sendung widersprechen sich nicht; eine Nachforschung ist nicht nötig.",
            "The records of this shipment agree; no investigation is needed.",
        );
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes(
        format!("Wir können bei {carrier} einen Nachforschungsauftrag stellen."),
        format!("We can open an investigation with {carrier}."),
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
        return Eligibility::no(
            "Die Bestellung wurde storniert oder erstattet; ein Ersatz ist daher nicht möglich.",
            "The order was cancelled or refunded, so a replacement is not possible.",
        );
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
        return Eligibility::no(
            "Für diese Bestellung wurde bereits ein Ersatz veranlasst.",
            "A replacement has already been arranged for this order.",
        );
    }
    if let Some(on) = ships.iter().find_map(|s| next_attempt(s))
        && waiting_for(on, now, policy)
    {
        return Eligibility::no(
            format!(
                "Der Fahrer versucht am {} erneut zuzustellen; einen Ersatz gibt es erst, wenn dieser Versuch scheitert.",
                format::date(on, Locale::De)
            ),
            format!(
                "The driver will try again on {}; a replacement is possible only if that attempt fails.",
                format::date(on, Locale::En)
            ),
        );
    }
    let doubtful_ship = ships.iter().find(|s| doubtful(s));
    if doubtful_ship.is_none() && !state.wrong_item_reported && !state.damage_reported {
        return Eligibility::no(
            "Ein Ersatz ist möglich, wenn eine Sendung verloren, beschädigt oder falsch ist; das ist hier nicht belegt.",
            "A replacement is possible when a parcel is lost, damaged or wrong; the records do not show that here.",
        );
    }
    let value = match (subject, doubtful_ship) {
        (_, Some(s)) => s.items_value,
        (Subject::Shipment(s), None) => s.items_value,
        (Subject::Order(o), None) => Some(o.order.value_of(&[])),
    };
    if let Some(v) = value
        && v > policy.replacement_max_value
    {
        return Eligibility::no(
            "Der Warenwert liegt über der Grenze für einen direkten Ersatz; ein Mitarbeiter aus dem Support prüft das.",
            "The value of the items is above the limit for a direct replacement; our support team will review it.",
        );
    }
    Eligibility::yes(
        "Wir können Ihnen Ersatz schicken.",
        "We can send you a replacement.",
    )
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
        return Eligibility::no(
            "Ein Rücksendeetikett ist bereits in Arbeit.",
            "A return label is already being prepared.",
        );
    }
    if state.return_label_issued && !state.return_label_overdue {
        return Eligibility::no(
            "Ein Rücksendeetikett wurde bereits ausgestellt.",
            "A return label has already been issued.",
        );
    }
    let unwanted_goods = codes.iter().any(|c| {
        matches!(
            c,
            Code::ShippedAfterCancellation | Code::RefundedAndDelivered
        )
    });
    if state.wrong_item_reported || state.return_label_overdue || unwanted_goods {
        Eligibility::yes(
            "Wir können Ihnen ein Rücksendeetikett schicken.",
            "We can send you a return label.",
        )
    } else {
        Eligibility::no(
            "Ein Rücksendeetikett gibt es bei falscher Ware oder wenn eines versprochen wurde.",
            "A return label is available for a wrong item or when one was promised.",
        )
    }
}
