//! The brief: what a customer reads in ten seconds. Every shipment of an order in a line
//! or two; the contradictions of one shipment told as one story (each fact once, with
//! its source, local time and place, sorted by time); an overdue promise with its due
//! date. Everything else (every event, the carrier's wording, distances, earlier scans)
//! stays in the full summaries of [`super::summary`], the console and the customer's
//! "All details". Rendered from `prompts/summary/brief.{de,en}.j2`.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Locale, TrackingNumber};

use super::super::format;
use super::super::policy::Policy;
use super::super::view::{ContradictionCode as Code, Fact, OrderView, ShipmentView, Source};
use super::context::{DeliveryCtx, Fmt, NextCtx, ShipmentCtx};

/// What the brief is about.
#[derive(Clone, Copy, Debug, Default)]
pub struct BriefOptions<'a> {
    /// Only this shipment of the order (the customer asked about it).
    pub only: Option<&'a TrackingNumber>,
}

/// A brief and what it mentions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brief {
    pub text: String,
    /// Some shipment is in dispute or an order-level contradiction is open.
    pub disputed: bool,
    /// Two sources disagree (not only a promise overdue or a silent carrier).
    pub disagree: bool,
    /// The customer's reports (claims such as `not_received`) the text mentions, each
    /// once however often they were made.
    pub reports: Vec<String>,
}

/// One fact as the brief tells it.
#[derive(Debug, Serialize)]
struct BriefFact {
    source: &'static str,
    what: String,
    /// The local date and time, the date left out when the fact before had the same.
    when: Option<String>,
    location: Option<String>,
    /// The scan's postcode, only where it does not match the delivery address…
    postcode: Option<String>,
    /// …whose postcode this is.
    elsewhere: Option<String>,
    channel: Option<String>,
    notice_card_left: bool,
    /// A driver's note (the template shows it only when it says more than the outcome).
    note: Option<String>,
    amount: Option<String>,
    /// For the shop's "no such step": which step.
    description: Option<String>,
    /// A message that told the customer of this shop step: its channel and time.
    told_by: Option<String>,
    told_when: Option<String>,
}

#[derive(Debug, Serialize)]
struct StoryCtx {
    /// `None` when the order has this one shipment only ("Ihre Sendung").
    tracking_number: Option<String>,
    carrier: String,
    kind: &'static str,
    disagree: bool,
    /// Hours without a scan, for stale tracking.
    stale_hours: Option<u32>,
    facts: Vec<BriefFact>,
    /// Where the carrier says it left the parcel (a neighbour, a parcel shop, …).
    delivery: Option<DeliveryCtx>,
    next: Vec<NextCtx>,
}

#[derive(Debug, Serialize)]
struct PromiseCtx {
    what: String,
    promised: Option<String>,
    due: Option<String>,
}

#[derive(Debug, Serialize)]
struct BriefCtx {
    number: String,
    plain: Vec<ShipmentCtx>,
    stories: Vec<StoryCtx>,
    promises: Vec<PromiseCtx>,
    /// Order-level contradictions other than promises (a message about a step the shop
    /// never recorded): their facts.
    order_facts: Vec<BriefFact>,
    /// The order has no shipment yet: what the shop recorded instead.
    unshipped: Option<UnshippedCtx>,
}

#[derive(Debug, Serialize)]
struct UnshippedCtx {
    cancelled: bool,
    refunded: bool,
}

/// The brief of an order (or of one of its shipments) in `locale`.
pub fn brief(view: &OrderView, locale: Locale, policy: &Policy, opts: BriefOptions<'_>) -> Brief {
    let fmt = Fmt {
        locale,
        policy,
        currency: view.order.currency.clone(),
    };
    let mut reports = Vec::new();
    let ships: Vec<&ShipmentView> = view
        .shipments
        .iter()
        .filter(|s| opts.only.is_none_or(|t| *t == s.tracking_number))
        .collect();
    let mut stories = Vec::new();
    let mut plain = Vec::new();
    for s in &ships {
        if s.in_dispute && !s.contradictions.is_empty() {
            let mut told = story(&fmt, s, &mut reports);
            if view.shipments.len() == 1 {
                told.tracking_number = None;
            }
            stories.push(told);
        } else {
            plain.push(*s);
        }
    }
    let mut promises = Vec::new();
    let mut order_facts = Vec::new();
    if opts.only.is_none() {
        for c in &view.contradictions {
            if c.code == Code::PromiseOverdue {
                let shop = c.facts.iter().filter(|f| f.source == Source::Shop);
                promises.extend(shop.map(|f| PromiseCtx {
                    what: f.what.clone(),
                    promised: f.at.map(|a| fmt.at(a)),
                    due: f.due_by.map(|d| {
                        format::date(d.with_timezone(&policy.time_zone).date_naive(), locale)
                    }),
                }));
            } else {
                let facts: Vec<&Fact> = c.facts.iter().collect();
                order_facts.extend(tell(&fmt, facts, None, &mut reports));
            }
        }
    }
    let disputed = !stories.is_empty() || !promises.is_empty() || !order_facts.is_empty();
    // Beside a story or a promise, a parcel delivered long ago is no news: it is in the
    // details.
    let plain: Vec<ShipmentCtx> = plain
        .into_iter()
        .filter(|s| !disputed || !s.status.is_final())
        .map(|s| fmt.shipment(s))
        .collect();
    let disagree = stories.iter().any(|s| s.disagree) || !order_facts.is_empty();
    let ctx = BriefCtx {
        number: view.order.number.to_string(),
        plain,
        stories,
        promises,
        order_facts,
        unshipped: (opts.only.is_none() && view.shipments.is_empty()).then_some(UnshippedCtx {
            cancelled: view.order_state.cancelled,
            refunded: view.order_state.refunded,
        }),
    };
    let name = format!("summary/brief.{}.j2", locale.as_str());
    let text = crate::prompts::render(&name, minijinja::context! { b => ctx })
        .map(|t| crate::prompts::tidy(&t))
        // Prevented by the tests that render the brief of every story.
        .unwrap_or_else(|_| super::summary(view, locale, policy));
    Brief {
        text,
        disputed,
        disagree,
        reports,
    }
}

