//! The offline engine (the default): a deterministic dialogue policy over what the NLU
//! understood. It chooses the tools, and answers from the reply templates in
//! `prompts/replies/` with the truth summaries the tools return — so everything it says
//! about an order or a parcel comes from the store.

mod flows;

use futures_util::future::BoxFuture;

use super::engine::{Answer, Engine, Request};
use super::grounding;
use super::tools::ToolContext;
use crate::domain::Locale;

pub use super::reply::EngineReply;

pub use super::nlu::Intent;

/// Intents that need order data, hence a verified customer.
pub fn needs_order(i: Intent) -> bool {
    matches!(
        i,
        Intent::WhereIsMyParcel
            | Intent::NotReceived
            | Intent::WrongItem
            | Intent::Damaged
            | Intent::Late
            | Intent::RefundStatus
            | Intent::Cancel
            | Intent::Return
            | Intent::Callback
            | Intent::Redelivery
            | Intent::Replacement
            | Intent::Investigation
            | Intent::Detail { .. }
    )
}

/// What one message said, reduced to what the dialogue needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// The message's language when it is clear; `None` keeps the conversation's.
    pub language: Option<Locale>,
    /// In the order they appear, the main one first.
    pub intents: Vec<Intent>,
    pub order_numbers: Vec<String>,
    pub tracking_numbers: Vec<String>,
    pub postcodes: Vec<String>,
    pub emails: Vec<String>,
    /// "und die andere Bestellung?"
    pub refers_to_other: bool,
    /// The text tries to instruct the bot ("ignore your rules …").
    pub injection: bool,
    /// "und die anderen beiden?": every other order.
    pub refers_to_all_others: bool,
    /// An answer that is neither a clear yes nor a clear no.
    pub hesitant: bool,
    /// A report that may not be about the order: asked about before it is recorded.
    pub report_unsure: bool,
}

impl Signals {
    pub fn has(&self, i: Intent) -> bool {
        self.intents.contains(&i)
    }
    /// The first request Verity cannot do here, if any.
    pub fn cannot_do(&self) -> Option<super::nlu::Unable> {
        self.intents.iter().find_map(|i| match i {
            Intent::CannotDo { what } => Some(*what),
            _ => None,
        })
    }
    /// A general question on any topic.
    pub fn asks_generally(&self) -> bool {
        self.intents
            .iter()
            .any(|i| matches!(i, Intent::GeneralQuestion { .. }))
    }
    /// The first intent that needs order data.
    pub fn data_intent(&self) -> Option<Intent> {
        let mut wanted = self.intents.iter().copied().filter(|i| needs_order(*i));
        let first = wanted.next()?;
        // A report (not received, wrong item, damaged) is recorded and answered with the
        // status. A message naming several other requests at once is a complaint telling
        // what happened ("the replacement was cancelled, it came anyway, where is the
        // return label?"): the status answers it, with every contradiction and the
        // remedies the policy allows, rather than the first request named.
        if let Some(report) = self
            .intents
            .iter()
            .copied()
            .find(|i| matches!(i, Intent::NotReceived | Intent::WrongItem | Intent::Damaged))
        {
            return Some(report);
        }
        // A question about one detail ("und wo genau?", "wo ist mein Rücksendeetikett?")
        // is answered as such, whatever vaguer request shares the message.
        if let Some(detail) = self
            .intents
            .iter()
            .copied()
            .find(|i| matches!(i, Intent::Detail { .. }))
            && self.intents.iter().all(|i| {
                !needs_order(*i)
                    || matches!(
                        i,
                        Intent::Detail { .. }
                            | Intent::WhereIsMyParcel
                            | Intent::Return
                            | Intent::Late
                            | Intent::Redelivery
                    )
            })
        {
            return Some(detail);
        }
        if wanted.any(|i| i != first) {
            return Some(Intent::WhereIsMyParcel);
        }
        Some(first)
    }
}

/// One customer turn: a text (with what was understood of it) or a pressed action.
#[derive(Clone, Debug)]
pub enum TurnInput {
    Text { text: String, signals: Signals },
    Action(String),
}

/// Runs the dialogue policy for one turn.
pub async fn respond(ctx: &mut ToolContext<'_>, input: &TurnInput) -> anyhow::Result<EngineReply> {
    flows::Turn::new(ctx.locale).run(ctx, input).await
}

/// The offline engine: it always answers, so it is every chain's last.
pub struct OfflineEngine;

impl Engine for OfflineEngine {
    fn name(&self) -> &'static str {
        "offline"
    }

    /// The dialogue policy answers through the tools; their results join the evidence
    /// the reply is checked against.
    fn answer<'f>(&'f self, request: Request<'f, '_>) -> BoxFuture<'f, anyhow::Result<Answer>> {
        Box::pin(async move {
            let Request {
                turn,
                understood,
                evidence,
                ..
            } = request;
            let locale = Locale::from_tag(&turn.conv.language);
            let reply = respond(&mut turn.tools(locale), &understood.input).await?;
            for p in turn.memory.calls(&reply.tool_calls) {
                evidence.add(&p);
            }
            let verdict = grounding::check(&reply.text, &*evidence, reply.language);
            Ok(Answer {
                reply: Some((reply, verdict)),
                ..Answer::default()
            })
        })
    }
}
