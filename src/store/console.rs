//! The staff console's queries: the conversation list with its filters and search, the
//! case queue and case decisions, a customer's channels, and the audit log.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::in_list;

/// Which conversations the list shows.
#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    /// `web`, `whatsapp` or `messenger`.
    pub channel: Option<String>,
    /// Only conversations whose customer is one of these (e.g. the customers with an
    /// open contradiction); `Some(empty)` matches nothing.
    pub customers: Option<Vec<String>>,
    /// Taken over by staff, or waiting for staff after a handoff.
    pub handed_to_staff: bool,
    /// The last message is the customer's: nobody has answered yet.
    pub waiting_for_answer: bool,
    /// An order number, tracking number, customer name or email.
    pub search: Option<String>,
    /// The staff member looking: their unread counts, and what "mine" means.
    pub viewer: Option<String>,
    /// Only the viewer's conversations (taken over by them), or only those waiting for
    /// staff that nobody has taken over yet.
    pub assigned: Option<Assigned>,
    pub offset: i64,
    pub limit: i64,
}

/// Whose conversations the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assigned {
    Mine,
    Unassigned,
}

/// One row of the conversation list.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ConversationListRow {
    pub id: String,
    pub channel: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub taken_over_by: Option<String>,
    /// The assistant's state says the conversation waits for staff.
    pub waiting_for_staff: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub message_count: i64,
    /// Who wrote the last message.
    pub last_role: Option<String>,
    /// The last message's text (the list shows its start).
    pub last_text: Option<String>,
    pub last_inbound_ms: Option<i64>,
    /// The customer's messages the viewer has not seen, in conversations handed to staff.
    pub unread: i64,
    /// The order the conversation is about (from the assistant's state).
    pub order_number: Option<String>,
    /// The display name (else the email) of the staff member who took it over.
    pub taken_over_name: Option<String>,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const WAITING_STATE: &str = "%\"waiting_for_staff\":true%";

/// A conversation staff answer, or one with an open handoff case (`c` is the conversation).
const HANDED: &str = "(c.taken_over_by IS NOT NULL OR EXISTS (SELECT 1 FROM cases k \
     WHERE k.conversation_id = c.id AND k.kind = 'handoff' AND k.status IN ('open', 'in_progress')))";

