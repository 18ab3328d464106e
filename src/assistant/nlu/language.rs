//! German or English: function words, umlauts, the language of the matched phrases, and
//! explicit requests ("Sorry, can we speak English?", "auf Deutsch bitte").

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

/// An explicit request to switch is worth this much: it outweighs the words of the
/// language it is written in ("Können wir Englisch sprechen?" asks for English).
const REQUEST_WEIGHT: usize = 12;

/// Weighs the evidence, one point per word at most: a function word counts for its
/// language, another word for the language of the phrase it matched in; words with
/// umlauts count for German. Confident when one language has at least two points and
/// more than twice the other's, so one word alone ("ja", "thanks") never is.
pub fn detect(text: &str, tokens: &[Token], votes: &[Vote]) -> Verdict {
    let (mut de, mut en) = (0usize, 0usize);
    for (i, t) in tokens.iter().enumerate() {
        let w = t.text.as_str();
        // The letter of an order number ("A-100234") is no article.
        if w.len() == 1 && tokens.get(i + 1).is_some_and(|n| n.number) {
            continue;
        }
        let (is_de, is_en) = (GERMAN.contains(&w), ENGLISH.contains(&w));
        if is_de || is_en {
            de += usize::from(is_de);
            en += usize::from(is_en);
        } else if let Some(v) = votes.iter().find(|v| v.word == w) {
            match v.lang {
                Locale::De => de += 1,
                Locale::En => en += 1,
            }
        }
    }
    let umlaut_words = text
        .split_whitespace()
        .filter(|w| w.chars().any(|c| "äöüÄÖÜß".contains(c)))
        .count();
    de += umlaut_words.min(3);
    match requested(tokens) {
        Some(Locale::De) => de += REQUEST_WEIGHT,
        Some(Locale::En) => en += REQUEST_WEIGHT,
        None => {}
    }
    let (winner, w, l) = if de >= en {
        (Locale::De, de, en)
    } else {
        (Locale::En, en, de)
    };
    if w == l {
        Verdict::Unknown
    } else if w >= 2 && w > 2 * l {
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
        if near {
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
        detect(text, &tokenize(text), &[])
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
    fn phrase_words_count_once_each() {
        let vote = |word: &str| Vote {
            word: word.into(),
            lang: Locale::De,
        };
        let t = tokenize("kaputt");
        assert_eq!(
            detect("kaputt", &t, &[vote("kaputt"), vote("kaputt")]),
            Verdict::Leaning(Locale::De)
        );
        let t = tokenize("kaputt zerbrochen");
        assert_eq!(
            detect("", &t, &[vote("kaputt"), vote("zerbrochen")]),
            Verdict::Confident(Locale::De)
        );
    }
}
