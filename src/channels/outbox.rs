//! The durable outbox: every outbound WhatsApp and Messenger message is a row first,
//! then sent by a worker to the Graph API — many conversations at once, strictly in
//! order within one, with retries and backoff on 429 and 5xx (a `Retry-After` is
//! honoured), dead after the configured attempts, and never as free text outside
//! WhatsApp's 24-hour customer-service window.
//!
//! A row being sent is claimed with a lease ([`crate::store::claims`]). A send whose
//! outcome is unknown (a timeout, or a lease that ran out because its instance died
//! mid-request) is never resent blindly: it waits as `unknown` for Meta's status
//! webhook (WhatsApp's carries the row id back as `biz_opaque_callback_data`), and is
//! sent once more only when none came, counted in
//! `verity_outbox_possible_duplicates_total`. The guarantee per channel is in
//! docs/operations.md.
//!
//! [`Outbox::deliver`] is the one function other code uses to send anything to a
//! conversation's customer (bot replies, staff replies during a takeover).

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::Notify;

use super::{Channel, messenger, whatsapp};
use crate::assistant::reply::SuggestedAction;
use crate::clock::Clock;
use crate::config::ChannelConfig;
use crate::domain::Locale;
use crate::store::channels::{self as db, AttemptOutcome, OutboxRow};
use crate::store::claims;
use crate::store::conversations::ConversationRow;
use crate::store::{Store, new_sorted_id};

/// WhatsApp (and Messenger's standard messaging) accept free-form messages only within
/// 24 hours of the customer's last message.
pub const SERVICE_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 3600 * 1000;
/// Rows read per look at the outbox.
const SCAN: i64 = 1000;

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
    /// When rows left `sending` by a dead instance were last looked for.
    last_expiry: std::sync::Mutex<Option<std::time::Instant>>,
    /// Conversations [`Self::deliver`] queued rows for since the sender last looked: it
    /// starts their chains without reading the whole outbox.
    queued: std::sync::Mutex<Vec<String>>,
    /// Whether the whole outbox is to be looked at (rows queued elsewhere).
    scan: std::sync::atomic::AtomicBool,
    /// The email channel (notices), when `VERITY_SMTP_URL` and `VERITY_MAIL_FROM` are set.
    mailer: Option<super::email::Mailer>,
    /// Tells the console's live streams of every message queued for a conversation.
    live: crate::console::live::Live,
}

