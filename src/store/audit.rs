//! The audit log: who did what. Details never carry message texts, phone numbers,
//! emails or tokens.

use anyhow::Context;
use sqlx::AnyConnection;

/// Appends one audit entry.
pub async fn insert_audit(
    conn: &mut AnyConnection,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    details: &serde_json::Value,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at_ms)
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(details.to_string())
    .execute(conn)
    .await
    .context("writing the audit log")?;
    Ok(())
}
