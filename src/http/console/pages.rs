//! The console's pages: thin handlers that ask `console::views` and render.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::{ConsoleError, StaffSession, page};
use crate::console::problem::Problem;
use crate::console::{saved_replies, templates, views};
use crate::http::AppState;
use crate::store::audit::insert_audit;
use crate::store::console::{self as q, Assigned, ConversationFilter};

/// Rows per page of the conversation list and the audit log.
const PAGE_SIZE: i64 = 25;
/// A conversation view is audited again after this long.
const VIEW_AUDIT_EVERY_MS: i64 = 15 * 60 * 1000;

/// Records that a staff member looked at someone's data.
async fn audit_view(
    app: &AppState,
    s: &StaffSession,
    action: &str,
    subject: &str,
) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    insert_audit(
        tx.conn(),
        app.clock.now_ms(),
        &format!("staff:{}", s.staff.id),
        action,
        Some(subject),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// The message a finished form action leaves on the next page: its key in the
/// console's labels (`tr.flash`, prompts/console/).
fn flash(ok: Option<&str>) -> Option<&str> {
    ok.filter(|k| {
        matches!(
            *k,
            "taken_over"
                | "handed_back"
                | "sent"
                | "queued"
                | "outside_window"
                | "callback_done"
                | "approved"
                | "rejected"
                | "closed"
                | "language"
                | "noted"
                | "reply_saved"
                | "reply_deleted"
                | "notices_held"
                | "notices_released"
        )
    })
}

#[derive(Deserialize, Default)]
pub struct Flash {
    #[serde(default)]
    ok: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ConversationQuery {
    #[serde(default)]
    ok: Option<String>,
    /// A saved reply to put into the reply box (without JavaScript).
    #[serde(default)]
    insert: Option<String>,
}

/// `GET /console`
pub async fn index() -> Redirect {
    Redirect::to("/console/conversations")
}

/// `GET /static/console.css`
pub async fn css() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        templates::CSS,
    )
        .into_response()
}

/// `GET /static/console.js`
pub async fn js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        templates::JS,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    contradictions: Option<String>,
    #[serde(default)]
    handed: Option<String>,
    #[serde(default)]
    waiting: Option<String>,
    /// `mine` or `unassigned` (else all).
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

fn checked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !v.is_empty() && v != "0")
}

