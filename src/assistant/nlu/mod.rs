//! Deterministic natural-language understanding for the offline engine: what a customer
//! wants (intents) and what they named (entities), in German and English, tolerant of
//! typos and colloquial phrasing. Pure: no I/O, no clock reads, no randomness.
//!
//! The pipeline of [`understand`]:
//! 1. [`normalize`] folds case, umlauts and repeated letters and cuts the text into
//!    word tokens with sentence and clause marks.
//! 2. [`entities`] extracts order and tracking numbers, postcodes, emails, phones, dates
//!    and times from the text itself (numbers are not words).
//! 3. [`intents`] matches the phrase tables of [`lexicon`] against the tokens (with
//!    typo tolerance and a negation guard), resolves overlaps in favour of the more
//!    specific phrase and orders the intents so that the **first is the main one**.
//! 4. [`language`] weighs German against English function words, umlauts, the matched
//!    phrases and explicit requests ("can we speak English?").
//!
//! The dialogue policy is expected to look at `intents[0]` first, then at the rest;
//! see [`intents`] for the ordering rule.

pub mod entities;
pub mod intents;
pub mod language;
pub mod lexicon;
pub mod normalize;
pub mod pattern;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Locale;

pub use entities::{Entities, TimeMention, TrackingMention};

/// Texts longer than this are cut (at a character boundary) before understanding: chat
/// messages are short, and the cut bounds the work an adversarial message can cause.
pub const MAX_INPUT_CHARS: usize = 4_000;

/// What the bot just asked for; it changes how short answers are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Order number and postcode (or email) were asked for. Reads like no expectation
    /// for now: order numbers and postcodes are recognized in any case.
    AwaitingVerification,
    /// A proposal awaits a yes or no: a bare "bitte" / "please" / "mach das" is a yes.
    AwaitingConfirmation,
    /// Callback or delivery slots were offered: a bare hour ("10", "14") is a time.
    AwaitingSlotChoice,
}

/// What [`understand`] needs beside the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NluContext {
    /// The language of the conversation so far, if any; kept for short or ambiguous
    /// messages.
    pub language: Option<Locale>,
    /// The date relative dates ("morgen", "Monday") are resolved against.
    pub today: NaiveDate,
    /// What the bot just asked for.
    pub expecting: Option<Expectation>,
}

impl NluContext {
    /// A context with nothing asked and no language yet.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            language: None,
            today,
            expecting: None,
        }
    }
}

/// The topic of a general question (one not about a particular order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// How long shipping takes, express, weekend delivery.
    DeliveryTimes,
    /// Return periods and conditions.
    Returns,
    /// How exchanges and replacements work.
    Replacements,
    /// The hotline, when and how the shop calls back.
    Callbacks,
    /// When the service is open.
    OpeningHours,
    /// Ways to pay, invoices, shipping costs, vouchers.
    Payment,
    /// A question none of the above: the dialogue may search the help pages.
    Other,
}

/// A question about one detail of the order or parcel in focus: answered from the truth
/// store, not with the whole status again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Where and until when the parcel can be picked up; "can I pick it up myself?".
    Pickup,
    /// Where exactly it was left: which neighbour, which shop, which place.
    WhereExactly,
    /// When the driver comes again.
    NextAttempt,
    /// Where the (promised) return label is.
    ReturnLabel,
}

/// A request Verity cannot fulfil in the chat; staff can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unable {
    /// Change the delivery address, redirect the parcel.
    ChangeAddress,
    /// Move the delivery to another date.
    ChangeDate,
    /// "Do I have to pay?", charges, payment problems.
    Payment,
    /// An invoice or receipt.
    Invoice,
    /// "I want my money back."
    MoneyBack,
    /// A complaint about the product or the service.
    Complaint,
}

