//! The staff console over real HTTP: the login gate on every route, CSRF, lockout,
//! takeover and case decisions as the web customer sees them, and the pages.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::helpers::{TestApp, demo_app, spawn_app};
use verity::console::accounts::{Role, create_staff};

pub const STAFF_EMAIL: &str = "ida.kellner@verity.example";
pub const STAFF_PASSWORD: &str = "lange-genug-2025";

/// A browser-like client for the console: keeps the session cookie, follows no
/// redirects (so tests see them).
pub struct Staff {
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub async fn add_staff(app: &TestApp) {
    create_staff(&app.store, STAFF_EMAIL, STAFF_PASSWORD, Role::Agent, 0)
        .await
        .unwrap();
}

/// The login form's cookie and token, as a browser gets them from the login page.
async fn login_form(app: &TestApp) -> (String, String) {
    let r = no_redirects()
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, csrf_in(&r.text().await.unwrap()))
}

pub async fn login_attempt(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    login_attempt_with(app, email, password, "/console/cases", None).await
}

/// A login with its `next` field, sent through a proxy for `forwarded_for` if given.
pub async fn login_attempt_with(
    app: &TestApp,
    email: &str,
    password: &str,
    next: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let (cookie, csrf) = login_form(app).await;
    let mut req = no_redirects()
        .post(app.url("/console/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", next),
        ]);
    if let Some(client) = forwarded_for {
        req = req.header("x-forwarded-for", client);
    }
    req.send().await.unwrap()
}

/// True when the response sets no console session cookie.
pub fn no_session_cookie_in(r: &reqwest::Response) -> bool {
    !r.headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("verity_console="))
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

pub async fn log_in(app: &TestApp) -> Staff {
    log_in_as(app, STAFF_EMAIL, STAFF_PASSWORD).await
}

