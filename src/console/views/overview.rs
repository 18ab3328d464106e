//! The contradiction overview and the case queue.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::console::{self as q, ConsoleCase, ConversationFilter, ConversationListRow};
use crate::store::{Store, events, records};
use crate::truth::{ContradictionCode, Policy, reconcile_order};

/// How far back the contradiction overview looks: orders placed in these many days.
pub const SCAN_DAYS: i64 = 90;

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
