//! Ingestion throughput: `POST /api/v1/ingest` in batches of 1,000 events, and
//! `verity ingest FILE` of an NDJSON file, into a fresh SQLite file store (and into
//! PostgreSQL when `VERITY_BENCH_POSTGRES_URL` names an admin URL). The events' 5,000
//! shipments (with their orders) are loaded first, untimed, as in a real feed.
//!
//! Run: `cargo bench --bench ingest` (events: `VERITY_BENCH_EVENTS`, default 200,000).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

/// The server runs in this process: give it the allocator the `verity` binary has.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::time::Instant;

use verity::clock::Clock;
use verity::config::{Config, Secret};
use verity::http::{self, App};
use verity::store::Store;

const TOKEN: &str = "bench-token";
const BATCH: usize = 1_000;

const SHIPMENTS: usize = 5_000;

/// The customers, orders and shipments the events belong to (loaded before timing).
fn records() -> Vec<String> {
    let mut out = vec![
        serde_json::json!({"type":"customer","id":"C-BENCH","name":"Bench Kundin","locale":"de"})
            .to_string(),
    ];
    for s in 0..SHIPMENTS {
        out.push(serde_json::json!({
            "type":"order","number":format!("B-{s}"),"customer_id":"C-BENCH",
            "placed_at":"2025-09-01T10:00:00+02:00","currency":"EUR","total":"19.90",
            "shipping_address":{"name":"Bench Kundin","street":"Lindenstraße 1","postcode":"33602","city":"Bielefeld","country":"DE"},
            "lines":[{"sku":"SHIRT-M","name":"T-Shirt M","qty":1,"unit_price":"19.90"}]
        }).to_string());
        out.push(
            serde_json::json!({
                "type":"shipment","tracking_number":format!("0034043416{s:010}"),"carrier":"dhl",
                "order_number":format!("B-{s}"),"kind":"original","skus":["SHIRT-M"]
            })
            .to_string(),
        );
    }
    out
}

async fn load_records(url: &str) {
    let store = Store::connect(url).await.unwrap();
    let inputs = verity::ingest::parse_ndjson(&records().join("\n"));
    let report = verity::ingest::apply(&store, inputs, chrono::Utc::now().timestamp_millis())
        .await
        .unwrap();
    assert_eq!(report.accepted, 1 + 2 * SHIPMENTS);
}

/// Realistic scan events over the 5,000 shipments (ids unique).
fn events(n: usize) -> Vec<String> {
    let statuses = [
        "info_received",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ];
    (0..n)
        .map(|i| {
            let shipment = i % SHIPMENTS;
            let step = i / SHIPMENTS;
            serde_json::json!({
                "type": "tracking_scan",
                "id": format!("bench-{i}"),
                "tracking_number": format!("0034043416{shipment:010}"),
                "occurred_at": format!("2025-09-{:02}T{:02}:{:02}:00+02:00", 1 + step % 28, 6 + step % 12, i % 60),
                "status": statuses[step % statuses.len()],
                "location": "Paketzentrum Bielefeld",
                "postcode": "33609",
                "carrier_code": "PZ",
                "description": "Die Sendung wurde im Paketzentrum bearbeitet."
            })
            .to_string()
        })
        .collect()
}

async fn fresh_url(pg_admin: Option<&str>, dir: &std::path::Path, name: &str) -> String {
    match pg_admin {
        None => dir.join(format!("{name}.db")).to_string_lossy().to_string(),
        Some(admin) => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let db = format!(
                "verity_bench_{name}_{}",
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

async fn bench_http(url: &str, lines: &[String], concurrency: usize) -> f64 {
    let store = Store::connect(url).await.unwrap();
    let config = Config {
        database_url: url.to_string(),
        ingest_token: Some(Secret::new(TOKEN)),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1/ingest", listener.local_addr().unwrap());
    tokio::spawn(http::serve(
        App::state(
            store,
            config,
            Clock::System,
            verity::truth::Policy::default(),
        ),
        listener,
    ));
    let bodies: Vec<String> = lines.chunks(BATCH).map(|c| c.join("\n")).collect();
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(bodies.into_iter()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, queue) = (client.clone(), base.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().await.next() else {
                    break;
                };
                let r = client
                    .post(&base)
                    .bearer_auth(TOKEN)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let report: serde_json::Value = r.json().await.unwrap();
                assert_eq!(report["accepted"], BATCH);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    lines.len() as f64 / start.elapsed().as_secs_f64()
}

fn bench_cli(url: &str, file: &std::path::Path, n: usize) -> f64 {
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["--database-url", url, "ingest"])
        .arg(file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("{n} accepted")), "{stdout}");
    n as f64 / secs
}

fn main() {
    let n: usize = std::env::var("VERITY_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let pg = std::env::var("VERITY_BENCH_POSTGRES_URL").ok();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = events(n);
    let file = dir.path().join("events.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for l in &lines {
        writeln!(f, "{l}").unwrap();
    }
    f.flush().unwrap();
    drop(f);

    let mut engines = vec![("SQLite file", None)];
    if let Some(pg) = pg.as_deref() {
        engines.push(("PostgreSQL", Some(pg)));
    }
    println!("| engine | path | events | events/s |");
    println!("|---|---|---:|---:|");
    for (engine, admin) in engines {
        let url = rt.block_on(fresh_url(admin, dir.path(), "http"));
        rt.block_on(load_records(&url));
        let rate = rt.block_on(bench_http(&url, &lines, 4));
        println!(
            "| {engine} | POST /api/v1/ingest, batches of {BATCH}, 4 clients | {n} | {rate:.0} |"
        );
        let url = rt.block_on(fresh_url(admin, dir.path(), "cli"));
        rt.block_on(load_records(&url));
        let rate = bench_cli(&url, &file, n);
        println!("| {engine} | verity ingest FILE | {n} | {rate:.0} |");
    }
}
