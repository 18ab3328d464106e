//! The OpenAPI 3.1 document of the machine APIs, generated from the handlers and the
//! types they read and answer (utoipa): served at `GET /api/openapi.json` and printed by
//! `verity openapi`. A test checks that every route of the router under `/api` and
//! every webhook handshake is in it (`tests/api/openapi.rs`).

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{chat, error, health, ingest, status, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Verity",
        description = "A support chat server that only says what the truth store says: ingestion of carrier, driver and shop data, the reconciled status of shipments and orders, and the web chat. Every answer that is not a success is `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        health::index,
        document,
        ingest::ingest,
        status::shipment,
        status::order,
        chat::create_session,
        chat::post_message,
        chat::list_messages,
        super::live::widget_events,
        webhooks::whatsapp_handshake,
        webhooks::messenger_handshake,
        webhooks::whatsapp_delivery,
        webhooks::messenger_delivery,
        health::healthz,
        health::readyz,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, error::ErrorCode)),
    modifiers(&Tokens),
    tags(
        (name = "ingestion", description = "carriers, driver apps and shop systems feed the truth store"),
        (name = "status", description = "the reconciled status portals and hotlines show"),
        (name = "chat", description = "the web chat (the widget speaks it)"),
        (name = "webhooks", description = "WhatsApp Cloud API and Messenger Platform"),
        (name = "operations", description = "health and this document"),
    ),
)]
pub struct ApiDoc;

/// The bearer tokens: one per API (ingestion, status) and one per chat session.
struct Tokens;

impl Modify for Tokens {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("ingest_token", "VERITY_INGEST_TOKEN"),
            ("status_token", "VERITY_API_TOKEN"),
            (
                "session_token",
                "the token POST /api/v1/chat/sessions returned",
            ),
        ] {
            let mut scheme = Http::new(HttpAuthScheme::Bearer);
            scheme.description = Some(format!("`Authorization: Bearer <token>`: {what}"));
            components.add_security_scheme(name, SecurityScheme::Http(scheme));
        }
    }
}

/// The document as pretty JSON.
pub fn document_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `GET /api/openapi.json`
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "the OpenAPI document", body = Object)),
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
