//! What the customer is told about a staff decision on their case, in their language
//! (German and English, from `prompts/texts/`). The reason staff give is passed on as
//! written.

use super::actions::Decision;
use crate::domain::Locale;

/// What the customer is told about a decision, in their language (`prompts/texts/`).
pub fn decision_message(
    decision: Decision,
    kind: &str,
    order: Option<&str>,
    reason: Option<&str>,
    locale: Locale,
) -> Option<String> {
    let decision = match decision {
        Decision::CallbackDone => return None,
        Decision::Approve => "approve",
        Decision::Reject => "reject",
        Decision::Close => "close",
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    Some(crate::prompts::text(
        "decision",
        locale,
        minijinja::context! { decision => decision, kind => kind, order => order, reason => reason },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_told_decisions_in_their_language_with_the_reason() {
        let de = decision_message(
            Decision::Reject,
            "replacement",
            Some("A-1"),
            Some("Das Paket wurde beim Nachbarn gefunden."),
            Locale::De,
        )
        .unwrap();
        assert!(de.contains("Ersatzlieferung") && de.contains("A-1") && de.contains("Nachbarn"));
        let en = decision_message(
            Decision::Approve,
            "investigation",
            None,
            Some("ok"),
            Locale::En,
        )
        .unwrap();
        assert_eq!(en, "Your investigation has been approved. Reason: ok");
        assert!(
            decision_message(Decision::CallbackDone, "callback", None, None, Locale::De).is_none()
        );
    }
}
