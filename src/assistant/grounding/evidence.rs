//! What a conversation supports: every value of its tool results (walked as JSON, so
//! any tool's shape works) and the numbers the customer typed, rendered in the policy's
//! time zone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::Money;

use super::claims::{self, Fact, Opts};

/// The facts the tool results of one conversation (and its customer) support. Build it
/// with [`Evidence::new`], feed it every tool result and every customer message, then
/// [`check`](super::check) each reply against it.
#[derive(Clone, Debug)]
pub struct Evidence {
    tz: Tz,
    /// Tracking numbers, order numbers and other ids, upper case, without spaces.
    pub(crate) ids: BTreeSet<String>,
    pub(crate) days: BTreeSet<NaiveDate>,
    /// Days written without a year (`12.09.`) in a free text.
    pub(crate) month_days: BTreeSet<(u32, u32)>,
    /// Instants, as local date and time in the policy's time zone.
    pub(crate) moments: BTreeSet<NaiveDateTime>,
    pub(crate) times: BTreeSet<NaiveTime>,
    pub(crate) amounts: BTreeSet<i64>,
    pub(crate) currencies: BTreeSet<String>,
    pub(crate) postcodes: BTreeSet<String>,
    pub(crate) places: Vec<Place>,
    /// Per tracking number: status, dispute and what its sources said.
    pub(crate) shipments: BTreeMap<String, ShipmentFacts>,
    /// What any source said: (`carrier_scan`/`driver`/`notification`/`customer`/`shop`, what).
    pub(crate) said: BTreeSet<(String, String)>,
    /// The statuses the customer wrote in this conversation (`not_received`, `delivered`):
    /// a reply may report them as the customer's words, never state them as fact.
    pub(crate) customer_said: BTreeSet<String>,
    /// A dispute was flagged without saying which shipment it concerns.
    vague_dispute: bool,
    contradictions_seen: bool,
    /// Free texts (carrier descriptions, driver notes, summaries), whitespace-normalized,
    /// for quotations repeated verbatim.
    pub(crate) texts: BTreeSet<String>,
}

/// A postal address on file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// Normalized street words, the house number last.
    pub street: Vec<String>,
    pub postcode: String,
    pub city: String,
    /// From a structured record (the street is exact), not read out of a free text.
    pub exact: bool,
}

/// What the evidence says about one shipment.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShipmentFacts {
    /// The current status of a reconciled view (snake_case).
    pub status: Option<String>,
    pub disputed: bool,
    pub said: BTreeSet<(String, String)>,
}

const STATUSES: &[&str] = &[
    "unknown",
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "delivered",
    "available_for_pickup",
    "exception",
    "returned_to_sender",
];
/// A quotation is compared verbatim with the free texts from this many words on.
pub(crate) const QUOTE_WORDS: usize = 3;
const AMOUNT_KEYS: &[&str] = &[
    "amount",
    "total",
    "unit_price",
    "price",
    "items_value",
    "value",
    "refund",
];

impl Evidence {
    /// Empty evidence; instants will be rendered in `tz` (the policy's time zone).
    pub fn new(tz: Tz) -> Self {
        Self {
            tz,
            ids: BTreeSet::new(),
            days: BTreeSet::new(),
            month_days: BTreeSet::new(),
            moments: BTreeSet::new(),
            times: BTreeSet::new(),
            amounts: BTreeSet::new(),
            currencies: BTreeSet::new(),
            postcodes: BTreeSet::new(),
            places: Vec::new(),
            shipments: BTreeMap::new(),
            said: BTreeSet::new(),
            customer_said: BTreeSet::new(),
            vague_dispute: false,
            contradictions_seen: false,
            texts: BTreeSet::new(),
        }
    }

    /// The time zone instants are rendered in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Adds one tool result: every string and number in it, the shipments' statuses,
    /// what each source said, and whether a view is in dispute.
    pub fn add_tool_result(&mut self, result: &Value) {
        self.walk(result, None, "");
        // `search_help`: the shop's own help texts (business hours, return periods) may
        // be repeated as they are; they state nothing about a parcel.
        for a in result["articles"].as_array().into_iter().flatten() {
            if let Some(text) = a["text"].as_str() {
                self.absorb(text);
            }
        }
    }

