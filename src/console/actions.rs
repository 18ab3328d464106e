//! What staff do from the console: take a conversation over, write to the customer,
//! hand it back to the bot, decide cases, and write internal notes. Every action is audited (ids and
//! outcomes only, never texts, phone numbers or emails).

use serde_json::json;

use super::delivery::{Delivery, deliver_staff_message};
use super::notices::decision_message;
use super::problem::Problem;
use crate::assistant::service::Assistant;
use crate::assistant::state::ConversationState;
use crate::channels::outbox::Outbox;
use crate::domain::Locale;
use crate::store::audit::insert_audit;
use crate::store::console::{self as q, ConsoleCase};
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::store::notes::{self, NoteRow};
use crate::store::{Store, new_sorted_id};

/// The longest message staff may send.
pub const MAX_STAFF_MESSAGE_CHARS: usize = 4000;

/// Why an action was not done: a [`Problem`] the console words for staff.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{0}")]
    NotFound(Problem),
    #[error("{0}")]
    Invalid(Problem),
    /// The action does not fit the current state (already decided, not taken over, …).
    #[error("{0}")]
    Conflict(Problem),
    /// This staff member may not do it (an agent where an admin must act).
    #[error("{0}")]
    Forbidden(Problem),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Who acts, and when.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub staff_id: &'a str,
    pub now_ms: i64,
}

impl Actor<'_> {
    fn name(&self) -> String {
        format!("staff:{}", self.staff_id)
    }
}

async fn load_conversation(store: &Store, id: &str) -> Result<ConversationRow, ActionError> {
    let mut conn = store.read().await?;
    conversations::get_conversation(&mut conn, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(Problem::new("no_conversation")))
}

