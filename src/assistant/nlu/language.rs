//! German or English: function words, umlauts, the language of the matched phrases, and
//! explicit requests ("Sorry, can we speak English?", "auf Deutsch bitte").

use std::sync::LazyLock;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};

use crate::domain::Locale;

use super::lexicon::{ENGLISH, GERMAN};
use super::normalize::Token;

/// Whether a folded word is a function word of either language.
pub fn is_function_word(word: &str) -> bool {
    GERMAN.contains(&word) || ENGLISH.contains(&word)
}

/// A word of a matched phrase of one language: evidence for words that are not
/// function words ("kaputt", "refund", "moin").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub word: String,
    pub lang: Locale,
}

/// What the evidence says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Clearly this language.
    Confident(Locale),
    /// Somewhat this language: used when the conversation has no language yet.
    Leaning(Locale),
    /// No evidence either way.
    Unknown,
}

/// The identifier: lingua with only the German and English models, loaded on first use.
static DETECTOR: LazyLock<LanguageDetector> = LazyLock::new(|| {
    LanguageDetectorBuilder::from_languages(&[Language::German, Language::English]).build()
});

/// Words both languages use alike: they say nothing about the language.
const NEUTRAL: &[&str] = &["ok", "okay", "okey", "hi", "hey", "super", "status", "info"];

/// The words customers use beside an order or postcode ("order H-5040 postcode
/// 69117"): too short a message for the model alone.
const DOMAIN_EN: &[&str] = &[
    "order",
    "orders",
    "postcode",
    "zip",
    "number",
    "tracking",
    "parcel",
    "package",
    "delivery",
    "refund",
    "label",
    "driver",
    "neighbour",
    "neighbor",
    "thanks",
    "hello",
    "please",
];
const DOMAIN_DE: &[&str] = &[
    "bestellung",
    "bestellnummer",
    "plz",
    "postleitzahl",
    "paket",
    "sendung",
    "lieferung",
    "sendungsnummer",
    "fahrer",
    "nachbar",
    "nachbarn",
    "etikett",
    "danke",
    "hallo",
    "bitte",
];

/// The model's say is worth at most this many word points.
const MODEL_CAP: f64 = 3.0;

/// Decides a message's language. Three kinds of evidence, one point per word at most:
/// German and English function words and the words of the phrases matched (`votes`);
/// words with umlauts (German); and a language-identification model (lingua, with
/// only the German and English models), whose log-odds count as points (more for
/// longer messages, at most [`MODEL_CAP`]). An explicit request ("can we speak
/// English?") decides. Confident when one language has at least two points and more
/// than twice the other's (three times, to switch away from the conversation's
/// language `history`); one word alone ("ja", "thanks") only leans.
pub fn detect(text: &str, tokens: &[Token], votes: &[Vote], history: Option<Locale>) -> Verdict {
    if let Some(l) = requested(tokens) {
        return Verdict::Confident(l);
    }
    let (mut de, mut en) = (0f64, 0f64);
    for (i, t) in tokens.iter().enumerate() {
        let w = t.text.as_str();
        // The letter of an order number ("A-100234") is no article.
        if w.len() == 1 && tokens.get(i + 1).is_some_and(|n| n.number) {
            continue;
        }
        let is_de = GERMAN.contains(&w) || DOMAIN_DE.contains(&w);
        let is_en = ENGLISH.contains(&w) || DOMAIN_EN.contains(&w);
        if is_de || is_en {
            de += f64::from(u8::from(is_de));
            en += f64::from(u8::from(is_en));
        } else if let Some(v) = votes.iter().find(|v| v.word == w) {
            match v.lang {
                Locale::De => de += 1.0,
                Locale::En => en += 1.0,
            }
        }
    }
    let umlaut_words = text
        .split_whitespace()
        .filter(|w| w.chars().any(|c| "äöüÄÖÜß".contains(c)))
        .count();
    de += umlaut_words.min(3) as f64;
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|w| {
            !w.chars()
                .any(|c| c.is_ascii_digit() || c == '@' || c == '/')
        })
        .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_string())
        .filter(|w| w.chars().count() >= 2 && !NEUTRAL.contains(&w.to_lowercase().as_str()))
        .collect();
    if !words.is_empty() {
        let clean = words.join(" ");
        let p_de = DETECTOR.compute_language_confidence(clean.as_str(), Language::German);
        let p_en = DETECTOR.compute_language_confidence(clean.as_str(), Language::English);
        if p_de > 0.0 && p_en > 0.0 {
            let weight = match words.len() {
                1 => 0.5,
                2 => 1.0,
                _ => 1.5,
            };
            let model = ((p_en / p_de).ln() * weight).clamp(-MODEL_CAP, MODEL_CAP);
            if model > 0.0 {
                en += model;
            } else {
                de -= model;
            }
        }
    }
    let (winner, w, l) = if de >= en {
        (Locale::De, de, en)
    } else {
        (Locale::En, en, de)
    };
    let margin = if history.is_some_and(|h| h != winner) {
        3.0
    } else {
        2.0
    };
    let several_words = tokens
        .iter()
        .filter(|t| !t.number && t.text.len() > 1)
        .count()
        >= 2;
    if (w - l).abs() < 0.25 {
        Verdict::Unknown
    } else if several_words && w >= 2.0 && w > margin * l {
        Verdict::Confident(winner)
    } else {
        Verdict::Leaning(winner)
    }
}

