//! Word lists beside the intents: negation, contrast, references to earlier or other
//! orders, prompt injection, and phrases that count only when the bot expects them.

use super::Lang::{Any, De, En};
use super::{Entry, Expectation};
use crate::assistant::nlu::Intent::Yes;

/// A phrase right after one of these (with only [`FILLERS`] between) is negated:
/// "nicht stornieren", "I don't want to cancel", "kein Rückruf".
pub const NEGATORS: &[&str] = &[
    "nicht", "nich", "kein", "keine", "keinen", "nie", "niemals", "not", "dont", "doesnt", "didnt",
    "no", "never", "without", "ohne", "nix", "nichts", "nothing", "havent", "hasnt", "isnt",
    "wasnt", "cant", "wont",
];

/// Words that may stand between a negator and what it negates.
pub const FILLERS: &[&str] = &[
    "will", "moechte", "moechten", "mochte", "want", "wanna", "to", "zu", "need", "needs",
    "brauche", "brauchen", "mehr", "more", "bitte", "please", "doch", "lieber", "erst", "i", "ich",
    "es", "mir", "mich", "das", "die", "den", "der", "ein", "eine", "einen", "a", "an", "the",
    "it", "me", "mal", "yet", "jetzt", "now", "any", "wirklich", "really", "gar", "sofort", "so",
    "mehr", "muss", "must", "have", "wollen", "wuerde", "would",
];

/// "ja, aber …", "yes but …": the yes is a turn of phrase, not consent.
pub const CONTRAST: &[&str] = &[
    "aber",
    "but",
    "allerdings",
    "jedoch",
    "however",
    "though",
    "nur",
    "only",
];

/// Words that may come before a yes or no at the start of a clause ("oh ja", "well no").
pub const INTERJECTIONS: &[&str] = &[
    "oh", "ah", "aeh", "aehm", "also", "na", "naja", "well", "um", "umm", "hmm", "hm", "ok",
    "okay", "ja", "yes", "sorry", "oh", "uh", "aso", "achso", "ach",
];

/// "und die andere Bestellung?", "what about the other one", "my second order".
/// Matched without gaps: "die andere Bestellung", not "die … andere".
pub const REFERS_OTHER: &[&str] = &[
    "die|das|der|den|dem|meine|meiner|meinem|meinen|mein andere*|zweite*",
    "andere* bestellung*|paket*|sendung*|lieferung*|auftrag|order",
    "noch eine|ein bestellung*|paket*|sendung*",
    "the|my|that other|second|2nd",
    "other one|order*|parcel*|package*|delivery|shipment*",
    "another order*|parcel*|package*|delivery|shipment*",
];

/// "das Paket", "die Bestellung", "that one", "it": something said before, unnamed.
/// Matched without gaps, so "der Paketbote" or "the wrong item" is no reference.
pub const REFERS_BACK: &[&str] = &[
    "das|die|der|den|dieses|diese|dieser|diesen paket|pakete|packet|paeckchen|bestellung|bestellungen|sendung|sendungen|lieferung|artikel|ding|teil|zeug|sachen|ware|order",
    "es|ihn|davon|dazu",
    "the|that|this parcel|parcels|package|packages|order|orders|delivery|shipment|item|items|one|thing|stuff|box",
    "it|them",
];

/// Phrases whose "es" / "it" refers to nothing ("gibt es", "how is it going").
pub const NOT_REFERS_BACK: &[&str] = &[
    "gibt es",
    "es gibt",
    "wie geht es",
    "geht es",
    "is it possible|ok|okay",
    "it is possible|ok|okay",
    "make it",
    "thanks for it",
];

/// Attempts to instruct the bot. Matched without typo tolerance, so that "delivery"
/// is not read as "delivered".
pub const INJECTION: &[&str] = &[
    "ignore|disregard|forget|override|bypass rules|instructions|instruction|prompt|policy|policies|guidelines|restrictions|programming",
    "you are now",
    "from now on you",
    "act as",
    "pretend you|to",
    "system prompt|message",
    "developer|admin|god|debug|dan mode",
    "as admin|administrator|developer|root|system",
    "jailbreak*",
    "new instructions",
    "mark|set|change|update it|this|status|order|parcel|package|shipment as|to delivered|refunded|cancelled|canceled|paid",
    "ignorier*|vergiss|missachte|umgehe regeln|anweisungen|anweisung|vorgaben|prompt|richtlinien|instruktionen|programmierung",
    "du bist jetzt|nun|ab",
    "ab jetzt bist|du",
    "als admin|administrator|entwickler|root|system|systemadministrator",
    "systemprompt|systemnachricht",
    "admin modus|mode",
    "adminmodus|entwicklermodus",
    "markiere|setze|aendere|setz|markier status|als|auf zugestellt|erstattet|storniert|bezahlt",
    "tu so als",
    "neue anweisungen",
];

