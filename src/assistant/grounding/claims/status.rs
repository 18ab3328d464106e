//! Delivery statuses in German and English, and how they are said: as a fact ("Ihr
//! Paket wurde zugestellt", "has been delivered"), or reported from a source — quoted
//! („zugestellt“, "delivered") or attributed ("laut Fahrer nicht angetroffen", "the scan
//! says", "according to the driver"). Negated and future forms are read as such.

use std::sync::LazyLock;

use regex::Regex;

use super::super::ClaimKind;
use super::{Fact, Found, re};

/// A delivery status a reply can state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum St {
    Delivered,
    NotDelivered,
    /// Will be delivered: any status that is not final.
    Pending,
    OutForDelivery,
    InTransit,
    ReadyForPickup,
    AttemptFailed,
    ReturnedToSender,
    InfoReceived,
    Problem,
}

impl St {
    /// The snake_case name, for reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::NotDelivered => "not delivered",
            Self::Pending => "still to be delivered",
            Self::OutForDelivery => "out_for_delivery",
            Self::InTransit => "in_transit",
            Self::ReadyForPickup => "available_for_pickup",
            Self::AttemptFailed => "attempt_failed",
            Self::ReturnedToSender => "returned_to_sender",
            Self::InfoReceived => "info_received",
            Self::Problem => "exception",
        }
    }

    /// Whether a shipment whose current status is `current`, and whose sources said
    /// `said` at some time, is in this status (disputes are the caller's concern).
    pub fn holds(self, current: &str, said: &[&str], said_ever: impl Fn(&str) -> bool) -> bool {
        match self {
            Self::Delivered => current == "delivered",
            Self::NotDelivered => current != "delivered",
            Self::Pending => !matches!(current, "delivered" | "returned_to_sender"),
            Self::OutForDelivery => current == "out_for_delivery",
            Self::InTransit => matches!(current, "in_transit" | "out_for_delivery"),
            Self::ReadyForPickup => current == "available_for_pickup",
            Self::AttemptFailed => current == "attempt_failed" || said.iter().any(|w| said_ever(w)),
            Self::ReturnedToSender => current == "returned_to_sender",
            Self::InfoReceived => current == "info_received",
            Self::Problem => current == "exception",
        }
    }
}

/// How a status is said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Stated as the truth.
    Fact,
    /// Quoted or attributed; the source, when the reply names one (`carrier_scan`,
    /// `driver`, `notification`, `customer`).
    Reported(Option<&'static str>),
}

/// A status claim: what, which source words back it when reported, how it is said, and
/// the quotation it stands in (inner byte range), if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StatusClaim {
    pub st: St,
    /// The `what` values (scan statuses, driver outcomes, notification and customer
    /// claims) a source must have said for the reported form to hold.
    pub said: &'static [&'static str],
    pub mode: Mode,
    pub quote: Option<(usize, usize)>,
}

const DELIVERED: &[&str] = &[
    "delivered",
    "delivered_to_recipient",
    "delivered_to_neighbour",
    "delivered_to_safe_place",
    "delivered_to_parcel_shop",
];
const FAILED: &[&str] = &[
    "attempt_failed",
    "recipient_absent",
    "refused",
    "address_not_found",
    "not_attempted",
    "damaged",
    "exception",
    "not_received",
    "returned_to_sender",
];
const PENDING: &[&str] = &[
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "available_for_pickup",
    "recipient_absent",
];

