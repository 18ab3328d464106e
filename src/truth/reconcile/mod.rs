//! `reconcile_shipment` and `reconcile_order`: events in any order, duplicated or not,
//! become one view — status, timeline, delivery details, what happens next and the
//! open contradictions.

mod checks;
mod order;
mod state;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};

use crate::domain::{
    DriverOutcome, DriverReport, Event, EventBody, EventId, Order, ScanDetail, ScanStatus,
    Shipment, TrackingScan,
};

use super::policy::Policy;
use super::remedy::{RemedyContext, offer_remedies};
use super::view::{
    DeliveryDetails, DeliveryPlace, NextStep, ShipmentStatus, ShipmentView, Source, TimelineEntry,
};

pub use order::reconcile_order;
pub use state::OrderState;

/// An event with its instant in UTC, the key reconciliation orders by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ev<'a> {
    pub at: DateTime<Utc>,
    pub e: &'a Event,
}

impl<'a> Ev<'a> {
    /// Order by (instant, id): total and independent of arrival order.
    pub fn key(&self) -> (DateTime<Utc>, &'a EventId) {
        (self.at, &self.e.id)
    }
}

/// Keeps the events `keep` accepts, drops repeated ids (the earliest instant wins) and
/// orders the rest by (instant, id).
pub(crate) fn normalize<'a>(events: &'a [Event], keep: impl Fn(&Event) -> bool) -> Vec<Ev<'a>> {
    let mut v: Vec<Ev<'a>> = events
        .iter()
        .filter(|e| keep(e))
        .map(|e| Ev {
            at: e.occurred_at.with_timezone(&Utc),
            e,
        })
        .collect();
    v.sort_unstable_by(|a, b| (a.e.id.as_str(), a.at).cmp(&(b.e.id.as_str(), b.at)));
    v.dedup_by(|b, a| a.e.id == b.e.id);
    v.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
    v
}

/// The events of one shipment, split by kind, each list in (instant, id) order.
pub(crate) struct ShipmentEvents<'a> {
    pub all: Vec<Ev<'a>>,
    pub scans: Vec<(Ev<'a>, &'a TrackingScan)>,
    pub drivers: Vec<(Ev<'a>, &'a DriverReport)>,
}

impl<'a> ShipmentEvents<'a> {
    fn new(all: Vec<Ev<'a>>) -> Self {
        let mut scans = Vec::new();
        let mut drivers = Vec::new();
        for ev in &all {
            match &ev.e.body {
                EventBody::TrackingScan(s) => scans.push((*ev, s)),
                EventBody::DriverReport(d) => drivers.push((*ev, d)),
                _ => {}
            }
        }
        Self {
            all,
            scans,
            drivers,
        }
    }

    /// The latest scan with `status = delivered`.
    pub fn last_delivered(&self) -> Option<(Ev<'a>, &'a TrackingScan)> {
        self.scans
            .iter()
            .rev()
            .find(|(_, s)| s.status == ScanStatus::Delivered)
            .copied()
    }
}

/// Whether an event belongs to the shipment's story: its scans and driver reports, and
/// the order's events, notifications and customer reports that name this shipment or
/// no shipment at all.
fn concerns(shipment: &Shipment, e: &Event) -> bool {
    let tn = e.body.tracking_number();
    match &e.body {
        EventBody::TrackingScan(_) | EventBody::DriverReport(_) => {
            tn == Some(&shipment.tracking_number)
        }
        EventBody::CustomerReport(_) => {
            tn == Some(&shipment.tracking_number)
                || (tn.is_none() && e.body.order_number() == Some(&shipment.order_number))
        }
        EventBody::OrderEvent(_) | EventBody::NotificationSent(_) => {
            e.body.order_number() == Some(&shipment.order_number)
                && (tn.is_none() || tn == Some(&shipment.tracking_number))
        }
    }
}