/// Phrases that are answers only when the bot asked a yes/no question.
pub static CONDITIONAL: &[Entry] = &[
    Entry {
        intent: Yes,
        lang: De,
        only_when: Some(Expectation::AwaitingConfirmation),
        patterns: &[
            "bitte",
            "mach",
            "machen",
            "los",
            "gerne bitte",
            "bitte machen",
        ],
    },
    Entry {
        intent: Yes,
        lang: En,
        only_when: Some(Expectation::AwaitingConfirmation),
        patterns: &["please", "do that", "lets do it", "ok please"],
    },
    Entry {
        intent: Yes,
        lang: Any,
        only_when: Some(Expectation::AwaitingConfirmation),
        patterns: &["top", "passt so"],
    },
];

/// "und die anderen beiden?", "what about the others": every other order, not one.
/// Matched without gaps.
pub const REFERS_ALL_OTHERS: &[&str] = &[
    "die|den anderen beiden|zwei|drei|bestellungen|pakete|sendungen",
    "die|den anderen",
    "alle|allen anderen|uebrigen|restlichen",
    "die|den uebrigen|restlichen",
    "the other two|three|ones|orders|parcels|packages|deliveries|shipments",
    "the others|rest",
    "all other|others",
    "other two|three|ones",
];

/// Words that make an answer hesitant: "ja … oder doch nicht", "Ja! Nein, warte.",
/// "yeah actually no", "hmm, not sure".
pub const HESITATION: &[&str] = &[
    "warte",
    "wart",
    "moment",
    "doch nicht|nich",
    "oder",
    "hmm",
    "hm",
    "aeh",
    "aehm",
    "vielleicht",
    "eventuell",
    "weiss nicht|nich",
    "keine ahnung",
    "unsicher",
    "lieber doch",
    "wait",
    "actually",
    "maybe",
    "perhaps",
    "not sure",
    "unsure",
    "dunno",
    "hang on",
    "hold on",
    "or not",
    "umm",
    "erm",
];

/// Words that tie a report to the order or its delivery ("ist kaputt angekommen", "the
/// package was damaged"): without one (or a reference back), a long message about a
/// broken thing may be about something else.
pub const ORDER_CONTEXT: &[&str] = &[
    "angekommen|ankam|kam|kamen|gekommen|geliefert|geschickt|zugestellt|erhalten|bekommen|gekriegt|ausgepackt|ausgeliefert|versandt|verschickt|eingetroffen",
    "paket*|packet*|paeckchen|sendung*|lieferung*|bestell*|ware|karton|verpackung|artikel|ersatz*|lieferschein",
    "arrived|arrive|came|come|delivered|delivery|received|receive|sent|shipped|unpacked|opened",
    "parcel*|package*|order*|box|packaging|shipment*|item*|replacement|purchase*",
    // The one who delivers: "der Kurier war nie da, obwohl ich zuhause war".
    "kurier*|fahrer*|zusteller*|paketbote*|bote|postbote*|courier*|driver*|postman|mailman",
];

/// Words that put a broken or missing thing outside the order: "mein alter
/// Wasserkocher", "my old phone", "letztes Jahr", "zu Hause ist auch kaputt".
pub const OTHER_THING: &[&str] = &[
    "alt|alte|alter|altes|alten|uralt*",
    "frueher|damals|vorher",
    "letztes|letzten jahr|monat|woche",
    "vor jahren|monaten",
    "old|older",
    "last year|month|week",
    "years ago",
    "years old",
    // Somewhere else, or one more broken thing besides: "zu Hause ist auch kaputt".
    "zu hause",
    "zuhause|daheim",
    "auch kaputt|defekt|beschaedigt|kaputtgegangen",
    "at home",
    "also broken|damaged|broke",
    "broken|broke|damaged too",
];

/// Receipt after all: "ist doch noch angekommen", "I got it after all". Not when a
/// negator stands in the message's clause before it, nor in a question.
pub const RECEIVED: &[&str] = &[
    "doch|endlich|inzwischen|mittlerweile|jetzt|nun noch angekommen|gekommen|da|bekommen|erhalten|geliefert",
    "doch|endlich|inzwischen|mittlerweile angekommen|gekommen|da|bekommen|erhalten|geliefert",
    "ist|sind angekommen|eingetroffen",
    "hat sich erledigt",
    "after all",
    "finally arrived|came|here|got",
    "arrived|came eventually|finally|today|yesterday|now",
    "it|parcel|package|order|everything arrived|came",
    "is|has here|arrived",
];
