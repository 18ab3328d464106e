//! Status API throughput: `GET /api/v1/shipments/{tracking}` and
//! `GET /api/v1/orders/{number}` over the demo data, from a closed-loop load generator
//! on loopback, against a SQLite file store (and PostgreSQL when
//! `VERITY_BENCH_POSTGRES_URL` names an admin URL; a fresh database is created and
//! dropped afterwards).
//!
//! Run: `cargo bench --bench status_api`. Knobs: `VERITY_BENCH_CONNECTIONS` (default
//! 64 keep-alive connections), `VERITY_BENCH_SECONDS` (measured duration, default 10),
//! `VERITY_BENCH_WARMUP_SECONDS` (default 2, not counted); `VERITY_BENCH_DUMP=PREFIX`
//! writes every checked answer to `PREFIX.sqlite` / `PREFIX.postgres` (sorted by path), to
//! show that a speed-up left the JSON as it was; `VERITY_BENCH_WRK=1` adds a row for the
//! same mix sent by `wrk` (which must be installed), as a cross-check of the generator.
//!
//! The mix: every shipment and every order of the demo data in turn (tracking and order
//! numbers from the generated items), consecutive requests alternating `?locale=de` and
//! `?locale=en` (each target gets both over two rounds). Before timing, every request of
//! the mix is sent once and its JSON checked. Only 200 answers count; any other answer
//! or a broken connection is counted as an error, and the bench fails after printing
//! its row.
//!
//! Keeping the generator cheap (server and generator share the machine's cores): the
//! server runs on its own multi-threaded runtime with the default worker count, the
//! generator on one current-thread runtime on one OS thread. Each connection is a raw
//! hyper HTTP/1 connection (`hyper::client::conn::http1`, no pool, no redirects, no
//! URL parsing) driven by one task; the request paths and headers are built once
//! before the run, bodies are drained without parsing, and a latency is one
//! `Instant::now()` pair pushed into a per-task `Vec` (sorted once at the end).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

/// The server runs in this process: give it the allocator the `verity` binary has.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use hyper_util::rt::TokioIo;

use verity::clock::Clock;
use verity::config::{Config, Secret};
use verity::demo::{DEFAULT_ANCHOR, generate, story_time};
use verity::domain::Item;
use verity::http::{self, App};
use verity::ingest;
use verity::store::Store;

const TOKEN: &str = "bench-token";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh SQLite file in `dir`, or a fresh database on the PostgreSQL server of
/// `pg_admin` (returned with its name, to drop it afterwards).
async fn fresh_url(pg_admin: Option<&str>, dir: &std::path::Path) -> (String, Option<String>) {
    match pg_admin {
        None => (dir.join("status.db").to_string_lossy().to_string(), None),
        Some(admin) => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let db = format!(
                "verity_bench_status_{}",
                hex::encode(rand::random::<[u8; 4]>())
            );
            let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
            (format!("{base}/{db}"), Some(db))
        }
    }
}

async fn drop_database(admin: &str, db: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}

