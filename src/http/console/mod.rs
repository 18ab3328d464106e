//! The staff console's HTTP edge: the login gate (session cookie, CSRF check on every
//! form), the HTML error page, and the thin handlers in [`pages`] (reading) and
//! [`forms`] (acting) and [`login`].

pub mod forms;
pub mod login;
pub mod pages;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::AppState;
use crate::config::Secret;
use crate::console::accounts;
use crate::console::actions::ActionError;
use crate::console::problem::Problem;
use crate::console::templates;
use crate::store::staff::StaffUser;

/// The session cookie's name.
pub const COOKIE: &str = "verity_console";
/// The largest form the console accepts.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The logged-in staff member of a request, put there by [`require_staff`].
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub staff: StaffUser,
    pub csrf: String,
    /// The cookie value (for logout).
    pub token: String,
    /// The console's language for this staff member.
    pub lang: crate::domain::Locale,
}

/// The console's error: an HTML page that tells staff what went wrong, in their
/// language (the sentence is in `prompts/console/`, see [`Problem`]).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{0}")]
    BadRequest(Problem),
    #[error("{0}")]
    Unauthorized(Problem),
    #[error("{0}")]
    Forbidden(Problem),
    #[error("{0}")]
    NotFound(Problem),
    #[error("{0}")]
    Conflict(Problem),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ActionError> for ConsoleError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound(m) => Self::NotFound(m),
            ActionError::Invalid(m) => Self::BadRequest(m),
            ActionError::Conflict(m) => Self::Conflict(m),
            ActionError::Forbidden(m) => Self::Forbidden(m),
            ActionError::Internal(e) => Self::Internal(e),
        }
    }
}

/// The problem an error page told, kept with the response so that [`require_staff`]
/// can tell it again in the staff member's language.
#[derive(Clone, Debug)]
struct Told(Problem);

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, problem) = match self {
            Self::BadRequest(p) => (StatusCode::BAD_REQUEST, p),
            Self::Unauthorized(p) => (StatusCode::UNAUTHORIZED, p),
            Self::Forbidden(p) => (StatusCode::FORBIDDEN, p),
            Self::NotFound(p) => (StatusCode::NOT_FOUND, p),
            Self::Conflict(p) => (StatusCode::CONFLICT, p),
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error in the console");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Problem::new("internal_error"),
                )
            }
        };
        let mut resp = problem_page(status, &problem, crate::domain::Locale::default());
        resp.extensions_mut().insert(Told(problem));
        resp
    }
}

/// The console's HTML error page for a [`Problem`], in `lang`.
pub fn problem_page(
    status: StatusCode,
    problem: &Problem,
    lang: crate::domain::Locale,
) -> Response {
    render_error(status, lang, Value::from_serialize(problem), "")
}

/// The console's HTML error page for what axum answers by itself under `/console` (see
/// [`super::error::uniform_errors`]): its own, technical message.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    render_error(
        status,
        crate::domain::Locale::default(),
        Value::from(()),
        message,
    )
}

fn render_error(
    status: StatusCode,
    lang: crate::domain::Locale,
    problem: Value,
    message: &str,
) -> Response {
    let body = templates::render(
        "error.html",
        lang,
        context! {tz => "UTC", staff => Value::from(()), csrf => "", flash => Value::from(()),
        status => status.as_u16(), problem => problem, message => message},
    )
    .unwrap_or_else(|_| format!("{} {message}", status.as_u16()));
    (status, page_headers(), Html(body)).into_response()
}

/// Console pages are personal data: never cached, never framed, no script or style from
/// anywhere but Verity itself.
pub fn page_headers() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Renders a page for a logged-in staff member.
pub fn page(
    app: &AppState,
    s: &StaffSession,
    name: &str,
    flash: Option<&str>,
    ctx: Value,
) -> Result<Response, ConsoleError> {
    let base = context! {
        tz => app.policy.time_zone.name(),
        staff => context! {id => s.staff.id.clone(), email => s.staff.email.clone(), role => s.staff.role.clone(),
            name => s.staff.display_name.clone().unwrap_or_else(|| s.staff.email.clone())},
        csrf => s.csrf.clone(),
        flash => flash,
    };
    let html = templates::render(name, s.lang, context! {..base, ..ctx})?;
    Ok((page_headers(), Html(html)).into_response())
}

