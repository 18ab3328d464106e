//! WhatsApp and Messenger webhooks: the verification handshake, and deliveries that
//! are checked against their signature, stored raw and acknowledged at once (the
//! inbox worker processes them afterwards).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::channels::{Channel, signature_is_valid};
use crate::config::Secret;

/// Meta's verification handshake, as the Graph API sends it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only its documentation is used: the handler reads the raw query
pub struct Handshake {
    /// `subscribe`.
    #[param(rename = "hub.mode")]
    mode: Option<String>,
    /// The verify token configured on both sides.
    #[param(rename = "hub.verify_token")]
    verify_token: Option<String>,
    /// Sent back as the body when the token is right.
    #[param(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// `GET /webhooks/whatsapp`
#[utoipa::path(
    get,
    path = "/webhooks/whatsapp",
    tag = "webhooks",
    summary = "WhatsApp's webhook verification handshake",
    params(Handshake),
    responses(
        (status = 200, description = "the raw `hub.challenge`", body = String, content_type = "text/plain"),
        (status = 403, description = "not `subscribe`, a wrong token, or no VERITY_WHATSAPP_VERIFY_TOKEN", body = ErrorBody),
    )
)]
pub async fn whatsapp_handshake(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    handshake(app.config.channels.whatsapp_verify_token.as_ref(), &q)
}

/// `GET /webhooks/messenger`
#[utoipa::path(
    get,
    path = "/webhooks/messenger",
    tag = "webhooks",
    summary = "Messenger's webhook verification handshake",
    params(Handshake),
    responses(
        (status = 200, description = "the raw `hub.challenge`", body = String, content_type = "text/plain"),
        (status = 403, description = "not `subscribe`, a wrong token, or no VERITY_MESSENGER_VERIFY_TOKEN", body = ErrorBody),
    )
)]
pub async fn messenger_handshake(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    handshake(app.config.channels.messenger_verify_token.as_ref(), &q)
}

/// `POST /webhooks/whatsapp`
#[utoipa::path(
    post,
    path = "/webhooks/whatsapp",
    tag = "webhooks",
    summary = "A WhatsApp delivery (signed by Meta)",
    description = "Stored raw, answered at once, processed afterwards. The body is Meta's JSON, signed with the app secret (VERITY_WHATSAPP_APP_SECRET) in `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.",
    params(("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` and the body's HMAC-SHA256 in hex")),
    request_body(content = Object, description = "Meta's webhook payload"),
    responses(
        (status = 200, description = "`EVENT_RECEIVED`", body = String, content_type = "text/plain"),
        (status = 400, description = "the body is not UTF-8", body = ErrorBody),
        (status = 401, description = "the signature is missing or wrong (or no app secret is configured)", body = ErrorBody),
        (status = 413, description = "the body is over VERITY_WEBHOOK_MAX_BYTES", body = ErrorBody),
    )
)]
pub async fn whatsapp_delivery(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let secret = app.config.channels.whatsapp_app_secret.clone();
    delivery(&app, Channel::WhatsApp, secret.as_ref(), &headers, &body).await
}

/// `POST /webhooks/messenger`
#[utoipa::path(
    post,
    path = "/webhooks/messenger",
    tag = "webhooks",
    summary = "A Messenger delivery (signed by Meta)",
    description = "Stored raw, answered at once, processed afterwards. The body is Meta's JSON, signed with the app secret (VERITY_MESSENGER_APP_SECRET) in `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.",
    params(("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` and the body's HMAC-SHA256 in hex")),
    request_body(content = Object, description = "Meta's webhook payload"),
    responses(
        (status = 200, description = "`EVENT_RECEIVED`", body = String, content_type = "text/plain"),
        (status = 400, description = "the body is not UTF-8", body = ErrorBody),
        (status = 401, description = "the signature is missing or wrong (or no app secret is configured)", body = ErrorBody),
        (status = 413, description = "the body is over VERITY_WEBHOOK_MAX_BYTES", body = ErrorBody),
    )
)]
pub async fn messenger_delivery(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let secret = app.config.channels.messenger_app_secret.clone();
    delivery(&app, Channel::Messenger, secret.as_ref(), &headers, &body).await
}

/// Subscribing with the right token gets the raw challenge back; anything else 403.
fn handshake(token: Option<&Secret>, q: &HashMap<String, String>) -> Response {
    let ok = q.get("hub.mode").map(String::as_str) == Some("subscribe")
        && token.is_some_and(|t| {
            q.get("hub.verify_token")
                .is_some_and(|given| t.matches(given))
        });
    match (ok, q.get("hub.challenge")) {
        (true, Some(challenge)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge.clone(),
        )
            .into_response(),
        _ => ApiError::Forbidden("verification failed".into()).into_response(),
    }
}

async fn delivery(
    app: &AppState,
    channel: Channel,
    secret: Option<&Secret>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let valid = secret.is_some_and(|s| signature_is_valid(s.expose(), body, signature));
    if !valid {
        metrics::counter!("verity_webhook_deliveries_total", "channel" => channel.as_str(), "outcome" => "bad_signature")
            .increment(1);
        tracing::warn!(
            channel = channel.as_str(),
            "webhook delivery with a missing or wrong signature refused"
        );
        return Err(ApiError::Unauthorized(
            "missing or invalid X-Hub-Signature-256".into(),
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 JSON".into()))?;
    app.inbox.receive(channel, text).await?;
    Ok((StatusCode::OK, "EVENT_RECEIVED").into_response())
}
