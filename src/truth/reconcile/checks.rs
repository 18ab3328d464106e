//! The contradiction checks of one shipment: each compares two sources (scan, driver,
//! shop, customer, notification) and, when they disagree, records both facts and the
//! ids of the events that say so.

use chrono::{DateTime, Utc};

use crate::domain::{
    Address, CustomerClaim, DriverOutcome, DriverReport, Event, EventBody, NotificationClaim,
    Order, OrderEventKind, ScanDetail, ScanStatus, Shipment, ShipmentKind, Sku, TrackingScan,
};

use super::super::policy::Policy;
use super::super::view::{
    Contradiction, ContradictionCode as Code, Fact, NextStep, ShipmentStatus, Source,
};
use super::{Ev, ShipmentEvents, gap, pickup_until};

/// What the checks read.
pub(super) struct Input<'a, 'b> {
    pub shipment: &'b Shipment,
    pub address: Option<&'b Address>,
    pub order: Option<&'b Order>,
    pub evs: &'b ShipmentEvents<'a>,
    pub status: ShipmentStatus,
    pub next: &'b [NextStep],
    pub now: DateTime<Utc>,
    pub policy: &'b Policy,
}

type Scan<'a> = (Ev<'a>, &'a TrackingScan);
type Driver<'a> = (Ev<'a>, &'a DriverReport);

/// Runs every shipment-level check, in the order of the codes.
pub(super) fn shipment_contradictions(inp: &Input<'_, '_>, all: &[Event]) -> Vec<Contradiction> {
    let mut out = Vec::new();
    let delivered = inp.evs.last_delivered();
    if let Some(s) = delivered {
        out.extend(delivered_but_driver_reports_failure(inp, &s));
        out.extend(delivery_location_mismatch(inp, &s));
    }
    out.extend(driver_delivered_without_scan(inp));
    if let Some(s) = delivered {
        out.extend(customer_disputes_delivery(inp, &s));
    }
    out.extend(shipped_after_cancellation(inp));
    if let Some(s) = delivered {
        out.extend(refunded_and_delivered(inp, &s));
    }
    let told = customer_told_otherwise(inp, all, &out);
    out.extend(told);
    out.extend(stale_tracking(inp));
    out
}

fn contradiction(code: Code, inp: &Input<'_, '_>, facts: Vec<Fact>) -> Contradiction {
    let mut evidence = Vec::new();
    for f in &facts {
        if let Some(id) = &f.event_id
            && !evidence.contains(id)
        {
            evidence.push(id.clone());
        }
    }
    Contradiction {
        code,
        tracking_number: Some(inp.shipment.tracking_number.clone()),
        evidence,
        facts,
        remedies: Vec::new(),
    }
}

pub(crate) fn scan_fact(ev: &Ev<'_>, s: &TrackingScan) -> Fact {
    let mut f = Fact::new(
        Source::CarrierScan,
        Some(ev.e.id.clone()),
        Some(ev.at),
        s.status.as_str(),
    );
    f.location.clone_from(&s.location);
    f.postcode.clone_from(&s.postcode);
    f.description.clone_from(&s.description);
    f.tracking_number = Some(s.tracking_number.clone());
    f
}

pub(crate) fn driver_fact(ev: &Ev<'_>, d: &DriverReport) -> Fact {
    let mut f = Fact::new(
        Source::Driver,
        Some(ev.e.id.clone()),
        Some(ev.at),
        d.outcome.as_str(),
    );
    f.description.clone_from(&d.note);
    f.next_attempt_on = d.next_attempt_on;
    f.notice_card_left = d.notice_card_left;
    f.tracking_number = Some(d.tracking_number.clone());
    if let Some(h) = &d.handed_to {
        f.location = Some(match &h.address {
            Some(a) => format!("{}, {a}", h.name),
            None => h.name.clone(),
        });
    }
    f
}

/// A fact for an order event, notification or customer report.
pub(crate) fn event_fact(ev: &Ev<'_>) -> Fact {
    match &ev.e.body {
        EventBody::TrackingScan(s) => scan_fact(ev, s),
        EventBody::DriverReport(d) => driver_fact(ev, d),
        EventBody::OrderEvent(o) => {
            let mut f = Fact::new(
                Source::Shop,
                Some(ev.e.id.clone()),
                Some(ev.at),
                o.kind.name(),
            );
            f.tracking_number = o.kind.tracking_number().cloned();
            match &o.kind {
                OrderEventKind::RefundIssued { amount, .. } => f.amount = *amount,
                OrderEventKind::ReturnLabelPromised { due_by } => {
                    f.due_by = due_by.map(|d| d.with_timezone(&Utc));
                }
                _ => {}
            }
            f
        }
        EventBody::NotificationSent(n) => {
            let mut f = Fact::new(
                Source::Notification,
                Some(ev.e.id.clone()),
                Some(ev.at),
                n.claim.as_str(),
            );
            f.channel = Some(n.channel.clone());
            f.tracking_number.clone_from(&n.tracking_number);
            f
        }
        EventBody::CustomerReport(c) => {
            let mut f = Fact::new(
                Source::Customer,
                Some(ev.e.id.clone()),
                Some(ev.at),
                c.claim.as_str(),
            );
            f.channel.clone_from(&c.channel);
            f.tracking_number.clone_from(&c.tracking_number);
            f
        }
    }
}

