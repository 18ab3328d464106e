//! A fake Graph API for tests and evals: a real HTTP server on loopback that accepts
//! WhatsApp and Messenger sends (`POST /{id}/messages`), records them, answers with
//! message ids in Meta's shapes, and can be told to fail the next requests (429, 500,
//! with a `Retry-After`), to hang before it answers, or to do either at random rates.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct SentRequest {
    /// The `{id}` of `/{id}/messages`: phone number id or page id.
    pub account: String,
    pub authorization: Option<String>,
    pub query: Option<String>,
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
    /// The message id it returned on success.
    pub message_id: Option<String>,
    /// When the request arrived.
    pub at: std::time::Instant,
}

/// What the fake does with one request instead of answering at once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Fault {
    /// Answer with this status (with a Graph error body); `None`: 200.
    pub status: Option<u16>,
    /// A `Retry-After` header, in seconds.
    pub retry_after_secs: Option<u64>,
    /// Wait this long before answering (the message counts as accepted when the
    /// answer is 200, as Meta would have it, whether the client still waits or not).
    pub hang_ms: u64,
}

/// Faults drawn at random per request: each a share between 0 and 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultRates {
    pub server_error: f64,
    pub too_many: f64,
    pub retry_after_secs: u64,
    pub hang: f64,
    pub hang_ms: u64,
}

#[derive(Default)]
struct Inner {
    requests: Mutex<Vec<SentRequest>>,
    failures: Mutex<VecDeque<Fault>>,
    rates: Mutex<FaultRates>,
    changed: Notify,
}

/// A running fake; dropped with the test's runtime.
#[derive(Clone)]
pub struct FakeGraph {
    /// The base URL to configure as `VERITY_GRAPH_API_URL`.
    pub base: String,
    inner: Arc<Inner>,
}

impl FakeGraph {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Inner::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}/v21.0", listener.local_addr()?);
        let app = Router::new()
            .route("/v21.0/{account}/messages", post(send))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { base, inner })
    }

    /// The next requests are answered with these statuses, in order.
    pub fn fail_next(&self, statuses: &[u16]) {
        let mut f = self
            .inner
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f.extend(statuses.iter().map(|&s| Fault {
            status: Some(s),
            ..Fault::default()
        }));
    }

    /// The next requests meet these faults, in order.
    pub fn fault_next(&self, faults: &[Fault]) {
        let mut f = self
            .inner
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f.extend(faults.iter().copied());
    }

    /// Every later request meets a fault drawn at these rates (after the queued ones).
    pub fn fault_at_random(&self, rates: FaultRates) {
        *self.inner.rates.lock().unwrap_or_else(|p| p.into_inner()) = rates;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<SentRequest> {
        self.inner
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The messages accepted so far (answered 200).
    pub fn accepted(&self) -> Vec<SentRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Waits until at least `n` messages were accepted (up to `limit`, a safety net:
    /// the caller asserts on what arrived, not on how fast).
    pub async fn wait_accepted(&self, n: usize, limit: Duration) -> Vec<SentRequest> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.changed.notified();
            let got = self.accepted();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

/// A WhatsApp Cloud API webhook delivery with one text message from `from`, as Meta
/// posts it (for benchmarks and tests that play Meta).
pub fn whatsapp_text_delivery(
    phone_number_id: &str,
    from: &str,
    wamid: &str,
    text: &str,
) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4952510000000", "phone_number_id": phone_number_id},
        "contacts": [{"wa_id": from, "profile": {"name": "Test"}}],
        "messages": [{"from": from, "id": wamid,
            "timestamp": chrono::Utc::now().timestamp().to_string(), "type": "text",
            "text": {"body": text}}]
    }}]}]})
    .to_string()
}

/// A webhook POST of `body` signed with the app secret, as Meta sends it.
pub fn signed_webhook(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            crate::channels::sign(secret, body.as_bytes()),
        )
        .body(body.to_string())
}

async fn send(
    State(inner): State<Arc<Inner>>,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let queued = inner
        .failures
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop_front();
    let fault = queued.unwrap_or_else(|| {
        let r = *inner.rates.lock().unwrap_or_else(|p| p.into_inner());
        let x: f64 = rand::random();
        if x < r.server_error {
            Fault {
                status: Some(500),
                ..Fault::default()
            }
        } else if x < r.server_error + r.too_many {
            Fault {
                status: Some(429),
                retry_after_secs: Some(r.retry_after_secs),
                hang_ms: 0,
            }
        } else if x < r.server_error + r.too_many + r.hang {
            Fault {
                hang_ms: r.hang_ms,
                ..Fault::default()
            }
        } else {
            Fault::default()
        }
    });
    let fail = fault.status;
    let mut record = SentRequest {
        account,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        query,
        body: body.clone(),
        status: fail.unwrap_or(200),
        message_id: None,
        at: std::time::Instant::now(),
    };
    let response = match fail {
        Some(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = fault
                .retry_after_secs
                .map(|s| [(header::RETRY_AFTER, s.to_string())]);
            (
                status,
                retry_after,
                Json(json!({"error": {"message": "fake failure", "type": "OAuthException", "code": if code == 429 { 4 } else { 2 }}})),
            )
                .into_response()
        }
        None => {
            let n = inner
                .requests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len();
            if body["messaging_product"] == "whatsapp" {
                let id = format!("wamid.FAKE{n:06}");
                record.message_id = Some(id.clone());
                let to = body["to"].clone();
                Json(json!({"messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": id, "message_status": "accepted"}]}))
                .into_response()
            } else {
                let id = format!("m_FAKE{n:06}");
                record.message_id = Some(id.clone());
                Json(json!({"recipient_id": body["recipient"]["id"], "message_id": id}))
                    .into_response()
            }
        }
    };
    inner
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(record);
    inner.changed.notify_waiters();
    // Recorded first: Meta has the message even when the client stops waiting.
    if fault.hang_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.hang_ms)).await;
    }
    response
}