/// Staff answer from now on: the bot tells the customer once that a person answers,
/// then stays silent.
pub async fn take_over(
    store: &Store,
    assistant: &Assistant,
    actor: Actor<'_>,
    conversation_id: &str,
) -> Result<(), ActionError> {
    let _turns = assistant.lock_conversation(conversation_id).await;
    let mut conv = load_conversation(store, conversation_id).await?;
    let previous = conv.taken_over_by.replace(actor.staff_id.to_string());
    if conv.channel == "web" {
        // The widget follows the conversation live and shows the takeover at once, as
        // one notice while staff answer: the bot says nothing more about it.
        let mut state = ConversationState::from_json(&conv.state);
        state.takeover_notice_sent = true;
        conv.state = state.to_json();
    }
    conv.updated_ms = actor.now_ms;
    let mut tx = store.begin().await?;
    conversations::update_conversation(tx.conn(), &conv).await?;
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &actor.name(),
        "conversation.take_over",
        Some(&format!("conversation:{}", conv.id)),
        &json!({"previous": previous}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The bot answers again; open handoff cases of the conversation are done.
pub async fn hand_back(
    store: &Store,
    assistant: &Assistant,
    actor: Actor<'_>,
    conversation_id: &str,
) -> Result<(), ActionError> {
    let _turns = assistant.lock_conversation(conversation_id).await;
    let mut conv = load_conversation(store, conversation_id).await?;
    if conv.taken_over_by.is_none() {
        return Err(ActionError::Conflict(Problem::new("bot_answers_already")));
    }
    conv.taken_over_by = None;
    conv.updated_ms = actor.now_ms;
    let mut state = ConversationState::from_json(&conv.state);
    // A later takeover tells the customer again; the handoff is answered.
    state.takeover_notice_sent = false;
    state.waiting_for_staff = false;
    conv.state = state.to_json();
    let handoffs: Vec<ConsoleCase> = {
        let mut conn = store.read().await?;
        q::list_cases_for_conversation(&mut conn, &conv.id).await?
    }
    .into_iter()
    .filter(|c| c.kind == "handoff" && matches!(c.status.as_str(), "open" | "in_progress"))
    .collect();
    let mut tx = store.begin().await?;
    conversations::update_conversation(tx.conn(), &conv).await?;
    for c in &handoffs {
        q::resolve_case(
            tx.conn(),
            &c.id,
            "done",
            actor.staff_id,
            Some("handed back to the bot"),
            actor.now_ms,
        )
        .await?;
    }
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &actor.name(),
        "conversation.hand_back",
        Some(&format!("conversation:{}", conv.id)),
        &json!({"handoff_cases_done": handoffs.iter().map(|c| &c.id).collect::<Vec<_>>()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stores a staff message in the conversation and sends it out through its channel.
async fn post_to_customer(
    store: &Store,
    outbox: &Outbox,
    conv: &mut ConversationRow,
    author: &str,
    text: &str,
    now_ms: i64,
) -> anyhow::Result<(MessageRow, Delivery)> {
    let mut msg = MessageRow {
        id: new_sorted_id("msg"),
        conversation_id: conv.id.clone(),
        seq: 0,
        role: Role::Staff,
        text: text.to_string(),
        action: None,
        actions: None,
        tool_calls: None,
        grounding: None,
        engine_stats: None,
        channel_message_id: None,
        author: Some(author.to_string()),
        created_ms: now_ms,
    };
    conv.updated_ms = now_ms;
    let mut tx = store.begin().await?;
    conversations::append_message(tx.conn(), &mut msg).await?;
    conversations::update_conversation(tx.conn(), conv).await?;
    tx.commit().await?;
    let delivery = deliver_staff_message(outbox, conv, &msg).await?;
    Ok((msg, delivery))
}

/// What staff type while they have the conversation: stored as a staff message and
/// sent to the customer.
pub async fn reply(
    store: &Store,
    assistant: &Assistant,
    outbox: &Outbox,
    actor: Actor<'_>,
    conversation_id: &str,
    text: &str,
) -> Result<Delivery, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ActionError::Invalid(Problem::new("message_empty")));
    }
    if text.chars().count() > MAX_STAFF_MESSAGE_CHARS {
        return Err(ActionError::Invalid(Problem::with(
            "message_too_long",
            MAX_STAFF_MESSAGE_CHARS,
        )));
    }
    if super::saved_replies::has_placeholder(text) {
        return Err(ActionError::Invalid(Problem::new("placeholder_left")));
    }
    let _turns = assistant.lock_conversation(conversation_id).await;
    let mut conv = load_conversation(store, conversation_id).await?;
    if conv.taken_over_by.is_none() {
        return Err(ActionError::Conflict(Problem::new("take_over_first")));
    }
    let (msg, delivery) =
        post_to_customer(store, outbox, &mut conv, actor.staff_id, text, actor.now_ms).await?;
    let mut tx = store.begin().await?;
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &actor.name(),
        "conversation.reply",
        Some(&format!("conversation:{}", conv.id)),
        &json!({"message_id": msg.id, "delivery": delivery}),
    )
    .await?;
    tx.commit().await?;
    Ok(delivery)
}

/// A decision on a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A callback was made.
    CallbackDone,
    /// A replacement or investigation goes ahead.
    Approve,
    /// A replacement or investigation is refused.
    Reject,
    /// Any active case is finished.
    Close,
}

impl Decision {
    fn status(self) -> &'static str {
        match self {
            Self::CallbackDone | Self::Close => "done",
            Self::Approve => "in_progress",
            Self::Reject => "declined",
        }
    }
    fn action(self) -> &'static str {
        match self {
            Self::CallbackDone => "case.callback_done",
            Self::Approve => "case.approve",
            Self::Reject => "case.reject",
            Self::Close => "case.close",
        }
    }
}

/// What a decision changed.
#[derive(Clone, Debug)]
pub struct Decided {
    pub case: ConsoleCase,
    /// How the customer was told, when they were.
    pub told: Option<Delivery>,
}