/// Whether a driver report and a scan describe the same delivery: close enough in time,
/// and no new delivery run (an out-for-delivery or failed-attempt scan, another driver
/// report) between them.
pub(super) fn same_delivery(
    evs: &ShipmentEvents<'_>,
    report: &Ev<'_>,
    scan: &Ev<'_>,
    policy: &Policy,
) -> bool {
    if gap(report.at, scan.at) > Policy::hours(policy.same_delivery_window_hours) {
        return false;
    }
    let (lo, hi) = if report.key() < scan.key() {
        (report.key(), scan.key())
    } else {
        (scan.key(), report.key())
    };
    let between = |k| k > lo && k < hi;
    let new_run = evs.scans.iter().any(|(x, s)| {
        between(x.key())
            && matches!(
                s.status,
                ScanStatus::OutForDelivery | ScanStatus::AttemptFailed
            )
    });
    let other_report = evs
        .drivers
        .iter()
        .any(|(x, _)| x.e.id != report.e.id && between(x.key()));
    !new_run && !other_report
}

/// The driver's delivery report of the delivery a scan records, the closest in time.
pub(super) fn driver_delivery_of<'a>(
    evs: &ShipmentEvents<'a>,
    scan: &Ev<'_>,
    policy: &Policy,
) -> Option<Driver<'a>> {
    evs.drivers
        .iter()
        .filter(|(d, r)| r.outcome.is_delivery() && same_delivery(evs, d, scan, policy))
        .min_by_key(|(d, _)| (gap(d.at, scan.at), d.key()))
        .copied()
}

/// Whether a delivered or parcel-shop scan confirms a driver's delivery report (a scan
/// a little before the report counts; the carrier's sync may also lag behind).
pub(super) fn confirmed_by_scan(
    evs: &ShipmentEvents<'_>,
    report: &Ev<'_>,
    policy: &Policy,
) -> bool {
    let from = report.at - Policy::hours(policy.same_delivery_window_hours);
    evs.scans.iter().any(|(x, s)| {
        x.at >= from
            && matches!(
                s.status,
                ScanStatus::Delivered | ScanStatus::AvailableForPickup
            )
    })
}

fn delivered_but_driver_reports_failure(
    inp: &Input<'_, '_>,
    (sev, scan): &Scan<'_>,
) -> Option<Contradiction> {
    let evs = inp.evs;
    let window = Policy::hours(inp.policy.same_delivery_window_hours);
    let failures: Vec<&Driver<'_>> = evs
        .drivers
        .iter()
        .filter(|(d, r)| {
            !r.outcome.is_delivery()
                && same_delivery(evs, d, sev, inp.policy)
                // A failed attempt the driver followed up with a delivery is history.
                && !(d.key() < sev.key()
                    && evs.drivers.iter().any(|(x, y)| {
                        x.key() > d.key() && y.outcome.is_delivery() && gap(x.at, sev.at) <= window
                    }))
        })
        .collect();
    if failures.is_empty() {
        return None;
    }
    let mut facts = vec![scan_fact(sev, scan)];
    facts.extend(failures.iter().map(|(d, r)| driver_fact(d, r)));
    Some(contradiction(
        Code::DeliveredButDriverReportsFailure,
        inp,
        facts,
    ))
}

