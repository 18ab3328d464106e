//! One statement for both drivers: the SQL text, its values and the decoder of its rows
//! are written once and run through sqlx (PostgreSQL, in-memory SQLite, inside a
//! [`super::WriteTx`]) or through rusqlite on a SQLite file's writer thread and reading
//! connections ([`super::lite`]). Placeholders are `$1`, `$2`, … on both.

use anyhow::Context;
use sqlx::AnyConnection;
use sqlx::any::AnyArguments;

use super::{Cols, Store, lite};

/// A value bound to a statement's placeholder. NULLs carry their type: PostgreSQL
/// refuses a text NULL for a BIGINT column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(t) => t.to_sql(),
            Value::Int(i) => i.to_sql(),
        }
    }
}

/// The values of a statement, in placeholder order.
macro_rules! values {
    ($($v:expr),* $(,)?) => { [$($crate::store::sql::Value::from($v)),*] };
}
pub(crate) use values;

/// A row decoder, the same for both drivers.
pub(crate) type Decode<T> = fn(&dyn Cols) -> anyhow::Result<T>;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, AnyArguments>;

fn bind<'q>(sql: &'static str, values: &'q [Value]) -> AnyQuery<'q> {
    let mut q = sqlx::query(sql);
    for v in values {
        q = match v {
            Value::Text(t) => q.bind(t.as_deref()),
            Value::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Runs a statement through sqlx; how many rows it changed.
pub(crate) async fn execute(
    conn: &mut AnyConnection,
    sql: &'static str,
    values: &[Value],
) -> anyhow::Result<u64> {
    Ok(bind(sql, values).execute(conn).await?.rows_affected())
}

/// A statement's rows through sqlx, decoded.
pub(crate) async fn fetch<T>(
    conn: &mut AnyConnection,
    sql: &'static str,
    values: &[Value],
    decode: Decode<T>,
) -> anyhow::Result<Vec<T>> {
    let rows = bind(sql, values).fetch_all(conn).await?;
    rows.iter().map(|r| decode(r)).collect()
}

fn refs(values: &[Value]) -> Vec<&dyn rusqlite::ToSql> {
    values.iter().map(|v| v as &dyn rusqlite::ToSql).collect()
}

/// Runs a statement through rusqlite; how many rows it changed.
pub(crate) fn lite_execute(
    conn: &rusqlite::Connection,
    sql: &'static str,
    values: &[Value],
) -> anyhow::Result<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    lite::bind(&mut stmt, &refs(values))?;
    Ok(stmt.raw_execute()? as u64)
}

/// A statement's rows through rusqlite, decoded.
pub(crate) fn lite_fetch<T>(
    conn: &rusqlite::Connection,
    sql: &'static str,
    values: &[Value],
    decode: Decode<T>,
) -> anyhow::Result<Vec<T>> {
    lite::query(conn, sql, &refs(values))?
        .iter()
        .map(|r| decode(r))
        .collect()
}

impl Store {
    /// Runs one write statement on its own (atomic by itself): on a SQLite file on the
    /// writer's thread, committed with the other writes waiting (group commit); else on
    /// the writing connection. How many rows it changed.
    pub(crate) async fn write_execute(
        &self,
        sql: &'static str,
        values: impl Into<Vec<Value>>,
        what: &'static str,
    ) -> anyhow::Result<u64> {
        self.write_execute_in(lite::Lane::Ordinary, sql, values.into(), what)
            .await
    }

    /// [`Self::write_execute`] for a write someone waits for at the door (a webhook
    /// delivery before its acknowledgement): on a SQLite file it goes into the writer's
    /// next batch ahead of the ordinary writes waiting (see [`lite`]).
    pub(crate) async fn write_execute_urgent(
        &self,
        sql: &'static str,
        values: impl Into<Vec<Value>>,
        what: &'static str,
    ) -> anyhow::Result<u64> {
        self.write_execute_in(lite::Lane::Urgent, sql, values.into(), what)
            .await
    }

    async fn write_execute_in(
        &self,
        lane: lite::Lane,
        sql: &'static str,
        values: Vec<Value>,
        what: &'static str,
    ) -> anyhow::Result<u64> {
        if let Some(lite) = self.lite() {
            return lite
                .write_in(lane, move |c| lite_execute(c, sql, &values))
                .await
                .context(what);
        }
        let mut conn = self.write_one().await?;
        execute(&mut conn, sql, &values).await.context(what)
    }

    /// [`Self::write_execute`] for a statement that returns rows (`RETURNING`).
    pub(crate) async fn write_fetch<T: Send + 'static>(
        &self,
        sql: &'static str,
        values: impl Into<Vec<Value>>,
        decode: Decode<T>,
        what: &'static str,
    ) -> anyhow::Result<Vec<T>> {
        let values: Vec<Value> = values.into();
        if let Some(lite) = self.lite() {
            return lite
                .write(move |c| lite_fetch(c, sql, &values, decode))
                .await
                .context(what);
        }
        let mut conn = self.write_one().await?;
        fetch(&mut conn, sql, &values, decode).await.context(what)
    }

    /// A read statement's rows: on a SQLite file through a reading connection on the
    /// calling thread (a few indexed statements take less than a trip to a connection
    /// thread and back), else through the pool.
    pub(crate) async fn read_fetch<T>(
        &self,
        sql: &'static str,
        values: &[Value],
        decode: Decode<T>,
        what: &'static str,
    ) -> anyhow::Result<Vec<T>> {
        if let Some(lite) = self.lite() {
            return lite
                .read(|c| lite_fetch(c, sql, values, decode))
                .context(what);
        }
        let mut conn = self.read().await?;
        fetch(&mut conn, sql, values, decode).await.context(what)
    }
}

#[cfg(test)]
mod tests {
    use super::super::channels::{self, AttemptOutcome, OutboxRow};
    use super::super::{Store, claims, conversations};

    /// The same writes, once through the writer's thread (a SQLite file) and once
    /// through sqlx (in memory), leave the same rows.
    async fn writes(store: &Store) -> Vec<String> {
        let conv = conversations::ConversationRow {
            id: "conv_1".into(),
            channel: "whatsapp".into(),
            external_id: Some("4915500000001".into()),
            token_hash: None,
            customer_id: None,
            language: "de".into(),
            failed_verifications: 0,
            locked_until_ms: None,
            taken_over_by: None,
            state: "{}".into(),
            created_ms: 1,
            last_inbound_ms: Some(1),
            updated_ms: 1,
        };
        let mut tx = store.begin().await.expect("a transaction");
        conversations::insert_conversation(tx.conn(), &conv)
            .await
            .expect("a conversation");
        tx.commit().await.expect("committed");
        for (i, at) in [("dlv_a", 10), ("dlv_b", 11), ("dlv_c", 12)] {
            channels::insert_delivery(store, i, "whatsapp", at, "{}")
                .await
                .expect("stored");
        }
        let claimed = claims::claim_deliveries(store, "inst_x", 100, 200, 2)
            .await
            .expect("claimed");
        assert_eq!(claimed.len(), 2);
        assert!(
            claims::finish_delivery(store, "dlv_a", "inst_x", 150, None)
                .await
                .expect("finished")
        );
        assert!(
            !claims::finish_delivery(store, "dlv_c", "inst_x", 150, Some("not mine"))
                .await
                .expect("not finished")
        );
        let row = |id: &str| OutboxRow {
            id: id.into(),
            conversation_id: "conv_1".into(),
            message_id: None,
            channel: "whatsapp".into(),
            recipient: "4915500000001".into(),
            payload: "{}".into(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_ms: 5,
            provider_message_id: None,
            last_error: None,
            created_ms: 5,
            updated_ms: 5,
            position: 0,
            unknown_resends: 0,
        };
        let queued = channels::queue_outbox(store, vec![row("out_a"), row("out_b")])
            .await
            .expect("queued");
        assert_eq!(
            queued.iter().map(|r| r.position).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(
            channels::claim_outbox(store, "out_a", "pending", "inst_x", 6, 300)
                .await
                .expect("claimed")
        );
        let outcome = AttemptOutcome {
            status: "sent",
            provider_message_id: Some("wamid.1"),
            last_error: None,
            next_attempt_ms: 7,
        };
        assert!(
            channels::finish_outbox_attempt(store, "out_a", "inst_x", &outcome, 7)
                .await
                .expect("recorded")
        );
        assert!(
            claims::acquire_lease(store, "turn:conv_1", "inst_x", 10, 20)
                .await
                .expect("taken")
        );
        assert!(
            !claims::acquire_lease(store, "turn:conv_1", "inst_y", 15, 25)
                .await
                .expect("refused")
        );
        claims::acquire_lease(store, "sender:x", "inst_x", 10, 20)
            .await
            .expect("taken");
        claims::release_lease(store, "sender:x", "inst_x")
            .await
            .expect("given back");
        // A turn's two writes: the customer's message (a redelivery stores nothing), then
        // the reply with what the turn changed in the conversation.
        let message =
            |id: &str, role, channel_message_id: Option<&str>| conversations::MessageRow {
                id: id.into(),
                conversation_id: "conv_1".into(),
                seq: 0,
                role,
                text: "Wo ist mein Paket?".into(),
                action: None,
                actions: None,
                tool_calls: None,
                grounding: None,
                engine_stats: None,
                channel_message_id: channel_message_id.map(str::to_string),
                author: None,
                created_ms: 20,
            };
        let (mut turned, inbound) = conversations::record_inbound(
            store,
            message("msg_a", conversations::Role::Customer, Some("wamid.a")),
            21,
        )
        .await
        .expect("stored")
        .expect("a new message");
        assert_eq!((inbound.seq, turned.last_inbound_ms), (1, Some(21)));
        assert!(
            conversations::record_inbound(
                store,
                message("msg_b", conversations::Role::Customer, Some("wamid.a")),
                22,
            )
            .await
            .expect("read")
            .is_none(),
            "a redelivery stores nothing"
        );
        turned.language = "en".into();
        turned.customer_id = Some("cust_1".into());
        turned.state = r#"{"orders":["A-1"]}"#.into();
        let reply = conversations::record_reply(
            store,
            message("msg_c", conversations::Role::Bot, None),
            turned,
        )
        .await
        .expect("stored");
        assert_eq!(reply.seq, 2);
        let first = channels::first_unsent_outbox(store, "conv_1")
            .await
            .expect("read");
        assert_eq!(first.map(|r| r.id), Some("out_b".to_string()));
        let mut conn = store.read().await.expect("a reader");
        let mut out = Vec::new();
        for sql in [
            "SELECT id, channel, received_ms, body, claimed_by, lease_until_ms, processed_ms, error \
             FROM webhook_deliveries ORDER BY id",
            "SELECT id, status, attempts, position, claimed_by, lease_until_ms, provider_message_id, \
             next_attempt_ms, updated_ms, unknown_resends FROM outbox ORDER BY id",
            "SELECT name, owner, until_ms FROM leases ORDER BY name",
            "SELECT id, conversation_id, seq, role, text, channel_message_id, created_ms \
             FROM messages ORDER BY id",
            "SELECT id, customer_id, language, state, last_inbound_ms, updated_ms \
             FROM conversations ORDER BY id",
        ] {
            use sqlx::Row;
            for r in sqlx::query(sql).fetch_all(&mut *conn).await.expect("rows") {
                let cols: Vec<String> = (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .map(|v| format!("{v:?}"))
                            .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                            .expect("text or integer")
                    })
                    .collect();
                out.push(cols.join("|"));
            }
        }
        out
    }

    #[tokio::test]
    async fn writes_through_rusqlite_leave_the_rows_writes_through_sqlx_leave() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = Store::connect(&dir.path().join("w.db").to_string_lossy())
            .await
            .expect("a file store");
        assert!(file.lite().is_some(), "a SQLite file writes on its thread");
        let memory = Store::in_memory().await.expect("an in-memory store");
        assert!(memory.lite().is_none(), "in memory, sqlx writes");
        let through_lite = writes(&file).await;
        let through_sqlx = writes(&memory).await;
        assert!(through_lite.len() >= 9, "{through_lite:?}");
        assert_eq!(through_lite, through_sqlx);
    }
}
