//! The check itself: every claim of a reply against the evidence, with a reason in
//! English for each one that is not supported.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::domain::Locale;

use super::claims::{self, AddressClaim, DateClaim, Fact, Found, Mode, Opts, StatusClaim};
use super::evidence::{QUOTE_WORDS, norm, squash, words};
use super::support::{Layers, Shipment};

/// What kind of fact a claim states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    TrackingNumber,
    OrderNumber,
    Date,
    Time,
    Amount,
    Postcode,
    Address,
    Status,
}

/// One fact a reply states, and whether the evidence supports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub kind: ClaimKind,
    /// As written in the reply.
    pub text: String,
    pub supported: bool,
    /// Why not, in English, for staff and for the regeneration prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of the grounding check of one reply; stored with the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// True when every claim is supported.
    pub passed: bool,
    /// The claims in the order they appear in the reply.
    pub claims: Vec<Claim>,
}

impl Verdict {
    /// The reasons of the unsupported claims, one per line, for a regeneration prompt.
    pub fn reasons(&self) -> String {
        self.claims
            .iter()
            .filter_map(|c| c.reason.as_ref().map(|r| format!("- \"{}\": {r}", c.text)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

type Judged = Result<(), String>;

/// Checks every tracking or order number, date, time, amount, postcode, address and
/// delivery status `reply` states against `evidence`. `locale` is the reply's language
/// (it decides whether `6 am` is a time and how `09/11/2025` may be read).
pub fn check<'a>(reply: &str, evidence: impl Into<Layers<'a>>, locale: Locale) -> Verdict {
    let evidence = &evidence.into();
    let found = claims::extract(reply, Opts::for_locale(locale));
    let mut judged: Vec<(usize, Claim)> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let day = i
            .checked_sub(1)
            .and_then(|j| day_before(reply, &found[j], f));
        let mut text = reply[f.start..f.end].trim().to_string();
        let result = match &f.fact {
            Fact::Id(id) => id_ok(evidence, id, f.kind),
            Fact::Date(d) => date_ok(evidence, d),
            Fact::Time(t) => t
                .times()
                .into_iter()
                .try_for_each(|t| time_ok(evidence, t, day)),
            Fact::Amount(c, cur) => amount_ok(evidence, *c, *cur),
            Fact::Postcode(p) => postcode_ok(evidence, p),
            Fact::Address(a) => {
                let (written, r) = address_ok(evidence, a);
                text = written;
                r
            }
            Fact::Status(_) => Ok(()),
        };
        judged.push((f.start, claim(f, text, result)));
    }
    let tracking: Vec<(usize, &str)> = found
        .iter()
        .filter(|f| f.kind == ClaimKind::TrackingNumber)
        .filter_map(|f| match &f.fact {
            Fact::Id(id) => Some((f.start, id.as_str())),
            _ => None,
        })
        .collect();
    for f in claims::statuses(reply) {
        if let Fact::Status(s) = &f.fact {
            let tn = bound_shipment(reply, f.start, &tracking);
            let result = status_ok(reply, evidence, s, tn);
            let text = reply[f.start..f.end].to_string();
            judged.push((f.start, claim(&f, text, result)));
        }
    }
    judged.sort_by_key(|(at, _)| *at);
    let claims: Vec<Claim> = judged.into_iter().map(|(_, c)| c).collect();
    Verdict {
        passed: claims.iter().all(|c| c.supported),
        claims,
    }
}

fn claim(f: &Found, text: String, result: Judged) -> Claim {
    Claim {
        kind: f.kind,
        text,
        supported: result.is_ok(),
        reason: result.err(),
    }
}

/// The full date a time is attached to: `11.09.2025, 06:48 Uhr`, `11 Sep 2025 at 06:48`.
fn day_before(reply: &str, prev: &Found, f: &Found) -> Option<NaiveDate> {
    let Fact::Date(d) = &prev.fact else {
        return None;
    };
    let gap = reply
        .get(prev.end..f.start)?
        .trim()
        .trim_matches(',')
        .trim();
    matches!(gap, "" | "um" | "at" | "gegen" | "ab" | "bis" | "by").then(|| d.full())?
}

fn id_ok(ev: &Layers<'_>, id: &str, kind: ClaimKind) -> Judged {
    if ev.has_id(id) {
        return Ok(());
    }
    let what = match kind {
        ClaimKind::OrderNumber => "order number",
        _ => "tracking number",
    };
    Err(format!(
        "the {what} {id} appears in no tool result of this conversation and the customer did not write it"
    ))
}

fn date_ok(ev: &Layers<'_>, d: &DateClaim) -> Judged {
    if let (Some(full), Some(w)) = (d.full(), d.weekday)
        && d.alt.is_none()
    {
        use chrono::Datelike;
        if full.weekday() != w {
            return Err(format!("{full} is a {:?}, not a {w:?}", full.weekday()));
        }
    }
    let year_less = d.year.is_none() && d.weekday.is_none() && ev.has_month_day((d.month, d.day));
    if year_less || ev.any_day(|day| d.matches(day)) {
        return Ok(());
    }
    let known: Vec<String> = ev.days().iter().take(8).map(ToString::to_string).collect();
    Err(format!(
        "no tool result shows this date (dates in the evidence: {})",
        listed(&known)
    ))
}

fn time_ok(ev: &Layers<'_>, t: NaiveTime, day: Option<NaiveDate>) -> Judged {
    let hm = |t: NaiveTime| t.format("%H:%M").to_string();
    if let Some(d) = day {
        // Sorted and each once, whichever parts they come from.
        let that_day: std::collections::BTreeSet<NaiveTime> = ev
            .moments()
            .filter(|m| m.date() == d)
            .map(|m| m.time())
            .collect();
        if !that_day.is_empty() {
            if that_day.contains(&t) {
                return Ok(());
            }
            let known: Vec<String> = that_day.into_iter().map(hm).collect();
            return Err(format!(
                "no event at {} on {d} in the tool results (times that day: {})",
                hm(t),
                listed(&known)
            ));
        }
    }
    if ev.has_time(t) {
        return Ok(());
    }
    Err(format!("no tool result shows the time {}", hm(t)))
}

fn amount_ok(ev: &Layers<'_>, cents: i64, currency: Option<&str>) -> Judged {
    let shown = format!("{}.{:02}", cents / 100, cents % 100);
    if let Some(c) = currency
        && ev.has_currencies()
        && !ev.has_currency(c)
    {
        return Err(format!("the tool results give no amount in {c}"));
    }
    if ev.has_amount(cents) {
        return Ok(());
    }
    let known: Vec<String> = ev
        .amounts()
        .iter()
        .take(8)
        .map(|c| format!("{}.{:02}", c / 100, c % 100))
        .collect();
    Err(format!(
        "no tool result shows the amount {shown} (amounts in the evidence: {})",
        listed(&known)
    ))
}

fn postcode_ok(ev: &Layers<'_>, p: &str) -> Judged {
    if ev.has_postcode(p) || ev.places().any(|pl| pl.postcode == p) {
        return Ok(());
    }
    Err(format!(
        "the postcode {p} appears in no tool result and the customer did not write it"
    ))
}

/// Matches the words before the house number against the streets on file; returns the
/// address as written (from the street on) and the judgement.
fn address_ok(ev: &Layers<'_>, a: &AddressClaim) -> (String, Judged) {
    let mut claimed = words(&a.before);
    claimed.push(norm(&a.number));
    let after = norm(&a.after);
    let first_city_word = a.after.split_whitespace().next().unwrap_or_default();
    for place in ev.places().filter(|p| p.postcode == a.postcode) {
        let common = claimed
            .iter()
            .rev()
            .zip(place.street.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let street_ok = if place.exact {
            common == place.street.len()
        } else {
            common >= 2.min(place.street.len())
        };
        if street_ok && after.starts_with(&place.city) {
            let street_words = a.before.split_whitespace().count();
            let keep = common.saturating_sub(1).min(street_words);
            let street: Vec<&str> = a
                .before
                .split_whitespace()
                .skip(street_words - keep)
                .collect();
            let city: String = a.after.chars().take(place.city.chars().count()).collect();
            let text = format!("{} {}, {} {city}", street.join(" "), a.number, a.postcode);
            return (text.trim().to_string(), Ok(()));
        }
    }
    // As written: the capitalized words before the number (`Grüner Weg`, `Am Markt`).
    let mut street: Vec<&str> = a
        .before
        .split_whitespace()
        .rev()
        .take_while(|w| w.starts_with(char::is_uppercase))
        .take(3)
        .collect();
    street.reverse();
    let street = street.join(" ");
    let text = format!("{street} {}, {} {first_city_word}", a.number, a.postcode);
    let reason = if ev.places().any(|p| p.postcode == a.postcode) {
        "this street and city are not the address on file for this postcode".to_string()
    } else {
        format!(
            "no address on file in the tool results has the postcode {}",
            a.postcode
        )
    };
    (text, Err(reason))
}

/// The shipment a status is about: the nearest tracking number in its clause, else the
/// last one before it.
fn bound_shipment<'a>(reply: &str, at: usize, tracking: &[(usize, &'a str)]) -> Option<&'a str> {
    let (cs, ce) = claims::clause_of(reply, at);
    tracking
        .iter()
        .filter(|(p, _)| (cs..ce).contains(p))
        .min_by_key(|(p, _)| p.abs_diff(at))
        .or_else(|| tracking.iter().rev().find(|(p, _)| *p < at))
        .map(|(_, t)| *t)
}

