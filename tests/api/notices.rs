//! Notices: a contradiction ingested for a customer with an email is told to them once,
//! by email, through a real SMTP server on loopback.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use verity::clock::Clock;

use crate::helpers::{TestApp, ndjson, spawn_app_at};
use crate::smtp::SmtpServer;

/// 12:00 in Berlin: outside the default quiet hours.
pub(crate) const DAYTIME: &str = "2026-06-10T10:00:00Z";
/// 23:30 in Berlin: inside them.
const NIGHT: &str = "2026-06-10T21:30:00Z";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The link secret of the test servers.
const LINK_SECRET: &str = "test-link-secret";

pub(crate) async fn app_with_mail(now: &str) -> (TestApp, SmtpServer) {
    app_with_mail_at(at(now)).await
}

pub(crate) async fn app_with_mail_at(now: DateTime<Utc>) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_at(Clock::Fixed(now), move |c| {
        c.link_secret = Some(verity::config::Secret::new(LINK_SECRET));
        c.channels.smtp_url = Some(verity::config::Secret::new(url));
        c.channels.mail_from = Some("Kundenservice <service@shop.example>".into());
        c.channels.outbox_retry_base_ms = 10;
    })
    .await;
    (app, smtp)
}

/// A customer with an email, an order and its shipment, all consistent.
pub(crate) fn records() -> Vec<Value> {
    vec![
        json!({"type":"customer","id":"C-N1","name":"Tessa Hartley","email":"tessa@example.org","locale":"en","salutation":"ms"}),
        json!({"type":"order","number":"N-1001","customer_id":"C-N1","placed_at":"2026-06-08T09:00:00+02:00",
               "currency":"EUR","total":"49.90",
               "shipping_address":{"name":"Tessa Hartley","street":"Lindenweg 3","postcode":"33100","city":"Paderborn","country":"DE"},
               "lines":[{"sku":"MUG-1","name":"Mug","qty":1,"unit_price":"49.90"}]}),
        json!({"type":"shipment","tracking_number":"00340000000000000001","carrier":"dhl","order_number":"N-1001",
               "kind":"original","skus":["MUG-1"]}),
    ]
}

/// The carrier says delivered at 06:48; the driver says nobody was home at 06:51.
pub(crate) fn three_truths() -> Vec<Value> {
    vec![
        json!({"type":"tracking_scan","id":"n-scan-1","tracking_number":"00340000000000000001",
               "occurred_at":"2026-06-10T06:48:00+02:00","status":"delivered","location":"Paderborn","postcode":"33100"}),
        json!({"type":"driver_report","id":"n-drv-1","tracking_number":"00340000000000000001",
               "occurred_at":"2026-06-10T06:51:00+02:00","outcome":"recipient_absent",
               "notice_card_left":true,"next_attempt_on":"2026-06-11","note":"Nobody at home"}),
    ]
}

/// The shop refunds the order although the carrier says it was delivered.
fn refund() -> Vec<Value> {
    vec![
        json!({"type":"order_event","id":"n-oms-1","order_number":"N-1001",
                "occurred_at":"2026-06-10T09:00:00+02:00","event":"refund_issued",
                "details":{"amount":"49.90"}}),
    ]
}

