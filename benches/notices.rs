//! Notices: (a) the time from an ingestion call to its notice's row in the outbox while
//! `verity serve` takes a sustained feed, and (b) the sweep over 100,000 open orders.
//!
//! Run: `cargo bench --bench notices`. Knobs: `VERITY_BENCH_BIN` (the `verity` build to
//! measure in (a)), `VERITY_BENCH_RATE` (events per second offered in (a), default
//! 50,000), `VERITY_BENCH_SECONDS` (how long (a) feeds, default 10),
//! `VERITY_BENCH_SWEEP_ORDERS` (default 100,000), `VERITY_BENCH_POSTGRES_URL` (an admin
//! URL: (b) on PostgreSQL too), `VERITY_BENCH_ONLY` (`latency` or `sweep`).
//!
//! (a) `verity serve` on a SQLite file, 21,000 orders of 21,000 customers with an email
//! loaded first (their notices decided before timing). Then batches of 1,000 events
//! (`POST /api/v1/ingest`, NDJSON) are due at the rate, up to 8 in flight: 998 carrier
//! scans of the first 20,000 shipments (nothing to tell; 25 scans each after 500,000
//! events) and, for one order of the other 1,000, a delivered scan and a driver who
//! found nobody home (one notice). A poller
//! reads the store file every 10 ms; a notice's latency runs from the start of the call
//! that carried its contradiction to the poll that first saw its outbox row. The rate
//! reached is reported beside the one offered: a server that cannot take the feed shows
//! it there, and the latencies are those at the rate it took.
//!
//! (b) 100,000 orders (each with a customer with an email and a shipment in transit,
//! scanned an hour ago; one in a hundred 71 hours ago) are ingested and decided
//! (timed: deciding after ingestion). Then the sweep runs as `verity serve` runs it,
//! once a minute, for two simulated hours, each sweep timed: in the second hour the one
//! in a hundred go stale (1,000 notices), and every order comes due for its hourly
//! look (spread over the hour by its number). Reported: the median and the slowest
//! sweep, and the sweep that found the news. A final sweep two hours on, with nothing
//! left to tell, is asserted to tell nothing.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

