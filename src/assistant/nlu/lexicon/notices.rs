//! The notices intent: a customer who wants no more of the messages Verity sends first
//! ("STOP", "keine Nachrichten mehr", "stop sending me messages") or wants them again
//! ("START", "Benachrichtigungen wieder an", "start notices again").
//!
//! Tuned to the kind, not the sentence: a bare keyword counts only as the whole message
//! ("STOP", "Stopp bitte"), never inside one ("stoppen Sie die Sendung" asks to stop a
//! shipment, "the parcel stopped moving" reports one); the phrases need a word for the
//! messages themselves (Nachricht, Benachrichtigung, messages, notifications); and
//! "keine Nachricht mehr" that tells what did not come ("seit Tagen keine Nachricht mehr
//! vom Paketdienst") is a report, unless the message also says what the customer wants
//! ("ich möchte keine Nachrichten mehr erhalten").

use super::Entry;
use super::Lang::{De, En};
use super::e;
use crate::assistant::nlu::Intent::{self, Notices};
use crate::assistant::nlu::normalize::Token;

const OFF: Intent = Notices { on: false };
const ON: Intent = Notices { on: true };

pub static ENTRIES: &[Entry] = &[
    e(
        OFF,
        De,
        &[
            "keine nachricht*|benachrichtigung*|mitteilung*|meldungen|emails|mails|sms|whatsapps|infos mehr",
            "bitte keine nachricht*|benachrichtigung*|mitteilung*",
            "nachricht*|benachrichtigung*|mitteilung* abbestellen|abmelden|abschalten|ausschalten|deaktivieren|stoppen|beenden|aus",
            "abbestellen|abmelden|austragen benachrichtigung*|nachricht*|mitteilung*",
            "nicht mehr benachrichtigen|anschreiben|kontaktieren|anschreibt|schreiben",
            "hoeren|hoert|hoer auf mir|mich zu schreiben|schicken|senden|kontaktieren|benachrichtigen",
        ],
    ),
    e(
        OFF,
        En,
        &[
            "stop sending|texting|messaging|emailing|contacting|notifying|writing|spamming me",
            "stop messages|notifications|notices|texts|emails|updates|alerts",
            "stop sending|the messages|notifications|notices|texts|emails|updates|alerts",
            "no more messages|notifications|notices|texts|emails|updates|alerts",
            "unsubscribe|unsub",
            "opt out",
            "dont message|text|contact|notify|email me",
            "do not message|text|contact|notify|email me",
            "dont want|wanna|need messages|notifications|notices|texts|updates|alerts",
            "dont want|wanna|need messages|notifications|notices|texts|updates|alerts anymore|again",
            "do not want|need messages|notifications|notices|texts|updates|alerts",
            "turn|switch off notifications|messages|notices|alerts|updates",
            "turn|switch notifications|messages|notices|alerts|updates off",
        ],
    ),
    e(
        ON,
        De,
        &[
            "benachrichtigung*|nachricht*|mitteilung* wieder an|einschalten|anschalten|aktivieren|erhalten|bekommen|zulassen|schicken|senden",
            "benachrichtigung* einschalten|anschalten|aktivieren",
            "wieder anmelden|benachrichtigen",
        ],
    ),
    e(
        ON,
        En,
        &[
            "start|resume|restart|enable notices|notifications|messages|alerts|updates",
            "turn|switch on notices|notifications|messages|alerts|updates",
            "turn|switch notices|notifications|messages|alerts|updates on",
            "subscribe again",
            "resubscribe",
            "opt in|back",
            "send me notices|notifications|messages|updates again",
        ],
    ),
];

/// Whole messages that switch notices off or on (with only [`POLITE`] words around).
const KEYWORDS: &[(&[&str], bool)] = &[
    (&["stop"], false),
    (&["stopp"], false),
    (&["stop", "all"], false),
    (&["stopp", "alles"], false),
    (&["unsubscribe"], false),
    (&["abmelden"], false),
    (&["abbestellen"], false),
    (&["start"], true),
    (&["unstop"], true),
    (&["subscribe"], true),
    (&["anmelden"], true),
];

/// Words a keyword message may carry besides its keyword.
const POLITE: &[&str] = &[
    "bitte", "please", "danke", "thanks", "thank", "you", "ok", "okay", "hallo", "hi", "hello",
    "jetzt", "now", "sofort",
];

/// Words that make "keine Nachricht mehr" a report of what did not come.
const REPORTED: &[&str] = &[
    "bekommen", "erhalten", "gekriegt", "bekomme", "bekommt", "kriege", "kam", "kamen", "kommt",
    "kommen", "gekommen", "seit", "vom", "habe", "hab", "hatte", "received", "got", "since",
];

/// Words that make it a wish even so ("ich möchte keine Nachrichten mehr erhalten").
const WISHED: &[&str] = &[
    "bitte", "moechte", "moechten", "mochte", "will", "wollen", "wuensche", "please", "want",
];

/// Settles the notices intent after the phrases matched: a whole-message keyword is
/// the only intent; a switch-off phrase that reads as a report is dropped; a notices
/// intent found otherwise goes first (it is what the message is about).
pub fn settle(tokens: &[Token], intents: &mut Vec<Intent>) {
    let words: Vec<&str> = tokens
        .iter()
        .map(|t| t.text.as_str())
        .filter(|w| !POLITE.contains(w))
        .collect();
    if let Some((_, on)) = KEYWORDS.iter().find(|(k, _)| *k == words.as_slice()) {
        *intents = vec![Notices { on: *on }];
        return;
    }
    let said = |list: &[&str]| tokens.iter().any(|t| list.contains(&t.text.as_str()));
    if intents.contains(&OFF) && said(REPORTED) && !said(WISHED) {
        intents.retain(|i| *i != OFF);
    }
    if let Some(pos) = intents.iter().position(|i| matches!(i, Notices { .. })) {
        let found = intents.remove(pos);
        intents.insert(0, found);
    }
}