pub(crate) async fn outbox(app: &TestApp) -> Vec<(String, String, i64)> {
    use sqlx::Row;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query("SELECT channel, status, next_attempt_ms FROM outbox ORDER BY created_ms, id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

pub(crate) fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

#[tokio::test]
async fn a_contradiction_is_told_once_by_email_and_a_new_one_once_more() {
    let (app, smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{:?}", outbox(&app).await);
    let m = &mails[0];
    assert_eq!(m.to, vec!["<tessa@example.org>".to_string()]);
    assert_eq!(m.from, "<service@shop.example>");
    assert!(
        header(&m.data, "Subject").unwrap().contains("N-1001"),
        "{}",
        m.data
    );
    let id = header(&m.data, "Message-ID").unwrap();
    assert!(
        id.starts_with("<out_") && id.ends_with("@shop.example>"),
        "{id}"
    );
    let unsub = header(&m.data, "List-Unsubscribe").unwrap();
    assert!(unsub.contains("/notices/unsubscribe/"), "{unsub}");
    assert_eq!(
        header(&m.data, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(m.data.contains("multipart/alternative") && m.data.contains("text/html"));

    // The same story again: nothing new.
    app.ingest_ok(ndjson(&items)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.mails().len(), 1, "{:?}", outbox(&app).await);

    // A new contradiction on the same order: one more.
    app.ingest_ok(ndjson(&refund())).await;
    let mails = smtp.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), 2, "{:?}", outbox(&app).await);
    assert_ne!(header(&mails[1].data, "Message-ID"), Some(id));
}

#[tokio::test]
async fn a_notice_at_night_waits_in_the_outbox_until_the_morning() {
    let (app, smtp) = app_with_mail(NIGHT).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(smtp.mails().is_empty());
    let rows = outbox(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "email");
    assert_eq!(rows[0].1, "pending");
    // 08:00 the next morning in Berlin (UTC+2 in June).
    assert_eq!(rows[0].2, at("2026-06-11T06:00:00Z").timestamp_millis());
}

#[tokio::test]
async fn after_the_one_click_unsubscribe_no_notice_is_sent() {
    let (app, smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    let mails = smtp.wait_for(1).await;
    let unsub = header(&mails[0].data, "List-Unsubscribe").unwrap();
    let url = unsub.trim_start_matches('<').trim_end_matches('>');
    // GET only asks (a link scanner must not unsubscribe anyone); POST does it.
    let page = app.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let done = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    // A tampered token does nothing.
    let bad = app.client.post(format!("{url}00")).send().await.unwrap();
    assert_eq!(bad.status(), 404);

    app.ingest_ok(ndjson(&refund())).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.mails().len(), 1, "{:?}", outbox(&app).await);
    let mut conn = app.store.read().await.unwrap();
    let notices = verity::store::notices::list_for_person(&mut conn, "C-N1")
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.status == "suppressed" && n.reason.as_deref() == Some("opted_out")),
        "{notices:?}"
    );
}

#[tokio::test]
async fn a_temporary_smtp_failure_is_kept_for_a_retry_like_the_other_channels() {
    use sqlx::Row;
    let (app, smtp) = app_with_mail(DAYTIME).await;
    smtp.refuse_next(1);
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    // The clock is fixed: the retry is due 10 ms after "now", which never comes.
    let mut row = None;
    for _ in 0..100 {
        let mut conn = app.store.read().await.unwrap();
        let r = sqlx::query("SELECT status, attempts, last_error FROM outbox")
            .fetch_optional(&mut *conn)
            .await
            .unwrap()
            .map(|r| {
                (
                    r.get::<String, _>(0),
                    r.get::<i64, _>(1),
                    r.get::<Option<String>, _>(2),
                )
            });
        if r.as_ref().is_some_and(|r| r.2.is_some()) {
            row = r;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, attempts, error) = row.expect("an attempt was made");
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap_or_default().contains("try later"));
    assert!(smtp.mails().is_empty());
}

/// The order page link of the first email (its text part).
pub(crate) fn order_link(mail: &str) -> String {
    // Quoted-printable soft line breaks undone.
    let mail = &mail.replace("=\r\n", "").replace("=\n", "");
    let start = mail.find("/o/").expect("an order page link");
    let begin = mail[..start].rfind("http").unwrap();
    let end = mail[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '=')
        .map_or(mail.len(), |e| start + e);
    mail[begin..end].to_string()
}

#[tokio::test]
async fn the_order_page_of_a_notice_shows_the_same_facts_and_refuses_tampering_and_expiry() {
    let (app, smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    let mails = smtp.wait_for(1).await;
    let link = order_link(&mails[0].data);
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{link}");
    let html = page.text().await.unwrap();
    assert!(html.contains("N-1001") && html.contains("06:48"), "{html}");
    assert!(html.contains("lang=\"en\""));

    // One character changed in the signature: refused.
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let r = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // Its page in the browser's language, German when it asks for none Verity speaks.
    let r = app
        .client
        .get(&tampered)
        .header("accept-language", "fr-FR, en;q=0.8")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("lang=\"en\"") && html.contains("This link is not valid"),
        "{html}"
    );
    let r = app
        .client
        .get(app.url("/o/nothing-of-ours"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("lang=\"de\"") && html.contains("Dieser Link ist nicht"),
        "{html}"
    );

    // The same link after its validity (14 days by default), on a server with the same
    // key and data: gone.
    let token = link.rsplit('/').next().unwrap();
    let (later, _) = app_with_mail_at(at(DAYTIME) + chrono::Duration::days(15)).await;
    later.ingest_ok(ndjson(&items)).await;
    let r = later
        .client
        .get(later.url(&format!("/o/{token}")))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("This link has expired"));
    // Nor does its chat open: 403, with the reason.
    let r = crate::chat::open_with(&later, json!({ "order_link": token })).await;
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains("expired"));
    // A server with another key does not open it at all.
    let other = spawn_app_at(Clock::Fixed(at(DAYTIME)), |_| {}).await;
    other.ingest_ok(ndjson(&items)).await;
    let r = other
        .client
        .get(other.url(&format!("/o/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_sweep_tells_of_tracking_gone_stale_without_new_data_once() {
    let (app, _smtp) = app_with_mail(DAYTIME).await;
    let mut items = records();
    items.push(json!({"type":"tracking_scan","id":"n-scan-transit","tracking_number":"00340000000000000001",
        "occurred_at":"2026-06-10T08:00:00+02:00","status":"in_transit","location":"Hub Bielefeld"}));
    app.ingest_ok(ndjson(&items)).await;
    let notices = |store: verity::store::Store| async move {
        let mut conn = store.read().await.unwrap();
        verity::store::notices::list_for_order(&mut conn, "N-1001")
            .await
            .unwrap()
    };
    assert!(
        notices(app.store.clone()).await.is_empty(),
        "nothing is wrong yet"
    );

    // Four days later, with no new scan: the sweep finds the stale tracking.
    let later = verity::http::App::state(
        app.store.clone(),
        verity::config::Config::default(),
        Clock::Fixed(at(DAYTIME) + chrono::Duration::days(4)),
        verity::truth::Policy::default(),
    );
    assert_eq!(verity::notices::sweep(&later).await.unwrap(), 1);
    let found = notices(app.store.clone()).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, "stale_tracking");
    assert_eq!(found[0].channel, "email");
    // The next sweep: the same story, no new notice.
    assert_eq!(verity::notices::sweep(&later).await.unwrap(), 0);
}

/// The notices' states, oldest first: (notice status, its first outbox row's status).
async fn notice_states(app: &TestApp) -> Vec<(String, Option<String>)> {
    use sqlx::Row;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query(
        "SELECT n.status, o.status FROM notices n LEFT JOIN outbox o ON o.id = n.outbox_id \
         ORDER BY n.created_ms, n.id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn staff_see_an_orders_notices_and_hold_and_release_what_was_not_sent() {
    use crate::console::{Customer, add_staff, log_in};
    // At night: the notice waits in the outbox for the morning.
    let (app, smtp) = app_with_mail(NIGHT).await;
    let mut items = records();
    items.extend(three_truths());
    app.ingest_ok(ndjson(&items)).await;
    assert_eq!(
        notice_states(&app).await,
        vec![("queued".to_string(), Some("pending".to_string()))]
    );
    add_staff(&app).await;
    let staff = log_in(&app).await;
    let c = Customer::open(&app).await;
    c.say(&app, json!({"text": "N-1001 33100"})).await;
    let page_path = format!("/console/conversations/{}", c.id);
    let (_, page) = staff.get(&app, &page_path).await;
    let at = page
        .find("<h2>Notices</h2>")
        .expect("the notices of the order");
    let notices = &page[at..];
    assert!(notices.contains("Order N-1001"), "{notices}");
    assert!(notices.contains("<td>Email</td>"), "{notices}");
    assert!(notices.contains("waiting (quiet hours) until"), "{notices}");
    assert!(notices.contains("Hold notices"), "{notices}");
    // The customer's page shows the same.
    let (_, customer) = staff.get(&app, "/console/customers/C-N1").await;
    let at = customer
        .find("<h2>Notices</h2>")
        .expect("the customer page's notices");
    assert!(customer[at..].contains("waiting (quiet hours) until"));
    assert!(
        customer[at..].contains("value=\"&#x2f;console&#x2f;customers&#x2f;C-N1\""),
        "its forms come back to the customer page"
    );

    let back = page_path.as_str();
    let r = staff
        .post(
            &app,
            "/console/orders/N-1001/notices/hold",
            &[("back", back)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{page_path}?ok=notices_held").as_str()
    );
    assert_eq!(
        notice_states(&app).await,
        vec![("held".to_string(), Some("held".to_string()))]
    );
    // While held, a new contradiction is stored, not written.
    app.ingest_ok(ndjson(&refund())).await;
    let mut states = notice_states(&app).await;
    states.sort();
    assert_eq!(
        states,
        vec![
            ("held".to_string(), None),
            ("held".to_string(), Some("held".to_string()))
        ]
    );
    let (_, page) = staff.get(&app, &page_path).await;
    assert!(page.contains("Release notices") && page.contains("on hold"));

    let r = staff
        .post(
            &app,
            "/console/orders/N-1001/notices/release",
            &[("back", back)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let states = notice_states(&app).await;
    assert_eq!(
        states,
        vec![
            ("queued".to_string(), Some("pending".to_string())),
            ("queued".to_string(), Some("pending".to_string()))
        ]
    );
    // Both still wait for the morning: a release does not skip the quiet hours.
    let rows = outbox(&app).await;
    assert!(
        rows.iter()
            .all(|(_, s, next)| s == "pending" && *next > at_ms(NIGHT)),
        "{rows:?}"
    );
    assert!(smtp.mails().is_empty());
    // An unknown order is refused.
    let r = staff
        .post(&app, "/console/orders/not%20an%20order/notices/hold", &[])
        .await;
    assert_eq!(r.status(), 404);
}

fn at_ms(s: &str) -> i64 {
    at(s).timestamp_millis()
}
