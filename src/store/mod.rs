//! The truth store: the only module that speaks SQL. One code path serves SQLite (the
//! default, a file created and migrated at start-up) and PostgreSQL (several `verity
//! serve` processes sharing one database) through sqlx's `Any` driver: `$1`
//! placeholders, `ON CONFLICT`, `RETURNING`, BIGINT times and cents, TEXT JSON.

pub mod audit;
pub mod backup;
pub mod cases;
pub mod channels;
pub mod claims;
pub mod console;
pub mod contacts;
pub mod conversations;
pub mod events;
pub mod inspect;
pub mod lookups;
pub mod notes;
pub mod notice_sends;
pub mod notices;
pub mod records;
pub mod saved_replies;
pub mod scratch;
pub(crate) mod sql;
pub mod staff;
pub mod verification;

pub(crate) mod lite;

use anyhow::{Context, bail};
use futures_util::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use std::sync::Arc;
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
    /// SQLite has one writer at a time: writes through sqlx go through this one
    /// connection, in turn, while reads use `pool` (WAL lets them run beside the
    /// writer). A writer never waits behind readers for a connection. `None`: writes use
    /// `pool`.
    writer: Option<AnyPool>,
    /// A SQLite file's writer thread (the chat turn's writes, see [`lite`]); `None` on
    /// PostgreSQL and in-memory SQLite.
    lite: Option<Arc<lite::Lite>>,
    /// Held by every write in this process on a SQLite file (see [`lite`]).
    gate: lite::Gate,
    /// This process's name as the owner of claims and leases ([`claims`]): one per
    /// connected store, shared by its clones.
    instance: Arc<str>,
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
    /// Released after the transaction ends (fields drop in order).
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// The writing connection outside a transaction (see [`Store::write_one`]).
pub struct WriteConn {
    conn: sqlx::pool::PoolConnection<Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
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

/// Every SQLite connection: write-ahead log (readers beside the one writer), durable at
/// checkpoints, waits instead of failing when the file is locked by another process.
/// The log is copied back into the file by [`lite`]'s checkpointer every 100 ms; a
/// writer does it itself only past 100,000 pages, as a backstop.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 100000;";

/// The writer's page cache: nothing else changes the file under it.
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16384;";
/// Each of the eight readers keeps up to 16 MB of pages (a reader's cache is emptied
/// whenever it starts reading after another connection wrote).
const SQLITE_READER_PRAGMAS: &str = "PRAGMA cache_size = -16384;";

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
                    conn.execute(SQLITE_PRAGMAS).await?;
                    conn.execute(SQLITE_READER_PRAGMAS).await?;
                    Ok(())
                })
            });
        }
        let writer = if backend == Backend::Sqlite && max_connections > 1 {
            Some(
                opts.clone()
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            conn.execute(SQLITE_PRAGMAS).await?;
                            conn.execute(SQLITE_WRITER_PRAGMAS).await?;
                            Ok(())
                        })
                    })
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
        let mut store = Self {
            pool,
            backend,
            writer,
            lite: None,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            instance: claims::new_instance_id().into(),
        };
        store.migrate().await?;
        if store.writer.is_some() {
            use sqlx::Row;
            let path: String =
                sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&store.pool)
                    .await
                    .context("reading the database file's path")?
                    .try_get(0)?;
            store.lite = Some(Arc::new(lite::Lite::start(&path, store.gate.clone())?));
        }
        Ok(store)
    }

    /// The owner name of this process's claims and leases.
    pub fn instance_id(&self) -> &str {
        &self.instance
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
        let gate = self.hold_gate().await;
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        let tx = pool.begin().await.context("starting a transaction")?;
        Ok(WriteTx { tx, _gate: gate })
    }

    /// The writers' gate, on a SQLite file (see [`lite`]).
    async fn hold_gate(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.lite {
            Some(_) => Some(self.gate.clone().lock_owned().await),
            None => None,
        }
    }

    /// A SQLite file's writer thread, for the hot path's writes.
    pub(crate) fn lite(&self) -> Option<&lite::Lite> {
        self.lite.as_deref()
    }

    /// Runs `work` in a write transaction, committed when it returns `Ok` and rolled
    /// back when it fails. Must not be called while holding a [`WriteTx`] (the writer
    /// would wait for itself).
    pub async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, anyhow::Result<T>>,
    {
        let mut tx = self.begin().await?;
        let out = work(tx.conn()).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The writing connection without a transaction, for one statement that is atomic on
    /// its own (autocommit): one round trip instead of three (BEGIN, the write, COMMIT).
    pub async fn write_one(&self) -> anyhow::Result<WriteConn> {
        let gate = self.hold_gate().await;
        let conn = self
            .writer
            .as_ref()
            .unwrap_or(&self.pool)
            .acquire()
            .await
            .context("acquiring the writing connection")?;
        Ok(WriteConn { conn, _gate: gate })
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

/// A row's columns by name, as sqlx and rusqlite ([`lite::LiteRow`]) both give them:
/// one decoder serves both drivers.
pub(crate) trait Cols {
    fn text(&self, col: &str) -> anyhow::Result<String>;
    fn opt_text(&self, col: &str) -> anyhow::Result<Option<String>>;
    fn int(&self, col: &str) -> anyhow::Result<i64>;
    fn opt_int(&self, col: &str) -> anyhow::Result<Option<i64>>;
}

impl Cols for sqlx::any::AnyRow {
    fn text(&self, col: &str) -> anyhow::Result<String> {
        use sqlx::Row;
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> anyhow::Result<Option<String>> {
        use sqlx::Row;
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &str) -> anyhow::Result<i64> {
        use sqlx::Row;
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &str) -> anyhow::Result<Option<i64>> {
        use sqlx::Row;
        Ok(self.try_get(col)?)
    }
}

/// A random id with a prefix, e.g. `case_3f9c…` (128 bits of randomness).
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    format!("{prefix}_{}", hex::encode(bytes))
}

/// An id that sorts by when it was made, for rows written all the time (messages): the
/// milliseconds since 1970 in 12 hex digits, then 80 random bits, as long as
/// [`new_id`]'s. A new row's key then lands at the end of its index, on a page the
/// other new rows share, instead of on a page of its own somewhere in the middle.
pub fn new_sorted_id(prefix: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let bytes: [u8; 10] = rand::random();
    format!(
        "{prefix}_{:012x}{}",
        ms & 0xffff_ffff_ffff,
        hex::encode(bytes)
    )
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

    async fn audit_count(store: &Store) -> i64 {
        use sqlx::Row;
        let mut conn = store.read().await.expect("a reader");
        sqlx::query("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&mut *conn)
            .await
            .expect("counted")
            .try_get(0)
            .expect("a count")
    }

    fn audit(conn: &mut AnyConnection) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let details = serde_json::json!({});
            audit::insert_audit(conn, 1, "system", "test", None, &details).await
        })
    }

    fn lite_audit(conn: &rusqlite::Connection) -> anyhow::Result<()> {
        conn.execute(
            "INSERT INTO audit_log (at_ms, actor, action) VALUES (1, 'system', 'test')",
            [],
        )?;
        Ok(())
    }

    #[tokio::test]
    async fn writes_on_the_writers_thread_land_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::connect(&dir.path().join("w.db").to_string_lossy())
            .await
            .expect("a file store");
        let lite = store
            .lite()
            .expect("a SQLite file store has a writer thread");
        lite.write(|c| {
            lite_audit(c)?;
            lite_audit(c)
        })
        .await
        .expect("written");
        assert_eq!(audit_count(&store).await, 2);
        // A failing write leaves nothing behind, and the error reaches the caller.
        let failed = lite
            .write::<(), _>(|c| {
                lite_audit(c)?;
                anyhow::bail!("stopped halfway")
            })
            .await;
        assert!(format!("{:#}", failed.expect_err("fails")).contains("stopped halfway"));
        assert_eq!(audit_count(&store).await, 2);
        // Many at once are committed in batches: the failing ones are rolled back alone.
        let writes = (0..60).map(|i| {
            lite.write(move |c| {
                lite_audit(c)?;
                lite_audit(c)?;
                if i % 3 == 0 {
                    anyhow::bail!("write {i} fails");
                }
                Ok(i)
            })
        });
        let results = futures_util::future::join_all(writes).await;
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 20);
        assert_eq!(audit_count(&store).await, 2 + 2 * 40);
        // A sqlx transaction and the writer's thread take turns: the thread's write waits
        // for the transaction to end.
        let mut tx = store.begin().await.expect("a transaction");
        audit(tx.conn()).await.expect("written");
        let other = store.clone();
        let waiting =
            tokio::spawn(async move { other.lite().expect("the writer").write(lite_audit).await });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "the writer waits for the gate");
        tx.commit().await.expect("committed");
        waiting.await.expect("joined").expect("written after");
        assert_eq!(audit_count(&store).await, 2 + 80 + 2);
        // sqlx's own writes still commit whole or not at all.
        let failed = store
            .write::<(), _>(|c| {
                Box::pin(async move {
                    audit(c).await?;
                    anyhow::bail!("stopped halfway")
                })
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(audit_count(&store).await, 84);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_urgent_write_overtakes_a_backlog_of_ordinary_writes() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::connect(&dir.path().join("u.db").to_string_lossy())
            .await
            .expect("a file store");
        let done = Arc::new(AtomicUsize::new(0));
        // The writer waits at the gate while a backlog builds up behind it.
        let tx = store.begin().await.expect("a transaction");
        let backlog: Vec<_> = (0..600)
            .map(|_| {
                let (store, done) = (store.clone(), done.clone());
                tokio::spawn(async move {
                    store
                        .lite()
                        .expect("the writer")
                        .write(move |c| {
                            lite_audit(c)?;
                            done.fetch_add(1, Ordering::SeqCst);
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        while store.lite().expect("the writer").waiting() < 550 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let urgent = {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let lite = store.lite().expect("the writer");
                // How many ordinary writes ran before it, counted on the writer's thread.
                lite.write_in(lite::Lane::Urgent, move |c| {
                    lite_audit(c)?;
                    Ok(done.load(Ordering::SeqCst))
                })
                .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tx.commit().await.expect("committed");
        let before = urgent.await.expect("joined").expect("written");
        assert!(
            before < 600 - 300,
            "{before} of 600 ordinary writes landed before the urgent one"
        );
        for w in backlog {
            w.await.expect("joined").expect("written");
        }
        assert_eq!(audit_count(&store).await, 601);
    }

    #[test]
    fn sorted_ids_sort_by_time_and_look_like_the_others() {
        let a = new_sorted_id("msg");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_sorted_id("msg");
        assert!(a < b, "{a} before {b}");
        assert_eq!(a.len(), new_id("msg").len());
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_sorted_id("msg"), new_sorted_id("msg"));
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
