//! The phrase tables: for each intent and language, the patterns that express it
//! (syntax in [`super::pattern`]), and the small word lists the scorer needs
//! (negators, contrast words, back-references, injection phrases).
//!
//! Patterns are written folded: lower case, `ae`/`oe`/`ue`/`ss` for umlauts and `ß`,
//! no apostrophes ("wheres", "didnt"). Adding a way of saying something is adding a
//! line here; the tests in `tests/utterances.rs` show whether it helped.

mod de;
mod dialogue;
mod en;
mod function_words;
mod markers;
pub mod notices;

pub use function_words::{ENGLISH, GERMAN};
pub use markers::{
    CONTRAST, FILLERS, HESITATION, INJECTION, INTERJECTIONS, NEGATORS, NOT_REFERS_BACK,
    ORDER_CONTEXT, OTHER_THING, RECEIVED, REFERS_ALL_OTHERS, REFERS_BACK, REFERS_OTHER,
};

use super::{Expectation, Intent};

/// The language a phrase belongs to; `Any` for words both use ("ok", "hi", "status").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
    Any,
}

/// Patterns that express one intent in one language.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub intent: Intent,
    pub lang: Lang,
    /// Only when the bot expects this (a bare "bitte" is a yes only after a proposal).
    pub only_when: Option<Expectation>,
    pub patterns: &'static [&'static str],
}

/// Shorthand for the tables.
pub(crate) const fn e(intent: Intent, lang: Lang, patterns: &'static [&'static str]) -> Entry {
    Entry {
        intent,
        lang,
        only_when: None,
        patterns,
    }
}

/// Every entry of every language. The dialogue's entries (details, requests Verity
/// cannot do, frustration) come first: of two phrases as long, the earlier wins a shared word.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    dialogue::ENTRIES
        .iter()
        .chain(de::ENTRIES)
        .chain(en::ENTRIES)
        .chain(notices::ENTRIES)
        .chain(markers::CONDITIONAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::nlu::pattern::Pattern;

    #[test]
    fn every_pattern_is_folded_and_well_formed() {
        for entry in entries() {
            for p in entry.patterns {
                assert!(
                    !Pattern::parse(p).is_empty(),
                    "empty pattern for {:?}",
                    entry.intent
                );
                assert!(
                    p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || " |*".contains(c)),
                    "pattern {p:?} is not in folded form"
                );
                assert!(
                    !p.contains("||") && !p.contains("| ") && !p.contains(" |"),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn every_intent_but_unknown_has_phrases_in_both_languages() {
        use crate::assistant::nlu::Topic::*;
        let all = [
            Intent::WhereIsMyParcel,
            Intent::NotReceived,
            Intent::WrongItem,
            Intent::Damaged,
            Intent::Late,
            Intent::RefundStatus,
            Intent::Cancel,
            Intent::Return,
            Intent::Callback,
            Intent::Redelivery,
            Intent::Replacement,
            Intent::Human,
            Intent::Yes,
            Intent::No,
            Intent::Thanks,
            Intent::Greeting,
            Intent::Goodbye,
        ]
        .into_iter()
        .chain(
            [
                DeliveryTimes,
                Returns,
                Replacements,
                Callbacks,
                OpeningHours,
                Payment,
            ]
            .map(|topic| Intent::GeneralQuestion { topic }),
        );
        for intent in all {
            for lang in [Lang::De, Lang::En] {
                assert!(
                    entries()
                        .any(|e| e.intent == intent && (e.lang == lang || e.lang == Lang::Any)),
                    "{intent:?} has no {lang:?} phrases"
                );
            }
        }
    }
}
