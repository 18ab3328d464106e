//! Failed verifications per key (order number, email, client), shared by every session,
//! channel and instance. An attempt is counted before its answer is checked, so that
//! parallel attempts cannot all pass before the count; a success uncounts it.

use anyhow::Context;
use sqlx::{AnyConnection, Row};

/// A key's count after an attempt was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Counted attempts (this one included) since the window started or the last lock.
    pub failures: i64,
    /// Locks so far.
    pub lockouts: i64,
    pub locked_until_ms: Option<i64>,
}

/// Counts an attempt for `key`. While the key is locked nothing is counted; failures
/// older than `window_start_ms` are forgotten, and lockouts of a key idle since before
/// `forget_lockouts_before_ms`.
pub async fn count_attempt(
    conn: &mut AnyConnection,
    key: &str,
    now_ms: i64,
    window_start_ms: i64,
    forget_lockouts_before_ms: i64,
) -> anyhow::Result<Count> {
    let row = sqlx::query(
        "INSERT INTO verification_failures (key, failures, first_ms, lockouts, locked_until_ms, updated_ms) \
         VALUES ($1, 1, $2, 0, NULL, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN verification_failures.locked_until_ms > $2 THEN verification_failures.failures \
                           WHEN verification_failures.first_ms < $3 THEN 1 \
                           ELSE verification_failures.failures + 1 END, \
           first_ms = CASE WHEN verification_failures.locked_until_ms > $2 THEN verification_failures.first_ms \
                           WHEN verification_failures.first_ms < $3 THEN $2 \
                           ELSE verification_failures.first_ms END, \
           lockouts = CASE WHEN verification_failures.updated_ms < $4 THEN 0 \
                           ELSE verification_failures.lockouts END, \
           updated_ms = $2 \
         RETURNING failures, lockouts, locked_until_ms",
    )
    .bind(key)
    .bind(now_ms)
    .bind(window_start_ms)
    .bind(forget_lockouts_before_ms)
    .fetch_one(conn)
    .await
    .context("counting a verification attempt")?;
    count_of(&row)
}

fn count_of(row: &sqlx::any::AnyRow) -> anyhow::Result<Count> {
    Ok(Count {
        failures: row.try_get(0)?,
        lockouts: row.try_get(1)?,
        locked_until_ms: row.try_get(2)?,
    })
}

/// A key's count as it stands.
pub async fn get_count(conn: &mut AnyConnection, key: &str) -> anyhow::Result<Option<Count>> {
    let row = sqlx::query(
        "SELECT failures, lockouts, locked_until_ms FROM verification_failures WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
    .context("reading a verification count")?;
    row.as_ref().map(count_of).transpose()
}

/// Locks `key` until `until_ms` when it still has `max_failures` or more counted and is
/// not locked (one of several parallel attempts locks it, once).
pub async fn lock_key(
    conn: &mut AnyConnection,
    key: &str,
    max_failures: i64,
    until_ms: i64,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE verification_failures SET locked_until_ms = $2, lockouts = lockouts + 1, \
         failures = 0, first_ms = $3, updated_ms = $3 \
         WHERE key = $1 AND failures >= $4 AND (locked_until_ms IS NULL OR locked_until_ms <= $3)",
    )
    .bind(key)
    .bind(until_ms)
    .bind(now_ms)
    .bind(max_failures)
    .execute(conn)
    .await
    .context("locking verification for a key")?;
    Ok(done.rows_affected() > 0)
}

/// Takes back the count of an attempt that succeeded.
pub async fn uncount_attempt(conn: &mut AnyConnection, key: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE verification_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .execute(conn)
    .await
    .context("uncounting a verification attempt")?;
    Ok(())
}

/// Forgets keys idle since before `before_ms` and not locked any more.
pub async fn prune(conn: &mut AnyConnection, before_ms: i64) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM verification_failures WHERE updated_ms < $1 \
         AND (locked_until_ms IS NULL OR locked_until_ms < $1)",
    )
    .bind(before_ms)
    .execute(conn)
    .await
    .context("pruning verification counts")?;
    Ok(done.rows_affected())
}
