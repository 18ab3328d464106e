//! The website side of the web channel: the demo page, the widget's files, CORS for
//! embedding pages on other origins, and safe retries of a chat message.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_demo_page_embeds_the_widget_and_lists_the_demo_stories() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains("<script src=\"/static/widget.js\""), "{html}");
    for s in verity::demo::STORIES {
        assert!(html.contains(s.order_number), "{} missing", s.key);
        assert!(html.contains(s.postcode), "{} missing", s.key);
    }
    // The plain-text API index moved to /api.
    let r = app.client.get(app.url("/api")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("POST /api/v1/chat/sessions"), "{text}");
}

#[tokio::test]
async fn the_widget_files_are_served_with_content_types_and_cache_validators() {
    let app = spawn_app().await;
    for (path, ty, body) in [
        (
            "/static/widget.js",
            "text/javascript",
            verity::http::web::WIDGET_JS,
        ),
        (
            "/static/widget.css",
            "text/css",
            verity::http::web::WIDGET_CSS,
        ),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(ty),
            "{path}"
        );
        assert_eq!(h["cache-control"], "public, max-age=3600", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let etag = h["etag"].to_str().unwrap().to_string();
        assert_eq!(r.text().await.unwrap(), body, "{path}");
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        let stale = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"an-older-release\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200, "{path}");
    }
}

#[test]
fn the_widget_stays_under_36_kb_without_a_framework() {
    let dir = crate::helpers::repo_dir().join("static");
    let js = std::fs::read_to_string(dir.join("widget.js")).unwrap();
    let css = std::fs::read_to_string(dir.join("widget.css")).unwrap();
    let total = js.len() + css.len();
    assert!(
        // 30 KiB until it followed conversations live (event stream, ordered by
        // sequence number), switched language, trapped focus and counted unread messages.
        total < 36 * 1024,
        "widget.js + widget.css are {total} bytes"
    );
    // What is served is what is in static/ (embedded at build time).
    assert_eq!(js, verity::http::web::WIDGET_JS);
    assert_eq!(css, verity::http::web::WIDGET_CSS);
    assert!(!js.contains("import "), "no modules, no framework");
    assert!(!js.contains("innerHTML"), "text goes in with textContent");
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/chat/sessions"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn by_default_only_the_same_origin_may_call_the_chat_api() {
    let app = spawn_app().await;
    let r = preflight(&app, "https://shop.example").await;
    assert!(
        !r.headers().contains_key("access-control-allow-origin"),
        "{:?}",
        r.headers()
    );
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .header("origin", "https://shop.example")
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn configured_origins_may_embed_the_widget_and_others_may_not() {
    let app = spawn_app_with(|c| {
        c.widget_origins = vec![
            "https://shop.example".into(),
            "https://www.shop.example".into(),
        ]
    })
    .await;
    let r = preflight(&app, "https://shop.example").await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert!(!r.headers().contains_key("access-control-allow-credentials"));

    let r = preflight(&app, "https://evil.example").await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));

    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .header("origin", "https://www.shop.example")
        .json(&json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://www.shop.example"
    );
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
}

pub async fn open_session(app: &TestApp) -> (String, String) {
    let r: Value = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["session_id"].as_str().unwrap().to_string(),
        r["token"].as_str().unwrap().to_string(),
    )
}

pub async fn post(app: &TestApp, id: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json::<Value>().await.unwrap())
}

#[tokio::test]
async fn a_retried_message_with_the_same_client_id_is_answered_once() {
    let app = spawn_app().await;
    let (id, token) = open_session(&app).await;
    let msg = json!({"text": "Wie lange dauert die Lieferung?", "client_id": "c0ffee-0001"});
    let (status, first) = post(&app, &id, &token, &msg).await;
    assert_eq!(status, 200);
    assert!(first["reply"]["text"].is_string(), "{first}");
    let (status, second) = post(&app, &id, &token, &msg).await;
    assert_eq!(status, 200);
    assert_eq!(
        second["reply"],
        Value::Null,
        "the retry is not answered again"
    );

    let mut conn = app.store.read().await.unwrap();
    let stored = verity::store::conversations::list_messages(&mut conn, &id, 0)
        .await
        .unwrap();
    drop(conn);
    let asked = stored
        .iter()
        .filter(|m| m.text == "Wie lange dauert die Lieferung?")
        .count();
    assert_eq!(asked, 1, "stored once");
    let bot = stored
        .iter()
        .filter(|m| m.role == verity::store::conversations::Role::Bot)
        .count();
    assert_eq!(bot, 2, "the greeting and one answer");

    // Another session may use the same client id: ids are scoped to their session.
    let (other, other_token) = open_session(&app).await;
    let (status, body) = post(&app, &other, &other_token, &msg).await;
    assert_eq!(status, 200);
    assert!(body["reply"]["text"].is_string(), "{body}");

    let bad = json!({"text": "Hallo", "client_id": "no spaces or slashes/"});
    let (status, body) = post(&app, &id, &token, &bad).await;
    assert_eq!(status, 400, "{body}");
}
