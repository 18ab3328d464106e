//! The console's forms: thin handlers that call `console::actions` and return to the
//! page they came from. The CSRF token was checked by `require_staff` already.

use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::Redirect;
use serde::Deserialize;

use super::{ConsoleError, StaffSession, local_path};
use crate::console::actions::{self, Actor, Decision};
use crate::console::delivery::Delivery;
use crate::console::problem::Problem;
use crate::console::{notice_holds, saved_replies};
use crate::http::AppState;

fn actor<'a>(app: &AppState, s: &'a StaffSession) -> Actor<'a> {
    Actor {
        staff_id: &s.staff.id,
        now_ms: app.clock.now_ms(),
    }
}

/// Wakes the live streams for what a decision changed.
fn changed(app: &AppState, d: &actions::Decided) {
    match &d.case.conversation_id {
        Some(c) => app.live.conversation_changed(c),
        None => app.live.console_changed(),
    }
}

fn back_to(back: Option<&str>, fallback: &str, ok: &str) -> Redirect {
    let path = local_path(back, fallback);
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}ok={ok}"))
}

/// Every form carries its CSRF token, checked before the handler runs (scripts may send
/// it as `X-CSRF-Token` instead).
#[derive(Deserialize)]
pub struct Plain {
    #[serde(rename = "csrf", default)]
    _csrf: String,
}

/// `POST /console/conversations/{id}/take-over`
pub async fn take_over(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(_f): Form<Plain>,
) -> Result<Redirect, ConsoleError> {
    actions::take_over(&app.store, &app.assistant, actor(&app, &s), &id).await?;
    app.live.conversation_changed(&id);
    Ok(back_to(
        None,
        &format!("/console/conversations/{id}"),
        "taken_over",
    ))
}

/// `POST /console/conversations/{id}/hand-back`
pub async fn hand_back(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(_f): Form<Plain>,
) -> Result<Redirect, ConsoleError> {
    actions::hand_back(&app.store, &app.assistant, actor(&app, &s), &id).await?;
    app.live.conversation_changed(&id);
    Ok(back_to(
        None,
        &format!("/console/conversations/{id}"),
        "handed_back",
    ))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    text: String,
}

/// `POST /console/conversations/{id}/reply`
pub async fn reply(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Result<Redirect, ConsoleError> {
    let delivery = actions::reply(
        &app.store,
        &app.assistant,
        &app.outbox,
        actor(&app, &s),
        &id,
        &f.text,
    )
    .await?;
    app.live.conversation_changed(&id);
    let ok = match delivery {
        Delivery::Web => "sent",
        Delivery::Queued { .. } => "queued",
        Delivery::OutsideWindow => "outside_window",
    };
    Ok(back_to(None, &format!("/console/conversations/{id}"), ok))
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    note: String,
    /// The case of the conversation the note is about (empty: the conversation).
    #[serde(default)]
    case_id: Option<String>,
}

/// `POST /console/conversations/{id}/notes`: an internal note (staff only).
pub async fn note(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Redirect, ConsoleError> {
    actions::add_note(
        &app.store,
        actor(&app, &s),
        &id,
        f.case_id.as_deref(),
        &f.note,
    )
    .await?;
    app.live.conversation_changed(&id);
    Ok(back_to(
        None,
        &format!("/console/conversations/{id}"),
        "noted",
    ))
}

#[derive(Deserialize)]
pub struct SavedReplyForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    /// Set when an existing reply is edited.
    #[serde(default)]
    id: Option<String>,
    language: String,
    title: String,
    body: String,
}

/// `POST /console/replies`: adds or changes a saved reply (admins).
pub async fn save_reply(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Form(f): Form<SavedReplyForm>,
) -> Result<Redirect, ConsoleError> {
    saved_replies::save(
        &app.store,
        actor(&app, &s),
        &s.staff.role,
        saved_replies::Draft {
            id: f.id.as_deref().filter(|i| !i.is_empty()),
            language: &f.language,
            title: &f.title,
            body: &f.body,
        },
    )
    .await?;
    Ok(back_to(None, "/console/replies", "reply_saved"))
}

/// `POST /console/replies/{id}/delete` (admins).
pub async fn delete_reply(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(_f): Form<Plain>,
) -> Result<Redirect, ConsoleError> {
    saved_replies::delete(&app.store, actor(&app, &s), &s.staff.role, &id).await?;
    Ok(back_to(None, "/console/replies", "reply_deleted"))
}

#[derive(Deserialize)]
pub struct BackForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    #[serde(default)]
    back: Option<String>,
}

