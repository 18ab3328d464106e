//! Identity and abuse (issue 18): verification a stranger cannot pass, lockouts that
//! hold across sessions, on both engines.

use serde_json::Value;

use crate::chat::{Session, open, press, say};
use crate::helpers::{TestApp, demo_app, spawn_app};
use verity::domain::OrderNumber;
use verity::store::records;

/// The demo's order A-100234: its owner's email and name, and its delivery postcode.
async fn owner_of_a100234(app: &TestApp) -> (String, String) {
    let mut conn = app.store.read().await.unwrap();
    let id = records::order_customer(&mut conn, &OrderNumber::parse("A-100234").unwrap())
        .await
        .unwrap()
        .unwrap();
    let c = records::get_customer(&mut conn, &id)
        .await
        .unwrap()
        .unwrap();
    (c.email.unwrap(), c.name)
}

fn text(reply: &Value) -> &str {
    reply["text"].as_str().unwrap()
}

/// Nothing of the order's delivery shows: no street, postcode, city or tracking number.
fn reveals_nothing(reply: &Value) -> bool {
    let t = text(reply);
    reply["verified"] == false
        && !t.contains("33100")
        && !t.contains("Paderborn")
        && !t.contains("00340434161234567890")
}

#[tokio::test]
async fn an_email_alone_does_not_verify() {
    let app = demo_app().await;
    let (email, name) = owner_of_a100234(&app).await;
    for (language, phrasing, asks) in [
        (
            "de",
            format!("{email} ist meine Mail? nein warte"),
            "Bestellnummer",
        ),
        ("de", format!("Meine E-Mail ist {email}"), "Bestellnummer"),
        (
            "en",
            format!("my email is {email}, where is my parcel?"),
            "order number",
        ),
    ] {
        let (s, _) = open(&app, language).await;
        let r = say(&app, &s, &phrasing).await;
        assert!(reveals_nothing(&r), "{phrasing}: {r}");
        assert!(!text(&r).contains(&name), "{phrasing}: {r}");
        assert!(text(&r).contains(asks), "asks for the order number: {r}");
    }
}

#[tokio::test]
async fn the_order_number_with_the_account_email_verifies() {
    let app = demo_app().await;
    let (email, _) = owner_of_a100234(&app).await;
    // Together in one message.
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, &format!("A-100234, {email}")).await;
    assert_eq!(r["verified"], true, "{r}");
    // The email first, then the order number, then the email again.
    let (s, _) = open(&app, "de").await;
    say(&app, &s, &email).await;
    let r = say(&app, &s, "A-100234").await;
    assert_eq!(r["verified"], false, "{r}");
    let r = say(&app, &s, &email).await;
    assert_eq!(r["verified"], true, "{r}");
    // Another customer's email with this order number verifies nobody.
    let (s, _) = open(&app, "de").await;
    let r = say(&app, &s, "A-100234 someone.else@example.net").await;
    assert!(reveals_nothing(&r), "{r}");
}

async fn guess(app: &TestApp, s: &Session, postcode: &str) -> Value {
    say(app, s, &format!("A-100234 {postcode}")).await
}

#[tokio::test]
async fn a_lockout_holds_across_sessions() {
    let app = demo_app().await;
    for n in 0..5 {
        let (s, _) = open(&app, "de").await;
        let r = guess(&app, &s, &format!("1000{n}")).await;
        assert!(reveals_nothing(&r), "{r}");
    }
    // A fresh session with the right postcode: the order number is locked.
    let (s, _) = open(&app, "de").await;
    let r = guess(&app, &s, "33100").await;
    assert!(reveals_nothing(&r), "{r}");
    assert!(text(&r).contains("30 Minuten"), "{r}");
}

