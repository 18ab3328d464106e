//! What a conversation has already told the customer, so that a reply refers to it
//! instead of saying it again: the status of each order (by a digest of its text) and
//! the customer's own reports (once per conversation, not once per message). Kept in
//! the conversation state; the dialogue asks these small functions.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Kept with the conversation state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Told {
    /// Per subject (an order, or an order's shipment, in a language): the digest of the
    /// last status told.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<(String, String)>,
    /// The customer's reports already mentioned, as `ORDER:claim`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<String>,
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

impl Told {
    /// Nothing told yet.
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && self.reports.is_empty()
    }

    /// Whether exactly this status text about `subject` was told before.
    pub fn status_told(&self, subject: &str, text: &str) -> bool {
        let d = digest(text);
        self.statuses.iter().any(|(s, x)| s == subject && *x == d)
    }

    /// Remembers the status told about `subject` (replacing an older one).
    pub fn remember_status(&mut self, subject: &str, text: &str) {
        let d = digest(text);
        match self.statuses.iter_mut().find(|(s, _)| s == subject) {
            Some(entry) => entry.1 = d,
            None => self.statuses.push((subject.to_string(), d)),
        }
    }

    /// The claims (`not_received`, …) of `order` already mentioned.
    pub fn reports_for(&self, order: &str) -> Vec<String> {
        self.reports
            .iter()
            .filter_map(|r| r.strip_prefix(order)?.strip_prefix(':'))
            .map(str::to_string)
            .collect()
    }

    /// Remembers that a report was mentioned; true when it was not before.
    pub fn remember_report(&mut self, order: &str, claim: &str) -> bool {
        let key = format!("{order}:{claim}");
        if self.reports.contains(&key) {
            return false;
        }
        self.reports.push(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_told_again_only_when_its_text_changed() {
        let mut t = Told::default();
        assert!(!t.status_told("A-1", "zugestellt"));
        t.remember_status("A-1", "zugestellt");
        assert!(t.status_told("A-1", "zugestellt"));
        assert!(!t.status_told("A-2", "zugestellt"));
        t.remember_status("A-1", "unterwegs");
        assert!(!t.status_told("A-1", "zugestellt"));
        assert_eq!(t.statuses.len(), 1);
    }

    #[test]
    fn a_report_is_mentioned_once_per_order() {
        let mut t = Told::default();
        assert!(t.remember_report("A-1", "not_received"));
        assert!(!t.remember_report("A-1", "not_received"));
        assert!(t.remember_report("A-10", "damaged"));
        assert_eq!(t.reports_for("A-1"), ["not_received"]);
        assert_eq!(t.reports_for("A-10"), ["damaged"]);
    }
}
