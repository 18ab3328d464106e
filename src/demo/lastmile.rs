//! A parcel's way: announcement, hand-over, parcel centres, and the last mile with the
//! outcomes German deliveries know — recipient, neighbour, safe place, a second attempt,
//! a Packstation or parcel shop, Hermes's three attempts, and back to the sender.
//!
//! Consistent histories keep clear of the reconciliation thresholds: a failed attempt and
//! a later delivery lie at least 17 hours apart, and a parcel not yet final has a scan
//! from the last 72 hours.

use crate::domain::{DriverOutcome, HandedTo, NotificationClaim, ScanDetail};

use super::builder::{Builder, Parcel, Spot, blank_report};
use super::carriers::{Step, hub, pickup_point};
use super::people::neighbour_name;
use super::places::near;
use super::rng::Rng;
use super::when::At;

/// How the last mile ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Recipient,
    Neighbour,
    SafePlace,
    SecondAttempt,
    PickupPoint,
    ThreeAttempts,
    Unclaimed,
}

pub const SAFE_PLACES: &[&str] = &[
    "Garage",
    "Terrasse",
    "Carport",
    "Gartenhaus",
    "Hauseingang (überdacht)",
];

/// Scans from the label to the last parcel centre before delivery: announced at
/// `announce`, handed over on `handover_day` late afternoon, sorted that night (and the
/// next night at the destination's centre). Returns the last scan's moment, or `None`
/// when the data end first.
pub fn transit(
    b: &mut Builder,
    rng: &mut Rng,
    p: &Parcel,
    announce: At,
    handover_day: i64,
    dropoff: bool,
) -> Option<At> {
    if !b.scan(p, announce, Step::Announced, Spot::none()) {
        return None;
    }
    let hand = At::new(handover_day, rng.range(16, 18), rng.range(0, 59)).max(announce.plus(30));
    let step = if dropoff {
        Step::DroppedOffByCustomer
    } else {
        Step::PickedUpFromSender
    };
    if !b.scan(p, hand, step, Spot::at(p.origin.city)) {
        return None;
    }
    let sorted = At::new(handover_day, rng.range(20, 23), rng.range(0, 59)).max(hand.plus(60));
    if !b.scan(
        p,
        sorted,
        Step::OriginHub,
        Spot::at(hub(p.carrier, p.origin.hub)),
    ) {
        return None;
    }
    if p.dest.is_abroad() {
        let export = At::new(sorted.day + 1, rng.range(3, 6), rng.range(0, 59));
        let arrived = At::new(sorted.day + 2, rng.range(5, 8), rng.range(0, 59));
        let ok = b.scan(
            p,
            export,
            Step::Export,
            Spot::at(hub(p.carrier, p.origin.hub)),
        ) && b.scan(p, arrived, Step::ArrivedAbroad, Spot::at(p.dest.city));
        return ok.then_some(arrived);
    }
    if p.dest.hub != p.origin.hub {
        let arrived = At::new(sorted.day + 1, rng.range(1, 4), rng.range(0, 59));
        return b
            .scan(
                p,
                arrived,
                Step::DestinationHub,
                Spot::at(hub(p.carrier, p.dest.hub)),
            )
            .then_some(arrived);
    }
    Some(sorted)
}

/// The first delivery day after the last transit scan: the same morning after a night
/// sort at the destination, else the next day; never a Sunday.
pub fn delivery_day_after(b: &Builder, last: At) -> i64 {
    let day = if last.min < 6 * 60 {
        last.day
    } else {
        last.day + 1
    };
    b.cal.delivery_day_from(day)
}

fn channel(rng: &mut Rng) -> &'static str {
    rng.weighted(&[("email", 80), ("sms", 10), ("push", 10)])
}

