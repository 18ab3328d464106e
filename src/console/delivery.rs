//! Sending what staff write to the customer's channel.

use crate::store::Store;
use crate::store::conversations::{ConversationRow, MessageRow};

/// How a staff message reached (or did not reach) the customer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Delivery {
    /// Web chat: the stored message is what the widget fetches (`GET …/messages`).
    Web,
    /// Stored, but not sent: this build cannot send on the conversation's channel yet.
    NotSent { channel: String },
}

/// Sends a stored staff message out through the conversation's channel: the one place
/// where console replies leave Verity. The web needs nothing beyond the stored message;
/// WhatsApp and Messenger go through the durable outbox, which is not wired to the
/// console yet, so those messages are reported as not sent (never as sent).
pub async fn deliver_staff_message(
    _store: &Store,
    conversation: &ConversationRow,
    message: &MessageRow,
) -> anyhow::Result<Delivery> {
    match conversation.channel.as_str() {
        "web" => Ok(Delivery::Web),
        other => {
            tracing::warn!(
                conversation.id = %conversation.id,
                message.id = %message.id,
                channel = other,
                "a staff message could not be sent: no delivery for this channel in the console yet"
            );
            Ok(Delivery::NotSent {
                channel: other.to_string(),
            })
        }
    }
}
