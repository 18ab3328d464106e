//! What a whole conversation supports, kept as the evidence of each of its parts (a tool
//! result, a customer's message) instead of one merged set: a turn adds its parts by
//! reference, and the check asks every part. Merging a conversation's forty latest
//! messages into one set anew for each turn had cost more than the check itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use super::evidence::{Evidence, Place};

/// The evidence of a conversation: its parts in order, each once, at its last place
/// (the same order view asked about again counts where it was seen last, so a later
/// status of a shipment wins).
#[derive(Clone, Debug)]
pub struct Support {
    tz: Tz,
    parts: Vec<Arc<Evidence>>,
}

impl Support {
    /// No evidence yet; instants are rendered in `tz` (the policy's time zone).
    pub fn new(tz: Tz) -> Self {
        Support {
            tz,
            parts: Vec::new(),
        }
    }

    /// The time zone instants are rendered in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Adds a part after the others (moving it there when it was seen before).
    pub fn add(&mut self, part: &Arc<Evidence>) {
        if part.is_empty() {
            return;
        }
        if let Some(i) = self.parts.iter().position(|p| Arc::ptr_eq(p, part)) {
            self.parts.remove(i);
        }
        self.parts.push(part.clone());
    }

    /// The parts merged into one evidence, as if their inputs had been fed in order.
    pub fn flatten(&self) -> Evidence {
        let mut e = Evidence::new(self.tz);
        for p in &self.parts {
            e.merge(p);
        }
        e
    }
}

impl From<Evidence> for Support {
    fn from(e: Evidence) -> Self {
        let mut s = Support::new(e.time_zone());
        s.add(&Arc::new(e));
        s
    }
}

/// The evidence a check reads: one or several parts, asked in turn.
pub struct Layers<'a> {
    parts: Vec<&'a Evidence>,
}

impl<'a> From<&'a Evidence> for Layers<'a> {
    fn from(e: &'a Evidence) -> Self {
        Layers { parts: vec![e] }
    }
}

impl<'a> From<&'a Support> for Layers<'a> {
    fn from(s: &'a Support) -> Self {
        Layers {
            parts: s.parts.iter().map(|p| &**p).collect(),
        }
    }
}

/// What the parts say about one shipment, together.
pub(crate) struct Shipment<'a> {
    /// The status of the last part that gives one.
    pub status: Option<&'a str>,
    pub disputed: bool,
    pub said: Vec<&'a (String, String)>,
}

impl<'a> Layers<'a> {
    fn any(&self, f: impl Fn(&Evidence) -> bool) -> bool {
        self.parts.iter().any(|p| f(p))
    }

    pub(crate) fn has_id(&self, id: &str) -> bool {
        self.any(|p| p.ids.contains(id))
    }

    pub(crate) fn has_month_day(&self, md: (u32, u32)) -> bool {
        self.any(|p| p.month_days.contains(&md))
    }

    /// Every day, sorted, each once.
    pub(crate) fn days(&self) -> BTreeSet<NaiveDate> {
        self.parts
            .iter()
            .flat_map(|p| p.days.iter().copied())
            .collect()
    }

    pub(crate) fn any_day(&self, f: impl Fn(NaiveDate) -> bool) -> bool {
        self.any(|p| p.days.iter().any(|&d| f(d)))
    }

    pub(crate) fn moments(&self) -> impl Iterator<Item = &'a NaiveDateTime> + '_ {
        self.parts.iter().flat_map(|p| p.moments.iter())
    }

    pub(crate) fn has_time(&self, t: NaiveTime) -> bool {
        self.any(|p| p.times.contains(&t))
    }

    pub(crate) fn has_amount(&self, cents: i64) -> bool {
        self.any(|p| p.amounts.contains(&cents))
    }

    /// Every amount, sorted, each once.
    pub(crate) fn amounts(&self) -> BTreeSet<i64> {
        self.parts
            .iter()
            .flat_map(|p| p.amounts.iter().copied())
            .collect()
    }

    /// Whether any part names a currency.
    pub(crate) fn has_currencies(&self) -> bool {
        self.any(|p| !p.currencies.is_empty())
    }

    pub(crate) fn has_currency(&self, c: &str) -> bool {
        self.any(|p| p.currencies.contains(c))
    }

    pub(crate) fn has_postcode(&self, pc: &str) -> bool {
        self.any(|p| p.postcodes.contains(pc))
    }

    pub(crate) fn places(&self) -> impl Iterator<Item = &'a Place> + '_ {
        self.parts.iter().flat_map(|p| p.places.iter())
    }

    pub(crate) fn texts(&self) -> impl Iterator<Item = &'a String> + '_ {
        self.parts.iter().flat_map(|p| p.texts.iter())
    }

    pub(crate) fn said(&self) -> impl Iterator<Item = &'a (String, String)> + '_ {
        self.parts.iter().flat_map(|p| p.said.iter())
    }

    pub(crate) fn customer_said(&self, what: &str) -> bool {
        self.any(|p| p.customer_said.contains(what))
    }

    /// Whether a bare status is barred for every shipment: a dispute was flagged
    /// without naming the shipment, and no contradiction said which.
    pub(crate) fn vague_dispute(&self) -> bool {
        self.any(Evidence::flagged_vaguely) && !self.any(Evidence::saw_contradictions)
    }

