//! Chat throughput with the offline engine: many concurrent web chat sessions against
//! `verity serve --demo` (the release binary, a SQLite file store, run as its own
//! process so that its resident memory is its own), each session over one keep-alive
//! connection on loopback.
//!
//! Run: `cargo bench --bench chat_load`. Knobs: `VERITY_BENCH_SESSIONS` (default 500),
//! `VERITY_BENCH_BIN` (another build of `verity` to measure), `VERITY_BENCH_RATE` (turns per second offered by all sessions together, default
//! 2000; `0`: closed loop, every session sends its next message as soon as the answer
//! is in), `VERITY_BENCH_SECONDS` (measured, default 10), `VERITY_BENCH_WARMUP_SECONDS`
//! (default 3, not counted). The rate limits are raised for the run (all sessions come
//! from 127.0.0.1).
//!
//! With a rate, each session sends a message every `sessions / rate` seconds (a person
//! typing, not a loop), the sessions evenly staggered. A turn's latency counts from the
//! moment its message was due, not from when it was sent: a server that falls behind
//! shows it in the latencies instead of slowing the load down. The closed loop measures
//! the most turns per second the server gives; there every turn waits behind the other
//! sessions' turns, so its latencies are those of a queue of `sessions` messages.
//!
//! A session opens (`POST /api/v1/chat/sessions`), verifies with one of the demo
//! stories' order number and postcode, then cycles through "Wo ist mein Paket?",
//! "Danke!", "Wie lange dauert die Lieferung?" and "Ich möchte einen Rückruf" / "nein".
//! Every turn runs the NLU and the grounding check and stores two messages; the tools
//! differ, each kind a fifth of the load: "Wo ist mein Paket?" runs `track_shipment`
//! (the order's reconciled view), "Wie lange dauert die Lieferung?" `search_help`, "Ich
//! möchte einen Rückruf" `propose_remedy` (the policy on the reconciled view), and
//! "Danke!" and "nein" (declining the callback) run no tool: two fifths of the turns run
//! the truth, two fifths no tool at all. The verification (`verify_customer` and
//! `track_shipment`) is each session's first turn, before the measured window. Session n starts that cycle at its n-th message (modulo five), so the
//! turns of any moment are a mix of the five; had every session been at the same place,
//! the whole load would switch between the costly and the cheap question every
//! `sessions / rate` seconds (a quarter second at the defaults). Only 200 answers count; anything else fails the run after its row.
//! `VERITY_BENCH_LOGIN_FLOOD=N` (default 0) adds N connections that post wrong console
//! logins without pause for the whole run, each from another forwarded address (the
//! server trusts 127.0.0.1 as a proxy for the run), so that every one of them costs a
//! password check instead of being turned away by the per-address throttle: the chat's
//! latencies under a login flood from many addresses.
//! The generator runs on one current-thread runtime on one OS thread with raw hyper
//! HTTP/1 connections, and shares the machine's two cores with the server. The server's
//! CPU time over the measured window (all its threads, from /proc), divided by the turns
//! measured, is its CPU per turn: less noisy than turns per second on a shared machine.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that fails should stop loudly"
)]

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;

