//! Times of day and windows: "10 Uhr", "10:30", "10.30 Uhr", "um 10", "zwischen 10 und
//! 12", "10-12 Uhr", "10am", "2 pm", "between 2 and 4pm", "after 3pm", "ab 15 Uhr",
//! "vormittags", "in the afternoon".
//!
//! A number counts as a time only with a unit (`Uhr`, `h`, `am`, `pm`), with minutes
//! after a colon, or after a word that introduces a time (`um`, `at`, `ab`, `after`,
//! `zwischen`, `between`, …) — or, when slots were just offered, as a window of
//! plausible hours ("10-12") — and never when a non-time unit follows ("nach 3 Tagen",
//! "at 2 items"). "bis 12 Uhr" / "before noon" have no start and are not extracted.

use std::sync::LazyLock;

use chrono::NaiveTime;
use regex::{Captures, Regex};

use super::{Found, TimeMention, mask};

fn re(src: &str) -> Regex {
    Regex::new(src).expect("time pattern compiles")
}

const UNIT: &str = r"(uhr|h|am|pm|a\.m\.|p\.m\.)";

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:(zwischen|between|von|from)\s+)?(\d{{1,2}})(?:[:.](\d{{2}}))?\s*{UNIT}?\s*(?:-|–|bis|und|and|to|till|until)\s*(\d{{1,2}})(?:[:.](\d{{2}}))?\s*{UNIT}?(?:\b|$)"
    ))
});
static SINGLE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:(ab|nach|after|from|um|at|gegen|around|bis|before|vor|by|seit|since)\s+)?(\d{{1,2}})(?:([:.])(\d{{2}}))?\s*{UNIT}?(?:\b|$)"
    ))
});
static DAYPART: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(vormittags?|nachmittags?|abends|am abend|morgens|mittags|morning|afternoon|evening)\b")
});
static BARE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2})\b"));

/// Words after a number that make it a count, not a time.
const NOT_TIME: &[&str] = &[
    "tag",
    "tage",
    "tagen",
    "day",
    "days",
    "woche",
    "wochen",
    "week",
    "weeks",
    "stunde",
    "stunden",
    "hour",
    "hours",
    "minute",
    "minuten",
    "minutes",
    "werktag",
    "werktage",
    "werktagen",
    "euro",
    "eur",
    "€",
    "stueck",
    "artikel",
    "item",
    "items",
    "paket",
    "pakete",
    "mal",
    "times",
    "monat",
    "monate",
    "monaten",
    "month",
    "months",
    "jahre",
    "years",
    "%",
    "kg",
    "x",
];

fn followed_by_count(after: &str) -> bool {
    let next = after
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .next()
        .unwrap_or("");
    NOT_TIME.contains(&next)
}

/// Hour and minute with an optional meridiem; `None` when out of range.
fn clock(hour: u32, minute: u32, meridiem: Option<&str>) -> Option<NaiveTime> {
    let hour = match meridiem.map(|m| m.starts_with('p')) {
        Some(true) if hour < 12 => hour + 12,
        Some(true) if hour > 12 => return None,
        Some(false) if hour == 12 => 0,
        Some(false) if hour > 12 => return None,
        _ => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

fn meridiem<'a>(c: &Captures<'a>, i: usize) -> Option<&'a str> {
    c.get(i)
        .map(|m| m.as_str())
        .filter(|u| u.starts_with('a') || u.starts_with('p'))
}

fn num(c: &Captures<'_>, i: usize) -> Option<u32> {
    c.get(i).and_then(|m| m.as_str().parse().ok())
}

fn range(c: &Captures<'_>, after: &str, slots: bool) -> Option<TimeMention> {
    let keyword = c.get(1).is_some();
    let units = c.get(4).is_some() || c.get(7).is_some();
    let minutes = c.get(3).is_some() || c.get(6).is_some();
    let plausible = slots
        && [2, 5]
            .iter()
            .all(|&i| num(c, i).is_some_and(|h| (6..=22).contains(&h)));
    if !(keyword || units || minutes || plausible) || followed_by_count(after) {
        return None;
    }
    let (m1, m2) = (meridiem(c, 4), meridiem(c, 7));
    let end = clock(num(c, 5)?, num(c, 6).unwrap_or(0), m2)?;
    let (h1, min1) = (num(c, 2)?, num(c, 3).unwrap_or(0));
    // "2-4pm": the end's meridiem carries over when that keeps the start first.
    let start = match (m1, m2) {
        (None, Some(m)) => clock(h1, min1, Some(m))
            .filter(|s| *s < end)
            .or_else(|| clock(h1, min1, None))?,
        _ => clock(h1, min1, m1)?,
    };
    (start < end).then_some(TimeMention {
        start,
        end: Some(end),
    })
}

fn single(c: &Captures<'_>, after: &str) -> Option<TimeMention> {
    let qualifier = c.get(1).map(|m| m.as_str());
    if matches!(
        qualifier,
        Some("bis" | "before" | "vor" | "by" | "seit" | "since")
    ) {
        return None;
    }
    let colon = c.get(3).is_some_and(|m| m.as_str() == ":");
    let unit = c.get(5).is_some();
    if !(qualifier.is_some() || colon || unit) || followed_by_count(after) {
        return None;
    }
    if c.get(3).is_some() && !colon && !unit && qualifier.is_none() {
        return None;
    }
    let start = clock(num(c, 2)?, num(c, 4).unwrap_or(0), meridiem(c, 5))?;
    Some(TimeMention { start, end: None })
}

