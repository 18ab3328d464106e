//! SQLite files without sqlx's connection threads, for the chat turn's hot path.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement to
//! it and the answer back: two thread switches per statement, and a transaction holds
//! the one writer across all of its round trips. The turn's writes run here instead, on
//! one writer thread that owns a rusqlite connection: when it is free it takes every
//! write waiting and commits them together (group commit); a write that fails is rolled
//! back alone and the others land (see [`commit`]). A page the writes share (the end of
//! the messages table, of an index) goes to the write-ahead log once per batch instead
//! of once per write. A writer whose last batch had more than one write waits half a
//! millisecond for more before it commits: under load the batches grow, and with them
//! the pages shared. Writes wait in two lanes: an urgent one (a webhook delivery stored
//! before it is acknowledged) goes into the next batch ahead of every ordinary write
//! waiting, and a batch takes a bounded number of ordinary ones, so an acknowledgement
//! waits for at most the batch being committed, never for a backlog of turn writes.
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
/// How long the write-ahead log may grow (in bytes) before it is made to start over.
const RESTART_AFTER_BYTES: i64 = 16 << 20;
/// Passes that catch up with the writers before the last one holds them back.
const CATCH_UP_PASSES: usize = 8;
/// New frames few enough to be copied and synced with the writers held back.
const FEW_FRAMES: i64 = 256;
/// The most writes committed together.
const MAX_BATCH: usize = 256;
/// The most ordinary writes (the turns', the outbox's) in one batch: a batch runs
/// them one after another, and an urgent write arriving meanwhile waits for its commit.
/// At a few tens of microseconds each, this many take a millisecond or two.
const MAX_ORDINARY: usize = 48;
/// How long a busy writer waits for more writes before it commits: the pages writes
/// share (the ends of the messages table and its indexes) then go to the log once for
/// more of them.
const GATHER: Duration = Duration::from_micros(500);
/// Per connection; a statement of the hot path is compiled once.
const STATEMENT_CACHE: usize = 64;

/// The writer's page cache.
const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// Reading connections kept between reads.
const IDLE_READERS: usize = 8;
/// A reader's page cache, emptied anyway whenever another connection wrote.
const READER_CACHE_KIB: i64 = 2048;

/// The writer's thread, the checkpointer (both stop when the last handle is dropped),
/// and reading connections for the turn's reads.
pub(crate) struct Lite {
    jobs: Arc<Queue>,
    /// Dropped with the store: the checkpointer sees its channel close and stops.
    _checkpoints: mpsc::Sender<()>,
    path: String,
    readers: std::sync::Mutex<Vec<Connection>>,
}

/// The writes waiting for the writer, in two lanes: urgent ones (a webhook delivery
/// stored before its acknowledgement) go into the next batch ahead of every ordinary
/// one, and a batch takes at most [`MAX_ORDINARY`] ordinary ones, so an acknowledgement
/// never waits behind a backlog of turn writes, only behind the batch being committed.
struct Queue {
    lanes: std::sync::Mutex<Lanes>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct Lanes {
    urgent: std::collections::VecDeque<Box<dyn Job>>,
    ordinary: std::collections::VecDeque<Box<dyn Job>>,
    /// The store is gone: the writer finishes what waits and stops.
    closed: bool,
}

/// Which lane a write waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    Urgent,
    Ordinary,
}