#[tokio::test]
async fn fifty_sessions_guessing_postcodes_for_one_order_get_nowhere() {
    let app = demo_app().await;
    // Fifty sessions at once, each guessing a postcode (the right one among them).
    let mut sessions = Vec::new();
    for _ in 0..50 {
        sessions.push(open(&app, "de").await.0);
    }
    let guesses = futures_util::future::join_all(sessions.iter().enumerate().map(|(i, s)| {
        let app = &app;
        async move {
            let postcode = if i == 49 {
                "33100".to_string()
            } else {
                format!("{:05}", 10_000 + i)
            };
            guess(app, s, &postcode).await
        }
    }))
    .await;
    let checked = guesses
        .iter()
        .filter(|r| !text(r).contains("Minuten"))
        .count();
    assert!(
        checked <= 5,
        "at most five guesses were checked, not {checked}"
    );
    // After the lock the right postcode does not verify, in any session.
    for s in sessions.iter().take(3) {
        let r = guess(&app, s, "33100").await;
        assert!(reveals_nothing(&r), "{r}");
    }
    let (s, _) = open(&app, "de").await;
    assert!(reveals_nothing(&guess(&app, &s, "33100").await));
}

#[tokio::test]
async fn a_lockout_message_is_the_same_for_an_order_that_does_not_exist() {
    let app = demo_app().await;
    let mut last = Vec::new();
    for order in ["A-100234", "A-999999"] {
        let mut r = Value::Null;
        for n in 0..6 {
            let (s, _) = open(&app, "de").await;
            r = say(&app, &s, &format!("{order} 1000{n}")).await;
        }
        last.push(text(&r).to_string());
    }
    assert_eq!(last[0], last[1], "no hint whether the order exists");
}

