//! The LLM engine: any OpenAI-compatible model (async-openai) answering through the same
//! tool registry as the offline engine. The tool loop runs the model's (parallel) tool
//! calls, returns argument errors to the model as tool results, and is bounded in
//! rounds; identity, scoping and policy stay in the tools, and a confirmation counts only
//! when the customer said yes to a proposal shown in an earlier turn. Every reply passes
//! the grounding guard: a failing reply is regenerated once with the violations named;
//! failing again, or when the endpoint fails for good, the conversation service sends
//! the offline engine's answer instead.

mod answer;
pub mod client;
pub mod prompt;
pub mod stream;

use serde::Serialize;
use serde_json::{Value, json};

use self::client::{CallError, CallStats, Completion, LlmClient, RequestedCall};
use self::stream::StreamOut;
use super::grounding::{self, Support, Verdict};
use super::memory::Memory;
use super::reply::{EngineReply, SuggestedAction, action_label};
use super::tools::output::Unverified;
use super::tools::{Called, ToolCallRecord, ToolContext, ToolOutput, ToolSpec, call, registry};
use crate::config::LlmConfig;
use crate::domain::Locale;
use crate::store::conversations::{MessageRow, Role};

/// Messages of the history the model sees (the context carries the rest).
pub(crate) const HISTORY_MESSAGES: usize = 12;

/// The engine: a configured client.
#[derive(Debug)]
pub struct LlmEngine {
    client: LlmClient,
}

/// What one turn gives the engine.
pub struct LlmInput<'a> {
    pub text: &'a str,
    /// The conversation so far, oldest first, without the customer's current message.
    pub history: &'a [MessageRow],
    /// The reply's language.
    pub language: Locale,
    /// The customer agreed ("ja, bitte") in this message.
    pub customer_said_yes: bool,
    /// The offline understanding found a request Verity cannot do here, or frustration:
    /// the reply offers a person, whatever the model wrote.
    pub offer_person: bool,
    /// What earlier messages support (the grounding evidence before this turn's tools).
    pub evidence: Support,
    /// Where the evidence of a tool result seen before is kept.
    pub memory: &'a Memory,
}

/// Counts of one turn, stored with the reply (`engine_stats`) and exported as metrics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LlmStats {
    /// Model calls made (a retry of a failed call counts as an attempt, not a call).
    pub model_calls: u32,
    pub attempts: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// True when a response carried no usage and tokens were estimated (4 chars/token).
    pub tokens_estimated: bool,
    /// Time spent waiting for the model.
    pub model_ms: f64,
    /// Rounds of tool calls.
    pub tool_rounds: u32,
    /// `passed`, `regenerated` (passed the second time) or `template`.
    pub guard: &'static str,
    /// Why the model's answer was not used, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<&'static str>,
}

/// How the engine's turn ended.
pub enum LlmOutcome {
    /// A reply that passed the grounding check (`replaced`: the first, failing one).
    Reply {
        reply: EngineReply,
        verdict: Verdict,
        replaced: Option<Verdict>,
    },
    /// Both replies failed the grounding check.
    Ungrounded { replaced: Verdict },
    /// The endpoint failed for good, or the model did not finish within its rounds.
    Failed { reason: &'static str },
}

enum LoopError {
    Call(CallError),
    RoundLimit,
    Empty,
}

impl LoopError {
    fn label(&self) -> &'static str {
        match self {
            LoopError::Call(e) => e.label(),
            LoopError::RoundLimit => "round_limit",
            LoopError::Empty => "empty_reply",
        }
    }
}

/// One turn's working set.
struct Run<'a> {
    messages: Vec<Value>,
    tools: &'a [Value],
    evidence: Support,
    memory: &'a Memory,
    records: Vec<ToolCallRecord>,
    /// The typed results of `records`, one for one.
    outputs: Vec<ToolOutput>,
    language: Locale,
    /// The proposal shown before this turn, and whether the customer said yes to it now.
    confirmable: Option<String>,
    /// See `LlmInput::offer_person`.
    offer_person: bool,
}

