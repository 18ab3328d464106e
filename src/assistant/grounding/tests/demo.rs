//! The property over real data: every summary the truth module writes for the demo data
//! passes the check against the view it was written from — and mutated summaries fail.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::Utc;

use crate::demo::{DEFAULT_ANCHOR, generate, story_time};
use crate::domain::{Event, Item, Locale, Order, Shipment};
use crate::truth::{OrderView, Policy, reconcile_order, summary};

use super::super::{Evidence, Verdict, check};

/// Every demo order, reconciled at the story time with the default policy.
pub(super) fn views() -> &'static [OrderView] {
    static VIEWS: OnceLock<Vec<OrderView>> = OnceLock::new();
    VIEWS.get_or_init(|| {
        let data = generate(DEFAULT_ANCHOR);
        let now = story_time(DEFAULT_ANCHOR).with_timezone(&Utc);
        let mut orders: BTreeMap<String, (Order, Vec<Shipment>, Vec<Event>)> = BTreeMap::new();
        let mut shipment_order: BTreeMap<String, String> = BTreeMap::new();
        for item in &data.items {
            match item {
                Item::Order(o) => {
                    orders.insert(o.number.to_string(), (o.clone(), vec![], vec![]));
                }
                Item::Shipment(s) => {
                    shipment_order
                        .insert(s.tracking_number.to_string(), s.order_number.to_string());
                    if let Some(o) = orders.get_mut(s.order_number.as_str()) {
                        o.1.push(s.clone());
                    }
                }
                Item::Event(e) => {
                    let by_order = e.body.order_number().map(ToString::to_string);
                    let by_tn = e
                        .body
                        .tracking_number()
                        .and_then(|t| shipment_order.get(t.as_str()).cloned());
                    let mut owners: Vec<String> = by_order.into_iter().chain(by_tn).collect();
                    owners.dedup();
                    for n in owners {
                        if let Some(o) = orders.get_mut(&n) {
                            o.2.push(e.clone());
                        }
                    }
                }
                Item::Customer(_) => {}
            }
        }
        let policy = Policy::default();
        orders
            .values()
            .map(|(o, s, e)| reconcile_order(o, s, e, now, &policy))
            .collect()
    })
}

/// One summary with the evidence of its view.
pub(super) struct Case {
    pub text: String,
    pub ev: Evidence,
    pub locale: Locale,
    /// The summary is an order's (else a shipment's).
    pub of_order: bool,
    /// The summary is of one shipment, in dispute.
    pub disputed_shipment: bool,
    /// The summary is of one shipment, delivered and not in dispute.
    pub delivered_shipment: bool,
    pub order_number: String,
    /// The order's total, in cents.
    pub total_cents: i64,
}

/// Every summary of the demo data — each order's and each shipment's, in German and
/// English — with the evidence of the view it was written from.
pub(super) fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let policy = Policy::default();
        let mut out = Vec::new();
        for view in views() {
            let order_ev = evidence_of(view);
            let order_number = view.order.number.to_string();
            let total_cents = view.order.total.cents();
            for locale in [Locale::De, Locale::En] {
                out.push(Case {
                    text: summary(view, locale, &policy),
                    ev: order_ev.clone(),
                    locale,
                    of_order: true,
                    disputed_shipment: false,
                    delivered_shipment: false,
                    order_number: order_number.clone(),
                    total_cents,
                });
                for s in &view.shipments {
                    out.push(Case {
                        text: summary(s, locale, &policy),
                        ev: evidence_of(s),
                        locale,
                        of_order: false,
                        disputed_shipment: s.in_dispute,
                        delivered_shipment: !s.in_dispute
                            && s.status == crate::truth::ShipmentStatus::Delivered,
                        order_number: order_number.clone(),
                        total_cents,
                    });
                }
            }
        }
        out
    })
}

pub(super) fn evidence_of<T: serde::Serialize>(view: &T) -> Evidence {
    let mut ev = Evidence::new(Policy::default().time_zone);
    ev.add_tool_result(&serde_json::to_value(view).unwrap());
    ev
}

pub(super) fn failures(text: &str, v: &Verdict) -> String {
    let bad: Vec<String> = v
        .claims
        .iter()
        .filter(|c| !c.supported)
        .map(|c| {
            format!(
                "  {:?} {:?}: {}",
                c.kind,
                c.text,
                c.reason.as_deref().unwrap_or("")
            )
        })
        .collect();
    format!("{}\n--- in:\n{text}", bad.join("\n"))
}

#[test]
fn every_truth_summary_of_the_demo_data_passes_the_check_against_its_own_view() {
    let cases = cases();
    assert!(cases.len() > 5000, "{} summaries", cases.len());
    let failed: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let v = check(&c.text, &c.ev, c.locale);
            (!v.passed).then(|| {
                format!(
                    "{} {}:\n{}",
                    c.order_number,
                    c.locale,
                    failures(&c.text, &v)
                )
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} summaries fail:\n{}",
        failed.len(),
        cases.len(),
        failed
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
