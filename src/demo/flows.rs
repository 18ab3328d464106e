//! Ordinary orders, most of the data: placed, packed, shipped in one or two parcels,
//! delivered one way or another, and now and then returned, replaced or cancelled — all
//! consistent, none of them a contradiction.

use crate::domain::{
    Carrier, CustomerClaim, CustomerReport, Money, NotificationClaim, Order, OrderEventKind,
    OrderLine, OrderNumber, ShipmentKind, Sku,
};

use super::builder::{Builder, Parcel, Spot};
use super::carriers::{Step, hub};
use super::catalog::{total, value_of};
use super::lastmile::{Outcome, delivery_day_after, last_mile, transit};
use super::people::Household;
use super::places::warehouse;
use super::rng::Rng;
use super::when::{At, CUTOFF};

/// The order record, as the shop's system sends it.
pub fn make_order(
    b: &mut Builder,
    hh: &Household,
    number: &OrderNumber,
    placed: At,
    lines: Vec<OrderLine>,
) -> Order {
    let order = Order {
        number: number.clone(),
        customer_id: hh.customer.id.clone(),
        placed_at: b.cal.instant(placed),
        currency: crate::domain::Currency::eur(),
        total: total(&lines),
        shipping_address: hh.place.address(),
        lines,
        contacts: None,
    };
    b.order(order.clone());
    order
}

pub fn skus_of(lines: &[OrderLine]) -> Vec<Sku> {
    lines.iter().map(|l| l.sku.clone()).collect()
}

/// A parcel from the warehouse to the customer.
pub fn outbound(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    order: &OrderNumber,
    carrier: Carrier,
) -> Parcel {
    Parcel {
        tn: b.new_tracking(rng, carrier),
        carrier,
        order: order.clone(),
        origin: warehouse(),
        dest: hh.place.clone(),
    }
}

fn pick_carrier(rng: &mut Rng, hh: &Household) -> Carrier {
    if hh.place.is_abroad() {
        return Carrier::Dhl;
    }
    rng.weighted(&[
        (Carrier::Dhl, 45),
        (Carrier::Dpd, 20),
        (Carrier::Hermes, 20),
        (Carrier::Gls, 15),
    ])
}

fn pick_outcome(rng: &mut Rng, carrier: Carrier, abroad: bool) -> Outcome {
    if abroad {
        return rng.weighted(&[(Outcome::Recipient, 80), (Outcome::Neighbour, 20)]);
    }
    let three = if carrier == Carrier::Hermes { 6 } else { 0 };
    rng.weighted(&[
        (Outcome::Recipient, 52),
        (Outcome::Neighbour, 16),
        (Outcome::SafePlace, 8),
        (Outcome::SecondAttempt, 8),
        (Outcome::PickupPoint, 9),
        (Outcome::ThreeAttempts, three),
        (Outcome::Unclaimed, 2),
    ])
}

