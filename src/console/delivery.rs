//! Sending what staff write to the customer's channel.

use crate::channels::outbox::{self, Outbox, Outgoing};
use crate::store::conversations::{ConversationRow, MessageRow};

/// How a staff message reached (or did not reach) the customer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Delivery {
    /// Web chat: the stored message is what the widget fetches (`GET …/messages`).
    Web,
    /// WhatsApp or Messenger: queued in the durable outbox (as this many messages).
    Queued { messages: usize },
    /// WhatsApp or Messenger outside the 24-hour customer-service window: Meta refuses
    /// free text, so it was not sent (the outbox row says so); staff must reach the
    /// customer another way.
    OutsideWindow,
}

/// Sends a stored staff message out through the conversation's channel: the one place
/// where console replies leave Verity. The web needs nothing beyond the stored message;
/// WhatsApp and Messenger go through the durable outbox, like the bot's replies.
pub async fn deliver_staff_message(
    outbox: &Outbox,
    conversation: &ConversationRow,
    message: &MessageRow,
) -> anyhow::Result<Delivery> {
    let sent = outbox
        .deliver(
            conversation,
            Outgoing {
                message_id: Some(&message.id),
                text: &message.text,
                actions: &[],
            },
        )
        .await?;
    Ok(match sent {
        outbox::Delivery::Stored => Delivery::Web,
        outbox::Delivery::Queued(messages) => Delivery::Queued { messages },
        outbox::Delivery::OutsideWindow => Delivery::OutsideWindow,
    })
}