/// The conversations matching `f`, most recently active first; one more row than
/// `f.limit` is asked for, so the caller knows whether another page follows.
pub async fn list_conversations(
    conn: &mut AnyConnection,
    f: &ConversationFilter,
) -> anyhow::Result<Vec<ConversationListRow>> {
    let mut binds: Vec<String> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    // Each value gets its own placeholder (SQLite numbers `?` by position).
    let next = |conn: &AnyConnection, binds: &mut Vec<String>, v: String| {
        let p = in_list(conn, binds.len(), 1);
        binds.push(v);
        p
    };
    // Placeholders are created in the order they appear in the statement's text, so
    // that numbering (PostgreSQL) and position (SQLite) agree.
    let waiting = next(conn, &mut binds, WAITING_STATE.to_string());
    let unread = match &f.viewer {
        Some(v) => {
            let p = next(conn, &mut binds, v.clone());
            format!(
                "CASE WHEN {HANDED} THEN (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id \
                 AND m.role = 'customer' AND m.seq > COALESCE((SELECT r.seq FROM staff_reads r \
                 WHERE r.staff_id = {p} AND r.conversation_id = c.id), 0)) ELSE 0 END"
            )
        }
        None => "0".to_string(),
    };
    match (f.assigned, &f.viewer) {
        (Some(Assigned::Mine), Some(v)) => {
            let p = next(conn, &mut binds, v.clone());
            conds.push(format!("c.taken_over_by = {p}"));
        }
        (Some(Assigned::Mine), None) => conds.push("1 = 0".into()),
        (Some(Assigned::Unassigned), _) => {
            let p = next(conn, &mut binds, WAITING_STATE.to_string());
            conds.push(format!(
                "c.taken_over_by IS NULL AND (c.state LIKE {p} OR EXISTS (SELECT 1 FROM cases k \
                 WHERE k.conversation_id = c.id AND k.kind = 'handoff' AND k.status IN ('open', 'in_progress')))"
            ));
        }
        (None, _) => {}
    }
    if let Some(ch) = &f.channel {
        let p = next(conn, &mut binds, ch.clone());
        conds.push(format!("c.channel = {p}"));
    }
    if let Some(customers) = &f.customers {
        if customers.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let list: Vec<String> = customers
                .iter()
                .map(|c| next(conn, &mut binds, c.clone()))
                .collect();
            conds.push(format!("c.customer_id IN ({})", list.join(", ")));
        }
    }
    if f.handed_to_staff {
        let p = next(conn, &mut binds, WAITING_STATE.to_string());
        conds.push(format!(
            "(c.taken_over_by IS NOT NULL OR c.state LIKE {p} OR EXISTS (SELECT 1 FROM cases k \
             WHERE k.conversation_id = c.id AND k.kind = 'handoff' AND k.status IN ('open', 'in_progress')))"
        ));
    }
    if f.waiting_for_answer {
        conds.push(
            "(SELECT m.role FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) = 'customer'"
                .into(),
        );
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let name = next(
            conn,
            &mut binds,
            format!("%{}%", like_escape(&q.to_lowercase())),
        );
        let email = next(conn, &mut binds, q.to_lowercase());
        let order = next(conn, &mut binds, q.to_uppercase());
        let tracking = next(conn, &mut binds, q.replace(' ', "").to_uppercase());
        // A conversation that named an order before (or without) verifying keeps it in
        // its state.
        let mentioned = next(
            conn,
            &mut binds,
            format!("%\"{}\"%", like_escape(&q.to_uppercase())),
        );
        conds.push(format!(
            "(LOWER(cu.name) LIKE {name} ESCAPE '\\' OR cu.email = {email} \
             OR EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND o.number = {order}) \
             OR EXISTS (SELECT 1 FROM shipments s JOIN orders o ON o.number = s.order_number \
                        WHERE o.customer_id = c.customer_id AND s.tracking_number = {tracking}) \
             OR c.state LIKE {mentioned} ESCAPE '\\')"
        ));
    }
    let where_sql = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT c.id, c.channel, c.customer_id, cu.name AS customer_name, c.taken_over_by, \
         CASE WHEN c.state LIKE {waiting} THEN 1 ELSE 0 END AS waiting_for_staff, \
         c.created_ms, c.updated_ms, \
         (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, \
         (SELECT m.role FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) AS last_role, \
         (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role <> 'system' \
          ORDER BY m.seq DESC LIMIT 1) AS last_text, c.last_inbound_ms, c.state, {unread} AS unread, \
         COALESCE(su.display_name, su.email) AS taken_over_name \
         FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id \
         LEFT JOIN staff_users su ON su.id = c.taken_over_by \
         {where_sql} ORDER BY c.updated_ms DESC, c.id LIMIT {} OFFSET {}",
        f.limit.clamp(1, 500) + 1,
        f.offset.max(0)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for t in binds {
        q = q.bind(t);
    }
    let rows = q
        .fetch_all(&mut *conn)
        .await
        .context("listing conversations")?;
    rows.iter()
        .map(|r| {
            Ok(ConversationListRow {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                customer_id: r.try_get("customer_id")?,
                customer_name: r.try_get("customer_name")?,
                taken_over_by: r.try_get("taken_over_by")?,
                waiting_for_staff: r.try_get::<i64, _>("waiting_for_staff")? == 1,
                created_ms: r.try_get("created_ms")?,
                updated_ms: r.try_get("updated_ms")?,
                message_count: r.try_get("message_count")?,
                last_role: r.try_get("last_role")?,
                last_text: r.try_get("last_text")?,
                last_inbound_ms: r.try_get("last_inbound_ms")?,
                unread: r.try_get("unread")?,
                order_number: serde_json::from_str::<serde_json::Value>(
                    &r.try_get::<String, _>("state")?,
                )
                .ok()
                .and_then(|s| s["focus_order"].as_str().map(str::to_string)),
                taken_over_name: r.try_get("taken_over_name")?,
            })
        })
        .collect()
}

/// A case as the console shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ConsoleCase {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    /// For callbacks: the number to call (shown to staff, never logged).
    pub customer_phone: Option<String>,
    pub order_number: Option<String>,
    pub tracking_number: Option<String>,
    pub conversation_id: Option<String>,
    pub contradiction_code: Option<String>,
    pub details: serde_json::Value,
    pub due_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub resolved_by: Option<String>,
    pub resolution_note: Option<String>,
}

const CASE_SELECT: &str = "SELECT k.id, k.kind, k.status, k.customer_id, cu.name AS customer_name, \
     cu.phone AS customer_phone, k.order_number, k.tracking_number, k.conversation_id, \
     k.contradiction_code, k.details, k.due_ms, k.created_ms, k.updated_ms, k.resolved_by, \
     k.resolution_note FROM cases k LEFT JOIN customers cu ON cu.id = k.customer_id";

