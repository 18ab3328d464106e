//! The collector: records and events as they are made, event ids per source, the
//! contradiction cases, and the rule that nothing lies after the data's cutoff.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{
    Address, Carrier, Customer, CustomerReport, DriverOutcome, DriverReport, Event, EventBody,
    EventId, GeoPoint, Item, NotificationClaim, NotificationSent, Order, OrderEvent,
    OrderEventKind, OrderNumber, ScanDetail, Shipment, ShipmentKind, Sku, TrackingNumber,
    TrackingScan,
};

use super::carriers::{Step, tracking_number, wording};
use super::places::Place;
use super::rng::Rng;
use super::when::{At, CUTOFF, Calendar};
use super::{ContradictionCase, must};

/// A parcel on its way from `origin` to `dest`.
#[derive(Clone, Debug)]
pub struct Parcel {
    pub tn: TrackingNumber,
    pub carrier: Carrier,
    pub order: OrderNumber,
    pub origin: Place,
    pub dest: Place,
}

/// Where a scan was made.
#[derive(Clone, Debug, Default)]
pub struct Spot {
    pub location: Option<String>,
    pub postcode: Option<String>,
    pub coords: Option<GeoPoint>,
    pub detail: Option<ScanDetail>,
}

impl Spot {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn at(location: impl Into<String>) -> Self {
        Self {
            location: Some(location.into()),
            ..Self::default()
        }
    }

