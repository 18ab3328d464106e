//! One model call through async-openai against any OpenAI-compatible endpoint (or Azure
//! OpenAI): the request as JSON, the answer (whole or streamed) read into text, tool
//! calls and token usage. 429s (honouring Retry-After), 5xx and refused connections are
//! retried by async-openai's retry layer; timeouts and malformed answers are retried
//! here, with a doubling backoff. Every bound comes from [`LlmConfig`].

use std::time::{Duration, Instant};

use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::middleware::retry::OpenAIRetryLayer;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tower::Layer;

use super::stream::StreamOut;
use crate::config::LlmConfig;

/// A tool call the model asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestedCall {
    pub id: String,
    pub name: String,
    /// The raw JSON text of the arguments, as the model wrote it.
    pub arguments: String,
}

/// What one model call produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Completion {
    pub content: String,
    pub tool_calls: Vec<RequestedCall>,
    /// (prompt, completion) tokens as the provider reported them.
    pub usage: Option<(u64, u64)>,
}

/// Why a model call failed for good.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    #[error("rate limited (HTTP 429)")]
    RateLimited,
    #[error("the endpoint failed (HTTP {0})")]
    Server(u16),
    #[error("the answer was malformed: {0}")]
    Malformed(String),
    #[error("the request failed: {0}")]
    Transport(String),
    /// The endpoint refused the connection (already retried by the retry layer).
    #[error("no connection: {0}")]
    Connect(String),
}

impl CallError {
    /// A short label for metrics and engine stats.
    pub fn label(&self) -> &'static str {
        match self {
            CallError::Timeout(_) => "timeout",
            CallError::RateLimited => "rate_limited",
            CallError::Server(_) => "server_error",
            CallError::Malformed(_) => "malformed",
            CallError::Transport(_) => "transport",
            CallError::Connect(_) => "connect",
        }
    }
    /// Retried here: the retry layer below already retried 429s, 5xx and refused
    /// connections (`Connect`), so retrying those again would multiply the bound.
    fn retry_here(&self) -> bool {
        matches!(
            self,
            CallError::Timeout(_) | CallError::Malformed(_) | CallError::Transport(_)
        )
    }
}

/// Counts of one model call, retries included.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallStats {
    pub attempts: u32,
    pub model_ms: f64,
}

/// The configured client.
pub struct LlmClient {
    client: Client<Box<dyn Config>>,
    config: LlmConfig,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("config", &self.config)
            .finish()
    }
}

impl LlmClient {
    pub fn new(config: LlmConfig) -> Self {
        let key = config
            .api_key
            .as_ref()
            .map(|k| k.expose().to_string())
            .unwrap_or_default();
        let base = config.base_url.trim_end_matches('/').to_string();
        let provider: Box<dyn Config> = match &config.azure {
            Some(azure) => Box::new(
                AzureConfig::new()
                    .with_api_base(base)
                    .with_api_key(key)
                    .with_deployment_id(azure.deployment.clone())
                    .with_api_version(azure.api_version.clone()),
            ),
            None => Box::new(OpenAIConfig::new().with_api_base(base).with_api_key(key)),
        };
        let service = OpenAIRetryLayer::new(config.retries as usize)
            .layer(ReqwestService::new(reqwest013::Client::new()));
        let client = Client::with_config(provider).with_http_service(service);
        LlmClient { client, config }
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// One model call with bounded retries. `stream` set: the answer is streamed and its
    /// text passed to `stream` as it arrives.
    pub async fn complete(
        &self,
        request: &Value,
        mut stream: Option<&mut StreamOut>,
        stats: &mut CallStats,
    ) -> Result<Completion, CallError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            stats.attempts += 1;
            let started = Instant::now();
            let result = match stream.as_deref_mut() {
                Some(out) => {
                    let r = tokio::time::timeout(self.config.timeout, self.streamed(request, out))
                        .await;
                    if r.as_ref().map_or(true, Result::is_err) {
                        // Whatever streamed from a failed attempt is withdrawn.
                        out.withdraw_pending();
                    }
                    r
                }
                None => tokio::time::timeout(self.config.timeout, self.whole(request)).await,
            };
            let elapsed = started.elapsed();
            stats.model_ms += elapsed.as_secs_f64() * 1000.0;
            metrics::histogram!("verity_llm_call_duration_seconds").record(elapsed.as_secs_f64());
            let error = match result {
                Ok(Ok(c)) => {
                    metrics::counter!("verity_llm_calls_total", "outcome" => "ok").increment(1);
                    return Ok(c);
                }
                Ok(Err(e)) => e,
                Err(_) => CallError::Timeout(self.config.timeout),
            };
            metrics::counter!("verity_llm_calls_total", "outcome" => error.label()).increment(1);
            tracing::warn!(attempt, error = %error, "a model call failed");
            if !error.retry_here() || attempt > self.config.retries {
                return Err(error);
            }
            let backoff = self
                .config
                .backoff
                .saturating_mul(2u32.saturating_pow(attempt - 1))
                .min(Duration::from_secs(8));
            tokio::time::sleep(backoff).await;
        }
    }

    async fn whole(&self, request: &Value) -> Result<Completion, CallError> {
        let mut body = request.clone();
        body["stream"] = json!(false);
        let response: Value = self
            .client
            .chat()
            .create_byot(body)
            .await
            .map_err(classify)?;
        parse_whole(&response)
    }

    async fn streamed(
        &self,
        request: &Value,
        out: &mut StreamOut,
    ) -> Result<Completion, CallError> {
        let mut body = request.clone();
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let mut chunks = self
            .client
            .chat()
            .create_stream_byot::<Value, Value>(body)
            .await
            .map_err(classify)?;
        let mut acc = StreamAccumulator::default();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(classify)?;
            if let Some(text) = acc.push(&chunk)? {
                out.model_text(&text);
            }
        }
        acc.finish()
    }
}

