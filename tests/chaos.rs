//! The chaos test: real `verity serve` processes on loopback, signed WhatsApp
//! deliveries from many senders (1 in 14 redelivered, to another instance when there
//! is one; failed posts re-sent as Meta does), a fake Graph API that records every send
//! and posts Meta's `sent` status webhooks back, and faults: kill -9 of a process under
//! load (restarted on SQLite, not on PostgreSQL), Graph 500s, 429s with `Retry-After`
//! and hanging requests. Afterwards it prints, per experiment, how many messages were
//! acknowledged and answered once, twice (a send resent after an unknown outcome) or
//! never, and fails when one was never answered.
//!
//! Run: `VERITY_CHAOS=1 cargo test --test chaos` (a few minutes; the servers are the
//! debug build, so the load is modest: `VERITY_CHAOS_MESSAGES`, default 400); the PostgreSQL
//! experiment needs `VERITY_CHAOS_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database is created). Pick
//! experiments with `VERITY_CHAOS=sqlite,postgres,faults`. Without `VERITY_CHAOS` it
//! only says how to run it.
#![expect(
    clippy::unwrap_used,
    reason = "a chaos run that breaks should stop loudly"
)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row;
use verity::http::fake_graph::{FakeGraph, FaultRates, signed_webhook, whatsapp_text_delivery};
use verity::store::Store;

const SECRET: &str = "chaos-app-secret";
const PHONE_NUMBER_ID: &str = "109876543210";

struct Server {
    child: Option<Child>,
    base: String,
    port: u16,
    env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    fn start(database_url: &str, graph: &FakeGraph, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.into()),
            ("VERITY_WHATSAPP_APP_SECRET".into(), SECRET.into()),
            ("VERITY_WHATSAPP_ACCESS_TOKEN".into(), "chaos-token".into()),
            (
                "VERITY_WHATSAPP_PHONE_NUMBER_ID".into(),
                PHONE_NUMBER_ID.into(),
            ),
            ("VERITY_GRAPH_API_URL".into(), graph.base.clone()),
            (
                "RUST_LOG".into(),
                std::env::var("VERITY_CHAOS_LOG").unwrap_or_else(|_| "error".into()),
            ),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut s = Server {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            port,
            env,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_verity"))
            .arg("serve")
            .env("VERITY_BIND", format!("127.0.0.1:{}", self.port))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(match std::env::var("VERITY_CHAOS_LOG_DIR") {
                Ok(dir) => std::fs::File::create(format!("{dir}/verity-{}.log", self.port))
                    .map_or_else(|_| Stdio::null(), Stdio::from),
                Err(_) => Stdio::null(),
            })
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, mid-request.
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    async fn ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server at {} did not get ready", self.base);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn delivery(sender: u64, message: u64) -> String {
    whatsapp_text_delivery(
        PHONE_NUMBER_ID,
        &format!("49157{sender:08}"),
        &format!("wamid.chaos{message}"),
        "Wie lange dauert die Lieferung?",
    )
}

/// Posts until one instance answers 200 (Meta retries a failed delivery); `true` once
/// acknowledged.
async fn post_until_acked(
    client: &reqwest::Client,
    alive: &Mutex<Vec<String>>,
    first: usize,
    body: &str,
    give_up: Instant,
) -> bool {
    let mut attempt = first;
    while Instant::now() < give_up {
        let target = {
            let a = alive.lock().unwrap();
            if a.is_empty() {
                None
            } else {
                Some(a[attempt % a.len()].clone())
            }
        };
        attempt += 1;
        if let Some(base) = target {
            let r = signed_webhook(client, &format!("{base}/webhooks/whatsapp"), SECRET, body)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 200) {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// Meta's side: each accepted send is followed by a `sent` status webhook carrying the
/// send's `biz_opaque_callback_data`.
fn report_statuses(
    graph: FakeGraph,
    alive: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut done = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let accepted = graph.accepted();
            let statuses: Vec<_> = accepted[done.min(accepted.len())..]
                .iter()
                .filter_map(|r| {
                    Some(json!({"id": r.message_id.clone()?, "status": "sent",
                        "timestamp": chrono::Utc::now().timestamp().to_string(),
                        "recipient_id": r.body["to"],
                        "biz_opaque_callback_data": r.body["biz_opaque_callback_data"]}))
                })
                .collect();
            done = accepted.len();
            for chunk in statuses.chunks(50) {
                let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
                    "statuses": chunk}}]}]})
                .to_string();
                post_until_acked(
                    &client,
                    &alive,
                    0,
                    &body,
                    Instant::now() + Duration::from_secs(30),
                )
                .await;
            }
        }
    })
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Load {
    messages: u64,
    seconds: f64,
    senders: u64,
}

