//! Logging in and out of the console.

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{COOKIE, ConsoleError, StaffSession, cookie, local_path, over_https};
use crate::config::Secret;
use crate::console::accounts::{self, LoginOutcome};
use crate::console::problem::Problem;
use crate::console::templates;
use crate::http::AppState;
use crate::http::limits::ClientIp;

/// The login form's CSRF cookie: there is no session yet, so the form's token is
/// checked against this cookie (double submit); SameSite=Strict keeps other sites from
/// sending it along.
const LOGIN_COOKIE: &str = "verity_login";

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

/// The login page with a fresh form token and its cookie.
fn login_page(
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<Problem>,
    lc: LoginCtx,
) -> Result<Response, ConsoleError> {
    let LoginCtx { secure, lang } = lc;
    let token = Secret::generate();
    let html = templates::render(
        "login.html",
        lang,
        context! {tz => "UTC", staff => Value::from(()), csrf => token.expose(),
        flash => Value::from(()), next => next, email => email,
        problem => error.map(|p| Value::from_serialize(&p))},
    )?;
    let secure = if secure { "; Secure" } else { "" };
    let cookie = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={}; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}",
        token.expose()
    ))
    .map_err(|e| ConsoleError::Internal(anyhow::anyhow!("building the login cookie: {e}")))?;
    let mut resp = (status, super::page_headers(), Html(html)).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

fn secure_cookies(app: &AppState, headers: &HeaderMap) -> bool {
    app.config.console_secure_cookies || over_https(headers)
}

/// How the login page is served: cookie flags and language (from `Accept-Language`).
#[derive(Clone, Copy)]
struct LoginCtx {
    secure: bool,
    lang: crate::domain::Locale,
}

fn login_ctx(app: &AppState, headers: &HeaderMap) -> LoginCtx {
    LoginCtx {
        secure: secure_cookies(app, headers),
        lang: templates::language(
            None,
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// `GET /console/login`
pub async fn show(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ConsoleError> {
    let next = local_path(q.next.as_deref(), "/console/conversations");
    login_page(StatusCode::OK, &next, "", None, login_ctx(&app, &headers))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> Result<HeaderValue, ConsoleError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .map_err(|e| ConsoleError::Internal(anyhow::anyhow!("building the session cookie: {e}")))
}

/// `POST /console/login`: a session cookie on success; one message for a wrong email
/// or password; a lock after repeated failures. The form's token must match the login
/// cookie (403 otherwise).
pub async fn submit(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if f.csrf.is_empty() || expected.is_empty() || !Secret::new(expected).matches(&f.csrf) {
        return Err(ConsoleError::Forbidden(Problem::new("login_csrf_stale")));
    }
    let next = local_path(f.next.as_deref(), "/console/conversations");
    let lc = login_ctx(&app, &headers);
    let secure = lc.secure;
    let lifetime_ms = app.config.console_session_hours.max(1) * 3_600_000;
    let now = app.clock.now_ms();
    let client = client.to_string();
    match accounts::login(&app.store, &f.email, &f.password, &client, now, lifetime_ms).await? {
        LoginOutcome::LoggedIn(s) => {
            tracing::info!(staff.id = %s.staff.id, "staff logged in to the console");
            let cookie = session_cookie(s.token.expose(), lifetime_ms / 1000, secure)?;
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(resp)
        }
        LoginOutcome::Refused => login_page(
            StatusCode::UNAUTHORIZED,
            &next,
            &f.email,
            Some(Problem::new("login_wrong")),
            lc,
        ),
        LoginOutcome::Locked { until_ms } => {
            let minutes = ((until_ms - now) as f64 / 60_000.0).ceil().max(1.0);
            login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &f.email,
                Some(Problem::with("login_locked", format!("{minutes:.0}"))),
                lc,
            )
        }
        LoginOutcome::Busy => login_page(
            StatusCode::SERVICE_UNAVAILABLE,
            &next,
            &f.email,
            Some(Problem::new("login_busy")),
            lc,
        ),
    }
}

/// `POST /console/logout`
pub async fn logout(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    accounts::logout(&app.store, &s.token, &s.staff.id, app.clock.now_ms()).await?;
    let mut resp = Redirect::to("/console/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, secure_cookies(&app, &headers))?,
    );
    Ok(resp)
}