/// Reconciles one shipment. `events` may hold anything (other shipments' events are
/// ignored), in any order, with repeated ids; `order` supplies the address (unless the
/// shipment has its own), the item value and the currency. The contradictions carry
/// the remedies the policy allows with no cases known; call
/// [`ShipmentView::with_remedy_context`] to account for the order's cases.
pub fn reconcile_shipment(
    shipment: &Shipment,
    order: Option<&Order>,
    events: &[Event],
    now: DateTime<Utc>,
    policy: &Policy,
) -> ShipmentView {
    let evs = ShipmentEvents::new(normalize(events, |e| concerns(shipment, e)));
    let state = OrderState::from_events(&shipment.order_number, events, now);
    let last_scan = evs.scans.last();
    let status = last_scan.map_or(ShipmentStatus::Unknown, |(_, s)| {
        ShipmentStatus::from_scan(s.status)
    });
    let address = shipment
        .address
        .clone()
        .or_else(|| order.map(|o| o.shipping_address.clone()));
    let next = next_steps(&evs, status, now, policy);
    let delivery = delivery_details(&evs, status, policy);
    let contradictions = checks::shipment_contradictions(
        &checks::Input {
            shipment,
            address: address.as_ref(),
            order,
            evs: &evs,
            status,
            next: &next,
            now,
            policy,
        },
        events,
    );
    let mut view = ShipmentView {
        tracking_number: shipment.tracking_number.clone(),
        carrier: shipment.carrier,
        kind: shipment.kind,
        order_number: shipment.order_number.clone(),
        skus: shipment.skus.clone(),
        address,
        status,
        in_dispute: !contradictions.is_empty(),
        delivery,
        next,
        last_scan_at: last_scan.map(|(ev, _)| ev.at),
        items_value: order.map(|o| o.value_of(&shipment.skus)),
        currency: order.map(|o| o.currency.clone()),
        order_state: state,
        timeline: evs.all.iter().map(timeline_entry).collect(),
        contradictions,
    };
    offer_remedies(&mut view, &RemedyContext::default(), now, policy);
    view
}

impl ShipmentView {
    /// Recomputes the remedies offered for each contradiction with the order's known
    /// cases (the store layer fills `ctx`).
    pub fn with_remedy_context(
        mut self,
        ctx: &RemedyContext,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Self {
        offer_remedies(&mut self, ctx, now, policy);
        self
    }
}

/// A timeline entry for any event.
pub(crate) fn timeline_entry(ev: &Ev<'_>) -> TimelineEntry {
    let mut t = TimelineEntry {
        at: ev.at,
        source: Source::Shop,
        event_id: ev.e.id.clone(),
        what: String::new(),
        location: None,
        postcode: None,
        carrier_code: None,
        description: None,
        channel: None,
        tracking_number: None,
    };
    match &ev.e.body {
        EventBody::TrackingScan(s) => {
            t.source = Source::CarrierScan;
            t.what = s.status.as_str().to_string();
            t.location.clone_from(&s.location);
            t.postcode.clone_from(&s.postcode);
            t.carrier_code.clone_from(&s.carrier_code);
            t.description.clone_from(&s.description);
        }
        EventBody::DriverReport(d) => {
            t.source = Source::Driver;
            t.what = d.outcome.as_str().to_string();
            t.description.clone_from(&d.note);
        }
        EventBody::OrderEvent(o) => {
            t.source = Source::Shop;
            t.what = o.kind.name().to_string();
            t.tracking_number = o.kind.tracking_number().cloned();
        }
        EventBody::NotificationSent(n) => {
            t.source = Source::Notification;
            t.what = n.claim.as_str().to_string();
            t.channel = Some(n.channel.clone());
            t.tracking_number.clone_from(&n.tracking_number);
        }
        EventBody::CustomerReport(c) => {
            t.source = Source::Customer;
            t.what = c.claim.as_str().to_string();
            t.channel.clone_from(&c.channel);
            t.tracking_number.clone_from(&c.tracking_number);
        }
    }
    t
}

/// The local calendar day of an instant in the policy's time zone.
pub(crate) fn local_date(at: DateTime<Utc>, policy: &Policy) -> NaiveDate {
    at.with_timezone(&policy.time_zone).date_naive()
}

/// `days` working days (Monday to Saturday) after `from`.
pub(crate) fn add_working_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d = d.succ_opt().unwrap_or(d);
        if d.weekday() != Weekday::Sun {
            left -= 1;
        }
    }
    d
}