impl Queue {
    fn push(&self, job: Box<dyn Job>, lane: Lane) -> anyhow::Result<()> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        if lanes.closed {
            anyhow::bail!("the database writer has stopped");
        }
        match lane {
            Lane::Urgent => lanes.urgent.push_back(job),
            Lane::Ordinary => lanes.ordinary.push_back(job),
        }
        drop(lanes);
        self.ready.notify_one();
        Ok(())
    }

    fn close(&self) {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.ready.notify_one();
    }

    /// The next batch: every urgent write waiting, then ordinary ones up to
    /// [`MAX_ORDINARY`]. A writer that was `busy` (its last batch had company) waits up
    /// to [`GATHER`] for more ordinary writes before it commits, unless an urgent one
    /// waits. `None` once the store is gone and nothing waits.
    fn next_batch(&self, busy: bool) -> Option<Vec<Box<dyn Job>>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        while lanes.urgent.is_empty() && lanes.ordinary.is_empty() {
            if lanes.closed {
                return None;
            }
            lanes = self.ready.wait(lanes).unwrap_or_else(|p| p.into_inner());
        }
        if busy && lanes.urgent.is_empty() {
            let until = std::time::Instant::now() + GATHER;
            while lanes.urgent.is_empty() && lanes.ordinary.len() < MAX_ORDINARY {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                lanes = self
                    .ready
                    .wait_timeout(lanes, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        let urgent = lanes.urgent.len().min(MAX_BATCH);
        let ordinary = lanes
            .ordinary
            .len()
            .min(MAX_ORDINARY)
            .min(MAX_BATCH - urgent);
        let mut batch: Vec<Box<dyn Job>> = lanes.urgent.drain(..urgent).collect();
        batch.extend(lanes.ordinary.drain(..ordinary));
        Some(batch)
    }
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
    F: FnMut(&Connection) -> anyhow::Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let out = match self.work.as_mut() {
            // A panicking write fails alone; the writer goes on.
            Some(work) => std::panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(anyhow!("a database write panicked"))),
            None => Err(anyhow!("a database write was dropped")),
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
        .with_context(|| format!("opening the SQLite database {path}"))?;
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
        // The writer's working set (the ends of the messages, deliveries and outbox tables
        // and their indexes, the conversations being answered) stays in its cache: a page
        // read back from the file is a system call and a copy (measured with 2 MiB: about two
        // fifths of the writer's time under the WhatsApp load).
        let writer = open(path, WRITER_CACHE_KIB)?;
        let checkpointer = open(path, 1024)?;
        let jobs = Arc::new(Queue {
            lanes: std::sync::Mutex::new(Lanes::default()),
            ready: std::sync::Condvar::new(),
        });
        let queue = jobs.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let page: i64 = checkpointer.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let restart_after = RESTART_AFTER_BYTES / page.max(512);
        let db = path.to_string();
        let checkpoint_gate = gate.clone();
        std::thread::Builder::new()
            .name("verity-writer".into())
            .spawn(move || write_loop(writer, &queue, &gate))
            .context("starting the writer's thread")?;
        std::thread::Builder::new()
            .name("verity-checkpoint".into())
            .spawn(move || {
                checkpoint_loop(
                    &checkpointer,
                    &db,
                    &checkpoint_gate,
                    restart_after,
                    &stopped,
                )
            })
            .context("starting the checkpointer's thread")?;
        Ok(Lite {
            jobs,
            _checkpoints: stop,
            path: path.to_string(),
            readers: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Runs `work` on a reading connection, on the calling thread, inside one read
    /// transaction (its statements see one state of the store). For short reads on the
    /// hot path: a few indexed statements take tens of microseconds, less than handing
    /// each to a connection thread and back.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            // Not memory-mapped: SQLite unmaps the whole file whenever another connection
            // wrote, and each turn's read then began with an munmap and page faults for
            // every page it touched (measured: a third of its reads' time).
            None => open(&self.path, READER_CACHE_KIB)?,
        };
        // BEGIN and COMMIT from the statement cache: compiled once per connection.
        conn.prepare_cached("BEGIN")?.execute([])?;
        let out = work(&conn);
        conn.prepare_cached("COMMIT")?.execute([])?;
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs `work` on the writer's thread; it lands when it returns `Ok` and its batch
    /// commits, and leaves nothing behind when it fails. It may run more than once (when
    /// another write of its batch failed, the batch is rolled back and run again with a
    /// savepoint around each write), so it must do the same on the same database.
    pub(crate) async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        self.write_in(Lane::Ordinary, work).await
    }

    /// How many writes wait for the writer (for tests).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        let lanes = self.jobs.lanes.lock().unwrap_or_else(|p| p.into_inner());
        lanes.urgent.len() + lanes.ordinary.len()
    }

    /// [`Self::write`] in the given lane (see [`Queue`]).
    pub(crate) async fn write_in<T, F>(&self, lane: Lane, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = Work {
            work: Some(work),
            out: None,
            done,
        };
        self.jobs.push(Box::new(job), lane)?;
        result
            .await
            .map_err(|_| anyhow!("the database writer dropped a write"))?
    }
}

impl Drop for Lite {
    fn drop(&mut self) {
        self.jobs.close();
    }
}

fn write_loop(mut conn: Connection, queue: &Queue, gate: &Gate) {
    // Whether the last batch had company: only a busy writer waits for more.
    let mut busy = false;
    while let Some(mut batch) = queue.next_batch(busy) {
        busy = batch.len() > 1;
        let asked = std::time::Instant::now();
        let failed = {
            let _gate = gate.blocking_lock();
            let began = std::time::Instant::now();
            let failed = commit(&mut conn, &mut batch).err().map(|e| e.to_string());
            slow("a batch of writes", asked, began, batch.len());
            failed
        };
        if let Some(e) = &failed {
            tracing::error!(error = %e, writes = batch.len(), "a batch of writes did not commit");
        }
        for job in batch {
            job.finish(failed.as_deref());
        }
    }
}

