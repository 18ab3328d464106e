//! A test-only stand-in for reconciliation with the default thresholds, to check that
//! the cases exceed them clearly and that every other history stays clear of them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset};

use crate::domain::{
    CustomerClaim, DriverReport, EventBody, GeoPoint, Item, NotificationClaim, Order,
    OrderEventKind, ScanDetail, ScanStatus, Shipment, ShipmentKind, TrackingScan,
};

use super::codes::*;

type T = DateTime<FixedOffset>;
pub type Finding = (&'static str, String, Option<String>);

#[derive(Default)]
struct Facts<'a> {
    orders: BTreeMap<&'a str, &'a Order>,
    shipments: BTreeMap<&'a str, &'a Shipment>,
    scans: BTreeMap<&'a str, Vec<(T, &'a TrackingScan)>>,
    drivers: BTreeMap<&'a str, Vec<(T, &'a DriverReport)>>,
    order_events: BTreeMap<&'a str, Vec<(T, &'a OrderEventKind)>>,
    /// (when, order, tracking, claim)
    notes: Vec<(T, &'a str, Option<&'a str>, NotificationClaim)>,
    reports: Vec<(T, Option<&'a str>, Option<&'a str>, CustomerClaim)>,
}

fn failure(d: &DriverReport) -> bool {
    !d.outcome.is_delivery()
}

/// Every contradiction the thresholds find at `now`, as (code, order, tracking).
pub fn findings(items: &[Item], now: T) -> BTreeSet<Finding> {
    let mut f = Facts::default();
    for item in items {
        match item {
            Item::Order(o) => {
                f.orders.insert(o.number.as_str(), o);
            }
            Item::Shipment(s) => {
                f.shipments.insert(s.tracking_number.as_str(), s);
            }
            Item::Event(e) if e.occurred_at <= now => match &e.body {
                EventBody::TrackingScan(s) => f
                    .scans
                    .entry(s.tracking_number.as_str())
                    .or_default()
                    .push((e.occurred_at, s)),
                EventBody::DriverReport(d) => f
                    .drivers
                    .entry(d.tracking_number.as_str())
                    .or_default()
                    .push((e.occurred_at, d)),
                EventBody::OrderEvent(o) => f
                    .order_events
                    .entry(o.order_number.as_str())
                    .or_default()
                    .push((e.occurred_at, &o.kind)),
                EventBody::NotificationSent(n) => f.notes.push((
                    e.occurred_at,
                    n.order_number.as_str(),
                    n.tracking_number.as_ref().map(|t| t.as_str()),
                    n.claim,
                )),
                EventBody::CustomerReport(r) => f.reports.push((
                    e.occurred_at,
                    r.order_number.as_ref().map(|o| o.as_str()),
                    r.tracking_number.as_ref().map(|t| t.as_str()),
                    r.claim,
                )),
            },
            _ => {}
        }
    }
    let h = Duration::hours;
    let mut out = BTreeSet::new();
    let none = Vec::new();
    for (tn, s) in &f.shipments {
        let order = s.order_number.as_str();
        let scans = f.scans.get(tn).unwrap_or(&none);
        let drivers = f.drivers.get(tn).unwrap_or(&Vec::new()).clone();
        let delivered: Vec<&(T, &TrackingScan)> = scans
            .iter()
            .filter(|(_, x)| x.status == ScanStatus::Delivered)
            .collect();
        let mut flag = |code: &'static str| {
            out.insert((code, order.to_string(), Some(tn.to_string())));
        };
        let dbf = delivered.iter().any(|(t, _)| {
            drivers
                .iter()
                .any(|(u, d)| failure(d) && (*t - *u).abs() <= h(12))
        });
        if dbf {
            flag(DELIVERED_BUT_DRIVER_REPORTS_FAILURE);
        }
        let address = s
            .address
            .as_ref()
            .or(f.orders.get(order).map(|o| &o.shipping_address));
        for (t, x) in &delivered {
            if matches!(x.detail, Some(ScanDetail::ParcelShop | ScanDetail::Locker)) {
                continue;
            }
            let postcode_differs =
                matches!((&x.postcode, address), (Some(p), Some(a)) if *p != a.postcode);
            let far = x.coords.is_some_and(|c: GeoPoint| {
                drivers.iter().any(|(u, d)| {
                    (*t - *u).abs() <= h(12)
                        && d.coords.is_some_and(|dc| dc.distance_m(c) > 1_000.0)
                })
            });
            if postcode_differs || far {
                flag(DELIVERY_LOCATION_MISMATCH);
            }
        }
        if drivers.iter().any(|(u, d)| {
            d.outcome.is_delivery()
                && *u + h(6) <= now
                && !delivered
                    .iter()
                    .any(|(t, _)| *t >= *u - h(12) && *t <= *u + h(6))
        }) {
            flag(DRIVER_DELIVERED_WITHOUT_SCAN);
        }
        if !delivered.is_empty()
            && f.reports.iter().any(|(_, o, t, c)| {
                *c == CustomerClaim::NotReceived
                    && (*t == Some(tn) || (t.is_none() && *o == Some(order)))
            })
        {
            flag(CUSTOMER_DISPUTES_DELIVERY);
        }
        let events = f.order_events.get(order).unwrap_or(&Vec::new()).clone();
        let moved_after = |c: T| {
            scans.iter().any(|(t, x)| {
                *t > c
                    && matches!(
                        x.status,
                        ScanStatus::InTransit | ScanStatus::OutForDelivery | ScanStatus::Delivered
                    )
            })
        };
        let cancelled = events.iter().any(|(c, k)| match k {
            OrderEventKind::Cancelled => s.kind != ShipmentKind::Return && moved_after(*c),
            OrderEventKind::ReplacementCancelled { tracking_number } => {
                tracking_number.as_ref().is_some_and(|x| x.as_str() == *tn) && moved_after(*c)
            }
            _ => false,
        });
        if cancelled {
            flag(SHIPPED_AFTER_CANCELLATION);
        }
        let returned = events
            .iter()
            .any(|(_, k)| matches!(k, OrderEventKind::ReturnReceived));
        let refunded_then_delivered = s.kind != ShipmentKind::Return
            && !returned
            && events.iter().any(|(r, k)| match k {
                OrderEventKind::RefundIssued { skus, .. } => {
                    (skus.is_empty() || s.skus.iter().any(|x| skus.contains(x)))
                        && delivered.iter().any(|(t, _)| t > r)
                }
                _ => false,
            });
        if refunded_then_delivered {
            flag(REFUNDED_AND_DELIVERED);
        }
        let told_otherwise = f.notes.iter().any(|(at, o, t, claim)| {
            let about = *t == Some(tn)
                || (t.is_none() && *o == order && matches!(claim, NotificationClaim::Cancelled));
            about
                && match claim {
                    NotificationClaim::Delivered => delivered.iter().all(|(d, _)| d > at) || dbf,
                    NotificationClaim::ReplacementCancelled | NotificationClaim::Cancelled => {
                        !delivered.is_empty()
                    }
                    _ => false,
                }
        });
        if told_otherwise {
            flag(CUSTOMER_TOLD_OTHERWISE);
        }
        if let Some((t, x)) = scans.iter().max_by_key(|(t, _)| *t)
            && !matches!(
                x.status,
                ScanStatus::Delivered | ScanStatus::ReturnedToSender
            )
            && now - *t > h(72)
        {
            flag(STALE_TRACKING);
        }
    }
    for (order, events) in &f.order_events {
        for (at, k) in events {
            if let OrderEventKind::ReturnLabelPromised { due_by: Some(due) } = k
                && *due < now
                && !events
                    .iter()
                    .any(|(i, k)| i >= at && matches!(k, OrderEventKind::ReturnLabelIssued { .. }))
            {
                out.insert((PROMISE_OVERDUE, order.to_string(), None));
            }
        }
    }
    out
}

