//! Timelines the cases share: a parcel's way to the delivery morning, and the longer
//! cases (a refund before a late parcel arrives; notifications the truth contradicts).

use crate::domain::{NotificationClaim, OrderEventKind, ShipmentKind};

use crate::demo::builder::{Builder, Parcel, Spot};
use crate::demo::carriers::{Step, hub};
use crate::demo::catalog::value_of;
use crate::demo::codes::*;
use crate::demo::flows::{outbound, skus_of};
use crate::demo::lastmile::{Outcome, hand_over, not_met, transit};
use crate::demo::people::Household;
use crate::demo::rng::Rng;
use crate::demo::when::At;

/// Label the day before, handed over and sorted overnight, loaded on `day`'s morning.
pub fn inbound_and_load(b: &mut Builder, rng: &mut Rng, p: &Parcel, day: i64) -> At {
    let announce = At::new(day - 1, 9, 0).plus(rng.range(0, 90));
    transit(b, rng, p, announce, day - 1, false);
    load(b, rng, p, day)
}

pub fn load(b: &mut Builder, rng: &mut Rng, p: &Parcel, day: i64) -> At {
    let loaded = At::new(day, 6, 30).plus(rng.range(0, 60));
    b.scan(p, loaded, Step::OutForDelivery, Spot::at(p.dest.city));
    loaded
}

/// A refund for a parcel that was late, and then the parcel arrives; nothing returned.
pub fn refunded_and_delivered(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    order: &crate::domain::Order,
    first: &Parcel,
    v: u8,
) {
    let number = &order.number;
    let start = order_day(b, order) + 1;
    let late = if v == 0 && order.lines.len() >= 2 {
        // Two parcels: the first arrives on time, the second is refunded, then arrives.
        let second = outbound(b, rng, hh, number, first.carrier);
        inbound_and_load(b, rng, first, start + 1);
        hand_over(
            b,
            rng,
            first,
            At::new(start + 1, 11, 0),
            Outcome::Recipient,
            false,
        );
        second
    } else {
        first.clone()
    };
    let skus = if late.tn != first.tn {
        b.shipment(
            first,
            ShipmentKind::Original,
            skus_of(&order.lines[..1]),
            None,
        );
        skus_of(&order.lines[1..])
    } else {
        skus_of(&order.lines)
    };
    b.shipment(&late, ShipmentKind::Original, skus.clone(), None);
    transit(b, rng, &late, At::new(start, 9, 30), start, false);
    b.scan(
        &late,
        At::new(start + 1, 11, 5),
        Step::Delayed,
        Spot::at(hub(late.carrier, late.dest.hub)),
    );
    let (refund_at, delivered_day) = match v {
        0 => (At::new(-3, 10, 0), -2),
        1 => (At::new(-4, 11, 0), -2),
        _ => (At::new(-5, 15, 0), -3),
    };
    let amount = value_of(&order.lines, &skus);
    b.order_event(
        number,
        refund_at,
        OrderEventKind::RefundIssued {
            amount: Some(amount),
            skus,
        },
    );
    b.notify(
        number,
        None,
        refund_at.plus(2),
        "email",
        NotificationClaim::RefundIssued,
    );
    let loaded = load(b, rng, &late, delivered_day);
    let at = loaded.plus(rng.range(180, 360));
    hand_over(b, rng, &late, at, Outcome::Recipient, false);
    b.case(REFUNDED_AND_DELIVERED, number, Some(&late.tn), None);
}

fn order_day(b: &Builder, order: &crate::domain::Order) -> i64 {
    let placed = order.placed_at.date_naive();
    (placed - b.cal.anchor).num_days()
}

/// A notification the truth contradicts: "delivered" after a failed attempt, "delivered"
/// while still in transit, "replacement cancelled" for a replacement that was delivered.
pub fn told_otherwise(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    order: &crate::domain::Order,
    p: &Parcel,
    v: u8,
) {
    let number = &order.number;
    match v {
        0 => {
            inbound_and_load(b, rng, p, -1);
            let at = At::new(-1, 11, 20);
            not_met(b, rng, p, at, 1, false, Some(0));
            b.notify(
                number,
                Some(&p.tn),
                at.plus(4),
                "email",
                NotificationClaim::Delivered,
            );
            load(b, rng, p, 0);
            b.case(CUSTOMER_TOLD_OTHERWISE, number, Some(&p.tn), None);
        }
        1 => {
            transit(b, rng, p, At::new(-2, 9, 10), -2, false);
            b.notify(
                number,
                Some(&p.tn),
                At::new(-1, 19, 0),
                "sms",
                NotificationClaim::Delivered,
            );
            b.case(CUSTOMER_TOLD_OTHERWISE, number, Some(&p.tn), None);
        }
        _ => {
            inbound_and_load(b, rng, p, -9);
            hand_over(b, rng, p, At::new(-9, 10, 45), Outcome::Recipient, false);
            let skus = skus_of(&order.lines[..1]);
            b.order_event(
                number,
                At::new(-8, 10, 0),
                OrderEventKind::WrongItemReported { skus: skus.clone() },
            );
            let r = outbound(b, rng, hh, number, p.carrier);
            b.order_event(
                number,
                At::new(-8, 11, 0),
                OrderEventKind::ReplacementCreated {
                    tracking_number: Some(r.tn.clone()),
                },
            );
            b.notify(
                number,
                Some(&r.tn),
                At::new(-8, 11, 2),
                "email",
                NotificationClaim::ReplacementCreated,
            );
            b.shipment(&r, ShipmentKind::Replacement, skus, None);
            inbound_and_load(b, rng, &r, -7);
            hand_over(b, rng, &r, At::new(-7, 12, 10), Outcome::Recipient, false);
            b.notify(
                number,
                Some(&r.tn),
                At::new(-6, 9, 0),
                "email",
                NotificationClaim::ReplacementCancelled,
            );
            b.case(CUSTOMER_TOLD_OTHERWISE, number, Some(&r.tn), None);
        }
    }
}
