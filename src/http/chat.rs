//! The web chat API: sessions, messages (JSON, or a `text/event-stream` when asked),
//! and the transcript for the widget. A session's token is returned once and only its
//! hash is stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::bearer_token;
use super::error::{ApiError, ErrorBody};
use super::limits::ClientIp;
use super::negotiate::{ReplyFormat, reply_format};
use crate::assistant::llm::stream::{StreamEvent, StreamOut};
use crate::assistant::reply::SuggestedAction;
use crate::assistant::service::{Inbound, Outbound, TurnOutcome};
use crate::config::Secret;
use crate::domain::Locale;
use crate::notices::{self, chat::LinkRefused};
use crate::store::conversations::{self, Role};

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session; the body may also be empty.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// `de` or `en` (a region such as `de-AT` is accepted); unset: the first language
    /// of `Accept-Language` the bot speaks, else German.
    #[serde(default)]
    language: Option<String>,
    /// The signed token of an order page (`/o/{token}`, the link in a notice): the
    /// session is then verified for that link's person and order only, speaks their
    /// language (`language` is ignored), and opens with the notice about the order.
    #[serde(default)]
    order_link: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionCreated {
    session_id: String,
    /// Send it back as `Authorization: Bearer <token>`; it is not shown again.
    token: String,
    language: Locale,
    /// The greeting.
    messages: Vec<Outbound>,
}

/// `POST /api/v1/chat/sessions`
#[utoipa::path(
    post,
    path = "/api/v1/chat/sessions",
    tag = "chat",
    summary = "Open a web chat session",
    request_body(content = Option<NewSession>, description = "may be empty"),
    params(("Accept-Language" = Option<String>, Header, description = "the session's language when the body names none")),
    responses(
        (status = 201, description = "the session, its token (shown once) and the greeting", body = SessionCreated),
        (status = 400, description = "the body is not JSON or names an unknown language", body = ErrorBody),
        (status = 403, description = "the order link has expired or is not valid", body = ErrorBody),
        (status = 429, description = "too many requests from this address", body = ErrorBody),
    )
)]
pub async fn create_session(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    app.limits.check_ip(client)?;
    let req: NewSession = if body.iter().all(u8::is_ascii_whitespace) {
        NewSession::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))?
    };
    let language = match req.language.as_deref() {
        Some(l) => Locale::parse(l).map_err(|e| ApiError::BadRequest(format!("language: {e}")))?,
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|p| Locale::parse(p.split(';').next().unwrap_or("")).ok())
            })
            .unwrap_or_default(),
    };
    let token = Secret::generate();
    let hash = token_hash(token.expose());
    let (conv, first) = match req.order_link.as_deref() {
        Some(link) => match notices::chat::open_from_link(&app, link, &hash).await? {
            Ok(opened) => opened,
            // 403, not 401: the widget takes 401 for a lost session and would start over.
            Err(LinkRefused::Expired) => {
                return Err(ApiError::Forbidden("the order link has expired".into()));
            }
            Err(LinkRefused::Invalid) => {
                return Err(ApiError::Forbidden("the order link is not valid".into()));
            }
        },
        None => {
            let conv = app
                .assistant
                .open("web", None, Some(&hash), language)
                .await?;
            let greeting = app.assistant.greet(&conv).await?;
            (conv, greeting)
        }
    };
    app.sessions.remember(&conv.id, hash);
    let language = Locale::parse(&conv.language).unwrap_or(language);
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated {
            session_id: conv.id,
            token: token.expose().to_string(),
            language,
            messages: vec![first],
        }),
    ))
}

