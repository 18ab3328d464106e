//! `POST /api/v1/ingest`: a JSON array or NDJSON of items, applied in order.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::auth::require_bearer;
use super::error::{ApiError, ErrorBody};
use crate::ingest::{self, IngestReport};

#[utoipa::path(
    post,
    path = "/api/v1/ingest",
    tag = "ingestion",
    summary = "Ingest records and events",
    description = "A JSON array of items, or NDJSON (one item per line), in the ingestion format (docs/ingestion.md). Items are applied in order, each accepted or rejected on its own; in NDJSON a line that is not JSON is rejected on its own. A body in which nothing is JSON is refused whole (400, with line and column).",
    request_body(description = "NDJSON (one item per line) or a JSON array of items", content(
        (String = "application/x-ndjson", example = json!("{\"type\":\"customer\",\"id\":\"C-1\",\"name\":\"Erika Probe\",\"locale\":\"de\"}\n")),
        (Vec<Object> = "application/json", example = json!([{"type": "customer", "id": "C-1", "name": "Erika Probe", "locale": "de"}])),
    )),
    security(("ingest_token" = [])),
    responses(
        (status = 200, description = "counts and one line per item, in input order", body = IngestReport),
        (status = 400, description = "the body is empty, not UTF-8, or not JSON (with line and column)", body = ErrorBody),
        (status = 401, description = "no token or a wrong one", body = ErrorBody),
        (status = 403, description = "ingestion is disabled (no VERITY_INGEST_TOKEN)", body = ErrorBody),
        (status = 413, description = "the body is over VERITY_INGEST_MAX_BYTES", body = ErrorBody),
    )
)]
pub async fn ingest(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, ApiError> {
    require_bearer(
        &headers,
        app.config.ingest_token.as_ref(),
        "ingestion API",
        "VERITY_INGEST_TOKEN",
    )?;
    let limit = app.config.ingest_max_bytes;
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than the limit of {limit} bytes ({:.1} MiB); split it into smaller batches (VERITY_INGEST_MAX_BYTES sets the limit)",
            limit as f64 / (1024.0 * 1024.0)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let inputs =
        ingest::parse_body_lazily(&bytes).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = ingest::apply_capped(
        &app.store,
        inputs,
        app.clock.now_ms(),
        Some(ingest::REPORT_LINES_PER_KIND),
    )
    .await?;
    tracing::info!(
        accepted = report.accepted,
        duplicates = report.duplicates,
        conflicts = report.conflicts,
        rejected = report.rejected,
        "ingested a batch"
    );
    crate::notices::after_ingest(
        &app.0,
        &report.touched_orders,
        report.notice_mark.as_deref(),
    )
    .await;
    Ok(Json(report))
}
