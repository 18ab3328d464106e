//! The demo data checked against the real reconciliation (`crate::truth`): every
//! contradiction the listed cases claim is found by `reconcile_order` with the default
//! policy, nothing else is, and every order's view renders a summary in both languages.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::when::{At, Calendar};
use super::{CONTRADICTION_CODES, DEFAULT_ANCHOR, DemoData, generate, story_time};
use crate::domain::{Event, Item, Locale, Order, Shipment};
use crate::truth::{ContradictionCode, OrderView, Policy, Summarize, reconcile_order};

/// An order with its shipments and every event of the order and of its shipments.
struct OrderHistory<'a> {
    order: &'a Order,
    shipments: Vec<Shipment>,
    events: Vec<Event>,
}

/// Groups the items by order: shipments by their order number; scans and driver reports
/// by their shipment's order; order events, notifications and customer reports by the
/// order they name (a customer report naming only a shipment, by that shipment's order).
fn histories(data: &DemoData) -> Vec<OrderHistory<'_>> {
    let mut by_order: BTreeMap<&str, OrderHistory<'_>> = BTreeMap::new();
    let mut order_of_tn: BTreeMap<&str, &str> = BTreeMap::new();
    for item in &data.items {
        match item {
            Item::Order(o) => {
                let h = OrderHistory {
                    order: o,
                    shipments: Vec::new(),
                    events: Vec::new(),
                };
                by_order.insert(o.number.as_str(), h);
            }
            Item::Shipment(s) => {
                order_of_tn.insert(s.tracking_number.as_str(), s.order_number.as_str());
            }
            _ => {}
        }
    }
    for item in &data.items {
        match item {
            Item::Shipment(s) => history(&mut by_order, Some(s.order_number.as_str()), item)
                .shipments
                .push(s.clone()),
            Item::Event(e) => {
                let number = e.body.order_number().map(|n| n.as_str()).or_else(|| {
                    e.body
                        .tracking_number()
                        .and_then(|t| order_of_tn.get(t.as_str()).copied())
                });
                history(&mut by_order, number, item).events.push(e.clone());
            }
            Item::Customer(_) | Item::Order(_) => {}
        }
    }
    by_order.into_values().collect()
}

/// The history of the order `number`; an item naming no order or an unknown one is a
/// defect of the data set.
fn history<'m, 'a>(
    by_order: &'m mut BTreeMap<&str, OrderHistory<'a>>,
    number: Option<&str>,
    item: &Item,
) -> &'m mut OrderHistory<'a> {
    let key = item.key();
    let number = number.unwrap_or_else(|| panic!("{key} names no order"));
    by_order
        .get_mut(number)
        .unwrap_or_else(|| panic!("{key} names an unknown order {number}"))
}

/// Every order's view, reconciled at `now` with the default policy.
fn views(data: &DemoData, now: DateTime<Utc>) -> Vec<OrderView> {
    let policy = Policy::default();
    histories(data)
        .iter()
        .map(|h| reconcile_order(h.order, &h.shipments, &h.events, now, &policy))
        .collect()
}