const STORIES: &[(&str, &str)] = &[
    ("A-100234", "33100"),
    ("A-100250", "33602"),
    ("A-100261", "50667"),
    ("A-100272", "80331"),
    ("A-100283", "20095"),
    ("A-100294", "10115"),
];
const TURNS: &[&str] = &[
    "Wo ist mein Paket?",
    "Danke!",
    "Wie lange dauert die Lieferung?",
    "Ich möchte einen Rückruf",
    "nein",
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    micros: Vec<u32>,
    /// When each measured turn was due, in milliseconds from the window's start.
    due_ms: Vec<u32>,
    errors: Vec<String>,
    /// When the last measured turn was answered.
    last_answer: Option<Instant>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn post(
    sender: &mut Sender,
    host: &HeaderValue,
    path: &str,
    auth: Option<&str>,
    body: String,
) -> Result<(u16, Bytes), String> {
    let mut req = hyper::Request::post(path)
        .header(HOST, host.clone())
        .header(CONTENT_TYPE, "application/json");
    if let Some(t) = auth {
        req = req.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = req.body(Full::new(Bytes::from(body))).unwrap();
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("POST {path}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("POST {path}: {e}"))?
        .to_bytes();
    Ok((status, body))
}

/// Posts wrong console logins from forwarded address `10.n.x.y` until `until`; returns
/// how many were answered, by status.
async fn login_flood(
    addr: std::net::SocketAddr,
    n: usize,
    until: Instant,
) -> std::collections::BTreeMap<u16, u32> {
    let host = HeaderValue::from_str(&addr.to_string()).unwrap();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::task::spawn_local(conn);
    // The login form's token and its cookie.
    let req = hyper::Request::get("/console/login")
        .header(HOST, host.clone())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let cookie = resp
        .headers()
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("verity_login="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap();
    let page =
        String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let mut answered = std::collections::BTreeMap::new();
    let mut i: u32 = 0;
    while Instant::now() < until {
        i += 1;
        let body = format!("csrf={csrf}&email=flood{i}%40example.org&password=wrong-password-{i}");
        let req = hyper::Request::post("/console/login")
            .header(HOST, host.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(hyper::header::COOKIE, cookie.as_str())
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", n % 250, (i >> 8) % 250, i % 250),
            )
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let Ok(resp) = sender.send_request(req).await else {
            break;
        };
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        *answered.entry(status).or_insert(0) += 1;
    }
    answered
}

/// When a session sends: every `interval` from `first` (paced), or at once (closed loop).
#[derive(Clone, Copy)]
struct Pace {
    first: Instant,
    interval: Option<Duration>,
}

async fn session(
    addr: std::net::SocketAddr,
    n: usize,
    pace: Pace,
    measure_from: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let host = HeaderValue::from_str(&addr.to_string()).unwrap();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::task::spawn_local(conn);
    let opened = match post(
        &mut sender,
        &host,
        "/api/v1/chat/sessions",
        None,
        r#"{"language":"de"}"#.into(),
    )
    .await
    {
        Ok((201, body)) => serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        Ok((status, body)) => {
            tally
                .errors
                .push(format!("open: {status} {}", String::from_utf8_lossy(&body)));
            return tally;
        }
        Err(e) => {
            tally.errors.push(e);
            return tally;
        }
    };
    let id = opened["session_id"].as_str().unwrap().to_string();
    let token = opened["token"].as_str().unwrap().to_string();
    let path = format!("/api/v1/chat/sessions/{id}/messages");
    let (order, postcode) = STORIES[n % STORIES.len()];
    let mut turn = 0usize;
    loop {
        // When this message is due: its latency counts from then.
        let start = match pace.interval {
            Some(every) => {
                let due = pace.first + every * u32::try_from(turn).unwrap();
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        if start >= until {
            break;
        }
        let text = if turn == 0 {
            format!("{order} {postcode}")
        } else {
            // Each session starts the cycle at its own place, so that at every moment
            // the turns in flight are a mix of the kinds (as with people, who do not
            // all ask the same thing in the same quarter second).
            TURNS[(turn - 1 + n) % TURNS.len()].to_string()
        };
        let body = serde_json::json!({ "text": text }).to_string();
        match post(&mut sender, &host, &path, Some(&token), body).await {
            Ok((200, _)) => {
                if start >= measure_from {
                    tally
                        .micros
                        .push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
                    let due = start.duration_since(measure_from).as_millis();
                    tally.due_ms.push(u32::try_from(due).unwrap_or(u32::MAX));
                    tally.last_answer = Some(Instant::now());
                }
            }
            Ok((status, body)) => tally.errors.push(format!(
                "turn {turn}: {status} {}",
                String::from_utf8_lossy(&body)
            )),
            Err(e) => {
                tally.errors.push(e);
                break;
            }
        }
        turn += 1;
    }
    tally
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The server's CPU time so far (user and system, all threads), in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Turns over this are slow: the p99 goal.
const SLOW_MICROS: u32 = 25_000;
/// The width of the windows in which slow turns are counted.
const WINDOW_MS: u32 = 100;

/// Where the slow turns were: how many there were, and the 100 ms windows (by when the
/// turns were due) with the most of them. A p99 made by one stall shows as one or two
/// windows; one made by a server that is too slow throughout, as many.
fn slow_windows(tallies: &[Tally]) {
    let mut windows: std::collections::BTreeMap<u32, (usize, usize, u32)> = Default::default();
    let mut slow = 0usize;
    let mut all = 0usize;
    for t in tallies {
        for (&us, &due) in t.micros.iter().zip(&t.due_ms) {
            all += 1;
            let w = windows.entry(due / WINDOW_MS).or_default();
            w.0 += 1;
            w.2 = w.2.max(us);
            if us > SLOW_MICROS {
                slow += 1;
                w.1 += 1;
            }
        }
    }
    let mut worst: Vec<_> = windows.iter().filter(|(_, w)| w.1 > 0).collect();
    println!(
        "turns over {} ms: {slow} of {all}, in {} of {} windows of {WINDOW_MS} ms",
        SLOW_MICROS / 1000,
        worst.len(),
        windows.len()
    );
    worst.sort_by_key(|(_, w)| std::cmp::Reverse(w.1));
    for (start, (turns, slow, max)) in worst.iter().take(8) {
        println!(
            "  due at {:>6} ms: {slow} of {turns} turns slow, the slowest {:.1} ms",
            *start * WINDOW_MS,
            f64::from(*max) / 1000.0
        );
    }
}

fn main() {
    let sessions: usize = env_or("VERITY_BENCH_SESSIONS", 500);
    let rate: f64 = env_or("VERITY_BENCH_RATE", 2000.0);
    let seconds: f64 = env_or("VERITY_BENCH_SECONDS", 10.0);
    let warmup: f64 = env_or("VERITY_BENCH_WARMUP_SECONDS", 3.0);
    let flood: usize = env_or("VERITY_BENCH_LOGIN_FLOOD", 0);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    // Another build of the server can be measured against the same generator.
    let bin =
        std::env::var("VERITY_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_verity").into());
    let mut command = std::process::Command::new(bin);
    if flood > 0 {
        command.env("VERITY_TRUSTED_PROXIES", "127.0.0.1");
    }
    let mut server = command
        .args(["--database-url"])
        .arg(dir.path().join("verity.db"))
        .args(["serve", "--demo", "--bind", &addr.to_string()])
        .env(
            "RUST_LOG",
            std::env::var("VERITY_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("VERITY_CHAT_RATE_PER_IP", "1000000000")
        .env("VERITY_CHAT_RATE_PER_SESSION", "1000000000")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready_by = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < ready_by, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = server.id();
    let rss_idle = status_kb(pid, "VmRSS:");
    let started = Instant::now();
    let measure_from = started + Duration::from_secs_f64(warmup);
    let until = measure_from + Duration::from_secs_f64(seconds);
    // The server's CPU time over the measured window.
    let cpu = std::thread::spawn(move || {
        std::thread::sleep(measure_from.saturating_duration_since(Instant::now()));
        let server = pid.to_string();
        let before = (cpu_ticks(&server), cpu_ticks("self"));
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        (cpu_ticks(&server) - before.0, cpu_ticks("self") - before.1)
    });
    let (tallies, flooded): (Vec<Tally>, Vec<_>) = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let interval = (rate > 0.0).then(|| Duration::from_secs_f64(sessions as f64 / rate));
            let tasks: Vec<_> = (0..sessions)
                .map(|n| {
                    // Evenly staggered: session n starts n/sessions of an interval in.
                    let first = started
                        + interval
                            .unwrap_or_default()
                            .mul_f64(n as f64 / sessions as f64);
                    let pace = Pace { first, interval };
                    tokio::task::spawn_local(session(addr, n, pace, measure_from, until))
                })
                .collect();
            let floods: Vec<_> = (0..flood)
                .map(|n| tokio::task::spawn_local(login_flood(addr, n, until)))
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            let mut flooded = Vec::new();
            for f in floods {
                flooded.push(f.await.unwrap());
            }
            (out, flooded)
        })
    })
    .join()
    .unwrap();
    let rss_peak = status_kb(pid, "VmHWM:");
    let (cpu_ticks, own_ticks) = cpu.join().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let mut micros: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.micros.iter().copied())
        .collect();
    micros.sort_unstable();
    // Turns per second: the measured turns over the time from the window's start to the
    // last answer (a server that falls behind answers the window's turns late).
    let last = tallies.iter().filter_map(|t| t.last_answer).max();
    let span = last
        .map(|l| l.duration_since(measure_from).as_secs_f64())
        .unwrap_or(seconds)
        .max(seconds);
    let errors: Vec<&String> = tallies.iter().flat_map(|t| t.errors.iter()).collect();
    println!(
        "1-minute load average before the run: {}",
        load.split_whitespace().next().unwrap_or("?")
    );
    let offered = if rate > 0.0 {
        format!("{rate:.0}/s")
    } else {
        "closed loop".to_string()
    };
    println!(
        "| sessions | offered | measured | turns | turns/s | p50 | p99 | server CPU per turn | generator CPU per turn | server RSS idle → peak | errors |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // Clock ticks are 10 ms on Linux (USER_HZ = 100).
    let turns_in_window = micros.len().max(1) as f64;
    println!(
        "| {sessions} | {offered} | {seconds:.0} s | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} MB → {} MB | {} |",
        micros.len(),
        micros.len() as f64 / span,
        percentile(&micros, 0.5),
        percentile(&micros, 0.99),
        cpu_ticks as f64 * 10.0 / turns_in_window,
        own_ticks as f64 * 10.0 / turns_in_window,
        rss_idle / 1024,
        rss_peak / 1024,
        errors.len()
    );
    slow_windows(&tallies);
    if flood > 0 {
        let mut by_status = std::collections::BTreeMap::new();
        for f in &flooded {
            for (status, n) in f {
                *by_status.entry(*status).or_insert(0u32) += n;
            }
        }
        println!(
            "login flood: {flood} connections, {} logins answered over the run ({by_status:?} by status)",
            by_status.values().sum::<u32>()
        );
    }
    for e in errors.iter().take(5) {
        eprintln!("error: {e}");
    }
    assert!(errors.is_empty(), "{} errors", errors.len());
}
