//! SQLite files without sqlx's connection threads, for the chat turn's hot path.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement to
//! it and the answer back: two thread switches per statement, and a transaction holds
//! the one writer across all of its round trips. The turn's writes run here instead, on
//! one writer thread that owns a rusqlite connection: when it is free it takes every
//! write waiting and commits them together (group commit), each inside a savepoint of
//! its own, so a write that fails is rolled back alone and the others land. A page the
//! writes share (the end of the messages table, of an index) goes to the write-ahead log
//! once per batch instead of once per write.
//!
//! A second thread copies the write-ahead log back into the database file every 100 ms
//! (a passive checkpoint, which never waits for anyone): the writer would otherwise do
//! it itself, holding every write behind the copy.
//!
//! The writes that still go through sqlx ([`super::Store::begin`] and friends) and this
//! writer exclude each other with a gate, so neither ever finds the file locked by the
//! other; another process writing the same file is waited for (SQLite's busy timeout).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// Held by whoever writes in this process (the writer thread, or a sqlx transaction).
pub(crate) type Gate = Arc<tokio::sync::Mutex<()>>;

/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// How long the write-ahead log may grow (in pages) before it is made to start over.
const RESTART_AFTER_FRAMES: i64 = 4096;
/// How long a RESTART checkpoint waits for readers.
const RESTART_WAIT: Duration = Duration::from_millis(20);
/// The most writes committed together.
const MAX_BATCH: usize = 256;
/// Per connection; a statement of the hot path is compiled once.
const STATEMENT_CACHE: usize = 64;

/// The writer's thread and the checkpointer; both stop when the last handle is dropped.
pub(crate) struct Lite {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// Dropped with the store: the checkpointer sees its channel close and stops.
    _checkpoints: mpsc::Sender<()>,
}

trait Job: Send {
    /// Runs the work; `false` when it failed (its changes are then rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Reports the work's result, or `failed` when the batch did not commit.
    fn finish(self: Box<Self>, failed: Option<&str>);
}

struct Work<T, F> {
    work: Option<F>,
    out: Option<anyhow::Result<T>>,
    done: tokio::sync::oneshot::Sender<anyhow::Result<T>>,
}

impl<T, F> Job for Work<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> anyhow::Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let out = match self.work.take() {
            // A panicking write fails alone; the writer goes on.
            Some(work) => std::panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(anyhow!("a database write panicked"))),
            None => Err(anyhow!("a database write ran twice")),
        };
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, failed: Option<&str>) {
        let out = match (failed, self.out) {
            (Some(e), _) => Err(anyhow!("committing a write: {e}")),
            (None, Some(out)) => out,
            (None, None) => Err(anyhow!("a database write was not run")),
        };
        // The caller may have given up waiting; nothing to tell then.
        let _ = self.done.send(out);
    }
}

/// Opens a connection to the database file with the settings every store connection has.
fn open(path: &str, cache_kib: i64) -> anyhow::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| "opening the SQLite database for the writer")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = 100000; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -{cache_kib};"
    ))
    .context("configuring the SQLite connection")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl Lite {
    /// Starts the writer and the checkpointer on the database file at `path` (already
    /// migrated, in write-ahead-log mode).
    pub(crate) fn start(path: &str, gate: Gate) -> anyhow::Result<Self> {
        let writer = open(path, 16 * 1024)?;
        let checkpointer = open(path, 1024)?;
        // A RESTART checkpoint holds writers back while it waits for readers to leave
        // the log: it gives up soon (and tries again at the next round).
        checkpointer.busy_timeout(RESTART_WAIT)?;
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("verity-writer".into())
            .spawn(move || write_loop(writer, &queue, &gate))
            .context("starting the writer's thread")?;
        std::thread::Builder::new()
            .name("verity-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped))
            .context("starting the checkpointer's thread")?;
        Ok(Lite {
            jobs,
            _checkpoints: stop,
        })
    }

    /// Runs `work` on the writer's thread; it lands (in a savepoint of its own) when it
    /// returns `Ok` and its batch commits, and leaves nothing behind when it fails.
    pub(crate) async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = Work {
            work: Some(work),
            out: None,
            done,
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        result
            .await
            .map_err(|_| anyhow!("the database writer dropped a write"))?
    }
}

fn write_loop(mut conn: Connection, queue: &mpsc::Receiver<Box<dyn Job>>, gate: &Gate) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let failed = {
            let _gate = gate.blocking_lock();
            commit(&mut conn, &mut batch).err().map(|e| e.to_string())
        };
        if let Some(e) = &failed {
            tracing::error!(error = %e, writes = batch.len(), "a batch of writes did not commit");
        }
        for job in batch {
            job.finish(failed.as_deref());
        }
    }
}

/// One transaction for the whole batch, a savepoint for each write in it.
fn commit(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let [only] = batch {
        if !only.run(&tx) {
            // Dropping the transaction rolls it back.
            return Ok(());
        }
    } else {
        for job in batch.iter_mut() {
            let sp = tx.savepoint()?;
            if job.run(&sp) {
                sp.commit()?;
            }
        }
    }
    tx.commit()
}

fn checkpoint_loop(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(e) = checkpoint(conn) {
            tracing::warn!(error = %e, "checkpointing the write-ahead log failed");
        }
    }
}

/// Copies the write-ahead log into the database file, and makes the log start over
/// from its beginning once it is long.
///
/// A PASSIVE checkpoint copies what no reader needs any more and never waits. But the
/// log only starts over when a writer begins while every frame of it is copied, which
/// under a steady stream of writes hardly ever happens: it would grow until the writer's
/// own backstop (`wal_autocheckpoint`) made a write copy and sync it all, a stall of
/// every turn. So once the log is long, a RESTART checkpoint follows the passive one: it
/// holds writers back only while it copies the few frames written since, syncs, and
/// waits for readers to leave the log; the next write then starts the log over.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    let log: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
    if log >= RESTART_AFTER_FRAMES {
        conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// Binds `values` to the statement's `$1`, `$2`, … (the placeholders the store's SQL
/// shares with sqlx; SQLite numbers a name by where it first appears, not by its digits).
pub(crate) fn bind(
    stmt: &mut rusqlite::CachedStatement<'_>,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<()> {
    for (i, v) in values.iter().enumerate() {
        let name = format!("${}", i + 1);
        let at = stmt
            .parameter_index(&name)?
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name))?;
        stmt.raw_bind_parameter(at, v)?;
    }
    Ok(())
}
