//! Bearer-token checks for the machine APIs (ingestion, status) and the token of the
//! `Authorization` header for every API (the chat's session tokens too).

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
    match bearer_token(headers) {
        None => Err(ApiError::Unauthorized(format!(
            "the {what} needs an `Authorization: Bearer <token>` header"
        ))),
        Some(t) if secret.matches(t) => Ok(()),
        Some(_) => Err(ApiError::Unauthorized(format!(
            "the bearer token is not valid for the {what}"
        ))),
    }
}

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive
/// (RFC 9110 §11.1: `bearer`, `Bearer` and `BEARER` are the same); `None` without the
/// header, with another scheme, or without a token.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            value.parse().expect("a header value"),
        );
        h
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc "] {
            assert_eq!(bearer_token(&with(v)), Some("abc"), "{v}");
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_give_no_token() {
        for v in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(&with(v)), None, "{v}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
