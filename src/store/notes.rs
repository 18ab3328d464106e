//! Internal notes: what staff write for each other about a conversation or one of its
//! cases. Nothing that speaks to the customer (web history, channels, status API,
//! engines) reads this table.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A stored note.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NoteRow {
    pub id: String,
    pub conversation_id: String,
    /// The case it is about, if one.
    pub case_id: Option<String>,
    /// The staff account that wrote it.
    pub author: String,
    pub text: String,
    pub created_ms: i64,
}

fn note_from_row(r: &AnyRow) -> anyhow::Result<NoteRow> {
    Ok(NoteRow {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        case_id: r.try_get("case_id")?,
        author: r.try_get("author")?,
        text: r.try_get("text")?,
        created_ms: r.try_get("created_ms")?,
    })
}

/// Stores a note.
pub async fn insert_note(conn: &mut AnyConnection, n: &NoteRow) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO staff_notes (id, conversation_id, case_id, author, text, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&n.id)
    .bind(&n.conversation_id)
    .bind(n.case_id.as_deref())
    .bind(&n.author)
    .bind(&n.text)
    .bind(n.created_ms)
    .execute(conn)
    .await
    .context("storing an internal note")?;
    Ok(())
}

/// A conversation's notes, oldest first.
pub async fn list_notes_for_conversation(
    conn: &mut AnyConnection,
    conversation_id: &str,
) -> anyhow::Result<Vec<NoteRow>> {
    sqlx::query(
        "SELECT id, conversation_id, case_id, author, text, created_ms FROM staff_notes \
         WHERE conversation_id = $1 ORDER BY created_ms, id",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await
    .context("listing a conversation's notes")?
    .iter()
    .map(note_from_row)
    .collect()
}

/// How many notes a conversation has (the console's live pulse).
pub async fn count_notes(conn: &mut AnyConnection, conversation_id: &str) -> anyhow::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM staff_notes WHERE conversation_id = $1")
        .bind(conversation_id)
        .fetch_one(conn)
        .await
        .context("counting a conversation's notes")?
        .try_get(0)
        .map_err(Into::into)
}