    /// What the parts say about each shipment (by tracking number).
    pub(crate) fn shipments(&self) -> BTreeMap<&'a str, Shipment<'a>> {
        let mut out: BTreeMap<&'a str, Shipment<'a>> = BTreeMap::new();
        for p in &self.parts {
            for (tn, f) in &p.shipments {
                let s = out.entry(tn.as_str()).or_insert(Shipment {
                    status: None,
                    disputed: false,
                    said: Vec::new(),
                });
                if let Some(st) = &f.status {
                    s.status = Some(st);
                }
                s.disputed |= f.disputed;
                s.said.extend(f.said.iter());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::Support;
    use crate::assistant::grounding::{Evidence, check};
    use crate::domain::Locale;

    const TN: &str = "00340434161234567890";

    fn view(status: &str, disputed: bool) -> Value {
        let contradictions = if disputed {
            json!([{"code": "delivered_but_driver_reports_failure", "tracking_number": TN,
                    "facts": [{"source": "driver", "what": "recipient_absent",
                               "at": "2025-09-11T04:51:00Z"}]}])
        } else {
            json!([])
        };
        json!({"tracking_number": TN, "order_number": "A-100234", "status": status,
               "in_dispute": disputed, "last_scan_at": "2025-09-11T04:48:00Z",
               "address": {"street": "Beispielweg 7", "postcode": "33100", "city": "Paderborn"},
               "items_value": "89.90", "currency": "EUR",
               "timeline": [{"at": "2025-09-11T04:48:00Z", "source": "carrier_scan", "what": status,
                             "description": "Die Sendung wurde erfolgreich zugestellt."}],
               "contradictions": contradictions})
    }

    fn part(f: impl FnOnce(&mut Evidence)) -> Arc<Evidence> {
        let mut e = Evidence::new(chrono_tz::Europe::Berlin);
        f(&mut e);
        Arc::new(e)
    }

    /// Asking each part gives the verdicts one merged evidence gives, whatever the
    /// parts: a status that a later view replaced, a dispute in one part only, numbers
    /// the customer typed, a help text, and a part seen twice.
    #[test]
    fn the_parts_asked_in_turn_judge_as_the_merged_evidence() {
        let transit = part(|e| e.add_tool_result(&view("in_transit", false)));
        let delivered = part(|e| e.add_tool_result(&view("delivered", false)));
        let disputed = part(|e| e.add_tool_result(&view("delivered", true)));
        let typed = part(|e| e.add_customer_text("Mein Paket ist nicht da! A-100999, 12.09."));
        let help = part(|e| {
            e.add_tool_result(
                &json!({"articles": [{"text": "Rückrufe gibt es werktags von 8 bis 18 Uhr."}]}),
            )
        });
        let replies = [
            (
                "Ihre Sendung 00340434161234567890 wurde am 11.09.2025 um 06:48 Uhr zugestellt.",
                Locale::De,
            ),
            (
                "Ihre Sendung 00340434161234567890 ist unterwegs.",
                Locale::De,
            ),
            ("Laut Fahrer war niemand zu Hause.", Locale::De),
            (
                "Sie schreiben, das Paket sei nicht angekommen (A-100999, 12.09.).",
                Locale::De,
            ),
            (
                "Der Warenwert beträgt 89,90 € an Beispielweg 7, 33100 Paderborn.",
                Locale::De,
            ),
            (
                "Your parcel was delivered on 12 Sep 2025 at 7:15 am, 45.00 USD.",
                Locale::En,
            ),
            ("Rückrufe gibt es werktags von 8 bis 18 Uhr.", Locale::De),
            (
                "Zugestellt am 11.09.2025 um 07:15 Uhr, gemeldet um 06:51 Uhr.",
                Locale::De,
            ),
        ];
        let sequences: [&[&Arc<Evidence>]; 5] = [
            &[&transit, &delivered],
            &[&delivered, &transit],
            &[&transit, &typed, &disputed, &help],
            &[&disputed, &transit, &delivered, &disputed],
            &[&typed, &help, &transit, &typed],
        ];
        let mut failed_and_passed = (0, 0);
        for parts in sequences {
            let mut support = Support::new(chrono_tz::Europe::Berlin);
            for p in parts {
                support.add(p);
            }
            let merged = support.flatten();
            for (reply, locale) in replies {
                let layered = check(reply, &support, locale);
                assert_eq!(
                    layered,
                    check(reply, &merged, locale),
                    "{reply} after {parts:?}"
                );
                if layered.passed {
                    failed_and_passed.1 += 1;
                } else {
                    failed_and_passed.0 += 1;
                }
            }
        }
        assert!(
            failed_and_passed.0 > 5 && failed_and_passed.1 > 5,
            "{failed_and_passed:?}"
        );
    }

    #[test]
    fn a_part_seen_again_counts_at_its_last_place() {
        let transit = part(|e| e.add_tool_result(&view("in_transit", false)));
        let delivered = part(|e| e.add_tool_result(&view("delivered", false)));
        let mut support = Support::new(chrono_tz::Europe::Berlin);
        for p in [&transit, &delivered, &transit] {
            support.add(p);
        }
        let v = check(
            "Ihre Sendung 00340434161234567890 ist unterwegs.",
            &support,
            Locale::De,
        );
        assert!(v.passed, "{v:#?}");
        let v = check(
            "Ihre Sendung 00340434161234567890 wurde zugestellt.",
            &support,
            Locale::De,
        );
        assert!(!v.passed, "the view seen last says in transit");
        // Nothing the customer wrote without numbers or statuses is kept.
        let thanks = part(|e| e.add_customer_text("Danke!"));
        support.add(&thanks);
        assert_eq!(support.parts.len(), 2);
    }
}
