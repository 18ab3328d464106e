//! Conversations and their messages, on every channel. A conversation's working state
//! (pending proposal, orders discussed, …) is owned by the assistant and stored here as
//! JSON.

use anyhow::Context;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{self, values};
use super::{Cols, Store, lite};

/// A stored conversation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConversationRow {
    pub id: String,
    /// `web`, `whatsapp` or `messenger`.
    pub channel: String,
    /// The sender on the channel (wa_id, PSID); `None` on the web.
    pub external_id: Option<String>,
    /// SHA-256 (hex) of the web session token; never the token itself.
    #[serde(skip)]
    pub token_hash: Option<String>,
    /// Set once the customer is verified.
    pub customer_id: Option<String>,
    pub language: String,
    pub failed_verifications: i64,
    pub locked_until_ms: Option<i64>,
    /// The staff user answering instead of the bot, if any.
    pub taken_over_by: Option<String>,
    /// The assistant's working state (JSON).
    pub state: String,
    pub created_ms: i64,
    pub last_inbound_ms: Option<i64>,
    pub updated_ms: i64,
}

/// A conversation's columns, as [`conversation_from`] reads them.
macro_rules! conversation_columns {
    () => {
        "id, channel, external_id, token_hash, customer_id, language, failed_verifications, \
         locked_until_ms, taken_over_by, state, created_ms, last_inbound_ms, updated_ms"
    };
}

const CONVERSATION_COLUMNS: &str = conversation_columns!();

/// The one decoder of a conversation row, for both drivers.
pub(crate) fn conversation_from(r: &dyn Cols) -> anyhow::Result<ConversationRow> {
    Ok(ConversationRow {
        id: r.text("id")?,
        channel: r.text("channel")?,
        external_id: r.opt_text("external_id")?,
        token_hash: r.opt_text("token_hash")?,
        customer_id: r.opt_text("customer_id")?,
        language: r.text("language")?,
        failed_verifications: r.int("failed_verifications")?,
        locked_until_ms: r.opt_int("locked_until_ms")?,
        taken_over_by: r.opt_text("taken_over_by")?,
        state: r.text("state")?,
        created_ms: r.int("created_ms")?,
        last_inbound_ms: r.opt_int("last_inbound_ms")?,
        updated_ms: r.int("updated_ms")?,
    })
}

fn conversation_from_row(r: &AnyRow) -> anyhow::Result<ConversationRow> {
    conversation_from(r)
}

const CONVERSATION_BY_ID: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE id = $1"
);
const CONVERSATION_BY_SENDER: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE channel = $1 AND external_id = $2 \
     ORDER BY created_ms DESC LIMIT 1"
);

/// A conversation by id, read as [`super::Store::read_fetch`] reads (on a SQLite file
/// through a reading connection on the calling thread).
pub async fn load_conversation(store: &Store, id: &str) -> anyhow::Result<Option<ConversationRow>> {
    let mut rows = store
        .read_fetch(
            CONVERSATION_BY_ID,
            &values![id],
            conversation_from,
            "reading a conversation",
        )
        .await?;
    Ok(rows.pop())
}

/// What the inbox needs to know of a sender before its message is stored, in one read:
/// its newest conversation on the channel, the customer it was linked to, and (when it
/// was not) the one customer whose phone number it wrote from.
#[derive(Clone, Debug, Default)]
pub struct SenderView {
    pub conversation: Option<ConversationRow>,
    pub linked: Option<String>,
    pub by_phone: Option<String>,
}

const LINKED_CUSTOMER: &str =
    "SELECT customer_id FROM channel_identities WHERE channel = $1 AND external_id = $2";
const CUSTOMER_BY_PHONE: &str = "SELECT id FROM customers WHERE phone = $1 LIMIT 2";

fn customer_id_from(r: &dyn Cols) -> anyhow::Result<String> {
    r.text("customer_id")
}
fn id_from(r: &dyn Cols) -> anyhow::Result<String> {
    r.text("id")
}

