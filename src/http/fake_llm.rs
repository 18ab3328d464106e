//! A fake OpenAI-compatible endpoint for tests and evals: a real HTTP server on
//! loopback that answers `POST /v1/chat/completions` (and Azure's
//! `/openai/deployments/{deployment}/chat/completions`) from a script, whole or as
//! streamed SSE chunks, whichever the request asks for. Steps: a reply (text and/or
//! parallel tool calls), an error status (with Retry-After), garbage, or a slow answer.
//! It records every request, so tests see what the model was sent. When the script is
//! empty it answers 500, so a test never passes on an answer it did not script.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// A tool call the fake model makes.
#[derive(Clone, Debug)]
pub struct FakeToolCall {
    pub name: String,
    /// Raw argument text (may be deliberately malformed).
    pub arguments: String,
}

impl FakeToolCall {
    pub fn new(name: &str, arguments: Value) -> Self {
        FakeToolCall {
            name: name.to_string(),
            arguments: arguments.to_string(),
        }
    }
    pub fn raw(name: &str, arguments: &str) -> Self {
        FakeToolCall {
            name: name.to_string(),
            arguments: arguments.to_string(),
        }
    }
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum FakeStep {
    /// Text and/or tool calls; `usage` false leaves the usage out (tokens get counted).
    Reply {
        content: Option<String>,
        tool_calls: Vec<FakeToolCall>,
        usage: bool,
    },
    /// An HTTP error with an OpenAI-style error body.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// 200 with a body that is not a chat completion.
    Garbage,
    /// Waits, then answers with the inner step.
    Slow(Duration, Box<FakeStep>),
}

impl FakeStep {
    pub fn text(t: &str) -> Self {
        FakeStep::Reply {
            content: Some(t.to_string()),
            tool_calls: Vec::new(),
            usage: true,
        }
    }
    pub fn tools(calls: Vec<FakeToolCall>) -> Self {
        FakeStep::Reply {
            content: None,
            tool_calls: calls,
            usage: true,
        }
    }
    pub fn tool(name: &str, arguments: Value) -> Self {
        Self::tools(vec![FakeToolCall::new(name, arguments)])
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<FakeStep>,
    requests: Vec<Value>,
}

/// The running fake; dropping it does not stop the server (tests end with the runtime).
#[derive(Clone)]
pub struct FakeLlm {
    /// The API base to configure (`http://127.0.0.1:PORT/v1`).
    pub base_url: String,
    /// The server root (for Azure's addressing).
    pub root: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeLlm {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> std::io::Result<FakeLlm> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let root = format!("http://{}", listener.local_addr()?);
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route(
                "/openai/deployments/{deployment}/chat/completions",
                post(completions),
            )
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeLlm {
            base_url: format!("{root}/v1"),
            root,
            inner,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends steps to the script.
    pub fn push(&self, steps: impl IntoIterator<Item = FakeStep>) {
        self.lock().script.extend(steps);
    }

    /// Every request body received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.lock().requests.clone()
    }

    /// Steps not used yet.
    pub fn remaining(&self) -> usize {
        self.lock().script.len()
    }

    /// Drops the steps not used yet; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.script.len();
        inner.script.clear();
        n
    }
}

async fn completions(State(inner): State<Arc<Mutex<Inner>>>, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let stream = request["stream"] == true;
    let step = {
        let mut i = inner.lock().unwrap_or_else(|p| p.into_inner());
        i.requests.push(request);
        i.script.pop_front()
    };
    let mut step = step.unwrap_or(FakeStep::Status {
        status: 500,
        retry_after: None,
    });
    while let FakeStep::Slow(delay, then) = step {
        tokio::time::sleep(delay).await;
        step = *then;
    }
    match step {
        FakeStep::Reply {
            content,
            tool_calls,
            usage,
        } => {
            if stream {
                streamed(content, tool_calls, usage)
            } else {
                whole(content, tool_calls, usage)
            }
        }
        FakeStep::Status {
            status,
            retry_after,
        } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let kind = if status == 429 {
                "rate_limit_error"
            } else {
                "server_error"
            };
            let body = json!({"error": {"message": "scripted failure", "type": kind, "param": null, "code": null}});
            let mut r = (code, axum::Json(body)).into_response();
            if let Some(s) = retry_after
                && let Ok(v) = s.to_string().parse()
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        FakeStep::Garbage => {
            if stream {
                (
                    [(header::CONTENT_TYPE, "text/event-stream")],
                    "data: {\"choices\": [{\"delta\": \n\ndata: [DONE]\n\n",
                )
                    .into_response()
            } else {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"choices\": [ this is not JSON",
                )
                    .into_response()
            }
        }
        FakeStep::Slow(..) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn usage_json(content: &Option<String>, calls: &[FakeToolCall]) -> Value {
    let completion = content.as_deref().map_or(0, str::len)
        + calls.iter().map(|c| c.arguments.len()).sum::<usize>();
    json!({"prompt_tokens": 100, "completion_tokens": completion / 4 + 1,
           "total_tokens": 100 + completion / 4 + 1})
}

fn calls_json(calls: &[FakeToolCall]) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"id": format!("call_{i}"), "type": "function",
                   "function": {"name": c.name, "arguments": c.arguments}})
        })
        .collect()
}

fn whole(content: Option<String>, calls: Vec<FakeToolCall>, usage: bool) -> Response {
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls_json(&calls));
    }
    let mut body = json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake",
        "choices": [{"index": 0, "message": message,
                     "finish_reason": if calls.is_empty() { "stop" } else { "tool_calls" }}],
    });
    if usage {
        body["usage"] = usage_json(&content, &calls);
    }
    axum::Json(body).into_response()
}

fn streamed(content: Option<String>, calls: Vec<FakeToolCall>, usage: bool) -> Response {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
               "model": "fake", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    if let Some(text) = &content {
        // Small pieces, split anywhere (even inside numbers), as real models do.
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(7) {
            events.push(chunk(
                json!({"content": piece.iter().collect::<String>()}),
                Value::Null,
            ));
        }
    }
    for (i, c) in calls.iter().enumerate() {
        let mid = (0..=c.arguments.len() / 2)
            .rev()
            .find(|i| c.arguments.is_char_boundary(*i))
            .unwrap_or(0);
        let (a, b) = c.arguments.split_at(mid);
        events.push(chunk(
            json!({"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function",
                                   "function": {"name": c.name, "arguments": a}}]}),
            Value::Null,
        ));
        events.push(chunk(
            json!({"tool_calls": [{"index": i, "function": {"arguments": b}}]}),
            Value::Null,
        ));
    }
    events.push(chunk(
        json!({}),
        json!(if calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        }),
    ));
    if usage {
        events.push(
            json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                           "created": 0, "model": "fake", "choices": [],
                           "usage": usage_json(&content, &calls)}),
        );
    }
    let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from(body),
    )
        .into_response()
}