/// One transaction for the whole batch. Writes seldom fail, so they first run one
/// after the other with nothing between them; when one fails, that transaction is
/// rolled back and the batch runs again with a savepoint for each write, so the failed
/// one is undone alone. (A savepoint around every write had cost a copy of each page a
/// write touched: a tenth of the writer's time.)
fn commit(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if batch.iter_mut().all(|job| job.run(&tx)) {
            return tx.commit();
        }
        // Dropping the transaction rolls it back.
    }
    if let [_] = batch {
        // Its failure is its result: nothing to run again.
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Statements prepared once (rusqlite's savepoints compile theirs for each write).
    for job in batch.iter_mut() {
        tx.prepare_cached("SAVEPOINT job")?.execute([])?;
        if !job.run(&tx) {
            tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
        }
        tx.prepare_cached("RELEASE job")?.execute([])?;
    }
    tx.commit()
}

/// Writes that took long enough to show in a turn's latency are logged (at debug).
const SLOW: Duration = Duration::from_millis(10);

fn slow(what: &str, asked: std::time::Instant, began: std::time::Instant, writes: usize) {
    let done = std::time::Instant::now();
    if done - asked >= SLOW {
        tracing::debug!(
            waited_ms = (began - asked).as_millis() as u64,
            took_ms = (done - began).as_millis() as u64,
            writes,
            "{what} was slow"
        );
    }
}

/// Logs the writers' hold-back by the checkpointer when it was long.
struct SlowOnDrop(std::time::Instant, std::time::Instant);

impl Drop for SlowOnDrop {
    fn drop(&mut self) {
        slow(
            "holding the writers back for a checkpoint",
            self.0,
            self.1,
            0,
        );
    }
}

fn checkpoint_loop(
    conn: &Connection,
    path: &str,
    gate: &Gate,
    restart_after: i64,
    stopped: &mpsc::Receiver<()>,
) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(e) = checkpoint(conn, path, gate, restart_after) {
            tracing::warn!(error = %e, "checkpointing the write-ahead log failed");
        }
    }
}

/// Copies the write-ahead log into the database file, and lets the log start over from
/// its beginning once it is long.
///
/// A PASSIVE checkpoint copies what no reader needs any more and never waits; it syncs
/// the log before copying and the database file after, which under load takes
/// milliseconds to tens of milliseconds while the writer goes on. But the log only
/// starts over when a writer begins while every frame in it has been copied, which
/// under a steady stream of writes never happens: the log would grow until the writer's
/// own backstop (`wal_autocheckpoint`) made a write copy and sync all of it, a stall of
/// every turn. So once the log is long, further passes (nobody waits) copy what was
/// written during the previous one, until a pass finds only a few frames new; then,
/// with the writers held back (the gate), a last pass copies and syncs those few, and
/// the next write starts the log over. Holding the writers back costs them about as
/// long as syncing a few pages, not the tens of milliseconds a long pass takes.
fn checkpoint(
    conn: &Connection,
    path: &str,
    gate: &Gate,
    restart_after: i64,
) -> rusqlite::Result<()> {
    let passive = || {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
    };
    let (log, mut copied) = passive()?;
    if log < restart_after {
        return Ok(());
    }
    for _ in 0..CATCH_UP_PASSES {
        let (_, now) = passive()?;
        let new = now - copied;
        copied = now;
        // A pass that started over (the log was restarted meanwhile) counts from zero.
        if (0..=FEW_FRAMES).contains(&new) {
            break;
        }
    }
    // A pass syncs the database file only when it copied the whole log, which under
    // load none of the above did: the pages they copied would all be synced by the
    // last pass, with the writers waiting. Synced here first (best effort: the last
    // pass syncs anyway, only slower), as are the frames written since the last pass.
    for file in [path.to_string(), format!("{path}-wal")] {
        if let Ok(f) = std::fs::File::open(&file) {
            let _ = f.sync_data();
        }
    }
    let asked = std::time::Instant::now();
    let _gate = gate.blocking_lock();
    let began = std::time::Instant::now();
    let _slow = SlowOnDrop(asked, began);
    for _ in 0..3 {
        let (log, copied) = passive()?;
        // A reader still in an older snapshot keeps the last frames; it ends soon.
        if copied >= log {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// A row read through rusqlite, its columns by name (see [`super::Cols`]).
pub(crate) struct LiteRow {
    names: std::rc::Rc<[String]>,
    values: Vec<rusqlite::types::Value>,
}

impl LiteRow {
    fn get(&self, col: &str) -> anyhow::Result<&rusqlite::types::Value> {
        self.names
            .iter()
            .position(|n| n == col)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| anyhow!("no column {col}"))
    }
}

impl super::Cols for LiteRow {
    fn text(&self, col: &str) -> anyhow::Result<String> {
        self.opt_text(col)?
            .ok_or_else(|| anyhow!("column {col} is NULL"))
    }
    fn opt_text(&self, col: &str) -> anyhow::Result<Option<String>> {
        use rusqlite::types::Value;
        match self.get(col)? {
            Value::Text(s) => Ok(Some(s.clone())),
            Value::Null => Ok(None),
            other => Err(anyhow!("column {col} is {:?}, not text", other.data_type())),
        }
    }
    fn opt_int(&self, col: &str) -> anyhow::Result<Option<i64>> {
        match self.get(col)? {
            rusqlite::types::Value::Null => Ok(None),
            _ => self.int(col).map(Some),
        }
    }
    fn int(&self, col: &str) -> anyhow::Result<i64> {
        match self.get(col)? {
            rusqlite::types::Value::Integer(i) => Ok(*i),
            other => Err(anyhow!(
                "column {col} is {:?}, not an integer",
                other.data_type()
            )),
        }
    }
}

/// Every row of a statement, its `$1`, `$2`, … bound to `values` (see [`bind`]).
pub(crate) fn query(
    conn: &Connection,
    sql: &str,
    values: &[&dyn rusqlite::ToSql],
) -> anyhow::Result<Vec<LiteRow>> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, values)?;
    let names: std::rc::Rc<[String]> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let values = (0..names.len())
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect::<rusqlite::Result<_>>()?;
        out.push(LiteRow {
            names: names.clone(),
            values,
        });
    }
    Ok(out)
}