fn sender_view_on(
    c: &rusqlite::Connection,
    channel: &str,
    sender: &str,
    phone: Option<&str>,
) -> anyhow::Result<SenderView> {
    let conversation = sql::lite_fetch(
        c,
        CONVERSATION_BY_SENDER,
        &values![channel, sender],
        conversation_from,
    )?
    .pop();
    let linked = sql::lite_fetch(
        c,
        LINKED_CUSTOMER,
        &values![channel, sender],
        customer_id_from,
    )?
    .pop();
    let by_phone = match (&linked, phone) {
        (None, Some(p)) => unique(sql::lite_fetch(c, CUSTOMER_BY_PHONE, &values![p], id_from)?),
        _ => None,
    };
    Ok(SenderView {
        conversation,
        linked,
        by_phone,
    })
}

/// Two customers sharing a number identify nobody.
fn unique(mut ids: Vec<String>) -> Option<String> {
    (ids.len() == 1).then(|| ids.remove(0))
}

/// See [`SenderView`].
pub async fn sender_view(
    store: &Store,
    channel: &str,
    sender: &str,
    phone: Option<&str>,
) -> anyhow::Result<SenderView> {
    if let Some(lite) = store.lite() {
        return lite
            .read(|c| sender_view_on(c, channel, sender, phone))
            .context("reading what is known of a sender");
    }
    let mut conn = store.read().await?;
    let conversation = sql::fetch(
        &mut conn,
        CONVERSATION_BY_SENDER,
        &values![channel, sender],
        conversation_from,
    )
    .await?
    .pop();
    let linked = sql::fetch(
        &mut conn,
        LINKED_CUSTOMER,
        &values![channel, sender],
        customer_id_from,
    )
    .await?
    .pop();
    let by_phone = match (&linked, phone) {
        (None, Some(p)) => {
            unique(sql::fetch(&mut conn, CUSTOMER_BY_PHONE, &values![p], id_from).await?)
        }
        _ => None,
    };
    Ok(SenderView {
        conversation,
        linked,
        by_phone,
    })
}

/// Creates a conversation.
pub async fn insert_conversation(
    conn: &mut AnyConnection,
    c: &ConversationRow,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO conversations (id, channel, external_id, token_hash, customer_id, language, \
         failed_verifications, locked_until_ms, taken_over_by, state, created_ms, last_inbound_ms, \
         updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.id)
    .bind(&c.channel)
    .bind(c.external_id.as_deref())
    .bind(c.token_hash.as_deref())
    .bind(c.customer_id.as_deref())
    .bind(&c.language)
    .bind(c.failed_verifications)
    .bind(c.locked_until_ms)
    .bind(c.taken_over_by.as_deref())
    .bind(&c.state)
    .bind(c.created_ms)
    .bind(c.last_inbound_ms)
    .bind(c.updated_ms)
    .execute(conn)
    .await
    .context("creating a conversation")?;
    Ok(())
}

/// A conversation by id.
pub async fn get_conversation(
    conn: &mut AnyConnection,
    id: &str,
) -> anyhow::Result<Option<ConversationRow>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading a conversation")?;
    row.as_ref().map(conversation_from_row).transpose()
}

/// The newest conversation of a sender on a channel (WhatsApp, Messenger).
pub async fn find_conversation_by_sender(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
) -> anyhow::Result<Option<ConversationRow>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE channel = $1 AND external_id = $2 \
         ORDER BY created_ms DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(channel)
        .bind(external_id)
        .fetch_optional(conn)
        .await
        .context("finding a conversation by sender")?;
    row.as_ref().map(conversation_from_row).transpose()
}

const TOUCH_INBOUND: &str = "UPDATE conversations SET last_inbound_ms = $2, updated_ms = $2 \
     WHERE id = $1 RETURNING id, channel, external_id, token_hash, customer_id, language, \
     failed_verifications, locked_until_ms, taken_over_by, state, created_ms, last_inbound_ms, updated_ms";

/// Records that the customer just wrote: sets the times of the last inbound message and
/// of the last change, and returns the conversation (`None` when there is none).
pub async fn touch_inbound(
    conn: &mut AnyConnection,
    id: &str,
    now_ms: i64,
) -> anyhow::Result<Option<ConversationRow>> {
    let row = sqlx::query(TOUCH_INBOUND)
        .bind(id)
        .bind(now_ms)
        .fetch_optional(conn)
        .await
        .context("recording an inbound message")?;
    row.as_ref().map(conversation_from_row).transpose()
}

