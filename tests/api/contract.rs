//! The API as a contract: one error format for everything that is not a success, the
//! OpenAPI document covering every route, content negotiation by q-values, the bearer
//! scheme in any case, `client_id` conflicts.

use reqwest::header;
use serde_json::{Value, json};

use crate::helpers::{
    API_TOKEN, INGEST_TOKEN, TestApp, demo_app, repo_dir, spawn_app, spawn_app_with,
};

/// Asserts the one JSON error format and returns the message.
async fn json_error(r: reqwest::Response, status: u16, code: &str) -> String {
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert!(ct.starts_with("application/json"), "{ct}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    message
}

async fn open_session(app: &TestApp) -> (String, String) {
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        body["session_id"].as_str().unwrap().to_string(),
        body["token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_json_error_format() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    json_error(r, 404, "not_found").await;
    let r = app.client.get(app.url("/nowhere")).send().await.unwrap();
    json_error(r, 404, "not_found").await;
    let r = app
        .client
        .get(app.url("/webhooks/telegram"))
        .send()
        .await
        .unwrap();
    json_error(r, 404, "not_found").await;
    let r = app
        .client
        .delete(app.url("/api/v1/ingest"))
        .send()
        .await
        .unwrap();
    let allow = r.headers().get(header::ALLOW).cloned();
    let message = json_error(r, 405, "method_not_allowed").await;
    assert!(message.contains("DELETE"), "{message}");
    assert_eq!(allow.unwrap(), "POST", "the Allow header stays");
}

#[tokio::test]
async fn rejected_requests_get_the_json_error_format() {
    let app = spawn_app_with(|c| c.channels.webhook_max_bytes = 1024).await;
    // A repeated query parameter.
    let r = app
        .client
        .get(app.url("/api/v1/orders/A-100234?locale=de&locale=en"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    let message = json_error(r, 400, "bad_request").await;
    assert!(message.contains("locale"), "{message}");
    // A query parameter of the wrong type.
    let (id, token) = open_session(&app).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/chat/sessions/{id}/messages?after=soon")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    json_error(r, 400, "bad_request").await;
    // A chat body over axum's 2 MB.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
        .bearer_auth(&token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(format!("{{\"text\":\"{}\"}}", "a".repeat(3 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    json_error(r, 413, "payload_too_large").await;
    // A webhook delivery over VERITY_WEBHOOK_MAX_BYTES.
    let r = app
        .client
        .post(app.url("/webhooks/whatsapp"))
        .header("x-hub-signature-256", "sha256=00")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    json_error(r, 413, "payload_too_large").await;
    // A handshake with the wrong token.
    let r = app
        .client
        .get(app.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    json_error(r, 403, "forbidden").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_400_with_line_and_column() {
    let app = spawn_app().await;
    let message = json_error(app.ingest("\n  hello world\n").await, 400, "bad_request").await;
    assert!(message.contains("line 2, column 3"), "{message}");
    let message = json_error(app.ingest("[1, 2,").await, 400, "bad_request").await;
    assert!(message.contains("line 1"), "{message}");
    // NDJSON: a line that is not JSON is refused on its own, the others count.
    let body = concat!(
        r#"{"type":"customer","id":"C-1","name":"Erika Probe","locale":"de"}"#,
        "\nnot json\n"
    );
    let report = app.ingest_ok(body).await;
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["items"][1]["line"], 2, "{report}");
}

#[tokio::test]
async fn the_console_answers_its_errors_with_the_html_page() {
    let app = spawn_app().await;
    let html = |r: &reqwest::Response| {
        r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    };
    let r = app
        .client
        .get(app.url("/console/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(html(&r));
    // A login that is not a form (415), and a form without its fields (422).
    let r = app
        .client
        .post(app.url("/console/login"))
        .json(&json!({"email": "a@b.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(html(&r));
    let text = r.text().await.unwrap();
    assert!(text.contains("415"), "{text}");
    let r = app
        .client
        .post(app.url("/console/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("nothing=here")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(html(&r));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("<html") || text.contains("<!doctype"),
        "{text}"
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_on_every_api() {
    let app = demo_app().await;
    let (id, token) = open_session(&app).await;
    for scheme in ["bearer", "Bearer", "BEARER"] {
        let r = app
            .client
            .get(app.url("/api/v1/orders/A-100234"))
            .header(header::AUTHORIZATION, format!("{scheme} {API_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "status API, {scheme}");
        let r = app
            .client
            .post(app.url("/api/v1/ingest"))
            .header(header::AUTHORIZATION, format!("{scheme} {INGEST_TOKEN}"))
            .body(r#"{"type":"customer","id":"C-9","name":"Erika Probe","locale":"de"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "ingestion API, {scheme}");
        let r = app
            .client
            .get(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
            .header(header::AUTHORIZATION, format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "chat API, {scheme}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/orders/A-100234"))
        .header(header::AUTHORIZATION, format!("Basic {API_TOKEN}"))
        .send()
        .await
        .unwrap();
    json_error(r, 401, "unauthorized").await;
}

#[tokio::test]
async fn an_event_stream_refused_with_q_zero_is_not_streamed() {
    let app = spawn_app().await;
    let (id, token) = open_session(&app).await;
    let post = |accept: &'static str, text: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
            .bearer_auth(&token)
            .header(header::ACCEPT, accept)
            .json(&json!({"text": text}))
            .send()
    };
    let content_type = |r: &reqwest::Response| {
        r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let r = post("text/event-stream;q=0, application/json", "Hallo")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        content_type(&r).starts_with("application/json"),
        "{}",
        content_type(&r)
    );
    let r = post(
        "application/json;q=0.5, text/event-stream",
        "Wie lange dauert die Lieferung?",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        content_type(&r).starts_with("text/event-stream"),
        "{}",
        content_type(&r)
    );
    let _ = r.text().await;
    let r = post("text/event-stream;q=0", "Hallo").await.unwrap();
    json_error(r, 406, "not_acceptable").await;
}

#[tokio::test]
async fn a_client_id_reused_for_another_text_is_refused_with_409() {
    let app = spawn_app().await;
    let (id, token) = open_session(&app).await;
    let post = |body: Value| {
        app.client
            .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let first = json!({"text": "Wie lange dauert die Lieferung?", "client_id": "retry-0001"});
    let r = post(first.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = post(first).await.unwrap();
    assert_eq!(r.status(), 200, "the same text is a retry");
    assert_eq!(r.json::<Value>().await.unwrap()["reply"], Value::Null);
    let r = post(json!({"text": "Etwas ganz anderes", "client_id": "retry-0001"}))
        .await
        .unwrap();
    let message = json_error(r, 409, "conflict").await;
    assert!(message.contains("client_id"), "{message}");
    let r = post(json!({"action": "callback", "client_id": "retry-0001"}))
        .await
        .unwrap();
    json_error(r, 409, "conflict").await;

    let mut conn = app.store.read().await.unwrap();
    let stored = verity::store::conversations::list_messages(&mut conn, &id, 0)
        .await
        .unwrap();
    assert!(
        stored.iter().all(|m| m.text != "Etwas ganz anderes"),
        "the refused text is not stored"
    );
}

/// Every `.route("PATH", METHOD(…)…)` of the router's source under `/api` and
/// `/webhooks`, with its methods: read from the one router file, so a route added there
/// without documentation fails [`every_api_route_of_the_router_is_in_the_openapi_document`].
fn routes_of_the_router() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(repo_dir().join("src/http/router.rs")).unwrap();
    let method = regex::Regex::new(r"(?:^|[^A-Za-z_:])(get|post|put|patch|delete)\(").unwrap();
    let mut routes = Vec::new();
    let mut rest = src.as_str();
    while let Some(at) = rest.find(".route(") {
        let call = &rest[at + ".route(".len()..];
        // The call's text up to its closing parenthesis.
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .unwrap();
        let args = &call[..end];
        let path = args.split('"').nth(1).unwrap().to_string();
        if path.starts_with("/api") || path.starts_with("/webhooks") {
            let methods: Vec<String> = method
                .captures_iter(args)
                .map(|c| c[1].to_string())
                .collect();
            assert!(!methods.is_empty(), "no method found for {path}");
            for m in methods {
                routes.push((m, path.clone()));
            }
        }
        rest = &call[end..];
    }
    routes
}

#[tokio::test]
async fn every_api_route_of_the_router_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = routes_of_the_router();
    assert!(
        routes.len() >= 12,
        "the router's routes were read: {routes:?}"
    );
    for (method, path) in &routes {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{} {path} is not in the OpenAPI document",
            method.to_uppercase()
        );
        assert!(
            op["responses"].is_object(),
            "{method} {path} has no responses"
        );
    }
    // Every documented error answer is the one error format.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') && path != "/readyz" {
                    let schema = &resp["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    // The command line prints the same document.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, doc);
}

#[tokio::test]
async fn api_bodies_of_another_type_or_shape_get_400_in_the_json_format_never_415_or_422() {
    let app = spawn_app().await;
    // JSON under another Content-Type is read as JSON (the document says so): 201.
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"language":"en"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A form where JSON belongs, and JSON of the wrong shape: 400 with the reason.
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("language=de")
        .send()
        .await
        .unwrap();
    let message = json_error(r, 400, "bad_request").await;
    assert!(message.contains("JSON"), "{message}");
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .json(&json!({"language": 5}))
        .send()
        .await
        .unwrap();
    json_error(r, 400, "bad_request").await;
    let (id, token) = open_session(&app).await;
    for body in [
        json!({"text": 5}),
        json!({"action": ["callback"]}),
        json!([1, 2]),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        json_error(r, 400, "bad_request").await;
    }
}
