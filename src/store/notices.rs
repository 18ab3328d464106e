//! Notices (what Verity told a person first), opt-outs and staff holds.

use anyhow::Context;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A notice as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoticeRow {
    pub id: String,
    pub order_number: String,
    pub code: String,
    pub fingerprint: String,
    pub person: String,
    pub channel: String,
    pub locale: String,
    /// `queued | held | suppressed | unreachable`.
    pub status: String,
    pub reason: Option<String>,
    pub outbox_id: Option<String>,
    pub send_after_ms: i64,
    pub created_ms: i64,
}

/// Stores a notice unless one for the same order, code, fingerprint and person exists;
/// `true` when it was stored (the unique key decides, also between processes).
pub async fn insert_notice(conn: &mut AnyConnection, n: &NoticeRow) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO notices (id, order_number, code, fingerprint, person, channel, locale, \
         status, reason, outbox_id, send_after_ms, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (order_number, code, fingerprint, person) DO NOTHING",
    )
    .bind(&n.id)
    .bind(&n.order_number)
    .bind(&n.code)
    .bind(&n.fingerprint)
    .bind(&n.person)
    .bind(&n.channel)
    .bind(&n.locale)
    .bind(&n.status)
    .bind(n.reason.as_deref())
    .bind(n.outbox_id.as_deref())
    .bind(n.send_after_ms)
    .bind(n.created_ms)
    .execute(conn)
    .await
    .context("storing a notice")?;
    Ok(done.rows_affected() == 1)
}

/// Whether a notice for this order, code, fingerprint and person is stored.
pub async fn notice_exists(
    conn: &mut AnyConnection,
    order: &str,
    code: &str,
    fingerprint: &str,
    person: &str,
) -> anyhow::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM notices WHERE order_number = $1 AND code = $2 AND fingerprint = $3 \
         AND person = $4",
    )
    .bind(order)
    .bind(code)
    .bind(fingerprint)
    .bind(person)
    .fetch_optional(conn)
    .await
    .context("looking up a notice")?;
    Ok(row.is_some())
}

/// How many notices were queued for a person since `since_ms` (the daily cap).
pub async fn count_queued_since(
    conn: &mut AnyConnection,
    person: &str,
    since_ms: i64,
) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM notices WHERE person = $1 AND created_ms >= $2 AND status = 'queued'",
    )
    .bind(person)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .context("counting a person's notices")?;
    Ok(row.try_get(0)?)
}

/// An order's notices, newest first (the console).
pub async fn list_for_order(
    conn: &mut AnyConnection,
    order: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    list_where(conn, "order_number", order).await
}

/// A person's notices, newest first (the console's customer page).
pub async fn list_for_person(
    conn: &mut AnyConnection,
    person: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    list_where(conn, "person", person).await
}

async fn list_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT id, order_number, code, fingerprint, person, channel, locale, status, reason, \
         outbox_id, send_after_ms, created_ms FROM notices WHERE {column} = $1 \
         ORDER BY created_ms DESC, id LIMIT 200"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_all(conn)
        .await
        .context("listing notices")?;
    rows.iter()
        .map(|r| {
            Ok(NoticeRow {
                id: r.try_get("id")?,
                order_number: r.try_get("order_number")?,
                code: r.try_get("code")?,
                fingerprint: r.try_get("fingerprint")?,
                person: r.try_get("person")?,
                channel: r.try_get("channel")?,
                locale: r.try_get("locale")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
                outbox_id: r.try_get("outbox_id")?,
                send_after_ms: r.try_get("send_after_ms")?,
                created_ms: r.try_get("created_ms")?,
            })
        })
        .collect()
}

/// Records that a person wants no more notices (idempotent).
pub async fn opt_out(
    conn: &mut AnyConnection,
    person: &str,
    channel: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO notice_optouts (person, channel, created_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (person) DO NOTHING",
    )
    .bind(person)
    .bind(channel)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("storing an opt-out")?;
    Ok(())
}

/// Clears a person's opt-out; `true` when there was one.
pub async fn opt_in(conn: &mut AnyConnection, person: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM notice_optouts WHERE person = $1")
        .bind(person)
        .execute(conn)
        .await
        .context("clearing an opt-out")?;
    Ok(done.rows_affected() > 0)
}

/// A person's opt-out: the channel they asked on and when.
pub async fn get_optout(
    conn: &mut AnyConnection,
    person: &str,
) -> anyhow::Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT channel, created_ms FROM notice_optouts WHERE person = $1")
        .bind(person)
        .fetch_optional(conn)
        .await
        .context("reading an opt-out")?;
    row.map(|r| Ok((r.try_get("channel")?, r.try_get("created_ms")?)))
        .transpose()
}

/// Whether a person opted out of notices.
pub async fn opted_out(conn: &mut AnyConnection, person: &str) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM notice_optouts WHERE person = $1")
        .bind(person)
        .fetch_optional(conn)
        .await
        .context("reading an opt-out")?;
    Ok(row.is_some())
}

/// Holds (or releases) an order's notices.
pub async fn set_hold(
    conn: &mut AnyConnection,
    order: &str,
    staff_id: Option<&str>,
    hold: bool,
    now_ms: i64,
) -> anyhow::Result<()> {
    let q = if hold {
        sqlx::query(
            "INSERT INTO notice_holds (order_number, staff_id, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (order_number) DO NOTHING",
        )
        .bind(order)
        .bind(staff_id)
        .bind(now_ms)
    } else {
        sqlx::query("DELETE FROM notice_holds WHERE order_number = $1").bind(order)
    };
    q.execute(conn).await.context("holding notices")?;
    Ok(())
}

/// Whether staff hold an order's notices.
pub async fn held(conn: &mut AnyConnection, order: &str) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM notice_holds WHERE order_number = $1")
        .bind(order)
        .fetch_optional(conn)
        .await
        .context("reading a notice hold")?;
    Ok(row.is_some())
}

/// A person's most recent conversation (by its last message from them).
#[derive(Clone, Debug)]
pub struct LastChat {
    pub id: String,
    pub channel: String,
    pub external_id: Option<String>,
    pub last_inbound_ms: Option<i64>,
}

/// The conversation a person last wrote in, on any channel.
pub async fn last_chat(conn: &mut AnyConnection, person: &str) -> anyhow::Result<Option<LastChat>> {
    let row = sqlx::query(
        "SELECT id, channel, external_id, last_inbound_ms FROM conversations \
         WHERE customer_id = $1 ORDER BY COALESCE(last_inbound_ms, 0) DESC, updated_ms DESC LIMIT 1",
    )
    .bind(person)
    .fetch_optional(conn)
    .await
    .context("reading a person's last conversation")?;
    row.map(|r| {
        Ok(LastChat {
            id: r.try_get("id")?,
            channel: r.try_get("channel")?,
            external_id: r.try_get("external_id")?,
            last_inbound_ms: r.try_get("last_inbound_ms")?,
        })
    })
    .transpose()
}

/// The orders the time sweep re-reconciles: those placed since `since_ms` that have a
/// shipment (stale tracking and overdue promises can only appear there), newest first,
/// at most `limit` (the `orders_placed` index keeps this a range read).
pub async fn sweep_candidates(
    conn: &mut AnyConnection,
    since_ms: i64,
    limit: i64,
) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT o.number FROM orders o WHERE o.placed_ms >= $1 \
         AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_number = o.number) \
         ORDER BY o.placed_ms DESC LIMIT $2",
    )
    .bind(since_ms)
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("listing the orders of the sweep")?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
