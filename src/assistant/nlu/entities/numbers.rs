//! Order numbers, tracking numbers, phone numbers and postcodes: the things customers
//! type as digits, often with spaces ("0034 0434 1612 3456 7890", "0151 1234 5678").
//!
//! Digit groups separated by single spaces are joined when the joined number has a
//! telling shape — a carrier's tracking number or a phone number — and read one by one
//! otherwise, so "A-1002 33100" stays an order number and a postcode. Shapes, from the
//! demo data and the carriers: DHL 20 digits (`00340434…`), DPD 14 digits starting
//! `0`, Hermes 14 digits, GLS 11–12 digits, UPS `1Z` and 16 letters or digits. German
//! phone numbers start with one `0` and have 10–13 digits; `+` or `00` starts an
//! international one. Five digits standing alone are a postcode.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, TrackingMention, mask};
use crate::domain::{Carrier, OrderNumber, TrackingNumber};

fn re(src: &str) -> Regex {
    Regex::new(src).expect("entity pattern compiles")
}

static ORDER: LazyLock<Regex> = LazyLock::new(|| re(r"\b([a-z])(-|\s)?(\d{4,10})\b"));
/// A shop's own spelling: letters first, then letters, digits and hyphens, ending in a
/// digit ("AB-12345", "SHOP-2026-0042", "ab12345").
static SHOP_ORDER: LazyLock<Regex> = LazyLock::new(|| re(r"\b[a-z]{1,8}(?:-?[a-z0-9]+)*\d\b"));

/// Words that stand before a number without being part of it ("plz33100", "nr12345").
const NOT_A_PREFIX: &[&str] = &[
    "plz",
    "nr",
    "no",
    "tel",
    "fax",
    "zip",
    "kw",
    "ca",
    "pc",
    "jd",
    "jjd",
    "ups",
    "dhl",
    "dpd",
    "gls",
    "bestellung",
    "bestellnummer",
    "order",
    "postcode",
    "tracking",
    "sendung",
];

/// Whether a token of the shape [`SHOP_ORDER`] reads as an order number: at least four
/// digits, a prefix that is no word, at most 30 characters, no tracking shape.
fn shop_order_shape(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let prefix: String = token
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let hyphen = token.contains('-');
    let head = token.split('-').next().unwrap_or_default();
    digits >= 4
        && token.len() <= 30
        && !(prefix == "d" && digits == 5 && token.len() <= 7)
        && (hyphen || !NOT_A_PREFIX.contains(&prefix.as_str()))
        && !(hyphen && NOT_A_PREFIX.contains(&head))
        && !(prefix.starts_with('j') && digits >= 10)
}
static UPS: LazyLock<Regex> = LazyLock::new(|| re(r"\b1z(?:\s?[0-9a-z]){16}\b"));
static DHL_JJD: LazyLock<Regex> = LazyLock::new(|| re(r"\bjj?d\d{10,24}\b"));
static UPU: LazyLock<Regex> = LazyLock::new(|| re(r"\b[a-z]{2}\d{9}[a-z]{2}\b"));
static CHUNK: LazyLock<Regex> = LazyLock::new(|| re(r"\+?\d[\d\-/()]*\d|\+?\d"));
static UK_POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([a-z]{1,2}\d[a-z\d]?) ?(\d[a-z]{2})\b"));

