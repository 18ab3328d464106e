//! Liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use super::auth::require_bearer;
use super::error::ApiError;

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: the process is up",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")),
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and every migration is applied.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: the database answers and every migration is applied",
    responses(
        (status = 200, description = "`ready`", body = String, content_type = "text/plain"),
        (status = 503, description = "`not ready: …` with the reason", body = String, content_type = "text/plain"),
    ),
)]
pub async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    match app.store.readiness().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}"))
        }
    }
}

/// Prometheus text format; behind `VERITY_METRICS_TOKEN` when one is set.
pub async fn metrics(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &app.config.metrics_token {
        require_bearer(
            &headers,
            Some(token),
            "metrics endpoint",
            "VERITY_METRICS_TOKEN",
        )?;
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    ))
}

/// `/api`: the API at a glance, for a person who opens the address in a browser.
#[utoipa::path(
    get,
    path = "/api",
    tag = "operations",
    summary = "The API at a glance, as plain text",
    responses((status = 200, description = "a list of the routes", body = String, content_type = "text/plain")),
)]
pub async fn index() -> &'static str {
    "Verity is running: a support chat server that only says what the truth store says.\n\n\
     GET  /                              the demo shop page with the chat widget\n\
     GET  /static/widget.js              the widget (one script tag; see docs/widget.md)\n\
     POST /api/v1/chat/sessions          opens a web chat session\n\
     POST /api/v1/chat/sessions/{id}/messages   a message (session token)\n\
     GET  /api/v1/chat/sessions/{id}/messages   the transcript (session token)\n\
     POST /api/v1/ingest                 ingestion (bearer token VERITY_INGEST_TOKEN)\n\
     GET  /api/v1/shipments/{tracking}   reconciled shipment status (bearer token VERITY_API_TOKEN)\n\
     GET  /api/v1/orders/{number}        reconciled order status (bearer token VERITY_API_TOKEN)\n\
     GET  /api/openapi.json              this API as an OpenAPI 3.1 document\n\
     GET  /healthz  /readyz  /metrics    operations\n"
}
