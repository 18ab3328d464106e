//! What the customer is told about a staff decision on their case, in their language
//! (German and English). The reason staff give is passed on as written.

use super::actions::Decision;
use crate::domain::Locale;

/// The German possessive for a remedy's noun ("Ihr Rückruf", "Ihre Ersatzlieferung").
fn possessive_de(kind: &str) -> &'static str {
    match kind {
        "callback" | "return_label" => "Ihr",
        _ => "Ihre",
    }
}

fn remedy_label(kind: &str, locale: Locale) -> &'static str {
    match (kind, locale) {
        ("callback", Locale::De) => "Rückruf",
        ("callback", _) => "callback",
        ("redelivery", Locale::De) => "neue Zustellung",
        ("redelivery", _) => "redelivery",
        ("replacement", Locale::De) => "Ersatzlieferung",
        ("replacement", _) => "replacement",
        ("investigation", Locale::De) => "Nachforschung",
        ("investigation", _) => "investigation",
        ("return_label", Locale::De) => "Rücksendeetikett",
        ("return_label", _) => "return label",
        (_, Locale::De) => "Anfrage",
        (_, _) => "request",
    }
}

/// What the customer is told about a decision, in their language.
pub fn decision_message(
    decision: Decision,
    kind: &str,
    order: Option<&str>,
    reason: Option<&str>,
    locale: Locale,
) -> Option<String> {
    let what = remedy_label(kind, locale);
    let ihr = possessive_de(kind);
    let order = order.unwrap_or("");
    let head = match (decision, locale) {
        (Decision::CallbackDone, _) => return None,
        (Decision::Approve, Locale::De) if order.is_empty() => {
            format!("Gute Nachricht: {ihr} {what} ist genehmigt.")
        }
        (Decision::Approve, Locale::De) => {
            format!("{ihr} {what} für die Bestellung {order} ist genehmigt.")
        }
        (Decision::Approve, _) if order.is_empty() => format!("Your {what} has been approved."),
        (Decision::Approve, _) => format!("Your {what} for order {order} has been approved."),
        (Decision::Reject, Locale::De) if order.is_empty() => {
            format!("{ihr} {what} können wir leider nicht veranlassen.")
        }
        (Decision::Reject, Locale::De) => {
            format!("{ihr} {what} für die Bestellung {order} können wir leider nicht veranlassen.")
        }
        (Decision::Reject, _) if order.is_empty() => {
            format!("We are sorry, we cannot go ahead with your {what}.")
        }
        (Decision::Reject, _) => {
            format!("We are sorry, we cannot go ahead with your {what} for order {order}.")
        }
        (Decision::Close, Locale::De) if order.is_empty() => {
            format!("{ihr} {what} ist abgeschlossen.")
        }
        (Decision::Close, Locale::De) => {
            format!("{ihr} {what} zur Bestellung {order} ist abgeschlossen.")
        }
        (Decision::Close, _) if order.is_empty() => format!("Your {what} is closed."),
        (Decision::Close, _) => format!("Your {what} for order {order} is closed."),
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    Some(match (reason, locale) {
        (Some(r), Locale::De) => format!("{head} Begründung: {r}"),
        (Some(r), _) => format!("{head} Reason: {r}"),
        (None, _) => head,
    })
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
