//! Help articles for general questions (`search_help`): a few short texts in German and
//! English, embedded from `prompts/help/`, found by keywords. Pure.

use serde::Serialize;
use std::sync::LazyLock;

use crate::assistant::nlu::normalize::{tolerance, within_distance};
use crate::domain::Locale;

/// One article in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Article {
    pub id: String,
    pub title_de: String,
    pub title_en: String,
    pub text_de: String,
    pub text_en: String,
    keywords_de: Vec<String>,
    keywords_en: Vec<String>,
}

impl Article {
    pub fn title(&self, l: Locale) -> &str {
        match l {
            Locale::De => &self.title_de,
            Locale::En => &self.title_en,
        }
    }
    pub fn text(&self, l: Locale) -> &str {
        match l {
            Locale::De => &self.text_de,
            Locale::En => &self.text_en,
        }
    }
}

const SOURCES: &[(&str, &str)] = &[
    (
        "delivery_times",
        include_str!("../../prompts/help/delivery_times.md"),
    ),
    ("returns", include_str!("../../prompts/help/returns.md")),
    (
        "replacements",
        include_str!("../../prompts/help/replacements.md"),
    ),
    ("callbacks", include_str!("../../prompts/help/callbacks.md")),
    ("privacy", include_str!("../../prompts/help/privacy.md")),
];

/// Parses one article file: a front matter of `key: value` lines between `---`, then a
/// `de:` and an `en:` paragraph.
fn parse(name: &str, src: &str) -> Result<Article, String> {
    let rest = src
        .strip_prefix("---\n")
        .ok_or_else(|| format!("{name}: no front matter"))?;
    let (front, body) = rest
        .split_once("\n---\n")
        .ok_or_else(|| format!("{name}: front matter not closed"))?;
    let field = |text: &str, key: &str| -> Result<String, String> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| format!("{name}: missing {key}"))
    };
    let list = |v: String| -> Vec<String> {
        v.split(',')
            .map(|k| fold(k.trim()))
            .filter(|k| !k.is_empty())
            .collect()
    };
    Ok(Article {
        id: field(front, "id")?,
        title_de: field(front, "title_de")?,
        title_en: field(front, "title_en")?,
        keywords_de: list(field(front, "keywords_de")?),
        keywords_en: list(field(front, "keywords_en")?),
        text_de: field(body, "de")?,
        text_en: field(body, "en")?,
    })
}

/// Lower case with umlauts folded, so "Rücksendung" and "ruecksendung" meet.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.to_lowercase().chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

static ARTICLES: LazyLock<Vec<Article>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .filter_map(|(name, src)| match parse(name, src) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::error!(error = e, "a help article does not parse");
                None
            }
        })
        .collect()
});

/// Every article.
pub fn articles() -> &'static [Article] {
    &ARTICLES
}

/// Whether a one-word keyword is in the question with a typo: a word of the question,
/// or the start of one (German compounds: "Liferzeiten"), within the edit distance the
/// keyword's length tolerates (none below five letters).
fn typo_hit(words: &[Vec<char>], keyword: &str) -> bool {
    let k: Vec<char> = keyword.chars().collect();
    let tol = tolerance(k.len());
    if tol == 0 || k.contains(&' ') {
        return false;
    }
    let kw: String = k.iter().collect();
    words.iter().any(|w| {
        (k.len().saturating_sub(tol)..=k.len() + tol)
            .filter(|&n| n >= 4 && n <= w.len())
            .any(|n| within_distance(&w[..n].iter().collect::<String>(), &kw, tol))
    })
}

/// The articles that match the question best (at most `limit`), by how many of their
/// keywords (in either language) occur in it, a keyword with a typo too.
pub fn search(query: &str, limit: usize) -> Vec<&'static Article> {
    let q = fold(query);
    let words: Vec<Vec<char>> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().collect())
        .collect();
    let mut scored: Vec<(usize, &Article)> = ARTICLES
        .iter()
        .map(|a| {
            let hits = a
                .keywords_de
                .iter()
                .chain(a.keywords_en.iter())
                .filter(|k| q.contains(k.as_str()) || typo_hit(&words, k))
                .map(|k| k.len())
                .sum();
            (hits, a)
        })
        .filter(|(s, _)| *s > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    scored.into_iter().take(limit).map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_article_parses_in_both_languages() {
        for (name, src) in SOURCES {
            let a = parse(name, src).unwrap();
            assert_eq!(&a.id, name);
            assert!(!a.text_de.is_empty() && !a.text_en.is_empty());
        }
        assert_eq!(articles().len(), SOURCES.len());
    }

    #[test]
    fn every_article_passes_the_grounding_check_without_order_data() {
        // An article states no fact about a parcel ("ist es nicht angekommen" read as a
        // delivery status once, and the returns answer was replaced by "not understood");
        // its own hours and periods are supported by the search_help result.
        for a in articles() {
            for locale in [Locale::De, Locale::En] {
                let mut evidence =
                    crate::assistant::grounding::Evidence::new(chrono_tz::Europe::Berlin);
                evidence.add_tool_result(&serde_json::json!({"articles": [
                    {"id": a.id, "title": a.title(locale), "text": a.text(locale)}
                ]}));
                let v = crate::assistant::grounding::check(a.text(locale), &evidence, locale);
                assert!(v.passed, "{} ({locale:?}): {:?}", a.id, v.claims);
            }
        }
    }

    #[test]
    fn questions_find_their_article_in_german_and_english() {
        let first = |q: &str| search(q, 1).first().map(|a| a.id.as_str());
        assert_eq!(
            first("Wie lange dauert die Lieferung?"),
            Some("delivery_times")
        );
        assert_eq!(
            first("Wo bekomme ich ein Rücksendeetikett?"),
            Some("returns")
        );
        assert_eq!(first("How do I return something?"), Some("returns"));
        assert_eq!(
            first("when are you open, can you call me"),
            Some("callbacks")
        );
        assert_eq!(
            first("Warum wollen Sie meine Postleitzahl?"),
            Some("privacy")
        );
        assert!(search("Wie ist das Wetter?", 2).is_empty());
    }

    #[test]
    fn a_topic_word_with_a_typo_still_finds_its_article() {
        let first = |q: &str| search(q, 1).first().map(|a| a.id.as_str());
        assert_eq!(first("wie sind die liferzeiten"), Some("delivery_times"));
        assert_eq!(
            first("wo bekomme ich ein rucksendeetikett"),
            Some("returns")
        );
        assert_eq!(first("how do I retrun something"), Some("returns"));
        assert_eq!(
            first("was passiert mit meinen Datn, Datenschutz?"),
            Some("privacy")
        );
        // Short words tolerate nothing: "Wetter" is not "retter", nothing is found.
        assert!(search("Wie ist das Wetter heute?", 2).is_empty());
    }
}
