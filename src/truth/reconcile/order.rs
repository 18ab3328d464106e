//! `reconcile_order`: an order with all its shipments, its own events and the
//! contradictions that concern the order as a whole (overdue promises, notifications
//! about order events that never happened).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::domain::{
    Event, EventBody, NotificationClaim, Order, Shipment, ShipmentKind, TrackingNumber,
};

use super::super::policy::Policy;
use super::super::remedy::{RemedyContext, offer_order_remedies};
use super::super::view::{Contradiction, ContradictionCode as Code, Fact, OrderView, Source};
use super::checks::event_fact;
use super::state::{OrderState, overdue_promises};
use super::{Ev, normalize, reconcile_shipment, timeline_entry};

/// Reconciles an order: each of its shipments (original, replacement, return — in that
/// order), its order events, notifications and customer reports, and the order-level
/// contradictions. `events` holds the events of the order and of its shipments (others
/// are ignored), in any order, with repeated ids. Remedies are offered with no cases
/// known; call [`OrderView::with_remedy_context`] to account for them.
pub fn reconcile_order(
    order: &Order,
    shipments: &[Shipment],
    events: &[Event],
    now: DateTime<Utc>,
    policy: &Policy,
) -> OrderView {
    let mut ships: Vec<&Shipment> = shipments
        .iter()
        .filter(|s| s.order_number == order.number)
        .collect();
    let rank = |k: ShipmentKind| match k {
        ShipmentKind::Original => 0,
        ShipmentKind::Replacement => 1,
        ShipmentKind::Return => 2,
    };
    ships.sort_by(|a, b| {
        (rank(a.kind), &a.tracking_number).cmp(&(rank(b.kind), &b.tracking_number))
    });
    ships.dedup_by(|a, b| a.tracking_number == b.tracking_number);
    let tns: HashSet<&TrackingNumber> = ships.iter().map(|s| &s.tracking_number).collect();
    let evs = normalize(events, |e| match &e.body {
        EventBody::OrderEvent(_) | EventBody::NotificationSent(_) => {
            e.body.order_number() == Some(&order.number)
        }
        EventBody::CustomerReport(_) => {
            e.body.order_number() == Some(&order.number)
                || e.body.tracking_number().is_some_and(|t| tns.contains(t))
        }
        _ => false,
    });
    let pick = |f: fn(&EventBody) -> bool| {
        evs.iter()
            .filter(|ev| f(&ev.e.body))
            .map(timeline_entry)
            .collect::<Vec<_>>()
    };
    let mut contradictions = promise_overdue(&evs, now);
    contradictions.extend(told_about_events_that_never_happened(&evs));
    let shipments: Vec<_> = ships
        .iter()
        .map(|s| reconcile_shipment(s, Some(order), events, now, policy))
        .collect();
    let mut view = OrderView {
        order: order.clone(),
        order_state: OrderState::from_normalized(&evs, now),
        in_dispute: !contradictions.is_empty()
            || shipments.iter().any(|s| !s.contradictions.is_empty()),
        shipments,
        order_events: pick(|b| matches!(b, EventBody::OrderEvent(_))),
        notifications: pick(|b| matches!(b, EventBody::NotificationSent(_))),
        customer_reports: pick(|b| matches!(b, EventBody::CustomerReport(_))),
        contradictions,
    };
    offer_order_remedies(&mut view, &RemedyContext::default(), now, policy);
    view
}

impl OrderView {
    /// Recomputes the remedies offered for every contradiction (the order's and each
    /// shipment's) with the order's known cases.
    pub fn with_remedy_context(
        mut self,
        ctx: &RemedyContext,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Self {
        offer_order_remedies(&mut self, ctx, now, policy);
        self
    }
}

fn order_contradiction(code: Code, facts: Vec<Fact>) -> Contradiction {
    let mut evidence = Vec::new();
    for f in &facts {
        if let Some(id) = &f.event_id
            && !evidence.contains(id)
        {
            evidence.push(id.clone());
        }
    }
    Contradiction {
        code,
        tracking_number: None,
        evidence,
        facts,
        remedies: Vec::new(),
    }
}

fn promise_overdue(evs: &[Ev<'_>], now: DateTime<Utc>) -> Vec<Contradiction> {
    overdue_promises(evs, now)
        .into_iter()
        .map(|(ev, _)| order_contradiction(Code::PromiseOverdue, vec![event_fact(&ev)]))
        .collect()
}

/// The order event a notification claim names, if it names one.
fn claimed_event(c: NotificationClaim) -> Option<&'static str> {
    Some(match c {
        NotificationClaim::Cancelled => "cancelled",
        NotificationClaim::RefundIssued => "refund_issued",
        NotificationClaim::ReplacementCreated => "replacement_created",
        NotificationClaim::ReplacementCancelled => "replacement_cancelled",
        NotificationClaim::ReturnLabelPromised => "return_label_promised",
        NotificationClaim::ReturnLabelIssued => "return_label_issued",
        NotificationClaim::ReturnReceived => "return_received",
        NotificationClaim::WrongItemReported => "wrong_item_reported",
        NotificationClaim::Delivered
        | NotificationClaim::OutForDelivery
        | NotificationClaim::Delayed => return None,
    })
}

/// A notification that told the customer the shop did something (refunded, issued a
/// label, …) the shop's events never record.
fn told_about_events_that_never_happened(evs: &[Ev<'_>]) -> Vec<Contradiction> {
    let happened: HashSet<&str> = evs
        .iter()
        .filter_map(|ev| match &ev.e.body {
            EventBody::OrderEvent(o) => Some(o.kind.name()),
            _ => None,
        })
        .collect();
    evs.iter()
        .filter_map(|ev| match &ev.e.body {
            EventBody::NotificationSent(n) => {
                let name = claimed_event(n.claim)?;
                if happened.contains(name) {
                    return None;
                }
                let mut none = Fact::new(Source::Shop, None, None, "no_event");
                none.description = Some(name.to_string());
                Some(order_contradiction(
                    Code::CustomerToldOtherwise,
                    vec![event_fact(ev), none],
                ))
            }
            _ => None,
        })
        .collect()
}