    /// Adds everything `other` supports, as if its inputs had been fed here after this
    /// evidence's own (a later status of a shipment wins). Lets a caller keep the
    /// evidence of each stored message and combine them instead of walking them again.
    pub fn merge(&mut self, other: &Evidence) {
        self.ids.extend(other.ids.iter().cloned());
        self.days.extend(other.days.iter().copied());
        self.month_days.extend(other.month_days.iter().copied());
        self.moments.extend(other.moments.iter().copied());
        self.times.extend(other.times.iter().copied());
        self.amounts.extend(other.amounts.iter().copied());
        self.currencies.extend(other.currencies.iter().cloned());
        self.postcodes.extend(other.postcodes.iter().cloned());
        self.places.extend(other.places.iter().cloned());
        for (tn, f) in &other.shipments {
            let mine = self.ship(tn);
            if f.status.is_some() {
                mine.status = f.status.clone();
            }
            mine.disputed |= f.disputed;
            mine.said.extend(f.said.iter().cloned());
        }
        self.said.extend(other.said.iter().cloned());
        self.customer_said
            .extend(other.customer_said.iter().cloned());
        self.vague_dispute |= other.vague_dispute;
        self.contradictions_seen |= other.contradictions_seen;
        self.texts.extend(other.texts.iter().cloned());
    }

    /// Adds a message the customer wrote: its numbers, dates, times, amounts and
    /// postcodes may be repeated back to them; its statuses only as the customer's words
    /// ("Sie schreiben, das Paket sei nicht angekommen"), never as fact.
    pub fn add_customer_text(&mut self, text: &str) {
        self.absorb(text);
        for f in claims::statuses(text) {
            if let Fact::Status(s) = f.fact {
                self.customer_said
                    .extend(s.said.iter().map(|w| w.to_string()));
            }
        }
    }

    /// A dispute was flagged without saying which shipment it concerns.
    pub(crate) fn flagged_vaguely(&self) -> bool {
        self.vague_dispute
    }

    /// A contradiction was listed with its facts (which names the shipment).
    pub(crate) fn saw_contradictions(&self) -> bool {
        self.contradictions_seen
    }