    /// At a door (or a pick-up point): place name, postcode and coordinates.
    pub fn door(location: impl Into<String>, postcode: &str, coords: GeoPoint) -> Self {
        Self {
            location: Some(location.into()),
            postcode: Some(postcode.to_string()),
            coords: Some(coords),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: ScanDetail) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// A driver report with only its outcome set.
pub fn blank_report(tn: &TrackingNumber, outcome: DriverOutcome) -> DriverReport {
    DriverReport {
        tracking_number: tn.clone(),
        outcome,
        note: None,
        handed_to: None,
        safe_place: None,
        notice_card_left: None,
        next_attempt_on: None,
        coords: None,
        photo_ref: None,
        signature_ref: None,
    }
}

pub struct Builder {
    pub cal: Calendar,
    customers: Vec<Customer>,
    orders: Vec<Order>,
    shipments: Vec<Shipment>,
    events: Vec<(At, Event)>,
    counters: BTreeMap<&'static str, u64>,
    tracking: BTreeSet<String>,
    pub cases: Vec<ContradictionCase>,
    /// When set, an event after the cutoff is a defect (stories and cases are scripted to
    /// lie in the past); it is recorded in `late` and dropped.
    pub scripted: bool,
    pub late: Vec<String>,
}

impl Builder {
    pub fn new(cal: Calendar) -> Self {
        Self {
            cal,
            customers: Vec::new(),
            orders: Vec::new(),
            shipments: Vec::new(),
            events: Vec::new(),
            counters: BTreeMap::new(),
            tracking: BTreeSet::new(),
            cases: Vec::new(),
            scripted: false,
            late: Vec::new(),
        }
    }

    pub fn customer(&mut self, c: Customer) {
        self.customers.push(c);
    }

    pub fn order(&mut self, o: Order) {
        self.orders.push(o);
    }

    /// Keeps a fixed tracking number from being drawn again.
    pub fn reserve_tracking(&mut self, tn: &str) -> TrackingNumber {
        self.tracking.insert(tn.to_string());
        must(TrackingNumber::parse(tn))
    }

    /// A fresh tracking number of the carrier's shape, never handed out before.
    pub fn new_tracking(&mut self, rng: &mut Rng, carrier: Carrier) -> TrackingNumber {
        loop {
            let tn = tracking_number(rng, carrier);
            if self.tracking.insert(tn.clone()) {
                return must(TrackingNumber::parse(&tn));
            }
        }
    }

    pub fn shipment(
        &mut self,
        p: &Parcel,
        kind: ShipmentKind,
        skus: Vec<Sku>,
        address: Option<Address>,
    ) {
        self.shipments.push(Shipment {
            tracking_number: p.tn.clone(),
            carrier: p.carrier,
            order_number: p.order.clone(),
            kind,
            skus,
            address,
        });
    }

    /// Appends an event if it lies before the cutoff; says whether it did.
    pub fn push(&mut self, prefix: &'static str, at: At, body: EventBody) -> bool {
        if at > CUTOFF {
            if self.scripted {
                self.late
                    .push(format!("{prefix} {} at {at:?}", body.type_name()));
            }
            return false;
        }
        let n = self.counters.entry(prefix).or_insert(100_000);
        *n += 1;
        let id = must(EventId::parse(&format!("{prefix}-{n}")));
        let occurred_at = self.cal.instant(at);
        self.events.push((
            at,
            Event {
                id,
                occurred_at,
                body,
            },
        ));
        true
    }

    /// A carrier scan in the carrier's own code and words.
    pub fn scan(&mut self, p: &Parcel, at: At, step: Step<'_>, spot: Spot) -> bool {
        let (code, text) = wording(p.carrier, step);
        let body = EventBody::TrackingScan(TrackingScan {
            tracking_number: p.tn.clone(),
            status: step.status(),
            location: spot.location,
            postcode: spot.postcode,
            coords: spot.coords,
            carrier_code: Some(code.to_string()),
            description: Some(text),
            detail: spot.detail,
        });
        self.push(p.carrier.as_str(), at, body)
    }

    pub fn driver(&mut self, at: At, report: DriverReport) -> bool {
        self.push("drv", at, EventBody::DriverReport(report))
    }

    pub fn order_event(&mut self, order: &OrderNumber, at: At, kind: OrderEventKind) -> bool {
        let body = EventBody::OrderEvent(OrderEvent {
            order_number: order.clone(),
            kind,
        });
        self.push("oms", at, body)
    }

    pub fn notify(
        &mut self,
        order: &OrderNumber,
        tn: Option<&TrackingNumber>,
        at: At,
        channel: &'static str,
        claim: NotificationClaim,
    ) -> bool {
        let prefix = match channel {
            "email" => "mail",
            other => other,
        };
        let body = EventBody::NotificationSent(NotificationSent {
            order_number: order.clone(),
            tracking_number: tn.cloned(),
            channel: channel.to_string(),
            claim,
        });
        self.push(prefix, at, body)
    }

    pub fn report(&mut self, at: At, report: CustomerReport) -> bool {
        self.push("cr", at, EventBody::CustomerReport(report))
    }

    /// Records that an order (and shipment) realizes a contradiction code.
    pub fn case(
        &mut self,
        code: &'static str,
        order: &OrderNumber,
        tn: Option<&TrackingNumber>,
        story: Option<&'static str>,
    ) {
        self.cases.push(ContradictionCase {
            code,
            order_number: order.to_string(),
            tracking_number: tn.map(ToString::to_string),
            story,
        });
    }

    /// Gives the first order of a company customer (a name with "GmbH") a recipient and
    /// a stakeholder (business orders: one person orders, several wait); `false` when
    /// there is none.
    pub fn give_contacts(&mut self, reg: &mut crate::demo::people::Registry) -> bool {
        let company = |id: &crate::domain::CustomerId| {
            self.customers
                .iter()
                .any(|c| &c.id == id && c.name.ends_with("GmbH"))
        };
        let Some(i) = self.orders.iter().position(|o| company(&o.customer_id)) else {
            return false;
        };
        let contact = |name: &str, email: String, role, locale| crate::domain::Contact {
            name: name.to_string(),
            email: Some(email),
            phone: None,
            role,
            locale,
        };
        self.orders[i].contacts = Some(vec![
            contact(
                "Jonas Feldkamp",
                reg.email("jonas.feldkamp", "example.net"),
                crate::domain::ContactRole::Recipient,
                crate::domain::Locale::De,
            ),
            contact(
                "Maren Quast",
                reg.email("maren.quast", "example.net"),
                crate::domain::ContactRole::Stakeholder,
                crate::domain::Locale::En,
            ),
        ]);
        true
    }

    /// Everything in ingestion order: customers, orders, shipments, then events by time.
    pub fn finish(self) -> (Vec<Item>, Vec<ContradictionCase>, Vec<String>) {
        let mut events = self.events;
        events.sort_by_key(|(at, _)| *at);
        let items = self
            .customers
            .into_iter()
            .map(Item::Customer)
            .chain(self.orders.into_iter().map(Item::Order))
            .chain(self.shipments.into_iter().map(Item::Shipment))
            .chain(events.into_iter().map(|(_, e)| Item::Event(e)))
            .collect();
        (items, self.cases, self.late)
    }
}
