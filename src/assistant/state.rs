//! A conversation's working state between turns: what the customer is talking about and
//! what the bot has proposed. Stored as JSON with the conversation.

use serde::{Deserialize, Serialize};

use crate::truth::Remedy;

/// What the bot offered and the customer has not yet confirmed or declined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Stable within the conversation; the button/quick reply carries it.
    pub id: String,
    pub remedy: Remedy,
    pub order_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// The contradiction that led to it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contradiction_code: Option<String>,
    /// A callback's slot (RFC 3339 start and end), when chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<(String, String)>,
}

/// The state kept with a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The order the conversation is about now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_order: Option<String>,
    /// The shipment the conversation is about now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_tracking: Option<String>,
    /// Orders discussed so far, oldest first ("und die andere Bestellung?").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders_discussed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Proposal>,
    /// Proposals made so far, by id: a confirmation must name one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals_seen: Vec<String>,
    /// Staff took over and the customer was told once that a person will answer.
    #[serde(default)]
    pub takeover_notice_sent: bool,
    /// The conversation waits for staff (handoff requested).
    #[serde(default)]
    pub waiting_for_staff: bool,
    /// An order number the customer gave before verifying, waiting for its postcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_order: Option<String>,
    /// What the customer asked for before verifying; answered once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_intent: Option<super::nlu::Intent>,
    /// What the bot has told already (statuses, the customer's reports).
    #[serde(default, skip_serializing_if = "super::told::Told::is_empty")]
    pub told: super::told::Told,
    /// The promise being discussed (`return_label`), for "und wann kommt es?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_promise: Option<String>,
    /// A report the customer may have made about the order in focus (`damaged`, …),
    /// asked about and recorded only on a yes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_report: Option<String>,
    /// Messages in a row the bot did not understand.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub misunderstood: u8,
    /// Failed verifications in this conversation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_verifications: u8,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl ConversationState {
    /// Reads the stored JSON; an unreadable state starts afresh rather than failing a turn.
    pub fn from_json(s: &str) -> Self {
        serde_json::from_str(s).unwrap_or_default()
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
    /// Makes an order the focus and remembers it.
    pub fn focus_on_order(&mut self, number: &str) {
        self.focus_order = Some(number.to_string());
        if !self.orders_discussed.iter().any(|o| o == number) {
            self.orders_discussed.push(number.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_round_trip_and_bad_json_starts_afresh() {
        let mut s = ConversationState::default();
        s.focus_on_order("A-1");
        s.focus_on_order("A-2");
        s.focus_on_order("A-1");
        s.pending = Some(Proposal {
            id: "p1".into(),
            remedy: Remedy::Callback,
            order_number: "A-1".into(),
            tracking_number: None,
            contradiction_code: None,
            slot: Some(("2025-09-11T08:00:00Z".into(), "2025-09-11T10:00:00Z".into())),
        });
        assert_eq!(s.orders_discussed, ["A-1", "A-2"]);
        assert_eq!(ConversationState::from_json(&s.to_json()), s);
        assert_eq!(
            ConversationState::from_json("not json"),
            ConversationState::default()
        );
    }
}
