//! Ids, addresses, amounts and postcodes: `A-100234`, `00340434161234567890` (also in
//! spaced groups), `Beispielweg 7, 33100 Paderborn`, `89,90 €` / `€89.90` / `89.90 EUR` /
//! `EUR 89,90`, and five digits standing alone.

use std::sync::LazyLock;

use regex::Regex;

use super::super::ClaimKind;
use super::{Fact, Found, Taken, re, scan};

/// An address as written: the words before the house number on its line (the street is
/// their tail), the house number, the postcode and the words after it (the city is their
/// head). Which words belong to the street is settled against the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddressClaim {
    pub before: String,
    pub number: String,
    pub postcode: String,
    pub after: String,
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|www\.\S+"));
static ORDER: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Za-z]{1,4}-\d{3,12}\b"));
static TRACKING: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Za-z0-9]{8,40}\b"));
static TRACKING_SPACED: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{2,6}(?: \d{2,6}){2,9}\b"));
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(\d{1,4}\s?[a-zA-Z]?),\s*(\d{5})\s+(\p{Lu}[\p{L}\-]*(?:\s+(?:am|an der|an|im|in der|in|ob der|vor der|\p{Lu}[\p{L}\-]*))*)",
    )
});
const NUM: &str = r"(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)";
static AMOUNT_PRE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(€|\$|£|\b(?:EUR|CHF|USD|GBP)\b)\s?{NUM}(?:\s?€)?"
    ))
});
static AMOUNT_POST: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"\b{NUM}\s?(€|(?:EUR|Euro|CHF|USD|GBP)\b)")));
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{5}\b"));

/// E-mail addresses and links are no claims of ours; their digits must not become one.
pub(super) fn mask(text: &str, taken: &mut Taken) {
    for m in EMAIL.find_iter(text) {
        taken.take(m.start(), m.end());
    }
}

/// Order numbers, then tracking numbers (8–40 letters and digits, at least six digits).
pub(super) fn ids(text: &str, taken: &mut Taken, out: &mut Vec<Found>) {
    scan(&ORDER, text, ClaimKind::OrderNumber, taken, out, |c| {
        Some(Fact::Id(c.get(0)?.as_str().to_uppercase()))
    });
    scan(
        &TRACKING,
        text,
        ClaimKind::TrackingNumber,
        taken,
        out,
        |c| {
            let s = c.get(0)?.as_str();
            let digits = s.chars().filter(char::is_ascii_digit).count();
            (digits >= 6).then(|| Fact::Id(s.to_uppercase()))
        },
    );
    scan(
        &TRACKING_SPACED,
        text,
        ClaimKind::TrackingNumber,
        taken,
        out,
        |c| {
            let s: String = c.get(0)?.as_str().split(' ').collect();
            (12..=40).contains(&s.len()).then_some(Fact::Id(s))
        },
    );
}

/// `Street 7, 33100 City`: anchored on the house number, postcode and city.
pub(super) fn addresses(text: &str, taken: &mut Taken, out: &mut Vec<Found>) {
    for c in ADDRESS.captures_iter(text) {
        let (Some(all), Some(number), Some(pc), Some(city)) =
            (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        let line_start = text[..all.start()].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..all.start()];
        // The street is among the last words since the last punctuation on the line
        // (not `.`: `Hauptstr. 7`). Only the number, postcode and city are taken, so a
        // date or id among those words is still a claim of its own.
        let cut = line
            .rfind([':', ',', ';', '(', ')', '„', '“', '"', '!', '?'])
            .map_or(0, |i| {
                i + line[i..].chars().next().map_or(1, char::len_utf8)
            });
        let words: Vec<&str> = line[cut..].split_whitespace().collect();
        if words.is_empty() || !taken.free(all.start(), all.end()) {
            continue;
        }
        let keep = &words[words.len().saturating_sub(5)..];
        let start = all.start();
        taken.take(start, all.end());
        out.push(Found {
            kind: ClaimKind::Address,
            start,
            end: city.end(),
            fact: Fact::Address(AddressClaim {
                before: keep.join(" "),
                number: number.as_str().trim().to_string(),
                postcode: pc.as_str().to_string(),
                after: city.as_str().to_string(),
            }),
        });
    }
}

/// Amounts with a currency before or after.
pub(super) fn amounts(text: &str, taken: &mut Taken, out: &mut Vec<Found>) {
    scan(&AMOUNT_PRE, text, ClaimKind::Amount, taken, out, |c| {
        Some(Fact::Amount(
            cents(c.get(2)?.as_str())?,
            currency(c.get(1)?.as_str()),
        ))
    });
    scan(&AMOUNT_POST, text, ClaimKind::Amount, taken, out, |c| {
        Some(Fact::Amount(
            cents(c.get(1)?.as_str())?,
            currency(c.get(2)?.as_str()),
        ))
    });
}

fn currency(s: &str) -> Option<&'static str> {
    match s {
        "€" | "EUR" | "Euro" => Some("EUR"),
        "$" | "USD" => Some("USD"),
        "£" | "GBP" => Some("GBP"),
        "CHF" => Some("CHF"),
        _ => None,
    }
}

/// `8.989,90`, `8,989.90`, `89,90`, `89.9`, `89` → cents. The last separator followed by
/// one or two digits is the decimal one; the others group thousands.
pub(crate) fn cents(s: &str) -> Option<i64> {
    let last = s.rfind(['.', ',']);
    let (whole, frac) = match last {
        Some(i) if s.len() - i - 1 <= 2 => (&s[..i], &s[i + 1..]),
        _ => (s, ""),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    w.checked_mul(100)?.checked_add(f)
}

/// Five digits standing alone (not a part of `12.345`, `+49 33100…` or a longer number).
pub(super) fn postcodes(text: &str, taken: &mut Taken, out: &mut Vec<Found>) {
    scan(&POSTCODE, text, ClaimKind::Postcode, taken, out, |c| {
        let m = c.get(0)?;
        let before = text[..m.start()].chars().next_back();
        let rest = &text[m.end()..];
        let grouped = matches!(before, Some('.' | ',' | '+' | '/' | '-'))
            || ((rest.starts_with('.') || rest.starts_with(','))
                && rest[1..].starts_with(|c: char| c.is_ascii_digit()));
        (!grouped).then(|| Fact::Postcode(m.as_str().to_string()))
    });
}
