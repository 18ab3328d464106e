//! What the console pages show, assembled from the store and the reconciled truth:
//! transcripts with tool calls, verdicts and the timelines of the shipments discussed,
//! the case queue, the contradiction overview and a customer's history. Every page
//! reads the same `lookup` / `truth` functions as the bot and the status API.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::{CustomerId, OrderNumber, TrackingNumber};
use crate::lookup;
use crate::store::console::{self as q, ConsoleCase, ConversationFilter, ConversationListRow};
use crate::store::conversations::{self, ConversationRow, MessageRow, Role};
use crate::store::{Store, events, records};
use crate::truth::{
    Contradiction, ContradictionCode, OrderView, Policy, ShipmentView, TimelineEntry,
    reconcile_order,
};

/// How far back the contradiction overview looks: orders placed in these many days.
pub const SCAN_DAYS: i64 = 90;

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
        created_ms: m.created_ms,
        tool_calls,
    }
}

/// A timeline entry, with the contradictions it is evidence of.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: TimelineEntry,
    pub evidence_of: Vec<&'static str>,
}

fn entries<'a>(
    timeline: &[TimelineEntry],
    contradictions: impl Iterator<Item = &'a Contradiction> + Clone,
) -> Vec<EntryView> {
    timeline
        .iter()
        .map(|e| EntryView {
            entry: e.clone(),
            evidence_of: contradictions
                .clone()
                .filter(|c| c.evidence.contains(&e.event_id))
                .map(|c| c.code.as_str())
                .collect(),
        })
        .collect()
}

/// A shipment's reconciled timeline, evidence marked.
#[derive(Clone, Debug, Serialize)]
pub struct ShipmentPanel {
    pub view: ShipmentView,
    pub entries: Vec<EntryView>,
}

impl ShipmentPanel {
    pub fn new(view: ShipmentView, order_level: &[Contradiction]) -> Self {
        let entries = entries(
            &view.timeline,
            view.contradictions.iter().chain(order_level.iter()),
        );
        Self { view, entries }
    }
}

/// An order with its shipments' timelines and its own events, evidence marked.
#[derive(Clone, Debug, Serialize)]
pub struct OrderPanel {
    pub number: String,
    pub customer_id: String,
    pub in_dispute: bool,
    /// Contradictions about the order as a whole.
    pub contradictions: Vec<Contradiction>,
    pub shipments: Vec<ShipmentPanel>,
    /// Order events, notifications and customer reports, in time order.
    pub order_entries: Vec<EntryView>,
}

impl OrderPanel {
    pub fn new(view: OrderView) -> Self {
        let mut order_timeline: Vec<TimelineEntry> = view
            .order_events
            .iter()
            .chain(view.notifications.iter())
            .chain(view.customer_reports.iter())
            .cloned()
            .collect();
        order_timeline.sort_by_key(|e| e.at);
        let all: Vec<Contradiction> = view.all_contradictions().cloned().collect();
        let order_entries = entries(&order_timeline, all.iter());
        Self {
            number: view.order.number.to_string(),
            customer_id: view.order.customer_id.to_string(),
            in_dispute: view.in_dispute,
            shipments: view
                .shipments
                .into_iter()
                .map(|s| ShipmentPanel::new(s, &view.contradictions))
                .collect(),
            contradictions: view.contradictions,
            order_entries,
        }
    }
}

/// A customer as staff see them.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerInfo {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: String,
}

async fn customer_info(store: &Store, id: &str) -> anyhow::Result<Option<CustomerInfo>> {
    let Ok(cid) = CustomerId::parse(id) else {
        return Ok(None);
    };
    let mut conn = store.read().await?;
    Ok(records::get_customer(&mut conn, &cid)
        .await?
        .map(|c| CustomerInfo {
            id: c.id.to_string(),
            name: c.name,
            email: c.email,
            phone: c.phone,
            locale: c.locale.as_str().to_string(),
        }))
}

/// The transcript page.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptPage {
    pub conversation: ConversationRow,
    pub waiting_for_staff: bool,
    pub customer: Option<CustomerInfo>,
    pub messages: Vec<MessageView>,
    pub cases: Vec<ConsoleCase>,
    pub orders: Vec<OrderPanel>,
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
    let (conv, messages, cases) = {
        let mut conn = store.read().await?;
        let Some(conv) = conversations::get_conversation(&mut conn, id).await? else {
            return Ok(None);
        };
        let messages = conversations::list_messages(&mut conn, id, 0).await?;
        let cases = q::list_cases_for_conversation(&mut conn, id).await?;
        (conv, messages, cases)
    };
    let messages: Vec<MessageView> = messages.into_iter().map(message_view).collect();
    let mut orders = Vec::new();
    for number in orders_discussed(&conv, &messages, &cases) {
        let Ok(n) = OrderNumber::parse(&number) else {
            continue;
        };
        if let Some(found) = lookup::order(store, policy, now, &n).await? {
            orders.push(OrderPanel::new(found.view));
        }
    }
    let customer = match &conv.customer_id {
        Some(c) => customer_info(store, c).await?,
        None => None,
    };
    let state = crate::assistant::state::ConversationState::from_json(&conv.state);
    Ok(Some(TranscriptPage {
        waiting_for_staff: state.waiting_for_staff,
        conversation: conv,
        customer,
        messages,
        cases,
        orders,
    }))
}

