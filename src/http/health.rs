//! Liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and every migration is applied.
pub async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    match app.store.readiness().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}"))
        }
    }
}

/// Prometheus text format.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

/// `/api`: the API at a glance, for a person who opens the address in a browser.
pub async fn index() -> &'static str {
    "Verity is running: a support chat server that only says what the truth store says.\n\n\
     GET  /                              the demo shop page with the chat widget\n\
     GET  /static/widget.js              the widget (one script tag; see the README)\n\
     POST /api/v1/chat/sessions          opens a web chat session\n\
     POST /api/v1/chat/sessions/{id}/messages   a message (session token)\n\
     GET  /api/v1/chat/sessions/{id}/messages   the transcript (session token)\n\
     POST /api/v1/ingest                 ingestion (bearer token VERITY_INGEST_TOKEN)\n\
     GET  /api/v1/shipments/{tracking}   reconciled shipment status (bearer token VERITY_API_TOKEN)\n\
     GET  /api/v1/orders/{number}        reconciled order status (bearer token VERITY_API_TOKEN)\n\
     GET  /healthz  /readyz  /metrics    operations\n"
}