/// Binds `values` to the statement's `$1`, `$2`, … (the placeholders the store's SQL
/// shares with sqlx; SQLite numbers a name by where it first appears, not by its digits).
pub(crate) fn bind(
    stmt: &mut rusqlite::CachedStatement<'_>,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<()> {
    const NAMES: [&str; 16] = [
        "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14",
        "$15", "$16",
    ];
    for (i, v) in values.iter().enumerate() {
        let name = match NAMES.get(i) {
            Some(n) => std::borrow::Cow::Borrowed(*n),
            None => std::borrow::Cow::Owned(format!("${}", i + 1)),
        };
        let at = stmt
            .parameter_index(&name)?
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.into_owned()))?;
        stmt.raw_bind_parameter(at, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Store, cases, events, records};
    use crate::domain::Item;

    /// The reads of the hot path give what sqlx's give, on every demo order.
    #[tokio::test]
    async fn reads_through_rusqlite_match_reads_through_sqlx() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::connect(&dir.path().join("r.db").to_string_lossy())
            .await
            .expect("a file store");
        let anchor = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
        let data = crate::demo::generate(anchor);
        let inputs = data
            .items
            .iter()
            .map(|item| crate::ingest::Input::new(None, Ok(item.clone())))
            .collect();
        crate::ingest::apply(&store, inputs, chrono::Utc::now().timestamp_millis())
            .await
            .expect("the demo data");
        let lite = store
            .lite()
            .expect("a SQLite file store reads through rusqlite");
        let orders: Vec<_> = data
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Order(o) => Some(o.number.clone()),
                _ => None,
            })
            .collect();
        assert!(orders.len() > 50);
        let mut with_events = 0;
        for n in &orders {
            let mut conn = store.read().await.expect("a reader");
            let order = records::get_order_with_locale(&mut conn, n)
                .await
                .expect("read");
            let shipments = records::list_shipments_for_order(&mut conn, n)
                .await
                .expect("read");
            let tracking: Vec<_> = shipments
                .iter()
                .map(|s| s.tracking_number.clone())
                .collect();
            let evs = events::events_for_order(&mut conn, n, &tracking)
                .await
                .expect("read");
            let case_list = cases::list_cases_for_order(&mut conn, n)
                .await
                .expect("read");
            drop(conn);
            let (l_order, l_shipments, l_evs, l_cases) = lite
                .read(|c| {
                    Ok((
                        records::lite_order_with_locale(c, n)?,
                        records::lite_shipments_for_order(c, n)?,
                        events::lite_events_for_order(c, n, &tracking)?,
                        cases::lite_cases_for_order(c, n)?,
                    ))
                })
                .expect("read through rusqlite");
            assert!(order.is_some());
            assert_eq!(format!("{order:?}"), format!("{l_order:?}"), "{n:?}");
            assert_eq!(
                format!("{shipments:?}"),
                format!("{l_shipments:?}"),
                "{n:?}"
            );
            assert_eq!(format!("{evs:?}"), format!("{l_evs:?}"), "{n:?}");
            assert_eq!(case_list, l_cases, "{n:?}");
            with_events += usize::from(!evs.is_empty());
        }
        assert!(with_events > 50, "the comparison covered events");
        // An order that does not exist reads as nothing either way.
        let missing = crate::domain::OrderNumber::parse("Z-999999").expect("a number");
        assert!(
            lite.read(|c| records::lite_order_with_locale(c, &missing))
                .expect("read")
                .is_none()
        );
    }
}