/// One open contradiction found by the overview.
#[derive(Clone, Debug, Serialize)]
pub struct OpenContradiction {
    pub code: ContradictionCode,
    pub order_number: String,
    pub tracking_number: Option<String>,
    pub customer_id: String,
    pub evidence: Vec<String>,
}

/// Every open contradiction of the orders placed in the last [`SCAN_DAYS`] days,
/// reconciled in one pass (three queries).
pub async fn open_contradictions(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<OpenContradiction>> {
    let since = (now - chrono::Duration::days(SCAN_DAYS)).timestamp_millis();
    let (orders, shipments, evs) = {
        let mut conn = store.read().await?;
        (
            records::list_orders_placed_since(&mut conn, since).await?,
            records::list_shipments_of_orders_placed_since(&mut conn, since).await?,
            events::events_of_orders_placed_since(&mut conn, since).await?,
        )
    };
    let mut ships_by_order: HashMap<String, Vec<_>> = HashMap::new();
    let mut order_of_tracking: HashMap<String, String> = HashMap::new();
    for s in shipments {
        order_of_tracking.insert(s.tracking_number.to_string(), s.order_number.to_string());
        ships_by_order
            .entry(s.order_number.to_string())
            .or_default()
            .push(s);
    }
    let mut evs_by_order: HashMap<String, Vec<_>> = HashMap::new();
    for e in evs {
        let mut owners: BTreeSet<String> = BTreeSet::new();
        if let Some(o) = e.body.order_number() {
            owners.insert(o.to_string());
        }
        if let Some(t) = e.body.tracking_number()
            && let Some(o) = order_of_tracking.get(t.as_str())
        {
            owners.insert(o.clone());
        }
        for o in owners {
            evs_by_order.entry(o).or_default().push(e.clone());
        }
    }
    let mut out = Vec::new();
    for order in orders {
        let number = order.number.to_string();
        let ships = ships_by_order.remove(&number).unwrap_or_default();
        let evs = evs_by_order.remove(&number).unwrap_or_default();
        let view = reconcile_order(&order, &ships, &evs, now, policy);
        for c in view.all_contradictions() {
            out.push(OpenContradiction {
                code: c.code,
                order_number: number.clone(),
                tracking_number: c.tracking_number.as_ref().map(ToString::to_string),
                customer_id: order.customer_id.to_string(),
                evidence: c.evidence.iter().map(ToString::to_string).collect(),
            });
        }
    }
    Ok(out)
}

/// The contradiction overview: counts per code and the open ones with the
/// conversations of their customers.
#[derive(Clone, Debug, Serialize)]
pub struct ContradictionsPage {
    /// Every code with its count (zero included), in the fixed order.
    pub counts: Vec<(&'static str, usize)>,
    pub total: usize,
    pub open: Vec<OpenContradiction>,
    /// Conversation ids per customer id.
    pub conversations: BTreeMap<String, Vec<ConversationListRow>>,
}

/// Builds the contradiction overview; `code` narrows the list to one code.
pub async fn contradictions_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    code: Option<&str>,
) -> anyhow::Result<ContradictionsPage> {
    let all = open_contradictions(store, policy, now).await?;
    let counts = ContradictionCode::ALL
        .iter()
        .map(|c| (c.as_str(), all.iter().filter(|o| o.code == *c).count()))
        .collect();
    let total = all.len();
    let open: Vec<OpenContradiction> = all
        .into_iter()
        .filter(|o| code.is_none_or(|c| o.code.as_str() == c))
        .collect();
    let customers: Vec<String> = open
        .iter()
        .map(|o| o.customer_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut conversations: BTreeMap<String, Vec<ConversationListRow>> = BTreeMap::new();
    for chunk in customers.chunks(500) {
        let mut conn = store.read().await?;
        let rows = q::list_conversations(
            &mut conn,
            &ConversationFilter {
                customers: Some(chunk.to_vec()),
                limit: 500,
                ..ConversationFilter::default()
            },
        )
        .await?;
        for r in rows {
            if let Some(c) = r.customer_id.clone() {
                conversations.entry(c).or_default().push(r);
            }
        }
    }
    Ok(ContradictionsPage {
        counts,
        total,
        open,
        conversations,
    })
}

/// The customers with at least one open contradiction (the list's filter).
pub async fn customers_with_open_contradictions(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    Ok(open_contradictions(store, policy, now)
        .await?
        .into_iter()
        .map(|o| o.customer_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// The case queue.
#[derive(Clone, Debug, Serialize)]
pub struct CaseQueue {
    /// Callbacks to make, in slot order.
    pub callbacks: Vec<ConsoleCase>,
    /// Replacements and investigations waiting for a decision.
    pub to_decide: Vec<ConsoleCase>,
    /// Active cases past their due time (callback slots, promises).
    pub overdue: Vec<ConsoleCase>,
    /// Everything else that is open or in progress.
    pub other: Vec<ConsoleCase>,
    /// Promises the truth store shows as not kept (`promise_overdue`).
    pub overdue_promises: Vec<OpenContradiction>,
}

/// The active cases, sorted into what staff do next.
pub async fn case_queue(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<CaseQueue> {
    let now_ms = now.timestamp_millis();
    let cases = {
        let mut conn = store.read().await?;
        q::list_active_cases(&mut conn).await?
    };
    let mut queue = CaseQueue {
        callbacks: Vec::new(),
        to_decide: Vec::new(),
        overdue: Vec::new(),
        other: Vec::new(),
        overdue_promises: open_contradictions(store, policy, now)
            .await?
            .into_iter()
            .filter(|o| o.code == ContradictionCode::PromiseOverdue)
            .collect(),
    };
    for c in cases {
        if c.due_ms.is_some_and(|d| d < now_ms) {
            queue.overdue.push(c.clone());
        }
        match c.kind.as_str() {
            "callback" => queue.callbacks.push(c),
            "replacement" | "investigation" if c.status == "open" => queue.to_decide.push(c),
            _ => queue.other.push(c),
        }
    }
    Ok(queue)
}

/// One entry of a customer's history.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryItem {
    pub at_ms: i64,
    /// `conversation`, `case`, `order` or `channel`.
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
}

/// A customer's page: every channel, conversation, case and order in one timeline.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerPage {
    pub customer: CustomerInfo,
    pub channels: Vec<q::ChannelIdentity>,
    pub history: Vec<HistoryItem>,
    pub orders: Vec<OrderPanel>,
}

/// Builds a customer's page.
pub async fn customer_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    id: &str,
) -> anyhow::Result<Option<CustomerPage>> {
    let Some(customer) = customer_info(store, id).await? else {
        return Ok(None);
    };
    let cid = CustomerId::parse(id).map_err(anyhow::Error::msg)?;
    let (channels, convs, cases, numbers) = {
        let mut conn = store.read().await?;
        (
            q::list_channel_identities(&mut conn, id).await?,
            q::list_conversations_for_customer(&mut conn, id).await?,
            q::list_all_cases_for_customer(&mut conn, id).await?,
            records::list_order_numbers_for_customer(&mut conn, &cid).await?,
        )
    };
    let mut history = Vec::new();
    for ch in &channels {
        history.push(HistoryItem {
            at_ms: ch.linked_ms,
            kind: "channel",
            title: format!("linked on {}", ch.channel),
            detail: String::new(),
            link: None,
        });
    }
    for c in &convs {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "conversation",
            title: format!("conversation on {}", c.channel),
            detail: format!("{} messages", c.message_count),
            link: Some(format!("/console/conversations/{}", c.id)),
        });
    }
    for c in &cases {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "case",
            title: format!("{} ({})", c.kind, c.status),
            detail: c.order_number.clone().unwrap_or_default(),
            link: c
                .conversation_id
                .as_ref()
                .map(|v| format!("/console/conversations/{v}")),
        });
    }
    let mut orders = Vec::new();
    for n in numbers {
        if let Some(found) = lookup::order(store, policy, now, &n).await? {
            let panel = OrderPanel::new(found.view.clone());
            history.push(HistoryItem {
                at_ms: found.view.order.placed_at.timestamp_millis(),
                kind: "order",
                title: format!("order {}", panel.number),
                detail: if panel.in_dispute {
                    "contradictions open".into()
                } else {
                    String::new()
                },
                link: None,
            });
            orders.push(panel);
        }
    }
    history.sort_by_key(|h| std::cmp::Reverse(h.at_ms));
    Ok(Some(CustomerPage {
        customer,
        channels,
        history,
        orders,
    }))
}

/// A shipment's page: its timeline and its order's customer.
#[derive(Clone, Debug, Serialize)]
pub struct ShipmentPage {
    pub shipment: ShipmentPanel,
    pub customer_id: Option<String>,
}

/// Builds a shipment's page.
pub async fn shipment_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    tracking: &str,
) -> anyhow::Result<Option<ShipmentPage>> {
    let Ok(t) = TrackingNumber::parse(tracking) else {
        return Ok(None);
    };
    let Some(found) = lookup::shipment(store, policy, now, &t).await? else {
        return Ok(None);
    };
    let customer_id = {
        let mut conn = store.read().await?;
        records::order_customer(&mut conn, &found.view.order_number)
            .await?
            .map(|c| c.to_string())
    };
    Ok(Some(ShipmentPage {
        shipment: ShipmentPanel::new(found.view, &[]),
        customer_id,
    }))
}
