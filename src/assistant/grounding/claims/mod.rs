//! Claim extraction: the facts a text states — ids, dates, times, amounts, postcodes,
//! addresses and delivery statuses — each found once, with its byte range, so that no
//! digit is counted twice (a postcode inside a tracking number, a date read as an amount).
//!
//! The same extractors read the replies and the free texts of the evidence (carrier
//! descriptions, driver notes, what the customer typed), so both sides agree on shapes.

mod dates;
mod numbers;
mod status;

use regex::{Captures, Regex};

use crate::domain::Locale;

use super::ClaimKind;

pub(crate) use dates::{DateClaim, TimeClaim};
pub(crate) use numbers::AddressClaim;
#[cfg(test)]
pub(crate) use status::St;
pub(crate) use status::{Mode, StatusClaim};

/// What a claim says, normalized for comparison with the evidence.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Fact {
    /// A tracking or order number, upper case, without spaces.
    Id(String),
    Date(DateClaim),
    Time(TimeClaim),
    /// Cents and, when written, the currency code.
    Amount(i64, Option<&'static str>),
    Postcode(String),
    Address(AddressClaim),
    Status(StatusClaim),
}

/// One claim in a text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    pub kind: ClaimKind,
    pub start: usize,
    pub end: usize,
    pub fact: Fact,
}

/// How to read the shapes that differ between the languages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opts {
    /// Read "6 am" / "6 pm" as times (English; in German "am" means "on the").
    pub am_pm: bool,
    /// Read `09/11/2025` month first as well as day first (English).
    pub month_first: bool,
}

impl Opts {
    /// The shapes a reply in `locale` uses.
    pub fn for_locale(locale: Locale) -> Self {
        let en = locale == Locale::En;
        Self {
            am_pm: en,
            month_first: en,
        }
    }

    /// Evidence texts come in either language: read every shape.
    pub const EVIDENCE: Self = Self {
        am_pm: true,
        month_first: true,
    };
}

/// Byte ranges already claimed.
#[derive(Debug, Default)]
pub(crate) struct Taken(Vec<(usize, usize)>);

impl Taken {
    fn free(&self, start: usize, end: usize) -> bool {
        self.0.iter().all(|&(s, e)| end <= s || start >= e)
    }

    fn take(&mut self, start: usize, end: usize) {
        self.0.push((start, end));
    }
}

/// Every numeric claim of `text` (ids, addresses, amounts, dates, times, postcodes, in
/// that order of precedence), sorted by position. Statuses: [`statuses`].
pub(crate) fn extract(text: &str, opts: Opts) -> Vec<Found> {
    // Every numeric shape has a digit (`\d`, a Unicode decimal digit, is numeric): most
    // of what customers write ("Danke!", "Wo ist mein Paket?") has none to look for.
    if !text.chars().any(char::is_numeric) {
        return Vec::new();
    }
    let mut taken = Taken::default();
    let mut out = Vec::new();
    numbers::mask(text, &mut taken);
    numbers::ids(text, &mut taken, &mut out);
    numbers::addresses(text, &mut taken, &mut out);
    numbers::amounts(text, &mut taken, &mut out);
    dates::dates(text, opts, &mut taken, &mut out);
    dates::times(text, opts, &mut taken, &mut out);
    numbers::postcodes(text, &mut taken, &mut out);
    out.sort_by_key(|f| f.start);
    out
}

/// The delivery statuses `text` states or reports.
pub(crate) fn statuses(text: &str) -> Vec<Found> {
    status::find(text)
}

/// The clause (sentence part) around a byte position.
pub(crate) fn clause_of(text: &str, at: usize) -> (usize, usize) {
    status::clause(text, at, at)
}

/// Compiles a built-in pattern; a broken one is a programming error the unit tests of
/// every extractor would show at once.
///
/// `\b` becomes an ASCII word boundary: with Unicode boundaries the regex engine cannot
/// use its fast automata on text with any non-ASCII character — every German reply, and
/// every reply with „“, – or € — and the check took over half a millisecond per reply.
/// The patterns' own words are ASCII at their edges, so the boundaries mean the same
/// there; only a letter like ü or ß right next to a number or a listed word counts as a
/// boundary now.
pub(crate) fn re(pattern: &str) -> Regex {
    let ascii_boundaries = pattern.replace(r"\b", r"(?-u:\b)");
    Regex::new(&ascii_boundaries).unwrap_or_else(|e| panic!("grounding pattern {pattern}: {e}"))
}

/// Runs `re` over `text` and keeps the matches `f` accepts that overlap nothing taken.
fn scan(
    re: &Regex,
    text: &str,
    kind: ClaimKind,
    taken: &mut Taken,
    out: &mut Vec<Found>,
    mut f: impl FnMut(&Captures<'_>) -> Option<Fact>,
) {
    for caps in re.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        if !taken.free(m.start(), m.end()) {
            continue;
        }
        if let Some(fact) = f(&caps) {
            taken.take(m.start(), m.end());
            out.push(Found {
                kind,
                start: m.start(),
                end: m.end(),
                fact,
            });
        }
    }
}

/// A capture group as a number, if present.
fn num<T: std::str::FromStr>(caps: &Captures<'_>, i: usize) -> Option<T> {
    caps.get(i).and_then(|m| m.as_str().parse().ok())
}