/// Loads the demo data into a fresh store and serves it on a loopback port.
async fn start_server(url: &str) -> std::net::SocketAddr {
    let now = story_time(DEFAULT_ANCHOR).with_timezone(&Utc);
    let store = Store::connect(url).await.unwrap();
    let inputs = generate(DEFAULT_ANCHOR)
        .items
        .iter()
        .map(|i| ingest::Input::new(None, Ok(i.clone())))
        .collect();
    let report = ingest::apply(&store, inputs, now.timestamp_millis())
        .await
        .unwrap();
    assert_eq!(report.rejected + report.conflicts, 0, "the demo data load");
    let config = Config {
        database_url: url.to_string(),
        api_token: Some(Secret::new(TOKEN)),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = App::state(
        store,
        config,
        Clock::Fixed(now),
        verity::truth::Policy::default(),
    );
    tokio::spawn(http::serve(state, listener));
    addr
}

/// The request paths of the mix: every shipment and order, locales alternating, and
/// over the whole list each target once in each locale.
fn mix() -> (Vec<String>, usize, usize) {
    let data = generate(DEFAULT_ANCHOR);
    let mut targets = Vec::new();
    let (mut shipments, mut orders) = (0, 0);
    for item in &data.items {
        match item {
            Item::Shipment(s) => {
                shipments += 1;
                targets.push(format!("/api/v1/shipments/{}", s.tracking_number.as_str()));
            }
            Item::Order(o) => {
                orders += 1;
                targets.push(format!("/api/v1/orders/{}", o.number.as_str()));
            }
            _ => {}
        }
    }
    let n = targets.len();
    let paths = (0..2 * n)
        .map(|j| {
            let locale = if (j + j / n) % 2 == 0 { "de" } else { "en" };
            format!("{}?locale={locale}", targets[j % n])
        })
        .collect();
    (paths, shipments, orders)
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    /// Latencies of the 200 answers, in microseconds.
    micros: Vec<u32>,
    errors: usize,
    first_error: Option<String>,
    /// The verification pass's answers, by path.
    bodies: Vec<(String, Bytes)>,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// Shared by the connections: the paths, where the mix stands, and the headers.
struct Plan {
    paths: Vec<String>,
    next: AtomicUsize,
    host: HeaderValue,
    auth: HeaderValue,
}

/// One keep-alive connection asking in a closed loop until `until`. With `check`,
/// every body is parsed and checked (the verification pass).
async fn connection(
    addr: std::net::SocketAddr,
    plan: Arc<Plan>,
    until: Instant,
    check: Option<usize>,
) -> Tally {
    let mut tally = Tally::default();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::task::spawn_local(conn);
    loop {
        let i = plan.next.fetch_add(1, Ordering::Relaxed);
        if let Some(limit) = check {
            if i >= limit {
                break;
            }
        } else if Instant::now() >= until {
            break;
        }
        let path = &plan.paths[i % plan.paths.len()];
        let req = hyper::Request::get(path.as_str())
            .header(HOST, plan.host.clone())
            .header(AUTHORIZATION, plan.auth.clone())
            .body(Empty::<Bytes>::new())
            .unwrap();
        let start = Instant::now();
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                tally.error(format!("GET {path}: {e}"));
                break;
            }
        };
        let status = resp.status();
        let body = match resp.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                tally.error(format!("GET {path}: reading the body: {e}"));
                break;
            }
        };
        let micros = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
        if status != 200 {
            tally.error(format!(
                "GET {path}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
            continue;
        }
        if check.is_some() {
            let v: serde_json::Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    tally.error(format!("GET {path}: not JSON: {e}"));
                    continue;
                }
            };
            let want = if path.ends_with("de") { "de" } else { "en" };
            if v["locale"] != want || v["summary"].as_str().is_none_or(str::is_empty) {
                tally.error(format!("GET {path}: unexpected answer {v}"));
            }
            tally.bodies.push((path.clone(), body));
        }
        tally.micros.push(micros);
    }
    tally
}

/// Runs `connections` connections on one current-thread runtime on its own OS thread.
fn load(
    addr: std::net::SocketAddr,
    plan: Arc<Plan>,
    connections: usize,
    duration: Duration,
    check: Option<usize>,
) -> (Vec<Tally>, Duration) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            plan.next.store(0, Ordering::Relaxed);
            let start = Instant::now();
            let until = start + duration;
            let tasks: Vec<_> = (0..connections)
                .map(|_| tokio::task::spawn_local(connection(addr, plan.clone(), until, check)))
                .collect();
            let mut tallies = Vec::with_capacity(connections);
            for t in tasks {
                tallies.push(t.await.unwrap());
            }
            (tallies, start.elapsed())
        })
    })
    .join()
    .unwrap()
}

/// The same mix from `wrk` (one thread; a separate process in C, so this load
/// generator's cost is not ours): the table cells after the engine, and a failure when
/// an answer was not 200 or a socket failed.
fn wrk(
    addr: std::net::SocketAddr,
    paths: &[String],
    connections: usize,
    seconds: f64,
    dir: &std::path::Path,
) -> (String, Option<String>) {
    let list: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    let script = format!(
        "local paths = {{{}}}\nlocal i = 0\n\
         request = function()\n  i = i + 1\n  \
         return wrk.format(\"GET\", paths[(i % #paths) + 1], {{[\"Authorization\"] = \"Bearer {TOKEN}\"}})\nend\n",
        list.join(",")
    );
    let file = dir.join("mix.lua");
    std::fs::write(&file, script).unwrap();
    let out = std::process::Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .arg("--latency")
        .arg("-s")
        .arg(&file)
        .arg(format!("http://{addr}"))
        .output()
        .expect("VERITY_BENCH_WRK is set but `wrk` does not run");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
    };
    let rate = field("Requests/sec:").unwrap_or_else(|| "?".into());
    let (p50, p99) = (
        field("50%").unwrap_or_default(),
        field("99%").unwrap_or_default(),
    );
    let non200: usize = field("Non-2xx or 3xx responses:").map_or(0, |n| n.parse().unwrap_or(1));
    let socket = text.lines().find(|l| l.contains("Socket errors"));
    let errors = non200 + usize::from(socket.is_some());
    let failure = (errors > 0 || !out.status.success()).then(|| format!("wrk: {text}"));
    (
        format!(
            "same mix, wrk -t1 | {connections} | {seconds:.1} s | {rate} | {p50} | {p99} | {errors} | – |"
        ),
        failure,
    )
}

