//! The truth store: the only module that speaks SQL. One code path serves SQLite (the
//! default, a file created and migrated at start-up) and PostgreSQL (several `verity
//! serve` processes sharing one database) through sqlx's `Any` driver: `$1`
//! placeholders, `ON CONFLICT`, `RETURNING`, BIGINT times and cents, TEXT JSON.

pub mod audit;
pub mod cases;
pub mod channels;
pub mod console;
pub mod conversations;
pub mod events;
pub mod inspect;
pub mod records;
pub mod staff;

use anyhow::{Context, bail};
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use std::time::Duration;

/// Which engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the truth store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time: writes go through this one connection, in
    /// turn, while reads use `pool` (WAL lets them run beside the writer). A writer
    /// never waits behind readers for a connection. `None`: writes use `pool`.
    writer: Option<AnyPool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// A write transaction (on SQLite, holding the one writer connection while it lives).
pub struct WriteTx {
    tx: Transaction<'static, Any>,
}

impl WriteTx {
    /// The connection to pass to the query functions.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
    pub async fn commit(self) -> anyhow::Result<()> {
        self.tx.commit().await.context("committing a transaction")
    }
}

/// How long a pooled connection may sit idle before it is pinged when handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Turns what a user wrote (`verity.db`, `./data/v.db`, `sqlite://v.db`, `postgres://…`)
/// into a URL sqlx understands; SQLite files are created when missing.
pub fn normalize_url(url: &str) -> anyhow::Result<(String, Backend)> {
    let u = url.trim();
    if u.starts_with("postgres://") || u.starts_with("postgresql://") {
        return Ok((u.to_string(), Backend::Postgres));
    }
    if let Some(rest) = u.strip_prefix("sqlite:") {
        if rest == ":memory:" || rest.contains("mode=") {
            return Ok((u.to_string(), Backend::Sqlite));
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        return Ok((format!("{u}{sep}mode=rwc"), Backend::Sqlite));
    }
    if u.contains("://") {
        bail!(
            "unsupported database URL scheme in '{}': use a file path, sqlite://FILE or postgres://…",
            u.split("://").next().unwrap_or("")
        );
    }
    if u.is_empty() {
        bail!("empty database URL");
    }
    Ok((format!("sqlite://{u}?mode=rwc"), Backend::Sqlite))
}

impl Store {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let (url, backend) = normalize_url(url)?;
        let max = match backend {
            Backend::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => 1,
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        Self::open(&url, backend, max).await
    }

    /// A fresh private in-memory SQLite store (tests and evals).
    pub async fn in_memory() -> anyhow::Result<Self> {
        Self::open("sqlite::memory:", Backend::Sqlite, 1).await
    }

    async fn open(url: &str, backend: Backend, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings every connection it hands out by default: one more round trip
            // per request (to the server, or to SQLite's worker thread). A connection in
            // steady use has just proven itself; only one that sat idle is checked.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        use sqlx::Connection;
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            });
        if backend == Backend::Sqlite {
            if max_connections == 1 {
                // An in-memory database lives as long as its one connection.
                opts = opts
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            opts = opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; \
                         PRAGMA cache_size = -65536; \
                         PRAGMA wal_autocheckpoint = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let writer = if backend == Backend::Sqlite && max_connections > 1 {
            Some(
                opts.clone()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await
                    .with_context(|| format!("connecting to the {backend:?} database"))?,
            )
        } else {
            None
        };
        let pool = opts
            .connect(url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        let store = Self {
            pool,
            backend,
            writer,
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator()
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> anyhow::Result<WriteTx> {
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        let tx = pool.begin().await.context("starting a transaction")?;
        Ok(WriteTx { tx })
    }

    /// The writing connection without a transaction, for one statement that is atomic on
    /// its own (autocommit): one round trip instead of three (BEGIN, the write, COMMIT).
    pub async fn write_one(&self) -> anyhow::Result<sqlx::pool::PoolConnection<Any>> {
        self.writer
            .as_ref()
            .unwrap_or(&self.pool)
            .acquire()
            .await
            .context("acquiring the writing connection")
    }

    /// A pooled connection for reads.
    pub async fn read(&self) -> anyhow::Result<sqlx::pool::PoolConnection<Any>> {
        self.pool
            .acquire()
            .await
            .context("acquiring a database connection")
    }

    /// Ready when the database answers and every migration is applied.
    pub async fn readiness(&self) -> anyhow::Result<()> {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await
            .context("reading the migration table")?;
        let applied: i64 = row.try_get(0)?;
        let known = self.migrator().iter().count() as i64;
        if applied < known {
            bail!("{applied} of {known} migrations applied");
        }
        Ok(())
    }
}

/// Placeholders for `rows` rows of `cols` values, numbered after `$start`:
/// `($1, $2), ($3, $4)` on PostgreSQL, `(?, ?), (?, ?)` on SQLite. sqlx's `QueryBuilder`
/// writes `?` for the `Any` driver, which PostgreSQL refuses; and SQLite resolves each
/// `$n` by a linear scan of the statement's names, which makes long lists quadratic.
/// The values are always bound, never spliced.
pub(crate) fn placeholders(conn: &AnyConnection, start: usize, rows: usize, cols: usize) -> String {
    let numbered = conn.backend_name() != "SQLite";
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            if numbered {
                out.push('$');
                out.push_str(&(start + r * cols + c + 1).to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// The list inside `IN (…)` for `n` values numbered after `$start`.
pub(crate) fn in_list(conn: &AnyConnection, start: usize, n: usize) -> String {
    let p = placeholders(conn, start, 1, n);
    p[1..p.len() - 1].to_string()
}

/// A random id with a prefix, e.g. `case_3f9c…` (128 bits of randomness).
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    format!("{prefix}_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_lists_use_positional_placeholders() {
        let store = Store::in_memory().await.unwrap();
        let conn = store.read().await.unwrap();
        assert_eq!(placeholders(&conn, 0, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(in_list(&conn, 1, 3), "?, ?, ?");
    }

    #[test]
    fn plain_paths_become_sqlite_urls_that_create_the_file() {
        assert_eq!(
            normalize_url("verity.db").unwrap(),
            ("sqlite://verity.db?mode=rwc".to_string(), Backend::Sqlite)
        );
        assert_eq!(
            normalize_url("sqlite://x.db").unwrap().0,
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            normalize_url("sqlite::memory:").unwrap().0,
            "sqlite::memory:"
        );
        assert_eq!(
            normalize_url("postgres://u@localhost/v").unwrap().1,
            Backend::Postgres
        );
        assert!(normalize_url("mysql://x").is_err());
    }
}