fn daypart(word: &str, before: &str) -> Option<TimeMention> {
    if matches!(
        before.split_whitespace().next_back(),
        Some("good" | "guten")
    ) {
        return None;
    }
    let (from, to) = match word {
        "vormittag" | "vormittags" | "morgens" | "morning" => (8, 12),
        "mittags" => (12, 14),
        "nachmittag" | "nachmittags" | "afternoon" => (12, 18),
        _ => (18, 21),
    };
    Some(TimeMention {
        start: NaiveTime::from_hms_opt(from, 0, 0)?,
        end: NaiveTime::from_hms_opt(to, 0, 0),
    })
}

fn scan(
    work: &mut String,
    pattern: &Regex,
    out: &mut Found<TimeMention>,
    read: impl Fn(&Captures<'_>, &str, &str) -> Option<TimeMention>,
) {
    let mut spans = Vec::new();
    for c in pattern.captures_iter(work) {
        let Some(all) = c.get(0) else { continue };
        if let Some(t) = read(&c, &work[..all.start()], &work[all.end()..]) {
            out.push((all.start(), t));
            spans.push(all.range());
        }
    }
    for range in spans {
        mask(work, range);
    }
}

/// Takes every time and window out of the working text. `slots`: the bot just offered
/// time slots.
pub(super) fn extract(work: &mut String, slots: bool) -> Found<TimeMention> {
    let mut out = Vec::new();
    scan(work, &RANGE, &mut out, |c, _, after| range(c, after, slots));
    scan(work, &SINGLE, &mut out, |c, _, after| single(c, after));
    scan(work, &DAYPART, &mut out, |c, before, _| {
        daypart(c.get(1)?.as_str(), before)
    });
    out
}

/// When slots were offered, a message holding one bare hour ("10", "um 14") names it.
pub(super) fn bare_hour(work: &str) -> Found<TimeMention> {
    let hours: Vec<_> = BARE.captures_iter(work).collect();
    match hours.as_slice() {
        [c] => c
            .get(1)
            .and_then(|m| {
                let h: u32 = m.as_str().parse().ok()?;
                let start = (6..=21)
                    .contains(&h)
                    .then(|| NaiveTime::from_hms_opt(h, 0, 0))??;
                Some((m.start(), TimeMention { start, end: None }))
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid")
    }

    fn at(h: u32, m: u32) -> TimeMention {
        TimeMention {
            start: t(h, m),
            end: None,
        }
    }

    fn window(a: u32, b: u32) -> TimeMention {
        TimeMention {
            start: t(a, 0),
            end: Some(t(b, 0)),
        }
    }

    fn times(text: &str) -> Vec<TimeMention> {
        let mut work = crate::assistant::nlu::normalize::fold(text);
        super::super::ordered(extract(&mut work, false))
    }

    #[test]
    fn german_clock_times() {
        assert_eq!(times("um 10 Uhr"), [at(10, 0)]);
        assert_eq!(times("gegen 10:30"), [at(10, 30)]);
        assert_eq!(times("10.30 Uhr"), [at(10, 30)]);
        assert_eq!(times("um 14"), [at(14, 0)]);
        assert_eq!(times("ab 15 Uhr"), [at(15, 0)]);
    }

    #[test]
    fn windows_in_both_languages() {
        assert_eq!(times("zwischen 10 und 12"), [window(10, 12)]);
        assert_eq!(times("10-12 Uhr"), [window(10, 12)]);
        assert_eq!(times("von 9 bis 11 Uhr"), [window(9, 11)]);
        assert_eq!(times("between 2 and 4pm"), [window(14, 16)]);
        assert_eq!(times("10am-2pm"), [window(10, 14)]);
        assert_eq!(times("10-2pm"), [window(10, 14)]);
    }

    #[test]
    fn english_meridiems() {
        assert_eq!(times("10am"), [at(10, 0)]);
        assert_eq!(times("2 pm"), [at(14, 0)]);
        assert_eq!(times("after 3pm"), [at(15, 0)]);
        assert_eq!(times("12am"), [at(0, 0)]);
        assert_eq!(times("12 pm"), [at(12, 0)]);
    }

    #[test]
    fn dayparts_are_windows_but_greetings_are_not() {
        assert_eq!(times("vormittags"), [window(8, 12)]);
        assert_eq!(times("tomorrow afternoon"), [window(12, 18)]);
        assert!(times("good morning").is_empty());
    }

    #[test]
    fn counts_and_plain_numbers_are_no_times() {
        assert!(times("nach 3 Tagen").is_empty());
        assert!(times("zwischen 2 und 3 Artikel").is_empty());
        assert!(times("ich habe 2 Pakete").is_empty());
        assert!(times("10.30").is_empty());
        assert!(times("bis 12 Uhr").is_empty());
        assert!(times("um 25 Uhr").is_empty());
    }

    #[test]
    fn a_bare_window_counts_only_when_slots_were_offered() {
        assert!(times("10-12").is_empty());
        let mut work = "morgen 10-12 passt".to_string();
        let found: Vec<_> = extract(&mut work, true)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(found, [window(10, 12)]);
        let mut work = "groesse 2-4".to_string();
        assert!(extract(&mut work, true).is_empty());
    }

    #[test]
    fn a_bare_hour_counts_only_when_alone() {
        assert_eq!(bare_hour("10").len(), 1);
        assert_eq!(bare_hour("lieber 14").len(), 1);
        assert!(bare_hour("2").is_empty());
        assert!(bare_hour("10 oder 14").is_empty());
    }
}
