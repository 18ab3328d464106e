//! The deterministic demo data set: customers, orders, shipments and their histories,
//! the named stories of docs/architecture.md and more, and contradictions by construction.
//!
//! Pure: no I/O, no clock reads. [`generate`] places everything relative to an anchor day
//! ("today" of the stories) in Europe/Berlin; the same anchor always yields the same
//! bytes ([`to_ndjson`]), another anchor shifts the times and keeps every order number.
//! The data end at 09:00 on the anchor day; the stories are told from 09:30 on.
//!
//! Layout: [`rng`] (SplitMix64), [`when`] (local days and instants), [`places`] and
//! [`people`] (fictional customers in real cities), [`catalog`], [`carriers`] (tracking
//! numbers and the carriers' own words), [`builder`], [`lastmile`] and [`flows`]
//! (consistent histories), [`cases`] and [`stories`] (contradictions and named stories).

mod builder;
mod carriers;
mod cases;
mod catalog;
pub mod codes;
mod flows;
mod lastmile;
mod people;
mod places;
mod rng;
mod stories;
mod when;

#[cfg(test)]
mod coverage;
#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::domain::{Item, Locale, OrderNumber};

use builder::Builder;
use people::{Household, Registry};
use rng::Rng;
use when::{At, CUTOFF, Calendar, STORY_TIME};

pub use codes::ALL as CONTRADICTION_CODES;
pub use stories::STORIES;

/// The anchor of the default demo: Thursday, 11 September 2025.
pub const DEFAULT_ANCHOR: NaiveDate = match NaiveDate::from_ymd_opt(2025, 9, 11) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The seed of the one demo data set. Changing it changes every generated name and number
/// (not the stories').
const SEED: u64 = 0x5645_5249_5459_2025;

/// Customers besides the stories' six.
const BULK_CUSTOMERS: usize = 244;
/// Ordinary orders besides the stories and the contradiction cases.
const BULK_ORDERS: usize = 1_120;
/// Generated order numbers count up from here, in order of placement; the stories own
/// the A-1002xx block.
const FIRST_BULK_ORDER: usize = 100_300;

/// The generated data set.
#[derive(Clone, Debug)]
pub struct DemoData {
    /// In an order that can be ingested as-is: customers, orders, shipments, then events
    /// by time.
    pub items: Vec<Item>,
    /// The named stories, with what to type into the chat to try them.
    pub stories: Vec<DemoStory>,
    /// Which order (and shipment) realizes which contradiction code. Every code appears at
    /// least three times; an order realizing two codes is listed twice. All other
    /// histories are meant to be free of contradictions at the story time.
    pub contradiction_cases: Vec<ContradictionCase>,
}

/// A story to try in the chat: verify with order number and postcode (or the email), then
/// ask what `try_de` / `try_en` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DemoStory {
    pub key: &'static str,
    pub title_de: &'static str,
    pub title_en: &'static str,
    pub order_number: &'static str,
    /// The shipment the story is about.
    pub tracking_number: &'static str,
    pub postcode: &'static str,
    pub email: &'static str,
    pub locale: Locale,
    pub try_de: Option<&'static str>,
    pub try_en: Option<&'static str>,
    /// The contradiction codes the story shows; empty for the plain ones.
    pub contradictions: &'static [&'static str],
    /// How the story's customer is addressed.
    #[serde(skip)]
    pub salutation: Option<crate::domain::Salutation>,
}

/// One realization of a contradiction code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContradictionCase {
    pub code: &'static str,
    pub order_number: String,
    /// The shipment it concerns; `None` for order-level codes (`promise_overdue`).
    pub tracking_number: Option<String>,
    /// The named story it belongs to, if any.
    pub story: Option<&'static str>,
}

/// The moment the stories are meant to be told: 09:30 in Berlin on the anchor day.
pub fn story_time(anchor: NaiveDate) -> DateTime<FixedOffset> {
    Calendar { anchor }.instant(STORY_TIME)
}

/// The last moment the data reach: 09:00 in Berlin on the anchor day.
pub fn data_cutoff(anchor: NaiveDate) -> DateTime<FixedOffset> {
    Calendar { anchor }.instant(CUTOFF)
}

