//! Webhook acknowledgement under load, and every delivered message answered exactly
//! once: signed WhatsApp deliveries posted by concurrent clients on loopback to the app
//! (a SQLite file store, the inbox and outbox workers running, a fake Graph API on
//! loopback), one new message per delivery from a pool of senders, 1 in 20 delivered
//! twice (Meta redelivers). The acknowledgement latency is measured per request; after
//! the run the backlog is drained and the answers counted.
//!
//! Run: `cargo bench --bench webhook_load`. Knobs: `VERITY_BENCH_CLIENTS` (default 32),
//! `VERITY_BENCH_SECONDS` (default 10), `VERITY_BENCH_SENDERS` (default 500). The
//! generator runs in the same process as the server (one multi-threaded runtime) and
//! shares the machine's cores with it.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

/// The server runs in this process: give it the allocator the `verity` binary has.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row;
use verity::channels::sign;
use verity::clock::Clock;
use verity::config::{ChannelConfig, Config, Secret};
use verity::http::fake_graph::FakeGraph;
use verity::http::{self, App};
use verity::store::Store;

const SECRET: &str = "bench-app-secret";
const PHONE_NUMBER_ID: &str = "109876543210";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn delivery(sender: u64, message: u64) -> String {
    let from = format!("49155{sender:08}");
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"wa_id": from, "profile": {"name": "Last"}}],
        "messages": [{"from": from, "id": format!("wamid.bench{message}"),
            "timestamp": chrono::Utc::now().timestamp().to_string(), "type": "text",
            "text": {"body": "Wie lange dauert die Lieferung?"}}]
    }}]}]})
    .to_string()
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    let mut conn = store.read().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::main]
async fn main() {
    let clients: u64 = env_or("VERITY_BENCH_CLIENTS", 32);
    let seconds: u64 = env_or("VERITY_BENCH_SECONDS", 10);
    let senders: u64 = env_or("VERITY_BENCH_SENDERS", 500);
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("bench.db").to_string_lossy().to_string();
    let graph = FakeGraph::start().await.unwrap();
    let store = Store::connect(&url).await.unwrap();
    let config = Config {
        database_url: url.clone(),
        channels: ChannelConfig {
            whatsapp_app_secret: Some(Secret::new(SECRET)),
            whatsapp_access_token: Some(Secret::new("bench-token")),
            whatsapp_phone_number_id: Some(PHONE_NUMBER_ID.into()),
            graph_api_url: graph.base.clone(),
            ..ChannelConfig::default()
        },
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/webhooks/whatsapp",
        listener.local_addr().unwrap()
    );
    let state = App::state(
        store.clone(),
        config,
        Clock::System,
        verity::truth::Policy::default(),
    );
    tokio::spawn(http::serve(state, listener));

    let next = Arc::new(AtomicU64::new(0));
    let posted = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, posted, base) = (next.clone(), posted.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut micros = Vec::new();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = delivery(n % senders, n);
                let times = if n % 20 == 0 { 2 } else { 1 };
                for _ in 0..times {
                    let t = Instant::now();
                    let r = client
                        .post(&base)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", sign(SECRET, body.as_bytes()))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    micros.push(t.elapsed().as_micros() as u64);
                    posted.fetch_add(1, Ordering::Relaxed);
                }
            }
            micros
        }));
    }
    let mut micros = Vec::new();
    for t in tasks {
        micros.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    micros.sort_unstable();
    let pct =
        |p: f64| micros[((micros.len() as f64 * p) as usize).min(micros.len() - 1)] as f64 / 1000.0;
    let messages = next.load(Ordering::Relaxed);
    let deliveries = posted.load(Ordering::Relaxed);
    println!(
        "acknowledged {deliveries} deliveries ({messages} messages) in {elapsed:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        deliveries as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        micros[micros.len() - 1] as f64 / 1000.0
    );

    // Drain the backlog, then count the answers.
    let drain = Instant::now();
    loop {
        let open = count(
            &store,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_ms IS NULL",
        )
        .await
            + count(
                &store,
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
            )
            .await;
        if open == 0 {
            break;
        }
        assert!(
            drain.elapsed() < Duration::from_secs(1800),
            "the backlog did not drain"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = drain.elapsed().as_secs_f64();
    let customer = count(
        &store,
        "SELECT COUNT(*) FROM messages WHERE role = 'customer'",
    )
    .await;
    let conversations = count(&store, "SELECT COUNT(*) FROM conversations").await;
    let bot = count(&store, "SELECT COUNT(*) FROM messages WHERE role = 'bot'").await;
    let answered = count(
        &store,
        "SELECT COUNT(DISTINCT message_id) FROM outbox WHERE status = 'sent'",
    )
    .await;
    let failed = count(
        &store,
        "SELECT COUNT(*) FROM webhook_deliveries WHERE error IS NOT NULL",
    )
    .await;
    println!(
        "drained in {drained:.1} s ({:.0} messages/s end to end); {customer} customer messages, {bot} bot messages \
         ({conversations} greetings), {answered} sent, {} requests at the fake Graph API, {failed} failed deliveries",
        messages as f64 / (elapsed + drained),
        graph.accepted().len()
    );
    assert_eq!(customer as u64, messages, "every message stored once");
    assert_eq!(
        bot,
        customer + conversations,
        "every message answered once, plus one greeting per conversation"
    );
    assert_eq!(answered, bot, "every answer sent");
    assert_eq!(failed, 0);
}
