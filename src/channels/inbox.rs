//! The inbox: a webhook delivery is stored raw (after its signature was verified) and
//! acknowledged at once; workers process stored deliveries afterwards — also the ones a
//! previous process, or another instance that died, left — and answer each customer
//! message once.
//!
//! A delivery is claimed in the store with a lease ([`crate::store::claims`]) and
//! marked processed only by its owner. Many senders are worked on at once (up to
//! `VERITY_CHANNEL_CONCURRENCY`), each sender's deliveries strictly in the order they
//! arrived; across instances a sender's message is processed under a lease in the
//! store, so two instances never open two conversations for one sender. A message
//! stored whose turn never finished (a crash between the steps) is answered when its
//! delivery is processed again, and a reply stored without its outbox rows is queued.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::Shared;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, Semaphore, oneshot};

use super::outbox::{Outbox, Outgoing};
use super::{Channel, Content, Event, InboundMessage, messenger, whatsapp};
use crate::assistant::reply::SuggestedAction;
use crate::assistant::service::{Assistant, Inbound, TurnOutcome};
use crate::clock::Clock;
use crate::config::ChannelConfig;
use crate::domain::Locale;
use crate::store::channels::{self as db, DeliveryRow};
use crate::store::claims;
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::store::{Store, new_sorted_id, records};

/// After this long without a message, a sender's next message opens a new conversation.
const CONVERSATION_IDLE_MS: i64 = 24 * 3600 * 1000;
/// Deliveries claimed per look at most.
const BATCH: usize = 200;
/// Deliveries claimed and waiting per worker permit at most.
const QUEUED_PER_WORKER: usize = 4;

/// How much lower than the request threads' the channel workers' OS priority is (nice).
const WORKERS_NICE: i32 = 10;

/// The runtime the inbox's and the outbox's workers run on: as many threads as cores,
/// each at a lower OS priority (nice +10) than the threads that answer HTTP requests.
/// A backlog of deliveries then takes the CPU only when the acknowledgements (and the
/// web chat) leave it: a webhook is acknowledged in milliseconds however many turns
/// wait behind it, and the backlog drains at the speed the machine has left.
///
/// Only on SQLite: a PostgreSQL connection belongs to the runtime that opened it, and
/// the store's pool outlives this runtime (the eval runner serves one scenario after
/// another on one store), so on PostgreSQL the workers share the server's runtime.
pub fn workers_runtime(backend: crate::store::Backend) -> std::io::Result<WorkersRuntime> {
    if backend == crate::store::Backend::Postgres {
        return Ok(WorkersRuntime(None));
    }
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("verity-channels")
        .on_thread_start(|| {
            // Linux gives each thread a nice value of its own; elsewhere this fails and
            // the workers simply run at the same priority as everything else.
            let tid = rustix::thread::gettid();
            if let Err(e) = rustix::process::setpriority_process(Some(tid), WORKERS_NICE) {
                tracing::debug!(error = %e, "the channel workers' priority was not lowered");
            }
        })
        .enable_all()
        .build()?;
    Ok(WorkersRuntime(Some(runtime)))
}

/// The channel workers' runtime; dropped (also inside another runtime, as when the
/// server's task is aborted) without waiting for its threads.
pub struct WorkersRuntime(Option<tokio::runtime::Runtime>);

impl WorkersRuntime {
    /// Runs a task on the workers' runtime.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0 {
            Some(rt) => rt.spawn(task),
            None => tokio::spawn(task),
        }
    }
}

impl Drop for WorkersRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// What the inbox's workers need from the app; cheap to clone, alive while they run.
pub trait Workers: Clone + Send + Sync + 'static {
    fn inbox(&self) -> &Inbox;
    fn assistant(&self) -> &Assistant;
    fn outbox(&self) -> &Outbox;
}

/// Stores deliveries and processes them.
pub struct Inbox {
    store: Store,
    clock: Clock,
    config: ChannelConfig,
    wake: Notify,
    /// Tells the console's live streams of every message stored for a conversation.
    live: crate::console::live::Live,
}

/// A sender's place in the order: done when its job finished.
type Tail = Shared<oneshot::Receiver<()>>;

