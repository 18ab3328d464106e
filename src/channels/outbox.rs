//! The durable outbox: every outbound WhatsApp and Messenger message is a row first,
//! then sent by a worker to the Graph API — in order per conversation, with retries and
//! backoff on 429, 5xx and timeouts, dead after the configured attempts, and never as
//! free text outside WhatsApp's 24-hour customer-service window.
//!
//! [`Outbox::deliver`] is the one function other code uses to send anything to a
//! conversation's customer (bot replies, staff replies during a takeover).

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::Notify;

use super::{Channel, messenger, whatsapp};
use crate::assistant::offline::SuggestedAction;
use crate::clock::Clock;
use crate::config::ChannelConfig;
use crate::domain::Locale;
use crate::store::channels::{self as db, OutboxRow};
use crate::store::conversations::ConversationRow;
use crate::store::{Store, new_id};

/// WhatsApp (and Messenger's standard messaging) accept free-form messages only within
/// 24 hours of the customer's last message.
pub const SERVICE_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 3600 * 1000;
/// Conversations sent to at once.
const PARALLEL_SENDS: usize = 8;

/// What a caller wants sent.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// The stored message this carries (bot or staff reply).
    pub message_id: Option<&'a str>,
    pub text: &'a str,
    pub actions: &'a [SuggestedAction],
}

/// What happened to an outgoing message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Web: the stored message is what the widget shows; nothing to send.
    Stored,
    /// Queued as this many Graph API messages (a long text is split).
    Queued(usize),
    /// Not sent: outside the 24-hour window free text is refused; the conversation
    /// stays with staff. The row is kept, `failed`, with the reason.
    OutsideWindow,
}

/// The outbox and its sender.
pub struct Outbox {
    store: Store,
    clock: Clock,
    config: ChannelConfig,
    client: reqwest::Client,
    wake: Notify,
    /// The email channel (notices), when `VERITY_SMTP_URL` and `VERITY_MAIL_FROM` are set.
    mailer: Option<super::email::Mailer>,
}

enum Attempt {
    Sent(Option<String>),
    /// Worth trying again (429, 5xx, timeout, connection refused).
    Retry(String),
    /// Meta refused it for good, or Verity cannot send it.
    Refused(String),
}