const UPDATE_CONVERSATION: &str = "UPDATE conversations SET customer_id = $2, language = $3, \
     failed_verifications = $4, locked_until_ms = $5, taken_over_by = $6, state = $7, \
     last_inbound_ms = $8, updated_ms = $9 WHERE id = $1";

/// Saves what a turn changed: the customer, language, verification counters, staff
/// takeover, state and times.
pub async fn update_conversation(
    conn: &mut AnyConnection,
    c: &ConversationRow,
) -> anyhow::Result<()> {
    sqlx::query(UPDATE_CONVERSATION)
        .bind(&c.id)
        .bind(c.customer_id.as_deref())
        .bind(&c.language)
        .bind(c.failed_verifications)
        .bind(c.locked_until_ms)
        .bind(c.taken_over_by.as_deref())
        .bind(&c.state)
        .bind(c.last_inbound_ms)
        .bind(c.updated_ms)
        .execute(conn)
        .await
        .context("updating a conversation")?;
    Ok(())
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Bot,
    Staff,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Bot => "bot",
            Role::Staff => "staff",
            Role::System => "system",
        }
    }
    fn parse(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "customer" => Role::Customer,
            "bot" => Role::Bot,
            "staff" => Role::Staff,
            "system" => Role::System,
            other => anyhow::bail!("unknown message role {other}"),
        })
    }
}

/// A stored message. The JSON columns stay JSON text here; the assistant gives them
/// their types.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub role: Role,
    pub text: String,
    /// The suggested action the customer pressed, if any.
    pub action: Option<String>,
    pub actions: Option<String>,
    pub tool_calls: Option<String>,
    pub grounding: Option<String>,
    pub engine_stats: Option<String>,
    /// The channel's own message id (wamid, mid): redeliveries are refused on it.
    pub channel_message_id: Option<String>,
    pub author: Option<String>,
    pub created_ms: i64,
}

const APPEND_MESSAGE: &str = "INSERT INTO messages (id, conversation_id, seq, role, text, action, \
     actions, tool_calls, grounding, engine_stats, channel_message_id, author, created_ms) \
     SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
     FROM messages WHERE conversation_id = $2 \
     ON CONFLICT (channel_message_id) DO NOTHING RETURNING seq";