/// Takes order numbers: a letter, an optional hyphen or space, 4–10 digits (at least
/// five without the hyphen). `D-33100` is the old way of writing a German postcode and
/// is left for the postcode extractor.
pub(super) fn order_numbers(work: &mut String) -> Found<OrderNumber> {
    let mut out = Vec::new();
    let mut spans = Vec::new();
    for c in ORDER.captures_iter(work) {
        let (Some(all), Some(letter), Some(digits)) = (c.get(0), c.get(1), c.get(3)) else {
            continue;
        };
        let hyphen = c.get(2).is_some_and(|s| s.as_str() == "-");
        let digits = digits.as_str();
        if !hyphen && digits.len() < 5 {
            continue;
        }
        if letter.as_str() == "d" && digits.len() == 5 {
            continue;
        }
        let text = format!("{}-{digits}", letter.as_str().to_ascii_uppercase());
        if let Ok(n) = OrderNumber::parse(&text) {
            out.push((all.start(), n));
            spans.push(all.range());
        }
    }
    for range in &spans {
        mask(work, range.clone());
    }
    // Other shops' shapes, spelled as typed (upper case): the store matches them without
    // regard to case or hyphens.
    let mut more = Vec::new();
    for m in SHOP_ORDER.find_iter(work) {
        if shop_order_shape(m.as_str())
            && let Ok(n) = OrderNumber::parse(&m.as_str().to_ascii_uppercase())
        {
            out.push((m.start(), n));
            more.push(m.range());
        }
    }
    for range in more {
        mask(work, range);
    }
    out
}

fn mention(value: &str, carrier_guess: Option<Carrier>) -> Option<TrackingMention> {
    TrackingNumber::parse(value)
        .ok()
        .map(|value| TrackingMention {
            value,
            carrier_guess,
        })
}

/// Takes tracking numbers that contain letters: UPS `1Z…`, DHL `JJD…`, and the
/// international postal shape `RR123456789DE`.
pub(super) fn lettered_tracking_numbers(work: &mut String) -> Found<TrackingMention> {
    let mut out = Vec::new();
    type Guess = fn(&str) -> Option<Carrier>;
    let shapes: [(&Regex, Guess); 3] = [
        (&UPS, |_| Some(Carrier::Ups)),
        (&DHL_JJD, |_| Some(Carrier::Dhl)),
        (&UPU, |s| s.ends_with("de").then_some(Carrier::Dhl)),
    ];
    for (shape, carrier) in shapes {
        let spans: Vec<_> = shape.find_iter(work).map(|m| m.range()).collect();
        for range in spans {
            let text = &work[range.clone()];
            if let Some(m) = mention(text, carrier(text)) {
                out.push((range.start, m));
                mask(work, range);
            }
        }
    }
    out
}

/// What a run of digits is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reading {
    /// Six to nine digits, not starting with `0`: a shop's numeric order number.
    Order(String),
    Phone(String),
    Tracking(TrackingMention),
    Postcode(String),
}

impl Reading {
    /// Shapes telling enough to join digit groups for.
    fn telling(&self) -> bool {
        match self {
            Self::Phone(_) => true,
            Self::Tracking(t) => t.carrier_guess.is_some(),
            Self::Postcode(_) | Self::Order(_) => false,
        }
    }
}

/// Reads a run of digits (`plus`: written with a leading `+`). `joined`: made of
/// several groups, which a postcode never is.
fn read(d: &str, plus: bool, joined: bool) -> Option<Reading> {
    let n = d.len();
    let tracking = |carrier| mention(d, carrier).map(Reading::Tracking);
    if plus {
        return ((8..=15).contains(&n) && !d.starts_with('0'))
            .then(|| Reading::Phone(format!("+{d}")));
    }
    if let Some(rest) = d.strip_prefix("00") {
        if n == 20 {
            return tracking(d.starts_with("00340434").then_some(Carrier::Dhl));
        }
        if (8..=15).contains(&rest.len()) && !rest.starts_with('0') {
            return Some(Reading::Phone(format!("+{rest}")));
        }
        return (18..=40).contains(&n).then(|| tracking(None)).flatten();
    }
    if let Some(rest) = d.strip_prefix('0') {
        return match n {
            // German postcodes 01067–09669 (Dresden, Leipzig, Chemnitz, …).
            5 if !joined => Some(Reading::Postcode(d.to_string())),
            10..=13 => Some(Reading::Phone(format!("+49{rest}"))),
            14 => tracking(Some(Carrier::Dpd)),
            18..=40 => tracking(None),
            _ => None,
        };
    }
    match n {
        5 if !joined => Some(Reading::Postcode(d.to_string())),
        6..=9 if !joined => Some(Reading::Order(d.to_string())),
        12 | 13 if d.starts_with("49") => Some(Reading::Phone(format!("+{d}"))),
        11 | 12 => tracking(Some(Carrier::Gls)),
        14 => tracking(d.starts_with('4').then_some(Carrier::Hermes)),
        10..=40 => tracking(None),
        _ => None,
    }
}

