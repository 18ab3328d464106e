//! WhatsApp end to end under load: signed deliveries posted by concurrent clients on
//! loopback to the app (a SQLite file store, the inbox and outbox workers running, a
//! fake Graph API on loopback that notes when each send arrives), one new message per
//! delivery from a pool of senders, 1 in 20 delivered twice (Meta redelivers).
//!
//! Reported: the acknowledgements (latency per request, counted from the moment the
//! message was due, so a server that falls behind shows it instead of slowing the load
//! down), the messages answered per second over the run (from the first delivery to
//! the last answer the fake Graph API received), and the answer latency (from a
//! message's acknowledgement to its answer's arrival at the fake Graph API, p50/p99).
//! Afterwards the backlog is drained and every message must have been answered once.
//!
//! Run: `cargo bench --bench webhook_load`. Knobs: `VERITY_BENCH_RATE` (messages per
//! second offered by all clients together, default 2000; `0`: closed loop, each client
//! posts its next delivery as soon as the last was acknowledged), `VERITY_BENCH_CLIENTS`
//! (default 64), `VERITY_BENCH_SECONDS` (default 10), `VERITY_BENCH_SENDERS` (default
//! 500); `VERITY_CHANNEL_CONCURRENCY` as for the server. The generator runs in the
//! same process as the server (one multi-threaded runtime) and shares the machine's
//! cores with it.
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

use std::collections::HashMap;

use sqlx::Row;
use verity::clock::Clock;
use verity::config::{ChannelConfig, Config, Secret};
use verity::http::fake_graph::{FakeGraph, signed_webhook, whatsapp_text_delivery};
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
    whatsapp_text_delivery(
        PHONE_NUMBER_ID,
        &format!("49155{sender:08}"),
        &format!("wamid.bench{message}"),
        "Wie lange dauert die Lieferung?",
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// The customer's message (its wamid) that each bot reply's outbox rows answer.
async fn answers(store: &Store) -> HashMap<String, String> {
    let mut conn = store.read().await.unwrap();
    let messages = sqlx::query(
        "SELECT id, role, channel_message_id FROM messages ORDER BY conversation_id, seq",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut answers_of: HashMap<String, String> = HashMap::new();
    let mut last: Option<String> = None;
    for m in &messages {
        let role: String = m.try_get("role").unwrap();
        if role == "customer" {
            last = m.try_get("channel_message_id").unwrap();
        } else if let Some(wamid) = last.take() {
            answers_of.insert(m.try_get("id").unwrap(), wamid);
        }
    }
    let rows = sqlx::query("SELECT id, message_id FROM outbox")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter()
        .filter_map(|r| {
            let message: Option<String> = r.try_get("message_id").unwrap();
            let wamid = answers_of.get(&message?)?.clone();
            Some((r.try_get("id").unwrap(), wamid))
        })
        .collect()
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
    let rate: f64 = env_or("VERITY_BENCH_RATE", 2000.0);
    let clients: u64 = env_or("VERITY_BENCH_CLIENTS", 64);
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
            concurrency: env_or(
                "VERITY_CHANNEL_CONCURRENCY",
                ChannelConfig::default().concurrency,
            ),
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
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, posted, base) = (next.clone(), posted.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            // (ms of the acknowledgement, the message and when it was acknowledged)
            let mut acks: Vec<(f64, u64, Instant)> = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let due = if rate > 0.0 {
                    started + Duration::from_secs_f64(n as f64 / rate)
                } else {
                    Instant::now()
                };
                if due >= deadline {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                let body = delivery(n % senders, n);
                let times = if n % 20 == 0 { 2 } else { 1 };
                for i in 0..times {
                    let r = signed_webhook(&client, &base, SECRET, &body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let at = Instant::now();
                    if i == 0 {
                        acks.push((at.duration_since(due).as_secs_f64() * 1000.0, n, at));
                    }
                    posted.fetch_add(1, Ordering::Relaxed);
                }
            }
            acks
        }));
    }
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut ack_ms: Vec<f64> = acks.iter().map(|a| a.0).collect();
    ack_ms.sort_by(f64::total_cmp);
    let acked_at: HashMap<String, Instant> = acks
        .iter()
        .map(|&(_, n, at)| (format!("wamid.bench{n}"), at))
        .collect();
    let messages = acks.len() as u64;
    let deliveries = posted.load(Ordering::Relaxed);
    let offered = if rate > 0.0 {
        format!("{rate:.0}/s offered")
    } else {
        "closed loop".to_string()
    };
    println!(
        "{offered}, {clients} clients: acknowledged {deliveries} deliveries ({messages} messages) in {elapsed:.1} s: \
         {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        deliveries as f64 / elapsed,
        percentile(&ack_ms, 0.50),
        percentile(&ack_ms, 0.99),
        ack_ms.last().copied().unwrap_or(f64::NAN),
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
    // Each answer's way back to the message it answers: the send carries its outbox
    // row's id, the row its bot message, which follows the customer's message.
    let answer_of = answers(&store).await;
    let mut answer_ms = Vec::new();
    let mut last_answer = started;
    for r in graph.accepted() {
        let Some(wamid) = r.body["biz_opaque_callback_data"]
            .as_str()
            .and_then(|row| answer_of.get(row))
        else {
            continue; // a greeting
        };
        if let Some(acked) = acked_at.get(wamid) {
            answer_ms.push(r.at.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
            last_answer = last_answer.max(r.at);
        }
    }
    answer_ms.sort_by(f64::total_cmp);
    let span = last_answer.duration_since(started).as_secs_f64();
    println!(
        "answered {} messages in {span:.1} s from the first delivery to the last answer: {:.0} answered/s; \
         answer latency (acknowledged to Graph) p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        answer_ms.len(),
        answer_ms.len() as f64 / span,
        percentile(&answer_ms, 0.50),
        percentile(&answer_ms, 0.99),
        answer_ms.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "drained {drained:.1} s after the load; {customer} customer messages, {bot} bot messages \
         ({conversations} greetings), {answered} sent, {} requests at the fake Graph API, {failed} failed deliveries",
        graph.accepted().len()
    );
    assert_eq!(
        answer_ms.len() as u64,
        messages,
        "every answer reached Graph once"
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
