//! The template context of a summary: every date, amount and distance already in the
//! locale's format and the policy's time zone, every optional value present (as null),
//! so the templates stay simple and strict.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Currency, Locale};

use super::super::format;
use super::super::policy::Policy;
use super::super::view::{Contradiction, DeliveryDetails, Fact, NextStep, OrderView, ShipmentView};

/// One fact as the templates read it.
#[derive(Debug, Serialize)]
pub(super) struct FactCtx {
    source: &'static str,
    at: Option<String>,
    what: String,
    location: Option<String>,
    postcode: Option<String>,
    description: Option<String>,
    channel: Option<String>,
    next_attempt_on: Option<String>,
    notice_card_left: bool,
    due_by: Option<String>,
    amount: Option<String>,
    distance_km: Option<String>,
    tracking_number: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct ContradictionCtx {
    code: &'static str,
    tracking_number: Option<String>,
    carrier: String,
    stale_hours: u32,
    facts: Vec<FactCtx>,
}

#[derive(Debug, Serialize)]
pub(super) struct DeliveryCtx {
    place: &'static str,
    at: String,
    confirmed_by_scan: bool,
    location: Option<String>,
    postcode: Option<String>,
    handed_to: Option<String>,
    safe_place: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct NextCtx {
    kind: &'static str,
    date: String,
    location: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct ShipmentCtx {
    tracking_number: String,
    carrier: String,
    kind: &'static str,
    address: Option<String>,
    status: &'static str,
    status_at: Option<String>,
    status_location: Option<String>,
    in_dispute: bool,
    delivery: Option<DeliveryCtx>,
    next: Vec<NextCtx>,
    contradictions: Vec<ContradictionCtx>,
}

#[derive(Debug, Serialize)]
pub(super) struct OrderCtx {
    number: String,
    placed_on: String,
    in_dispute: bool,
    shipments: Vec<ShipmentCtx>,
    contradictions: Vec<ContradictionCtx>,
}

/// Formats instants, days and amounts for one locale.
pub(super) struct Fmt<'a> {
    pub locale: Locale,
    pub policy: &'a Policy,
    pub currency: Currency,
}

impl Fmt<'_> {
    pub(super) fn at(&self, at: DateTime<Utc>) -> String {
        format::datetime(at, self.policy.time_zone, self.locale)
    }

    pub(super) fn fact(&self, f: &Fact) -> FactCtx {
        FactCtx {
            source: f.source.as_str(),
            at: f.at.map(|a| self.at(a)),
            what: f.what.clone(),
            location: f.location.clone(),
            postcode: f.postcode.clone(),
            description: f.description.clone(),
            channel: f.channel.clone(),
            next_attempt_on: f.next_attempt_on.map(|d| format::date(d, self.locale)),
            notice_card_left: f.notice_card_left.unwrap_or(false),
            due_by: f.due_by.map(|d| self.at(d)),
            amount: f.amount.map(|m| m.localized(&self.currency, self.locale)),
            distance_km: f.distance_m.map(|m| {
                let km = format!("{:.1}", f64::from(m) / 1000.0);
                match self.locale {
                    Locale::De => km.replace('.', ","),
                    Locale::En => km,
                }
            }),
            tracking_number: f.tracking_number.as_ref().map(|t| t.to_string()),
        }
    }

    pub(super) fn contradiction(&self, c: &Contradiction, carrier: &str) -> ContradictionCtx {
        ContradictionCtx {
            code: c.code.as_str(),
            tracking_number: c.tracking_number.as_ref().map(|t| t.to_string()),
            carrier: carrier.to_string(),
            stale_hours: self.policy.stale_tracking_hours,
            facts: c.facts.iter().map(|f| self.fact(f)).collect(),
        }
    }

    pub(super) fn delivery(&self, d: &DeliveryDetails) -> DeliveryCtx {
        DeliveryCtx {
            place: d.place.as_str(),
            at: self.at(d.at),
            confirmed_by_scan: d.confirmed_by_scan,
            location: d.location.clone(),
            postcode: d.postcode.clone(),
            handed_to: d.handed_to.as_ref().map(|h| match &h.address {
                Some(a) => format!("{}, {a}", h.name),
                None => h.name.clone(),
            }),
            safe_place: d.safe_place.clone(),
        }
    }

    pub(super) fn next(&self, n: &NextStep) -> NextCtx {
        match n {
            NextStep::NextAttempt { on, .. } => NextCtx {
                kind: "next_attempt",
                date: format::date(*on, self.locale),
                location: None,
            },
            NextStep::Pickup {
                location, until, ..
            } => NextCtx {
                kind: "pickup",
                date: format::date(*until, self.locale),
                location: location.clone(),
            },
            NextStep::AwaitingScan { until, .. } => NextCtx {
                kind: "awaiting_scan",
                date: self.at(*until),
                location: None,
            },
        }
    }

    pub(super) fn shipment(&self, v: &ShipmentView) -> ShipmentCtx {
        let carrier = v.carrier.display_name();
        let last = v
            .timeline
            .iter()
            .rev()
            .find(|t| t.source.as_str() == "carrier_scan");
        ShipmentCtx {
            tracking_number: v.tracking_number.to_string(),
            carrier: carrier.to_string(),
            kind: v.kind.as_str(),
            address: v.address.as_ref().map(|a| a.one_line()),
            status: v.status.as_str(),
            status_at: v.last_scan_at.map(|a| self.at(a)),
            status_location: last.and_then(|t| t.location.clone()),
            in_dispute: v.in_dispute,
            delivery: v.delivery.as_ref().map(|d| self.delivery(d)),
            next: v.next.iter().map(|n| self.next(n)).collect(),
            contradictions: v
                .contradictions
                .iter()
                .map(|c| self.contradiction(c, carrier))
                .collect(),
        }
    }

    pub(super) fn order(&self, v: &OrderView) -> OrderCtx {
        OrderCtx {
            number: v.order.number.to_string(),
            placed_on: format::date(
                v.order
                    .placed_at
                    .with_timezone(&self.policy.time_zone)
                    .date_naive(),
                self.locale,
            ),
            in_dispute: v.in_dispute,
            shipments: v.shipments.iter().map(|s| self.shipment(s)).collect(),
            contradictions: v
                .contradictions
                .iter()
                .map(|c| self.contradiction(c, ""))
                .collect(),
        }
    }
}
