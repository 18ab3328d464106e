//! Phrase patterns of the lexicon and their matching against tokens.
//!
//! A pattern is a space-separated list of steps; a step is a `|`-separated list of
//! alternatives; an alternative ending in `*` matches as a prefix. Consecutive steps
//! may have up to [`MAX_GAP`] other tokens between them, within one sentence:
//! `"wo ist|bleibt paket*|sendung*"` matches "wo ist denn mein Paketchen".
//!
//! Typos: an exact alternative of five or more letters also matches a token within
//! [`normalize::tolerance`] edits; a prefix of six or more letters matches a token whose
//! beginning is within one edit. Tokens that are function words are never fuzzy
//! matches ("there" is not a typo of "where").

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use super::language::is_function_word;
use super::normalize::{Token, tolerance, within_distance};

/// Tokens allowed between two steps of a pattern.
pub const MAX_GAP: usize = 3;

/// Filler words allowed between two steps besides the gap.
const MAX_FILLERS: usize = 2;

/// Words customers put between others that carry no meaning there ("um", "äh", "halt").
/// Not hesitation: whether an answer hesitates is read elsewhere, from its own words.
fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "um" | "umm"
            | "uh"
            | "uhm"
            | "erm"
            | "er"
            | "well"
            | "like"
            | "just"
            | "actually"
            | "basically"
            | "aeh"
            | "aehm"
            | "oehm"
            | "also"
            | "halt"
            | "mal"
            | "eigentlich"
            | "quasi"
            | "sozusagen"
    )
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Alt {
    /// The word and its length in letters.
    Exact(String, usize),
    Prefix(String, usize),
}

/// Every distinct alternative of every pattern compiled, numbered: a message's tokens
/// are compared with each alternative once, however many patterns share it.
static ALT_IDS: LazyLock<Mutex<HashMap<Alt, u32>>> = LazyLock::new(Default::default);

/// How many alternatives [`ALT_IDS`] has numbered (a matcher's memo is sized by it).
static ALT_COUNT: AtomicUsize = AtomicUsize::new(0);

fn alt_id(alt: &Alt) -> u32 {
    let mut ids = ALT_IDS.lock().unwrap_or_else(|p| p.into_inner());
    let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let id = *ids.entry(alt.clone()).or_insert(next);
    ALT_COUNT.store(ids.len(), Ordering::Relaxed);
    id
}

/// A compiled phrase pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Each step's alternatives with their numbers.
    steps: Vec<Vec<(u32, Alt)>>,
    max_gap: usize,
}

/// Where a pattern matched: the indices of the tokens its steps matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub tokens: Vec<usize>,
}

impl Match {
    /// The first matched token.
    pub fn start(&self) -> usize {
        self.tokens.first().copied().unwrap_or(0)
    }
    /// The last matched token.
    pub fn end(&self) -> usize {
        self.tokens.last().copied().unwrap_or(0)
    }
    /// Whether both matched a token in common (gaps do not count).
    pub fn overlaps(&self, other: &Match) -> bool {
        self.tokens.iter().any(|t| other.tokens.contains(t))
    }
}

impl Pattern {
    /// Compiles a pattern written in the syntax of this module's docs. The lexicon's
    /// patterns are written in folded form (lower case, `ae` for `ä`).
    pub fn parse(src: &str) -> Self {
        let steps = src
            .split_whitespace()
            .map(|step| {
                step.split('|')
                    .filter(|a| !a.is_empty())
                    .map(|a| match a.strip_suffix('*') {
                        Some(p) => Alt::Prefix(p.to_string(), p.chars().count()),
                        None => Alt::Exact(a.to_string(), a.chars().count()),
                    })
                    .map(|a| (alt_id(&a), a))
                    .collect()
            })
            .collect();
        Self {
            steps,
            max_gap: MAX_GAP,
        }
    }

    /// The same pattern with its steps next to each other, no words between.
    pub fn tight(self) -> Self {
        Self { max_gap: 0, ..self }
    }