/// Decides a case: marks a callback done, approves or rejects a replacement or an
/// investigation (with a reason the customer is told), or closes a case. The customer
/// is told in the conversation that set the case in motion.
pub async fn decide(
    store: &Store,
    assistant: &Assistant,
    outbox: &Outbox,
    actor: Actor<'_>,
    case_id: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<Decided, ActionError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(ActionError::Invalid(Problem::with("reason_too_long", 1000)));
    }
    let case = {
        let mut conn = store.read().await?;
        q::get_case(&mut conn, case_id)
            .await?
            .ok_or_else(|| ActionError::NotFound(Problem::new("no_case")))?
    };
    match decision {
        Decision::CallbackDone if case.kind != "callback" => {
            return Err(ActionError::Invalid(Problem::new("not_a_callback")));
        }
        Decision::Approve | Decision::Reject
            if !matches!(case.kind.as_str(), "replacement" | "investigation") =>
        {
            return Err(ActionError::Invalid(Problem::new("not_decidable")));
        }
        Decision::Approve | Decision::Reject if reason.is_none() => {
            return Err(ActionError::Invalid(Problem::new("reason_needed")));
        }
        Decision::Approve | Decision::Reject if case.status != "open" => {
            return Err(ActionError::Conflict(Problem::with(
                "case_decided_already",
                &case.status,
            )));
        }
        _ => {}
    }
    // The conversation's lock keeps a running turn from overwriting the message order.
    let _turns = match &case.conversation_id {
        Some(c) => Some(assistant.lock_conversation(c).await),
        None => None,
    };
    let mut tx = store.begin().await?;
    let changed = q::resolve_case(
        tx.conn(),
        &case.id,
        decision.status(),
        actor.staff_id,
        reason,
        actor.now_ms,
    )
    .await?;
    if !changed {
        return Err(ActionError::Conflict(Problem::with(
            "case_not_open",
            &case.status,
        )));
    }
    tx.commit().await?;
    let mut told = None;
    if let Some(conv_id) = &case.conversation_id {
        let mut conn = store.read().await?;
        let conv = conversations::get_conversation(&mut conn, conv_id).await?;
        drop(conn);
        if let Some(mut conv) = conv {
            let locale = Locale::from_tag(&conv.language);
            if let Some(text) = decision_message(
                decision,
                &case.kind,
                case.order_number.as_deref(),
                reason,
                locale,
            ) {
                let (_, delivery) = post_to_customer(
                    store,
                    outbox,
                    &mut conv,
                    actor.staff_id,
                    &text,
                    actor.now_ms,
                )
                .await?;
                told = Some(delivery);
            }
        }
    }
    let mut tx = store.begin().await?;
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &actor.name(),
        decision.action(),
        Some(&format!("case:{}", case.id)),
        &json!({"kind": case.kind, "status": decision.status(), "customer_told": told}),
    )
    .await?;
    tx.commit().await?;
    let case = {
        let mut conn = store.read().await?;
        q::get_case(&mut conn, case_id).await?.unwrap_or(case)
    };
    Ok(Decided { case, told })
}

/// An internal note on a conversation (or one of its cases, `case_id`): staff see it in
/// the console's timeline; the customer never does, on any channel.
pub async fn add_note(
    store: &Store,
    actor: Actor<'_>,
    conversation_id: &str,
    case_id: Option<&str>,
    text: &str,
) -> Result<NoteRow, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ActionError::Invalid(Problem::new("note_empty")));
    }
    if text.chars().count() > MAX_STAFF_MESSAGE_CHARS {
        return Err(ActionError::Invalid(Problem::with(
            "note_too_long",
            MAX_STAFF_MESSAGE_CHARS,
        )));
    }
    let conv = load_conversation(store, conversation_id).await?;
    let case_id = case_id.map(str::trim).filter(|c| !c.is_empty());
    if let Some(case_id) = case_id {
        let mut conn = store.read().await?;
        let case = q::get_case(&mut conn, case_id).await?;
        if case.is_none_or(|c| c.conversation_id.as_deref() != Some(conv.id.as_str())) {
            return Err(ActionError::Invalid(Problem::new(
                "case_of_another_conversation",
            )));
        }
    }
    let note = NoteRow {
        id: new_sorted_id("note"),
        conversation_id: conv.id.clone(),
        case_id: case_id.map(str::to_string),
        author: actor.staff_id.to_string(),
        text: text.to_string(),
        created_ms: actor.now_ms,
    };
    let mut tx = store.begin().await?;
    notes::insert_note(tx.conn(), &note).await?;
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &actor.name(),
        "conversation.note",
        Some(&format!("conversation:{}", conv.id)),
        &json!({"note_id": note.id, "case_id": note.case_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(note)
}