/// Appends a message at the end of its conversation. Returns `false` when a message
/// with the same channel message id exists already (a redelivery): nothing is stored.
pub async fn append_message(conn: &mut AnyConnection, m: &mut MessageRow) -> anyhow::Result<bool> {
    // Numbered and inserted in one statement: one round trip while the writer waits.
    let row = sqlx::query(APPEND_MESSAGE)
        .bind(&m.id)
        .bind(&m.conversation_id)
        .bind(m.role.as_str())
        .bind(&m.text)
        .bind(m.action.as_deref())
        .bind(m.actions.as_deref())
        .bind(m.tool_calls.as_deref())
        .bind(m.grounding.as_deref())
        .bind(m.engine_stats.as_deref())
        .bind(m.channel_message_id.as_deref())
        .bind(m.author.as_deref())
        .bind(m.created_ms)
        .fetch_optional(conn)
        .await
        .context("storing a message")?;
    match row {
        Some(r) => {
            m.seq = r.try_get(0)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// A turn's first write: the customer's message, then the conversation's times.
/// Returns the conversation and the message with its number, or `None` when the same
/// channel message was stored before (a redelivery). On a SQLite file it runs on the
/// writer's thread ([`super::lite`]), committed together with other turns' writes.
pub async fn record_inbound(
    store: &Store,
    msg: MessageRow,
    now_ms: i64,
) -> anyhow::Result<Option<(ConversationRow, MessageRow)>> {
    if let Some(lite) = store.lite() {
        return lite
            .write(move |c| {
                let mut msg = msg.clone();
                if !lite_append_message(c, &mut msg)? {
                    return Ok(None);
                }
                let conv = lite_touch_inbound(c, &msg.conversation_id, now_ms)?;
                Ok(Some((missing(conv, &msg.conversation_id)?, msg)))
            })
            .await;
    }
    store
        .write(move |c| {
            Box::pin(async move {
                let mut msg = msg;
                if !append_message(c, &mut msg).await? {
                    return Ok(None);
                }
                let conv = touch_inbound(c, &msg.conversation_id, now_ms).await?;
                Ok(Some((missing(conv, &msg.conversation_id)?, msg)))
            })
        })
        .await
}

fn missing(conv: Option<ConversationRow>, id: &str) -> anyhow::Result<ConversationRow> {
    conv.ok_or_else(|| anyhow::anyhow!("conversation {id} does not exist"))
}

/// What a turn's reply saves of the conversation. Not its times: the conversation last
/// changed when the customer wrote ([`record_inbound`] set that), and the reply within
/// the same turn leaves it, so the index of conversations by last change is written once
/// per turn instead of twice.
const SAVE_TURN: &str = "UPDATE conversations SET customer_id = $2, language = $3, \
     failed_verifications = $4, locked_until_ms = $5, taken_over_by = $6, state = $7 WHERE id = $1";

/// A turn's last write: the reply (returned with its number) and what the turn changed
/// in the conversation (all but its times). Runs like [`record_inbound`].
pub async fn record_reply(
    store: &Store,
    msg: MessageRow,
    conv: ConversationRow,
) -> anyhow::Result<MessageRow> {
    if let Some(lite) = store.lite() {
        return lite
            .write(move |c| {
                let mut msg = msg.clone();
                lite_append_message(c, &mut msg)?;
                let mut stmt = c.prepare_cached(LITE_SAVE_TURN)?;
                lite::bind(
                    &mut stmt,
                    &[
                        &conv.id,
                        &conv.customer_id,
                        &conv.language,
                        &conv.failed_verifications,
                        &conv.locked_until_ms,
                        &conv.taken_over_by,
                        &conv.state,
                    ],
                )?;
                stmt.raw_execute()?;
                Ok(msg)
            })
            .await;
    }
    store
        .write(move |c| {
            Box::pin(async move {
                let mut msg = msg;
                append_message(c, &mut msg).await?;
                sqlx::query(SAVE_TURN)
                    .bind(&conv.id)
                    .bind(conv.customer_id.as_deref())
                    .bind(&conv.language)
                    .bind(conv.failed_verifications)
                    .bind(conv.locked_until_ms)
                    .bind(conv.taken_over_by.as_deref())
                    .bind(&conv.state)
                    .execute(&mut *c)
                    .await
                    .context("saving the conversation after a reply")?;
                Ok(msg)
            })
        })
        .await
}

/// The writer thread's statements differ from the shared ones in two ways. `OR FAIL`:
/// a statement that may abort halfway inside a larger transaction makes SQLite copy
/// every page it touches first (a statement journal), and for one row FAIL undoes as
/// much as ABORT would. The number of a new message is read first: an `INSERT … SELECT`
/// from the table it inserts into goes through a temporary table.
const LITE_NEXT_SEQ: &str =
    "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $1";
const LITE_APPEND_MESSAGE: &str = "INSERT OR FAIL INTO messages (id, conversation_id, seq, role, \
     text, action, actions, tool_calls, grounding, engine_stats, channel_message_id, author, \
     created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (channel_message_id) DO NOTHING";
const LITE_TOUCH_INBOUND: &str = "UPDATE OR FAIL conversations SET last_inbound_ms = $2, \
     updated_ms = $2 WHERE id = $1 RETURNING id, channel, external_id, token_hash, customer_id, \
     language, failed_verifications, locked_until_ms, taken_over_by, state, created_ms, \
     last_inbound_ms, updated_ms";
const LITE_SAVE_TURN: &str = "UPDATE OR FAIL conversations SET customer_id = $2, language = $3, \
     failed_verifications = $4, locked_until_ms = $5, taken_over_by = $6, state = $7 WHERE id = $1";

fn lite_append_message(c: &rusqlite::Connection, m: &mut MessageRow) -> anyhow::Result<bool> {
    let seq: i64 = c
        .prepare_cached(LITE_NEXT_SEQ)?
        .query_row([&m.conversation_id], |r| r.get(0))?;
    let mut stmt = c.prepare_cached(LITE_APPEND_MESSAGE)?;
    lite::bind(
        &mut stmt,
        &[
            &m.id,
            &m.conversation_id,
            &seq,
            &m.role.as_str(),
            &m.text,
            &m.action,
            &m.actions,
            &m.tool_calls,
            &m.grounding,
            &m.engine_stats,
            &m.channel_message_id,
            &m.author,
            &m.created_ms,
        ],
    )?;
    // Nothing inserted: a message with this channel message id is stored already.
    if stmt.raw_execute()? == 0 {
        return Ok(false);
    }
    m.seq = seq;
    Ok(true)
}

fn lite_touch_inbound(
    c: &rusqlite::Connection,
    id: &str,
    now_ms: i64,
) -> anyhow::Result<Option<ConversationRow>> {
    let mut stmt = c.prepare_cached(LITE_TOUCH_INBOUND)?;
    lite::bind(&mut stmt, &[&id, &now_ms])?;
    let mut rows = stmt.raw_query();
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(ConversationRow {
        id: r.get(0)?,
        channel: r.get(1)?,
        external_id: r.get(2)?,
        token_hash: r.get(3)?,
        customer_id: r.get(4)?,
        language: r.get(5)?,
        failed_verifications: r.get(6)?,
        locked_until_ms: r.get(7)?,
        taken_over_by: r.get(8)?,
        state: r.get(9)?,
        created_ms: r.get(10)?,
        last_inbound_ms: r.get(11)?,
        updated_ms: r.get(12)?,
    }))
}

/// The last `limit` messages of a conversation, oldest first.
pub async fn list_recent_messages(
    conn: &mut AnyConnection,
    conversation_id: &str,
    limit: i64,
) -> anyhow::Result<Vec<MessageRow>> {
    let mut rows = select_messages(
        conn,
        MESSAGE_COLUMNS,
        "conversation_id = $1 ORDER BY seq DESC LIMIT $2",
        conversation_id,
        limit,
    )
    .await?;
    rows.reverse();
    Ok(rows)
}

/// The last `limit` messages of a conversation, oldest first, without their JSON
/// columns (suggested actions, tool calls, verdicts, stats): what a model's history needs.
pub async fn list_recent_texts(
    conn: &mut AnyConnection,
    conversation_id: &str,
    limit: i64,
) -> anyhow::Result<Vec<MessageRow>> {
    let mut rows = select_messages(
        conn,
        "id, conversation_id, seq, role, text, action, NULL AS actions, NULL AS tool_calls, \
         NULL AS grounding, NULL AS engine_stats, channel_message_id, author, created_ms",
        "conversation_id = $1 ORDER BY seq DESC LIMIT $2",
        conversation_id,
        limit,
    )
    .await?;
    rows.reverse();
    Ok(rows)
}

/// The messages of a conversation in order; `after_seq` for the ones after a point.
pub async fn list_messages(
    conn: &mut AnyConnection,
    conversation_id: &str,
    after_seq: i64,
) -> anyhow::Result<Vec<MessageRow>> {
    select_messages(
        conn,
        MESSAGE_COLUMNS,
        "conversation_id = $1 AND seq > $2 ORDER BY seq",
        conversation_id,
        after_seq,
    )
    .await
}

/// A message's columns, as [`message_from`] reads them.
macro_rules! message_columns {
    () => {
        "id, conversation_id, seq, role, text, action, actions, tool_calls, grounding, \
         engine_stats, channel_message_id, author, created_ms"
    };
}

const MESSAGE_COLUMNS: &str = message_columns!();

async fn select_messages(
    conn: &mut AnyConnection,
    columns: &str,
    condition: &str,
    conversation_id: &str,
    n: i64,
) -> anyhow::Result<Vec<MessageRow>> {
    let sql = format!("SELECT {columns} FROM messages WHERE {condition}");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(conversation_id)
        .bind(n)
        .fetch_all(conn)
        .await
        .context("listing messages")?;
    rows.iter().map(message_from_row).collect()
}

/// The one decoder of a message row, for both drivers.
pub(crate) fn message_from(r: &dyn Cols) -> anyhow::Result<MessageRow> {
    Ok(MessageRow {
        id: r.text("id")?,
        conversation_id: r.text("conversation_id")?,
        seq: r.int("seq")?,
        role: Role::parse(&r.text("role")?)?,
        text: r.text("text")?,
        action: r.opt_text("action")?,
        actions: r.opt_text("actions")?,
        tool_calls: r.opt_text("tool_calls")?,
        grounding: r.opt_text("grounding")?,
        engine_stats: r.opt_text("engine_stats")?,
        channel_message_id: r.opt_text("channel_message_id")?,
        author: r.opt_text("author")?,
        created_ms: r.int("created_ms")?,
    })
}

fn message_from_row(r: &sqlx::any::AnyRow) -> anyhow::Result<MessageRow> {
    message_from(r)
}

/// The whole message stored with a channel message id, read as
/// [`super::Store::read_fetch`] reads.
pub async fn load_message_by_channel_id(
    store: &Store,
    channel_message_id: &str,
) -> anyhow::Result<Option<MessageRow>> {
    let mut rows = store
        .read_fetch(
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE channel_message_id = $1"
            ),
            &values![channel_message_id],
            message_from,
            "reading a message by its channel id",
        )
        .await?;
    Ok(rows.pop())
}

/// The whole message stored with a channel message id (a wamid, a mid), if one is.
pub async fn find_message_by_channel_id(
    conn: &mut AnyConnection,
    channel_message_id: &str,
) -> anyhow::Result<Option<MessageRow>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_message_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(channel_message_id)
        .fetch_optional(conn)
        .await
        .context("reading a message by its channel id")?;
    row.as_ref().map(message_from_row).transpose()
}

