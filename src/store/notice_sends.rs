//! The console's view of notices: each notice with the state of its outbox rows, and
//! holding or releasing the ones not sent yet (staff hold an order's notices).

use anyhow::Context;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A notice and how far its sending got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeSend {
    pub id: String,
    pub order_number: String,
    pub code: String,
    pub person: String,
    pub channel: String,
    /// `queued | held | suppressed | unreachable` (the notice's own state).
    pub status: String,
    pub reason: Option<String>,
    pub outbox_id: Option<String>,
    pub send_after_ms: i64,
    pub created_ms: i64,
    /// The state of its (first) outbox row: `pending`, `sent`, `delivered`, `failed`, …
    pub outbox_status: Option<String>,
    /// When that row last changed (sent, failed, …).
    pub outbox_updated_ms: Option<i64>,
}

/// An order's notices with their outbox state, newest first.
pub async fn list_notice_sends(
    conn: &mut AnyConnection,
    order: &str,
) -> anyhow::Result<Vec<NoticeSend>> {
    sqlx::query(
        "SELECT n.id, n.order_number, n.code, n.person, n.channel, n.status, n.reason, \
         n.outbox_id, n.send_after_ms, n.created_ms, o.status AS outbox_status, \
         o.updated_ms AS outbox_updated_ms \
         FROM notices n LEFT JOIN outbox o ON o.id = n.outbox_id \
         WHERE n.order_number = $1 ORDER BY n.created_ms DESC, n.id LIMIT 200",
    )
    .bind(order)
    .fetch_all(conn)
    .await
    .context("listing an order's notices")?
    .iter()
    .map(|r| {
        Ok(NoticeSend {
            id: r.try_get("id")?,
            order_number: r.try_get("order_number")?,
            code: r.try_get("code")?,
            person: r.try_get("person")?,
            channel: r.try_get("channel")?,
            status: r.try_get("status")?,
            reason: r.try_get("reason")?,
            outbox_id: r.try_get("outbox_id")?,
            send_after_ms: r.try_get("send_after_ms")?,
            created_ms: r.try_get("created_ms")?,
            outbox_status: r.try_get("outbox_status")?,
            outbox_updated_ms: r.try_get("outbox_updated_ms")?,
        })
    })
    .collect()
}

/// The outbox rows of one notice: its first row (`first_row`) and the rows queued with it
/// (same conversation, same moment, no chat message).
const ROWS_OF_NOTICE: &str = "id = $1 OR (message_id IS NULL AND conversation_id = \
     (SELECT conversation_id FROM outbox WHERE id = $1) AND created_ms = \
     (SELECT created_ms FROM outbox WHERE id = $1))";

/// Holds a queued notice whose rows were not sent yet: its pending rows become `held`
/// (the sender skips them) and the notice `held`. `false` when nothing was left to hold.
pub async fn hold_queued_notice(
    conn: &mut AnyConnection,
    notice_id: &str,
    first_row: &str,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE outbox SET status = 'held', last_error = 'held by staff', updated_ms = $2 \
         WHERE status = 'pending' AND ({ROWS_OF_NOTICE})"
    )))
    .bind(first_row)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .context("holding a notice's outbox rows")?
    .rows_affected();
    if rows == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE notices SET status = 'held', reason = 'held by staff' WHERE id = $1")
        .bind(notice_id)
        .execute(conn)
        .await
        .context("marking a notice held")?;
    Ok(true)
}

/// Sends a held notice's rows after all: `pending` again, due at `due_ms`; the notice
/// `queued`.
pub async fn release_held_notice(
    conn: &mut AnyConnection,
    notice_id: &str,
    first_row: &str,
    now_ms: i64,
    due_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE outbox SET status = 'pending', last_error = NULL, updated_ms = $2, \
         next_attempt_ms = $3 WHERE status = 'held' AND ({ROWS_OF_NOTICE})"
    )))
    .bind(first_row)
    .bind(now_ms)
    .bind(due_ms)
    .execute(&mut *conn)
    .await
    .context("releasing a notice's outbox rows")?;
    sqlx::query("UPDATE notices SET status = 'queued', reason = NULL WHERE id = $1")
        .bind(notice_id)
        .execute(conn)
        .await
        .context("marking a notice queued")?;
    Ok(())
}

/// Forgets a notice that was held before it was ever composed (no outbox rows), so that
/// the next look at its order composes and sends it anew.
pub async fn forget_unsent_notice(conn: &mut AnyConnection, notice_id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM notices WHERE id = $1 AND status = 'held' AND outbox_id IS NULL")
        .bind(notice_id)
        .execute(conn)
        .await
        .context("forgetting a held notice")?;
    Ok(())
}
