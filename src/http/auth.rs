//! Bearer-token checks for the machine APIs (ingestion, status).

use axum::http::{HeaderMap, header};

use super::error::ApiError;
use crate::config::Secret;

/// Checks `Authorization: Bearer <token>` against the configured token. `what` and
/// `env` name the API and the variable that configures it, for the error message.
pub fn require_bearer(
    headers: &HeaderMap,
    configured: Option<&Secret>,
    what: &str,
    env: &str,
) -> Result<(), ApiError> {
    let Some(secret) = configured else {
        return Err(ApiError::Forbidden(format!(
            "the {what} is disabled: no token is configured. Set {env} (or run `verity serve --demo`, which generates one)"
        )));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        None => Err(ApiError::Unauthorized(format!(
            "the {what} needs an `Authorization: Bearer <token>` header"
        ))),
        Some(t) if secret.matches(t) => Ok(()),
        Some(_) => Err(ApiError::Unauthorized(format!(
            "the bearer token is not valid for the {what}"
        ))),
    }
}