/// The phrases, most specific first; a later phrase never matches inside an earlier one.
#[rustfmt::skip]
const PHRASES: &[(&str, St, &[&str])] = &[
    (r"an den Absender zurück(?:gesandt|geschickt|gesendet|gegangen)|zurück an den Absender|(?:returned|sent back) to (?:the )?sender|back to the sender", St::ReturnedToSender, &["returned_to_sender"]),
    (r"zur Abholung bereit|abholbereit|Abholung möglich|ready (?:for|to be) pick(?:ed)?[- ]?up|can be picked up|available for pick[- ]?up", St::ReadyForPickup, &["available_for_pickup"]),
    (r"in (?:der )?Zustellung|im Zustellfahrzeug|out for delivery|on the delivery (?:van|vehicle)", St::OutForDelivery, &["out_for_delivery"]),
    (r"unterwegs|auf dem Weg|in transit|on (?:its|the|their) way", St::InTransit, &["in_transit", "out_for_delivery"]),
    (r"(?:Empfänger )?nicht angetroffen|niemanden? angetroffen|(?:recipient )?not at home|nobody (?:was )?(?:at )?home|could not reach you|nicht erreicht", St::AttemptFailed, &["attempt_failed", "recipient_absent"]),
    (r"Zustellversuch gescheitert|gescheiterten? Zustellversuch|delivery attempt failed|failed delivery attempt", St::AttemptFailed, FAILED),
    (r"Annahme verweigert|delivery refused|refused (?:the )?delivery", St::AttemptFailed, &["refused"]),
    (r"Adresse nicht (?:gefunden|auffindbar)|address not found|could not find the address", St::AttemptFailed, &["address_not_found", "exception"]),
    (r"kein Zustellversuch|no delivery attempt", St::AttemptFailed, &["not_attempted"]),
    (r"nicht erhalten|not received|never (?:arrived|received)|nicht angekommen", St::NotDelivered, &["not_received"]),
    (r"persönlich übergeben|an (?:Sie|den Empfänger|die Empfängerin) übergeben|(?:beim|bei (?:Ihrem|einem)) Nachbarn (?:abgegeben|zugestellt)|Abgegeben bei|am Ablageort (?:abgelegt|zugestellt)|Abgelegt am Ablageort|im Paketshop abgegeben|handed (?:over )?(?:to you|to the recipient|in person)|left with|left at (?:the |a )?(?:safe place|parcel shop|neighbour)", St::Delivered, DELIVERED),
    (r"zugestellt|ausgeliefert|geliefert|delivered", St::Delivered, DELIVERED),
    (r"Sendungsdaten übermittelt|shipment data received", St::InfoReceived, &["info_received"]),
    (r"Problem bei der Zustellung|delivery problem", St::Problem, &["exception"]),
];

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PHRASES
        .iter()
        .map(|(p, _, _)| re(&format!(r"(?i)\b(?:{p})\b")))
        .collect()
});
/// All phrases in one pass: which of them occur at all.
static ANY: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new(
        PHRASES
            .iter()
            .map(|(p, _, _)| format!(r"(?i)(?-u:\b)(?:{p})(?-u:\b)")),
    )
    .unwrap_or_else(|e| panic!("the status phrases: {e}"))
});
static SOURCES: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    [
        (
            re(r"(?i)\b(?:Fahrer(?:s|in)?|Zusteller(?:s|in)?|driver(?:'s)?|courier|Kurier|Bote)\b"),
            "driver",
        ),
        (
            re(
                r"(?i)\b(?:Scans?|Sendungsverfolgung|tracking|carrier(?:'s)?|Paketdienst)\b|\b(?:DHL|DPD|Hermes|GLS|UPS|FedEx)\b",
            ),
            "carrier_scan",
        ),
        (
            re(r"(?i)\b(?:Nachricht|E-Mail|Email|message|SMS|notification|Benachrichtigung)\b"),
            "notification",
        ),
        (
            re(
                r"(?i)\b(?:Ihre[rn]? Meldung|your report|you reported|Sie (?:haben )?(?:uns )?gemeldet|Ihren Angaben|Sie (?:schreiben|sagen|sagten|schrieben)|you (?:wrote|said|say|mentioned)|you(?:'ve| have) told us)\b",
            ),
            "customer",
        ),
    ]
});
static MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:laut|meldet|melden|meldete|gemeldet|berichtet|zufolge|schreibt|schreiben|schrieben|sagt|sagen|sagten|gibt an|vermerkt|verzeichnet|Wortlaut|Notiz|Bericht|Meldung|bestätigt|according to|says|said|reports?|reported|records?|recorded|states|stated|shows|showed|claims|claimed|confirms|confirmed|words|note|marked as|wrote|say|mentioned|told)\b",
    )
});
static NEGATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:nicht|not|never|nie|kein|keine)\b|n't\b"));
static FUTURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:wird|werden|will|soll|sollte|should|would|expected|voraussichtlich|geht|goes|go|danach|erneut|again|kann|können|could)\b|'ll\b",
    )
});

/// The quotations of `text` („…“, “…”, "…", ‚…‘, «…»): their inner byte ranges.
pub(crate) fn quotes(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, ch) in text.char_indices() {
        match open {
            None if matches!(ch, '„' | '“' | '"' | '‚' | '«' | '»') => {
                open = Some((ch, i + ch.len_utf8()));
            }
            None => {}
            Some((o, s)) => {
                let closes = match o {
                    '„' => matches!(ch, '“' | '”'),
                    '“' => ch == '”',
                    '"' => ch == '"',
                    '‚' => ch == '‘',
                    '«' => ch == '»',
                    _ => ch == '«',
                };
                if closes {
                    out.push((s, i));
                    open = None;
                } else if ch == '\n' {
                    open = None;
                }
            }
        }
    }
    out
}