fn next_steps(
    evs: &ShipmentEvents<'_>,
    status: ShipmentStatus,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<NextStep> {
    let mut next = Vec::new();
    let today = local_date(now, policy);
    let last_delivered = evs.last_delivered();
    if let Some((ev, d)) = evs.drivers.last() {
        let superseded = last_delivered.is_some_and(|(s, _)| s.key() > ev.key());
        if let (false, false, Some(on)) = (d.outcome.is_delivery(), superseded, d.next_attempt_on)
            && on >= today
        {
            next.push(NextStep::NextAttempt {
                on,
                event_id: ev.e.id.clone(),
            });
        }
        if d.outcome.is_delivery() && !checks::confirmed_by_scan(evs, ev, policy) {
            let until = ev.at + Policy::hours(policy.scan_confirmation_grace_hours);
            if now <= until {
                next.push(NextStep::AwaitingScan {
                    until,
                    event_id: ev.e.id.clone(),
                });
            }
        }
    }
    if status == ShipmentStatus::AvailableForPickup
        && let Some((ev, s)) = evs.scans.last()
    {
        next.push(NextStep::Pickup {
            location: s.location.clone(),
            until: pickup_until(ev.at, policy),
            event_id: ev.e.id.clone(),
        });
    }
    next
}

/// The last day a parcel that became available for pick-up at `at` waits there.
pub(crate) fn pickup_until(at: DateTime<Utc>, policy: &Policy) -> NaiveDate {
    add_working_days(local_date(at, policy), policy.pickup_hold_working_days)
}

fn place_of_scan(d: ScanDetail) -> DeliveryPlace {
    match d {
        ScanDetail::Neighbour => DeliveryPlace::Neighbour,
        ScanDetail::SafePlace => DeliveryPlace::SafePlace,
        ScanDetail::ParcelShop => DeliveryPlace::ParcelShop,
        ScanDetail::Locker => DeliveryPlace::Locker,
    }
}

fn place_of_driver(o: DriverOutcome) -> DeliveryPlace {
    match o {
        DriverOutcome::DeliveredToRecipient => DeliveryPlace::Recipient,
        DriverOutcome::DeliveredToNeighbour => DeliveryPlace::Neighbour,
        DriverOutcome::DeliveredToSafePlace => DeliveryPlace::SafePlace,
        DriverOutcome::DeliveredToParcelShop => DeliveryPlace::ParcelShop,
        _ => DeliveryPlace::Unspecified,
    }
}

fn delivery_details(
    evs: &ShipmentEvents<'_>,
    status: ShipmentStatus,
    policy: &Policy,
) -> Option<DeliveryDetails> {
    let from_scan = match status {
        ShipmentStatus::Delivered => evs.last_delivered(),
        ShipmentStatus::AvailableForPickup => evs.scans.last().copied(),
        _ => None,
    };
    if let Some((sev, scan)) = from_scan {
        let driver = checks::driver_delivery_of(evs, &sev, policy);
        let place = match (scan.detail, driver, status) {
            (Some(d), _, _) => place_of_scan(d),
            (None, _, ShipmentStatus::AvailableForPickup) => DeliveryPlace::ParcelShop,
            (None, Some((_, d)), _) => place_of_driver(d.outcome),
            (None, None, _) => DeliveryPlace::Unspecified,
        };
        let mut out = DeliveryDetails {
            at: sev.at,
            place,
            confirmed_by_scan: true,
            scan_event_id: Some(sev.e.id.clone()),
            driver_event_id: None,
            location: scan.location.clone(),
            postcode: scan.postcode.clone(),
            handed_to: None,
            safe_place: None,
            photo_ref: None,
            signature_ref: None,
        };
        if let Some((dev, d)) = driver {
            fill_from_driver(&mut out, &dev, d);
        }
        return Some(out);
    }
    // Only the driver says it was handed over (the scan may still come).
    let (dev, d) = evs.drivers.last()?;
    let after_last_scan = evs.scans.last().is_none_or(|(s, _)| s.key() < dev.key());
    if !(d.outcome.is_delivery() && after_last_scan) {
        return None;
    }
    let mut out = DeliveryDetails {
        at: dev.at,
        place: place_of_driver(d.outcome),
        confirmed_by_scan: false,
        scan_event_id: None,
        driver_event_id: None,
        location: None,
        postcode: None,
        handed_to: None,
        safe_place: None,
        photo_ref: None,
        signature_ref: None,
    };
    fill_from_driver(&mut out, dev, d);
    Some(out)
}

fn fill_from_driver(out: &mut DeliveryDetails, ev: &Ev<'_>, d: &DriverReport) {
    out.driver_event_id = Some(ev.e.id.clone());
    out.handed_to.clone_from(&d.handed_to);
    out.safe_place.clone_from(&d.safe_place);
    out.photo_ref.clone_from(&d.photo_ref);
    out.signature_ref.clone_from(&d.signature_ref);
}

/// The absolute time between two instants.
pub(crate) fn gap(a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
    (a - b).abs()
}
