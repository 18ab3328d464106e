//! WhatsApp Cloud API and Messenger Platform: what arrives (pure parsing of Meta's
//! webhook payloads in [`whatsapp`] and [`messenger`]), how it is processed after it
//! was stored ([`inbox`]), and how replies leave through the durable [`outbox`].
//! The pure parts (signatures, parsing, payload building) do no I/O.

pub mod email;
pub mod inbox;
pub mod links;
pub mod messenger;
pub mod outbox;
pub mod whatsapp;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::Locale;

/// A Meta channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    WhatsApp,
    Messenger,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WhatsApp => "whatsapp",
            Channel::Messenger => "messenger",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "whatsapp" => Some(Channel::WhatsApp),
            "messenger" => Some(Channel::Messenger),
            _ => None,
        }
    }
}

/// Checks `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body bytes with
/// the app secret, compared in constant time.
pub fn signature_is_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header
        .map(str::trim)
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h.trim()).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The signature header value for a body (for fakes and tests of senders).
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The suggested-action ids a button or quick reply may carry (docs/evals.md).
pub const ACTION_IDS: &[&str] = &[
    "callback",
    "redelivery",
    "replacement",
    "investigation",
    "return_label",
    "handoff",
    "confirm",
    "decline",
];

/// What a customer sent, as the conversation service takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Text(String),
    /// A suggested action pressed (reply button, list row, quick reply, postback).
    Action(String),
    /// An image, audio, location, sticker, …: the kind, for the record.
    Unsupported(String),
}

/// A button's payload: an action when it names one, else the words on the button.
pub(crate) fn action_or_text(payload: Option<&str>, title: Option<&str>) -> Option<Content> {
    match (payload, title) {
        (Some(p), _) if ACTION_IDS.contains(&p) => Some(Content::Action(p.to_string())),
        (_, Some(t)) if !t.trim().is_empty() => Some(Content::Text(t.trim().to_string())),
        (Some(p), _) if !p.trim().is_empty() => Some(Content::Text(p.trim().to_string())),
        _ => None,
    }
}

/// One customer message from a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundMessage {
    /// The channel's message id (wamid, mid): redeliveries are recognised by it.
    pub id: String,
    /// Whom to answer: the wa_id, the WhatsApp business-scoped user id, or the PSID.
    pub sender: String,
    /// WhatsApp: the sender's phone number (E.164) when the payload shows it.
    pub phone: Option<String>,
    /// The business account addressed: WhatsApp phone_number_id, Messenger page id.
    pub account: Option<String>,
    /// When the customer sent it (ms since the epoch).
    pub sent_ms: i64,
    pub content: Content,
}

/// The delivery state of an outbound message, as Meta reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryState {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Read => "read",
            DeliveryState::Failed => "failed",
        }
    }
    /// Statuses arrive in any order ("read" before "delivered"): a row only moves
    /// forward. `None`: the stored status is not one a report may change.
    fn rank(status: &str) -> Option<u8> {
        match status {
            // Sent, but the answer with its id was lost: any report settles it.
            "unknown" => Some(0),
            "sending" | "sent" => Some(1),
            "delivered" => Some(2),
            "read" => Some(3),
            _ => None,
        }
    }
    /// The status a row with `current` status takes after this report, if it changes.
    pub fn apply_to(self, current: &str) -> Option<&'static str> {
        let now = Self::rank(current)?;
        match self {
            DeliveryState::Failed => Some("failed"),
            s => {
                let new = Self::rank(s.as_str())?;
                (new > now).then_some(s.as_str())
            }
        }
    }
}

/// A delivery report for a message Verity sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    pub state: DeliveryState,
    /// Meta's error code and title on failure (never message text).
    pub error: Option<String>,
    /// What Verity attached to the send and Meta hands back (WhatsApp's
    /// `biz_opaque_callback_data`): the outbox row's id.
    pub callback: Option<String>,
}

