//! Contradictions by construction: ordinary-looking orders whose histories realize one
//! code each (a few realize two, and say so), every code at least three times, each
//! clearly past the default thresholds at the story time (anchor day, 09:30–12:00).
//!
//! Case days are fixed offsets from the anchor; with the default anchor (a Thursday) none
//! of them is a Sunday.

mod timelines;

use timelines::{inbound_and_load, load, refunded_and_delivered, told_otherwise};

use crate::demo::builder::{Builder, Spot, blank_report};
use crate::demo::carriers::Step;
use crate::demo::catalog::{line, random_lines};
use crate::demo::codes::*;
use crate::demo::flows::{make_order, outbound, skus_of};
use crate::demo::lastmile::{Outcome, hand_over, transit};
use crate::demo::people::{Household, neighbour_name};
use crate::demo::places::{CITIES_DE, near, offset};
use crate::demo::rng::Rng;
use crate::demo::when::At;
use crate::domain::{Carrier, DriverOutcome, HandedTo, OrderEventKind, OrderNumber, ShipmentKind};

/// One constructed case: the code it realizes, its variant, and when its order was placed.
#[derive(Clone, Copy, Debug)]
pub struct CaseSpec {
    pub code: &'static str,
    pub variant: u8,
    pub placed: At,
}

const fn spec(code: &'static str, variant: u8, day: i64, h: i64, m: i64) -> CaseSpec {
    CaseSpec {
        code,
        variant,
        placed: At::new(day, h, m),
    }
}

#[rustfmt::skip]
pub const CASES: &[CaseSpec] = &[
    spec(DELIVERED_BUT_DRIVER_REPORTS_FAILURE, 0, -4, 20, 15),
    spec(DELIVERED_BUT_DRIVER_REPORTS_FAILURE, 1, -5, 9, 40),
    spec(DELIVERED_BUT_DRIVER_REPORTS_FAILURE, 2, -6, 13, 5),
    spec(DELIVERED_BUT_DRIVER_REPORTS_FAILURE, 3, -4, 11, 30),
    spec(DELIVERY_LOCATION_MISMATCH, 0, -5, 18, 20),
    spec(DELIVERY_LOCATION_MISMATCH, 1, -4, 7, 55),
    spec(DELIVERY_LOCATION_MISMATCH, 2, -6, 22, 10),
    spec(DRIVER_DELIVERED_WITHOUT_SCAN, 0, -4, 10, 0),
    spec(DRIVER_DELIVERED_WITHOUT_SCAN, 1, -4, 15, 45),
    spec(DRIVER_DELIVERED_WITHOUT_SCAN, 2, -4, 19, 30),
    spec(CUSTOMER_DISPUTES_DELIVERY, 0, -5, 12, 0),
    spec(CUSTOMER_DISPUTES_DELIVERY, 1, -6, 16, 30),
    spec(CUSTOMER_DISPUTES_DELIVERY, 2, -4, 9, 10),
    spec(SHIPPED_AFTER_CANCELLATION, 0, -3, 21, 0),
    spec(SHIPPED_AFTER_CANCELLATION, 1, -3, 20, 15),
    spec(SHIPPED_AFTER_CANCELLATION, 2, -3, 22, 40),
    spec(REFUNDED_AND_DELIVERED, 0, -9, 10, 30),
    spec(REFUNDED_AND_DELIVERED, 1, -8, 14, 0),
    spec(REFUNDED_AND_DELIVERED, 2, -7, 8, 45),
    spec(PROMISE_OVERDUE, 0, -13, 19, 0),
    spec(PROMISE_OVERDUE, 1, -12, 11, 20),
    spec(PROMISE_OVERDUE, 2, -11, 16, 45),
    spec(CUSTOMER_TOLD_OTHERWISE, 0, -4, 17, 5),
    spec(CUSTOMER_TOLD_OTHERWISE, 1, -3, 9, 30),
    spec(CUSTOMER_TOLD_OTHERWISE, 2, -12, 20, 0),
    spec(STALE_TRACKING, 0, -7, 15, 0),
    spec(STALE_TRACKING, 1, -7, 19, 30),
    spec(STALE_TRACKING, 2, -9, 11, 0),
];