/// What the customer wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Where is my parcel / order; when does it come.
    WhereIsMyParcel,
    /// It never arrived, including "tracking says delivered but nothing is here".
    NotReceived,
    /// Wrong item, size or colour.
    WrongItem,
    /// Arrived broken.
    Damaged,
    /// Later than promised.
    Late,
    /// Where is my refund.
    RefundStatus,
    /// Cancel the order.
    Cancel,
    /// Send something back; a return label.
    Return,
    /// Call me.
    Callback,
    /// Deliver again / on another day.
    Redelivery,
    /// Send a new one.
    Replacement,
    /// Have the carrier look for it (an investigation).
    Investigation,
    /// Talk to a person.
    Human,
    /// A question about one detail of the order in focus.
    Detail {
        detail: Detail,
    },
    /// A request Verity cannot do here.
    CannotDo {
        what: Unable,
    },
    /// "Das ist echt ärgerlich", "this is ridiculous".
    Frustration,
    /// "Sind Sie noch da?", "hello? anyone there?"
    StillThere,
    /// "It came after all", "ist doch noch angekommen": the parcel is there.
    Received,
    /// Agreement: "ja bitte", "passt", "sure".
    Yes,
    /// Refusal: "nein danke", "lieber nicht", "nope".
    No,
    Thanks,
    Greeting,
    Goodbye,
    /// A question not about one order.
    GeneralQuestion {
        topic: Topic,
    },
    /// "STOP", "keine Nachrichten mehr" (`on: false`); "START", "Benachrichtigungen
    /// wieder an" (`on: true`): the notices Verity sends first ([`lexicon::notices`]).
    Notices {
        on: bool,
    },
    /// Nothing matched.
    Unknown,
}

impl Intent {
    /// Answers to a question the bot asked.
    pub fn is_answer(self) -> bool {
        matches!(self, Self::Yes | Self::No)
    }

    /// Politeness that carries no request.
    pub fn is_social(self) -> bool {
        matches!(self, Self::Thanks | Self::Greeting | Self::Goodbye)
    }
}

/// Everything understood about one message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Understanding {
    /// The language to answer in.
    pub language: Locale,
    /// False when the message was too short or mixed to tell; `language` then is the
    /// conversation's (or German).
    pub language_confident: bool,
    /// Never empty; `[Unknown]` when nothing matched. The first is the main intent.
    pub intents: Vec<Intent>,
    pub entities: Entities,
    /// "und die andere Bestellung?", "what about the other one".
    pub refers_to_other: bool,
    /// "das Paket", "that one", "it", with no order or tracking number in the message.
    pub refers_back: bool,
    /// "und die anderen beiden?", "what about the others": every other order.
    pub refers_to_all_others: bool,
    /// An answer that is not a clear yes or no: "ja nein", "ja?", "yeah actually no".
    pub hesitant: bool,
    /// A report (not received, damaged, wrong item) that may not be about the order:
    /// "mein alter Wasserkocher ist kaputt gegangen". The dialogue asks before it records.
    pub report_unsure: bool,
    /// The text tries to instruct the bot ("ignore your rules", "SYSTEM:", "als
    /// Admin"). The dialogue never obeys text; this only lets it know.
    pub injection_suspected: bool,
}

impl Understanding {
    /// The main intent.
    pub fn main_intent(&self) -> Intent {
        self.intents.first().copied().unwrap_or(Intent::Unknown)
    }

    /// Whether `intent` was recognized anywhere in the message.
    pub fn has(&self, intent: Intent) -> bool {
        self.intents.contains(&intent)
    }
}

/// The words of a greeting ("Hallo liebes Team", "good morning").
const GREETING_WORDS: &[&str] = &[
    "hallo",
    "hi",
    "hello",
    "hey",
    "moin",
    "servus",
    "guten",
    "tag",
    "morgen",
    "abend",
    "good",
    "morning",
    "evening",
    "afternoon",
    "liebe",
    "lieber",
    "liebes",
    "team",
    "gruess",
    "gott",
    "there",
    "dear",
];