impl Inbox {
    pub fn new(store: Store, clock: Clock, config: ChannelConfig) -> Self {
        Self {
            store,
            clock,
            config,
            wake: Notify::new(),
            live: crate::console::live::Live::new(),
        }
    }

    /// Signals on `live` what it stores (the app's bus, which the console follows).
    pub fn with_live(mut self, live: crate::console::live::Live) -> Self {
        self.live = live;
        self
    }

    /// Stores a raw delivery whose signature was verified, and wakes the worker.
    pub async fn receive(&self, channel: Channel, body: &str) -> anyhow::Result<String> {
        // Sorted by time: a new row lands at the end of the deliveries' key index.
        let id = new_sorted_id("dlv");
        // One statement, atomic on its own: stored (and durable) when it returns.
        db::insert_delivery(
            &self.store,
            &id,
            channel.as_str(),
            self.clock.now_ms(),
            body,
        )
        .await?;
        metrics::counter!("verity_webhook_deliveries_total", "channel" => channel.as_str(), "outcome" => "stored")
            .increment(1);
        self.wake.notify_one();
        Ok(id)
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease_ms).unwrap_or(15_000)
    }

    /// The workers: claim deliveries nobody holds and process them, each sender's in
    /// order, up to `concurrency` at once; runs until the task is dropped.
    pub async fn run<W: Workers>(workers: W) {
        let inbox = workers.inbox();
        let parallel = inbox.config.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(parallel));
        let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
        let mut tails: HashMap<String, Tail> = HashMap::new();
        loop {
            tails.retain(|_, t| t.peek().is_none());
            let queued = in_flight.lock().unwrap_or_else(|p| p.into_inner()).len();
            let room = (parallel * QUEUED_PER_WORKER)
                .saturating_sub(queued)
                .min(BATCH);
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                inbox.claim(room).await
            };
            let claimed = match claimed {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "webhook worker");
                    Vec::new()
                }
            };
            let full = room > 0 && claimed.len() == room;
            for d in claimed {
                if !in_flight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(d.id.clone())
                {
                    continue; // already ours and on its way (its lease was renewed late)
                }
                let parsed = parse(&d);
                let keys = parsed
                    .as_ref()
                    .map(|(c, e)| keys_of(*c, e))
                    .unwrap_or_default();
                let before: Vec<Tail> = keys.iter().filter_map(|k| tails.get(k).cloned()).collect();
                let (done, tail) = oneshot::channel::<()>();
                let tail = tail.shared();
                for k in keys {
                    tails.insert(k, tail.clone());
                }
                let (workers, permits, in_flight) =
                    (workers.clone(), permits.clone(), in_flight.clone());
                tokio::spawn(async move {
                    futures_util::future::join_all(before).await;
                    let permit = permits.acquire_owned().await;
                    let inbox = workers.inbox();
                    let error = inbox
                        .settle(&d, parsed, workers.assistant(), workers.outbox())
                        .await;
                    // Its replies are queued (durable): the sender's next delivery and
                    // another one's may go on while this one is marked processed.
                    drop(permit);
                    drop(done);
                    inbox.mark(&d, error).await;
                    in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&d.id);
                    inbox.wake.notify_one();
                });
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = inbox.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Claims up to `n` deliveries nobody holds, oldest first.
    async fn claim(&self, n: usize) -> anyhow::Result<Vec<DeliveryRow>> {
        let now = claims::wall_ms();
        claims::claim_deliveries(
            &self.store,
            self.store.instance_id(),
            now,
            now + self.lease_ms(),
            i64::try_from(n).unwrap_or(i64::MAX),
        )
        .await
    }

    /// Processes every delivery nobody holds, one after another, until none is left;
    /// returns how many (for tests and tools that want the inbox empty now).
    pub async fn process_pending(
        &self,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<usize> {
        let mut n = 0;
        loop {
            let claimed = self.claim(BATCH).await?;
            if claimed.is_empty() {
                return Ok(n);
            }
            n += claimed.len();
            for d in &claimed {
                let error = self.settle(d, parse(d), assistant, outbox).await;
                self.mark(d, error).await;
            }
        }
    }

    /// Processes a claimed delivery; what went wrong, if anything (for [`Self::mark`]).
    async fn settle(
        &self,
        d: &DeliveryRow,
        parsed: anyhow::Result<(Channel, Vec<Event>)>,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> Option<String> {
        let result = match parsed {
            Ok((channel, events)) => self.process(channel, events, assistant, outbox).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => None,
            Err(e) => {
                tracing::error!(delivery.id = %d.id, channel = %d.channel, error = format!("{e:#}"),
                    "a webhook delivery could not be processed");
                metrics::counter!("verity_webhook_deliveries_total", "channel" => d.channel.clone(), "outcome" => "failed")
                    .increment(1);
                Some(super::clip(&format!("{e:#}"), 500))
            }
        }
    }

    /// Marks a processed delivery processed (if still ours), with what went wrong.
    async fn mark(&self, d: &DeliveryRow, error: Option<String>) {
        let marked = claims::finish_delivery(
            &self.store,
            &d.id,
            self.store.instance_id(),
            self.clock.now_ms(),
            error.as_deref(),
        );
        match marked.await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(delivery.id = %d.id,
                "a webhook delivery was taken over by another instance (its lease ran out)"),
            Err(e) => tracing::error!(delivery.id = %d.id, error = format!("{e:#}"),
                "a webhook delivery could not be marked processed"),
        }
    }

    async fn process(
        &self,
        channel: Channel,
        events: Vec<Event>,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
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
        let mut row = db::find_outbox_by_provider_id(tx.conn(), &s.provider_message_id).await?;
        if row.is_none()
            && let Some(id) = s.callback.as_deref()
        {
            // A send whose answer was lost: the id Verity attached names the row.
            row = db::get_outbox(tx.conn(), id).await?;
            if let Some(r) = row.as_ref().filter(|r| r.status == "sending") {
                // The report came before the answer to the send (or the answer will never
                // come): Meta has it; the id is kept, so an unknown outcome is settled.
                db::note_provider_id(tx.conn(), &r.id, &s.provider_message_id).await?;
            }
            row = row.filter(|r| r.status == "unknown");
        }
        if let Some(row) = row
            && let Some(new) = s.state.apply_to(&row.status)
        {
            if row.status == "unknown" {
                db::settle_unknown_outbox(
                    tx.conn(),
                    &row.id,
                    &s.provider_message_id,
                    new,
                    self.clock.now_ms(),
                )
                .await?;
                metrics::counter!("verity_outbox_settled_by_status_total", "channel" => row.channel.clone())
                    .increment(1);
                tracing::info!(outbox.id = %row.id, conversation.id = %row.conversation_id,
                    "a send of unknown outcome was settled by Meta's status report");
            } else {
                db::set_outbox_status(
                    tx.conn(),
                    &row.id,
                    new,
                    s.error.as_deref(),
                    self.clock.now_ms(),
                )
                .await?;
            }
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
        // One instance at a time works on a sender (and opens its conversation): a lease
        // in the store on PostgreSQL; a SQLite file serves one instance, whose own
        // workers already take a sender's deliveries one after another.
        let lease = match self.store.backend() {
            crate::store::Backend::Postgres => Some(
                self.store
                    .hold_lease(&sender_lease(channel, &m.sender), self.lease_ms())
                    .await?,
            ),
            crate::store::Backend::Sqlite => None,
        };
        let done = self.message_held(channel, m, assistant, outbox).await;
        if let Some(lease) = lease {
            lease.release().await?;
        }
        done
    }

    /// [`Self::message`] with the sender's lease held.
    async fn message_held(
        &self,
        channel: Channel,
        m: InboundMessage,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
        let now = self.clock.now_ms();
        let stale_after_ms = i64::try_from(self.config.stale_after_secs)
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(1000);
        // A very late redelivery gets no automatic answer, not even a greeting.
        let stale = now - m.sent_ms > stale_after_ms;
        let stored = conversations::load_message_by_channel_id(&self.store, &m.id).await?;
        if let Some(stored) = stored {
            let _changed = self.live.on_drop(&stored.conversation_id);
            let answerable = !stale && !matches!(m.content, Content::Unsupported(_));
            return self
                .redelivered(channel, stored, answerable, assistant, outbox)
                .await;
        }
        let conv = self
            .conversation_for(channel, &m, !stale, assistant, outbox)
            .await?;
        // Whatever happens next (stored only, answered, silent while staff answer).
        let _changed = self.live.on_drop(&conv.id);
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

    /// A message stored before: a redelivery, or the same delivery processed again after
    /// a crash or a takeover. Whatever step of its turn is missing is done, once: the
    /// reply when none follows it, the reply's outbox rows when they were never queued.
    async fn redelivered(
        &self,
        channel: Channel,
        stored: MessageRow,
        answerable: bool,
        assistant: &Assistant,
        outbox: &Outbox,
    ) -> anyhow::Result<()> {
        let next = {
            let mut conn = self.store.read().await?;
            conversations::message_after(&mut conn, &stored.conversation_id, stored.seq).await?
        };
        let duplicate = || {
            metrics::counter!("verity_webhook_events_total", "channel" => channel.as_str(), "kind" => "duplicate")
                .increment(1);
        };
        match next {
            None if answerable && stored.role == Role::Customer => {
                tracing::warn!(conversation.id = %stored.conversation_id, channel = channel.as_str(),
                    "a stored message without its reply is answered (its turn was interrupted)");
                let conv_id = stored.conversation_id.clone();
                if let TurnOutcome::Replied(out) = assistant.resume(&conv_id, stored).await? {
                    let conv = self.reload(&conv_id).await?;
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
                Ok(())
            }
            Some(reply) if reply.role == Role::Bot => {
                let queued = {
                    let mut conn = self.store.read().await?;
                    db::outbox_exists_for_message(&mut conn, &reply.id).await?
                };
                if queued {
                    duplicate();
                    return Ok(());
                }
                tracing::warn!(conversation.id = %reply.conversation_id, channel = channel.as_str(),
                    "a stored reply without its outbox rows is queued (its turn was interrupted)");
                metrics::counter!("verity_turns_resumed_total", "channel" => channel.as_str())
                    .increment(1);
                let actions: Vec<SuggestedAction> = reply
                    .actions
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or_default();
                let conv = self.reload(&reply.conversation_id).await?;
                outbox
                    .deliver(
                        &conv,
                        Outgoing {
                            message_id: Some(&reply.id),
                            text: &reply.text,
                            actions: &actions,
                        },
                    )
                    .await?;
                Ok(())
            }
            _ => {
                duplicate();
                Ok(())
            }
        }
    }

    async fn reload(&self, id: &str) -> anyhow::Result<ConversationRow> {
        conversations::load_conversation(&self.store, id)
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
        let conversations::SenderView {
            conversation: existing,
            linked,
            by_phone,
        } = conversations::sender_view(
            &self.store,
            channel.as_str(),
            &m.sender,
            m.phone.as_deref(),
        )
        .await?;
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

/// A stored delivery's events, or why it cannot be read.
fn parse(d: &DeliveryRow) -> anyhow::Result<(Channel, Vec<Event>)> {
    let channel = Channel::parse(&d.channel)
        .ok_or_else(|| anyhow::anyhow!("unknown channel {}", d.channel))?;
    let events = match channel {
        Channel::WhatsApp => whatsapp::parse(d.body.as_bytes()),
        Channel::Messenger => messenger::parse(d.body.as_bytes()),
    }
    .map_err(|e| anyhow::anyhow!("unreadable delivery: {e}"))?;
    Ok((channel, events))
}

/// The senders a delivery's messages come from, as ordering keys: deliveries sharing
/// one are processed one after another, in the order they arrived.
fn keys_of(channel: Channel, events: &[Event]) -> Vec<String> {
    let mut keys: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(sender_lease(channel, &m.sender)),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The name of a sender's lease: the channel and a hash of the sender (the store's
/// lease table names no phone number).
fn sender_lease(channel: Channel, sender: &str) -> String {
    let hash = Sha256::digest(sender.as_bytes());
    format!("sender:{}:{}", channel.as_str(), hex::encode(&hash[..12]))
}
