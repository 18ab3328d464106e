//! "All details": the full record of an order for the customer who asks for it — each
//! shipment with its address, what is contradicted, what happens next and every event of
//! its timeline (each once, with the carrier's and the driver's words), and the order's
//! own contradictions. Rendered from `prompts/summary/details.{de,en}.j2`.

use serde::Serialize;

use crate::domain::Locale;

use super::super::policy::Policy;
use super::super::view::{Fact, OrderView, ShipmentView, TimelineEntry};
use super::context::{ContradictionCtx, FactCtx, Fmt, ShipmentCtx};
use super::summary;

#[derive(Debug, Serialize)]
struct ShipmentDetails {
    s: ShipmentCtx,
    events: Vec<FactCtx>,
}

#[derive(Debug, Serialize)]
struct DetailsCtx {
    number: String,
    shipments: Vec<ShipmentDetails>,
    contradictions: Vec<ContradictionCtx>,
    /// The order's events and messages that no shipment's timeline shows.
    order_events: Vec<FactCtx>,
}

fn entry_fact(t: &TimelineEntry) -> Fact {
    let mut f = Fact::new(
        t.source,
        Some(t.event_id.clone()),
        Some(t.at),
        t.what.clone(),
    );
    f.location = t.location.clone();
    f.postcode = t.postcode.clone();
    f.description = t.description.clone();
    f.channel = t.channel.clone();
    f.tracking_number = t.tracking_number.clone();
    f
}

/// An event as the richest fact a contradiction tells of it (the driver's next attempt,
/// the distance to the scan), else as the timeline has it.
fn richest(s: &ShipmentView, t: &TimelineEntry) -> Fact {
    s.contradictions
        .iter()
        .flat_map(|c| &c.facts)
        .filter(|f| f.event_id.as_ref() == Some(&t.event_id))
        .max_by_key(|f| {
            usize::from(f.distance_m.is_some())
                + usize::from(f.next_attempt_on.is_some())
                + usize::from(f.notice_card_left.is_some())
        })
        .cloned()
        .unwrap_or_else(|| entry_fact(t))
}

/// The full record of an order in `locale`.
pub fn details(view: &OrderView, locale: Locale, policy: &Policy) -> String {
    let fmt = Fmt {
        locale,
        policy,
        currency: view.order.currency.clone(),
    };
    let shown: std::collections::HashSet<&str> = view
        .shipments
        .iter()
        .flat_map(|s| s.timeline.iter().map(|t| t.event_id.as_str()))
        .collect();
    let ctx = DetailsCtx {
        number: view.order.number.to_string(),
        shipments: view
            .shipments
            .iter()
            .map(|s| ShipmentDetails {
                s: fmt.shipment(s),
                events: s
                    .timeline
                    .iter()
                    .map(|t| fmt.fact(&richest(s, t)))
                    .collect(),
            })
            .collect(),
        contradictions: view
            .contradictions
            .iter()
            .map(|c| fmt.contradiction(c, ""))
            .collect(),
        order_events: view
            .order_events
            .iter()
            .chain(&view.notifications)
            .chain(&view.customer_reports)
            .filter(|t| !shown.contains(t.event_id.as_str()))
            .map(|t| fmt.fact(&entry_fact(t)))
            .collect(),
    };
    let name = format!("summary/details.{}.j2", locale.as_str());
    crate::prompts::render(&name, minijinja::context! { d => ctx })
        .map(|t| crate::prompts::tidy(&t))
        .unwrap_or_else(|e| {
            tracing::error!(error = e, "the details template failed");
            summary(view, locale, policy)
        })
}