/// `POST /console/orders/{number}/notices/hold`: no notice of the order leaves until
/// released.
pub async fn hold_notices(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(number): Path<String>,
    Form(f): Form<BackForm>,
) -> Result<Redirect, ConsoleError> {
    let then = back_to(f.back.as_deref(), "/console/conversations", "notices_held");
    notice_holds::hold(&app.store, actor(&app, &s), &number).await?;
    app.live.console_changed();
    Ok(then)
}

/// `POST /console/orders/{number}/notices/release`: the held notices go out.
pub async fn release_notices(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(number): Path<String>,
    Form(f): Form<BackForm>,
) -> Result<Redirect, ConsoleError> {
    let then = back_to(
        f.back.as_deref(),
        "/console/conversations",
        "notices_released",
    );
    notice_holds::release(
        &app.store,
        &app.policy,
        &app.links,
        app.clock.now(),
        actor(&app, &s),
        &number,
    )
    .await?;
    app.outbox.wake();
    app.live.console_changed();
    Ok(then)
}

#[derive(Deserialize)]
pub struct CaseForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    #[serde(default)]
    back: Option<String>,
    /// `approve` or `reject` (decide).
    #[serde(default)]
    decision: Option<String>,
    /// The reason the customer is told (decide).
    #[serde(default)]
    reason: Option<String>,
    /// A note for the customer (close).
    #[serde(default)]
    note: Option<String>,
}

/// `POST /console/cases/{id}/callback-done`
pub async fn callback_done(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Redirect, ConsoleError> {
    // Where to go is settled before anything is done.
    let then = back_to(f.back.as_deref(), "/console/cases", "callback_done");
    let decided = actions::decide(
        &app.store,
        &app.assistant,
        &app.outbox,
        actor(&app, &s),
        &id,
        Decision::CallbackDone,
        None,
    )
    .await?;
    changed(&app, &decided);
    Ok(then)
}

/// `POST /console/cases/{id}/decide`: approve or reject a replacement or investigation.
pub async fn decide(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Redirect, ConsoleError> {
    let (decision, ok) = match f.decision.as_deref() {
        Some("approve") => (Decision::Approve, "approved"),
        Some("reject") => (Decision::Reject, "rejected"),
        _ => {
            return Err(ConsoleError::BadRequest(Problem::new(
                "decision_approve_reject",
            )));
        }
    };
    let then = back_to(f.back.as_deref(), "/console/cases", ok);
    let decided = actions::decide(
        &app.store,
        &app.assistant,
        &app.outbox,
        actor(&app, &s),
        &id,
        decision,
        f.reason.as_deref(),
    )
    .await?;
    changed(&app, &decided);
    Ok(then)
}

/// `POST /console/cases/{id}/close`
pub async fn close(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Redirect, ConsoleError> {
    let then = back_to(f.back.as_deref(), "/console/cases", "closed");
    let decided = actions::decide(
        &app.store,
        &app.assistant,
        &app.outbox,
        actor(&app, &s),
        &id,
        Decision::Close,
        f.note.as_deref(),
    )
    .await?;
    changed(&app, &decided);
    Ok(then)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(rename = "csrf", default)]
    _csrf: String,
    language: String,
    #[serde(default)]
    back: Option<String>,
}

/// `POST /console/language`: the console's language for this staff member (`de`, `en`).
pub async fn language(
    State(app): State<AppState>,
    Extension(s): Extension<StaffSession>,
    axum::extract::Form(f): axum::extract::Form<LanguageForm>,
) -> Result<Redirect, ConsoleError> {
    let lang = crate::domain::Locale::parse(&f.language)
        .map_err(|_| ConsoleError::BadRequest(Problem::new("language_de_en")))?;
    crate::console::accounts::set_language(&app.store, &s.staff.id, lang).await?;
    Ok(back_to(
        f.back.as_deref(),
        "/console/conversations",
        "language",
    ))
}
