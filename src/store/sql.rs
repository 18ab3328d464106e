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
        let values: Vec<Value> = values.into();
        if let Some(lite) = self.lite() {
            return lite
                .write(move |c| lite_execute(c, sql, &values))
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
