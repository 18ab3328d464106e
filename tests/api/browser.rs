//! Browser tests: npm's playwright-core driving Debian's chromium against the app on a
//! loopback port. The scripts live in `tests/browser/*.mjs`; `bash .ci/browser-setup.sh`
//! (run by `bash .ci/test`) installs what they need. Screenshots go to `artifacts/browser/`.
//! Set `VERITY_SKIP_BROWSER_TESTS=1` to skip them on a machine without a browser.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{demo_app, spawn_app_with};
use verity::store::conversations::{self, MessageRow, Role};

fn repo() -> PathBuf {
    crate::helpers::repo_dir()
}

/// Runs `tests/browser/<script>` against `base_url`; panics with its output on failure.
/// Returns false (and says so) when the browser tests are skipped on purpose.
pub async fn run_browser_script(script: &str, base_url: &str) -> bool {
    run_browser_script_with(script, base_url, &[]).await
}

/// [`run_browser_script`] with extra environment variables for the script (what the
/// test prepared, such as a session).
pub async fn run_browser_script_with(script: &str, base_url: &str, env: &[(&str, &str)]) -> bool {
    if std::env::var("VERITY_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("browser test {script} skipped: VERITY_SKIP_BROWSER_TESTS=1");
        return false;
    }
    let chromium = std::env::var("VERITY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let modules = repo().join("tests/browser/node_modules/playwright-core");
    assert!(
        Path::new(&chromium).exists() && modules.exists(),
        "the browser tests need chromium ({chromium}) and playwright-core ({}): run `bash .ci/browser-setup.sh`, \
         or set VERITY_SKIP_BROWSER_TESTS=1 to skip them",
        modules.display()
    );
    let child = tokio::process::Command::new("node")
        .arg(repo().join("tests/browser").join(script))
        .current_dir(repo())
        .env("VERITY_URL", base_url)
        .env("VERITY_ARTIFACTS", repo().join("artifacts/browser"))
        .env("VERITY_CHROMIUM", &chromium)
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), child)
        .await
        .unwrap_or_else(|_| panic!("browser test {script} took longer than 180 s"))
        .expect("node runs (is Node.js installed?)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser test {script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    true
}

#[tokio::test]
async fn the_browser_harness_reaches_the_server() {
    let app = demo_app().await;
    run_browser_script("smoke.mjs", &app.base).await;
}

#[tokio::test]
async fn staff_find_the_three_truths_conversation_mark_the_callback_done_and_reply() {
    use crate::console::{Customer, add_staff, three_truths_with_callback};
    let app = demo_app().await;
    add_staff(&app).await;
    let customer: Customer = three_truths_with_callback(&app).await;
    if !run_browser_script("console.mjs", &app.base).await {
        return;
    }
    // What the browser did reached the store and the web customer.
    let mut conn = app.store.read().await.unwrap();
    let cases = verity::store::console::list_cases_for_conversation(&mut conn, &customer.id)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].status, "done");
    drop(conn);
    let t = customer.transcript(&app).await;
    let last = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "staff");
    assert!(
        last["text"]
            .as_str()
            .unwrap()
            .contains("Ich rufe Sie gleich zurück.")
    );
    assert_eq!(t["taken_over"], true);
}

#[tokio::test]
async fn the_first_staff_reply_after_a_takeover_nobody_asked_for_reaches_the_widget_live() {
    let app = demo_app().await;
    crate::console::add_staff(&app).await;
    run_browser_script("widget-live.mjs", &app.base).await;
}

#[tokio::test]
async fn the_console_shows_a_waiting_customer_and_new_messages_without_a_reload() {
    let app = demo_app().await;
    verity::console::accounts::create_named_staff(
        &app.store,
        crate::console::STAFF_EMAIL,
        crate::console::STAFF_PASSWORD,
        verity::console::accounts::Role::Agent,
        Some("Ida Kellner"),
        0,
    )
    .await
    .unwrap();
    run_browser_script("console-live.mjs", &app.base).await;
}

#[tokio::test]
async fn staff_insert_a_filled_saved_reply_and_write_a_note_colleagues_see_live_by_keyboard() {
    use crate::console::three_truths_with_callback;
    use verity::console::accounts::{Role, create_named_staff};
    let app = demo_app().await;
    for (email, password, role, name) in [
        (
            crate::console::STAFF_EMAIL,
            crate::console::STAFF_PASSWORD,
            Role::Agent,
            "Ida Kellner",
        ),
        (
            "mara.lindqvist@verity.example",
            "admin-passwort-2025",
            Role::Admin,
            "Mara Lindqvist",
        ),
    ] {
        create_named_staff(&app.store, email, password, role, Some(name), 0)
            .await
            .unwrap();
    }
    let customer = three_truths_with_callback(&app).await;
    if !run_browser_script_with(
        "console-notes.mjs",
        &app.base,
        &[("VERITY_CONVERSATION_ID", &customer.id)],
    )
    .await
    {
        return;
    }
    // The customer's transcript has the saved reply and never the note.
    let t = customer.transcript(&app).await.to_string();
    assert!(t.contains("Guten Tag Frau Olbrich, wir rufen Sie zur Bestellung A-100234"));
    assert!(!t.contains("vor 12 Uhr (intern)"), "{t}");
}