/// Contradictions as (code, order), and those about one shipment as (code, order,
/// tracking number).
#[derive(Debug, Default, PartialEq)]
struct Findings {
    by_order: BTreeSet<(&'static str, String)>,
    by_shipment: BTreeSet<(&'static str, String, String)>,
}

impl Findings {
    fn add(&mut self, code: &'static str, order: &str, tracking: Option<&str>) {
        self.by_order.insert((code, order.to_string()));
        if let Some(tn) = tracking {
            self.by_shipment
                .insert((code, order.to_string(), tn.to_string()));
        }
    }

    /// What the real reconciliation finds.
    fn found(views: &[OrderView]) -> Self {
        let mut f = Self::default();
        for v in views {
            for c in v.all_contradictions() {
                let tn = c.tracking_number.as_ref().map(|t| t.as_str());
                f.add(c.code.as_str(), v.order.number.as_str(), tn);
            }
        }
        f
    }

    /// What the demo data claim.
    fn listed(data: &DemoData) -> Self {
        let mut f = Self::default();
        for c in &data.contradiction_cases {
            f.add(c.code, &c.order_number, c.tracking_number.as_deref());
        }
        f
    }

    /// How `self` (found) differs from `listed`, if it does. Order-level contradictions
    /// (no shipment) are compared by (code, order) only: the reconciliation may report a
    /// notification both against the shop's records and against a shipment.
    fn differences(&self, listed: &Self) -> Option<String> {
        let missing: Vec<_> = listed.by_order.difference(&self.by_order).collect();
        let unlisted: Vec<_> = self.by_order.difference(&listed.by_order).collect();
        let missing_s: Vec<_> = listed.by_shipment.difference(&self.by_shipment).collect();
        let unlisted_s: Vec<_> = self.by_shipment.difference(&listed.by_shipment).collect();
        let same = missing.is_empty()
            && unlisted.is_empty()
            && missing_s.is_empty()
            && unlisted_s.is_empty();
        (!same).then(|| {
            format!(
                "listed, not found: {missing:#?}\nfound, not listed: {unlisted:#?}\n\
                 listed on a shipment, not found there: {missing_s:#?}\n\
                 found on a shipment, not listed there: {unlisted_s:#?}"
            )
        })
    }
}

/// The differences between the listed cases and the real findings for `anchor` at
/// `at` (a time of the anchor day), if any.
fn differences(anchor: NaiveDate, at: At) -> Option<String> {
    let data = generate(anchor);
    let now = Calendar { anchor }.instant(at).with_timezone(&Utc);
    let found = Findings::found(&views(&data, now));
    found
        .differences(&Findings::listed(&data))
        .map(|d| format!("anchor {anchor}, {now}:\n{d}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d}"))
}

#[test]
fn the_demo_codes_are_exactly_the_codes_of_the_truth_module() {
    let truth: Vec<&str> = ContradictionCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(CONTRADICTION_CODES, truth.as_slice());
}

#[test]
fn the_demo_data_shows_every_contradiction_code_at_least_three_times_through_the_real_reconciliation()
 {
    let data = generate(DEFAULT_ANCHOR);
    let views = views(&data, story_time(DEFAULT_ANCHOR).with_timezone(&Utc));
    assert!(views.len() >= 1_000, "{} orders", views.len());
    let found = Findings::found(&views);
    for code in ContradictionCode::ALL {
        let orders = found
            .by_order
            .iter()
            .filter(|(c, _)| *c == code.as_str())
            .count();
        assert!(orders >= 3, "{}: found in {orders} orders", code.as_str());
    }
    if let Some(d) = found.differences(&Findings::listed(&data)) {
        panic!("{d}");
    }
}

#[test]
fn the_listed_cases_are_still_exactly_what_the_real_reconciliation_finds_at_noon() {
    if let Some(d) = differences(DEFAULT_ANCHOR, At::new(0, 12, 0)) {
        panic!("{d}");
    }
}

#[test]
fn the_listed_cases_are_exactly_what_the_real_reconciliation_finds_whatever_the_weekday_or_season()
{
    // A week of anchors (Monday 15 to Sunday 21 September 2025), the days of both clock
    // changes and the days after, and New Year's Day — each at 09:30 Berlin.
    let mut anchors: Vec<NaiveDate> = (15..=21).map(|d| date(2025, 9, d)).collect();
    anchors.extend([
        date(2025, 10, 26),
        date(2025, 10, 27),
        date(2026, 3, 29),
        date(2026, 3, 30),
        date(2026, 1, 1),
    ]);
    let failures: Vec<String> = anchors
        .into_iter()
        .filter_map(|a| differences(a, At::new(0, 9, 30)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_order_of_the_demo_data_renders_a_summary_in_german_and_english() {
    let data = generate(DEFAULT_ANCHOR);
    let views = views(&data, story_time(DEFAULT_ANCHOR).with_timezone(&Utc));
    let policy = Policy::default();
    let mut failures = Vec::new();
    for v in &views {
        for locale in [Locale::De, Locale::En] {
            match v.try_summary(locale, &policy) {
                Ok(text) if text.contains(v.order.number.as_str()) => {}
                Ok(text) => failures.push(format!(
                    "{} {locale}: does not name the order: {text}",
                    v.order.number
                )),
                Err(e) => failures.push(format!("{} {locale}: {e}", v.order.number)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} summaries failed:\n{}",
        failures.len(),
        2 * views.len(),
        failures.join("\n")
    );
}