    /// Whether it supports nothing at all (a customer's "Danke!").
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.days.is_empty()
            && self.month_days.is_empty()
            && self.moments.is_empty()
            && self.times.is_empty()
            && self.amounts.is_empty()
            && self.currencies.is_empty()
            && self.postcodes.is_empty()
            && self.places.is_empty()
            && self.shipments.is_empty()
            && self.said.is_empty()
            && self.customer_said.is_empty()
            && !self.vague_dispute
            && !self.contradictions_seen
            && self.texts.is_empty()
    }

    fn walk(&mut self, v: &Value, tn: Option<&str>, key: &str) {
        match v {
            Value::Object(m) => self.object(m, tn),
            Value::Array(items) => items.iter().for_each(|x| self.walk(x, tn, key)),
            Value::String(s) => self.string(s, key),
            Value::Number(n) if AMOUNT_KEYS.contains(&key) => {
                if let Ok(m) = Money::from_json(&Value::Number(n.clone())) {
                    self.amounts.insert(m.cents());
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, m: &Map<String, Value>, outer: Option<&str>) {
        let str_of = |k: &str| m.get(k).and_then(Value::as_str);
        let own = str_of("tracking_number").map(normalize_id);
        let tn = own.as_deref().or(outer).map(str::to_string);
        let kind = str_of("type");
        if let (Some(t), Some(status)) = (&own, str_of("status"))
            && STATUSES.contains(&status)
        {
            self.say(Some(t), "carrier_scan", status);
            if kind != Some("tracking_scan") {
                self.ship(t).status = Some(status.to_string());
            }
        }
        if let (Some(source), Some(what)) = (str_of("source"), str_of("what")) {
            self.say(tn.as_deref(), source, what);
        }
        let event = match kind {
            Some("driver_report") => Some(("driver", "outcome")),
            Some("notification_sent") => Some(("notification", "claim")),
            Some("customer_report") => Some(("customer", "claim")),
            _ => None,
        };
        if let Some((source, what)) = event.and_then(|(s, k)| Some((s, str_of(k)?))) {
            self.say(tn.as_deref(), source, what);
        }
        let contradiction = str_of("code").is_some() && m.get("facts").is_some_and(Value::is_array);
        let listed = m
            .get("contradictions")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let flagged = m.get("in_dispute").and_then(Value::as_bool) == Some(true);
        self.contradictions_seen |= contradiction;
        if contradiction || listed || flagged {
            match (&own, contradiction) {
                (Some(t), _) => self.ship(t).disputed = true,
                (None, true) => {
                    if let Some(t) = outer {
                        self.ship(t).disputed = true;
                    }
                }
                (None, false) => self.vague_dispute |= flagged,
            }
        }
        if let (Some(street), Some(pc), Some(city)) =
            (str_of("street"), str_of("postcode"), str_of("city"))
        {
            self.places.push(Place {
                street: words(street),
                postcode: pc.trim().to_string(),
                city: norm(city),
                exact: true,
            });
        }
        if let (Some(qty), Some(price)) =
            (m.get("qty").and_then(Value::as_i64), m.get("unit_price"))
            && let Ok(p) = Money::from_json(price)
        {
            self.amounts.insert(p.cents() * qty);
        }
        for (k, x) in m {
            self.walk(x, tn.as_deref(), k);
        }
    }

    fn ship(&mut self, tn: &str) -> &mut ShipmentFacts {
        self.shipments.entry(tn.to_string()).or_default()
    }

    fn say(&mut self, tn: Option<&str>, source: &str, what: &str) {
        let pair = (source.to_string(), what.to_string());
        if let Some(t) = tn {
            self.ship(t).said.insert(pair.clone());
        }
        self.said.insert(pair);
    }

    fn string(&mut self, s: &str, key: &str) {
        if let Ok(at) = DateTime::parse_from_rfc3339(s.trim()) {
            // Replies show times to the minute: an instant with seconds supports its minute.
            let local = at.with_timezone(&self.tz).naive_local();
            let local = local
                .with_second(0)
                .and_then(|l| l.with_nanosecond(0))
                .unwrap_or(local);
            self.moments.insert(local);
            self.days.insert(local.date());
            self.times.insert(local.time());
            return;
        }
        if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            self.days.insert(d);
            return;
        }
        if let Ok(m) = Money::parse(s)
            && s.contains('.')
        {
            self.amounts.insert(m.cents());
            return;
        }
        if key == "currency" {
            self.currencies.insert(s.trim().to_uppercase());
        }
        if key == "tracking_number"
            || key == "number"
            || key.ends_with("_number")
            || key.ends_with("id")
        {
            self.ids.insert(normalize_id(s));
        }
        self.absorb(s);
        // Only sentences: a single word (`delivered`) is a status code, not a quotation.
        if s.split_whitespace().count() >= QUOTE_WORDS {
            self.texts.insert(squash(s));
        }
    }

    /// Adds the claims a free text makes, as evidence.
    fn absorb(&mut self, text: &str) {
        for f in claims::extract(text, Opts::EVIDENCE) {
            match f.fact {
                Fact::Id(id) => {
                    self.ids.insert(id);
                }
                Fact::Date(d) => match d.full() {
                    Some(day) => {
                        self.days.insert(day);
                    }
                    None => {
                        self.month_days.insert((d.month, d.day));
                    }
                },
                Fact::Time(t) => self.times.extend(t.times()),
                Fact::Amount(c, _) => {
                    self.amounts.insert(c);
                }
                Fact::Postcode(p) => {
                    self.postcodes.insert(p);
                }
                Fact::Address(a) => {
                    self.postcodes.insert(a.postcode.clone());
                    let mut street = words(&a.before);
                    street.push(norm(&a.number));
                    self.places.push(Place {
                        street,
                        postcode: a.postcode,
                        city: norm(&a.after),
                        exact: false,
                    });
                }
                Fact::Status(_) => {}
            }
        }
    }
}

/// Upper case, without spaces: how ids are compared.
pub(crate) fn normalize_id(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Lower case with `Straße`, `Strasse` and `Str.` alike.
pub(crate) fn norm(s: &str) -> String {
    s.to_lowercase()
        .replace("straße", "str")
        .replace("strasse", "str")
        .replace("str.", "str")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The normalized words of a street.
pub(crate) fn words(s: &str) -> Vec<String> {
    norm(s).split_whitespace().map(str::to_string).collect()
}

/// Whitespace collapsed, trimmed, without closing punctuation: how quotations compare.
pub(crate) fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', '!', ','])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merged_evidence_equals_evidence_fed_in_order() {
        let tz = chrono_tz::Europe::Berlin;
        let first = json!({"tracking_number": "00340434161234567890", "status": "in_transit",
            "in_dispute": false, "last_scan_at": "2025-09-10T15:20:00Z",
            "address": {"street": "Eichenweg 7", "postcode": "33100", "city": "Paderborn"},
            "summary": "Sendung 00340434161234567890: unterwegs seit 10.09.2025."});
        let second = json!({"shipment": {"tracking_number": "00340434161234567890",
            "status": "delivered", "in_dispute": true, "total": "94.60",
            "contradictions": [{"code": "delivered_but_driver_reports_failure",
                "facts": [{"source": "driver", "what": "recipient_absent",
                           "at": "2025-09-11T04:51:00Z"}]}]}});
        let text = "Mein Paket ist nicht da, A-100234, 33100";
        let mut sequential = Evidence::new(tz);
        sequential.add_tool_result(&first);
        sequential.add_tool_result(&second);
        sequential.add_customer_text(text);
        let mut merged = Evidence::new(tz);
        for part in [
            {
                let mut e = Evidence::new(tz);
                e.add_tool_result(&first);
                e
            },
            {
                let mut e = Evidence::new(tz);
                e.add_tool_result(&second);
                e
            },
            {
                let mut e = Evidence::new(tz);
                e.add_customer_text(text);
                e
            },
        ] {
            merged.merge(&part);
        }
        assert_eq!(format!("{sequential:?}"), format!("{merged:?}"));
        assert_eq!(
            merged.shipments["00340434161234567890"].status.as_deref(),
            Some("delivered")
        );
    }
}