/// The token hashes of web chat sessions, kept once read: a session's token never
/// changes, so checking it on each message needs no database read.
#[derive(Default)]
pub struct Sessions {
    hashes: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// Sessions whose token hash is kept (then the memory starts over).
const SESSIONS_KEPT: usize = 100_000;

impl Sessions {
    fn hash_of(&self, id: &str) -> Option<String> {
        self.lock().get(id).cloned()
    }
    fn remember(&self, id: &str, hash: String) {
        let mut hashes = self.lock();
        if hashes.len() >= SESSIONS_KEPT {
            hashes.clear();
        }
        hashes.insert(id.to_string(), hash);
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.hashes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The session's id, if the bearer token is its own.
pub(super) async fn authorized(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let given = bearer_token(headers).ok_or_else(|| {
        ApiError::Unauthorized("send the session token as `Authorization: Bearer <token>`".into())
    })?;
    let stored = match app.sessions.hash_of(id) {
        Some(hash) => hash,
        None => {
            let mut conn = app.store.read().await?;
            let conv = conversations::get_conversation(&mut conn, id)
                .await?
                .filter(|c| c.channel == "web")
                .ok_or_else(|| ApiError::NotFound("no such chat session".into()))?;
            let hash = conv.token_hash.unwrap_or_default();
            app.sessions.remember(id, hash.clone());
            hash
        }
    };
    if !Secret::new(stored).matches(&token_hash(given)) {
        return Err(ApiError::Unauthorized(
            "the token does not belong to this session".into(),
        ));
    }
    Ok(id.to_string())
}

/// A customer's message: a `text`, or the `action` of a suggested button.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// What the customer wrote (not empty; at most `VERITY_MESSAGE_MAX_CHARS` characters).
    #[serde(default)]
    text: Option<String>,
    /// The id of a suggested action the customer pressed (`callback`, `confirm`, …).
    #[serde(default)]
    action: Option<String>,
    /// Chosen by the client for each message it sends (8 to 64 letters, digits, `-` or
    /// `_`): a retry with the same id after a dropped connection is stored once and
    /// answered once (the retry is answered `silent`; the client reads the transcript).
    #[serde(default)]
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]{8,64}$")]
    client_id: Option<String>,
}

/// The answer to a message in JSON.
#[derive(Serialize, ToSchema)]
pub struct MessageReply {
    /// `null` when staff answer the conversation or the message was a retry of one
    /// answered before (read the transcript).
    reply: Option<Outbound>,
}

/// The stored channel message id of a client's message: scoped to the session, so one
/// session cannot collide with another's ids.
fn client_message_id(
    conversation_id: &str,
    client_id: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match client_id {
        None => Ok(None),
        Some(c)
            if (8..=64).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(format!("web:{conversation_id}:{c}")))
        }
        Some(_) => Err(ApiError::BadRequest(
            "client_id: 8 to 64 letters, digits, '-' or '_'".into(),
        )),
    }
}