async fn console_pages_pass_axe_in(lang: &str) {
    use crate::console::{add_staff, three_truths_with_callback};
    let app = demo_app().await;
    add_staff(&app).await;
    let customer = three_truths_with_callback(&app).await;
    run_browser_script_with(
        "console-a11y.mjs",
        &app.base,
        &[
            ("VERITY_CONVERSATION_ID", &customer.id),
            ("VERITY_CONSOLE_LANG", lang),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_console_page_passes_axe_and_fits_a_narrow_screen_in_english() {
    console_pages_pass_axe_in("en").await;
}

#[tokio::test]
async fn every_console_page_passes_axe_and_fits_a_narrow_screen_in_german() {
    console_pages_pass_axe_in("de").await;
}

#[tokio::test]
async fn the_widget_tells_the_three_truths_story_by_keyboard_and_keeps_it_across_a_reload() {
    let app = demo_app().await;
    run_browser_script("widget.mjs", &app.base).await;
}

#[tokio::test]
async fn the_widget_follows_the_language_shows_long_replies_from_the_start_and_keeps_focus_on_a_phone()
 {
    let app = demo_app().await;
    run_browser_script("widget-finish.mjs", &app.base).await;
}

#[tokio::test]
async fn the_widget_greets_in_the_pages_or_the_browsers_language_and_links_the_carriers_tracking_page()
 {
    let app = demo_app().await;
    run_browser_script("widget-links.mjs", &app.base).await;
}

#[tokio::test]
async fn the_widget_works_on_a_phone_sized_screen() {
    let app = demo_app().await;
    run_browser_script("widget-phone.mjs", &app.base).await;
}

#[tokio::test]
async fn the_widget_says_clearly_when_the_server_is_unreachable_or_rate_limits() {
    // The script relies on eight messages per minute per session.
    let app = spawn_app_with(|c| c.chat_rate_per_session = 8).await;
    run_browser_script("widget-errors.mjs", &app.base).await;
}

#[tokio::test]
async fn the_widget_shows_staff_messages_as_such_after_a_reload() {
    let app = demo_app().await;
    // A widget session, verified, then taken over by staff who wrote to the customer.
    let opened: Value = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["session_id"].as_str().unwrap().to_string();
    let token = opened["token"].as_str().unwrap().to_string();
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{id}/messages")))
        .bearer_auth(&token)
        .json(&json!({"text": "A-100234 33100"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tx = app.store.begin().await.unwrap();
    let mut conv = conversations::get_conversation(tx.conn(), &id)
        .await
        .unwrap()
        .unwrap();
    conv.taken_over_by = Some("staff_1".to_string());
    conversations::update_conversation(tx.conn(), &conv)
        .await
        .unwrap();
    let mut staff = MessageRow {
        id: verity::store::new_id("msg"),
        conversation_id: id.clone(),
        seq: 0,
        role: Role::Staff,
        text: "Hier ist Jana vom Kundenservice. Ich kümmere mich jetzt um Ihr Paket.".into(),
        action: None,
        actions: None,
        tool_calls: None,
        grounding: None,
        engine_stats: None,
        channel_message_id: None,
        author: Some("staff_1".into()),
        created_ms: chrono::Utc::now().timestamp_millis(),
    };
    assert!(
        conversations::append_message(tx.conn(), &mut staff)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    run_browser_script_with(
        "widget-staff.mjs",
        &app.base,
        &[("VERITY_SESSION_ID", &id), ("VERITY_SESSION_TOKEN", &token)],
    )
    .await;
}

/// A fictional shop page on its own loopback origin that embeds the widget from `base`
/// with one script tag; returns the page's URL.
async fn serve_shop_page(listener: tokio::net::TcpListener, base: &str) -> String {
    let url = format!("http://{}/shop", listener.local_addr().unwrap());
    let html = format!(
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Shop</title></head>
<body><h1>Example Shop</h1><p>A fictional shop on another origin.</p>
<script src="{base}/static/widget.js" data-server="{base}" data-title="Example Shop Help"
        data-lang="en" data-color="#7b2d8b" async></script></body></html>"##
    );
    let shop = axum::Router::new().route(
        "/shop",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    tokio::spawn(async move { axum::serve(listener, shop).await });
    url
}

#[tokio::test]
async fn the_widget_works_when_embedded_on_an_allowed_origin_and_only_there() {
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", allowed.local_addr().unwrap());
    let app = spawn_app_with(|c| c.widget_origins = vec![origin]).await;
    let allowed = serve_shop_page(allowed, &app.base).await;
    let other = serve_shop_page(other, &app.base).await;
    run_browser_script_with(
        "widget-embed.mjs",
        &app.base,
        &[
            ("VERITY_SHOP_ALLOWED", &allowed),
            ("VERITY_SHOP_OTHER", &other),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_order_page_of_a_notice_opens_the_chat_verified_with_the_notice() {
    let (app, smtp) = crate::notices::app_with_mail(crate::notices::DAYTIME).await;
    let mut items = crate::notices::records();
    items.extend(crate::notices::three_truths());
    app.ingest_ok(crate::helpers::ndjson(&items)).await;
    let mails = smtp.wait_for(1).await;
    let link = crate::notices::order_link(&mails[0].data);
    run_browser_script_with("order-page.mjs", &app.base, &[("VERITY_ORDER_URL", &link)]).await;
}
