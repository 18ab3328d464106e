//! The property cannot pass by accident: mutated demo summaries — a date shifted by one
//! day, a time by one minute, another order or tracking number, an amount changed by one
//! cent, another postcode, a bare status while in dispute — fail the check.

use chrono::{Duration, NaiveDate, NaiveTime};
use regex::Regex;

use crate::domain::Locale;

use super::super::check;
use super::super::evidence::Evidence;
use super::demo::{Case, cases, failures};

/// Applies `mutate` to every demo summary; each mutant must fail. Returns how many
/// mutants there were.
fn every_mutant_fails(mutate: impl Fn(&Case) -> Option<String>) -> usize {
    let mut n = 0;
    for case in cases() {
        let Some(text) = mutate(case) else { continue };
        assert_ne!(text, case.text);
        let v = check(&text, &case.ev, case.locale);
        assert!(!v.passed, "a mutant passed:\n{text}\n{v:#?}");
        n += 1;
    }
    n
}

/// Replaces the first match of `re` for which `f` gives a replacement.
fn replace_first(
    text: &str,
    re: &Regex,
    f: impl Fn(&regex::Captures<'_>) -> Option<String>,
) -> Option<String> {
    re.captures_iter(text).find_map(|c| {
        let m = c.get(0)?;
        let new = f(&c)?;
        Some(format!("{}{new}{}", &text[..m.start()], &text[m.end()..]))
    })
}

fn re(p: &str) -> Regex {
    Regex::new(p).unwrap()
}

#[test]
fn a_summary_with_a_date_shifted_by_one_day_fails() {
    let de = re(r"\b(\d{2})\.(\d{2})\.(\d{4})\b");
    let en = re(r"\b(\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4})\b");
    let shifted = |ev: &Evidence, d: NaiveDate| {
        let next = d + Duration::days(1);
        (!ev.days.contains(&next)).then_some(next)
    };
    let n = every_mutant_fails(|c| match c.locale {
        Locale::De => replace_first(&c.text, &de, |m| {
            let d = NaiveDate::parse_from_str(m.get(0)?.as_str(), "%d.%m.%Y").ok()?;
            Some(shifted(&c.ev, d)?.format("%d.%m.%Y").to_string())
        }),
        Locale::En => replace_first(&c.text, &en, |m| {
            let d = NaiveDate::parse_from_str(m.get(1)?.as_str(), "%d %b %Y").ok()?;
            Some(shifted(&c.ev, d)?.format("%-d %b %Y").to_string())
        }),
    });
    assert!(n > 3000, "{n} mutants");
}

#[test]
fn a_summary_with_a_time_shifted_by_one_minute_fails() {
    let hhmm = re(r"\b(\d{2}:\d{2})\b");
    let n = every_mutant_fails(|c| {
        replace_first(&c.text, &hhmm, |m| {
            let t = NaiveTime::parse_from_str(m.get(1)?.as_str(), "%H:%M").ok()?;
            let next = t + Duration::minutes(1);
            (!c.ev.times.contains(&next)).then(|| next.format("%H:%M").to_string())
        })
    });
    assert!(n > 3000, "{n} mutants");
}

#[test]
fn a_summary_naming_another_order_or_shipment_fails() {
    let n = every_mutant_fails(|c| {
        c.text
            .contains(&c.order_number)
            .then(|| c.text.replacen(&c.order_number, "A-999999", 1))
    });
    assert!(n > 2000, "{n} orders");
    let tracking = re(r"\b(\d{10,19})(\d)\b");
    let n = every_mutant_fails(|c| {
        replace_first(&c.text, &tracking, |m| {
            let last: u32 = m.get(2)?.as_str().parse().ok()?;
            let new = format!("{}{}", m.get(1)?.as_str(), (last + 1) % 10);
            (!c.ev.ids.contains(&new)).then_some(new)
        })
    });
    assert!(n > 5000, "{n} mutants");
}

#[test]
fn a_summary_with_an_amount_changed_by_one_cent_fails() {
    let de = re(r"(\d+),(\d{2}) €");
    let en = re(r"€(\d+)\.(\d{2})");
    let n = every_mutant_fails(|c| {
        let pattern = if c.locale == Locale::De { &de } else { &en };
        replace_first(&c.text, pattern, |m| {
            let cents: i64 = m.get(1)?.as_str().parse::<i64>().ok()? * 100
                + m.get(2)?.as_str().parse::<i64>().ok()?
                + 1;
            let (w, f) = (cents / 100, cents % 100);
            (!c.ev.amounts.contains(&cents)).then(|| match c.locale {
                Locale::De => format!("{w},{f:02} €"),
                Locale::En => format!("€{w}.{f:02}"),
            })
        })
    });
    assert!(n >= 20, "{n} mutants");
    // The order total, said in a sentence of its own: exact passes, one cent more fails.
    let said = |c: &Case, cents: i64| {
        let (w, f) = (cents / 100, cents % 100);
        match c.locale {
            Locale::De => format!("{}\nDer Bestellwert beträgt {w},{f:02} €.", c.text),
            Locale::En => format!("{}\nThe order total is €{w}.{f:02}.", c.text),
        }
    };
    for c in cases().iter().filter(|c| c.of_order) {
        let text = said(c, c.total_cents);
        let v = check(&text, &c.ev, c.locale);
        assert!(v.passed, "{}", failures(&text, &v));
    }
    let n = every_mutant_fails(|c| {
        let more = c.total_cents + 1;
        (c.of_order && !c.ev.amounts.contains(&more)).then(|| said(c, more))
    });
    assert!(n > 2000, "{n} mutants");
}

#[test]
fn a_summary_with_another_postcode_fails() {
    let pc = re(r"\b(\d{5})\b");
    let n = every_mutant_fails(|c| {
        replace_first(&c.text, &pc, |m| {
            let p: u32 = m.get(1)?.as_str().parse().ok()?;
            let new = format!("{:05}", (p + 1) % 100_000);
            let known =
                c.ev.postcodes.contains(&new) || c.ev.places.iter().any(|pl| pl.postcode == new);
            (!known).then_some(new)
        })
    });
    assert!(n > 3000, "{n} mutants");
}

#[test]
fn a_bare_delivered_added_to_a_disputed_shipments_summary_fails_and_to_a_delivered_one_passes() {
    let bare = |c: &Case| match c.locale {
        Locale::De => format!("{}\nIhre Sendung wurde zugestellt.", c.text),
        Locale::En => format!("{}\nYour parcel has been delivered.", c.text),
    };
    let n = every_mutant_fails(|c| c.disputed_shipment.then(|| bare(c)));
    assert!(n > 50, "{n} disputed shipments");
    let mut controls = 0;
    for c in cases().iter().filter(|c| c.delivered_shipment) {
        let v = check(&bare(c), &c.ev, c.locale);
        assert!(v.passed, "{}", failures(&bare(c), &v));
        controls += 1;
    }
    assert!(controls > 1000, "{controls} delivered shipments");
}
