//! Every route of Verity, in one place.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use axum::extract::DefaultBodyLimit;

use super::console::{self, forms, login, pages};
use super::{AppState, chat, error, health, ingest, live, notices, openapi, status, web, webhooks};

pub fn router(state: AppState) -> Router {
    let webhook_limit = DefaultBodyLimit::max(state.config.channels.webhook_max_bytes);
    // The staff console: every route behind the login gate (session cookie; a CSRF
    // token on every form), except the login page itself and its stylesheet.
    let console_routes = Router::new()
        .route("/console", get(pages::index))
        .route("/console/logout", post(login::logout))
        .route("/console/conversations", get(pages::conversations))
        .route("/console/conversations/{id}", get(pages::conversation))
        .route(
            "/console/conversations/{id}/take-over",
            post(forms::take_over),
        )
        .route(
            "/console/conversations/{id}/hand-back",
            post(forms::hand_back),
        )
        .route("/console/conversations/{id}/reply", post(forms::reply))
        .route("/console/conversations/{id}/notes", post(forms::note))
        .route("/console/cases", get(pages::cases))
        .route(
            "/console/cases/{id}/callback-done",
            post(forms::callback_done),
        )
        .route("/console/cases/{id}/decide", post(forms::decide))
        .route("/console/cases/{id}/close", post(forms::close))
        .route(
            "/console/orders/{number}/notices/hold",
            post(forms::hold_notices),
        )
        .route(
            "/console/orders/{number}/notices/release",
            post(forms::release_notices),
        )
        .route("/console/contradictions", get(pages::contradictions))
        .route("/console/customers/{id}", get(pages::customer))
        .route("/console/shipments/{tracking}", get(pages::shipment))
        .route("/console/audit", get(pages::audit))
        .route(
            "/console/replies",
            get(pages::replies).post(forms::save_reply),
        )
        .route("/console/replies/{id}/delete", post(forms::delete_reply))
        .route("/console/events", get(live::console_events))
        .route("/console/language", post(forms::language))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            console::require_staff,
        ));
    // Web chat (the widget); other origins may call it when configured (CORS).
    let chat = Router::new()
        .route("/api/v1/chat/sessions", post(chat::create_session))
        .route(
            "/api/v1/chat/sessions/{id}/messages",
            post(chat::post_message).get(chat::list_messages),
        )
        .route(
            "/api/v1/chat/sessions/{id}/events",
            get(live::widget_events),
        );
    let chat = match web::chat_cors(&state.config.widget_origins) {
        Some(cors) => chat.layer(cors),
        None => chat,
    };
    // `/metrics` here, unless it has an address of its own (VERITY_METRICS_BIND).
    let metrics_on_main = match state.config.metrics_bind {
        None => Router::new().route("/metrics", get(health::metrics)),
        Some(_) => Router::new(),
    };
    Router::new()
        .merge(console_routes)
        .route("/console/login", get(login::show).post(login::submit))
        .route("/static/console.css", get(pages::css))
        .route("/static/console.js", get(pages::js))
        .route("/favicon.ico", get(web::favicon))
        // The demo shop page with the widget, and the widget's files
        .route("/", get(web::demo_page))
        .route("/static/widget.js", get(web::widget_js))
        .route("/static/widget.css", get(web::widget_css))
        .route("/api", get(health::index))
        .route("/api/openapi.json", get(openapi::document))
        // Operations
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        // Ingestion (carriers, driver app, shop systems)
        .route("/api/v1/ingest", post(ingest::ingest))
        // Status API (portal, hotline, other systems): the same truth the bot tells
        .route("/api/v1/shipments/{tracking}", get(status::shipment))
        .route("/api/v1/orders/{number}", get(status::order))
        // Notices: the one-click unsubscribe (RFC 8058), authenticated by its signed token
        .route(
            "/notices/unsubscribe/{token}",
            get(notices::unsubscribe_show).post(notices::unsubscribe),
        )
        // The order page of a notice's signed, expiring link
        .route("/o/{token}", get(notices::order_page))
        // Web chat (the widget), with its CORS policy
        .merge(chat)
        // WhatsApp Cloud API and Messenger Platform (signed by Meta)
        .route(
            "/webhooks/whatsapp",
            get(webhooks::whatsapp_handshake)
                .post(webhooks::whatsapp_delivery)
                .layer(webhook_limit),
        )
        .route(
            "/webhooks/messenger",
            get(webhooks::messenger_handshake)
                .post(webhooks::messenger_delivery)
                .layer(webhook_limit),
        )
        .merge(metrics_on_main)
        .route_layer(middleware::from_fn(record_metrics))
        // Unknown paths and methods, rejected requests: the one error format.
        .fallback(error::no_route)
        .layer(middleware::from_fn(error::uniform_errors))
        // Every response: no content sniffing, no referrer to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(
            // Only the path is logged: query strings may carry tokens (and the signed
            // links of notices carry theirs in the path: those are cut).
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::info_span!("http", method = %req.method(), path = %loggable_path(req.uri().path()))
            }),
        )
        .with_state(state)
}

/// The router of the metrics address (VERITY_METRICS_BIND): `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .fallback(error::no_route)
        .layer(middleware::from_fn(error::uniform_errors))
        .with_state(state)
}

/// A path as logged: a signed link's token is left out.
fn loggable_path(path: &str) -> &str {
    for prefix in ["/notices/unsubscribe/", "/o/"] {
        if path.starts_with(prefix) {
            return prefix;
        }
    }
    path
}

/// Counts requests and their latency per route and status.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("verity_http_requests_total", "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!("verity_http_request_duration_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}