enum Attempt {
    Sent(Option<String>),
    /// Not accepted, worth trying again (429, 5xx, connection refused), not before the
    /// `Retry-After` when Meta sent one (ms).
    Retry(String, Option<i64>),
    /// The request may have reached Meta (a timeout, a connection cut mid-request).
    Unknown(String),
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
            last_expiry: std::sync::Mutex::new(None),
            queued: std::sync::Mutex::new(Vec::new()),
            scan: std::sync::atomic::AtomicBool::new(true),
            mailer,
            live: crate::console::live::Live::new(),
        }
    }

    /// Signals on `live` what it queues (the app's bus, which the console follows).
    pub fn with_live(mut self, live: crate::console::live::Live) -> Self {
        self.live = live;
        self
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
        // The message is stored by now; the console shows it (and its rows) live.
        let _changed = self.live.on_drop(&conversation.id);
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
        let mut rows = Vec::with_capacity(payloads.len());
        for p in &payloads {
            // Sorted by time: a new row lands at the end of the outbox's key index.
            let id = new_sorted_id("out");
            let p = tagged(channel, p, &id);
            rows.push(OutboxRow {
                id,
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
                unknown_resends: 0,
            });
        }
        db::queue_outbox(&self.store, rows).await?;
        if outside {
            metrics::counter!("verity_outbox_messages_total", "channel" => channel.as_str(), "status" => "outside_window")
                .increment(payloads.len() as u64);
            tracing::warn!(conversation.id = %conversation.id, channel = channel.as_str(),
                "not sent: outside the 24-hour customer-service window");
            return Ok(Delivery::OutsideWindow);
        }
        metrics::counter!("verity_outbox_messages_total", "channel" => channel.as_str(), "status" => "queued")
            .increment(payloads.len() as u64);
        self.queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conversation.id.clone());
        self.wake.notify_one();
        Ok(Delivery::Queued(payloads.len()))
    }

    /// Wakes the sender to look at the whole outbox (rows were queued elsewhere, e.g.
    /// notices).
    pub fn wake(&self) {
        self.scan.store(true, std::sync::atomic::Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// The sender: runs until the task is dropped. Picks up what an earlier process (or
    /// another instance that died) left. Each conversation with a due row is a chain of
    /// sends of its own, up to `concurrency` at once: a slow or hanging send holds only
    /// its conversation. A conversation that [`Self::deliver`] queued for starts its chain
    /// at once; the whole outbox (retries that fell due, rows other instances or other
    /// code queued) is looked at once a second, or when [`Self::wake`] asks.
    pub async fn run<W: super::inbox::Workers>(workers: W) {
        let outbox = workers.outbox();
        // Each chain is a task of its own: one that holds the writer while this loop
        // waits for it (to look for due rows) must still get on.
        let mut chains: tokio::task::JoinSet<String> = tokio::task::JoinSet::new();
        let mut of_task: std::collections::HashMap<tokio::task::Id, String> =
            std::collections::HashMap::new();
        let mut busy: HashSet<String> = HashSet::new();
        // Queued for while their chain ran (it may have looked before the row landed),
        // or while no chain was free: started when one is.
        let mut waiting: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut again: HashSet<String> = HashSet::new();
        let mut last_scan: Option<std::time::Instant> = None;
        loop {
            let fresh =
                std::mem::take(&mut *outbox.queued.lock().unwrap_or_else(|p| p.into_inner()));
            for c in fresh {
                if busy.contains(&c) {
                    again.insert(c);
                } else if !waiting.contains(&c) {
                    waiting.push_back(c);
                }
            }
            while chains.len() < outbox.config.concurrency.max(1) {
                let Some(c) = waiting.pop_front() else { break };
                if busy.contains(&c) {
                    again.insert(c);
                    continue;
                }
                spawn_chain(&workers, c, None, &mut chains, &mut busy, &mut of_task);
            }
            let scan_due = outbox
                .scan
                .swap(false, std::sync::atomic::Ordering::Relaxed)
                || last_scan.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            let room = outbox.config.concurrency.saturating_sub(chains.len());
            if scan_due && room > 0 {
                last_scan = Some(std::time::Instant::now());
                match outbox.due(&busy).await {
                    Ok(rows) => {
                        for row in rows.into_iter().take(room) {
                            let conversation = row.conversation_id.clone();
                            waiting.retain(|c| *c != conversation);
                            spawn_chain(
                                &workers,
                                conversation,
                                Some(row),
                                &mut chains,
                                &mut busy,
                                &mut of_task,
                            );
                        }
                    }
                    Err(e) => tracing::error!(error = format!("{e:#}"), "outbox worker"),
                }
            }
            let mut finished = |done: Result<(tokio::task::Id, String), tokio::task::JoinError>| {
                let id = match done {
                    Ok((id, _)) => id,
                    Err(e) => {
                        tracing::error!(error = %e, "an outbox chain stopped");
                        e.id()
                    }
                };
                if let Some(c) = of_task.remove(&id) {
                    busy.remove(&c);
                    if again.remove(&c) {
                        waiting.push_back(c);
                    }
                }
            };
            tokio::select! {
                Some(done) = chains.join_next_with_id(), if !chains.is_empty() => {
                    finished(done);
                    while let Some(done) = chains.try_join_next_with_id() {
                        finished(done);
                    }
                }
                _ = outbox.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Sends the due rows of every conversation whose turn it is, each conversation's
    /// in order, and returns when they are done. `true` when something was attempted
    /// (more may be due).
    pub async fn send_due(&self) -> anyhow::Result<bool> {
        let due = self.due(&HashSet::new()).await?;
        if due.is_empty() {
            return Ok(false);
        }
        futures_util::stream::iter(due)
            .map(|row| self.send_chain(row))
            .buffer_unordered(self.config.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        Ok(true)
    }

    /// The first row of each conversation not in `busy` whose turn it is: pending and
    /// due, or of unknown outcome and waited for long enough.
    async fn due(&self, busy: &HashSet<String>) -> anyhow::Result<Vec<OutboxRow>> {
        self.expire_interrupted().await?;
        let now = self.clock.now_ms();
        let rows = db::list_unsent_outbox(&self.store, SCAN).await?;
        let mut seen = HashSet::new();
        Ok(rows
            .into_iter()
            .filter(|r| seen.insert(r.conversation_id.clone()))
            .filter(|r| !busy.contains(&r.conversation_id))
            .filter(|r| is_due(r, now))
            .collect())
    }

    /// Rows left `sending` whose lease ran out become `unknown` (looked for once a
    /// second at most).
    async fn expire_interrupted(&self) -> anyhow::Result<()> {
        {
            let mut last = self.last_expiry.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        let now = self.clock.now_ms();
        let wait = i64::try_from(self.config.outbox_unknown_wait_ms).unwrap_or(MAX_BACKOFF_MS);
        let mut conn = self.store.write_one().await?;
        let n = db::expire_sending_outbox(&mut conn, claims::wall_ms(), now + wait, now).await?;
        if n > 0 {
            tracing::warn!(
                rows = n,
                "outbox rows interrupted while sending: their outcome is unknown"
            );
            metrics::counter!("verity_outbox_interrupted_total").increment(n);
        }
        Ok(())
    }

    /// Sends a conversation's rows from its first unfinished one, when that is due (see
    /// [`Self::send_chain`]).
    async fn send_chain_of(&self, conversation: String) -> String {
        match db::first_unsent_outbox(&self.store, &conversation).await {
            Ok(Some(r)) if is_due(&r, self.clock.now_ms()) => self.send_chain(r).await,
            Ok(_) => conversation,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "outbox worker");
                conversation
            }
        }
    }

    /// Sends a conversation's rows from `row` on while each goes through at once;
    /// returns the conversation's id when it must wait (a retry, an unknown outcome,
    /// nothing left) or another worker has it.
    async fn send_chain(&self, mut row: OutboxRow) -> String {
        let conversation = row.conversation_id.clone();
        loop {
            match self.send_one(&row).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(outbox.id = %row.id, error = format!("{e:#}"), "outbox worker");
                    break;
                }
            }
            let next = db::first_unsent_outbox(&self.store, &conversation).await;
            match next {
                Ok(Some(r)) if is_due(&r, self.clock.now_ms()) => row = r,
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "outbox worker");
                    break;
                }
            }
        }
        conversation
    }

    /// One attempt at a row; `true` when the row is finished (sent, refused, dead) and
    /// the conversation's next row may follow.
    async fn send_one(&self, row: &OutboxRow) -> anyhow::Result<bool> {
        let owner = self.store.instance_id().to_string();
        let now = self.clock.now_ms();
        let resend = row.status == "unknown";
        if resend && let Some(pid) = row.provider_message_id.as_deref() {
            // Meta's status report named it while it was being sent: it arrived.
            let mut conn = self.store.write_one().await?;
            let settled = db::settle_unknown_outbox(&mut conn, &row.id, pid, "sent", now).await?;
            if settled {
                metrics::counter!("verity_outbox_settled_by_status_total", "channel" => row.channel.clone())
                    .increment(1);
            }
            return Ok(settled);
        }
        if resend && row.unknown_resends >= 1 {
            // Sent twice with no word from Meta: not a third time.
            let mut conn = self.store.write_one().await?;
            let buried = db::bury_unknown_outbox(
                &mut conn,
                &row.id,
                "the outcome stayed unknown after one resend: not sent again",
                now,
            )
            .await?;
            if buried {
                metrics::counter!("verity_outbox_messages_total", "channel" => row.channel.clone(), "status" => "dead")
                    .increment(1);
                tracing::warn!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                    "outbound message of unknown outcome given up after one resend");
            }
            return Ok(buried);
        }
        let lease = i64::try_from(self.config.lease_ms).unwrap_or(15_000);
        let claimed = db::claim_outbox(
            &self.store,
            &row.id,
            &row.status,
            &owner,
            now,
            claims::wall_ms() + lease,
        )
        .await?;
        if !claimed {
            return Ok(false);
        }
        if resend {
            metrics::counter!("verity_outbox_possible_duplicates_total", "channel" => row.channel.clone())
                .increment(1);
            tracing::warn!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                "no status came for a send of unknown outcome: sent once more (a possible duplicate)");
        }
        let attempts = row.attempts + 1;
        let attempt = self.post(row).await;
        let now = self.clock.now_ms();
        let max = i64::from(self.config.outbox_max_attempts);
        let backoff = || {
            let exp = u32::try_from(attempts - 1).unwrap_or(u32::MAX).min(20);
            i64::try_from(self.config.outbox_retry_base_ms)
                .unwrap_or(MAX_BACKOFF_MS)
                .saturating_mul(1i64 << exp)
                .min(MAX_BACKOFF_MS)
        };
        let wait_unknown =
            i64::try_from(self.config.outbox_unknown_wait_ms).unwrap_or(MAX_BACKOFF_MS);
        let (status, provider_id, error, next) = match attempt {
            Attempt::Sent(id) => ("sent", id, None, now),
            Attempt::Retry(e, after) if attempts < max => {
                let wait = backoff().max(after.unwrap_or(0).min(MAX_BACKOFF_MS));
                ("pending", None, Some(e), now + wait)
            }
            Attempt::Retry(e, _) => (
                "dead",
                None,
                Some(format!("gave up after {attempts} attempts: {e}")),
                now,
            ),
            Attempt::Unknown(e) => (
                "unknown",
                None,
                Some(format!("{e}: the outcome is unknown")),
                now + wait_unknown,
            ),
            Attempt::Refused(e) => ("failed", None, Some(e), now),
        };
        let outcome = AttemptOutcome {
            status,
            provider_message_id: provider_id.as_deref(),
            last_error: error.as_deref(),
            next_attempt_ms: next,
        };
        let recorded =
            db::finish_outbox_attempt(&self.store, &row.id, &owner, &outcome, now).await?;
        // Past its lease the row was given up as unknown; Meta's answer settles it.
        if !recorded && let Some(id) = provider_id.as_deref() {
            let mut conn = self.store.write_one().await?;
            db::settle_unknown_outbox(&mut conn, &row.id, id, "sent", now).await?;
        }
        let counted = if status == "pending" { "retry" } else { status };
        metrics::counter!("verity_outbox_messages_total", "channel" => row.channel.clone(), "status" => counted)
            .increment(1);
        match status {
            "sent" => {}
            "pending" | "unknown" => {
                tracing::info!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                attempts, status, error = error.as_deref().unwrap_or(""), "outbound message will be retried or settled")
            }
            _ => tracing::warn!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                status, attempts, error = error.as_deref().unwrap_or(""), "outbound message not sent"),
        }
        Ok(recorded && matches!(status, "sent" | "failed" | "dead"))
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
                super::email::Sent::Retry(e) => Attempt::Retry(e, None),
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
            // Nothing reached Meta when the connection failed; after a timeout or a
            // connection cut mid-request, nobody knows.
            Err(e) if e.is_connect() => {
                return Attempt::Retry("connection failed".into(), None);
            }
            Err(e) if e.is_timeout() => return Attempt::Unknown("timeout".into()),
            Err(_) => return Attempt::Unknown("request failed".into()),
        };
        let status = resp.status();
        let retry_after = retry_after_ms(resp.headers());
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
            Attempt::Retry(what, retry_after)
        } else {
            Attempt::Refused(what)
        }
    }
}