    /// The number of steps: a longer pattern is a more specific one.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// A pattern without steps matches nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every match, one per start token, earliest first.
    pub fn find_all(&self, tokens: &[Token], fuzzy: bool) -> Vec<Match> {
        Matcher::new(tokens).find_all(self, fuzzy)
    }
}

/// Matches patterns against one message's tokens, remembering which token matched
/// which alternative: the lexicon's patterns share many words.
pub struct Matcher<'t> {
    tokens: &'t [Token],
    /// Per (alternative, token): bit 0 exact known, bit 1 exact match, bit 2 fuzzy
    /// known, bit 3 fuzzy match.
    memo: Vec<u8>,
    /// Per alternative, the same bits for "matches some token of the message".
    anywhere: Vec<u8>,
    /// Per token: whether it may be a typo (not a number, not a function word).
    fuzzable: Vec<bool>,
}

impl<'t> Matcher<'t> {
    pub fn new(tokens: &'t [Token]) -> Self {
        let alts = ALT_COUNT.load(Ordering::Relaxed);
        Matcher {
            tokens,
            memo: vec![0; alts * tokens.len()],
            anywhere: vec![0; alts],
            fuzzable: tokens
                .iter()
                .map(|t| !t.number && !is_function_word(&t.text))
                .collect(),
        }
    }

    /// Every match of `pattern`, one per start token, earliest first.
    pub fn find_all(&mut self, pattern: &Pattern, fuzzy: bool) -> Vec<Match> {
        let mut out = Vec::new();
        if pattern.steps.is_empty() {
            return out;
        }
        // Most patterns have a step no word of the message matches: they are done
        // without trying each start token.
        let possible = pattern.steps.iter().all(|step| {
            step.iter()
                .any(|(id, a)| self.matches_anywhere(*id, a, fuzzy))
        });
        if !possible {
            return out;
        }
        let mut picked = Vec::new();
        for start in 0..self.tokens.len() {
            if self.extend(pattern, fuzzy, start, 0, &mut picked) {
                out.push(Match {
                    tokens: std::mem::take(&mut picked),
                });
            }
        }
        out
    }

    fn extend(
        &mut self,
        pattern: &Pattern,
        fuzzy: bool,
        at: usize,
        step: usize,
        picked: &mut Vec<usize>,
    ) -> bool {
        if !pattern.steps[step]
            .iter()
            .any(|(id, a)| self.matches(*id, a, at, fuzzy))
        {
            return false;
        }
        picked.push(at);
        if step + 1 == pattern.steps.len() {
            return true;
        }
        let tokens = self.tokens;
        // Up to `max_gap` words between two steps, and a few fillers on top ("the um
        // others", "letztes also Jahr"): a filler changes no meaning, even in a tight
        // pattern.
        let (mut words, mut fillers) = (0, 0);
        for next in at + 1..tokens.len() {
            if tokens[next].sentence != tokens[at].sentence {
                break;
            }
            if self.extend(pattern, fuzzy, next, step + 1, picked) {
                return true;
            }
            if is_filler(&tokens[next].text) && fillers < MAX_FILLERS {
                fillers += 1;
            } else {
                words += 1;
            }
            if words > pattern.max_gap {
                break;
            }
        }
        picked.pop();
        false
    }

    fn matches_anywhere(&mut self, id: u32, alt: &Alt, fuzzy: bool) -> bool {
        let i = id as usize;
        if i >= self.anywhere.len() {
            self.anywhere.resize(i + 1, 0);
        }
        let (known, yes) = if fuzzy { (4, 8) } else { (1, 2) };
        let m = self.anywhere[i];
        if m & known != 0 {
            return m & yes != 0;
        }
        let result = (0..self.tokens.len()).any(|at| self.matches(id, alt, at, fuzzy));
        self.anywhere[i] = m | known | if result { yes } else { 0 };
        result
    }