/// One ordinary order from placement to wherever the data end.
pub fn regular_order(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    number: &OrderNumber,
    placed: At,
    lines: Vec<OrderLine>,
) {
    let order = make_order(b, hh, number, placed, lines);
    if rng.chance(3) {
        let at = placed.plus(rng.range(15, 240));
        let amount = order.total;
        if b.order_event(number, at, OrderEventKind::Cancelled) {
            b.order_event(
                number,
                at.plus(rng.range(2, 90)),
                OrderEventKind::RefundIssued {
                    amount: Some(amount),
                    skus: skus_of(&order.lines),
                },
            );
            b.notify(
                number,
                None,
                at.plus(rng.range(1, 5)),
                "email",
                NotificationClaim::Cancelled,
            );
        }
        return;
    }
    let parcels: Vec<Vec<OrderLine>> = if order.lines.len() >= 2 && rng.chance(55) {
        let cut = rng.range(1, order.lines.len() as i64 - 1) as usize;
        vec![order.lines[..cut].to_vec(), order.lines[cut..].to_vec()]
    } else {
        vec![order.lines.clone()]
    };
    let first_day = b.cal.warehouse_day_from(if placed.min < 12 * 60 {
        placed.day
    } else {
        placed.day + 1
    });
    let mut delivered: Vec<Option<(At, Parcel, Vec<Sku>)>> = Vec::new();
    for (i, part) in parcels.iter().enumerate() {
        let carrier = pick_carrier(rng, hh);
        let outcome = pick_outcome(rng, carrier, hh.place.is_abroad());
        let delayed = rng.chance(6);
        let day = if i > 0 && rng.chance(40) {
            b.cal.warehouse_day_from(first_day + 1)
        } else {
            first_day
        };
        let announce = At::new(day, rng.range(8, 13), rng.range(0, 59)).max(placed.plus(30));
        let p = outbound(b, rng, hh, number, carrier);
        if announce > CUTOFF {
            delivered.push(None);
            continue;
        }
        b.shipment(&p, ShipmentKind::Original, skus_of(part), None);
        let Some(last) = transit(b, rng, &p, announce, announce.day, false) else {
            delivered.push(None);
            continue;
        };
        let mut out_day = delivery_day_after(b, last);
        if delayed && !hh.place.is_abroad() {
            let note = At::new(out_day, rng.range(10, 14), rng.range(0, 59));
            if b.scan(&p, note, Step::Delayed, Spot::at(hub(carrier, p.dest.hub))) && rng.chance(50)
            {
                b.notify(
                    number,
                    Some(&p.tn),
                    note.plus(rng.range(5, 40)),
                    "email",
                    NotificationClaim::Delayed,
                );
            }
            out_day = b.cal.delivery_day_from(out_day + 1);
        }
        delivered
            .push(last_mile(b, rng, &p, out_day, outcome, true).map(|at| (at, p, skus_of(part))));
    }
    let done: Vec<&(At, Parcel, Vec<Sku>)> = delivered.iter().flatten().collect();
    if done.len() != parcels.len() {
        return;
    }
    let Some(best) = done.iter().max_by_key(|d| d.0) else {
        return;
    };
    let (last, parcel, parcel_skus) = (best.0, &best.1, &best.2);
    let roll = rng.below(100);
    if roll < 14 {
        let n = rng.range(1, order.lines.len() as i64) as usize;
        let skus = skus_of(&order.lines[..n]);
        return_flow(b, rng, hh, &order, skus, last, true);
    } else if roll < 18 {
        let sku = rng.pick(parcel_skus).clone();
        replacement_flow(b, rng, hh, &order, parcel, vec![sku], last);
    } else if roll < 21 && last.day >= -3 {
        let promised = At::new((last.day + 1).max(-1), rng.range(9, 16), rng.range(0, 59));
        let due = b
            .cal
            .instant(At::new(promised.day + rng.range(2, 3), 18, 0));
        b.order_event(
            number,
            promised,
            OrderEventKind::ReturnLabelPromised { due_by: Some(due) },
        );
    }
}