/// "can we speak English", "English please", "auf Deutsch bitte", "sprechen Sie
/// Deutsch?": a language name next to a word of asking or speaking.
pub fn requested(tokens: &[Token]) -> Option<Locale> {
    const ASKING: &[&str] = &[
        "speak",
        "talk",
        "write",
        "in",
        "please",
        "switch",
        "sprechen",
        "sprichst",
        "sprecht",
        "reden",
        "schreiben",
        "auf",
        "bitte",
        "kannst",
        "koennen",
        "koennt",
        "can",
        "do",
        "you",
    ];
    const NOT: &[&str] = &[
        "dont", "don", "not", "no", "cant", "cannot", "kein", "keine", "nicht", "kaum",
    ];
    let mut found = None;
    for (i, t) in tokens.iter().enumerate() {
        let lang = match t.text.as_str() {
            "english" | "englisch" | "englich" => Locale::En,
            "deutsch" | "german" | "deutsh" => Locale::De,
            _ => continue,
        };
        let near = tokens[i.saturating_sub(3)..tokens.len().min(i + 3)]
            .iter()
            .any(|n| ASKING.contains(&n.text.as_str()));
        // "I don't speak German", "ich spreche kein Englisch": the other language.
        let negated = tokens[i.saturating_sub(3)..i]
            .iter()
            .any(|n| NOT.contains(&n.text.as_str()));
        if negated {
            found = Some(match lang {
                Locale::De => Locale::En,
                Locale::En => Locale::De,
            });
        } else if near {
            found = Some(lang);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::nlu::normalize::tokenize;

    fn verdict(text: &str) -> Verdict {
        detect(text, &tokenize(text), &[], None)
    }

    #[test]
    fn function_words_decide_a_full_sentence() {
        assert_eq!(verdict("wo ist mein Paket"), Verdict::Confident(Locale::De));
        assert_eq!(
            verdict("where is my parcel"),
            Verdict::Confident(Locale::En)
        );
    }

    #[test]
    fn umlauts_count_for_german() {
        assert_eq!(
            verdict("Rückerstattung Größe"),
            Verdict::Confident(Locale::De)
        );
    }

    #[test]
    fn numbers_and_ok_say_nothing() {
        assert_eq!(verdict("A-100234 33100"), Verdict::Unknown);
        assert_eq!(verdict("ok"), Verdict::Unknown);
    }

    #[test]
    fn one_word_only_leans() {
        assert_eq!(verdict("ja"), Verdict::Leaning(Locale::De));
        assert_eq!(verdict("thanks"), Verdict::Leaning(Locale::En));
    }

    #[test]
    fn an_explicit_request_wins_over_the_words_around_it() {
        assert_eq!(
            verdict("Sorry, can we speak English?"),
            Verdict::Confident(Locale::En)
        );
        assert_eq!(
            verdict("Können wir bitte Englisch sprechen?"),
            Verdict::Confident(Locale::En)
        );
        assert_eq!(
            verdict("Do you speak German?"),
            Verdict::Confident(Locale::De)
        );
    }

    #[test]
    fn not_speaking_a_language_asks_for_the_other() {
        assert_eq!(
            verdict("sorry, I don't speak German. order A-100283 zip 20095"),
            Verdict::Confident(Locale::En)
        );
        assert_eq!(
            verdict("Ich spreche leider kein Englisch"),
            Verdict::Confident(Locale::De)
        );
        assert_eq!(
            verdict("I do not speak German well"),
            Verdict::Confident(Locale::En)
        );
    }

    #[test]
    fn a_short_clear_english_message_switches_a_german_conversation() {
        let text = "order H-5040 postcode 69117";
        assert_eq!(
            detect(text, &tokenize(text), &[], Some(Locale::De)),
            Verdict::Confident(Locale::En)
        );
    }

    #[test]
    fn one_word_of_the_other_language_does_not_switch() {
        let text = "thanks";
        assert!(!matches!(
            detect(text, &tokenize(text), &[], Some(Locale::De)),
            Verdict::Confident(_)
        ));
    }
}