    fn matches(&mut self, id: u32, alt: &Alt, at: usize, fuzzy: bool) -> bool {
        let cell = id as usize * self.tokens.len() + at;
        if cell >= self.memo.len() {
            self.memo.resize((id as usize + 1) * self.tokens.len(), 0);
        }
        let (known, yes) = if fuzzy { (4, 8) } else { (1, 2) };
        let m = self.memo[cell];
        if m & known != 0 {
            return m & yes != 0;
        }
        let result = alt_matches(alt, &self.tokens[at].text, fuzzy && self.fuzzable[at]);
        self.memo[cell] = m | known | if result { yes } else { 0 };
        result
    }
}

/// Whether `word` matches `alt`; with typos when `may_fuzz`.
fn alt_matches(alt: &Alt, word: &str, may_fuzz: bool) -> bool {
    match alt {
        Alt::Exact(w, n) => word == w || (may_fuzz && within_distance(word, w, tolerance(*n))),
        Alt::Prefix(p, n) => {
            if word.starts_with(p.as_str()) {
                return true;
            }
            let n = *n;
            if !may_fuzz || n < 6 {
                return false;
            }
            // The token's beginning, one letter shorter, as long, or one longer.
            if word.is_ascii() {
                return (n - 1..=n + 1)
                    .any(|len| len <= word.len() && within_distance(&word[..len], p, 1));
            }
            (n - 1..=n + 1).any(|len| {
                let head: String = word.chars().take(len).collect();
                head.chars().count() == len && within_distance(&head, p, 1)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::nlu::normalize::tokenize;

    fn starts(pattern: &str, text: &str) -> Vec<usize> {
        starts_of(&Pattern::parse(pattern), text)
    }

    fn starts_of(pattern: &Pattern, text: &str) -> Vec<usize> {
        pattern
            .find_all(&tokenize(text), true)
            .iter()
            .map(Match::start)
            .collect()
    }

    #[test]
    fn steps_may_have_a_few_words_between_them() {
        assert_eq!(starts("wo paket*", "wo ist denn mein Paketchen"), [0]);
        assert!(starts("wo paket*", "wo ist denn nun eigentlich mein Paket").is_empty());
    }

    #[test]
    fn a_tight_pattern_allows_no_words_between_steps() {
        let p = Pattern::parse("die andere*").tight();
        assert_eq!(p.find_all(&tokenize("und die andere?"), true).len(), 1);
        assert!(p.find_all(&tokenize("die ganz andere"), true).is_empty());
    }

    #[test]
    fn fillers_between_steps_do_not_break_a_phrase() {
        let p = Pattern::parse("die andere*").tight();
        assert_eq!(starts_of(&p, "und die äh anderen"), vec![1]);
        assert_eq!(starts_of(&p, "und die halt mal anderen"), vec![1]);
        assert!(starts_of(&p, "und die neuen anderen").is_empty());
        let p = Pattern::parse("the other*").tight();
        assert_eq!(starts_of(&p, "what about the um others"), vec![2]);
    }

    #[test]
    fn steps_do_not_reach_across_sentences() {
        assert!(starts("zugestellt aber", "Zugestellt. Aber gut").is_empty());
    }

    #[test]
    fn alternatives_and_prefixes_match() {
        assert_eq!(starts("wo ist|bleibt", "und wo bleibt das"), [1]);
        assert_eq!(starts("storn*", "bitte stornieren"), [1]);
    }

    #[test]
    fn long_keywords_tolerate_typos_and_short_ones_do_not() {
        assert_eq!(starts("kaputt", "kaput angekommen"), [0]);
        assert_eq!(
            starts("rueckerstattung", "wo bleibt die rueckerstatung"),
            [3]
        );
        assert!(starts("nein", "nain").is_empty());
        assert_eq!(starts("beschaedig*", "bechaedigt"), [0]);
    }

    #[test]
    fn function_words_are_never_typos_of_keywords() {
        assert!(starts("where", "there it is").is_empty());
        assert_eq!(starts("where", "whre is it"), [0]);
    }

    #[test]
    fn fuzzy_matching_can_be_switched_off() {
        let p = Pattern::parse("delivered");
        assert!(p.find_all(&tokenize("delivery"), false).is_empty());
        assert_eq!(p.find_all(&tokenize("delivered"), false).len(), 1);
    }
}
