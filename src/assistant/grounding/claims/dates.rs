//! Dates and times as German and English replies write them: `11.09.2025`, `11.09.`,
//! `Do., 11. Sept.`, `11 Sep 2025`, `September 11`, `Sep 11th`, `2025-09-11`; `06:48`,
//! `06:48 Uhr`, `6:48 am`, `10 Uhr`, `zwischen 10 und 12 Uhr`, `10–12 Uhr`, `14:00–16:00`.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveTime, Weekday};
use regex::{Captures, Regex};

use super::super::ClaimKind;
use super::{Fact, Found, Opts, Taken, num, re, scan};

/// A date as written: the year may be left out (`11.09.`), a weekday may be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DateClaim {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
    pub weekday: Option<Weekday>,
    /// For `09/11/2025` read month first: the other reading (month, day).
    pub alt: Option<(u32, u32)>,
}

impl DateClaim {
    /// The full date, when the year is written and the date exists.
    pub fn full(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month, self.day)
    }

    /// Whether `d` is what this claim says (or, for a slashed date, its other reading).
    pub fn matches(&self, d: NaiveDate) -> bool {
        use chrono::Datelike;
        let md = |m: u32, dd: u32| d.month() == m && d.day() == dd;
        let year_ok = self.year.is_none_or(|y| y == d.year());
        let weekday_ok = self.weekday.is_none_or(|w| w == d.weekday());
        year_ok
            && weekday_ok
            && (md(self.month, self.day) || self.alt.is_some_and(|(m, dd)| md(m, dd)))
    }
}

/// A time of day, or a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TimeClaim {
    At(NaiveTime),
    Between(NaiveTime, NaiveTime),
}

impl TimeClaim {
    /// The times the claim names.
    pub fn times(&self) -> Vec<NaiveTime> {
        match self {
            Self::At(t) => vec![*t],
            Self::Between(a, b) => vec![*a, *b],
        }
    }
}

const WD: &str = r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Tues|Thurs|Thur|Mon|Tue|Wed|Thu|Fri|Sat|Sun|Mo|Di|Mi|Do|Fr|Sa|So)";
const MON: &str = r"(Januar|Jänner|January|Februar|February|März|Maerz|March|April|Mai|May|Juni|June|Juli|July|August|September|Oktober|October|November|Dezember|December|Sept|Jan|Feb|Mär|Mrz|Mar|Apr|Jun|Jul|Aug|Sep|Okt|Oct|Nov|Dez|Dec)";

static ISO: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{2})-(\d{2})\b"));
static DE_NUM: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:\b{WD}\.?,?\s*)?\b(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})?"
    ))
});
static DE_LONG: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:\b{WD}\.?,?\s*)?\b(\d{{1,2}})\.\s*{MON}\b\.?(?:\s+(\d{{4}})\b)?"
    ))
});
static EN_DAY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:\b{WD}\.?,?\s*)?\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MON}\b\.?(?:,?\s+(\d{{4}})\b)?"
    ))
});
static EN_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:\b{WD}\.?,?\s*)?\b{MON}\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?"
    ))
});
static SLASH: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"));

const MARK: &str = r"(a\.m\.|p\.m\.|am\b|pm\b|Uhr\b|o'clock\b|h\b)";
static BETWEEN: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:zwischen|between|von|from)\s+(\d{{1,2}})(?::(\d{{2}}))?\s*{MARK}?\s*(?:und|and|bis|to|-|–)\s*(\d{{1,2}})(?::(\d{{2}}))?\s*{MARK}?"
    ))
});
static SPAN: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(\d{{1,2}})(?::(\d{{2}}))?\s*{MARK}?\s*[–-]\s*(\d{{1,2}})(?::(\d{{2}}))?\s*{MARK}?"
    ))
});
static CLOCK: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"(?i)\b(\d{{1,2}})[:.](\d{{2}})\b\s*{MARK}?")));
static HOUR: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)\b(\d{{1,2}})\s*{MARK}")));

/// Finds the dates of `text`.
pub(super) fn dates(text: &str, opts: Opts, taken: &mut Taken, out: &mut Vec<Found>) {
    let k = ClaimKind::Date;
    scan(&ISO, text, k, taken, out, |c| {
        date(num(c, 1), num(c, 2)?, num(c, 3)?, None)
    });
    scan(&DE_LONG, text, k, taken, out, |c| {
        date(num(c, 4), month(c.get(3)?.as_str())?, num(c, 2)?, wd(c))
    });
    scan(&EN_DAY, text, k, taken, out, |c| {
        date(num(c, 4), month(c.get(3)?.as_str())?, num(c, 2)?, wd(c))
    });
    scan(&EN_MONTH, text, k, taken, out, |c| {
        date(num(c, 4), month(c.get(2)?.as_str())?, num(c, 3)?, wd(c))
    });
    scan(&SLASH, text, k, taken, out, |c| {
        let (a, b): (u32, u32) = (num(c, 1)?, num(c, 2)?);
        let Fact::Date(mut d) = date(num(c, 3), b, a, None)? else {
            return None;
        };
        if opts.month_first && (1..=12).contains(&a) && (1..=31).contains(&b) {
            d.alt = Some((a, b));
        }
        Some(Fact::Date(d))
    });
    scan(&DE_NUM, text, k, taken, out, |c| {
        let m = c.get(0)?;
        // Not a part of a longer number (`1.234.567`) nor of an amount.
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(|ch| ch.is_ascii_digit() || ch == '.' || ch == ',')
            || after.is_some_and(|ch| ch.is_ascii_digit())
        {
            return None;
        }
        date(num(c, 4), num(c, 3)?, num(c, 2)?, wd(c))
    });
}

