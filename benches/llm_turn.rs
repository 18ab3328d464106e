//! Verity's own time per turn with the LLM engine: the app in process (SQLite file, demo
//! data at 09:30 on the demo day) against the fake OpenAI-compatible server, which
//! answers each call after a fixed delay. A verified customer asks "Wo ist mein Paket?"
//! again and again; the fake answers with one `get_order` tool call, then the order's
//! summary (two model calls, the plan for a plain status question). Verity's own time is
//! reported three ways: the turn's wall time (the stored `duration_ms`) minus the fake's
//! configured delay for each model call, which counts the loopback round trip and the
//! parsing of the response as Verity's; the stored `own_ms` (the turn minus the time the
//! client waited for the model, which counts those as the model's); and, as a
//! cross-check, the HTTP round trip of the turn minus the scripted delays.
//!
//! Run: `cargo bench --bench llm_turn`. Knobs: `VERITY_BENCH_TURNS` (default 300),
//! `VERITY_BENCH_DELAY_MS` (the fake's delay per call, default 20), `VERITY_BENCH_STREAM`
//! (1: stream the answers through the web chat's event stream).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

/// The server runs in this process: give it the allocator the `verity` binary has.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use verity::clock::Clock;
use verity::config::{Config, LlmConfig};
use verity::http::fake_llm::{FakeLlm, FakeStep};
use verity::http::{self, App};
use verity::store::{Store, conversations};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let turns: usize = env_or("VERITY_BENCH_TURNS", 300);
    let delay = Duration::from_millis(env_or("VERITY_BENCH_DELAY_MS", 20));
    let streamed = env_or("VERITY_BENCH_STREAM", 0) == 1;

    let fake = FakeLlm::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("verity.db").to_string_lossy().to_string();
    let store = Store::connect(&url).await.unwrap();
    let now = verity::demo::story_time(verity::demo::DEFAULT_ANCHOR).with_timezone(&chrono::Utc)
        + chrono::Duration::milliseconds(17_250);
    let data = verity::demo::generate(verity::demo::DEFAULT_ANCHOR);
    let inputs = data
        .items
        .iter()
        .map(|i| verity::ingest::Input::new(None, Ok(i.clone())))
        .collect();
    verity::ingest::apply(&store, inputs, now.timestamp_millis())
        .await
        .unwrap();
    let mut llm = LlmConfig::new(fake.base_url.clone(), "fake-model");
    llm.timeout = Duration::from_secs(10);
    let config = Config {
        database_url: url,
        api_token: Some(verity::config::Secret::new("bench")),
        chat_rate_per_ip: 1_000_000,
        chat_rate_per_session: 1_000_000,
        llm: Some(llm),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = App::state(
        store.clone(),
        config,
        Clock::Fixed(now),
        verity::truth::Policy::default(),
    );
    tokio::spawn(async move {
        let _ = http::serve(state, listener).await;
    });
    let client = reqwest::Client::new();
    let summary: Value = client
        .get(format!("{base}/api/v1/orders/A-100234?locale=de"))
        .bearer_auth("bench")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let summary = summary["summary"].as_str().unwrap().to_string();

    let opened: Value = client
        .post(format!("{base}/api/v1/chat/sessions"))
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["session_id"].as_str().unwrap().to_string();
    let token = opened["token"].as_str().unwrap().to_string();
    let say = |text: &'static str| {
        let mut req = client
            .post(format!("{base}/api/v1/chat/sessions/{id}/messages"))
            .bearer_auth(&token)
            .json(&json!({"text": text}));
        if streamed {
            req = req.header("accept", "text/event-stream");
        }
        req.send()
    };
    fake.push([
        FakeStep::tool(
            "verify_customer",
            json!({"order_number": "A-100234", "postcode": "33100"}),
        ),
        FakeStep::text("Danke, Sie sind bestätigt."),
    ]);
    let r = say("A-100234, 33100").await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();

    let mut round_trips = Vec::with_capacity(turns);
    for _ in 0..turns {
        fake.push([
            FakeStep::Slow(
                delay,
                Box::new(FakeStep::tool(
                    "get_order",
                    json!({"order_number": "A-100234"}),
                )),
            ),
            FakeStep::Slow(delay, Box::new(FakeStep::text(&summary))),
        ]);
        let started = Instant::now();
        let r = say("Wo ist mein Paket?").await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        assert!(
            String::from_utf8_lossy(&body).contains("06:48"),
            "the model's answer arrived"
        );
        round_trips.push(ms - 2.0 * delay.as_secs_f64() * 1000.0);
    }
    assert_eq!(fake.remaining(), 0);

    let mut conn = store.read().await.unwrap();
    let messages = conversations::list_messages(&mut conn, &id, 0)
        .await
        .unwrap();
    let stats: Vec<Value> = messages
        .iter()
        .filter(|m| m.role == conversations::Role::Bot)
        .filter_map(|m| m.engine_stats.as_deref())
        .map(|s| serde_json::from_str(s).unwrap())
        .filter(|s: &Value| s["engine"] == "openai")
        .skip(1)
        .collect();
    assert_eq!(stats.len(), turns);
    let mut own: Vec<f64> = stats
        .iter()
        .map(|s| s["own_ms"].as_f64().unwrap())
        .collect();
    own.sort_by(f64::total_cmp);
    round_trips.sort_by(f64::total_cmp);
    let delay_ms = delay.as_secs_f64() * 1000.0;
    let mut wall_minus_delay: Vec<f64> = stats
        .iter()
        .map(|s| s["duration_ms"].as_f64().unwrap() - s["model_calls"].as_f64().unwrap() * delay_ms)
        .collect();
    wall_minus_delay.sort_by(f64::total_cmp);
    let calls: Vec<u64> = stats
        .iter()
        .map(|s| s["model_calls"].as_u64().unwrap())
        .collect();
    println!(
        "llm_turn: {turns} turns, fake delay {} ms per call, streamed: {streamed}",
        delay.as_millis()
    );
    println!(
        "  own time (turn's wall time minus the fake's configured delay): p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        percentile(&wall_minus_delay, 0.5),
        percentile(&wall_minus_delay, 0.9),
        wall_minus_delay[wall_minus_delay.len() - 1]
    );
    println!(
        "  own time (stored own_ms, loopback and parsing counted as the model's): p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        percentile(&own, 0.5),
        percentile(&own, 0.9),
        own[own.len() - 1]
    );
    println!(
        "  round trip minus the fake's delays: p50 {:.2} ms, p90 {:.2} ms",
        percentile(&round_trips, 0.5),
        percentile(&round_trips, 0.9)
    );
    println!(
        "  model calls per turn: min {}, max {}",
        calls.iter().min().unwrap(),
        calls.iter().max().unwrap()
    );
}