fn case_from_row(r: &AnyRow) -> anyhow::Result<ConsoleCase> {
    Ok(ConsoleCase {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        customer_phone: r.try_get("customer_phone")?,
        order_number: r.try_get("order_number")?,
        tracking_number: r.try_get("tracking_number")?,
        conversation_id: r.try_get("conversation_id")?,
        contradiction_code: r.try_get("contradiction_code")?,
        details: serde_json::from_str(&r.try_get::<String, _>("details")?)
            .unwrap_or(serde_json::Value::Null),
        due_ms: r.try_get("due_ms")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        resolved_by: r.try_get("resolved_by")?,
        resolution_note: r.try_get("resolution_note")?,
    })
}

async fn fetch_cases(
    conn: &mut AnyConnection,
    sql: String,
    bind: Option<&str>,
) -> anyhow::Result<Vec<ConsoleCase>> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(b) = bind {
        q = q.bind(b.to_string());
    }
    q.fetch_all(conn)
        .await
        .context("listing cases")?
        .iter()
        .map(case_from_row)
        .collect()
}

/// Every open or in-progress case, by due time (those without one last), then age.
pub async fn list_active_cases(conn: &mut AnyConnection) -> anyhow::Result<Vec<ConsoleCase>> {
    fetch_cases(
        conn,
        format!(
            "{CASE_SELECT} WHERE k.status IN ('open', 'in_progress') \
             ORDER BY CASE WHEN k.due_ms IS NULL THEN 1 ELSE 0 END, k.due_ms, k.created_ms, k.id"
        ),
        None,
    )
    .await
}

/// The cases a conversation set in motion, oldest first.
pub async fn list_cases_for_conversation(
    conn: &mut AnyConnection,
    conversation_id: &str,
) -> anyhow::Result<Vec<ConsoleCase>> {
    fetch_cases(
        conn,
        format!("{CASE_SELECT} WHERE k.conversation_id = $1 ORDER BY k.created_ms, k.id"),
        Some(conversation_id),
    )
    .await
}

/// Every case of a customer, oldest first.
pub async fn list_all_cases_for_customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> anyhow::Result<Vec<ConsoleCase>> {
    fetch_cases(
        conn,
        format!("{CASE_SELECT} WHERE k.customer_id = $1 ORDER BY k.created_ms, k.id"),
        Some(customer_id),
    )
    .await
}

/// A case by id.
pub async fn get_case(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<ConsoleCase>> {
    Ok(
        fetch_cases(conn, format!("{CASE_SELECT} WHERE k.id = $1"), Some(id))
            .await?
            .pop(),
    )
}

/// Moves an open or in-progress case to `status`, recording who did it and why.
/// Returns `false` when the case was not active any more (decided meanwhile).
pub async fn resolve_case(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    staff_id: &str,
    note: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE cases SET status = $2, resolved_by = $3, resolution_note = $4, updated_ms = $5 \
         WHERE id = $1 AND status IN ('open', 'in_progress')",
    )
    .bind(id)
    .bind(status)
    .bind(staff_id)
    .bind(note)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("resolving a case")?;
    Ok(done.rows_affected() == 1)
}

/// The latest 500 conversations of a customer, newest first.
pub async fn list_conversations_for_customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> anyhow::Result<Vec<ConversationListRow>> {
    let f = ConversationFilter {
        customers: Some(vec![customer_id.to_string()]),
        limit: 500,
        ..ConversationFilter::default()
    };
    let mut rows = list_conversations(conn, &f).await?;
    rows.truncate(500);
    Ok(rows)
}

/// A sender on a channel linked to a customer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChannelIdentity {
    pub channel: String,
    pub external_id: String,
    pub linked_ms: i64,
}

/// The channel senders linked to a customer, oldest link first.
pub async fn list_channel_identities(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> anyhow::Result<Vec<ChannelIdentity>> {
    sqlx::query(
        "SELECT channel, external_id, linked_ms FROM channel_identities WHERE customer_id = $1 \
         ORDER BY linked_ms, channel",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await
    .context("listing a customer's channels")?
    .iter()
    .map(|r| {
        Ok(ChannelIdentity {
            channel: r.try_get("channel")?,
            external_id: r.try_get("external_id")?,
            linked_ms: r.try_get("linked_ms")?,
        })
    })
    .collect()
}

/// One audit entry.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    /// The staff member's display name (else email), when a staff member acted.
    pub actor_name: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub details: Option<String>,
}

/// The audit log, newest first, `limit + 1` rows from `offset`.
pub async fn list_audit(
    conn: &mut AnyConnection,
    offset: i64,
    limit: i64,
) -> anyhow::Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT a.id, a.at_ms, a.actor, COALESCE(su.display_name, su.email) AS actor_name, \
         a.action, a.subject, a.details FROM audit_log a \
         LEFT JOIN staff_users su ON a.actor = 'staff:' || su.id \
         ORDER BY a.id DESC LIMIT {} OFFSET {}",
        limit.clamp(1, 1000) + 1,
        offset.max(0)
    );
    sqlx::query(AssertSqlSafe(sql))
        .fetch_all(conn)
        .await
        .context("reading the audit log")?
        .iter()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                at_ms: r.try_get("at_ms")?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("actor_name")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                details: r.try_get("details")?,
            })
        })
        .collect()
}

