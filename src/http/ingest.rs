//! `POST /api/v1/ingest`: a JSON array or NDJSON of items, applied in order.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::auth::require_bearer;
use super::error::ApiError;
use crate::ingest::{self, IngestReport};

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
    Ok(Json(report))
}
