//! The demo stories that end in a contradiction, re-ingested into an empty store with a
//! real SMTP server on loopback: each affected person gets exactly one notice, correct,
//! in their language, and the order page in it tells the same facts as the chat.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{demo_now, ndjson};
use crate::notices::{app_with_mail_at, order_link};

/// The items of the demo stories with a contradiction, as the ingestion format has them.
fn story_items() -> (Vec<Value>, Vec<&'static verity::demo::DemoStory>) {
    let stories: Vec<_> = verity::demo::STORIES
        .iter()
        .filter(|s| !s.contradictions.is_empty())
        .collect();
    let data = verity::demo::generate(verity::demo::DEFAULT_ANCHOR);
    let all: Vec<Value> = data
        .items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    let orders: BTreeSet<&str> = stories.iter().map(|s| s.order_number).collect();
    let order_of = |v: &Value| orders.contains(v["number"].as_str().unwrap_or(""));
    let customers: BTreeSet<String> = all
        .iter()
        .filter(|v| v["type"] == "order" && order_of(v))
        .map(|v| v["customer_id"].as_str().unwrap().to_string())
        .collect();
    let parcels: BTreeSet<String> = all
        .iter()
        .filter(|v| {
            v["type"] == "shipment" && orders.contains(v["order_number"].as_str().unwrap_or(""))
        })
        .map(|v| v["tracking_number"].as_str().unwrap().to_string())
        .collect();
    let items = all
        .into_iter()
        .filter(|v| match v["type"].as_str().unwrap() {
            "customer" => customers.contains(v["id"].as_str().unwrap()),
            "order" => order_of(v),
            _ => {
                orders.contains(v["order_number"].as_str().unwrap_or(""))
                    || parcels.contains(v["tracking_number"].as_str().unwrap_or(""))
            }
        })
        .collect();
    (items, stories)
}

/// The text part of a mail, quoted-printable undone well enough to read.
fn text_part(mail: &str) -> String {
    mail.replace("=\r\n", "").replace("=\n", "")
}

/// The times and dates a text states ("06:48", "11.09.2025", "12 Sep 2025" is not used:
/// the stories' people read German).
fn facts(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let b = text.as_bytes();
    for i in 0..b.len() {
        let digits = |from: usize, n: usize| {
            (from..from + n).all(|k| b.get(k).is_some_and(u8::is_ascii_digit))
        };
        let starts = i == 0 || !b[i - 1].is_ascii_digit();
        if starts && digits(i, 2) && b.get(i + 2) == Some(&b':') && digits(i + 3, 2) {
            found.insert(text[i..i + 5].to_string());
        }
        if starts
            && digits(i, 2)
            && b.get(i + 2) == Some(&b'.')
            && digits(i + 3, 2)
            && b.get(i + 5) == Some(&b'.')
            && digits(i + 6, 4)
        {
            found.insert(text[i..i + 10].to_string());
        }
    }
    found
}

/// The lines of the mail's text part that state a fact ("- Scan von DHL, …").
fn fact_lines(mail: &str) -> Vec<String> {
    let text = text_part(mail);
    let body = &text[text.find("text/plain").unwrap()..text.find("text/html").unwrap()];
    body.lines()
        .filter(|l| l.starts_with("- "))
        .map(str::to_string)
        .collect()
}

/// What a page's summary section says, without its tags.
fn summary_of(html: &str) -> String {
    let start = html.find("<section id=\"summary\">").expect("a summary");
    let end = start + html[start..].find("</section>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn the_demo_stories_reingested_tell_each_affected_person_once_and_the_page_agrees_with_the_chat()
 {
    let (items, stories) = story_items();
    assert_eq!(stories.len(), 3, "three stories end in a contradiction");
    let (app, smtp) = app_with_mail_at(demo_now()).await;
    app.ingest_ok(ndjson(&items)).await;
    smtp.wait_for(stories.len()).await;
    // The same data again, and a while: nobody is told twice.
    app.ingest_ok(ndjson(&items)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mails = smtp.mails();
    let mut to: Vec<String> = mails.iter().map(|m| m.to.join(",")).collect();
    to.sort();
    let mut expected: Vec<String> = stories.iter().map(|s| format!("<{}>", s.email)).collect();
    expected.sort();
    assert_eq!(to, expected, "one notice to each affected person");
    // Contradictions that are one story are stored as told in that one notice.
    let mut conn = app.store.read().await.unwrap();
    let rows = verity::store::notices::list_for_order(&mut conn, "A-100234")
        .await
        .unwrap();
    drop(conn);
    let queued = rows.iter().filter(|n| n.status == "queued").count();
    let covered = rows.iter().filter(|n| n.status == "covered").count();
    assert_eq!((queued, covered), (1, 2), "{rows:?}");

    for story in &stories {
        let mail = mails
            .iter()
            .find(|m| m.to[0].contains(story.email))
            .unwrap();
        let text = text_part(&mail.data);
        let order = story.order_number;
        assert!(text.contains(&format!("Ihre Bestellung {order}")), "{text}");
        assert!(
            text.contains("Guten Tag") && text.contains("Mit freundlichen"),
            "{text}"
        );
        let stated = fact_lines(&mail.data);
        assert!(
            !stated.is_empty(),
            "{order}: the notice states its facts: {text}"
        );
        let told: BTreeSet<String> = stated.iter().flat_map(|l| facts(l)).collect();

        // The order page of the notice: the same facts.
        let link = order_link(&mail.data);
        let page = app.client.get(&link).send().await.unwrap();
        assert_eq!(page.status(), 200, "{link}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains(order) && html.contains("lang=\"de\""),
            "{html}"
        );
        let shown = summary_of(&html);
        let missing: Vec<_> = told
            .iter()
            .filter(|f| !shown.contains(f.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{order}: {missing:?} of the notice not on the page: {shown}"
        );

        // The chat of that page: opens verified with the notice, and its details tell
        // every fact the page shows.
        let token = link.rsplit('/').next().unwrap();
        let r = crate::chat::open_with(&app, json!({ "order_link": token })).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        let first = body["messages"][0]["text"].as_str().unwrap().to_string();
        let missing: Vec<_> = told
            .iter()
            .filter(|f| !first.contains(f.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{order}: {missing:?} not in the chat's notice: {first}"
        );
        let s = crate::chat::Session {
            id: body["session_id"].as_str().unwrap().to_string(),
            token: body["token"].as_str().unwrap().to_string(),
        };
        let details = crate::chat::press(&app, &s, "details").await;
        let details = details["text"].as_str().unwrap();
        // The facts the page lists (its "- " lines: scans, reports, messages, promises).
        let listed: String = shown
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("- "))
            .collect();
        let on_page = facts(&listed);
        assert!(!on_page.is_empty(), "{order}: {shown}");
        let missing: Vec<_> = on_page
            .iter()
            .filter(|f| !details.contains(f.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{order}: {missing:?} on the page but not in the chat's details:\npage: {shown}\nchat: {details}"
        );
    }
}