/// What the digit groups of a message turned out to be.
#[derive(Debug, Default)]
pub(super) struct DigitReadings {
    pub tracking: Found<TrackingMention>,
    pub phones: Found<String>,
    pub postcodes: Found<String>,
    pub orders: Found<OrderNumber>,
}

struct Chunk {
    start: usize,
    end: usize,
    digits: String,
    plus: bool,
}

/// Reads the remaining digit groups: tracking numbers, phone numbers, postcodes.
pub(super) fn digit_groups(work: &mut String) -> DigitReadings {
    let chunks: Vec<Chunk> = CHUNK
        .find_iter(work)
        .map(|m| Chunk {
            start: m.start(),
            end: m.end(),
            digits: m.as_str().chars().filter(char::is_ascii_digit).collect(),
            plus: m.as_str().starts_with('+'),
        })
        .collect();
    // Runs of chunks separated by a space or two, perhaps with parentheses
    // ("(0151) 123 456 78").
    let mut runs: Vec<Vec<&Chunk>> = Vec::new();
    for c in &chunks {
        let joins = runs.last().and_then(|r| r.last()).is_some_and(|prev| {
            let gap = &work[prev.end..c.start];
            (1..=3).contains(&gap.len())
                && gap.contains(' ')
                && gap.bytes().all(|b| matches!(b, b' ' | b'(' | b')'))
                && !c.plus
        });
        match runs.last_mut() {
            Some(run) if joins => run.push(c),
            _ => runs.push(vec![c]),
        }
    }

    let mut out = DigitReadings::default();
    let mut spans = Vec::new();
    for run in &runs {
        let mut i = 0;
        while i < run.len() {
            // The longest telling join from i, else the group alone.
            let mut taken = None;
            for j in (i + 1..=run.len()).rev() {
                let digits: String = run[i..j].iter().map(|c| c.digits.as_str()).collect();
                if let Some(r) = read(&digits, run[i].plus, j - i > 1)
                    && (r.telling() || j == i + 1)
                {
                    taken = Some((j, r));
                    break;
                }
            }
            let Some((j, reading)) = taken else {
                i += 1;
                continue;
            };
            let at = run[i].start;
            spans.push(at..run[j - 1].end);
            match reading {
                Reading::Phone(p) => out.phones.push((at, p)),
                Reading::Tracking(t) => out.tracking.push((at, t)),
                Reading::Postcode(p) => out.postcodes.push((at, p)),
                Reading::Order(o) => {
                    if let Ok(n) = OrderNumber::parse(&o) {
                        out.orders.push((at, n));
                    }
                }
            }
            i = j;
        }
    }
    for range in spans {
        mask(work, range);
    }
    out
}

/// Takes UK postcodes (`SW1A 1AA`, `M1 1AE`), upper-cased with one space.
pub(super) fn uk_postcodes(work: &mut String) -> Found<String> {
    let mut out = Vec::new();
    let mut spans = Vec::new();
    for c in UK_POSTCODE.captures_iter(work) {
        if let (Some(all), Some(outward), Some(inward)) = (c.get(0), c.get(1), c.get(2)) {
            let code = format!("{} {}", outward.as_str(), inward.as_str()).to_ascii_uppercase();
            out.push((all.start(), code));
            spans.push(all.range());
        }
    }
    for range in spans {
        mask(work, range);
    }
    out
}

#[cfg(test)]
mod tests;
