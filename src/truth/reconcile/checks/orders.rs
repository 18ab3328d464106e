//! Checks of the shipment against the shop and the notifications: moving after a
//! cancellation, delivered after a refund, and messages the truth contradicts.

use crate::domain::{
    Event, EventBody, NotificationClaim, OrderEventKind, ScanStatus, ShipmentKind, Sku,
};
use crate::truth::policy::Policy;
use crate::truth::view::{Contradiction, ContradictionCode as Code, Fact, ShipmentStatus, Source};

use super::super::{Ev, ShipmentEvents};
use super::{Input, Scan, contradiction, event_fact, scan_fact};

pub(super) fn moving(s: ScanStatus) -> bool {
    matches!(
        s,
        ScanStatus::InTransit
            | ScanStatus::OutForDelivery
            | ScanStatus::Delivered
            | ScanStatus::AvailableForPickup
    )
}

/// The first and the last scan after `after` that show the parcel moving on.
pub(super) fn moving_after<'a>(evs: &ShipmentEvents<'a>, after: &Ev<'_>) -> Vec<Fact> {
    let moved: Vec<&Scan<'a>> = evs
        .scans
        .iter()
        .filter(|(x, s)| x.key() > after.key() && moving(s.status))
        .collect();
    let mut facts = Vec::new();
    if let Some((x, s)) = moved.first() {
        facts.push(scan_fact(x, s));
    }
    if moved.len() > 1
        && let Some((x, s)) = moved.last()
    {
        facts.push(scan_fact(x, s));
    }
    facts
}

pub(super) fn shipped_after_cancellation(inp: &Input<'_, '_>) -> Option<Contradiction> {
    let sh = inp.shipment;
    let cancel = inp.evs.all.iter().find(|ev| match &ev.e.body {
        EventBody::OrderEvent(o) => match &o.kind {
            OrderEventKind::Cancelled => sh.kind != ShipmentKind::Return,
            OrderEventKind::ReplacementCancelled { tracking_number } => match tracking_number {
                Some(t) => *t == sh.tracking_number,
                None => sh.kind == ShipmentKind::Replacement,
            },
            _ => false,
        },
        _ => false,
    })?;
    let moved = moving_after(inp.evs, cancel);
    if moved.is_empty() {
        return None;
    }
    let mut facts = vec![event_fact(cancel)];
    facts.extend(moved);
    Some(contradiction(Code::ShippedAfterCancellation, inp, facts))
}

pub(super) fn refunded_and_delivered(
    inp: &Input<'_, '_>,
    (sev, scan): &Scan<'_>,
) -> Option<Contradiction> {
    let sh = inp.shipment;
    if sh.kind == ShipmentKind::Return {
        return None;
    }
    let carries = |skus: &[Sku], amount: Option<crate::domain::Money>| -> bool {
        if skus.is_empty() {
            match (amount, inp.order) {
                (None, _) => true,
                (Some(a), Some(o)) => a >= o.total,
                (Some(_), None) => false,
            }
        } else {
            sh.skus.is_empty() || skus.iter().any(|s| sh.skus.contains(s))
        }
    };
    let overlap = Policy::hours(inp.policy.refund_delivery_overlap_hours);
    let returned_later = inp.evs.all.iter().any(|ev| {
        ev.key() > sev.key()
            && matches!(&ev.e.body, EventBody::OrderEvent(o) if o.kind == OrderEventKind::ReturnReceived)
    });
    if returned_later {
        return None;
    }
    let refund = inp.evs.all.iter().rev().find(|ev| match &ev.e.body {
        EventBody::OrderEvent(o) => match &o.kind {
            OrderEventKind::RefundIssued { amount, skus } => {
                carries(skus, *amount) && sev.at >= ev.at - overlap
            }
            _ => false,
        },
        _ => false,
    })?;
    let facts = vec![event_fact(refund), scan_fact(sev, scan)];
    Some(contradiction(Code::RefundedAndDelivered, inp, facts))
}

/// Codes that put the delivery itself in doubt.
pub(crate) const DISPUTING: [Code; 4] = [
    Code::DeliveredButDriverReportsFailure,
    Code::DeliveryLocationMismatch,
    Code::DriverDeliveredWithoutScan,
    Code::CustomerDisputesDelivery,
];

pub(super) fn customer_told_otherwise(
    inp: &Input<'_, '_>,
    all: &[Event],
    found: &[Contradiction],
) -> Vec<Contradiction> {
    let sh = inp.shipment;
    let evs = inp.evs;
    // An un-addressed "replacement cancelled" concerns this replacement unless the shop
    // cancelled another one.
    let named: Vec<Option<&crate::domain::TrackingNumber>> = all
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::OrderEvent(o) if o.order_number == sh.order_number => match &o.kind {
                OrderEventKind::ReplacementCancelled { tracking_number } => {
                    Some(tracking_number.as_ref())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let untargeted_replacement = named.is_empty()
        || named
            .iter()
            .any(|t| t.is_none() || *t == Some(&sh.tracking_number));
    let mut out = Vec::new();
    for ev in &evs.all {
        let EventBody::NotificationSent(n) = &ev.e.body else {
            continue;
        };
        let addressed = n.tracking_number.as_ref() == Some(&sh.tracking_number);
        let facts = match n.claim {
            NotificationClaim::Delivered if addressed || sh.kind == ShipmentKind::Original => {
                let disputes: Vec<&Contradiction> = found
                    .iter()
                    .filter(|c| DISPUTING.contains(&c.code))
                    .collect();
                let delivered = matches!(
                    inp.status,
                    ShipmentStatus::Delivered | ShipmentStatus::AvailableForPickup
                );
                if disputes.is_empty() && delivered {
                    continue;
                }
                let mut facts = vec![event_fact(ev)];
                match evs.scans.last() {
                    Some((x, s)) => facts.push(scan_fact(x, s)),
                    None => facts.push(Fact::new(Source::CarrierScan, None, None, "no_scan")),
                }
                for c in disputes {
                    for f in &c.facts {
                        let dup = facts
                            .iter()
                            .any(|g| g.event_id.is_some() && g.event_id == f.event_id);
                        if !dup && f.source != Source::Address {
                            facts.push(f.clone());
                        }
                    }
                }
                facts
            }
            NotificationClaim::Cancelled if sh.kind != ShipmentKind::Return => {
                match moved_despite(inp, ev) {
                    Some(m) => m,
                    None => continue,
                }
            }
            NotificationClaim::ReplacementCancelled
                if sh.kind == ShipmentKind::Replacement
                    && (addressed || (n.tracking_number.is_none() && untargeted_replacement)) =>
            {
                match moved_despite(inp, ev) {
                    Some(m) => m,
                    None => continue,
                }
            }
            _ => continue,
        };
        out.push(contradiction(Code::CustomerToldOtherwise, inp, facts));
    }
    out
}

/// For a "cancelled" claim: the notification and the scans showing the parcel moving on
/// after it (or delivered before it), if any.
pub(super) fn moved_despite(inp: &Input<'_, '_>, note: &Ev<'_>) -> Option<Vec<Fact>> {
    let mut moved = moving_after(inp.evs, note);
    if moved.is_empty()
        && inp.status == ShipmentStatus::Delivered
        && let Some((x, s)) = inp.evs.last_delivered()
    {
        moved.push(scan_fact(&x, s));
    }
    if moved.is_empty() {
        return None;
    }
    let mut facts = vec![event_fact(note)];
    facts.extend(moved);
    Some(facts)
}