/// The anchor day for a demo at `now`: the stories happen on the anchor day until 09:00
/// local time, so anchor today once that is past, else yesterday, and no demo event lies
/// in the future.
pub fn anchor_for(now: chrono::DateTime<chrono::Utc>, policy: &crate::truth::Policy) -> NaiveDate {
    use chrono::Timelike;
    let local = now.with_timezone(&policy.time_zone);
    let today = local.date_naive();
    if local.hour() >= 9 {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    }
}

/// Generates the demo data set for an anchor day.
pub fn generate(anchor: NaiveDate) -> DemoData {
    generate_checked(anchor).0
}

/// The data as NDJSON in the ingestion format, one item per line.
pub fn to_ndjson(data: &DemoData) -> String {
    let mut out = String::new();
    for item in &data.items {
        out.push_str(&item.to_json_line());
        out.push('\n');
    }
    out
}

/// A bulk order to be built: whose, when, and its own random stream.
struct Plan {
    household: usize,
    placed: At,
    case: Option<cases::CaseSpec>,
    seed: u64,
}

/// The data and the scripted events that would have fallen after the cutoff (a defect;
/// the tests want none).
fn generate_checked(anchor: NaiveDate) -> (DemoData, Vec<String>) {
    let mut b = Builder::new(Calendar { anchor });
    let mut master = Rng::new(SEED);
    let mut reg = Registry::default();

    b.scripted = true;
    stories::build(&mut b, &mut master.fork(), &mut reg);

    let mut rng = master.fork();
    let households: Vec<Household> = (0..BULK_CUSTOMERS)
        .map(|i| reg.random(&mut rng, &format!("C-{}", 1007 + i)))
        .collect();
    for h in &households {
        b.customer(h.customer.clone());
    }

    let mut rng = master.fork();
    let mut plans: Vec<Plan> = (0..BULK_ORDERS)
        .map(|i| Plan {
            household: if i < households.len() {
                i
            } else {
                rng.below(households.len() as u64) as usize
            },
            placed: placement(&mut rng),
            case: None,
            seed: rng.next_u64(),
        })
        .collect();
    for case in cases::CASES {
        let household = loop {
            let i = rng.below(households.len() as u64) as usize;
            if !households[i].place.is_abroad() {
                break i;
            }
        };
        plans.push(Plan {
            household,
            placed: case.placed,
            case: Some(*case),
            seed: rng.next_u64(),
        });
    }
    plans.sort_by_key(|p| p.placed);

    for (i, plan) in plans.iter().enumerate() {
        let number = must(OrderNumber::parse(&format!("A-{}", FIRST_BULK_ORDER + i)));
        let mut rng = Rng::new(plan.seed);
        let hh = &households[plan.household];
        match plan.case {
            Some(case) => {
                b.scripted = true;
                cases::build(&mut b, &mut rng, hh, &number, case);
            }
            None => {
                b.scripted = false;
                let lines = catalog::random_lines(&mut rng);
                flows::regular_order(&mut b, &mut rng, hh, &number, plan.placed, lines);
            }
        }
    }

    b.give_contacts(&mut reg);
    let (items, contradiction_cases, late) = b.finish();
    let data = DemoData {
        items,
        stories: STORIES.to_vec(),
        contradiction_cases,
    };
    (data, late)
}

/// When an ordinary order was placed: within the last ten weeks, mostly in the evening,
/// never after 08:30 on the anchor day.
fn placement(rng: &mut Rng) -> At {
    #[rustfmt::skip]
    const HOURS: &[(i64, u32)] = &[
        (0, 1), (6, 2), (7, 3), (8, 4), (9, 5), (10, 6), (11, 6), (12, 7), (13, 6), (14, 6),
        (15, 6), (16, 6), (17, 7), (18, 8), (19, 9), (20, 10), (21, 9), (22, 6), (23, 3),
    ];
    let day = -rng.range(0, 70);
    let at = At::new(day, rng.weighted(HOURS), rng.range(0, 59));
    if at > At::new(0, 8, 30) {
        at.plus(-24 * 60)
    } else {
        at
    }
}

/// The demo builds ids from constants and fixed shapes; a rejection is a bug in this
/// module, which the tests would show at once.
fn must<T>(r: Result<T, String>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("demo data: {e}"),
    }
}
