//! The LLM engine behind the engines' trait: one customer text, answered through the
//! tools within the message's deadline.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{HISTORY_MESSAGES, LlmEngine, LlmInput, LlmOutcome, LlmStats};
use crate::assistant::engine::{Answer, Engine, Request};
use crate::assistant::grounding;
use crate::assistant::offline::TurnInput;
use crate::assistant::reply::{EngineReply, render_reply};
use crate::assistant::tools::call_tool;
use crate::config::LlmFallback;
use crate::store::conversations;

impl Engine for LlmEngine {
    fn name(&self) -> &'static str {
        "openai"
    }

    /// Without a reply (the model failed, or its answer failed the guard twice) the
    /// conversation is as it was before, for the next engine; with the handoff
    /// fallback, staff are called instead. Pressed buttons are commands with one
    /// meaning: they are left to the next engine.
    fn answer<'f>(&'f self, request: Request<'f, '_>) -> BoxFuture<'f, anyhow::Result<Answer>> {
        Box::pin(async move {
            let Request {
                turn,
                understood,
                evidence,
                stream,
                started,
            } = request;
            let TurnInput::Text { text, .. } = &understood.input else {
                return Ok(Answer::default());
            };
            let language = understood.language;
            let history = {
                let mut conn = turn.store.read().await?;
                let n = HISTORY_MESSAGES as i64 + 1;
                conversations::list_recent_texts(&mut conn, &turn.conv.id, n).await?
            };
            let before = (turn.conv.clone(), turn.state.clone());
            let mut stats = LlmStats::default();
            let outcome = {
                let memory = turn.memory;
                let mut ctx = turn.tools(language);
                let history = &history[..history.len().saturating_sub(1)];
                let input = LlmInput {
                    text,
                    history,
                    language,
                    customer_said_yes: understood.said_yes,
                    offer_person: understood.offer_person,
                    evidence: evidence.clone(),
                    memory,
                };
                // One deadline per customer message, whatever the model's retries.
                let left = self.config().deadline.saturating_sub(started.elapsed());
                match tokio::time::timeout(left, self.respond(&mut ctx, input, stream, &mut stats))
                    .await
                {
                    Ok(outcome) => outcome?,
                    Err(_) => {
                        metrics::counter!("verity_llm_fallbacks_total", "reason" => "deadline")
                            .increment(1);
                        LlmOutcome::Failed { reason: "deadline" }
                    }
                }
            };
            let mut answer = Answer::default();
            match outcome {
                LlmOutcome::Reply {
                    reply,
                    verdict,
                    replaced,
                } => {
                    answer.replaced = replaced;
                    answer.reply = Some((reply, verdict));
                }
                LlmOutcome::Ungrounded { replaced } => {
                    answer.replaced = Some(replaced);
                    (*turn.conv, *turn.state) = before;
                }
                LlmOutcome::Failed { reason } => {
                    tracing::warn!(conversation.id = %turn.conv.id, reason, "the model failed; the fallback answers");
                    (*turn.conv, *turn.state) = before;
                    if self.config().fallback == LlmFallback::Handoff {
                        let call = call_tool(
                            &mut turn.tools(language),
                            "handoff_to_human",
                            &json!({"reason": "the assistant could not answer"}),
                        )
                        .await?;
                        let reply = EngineReply {
                            text: render_reply("handoff", language, minijinja::context! {}),
                            language,
                            handoff: true,
                            tool_calls: vec![call],
                            ..EngineReply::default()
                        };
                        let verdict = grounding::check(&reply.text, &*evidence, language);
                        answer.reply = Some((reply, verdict));
                    }
                }
            }
            answer.stats = Some(stats);
            Ok(answer)
        })
    }
}
