//! The notices' one-click unsubscribe (RFC 8058): `GET /notices/unsubscribe/{token}`
//! shows a confirmation with a button, `POST` (the mail client's one-click, or the
//! button) records the opt-out. The signed token is the authentication.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::domain::Locale;
use crate::notices;

pub async fn unsubscribe_show(
    State(app): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(
        match notices::unsubscriber(&app.store, &app.links, &token).await? {
            Some((_, locale)) => {
                let action = format!("/notices/unsubscribe/{token}");
                Html(notices::page(locale, "unsubscribe_question", Some(&action))).into_response()
            }
            None => invalid(&headers),
        },
    )
}

pub async fn unsubscribe(
    State(app): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(
        match notices::unsubscriber(&app.store, &app.links, &token).await? {
            Some((person, locale)) => {
                notices::opt_out(&app.store, &person, "email", app.clock.now_ms()).await?;
                Html(notices::page(locale, "unsubscribed", None)).into_response()
            }
            None => invalid(&headers),
        },
    )
}

/// `GET /o/{token}`: the order page of a notice's signed link; a link that is no (more)
/// good gets its page in the browser's language.
pub async fn order_page(
    State(app): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let page =
        notices::order_page(&app.store, &app.policy, &app.links, app.clock.now(), &token).await?;
    Ok(match page {
        // Personal, and its address is a credential: never cached, never sent on as a
        // referrer (the chat links to carriers' tracking pages), scripts from here only.
        notices::OrderPage::Page(html) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CONTENT_SECURITY_POLICY, super::web::WIDGET_PAGE_CSP),
            ],
            Html(html),
        )
            .into_response(),
        notices::OrderPage::Expired => (
            StatusCode::GONE,
            Html(notices::page(language(&headers), "link_expired", None)),
        )
            .into_response(),
        notices::OrderPage::Invalid => invalid(&headers),
    })
}

fn invalid(headers: &HeaderMap) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(notices::page(language(headers), "link_invalid", None)),
    )
        .into_response()
}

/// The first language of `Accept-Language` Verity speaks, else German (as the console).
fn language(headers: &HeaderMap) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::console::templates::language(None, accept)
}