#[tokio::test]
async fn the_migration_drops_channel_links_made_by_email_alone() {
    use sqlx::Row;
    let (url, _dir) = crate::helpers::fresh_database().await;
    let (url, backend) = verity::store::normalize_url(&url).unwrap();
    let dir = match backend {
        verity::store::Backend::Sqlite => "sqlite",
        verity::store::Backend::Postgres => "postgres",
    };
    let migrator =
        sqlx::migrate::Migrator::new(crate::helpers::repo_dir().join("migrations").join(dir))
            .await
            .unwrap();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    migrator.run_to(2, &pool).await.unwrap();
    for sql in [
        "INSERT INTO customers (id, name, email, phone, locale, updated_ms) VALUES \
         ('C-1', 'Erika Probe', 'erika@example.org', '+4917000000001', 'de', 1)",
        // A WhatsApp sender whose number is the customer's phone: kept.
        "INSERT INTO channel_identities VALUES ('whatsapp', '4917000000001', 'C-1', 1)",
        // A WhatsApp sender with another number, and a Messenger sender: dropped.
        "INSERT INTO channel_identities VALUES ('whatsapp', '4917000000002', 'C-1', 1)",
        "INSERT INTO channel_identities VALUES ('messenger', '70001', 'C-1', 1)",
        // A web conversation verified by an email alone starts unverified again.
        "INSERT INTO conversations (id, channel, customer_id, language, state, created_ms, updated_ms) \
         VALUES ('conv_1', 'web', 'C-1', 'de', '{}', 1, 1)",
        "INSERT INTO messages (id, conversation_id, seq, role, text, tool_calls, created_ms) \
         VALUES ('msg_1', 'conv_1', 2, 'bot', 'Danke', \
         '[{\"name\":\"verify_customer\",\"arguments\":{\"email\":\"erika@example.org\"},\"result\":{\"verified\":true},\"duration_ms\":1.0}]', 1)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    migrator.run(&pool).await.unwrap();
    let rows = sqlx::query("SELECT channel, external_id, method FROM channel_identities")
        .fetch_all(&pool)
        .await
        .unwrap();
    let links: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        links,
        [(
            "whatsapp".to_string(),
            "4917000000001".to_string(),
            "phone".to_string()
        )]
    );
    let verified: Option<String> =
        sqlx::query("SELECT customer_id FROM conversations WHERE id = 'conv_1'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
    assert_eq!(verified, None);
}

/// A chat session opened through a proxy on behalf of `client`.
async fn open_as(app: &TestApp, client: &str) -> (u16, Option<Session>) {
    let r = app
        .client
        .post(app.url("/api/v1/chat/sessions"))
        .header("x-forwarded-for", format!("192.0.2.77, {client}"))
        .json(&serde_json::json!({"language": "de"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let session = body["session_id"].as_str().map(|id| Session {
        id: id.to_string(),
        token: body["token"].as_str().unwrap_or_default().to_string(),
    });
    (status, session)
}

async fn say_as(app: &TestApp, s: &Session, client: &str, text: &str) -> Value {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", s.id)))
        .bearer_auth(&s.token)
        .header("x-forwarded-for", client)
        .json(&serde_json::json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["reply"].clone()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited_not_the_proxy() {
    let trusted = vec![verity::config::parse_trusted_proxy("127.0.0.0/8").unwrap()];
    let app = crate::helpers::spawn_app_with(|c| {
        c.chat_rate_per_ip = 2;
        c.trusted_proxies = trusted;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(open_as(&app, "198.51.100.1").await.0, 201);
    }
    assert_eq!(open_as(&app, "198.51.100.1").await.0, 429);
    assert_eq!(open_as(&app, "198.51.100.2").await.0, 201, "another client");
    // Without trusted proxies the header is ignored: the peer is the client.
    let app = crate::helpers::spawn_app_with(|c| c.chat_rate_per_ip = 2).await;
    assert_eq!(open_as(&app, "198.51.100.1").await.0, 201);
    assert_eq!(open_as(&app, "198.51.100.2").await.0, 201);
    assert_eq!(open_as(&app, "198.51.100.3").await.0, 429);
}

#[tokio::test]
async fn failed_verifications_are_counted_per_forwarded_client_address() {
    let trusted = vec![verity::config::parse_trusted_proxy("127.0.0.1").unwrap()];
    let app = crate::helpers::demo_app_with(|c| c.trusted_proxies = trusted).await;
    // Ten failures from one client, for ten orders (none reaches its own limit).
    for n in 0..10 {
        let (_, s) = open_as(&app, "198.51.100.1").await;
        say_as(
            &app,
            &s.unwrap(),
            "198.51.100.1",
            &format!("A-90000{n} 10115"),
        )
        .await;
    }
    let (_, s) = open_as(&app, "198.51.100.1").await;
    let r = say_as(&app, &s.unwrap(), "198.51.100.1", "A-100234 33100").await;
    assert!(reveals_nothing(&r), "that client is locked: {r}");
    let (_, s) = open_as(&app, "198.51.100.2").await;
    let r = say_as(&app, &s.unwrap(), "198.51.100.2", "A-100234 33100").await;
    assert_eq!(r["verified"], true, "another client is not: {r}");
}

async fn callback_cases(app: &TestApp) -> Vec<verity::store::cases::CaseRow> {
    let mut conn = app.store.read().await.unwrap();
    let owner = records::order_customer(&mut conn, &OrderNumber::parse("A-100234").unwrap())
        .await
        .unwrap()
        .unwrap();
    verity::store::cases::list_cases_for_customer(&mut conn, owner.as_str())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.kind == "callback")
        .collect()
}

/// A verified session on A-100234 that was shown a callback proposal.
async fn callback_proposed(app: &TestApp) -> Session {
    let (s, _) = open(app, "de").await;
    assert_eq!(guess(app, &s, "33100").await["verified"], true);
    let r = press(app, &s, "callback").await;
    assert!(text(&r).contains("Rückruf"), "{r}");
    s
}

#[tokio::test]
async fn a_remedy_asked_for_again_after_its_case_was_closed_is_a_new_case() {
    let app = demo_app().await;
    let s = callback_proposed(&app).await;
    press(&app, &s, "confirm").await;
    let first = callback_cases(&app).await;
    assert_eq!(first.len(), 1);
    let mut conn = app.store.write_one().await.unwrap();
    assert!(
        verity::store::console::resolve_case(&mut conn, &first[0].id, "done", "staff_1", None, 1)
            .await
            .unwrap()
    );
    drop(conn);
    let s = callback_proposed(&app).await;
    press(&app, &s, "confirm").await;
    let cases = callback_cases(&app).await;
    assert_eq!(cases.len(), 2, "a new case: {cases:?}");
    assert_eq!(cases.iter().filter(|c| c.status == "open").count(), 1);
}

#[tokio::test]
async fn concurrent_confirms_of_the_same_remedy_create_one_case() {
    let app = demo_app().await;
    let a = callback_proposed(&app).await;
    let b = callback_proposed(&app).await;
    let (ra, rb) = tokio::join!(press(&app, &a, "confirm"), press(&app, &b, "confirm"));
    assert!(text(&ra).contains("Rückruf") && text(&rb).contains("Rückruf"));
    assert_eq!(callback_cases(&app).await.len(), 1);
}

async fn anonymous_handoffs(app: &TestApp) -> i64 {
    use sqlx::Row;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM cases WHERE kind = 'handoff' AND customer_id IS NULL")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn anonymous_handoffs_are_limited_deduplicated_and_shown_as_unverified() {
    let app = demo_app().await;
    let (s, _) = open(&app, "de").await;
    assert_eq!(press(&app, &s, "handoff").await["handoff"], true);
    say(&app, &s, "Ich möchte mit einem Menschen sprechen").await;
    assert_eq!(anonymous_handoffs(&app).await, 1, "one per conversation");
    for _ in 0..2 {
        let (s, _) = open(&app, "de").await;
        assert_eq!(press(&app, &s, "handoff").await["handoff"], true);
    }
    assert_eq!(anonymous_handoffs(&app).await, 3);
    // A fourth session from the same address within the hour: no case, a plain answer.
    let (s, _) = open(&app, "de").await;
    let r = press(&app, &s, "handoff").await;
    assert_eq!(r["handoff"], false, "{r}");
    assert!(text(&r).contains("Bestellnummer"), "{r}");
    assert_eq!(anonymous_handoffs(&app).await, 3);
    // A verified customer is not limited.
    let (s, _) = open(&app, "de").await;
    guess(&app, &s, "33100").await;
    assert_eq!(press(&app, &s, "handoff").await["handoff"], true);
    // Staff see which cases come from nobody verified.
    crate::console::add_staff(&app).await;
    let staff = crate::console::log_in(&app).await;
    let (_, html) = staff.get(&app, "/console/cases").await;
    assert_eq!(html.matches("not verified").count(), 3, "{html}");
}

/// A console login whose form carries `next`; the response (redirects not followed).
async fn login_with_next(app: &TestApp, next: &str) -> reqwest::Response {
    use crate::console::{STAFF_EMAIL, STAFF_PASSWORD, login_attempt_with};
    login_attempt_with(app, STAFF_EMAIL, STAFF_PASSWORD, next, None).await
}

#[tokio::test]
async fn redirect_targets_are_checked_before_acting_and_fall_back_to_a_safe_default() {
    let app = demo_app().await;
    crate::console::add_staff(&app).await;
    for next in [
        "/console/\n\u{1b}[31mcases",
        "https://evil.example/",
        "//evil.example/console",
        "/console/\u{202e}x",
    ] {
        let r = login_with_next(&app, next).await;
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(
            r.headers()["location"],
            "/console/conversations",
            "{next:?}"
        );
    }
    assert_eq!(
        login_with_next(&app, "/console/cases").await.headers()["location"],
        "/console/cases"
    );
    // A case action with a bad `back`: done, and sent to the case queue.
    let customer = crate::console::three_truths_with_callback(&app).await;
    let staff = crate::console::log_in(&app).await;
    let case = {
        let mut conn = app.store.read().await.unwrap();
        verity::store::console::list_cases_for_conversation(&mut conn, &customer.id)
            .await
            .unwrap()
            .remove(0)
    };
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{}/callback-done", case.id),
            &[("back", "/console/cases\n")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console/cases?ok=callback_done");
}

#[tokio::test]
async fn an_ingestion_report_is_bounded_whatever_the_body() {
    let app = crate::helpers::spawn_app().await;
    let n = 200_000;
    let body = "{}\n".repeat(n);
    let resp = app.ingest(body.clone()).await;
    assert_eq!(resp.status(), 200);
    let raw = resp.bytes().await.unwrap();
    assert!(
        raw.len() < 40_000,
        "{} bytes of report for {} bytes of body",
        raw.len(),
        body.len()
    );
    let report: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(report["rejected"], n);
    assert_eq!(
        report["items"].as_array().unwrap().len(),
        verity::ingest::REPORT_LINES_PER_KIND
    );
    let omitted = report["omitted"].as_array().unwrap();
    let counted: u64 = omitted.iter().map(|o| o["count"].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, n - verity::ingest::REPORT_LINES_PER_KIND);
    assert_eq!(omitted.len(), 1, "one reason: {omitted:?}");
    assert_eq!(omitted[0]["status"], "rejected");
    // A small batch still gets a line per item.
    let small = crate::helpers::ndjson(&[
        serde_json::json!({"type": "customer", "id": "C-1", "name": "Erika Probe", "locale": "de"}),
        serde_json::json!({}),
    ]);
    let report = app.ingest_ok(small).await;
    assert_eq!(report["items"].as_array().unwrap().len(), 2);
    assert!(report.get("omitted").is_none());
}

/// The ingestion report's error for a one-item batch (None when accepted).
async fn rejection(app: &TestApp, item: Value) -> Option<String> {
    let report = app.ingest_ok(crate::helpers::ndjson(&[item])).await;
    report["items"][0]["error"].as_str().map(str::to_string)
}

#[tokio::test]
async fn amounts_and_quantities_are_bounded_and_never_overflow() {
    use crate::ingest::{T, customer, order, shipment};
    let app = crate::helpers::spawn_app().await;
    assert_eq!(rejection(&app, customer()).await, None);
    let mut o = order();
    o["lines"][0]["qty"] = serde_json::json!(4294967295u64);
    o["lines"][0]["unit_price"] = serde_json::json!("42949672.97");
    let e = rejection(&app, o.clone()).await.unwrap();
    assert!(e.starts_with("lines[0].unit_price"), "{e}");
    o["lines"][0]["unit_price"] = serde_json::json!("19.90");
    let e = rejection(&app, o.clone()).await.unwrap();
    assert!(e.starts_with("lines[0].qty") && e.contains("10000"), "{e}");
    let mut o = order();
    o["total"] = serde_json::json!("99999999999.99");
    let e = rejection(&app, o).await.unwrap();
    assert!(e.starts_with("total"), "{e}");
    // The largest order accepted has a positive value, as the status API says.
    let mut o = order();
    o["lines"][0]["qty"] = serde_json::json!(10_000);
    o["lines"][0]["unit_price"] = serde_json::json!("10000000.00");
    assert_eq!(rejection(&app, o).await, None);
    assert_eq!(rejection(&app, shipment()).await, None);
    let status: Value = app
        .client
        .get(app.url(&format!("/api/v1/shipments/{T}")))
        .bearer_auth(crate::helpers::API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["shipment"]["items_value"], "100000000000.00",
        "{status}"
    );
}

#[tokio::test]
async fn staff_logins_are_throttled_per_address_and_never_lock_the_account() {
    use crate::console::{STAFF_EMAIL, STAFF_PASSWORD, login_attempt_with, no_session_cookie_in};
    let trusted = vec![verity::config::parse_trusted_proxy("127.0.0.1").unwrap()];
    let app = crate::helpers::spawn_app_with(|c| c.trusted_proxies = trusted).await;
    crate::console::add_staff(&app).await;
    let attacker = Some("198.51.100.66");
    let attempt = |email: &'static str, password: &'static str, from: Option<&'static str>| {
        login_attempt_with(&app, email, password, "/console/cases", from)
    };
    // An unknown email and a wrong password: the same answer, in about the same time.
    let mut unknown = std::time::Duration::ZERO;
    let mut wrong = std::time::Duration::ZERO;
    for i in 0..4 {
        let started = std::time::Instant::now();
        let r = attempt("nobody@verity.example", "falsches-passwort", attacker).await;
        assert_eq!(r.status(), 401);
        unknown += started.elapsed();
        let started = std::time::Instant::now();
        let r = attempt(STAFF_EMAIL, "falsches-passwort", attacker).await;
        assert_eq!(r.status(), 401, "attempt {i}");
        wrong += started.elapsed();
    }
    // Both run one password check: without it an unknown email would answer in a tenth
    // of the time or less. The bounds are wide because the tests around share the cores.
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!(
        (0.25..4.0).contains(&ratio),
        "unknown {unknown:?}, wrong {wrong:?}"
    );
    // Ten failures from the address throttle it, whatever account is tried…
    attempt(STAFF_EMAIL, "falsches-passwort", attacker).await;
    let r = attempt(STAFF_EMAIL, "falsches-passwort", attacker).await;
    assert_eq!(r.status(), 429);
    assert!(
        r.text().await.unwrap().contains("von dieser Adresse"),
        "German without Accept-Language"
    );
    let r = attempt(STAFF_EMAIL, STAFF_PASSWORD, attacker).await;
    assert_eq!(r.status(), 429, "the right password does not pass either");
    assert!(no_session_cookie_in(&r));
    // …while the staff member, from their own address, logs in.
    let r = attempt(STAFF_EMAIL, STAFF_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn every_response_says_nosniff_and_a_referrer_policy_and_the_demo_page_has_a_csp() {
    let app = crate::helpers::spawn_app().await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/console/login"),
        ("GET", "/static/widget.js"),
        ("GET", "/no/such/page"),
        ("POST", "/api/v1/ingest"),
        ("POST", "/api/v1/chat/sessions/x/messages"),
    ] {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{method} {path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{method} {path}"
        );
    }
    let r = app.client.get(app.url("/")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
}

#[tokio::test]
async fn control_characters_and_timestamps_outside_a_sane_window_are_refused_with_the_field() {
    use crate::ingest::{customer, scan};
    let app = crate::helpers::spawn_app().await;
    for (name, bad) in [
        ("NUL", "Erika\u{0}Probe"),
        ("ESC", "Erika \u{1b}[31mProbe"),
        ("RLO", "Erika \u{202e}eborP"),
    ] {
        let mut c = customer();
        c["name"] = serde_json::json!(bad);
        let e = rejection(&app, c).await.unwrap_or_default();
        assert!(
            e.starts_with("name: contains the control character"),
            "{name}: {e}"
        );
    }
    let mut s = scan();
    s["description"] = serde_json::json!("zugestellt\u{7}");
    let e = rejection(&app, s).await.unwrap_or_default();
    assert!(e.starts_with("description:"), "{e}");
    for (when, field) in [
        ("9999-12-31T23:59:59+00:00", "occurred_at"),
        ("1999-12-31T23:59:59+00:00", "occurred_at"),
    ] {
        let mut s = scan();
        s["occurred_at"] = serde_json::json!(when);
        let e = rejection(&app, s).await.unwrap_or_default();
        assert!(e.starts_with(field), "{when}: {e}");
    }
    let mut s = scan();
    s["occurred_at"] = serde_json::json!("2090-01-01T00:00:00+00:00");
    let e = rejection(&app, s).await.unwrap_or_default();
    assert!(e.starts_with("occurred_at: more than a year ahead"), "{e}");
    // A plain name is accepted.
    let mut c = customer();
    c["name"] = serde_json::json!("Erika Probe");
    assert_eq!(rejection(&app, c).await, None);
}

#[tokio::test]
async fn idle_verification_counts_are_forgotten_but_a_running_lock_is_kept() {
    use verity::store::verification;
    let app = spawn_app().await;
    let day = 24 * 3600 * 1000_i64;
    // The server's own hourly prune (which may run at any moment of this test) uses the
    // real clock: so do these times, and either prune may be the one that forgets.
    let now = chrono::Utc::now().timestamp_millis();
    let mut conn = app.store.write_one().await.unwrap();
    // Idle for eight days: forgotten. Touched yesterday: kept. Locked far ahead: kept.
    for (key, at) in [
        ("order:A-1", now - 8 * day),
        ("order:A-2", now - day),
        ("order:A-3", now - 8 * day),
    ] {
        verification::count_attempt(&mut conn, key, at, at - day, at - 7 * day)
            .await
            .unwrap();
    }
    assert!(
        verification::lock_key(&mut conn, "order:A-3", 1, now + day, now - 8 * day)
            .await
            .unwrap()
    );
    let forgotten = verification::prune(&mut conn, now - 7 * day).await.unwrap();
    assert!(forgotten <= 1, "{forgotten}");
    assert!(
        verification::get_count(&mut conn, "order:A-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        verification::get_count(&mut conn, "order:A-2")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        verification::get_count(&mut conn, "order:A-3")
            .await
            .unwrap()
            .is_some()
    );
}