impl Outbox {
    pub fn new(store: Store, clock: Clock, config: ChannelConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.graph_timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(
                config.graph_timeout_ms.clamp(1, 5_000),
            ))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let mailer = match (config.smtp_url.as_ref(), config.mail_from.as_deref()) {
            (Some(url), Some(from)) => {
                let timeout = Duration::from_millis(config.graph_timeout_ms.max(1));
                super::email::Mailer::new(url.expose(), from, timeout)
                    .map_err(|e| tracing::error!(error = %e, "email channel disabled"))
                    .ok()
            }
            _ => None,
        };
        Self {
            store,
            clock,
            config,
            client,
            wake: Notify::new(),
            mailer,
        }
    }

    /// Sends a message to a conversation's customer on its channel: nothing to do on the
    /// web (the message is stored), queued on WhatsApp and Messenger.
    pub async fn deliver(
        &self,
        conversation: &ConversationRow,
        message: Outgoing<'_>,
    ) -> anyhow::Result<Delivery> {
        let Some(channel) = Channel::parse(&conversation.channel) else {
            return Ok(Delivery::Stored);
        };
        let Some(recipient) = conversation.external_id.as_deref() else {
            anyhow::bail!("conversation {} has no recipient", conversation.id);
        };
        let locale = Locale::from_tag(&conversation.language);
        let payloads = match channel {
            Channel::WhatsApp => {
                whatsapp::payloads(recipient, message.text, message.actions, locale)
            }
            Channel::Messenger => messenger::payloads(recipient, message.text, message.actions),
        };
        let now = self.clock.now_ms();
        let outside = conversation
            .last_inbound_ms
            .is_none_or(|t| now - t > SERVICE_WINDOW_MS);
        let mut tx = self.store.begin().await?;
        for p in &payloads {
            let mut row = OutboxRow {
                id: new_id("out"),
                conversation_id: conversation.id.clone(),
                message_id: message.message_id.map(str::to_string),
                channel: channel.as_str().to_string(),
                recipient: recipient.to_string(),
                payload: p.to_string(),
                status: if outside { "failed" } else { "pending" }.to_string(),
                attempts: 0,
                next_attempt_ms: now,
                provider_message_id: None,
                last_error: outside.then(|| {
                    "outside the 24-hour customer-service window: free-form messages are refused \
                     (only approved templates); the conversation stays with staff"
                        .to_string()
                }),
                created_ms: now,
                updated_ms: now,
                position: 0,
            };
            db::insert_outbox(tx.conn(), &mut row).await?;
        }
        tx.commit().await?;
        if outside {
            metrics::counter!("verity_outbox_messages_total", "channel" => channel.as_str(), "status" => "outside_window")
                .increment(payloads.len() as u64);
            tracing::warn!(conversation.id = %conversation.id, channel = channel.as_str(),
                "not sent: outside the 24-hour customer-service window");
            return Ok(Delivery::OutsideWindow);
        }
        metrics::counter!("verity_outbox_messages_total", "channel" => channel.as_str(), "status" => "queued")
            .increment(payloads.len() as u64);
        self.wake.notify_one();
        Ok(Delivery::Queued(payloads.len()))
    }

    /// Wakes the sender (rows were queued elsewhere, e.g. notices).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The sender: runs until the task is dropped. Picks up what an earlier process left.
    pub async fn run(&self) {
        let now = self.clock.now_ms();
        match self.store.begin().await {
            Ok(mut tx) => {
                match db::bury_interrupted_outbox(tx.conn(), now - 5 * 60_000, now).await {
                    Ok(n) if n > 0 => {
                        tracing::warn!(rows = n, "outbox rows interrupted while sending are dead")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = format!("{e:#}"), "outbox start-up"),
                }
                let _ = tx.commit().await;
            }
            Err(e) => tracing::error!(error = format!("{e:#}"), "outbox start-up"),
        }
        loop {
            match self.send_due().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = format!("{e:#}"), "outbox worker"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Sends the first unsent row of every conversation whose turn it is. `true` when
    /// something was attempted (more may be due).
    pub async fn send_due(&self) -> anyhow::Result<bool> {
        let now = self.clock.now_ms();
        let rows = {
            let mut conn = self.store.read().await?;
            db::list_unsent_outbox(&mut conn, 1000).await?
        };
        let mut seen = HashSet::new();
        let due: Vec<OutboxRow> = rows
            .into_iter()
            .filter(|r| seen.insert(r.conversation_id.clone()))
            .filter(|r| r.status == "pending" && r.next_attempt_ms <= now)
            .collect();
        if due.is_empty() {
            return Ok(false);
        }
        let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(due)
            .map(|row| self.send_one(row))
            .buffer_unordered(PARALLEL_SENDS)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(true)
    }

    async fn send_one(&self, row: OutboxRow) -> anyhow::Result<()> {
        {
            let mut tx = self.store.begin().await?;
            let claimed = db::claim_outbox(tx.conn(), &row.id, self.clock.now_ms()).await?;
            tx.commit().await?;
            if !claimed {
                return Ok(());
            }
        }
        let attempts = row.attempts + 1;
        let attempt = self.post(&row).await;
        let now = self.clock.now_ms();
        let max = i64::from(self.config.outbox_max_attempts);
        let (status, provider_id, error, next) = match attempt {
            Attempt::Sent(id) => ("sent", id, None, now),
            Attempt::Retry(e) if attempts < max => {
                let exp = u32::try_from(attempts - 1).unwrap_or(u32::MAX).min(20);
                let wait = i64::try_from(self.config.outbox_retry_base_ms)
                    .unwrap_or(MAX_BACKOFF_MS)
                    .saturating_mul(1i64 << exp)
                    .min(MAX_BACKOFF_MS);
                ("pending", None, Some(e), now + wait)
            }
            Attempt::Retry(e) => (
                "dead",
                None,
                Some(format!("gave up after {attempts} attempts: {e}")),
                now,
            ),
            Attempt::Refused(e) => ("failed", None, Some(e), now),
        };
        let mut tx = self.store.begin().await?;
        db::finish_outbox_attempt(
            tx.conn(),
            &row.id,
            status,
            provider_id.as_deref(),
            error.as_deref(),
            next,
            now,
        )
        .await?;
        tx.commit().await?;
        let counted = if status == "pending" { "retry" } else { status };
        metrics::counter!("verity_outbox_messages_total", "channel" => row.channel.clone(), "status" => counted)
            .increment(1);
        match status {
            "sent" => {}
            "pending" => {
                tracing::info!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                attempts, error = error.as_deref().unwrap_or(""), "outbound message will be retried")
            }
            _ => tracing::warn!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                status, attempts, error = error.as_deref().unwrap_or(""), "outbound message not sent"),
        }
        Ok(())
    }

    async fn post(&self, row: &OutboxRow) -> Attempt {
        if row.channel == "email" {
            let Some(mailer) = &self.mailer else {
                return Attempt::Refused(
                    "VERITY_SMTP_URL and VERITY_MAIL_FROM must be set to send email".into(),
                );
            };
            return match mailer.send(&row.id, &row.payload).await {
                super::email::Sent::Accepted(id) => Attempt::Sent(Some(id)),
                super::email::Sent::Retry(e) => Attempt::Retry(e),
                super::email::Sent::Refused(e) => Attempt::Refused(e),
            };
        }
        let base = self.config.graph_api_url.trim_end_matches('/');
        let request = match Channel::parse(&row.channel) {
            Some(Channel::WhatsApp) => {
                let (Some(token), Some(number)) = (
                    self.config.whatsapp_access_token.as_ref(),
                    self.config.whatsapp_phone_number_id.as_deref(),
                ) else {
                    return Attempt::Refused(
                        "VERITY_WHATSAPP_ACCESS_TOKEN and VERITY_WHATSAPP_PHONE_NUMBER_ID must be set to send"
                            .into(),
                    );
                };
                self.client
                    .post(format!("{base}/{number}/messages"))
                    .bearer_auth(token.expose())
            }
            Some(Channel::Messenger) => {
                let Some(token) = self.config.messenger_page_access_token.as_ref() else {
                    return Attempt::Refused(
                        "VERITY_MESSENGER_PAGE_ACCESS_TOKEN must be set to send".into(),
                    );
                };
                let page = self.config.messenger_page_id.as_deref().unwrap_or("me");
                self.client
                    .post(format!("{base}/{page}/messages"))
                    .query(&[("access_token", token.expose())])
            }
            None => return Attempt::Refused(format!("unknown channel {}", row.channel)),
        };
        let resp = match request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(row.payload.clone())
            .send()
            .await
        {
            Ok(r) => r,
            // reqwest's errors would print the URL, which carries Messenger's token.
            Err(e) if e.is_timeout() => return Attempt::Retry("timeout".into()),
            Err(e) if e.is_connect() => return Attempt::Retry("connection failed".into()),
            Err(_) => return Attempt::Retry("request failed".into()),
        };
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            let id = match row.channel.as_str() {
                "whatsapp" => whatsapp::sent_message_id(&body),
                _ => messenger::sent_message_id(&body),
            };
            return Attempt::Sent(id);
        }
        let code = body["error"]["code"]
            .as_i64()
            .map(|c| format!(", Graph error {c}"))
            .unwrap_or_default();
        let title = body["error"]["message"]
            .as_str()
            .map(|m| format!(": {}", super::clip(m, 200)))
            .unwrap_or_default();
        let what = format!("HTTP {}{code}{title}", status.as_u16());
        if status.as_u16() == 429 || status.is_server_error() {
            Attempt::Retry(what)
        } else {
            Attempt::Refused(what)
        }
    }
}