impl LlmEngine {
    pub fn new(config: LlmConfig) -> Self {
        LlmEngine {
            client: LlmClient::new(config),
        }
    }

    pub fn config(&self) -> &LlmConfig {
        self.client.config()
    }

    /// Answers one customer message.
    pub async fn respond(
        &self,
        ctx: &mut ToolContext<'_>,
        input: LlmInput<'_>,
        stream: &mut StreamOut,
        stats: &mut LlmStats,
    ) -> anyhow::Result<LlmOutcome> {
        let tools = prompt::tools().map_err(anyhow::Error::msg)?;
        let mut records = Vec::new();
        let mut outputs = Vec::new();
        // The verified customer's orders, with their open contradictions, go into the
        // context: a plain status question then needs one tool round at most.
        let orders = if ctx.customer().is_some() {
            let called = call(ctx, "list_orders", &json!({})).await?;
            let json = called.record.result.to_string();
            records.push(called.record);
            outputs.push(called.output);
            Some(json)
        } else {
            None
        };
        let mut evidence = input.evidence;
        for r in &records {
            evidence.add(&input.memory.result(&r.result));
        }
        let mut messages = vec![
            json!({"role": "system", "content": prompt::system().map_err(anyhow::Error::msg)?}),
        ];
        let start = input.history.len().saturating_sub(HISTORY_MESSAGES);
        for m in &input.history[start..] {
            let role = match m.role {
                Role::Customer => "user",
                Role::Bot | Role::Staff => "assistant",
                Role::System => continue,
            };
            let text = if m.text.is_empty() {
                m.action.as_deref().map(|a| format!("[pressed: {a}]"))
            } else {
                Some(m.text.clone())
            };
            if let Some(text) = text {
                messages.push(json!({"role": role, "content": text}));
            }
        }
        let tz = evidence.time_zone();
        let pending = ctx.state.pending.clone();
        let context = prompt::context(minijinja::context! {
            now_local => ctx.now.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            time_zone => tz.name(),
            language => input.language.as_str(),
            channel => ctx.conversation.channel.clone(),
            verified => ctx.customer().is_some(),
            customer_name => Value::Null,
            orders_json => orders.unwrap_or_default(),
            focus_order => ctx.state.focus_order.clone(),
            pending => pending.as_ref().map(|p| minijinja::context! {
                id => p.id.clone(), remedy => p.remedy.as_str(), order_number => p.order_number.clone() }),
            waiting_for_staff => ctx.state.waiting_for_staff,
        })
        .map_err(anyhow::Error::msg)?;
        messages.push(json!({"role": "system", "content": context}));
        messages.push(json!({"role": "user", "content": input.text}));
        let mut run = Run {
            messages,
            tools: &tools,
            evidence,
            memory: input.memory,
            records,
            outputs,
            language: input.language,
            confirmable: pending.filter(|_| input.customer_said_yes).map(|p| p.id),
            offer_person: input.offer_person,
        };
        let mut replaced = None;
        for attempt in 0..2 {
            let text = match self.tool_loop(ctx, &mut run, stream, stats).await? {
                Ok(text) => text,
                Err(e) => {
                    stats.failure = Some(e.label());
                    metrics::counter!("verity_llm_fallbacks_total", "reason" => e.label())
                        .increment(1);
                    return Ok(LlmOutcome::Failed { reason: e.label() });
                }
            };
            let verdict = grounding::check(&text, &run.evidence, run.language);
            if verdict.passed {
                stats.guard = if attempt == 0 {
                    "passed"
                } else {
                    "regenerated"
                };
                metrics::counter!("verity_llm_guard_total", "outcome" => stats.guard).increment(1);
                let reply = build_reply(text, ctx, &run);
                return Ok(LlmOutcome::Reply {
                    reply,
                    verdict,
                    replaced,
                });
            }
            metrics::counter!("verity_grounding_failures_total", "engine" => "openai").increment(1);
            tracing::warn!(conversation.id = %ctx.conversation.id, attempt, "an LLM reply failed the grounding check");
            if attempt == 0 {
                let again = prompt::regenerate(&verdict.reasons()).map_err(anyhow::Error::msg)?;
                run.messages
                    .push(json!({"role": "assistant", "content": text}));
                run.messages.push(json!({"role": "user", "content": again}));
                replaced = Some(verdict);
            } else {
                stats.guard = "template";
                metrics::counter!("verity_llm_guard_total", "outcome" => "template").increment(1);
                return Ok(LlmOutcome::Ungrounded { replaced: verdict });
            }
        }
        Ok(LlmOutcome::Failed {
            reason: "unreachable",
        })
    }

