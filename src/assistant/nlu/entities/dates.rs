//! Dates in German and English: "12.09.", "12.09.2025", "2025-09-12", "12 Sep",
//! "September 12th", "morgen", "übermorgen", "tomorrow", "Montag", "next Monday",
//! "in 3 Tagen" — resolved against the `today` the caller passes.
//!
//! A day and month without a year get the year that puts them nearest to today. A bare
//! weekday is the next one after today ("Montag" said on a Monday is in a week); with
//! "letzten" / "last" / "seit" / "since" the last one before today, with "diesen" /
//! "this" today if it is that day. In a sentence told in the past ("wurde am Montag
//! zugestellt", "I ordered on Monday") the last one before today.

use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use regex::{Captures, Regex};

use super::{Found, mask};

fn re(src: &str) -> Regex {
    Regex::new(src).expect("date pattern compiles")
}

static ISO: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"));
static DOTTED: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{1,2})\.(\d{1,2})(?:\.((?:\d{4}|\d{2})\b)?)?"));
static SLASHED: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"));
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?([a-z]{3,9})\b\.?(?:,?\s+(\d{4})\b)?")
});
static MONTH_DAY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?"));
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(day after tomorrow|day before yesterday|uebermorgen|vorgestern|morgen|heute|gestern|today|tonight|tomorrow|yesterday)\b",
    )
});
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:(naechsten|naechste|naechster|kommenden|kommender|next|this|diesen|dieser|letzten|letzter|vergangenen|last|seit|since)\s+)?(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    )
});
static IN_DAYS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bin\s+(\d{1,2})\s+(tagen|tage|days|day|wochen|weeks|week)\b"));

const MONTHS: &[(&str, u32)] = &[
    ("januar", 1),
    ("january", 1),
    ("jaenner", 1),
    ("februar", 2),
    ("february", 2),
    ("maerz", 3),
    ("march", 3),
    ("april", 4),
    ("mai", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("juli", 7),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("oktober", 10),
    ("october", 10),
    ("november", 11),
    ("dezember", 12),
    ("december", 12),
];

/// The month a word names: a month name or a prefix of one with at least three letters
/// ("sep", "sept", "okt", "maerz").
fn month(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .find(|(name, _)| name.starts_with(word))
        .map(|(_, m)| *m)
}

/// The date of a day and month nearest to `today` (last year, this year or next year).
pub fn resolve_day_month(today: NaiveDate, day: u32, month: u32) -> Option<NaiveDate> {
    let y = today.year();
    [y - 1, y, y + 1]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .min_by_key(|d| (*d - today).num_days().abs())
}

fn with_year(today: NaiveDate, day: u32, month: u32, year: Option<&str>) -> Option<NaiveDate> {
    match year.and_then(|y| y.parse::<i32>().ok()) {
        Some(y) if y < 100 => NaiveDate::from_ymd_opt(2000 + y, month, day),
        Some(y) => NaiveDate::from_ymd_opt(y, month, day),
        None => resolve_day_month(today, day, month),
    }
}

fn num(c: &Captures<'_>, i: usize) -> Option<u32> {
    c.get(i).and_then(|m| m.as_str().parse().ok())
}

fn text<'a>(c: &Captures<'a>, i: usize) -> Option<&'a str> {
    c.get(i).map(|m| m.as_str())
}

