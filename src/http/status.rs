//! The status API for portals, hotlines and other systems: the same reconciled view and
//! the same summary sentence the bot uses.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::require_bearer;
use super::error::ApiError;
use crate::domain::{Locale, OrderNumber, TrackingNumber};
use crate::lookup;
use crate::truth::{OrderView, ShipmentView, summary};

#[derive(Deserialize)]
pub struct LocaleQuery {
    locale: Option<String>,
}

#[derive(Serialize)]
pub struct ShipmentStatus {
    /// The locale of `summary`.
    locale: Locale,
    /// The moment the view was reconciled.
    as_of: chrono::DateTime<chrono::Utc>,
    /// The sentence a person is told (both facts side by side while in dispute).
    summary: String,
    shipment: ShipmentView,
}

#[derive(Serialize)]
pub struct OrderStatus {
    locale: Locale,
    as_of: chrono::DateTime<chrono::Utc>,
    summary: String,
    order: OrderView,
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
pub async fn shipment(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(tracking): Path<String>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<ShipmentStatus>, ApiError> {
    check_token(&app, &headers)?;
    let t = TrackingNumber::parse(&tracking).map_err(ApiError::BadRequest)?;
    let now = app.clock.now();
    let found = lookup::shipment(&app.store, &app.policy, now, &t)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no shipment with tracking number {t}")))?;
    let locale = pick_locale(&q, &headers, found.customer_locale)?;
    Ok(Json(ShipmentStatus {
        locale,
        as_of: now,
        summary: summary(&found.view, locale, &app.policy),
        shipment: found.view,
    }))
}

/// `GET /api/v1/orders/{number}`
pub async fn order(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<OrderStatus>, ApiError> {
    check_token(&app, &headers)?;
    let n = OrderNumber::parse(&number).map_err(ApiError::BadRequest)?;
    let now = app.clock.now();
    let found = lookup::order(&app.store, &app.policy, now, &n)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no order with number {n}")))?;
    let locale = pick_locale(&q, &headers, found.customer_locale)?;
    Ok(Json(OrderStatus {
        locale,
        as_of: now,
        summary: summary(&found.view, locale, &app.policy),
        order: found.view,
    }))
}
