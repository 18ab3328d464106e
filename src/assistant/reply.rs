//! What every engine answers and how it is rendered, whichever engine wrote it: the
//! reply, its suggested actions, the reply sentences of `prompts/replies/{de,en}.j2`,
//! and the labels of suggested actions (at most 20 characters: WhatsApp's limit for a
//! button).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::tools::ToolCallRecord;
use crate::domain::Locale;
use crate::prompts;
use crate::truth::format;

/// A suggested action: the button, WhatsApp reply button or Messenger quick reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuggestedAction {
    pub id: String,
    pub label: String,
}

/// What an engine answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EngineReply {
    pub text: String,
    pub actions: Vec<SuggestedAction>,
    /// The contradiction codes the reply presents.
    pub contradictions: Vec<String>,
    pub tool_calls: Vec<ToolCallRecord>,
    /// The conversation was handed to staff in this turn.
    pub handoff: bool,
    /// The language of the reply.
    pub language: Locale,
}

/// Renders reply `kind` with its data `d`. A template failure (prevented by the test
/// that renders every kind) falls back to a neutral sentence.
pub fn render_reply(kind: &str, locale: Locale, d: Value) -> String {
    let name = format!("replies/{}.j2", locale.as_str());
    match prompts::render(&name, minijinja::context! { kind => kind, d => d }) {
        Ok(text) => prompts::tidy(&text),
        Err(e) => {
            tracing::error!(error = e, kind, "a reply template failed");
            prompts::text("reply_failed", locale, Value::UNDEFINED)
        }
    }
}

/// The label of a suggested action, from `prompts/texts/`.
pub fn action_label(id: &str, locale: Locale) -> String {
    prompts::text("action_label", locale, minijinja::context! { id => id })
}

/// A callback slot as a customer reads it: `am 12.09.2025 zwischen 10:00 und 12:00 Uhr`.
pub fn slot_text(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    let day = format::date(start.with_timezone(&tz).date_naive(), locale);
    let (from, to) = (format::time(start, tz), format::time(end, tz));
    prompts::text(
        "slot",
        locale,
        minijinja::context! { day => day, from => from, to => to },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: &[&str] = &[
        "greeting",
        "greeting_known",
        "ask_verification",
        "ask_postcode",
        "ask_order_number",
        "verify_failed",
        "locked",
        "verified",
        "status",
        "status_again",
        "details",
        "reported",
        "which_order",
        "no_other_order",
        "not_found",
        "proposal",
        "refused",
        "confirmed",
        "declined",
        "nothing_pending",
        "handoff",
        "handoff_limited",
        "staff_takeover",
        "cancel",
        "help",
        "thanks",
        "goodbye",
        "injection",
        "only_text",
        "unknown",
    ];

    fn fixture() -> Value {
        minijinja::context! {
            minutes => 30, name => "Erika Probe", salutation => "ms", family_name => "Probe", summaries => vec!["Sendung 1."],
            disputed => true, disagree => true, offers => true, order => "A-1", text => "Alle Angaben.", claim => "not_received",
            orders => vec!["A-1"], remedy => "replacement", slot => "am 12.09.2025 zwischen 10:00 und 12:00 Uhr",
            label => "Ersatz anfordern", reason => "Der nächste Zustellversuch steht noch aus.",
            created => true, articles => vec!["Text."],
            open => vec![
                minijinja::context! { kind => "callback", label => "Rückruf vereinbaren", slot => "am 12.09.2025 zwischen 10:00 und 12:00 Uhr", order => "A-1" },
                minijinja::context! { kind => "investigation", label => "Nachforschen lassen", slot => "", order => "A-1" },
            ],
        }
    }

    #[test]
    fn every_reply_kind_renders_in_both_languages() {
        for locale in [Locale::De, Locale::En] {
            for kind in KINDS {
                let name = format!("replies/{}.j2", locale.as_str());
                let text =
                    prompts::render(&name, minijinja::context! { kind => kind, d => fixture() })
                        .unwrap_or_else(|e| panic!("{kind} {locale}: {e}"));
                assert!(!prompts::tidy(&text).is_empty(), "{kind} {locale}");
            }
        }
    }

    #[test]
    fn action_labels_fit_a_whatsapp_button() {
        for id in [
            "callback",
            "redelivery",
            "replacement",
            "investigation",
            "return_label",
            "handoff",
            "details",
            "confirm",
            "decline",
        ] {
            for l in [Locale::De, Locale::En] {
                assert!(action_label(id, l).chars().count() <= 20, "{id} {l}");
            }
        }
    }

    #[test]
    fn slots_read_naturally() {
        let s = DateTime::parse_from_rfc3339("2025-09-12T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = DateTime::parse_from_rfc3339("2025-09-12T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(
            slot_text(s, e, tz, Locale::De),
            "am 12.09.2025 zwischen 10:00 und 12:00 Uhr"
        );
        assert_eq!(
            slot_text(s, e, tz, Locale::En),
            "on 12 Sep 2025 between 10:00 and 12:00"
        );
    }
}