const TOKEN: &str = "bench-token";
const BATCH: usize = 1_000;
const SHIPMENTS: usize = 21_000;
/// Shipments `0..QUIET` get plain scans; the others one contradiction each.
const QUIET: usize = 20_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn tracking(i: usize) -> String {
    format!("0034043417{i:010}")
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A customer with an email, their order placed two days before `now`, its shipment.
fn records(i: usize, now: DateTime<Utc>) -> [serde_json::Value; 3] {
    [
        json!({"type":"customer","id":format!("C-{i}"),"name":"Lene Brandt",
            "email":format!("lene{i}@example.org"),"locale":"de"}),
        json!({"type":"order","number":format!("N-{i}"),"customer_id":format!("C-{i}"),
            "placed_at":rfc(now - TimeDelta::days(2)),"currency":"EUR","total":"19.90",
            "shipping_address":{"name":"Lene Brandt","street":"Lindenstraße 1","postcode":"33602","city":"Bielefeld","country":"DE"},
            "lines":[{"sku":"SHIRT-M","name":"T-Shirt M","qty":1,"unit_price":"19.90"}]}),
        json!({"type":"shipment","tracking_number":tracking(i),"carrier":"dhl",
            "order_number":format!("N-{i}"),"kind":"original","skus":["SHIRT-M"]}),
    ]
}

fn scan(id: String, i: usize, at: DateTime<Utc>, status: &str) -> serde_json::Value {
    json!({"type":"tracking_scan","id":id,"tracking_number":tracking(i),"occurred_at":rfc(at),
        "status":status,"location":"Paketzentrum Bielefeld","postcode":"33609"})
}

/// Batch `b` of the feed: plain scans, and one order's contradiction.
fn feed_batch(b: usize, now: DateTime<Utc>) -> (String, String) {
    let mut lines = Vec::with_capacity(BATCH);
    for k in 0..BATCH - 2 {
        let n = b * (BATCH - 2) + k;
        let at = now - TimeDelta::hours(12) + TimeDelta::milliseconds((n % 40_000_000) as i64);
        lines.push(scan(format!("f-{n}"), n % QUIET, at, "in_transit").to_string());
    }
    let i = QUIET + b % (SHIPMENTS - QUIET);
    let at = now - TimeDelta::hours(2);
    lines.push(scan(format!("d-{b}"), i, at, "delivered").to_string());
    lines.push(
        json!({"type":"driver_report","id":format!("r-{b}"),"tracking_number":tracking(i),
            "occurred_at":rfc(at + TimeDelta::minutes(3)),"outcome":"recipient_absent",
            "notice_card_left":true,"note":"Niemand angetroffen"})
        .to_string(),
    );
    (lines.join("\n"), format!("N-{i}"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn latency() {
    let rate: f64 = env_or("VERITY_BENCH_RATE", 50_000.0);
    let seconds: f64 = env_or("VERITY_BENCH_SECONDS", 10.0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("verity.db");
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let bin =
        std::env::var("VERITY_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_verity").into());
    let mut server = std::process::Command::new(bin)
        .arg("--database-url")
        .arg(&file)
        .args(["serve", "--bind", &addr.to_string()])
        .env("RUST_LOG", "warn")
        .env("VERITY_INGEST_TOKEN", TOKEN)
        .env("VERITY_SWEEP_INTERVAL_SECS", "0")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready_by = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < ready_by, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = format!("http://{addr}/api/v1/ingest");
    let now = Utc::now();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let post = |body: String| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client
                .post(&url)
                .bearer_auth(TOKEN)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
        }
    };
    // The records, and their notices decided (none: nothing is wrong yet).
    let items: Vec<String> = (0..SHIPMENTS)
        .flat_map(|i| records(i, now))
        .map(|v| v.to_string())
        .collect();
    rt.block_on(async {
        for chunk in items.chunks(3_000) {
            post(chunk.join("\n")).await;
        }
    });
    let db =
        rusqlite::Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    while count(&db, "SELECT COUNT(*) FROM notice_pending") > 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let batches = ((rate * seconds) / BATCH as f64).round().max(1.0) as usize;
    let bodies: Vec<(String, String)> = (0..batches).map(|b| feed_batch(b, now)).collect();
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (seen, done) = (seen.clone(), done.clone());
        let file = file.clone();
        std::thread::spawn(move || {
            let db = rusqlite::Connection::open_with_flags(
                &file,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .unwrap();
            db.busy_timeout(Duration::from_secs(5)).unwrap();
            let mut last: i64 = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let mut stmt = db
                    .prepare_cached(
                        "SELECT n.rowid, n.order_number FROM notices n \
                         JOIN outbox o ON o.id = n.outbox_id WHERE n.rowid > ?1 ORDER BY n.rowid",
                    )
                    .unwrap();
                let rows: Vec<(i64, String)> = stmt
                    .query_map([last], |r| Ok((r.get(0)?, r.get(1)?)))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let at = Instant::now();
                let mut seen = seen.lock().unwrap();
                for (rowid, order) in rows {
                    last = last.max(rowid);
                    seen.entry(order).or_insert(at);
                }
                drop(seen);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = Instant::now();
    let fed = rt.block_on(async {
        let slots = Arc::new(tokio::sync::Semaphore::new(8));
        let mut tasks = Vec::with_capacity(batches);
        for (b, (body, order)) in bodies.into_iter().enumerate() {
            let due = started + Duration::from_secs_f64(b as f64 * BATCH as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let permit = slots.clone().acquire_owned().await.unwrap();
            let (sent, post) = (sent.clone(), post(body));
            tasks.push(tokio::spawn(async move {
                sent.lock().unwrap().insert(order, Instant::now());
                post.await;
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        started.elapsed()
    });
    let wait_until = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().len() < batches.min(SHIPMENTS - QUIET) && Instant::now() < wait_until
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    poller.join().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let sent = sent.lock().unwrap();
    let seen = seen.lock().unwrap();
    let mut ms: Vec<f64> = sent
        .iter()
        .filter_map(|(o, t)| {
            seen.get(o)
                .map(|s| s.duration_since(*t).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let missing = sent.len() - ms.len();
    let reached = (batches * BATCH) as f64 / fed.as_secs_f64();
    println!(
        "| events/s offered | events/s reached | events | notices | p50 | p99 | max | missing |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {rate:.0} | {reached:.0} | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {missing} |",
        batches * BATCH,
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        percentile(&ms, 1.0),
    );
}

async fn fresh_url(pg_admin: Option<&str>, dir: &std::path::Path) -> String {
    match pg_admin {
        None => dir.join("sweep.db").to_string_lossy().to_string(),
        Some(admin) => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let db = format!(
                "verity_bench_sweep_{}",
                hex::encode(rand::random::<[u8; 4]>())
            );
            let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
            format!("{base}/{db}")
        }
    }
}

async fn sweep(url: &str, orders: usize) -> String {
    use verity::clock::Clock;
    let store = verity::store::Store::connect(url).await.unwrap();
    let now = Utc::now();
    let mut items = Vec::with_capacity(40_000);
    let t0 = Instant::now();
    for i in 0..orders {
        items.extend(records(i, now));
        // One in a hundred was scanned 71 hours ago: stale (past 72 hours) two hours later.
        let at = now - TimeDelta::hours(if i % 100 == 0 { 71 } else { 1 });
        items.push(scan(format!("s-{i}"), i, at, "in_transit"));
        if items.len() >= 40_000 || i + 1 == orders {
            let inputs = std::mem::take(&mut items)
                .into_iter()
                .map(|v| {
                    verity::ingest::Input::new(
                        None,
                        verity::domain::Item::parse(&v).map_err(|e| e.to_string()),
                    )
                })
                .collect();
            let r = verity::ingest::apply(&store, inputs, now.timestamp_millis())
                .await
                .unwrap();
            assert_eq!(r.rejected, 0);
        }
    }
    let loaded = t0.elapsed();
    let app = |at: DateTime<Utc>| {
        verity::http::App::state(
            store.clone(),
            verity::config::Config::default(),
            Clock::Fixed(at),
            verity::truth::Policy::default(),
        )
    };
    let t0 = Instant::now();
    let decided = verity::notices::decide_pending(&app(now)).await.unwrap();
    let first = t0.elapsed();
    assert_eq!(decided, 0, "nothing is wrong at first");
    let mut times = Vec::new();
    let (mut news, mut with_news) = (0, std::time::Duration::ZERO);
    for minute in 1..=120 {
        let at = app(now + TimeDelta::minutes(minute));
        let t0 = Instant::now();
        let n = verity::notices::sweep(&at).await.unwrap();
        let took = t0.elapsed();
        if n > 0 {
            news += n;
            with_news = with_news.max(took);
        }
        times.push(took);
    }
    assert_eq!(news, orders.div_ceil(100), "each stale order told once");
    let none = verity::notices::sweep(&app(now + TimeDelta::hours(4)))
        .await
        .unwrap();
    assert_eq!(none, 0, "the same stories are not told twice");
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{orders} | {:.1} s | {:.2} s | {:.0} ms | {:.0} ms | {:.0} ms ({news} notices) |",
        loaded.as_secs_f64(),
        first.as_secs_f64(),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        ms(with_news),
    )
}

fn main() {
    let only = std::env::var("VERITY_BENCH_ONLY").unwrap_or_default();
    if only != "sweep" {
        latency();
    }
    if only != "latency" {
        let orders: usize = env_or("VERITY_BENCH_SWEEP_ORDERS", 100_000);
        let pg = std::env::var("VERITY_BENCH_POSTGRES_URL").ok();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        println!();
        println!(
            "| engine | open orders | ingested in | decided after ingestion | sweep p50 | slowest sweep | sweep with news |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let mut engines = vec![("SQLite file", None)];
        if let Some(pg) = pg.as_deref() {
            engines.push(("PostgreSQL", Some(pg)));
        }
        for (engine, admin) in engines {
            let url = rt.block_on(fresh_url(admin, dir.path()));
            println!("| {engine} | {} ", rt.block_on(sweep(&url, orders)));
        }
    }
}