/// `POST /api/v1/chat/sessions/{id}/messages`: `{"text": …}` or `{"action": "callback"}`,
/// optionally with a `client_id` that makes retries safe.
#[utoipa::path(
    post,
    path = "/api/v1/chat/sessions/{id}/messages",
    tag = "chat",
    summary = "Send a message and get the reply",
    description = "The reply as JSON, or with `Accept: text/event-stream` as server-sent events: `delta` events with the text as it is produced, `reset` (discard the text shown so far), then `message` with the whole reply (or `silent`, or `error`).",
    params(
        ("id" = String, Path, description = "the session id"),
        ("Accept" = Option<String>, Header, description = "`application/json` (default) or `text/event-stream`, with q-values"),
    ),
    request_body = PostMessage,
    security(("session_token" = [])),
    responses(
        (status = 200, description = "the reply", content(
            (MessageReply = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 400, description = "not JSON, empty, or neither text nor action", body = ErrorBody),
        (status = 401, description = "no token, or not this session's", body = ErrorBody),
        (status = 404, description = "no such session", body = ErrorBody),
        (status = 406, description = "the Accept header allows neither JSON nor an event stream", body = ErrorBody),
        (status = 409, description = "the client_id was used for another message", body = ErrorBody),
        (status = 413, description = "the message or the body is too long", body = ErrorBody),
        (status = 429, description = "too many messages", body = ErrorBody),
    )
)]
pub async fn post_message(
    State(app): State<AppState>,
    ClientIp(client_ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = authorized(&app, &id, &headers).await?;
    app.limits.check_ip(client_ip)?;
    app.limits.check_session(&id)?;
    let req: PostMessage = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "invalid JSON: {e}; send {{\"text\": \"…\"}} or {{\"action\": \"…\"}}"
        ))
    })?;
    let inbound = match (req.text, req.action) {
        (Some(t), None) => {
            let t = t.trim().to_string();
            if t.is_empty() {
                return Err(ApiError::BadRequest("the message is empty".into()));
            }
            let max = app.config.channels.message_max_chars;
            if t.chars().count() > max {
                return Err(ApiError::PayloadTooLarge(format!(
                    "the message is longer than {max} characters"
                )));
            }
            Inbound::Text(t)
        }
        (None, Some(a)) if !a.trim().is_empty() && a.len() <= 64 => {
            Inbound::Action(a.trim().to_string())
        }
        _ => {
            return Err(ApiError::BadRequest(
                "send either a non-empty \"text\" or an \"action\"".into(),
            ));
        }
    };
    let channel_id = client_message_id(&id, req.client_id.as_deref())?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = reply_format(accept).ok_or_else(|| {
        ApiError::NotAcceptable(
            "this answers application/json or text/event-stream; the Accept header allows neither"
                .into(),
        )
    })?;
    if let Some(cid) = &channel_id {
        same_message_as_before(&app, cid, &inbound).await?;
    }
    let client = Some(client_ip.to_string());
    if format == ReplyFormat::EventStream {
        return Ok(stream(app, id, inbound, channel_id, client).into_response());
    }
    let outcome = app
        .assistant
        .turn_from(
            &id,
            inbound.clone(),
            channel_id.as_deref(),
            client,
            &mut StreamOut::none(),
        )
        .await;
    app.live.conversation_changed(&id);
    let outcome = outcome?;
    let reply = match outcome {
        TurnOutcome::Replied(r) => Some(*r),
        TurnOutcome::Duplicate => {
            // Another request with this client_id may have come first.
            if let Some(cid) = &channel_id {
                same_message_as_before(&app, cid, &inbound).await?;
            }
            None
        }
        TurnOutcome::Silent => None,
    };
    Ok(Json(MessageReply { reply }).into_response())
}

/// A `client_id` names one message: sent again with the same text (or action) it is a
/// retry, answered once; with another text it is refused (409), not silently dropped.
async fn same_message_as_before(
    app: &AppState,
    channel_id: &str,
    inbound: &Inbound,
) -> Result<(), ApiError> {
    let mut conn = app.store.read().await?;
    let Some((text, action)) = conversations::message_by_channel_id(&mut conn, channel_id).await?
    else {
        return Ok(());
    };
    let same = match inbound {
        Inbound::Text(t) => action.is_none() && text == *t,
        Inbound::Action(a) => action.as_deref() == Some(a.as_str()),
    };
    if same {
        Ok(())
    } else {
        Err(ApiError::Conflict(
            "this client_id was already used for another message in this session; a retry must send the same text, a new message needs a new client_id".into(),
        ))
    }
}