/// The clause around `[start, end)`: from the last sentence end, newline or `;` before,
/// to the next after.
pub(crate) fn clause(text: &str, start: usize, end: usize) -> (usize, usize) {
    let from = text[..start]
        .char_indices()
        .rev()
        .find(|&(i, c)| is_break(text, i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let to = text[end..]
        .char_indices()
        .find(|&(i, c)| is_break(text, end + i, c))
        .map_or(text.len(), |(i, _)| end + i);
    (from, to)
}

const ABBREVIATIONS: &[&str] = &[
    "sept", "sep", "okt", "oct", "nov", "dez", "dec", "jan", "feb", "mär", "mar", "apr", "jun",
    "jul", "aug", "mo", "di", "mi", "do", "fr", "sa", "so", "mon", "tue", "wed", "thu", "fri",
    "sat", "sun", "nr", "str", "bzw", "ca", "inkl", "ggf", "evtl", "tel", "z", "b", "dr", "hr",
];

fn is_break(text: &str, i: usize, c: char) -> bool {
    match c {
        '\n' | ';' | '!' | '?' => true,
        '.' => {
            let rest = &text[i + 1..];
            let next = rest.trim_start();
            if next.len() == rest.len() && !rest.is_empty() {
                return false; // `11.09.`, `z.B.`
            }
            if !next.chars().next().is_none_or(char::is_uppercase) {
                return false;
            }
            let word: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let short_number =
                !word.is_empty() && word.len() <= 2 && word.chars().all(|c| c.is_ascii_digit());
            !short_number && !ABBREVIATIONS.contains(&word.to_lowercase().as_str())
        }
        _ => false,
    }
}

/// Every status phrase of `text`, with how it is said.
pub(super) fn find(text: &str) -> Vec<Found> {
    let present = ANY.matches(text);
    if !present.matched_any() {
        return Vec::new();
    }
    let quotes = quotes(text);
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, (pattern, &(_, st, said))) in PATTERNS.iter().zip(PHRASES).enumerate() {
        if !present.matched(i) {
            continue;
        }
        for m in pattern.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            if taken.iter().any(|&(a, b)| s < b && e > a) {
                continue;
            }
            taken.push((s, e));
            if let Some(claim) = read(text, s, e, st, said, &quotes) {
                out.push(Found {
                    kind: ClaimKind::Status,
                    start: s,
                    end: e,
                    fact: Fact::Status(claim),
                });
            }
        }
    }
    out.sort_by_key(|f| f.start);
    out
}

/// Reads one phrase in its context: negated, future, quoted, attributed.
fn read(
    text: &str,
    s: usize,
    e: usize,
    st: St,
    said: &'static [&'static str],
    quotes: &[(usize, usize)],
) -> Option<StatusClaim> {
    let quote = quotes.iter().copied().find(|&(a, b)| a <= s && e <= b);
    // A quotation may hold whole sentences: its clause is the one around all of it.
    let (cs, ce) = quote.map_or_else(|| clause(text, s, e), |(a, b)| clause(text, a, b));
    // The few words before the phrase, within its sub-clause (and its quotation).
    let lead_from = text[cs..s].rfind(',').map_or(cs, |i| cs + i + 1);
    let lead_from = quote.map_or(lead_from, |(a, _)| lead_from.max(a));
    let lead: Vec<&str> = text[lead_from..s].split_whitespace().collect();
    let lead = lead[lead.len().saturating_sub(4)..].join(" ");
    let next_word = text[e..].split_whitespace().next().unwrap_or_default();
    let negated = NEGATION.is_match(&lead);
    let future = FUTURE.is_match(&lead) || matches!(next_word, "werden" | "wird" | "kann" | "soll");
    let (st, said) = match (st, negated, future) {
        (St::Delivered, true, _) => (St::NotDelivered, FAILED),
        (St::Delivered, false, true) => (St::Pending, PENDING),
        (_, false, false) => (st, said),
        _ => return None,
    };
    // The source: the nearest one named before the phrase, else the first after it.
    let before = &text[cs..quote.map_or(s, |(a, _)| a)];
    let after = &text[quote.map_or(e, |(_, b)| b)..ce];
    let last_before = SOURCES
        .iter()
        .filter_map(|(r, name)| r.find_iter(before).last().map(|m| (m.start(), *name)))
        .max_by_key(|&(at, _)| at)
        .map(|(_, n)| n);
    let first_after = || {
        SOURCES
            .iter()
            .filter_map(|(r, name)| r.find(after).map(|m| (m.start(), *name)))
            .min_by_key(|&(at, _)| at)
            .map(|(_, n)| n)
    };
    let source = last_before.or_else(first_after);
    let marked = MARKERS.is_match(before) || MARKERS.is_match(after);
    let mode = if quote.is_some() || (source.is_some() && marked) {
        Mode::Reported(source)
    } else {
        Mode::Fact
    };
    Some(StatusClaim {
        st,
        said,
        mode,
        quote,
    })
}
