//! The plain stories: an English-speaking customer's ordinary delivery, a neighbour
//! delivery both sources agree on, a parcel waiting at a parcel shop, and a stale parcel.

use crate::demo::DemoStory;
use crate::demo::builder::{Builder, Spot, blank_report};
use crate::demo::carriers::Step;
use crate::demo::codes::*;
use crate::demo::people::Registry;
use crate::demo::rng::Rng;
use crate::demo::when::At;
use crate::domain::{Carrier, DriverOutcome, HandedTo, NotificationClaim, ScanDetail};

use super::scripts::{delivered, door, route, setup};

pub fn english_plain(b: &mut Builder, rng: &mut Rng, reg: &mut Registry, story: &DemoStory) {
    let who = ("C-1003", "Olivia Hartley", "Köln", ("Ahornweg", 23));
    let s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Gls,
        At::new(-3, 19, 45),
        &[("BLANKET-WOOL", 1), ("MUG-BLUE", 2)],
    );
    let (p, n) = (&s.p, &s.number);
    route(
        b,
        p,
        At::new(-2, 10, 30),
        At::new(-2, 17, 10),
        At::new(-2, 21, 20),
        Some(At::new(-1, 4, 5)),
    );
    b.scan(
        p,
        At::new(-1, 7, 30),
        Step::OutForDelivery,
        Spot::at("Köln"),
    );
    b.notify(
        n,
        Some(&p.tn),
        At::new(-1, 7, 34),
        "email",
        NotificationClaim::OutForDelivery,
    );
    delivered(b, p, At::new(-1, 12, 14), true);
    b.notify(
        n,
        Some(&p.tn),
        At::new(-1, 12, 16),
        "email",
        NotificationClaim::Delivered,
    );
}

pub fn neighbour(b: &mut Builder, rng: &mut Rng, reg: &mut Registry, story: &DemoStory) {
    let who = ("C-1004", "Stefan Reimers", "München", ("Lindenstraße", 14));
    let s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Hermes,
        At::new(-4, 21, 10),
        &[("LAMP-DESK", 1), ("CANDLE-SOY", 2)],
    );
    let (p, n) = (&s.p, &s.number);
    route(
        b,
        p,
        At::new(-3, 11, 0),
        At::new(-3, 17, 50),
        At::new(-3, 22, 30),
        Some(At::new(-2, 4, 40)),
    );
    b.scan(
        p,
        At::new(-2, 7, 20),
        Step::OutForDelivery,
        Spot::at("München"),
    );
    let next_door = door(p, -12.0, 18.0);
    let spot = Spot::door("München", "80331", next_door).with_detail(ScanDetail::Neighbour);
    b.scan(p, At::new(-2, 15, 20), Step::DeliveredToNeighbour, spot);
    let mut r = blank_report(&p.tn, DriverOutcome::DeliveredToNeighbour);
    r.handed_to = Some(HandedTo {
        name: "Familie Aydın".to_string(),
        address: Some("Lindenstraße 16, 80331 München".to_string()),
    });
    r.notice_card_left = Some(true);
    r.note = Some("Beim Nachbarn Nr. 16 abgegeben, Karte eingeworfen".to_string());
    r.coords = Some(next_door);
    r.photo_ref = Some(format!("photo/{}/1.jpg", p.tn));
    b.driver(At::new(-2, 15, 21), r);
    b.notify(
        n,
        Some(&p.tn),
        At::new(-2, 15, 24),
        "email",
        NotificationClaim::Delivered,
    );
}

pub fn parcel_shop(b: &mut Builder, rng: &mut Rng, reg: &mut Registry, story: &DemoStory) {
    let who = ("C-1005", "Frieda Hanewinkel", "Hamburg", ("Bergstraße", 5));
    let s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Dpd,
        At::new(-4, 8, 30),
        &[("TOWEL-SET", 1), ("APRON-LIN", 1)],
    );
    let (p, n) = (&s.p, &s.number);
    route(
        b,
        p,
        At::new(-3, 10, 15),
        At::new(-3, 17, 30),
        At::new(-3, 22, 10),
        Some(At::new(-2, 3, 55)),
    );
    b.scan(
        p,
        At::new(-2, 6, 50),
        Step::OutForDelivery,
        Spot::at("Hamburg"),
    );
    b.notify(
        n,
        Some(&p.tn),
        At::new(-2, 6, 55),
        "email",
        NotificationClaim::OutForDelivery,
    );
    let at_door = Spot::door("Hamburg", "20095", door(p, 5.0, 5.0));
    b.scan(
        p,
        At::new(-2, 10, 25),
        Step::NotMet {
            attempt: 1,
            to_pickup_point: true,
        },
        at_door,
    );
    let mut r = blank_report(&p.tn, DriverOutcome::RecipientAbsent);
    r.notice_card_left = Some(true);
    r.note = Some(
        "Empfänger nicht angetroffen, Karte eingeworfen, Paket in den Pickup Paketshop".to_string(),
    );
    r.coords = Some(door(p, 2.0, 3.0));
    b.driver(At::new(-2, 10, 26), r);
    let until = b.cal.german_date(5);
    let point = "Kiosk am Markt, Bergstraße 40";
    let spot =
        Spot::door(point, "20095", door(p, 140.0, 210.0)).with_detail(ScanDetail::ParcelShop);
    b.scan(
        p,
        At::new(-2, 16, 40),
        Step::ReadyForPickup {
            point,
            until: &until,
        },
        spot,
    );
}

pub fn stale(b: &mut Builder, rng: &mut Rng, reg: &mut Registry, story: &DemoStory) {
    let who = ("C-1006", "Hendrik Tewes", "Berlin", ("Schulstraße", 31));
    let s = setup(
        b,
        rng,
        reg,
        story,
        who,
        Carrier::Gls,
        At::new(-8, 12, 0),
        &[("JEANS-32", 1)],
    );
    let (p, n) = (&s.p, &s.number);
    route(
        b,
        p,
        At::new(-7, 9, 30),
        At::new(-7, 17, 15),
        At::new(-7, 21, 40),
        Some(At::new(-6, 3, 12)),
    );
    b.case(STALE_TRACKING, n, Some(&p.tn), Some(story.key));
}