/// Sends the load; returns how many messages were acknowledged.
async fn run_load(load: &Load, alive: Arc<Mutex<Vec<String>>>) -> u64 {
    let acked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let give_up = started + Duration::from_secs_f64(load.seconds) + Duration::from_secs(60);
    let mut tasks = Vec::new();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    for i in 0..load.messages {
        let at = started + Duration::from_secs_f64(load.seconds * i as f64 / load.messages as f64);
        let (alive, acked, client) = (alive.clone(), acked.clone(), client.clone());
        let senders = load.senders;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let body = delivery(i % senders, i);
            let first = i as usize;
            if post_until_acked(&client, &alive, first, &body, give_up).await {
                acked.fetch_add(1, Ordering::Relaxed);
            }
            // Meta redelivers some, to whichever instance the load balancer picks.
            if i % 14 == 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                post_until_acked(&client, &alive, first + 1, &body, give_up).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    acked.load(Ordering::Relaxed)
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

/// Waits until nothing is left to do (or `limit` passed).
async fn drain(store: &Store, limit: Duration) -> f64 {
    let started = Instant::now();
    while started.elapsed() < limit {
        let open = count(
            store,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_ms IS NULL",
        )
        .await
            + count(
                store,
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending', 'unknown')",
            )
            .await;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    started.elapsed().as_secs_f64()
}

#[derive(Default, Debug)]
struct Tally {
    acked: u64,
    once: u64,
    twice: u64,
    never: u64,
    extra_sends: u64,
}

/// Per customer message: its replies (bot messages before the next customer message)
/// and how often the fake Graph API accepted each of their outbox rows.
async fn tally(store: &Store, graph: &FakeGraph, messages: u64, acked: u64) -> Tally {
    let mut conn = store.read().await.unwrap();
    let rows = sqlx::query(
        "SELECT id, conversation_id, seq, role, channel_message_id FROM messages \
         ORDER BY conversation_id, seq",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let outbox = sqlx::query("SELECT id, message_id FROM outbox")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let mut rows_of: HashMap<String, Vec<String>> = HashMap::new();
    for o in &outbox {
        if let Some(m) = o.try_get::<Option<String>, _>("message_id").unwrap() {
            rows_of.entry(m).or_default().push(o.try_get("id").unwrap());
        }
    }
    let mut accepted: HashMap<String, u64> = HashMap::new();
    for r in graph.accepted() {
        if let Some(id) = r.body["biz_opaque_callback_data"].as_str() {
            *accepted.entry(id.to_string()).or_default() += 1;
        }
    }
    // wamid → the bot messages that followed it.
    let mut replies: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for r in &rows {
        let conv: String = r.try_get("conversation_id").unwrap();
        let role: String = r.try_get("role").unwrap();
        if current.as_ref().is_some_and(|(c, _)| *c != conv) {
            current = None;
        }
        match role.as_str() {
            "customer" => {
                let w: Option<String> = r.try_get("channel_message_id").unwrap();
                current = w.map(|w| (conv.clone(), w));
                if let Some((_, w)) = &current {
                    replies.entry(w.clone()).or_default();
                }
            }
            "bot" => {
                if let Some((_, w)) = &current {
                    replies
                        .entry(w.clone())
                        .or_default()
                        .push(r.try_get("id").unwrap());
                }
            }
            _ => {}
        }
    }
    let mut t = Tally {
        acked,
        ..Tally::default()
    };
    for i in 0..messages {
        let w = format!("wamid.chaos{i}");
        let Some(bots) = replies.get(&w) else {
            t.never += 1;
            continue;
        };
        let counts: Vec<u64> = bots
            .iter()
            .flat_map(|b| rows_of.get(b).cloned().unwrap_or_default())
            .map(|row| accepted.get(&row).copied().unwrap_or(0))
            .collect();
        let sent = counts.iter().filter(|&&c| c > 0).count();
        if bots.is_empty() || sent == 0 {
            t.never += 1;
        } else if bots.len() > 1 || counts.iter().any(|&c| c > 1) {
            t.twice += 1;
            t.extra_sends += counts.iter().map(|c| c.saturating_sub(1)).sum::<u64>();
        } else {
            t.once += 1;
        }
    }
    t
}

async fn metric(base: &str, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    Some(
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum(),
    )
}

fn report(name: &str, t: &Tally, counted_duplicates: Option<f64>, drained_s: f64) {
    let counted =
        counted_duplicates.map_or_else(|| "n/a".to_string(), |d| format!("{:.0}", d + 0.0));
    println!(
        "| {name} | {} | {} | {} ({} extra sends; counted as possible duplicates: {counted}) | {} | drained {drained_s:.1} s after the last acknowledgement |",
        t.acked, t.once, t.twice, t.extra_sends, t.never
    );
}

/// What an experiment left to count.
struct Run<'a> {
    store: &'a Store,
    graph: &'a FakeGraph,
    messages: u64,
    acked: u64,
    /// An instance still running (for its metrics).
    survivor: &'a str,
}

/// Waits for the work to drain, stops Meta's status reports, counts and prints.
async fn conclude(
    name: &str,
    run: Run<'_>,
    statuses: tokio::task::JoinHandle<()>,
    limit: Duration,
) -> Tally {
    let drained = drain(run.store, limit).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    statuses.abort();
    let t = tally(run.store, run.graph, run.messages, run.acked).await;
    let dups = metric(run.survivor, "verity_outbox_possible_duplicates_total").await;
    report(name, &t, dups, drained);
    t
}

async fn sqlite_kill_and_restart() -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("chaos.db").to_string_lossy().to_string();
    let graph = FakeGraph::start().await.unwrap();
    let mut server = Server::start(&url, &graph, &[("VERITY_LEASE_SECS", "5")]);
    server.ready().await;
    let alive = Arc::new(Mutex::new(vec![server.base.clone()]));
    let statuses = report_statuses(graph.clone(), alive.clone());
    let load = Load {
        messages: env_or("VERITY_CHAOS_MESSAGES", 400),
        seconds: 15.0,
        senders: 100,
    };
    let killer = {
        let alive = alive.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(7)).await;
            server.kill9();
            tokio::time::sleep(Duration::from_secs(1)).await;
            server.spawn();
            server.ready().await;
            let _ = &alive;
            server
        }
    };
    let (acked, server) = tokio::join!(run_load(&load, alive.clone()), killer);
    let store = Store::connect(&url).await.unwrap();
    conclude(
        &format!(
            "SQLite, kill -9 at 7 s of a 15 s load ({} messages, 100 senders), restart after 1 s, lease 5 s",
            load.messages
        ),
        Run {
            store: &store,
            graph: &graph,
            messages: load.messages,
            acked,
            survivor: &server.base,
        },
        statuses,
        Duration::from_secs(60),
    )
    .await
}

