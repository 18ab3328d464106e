//! The conversation service: one turn of any channel. The inbound message is stored
//! before anything else; then the engines answer (unless staff have taken over), in
//! order until one does ([`super::engine`]): the LLM engine when one is configured, then
//! the offline engine, which answers whenever the model fails or its reply fails the
//! grounding guard twice. The
//! reply passes the grounding check and is stored with its tool calls, verdict and
//! engine stats before the channel gets it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use super::engine::{Answer, Engine, Request, Turn, Understood};
use super::grounding::{self, Evidence, Support, Verdict};
use super::llm::stream::StreamOut;
use super::llm::{LlmEngine, LlmStats};
use super::memory::{self, Memory, Parts};
use super::nlu::Expectation;
use super::offline::{OfflineEngine, TurnInput};
use super::reply::{self, EngineReply, SuggestedAction, render_reply};
use super::state::ConversationState;
use super::tools::ToolContext;
use super::understand;
use crate::clock::Clock;
use crate::domain::Locale;
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::store::{Store, new_id, new_sorted_id};
use crate::truth::Policy;

/// What a customer sent.
#[derive(Clone, Debug)]
pub enum Inbound {
    Text(String),
    /// A suggested action pressed (button, reply button, quick reply).
    Action(String),
}

/// The reply as every channel receives it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Outbound {
    pub message_id: String,
    pub seq: i64,
    pub text: String,
    /// Buttons to offer; pressing one sends `{"action": id}`.
    pub actions: Vec<SuggestedAction>,
    /// The contradiction codes this reply presents.
    pub contradictions: Vec<String>,
    pub verified: bool,
    pub language: Locale,
    /// The conversation waits for staff.
    pub handoff: bool,
    /// Staff have taken over: the bot stays silent from now on.
    pub taken_over: bool,
    /// The tools called for this reply, by name.
    pub tools: Vec<String>,
    pub grounded: bool,
}

/// The grounding verdict as stored with a reply: the one of the text sent, and the one
/// of the text it replaced when the engine's first answer failed.
#[derive(Serialize)]
struct GroundingRecord<'a> {
    #[serde(flatten)]
    verdict: &'a Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced: Option<&'a Verdict>,
}

/// How a turn ended.
#[derive(Clone, Debug)]
pub enum TurnOutcome {
    Replied(Box<Outbound>),
    /// Staff answer this conversation; the customer was already told so.
    Silent,
    /// The same channel message was delivered before: nothing new was stored.
    Duplicate,
}

/// Runs turns; one per conversation at a time.
pub struct Assistant {
    store: Store,
    policy: Policy,
    clock: Clock,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Asked in order until one answers; the offline engine is always the last.
    engines: Vec<Box<dyn Engine>>,
    /// The evidence of recent tool results and of each conversation's latest messages.
    memory: Memory,
    /// How long a turn's lease lasts unless renewed (PostgreSQL, [`Self::turn_lease`]).
    lease_ms: i64,
}

impl Assistant {
    pub fn new(store: Store, policy: Policy, clock: Clock) -> Self {
        let memory = Memory::new(policy.time_zone);
        Assistant {
            store,
            policy,
            clock,
            locks: Mutex::new(HashMap::new()),
            engines: vec![Box::new(OfflineEngine)],
            memory,
            lease_ms: 15_000,
        }
    }

    /// Answers with the LLM engine (the offline engine stays the fallback).
    pub fn with_llm(mut self, engine: LlmEngine) -> Self {
        self.engines.insert(0, Box::new(engine));
        self
    }

    /// How long a turn's lease lasts unless renewed (`VERITY_LEASE_SECS`).
    pub fn with_lease_ms(mut self, lease_ms: u64) -> Self {
        self.lease_ms = i64::try_from(lease_ms).unwrap_or(15_000);
        self
    }

