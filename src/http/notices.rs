//! The notices' one-click unsubscribe (RFC 8058): `GET /notices/unsubscribe/{token}`
//! shows a confirmation with a button, `POST` (the mail client's one-click, or the
//! button) records the opt-out. The signed token is the authentication.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::domain::Locale;
use crate::notices;

pub async fn unsubscribe_show(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    Ok(
        match notices::unsubscriber(&app.store, &app.links, &token).await? {
            Some((_, locale)) => {
                let action = format!("/notices/unsubscribe/{token}");
                Html(notices::page(locale, "unsubscribe_question", Some(&action))).into_response()
            }
            None => invalid(),
        },
    )
}

pub async fn unsubscribe(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    Ok(
        match notices::unsubscriber(&app.store, &app.links, &token).await? {
            Some((person, locale)) => {
                notices::opt_out(&app.store, &person, "email", app.clock.now_ms()).await?;
                Html(notices::page(locale, "unsubscribed", None)).into_response()
            }
            None => invalid(),
        },
    )
}

/// `GET /o/{token}`: the order page of a notice's signed link.
pub async fn order_page(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let page =
        notices::order_page(&app.store, &app.policy, &app.links, app.clock.now(), &token).await?;
    Ok(match page {
        notices::OrderPage::Page(html) => Html(html).into_response(),
        notices::OrderPage::Expired => (
            StatusCode::GONE,
            Html(notices::page(Locale::De, "link_expired", None)),
        )
            .into_response(),
        notices::OrderPage::Invalid => invalid(),
    })
}

fn invalid() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(notices::page(Locale::De, "link_invalid", None)),
    )
        .into_response()
}