/// The contradictions of one shipment as one story.
fn story(fmt: &Fmt<'_>, s: &ShipmentView, reports: &mut Vec<String>) -> StoryCtx {
    let carrier = s.carrier.display_name();
    let facts: Vec<&Fact> = s.contradictions.iter().flat_map(|c| &c.facts).collect();
    // Where a delivery scan was not at the delivery address: that scan, and the address's
    // postcode.
    let mismatch = s
        .contradictions
        .iter()
        .filter(|c| c.code == Code::DeliveryLocationMismatch)
        .find_map(|c| {
            let scan = c
                .facts
                .iter()
                .find(|f| f.source == Source::CarrierScan)?
                .event_id
                .clone()?;
            let home = c
                .facts
                .iter()
                .find(|f| f.source == Source::Address)
                .and_then(|f| f.postcode.clone());
            Some((scan, home))
        });
    let disagree = s
        .contradictions
        .iter()
        .any(|c| !matches!(c.code, Code::StaleTracking | Code::PromiseOverdue));
    let stale_hours = s
        .contradictions
        .iter()
        .any(|c| c.code == Code::StaleTracking)
        .then_some(fmt.policy.stale_tracking_hours);
    StoryCtx {
        tracking_number: Some(s.tracking_number.to_string()),
        carrier: carrier.to_string(),
        kind: s.kind.as_str(),
        disagree,
        stale_hours,
        facts: tell(fmt, facts, mismatch.as_ref(), reports),
        delivery: s.delivery.as_ref().map(|d| fmt.delivery(d)),
        next: s.next.iter().map(|n| fmt.next(n)).collect(),
    }
}

/// Facts told once each, sorted by time: the address record only through a mismatched
/// scan, of the carrier's scans only the latest, each kind of report of the customer once.
fn tell(
    fmt: &Fmt<'_>,
    facts: Vec<&Fact>,
    mismatch: Option<&(crate::domain::EventId, Option<String>)>,
    reports: &mut Vec<String>,
) -> Vec<BriefFact> {
    let latest_scan = facts
        .iter()
        .filter(|f| f.source == Source::CarrierScan && f.at.is_some())
        .max_by_key(|f| f.at)
        .and_then(|f| f.event_id.clone());
    let mut seen = HashSet::new();
    let mut kept: Vec<&Fact> = Vec::new();
    for f in facts {
        let key = format!(
            "{:?}|{}|{}|{:?}|{:?}",
            f.event_id,
            f.source.as_str(),
            f.what,
            f.at,
            f.description
        );
        let skip = match f.source {
            Source::Address => true,
            Source::CarrierScan => f.event_id.is_some() && f.event_id != latest_scan,
            // However often the customer reported it: once.
            Source::Customer => reports.contains(&f.what),
            _ => false,
        };
        if skip || !seen.insert(key) {
            continue;
        }
        if f.source == Source::Customer && !reports.contains(&f.what) {
            reports.push(f.what.clone());
        }
        kept.push(f);
    }
    kept.sort_by_key(|f| (f.at.is_none(), f.at));
    // A message that only passed on a step of the shop is told with that step.
    let steps: Vec<String> = kept
        .iter()
        .filter(|f| f.source == Source::Shop)
        .map(|f| f.what.clone())
        .collect();
    let mut passed_on: Vec<&Fact> = Vec::new();
    kept.retain(|f| {
        let fold = f.source == Source::Notification && steps.contains(&f.what);
        if fold {
            passed_on.push(f);
        }
        !fold
    });
    let tz = fmt.policy.time_zone;
    // The time alone when the day is the one just told.
    let when = |a: chrono::DateTime<chrono::Utc>, last: &mut Option<NaiveDate>| {
        let day = a.with_timezone(&tz).date_naive();
        let same = *last == Some(day);
        *last = Some(day);
        match (same, fmt.locale) {
            (true, Locale::De) => format!("{} Uhr", format::time(a, tz)),
            (true, Locale::En) => format::time(a, tz),
            (false, _) => fmt.at(a),
        }
    };
    let mut last_day: Option<NaiveDate> = None;
    let mut out = Vec::new();
    for f in kept {
        let at = f.at.map(|a| when(a, &mut last_day));
        let told = passed_on
            .iter()
            .find(|n| f.source == Source::Shop && n.what == f.what);
        let mut day = last_day;
        let away = mismatch.filter(|(id, _)| f.event_id.as_ref() == Some(id));
        out.push(BriefFact {
            source: f.source.as_str(),
            what: f.what.clone(),
            when: at,
            location: f.location.clone(),
            postcode: away.and(f.postcode.clone()),
            elsewhere: away.and_then(|(_, home)| home.clone()),
            channel: f.channel.clone(),
            notice_card_left: f.notice_card_left.unwrap_or(false),
            // The template drops a note that only repeats the outcome.
            note: f.description.clone().filter(|_| f.source == Source::Driver),
            amount: f.amount.map(|m| m.localized(&fmt.currency, fmt.locale)),
            description: f.description.clone().filter(|_| f.source == Source::Shop),
            told_by: told.map(|n| n.channel.clone().unwrap_or_default()),
            told_when: told.and_then(|n| n.at).map(|a| when(a, &mut day)),
        });
    }
    out
}