async fn postgres_two_instances_one_killed(admin: &str) -> Tally {
    use sqlx::Connection;
    // Run alone, this experiment connects before any store installed the drivers.
    sqlx::any::install_default_drivers();
    let name = format!("verity_chaos_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    let url = format!("{base}/{name}");
    // Migrated once before both start.
    let store = Store::connect(&url).await.unwrap();
    let graph = FakeGraph::start().await.unwrap();
    let mut a = Server::start(&url, &graph, &[]);
    let b = Server::start(&url, &graph, &[]);
    a.ready().await;
    b.ready().await;
    let alive = Arc::new(Mutex::new(vec![a.base.clone(), b.base.clone()]));
    let statuses = report_statuses(graph.clone(), alive.clone());
    let load = Load {
        messages: env_or("VERITY_CHAOS_MESSAGES", 400),
        seconds: 15.0,
        senders: 100,
    };
    let killer = {
        let alive = alive.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(7)).await;
            a.kill9();
            alive.lock().unwrap().retain(|x| *x != a.base);
        }
    };
    let (acked, ()) = tokio::join!(run_load(&load, alive.clone()), killer);
    let t = conclude(
        &format!(
            "PostgreSQL, two instances, deliveries to either (redeliveries to the other), one killed -9 at 7 s of a 15 s load ({} messages, 100 senders), lease 15 s",
            load.messages
        ),
        Run {
            store: &store,
            graph: &graph,
            messages: load.messages,
            acked,
            survivor: &b.base,
        },
        statuses,
        Duration::from_secs(90),
    )
    .await;
    drop(b);
    store.pool().close().await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    t
}