/// The last mile from the morning of `day`. Returns when the parcel reached the
/// recipient (delivered scan), if it did before the data end.
pub fn last_mile(
    b: &mut Builder,
    rng: &mut Rng,
    p: &Parcel,
    day: i64,
    outcome: Outcome,
    notify: bool,
) -> Option<At> {
    let loaded = At::new(day, rng.range(6, 7), rng.range(0, 59));
    if !b.scan(p, loaded, Step::OutForDelivery, Spot::at(p.dest.city)) {
        return None;
    }
    if notify && rng.chance(60) {
        let ch = channel(rng);
        b.notify(
            &p.order,
            Some(&p.tn),
            loaded.plus(rng.range(2, 20)),
            ch,
            NotificationClaim::OutForDelivery,
        );
    }
    match outcome {
        Outcome::Recipient | Outcome::Neighbour | Outcome::SafePlace => {
            let at = loaded.plus(rng.range(60, 540));
            hand_over(b, rng, p, at, outcome, notify)
        }
        Outcome::SecondAttempt => {
            let first = loaded.plus(rng.range(60, 360));
            let next = b.cal.delivery_day_from(day + 1);
            let tried = if rng.chance(15) {
                address_unclear(b, rng, p, first)
            } else {
                not_met(b, rng, p, first, 1, false, Some(next))
            };
            if !tried {
                return None;
            }
            second_try(b, rng, p, next, notify)
        }
        Outcome::ThreeAttempts => {
            let first = loaded.plus(rng.range(60, 360));
            let d2 = b.cal.delivery_day_from(day + 1);
            if !not_met(b, rng, p, first, 1, false, Some(d2)) {
                return None;
            }
            let loaded2 = At::new(d2, rng.range(6, 7), rng.range(0, 59));
            let second = loaded2.plus(rng.range(150, 360));
            let d3 = b.cal.delivery_day_from(d2 + 1);
            if !(b.scan(p, loaded2, Step::OutForDelivery, Spot::at(p.dest.city))
                && not_met(b, rng, p, second, 2, false, Some(d3)))
            {
                return None;
            }
            second_try(b, rng, p, d3, notify)
        }
        Outcome::PickupPoint | Outcome::Unclaimed => {
            let attempt = loaded.plus(rng.range(60, 360));
            if !not_met(b, rng, p, attempt, 1, true, None) {
                return None;
            }
            let (point, detail) = pickup_point(rng, p.carrier);
            let until = b.cal.german_date(attempt.day + 7);
            let ready = attempt.plus(rng.range(180, 330));
            let shop = near(rng, p.dest.point, 600.0);
            let spot = |c| Spot::door(point.clone(), p.dest.postcode, c).with_detail(detail);
            if !b.scan(
                p,
                ready,
                Step::ReadyForPickup {
                    point: &point,
                    until: &until,
                },
                spot(shop),
            ) {
                return None;
            }
            if outcome == Outcome::Unclaimed && attempt.day + 10 <= -1 {
                let back = At::new(
                    b.cal.delivery_day_from(attempt.day + 8),
                    rng.range(9, 12),
                    rng.range(0, 59),
                );
                b.scan(
                    p,
                    back,
                    Step::ReturnedToSender,
                    Spot::at(hub(p.carrier, p.dest.hub)),
                );
                return None;
            }
            let fetched = At::new(
                b.cal.delivery_day_from(ready.day + 1),
                rng.range(14, 18),
                rng.range(0, 59),
            );
            b.scan(
                p,
                fetched,
                Step::PickedUp { point: &point },
                spot(near(rng, shop, 10.0)),
            )
            .then_some(fetched)
        }
    }
}

/// A second (or third) round: loaded early, delivered from half past eight on.
fn second_try(b: &mut Builder, rng: &mut Rng, p: &Parcel, day: i64, notify: bool) -> Option<At> {
    let loaded = At::new(day, rng.range(6, 7), rng.range(0, 59));
    if !b.scan(p, loaded, Step::OutForDelivery, Spot::at(p.dest.city)) {
        return None;
    }
    let how = if rng.chance(75) {
        Outcome::Recipient
    } else {
        Outcome::Neighbour
    };
    let at = loaded.plus(rng.range(150, 420));
    hand_over(b, rng, p, at, how, notify)
}

