//! The inbox: a webhook delivery is stored raw (after its signature was verified) and
//! acknowledged at once; this worker processes stored deliveries afterwards — also the
//! ones a previous process left — and answers each customer message once.

use std::time::Duration;

use tokio::sync::Notify;

use super::outbox::{Outbox, Outgoing};
use super::{Channel, Content, Event, InboundMessage, messenger, whatsapp};
use crate::assistant::reply::SuggestedAction;
use crate::assistant::service::{Assistant, Inbound, TurnOutcome};
use crate::clock::Clock;
use crate::config::ChannelConfig;
use crate::domain::Locale;
use crate::store::channels::{self as db, DeliveryRow};
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::store::{Store, new_id, new_sorted_id, records};

/// After this long without a message, a sender's next message opens a new conversation.
const CONVERSATION_IDLE_MS: i64 = 24 * 3600 * 1000;
/// Deliveries read per batch.
const BATCH: i64 = 200;

/// Stores deliveries and processes them.
pub struct Inbox {
    store: Store,
    clock: Clock,
    config: ChannelConfig,
    wake: Notify,
}

impl Inbox {
    pub fn new(store: Store, clock: Clock, config: ChannelConfig) -> Self {
        Self {
            store,
            clock,
            config,
            wake: Notify::new(),
        }
    }

    /// Stores a raw delivery whose signature was verified, and wakes the worker.
    pub async fn receive(&self, channel: Channel, body: &str) -> anyhow::Result<String> {
        let id = new_id("dlv");
        // One statement, atomic on its own: stored (and durable) when it returns.
        let mut conn = self.store.write_one().await?;
        db::insert_delivery(&mut conn, &id, channel.as_str(), self.clock.now_ms(), body).await?;
        drop(conn);
        metrics::counter!("verity_webhook_deliveries_total", "channel" => channel.as_str(), "outcome" => "stored")
            .increment(1);
        self.wake.notify_one();
        Ok(id)
    }