/// What the widget's live stream watches of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConversation {
    /// The number of the last message the customer can see (0: none).
    pub last_seq: i64,
    pub taken_over_by: Option<String>,
    /// The assistant's state (JSON).
    pub state: String,
}

/// The live view of one conversation, if it exists.
pub async fn live_conversation(
    conn: &mut AnyConnection,
    id: &str,
) -> anyhow::Result<Option<LiveConversation>> {
    let row = sqlx::query(
        "SELECT c.taken_over_by, c.state, (SELECT MAX(m.seq) FROM messages m \
         WHERE m.conversation_id = c.id AND m.role <> 'system') AS last_seq \
         FROM conversations c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
    .context("reading a conversation's live state")?;
    row.map(|r| {
        Ok(LiveConversation {
            last_seq: r.try_get::<Option<i64>, _>("last_seq")?.unwrap_or(0),
            taken_over_by: r.try_get("taken_over_by")?,
            state: r.try_get("state")?,
        })
    })
    .transpose()
}

/// Records that a staff member has seen a conversation up to message `seq`; returns
/// when they had looked at it before (`None`: never).
pub async fn mark_read(
    conn: &mut AnyConnection,
    staff_id: &str,
    conversation_id: &str,
    seq: i64,
    now_ms: i64,
) -> anyhow::Result<Option<i64>> {
    let before: Option<i64> =
        sqlx::query("SELECT read_ms FROM staff_reads WHERE staff_id = $1 AND conversation_id = $2")
            .bind(staff_id)
            .bind(conversation_id)
            .fetch_optional(&mut *conn)
            .await
            .context("reading what staff have read")?
            .map(|r| r.try_get(0))
            .transpose()?;
    sqlx::query(
        "INSERT INTO staff_reads (staff_id, conversation_id, seq, read_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (staff_id, conversation_id) DO UPDATE SET seq = excluded.seq, read_ms = excluded.read_ms",
    )
    .bind(staff_id)
    .bind(conversation_id)
    .bind(seq)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("recording what staff have read")?;
    Ok(before)
}

/// What the console's live stream watches: when anything changed, which conversations
/// wait for a person that nobody has taken over, and the viewer's unread count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConsolePulse {
    /// The last change of any conversation and of any case, and the number of cases.
    pub changed: (i64, i64, i64),
    pub waiting: Vec<String>,
    pub unread: i64,
}

/// The console's pulse for `staff_id`.
pub async fn console_pulse(
    conn: &mut AnyConnection,
    staff_id: &str,
) -> anyhow::Result<ConsolePulse> {
    let conv: i64 = sqlx::query("SELECT COALESCE(MAX(updated_ms), 0) FROM conversations")
        .fetch_one(&mut *conn)
        .await
        .context("reading the last conversation change")?
        .try_get(0)?;
    let cases = sqlx::query("SELECT COALESCE(MAX(updated_ms), 0), COUNT(*) FROM cases")
        .fetch_one(&mut *conn)
        .await
        .context("reading the last case change")?;
    let waiting = sqlx::query(
        "SELECT k.conversation_id FROM cases k JOIN conversations c ON c.id = k.conversation_id \
         WHERE k.kind = 'handoff' AND k.status IN ('open', 'in_progress') AND c.taken_over_by IS NULL \
         ORDER BY k.created_ms, k.id",
    )
    .fetch_all(&mut *conn)
    .await
    .context("listing the conversations waiting for staff")?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<Vec<String>, _>>()?;
    let unread: i64 = sqlx::query(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.role = 'customer' AND {HANDED} AND m.seq > COALESCE((SELECT r.seq FROM staff_reads r \
         WHERE r.staff_id = $1 AND r.conversation_id = m.conversation_id), 0)"
    )))
    .bind(staff_id)
    .fetch_one(&mut *conn)
    .await
    .context("counting unread messages")?
    .try_get(0)?;
    Ok(ConsolePulse {
        changed: (conv, cases.try_get(0)?, cases.try_get(1)?),
        waiting,
        unread,
    })
}