/// Writes every answer of the verification pass, sorted by path, one per line (to
/// compare the JSON before and after a change).
fn dump_answers(file: &str, tallies: Vec<Tally>) {
    let mut all: Vec<_> = tallies.into_iter().flat_map(|t| t.bodies).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for (path, body) in all {
        out.extend_from_slice(path.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(&body);
        out.push(b'\n');
    }
    std::fs::write(file, out).unwrap();
}

fn engine_tag(engine: &str) -> &'static str {
    if engine.starts_with("SQLite") {
        "sqlite"
    } else {
        "postgres"
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// CPU seconds this process (server and generator) has used, from `/proc/self/stat`
/// (Linux; USER_HZ is 100 for user space). Unlike requests/s, CPU per request hardly
/// moves when other work shares the machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command (which may contain spaces) start at the state, field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    // Other work on the machine skews the figures; say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    format!(
        "{model}, {cores} cores, {}; 1-minute load average before the run: {load}",
        std::env::consts::OS
    )
}

fn main() {
    let connections: usize = env_or("VERITY_BENCH_CONNECTIONS", 64);
    let seconds: f64 = env_or("VERITY_BENCH_SECONDS", 10.0);
    let warmup: f64 = env_or("VERITY_BENCH_WARMUP_SECONDS", 2.0);
    let pg = std::env::var("VERITY_BENCH_POSTGRES_URL").ok();
    let (paths, shipments, orders) = mix();
    let dir = tempfile::tempdir().unwrap();

    println!("machine: {}", machine());
    println!(
        "command: cargo bench --bench status_api (VERITY_BENCH_CONNECTIONS={connections}, \
         VERITY_BENCH_SECONDS={seconds}{})",
        if pg.is_some() {
            ", VERITY_BENCH_POSTGRES_URL set"
        } else {
            ""
        }
    );
    println!();
    println!(
        "| engine | endpoint mix | connections | duration | req/s | p50 | p99 | errors | CPU/req (this process) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");

    let mut engines = vec![("SQLite file", None)];
    if let Some(pg) = pg.as_deref() {
        engines.push(("PostgreSQL", Some(pg)));
    }
    let mut failures = Vec::new();
    for (engine, admin) in engines {
        let server = tokio::runtime::Runtime::new().unwrap();
        let (url, db) = server.block_on(fresh_url(admin, dir.path()));
        let addr = server.block_on(start_server(&url));
        let plan = Arc::new(Plan {
            paths: paths.clone(),
            next: AtomicUsize::new(0),
            host: HeaderValue::from_str(&addr.to_string()).unwrap(),
            auth: HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap(),
        });

        // Every request of the mix once, answers checked; then warm-up; then timed.
        let (checked, _) = load(
            addr,
            plan.clone(),
            connections,
            Duration::from_secs(3600),
            Some(paths.len()),
        );
        let check_errors: Vec<_> = checked
            .iter()
            .filter_map(|t| t.first_error.clone())
            .collect();
        assert!(check_errors.is_empty(), "{engine}: {check_errors:#?}");
        if let Ok(dump) = std::env::var("VERITY_BENCH_DUMP") {
            dump_answers(&format!("{dump}.{}", engine_tag(engine)), checked);
        }
        load(
            addr,
            plan.clone(),
            connections,
            Duration::from_secs_f64(warmup),
            None,
        );
        let cpu_before = cpu_seconds();
        let (tallies, elapsed) = load(
            addr,
            plan.clone(),
            connections,
            Duration::from_secs_f64(seconds),
            None,
        );

        let errors: usize = tallies.iter().map(|t| t.errors).sum();
        let mut micros: Vec<u32> = tallies
            .iter()
            .flat_map(|t| t.micros.iter().copied())
            .collect();
        micros.sort_unstable();
        let rate = micros.len() as f64 / elapsed.as_secs_f64();
        let cpu_per_request = (cpu_seconds() - cpu_before) / micros.len().max(1) as f64;
        println!(
            "| {engine} | {shipments} shipments + {orders} orders, de/en alternating | \
             {connections} | {:.1} s | {rate:.0} | {:.2} ms | {:.2} ms | {errors} | {:.0} µs |",
            elapsed.as_secs_f64(),
            percentile(&micros, 50.0),
            percentile(&micros, 99.0),
            cpu_per_request * 1e6,
        );
        failures.extend(tallies.into_iter().filter_map(|t| t.first_error));
        if std::env::var_os("VERITY_BENCH_WRK").is_some() {
            let (row, failure) = wrk(addr, &paths, connections, seconds, dir.path());
            println!("| {engine}, wrk cross-check | {row}");
            failures.extend(failure);
        }

        server.shutdown_background();
        if let (Some(admin), Some(db)) = (admin, db) {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(drop_database(admin, &db));
        }
    }
    assert!(
        failures.is_empty(),
        "non-200 answers or broken connections: {failures:#?}"
    );
}