    /// `offline` or `openai`.
    pub fn engine_name(&self) -> &'static str {
        self.engines.first().map_or("offline", |e| e.name())
    }

    /// Opens a conversation on a channel.
    pub async fn open(
        &self,
        channel: &str,
        external_id: Option<&str>,
        token_hash: Option<&str>,
        language: Locale,
    ) -> anyhow::Result<ConversationRow> {
        let now = self.clock.now_ms();
        let row = ConversationRow {
            id: new_id("conv"),
            channel: channel.to_string(),
            external_id: external_id.map(str::to_string),
            token_hash: token_hash.map(str::to_string),
            customer_id: None,
            language: language.as_str().to_string(),
            failed_verifications: 0,
            locked_until_ms: None,
            taken_over_by: None,
            state: ConversationState::default().to_json(),
            created_ms: now,
            last_inbound_ms: None,
            updated_ms: now,
        };
        let stored = row.clone();
        self.store
            .write(move |c| {
                Box::pin(async move { conversations::insert_conversation(c, &stored).await })
            })
            .await?;
        Ok(row)
    }

    /// The opening message of a conversation (disclosing that a bot answers).
    pub async fn greet(&self, conversation: &ConversationRow) -> anyhow::Result<Outbound> {
        let locale = Locale::from_tag(&conversation.language);
        let reply = EngineReply {
            text: render_reply("greeting", locale, minijinja::context! {}),
            language: locale,
            ..EngineReply::default()
        };
        let verdict = grounding::check(&reply.text, &Evidence::new(self.policy.time_zone), locale);
        let mut conv = conversation.clone();
        let stats = offline_stats(0.0, &[]);
        self.store_reply(&mut conv, &reply, &verdict, None, stats, Vec::new())
            .await
    }

    /// The opening message for a customer the channel identified (a sender linked
    /// before, a WhatsApp number on file): who answers, and what is open for them —
    /// cases from any channel (`list_cases`), so the greeting is grounded like a reply.
    pub async fn greet_known(&self, conversation: &ConversationRow) -> anyhow::Result<Outbound> {
        let locale = Locale::from_tag(&conversation.language);
        let mut conv = conversation.clone();
        let mut state = ConversationState::from_json(&conv.state);
        let now = self.clock.now();
        let called = {
            let mut ctx = ToolContext {
                store: &self.store,
                policy: &self.policy,
                now,
                conversation: &mut conv,
                state: &mut state,
                locale,
                reads: Default::default(),
                client: None,
            };
            super::tools::call(&mut ctx, "list_cases", &json!({})).await?
        };
        let open: Vec<minijinja::Value> = called
            .output
            .cases()
            .iter()
            .filter(|c| c.is_open())
            .map(|c| {
                let kind = c.kind.as_str();
                let slot = match c.slot() {
                    Some((s, e)) if kind == "callback" => {
                        reply::slot_text(s, e, self.policy.time_zone, locale)
                    }
                    _ => String::new(),
                };
                minijinja::context! {
                    kind => kind,
                    label => reply::action_label(kind, locale),
                    slot => slot,
                    order => c.order_number.as_deref().unwrap_or(""),
                }
            })
            .collect();
        let mut reply = EngineReply {
            text: render_reply(
                "greeting_known",
                locale,
                minijinja::context! { open => open },
            ),
            language: locale,
            tool_calls: vec![called.record],
            ..EngineReply::default()
        };
        let parts = self.memory.calls(&reply.tool_calls);
        let evidence = memory::merge(self.policy.time_zone, std::iter::once(&parts));
        let mut verdict = grounding::check(&reply.text, &evidence, locale);
        if !verdict.passed {
            tracing::warn!(conversation.id = %conv.id, "the greeting with open cases failed the grounding check; greeting without them");
            reply.text = render_reply(
                "greeting_known",
                locale,
                minijinja::context! { open => Vec::<minijinja::Value>::new() },
            );
            verdict = grounding::check(&reply.text, &evidence, locale);
        }
        conv.state = state.to_json();
        let stats = offline_stats(0.0, &[]);
        self.store_reply(&mut conv, &reply, &verdict, None, stats, parts)
            .await
    }

    /// A message Verity sends first in a conversation (a notice about `order`), in
    /// `locale`: grounded on the order's record (`get_order`, and `track_shipment` for
    /// the shipment it is about), stored as the bot's with `actions`, and the order in
    /// focus for what the customer answers. The conversation must be verified for a
    /// person who may see the order (the tools refuse otherwise).
    pub async fn speak_first(
        &self,
        conversation: &ConversationRow,
        reply: EngineReply,
        order: &str,
        tracking: Option<&str>,
    ) -> anyhow::Result<Outbound> {
        let lock = self.lock_for(&conversation.id);
        let _turn = lock.lock().await;
        let locale = reply.language;
        let mut conv = conversation.clone();
        conv.language = locale.as_str().to_string();
        let mut state = ConversationState::from_json(&conv.state);
        let mut calls = Vec::new();
        {
            let mut ctx = ToolContext {
                store: &self.store,
                policy: &self.policy,
                now: self.clock.now(),
                conversation: &mut conv,
                state: &mut state,
                locale,
                reads: Default::default(),
                client: None,
            };
            let args = json!({ "order_number": order });
            calls.push(super::tools::call_tool(&mut ctx, "get_order", &args).await?);
            if let Some(t) = tracking {
                let args = json!({ "tracking_number": t });
                calls.push(super::tools::call_tool(&mut ctx, "track_shipment", &args).await?);
            }
        }
        state.focus_order = Some(order.to_string());
        state.focus_tracking = tracking.map(str::to_string);
        if !state.orders_discussed.iter().any(|o| o == order) {
            state.orders_discussed.push(order.to_string());
        }
        conv.state = state.to_json();
        let reply = EngineReply {
            tool_calls: calls,
            ..reply
        };
        let parts = self.memory.calls(&reply.tool_calls);
        let evidence = memory::merge(self.policy.time_zone, std::iter::once(&parts));
        let verdict = grounding::check(&reply.text, &evidence, locale);
        let stats = offline_stats(0.0, &reply.contradictions);
        self.store_reply(&mut conv, &reply, &verdict, None, stats, parts)
            .await
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(id.to_string()).or_default().clone()
    }

    /// Holds a conversation's turn lock: a staff action (take over, hand back, a staff
    /// message) waits for a running turn and makes the next one wait, so neither
    /// overwrites what the other saved.
    pub async fn lock_conversation(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.lock_for(id).lock_owned().await
    }

    /// One customer turn, answered as a whole message.
    pub async fn turn(
        &self,
        conversation_id: &str,
        inbound: Inbound,
        channel_message_id: Option<&str>,
    ) -> anyhow::Result<TurnOutcome> {
        self.turn_streamed(
            conversation_id,
            inbound,
            channel_message_id,
            &mut StreamOut::none(),
        )
        .await
    }

    /// One customer turn; the reply's text also goes to `stream` as it is produced
    /// (the web chat's event stream).
    pub async fn turn_streamed(
        &self,
        conversation_id: &str,
        inbound: Inbound,
        channel_message_id: Option<&str>,
        stream: &mut StreamOut,
    ) -> anyhow::Result<TurnOutcome> {
        self.turn_from(conversation_id, inbound, channel_message_id, None, stream)
            .await
    }

    /// [`Self::turn_streamed`] for a client at a known address (the web chat): failed
    /// verifications are counted for that address too.
    pub async fn turn_from(
        &self,
        conversation_id: &str,
        inbound: Inbound,
        channel_message_id: Option<&str>,
        client: Option<String>,
        stream: &mut StreamOut,
    ) -> anyhow::Result<TurnOutcome> {
        let lock = self.lock_for(conversation_id);
        let _turn = lock.lock().await;
        let lease = self.turn_lease(conversation_id).await?;
        let started = Instant::now();
        let now_ms = self.clock.now_ms();

        // 1. Store what the customer sent, before anything else.
        let (text, action) = match &inbound {
            Inbound::Text(t) => (t.clone(), None),
            Inbound::Action(a) => (String::new(), Some(a.clone())),
        };
        let msg = MessageRow {
            id: new_sorted_id("msg"),
            conversation_id: conversation_id.to_string(),
            seq: 0,
            role: Role::Customer,
            text,
            action,
            actions: None,
            tool_calls: None,
            grounding: None,
            engine_stats: None,
            channel_message_id: channel_message_id.map(str::to_string),
            author: None,
            created_ms: now_ms,
        };
        let stored = conversations::record_inbound(&self.store, msg, now_ms).await?;
        let stored = match (stored, channel_message_id) {
            (Some(s), _) => Some(s),
            // A retry of a message stored before whose turn never finished (the process
            // stopped between storing it and storing the reply): answered now, once.
            (None, Some(cid)) => self.interrupted(conversation_id, cid).await?,
            (None, None) => None,
        };
        let Some((conv, msg)) = stored else {
            return Ok(TurnOutcome::Duplicate);
        };
        let out = self
            .answer(conv, msg, inbound, client, stream, started)
            .await;
        if let Some(lease) = lease {
            lease.release().await?;
        }
        out
    }

    /// Answers a customer message stored before whose turn never finished (the process
    /// stopped between storing it and storing the reply): the turn's later steps, once.
    /// The caller has checked, holding the sender's lease, that no reply follows it.
    pub async fn resume(
        &self,
        conversation_id: &str,
        msg: MessageRow,
    ) -> anyhow::Result<TurnOutcome> {
        let lock = self.lock_for(conversation_id);
        let _turn = lock.lock().await;
        let lease = self.turn_lease(conversation_id).await?;
        let conv = {
            let mut conn = self.store.read().await?;
            conversations::get_conversation(&mut conn, conversation_id).await?
        }
        .ok_or_else(|| anyhow::anyhow!("conversation {conversation_id} vanished"))?;
        let inbound = match &msg.action {
            Some(a) => Inbound::Action(a.clone()),
            None => Inbound::Text(msg.text.clone()),
        };
        metrics::counter!("verity_turns_resumed_total", "channel" => conv.channel.clone())
            .increment(1);
        let started = Instant::now();
        let out = self
            .answer(conv, msg, inbound, None, &mut StreamOut::none(), started)
            .await;
        if let Some(lease) = lease {
            lease.release().await?;
        }
        out
    }

    /// The customer message stored with `channel_message_id` in this conversation when
    /// no reply follows it (its turn was cut short), with the conversation; the caller
    /// holds the conversation's turn.
    async fn interrupted(
        &self,
        conversation_id: &str,
        channel_message_id: &str,
    ) -> anyhow::Result<Option<(ConversationRow, MessageRow)>> {
        let Some(msg) =
            conversations::load_message_by_channel_id(&self.store, channel_message_id).await?
        else {
            return Ok(None);
        };
        if msg.conversation_id != conversation_id || msg.role != Role::Customer {
            return Ok(None);
        }
        let next = {
            let mut conn = self.store.read().await?;
            conversations::message_after(&mut conn, conversation_id, msg.seq).await?
        };
        if next.is_some() {
            return Ok(None);
        }
        let Some(conv) = conversations::load_conversation(&self.store, conversation_id).await?
        else {
            return Ok(None);
        };
        tracing::warn!(conversation.id = %conversation_id, channel = %conv.channel,
            "a stored message without its reply is answered (its turn was interrupted)");
        metrics::counter!("verity_turns_resumed_total", "channel" => conv.channel.clone())
            .increment(1);
        Ok(Some((conv, msg)))
    }

    /// A conversation's turn across instances and processes: a lease in the store (the
    /// in-process lock already orders this process's turns). On PostgreSQL and on a
    /// SQLite file (which another process may open too); a private in-memory store has
    /// no other process.
    async fn turn_lease(
        &self,
        conversation_id: &str,
    ) -> anyhow::Result<Option<crate::store::claims::LeaseGuard>> {
        if self.store.backend() != crate::store::Backend::Postgres && self.store.lite().is_none() {
            return Ok(None);
        }
        let name = format!("turn:{conversation_id}");
        Ok(Some(self.store.hold_lease(&name, self.lease_ms).await?))
    }

    /// The reply to a message that only switches notices off or on: no engine answered
    /// (the stats say so; an eval replay scripts no model here).
    async fn store_notices_reply(
        &self,
        mut conv: ConversationRow,
        state: ConversationState,
        reply: EngineReply,
        evidence: &Support,
        stream: &mut StreamOut,
        started: Instant,
    ) -> anyhow::Result<TurnOutcome> {
        let verdict = grounding::check(&reply.text, evidence, reply.language);
        stream.finish(&reply.text);
        conv.language = reply.language.as_str().to_string();
        conv.state = state.to_json();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let stats = json!({"engine": "notices", "duration_ms": elapsed, "contradictions": []});
        let out = self
            .store_reply(&mut conv, &reply, &verdict, None, stats, Vec::new())
            .await?;
        Ok(TurnOutcome::Replied(Box::new(out)))
    }

    /// A turn's steps after the customer's message is stored: staff answer, or the
    /// message is understood, an engine answers, the guard checks the answer, the reply
    /// is stored.
    async fn answer(
        &self,
        mut conv: ConversationRow,
        msg: MessageRow,
        inbound: Inbound,
        client: Option<String>,
        stream: &mut StreamOut,
        started: Instant,
    ) -> anyhow::Result<TurnOutcome> {
        let mut evidence = self.evidence_with(&conv.id, &msg).await?;
        let mut state = ConversationState::from_json(&conv.state);
        if conv.taken_over_by.is_some() {
            return self.staff_answer(&mut conv, &mut state, stream).await;
        }
        let now = self.clock.now();
        let mut understood = self.understand(inbound, &conv, &state, now);
        // "STOP" / "START": the notices, whichever engine answers; what else the message
        // asks is answered after the confirmation.
        let mut confirmed = None;
        if let Some(on) = super::optout::asked(&understood.input) {
            let reply = super::optout::answer(
                &self.store,
                &conv,
                on,
                understood.language,
                now.timestamp_millis(),
            )
            .await?;
            if super::optout::rest_asked(&mut understood.input) {
                confirmed = Some(reply.text);
            } else {
                return self
                    .store_notices_reply(conv, state, reply, &evidence, stream, started)
                    .await;
            }
        }
        let mut turn = Turn {
            store: &self.store,
            policy: &self.policy,
            now,
            conv: &mut conv,
            state: &mut state,
            client,
            memory: &self.memory,
        };
        // Step 4: the engines in order until one answers.
        let mut answer = Answer::default();
        for engine in &self.engines {
            let request = Request {
                turn: &mut turn,
                understood: &understood,
                evidence: &mut evidence,
                stream,
                started,
            };
            answer = answer.then(engine.answer(request).await?);
            if answer.reply.is_some() {
                break;
            }
        }
        let Answer {
            reply: Some((mut reply, mut verdict)),
            mut replaced,
            stats,
        } = answer
        else {
            anyhow::bail!("no engine answered (the offline engine always does)");
        };
        if let Some(failed) = self.guard(&mut reply, &mut verdict, &evidence, &conv.id) {
            replaced = Some(failed);
        }
        if let Some(confirmation) = confirmed {
            reply.text = format!("{confirmation}\n\n{}", reply.text);
        }
        stream.finish(&reply.text);
        self.store_turn(
            conv,
            state,
            &reply,
            &verdict,
            replaced.as_ref(),
            stats.as_ref(),
            started,
        )
        .await
    }

    /// Step 1: what the conversation supports so far, the memory's window with this
    /// message, or the latest messages as stored.
    async fn evidence_with(
        &self,
        conversation_id: &str,
        msg: &MessageRow,
    ) -> anyhow::Result<Support> {
        let parts = self.memory.customer_text(&msg.text);
        Ok(match self.memory.extend(conversation_id, msg.seq, parts) {
            Some(e) => e,
            None => {
                let recent = self.recent_messages(conversation_id).await?;
                self.memory.reset(conversation_id, &recent)
            }
        })
    }

    /// Step 2: staff answer this conversation; the bot says so once, then stays silent.
    async fn staff_answer(
        &self,
        conv: &mut ConversationRow,
        state: &mut ConversationState,
        stream: &mut StreamOut,
    ) -> anyhow::Result<TurnOutcome> {
        if state.takeover_notice_sent {
            return Ok(TurnOutcome::Silent);
        }
        let locale = Locale::from_tag(&conv.language);
        state.takeover_notice_sent = true;
        conv.state = state.to_json();
        let reply = EngineReply {
            text: render_reply("staff_takeover", locale, minijinja::context! {}),
            language: locale,
            ..EngineReply::default()
        };
        let verdict = grounding::check(&reply.text, &Evidence::new(self.policy.time_zone), locale);
        stream.finish(&reply.text);
        let stats = offline_stats(0.0, &[]);
        let out = self
            .store_reply(conv, &reply, &verdict, None, stats, Vec::new())
            .await?;
        Ok(TurnOutcome::Replied(Box::new(out)))
    }

    /// Step 3: what the message says, read with what the conversation waits for.
    fn understand(
        &self,
        inbound: Inbound,
        conv: &ConversationRow,
        state: &ConversationState,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Understood {
        let locale = Locale::from_tag(&conv.language);
        let expecting = if state.pending.is_some() {
            Some(Expectation::AwaitingConfirmation)
        } else if conv.customer_id.is_none()
            && (state.pending_intent.is_some() || state.unverified_order.is_some())
        {
            Some(Expectation::AwaitingVerification)
        } else {
            None
        };
        let today = now.with_timezone(&self.policy.time_zone).date_naive();
        let input = match inbound {
            Inbound::Text(t) => TurnInput::Text {
                signals: understand::signals(&t, Some(locale), today, expecting),
                text: t,
            },
            Inbound::Action(a) => TurnInput::Action(a),
        };
        let signals = match &input {
            TurnInput::Text { signals, .. } => Some(signals),
            TurnInput::Action(_) => None,
        };
        let said_yes = signals.is_some_and(|s| s.has(super::nlu::Intent::Yes));
        let offer_person = signals.is_some_and(|s| {
            s.intents.iter().any(|i| {
                matches!(
                    i,
                    super::nlu::Intent::CannotDo { .. }
                        | super::nlu::Intent::Frustration
                        | super::nlu::Intent::StillThere
                        | super::nlu::Intent::Cancel
                )
            })
        });
        let language = signals.and_then(|s| s.language).unwrap_or(locale);
        Understood {
            input,
            language,
            said_yes,
            offer_person,
        }
    }

    /// Step 5: the guard. A reply that states what no tool result supports is replaced
    /// by the template answer with the way to a person; returns the failed verdict.
    fn guard(
        &self,
        reply: &mut EngineReply,
        verdict: &mut Verdict,
        evidence: &Support,
        conversation_id: &str,
    ) -> Option<Verdict> {
        if verdict.passed {
            return None;
        }
        metrics::counter!("verity_grounding_failures_total", "engine" => "offline").increment(1);
        tracing::warn!(conversation.id = %conversation_id, "a reply failed the grounding check; the template answer is sent");
        reply.text = render_reply("unknown", reply.language, minijinja::context! {});
        reply.actions = vec![SuggestedAction {
            id: "handoff".into(),
            label: reply::action_label("handoff", reply.language),
        }];
        reply.contradictions.clear();
        let failed = std::mem::replace(
            verdict,
            grounding::check(&reply.text, evidence, reply.language),
        );
        Some(failed)
    }

    /// Step 6: the reply stored with the conversation's new state, its tool calls,
    /// verdicts and engine stats.
    #[allow(clippy::too_many_arguments)]
    async fn store_turn(
        &self,
        mut conv: ConversationRow,
        state: ConversationState,
        reply: &EngineReply,
        verdict: &Verdict,
        replaced: Option<&Verdict>,
        stats: Option<&LlmStats>,
        started: Instant,
    ) -> anyhow::Result<TurnOutcome> {
        conv.language = reply.language.as_str().to_string();
        conv.state = state.to_json();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let engine = if stats.is_some() { "openai" } else { "offline" };
        let stats_json = match stats {
            Some(s) => {
                record_llm_metrics(s, elapsed);
                llm_stats_json(s, elapsed, &reply.contradictions)
            }
            None => offline_stats(elapsed, &reply.contradictions),
        };
        let parts = self.memory.calls(&reply.tool_calls);
        let out = self
            .store_reply(&mut conv, reply, verdict, replaced, stats_json, parts)
            .await?;
        metrics::counter!("verity_turns_total", "channel" => conv.channel.clone(), "engine" => engine).increment(1);
        Ok(TurnOutcome::Replied(Box::new(out)))
    }

    /// The latest messages of a conversation, oldest first (the grounding window).
    async fn recent_messages(&self, conversation_id: &str) -> anyhow::Result<Vec<MessageRow>> {
        let mut conn = self.store.read().await?;
        conversations::list_recent_messages(&mut conn, conversation_id, memory::WINDOW).await
    }

    /// Stores a reply (with `parts`, the evidence of its tool results) and the
    /// conversation's new state.
    async fn store_reply(
        &self,
        conv: &mut ConversationRow,
        reply: &EngineReply,
        verdict: &Verdict,
        replaced: Option<&Verdict>,
        engine_stats: serde_json::Value,
        parts: Parts,
    ) -> anyhow::Result<Outbound> {
        let now_ms = self.clock.now_ms();
        let state = ConversationState::from_json(&conv.state);
        let msg = MessageRow {
            id: new_sorted_id("msg"),
            conversation_id: conv.id.clone(),
            seq: 0,
            role: Role::Bot,
            text: reply.text.clone(),
            action: None,
            actions: Some(serde_json::to_string(&reply.actions)?),
            tool_calls: Some(serde_json::to_string(&reply.tool_calls)?),
            grounding: Some(serde_json::to_string(&GroundingRecord {
                verdict,
                replaced,
            })?),
            engine_stats: Some(engine_stats.to_string()),
            channel_message_id: None,
            author: None,
            created_ms: now_ms,
        };
        let msg = conversations::record_reply(&self.store, msg, conv.clone()).await?;
        self.memory.append(&conv.id, msg.seq, parts);
        Ok(Outbound {
            message_id: msg.id,
            seq: msg.seq,
            text: reply.text.clone(),
            actions: reply.actions.clone(),
            contradictions: reply.contradictions.clone(),
            verified: conv.customer_id.is_some(),
            language: reply.language,
            handoff: reply.handoff || state.waiting_for_staff,
            taken_over: conv.taken_over_by.is_some(),
            tools: reply.tool_calls.iter().map(|c| c.name.clone()).collect(),
            grounded: verdict.passed,
        })
    }
}

fn offline_stats(elapsed_ms: f64, contradictions: &[String]) -> serde_json::Value {
    json!({"engine": "offline", "duration_ms": elapsed_ms, "contradictions": contradictions})
}

/// The LLM engine's counts with the turn's duration; `own_ms` is Verity's own time (the
/// turn minus the time spent waiting for the model).
fn llm_stats_json(s: &LlmStats, elapsed_ms: f64, contradictions: &[String]) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_else(|_| json!({}));
    v["engine"] = json!("openai");
    v["duration_ms"] = json!(elapsed_ms);
    v["own_ms"] = json!((elapsed_ms - s.model_ms).max(0.0));
    v["contradictions"] = json!(contradictions);
    v
}

fn record_llm_metrics(s: &LlmStats, elapsed_ms: f64) {
    metrics::histogram!("verity_llm_turn_model_calls").record(f64::from(s.model_calls));
    metrics::histogram!("verity_llm_turn_own_seconds")
        .record((elapsed_ms - s.model_ms).max(0.0) / 1000.0);
}
