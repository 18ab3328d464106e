//! From the NLU's understanding of a message to the signals the dialogue policy uses.

use chrono::NaiveDate;

use super::nlu::{self, NluContext};
use super::offline::Signals;
use crate::domain::Locale;

/// Understands a customer's text in the conversation's language, as of `today`.
pub fn signals(
    text: &str,
    language: Option<Locale>,
    today: NaiveDate,
    awaiting: Option<nlu::Expectation>,
) -> Signals {
    let u = nlu::understand(
        text,
        &NluContext {
            language,
            today,
            expecting: awaiting,
        },
    );
    Signals {
        language: u.language_confident.then_some(u.language),
        intents: u.intents.clone(),
        order_numbers: u
            .entities
            .order_numbers
            .iter()
            .map(|o| o.to_string())
            .collect(),
        tracking_numbers: u
            .entities
            .tracking_numbers
            .iter()
            .map(|t| t.value.to_string())
            .collect(),
        postcodes: u.entities.postcodes.clone(),
        emails: u.entities.emails.clone(),
        refers_to_other: u.refers_to_other,
        refers_to_all_others: u.refers_to_all_others,
        hesitant: u.hesitant,
        report_unsure: u.report_unsure,
        injection: u.injection_suspected,
    }
}