async fn graph_faults() -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("faults.db").to_string_lossy().to_string();
    let graph = FakeGraph::start().await.unwrap();
    graph.fault_at_random(FaultRates {
        server_error: 0.15,
        too_many: 0.15,
        retry_after_secs: 5,
        hang: 0.05,
        hang_ms: 4_000,
    });
    let server = Server::start(
        &url,
        &graph,
        &[
            ("VERITY_GRAPH_TIMEOUT_MS", "2000"),
            ("VERITY_OUTBOX_RETRY_BASE_MS", "500"),
            ("VERITY_OUTBOX_UNKNOWN_WAIT_SECS", "5"),
        ],
    );
    server.ready().await;
    let alive = Arc::new(Mutex::new(vec![server.base.clone()]));
    let statuses = report_statuses(graph.clone(), alive.clone());
    let load = Load {
        messages: env_or("VERITY_CHAOS_MESSAGES", 400) / 2,
        seconds: 10.0,
        senders: 50,
    };
    let acked = run_load(&load, alive.clone()).await;
    let store = Store::connect(&url).await.unwrap();
    conclude(
        &format!(
            "Graph faults: 15 % 500, 15 % 429 with Retry-After 5, 5 % hang 4 s (timeout 2 s) ({} messages, 50 senders)",
            load.messages
        ),
        Run {
            store: &store,
            graph: &graph,
            messages: load.messages,
            acked,
            survivor: &server.base,
        },
        statuses,
        Duration::from_secs(120),
    )
    .await
}

#[tokio::main]
async fn main() {
    let Ok(which) = std::env::var("VERITY_CHAOS") else {
        println!(
            "chaos: skipped (run with VERITY_CHAOS=1, or VERITY_CHAOS=sqlite,postgres,faults; \
             PostgreSQL needs VERITY_CHAOS_POSTGRES_URL)"
        );
        return;
    };
    let wants = |name: &str| which == "1" || which.split(',').any(|w| w.trim() == name);
    println!("| experiment | acked | answered once | twice | never | |");
    println!("|---|---|---|---|---|---|");
    let mut results = Vec::new();
    if wants("sqlite") {
        results.push(sqlite_kill_and_restart().await);
    }
    if wants("postgres") {
        match std::env::var("VERITY_CHAOS_POSTGRES_URL") {
            Ok(admin) => results.push(postgres_two_instances_one_killed(&admin).await),
            Err(_) => {
                println!("| PostgreSQL: skipped (VERITY_CHAOS_POSTGRES_URL unset) | | | | | |")
            }
        }
    }
    if wants("faults") {
        results.push(graph_faults().await);
    }
    let never: u64 = results.iter().map(|t| t.never).sum();
    let lost: u64 = results
        .iter()
        .map(|t| t.acked.saturating_sub(t.once + t.twice))
        .sum();
    assert_eq!(never, 0, "an acknowledged message was never answered");
    assert_eq!(lost, 0, "an acknowledged message was lost");
}
