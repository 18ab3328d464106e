//! The one error format at the HTTP edge: `{"error":{"code","message"}}` for every
//! answer under `/api` and `/webhooks` that is not a success, the console's HTML error
//! page under `/console`. 4xx variants carry text safe to show; internal errors are
//! logged with their cause chain and answered with a generic 500. [`uniform_errors`]
//! brings what axum answers by itself (unknown paths, wrong methods, extractor
//! rejections, body limits) into the same format.

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What kind of failure an error is; one code per HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnprocessableEntity,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// The code of a status (the nearest one for a status without its own).
    pub fn of(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::NOT_ACCEPTABLE => Self::NotAcceptable,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::UnprocessableEntity,
            StatusCode::TOO_MANY_REQUESTS => Self::TooManyRequests,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            s if s.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }
}

/// Every answer that is not a success: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// What went wrong and, where it helps, what to send instead (English).
    pub message: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The JSON error answer of `status` with `message`.
pub fn json_error(status: StatusCode, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: ErrorCode::of(status),
            message,
        },
    };
    let mut resp = (status, Json(body)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    }
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                "internal error; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        json_error(status, message)
    }
}

/// Which error format a path answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Surface {
    /// `/api…` and `/webhooks…`: JSON.
    Api,
    /// `/console…`: the HTML error page.
    Console,
    /// Everything else (the demo page, static files, operations): JSON for an unknown
    /// path or method, other answers as they are.
    Other,
}

impl Surface {
    fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/api") || under("/webhooks") {
            Self::Api
        } else if under("/console") {
            Self::Console
        } else {
            Self::Other
        }
    }
}

/// The longest body of an error answer read back to reuse its text as the message.
const MAX_ERROR_TEXT: usize = 4096;

/// Rewrites every non-success answer that is not yet in its surface's format: axum's
/// own answers (404 without a route, 405, a rejected path, query, form or body, a body
/// over its limit) are plain text or empty; their text becomes the message.
pub async fn uniform_errors(req: Request, next: Next) -> Response {
    let surface = Surface::of(req.uri().path());
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wanted = match surface {
        Surface::Console => "text/html",
        Surface::Api => "application/json",
        // A page of its own (the order page's "this link is not valid") stays a page.
        Surface::Other if content_type.starts_with("text/html") => return resp,
        Surface::Other
            if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED =>
        {
            "application/json"
        }
        Surface::Other => return resp,
    };
    if content_type.starts_with(wanted) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match axum::body::to_bytes(body, MAX_ERROR_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = if !text.is_empty() {
        text
    } else {
        default_message(status, &method, parts.headers.get(header::ALLOW))
    };
    let mut fresh = match surface {
        Surface::Console => super::console::error_page(status, &message),
        _ => json_error(status, message),
    };
    // Keep what the original answer said beside its body (Allow, Retry-After, CORS…).
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in parts.headers.iter() {
        if !fresh.headers().contains_key(name) {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

fn default_message(status: StatusCode, method: &Method, allow: Option<&HeaderValue>) -> String {
    match status {
        StatusCode::NOT_FOUND => "there is nothing at this path (see GET /api/openapi.json)".into(),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = allow.and_then(|v| v.to_str().ok()).unwrap_or("");
            if allowed.is_empty() {
                format!("this path does not answer {method}")
            } else {
                format!("this path does not answer {method}; it answers {allowed}")
            }
        }
        other => other
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    }
}

/// The router's fallback: a path no route serves.
pub async fn no_route() -> Response {
    (StatusCode::NOT_FOUND, Body::empty()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sorted_into_their_error_surface() {
        assert_eq!(Surface::of("/api"), Surface::Api);
        assert_eq!(Surface::of("/api/v1/ingest"), Surface::Api);
        assert_eq!(Surface::of("/webhooks/whatsapp"), Surface::Api);
        assert_eq!(Surface::of("/console"), Surface::Console);
        assert_eq!(Surface::of("/console/cases/1"), Surface::Console);
        assert_eq!(Surface::of("/apix"), Surface::Other);
        assert_eq!(Surface::of("/consoles"), Surface::Other);
        assert_eq!(Surface::of("/"), Surface::Other);
    }

    #[test]
    fn every_error_status_has_its_code() {
        assert_eq!(
            ErrorCode::of(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ErrorCode::UnsupportedMediaType
        );
        assert_eq!(ErrorCode::of(StatusCode::BAD_GATEWAY), ErrorCode::Internal);
        assert_eq!(
            ErrorCode::of(StatusCode::IM_A_TEAPOT),
            ErrorCode::BadRequest
        );
    }
}
