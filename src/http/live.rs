//! Live event streams (server-sent events): the widget's, which says when its
//! conversation has messages it has not shown or a person took over or handed back, and
//! the console's, which says when conversations, handoffs or cases changed. Both wake on
//! the in-process signal ([`crate::console::live::Live`]) and look at the store every
//! few seconds besides; a stream ends after a while and the client opens a new one.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::AppState;
use super::chat::authorized;
use super::error::{ApiError, ErrorBody};
use super::limits::ClientIp;
use crate::console::live::{self, Change};

/// How long one stream lasts (the client reconnects; proxies see no endless request).
const LIFETIME: Duration = Duration::from_secs(300);

struct Watch<S, F> {
    rx: tokio::sync::broadcast::Receiver<Change>,
    relevant: F,
    last: Option<S>,
    poll: Duration,
    next_poll: Instant,
    ends: Instant,
    first: bool,
}

/// A stream of `event` events: the snapshot each time it differs from the last one
/// sent (the first one at once), looked at when the signal says so and every `poll`
/// besides (`VERITY_LIVE_POLL_SECS`). Ends when the snapshot is `None` (the subject is
/// gone) or after [`LIFETIME`].
pub fn watch<S, F, Fut, Snap>(
    rx: tokio::sync::broadcast::Receiver<Change>,
    poll: Duration,
    event: &'static str,
    relevant: F,
    snapshot: Snap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    S: Serialize + PartialEq + Clone + Send + 'static,
    F: Fn(&Change) -> bool + Send + 'static,
    Fut: Future<Output = anyhow::Result<Option<S>>> + Send,
    Snap: Fn() -> Fut + Send + Sync + 'static,
{
    let now = Instant::now();
    let start = Watch {
        rx,
        relevant,
        last: None,
        poll,
        next_poll: now + poll,
        ends: now + LIFETIME,
        first: true,
    };
    let events = futures_util::stream::unfold(
        (start, snapshot),
        move |(mut w, snapshot)| async move {
            loop {
                if !w.first {
                    tokio::select! {
                        got = w.rx.recv() => match got {
                            Ok(change) if !(w.relevant)(&change) => continue,
                            Ok(_) | Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        },
                        () = tokio::time::sleep_until(w.next_poll) => w.next_poll = Instant::now() + w.poll,
                    }
                    if Instant::now() >= w.ends {
                        return None;
                    }
                }
                w.first = false;
                match snapshot().await {
                    Ok(Some(s)) if w.last.as_ref() != Some(&s) => {
                        let data = Event::default().event(event).json_data(&s);
                        w.last = Some(s);
                        match data {
                            Ok(e) => return Some((Ok(e), (w, snapshot))),
                            Err(e) => {
                                tracing::error!(error = %e, "a live event could not be written")
                            }
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return None,
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{e:#}"),
                            "a live stream could not read the store"
                        );
                    }
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// `GET /api/v1/chat/sessions/{id}/events`
#[utoipa::path(
    get,
    path = "/api/v1/chat/sessions/{id}/events",
    tag = "chat",
    summary = "Follow a session live",
    description = "Server-sent events: a `state` event at once and whenever the conversation changes, `{\"seq\": N, \"taken_over\": bool, \"handoff\": bool}`. When `seq` is past the last message the client has shown, it reads the messages after that one (`GET …/messages?after=`). The stream ends after a few minutes; open it again.",
    params(("id" = String, Path, description = "the session id")),
    security(("session_token" = [])),
    responses(
        (status = 200, description = "the event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "no token, or not this session's", body = ErrorBody),
        (status = 404, description = "no such session", body = ErrorBody),
        (status = 429, description = "too many requests from this address", body = ErrorBody),
    )
)]
pub async fn widget_events(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = authorized(&app, &id, &headers).await?;
    app.limits.check_ip(client)?;
    let mine: std::sync::Arc<str> = std::sync::Arc::from(id.as_str());
    let store = app.store.clone();
    Ok(watch(
        app.live.subscribe(),
        app.config.live_poll,
        "state",
        move |c| matches!(c, Change::Conversation(c) if *c == mine),
        move || {
            let store = store.clone();
            let id = id.clone();
            async move { live::widget_state(&store, &id).await }
        },
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct ConsoleEventsQuery {
    /// The conversation open on the page: its new messages too.
    #[serde(default)]
    conversation: Option<String>,
}

/// `GET /console/events`: a `pulse` event at once and whenever conversations, handoffs
/// or cases change: `{"changed": […], "waiting": [conversation ids], "unread": n,
/// "conversation": {"seq", "taken_over"}}` (the last one for `?conversation=ID`).
pub async fn console_events(
    State(app): State<AppState>,
    axum::Extension(s): axum::Extension<super::console::StaffSession>,
    axum::extract::Query(q): axum::extract::Query<ConsoleEventsQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let store = app.store.clone();
    let staff = s.staff.id;
    watch(
        app.live.subscribe(),
        app.config.live_poll,
        "pulse",
        |_| true,
        move || {
            let store = store.clone();
            let staff = staff.clone();
            let conversation = q.conversation.clone();
            async move {
                live::console_pulse(&store, &staff, conversation.as_deref())
                    .await
                    .map(Some)
            }
        },
    )
}