fn status_ok(reply: &str, ev: &Layers<'_>, s: &StatusClaim, tn: Option<&str>) -> Judged {
    if let Some((a, b)) = s.quote {
        let q = squash(&reply[a..b]);
        if q.split_whitespace().count() >= QUOTE_WORDS && ev.texts().any(|t| t.contains(&q)) {
            return Ok(());
        }
    }
    let mut all = ev.shipments();
    let ships: Vec<(&str, Shipment<'_>)> = match tn {
        Some(t) => all.remove_entry(t).into_iter().collect(),
        None => all.into_iter().collect(),
    };
    let name = tn.map_or_else(|| "any shipment".to_string(), |t| format!("shipment {t}"));
    match s.mode {
        Mode::Reported(source) => {
            let fits = |(src, what): &(String, String)| {
                s.said.contains(&what.as_str()) && source.is_none_or(|x| x == src)
            };
            let said = match tn {
                Some(_) => ships.iter().any(|(_, f)| f.said.iter().any(|p| fits(p))),
                None => ev.said().any(fits),
            };
            // What the customer wrote in this conversation, reported as theirs.
            let wrote = source.is_none_or(|x| x == "customer")
                && s.said.iter().any(|w| ev.customer_said(w));
            if said || wrote {
                return Ok(());
            }
            Err(format!(
                "no {} in the tool results says \"{}\" about {name}",
                source.unwrap_or("source"),
                s.st.as_str()
            ))
        }
        Mode::Fact => {
            let known: Vec<_> = ships.iter().filter(|(_, f)| f.status.is_some()).collect();
            if known.is_empty() {
                return Err(format!("no tool result shows a delivery status for {name}"));
            }
            if ev.vague_dispute() || known.iter().any(|(_, f)| f.disputed) {
                let t = known
                    .iter()
                    .find(|(_, f)| f.disputed)
                    .map_or("", |(t, _)| *t);
                return Err(format!(
                    "a contradiction is open for shipment {t}: say who reports it (\"the scan says …\", \"according to the driver …\") instead of stating \"{}\" as fact",
                    s.st.as_str()
                ));
            }
            let holds = known.iter().any(|(_, f)| {
                let status = f.status.unwrap_or_default();
                s.st.holds(status, s.said, |w| f.said.iter().any(|(_, x)| x == w))
            });
            if holds {
                return Ok(());
            }
            let now: Vec<&str> = known.iter().filter_map(|(_, f)| f.status).collect();
            Err(format!(
                "the tool results show the status {} for {name}, not \"{}\"",
                now.join(", "),
                s.st.as_str()
            ))
        }
    }
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