/// The message right after `seq` in a conversation, if any (a turn's reply follows its
/// customer message).
pub async fn message_after(
    conn: &mut AnyConnection,
    conversation_id: &str,
    seq: i64,
) -> anyhow::Result<Option<MessageRow>> {
    let mut rows = select_messages(
        conn,
        MESSAGE_COLUMNS,
        "conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT 1",
        conversation_id,
        seq,
    )
    .await?;
    Ok(rows.pop())
}

/// The text and pressed action of the message stored with a channel message id (a web
/// chat client's `client_id`, a wamid, a mid), if one is.
pub async fn message_by_channel_id(
    conn: &mut AnyConnection,
    channel_message_id: &str,
) -> anyhow::Result<Option<(String, Option<String>)>> {
    let row = sqlx::query("SELECT text, action FROM messages WHERE channel_message_id = $1")
        .bind(channel_message_id)
        .fetch_optional(conn)
        .await
        .context("reading a message by its channel id")?;
    row.map(|r| Ok((r.try_get("text")?, r.try_get("action")?)))
        .transpose()
}

/// Links a sender on a channel to a customer (one customer across channels), recording
/// how it was verified (`phone`, `order_postcode`, `order_email`).
pub async fn link_channel_identity(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
    customer_id: &str,
    method: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO channel_identities (channel, external_id, customer_id, linked_ms, method) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, external_id) \
         DO UPDATE SET customer_id = excluded.customer_id, linked_ms = excluded.linked_ms, \
         method = excluded.method",
    )
    .bind(channel)
    .bind(external_id)
    .bind(customer_id)
    .bind(now_ms)
    .bind(method)
    .execute(conn)
    .await
    .context("linking a channel identity")?;
    Ok(())
}

/// The customer a channel sender was linked to, if any.
pub async fn linked_customer(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
) -> anyhow::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT customer_id FROM channel_identities WHERE channel = $1 AND external_id = $2",
    )
    .bind(channel)
    .bind(external_id)
    .fetch_optional(conn)
    .await
    .context("reading a channel identity")?;
    row.map(|r| r.try_get(0).map_err(anyhow::Error::from))
        .transpose()
}