fn date(year: Option<i32>, month: u32, day: u32, weekday: Option<Weekday>) -> Option<Fact> {
    let ok = match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day).is_some(),
        None => (1..=12).contains(&month) && (1..=31).contains(&day),
    };
    ok.then_some(Fact::Date(DateClaim {
        year,
        month,
        day,
        weekday,
        alt: None,
    }))
}

fn wd(c: &Captures<'_>) -> Option<Weekday> {
    let w = c.get(1)?.as_str().to_lowercase();
    Some(match w.get(..2)? {
        "mo" => Weekday::Mon,
        "di" | "tu" => Weekday::Tue,
        "mi" | "we" => Weekday::Wed,
        "do" | "th" => Weekday::Thu,
        "fr" => Weekday::Fri,
        "sa" => Weekday::Sat,
        "so" if w.starts_with("sonnabend") => Weekday::Sat,
        "so" | "su" => Weekday::Sun,
        _ => return None,
    })
}

fn month(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    let months = [
        ("jan", 1),
        ("jä", 1),
        ("feb", 2),
        ("mä", 3),
        ("mae", 3),
        ("mar", 3),
        ("mrz", 3),
        ("apr", 4),
        ("mai", 5),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("okt", 10),
        ("oct", 10),
        ("nov", 11),
        ("dez", 12),
        ("dec", 12),
    ];
    months
        .iter()
        .find(|(p, _)| n.starts_with(p))
        .map(|&(_, m)| m)
}

/// Finds the times of `text` (after the dates, so `11.09.` is never a time).
pub(super) fn times(text: &str, opts: Opts, taken: &mut Taken, out: &mut Vec<Found>) {
    let k = ClaimKind::Time;
    for (pattern, worded) in [(&BETWEEN, true), (&SPAN, false)] {
        scan(pattern, text, k, taken, out, |c| {
            let m = c.get(0)?;
            let (m1, m2) = (c.get(3), c.get(6));
            if [m1, m2].iter().flatten().any(|m| !usable(m.as_str(), opts)) {
                return None;
            }
            let marked = c.get(2).is_some() || c.get(5).is_some() || m1.is_some() || m2.is_some();
            // `2–3 Werktage`, `between 2 and 3 days`: counts, not times.
            let rest = text[m.end()..].trim_start();
            let next_is_word = rest.chars().next().is_some_and(char::is_alphanumeric);
            let grouped = rest.starts_with(['.', ',', '/'])
                && rest[1..].starts_with(|c: char| c.is_ascii_digit());
            let bare_ok = !next_is_word && (worded || !grouped);
            if !marked && !bare_ok {
                return None;
            }
            let b = time(num(c, 4)?, num(c, 5), m2.map(|m| m.as_str()))?;
            let h1 = num(c, 1)?;
            // `between 2 and 4 pm`: the second mark holds for both.
            let shared = m1.or(m2).map(|m| m.as_str());
            let a = match time(h1, num(c, 2), shared) {
                Some(a) if a <= b => a,
                _ => time(h1, num(c, 2), m1.map(|m| m.as_str()))?,
            };
            Some(Fact::Time(TimeClaim::Between(a, b)))
        });
    }
    scan(&CLOCK, text, k, taken, out, |c| {
        let mark = c.get(3).map(|m| m.as_str());
        let m = c.get(0)?;
        let colon = m.as_str().contains(':');
        // `10.30` is a time only with `Uhr`; `6:48 am` only where `am` is English.
        if (!colon && !mark.is_some_and(|s| s.eq_ignore_ascii_case("uhr")))
            || mark.is_some_and(|s| !usable(s, opts))
        {
            return None;
        }
        Some(Fact::Time(TimeClaim::At(time(
            num(c, 1)?,
            num(c, 2),
            mark,
        )?)))
    });
    scan(&HOUR, text, k, taken, out, |c| {
        let mark = c.get(2)?.as_str();
        if !usable(mark, opts) || mark.eq_ignore_ascii_case("h") {
            return None;
        }
        Some(Fact::Time(TimeClaim::At(time(
            num(c, 1)?,
            None,
            Some(mark),
        )?)))
    });
}

/// `am` / `pm` are markers only in English replies.
fn usable(mark: &str, opts: Opts) -> bool {
    let m = mark.to_lowercase();
    opts.am_pm || !(m.starts_with('a') || m.starts_with('p'))
}

fn time(h: u32, m: Option<u32>, mark: Option<&str>) -> Option<NaiveTime> {
    let mark = mark.map(str::to_lowercase);
    let h = match mark.as_deref().and_then(|s| s.chars().next()) {
        Some('a') if h == 12 => 0,
        Some('p') if h < 12 => h + 12,
        Some('a' | 'p') if h > 12 => return None,
        _ => h,
    };
    let h = if h == 24 && m.unwrap_or(0) == 0 { 0 } else { h };
    NaiveTime::from_hms_opt(h, m.unwrap_or(0), 0)
}