/// Logs in with another account.
pub async fn log_in_as(app: &TestApp, email: &str, password: &str) -> Staff {
    let r = login_attempt(app, email, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/console/cases");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    let client = no_redirects();
    let page = client
        .get(app.url("/console/conversations"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_in(&page.text().await.unwrap());
    Staff {
        client,
        cookie,
        csrf,
    }
}

impl Staff {
    pub async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.client
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .header("accept-language", "en")
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// A web chat customer.
pub struct Customer {
    pub id: String,
    pub token: String,
}

impl Customer {
    pub async fn open(app: &TestApp) -> Customer {
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
        Customer {
            id: r["session_id"].as_str().unwrap().into(),
            token: r["token"].as_str().unwrap().into(),
        }
    }
    pub async fn say(&self, app: &TestApp, body: Value) -> Value {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/chat/sessions/{}/messages", self.id)))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["reply"].clone()
    }
    pub async fn transcript(&self, app: &TestApp) -> Value {
        app.client
            .get(app.url(&format!("/api/v1/chat/sessions/{}/messages", self.id)))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The three-truths story up to a confirmed callback; returns the customer.
pub async fn three_truths_with_callback(app: &TestApp) -> Customer {
    let c = Customer::open(app).await;
    c.say(
        app,
        json!({"text": "Mein Paket ist laut Portal zugestellt, aber nicht da."}),
    )
    .await;
    let r = c.say(app, json!({"text": "A-100234, 33100"})).await;
    assert!(
        r["contradictions"]
            .as_array()
            .unwrap()
            .contains(&json!("delivered_but_driver_reports_failure")),
        "{r}"
    );
    c.say(app, json!({"action": "callback"})).await;
    let r = c.say(app, json!({"text": "ja, bitte"})).await;
    assert!(
        r["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("confirm_remedy")),
        "{r}"
    );
    c
}

async fn case_of(app: &TestApp, conversation: &str) -> Vec<verity::store::console::ConsoleCase> {
    let mut conn = app.store.read().await.unwrap();
    verity::store::console::list_cases_for_conversation(&mut conn, conversation)
        .await
        .unwrap()
}

/// Every console route but the login page, with a placeholder for its id.
const GET_ROUTES: &[&str] = &[
    "/console",
    "/console/conversations",
    "/console/conversations/conv_x",
    "/console/cases",
    "/console/contradictions",
    "/console/customers/C-1001",
    "/console/shipments/00340434161234567890",
    "/console/audit",
    "/console/replies",
];
const POST_ROUTES: &[&str] = &[
    "/console/logout",
    "/console/conversations/conv_x/take-over",
    "/console/conversations/conv_x/hand-back",
    "/console/conversations/conv_x/reply",
    "/console/conversations/conv_x/notes",
    "/console/orders/A-1/notices/hold",
    "/console/orders/A-1/notices/release",
    "/console/replies",
    "/console/replies/reply_x/delete",
    "/console/cases/case_x/callback-done",
    "/console/cases/case_x/decide",
    "/console/cases/case_x/close",
];

#[tokio::test]
async fn every_console_route_refuses_an_anonymous_request() {
    let app = demo_app().await;
    let client = no_redirects();
    for cookie in [None, Some("verity_console=not-a-session")] {
        for path in GET_ROUTES {
            let mut req = client.get(app.url(path));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path} {cookie:?}");
            let to = r.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/console/login?next="), "GET {path}: {to}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("A-100234"), "GET {path} shows nothing");
        }
        for path in POST_ROUTES {
            let mut req = client
                .post(app.url(path))
                .form(&[("csrf", "x"), ("text", "hallo")]);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "POST {path} {cookie:?}"
            );
        }
    }
    // The login page and the stylesheet are open.
    let r = client.get(app.url("/console/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(app.url("/static/console.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = Customer::open(&app).await;
    let path = format!("/console/conversations/{}/take-over", c.id);
    for form in [vec![], vec![("csrf", "0000")], vec![("csrf", "")]] {
        let r = staff
            .client
            .post(app.url(&path))
            .header("cookie", &staff.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    let mut conn = app.store.read().await.unwrap();
    let conv = verity::store::conversations::get_conversation(&mut conn, &c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.taken_over_by, None, "nothing happened");
    drop(conn);
    // The login form needs its own token too: a login posted from another site fails.
    let (cookie, csrf) = login_form(&app).await;
    for (c, t) in [
        (None, csrf.as_str()),
        (Some(cookie.as_str()), ""),
        (Some(cookie.as_str()), "1234"),
    ] {
        let mut req = no_redirects().post(app.url("/console/login")).form(&[
            ("csrf", t),
            ("email", STAFF_EMAIL),
            ("password", STAFF_PASSWORD),
        ]);
        if let Some(c) = c {
            req = req.header("cookie", c);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{c:?} {t}"
        );
    }
    // Another session's token does not fit either.
    let other = log_in(&app).await;
    assert_ne!(other.csrf, staff.csrf);
    let r = staff
        .client
        .post(app.url(&path))
        .header("cookie", &staff.cookie)
        .form(&[("csrf", other.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = staff.post(&app, &path, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the session's own token works"
    );
    // Scripts may send it as a header.
    let r = staff
        .client
        .post(app.url(&format!("/console/conversations/{}/hand-back", c.id)))
        .header("cookie", &staff.cookie)
        .header("x-csrf-token", &staff.csrf)
        .form(&[] as &[(&str, &str)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_wrong_password_is_refused_like_an_unknown_email() {
    let app = spawn_app().await;
    add_staff(&app).await;
    let r = login_attempt(&app, "nobody@verity.example", STAFF_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let unknown = r.text().await.unwrap();
    let r = login_attempt(&app, STAFF_EMAIL, "falsches-passwort").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(no_session_cookie_in(&r), "no session");
    let wrong = r.text().await.unwrap();
    assert!(
        wrong.contains("E-Mail-Adresse oder Passwort sind falsch."),
        "German by default"
    );
    let without_token = |html: &str| html.replace(&csrf_in(html), "TOKEN");
    assert_eq!(
        without_token(&unknown).replace("nobody@verity.example", STAFF_EMAIL),
        without_token(&wrong),
        "no hint whether the account exists"
    );
}

#[tokio::test]
async fn a_session_cookie_is_http_only_strict_and_stored_only_as_a_hash() {
    let app = spawn_app().await;
    add_staff(&app).await;
    let r = login_attempt(&app, STAFF_EMAIL, STAFF_PASSWORD).await;
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP on loopback: {set}");
    let token = set.split(';').next().unwrap().split_once('=').unwrap().1;
    let mut conn = app.store.read().await.unwrap();
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM staff_sessions")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, token);
    assert_eq!(stored, verity::console::accounts::session_hash(token));
    drop(conn);
    // Behind an HTTPS proxy the cookie is Secure.
    let (cookie, csrf) = login_form(&app).await;
    let r = no_redirects()
        .post(app.url("/console/login"))
        .header("x-forwarded-proto", "https")
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", STAFF_EMAIL),
            ("password", STAFF_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
    // Logging out ends the session.
    let staff = log_in(&app).await;
    let r = staff.post(&app, "/console/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = staff.get(&app, "/console/cases").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "back to the login page");
}

#[tokio::test]
async fn a_takeover_silences_the_bot_and_the_web_customer_sees_what_staff_write() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = Customer::open(&app).await;
    c.say(&app, json!({"text": "A-100234 33100"})).await;
    // Writing needs a takeover first.
    let r = staff
        .post(
            &app,
            &format!("/console/conversations/{}/reply", c.id),
            &[("text", "Hallo")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let r = staff
        .post(
            &app,
            &format!("/console/conversations/{}/take-over", c.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The widget shows the takeover live (its event stream and transcript say
    // `taken_over`); the bot adds no notice of its own on the web.
    assert_eq!(c.transcript(&app).await["taken_over"], true);
    let silent = c.say(&app, json!({"text": "Hallo? Ist da jemand?"})).await;
    assert_eq!(silent, Value::Null, "the bot is silent");

    let text = "Guten Tag, hier ist Ida vom Kundenservice. Ich kümmere mich um Ihr Paket.";
    let r = staff
        .post(
            &app,
            &format!("/console/conversations/{}/reply", c.id),
            &[("text", text)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("ok=sent")
    );
    let t = c.transcript(&app).await;
    let last = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "staff");
    assert_eq!(last["text"], text);
    assert_eq!(t["taken_over"], true);

    // The staff page shows it; the audit log records the reply without its text.
    let (_, html) = staff
        .get(&app, &format!("/console/conversations/{}", c.id))
        .await;
    assert!(html.contains("Ich kümmere mich um Ihr Paket."));
    let (_, audit) = staff.get(&app, "/console/audit").await;
    assert!(audit.contains("conversation.reply") && audit.contains("conversation.take_over"));
    assert!(audit.contains("conversation.view"));
    assert!(
        !audit.contains("kümmere"),
        "no message text in the audit log"
    );

    // Handed back, the bot answers again.
    let r = staff
        .post(
            &app,
            &format!("/console/conversations/{}/hand-back", c.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.say(&app, json!({"text": "Wo ist mein Paket?"})).await;
    assert_eq!(r["taken_over"], false, "{r}");
    assert!(
        r["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "track_shipment"),
        "{r}"
    );
    assert!(r["text"].as_str().unwrap().contains("A-100234"), "{r}");
}

#[tokio::test]
async fn case_actions_change_the_case_and_tell_the_customer() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = three_truths_with_callback(&app).await;
    let cases = case_of(&app, &c.id).await;
    let callback = cases.iter().find(|k| k.kind == "callback").unwrap();
    assert_eq!(callback.status, "open");

    // The queue lists the callback with the customer's number and the conversation.
    let (status, html) = staff.get(&app, "/console/cases").await;
    assert_eq!(status, 200);
    assert!(html.contains(&callback.id) && html.contains(&c.id));
    assert!(html.contains(callback.customer_phone.as_deref().unwrap()));

    // A callback is not approved or rejected.
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{}/decide", callback.id),
            &[("decision", "approve"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{}/callback-done", callback.id),
            &[("back", "https://elsewhere.example/")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/console/cases")
    );
    let after = case_of(&app, &c.id).await;
    let done = after.iter().find(|k| k.id == callback.id).unwrap();
    assert_eq!(done.status, "done");
    assert!(done.resolved_by.as_deref().unwrap().starts_with("staff_"));
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{}/callback-done", callback.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "done once");

    // A replacement to decide, set in motion in this conversation.
    let mut tx = app.store.begin().await.unwrap();
    let (replacement, _) = verity::store::cases::insert_case(
        tx.conn(),
        &verity::store::cases::NewCase {
            id: "case_replacement_test",
            remedy: verity::truth::Remedy::Replacement,
            customer_id: callback.customer_id.as_deref(),
            order_number: Some("A-100234"),
            tracking_number: Some("00340434161234567890"),
            conversation_id: Some(&c.id),
            contradiction_code: Some("delivered_but_driver_reports_failure"),
            claim_key: "replacement:A-100234",
            details: json!({}),
            due_ms: None,
        },
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{replacement}/decide"),
            &[("decision", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a reason is required");
    let reason = "Der Fahrer hat das Paket heute erneut zugestellt.";
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{replacement}/decide"),
            &[
                ("decision", "reject"),
                ("reason", reason),
                ("back", &format!("/console/conversations/{}", c.id)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().contains(&c.id));
    let decided = case_of(&app, &c.id).await;
    let rejected = decided.iter().find(|k| k.id == replacement).unwrap();
    assert_eq!(rejected.status, "declined");
    assert_eq!(rejected.resolution_note.as_deref(), Some(reason));
    let t = c.transcript(&app).await;
    let last = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "staff");
    let told = last["text"].as_str().unwrap();
    assert!(
        told.contains("Ersatzlieferung") && told.contains("A-100234") && told.contains(reason),
        "{told}"
    );
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{replacement}/decide"),
            &[("decision", "approve"), ("reason", "doch")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "decided once");

    // Closing a case tells the customer too.
    let mut tx = app.store.begin().await.unwrap();
    let (investigation, _) = verity::store::cases::insert_case(
        tx.conn(),
        &verity::store::cases::NewCase {
            id: "case_investigation_test",
            remedy: verity::truth::Remedy::Investigation,
            customer_id: callback.customer_id.as_deref(),
            order_number: Some("A-100234"),
            tracking_number: None,
            conversation_id: Some(&c.id),
            contradiction_code: None,
            claim_key: "investigation:A-100234",
            details: json!({}),
            due_ms: None,
        },
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = staff
        .post(
            &app,
            &format!("/console/cases/{investigation}/close"),
            &[("note", "Das Paket ist wieder da.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t = c.transcript(&app).await;
    let last = t["messages"].as_array().unwrap().last().unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        last.contains("Nachforschung")
            && last.contains("abgeschlossen")
            && last.contains("wieder da"),
        "{last}"
    );
    let closed = case_of(&app, &c.id).await;
    assert_eq!(
        closed
            .iter()
            .find(|k| k.id == investigation)
            .unwrap()
            .status,
        "done"
    );
}

#[tokio::test]
async fn the_transcript_shows_tool_calls_verdicts_and_the_contradiction_evidence() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = three_truths_with_callback(&app).await;
    let (status, html) = staff
        .get(&app, &format!("/console/conversations/{}", c.id))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<details class=\"tool-call\">"));
    assert!(html.contains("<code>track_shipment</code>"));
    assert!(html.contains("<code>confirm_remedy</code>"));
    assert!(html.contains("grounding: passed"));
    assert!(html.contains("engine offline"));
    assert!(html.contains("delivered_but_driver_reports_failure"));
    assert!(
        html.contains("class=\"entry evidence\""),
        "evidence marked in the timeline"
    );
    assert!(html.contains("00340434161234567890"));
    assert!(html.contains("Take over"));
    // Customer text is escaped, never markup.
    let x = Customer::open(&app).await;
    x.say(&app, json!({"text": "<img src=x onerror=alert(1)>"}))
        .await;
    let r = staff
        .client
        .get(app.url(&format!("/console/conversations/{}", x.id)))
        .header("cookie", &staff.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x"));
    let (status, _) = staff.get(&app, "/console/conversations/conv_nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_filters_and_search_find_the_right_conversations() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let story = three_truths_with_callback(&app).await;
    let plain = Customer::open(&app).await;
    plain
        .say(
            &app,
            json!({"text": "Hi, has my order A-100261 arrived? My postcode is 50667."}),
        )
        .await;
    let idle = Customer::open(&app).await;

    let find = |html: &str, c: &Customer| html.contains(&format!("data-conversation=\"{}\"", c.id));
    let (_, all) = staff.get(&app, "/console/conversations").await;
    assert!(find(&all, &story) && find(&all, &plain) && find(&all, &idle));

    for q in [
        "A-100234",
        "a-100234",
        "00340434161234567890",
        "katrin.olbrich@example.org",
    ] {
        let (_, html) = staff
            .get(&app, &format!("/console/conversations?q={}", urlencode(q)))
            .await;
        assert!(find(&html, &story), "search {q}");
        assert!(!find(&html, &plain) && !find(&html, &idle), "search {q}");
    }
    let name = {
        let mut conn = app.store.read().await.unwrap();
        let cid = verity::store::records::order_customer(
            &mut conn,
            &verity::domain::OrderNumber::parse("A-100234").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        verity::store::records::get_customer(&mut conn, &cid)
            .await
            .unwrap()
            .unwrap()
            .name
    };
    let (_, html) = staff
        .get(
            &app,
            &format!(
                "/console/conversations?q={}",
                urlencode(&name.to_lowercase())
            ),
        )
        .await;
    assert!(
        find(&html, &story) && !find(&html, &plain),
        "search by name"
    );

    let (_, html) = staff
        .get(&app, "/console/conversations?contradictions=1")
        .await;
    assert!(find(&html, &story) && !find(&html, &plain) && !find(&html, &idle));
    let (_, html) = staff
        .get(&app, "/console/conversations?channel=whatsapp")
        .await;
    assert!(!find(&html, &story));
    let (_, html) = staff.get(&app, "/console/conversations?channel=web").await;
    assert!(find(&html, &story));

    // Waiting for an answer: the last word is the customer's (the bot is silent).
    staff
        .post(
            &app,
            &format!("/console/conversations/{}/take-over", plain.id),
            &[],
        )
        .await;
    plain.say(&app, json!({"text": "Hallo?"})).await;
    plain.say(&app, json!({"text": "Noch jemand da?"})).await;
    let (_, html) = staff.get(&app, "/console/conversations?waiting=1").await;
    assert!(find(&html, &plain) && !find(&html, &story) && !find(&html, &idle));
    let (_, html) = staff.get(&app, "/console/conversations?handed=1").await;
    assert!(find(&html, &plain) && !find(&html, &story));
}

#[tokio::test]
async fn the_list_pages_through_many_conversations() {
    let app = spawn_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let mut ids = Vec::new();
    for _ in 0..27 {
        ids.push(Customer::open(&app).await.id);
    }
    // Activity times set apart explicitly: the newest activity comes first.
    let mut tx = app.store.begin().await.unwrap();
    for (i, id) in ids.iter().enumerate() {
        let mut conv = verity::store::conversations::get_conversation(tx.conn(), id)
            .await
            .unwrap()
            .unwrap();
        conv.updated_ms = 1_000_000 + i as i64;
        verity::store::conversations::update_conversation(tx.conn(), &conv)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let (_, first) = staff.get(&app, "/console/conversations").await;
    let (_, second) = staff.get(&app, "/console/conversations?page=2").await;
    let on = |html: &str| ids.iter().filter(|i| html.contains(i.as_str())).count();
    assert_eq!(on(&first), 25);
    assert_eq!(on(&second), 2);
    assert!(first.contains("rel=\"next\"") && !second.contains("rel=\"next\""));
    assert!(second.contains("rel=\"prev\""));
    let order: Vec<usize> = ids
        .iter()
        .map(|i| format!("{first}{second}").find(i.as_str()).unwrap())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] > w[1]),
        "newest first across both pages"
    );
}

#[tokio::test]
async fn contradictions_customer_and_shipment_pages_tell_the_same_truth() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let story = three_truths_with_callback(&app).await;
    let (status, html) = staff.get(&app, "/console/contradictions").await;
    assert_eq!(status, 200);
    let data = verity::demo::generate(verity::demo::DEFAULT_ANCHOR);
    // Each code by its readable label, the code itself kept as data.
    for code in verity::demo::CONTRADICTION_CODES {
        assert!(html.contains(&format!("data-code=\"{code}\"")), "{code}");
    }
    assert!(html.contains("Reported delivered, the driver reports a failed attempt"));
    assert!(!html.contains("<code>delivered_but_driver_reports_failure</code>"));
    assert!(html.contains("/console/shipments/00340434161234567890"));
    assert!(html.contains(&format!("/console/conversations/{}", story.id)));
    let expected = data
        .contradiction_cases
        .iter()
        .filter(|c| c.code == "delivered_but_driver_reports_failure")
        .count();
    let (_, one) = staff
        .get(
            &app,
            "/console/contradictions?code=delivered_but_driver_reports_failure",
        )
        .await;
    let rows = one
        .matches(
            r#"<td><span class="code-label" data-code="delivered_but_driver_reports_failure">"#,
        )
        .count();
    assert!(rows >= expected, "{rows} rows, {expected} in the demo");

    let cases = case_of(&app, &story.id).await;
    let customer = cases[0].customer_id.clone().unwrap();
    let (status, html) = staff
        .get(&app, &format!("/console/customers/{customer}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("A-100234") && html.contains(&story.id) && html.contains("callback"));
    let (status, html) = staff
        .get(&app, "/console/shipments/00340434161234567890")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Ffeld") && html.contains("class=\"entry evidence\""));
    let (status, _) = staff.get(&app, "/console/customers/C-nope").await;
    assert_eq!(status, 404);
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()[2..].to_string()
}

#[tokio::test]
async fn the_console_tells_what_went_wrong_in_the_staff_members_language() {
    let app = demo_app().await;
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = Customer::open(&app).await;
    let path = format!("/console/conversations/{}/reply", c.id);
    let send = |lang: &'static str| {
        staff
            .client
            .post(app.url(&path))
            .header("cookie", &staff.cookie)
            .header("accept-language", lang)
            .form(&[("csrf", staff.csrf.as_str()), ("text", "Guten Tag")])
    };
    let r = send("de-DE").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Bitte übernehmen Sie das Gespräch, bevor Sie dem Kunden schreiben"),
        "{page}"
    );
    assert!(page.contains("<html lang=\"de\">"));
    let r = send("en-GB").send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(
        page.contains("take the conversation over before writing to the customer"),
        "{page}"
    );
    // The account's own choice wins over the browser's.
    let r = staff
        .post(&app, "/console/language", &[("language", "de")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = send("en-GB").send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Bitte übernehmen Sie das Gespräch"), "{page}");
    // Before logging in, the browser's language.
    let r = no_redirects()
        .post(app.url(&path))
        .header("accept-language", "en")
        .form(&[("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("log in to the console first")
    );
}
