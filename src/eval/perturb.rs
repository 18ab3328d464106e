//! `verity eval --perturb`: every scenario once more with its customer texts written as
//! customers write: lower case, a typo in a longer word, a filler word, punctuation
//! dropped, a greeting before the first message. Deterministic (seeded by the
//! scenario's id and the turn), so a failure can be run again. Entities are never
//! touched (a token with a digit — order and tracking numbers, postcodes, dates, times
//! — an email address, a link), nor are yes/no answers' meaning: a short answer ("ja,
//! bitte", "nein danke", "yes") only loses its capitals and punctuation (not a question
//! mark: "ja?" asks back, "ja" agrees), and the words
//! that carry yes, no or a negation are never misspelt. Pure.

use super::scenario::Scenario;

/// Words whose spelling carries a yes, a no or a negation: never misspelt.
const MEANING: &[&str] = &[
    "ja", "jawohl", "jap", "nein", "nee", "nö", "nicht", "nichts", "kein", "keine", "keinen",
    "keiner", "keinem", "nie", "niemals", "doch", "okay", "ok", "yes", "yeah", "yep", "no", "nope",
    "not", "never", "none", "nothing", "don't", "dont", "doesn't", "didn't", "isn't", "wasn't",
    "haven't", "hasn't", "won't", "can't", "cannot",
];

/// Answers of at most this many words are only lower-cased and stripped of punctuation.
const SHORT_ANSWER_WORDS: usize = 3;

/// A small deterministic generator (SplitMix64), seeded per text.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Self {
        // FNV-1a of the seed text.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Whether a token is an entity that must stay as written.
fn is_entity(token: &str) -> bool {
    token.chars().any(|c| c.is_ascii_digit())
        || token.contains('@')
        || token.contains("://")
        || token.starts_with("www.")
}

/// Whether the text reads as German (for the filler and the greeting).
fn german(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "ist",
        "mein",
        "meine",
        "und",
        "nicht",
        "wo",
        "ich",
        "das",
        "die",
        "der",
        "bitte",
        "hallo",
        "ja",
        "nein",
        "danke",
        "paket",
        "bestellung",
        "wann",
        "kann",
        "sie",
        "mir",
    ];
    text.chars().any(|c| "äöüßÄÖÜ".contains(c))
        || text
            .split(|c: char| !c.is_alphabetic())
            .any(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

/// Drops the punctuation around and inside a word (not an entity's).
fn strip_punctuation(token: &str) -> String {
    token
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '.' | ',' | '!' | '?' | ';' | ':' | '¿' | '¡' | '„' | '“' | '"'
            )
        })
        .collect()
}

/// Swaps two neighbouring letters inside the word (never its first or last letter).
fn typo(word: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 5 {
        return word.to_string();
    }
    // Neighbours that differ, so the swap changes the word.
    let at: Vec<usize> = (1..chars.len() - 2)
        .filter(|&i| chars[i] != chars[i + 1])
        .collect();
    if at.is_empty() {
        return word.to_string();
    }
    let i = at[rng.below(at.len())];
    let mut out = chars.clone();
    out.swap(i, i + 1);
    out.into_iter().collect()
}

