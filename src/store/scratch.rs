//! Throw-away PostgreSQL databases (the eval runner gives every scenario one): created
//! next to the admin URL's database, dropped with their open connections.

use anyhow::Context;
use sqlx::Connection;

/// Creates an empty database `name` on the server of `admin` (a PostgreSQL URL) and
/// returns its URL.
pub async fn create_database(admin: &str, name: &str) -> anyhow::Result<String> {
    check_name(name)?;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin)
        .await
        .context("connecting to the PostgreSQL admin URL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .context("creating a scratch database")?;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// Drops database `name` (closing its connections by force); errors are ignored, as
/// for any clean-up.
pub async fn drop_database(admin: &str, name: &str) {
    if check_name(name).is_err() {
        return;
    }
    sqlx::any::install_default_drivers();
    if let Ok(mut conn) = sqlx::AnyConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// A database name is spliced into SQL: letters, digits and `_` only.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    anyhow::ensure!(ok, "'{name}' is not a plain database name");
    Ok(())
}
