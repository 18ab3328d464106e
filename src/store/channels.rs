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
    /// `pending | sending | unknown | sent | delivered | read | failed | dead`; `unknown`:
    /// a send whose outcome nobody knows (a timeout, a lease that ran out mid-request).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The order within the conversation.
    pub position: i64,
    /// Times sent again after an unknown outcome (at most once).
    pub unknown_resends: i64,
}

const OUTBOX_COLUMNS: &str = "id, conversation_id, message_id, channel, recipient, payload, \
     status, attempts, next_attempt_ms, provider_message_id, last_error, created_ms, updated_ms, position, unknown_resends";

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
        unknown_resends: r.try_get("unknown_resends")?,
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

/// The unfinished rows (pending, being sent, or of unknown outcome), oldest
/// conversation position first.
pub async fn list_unsent_outbox(
    conn: &mut AnyConnection,
    limit: i64,
) -> anyhow::Result<Vec<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending', 'unknown') \
         ORDER BY conversation_id, position LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await
        .context("listing unsent outbox rows")?;
    rows.iter().map(outbox_from_row).collect()
}

/// A conversation's first unfinished row, if any.
pub async fn first_unsent_outbox(
    conn: &mut AnyConnection,
    conversation_id: &str,
) -> anyhow::Result<Option<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE conversation_id = $1 \
         AND status IN ('pending', 'sending', 'unknown') ORDER BY position LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(conversation_id)
        .fetch_optional(conn)
        .await
        .context("reading a conversation's next outbox row")?;
    row.as_ref().map(outbox_from_row).transpose()
}

/// Whether a stored message has its outbox rows (it was queued for its channel).
pub async fn outbox_exists_for_message(
    conn: &mut AnyConnection,
    message_id: &str,
) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM outbox WHERE message_id = $1 LIMIT 1")
        .bind(message_id)
        .fetch_optional(conn)
        .await
        .context("looking up a message's outbox rows")?;
    Ok(row.is_some())
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

/// Claims a row in status `from` (`pending`, or `unknown` for its one resend) for
/// sending by `owner` until `lease_until_ms` (wall clock); `false` when another worker
/// got it first.
pub async fn claim_outbox(
    conn: &mut AnyConnection,
    id: &str,
    from: &str,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_ms = $3, \
         claimed_by = $4, lease_until_ms = $5, \
         unknown_resends = unknown_resends + CASE WHEN $2 = 'unknown' THEN 1 ELSE 0 END \
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from)
    .bind(now_ms)
    .bind(owner)
    .bind(lease_until_ms)
    .execute(conn)
    .await
    .context("claiming an outbox row")?;
    Ok(done.rows_affected() == 1)
}

/// Rows left `sending` whose lease ran out (their sender died or hung mid-request):
/// whether Meta got them nobody knows, so they are not sent again blindly; they become
/// `unknown`, due for a decision at `decide_at_ms` (a status webhook may settle them
/// first).
pub async fn expire_sending_outbox(
    conn: &mut AnyConnection,
    wall_now_ms: i64,
    decide_at_ms: i64,
    now_ms: i64,
) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'unknown', next_attempt_ms = $2, updated_ms = $3, \
         claimed_by = NULL, last_error = $4 \
         WHERE status = 'sending' AND (lease_until_ms IS NULL OR lease_until_ms < $1)",
    )
    .bind(wall_now_ms)
    .bind(decide_at_ms)
    .bind(now_ms)
    .bind("interrupted while sending: the outcome is unknown")
    .execute(conn)
    .await
    .context("expiring interrupted outbox rows")?;
    Ok(done.rows_affected())
}

/// A row of unknown outcome that a status webhook showed Meta accepted: it takes the
/// provider's id and the reported state.
pub async fn settle_unknown_outbox(
    conn: &mut AnyConnection,
    id: &str,
    provider_message_id: &str,
    status: &str,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = $3, provider_message_id = $2, updated_ms = $4, \
         last_error = NULL WHERE id = $1 AND status = 'unknown'",
    )
    .bind(id)
    .bind(provider_message_id)
    .bind(status)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("settling an outbox row of unknown outcome")?;
    Ok(done.rows_affected() == 1)
}

/// A row of unknown outcome sent once more without word from Meta: dead, with why.
pub async fn bury_unknown_outbox(
    conn: &mut AnyConnection,
    id: &str,
    why: &str,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'dead', last_error = $2, updated_ms = $3 \
         WHERE id = $1 AND status = 'unknown'",
    )
    .bind(id)
    .bind(why)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("giving up an outbox row of unknown outcome")?;
    Ok(done.rows_affected() == 1)
}

/// One outbox row by id.
pub async fn get_outbox(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<OutboxRow>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading an outbox row")?;
    row.as_ref().map(outbox_from_row).transpose()
}

/// What one sending attempt came to.
#[derive(Clone, Copy, Debug)]
pub struct AttemptOutcome<'a> {
    pub status: &'a str,
    pub provider_message_id: Option<&'a str>,
    pub last_error: Option<&'a str>,
    pub next_attempt_ms: i64,
}

/// Records the outcome of a sending attempt if `owner` still holds the row (`false`:
/// its lease ran out and the row was given up as `unknown` meanwhile).
pub async fn finish_outbox_attempt(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    outcome: &AttemptOutcome<'_>,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let AttemptOutcome {
        status,
        provider_message_id,
        last_error,
        next_attempt_ms,
    } = *outcome;
    let done = sqlx::query(
        "UPDATE outbox SET status = $2, provider_message_id = COALESCE($3, provider_message_id), \
         last_error = $4, next_attempt_ms = $5, updated_ms = $6, claimed_by = NULL, \
         lease_until_ms = NULL WHERE id = $1 AND status = 'sending' AND claimed_by = $7",
    )
    .bind(id)
    .bind(status)
    .bind(provider_message_id)
    .bind(last_error)
    .bind(next_attempt_ms)
    .bind(now_ms)
    .bind(owner)
    .execute(conn)
    .await
    .context("recording an outbox attempt")?;
    Ok(done.rows_affected() == 1)
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