    /// Model calls and tool rounds until the model answers with text.
    async fn tool_loop(
        &self,
        ctx: &mut ToolContext<'_>,
        run: &mut Run<'_>,
        stream: &mut StreamOut,
        stats: &mut LlmStats,
    ) -> anyhow::Result<Result<String, LoopError>> {
        let config = self.client.config();
        let max_rounds = config.max_tool_rounds;
        for round in 0..=max_rounds {
            let last = round == max_rounds;
            let request = json!({
                "model": config.model,
                "messages": run.messages,
                "tools": run.tools,
                "tool_choice": if last { "none" } else { "auto" },
                "parallel_tool_calls": true,
                "temperature": config.temperature,
                "max_tokens": config.max_tokens,
            });
            if stream.is_streaming() {
                stream.begin_call(run.evidence.clone(), run.language);
            }
            let mut cs = CallStats::default();
            let streaming = stream.is_streaming();
            let result = self
                .client
                .complete(&request, streaming.then_some(&mut *stream), &mut cs)
                .await;
            stats.model_calls += 1;
            stats.attempts += cs.attempts;
            stats.model_ms += cs.model_ms;
            let completion = match result {
                Ok(c) => c,
                Err(e) => return Ok(Err(LoopError::Call(e))),
            };
            count_tokens(&request, &completion, stats);
            if completion.tool_calls.is_empty() {
                let text = completion.content.trim().to_string();
                if text.is_empty() {
                    return Ok(Err(LoopError::Empty));
                }
                return Ok(Ok(text));
            }
            if last {
                return Ok(Err(LoopError::RoundLimit));
            }
            stats.tool_rounds += 1;
            run.messages.push(json!({
                "role": "assistant",
                "content": if completion.content.is_empty() { Value::Null } else { json!(completion.content) },
                "tool_calls": completion.tool_calls.iter().map(|c| json!({
                    "id": c.id, "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments}})).collect::<Vec<_>>(),
            }));
            for call in &completion.tool_calls {
                let called = run_call(ctx, call, run.confirmable.as_deref()).await?;
                let record = called.record;
                run.evidence.add(&run.memory.result(&record.result));
                run.messages.push(json!({
                    "role": "tool", "tool_call_id": call.id, "content": record.result.to_string()}));
                run.records.push(record);
                run.outputs.push(called.output);
            }
        }
        Ok(Err(LoopError::RoundLimit))
    }
}

/// Tokens from the response's usage, or estimated from the text when it has none.
fn count_tokens(request: &Value, completion: &Completion, stats: &mut LlmStats) {
    let (prompt, done) = match completion.usage {
        Some(u) => u,
        None => {
            stats.tokens_estimated = true;
            let prompt = request["messages"].to_string().len() as u64 / 4;
            let done = (completion.content.len()
                + completion
                    .tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.len())
                    .sum::<usize>()) as u64
                / 4;
            (prompt, done.max(1))
        }
    };
    stats.prompt_tokens += prompt;
    stats.completion_tokens += done;
    metrics::counter!("verity_llm_tokens_total", "kind" => "prompt").increment(prompt);
    metrics::counter!("verity_llm_tokens_total", "kind" => "completion").increment(done);
}

/// Runs one tool call of the model: bad arguments and unconfirmed writes come back as
/// results the model reads.
async fn run_call(
    ctx: &mut ToolContext<'_>,
    call: &RequestedCall,
    confirmable: Option<&str>,
) -> anyhow::Result<Called> {
    let refused = |arguments: Value, code: &'static str, message: String| {
        Called::new(
            &call.name,
            arguments,
            ToolOutput::refused(code, message),
            0.0,
        )
    };
    let args: Value = match serde_json::from_str(&call.arguments) {
        Ok(v) => v,
        Err(e) => {
            return refused(
                Value::String(call.arguments.clone()),
                "bad_arguments",
                format!("the arguments are not valid JSON ({e}); send a JSON object"),
            );
        }
    };
    let Some(spec) = registry().into_iter().find(|t| t.name == call.name) else {
        return refused(
            args,
            "unknown_tool",
            format!("there is no tool named {}", call.name),
        );
    };
    if let Err(problem) = validate(&spec, &args) {
        return refused(args, "bad_arguments", problem);
    }
    if spec.name == "confirm_remedy" {
        let pending = ctx.state.pending.as_ref().map(|p| p.id.as_str());
        if confirmable.is_none() || pending != confirmable {
            return refused(
                args,
                "not_confirmed",
                "the customer has not said yes to a proposal shown in an earlier message: present the proposal and ask first".into(),
            );
        }
    }
    super::tools::call(ctx, spec.name, &args).await
}

/// Checks arguments against a tool's JSON schema (the subset the registry uses: an
/// object of strings, required keys, enums, no unknown keys).
pub(crate) fn validate(spec: &ToolSpec, args: &Value) -> Result<(), String> {
    let Some(obj) = args.as_object() else {
        return Err("the arguments must be a JSON object".into());
    };
    let props = spec.parameters["properties"].as_object();
    for (key, value) in obj {
        let Some(schema) = props.and_then(|p| p.get(key)) else {
            return Err(format!("{} takes no argument `{key}`", spec.name));
        };
        if schema["type"] == "string" && !value.is_string() {
            return Err(format!("`{key}` must be a string"));
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            return Err(format!(
                "`{key}` must be one of {}",
                allowed
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if let Some(required) = spec.parameters["required"].as_array() {
        for r in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return Err(format!("`{r}` is required"));
            }
        }
    }
    Ok(())
}

/// The reply with its tool calls, the contradictions its tool results present, and
/// actions: confirm/decline for a pending proposal, else the remedies allowed.
fn build_reply(text: String, ctx: &ToolContext<'_>, run: &Run<'_>) -> EngineReply {
    let mut contradictions: Vec<String> = Vec::new();
    let mut remedies: Vec<String> = Vec::new();
    let calls = || run.records.iter().zip(&run.outputs);
    for (_, out) in calls().filter(|(r, _)| {
        matches!(
            r.name.as_str(),
            "get_order" | "track_shipment" | "report_problem"
        )
    }) {
        collect_contradictions(out, &mut contradictions, &mut remedies);
    }
    // A refused proposal names what can be done instead.
    let mut alternatives: Vec<String> = Vec::new();
    for (_, out) in calls().filter(|(r, _)| r.name == "propose_remedy") {
        let refused = out.decision().filter(|d| !d.allowed);
        for a in refused
            .into_iter()
            .flat_map(|d| d.alternatives.iter().flatten())
        {
            push_new(&mut alternatives, a.as_str());
        }
    }
    remedies.retain(|r| !alternatives.contains(r));
    alternatives.append(&mut remedies);
    let mut remedies = alternatives;
    // A way out to a person once verification is locked or a problem was reported.
    let way_out = calls().any(|(r, out)| {
        let reason = out.verification().and_then(|v| v.reason);
        reason == Some(Unverified::Locked)
            || (r.name == "report_problem" && out.recorded())
            // Verification failed again in this conversation: a person can help.
            || (reason == Some(Unverified::NoMatch) && ctx.conversation.failed_verifications >= 2)
    });
    if (way_out || run.offer_person) && !remedies.iter().any(|x| x == "handoff") {
        remedies.push("handoff".into());
    }
    let ids: Vec<String> = if ctx.state.pending.is_some() {
        vec!["confirm".into(), "decline".into()]
    } else {
        let mut ids: Vec<String> = remedies.into_iter().take(3).collect();
        // As in the offline engine: the full record of a contradiction on request.
        if !contradictions.is_empty() {
            ids.push("details".into());
        }
        ids
    };
    EngineReply {
        text,
        actions: ids
            .iter()
            .map(|id| SuggestedAction {
                id: id.clone(),
                label: action_label(id, run.language),
            })
            .collect(),
        contradictions,
        tool_calls: run.records.clone(),
        handoff: run.outputs.iter().any(ToolOutput::handed_off),
        language: run.language,
    }
}

/// The contradictions a result presents and their remedies, each once.
fn collect_contradictions(out: &ToolOutput, codes: &mut Vec<String>, remedies: &mut Vec<String>) {
    for c in out.contradictions() {
        push_new(codes, c.code.as_str());
        for r in &c.remedies {
            push_new(remedies, r.as_str());
        }
    }
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> ToolSpec {
        registry().into_iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        assert!(validate(&spec("get_order"), &json!({"order_number": "A-1"})).is_ok());
        assert!(
            validate(&spec("get_order"), &json!({}))
                .unwrap_err()
                .contains("required")
        );
        assert!(
            validate(&spec("get_order"), &json!({"order_number": 7}))
                .unwrap_err()
                .contains("string")
        );
        assert!(
            validate(
                &spec("get_order"),
                &json!({"customer_id": "C-2", "order_number": "A-1"})
            )
            .unwrap_err()
            .contains("customer_id")
        );
        assert!(
            validate(&spec("report_problem"), &json!({"claim": "lost_in_space"}))
                .unwrap_err()
                .contains("not_received")
        );
        assert!(validate(&spec("list_orders"), &json!([])).is_err());
    }

    #[test]
    fn contradictions_and_remedies_are_collected_once_each() {
        use crate::assistant::tools::output::ShipmentsAnswer;
        use crate::truth::{Contradiction, ContradictionCode, Remedy};
        let c = |code, remedies: &[Remedy]| Contradiction {
            code,
            tracking_number: None,
            evidence: Vec::new(),
            facts: Vec::new(),
            remedies: remedies.to_vec(),
        };
        let out = ToolOutput::Shipments(ShipmentsAnswer {
            order_number: None,
            shipments: Vec::new(),
            order_contradictions: Some(vec![
                c(ContradictionCode::PromiseOverdue, &[Remedy::ReturnLabel]),
                c(
                    ContradictionCode::ShippedAfterCancellation,
                    &[Remedy::Handoff, Remedy::ReturnLabel],
                ),
            ]),
        });
        let (mut codes, mut remedies) = (Vec::new(), Vec::new());
        collect_contradictions(&out, &mut codes, &mut remedies);
        collect_contradictions(&out, &mut codes, &mut remedies);
        assert_eq!(codes, ["promise_overdue", "shipped_after_cancellation"]);
        assert_eq!(remedies, ["return_label", "handoff"]);
        let (mut none, mut nothing) = (Vec::new(), Vec::new());
        collect_contradictions(
            &ToolOutput::refused("not_found", "no"),
            &mut none,
            &mut nothing,
        );
        assert!(none.is_empty() && nothing.is_empty());
    }
}
