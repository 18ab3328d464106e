//! The contradiction checks of one shipment: each compares two sources (scan, driver,
//! shop, customer, notification) and, when they disagree, records both facts and the
//! ids of the events that say so.

mod delivery;
mod orders;

use chrono::{DateTime, Utc};

use crate::domain::{
    Address, DriverReport, Event, EventBody, Order, OrderEventKind, ScanStatus, Shipment,
    TrackingScan,
};

use super::super::policy::Policy;
use super::super::view::{
    Contradiction, ContradictionCode as Code, Fact, NextStep, ShipmentStatus, Source,
};
use super::{Ev, ShipmentEvents, gap};

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

pub(super) type Scan<'a> = (Ev<'a>, &'a TrackingScan);
pub(super) type Driver<'a> = (Ev<'a>, &'a DriverReport);

/// Runs every shipment-level check, in the order of the codes.
pub(super) fn shipment_contradictions(inp: &Input<'_, '_>, all: &[Event]) -> Vec<Contradiction> {
    let mut out = Vec::new();
    let delivered = inp.evs.last_delivered();
    if let Some(s) = delivered {
        out.extend(delivery::delivered_but_driver_reports_failure(inp, &s));
        out.extend(delivery::delivery_location_mismatch(inp, &s));
    }
    out.extend(delivery::driver_delivered_without_scan(inp));
    if let Some(s) = delivered {
        out.extend(delivery::customer_disputes_delivery(inp, &s));
    }
    out.extend(orders::shipped_after_cancellation(inp));
    if let Some(s) = delivered {
        out.extend(orders::refunded_and_delivered(inp, &s));
    }
    let told = orders::customer_told_otherwise(inp, all, &out);
    out.extend(told);
    out.extend(delivery::stale_tracking(inp));
    out
}

pub(super) fn contradiction(code: Code, inp: &Input<'_, '_>, facts: Vec<Fact>) -> Contradiction {
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
pub(crate) fn same_delivery(
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