fn norm_postcode(p: &str) -> String {
    p.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn delivery_location_mismatch(
    inp: &Input<'_, '_>,
    (sev, scan): &Scan<'_>,
) -> Option<Contradiction> {
    let evs = inp.evs;
    let policy = inp.policy;
    if matches!(
        scan.detail,
        Some(ScanDetail::ParcelShop | ScanDetail::Locker)
    ) {
        return None;
    }
    let same: Vec<&Driver<'_>> = evs
        .drivers
        .iter()
        .filter(|(d, _)| same_delivery(evs, d, sev, policy))
        .collect();
    if same
        .iter()
        .any(|(_, r)| r.outcome == DriverOutcome::DeliveredToParcelShop)
    {
        return None;
    }
    let mut facts = vec![scan_fact(sev, scan)];
    let mut mismatch = false;
    if let (Some(a), Some(p)) = (inp.address, &scan.postcode)
        && norm_postcode(p) != norm_postcode(&a.postcode)
    {
        mismatch = true;
        let mut f = Fact::new(Source::Address, None, None, "address");
        f.location = Some(a.city.clone());
        f.postcode = Some(a.postcode.clone());
        f.description = Some(a.one_line());
        facts.push(f);
    }
    if let Some(sc) = scan.coords {
        let far = same
            .iter()
            .filter_map(|(d, r)| r.coords.map(|c| (d, r, c.distance_m(sc))))
            .min_by_key(|(d, _, _)| (gap(d.at, sev.at), d.key()));
        if let Some((d, r, dist)) = far
            && dist > policy.delivery_location_max_distance_m
        {
            mismatch = true;
            let mut f = driver_fact(d, r);
            f.distance_m = Some(dist.round() as u32);
            facts.push(f);
        }
    }
    mismatch.then(|| contradiction(Code::DeliveryLocationMismatch, inp, facts))
}

fn driver_delivered_without_scan(inp: &Input<'_, '_>) -> Option<Contradiction> {
    let evs = inp.evs;
    let (dev, d) = evs.drivers.last()?;
    if !d.outcome.is_delivery() || confirmed_by_scan(evs, dev, inp.policy) {
        return None;
    }
    if inp.now <= dev.at + Policy::hours(inp.policy.scan_confirmation_grace_hours) {
        return None;
    }
    let mut facts = vec![driver_fact(dev, d)];
    match evs.scans.last() {
        Some((sev, s)) => facts.push(scan_fact(sev, s)),
        None => facts.push(Fact::new(Source::CarrierScan, None, None, "no_scan")),
    }
    Some(contradiction(Code::DriverDeliveredWithoutScan, inp, facts))
}

fn customer_disputes_delivery(
    inp: &Input<'_, '_>,
    (sev, scan): &Scan<'_>,
) -> Option<Contradiction> {
    if inp.shipment.kind == ShipmentKind::Return {
        return None;
    }
    let evs = inp.evs;
    let reports: Vec<Fact> = evs
        .all
        .iter()
        .filter(|ev| {
            matches!(&ev.e.body, EventBody::CustomerReport(c) if c.claim == CustomerClaim::NotReceived)
                && ev.key() > sev.key()
                // The status at the report's time is still "delivered".
                && !evs.scans.iter().any(|(x, s)| {
                    x.key() > sev.key() && x.key() < ev.key() && s.status != ScanStatus::Delivered
                })
        })
        .map(event_fact)
        .collect();
    if reports.is_empty() {
        return None;
    }
    let mut facts = vec![scan_fact(sev, scan)];
    facts.extend(reports);
    Some(contradiction(Code::CustomerDisputesDelivery, inp, facts))
}

fn moving(s: ScanStatus) -> bool {
    matches!(
        s,
        ScanStatus::InTransit
            | ScanStatus::OutForDelivery
            | ScanStatus::Delivered
            | ScanStatus::AvailableForPickup
    )
}

/// The first and the last scan after `after` that show the parcel moving on.
fn moving_after<'a>(evs: &ShipmentEvents<'a>, after: &Ev<'_>) -> Vec<Fact> {
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

fn shipped_after_cancellation(inp: &Input<'_, '_>) -> Option<Contradiction> {
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

fn refunded_and_delivered(inp: &Input<'_, '_>, (sev, scan): &Scan<'_>) -> Option<Contradiction> {
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

fn customer_told_otherwise(
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
fn moved_despite(inp: &Input<'_, '_>, note: &Ev<'_>) -> Option<Vec<Fact>> {
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

fn stale_tracking(inp: &Input<'_, '_>) -> Option<Contradiction> {
    let (ev, s) = inp.evs.scans.last()?;
    if inp.status.is_final()
        || inp
            .next
            .iter()
            .any(|n| matches!(n, NextStep::NextAttempt { .. }))
    {
        return None;
    }
    let limit = Policy::hours(inp.policy.stale_tracking_hours);
    let since = if inp.status == ShipmentStatus::AvailableForPickup {
        // Waiting at the parcel shop is expected until the pick-up deadline.
        let until = pickup_until(ev.at, inp.policy);
        until
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| d.and_local_timezone(inp.policy.time_zone).earliest())
            .map_or(ev.at, |d| d.with_timezone(&Utc))
    } else {
        ev.at
    };
    if inp.now - since <= limit {
        return None;
    }
    Some(contradiction(
        Code::StaleTracking,
        inp,
        vec![scan_fact(ev, s)],
    ))
}
