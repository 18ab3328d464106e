//! Checks of the delivery itself: scan against driver, scan against address, driver
//! without scan, customer against scan, and tracking that went quiet.

use chrono::Utc;

use crate::domain::{
    CustomerClaim, DriverOutcome, EventBody, ScanDetail, ScanStatus, ShipmentKind,
};
use crate::truth::policy::Policy;
use crate::truth::view::{
    Contradiction, ContradictionCode as Code, Fact, NextStep, ShipmentStatus, Source,
};

use super::super::{gap, pickup_until};
use super::{
    Driver, Input, Scan, confirmed_by_scan, contradiction, driver_fact, event_fact, same_delivery,
    scan_fact,
};

pub(super) fn delivered_but_driver_reports_failure(
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

pub(super) fn norm_postcode(p: &str) -> String {
    p.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

pub(super) fn delivery_location_mismatch(
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

pub(super) fn driver_delivered_without_scan(inp: &Input<'_, '_>) -> Option<Contradiction> {
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

pub(super) fn customer_disputes_delivery(
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

pub(super) fn stale_tracking(inp: &Input<'_, '_>) -> Option<Contradiction> {
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