/// One customer text, perturbed; `first` adds a greeting before it.
pub fn perturb_text(text: &str, seed: &str, first: bool) -> String {
    let mut rng = Rng::new(seed);
    let de = german(text);
    let mut words: Vec<String> = text
        .split_whitespace()
        .map(|t| {
            if is_entity(t) {
                // Only the punctuation after an entity goes ("A-100234," → "A-100234").
                t.trim_end_matches([',', '.', '!', '?', ';', ':'])
                    .to_string()
            } else {
                strip_punctuation(&t.to_lowercase())
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    let short = words.len() <= SHORT_ANSWER_WORDS;
    if short && text.trim_end().ends_with('?') {
        // A short answer's question mark carries its meaning ("ja?", "sure?").
        if let Some(last) = words.last_mut() {
            last.push('?');
        }
    }
    if !short {
        // A typo in one longer word that carries no yes/no.
        let long: Vec<usize> = (0..words.len())
            .filter(|&i| {
                let w = &words[i];
                w.chars().count() >= 6
                    && w.chars().all(char::is_alphabetic)
                    && !MEANING.contains(&w.as_str())
            })
            .collect();
        if !long.is_empty() {
            let i = long[rng.below(long.len())];
            words[i] = typo(&words[i], &mut rng);
        }
        // A filler word between two words.
        let fillers: &[&str] = if de {
            &["also", "äh", "halt", "mal", "eigentlich"]
        } else {
            &["um", "well", "like", "just", "actually"]
        };
        let filler = fillers[rng.below(fillers.len())];
        let at = 1 + rng.below(words.len());
        words.insert(at.min(words.len()), filler.to_string());
        if first {
            let greeting = if de { "hallo" } else { "hi" };
            let greeted = words.first().is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "hallo" | "hi" | "hello" | "hey" | "moin" | "guten"
                )
            });
            if !greeted {
                words.insert(0, greeting.to_string());
            }
        }
    }
    words.join(" ")
}

/// The scenario with every customer text perturbed; its id says so.
pub fn perturb(s: &Scenario) -> Scenario {
    let mut out = s.clone();
    let mut first = true;
    for (i, turn) in out.turns.iter_mut().enumerate() {
        if let Some(text) = &turn.say {
            turn.say = Some(perturb_text(text, &format!("{}#{i}", s.id), first));
            first = false;
        }
    }
    out.id = format!("{}~perturbed", s.id);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_stay_and_the_rest_is_written_sloppily() {
        let text = "Wo ist meine Bestellung A-100234? Meine Postleitzahl ist 33100, Mail jana@example.org.";
        let p = perturb_text(text, "s#0", true);
        for entity in ["A-100234", "33100", "jana@example.org"] {
            assert!(p.contains(entity), "{entity} in {p}");
        }
        assert!(p.starts_with("hallo "), "{p}");
        assert!(!p.contains('?') && !p.contains(','), "{p}");
        assert_eq!(p, p.to_lowercase().replace("a-100234", "A-100234"));
        assert_ne!(p, text.to_lowercase());
        // One more word (the filler) and the greeting; no word lost.
        assert_eq!(
            p.split_whitespace().count(),
            text.split_whitespace().count() + 2
        );
        // The same seed, the same text; another seed, another.
        assert_eq!(p, perturb_text(text, "s#0", true));
        assert_ne!(p, perturb_text(text, "s#1", true));
    }

    #[test]
    fn yes_and_no_keep_their_meaning() {
        assert_eq!(perturb_text("Ja, bitte!", "x", false), "ja bitte");
        assert_eq!(perturb_text("Nein danke.", "x", true), "nein danke");
        assert_eq!(perturb_text("Yes", "x", false), "yes");
        assert_eq!(perturb_text("Ja?", "x", false), "ja?");
        assert_eq!(perturb_text("Sure?", "x", true), "sure?");
        // In a longer text no yes/no word is misspelt, whatever the seed.
        for seed in 0..200 {
            let p = perturb_text(
                "Nein, das möchte ich nicht, niemals, keinesfalls jetzt",
                &seed.to_string(),
                false,
            );
            for w in ["nein", "nicht", "niemals"] {
                assert!(p.split_whitespace().any(|x| x == w), "{w} in {p}");
            }
        }
    }

    #[test]
    fn a_typo_swaps_two_inner_letters() {
        let mut rng = Rng::new("t");
        let t = typo("Sendungsverfolgung", &mut rng);
        assert_ne!(t, "Sendungsverfolgung");
        assert!(t.starts_with('S') && t.ends_with('g'));
        let mut a: Vec<char> = t.chars().collect();
        let mut b: Vec<char> = "Sendungsverfolgung".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }
}