/// Everything one webhook delivery carries that Verity acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Message(InboundMessage),
    Status(StatusUpdate),
    /// Messenger: the user read everything sent to them up to the watermark.
    ReadUpTo {
        recipient: String,
        watermark_ms: i64,
    },
    /// Something skipped on purpose (echoes of our own messages, unknown fields), by kind.
    Ignored(&'static str),
}

/// The polite answer to a message Verity cannot read (images, voice, stickers, …).
pub fn only_text_reply(locale: Locale) -> String {
    crate::assistant::reply::render_reply("only_text", locale, minijinja::context! {})
}

/// The answer to a message over `VERITY_MESSAGE_MAX_CHARS`: shorten it, please.
pub fn too_long_reply(locale: Locale, max: usize) -> String {
    crate::assistant::reply::render_reply("too_long", locale, minijinja::context! { max })
}

/// The kind a message over the shared length limit is stored as: the engine never
/// reads it (the same limit the web chat answers with 413).
pub const TOO_LONG: &str = "too_long";

/// A text over `max` characters becomes unreadable content of the kind [`TOO_LONG`].
pub fn bound_length(content: Content, max: usize) -> Content {
    match content {
        Content::Text(t) if t.chars().count() > max => Content::Unsupported(TOO_LONG.into()),
        c => c,
    }
}

/// Cuts a title to `max` characters, with an ellipsis when something was cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits a text into parts of at most `max` characters, at a paragraph, line or word
/// break where possible.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max {
        let cut_byte = rest
            .char_indices()
            .nth(max)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let window = &rest[..cut_byte];
        let at = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(cut_byte);
        parts.push(rest[..at].trim_end().to_string());
        rest = rest[at..].trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_bytes() {
        let body = br#"{"object":"page","entry":[]}"#;
        let header = sign("app-secret", body);
        assert!(header.starts_with("sha256="));
        assert!(signature_is_valid("app-secret", body, Some(&header)));
        assert!(signature_is_valid(
            "app-secret",
            body,
            Some(&header.to_uppercase().replace("SHA256=", "sha256="))
        ));
        assert!(!signature_is_valid("other-secret", body, Some(&header)));
        assert!(!signature_is_valid("app-secret", b"{ }", Some(&header)));
        assert!(!signature_is_valid("app-secret", body, None));
        assert!(!signature_is_valid("app-secret", body, Some("sha1=abc")));
        assert!(!signature_is_valid("app-secret", body, Some("sha256=zz")));
    }

    #[test]
    fn delivery_states_only_move_forward() {
        assert_eq!(DeliveryState::Delivered.apply_to("sent"), Some("delivered"));
        assert_eq!(DeliveryState::Read.apply_to("sent"), Some("read"));
        assert_eq!(DeliveryState::Delivered.apply_to("read"), None);
        assert_eq!(DeliveryState::Sent.apply_to("delivered"), None);
        assert_eq!(DeliveryState::Failed.apply_to("sent"), Some("failed"));
        assert_eq!(DeliveryState::Read.apply_to("dead"), None);
    }

    #[test]
    fn long_texts_split_at_breaks_within_the_limit() {
        let text = format!("{}\n\n{}", "a ".repeat(30).trim(), "b".repeat(50));
        let parts = split_text(&text, 40);
        assert!(parts.iter().all(|p| p.chars().count() <= 40), "{parts:?}");
        assert_eq!(parts.concat().replace(' ', "").len(), 30 + 50);
        assert_eq!(split_text("kurz", 40), vec!["kurz"]);
        assert_eq!(clip("Rückruf vereinbaren lassen", 20).chars().count(), 20);
        assert_eq!(clip("Ja", 20), "Ja");
    }

    #[test]
    fn buttons_map_to_actions_or_their_words() {
        assert_eq!(
            action_or_text(Some("callback"), Some("Rückruf")),
            Some(Content::Action("callback".into()))
        );
        assert_eq!(
            action_or_text(Some("GET_STARTED"), Some("Los geht's")),
            Some(Content::Text("Los geht's".into()))
        );
        assert_eq!(action_or_text(None, None), None);
    }
}