fn classify(e: OpenAIError) -> CallError {
    match e {
        OpenAIError::ApiError(api) => match api.status_code.as_u16() {
            429 => CallError::RateLimited,
            s if s >= 500 => CallError::Server(s),
            s => CallError::Transport(format!("HTTP {s}: {}", api.api_error.message)),
        },
        OpenAIError::JSONDeserialize(err, _) => CallError::Malformed(err.to_string()),
        OpenAIError::StreamError(err) => CallError::Malformed(err.to_string()),
        OpenAIError::Reqwest(err) if err.is_connect() => CallError::Connect(err.to_string()),
        OpenAIError::Reqwest(err) => CallError::Transport(err.to_string()),
        other => CallError::Transport(other.to_string()),
    }
}

fn usage(v: &Value) -> Option<(u64, u64)> {
    let u = v.get("usage")?;
    Some((
        u.get("prompt_tokens")?.as_u64()?,
        u.get("completion_tokens")?.as_u64()?,
    ))
}

/// Reads a whole chat completion.
pub(crate) fn parse_whole(response: &Value) -> Result<Completion, CallError> {
    let message = response
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| c.get("message"))
        .ok_or_else(|| CallError::Malformed("no choices[0].message".into()))?;
    let content = match message.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(CallError::Malformed("content is not text".into())),
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = message.get("tool_calls").filter(|v| !v.is_null()) {
        let calls = calls
            .as_array()
            .ok_or_else(|| CallError::Malformed("tool_calls is not a list".into()))?;
        for c in calls {
            let f = c
                .get("function")
                .ok_or_else(|| CallError::Malformed("a tool call without function".into()))?;
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| CallError::Malformed("a tool call without name".into()))?;
            tool_calls.push(RequestedCall {
                id: c
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("call_{}", tool_calls.len())),
                name: name.to_string(),
                arguments: f
                    .get("arguments")
                    .and_then(Value::as_str)
                    .unwrap_or("{}")
                    .to_string(),
            });
        }
    }
    Ok(Completion {
        content,
        tool_calls,
        usage: usage(response),
    })
}

/// Builds a completion from streamed chunks: text deltas, tool call fragments by index,
/// and the usage chunk.
#[derive(Default)]
pub(crate) struct StreamAccumulator {
    content: String,
    calls: Vec<(String, String, String)>,
    usage: Option<(u64, u64)>,
    chunks: usize,
}