/// `GET /console/conversations`: newest first, with filters, search and paging.
pub async fn conversations(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let page_no = lq.page.unwrap_or(1).max(1);
    let channel = lq
        .channel
        .clone()
        .filter(|c| matches!(c.as_str(), "web" | "whatsapp" | "messenger"));
    let with_contradictions = checked(&lq.contradictions);
    let customers = if with_contradictions {
        Some(
            views::customers_with_open_contradictions(&app.store, &app.policy, app.clock.now())
                .await?,
        )
    } else {
        None
    };
    let filter = ConversationFilter {
        channel: channel.clone(),
        customers,
        handed_to_staff: checked(&lq.handed),
        waiting_for_answer: checked(&lq.waiting),
        search: lq.q.clone().filter(|q| !q.trim().is_empty()),
        viewer: Some(s.staff.id.clone()),
        assigned: match lq.view.as_deref() {
            Some("mine") => Some(Assigned::Mine),
            Some("unassigned") => Some(Assigned::Unassigned),
            _ => None,
        },
        offset: (page_no - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let view = match filter.assigned {
        Some(Assigned::Mine) => "mine",
        Some(Assigned::Unassigned) => "unassigned",
        None => "all",
    };
    let mut rows = {
        let mut conn = app.store.read().await?;
        q::list_conversations(&mut conn, &filter).await?
    };
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let link = |p: i64| {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(q) = &filter.search {
            params.push(("q", q.clone()));
        }
        if let Some(c) = &channel {
            params.push(("channel", c.clone()));
        }
        if with_contradictions {
            params.push(("contradictions", "1".into()));
        }
        if filter.handed_to_staff {
            params.push(("handed", "1".into()));
        }
        if filter.waiting_for_answer {
            params.push(("waiting", "1".into()));
        }
        if view != "all" {
            params.push(("view", view.into()));
        }
        params.push(("page", p.to_string()));
        format!(
            "/console/conversations?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    };
    page(
        &app,
        &s,
        "conversations.html",
        None,
        context! {
            rows => rows,
            page => page_no,
            prev_page => (page_no > 1).then(|| link(page_no - 1)),
            next_page => more.then(|| link(page_no + 1)),
            filter => context! {
                q => filter.search.clone().unwrap_or_default(),
                channel => channel.clone().unwrap_or_default(),
                contradictions => with_contradictions,
                handed => filter.handed_to_staff,
                waiting => filter.waiting_for_answer,
                view => view,
            },
        },
    )
}

/// `GET /console/conversations/{id}`: the transcript with tool calls, verdicts and the
/// timelines of the shipments discussed.
pub async fn conversation(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Query(f): Query<ConversationQuery>,
) -> Result<Response, ConsoleError> {
    let t = views::transcript(&app.store, &app.policy, app.clock.now(), &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(Problem::new("no_conversation")))?;
    // Seen up to its last message (the unread counts); a staff member who keeps the
    // page open (it reloads itself live) is audited once per quarter hour.
    let now = app.clock.now_ms();
    let last_seq = t.messages.last().map_or(0, |m| m.seq);
    let before = {
        let mut conn = app.store.write_one().await?;
        q::mark_read(&mut conn, &s.staff.id, &id, last_seq, now).await?
    };
    if before.is_none_or(|b| now - b > VIEW_AUDIT_EVERY_MS) {
        audit_view(&app, &s, "conversation.view", &format!("conversation:{id}")).await?;
    }
    let replies = match &t.conversation.taken_over_by {
        Some(_) => {
            let name = s.staff.display_name.as_deref().unwrap_or(&s.staff.email);
            saved_replies::for_conversation(&app.store, &id, name).await?
        }
        None => Vec::new(),
    };
    let prefill = f
        .insert
        .as_deref()
        .and_then(|i| replies.iter().find(|r| r.id == i))
        .and_then(|r| r.text.clone());
    page(
        &app,
        &s,
        "conversation.html",
        flash(f.ok.as_deref()),
        context! {t => t, replies => replies, prefill => prefill},
    )
}

/// `GET /console/replies`: the saved replies (kept by admins).
pub async fn replies(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Query(f): Query<Flash>,
) -> Result<Response, ConsoleError> {
    let rows = saved_replies::all(&app.store).await?;
    page(
        &app,
        &s,
        "replies.html",
        flash(f.ok.as_deref()),
        context! {rows => rows, placeholders => saved_replies::PLACEHOLDERS},
    )
}

/// `GET /console/cases`: the case queue.
pub async fn cases(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Query(f): Query<Flash>,
) -> Result<Response, ConsoleError> {
    let queue = views::case_queue(&app.store, &app.policy, app.clock.now()).await?;
    page(
        &app,
        &s,
        "cases.html",
        flash(f.ok.as_deref()),
        context! {q => queue},
    )
}

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /console/contradictions`: counts per code and the open ones.
pub async fn contradictions(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Query(cq): Query<CodeQuery>,
) -> Result<Response, ConsoleError> {
    let code = cq.code.filter(|c| !c.is_empty());
    let p = views::contradictions_page(&app.store, &app.policy, app.clock.now(), code.as_deref())
        .await?;
    page(
        &app,
        &s,
        "contradictions.html",
        None,
        context! {p => p, code => code},
    )
}

/// `GET /console/customers/{id}`: every channel, conversation, case and order.
pub async fn customer(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let p = views::customer_page(&app.store, &app.policy, app.clock.now(), &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(Problem::new("no_customer")))?;
    audit_view(&app, &s, "customer.view", &format!("customer:{id}")).await?;
    page(&app, &s, "customer.html", None, context! {p => p})
}

/// `GET /console/shipments/{tracking}`: one shipment's reconciled timeline.
pub async fn shipment(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(tracking): Path<String>,
) -> Result<Response, ConsoleError> {
    let p = views::shipment_page(&app.store, &app.policy, app.clock.now(), &tracking)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(Problem::new("no_shipment")))?;
    audit_view(&app, &s, "shipment.view", &format!("shipment:{tracking}")).await?;
    page(&app, &s, "shipment.html", None, context! {p => p})
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

/// `GET /console/audit`: who viewed and did what, newest first.
pub async fn audit(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    let page_no = pq.page.unwrap_or(1).max(1);
    let mut rows = {
        let mut conn = app.store.read().await?;
        q::list_audit(&mut conn, (page_no - 1) * PAGE_SIZE * 4, PAGE_SIZE * 4).await?
    };
    let more = rows.len() as i64 > PAGE_SIZE * 4;
    rows.truncate((PAGE_SIZE * 4) as usize);
    page(
        &app,
        &s,
        "audit.html",
        None,
        context! {
            rows => rows,
            page => page_no,
            prev_page => (page_no > 1).then(|| format!("/console/audit?page={}", page_no - 1)),
            next_page => more.then(|| format!("/console/audit?page={}", page_no + 1)),
        },
    )
}
