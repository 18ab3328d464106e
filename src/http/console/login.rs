//! Logging in and out of the console.

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{COOKIE, ConsoleError, StaffSession, local_path, over_https};
use crate::console::accounts::{self, LoginOutcome};
use crate::console::templates;
use crate::http::AppState;

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

fn login_page(
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Result<Response, ConsoleError> {
    let html = templates::render(
        "login.html",
        context! {tz => "UTC", staff => Value::from(()), csrf => "", flash => Value::from(()),
        next => next, email => email, error => error},
    )?;
    Ok((status, super::page_headers(), Html(html)).into_response())
}

/// `GET /console/login`
pub async fn show(Query(q): Query<LoginQuery>) -> Result<Response, ConsoleError> {
    let next = local_path(q.next.as_deref(), "/console/conversations");
    login_page(StatusCode::OK, &next, "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
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
/// or password; a lock after repeated failures.
pub async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    let next = local_path(f.next.as_deref(), "/console/conversations");
    let lifetime_ms = app.config.console_session_hours.max(1) * 3_600_000;
    let now = app.clock.now_ms();
    match accounts::login(&app.store, &f.email, &f.password, now, lifetime_ms).await? {
        LoginOutcome::LoggedIn(s) => {
            tracing::info!(staff.id = %s.staff.id, "staff logged in to the console");
            let secure = app.config.console_secure_cookies || over_https(&headers);
            let cookie = session_cookie(s.token.expose(), lifetime_ms / 1000, secure)?;
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(resp)
        }
        LoginOutcome::Refused => login_page(
            StatusCode::UNAUTHORIZED,
            &next,
            &f.email,
            Some("The email or the password is wrong."),
        ),
        LoginOutcome::Locked { until_ms } => {
            let minutes = ((until_ms - now) as f64 / 60_000.0).ceil().max(1.0);
            login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &f.email,
                Some(&format!(
                    "Too many failed logins: this account is locked for {minutes:.0} more minutes."
                )),
            )
        }
    }
}

/// `POST /console/logout`
pub async fn logout(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    accounts::logout(&app.store, &s.token, &s.staff.id, app.clock.now_ms()).await?;
    let secure = app.config.console_secure_cookies || over_https(&headers);
    let mut resp = Redirect::to("/console/login").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, secure)?);
    Ok(resp)
}