impl StreamAccumulator {
    /// Takes one chunk; returns its new text, if any.
    pub(crate) fn push(&mut self, chunk: &Value) -> Result<Option<String>, CallError> {
        self.chunks += 1;
        if !chunk.is_object() {
            return Err(CallError::Malformed("a chunk is not an object".into()));
        }
        if let Some(u) = usage(chunk) {
            self.usage = Some(u);
        }
        let Some(choices) = chunk.get("choices").and_then(Value::as_array) else {
            return if chunk.get("usage").is_some() {
                Ok(None)
            } else {
                Err(CallError::Malformed("a chunk without choices".into()))
            };
        };
        let Some(delta) = choices.first().and_then(|c| c.get("delta")) else {
            return Ok(None);
        };
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            for c in calls {
                let index = c
                    .get("index")
                    .and_then(Value::as_u64)
                    .map(|i| i as usize)
                    .unwrap_or(self.calls.len().saturating_sub(1));
                if index > 64 {
                    return Err(CallError::Malformed(
                        "a tool call index out of range".into(),
                    ));
                }
                while self.calls.len() <= index {
                    self.calls.push(Default::default());
                }
                let slot = &mut self.calls[index];
                if let Some(id) = c.get("id").and_then(Value::as_str) {
                    slot.0 = id.to_string();
                }
                if let Some(f) = c.get("function") {
                    if let Some(n) = f.get("name").and_then(Value::as_str) {
                        slot.1.push_str(n);
                    }
                    if let Some(a) = f.get("arguments").and_then(Value::as_str) {
                        slot.2.push_str(a);
                    }
                }
            }
        }
        match delta.get("content") {
            Some(Value::String(s)) if !s.is_empty() => {
                self.content.push_str(s);
                Ok(Some(s.clone()))
            }
            _ => Ok(None),
        }
    }

    pub(crate) fn finish(self) -> Result<Completion, CallError> {
        if self.chunks == 0 {
            return Err(CallError::Malformed("the stream was empty".into()));
        }
        let mut tool_calls = Vec::new();
        for (i, (id, name, arguments)) in self.calls.into_iter().enumerate() {
            if name.is_empty() {
                return Err(CallError::Malformed(
                    "a streamed tool call without name".into(),
                ));
            }
            tool_calls.push(RequestedCall {
                id: if id.is_empty() {
                    format!("call_{i}")
                } else {
                    id
                },
                name,
                arguments: if arguments.trim().is_empty() {
                    "{}".into()
                } else {
                    arguments
                },
            });
        }
        Ok(Completion {
            content: self.content,
            tool_calls,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_answer_with_parallel_tool_calls_is_read() {
        let c = parse_whole(&json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "get_order", "arguments": "{\"order_number\":\"A-1\"}"}},
            {"id": "b", "type": "function", "function": {"name": "list_cases", "arguments": "{}"}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3}}))
        .unwrap();
        assert_eq!(c.tool_calls.len(), 2);
        assert_eq!(c.tool_calls[1].name, "list_cases");
        assert_eq!(c.usage, Some((10, 3)));
        assert!(parse_whole(&json!({"choices": []})).is_err());
        assert!(parse_whole(&json!({"choices": [{"message": {"content": 7}}]})).is_err());
    }

    #[test]
    fn streamed_fragments_join_into_text_and_calls() {
        let mut acc = StreamAccumulator::default();
        let chunks = [
            json!({"choices": [{"delta": {"role": "assistant", "content": "Hal"}}]}),
            json!({"choices": [{"delta": {"content": "lo"}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "x", "function": {"name": "get_order", "arguments": "{\"order"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "_number\":\"A-1\"}"}}]}}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
        ];
        let mut text = String::new();
        for c in &chunks {
            if let Some(t) = acc.push(c).unwrap() {
                text.push_str(&t);
            }
        }
        assert_eq!(text, "Hallo");
        let c = acc.finish().unwrap();
        assert_eq!(c.content, "Hallo");
        assert_eq!(c.tool_calls[0].arguments, "{\"order_number\":\"A-1\"}");
        assert_eq!(c.usage, Some((5, 2)));
        assert!(StreamAccumulator::default().finish().is_err());
        assert!(StreamAccumulator::default().push(&json!("x")).is_err());
    }
}