/// A delivered scan at the door and, mostly, the driver's matching report.
pub fn hand_over(
    b: &mut Builder,
    rng: &mut Rng,
    p: &Parcel,
    at: At,
    how: Outcome,
    notify: bool,
) -> Option<At> {
    let door = near(rng, p.dest.point, 20.0);
    let mut report = blank_report(&p.tn, DriverOutcome::DeliveredToRecipient);
    let (step, detail) = match how {
        Outcome::Neighbour => {
            report.outcome = DriverOutcome::DeliveredToNeighbour;
            report.handed_to = Some(HandedTo {
                name: neighbour_name(rng),
                address: Some(p.dest.neighbour_line(rng)),
            });
            report.notice_card_left = Some(true);
            report.note =
                Some("Beim Nachbarn abgegeben, Benachrichtigungskarte eingeworfen".to_string());
            (Step::DeliveredToNeighbour, Some(ScanDetail::Neighbour))
        }
        Outcome::SafePlace => {
            report.outcome = DriverOutcome::DeliveredToSafePlace;
            report.safe_place = Some(rng.pick(SAFE_PLACES).to_string());
            report.photo_ref = Some(format!("photo/{}/1.jpg", p.tn));
            (Step::DeliveredToSafePlace, Some(ScanDetail::SafePlace))
        }
        _ => {
            if rng.chance(40) {
                report.signature_ref = Some(format!("signature/{}.png", p.tn));
            }
            (Step::Delivered, None)
        }
    };
    let mut spot = Spot::door(p.dest.city, p.dest.postcode, near(rng, door, 15.0));
    spot.detail = detail;
    if !b.scan(p, at, step, spot) {
        return None;
    }
    report.coords = Some(door);
    if !p.dest.is_abroad() && rng.chance(92) {
        b.driver(at.plus(rng.range(0, 2)), report);
    }
    if notify && rng.chance(65) {
        let ch = channel(rng);
        b.notify(
            &p.order,
            Some(&p.tn),
            at.plus(rng.range(1, 15)),
            ch,
            NotificationClaim::Delivered,
        );
    }
    Some(at)
}

/// A failed attempt: the carrier's scan and the driver's report, a card in the letterbox.
pub fn not_met(
    b: &mut Builder,
    rng: &mut Rng,
    p: &Parcel,
    at: At,
    attempt: u8,
    to_pickup_point: bool,
    next_day: Option<i64>,
) -> bool {
    let door = near(rng, p.dest.point, 20.0);
    let step = Step::NotMet {
        attempt,
        to_pickup_point,
    };
    if !b.scan(
        p,
        at,
        step,
        Spot::door(p.dest.city, p.dest.postcode, near(rng, door, 15.0)),
    ) {
        return false;
    }
    let mut report = blank_report(&p.tn, DriverOutcome::RecipientAbsent);
    report.notice_card_left = Some(true);
    report.next_attempt_on = next_day.map(|d| b.cal.date(d));
    report.note = Some(
        if to_pickup_point {
            "Empfänger nicht angetroffen, Karte eingeworfen, Sendung zur Abholstelle"
        } else {
            "Empfänger nicht angetroffen, Benachrichtigungskarte eingeworfen"
        }
        .to_string(),
    );
    report.coords = Some(door);
    b.driver(at.plus(rng.range(0, 2)), report);
    true
}

/// The driver cannot find the house number; the carrier reports an exception, and the
/// parcel goes out again the next delivery day once the address is clear.
fn address_unclear(b: &mut Builder, rng: &mut Rng, p: &Parcel, at: At) -> bool {
    let door = near(rng, p.dest.point, 60.0);
    let spot = Spot::door(p.dest.city, p.dest.postcode, near(rng, door, 15.0));
    if !b.scan(p, at, Step::AddressProblem, spot) {
        return false;
    }
    let mut report = blank_report(&p.tn, DriverOutcome::AddressNotFound);
    report.note = Some("Hausnummer nicht auffindbar, Klingelschild fehlt".to_string());
    report.coords = Some(door);
    b.driver(at.plus(rng.range(0, 2)), report);
    true
}
