//! `OrderState`: what the shop's order events (and the customer's reports) say about
//! the order as a whole — cancelled, refunded, replacements, return labels.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{CustomerClaim, Event, EventBody, OrderEventKind, OrderNumber};

use super::{Ev, normalize};

/// The order's standing, derived from its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderState {
    pub cancelled: bool,
    /// A refund covering the whole order or some of its items was issued.
    pub refunded: bool,
    /// `replacement_created` events (cancelled ones included).
    pub replacements_created: u32,
    /// The shop or the customer reported a wrong item.
    pub wrong_item_reported: bool,
    /// The customer reported a damaged parcel.
    pub damage_reported: bool,
    pub return_label_promised: bool,
    /// A return label was issued after the latest promise (or at all, without one).
    pub return_label_issued: bool,
    /// A promised return label is past its due time and was never issued.
    pub return_label_overdue: bool,
    pub return_received: bool,
}

impl OrderState {
    /// Reads the state from the events of `order_number` among `events`.
    pub fn from_events(order_number: &OrderNumber, events: &[Event], now: DateTime<Utc>) -> Self {
        let evs = normalize(events, |e| {
            matches!(
                e.body,
                EventBody::OrderEvent(_) | EventBody::CustomerReport(_)
            ) && e.body.order_number() == Some(order_number)
        });
        Self::from_normalized(&evs, now)
    }

    pub(crate) fn from_normalized(evs: &[Ev<'_>], now: DateTime<Utc>) -> Self {
        let mut st = Self::default();
        for ev in evs {
            match &ev.e.body {
                EventBody::OrderEvent(o) => match &o.kind {
                    OrderEventKind::Cancelled => st.cancelled = true,
                    OrderEventKind::RefundIssued { .. } => st.refunded = true,
                    OrderEventKind::ReplacementCreated { .. } => st.replacements_created += 1,
                    OrderEventKind::WrongItemReported { .. } => st.wrong_item_reported = true,
                    OrderEventKind::ReturnLabelPromised { .. } => {
                        st.return_label_promised = true;
                        st.return_label_issued = false;
                    }
                    OrderEventKind::ReturnLabelIssued { .. } => st.return_label_issued = true,
                    OrderEventKind::ReturnReceived => st.return_received = true,
                    OrderEventKind::ReplacementCancelled { .. } => {}
                },
                EventBody::CustomerReport(c) => match c.claim {
                    CustomerClaim::WrongItem => st.wrong_item_reported = true,
                    CustomerClaim::Damaged => st.damage_reported = true,
                    CustomerClaim::NotReceived => {}
                },
                _ => {}
            }
        }
        st.return_label_overdue = !overdue_promises(evs, now).is_empty();
        st
    }
}

/// The return-label promises past their due time with no label issued after them.
pub(crate) fn overdue_promises<'a>(
    evs: &[Ev<'a>],
    now: DateTime<Utc>,
) -> Vec<(Ev<'a>, DateTime<Utc>)> {
    let mut out = Vec::new();
    for (i, ev) in evs.iter().enumerate() {
        let EventBody::OrderEvent(o) = &ev.e.body else {
            continue;
        };
        let OrderEventKind::ReturnLabelPromised { due_by: Some(due) } = &o.kind else {
            continue;
        };
        let due = due.with_timezone(&Utc);
        let issued_later = evs[i + 1..].iter().any(|x| {
            matches!(&x.e.body, EventBody::OrderEvent(o)
                if matches!(o.kind, OrderEventKind::ReturnLabelIssued { .. }))
        });
        if due < now && !issued_later {
            out.push((*ev, due));
        }
    }
    out
}