/// A return: label (sometimes promised first, always issued before it is due), the
/// customer drops the parcel off within a day, it reaches the warehouse, is received
/// and — when `refund` — refunded.
pub fn return_flow(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    order: &Order,
    skus: Vec<Sku>,
    after: At,
    refund: bool,
) {
    let number = &order.number;
    let issued = if rng.chance(30) {
        let promised = At::new(after.day + 1, rng.range(9, 16), rng.range(0, 59));
        let due = b.cal.instant(At::new(promised.day + 2, 18, 0));
        if !b.order_event(
            number,
            promised,
            OrderEventKind::ReturnLabelPromised { due_by: Some(due) },
        ) {
            return;
        }
        At::new(promised.day + 1, rng.range(9, 16), rng.range(0, 59))
    } else {
        At::new(
            after.day + rng.range(1, 4),
            rng.range(8, 20),
            rng.range(0, 59),
        )
    };
    let carrier = if rng.chance(70) {
        Carrier::Dhl
    } else {
        Carrier::Hermes
    };
    let p = Parcel {
        tn: b.new_tracking(rng, carrier),
        carrier,
        order: number.clone(),
        origin: hh.place.clone(),
        dest: warehouse(),
    };
    if !b.order_event(
        number,
        issued,
        OrderEventKind::ReturnLabelIssued {
            tracking_number: Some(p.tn.clone()),
        },
    ) {
        return;
    }
    b.notify(
        number,
        Some(&p.tn),
        issued.plus(2),
        "email",
        NotificationClaim::ReturnLabelIssued,
    );
    b.shipment(
        &p,
        ShipmentKind::Return,
        skus.clone(),
        Some(warehouse().address()),
    );
    let handover_day = b.cal.delivery_day_from(issued.day + rng.range(0, 1));
    let Some(last) = transit(b, rng, &p, issued, handover_day, true) else {
        return;
    };
    let day = delivery_day_after(b, last);
    let Some(arrived) = last_mile(b, rng, &p, day, Outcome::Recipient, false) else {
        return;
    };
    let received = At::new(
        b.cal.warehouse_day_from(arrived.day + 1),
        rng.range(10, 15),
        rng.range(0, 59),
    );
    if b.order_event(number, received, OrderEventKind::ReturnReceived) && refund {
        let at = received.plus(rng.range(30, 20 * 60));
        let amount: Money = value_of(&order.lines, &skus);
        if b.order_event(
            number,
            at,
            OrderEventKind::RefundIssued {
                amount: Some(amount),
                skus,
            },
        ) {
            b.notify(
                number,
                None,
                at.plus(rng.range(1, 10)),
                "email",
                NotificationClaim::RefundIssued,
            );
        }
    }
}

/// A damaged or wrong item: the customer says so, a replacement goes out the next
/// working morning and arrives; a wrong item mostly goes back on a return label.
pub fn replacement_flow(
    b: &mut Builder,
    rng: &mut Rng,
    hh: &Household,
    order: &Order,
    parcel: &Parcel,
    skus: Vec<Sku>,
    after: At,
) {
    let number = &order.number;
    let wrong = rng.chance(50);
    let told = after.plus(rng.range(4 * 60, 30 * 60));
    let channel = *rng.pick(&["web", "whatsapp", "phone", "messenger"]);
    let report = CustomerReport {
        order_number: Some(number.clone()),
        tracking_number: Some(parcel.tn.clone()),
        claim: if wrong {
            CustomerClaim::WrongItem
        } else {
            CustomerClaim::Damaged
        },
        channel: Some(channel.to_string()),
        skus: skus.clone(),
    };
    if !b.report(told, report) {
        return;
    }
    if wrong {
        b.order_event(
            number,
            told.plus(rng.range(30, 180)),
            OrderEventKind::WrongItemReported { skus: skus.clone() },
        );
    }
    let created = At::new(
        b.cal.warehouse_day_from(told.day + 1),
        rng.range(9, 11),
        rng.range(0, 59),
    );
    let p = outbound(b, rng, hh, number, parcel.carrier);
    if !b.order_event(
        number,
        created,
        OrderEventKind::ReplacementCreated {
            tracking_number: Some(p.tn.clone()),
        },
    ) {
        return;
    }
    b.notify(
        number,
        Some(&p.tn),
        created.plus(3),
        "email",
        NotificationClaim::ReplacementCreated,
    );
    b.shipment(&p, ShipmentKind::Replacement, skus.clone(), None);
    let announce = created.plus(rng.range(5, 30));
    let Some(last) = transit(b, rng, &p, announce, created.day, false) else {
        return;
    };
    let outcome = *rng.pick(&[
        Outcome::Recipient,
        Outcome::Recipient,
        Outcome::Neighbour,
        Outcome::SafePlace,
    ]);
    let day = delivery_day_after(b, last);
    last_mile(b, rng, &p, day, outcome, true);
    if wrong && rng.chance(80) {
        return_flow(b, rng, hh, order, skus, created, false);
    }
}
