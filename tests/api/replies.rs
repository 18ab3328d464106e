//! Saved replies: an admin keeps them per language in the console; staff insert them in
//! the reply box with the placeholders filled from the conversation; a text with a
//! placeholder left is never sent.

use reqwest::StatusCode;
use serde_json::json;

use crate::console::{STAFF_EMAIL, STAFF_PASSWORD, log_in, log_in_as, three_truths_with_callback};
use crate::helpers::{TestApp, demo_app};
use verity::console::accounts::{Role, create_named_staff};

async fn add_admin(app: &TestApp) -> crate::console::Staff {
    create_named_staff(
        &app.store,
        "mara.lindqvist@verity.example",
        "admin-passwort-2025",
        Role::Admin,
        Some("Mara Lindqvist"),
        0,
    )
    .await
    .unwrap();
    log_in_as(app, "mara.lindqvist@verity.example", "admin-passwort-2025").await
}

async fn add_agent(app: &TestApp) -> crate::console::Staff {
    create_named_staff(
        &app.store,
        STAFF_EMAIL,
        STAFF_PASSWORD,
        Role::Agent,
        Some("Ida Kellner"),
        0,
    )
    .await
    .unwrap();
    log_in(app).await
}

fn ok_of(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `data-text` of the saved reply titled `title` on a conversation page, unescaped.
fn offered_text(page: &str, title: &str) -> Option<String> {
    let at = page.find(&format!(">{title}"))?;
    let open = page[..at].rfind("<option")?;
    let tag = &page[open..at];
    let from = tag.find("data-text=\"")? + 11;
    let text = &tag[from..from + tag[from..].find('"')?];
    Some(
        text.replace("&#x2f;", "/")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn an_admin_keeps_saved_replies_and_an_agent_may_not() {
    let app = demo_app().await;
    let admin = add_admin(&app).await;
    let agent = add_agent(&app).await;
    let form = [
        ("language", "de"),
        ("title", "Rückruf bestätigt"),
        (
            "body",
            "Guten Tag {{ name }}, wir rufen Sie zur Bestellung {{ order }} zurück.",
        ),
    ];
    let r = agent.post(&app, "/console/replies", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin.post(&app, "/console/replies", &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(ok_of(&r).ends_with("ok=reply_saved"));
    // A typo in a placeholder is refused, not stored.
    let r = admin
        .post(
            &app,
            "/console/replies",
            &[
                ("language", "de"),
                ("title", "Tippfehler"),
                ("body", "Hallo {{ nmae }}"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (_, page) = admin.get(&app, "/console/replies").await;
    assert!(page.contains("Rückruf bestätigt") && !page.contains("Tippfehler"));
    let id = {
        let mut conn = app.store.read().await.unwrap();
        let all = verity::store::saved_replies::list_saved_replies(&mut conn)
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        all[0].id.clone()
    };
    // Edited under a new title: still one reply.
    let r = admin
        .post(
            &app,
            "/console/replies",
            &[
                ("id", id.as_str()),
                ("language", "de"),
                ("title", "Rückruf zugesagt"),
                ("body", "Guten Tag {{ name }}, wir rufen Sie bald zurück."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = agent.get(&app, "/console/replies").await;
    assert_eq!(status, 200);
    assert!(page.contains("Rückruf zugesagt") && !page.contains("Rückruf bestätigt"));
    let r = agent
        .post(&app, &format!("/console/replies/{id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .post(&app, &format!("/console/replies/{id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut conn = app.store.read().await.unwrap();
    assert!(
        verity::store::saved_replies::list_saved_replies(&mut conn)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_saved_reply_is_offered_filled_in_the_conversations_language_and_never_sent_unfilled() {
    let app = demo_app().await;
    let admin = add_admin(&app).await;
    let agent = add_agent(&app).await;
    for (lang, title, body) in [
        (
            "de",
            "Rückruf",
            "Guten Tag {{ name }}, zur Bestellung {{ order }} rufen wir Sie zurück. Ihre {{ staff }}",
        ),
        (
            "de",
            "Sendung",
            "Ihre Sendung {{ tracking }} ist unterwegs.",
        ),
        (
            "en",
            "Call back soon",
            "Hello {{ name }}, we will call you back.",
        ),
    ] {
        let r = admin
            .post(
                &app,
                "/console/replies",
                &[("language", lang), ("title", title), ("body", body)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{title}");
    }
    let c = three_truths_with_callback(&app).await;
    let conv = format!("/console/conversations/{}", c.id);
    // Not offered before a takeover: there is no reply box.
    let (_, page) = agent.get(&app, &conv).await;
    assert!(!page.contains("saved-reply"));
    let r = agent.post(&app, &format!("{conv}/take-over"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = agent.get(&app, &conv).await;
    let filled = offered_text(&page, "Rückruf").expect("the callback reply is offered");
    assert_eq!(
        filled,
        "Guten Tag Frau Olbrich, zur Bestellung A-100234 rufen wir Sie zurück. Ihre Ida Kellner"
    );
    assert!(
        !page.contains("Call back soon"),
        "only the conversation language"
    );
    // Without JavaScript: the page comes back with the text in the reply box.
    let id = {
        let mut conn = app.store.read().await.unwrap();
        verity::store::saved_replies::list_saved_replies(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.title == "Rückruf")
            .unwrap()
            .id
    };
    let (_, page) = agent.get(&app, &format!("{conv}?insert={id}")).await;
    assert!(page.contains(
        "Frau Olbrich, zur Bestellung A-100234 rufen wir Sie zurück. Ihre Ida Kellner</textarea>"
    ));
    // Sent as filled.
    let r = agent
        .post(&app, &format!("{conv}/reply"), &[("text", &filled)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let last = c.transcript(&app).await["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["text"], json!(filled));
    // A text that still holds a placeholder is refused, and nothing reaches the customer.
    let before = c.transcript(&app).await["messages"]
        .as_array()
        .unwrap()
        .len();
    for text in [
        "Ihre Sendung {{ tracking }} ist unterwegs.",
        "Hallo {{name}}",
    ] {
        let r = agent
            .post(&app, &format!("{conv}/reply"), &[("text", text)])
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{text}");
    }
    assert_eq!(
        c.transcript(&app).await["messages"]
            .as_array()
            .unwrap()
            .len(),
        before
    );
}
