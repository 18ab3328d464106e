//! WhatsApp and Messenger: the raw webhook deliveries (stored before anything else
//! happens) and the outbox every outbound channel message goes through.

use anyhow::Context;
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::sql::{self, Value, values};
use super::{Cols, Store};

/// A stored webhook delivery waiting to be processed.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    pub id: String,
    pub channel: String,
    pub received_ms: i64,
    /// The raw body as received (its signature was verified).
    pub body: String,
}

/// Stores a raw delivery: durable when it returns (on a SQLite file committed with the
/// other writes waiting, ahead of the ordinary ones, see [`super::lite`]).
pub async fn insert_delivery(
    store: &Store,
    id: &str,
    channel: &str,
    received_ms: i64,
    body: &str,
) -> anyhow::Result<()> {
    store
        .write_execute_urgent(
            "INSERT INTO webhook_deliveries (id, channel, received_ms, body) VALUES ($1, $2, $3, $4)",
            values![id, channel, received_ms, body],
            "storing a webhook delivery",
        )
        .await?;
    Ok(())
}

/// A delivery's columns, as [`delivery_from`] reads them.
macro_rules! delivery_columns {
    () => {
        "id, channel, received_ms, body"
    };
}
pub(crate) use delivery_columns;

/// The one decoder of a delivery row, for both drivers.
pub(crate) fn delivery_from(r: &dyn Cols) -> anyhow::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.text("id")?,
        channel: r.text("channel")?,
        received_ms: r.int("received_ms")?,
        body: r.text("body")?,
    })
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

/// An outbox row's columns, as [`outbox_from`] reads them.
macro_rules! outbox_columns {
    () => {
        "id, conversation_id, message_id, channel, recipient, payload, status, attempts, \
         next_attempt_ms, provider_message_id, last_error, created_ms, updated_ms, position, \
         unknown_resends"
    };
}

const OUTBOX_COLUMNS: &str = outbox_columns!();

/// The one decoder of an outbox row, for both drivers.
fn outbox_from(r: &dyn Cols) -> anyhow::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.text("id")?,
        conversation_id: r.text("conversation_id")?,
        message_id: r.opt_text("message_id")?,
        channel: r.text("channel")?,
        recipient: r.text("recipient")?,
        payload: r.text("payload")?,
        status: r.text("status")?,
        attempts: r.int("attempts")?,
        next_attempt_ms: r.int("next_attempt_ms")?,
        provider_message_id: r.opt_text("provider_message_id")?,
        last_error: r.opt_text("last_error")?,
        created_ms: r.int("created_ms")?,
        updated_ms: r.int("updated_ms")?,
        position: r.int("position")?,
        unknown_resends: r.int("unknown_resends")?,
    })
}

fn outbox_from_row(r: &AnyRow) -> anyhow::Result<OutboxRow> {
    outbox_from(r)
}

const INSERT_OUTBOX: &str = "INSERT INTO outbox (id, conversation_id, message_id, channel, \
     recipient, payload, status, attempts, next_attempt_ms, provider_message_id, last_error, \
     created_ms, updated_ms, position) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, COALESCE(MAX(position), 0) + 1 \
     FROM outbox WHERE conversation_id = $2 RETURNING position";

fn outbox_values(o: &OutboxRow) -> [Value; 13] {
    values![
        &o.id,
        &o.conversation_id,
        &o.message_id,
        &o.channel,
        &o.recipient,
        &o.payload,
        &o.status,
        o.attempts,
        o.next_attempt_ms,
        &o.provider_message_id,
        &o.last_error,
        o.created_ms,
        o.updated_ms,
    ]
}

fn position_from(r: &dyn Cols) -> anyhow::Result<i64> {
    r.int("position")
}

/// Queues a row at the end of its conversation's outbox; `position` is assigned.
pub async fn insert_outbox(conn: &mut AnyConnection, o: &mut OutboxRow) -> anyhow::Result<()> {
    let at = sql::fetch(conn, INSERT_OUTBOX, &outbox_values(o), position_from)
        .await
        .context("queueing an outbound message")?;
    o.position = at.first().copied().context("no position returned")?;
    Ok(())
}

/// Queues rows at the end of their conversations' outboxes, all or none, in one write
/// (on a SQLite file committed with the other writes waiting); positions are assigned.
pub async fn queue_outbox(store: &Store, rows: Vec<OutboxRow>) -> anyhow::Result<Vec<OutboxRow>> {
    if let Some(lite) = store.lite() {
        return lite
            .write(move |c| {
                let mut rows = rows.clone();
                for o in &mut rows {
                    let at = sql::lite_fetch(c, INSERT_OUTBOX, &outbox_values(o), position_from)?;
                    o.position = at.first().copied().context("no position returned")?;
                }
                Ok(rows)
            })
            .await
            .context("queueing outbound messages");
    }
    let mut rows = rows;
    let mut tx = store.begin().await?;
    for o in &mut rows {
        insert_outbox(tx.conn(), o).await?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// The unfinished rows (pending, being sent, or of unknown outcome), oldest
/// conversation position first.
pub async fn list_unsent_outbox(store: &Store, limit: i64) -> anyhow::Result<Vec<OutboxRow>> {
    store
        .read_fetch(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox WHERE status IN ('pending', 'sending', 'unknown') \
                 ORDER BY conversation_id, position LIMIT $1"
            ),
            &values![limit],
            outbox_from,
            "listing unsent outbox rows",
        )
        .await
}

/// A conversation's first unfinished row, if any.
pub async fn first_unsent_outbox(
    store: &Store,
    conversation_id: &str,
) -> anyhow::Result<Option<OutboxRow>> {
    let mut rows = store
        .read_fetch(
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox WHERE conversation_id = $1 \
                 AND status IN ('pending', 'sending', 'unknown') ORDER BY position LIMIT 1"
            ),
            &values![conversation_id],
            outbox_from,
            "reading a conversation's next outbox row",
        )
        .await?;
    Ok(rows.pop())
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
    store: &Store,
    id: &str,
    from: &str,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> anyhow::Result<bool> {
    let done = store
        .write_execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_ms = $3, \
             claimed_by = $4, lease_until_ms = $5, \
             unknown_resends = unknown_resends + CASE WHEN $2 = 'unknown' THEN 1 ELSE 0 END \
             WHERE id = $1 AND status = $2",
            values![id, from, now_ms, owner, lease_until_ms],
            "claiming an outbox row",
        )
        .await?;
    Ok(done == 1)
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

/// Keeps the provider's id of a row still being sent (its status report came first).
pub async fn note_provider_id(
    conn: &mut AnyConnection,
    id: &str,
    provider_message_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbox SET provider_message_id = $2 WHERE id = $1 AND provider_message_id IS NULL",
    )
    .bind(id)
    .bind(provider_message_id)
    .execute(conn)
    .await
    .context("noting an outbox row's provider id")?;
    Ok(())
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
    store: &Store,
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
    let done = store
        .write_execute(
            "UPDATE outbox SET status = $2, provider_message_id = COALESCE($3, provider_message_id), \
             last_error = $4, next_attempt_ms = $5, updated_ms = $6, claimed_by = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND status = 'sending' AND claimed_by = $7",
            values![
                id,
                status,
                provider_message_id,
                last_error,
                next_attempt_ms,
                now_ms,
                owner
            ],
            "recording an outbox attempt",
        )
        .await?;
    Ok(done == 1)
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