/// Starts a conversation's chain of sends: from `row`, or from its first unfinished row.
fn spawn_chain<W: super::inbox::Workers>(
    workers: &W,
    conversation: String,
    row: Option<OutboxRow>,
    chains: &mut tokio::task::JoinSet<String>,
    busy: &mut HashSet<String>,
    of_task: &mut std::collections::HashMap<tokio::task::Id, String>,
) {
    busy.insert(conversation.clone());
    let w = workers.clone();
    let c = conversation.clone();
    let task = chains.spawn(async move {
        let outbox = w.outbox();
        match row {
            Some(row) => outbox.send_chain(row).await,
            None => outbox.send_chain_of(c).await,
        }
    });
    of_task.insert(task.id(), conversation);
}

/// Whether a row (its conversation's first unfinished one) is to be attempted now.
fn is_due(r: &OutboxRow, now_ms: i64) -> bool {
    matches!(r.status.as_str(), "pending" | "unknown") && r.next_attempt_ms <= now_ms
}

/// A Graph request body with the outbox row's id where Meta hands it back: WhatsApp
/// returns `biz_opaque_callback_data` in every status webhook of the message, so a
/// send whose answer was lost is still recognised. Messenger's bodies stay as built.
fn tagged(channel: Channel, payload: &Value, row_id: &str) -> Value {
    let mut p = payload.clone();
    match channel {
        Channel::WhatsApp => {
            if let Some(obj) = p.as_object_mut() {
                obj.insert("biz_opaque_callback_data".into(), Value::from(row_id));
            }
        }
        Channel::Messenger => {}
    }
    p
}

/// `Retry-After` in seconds (Meta sends whole seconds; an HTTP date is not used by
/// the Graph API), as milliseconds.
fn retry_after_ms(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    let secs: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).min(MAX_BACKOFF_MS as f64) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_and_bounded() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after_ms(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "5".parse().unwrap());
        assert_eq!(retry_after_ms(&h), Some(5_000));
        h.insert(reqwest::header::RETRY_AFTER, "999999".parse().unwrap());
        assert_eq!(retry_after_ms(&h), Some(MAX_BACKOFF_MS));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after_ms(&h), None);
    }

    #[test]
    fn whatsapp_bodies_carry_the_row_id_back_and_messenger_bodies_stay() {
        let p = serde_json::json!({"messaging_product": "whatsapp", "to": "49"});
        assert_eq!(
            tagged(Channel::WhatsApp, &p, "out_1")["biz_opaque_callback_data"],
            "out_1"
        );
        assert_eq!(tagged(Channel::Messenger, &p, "out_1"), p);
    }
}
