//! WhatsApp and Messenger: the raw webhook deliveries (stored before anything else
//! happens) and the outbox every outbound channel message goes through.

use anyhow::Context;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A stored webhook delivery waiting to be processed.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    pub id: String,
    pub channel: String,
    pub received_ms: i64,
    /// The raw body as received (its signature was verified).
    pub body: String,
}

/// Stores a raw delivery.
pub async fn insert_delivery(
    conn: &mut AnyConnection,
    id: &str,
    channel: &str,
    received_ms: i64,
    body: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, channel, received_ms, body) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(channel)
    .bind(received_ms)
    .bind(body)
    .execute(conn)
    .await
    .context("storing a webhook delivery")?;
    Ok(())
}

/// The oldest deliveries not processed yet.
pub async fn list_unprocessed_deliveries(
    conn: &mut AnyConnection,
    limit: i64,
) -> anyhow::Result<Vec<DeliveryRow>> {
    let rows = sqlx::query(
        "SELECT id, channel, received_ms, body FROM webhook_deliveries \
         WHERE processed_ms IS NULL ORDER BY received_ms, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("listing unprocessed webhook deliveries")?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                received_ms: r.try_get("received_ms")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

/// Marks a delivery processed, with what went wrong (never message text).
pub async fn mark_delivery_processed(
    conn: &mut AnyConnection,
    id: &str,
    now_ms: i64,
    error: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE webhook_deliveries SET processed_ms = $2, error = $3 WHERE id = $1")
        .bind(id)
        .bind(now_ms)
        .bind(error)
        .execute(conn)
        .await
        .context("marking a webhook delivery processed")?;
    Ok(())
}

/// An outbox row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxRow {
    pub id: String,
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub channel: String,
    /// wa_id, WhatsApp user id or PSID.
    #[serde(skip)]
    pub recipient: String,
    /// The Graph API request body (JSON).
    #[serde(skip)]
    pub payload: String,
    /// `pending | sending | sent | delivered | read | failed | dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The order within the conversation.
    pub position: i64,
}

const OUTBOX_COLUMNS: &str = "id, conversation_id, message_id, channel, recipient, payload, \
     status, attempts, next_attempt_ms, provider_message_id, last_error, created_ms, updated_ms, position";

fn outbox_from_row(r: &AnyRow) -> anyhow::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        message_id: r.try_get("message_id")?,
        channel: r.try_get("channel")?,
        recipient: r.try_get("recipient")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_ms: r.try_get("next_attempt_ms")?,
        provider_message_id: r.try_get("provider_message_id")?,
        last_error: r.try_get("last_error")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        position: r.try_get("position")?,
    })
}

/// Queues a row at the end of its conversation's outbox; `position` is assigned.
pub async fn insert_outbox(conn: &mut AnyConnection, o: &mut OutboxRow) -> anyhow::Result<()> {
    let row = sqlx::query(
        "INSERT INTO outbox (id, conversation_id, message_id, channel, recipient, payload, status, \
         attempts, next_attempt_ms, provider_message_id, last_error, created_ms, updated_ms, position) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, COALESCE(MAX(position), 0) + 1 \
         FROM outbox WHERE conversation_id = $2 RETURNING position",
    )
    .bind(&o.id)
    .bind(&o.conversation_id)
    .bind(o.message_id.as_deref())
    .bind(&o.channel)
    .bind(&o.recipient)
    .bind(&o.payload)
    .bind(&o.status)
    .bind(o.attempts)
    .bind(o.next_attempt_ms)
    .bind(o.provider_message_id.as_deref())
    .bind(o.last_error.as_deref())
    .bind(o.created_ms)
    .bind(o.updated_ms)
    .fetch_one(conn)
    .await
    .context("queueing an outbound message")?;
    o.position = row.try_get(0)?;
    Ok(())
}

/// The unfinished rows (pending or being sent), oldest conversation position first.
pub async fn list_unsent_outbox(
    conn: &mut AnyConnection,
    limit: i64,
) -> anyhow::Result<Vec<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending') \
         ORDER BY conversation_id, position LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await
        .context("listing unsent outbox rows")?;
    rows.iter().map(outbox_from_row).collect()
}

/// The outbox rows of a conversation, in order.
pub async fn list_outbox_for_conversation(
    conn: &mut AnyConnection,
    conversation_id: &str,
) -> anyhow::Result<Vec<OutboxRow>> {
    let sql =
        format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE conversation_id = $1 ORDER BY position");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(conversation_id)
        .fetch_all(conn)
        .await
        .context("listing a conversation's outbox")?;
    rows.iter().map(outbox_from_row).collect()
}

/// Claims a pending row for sending; `false` when another worker got it first.
pub async fn claim_outbox(conn: &mut AnyConnection, id: &str, now_ms: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_ms = $2 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("claiming an outbox row")?;
    Ok(done.rows_affected() == 1)
}

/// Records the outcome of a sending attempt.
pub async fn finish_outbox_attempt(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    provider_message_id: Option<&str>,
    last_error: Option<&str>,
    next_attempt_ms: i64,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = $2, provider_message_id = COALESCE($3, provider_message_id), \
         last_error = $4, next_attempt_ms = $5, updated_ms = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(provider_message_id)
    .bind(last_error)
    .bind(next_attempt_ms)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("recording an outbox attempt")?;
    Ok(())
}

/// Rows left `sending` by a process that stopped mid-request: the Graph API has no
/// idempotency key, so they are not sent again blindly; they are dead, for staff.
pub async fn bury_interrupted_outbox(
    conn: &mut AnyConnection,
    older_than_ms: i64,
    now_ms: i64,
) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'dead', last_error = $2, updated_ms = $3 \
         WHERE status = 'sending' AND updated_ms < $1",
    )
    .bind(older_than_ms)
    .bind("interrupted while sending: the outcome is unknown, so it was not sent again")
    .bind(now_ms)
    .execute(conn)
    .await
    .context("burying interrupted outbox rows")?;
    Ok(done.rows_affected())
}

/// The row sent with this provider message id (wamid, mid).
pub async fn find_outbox_by_provider_id(
    conn: &mut AnyConnection,
    provider_message_id: &str,
) -> anyhow::Result<Option<OutboxRow>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE provider_message_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(provider_message_id)
        .fetch_optional(conn)
        .await
        .context("finding an outbox row by provider id")?;
    row.as_ref().map(outbox_from_row).transpose()
}

/// Sets a row's delivery state (from a status webhook).
pub async fn set_outbox_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    last_error: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = $2, last_error = COALESCE($3, last_error), updated_ms = $4 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(last_error)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("updating an outbox row's delivery state")?;
    Ok(())
}

/// Messenger's read receipt: every message sent to `recipient` up to the watermark
/// has been read.
pub async fn mark_outbox_read_until(
    conn: &mut AnyConnection,
    channel: &str,
    recipient: &str,
    watermark_ms: i64,
    now_ms: i64,
) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'read', updated_ms = $4 WHERE channel = $1 AND recipient = $2 \
         AND status IN ('sent', 'delivered') AND created_ms <= $3",
    )
    .bind(channel)
    .bind(recipient)
    .bind(watermark_ms)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("marking outbox rows read")?;
    Ok(done.rows_affected())
}

/// Whether a message with this channel message id (wamid, mid) is stored already.
pub async fn channel_message_exists(
    conn: &mut AnyConnection,
    channel_message_id: &str,
) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM messages WHERE channel_message_id = $1")
        .bind(channel_message_id)
        .fetch_optional(conn)
        .await
        .context("looking up a channel message id")?;
    Ok(row.is_some())
}
