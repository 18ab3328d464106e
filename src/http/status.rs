//! The status API for portals, hotlines and other systems: the same reconciled view and
//! the same summary sentence the bot uses.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::require_bearer;
use super::error::{ApiError, ErrorBody};
use crate::domain::{Locale, OrderNumber, TrackingNumber};
use crate::lookup;
use crate::truth::summary::{BriefOptions, brief};
use crate::truth::{OrderView, ShipmentView, summary};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocaleQuery {
    /// The language of `summary`: `de`, `en` or a region tag (`en-GB`); unset: the
    /// first of `Accept-Language` the API speaks, else the customer's language.
    locale: Option<String>,
    /// The most timeline entries per list (1–1000, default 200): the newest, and every
    /// one that is evidence of an open contradiction; `timeline_omitted` counts the rest.
    timeline_limit: Option<usize>,
}

/// Timeline entries per list when `timeline_limit` is unset.
pub const DEFAULT_TIMELINE_LIMIT: usize = 200;
/// The largest `timeline_limit`.
pub const MAX_TIMELINE_LIMIT: usize = 1000;

fn timeline_limit(q: &LocaleQuery) -> Result<usize, ApiError> {
    match q.timeline_limit {
        None => Ok(DEFAULT_TIMELINE_LIMIT),
        Some(n) if (1..=MAX_TIMELINE_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "timeline_limit: {n} is not between 1 and {MAX_TIMELINE_LIMIT}"
        ))),
    }
}

/// A shipment's reconciled status.
#[derive(Serialize, ToSchema)]
pub struct ShipmentStatus {
    /// The locale of `summary`.
    locale: Locale,
    /// The moment the view was reconciled.
    as_of: chrono::DateTime<chrono::Utc>,
    /// What the bot tells a person about this shipment, in a few lines: each fact of a
    /// dispute once (source, local time, place), that they disagree, what happens next.
    summary: String,
    /// The reconciled view: status, timeline (the carrier's and driver's words
    /// verbatim), open contradictions with their evidence, `in_dispute`, remedies.
    shipment: ShipmentView,
    /// Older timeline entries left out by `timeline_limit` (0: the whole timeline).
    timeline_omitted: usize,
}

/// An order's reconciled status, with every shipment of it.
#[derive(Serialize, ToSchema)]
pub struct OrderStatus {
    locale: Locale,
    as_of: chrono::DateTime<chrono::Utc>,
    summary: String,
    /// The reconciled view of the order and its shipments.
    order: OrderView,
    /// Older entries left out by `timeline_limit`, over all of the order's lists
    /// (order events, notifications, customer reports, each shipment's timeline).
    timeline_omitted: usize,
}

/// `?locale=` when given (de, en, en-GB, …), else the first Accept-Language the API
/// speaks, else the customer's own language, else German.
fn pick_locale(
    q: &LocaleQuery,
    headers: &HeaderMap,
    customer: Option<Locale>,
) -> Result<Locale, ApiError> {
    if let Some(l) = &q.locale {
        return Locale::parse(l).map_err(|e| ApiError::BadRequest(format!("locale: {e}")));
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let from_header = accept
        .split(',')
        .filter_map(|part| Locale::parse(part.split(';').next().unwrap_or("")).ok())
        .next();
    Ok(from_header.or(customer).unwrap_or_default())
}

fn check_token(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    require_bearer(
        headers,
        app.config.api_token.as_ref(),
        "status API",
        "VERITY_API_TOKEN",
    )
}

/// `GET /api/v1/shipments/{tracking}`
#[utoipa::path(
    get,
    path = "/api/v1/shipments/{tracking}",
    tag = "status",
    summary = "A shipment's reconciled status and its summary sentence",
    params(
        ("tracking" = String, Path, description = "the tracking number", example = "00340434161234567890"),
        LocaleQuery,
        ("Accept-Language" = Option<String>, Header, description = "the summary's language when `locale` is unset"),
    ),
    security(("status_token" = [])),
    responses(
        (status = 200, description = "the reconciled view", body = ShipmentStatus),
        (status = 400, description = "a malformed tracking number, locale or timeline_limit, or a repeated parameter", body = ErrorBody),
        (status = 401, description = "no token or a wrong one", body = ErrorBody),
        (status = 403, description = "the status API is disabled (no VERITY_API_TOKEN)", body = ErrorBody),
        (status = 404, description = "no such shipment", body = ErrorBody),
    )
)]
pub async fn shipment(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(tracking): Path<String>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<ShipmentStatus>, ApiError> {
    check_token(&app, &headers)?;
    let t = TrackingNumber::parse(&tracking).map_err(ApiError::BadRequest)?;
    let limit = timeline_limit(&q)?;
    let now = app.clock.now();
    let mut found = lookup::shipment(&app.store, &app.policy, now, &t)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no shipment with tracking number {t}")))?;
    let locale = pick_locale(&q, &headers, found.customer_locale)?;
    // The brief the bot says about this shipment, told from its order's view.
    let order = lookup::order(&app.store, &app.policy, now, &found.view.order_number).await?;
    let summary = match order {
        Some(o) => {
            let only = BriefOptions { only: Some(&t) };
            brief(&o.view, locale, &app.policy, only).text
        }
        None => summary(&found.view, locale, &app.policy),
    };
    let timeline_omitted = found.view.bound_timeline(limit);
    Ok(Json(ShipmentStatus {
        locale,
        as_of: now,
        summary,
        shipment: found.view,
        timeline_omitted,
    }))
}

/// `GET /api/v1/orders/{number}`
#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}",
    tag = "status",
    summary = "An order's reconciled status (all its shipments) and its summary sentence",
    params(
        ("number" = String, Path, description = "the order number", example = "A-100234"),
        LocaleQuery,
        ("Accept-Language" = Option<String>, Header, description = "the summary's language when `locale` is unset"),
    ),
    security(("status_token" = [])),
    responses(
        (status = 200, description = "the reconciled view", body = OrderStatus),
        (status = 400, description = "a malformed order number, locale or timeline_limit, or a repeated parameter", body = ErrorBody),
        (status = 401, description = "no token or a wrong one", body = ErrorBody),
        (status = 403, description = "the status API is disabled (no VERITY_API_TOKEN)", body = ErrorBody),
        (status = 404, description = "no such order", body = ErrorBody),
    )
)]
pub async fn order(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<OrderStatus>, ApiError> {
    check_token(&app, &headers)?;
    let n = OrderNumber::parse(&number).map_err(ApiError::BadRequest)?;
    let limit = timeline_limit(&q)?;
    let now = app.clock.now();
    let mut found = lookup::order(&app.store, &app.policy, now, &n)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no order with number {n}")))?;
    let locale = pick_locale(&q, &headers, found.customer_locale)?;
    let summary = brief(&found.view, locale, &app.policy, BriefOptions::default()).text;
    let timeline_omitted = found.view.bound_entries(limit);
    Ok(Json(OrderStatus {
        locale,
        as_of: now,
        summary,
        order: found.view,
        timeline_omitted,
    }))
}