/// Runs one pattern over the working text; `read` turns a match (and the text after
/// it) into a date; every match read is masked.
fn scan(
    work: &mut String,
    pattern: &Regex,
    out: &mut Found<NaiveDate>,
    read: impl Fn(&Captures<'_>, &str, &str) -> Option<NaiveDate>,
) {
    let mut spans = Vec::new();
    for c in pattern.captures_iter(work) {
        let Some(all) = c.get(0) else { continue };
        if let Some(d) = read(&c, &work[..all.start()], &work[all.end()..]) {
            out.push((all.start(), d));
            spans.push(all.range());
        }
    }
    for range in spans {
        mask(work, range);
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "montag" | "monday" => Weekday::Mon,
        "dienstag" | "tuesday" => Weekday::Tue,
        "mittwoch" | "wednesday" => Weekday::Wed,
        "donnerstag" | "thursday" => Weekday::Thu,
        "freitag" | "friday" => Weekday::Fri,
        "samstag" | "sonnabend" | "saturday" => Weekday::Sat,
        "sonntag" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Finite past-tense words: a weekday in their sentence lies in the past.
const PAST: &[&str] = &[
    "wurde", "wurden", "war", "waren", "kam", "kamen", "hatte", "hatten", "bestellt", "ordered",
    "was", "were", "came", "had", "did", "arrived",
];

/// Whether the clause around a span is told in the past.
fn told_in_past(before: &str, after: &str) -> bool {
    let ends = ['.', '!', '?', '\n', ',', ';'];
    let head = before.rsplit(ends).next().unwrap_or("");
    let tail = after.split(ends).next().unwrap_or("");
    head.split_whitespace()
        .chain(tail.split_whitespace())
        .any(|w| PAST.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
}

fn resolve_weekday(today: NaiveDate, day: Weekday, modifier: Option<&str>) -> Option<NaiveDate> {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    match modifier {
        Some("letzten" | "letzter" | "vergangenen" | "last" | "seit" | "since") => {
            let back = (7 - ahead) % 7;
            today.checked_sub_days(Days::new(u64::from(if back == 0 { 7 } else { back })))
        }
        Some("this" | "diesen" | "dieser") => today.checked_add_days(Days::new(u64::from(ahead))),
        _ => today.checked_add_days(Days::new(u64::from(if ahead == 0 { 7 } else { ahead }))),
    }
}

/// Takes every date out of the working text.
pub(super) fn extract(work: &mut String, today: NaiveDate) -> Found<NaiveDate> {
    let mut out = Vec::new();
    scan(work, &ISO, &mut out, |c, _, _| {
        let year: i32 = text(c, 1)?.parse().ok()?;
        NaiveDate::from_ymd_opt(year, num(c, 2)?, num(c, 3)?)
    });
    scan(work, &SLASHED, &mut out, |c, _, _| {
        with_year(today, num(c, 1)?, num(c, 2)?, text(c, 3))
    });
    scan(work, &DOTTED, &mut out, |c, before, after| {
        // "10.30 Uhr" is a time, "10.10 €" a price, "1.5" a number; "12.9." and
        // "12.09" are dates.
        let rest = after.trim_start();
        let unit = ["uhr", "h ", "euro", "eur", "€", "kg", "%"]
            .iter()
            .any(|u| rest.starts_with(u))
            || rest == "h";
        let glued = before.ends_with(|ch: char| ch == '.' || ch.is_ascii_digit())
            || after.starts_with(|ch: char| ch.is_ascii_digit());
        let whole = c.get(0).map_or("", |m| m.as_str());
        let dated = whole.matches('.').count() == 2 || text(c, 2).is_some_and(|m| m.len() == 2);
        if unit || glued || !dated {
            return None;
        }
        with_year(today, num(c, 1)?, num(c, 2)?, text(c, 3))
    });
    scan(work, &DAY_MONTH, &mut out, |c, _, _| {
        with_year(today, num(c, 1)?, month(text(c, 2)?)?, text(c, 3))
    });
    scan(work, &MONTH_DAY, &mut out, |c, _, _| {
        with_year(today, num(c, 2)?, month(text(c, 1)?)?, text(c, 3))
    });
    scan(work, &RELATIVE, &mut out, |c, before, _| {
        let word = text(c, 1)?;
        let previous = before.split_whitespace().next_back().unwrap_or("");
        let offset: i64 = match word {
            "morgen"
                if matches!(
                    previous,
                    "guten"
                        | "heute"
                        | "gestern"
                        | "jeden"
                        | "am"
                        | "den"
                        | "dem"
                        | "ein"
                        | "einen"
                        | "einem"
                        | "schoenen"
                ) =>
            {
                return None;
            }
            "morgen" | "tomorrow" => 1,
            "uebermorgen" | "day after tomorrow" => 2,
            "heute" | "today" | "tonight" => 0,
            "gestern" | "yesterday" => -1,
            _ => -2,
        };
        today.checked_add_signed(chrono::Duration::days(offset))
    });
    scan(work, &WEEKDAY, &mut out, |c, before, after| {
        let modifier = match text(c, 1) {
            None if told_in_past(before, after) => Some("last"),
            m => m,
        };
        resolve_weekday(today, weekday(text(c, 2)?)?, modifier)
    });
    scan(work, &IN_DAYS, &mut out, |c, _, _| {
        let n = u64::from(num(c, 1)?);
        let days = if text(c, 2)?.starts_with('w') {
            n * 7
        } else {
            n
        };
        today.checked_add_days(Days::new(days))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Thursday.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 11).expect("valid")
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid")
    }

    fn dates(text: &str) -> Vec<NaiveDate> {
        let mut work = crate::assistant::nlu::normalize::fold(text);
        super::super::ordered(extract(&mut work, today()))
    }

    #[test]
    fn german_numeric_dates_with_and_without_year() {
        assert_eq!(dates("am 12.09."), [d(2025, 9, 12)]);
        assert_eq!(
            dates("am 12.9.2025 oder 3.10.25"),
            [d(2025, 9, 12), d(2025, 10, 3)]
        );
        assert_eq!(dates("bis 2025-09-20"), [d(2025, 9, 20)]);
        assert_eq!(dates("on 15/09/2025"), [d(2025, 9, 15)]);
    }

    #[test]
    fn a_date_without_year_is_the_one_nearest_today() {
        assert_eq!(dates("am 28.12."), [d(2025, 12, 28)]);
        let jan = NaiveDate::from_ymd_opt(2026, 1, 3).expect("valid");
        assert_eq!(resolve_day_month(jan, 28, 12), Some(d(2025, 12, 28)));
        assert_eq!(resolve_day_month(jan, 31, 2), None);
    }

    #[test]
    fn month_names_in_both_languages_and_orders() {
        assert_eq!(dates("12 Sep"), [d(2025, 9, 12)]);
        assert_eq!(dates("September 12th"), [d(2025, 9, 12)]);
        assert_eq!(dates("am 3. Oktober 2025"), [d(2025, 10, 3)]);
        assert_eq!(dates("the 1st of October"), [d(2025, 10, 1)]);
        assert_eq!(dates("am 2. März"), [d(2026, 3, 2)]);
    }

    #[test]
    fn relative_days_are_resolved_against_today() {
        assert_eq!(dates("morgen"), [d(2025, 9, 12)]);
        assert_eq!(dates("übermorgen"), [d(2025, 9, 13)]);
        assert_eq!(dates("gestern"), [d(2025, 9, 10)]);
        assert_eq!(dates("the day after tomorrow"), [d(2025, 9, 13)]);
        assert_eq!(dates("in 3 Tagen"), [d(2025, 9, 14)]);
    }

    #[test]
    fn good_morning_and_this_morning_are_not_tomorrow() {
        assert!(dates("Guten Morgen").is_empty());
        assert_eq!(dates("heute morgen"), [d(2025, 9, 11)]);
    }

    #[test]
    fn weekdays_look_forward_unless_told_otherwise() {
        assert_eq!(dates("am Montag"), [d(2025, 9, 15)]);
        assert_eq!(dates("Thursday"), [d(2025, 9, 18)]);
        assert_eq!(dates("this Thursday"), [d(2025, 9, 11)]);
        assert_eq!(dates("seit Montag"), [d(2025, 9, 8)]);
        assert_eq!(dates("last friday"), [d(2025, 9, 5)]);
    }

    #[test]
    fn a_weekday_in_a_sentence_told_in_the_past_lies_in_the_past() {
        assert_eq!(dates("Es wurde am Montag zugestellt"), [d(2025, 9, 8)]);
        assert_eq!(
            dates("Ich war nicht da, bitte am Montag nochmal"),
            [d(2025, 9, 15)]
        );
        assert_eq!(
            dates("I ordered on Tuesday. Can you deliver on Monday?"),
            [d(2025, 9, 9), d(2025, 9, 15)]
        );
    }

    #[test]
    fn times_versions_and_impossible_dates_are_no_dates() {
        assert!(dates("um 10.30 Uhr").is_empty());
        assert!(dates("kostet 19.90 €").is_empty());
        assert!(dates("1.5 kg").is_empty());
        assert!(dates("10.10 Euro").is_empty());
        assert!(dates("am 31.02.").is_empty());
        assert!(dates("3 mal").is_empty());
        assert!(dates("august 2025").is_empty());
    }
}