/// Understands one customer message. Deterministic: the same text and context always
/// give the same result.
pub fn understand(text: &str, ctx: &NluContext) -> Understanding {
    let text = match text.char_indices().nth(MAX_INPUT_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    let tokens = normalize::tokenize(text);
    let entities = entities::extract(text, ctx);
    let found = intents::recognize(&tokens, ctx.expecting);
    let has_number = !entities.order_numbers.is_empty() || !entities.tracking_numbers.is_empty();
    let words = tokens.iter().filter(|t| !t.number).count();

    let mut intents = found.intents;
    lexicon::notices::settle(&tokens, &mut intents);
    // "I got it after all": no report that it has not come.
    let received = found.received
        && !text.contains('?')
        && !intents
            .iter()
            .any(|i| matches!(i, Intent::Damaged | Intent::WrongItem | Intent::Late));
    if received {
        intents.retain(|i| !matches!(i, Intent::NotReceived | Intent::Late));
        if !intents.contains(&Intent::Received) {
            intents.insert(0, Intent::Received);
        }
    }
    // "Das Etikett ist immer noch nicht da": the label is missing, not the parcel.
    if intents.contains(&Intent::Detail {
        detail: Detail::ReturnLabel,
    }) {
        intents.retain(|i| *i != Intent::NotReceived);
    }
    let hesitant = is_hesitant(text, &tokens, &intents, found.hesitation);
    if hesitant {
        intents.retain(|i| !i.is_answer());
    }
    let reports = intents
        .iter()
        .any(|i| matches!(i, Intent::NotReceived | Intent::WrongItem | Intent::Damaged));
    // A report is the customer's about the order unless the message places the broken
    // or missing thing elsewhere ("mein alter Wasserkocher", "my phone, last year", "mein
    // Toaster zu Hause ist auch kaputt") and ties it neither to a delivery ("ist kaputt
    // angekommen") nor to an order it names.
    let tied = found.order_context
        || !entities.order_numbers.is_empty()
        || !entities.tracking_numbers.is_empty();
    let report_unsure = reports && found.other_thing && !tied;
    // "hallo, wie lange habe ich Zeit für eine Rcüksendung": a greeting before words
    // nothing else matched is not just a greeting; the rest was not understood.
    let greeting_before_more = intents == [Intent::Greeting]
        && entities.is_empty()
        && tokens
            .iter()
            .filter(|t| {
                !t.number
                    && !language::is_function_word(&t.text)
                    && !GREETING_WORDS.contains(&t.text.as_str())
            })
            .count()
            >= 3;
    if greeting_before_more {
        intents.clear();
    }
    if intents.is_empty() {
        let question_like = normalize::looks_like_question(text, &tokens);
        // A request to switch language asks for nothing else.
        let bare = entities.is_empty()
            && !found.refers_to_other
            && !found.refers_back
            && language::requested(&tokens).is_none();
        intents.push(if question_like && bare && words >= 3 {
            Intent::GeneralQuestion {
                topic: Topic::Other,
            }
        } else {
            Intent::Unknown
        });
        if greeting_before_more {
            intents.push(Intent::Greeting);
        }
    }

    let verdict = language::detect(text, &tokens, &found.votes, ctx.language);
    let (language, language_confident) = match verdict {
        language::Verdict::Confident(l) => (l, true),
        language::Verdict::Leaning(l) => (ctx.language.unwrap_or(l), false),
        language::Verdict::Unknown => (ctx.language.unwrap_or(Locale::De), false),
    };

    Understanding {
        language,
        language_confident,
        intents,
        entities,
        refers_to_other: found.refers_to_other,
        refers_back: found.refers_back && !found.refers_to_other && !has_number,
        refers_to_all_others: found.refers_to_all_others,
        hesitant,
        report_unsure,
        injection_suspected: found.injection || normalize::has_role_marker(text),
    }
}

/// A yes or no that is not clear: both at once ("ja nein", "ok nein"), a yes asked back
/// ("ja?", "sure?"), or with a word of hesitation ("ja... oder doch nicht", "Ja! Nein,
/// warte.", "yeah actually no"). Only for messages that carry no request.
fn is_hesitant(
    text: &str,
    tokens: &[normalize::Token],
    intents: &[Intent],
    hesitation: bool,
) -> bool {
    const YES: &[&str] = &[
        "ja", "jo", "jep", "jap", "yes", "yeah", "yep", "yup", "ok", "okay", "sure", "klar",
        "gerne", "gern",
    ];
    const NO: &[&str] = &["nein", "nee", "ne", "noe", "no", "nope", "nah"];
    let said = |words: &[&str]| tokens.iter().any(|t| words.contains(&t.text.as_str()));
    let yes = intents.contains(&Intent::Yes);
    let no = intents.contains(&Intent::No);
    if intents
        .iter()
        .any(|i| !(i.is_answer() || i.is_social() || *i == Intent::Unknown))
    {
        return false;
    }
    if !(yes || no) {
        // "hmm, vielleicht", "not sure": no answer either.
        return hesitation && tokens.len() <= 5;
    }
    (yes && no) || (said(YES) && said(NO)) || hesitation || (yes && text.trim_end().ends_with('?'))
}
