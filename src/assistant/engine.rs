//! The engines behind one trait. The conversation service understands a message, then
//! asks its engines in order (the LLM engine when one is configured, the offline engine
//! always last) until one answers; every engine answers through the same tools and its
//! reply is checked against the same evidence.

use std::time::Instant;

use futures_util::future::BoxFuture;

use super::grounding::{Support, Verdict};
use super::llm::LlmStats;
use super::llm::stream::StreamOut;
use super::memory::Memory;
use super::offline::TurnInput;
use super::reply::EngineReply;
use super::state::ConversationState;
use super::tools::ToolContext;
use crate::domain::Locale;
use crate::store::Store;
use crate::store::conversations::ConversationRow;
use crate::truth::Policy;

/// What a message says, as the engines need it.
pub struct Understood {
    pub input: TurnInput,
    /// The language to answer in: the message's, when it is clear.
    pub language: Locale,
    pub said_yes: bool,
    /// The message asks for what only a person can do, or is frustrated.
    pub offer_person: bool,
}

/// The conversation a turn works on, and what its tools need.
pub struct Turn<'a> {
    pub store: &'a Store,
    pub policy: &'a Policy,
    pub now: chrono::DateTime<chrono::Utc>,
    pub conv: &'a mut ConversationRow,
    pub state: &'a mut ConversationState,
    pub client: Option<String>,
    /// The evidence of recent tool results and of the conversation's latest messages.
    pub memory: &'a Memory,
}

impl Turn<'_> {
    /// The tools' context, answering in `locale`.
    pub fn tools(&mut self, locale: Locale) -> ToolContext<'_> {
        ToolContext {
            store: self.store,
            policy: self.policy,
            now: self.now,
            conversation: self.conv,
            state: self.state,
            locale,
            reads: Default::default(),
            client: self.client.clone(),
        }
    }
}

/// One message for the engines: the turn, what was understood, and what the reply is
/// checked against.
pub struct Request<'r, 'a> {
    pub turn: &'r mut Turn<'a>,
    pub understood: &'r Understood,
    /// What the conversation supports so far; an engine adds its tool results.
    pub evidence: &'r mut Support,
    pub stream: &'r mut StreamOut,
    /// When the customer's message arrived (one deadline per message).
    pub started: Instant,
}

/// An engine's answer: a reply with its verdict, or none, and the next engine answers
/// from the conversation as it was before this one's turn.
#[derive(Default)]
pub struct Answer {
    pub reply: Option<(EngineReply, Verdict)>,
    /// The verdict of a first reply that failed the grounding check.
    pub replaced: Option<Verdict>,
    /// The model's counts, for an engine that called one.
    pub stats: Option<LlmStats>,
}

impl Answer {
    /// What a later engine answers on top of this one's attempt: its reply, the first
    /// verdict that failed, and the model's counts of whichever engine called one.
    pub fn then(self, next: Answer) -> Answer {
        Answer {
            reply: next.reply,
            replaced: self.replaced.or(next.replaced),
            stats: self.stats.or(next.stats),
        }
    }
}

/// An engine: answers one understood message through the tools.
pub trait Engine: Send + Sync {
    /// Its name in metrics and the record (`offline`, `openai`).
    fn name(&self) -> &'static str;

    /// Answers the request, or returns an [`Answer`] without a reply (having put the
    /// conversation back as it was) so that the next engine answers.
    fn answer<'f>(&'f self, request: Request<'f, '_>) -> BoxFuture<'f, anyhow::Result<Answer>>;
}
