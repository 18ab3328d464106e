//! The scripts of the named stories — each story's customer, order, parcels and events at
//! fixed times relative to the anchor morning — and the two stories of docs/architecture.md.

use crate::domain::{
    Carrier, DriverOutcome, GeoPoint, NotificationClaim, OrderEventKind, OrderNumber, ShipmentKind,
    Sku,
};

use crate::demo::DemoStory;
use crate::demo::builder::{Builder, Parcel, Spot, blank_report};
use crate::demo::carriers::{Step, hub};
use crate::demo::catalog::line;
use crate::demo::codes::*;
use crate::demo::flows::{make_order, skus_of};
use crate::demo::must;
use crate::demo::people::Registry;
use crate::demo::places::{CITIES_DE, City, offset, warehouse};
use crate::demo::rng::Rng;
use crate::demo::when::At;

pub(super) fn city(name: &str) -> &'static City {
    CITIES_DE
        .iter()
        .find(|c| c.name == name)
        .unwrap_or(&CITIES_DE[0])
}

/// The story's customer, order, and a parcel to them with the story's tracking number.
pub(super) struct Setup {
    pub number: OrderNumber,
    pub p: Parcel,
}

#[expect(clippy::too_many_arguments, reason = "a table row, read in one place")]
pub(super) fn setup(
    b: &mut Builder,
    rng: &mut Rng,
    reg: &mut Registry,
    story: &DemoStory,
    (id, name, town, street): (&str, &str, &str, (&'static str, u32)),
    carrier: Carrier,
    placed: At,
    lines: &[(&str, u32)],
) -> Setup {
    let mut hh = reg.fixed(
        rng,
        id,
        name,
        story.email,
        story.locale,
        city(town),
        story.postcode,
        street,
    );
    hh.customer.salutation = story.salutation;
    b.customer(hh.customer.clone());
    let number = must(OrderNumber::parse(story.order_number));
    let order = make_order(
        b,
        &hh,
        &number,
        placed,
        lines.iter().map(|(s, q)| line(s, *q)).collect(),
    );
    let p = Parcel {
        tn: b.reserve_tracking(story.tracking_number),
        carrier,
        order: number.clone(),
        origin: warehouse(),
        dest: hh.place.clone(),
    };
    if story.key != "cancelled_replacement" {
        b.shipment(&p, ShipmentKind::Original, skus_of(&order.lines), None);
    }
    Setup { number, p }
}

/// Label, pick-up at the warehouse, night sort, and the destination centre if another.
pub(super) fn route(
    b: &mut Builder,
    p: &Parcel,
    announce: At,
    handover: At,
    sorted: At,
    arrived: Option<At>,
) {
    b.scan(p, announce, Step::Announced, Spot::none());
    b.scan(
        p,
        handover,
        Step::PickedUpFromSender,
        Spot::at(p.origin.city),
    );
    b.scan(
        p,
        sorted,
        Step::OriginHub,
        Spot::at(hub(p.carrier, p.origin.hub)),
    );
    if let Some(at) = arrived {
        b.scan(
            p,
            at,
            Step::DestinationHub,
            Spot::at(hub(p.carrier, p.dest.hub)),
        );
    }
}

pub(super) fn door(p: &Parcel, north_m: f64, east_m: f64) -> GeoPoint {
    offset(p.dest.point, north_m, east_m)
}

/// A delivered scan at the door and the driver's agreeing report.
pub(super) fn delivered(b: &mut Builder, p: &Parcel, at: At, signed: bool) {
    b.scan(
        p,
        at,
        Step::Delivered,
        Spot::door(p.dest.city, p.dest.postcode, door(p, 6.0, -4.0)),
    );
    let mut r = blank_report(&p.tn, DriverOutcome::DeliveredToRecipient);
    r.coords = Some(door(p, 3.0, -2.0));
    if signed {
        r.signature_ref = Some(format!("signature/{}.png", p.tn));
    }
    b.driver(at.plus(1), r);
}

pub fn three_truths(b: &mut Builder, rng: &mut Rng, reg: &mut Registry, story: &DemoStory) {
    let who = ("C-1001", "Katrin Olbrich", "Paderborn", ("Eichenweg", 7));
    let mut s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Dhl,
        At::new(-3, 10, 12),
        &[("SHIRT-M", 3), ("TEAPOT-1L", 1)],
    );
    s.p.dest.point = GeoPoint {
        lat: 51.72031,
        lon: 8.75112,
    };
    let (p, n) = (&s.p, &s.number);
    route(
        b,
        p,
        At::new(-1, 9, 40),
        At::new(-1, 17, 20),
        At::new(-1, 21, 55),
        None,
    );
    b.scan(
        p,
        At::new(0, 5, 58),
        Step::OutForDelivery,
        Spot::at("Paderborn"),
    );
    b.notify(
        n,
        Some(&p.tn),
        At::new(0, 6, 3),
        "email",
        NotificationClaim::OutForDelivery,
    );
    let ffeld = Spot::door(
        "Ffeld",
        "33154",
        GeoPoint {
            lat: 51.67,
            lon: 8.62,
        },
    );
    b.scan(p, At::new(0, 6, 48), Step::Delivered, ffeld);
    b.notify(
        n,
        Some(&p.tn),
        At::new(0, 6, 50),
        "email",
        NotificationClaim::Delivered,
    );
    let mut r = blank_report(&p.tn, DriverOutcome::RecipientAbsent);
    r.notice_card_left = Some(true);
    r.next_attempt_on = Some(b.cal.date(1));
    r.note = Some("Empfänger nicht angetroffen".to_string());
    r.coords = Some(door(p, 9.0, 6.0));
    b.driver(At::new(0, 6, 51), r);
    for code in story.contradictions {
        b.case(code, n, Some(&p.tn), Some(story.key));
    }
}

pub fn cancelled_replacement(
    b: &mut Builder,
    rng: &mut Rng,
    reg: &mut Registry,
    story: &DemoStory,
) {
    let who = ("C-1002", "Malte Eickhoff", "Bielefeld", ("Rosenstraße", 21));
    let s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Dhl,
        At::new(-12, 14, 30),
        &[("HOODIE-L", 1), ("SOCKS-3P", 1)],
    );
    let n = &s.number;
    let replacement = s.p.clone();
    let original = Parcel {
        tn: b.reserve_tracking("00340434162502501234"),
        ..s.p.clone()
    };
    b.shipment(
        &original,
        ShipmentKind::Original,
        vec![sku("HOODIE-L"), sku("SOCKS-3P")],
        None,
    );
    route(
        b,
        &original,
        At::new(-10, 9, 10),
        At::new(-10, 17, 40),
        At::new(-10, 22, 5),
        None,
    );
    b.scan(
        &original,
        At::new(-9, 7, 15),
        Step::OutForDelivery,
        Spot::at("Bielefeld"),
    );
    delivered(b, &original, At::new(-9, 11, 42), true);
    b.notify(
        n,
        Some(&original.tn),
        At::new(-9, 11, 45),
        "email",
        NotificationClaim::Delivered,
    );
    let hoodie = vec![sku("HOODIE-L")];
    b.order_event(
        n,
        At::new(-8, 9, 14),
        OrderEventKind::WrongItemReported {
            skus: hoodie.clone(),
        },
    );
    let rtn = Some(replacement.tn.clone());
    b.order_event(
        n,
        At::new(-8, 9, 20),
        OrderEventKind::ReplacementCreated {
            tracking_number: rtn.clone(),
        },
    );
    b.notify(
        n,
        rtn.as_ref(),
        At::new(-8, 9, 21),
        "email",
        NotificationClaim::ReplacementCreated,
    );
    b.shipment(
        &replacement,
        ShipmentKind::Replacement,
        hoodie.clone(),
        None,
    );
    let due_by = Some(b.cal.instant(At::new(-6, 18, 0)));
    b.order_event(
        n,
        At::new(-8, 9, 25),
        OrderEventKind::ReturnLabelPromised { due_by },
    );
    b.notify(
        n,
        None,
        At::new(-8, 9, 26),
        "email",
        NotificationClaim::ReturnLabelPromised,
    );
    b.scan(
        &replacement,
        At::new(-8, 10, 2),
        Step::Announced,
        Spot::none(),
    );
    b.order_event(
        n,
        At::new(-7, 9, 0),
        OrderEventKind::ReplacementCancelled {
            tracking_number: rtn.clone(),
        },
    );
    let amount = Some(crate::domain::Money(4990));
    b.order_event(
        n,
        At::new(-7, 9, 2),
        OrderEventKind::RefundIssued {
            amount,
            skus: hoodie,
        },
    );
    b.notify(
        n,
        rtn.as_ref(),
        At::new(-7, 9, 5),
        "email",
        NotificationClaim::ReplacementCancelled,
    );
    b.notify(
        n,
        None,
        At::new(-7, 9, 6),
        "email",
        NotificationClaim::RefundIssued,
    );
    b.scan(
        &replacement,
        At::new(-6, 17, 35),
        Step::PickedUpFromSender,
        Spot::at("Paderborn"),
    );
    b.scan(
        &replacement,
        At::new(-6, 21, 50),
        Step::OriginHub,
        Spot::at(hub(Carrier::Dhl, "Bielefeld")),
    );
    b.scan(
        &replacement,
        At::new(-5, 7, 5),
        Step::OutForDelivery,
        Spot::at("Bielefeld"),
    );
    delivered(b, &replacement, At::new(-5, 10, 37), false);
    for code in story.contradictions {
        let tn = (*code != PROMISE_OVERDUE).then_some(&replacement.tn);
        b.case(code, n, tn, Some(story.key));
    }
}

pub(super) fn sku(s: &str) -> Sku {
    must(Sku::parse(s))
}