/// Builds one case's order and history and records the codes it realizes.
pub fn build(b: &mut Builder, rng: &mut Rng, hh: &Household, number: &OrderNumber, case: CaseSpec) {
    let mut lines = random_lines(rng);
    if case.code == REFUNDED_AND_DELIVERED && case.variant == 0 && lines.len() < 2 {
        let extra = if lines[0].sku.as_str() == "PEN-SET" {
            "NOTEBOOK-A5"
        } else {
            "PEN-SET"
        };
        lines.push(line(extra, 1));
    }
    let order = make_order(b, hh, number, case.placed, lines);
    let carrier = *[Carrier::Dhl, Carrier::Dpd, Carrier::Hermes, Carrier::Gls]
        .get(usize::from(case.variant) % 4)
        .unwrap_or(&Carrier::Dhl);
    let p = outbound(b, rng, hh, number, carrier);
    if case.code != REFUNDED_AND_DELIVERED {
        b.shipment(&p, ShipmentKind::Original, skus_of(&order.lines), None);
    }
    let v = case.variant;
    match case.code {
        DELIVERED_BUT_DRIVER_REPORTS_FAILURE => {
            let (day, failure, note) = match v {
                0 => (
                    -1,
                    DriverOutcome::RecipientAbsent,
                    "Empfänger nicht angetroffen",
                ),
                1 => (-2, DriverOutcome::Refused, "Annahme verweigert"),
                2 => (
                    -3,
                    DriverOutcome::AddressNotFound,
                    "Hausnummer nicht auffindbar",
                ),
                _ => (
                    -1,
                    DriverOutcome::NotAttempted,
                    "Tour abgebrochen, Zustellung nicht versucht",
                ),
            };
            inbound_and_load(b, rng, &p, day);
            let at = At::new(day, 10, 32).plus(rng.range(0, 200));
            b.scan(
                &p,
                at,
                Step::Delivered,
                Spot::door(p.dest.city, p.dest.postcode, near(rng, p.dest.point, 20.0)),
            );
            let mut r = blank_report(&p.tn, failure);
            r.note = Some(note.to_string());
            if failure == DriverOutcome::RecipientAbsent {
                r.notice_card_left = Some(true);
                r.next_attempt_on = Some(b.cal.date(day + 1));
            }
            if failure != DriverOutcome::NotAttempted {
                r.coords = Some(near(rng, p.dest.point, 20.0));
            }
            b.driver(at.plus(3), r);
            b.case(case.code, number, Some(&p.tn), None);
        }
        DELIVERY_LOCATION_MISMATCH => {
            let day = [-2, -1, -3][usize::from(v) % 3];
            inbound_and_load(b, rng, &p, day);
            let at = At::new(day, 11, 15).plus(rng.range(0, 180));
            let door = near(rng, p.dest.point, 20.0);
            if v == 1 {
                let far = offset(p.dest.point, 1_800.0, -1_700.0);
                let spot = Spot::door(p.dest.city, p.dest.postcode, far)
                    .with_detail(crate::domain::ScanDetail::Neighbour);
                b.scan(&p, at, Step::DeliveredToNeighbour, spot);
                let mut r = blank_report(&p.tn, DriverOutcome::DeliveredToNeighbour);
                r.handed_to = Some(HandedTo {
                    name: neighbour_name(rng),
                    address: Some(p.dest.neighbour_line(rng)),
                });
                r.notice_card_left = Some(true);
                r.coords = Some(door);
                b.driver(at.plus(1), r);
            } else {
                let other = CITIES_DE
                    .iter()
                    .find(|c| c.name != p.dest.city && c.hub == p.dest.hub)
                    .or_else(|| CITIES_DE.iter().find(|c| c.name != p.dest.city));
                if let Some(other) = other {
                    let there = crate::domain::GeoPoint {
                        lat: other.lat,
                        lon: other.lon,
                    };
                    b.scan(
                        &p,
                        at,
                        Step::Delivered,
                        Spot::door(other.name, other.postcodes[0], near(rng, there, 300.0)),
                    );
                }
                if v == 0 {
                    let mut r = blank_report(&p.tn, DriverOutcome::DeliveredToRecipient);
                    r.coords = Some(door);
                    b.driver(at.plus(-1), r);
                }
            }
            b.case(case.code, number, Some(&p.tn), None);
        }
        DRIVER_DELIVERED_WITHOUT_SCAN => {
            inbound_and_load(b, rng, &p, -1);
            let at = At::new(-1, 11, 0).plus(rng.range(0, 120));
            let mut r = blank_report(&p.tn, DriverOutcome::DeliveredToRecipient);
            match v {
                0 => {
                    r.outcome = DriverOutcome::DeliveredToNeighbour;
                    r.handed_to = Some(HandedTo {
                        name: neighbour_name(rng),
                        address: Some(p.dest.neighbour_line(rng)),
                    });
                    r.notice_card_left = Some(true);
                }
                1 => {
                    r.outcome = DriverOutcome::DeliveredToSafePlace;
                    r.safe_place = Some("Garage".to_string());
                    r.photo_ref = Some(format!("photo/{}/1.jpg", p.tn));
                }
                _ => r.signature_ref = Some(format!("signature/{}.png", p.tn)),
            }
            r.coords = Some(near(rng, p.dest.point, 20.0));
            b.driver(at, r);
            b.case(case.code, number, Some(&p.tn), None);
        }
        CUSTOMER_DISPUTES_DELIVERY => {
            let (day, how, told, channel) = match v {
                0 => (-2, Outcome::Neighbour, At::new(-1, 18, 30), "web"),
                1 => (-3, Outcome::SafePlace, At::new(0, 8, 5), "phone"),
                _ => (-1, Outcome::Recipient, At::new(-1, 20, 10), "whatsapp"),
            };
            inbound_and_load(b, rng, &p, day);
            let at = At::new(day, 10, 20).plus(rng.range(0, 200));
            hand_over(b, rng, &p, at, how, false);
            let report = crate::domain::CustomerReport {
                order_number: Some(number.clone()),
                tracking_number: Some(p.tn.clone()),
                claim: crate::domain::CustomerClaim::NotReceived,
                channel: Some(channel.to_string()),
                skus: Vec::new(),
            };
            b.report(told, report);
            b.case(case.code, number, Some(&p.tn), None);
        }
        SHIPPED_AFTER_CANCELLATION => {
            let announce = At::new(-2, 8, 30);
            let cancelled = At::new(-2, 9, 15).plus(i64::from(v) * 20);
            b.order_event(number, cancelled, OrderEventKind::Cancelled);
            if v == 1 {
                let kind = OrderEventKind::RefundIssued {
                    amount: Some(order.total),
                    skus: skus_of(&order.lines),
                };
                b.order_event(number, cancelled.plus(25), kind);
                b.case(REFUNDED_AND_DELIVERED, number, Some(&p.tn), None);
            }
            if transit(b, rng, &p, announce, -2, false).is_some() && v != 2 {
                let loaded = load(b, rng, &p, -1);
                let at = loaded.plus(rng.range(120, 360));
                hand_over(b, rng, &p, at, Outcome::Recipient, false);
            }
            b.case(case.code, number, Some(&p.tn), None);
        }
        REFUNDED_AND_DELIVERED => refunded_and_delivered(b, rng, hh, &order, &p, v),
        PROMISE_OVERDUE => {
            let day = case.placed.day + 3;
            inbound_and_load(b, rng, &p, day);
            let at = At::new(day, 9, 40).plus(rng.range(0, 300));
            hand_over(b, rng, &p, at, Outcome::Recipient, false);
            let (promised, due) = match v {
                0 => (At::new(-7, 10, 0), At::new(-5, 18, 0)),
                1 => (At::new(-6, 14, 0), At::new(-3, 12, 0)),
                _ => (At::new(-5, 9, 30), At::new(-2, 18, 0)),
            };
            let due_by = Some(b.cal.instant(due));
            b.order_event(
                number,
                promised,
                OrderEventKind::ReturnLabelPromised { due_by },
            );
            b.case(case.code, number, None, None);
        }
        CUSTOMER_TOLD_OTHERWISE => told_otherwise(b, rng, hh, &order, &p, v),
        _ => {
            // STALE_TRACKING: the last scan lies four days or more before the anchor.
            let day = [-6, -6, -8][usize::from(v) % 3];
            let announce = At::new(day, 10, 0).plus(rng.range(0, 40));
            if v == 1 {
                b.scan(&p, announce, Step::Announced, Spot::none());
            } else {
                transit(b, rng, &p, announce, day, false);
            }
            b.case(case.code, number, Some(&p.tn), None);
        }
    }
}