    /// The worker: runs until the task is dropped.
    pub async fn run(&self, assistant: &Assistant, outbox: &Outbox) {
        loop {
            match self.process_pending(assistant, outbox).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = format!("{e:#}"), "webhook worker"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Processes stored deliveries in the order they arrived; returns how many.
    pub async fn process_pending(
        &self,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<usize> {
        let pending = {
            let mut conn = self.store.read().await?;
            db::list_unprocessed_deliveries(&mut conn, BATCH).await?
        };
        for d in &pending {
            let error = match self.process(d, assistant, outbox).await {
                Ok(()) => None,
                Err(e) => {
                    tracing::error!(delivery.id = %d.id, channel = %d.channel, error = format!("{e:#}"),
                        "a webhook delivery could not be processed");
                    metrics::counter!("verity_webhook_deliveries_total", "channel" => d.channel.clone(), "outcome" => "failed")
                        .increment(1);
                    Some(super::clip(&format!("{e:#}"), 500))
                }
            };
            let mut tx = self.store.begin().await?;
            db::mark_delivery_processed(tx.conn(), &d.id, self.clock.now_ms(), error.as_deref())
                .await?;
            tx.commit().await?;
        }
        Ok(pending.len())
    }

    async fn process(
        &self,
        d: &DeliveryRow,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
        let channel = Channel::parse(&d.channel)
            .ok_or_else(|| anyhow::anyhow!("unknown channel {}", d.channel))?;
        let events = match channel {
            Channel::WhatsApp => whatsapp::parse(d.body.as_bytes()),
            Channel::Messenger => messenger::parse(d.body.as_bytes()),
        }
        .map_err(|e| anyhow::anyhow!("unreadable delivery: {e}"))?;
        let mut failures = Vec::new();
        for event in events {
            let kind = match &event {
                Event::Message(m) => match &m.content {
                    Content::Text(_) => "text",
                    Content::Action(_) => "action",
                    Content::Unsupported(_) => "unsupported",
                },
                Event::Status(_) => "status",
                Event::ReadUpTo { .. } => "read",
                Event::Ignored(k) => k,
            };
            metrics::counter!("verity_webhook_events_total", "channel" => channel.as_str(), "kind" => kind)
                .increment(1);
            // One bad event does not hold back the others of the batch.
            let done = match event {
                Event::Message(m) => self.message(channel, m, assistant, outbox).await,
                Event::Status(s) => self.status(&s).await,
                Event::ReadUpTo {
                    recipient,
                    watermark_ms,
                } => self.read_up_to(channel, &recipient, watermark_ms).await,
                Event::Ignored(_) => Ok(()),
            };
            if let Err(e) = done {
                failures.push(format!("{e:#}"));
            }
        }
        if !failures.is_empty() {
            anyhow::bail!(
                "{} event(s) failed: {}",
                failures.len(),
                failures.join("; ")
            );
        }
        Ok(())
    }

    async fn status(&self, s: &super::StatusUpdate) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        if let Some(row) = db::find_outbox_by_provider_id(tx.conn(), &s.provider_message_id).await?
            && let Some(new) = s.state.apply_to(&row.status)
        {
            db::set_outbox_status(
                tx.conn(),
                &row.id,
                new,
                s.error.as_deref(),
                self.clock.now_ms(),
            )
            .await?;
            if new == "failed" {
                tracing::warn!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                    error = s.error.as_deref().unwrap_or(""), "Meta reports an outbound message failed");
            }
        }
        tx.commit().await
    }

    async fn read_up_to(
        &self,
        channel: Channel,
        recipient: &str,
        watermark_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        db::mark_outbox_read_until(
            tx.conn(),
            channel.as_str(),
            recipient,
            watermark_ms,
            self.clock.now_ms(),
        )
        .await?;
        tx.commit().await
    }

    async fn message(
        &self,
        channel: Channel,
        m: InboundMessage,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
        let expected = match channel {
            Channel::WhatsApp => self.config.whatsapp_phone_number_id.as_deref(),
            Channel::Messenger => self.config.messenger_page_id.as_deref(),
        };
        if let (Some(expected), Some(got)) = (expected, m.account.as_deref())
            && expected != got
        {
            tracing::warn!(
                channel = channel.as_str(),
                "a message for another business account was ignored"
            );
            return Ok(());
        }
        {
            let mut conn = self.store.read().await?;
            if db::channel_message_exists(&mut conn, &m.id).await? {
                metrics::counter!("verity_webhook_events_total", "channel" => channel.as_str(), "kind" => "duplicate")
                    .increment(1);
                return Ok(());
            }
        }
        let now = self.clock.now_ms();
        let stale_after_ms = i64::try_from(self.config.stale_after_secs)
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(1000);
        // A very late redelivery gets no automatic answer, not even a greeting.
        let stale = now - m.sent_ms > stale_after_ms;
        let conv = self
            .conversation_for(channel, &m, !stale, assistant, outbox)
            .await?;
        let m = InboundMessage {
            content: super::bound_length(m.content, self.config.message_max_chars),
            ..m
        };
        if stale || matches!(m.content, Content::Unsupported(_)) {
            return self
                .record_without_turn(channel, conv, m, stale, outbox)
                .await;
        }
        let inbound = match m.content {
            Content::Text(t) => Inbound::Text(t),
            Content::Action(a) => Inbound::Action(a),
            Content::Unsupported(_) => return Ok(()),
        };
        match assistant.turn(&conv.id, inbound, Some(&m.id)).await? {
            TurnOutcome::Replied(out) => {
                let conv = self.reload(&conv.id).await?;
                outbox
                    .deliver(
                        &conv,
                        Outgoing {
                            message_id: Some(&out.message_id),
                            text: &out.text,
                            actions: &out.actions,
                        },
                    )
                    .await?;
            }
            TurnOutcome::Silent => {}
            TurnOutcome::Duplicate => {
                metrics::counter!("verity_webhook_events_total", "channel" => channel.as_str(), "kind" => "duplicate")
                    .increment(1);
            }
        }
        Ok(())
    }

    async fn reload(&self, id: &str) -> anyhow::Result<ConversationRow> {
        let mut conn = self.store.read().await?;
        conversations::get_conversation(&mut conn, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("conversation {id} vanished"))
    }

    /// The sender's current conversation, or a new one — verified from the start when
    /// the sender was linked to a customer before, or (WhatsApp) when the phone number
    /// is the one a customer has on file.
    async fn conversation_for(
        &self,
        channel: Channel,
        m: &InboundMessage,
        greet: bool,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<ConversationRow> {
        let now = self.clock.now_ms();
        let (existing, linked, by_phone) = {
            let mut conn = self.store.read().await?;
            let existing =
                conversations::find_conversation_by_sender(&mut conn, channel.as_str(), &m.sender)
                    .await?;
            let linked =
                conversations::linked_customer(&mut conn, channel.as_str(), &m.sender).await?;
            let by_phone = match (&linked, m.phone.as_deref()) {
                (None, Some(phone)) => records::find_customer_by_phone(&mut conn, phone)
                    .await?
                    .map(|c| c.as_str().to_string()),
                _ => None,
            };
            (existing, linked, by_phone)
        };
        if let Some(c) = existing
            && now - c.updated_ms < CONVERSATION_IDLE_MS
        {
            if c.customer_id.is_none()
                && let Some(customer) = linked.clone().or(by_phone.clone())
            {
                return self
                    .verify(c, channel, &m.sender, &customer, by_phone.is_some())
                    .await;
            }
            return Ok(c);
        }
        let customer = linked.or(by_phone.clone());
        let mut locale = Locale::default();
        if let Some(id) = customer.as_deref()
            && let Ok(cid) = crate::domain::CustomerId::parse(id)
        {
            let mut conn = self.store.read().await?;
            if let Some(c) = records::get_customer(&mut conn, &cid).await? {
                locale = c.locale;
            }
        }
        let conv = assistant
            .open(channel.as_str(), Some(&m.sender), None, locale)
            .await?;
        tracing::info!(conversation.id = %conv.id, channel = channel.as_str(), "conversation opened");
        let mut conv = conv;
        conv.last_inbound_ms = Some(now);
        if let Some(customer) = customer {
            conv = self
                .verify(conv, channel, &m.sender, &customer, by_phone.is_some())
                .await?;
        }
        if !greet {
            return self.reload(&conv.id).await;
        }
        // The customer learns first that a bot answers (Meta asks for it in Germany);
        // one the channel identified hears what is open for them, from any channel.
        let greeting = if conv.customer_id.is_some() {
            assistant.greet_known(&conv).await?
        } else {
            assistant.greet(&conv).await?
        };
        outbox
            .deliver(
                &conv,
                Outgoing {
                    message_id: Some(&greeting.message_id),
                    text: &greeting.text,
                    actions: &greeting.actions,
                },
            )
            .await?;
        self.reload(&conv.id).await
    }

    /// Marks a conversation verified for a customer and links the sender.
    async fn verify(
        &self,
        mut conv: ConversationRow,
        channel: Channel,
        sender: &str,
        customer: &str,
        by_phone: bool,
    ) -> anyhow::Result<ConversationRow> {
        let now = self.clock.now_ms();
        conv.customer_id = Some(customer.to_string());
        conv.updated_ms = now;
        let mut tx = self.store.begin().await?;
        conversations::update_conversation(tx.conn(), &conv).await?;
        if by_phone {
            conversations::link_channel_identity(
                tx.conn(),
                channel.as_str(),
                sender,
                customer,
                "phone",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(conversation.id = %conv.id, channel = channel.as_str(),
            by_phone, "conversation verified by the sender's identity");
        Ok(conv)
    }

    /// A very late redelivery (stored, no automatic answer) or a message Verity cannot
    /// read (stored, a polite answer that only text is understood).
    async fn record_without_turn(
        &self,
        channel: Channel,
        mut conv: ConversationRow,
        m: InboundMessage,
        stale: bool,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
        let now = self.clock.now_ms();
        let (text, action) = match &m.content {
            Content::Text(t) => (t.clone(), None),
            Content::Action(a) => (String::new(), Some(a.clone())),
            Content::Unsupported(kind) => (format!("[{kind}]"), None),
        };
        let mut msg = MessageRow {
            id: new_sorted_id("msg"),
            conversation_id: conv.id.clone(),
            seq: 0,
            role: Role::Customer,
            text,
            action,
            actions: None,
            tool_calls: None,
            grounding: None,
            engine_stats: None,
            channel_message_id: Some(m.id.clone()),
            author: None,
            created_ms: now,
        };
        let mut tx = self.store.begin().await?;
        if !conversations::append_message(tx.conn(), &mut msg).await? {
            return tx.commit().await;
        }
        // The 24-hour window runs from the customer's own message.
        let sent = if stale { m.sent_ms } else { now };
        conv.last_inbound_ms = Some(conv.last_inbound_ms.map_or(sent, |t| t.max(sent)));
        conv.updated_ms = now;
        if stale || conv.taken_over_by.is_some() {
            conversations::update_conversation(tx.conn(), &conv).await?;
            tx.commit().await?;
            if stale {
                metrics::counter!("verity_webhook_events_total", "channel" => channel.as_str(), "kind" => "stale")
                    .increment(1);
                tracing::info!(conversation.id = %conv.id, channel = channel.as_str(),
                    "a very late message was stored without an automatic answer");
            }
            return Ok(());
        }
        let locale = Locale::from_tag(&conv.language);
        let reply_text = match &m.content {
            Content::Unsupported(kind) if kind == super::TOO_LONG => {
                super::too_long_reply(locale, self.config.message_max_chars)
            }
            _ => super::only_text_reply(locale),
        };
        let mut reply = MessageRow {
            id: new_sorted_id("msg"),
            conversation_id: conv.id.clone(),
            seq: 0,
            role: Role::Bot,
            text: reply_text.clone(),
            action: None,
            actions: Some("[]".into()),
            tool_calls: Some("[]".into()),
            grounding: None,
            engine_stats: Some(r#"{"engine":"channel","reply":"only_text"}"#.into()),
            channel_message_id: None,
            author: None,
            created_ms: now,
        };
        conversations::append_message(tx.conn(), &mut reply).await?;
        conversations::update_conversation(tx.conn(), &conv).await?;
        tx.commit().await?;
        let no_actions: [SuggestedAction; 0] = [];
        outbox
            .deliver(
                &conv,
                Outgoing {
                    message_id: Some(&reply.id),
                    text: &reply_text,
                    actions: &no_actions,
                },
            )
            .await?;
        Ok(())
    }
}
