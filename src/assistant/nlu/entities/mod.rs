//! Entities: what a message names. Each kind has its own extractor; they run in a fixed
//! order over one working copy of the text (lower case, umlauts folded), and each masks
//! what it took, so a later one cannot take it again: the postcode inside a tracking
//! number, the day of a date, the digits of an email address.
//!
//! Order: emails, order numbers, letter-and-digit tracking numbers (UPS `1Z…`), dates,
//! times, then the remaining digit groups (tracking numbers, phones, postcodes), then
//! UK postcodes.

mod contact;
mod dates;
mod numbers;
mod times;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use crate::domain::{Carrier, OrderNumber, TrackingNumber};

use super::{Expectation, NluContext, normalize};

/// A tracking number the customer wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackingMention {
    /// Normalized: no spaces, upper case.
    pub value: TrackingNumber,
    /// The carrier whose number shape this is, when the shape says so.
    pub carrier_guess: Option<Carrier>,
}

/// A time of day, or a window ("zwischen 10 und 12"). "after 3pm" / "ab 15 Uhr" is a
/// start without an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TimeMention {
    pub start: NaiveTime,
    pub end: Option<NaiveTime>,
}

/// Everything a message names, each list in the order of the text, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Entities {
    /// Normalized to upper case with a hyphen: `a100234` → `A-100234`.
    pub order_numbers: Vec<OrderNumber>,
    pub tracking_numbers: Vec<TrackingMention>,
    /// German postcodes (five digits standing alone) and UK postcodes (`SW1A 1AA`).
    pub postcodes: Vec<String>,
    /// Lower case.
    pub emails: Vec<String>,
    /// E.164 (`+4915112345678`); German national numbers get `+49`.
    pub phones: Vec<String>,
    /// Resolved against `NluContext::today`.
    pub dates: Vec<NaiveDate>,
    pub times: Vec<TimeMention>,
}

impl Entities {
    /// Nothing was named.
    pub fn is_empty(&self) -> bool {
        self.order_numbers.is_empty()
            && self.tracking_numbers.is_empty()
            && self.postcodes.is_empty()
            && self.emails.is_empty()
            && self.phones.is_empty()
            && self.dates.is_empty()
            && self.times.is_empty()
    }
}

/// A found entity: where it starts in the working text, and what it is.
type Found<T> = Vec<(usize, T)>;

/// Replaces a span of the working text with a character no extractor matches, keeping
/// its length so later positions stay comparable.
fn mask(work: &mut String, range: std::ops::Range<usize>) {
    let len = work[range.clone()].len();
    work.replace_range(range, &"#".repeat(len));
}

/// Sorts by position and drops repeats, keeping the first.
fn ordered<T: PartialEq>(mut found: Found<T>) -> Vec<T> {
    found.sort_by_key(|(at, _)| *at);
    let mut out: Vec<T> = Vec::with_capacity(found.len());
    for (_, v) in found {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Extracts every entity of a message.
pub fn extract(text: &str, ctx: &NluContext) -> Entities {
    let mut work = normalize::fold(text);
    let emails = contact::emails(&mut work);
    let mut orders = numbers::order_numbers(&mut work);
    let mut tracking = numbers::lettered_tracking_numbers(&mut work);
    let dates = dates::extract(&mut work, ctx.today);
    let slots = ctx.expecting == Some(Expectation::AwaitingSlotChoice);
    let mut times = times::extract(&mut work, slots);
    let digits = numbers::digit_groups(&mut work);
    let mut postcodes = digits.postcodes;
    postcodes.extend(numbers::uk_postcodes(&mut work));
    tracking.extend(digits.tracking);
    orders.extend(digits.orders);
    if times.is_empty() && slots {
        times = times::bare_hour(&work);
    }
    Entities {
        order_numbers: ordered(orders),
        tracking_numbers: ordered(tracking),
        postcodes: ordered(postcodes),
        emails: ordered(emails),
        phones: ordered(digits.phones),
        dates: ordered(dates),
        times: ordered(times),
    }
}