#[test]
fn the_thresholds_find_exactly_the_listed_cases_from_half_past_nine_to_noon() {
    use super::when::{At, Calendar};
    use super::{DEFAULT_ANCHOR, generate};
    let d = generate(DEFAULT_ANCHOR);
    let listed: BTreeSet<Finding> = d
        .contradiction_cases
        .iter()
        .map(|c| (c.code, c.order_number.clone(), c.tracking_number.clone()))
        .collect();
    for (h, m) in [(9, 30), (12, 0)] {
        let now = Calendar {
            anchor: DEFAULT_ANCHOR,
        }
        .instant(At::new(0, h, m));
        let found = findings(&d.items, now);
        let missing: Vec<_> = listed.difference(&found).collect();
        let unlisted: Vec<_> = found.difference(&listed).collect();
        assert!(
            missing.is_empty() && unlisted.is_empty(),
            "at {h}:{m:02}\nmissing {missing:#?}\nunlisted {unlisted:#?}"
        );
    }
}

#[test]
fn the_listed_cases_are_exactly_what_the_thresholds_find_whatever_the_weekday_or_season() {
    use super::generate;
    use super::when::{At, Calendar};
    use chrono::NaiveDate;
    // A week of anchors (Monday 15 Sep to Sunday 21 Sep 2025), the day after each clock
    // change, and New Year's Day.
    let mut anchors: Vec<NaiveDate> = (15..=21)
        .filter_map(|d| NaiveDate::from_ymd_opt(2025, 9, d))
        .collect();
    anchors.extend(
        [(2025, 10, 27), (2026, 3, 30), (2026, 1, 1)]
            .iter()
            .filter_map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
    );
    for anchor in anchors {
        let d = generate(anchor);
        let listed: BTreeSet<Finding> = d
            .contradiction_cases
            .iter()
            .map(|c| (c.code, c.order_number.clone(), c.tracking_number.clone()))
            .collect();
        let now = Calendar { anchor }.instant(At::new(0, 10, 0));
        let found = findings(&d.items, now);
        let missing: Vec<_> = listed.difference(&found).collect();
        let unlisted: Vec<_> = found.difference(&listed).collect();
        assert!(
            missing.is_empty() && unlisted.is_empty(),
            "anchor {anchor}\nmissing {missing:#?}\nunlisted {unlisted:#?}"
        );
    }
}
