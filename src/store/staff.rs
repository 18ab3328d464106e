//! Staff accounts and console sessions. Passwords are stored as argon2 PHC strings and
//! sessions by the SHA-256 of their cookie value only; the hashing happens in
//! `crate::console::accounts`, never here.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A staff account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StaffUser {
    pub id: String,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    /// `agent` or `admin`.
    pub role: String,
    pub failed_logins: i64,
    pub locked_until_ms: Option<i64>,
    pub created_ms: i64,
    /// The name shown in transcripts and the audit log (else the email).
    pub display_name: Option<String>,
    /// The console's language, `de` or `en` (else from the browser's Accept-Language).
    pub language: Option<String>,
}

fn staff_from_row(r: &AnyRow) -> anyhow::Result<StaffUser> {
    Ok(StaffUser {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get("role")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until_ms: r.try_get("locked_until_ms")?,
        created_ms: r.try_get("created_ms")?,
        display_name: r.try_get("display_name")?,
        language: r.try_get("language")?,
    })
}

const STAFF_COLUMNS: &str = "id, email, password_hash, role, failed_logins, locked_until_ms, \
     created_ms, display_name, language";

/// Creates an account; `false` when the email is taken.
pub async fn insert_staff_user(conn: &mut AnyConnection, u: &StaffUser) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO staff_users (id, email, password_hash, role, failed_logins, locked_until_ms, \
         created_ms, display_name, language) VALUES ($1, $2, $3, $4, 0, NULL, $5, $6, $7) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&u.id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(u.created_ms)
    .bind(u.display_name.as_deref())
    .bind(u.language.as_deref())
    .execute(conn)
    .await
    .context("creating a staff account")?;
    Ok(done.rows_affected() == 1)
}

/// An account by its (lower-cased) email.
pub async fn get_staff_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> anyhow::Result<Option<StaffUser>> {
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE email = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(email)
        .fetch_optional(conn)
        .await
        .context("reading a staff account")?
        .as_ref()
        .map(staff_from_row)
        .transpose()
}

/// How many staff accounts exist.
pub async fn count_staff_users(conn: &mut AnyConnection) -> anyhow::Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM staff_users")
        .fetch_one(conn)
        .await
        .context("counting staff accounts")?;
    Ok(row.try_get(0)?)
}

/// Clears the failure count after a successful login (or an expired lock).
pub async fn reset_failed_logins(conn: &mut AnyConnection, id: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE staff_users SET failed_logins = 0, locked_until_ms = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .context("resetting failed logins")?;
    Ok(())
}

/// A console session with its account.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub staff: StaffUser,
    pub csrf_token: String,
    pub expires_ms: i64,
}

/// Drops every expired session.
pub async fn delete_expired_sessions(conn: &mut AnyConnection, now_ms: i64) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(conn)
        .await
        .context("dropping expired console sessions")?;
    Ok(())
}

/// Stores a session by the hash of its cookie value.
pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    staff_id: &str,
    csrf_token: &str,
    now_ms: i64,
    expires_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(staff_id)
    .bind(csrf_token)
    .bind(now_ms)
    .bind(expires_ms)
    .execute(conn)
    .await
    .context("creating a console session")?;
    Ok(())
}

/// The live session with this token hash, if any.
pub async fn get_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now_ms: i64,
) -> anyhow::Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.password_hash, u.role, u.failed_logins, u.locked_until_ms, \
         u.created_ms, u.display_name, u.language, s.csrf_token, s.expires_ms FROM staff_sessions s \
         JOIN staff_users u ON u.id = s.staff_id WHERE s.token_hash = $1 AND s.expires_ms > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await
    .context("reading a console session")?;
    row.map(|r| {
        Ok(SessionRow {
            staff: staff_from_row(&r)?,
            csrf_token: r.try_get("csrf_token")?,
            expires_ms: r.try_get("expires_ms")?,
        })
    })
    .transpose()
}

/// Ends a session (logout) and drops every expired one.
pub async fn delete_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1 OR expires_ms <= $2")
        .bind(token_hash)
        .bind(now_ms)
        .execute(conn)
        .await
        .context("ending a console session")?;
    Ok(())
}

/// What staff are called, by id: the display name, else the email.
pub async fn staff_names(
    conn: &mut AnyConnection,
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    sqlx::query("SELECT id, email, display_name FROM staff_users")
        .fetch_all(conn)
        .await
        .context("reading staff names")?
        .iter()
        .map(|r| {
            let name: Option<String> = r.try_get("display_name")?;
            let email: String = r.try_get("email")?;
            Ok((r.try_get("id")?, name.unwrap_or(email)))
        })
        .collect()
}

/// Sets a staff member's console language (`None`: from the browser again).
pub async fn set_staff_language(
    conn: &mut AnyConnection,
    id: &str,
    language: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE staff_users SET language = $2 WHERE id = $1")
        .bind(id)
        .bind(language)
        .execute(conn)
        .await
        .context("setting a staff member's language")?;
    Ok(())
}
