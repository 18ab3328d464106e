//! Saved replies: texts staff insert into the reply box, per language, kept by an admin
//! in the console.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A stored saved reply; `body` may hold placeholders (`{{ name }}`, …).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SavedReplyRow {
    pub id: String,
    /// `de` or `en`.
    pub language: String,
    pub title: String,
    pub body: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn from_row(r: &AnyRow) -> anyhow::Result<SavedReplyRow> {
    Ok(SavedReplyRow {
        id: r.try_get("id")?,
        language: r.try_get("language")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
    })
}

const COLUMNS: &str = "id, language, title, body, created_ms, updated_ms";

/// Stores a new saved reply, or replaces the text of the one with the same language and
/// title; returns its id.
pub async fn upsert_saved_reply(
    conn: &mut AnyConnection,
    r: &SavedReplyRow,
) -> anyhow::Result<String> {
    sqlx::query(
        "INSERT INTO saved_replies (id, language, title, body, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (language, title) DO UPDATE SET \
         body = excluded.body, updated_ms = excluded.updated_ms RETURNING id",
    )
    .bind(&r.id)
    .bind(&r.language)
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.created_ms)
    .bind(r.updated_ms)
    .fetch_one(conn)
    .await
    .context("storing a saved reply")?
    .try_get(0)
    .map_err(Into::into)
}

/// Every saved reply (a team keeps tens, not thousands), by language then title.
pub async fn list_saved_replies(conn: &mut AnyConnection) -> anyhow::Result<Vec<SavedReplyRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM saved_replies ORDER BY language, title, id"
    )))
    .fetch_all(conn)
    .await
    .context("listing saved replies")?
    .iter()
    .map(from_row)
    .collect()
}

/// One saved reply.
pub async fn get_saved_reply(
    conn: &mut AnyConnection,
    id: &str,
) -> anyhow::Result<Option<SavedReplyRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM saved_replies WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
    .context("reading a saved reply")?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Deletes a saved reply; `false` when there was none.
pub async fn delete_saved_reply(conn: &mut AnyConnection, id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM saved_replies WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .context("deleting a saved reply")?;
    Ok(done.rows_affected() > 0)
}
