//! The transcript page: every message, each bot reply's tool calls, verdict and engine
//! stats, the internal notes of staff among them, the conversation's cases, and the
//! orders it discussed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{CustomerInfo, OrderPanel, customer_info};
use crate::domain::OrderNumber;
use crate::lookup;
use crate::store::Store;
use crate::store::console::{self as q, ConsoleCase};
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::truth::Policy;

/// One tool call of a bot reply, pretty-printed for reading.
#[derive(Clone, Debug, Serialize)]
pub struct ToolCallView {
    pub name: String,
    pub arguments: String,
    pub result: String,
    pub duration_ms: f64,
}

/// A message of a transcript.
#[derive(Clone, Debug, Serialize)]
pub struct MessageView {
    pub seq: i64,
    pub role: Role,
    pub text: String,
    pub action: Option<String>,
    pub author: Option<String>,
    /// The staff member's display name (else email), for staff messages.
    pub author_name: Option<String>,
    pub created_ms: i64,
    pub tool_calls: Vec<ToolCallView>,
    /// The grounding verdict (`passed`, `claims`, `replaced`).
    pub grounding: Option<Value>,
    /// The engine, its duration, and for the LLM engine the model calls and tokens.
    pub engine_stats: Option<Value>,
    /// The contradiction codes the reply presented.
    pub contradictions: Vec<String>,
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn message_view(m: MessageRow) -> MessageView {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
    };
    let tool_calls = parse(&m.tool_calls)
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|c| ToolCallView {
            name: c["name"].as_str().unwrap_or("?").to_string(),
            arguments: pretty(&c["arguments"]),
            result: pretty(&c["result"]),
            duration_ms: c["duration_ms"].as_f64().unwrap_or(0.0),
        })
        .collect();
    let engine_stats = parse(&m.engine_stats);
    let contradictions = engine_stats
        .as_ref()
        .and_then(|s| s["contradictions"].as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    MessageView {
        seq: m.seq,
        role: m.role,
        grounding: parse(&m.grounding),
        engine_stats,
        contradictions,
        text: m.text,
        action: m.action,
        author: m.author,
        author_name: None,
        created_ms: m.created_ms,
        tool_calls,
    }
}

/// An internal note in the timeline (staff only).
#[derive(Clone, Debug, Serialize)]
pub struct NoteView {
    pub id: String,
    pub text: String,
    /// The author's display name (else email, else id).
    pub author_name: String,
    pub created_ms: i64,
    pub case_id: Option<String>,
    /// The kind of the case it is about.
    pub case_kind: Option<String>,
}

/// One entry of the console's timeline: a message or an internal note.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum TimelineEntry {
    Message(MessageView),
    Note(NoteView),
}

/// Messages and notes in the order they were written (a note after the messages of
/// its moment).
fn timeline(messages: &[MessageView], notes: Vec<NoteView>) -> Vec<TimelineEntry> {
    let mut out = Vec::with_capacity(messages.len() + notes.len());
    let mut notes = notes.into_iter().peekable();
    for m in messages {
        while let Some(n) = notes.next_if(|n| n.created_ms < m.created_ms) {
            out.push(TimelineEntry::Note(n));
        }
        out.push(TimelineEntry::Message(m.clone()));
    }
    out.extend(notes.map(TimelineEntry::Note));
    out
}

/// The transcript page.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptPage {
    pub conversation: ConversationRow,
    /// Who took it over, by name.
    pub taken_over_name: Option<String>,
    pub waiting_for_staff: bool,
    pub customer: Option<CustomerInfo>,
    pub messages: Vec<MessageView>,
    /// The messages and the internal notes, in order.
    pub timeline: Vec<TimelineEntry>,
    pub cases: Vec<ConsoleCase>,
    pub orders: Vec<OrderPanel>,
    /// The notices of those orders, and whether staff hold them.
    pub notices: Vec<crate::console::notice_holds::OrderNotices>,
}

/// The order numbers a conversation discussed: in its state, its cases, and the
/// arguments and results of its tool calls.
fn orders_discussed(
    conv: &ConversationRow,
    messages: &[MessageView],
    cases: &[ConsoleCase],
) -> BTreeSet<String> {
    let state = crate::assistant::state::ConversationState::from_json(&conv.state);
    let mut out: BTreeSet<String> = state.orders_discussed.into_iter().collect();
    out.extend(state.focus_order);
    out.extend(cases.iter().filter_map(|c| c.order_number.clone()));
    for m in messages {
        for c in &m.tool_calls {
            for text in [&c.arguments, &c.result] {
                if let Ok(v) = serde_json::from_str::<Value>(text) {
                    collect_order_numbers(&v, &mut out);
                }
            }
        }
    }
    out
}

fn collect_order_numbers(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "order_number"
                    && let Some(s) = v.as_str()
                {
                    out.insert(s.to_string());
                } else {
                    collect_order_numbers(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_order_numbers(v, out)),
        _ => {}
    }
}

/// A conversation with everything staff need to judge it.
pub async fn transcript(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    id: &str,
) -> anyhow::Result<Option<TranscriptPage>> {
    let (conv, messages, notes, cases, names) = {
        let mut conn = store.read().await?;
        let Some(conv) = conversations::get_conversation(&mut conn, id).await? else {
            return Ok(None);
        };
        let messages = conversations::list_messages(&mut conn, id, 0).await?;
        let notes = crate::store::notes::list_notes_for_conversation(&mut conn, id).await?;
        let cases = q::list_cases_for_conversation(&mut conn, id).await?;
        let names = crate::store::staff::staff_names(&mut conn).await?;
        (conv, messages, notes, cases, names)
    };
    let notes: Vec<NoteView> = notes
        .into_iter()
        .map(|n| NoteView {
            author_name: names.get(&n.author).cloned().unwrap_or(n.author),
            case_kind: n
                .case_id
                .as_ref()
                .and_then(|c| cases.iter().find(|k| &k.id == c).map(|k| k.kind.clone())),
            id: n.id,
            text: n.text,
            created_ms: n.created_ms,
            case_id: n.case_id,
        })
        .collect();
    let messages: Vec<MessageView> = messages
        .into_iter()
        .map(|m| {
            let mut v = message_view(m);
            v.author_name = v.author.as_ref().and_then(|a| names.get(a).cloned());
            v
        })
        .collect();
    let mut orders = Vec::new();
    for number in orders_discussed(&conv, &messages, &cases) {
        let Ok(n) = OrderNumber::parse(&number) else {
            continue;
        };
        if let Some(found) = lookup::order(store, policy, now, &n).await? {
            orders.push(OrderPanel::new(found.view).with_contacts(store).await?);
        }
    }
    let numbers: Vec<String> = orders.iter().map(|o| o.number.clone()).collect();
    let notices =
        crate::console::notice_holds::for_orders(store, &numbers, now.timestamp_millis()).await?;
    let customer = match &conv.customer_id {
        Some(c) => customer_info(store, c).await?,
        None => None,
    };
    let state = crate::assistant::state::ConversationState::from_json(&conv.state);
    Ok(Some(TranscriptPage {
        taken_over_name: conv
            .taken_over_by
            .as_ref()
            .and_then(|s| names.get(s).cloned()),
        waiting_for_staff: state.waiting_for_staff,
        conversation: conv,
        customer,
        timeline: timeline(&messages, notes),
        messages,
        cases,
        orders,
        notices,
    }))
}