/// The reply as server-sent events: `delta` events with the text as it is produced
/// (checked a sentence at a time), `reset` when the text shown so far is withdrawn (the
/// reply was replaced), then one `message` event with the whole reply (or `silent` when
/// staff answer, `error` when the turn failed). The turn runs in its own task: a client
/// that goes away does not stop it, and the reply is stored either way.
fn stream(
    app: AppState,
    conversation_id: String,
    inbound: Inbound,
    channel_id: Option<String>,
    client: Option<String>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<StreamEvent>();
    let turn = tokio::spawn(async move {
        let mut out = StreamOut::to(tx);
        let outcome = app
            .assistant
            .turn_from(
                &conversation_id,
                inbound,
                channel_id.as_deref(),
                client,
                &mut out,
            )
            .await;
        app.live.conversation_changed(&conversation_id);
        outcome
    });
    let deltas = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| {
            let event = match e {
                StreamEvent::Delta(text) => Event::default().event("delta").data(text),
                StreamEvent::Reset => Event::default().event("reset").data("{}"),
            };
            (Ok(event), rx)
        })
    });
    let last = futures_util::stream::once(async move {
        let event = match turn.await {
            Ok(Ok(TurnOutcome::Replied(r))) => Event::default()
                .event("message")
                .data(serde_json::to_string(&*r).unwrap_or_else(|_| "{}".into())),
            Ok(Ok(TurnOutcome::Silent | TurnOutcome::Duplicate)) => {
                Event::default().event("silent").data("{}")
            }
            Ok(Err(e)) => {
                tracing::error!(error = format!("{e:#}"), "a streamed chat turn failed");
                Event::default()
                    .event("error")
                    .data(r#"{"error":"internal error"}"#)
            }
            Err(e) => {
                tracing::error!(error = %e, "a streamed chat turn panicked");
                Event::default()
                    .event("error")
                    .data(r#"{"error":"internal error"}"#)
            }
        };
        Ok(event)
    });
    Sse::new(futures_util::StreamExt::chain(deltas, last))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// Only the messages after this number (default 0: all).
    #[serde(default)]
    after: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TranscriptMessage {
    seq: i64,
    role: Role,
    text: String,
    /// The suggested action the customer pressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    actions: Vec<SuggestedAction>,
    /// RFC 3339.
    created_at: String,
    /// Links to the carrier's tracking page of each shipment the reply looked at, where
    /// the carrier is known (bot replies only; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<crate::channels::links::TrackingLink>,
}

/// A session's transcript.
#[derive(Serialize, ToSchema)]
pub struct Transcript {
    session_id: String,
    verified: bool,
    language: String,
    taken_over: bool,
    handoff: bool,
    messages: Vec<TranscriptMessage>,
}

/// `GET /api/v1/chat/sessions/{id}/messages?after=SEQ`: the transcript for the widget
/// (no tool calls, no verdicts: those are for staff).
#[utoipa::path(
    get,
    path = "/api/v1/chat/sessions/{id}/messages",
    tag = "chat",
    summary = "The transcript of a session",
    params(("id" = String, Path, description = "the session id"), AfterQuery),
    security(("session_token" = [])),
    responses(
        (status = 200, description = "the messages in order", body = Transcript),
        (status = 400, description = "a malformed or repeated query parameter", body = ErrorBody),
        (status = 401, description = "no token, or not this session's", body = ErrorBody),
        (status = 404, description = "no such session", body = ErrorBody),
    )
)]
pub async fn list_messages(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AfterQuery>,
    headers: HeaderMap,
) -> Result<Json<Transcript>, ApiError> {
    let id = authorized(&app, &id, &headers).await?;
    let mut conn = app.store.read().await?;
    let conv = conversations::get_conversation(&mut conn, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such chat session".into()))?;
    let messages: Vec<TranscriptMessage> = conversations::list_messages(&mut conn, &id, q.after)
        .await?
        .into_iter()
        .filter(|m| m.role != Role::System)
        .map(|m| TranscriptMessage {
            seq: m.seq,
            role: m.role,
            text: m.text,
            action: m.action,
            actions: m
                .actions
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            created_at: chrono::DateTime::from_timestamp_millis(m.created_ms)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
            links: match m.role {
                Role::Bot => crate::channels::links::tracking_links(m.tool_calls.as_deref()),
                _ => Vec::new(),
            },
        })
        .collect();
    let state = crate::assistant::state::ConversationState::from_json(&conv.state);
    Ok(Json(Transcript {
        session_id: conv.id,
        verified: conv.customer_id.is_some(),
        language: conv.language,
        taken_over: conv.taken_over_by.is_some(),
        handoff: state.waiting_for_staff,
        messages,
    }))
}