/// The value of a cookie, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether the request came over HTTPS (directly, or through a proxy that says so).
pub fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The login gate in front of every console route but the login page: no live session
/// → a redirect to the login page (GET) or 401 (anything else); a form without the
/// session's CSRF token → 403.
pub async fn require_staff(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let browser = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let refuse = |status: StatusCode, key: &'static str| {
        problem_page(
            status,
            &Problem::new(key),
            templates::language(None, browser.as_deref()),
        )
    };
    let now = app.clock.now_ms();
    let token = cookie(req.headers(), COOKIE);
    let session = match &token {
        Some(t) if !t.is_empty() => match accounts::session(&app.store, t, now).await {
            Ok(s) => s,
            Err(e) => return ConsoleError::Internal(e).into_response(),
        },
        _ => None,
    };
    let (Some(session), Some(token)) = (session, token) else {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let next_path = req.uri().path();
            let q = serde_urlencoded::to_string([("next", next_path)]).unwrap_or_default();
            return Redirect::to(&format!("/console/login?{q}")).into_response();
        }
        return refuse(StatusCode::UNAUTHORIZED, "log_in_first");
    };
    let mut req = req;
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return refuse(StatusCode::BAD_REQUEST, "form_too_large");
        };
        let from_header = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let from_form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|f| f.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
        let given = from_header.or(from_form).unwrap_or_default();
        if given.is_empty() || !Secret::new(session.csrf_token.clone()).matches(&given) {
            tracing::warn!(staff.id = %session.staff.id, path = %parts.uri.path(), "a console form without a valid CSRF token was refused");
            return refuse(StatusCode::FORBIDDEN, "csrf_stale");
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    let lang = templates::language(session.staff.language.as_deref(), browser.as_deref());
    req.extensions_mut().insert(StaffSession {
        lang,
        staff: session.staff,
        csrf: session.csrf_token,
        token,
    });
    let resp = next.run(req).await;
    // An error page is told again in the staff member's language.
    match resp.extensions().get::<Told>() {
        Some(Told(p)) => problem_page(resp.status(), p, lang),
        None => resp,
    }
}

/// A local console path to return to after a form, or the fallback: never another site.
pub fn local_path(back: Option<&str>, fallback: &str) -> String {
    match back {
        Some(b) if is_console_path(b) => b.to_string(),
        _ => fallback.to_string(),
    }
}

/// A same-site path into the console that is safe in a `Location` header: `/console`,
/// `/console/…` or `/console?…`, printable ASCII only (no control characters, no spaces,
/// nothing a header cannot carry), no `//` or `\\` (which browsers may read as another
/// host), at most 2,000 characters.
fn is_console_path(b: &str) -> bool {
    let rest = b.strip_prefix("/console").unwrap_or("-");
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        && b.len() <= 2000
        && b.bytes().all(|c| c.is_ascii_graphic())
        && !b.contains("//")
        && !b.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(local_path(Some("/console/cases"), "/x"), "/console/cases");
        assert_eq!(local_path(Some("https://evil.example"), "/x"), "/x");
        assert_eq!(local_path(Some("/console//evil.example"), "/x"), "/x");
        assert_eq!(local_path(None, "/x"), "/x");
        for bad in [
            "/console/\ncase",
            "/console/cases\r\nSet-Cookie: x=1",
            "/console/%0A\u{7f}",
            "/console/ cases",
            "/console\\evil.example",
            "/consoleevil",
            "/console/\u{202e}",
        ] {
            assert_eq!(local_path(Some(bad), "/x"), "/x", "{bad:?}");
        }
        assert_eq!(
            local_path(Some("/console/cases?ok=1#callbacks"), "/x"),
            "/console/cases?ok=1#callbacks"
        );
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; verity_console=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
