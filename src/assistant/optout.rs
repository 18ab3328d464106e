//! "STOP" and "START" in a chat: the customer switches the notices Verity sends first off
//! or on again, on every channel and whichever engine answers (the NLU's
//! [`Intent::Notices`] decides, before any engine). The choice is the person's: the
//! verified customer or contact of the conversation, with the same flag the email's
//! unsubscribe link sets ([`crate::notices::opt_out`]). An unverified sender on WhatsApp
//! or Messenger is recorded for their chat address ([`crate::notices::address_key`]), so
//! no notice goes to that address; "START" clears both. An unverified web chat has no
//! one to record it for: the customer is asked to verify first. A message that asks more
//! besides ("STOP" in a longer message is not a keyword, but "keine Nachrichten mehr,
//! und wo ist mein Paket?") gets the confirmation and then the answer to the rest.

use super::nlu::Intent;
use super::offline::TurnInput;
use super::reply::EngineReply;
use crate::domain::Locale;
use crate::notices;
use crate::store::Store;
use crate::store::conversations::ConversationRow;

/// Whether the customer's text switches notices off (`Some(false)`) or on.
pub fn asked(input: &TurnInput) -> Option<bool> {
    match input {
        TurnInput::Text { signals, .. } => match signals.intents.first() {
            Some(Intent::Notices { on }) => Some(*on),
            _ => None,
        },
        TurnInput::Action(_) => None,
    }
}

/// Takes the notices intent out of the message and tells whether it asks more than
/// that ("keine Nachrichten mehr, aber wo ist mein Paket?"): then the engines answer
/// the rest, after the confirmation. Courtesies ("danke", "hallo") are not more.
pub fn rest_asked(input: &mut TurnInput) -> bool {
    let TurnInput::Text { signals, .. } = input else {
        return false;
    };
    signals
        .intents
        .retain(|i| !matches!(i, Intent::Notices { .. }));
    let more = signals.intents.iter().any(|i| {
        !matches!(
            i,
            Intent::Thanks
                | Intent::Greeting
                | Intent::Goodbye
                | Intent::Yes
                | Intent::No
                | Intent::Unknown
        )
    });
    if signals.intents.is_empty() {
        signals.intents.push(Intent::Unknown);
    }
    more
}

/// Records the choice and words the confirmation (`prompts/notices/`), in `locale`.
pub async fn answer(
    store: &Store,
    conv: &ConversationRow,
    on: bool,
    locale: Locale,
    now_ms: i64,
) -> anyhow::Result<EngineReply> {
    let channel = conv.channel.as_str();
    let address = match (channel, conv.external_id.as_deref()) {
        ("whatsapp" | "messenger", Some(id)) => Some(notices::address_key(channel, id)),
        _ => None,
    };
    let person = conv.customer_id.as_deref();
    let part = match (on, person, address.as_deref()) {
        (_, None, None) => "chat_opt_unverified",
        (false, Some(p), _) | (false, None, Some(p)) => {
            notices::opt_out(store, p, channel, now_ms).await?;
            "chat_opted_out"
        }
        (true, _, _) => {
            for key in person.into_iter().chain(address.as_deref()) {
                notices::opt_in(store, key, channel, now_ms).await?;
            }
            "chat_opted_in"
        }
    };
    tracing::info!(conversation.id = %conv.id, channel, on, verified = person.is_some(), "notices chosen in the chat");
    Ok(EngineReply {
        text: notices::text(part, locale),
        language: locale,
        ..EngineReply::default()
    })
}
