//! Runs scenarios: for each, a fresh in-memory store at the scenario's fixed clock, the
//! demo data and `given` through the real ingestion code, the real server on a loopback
//! port, and the customer's turns over the channel. Then the checks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use super::channel::{self, Driver};
use super::expect::{self, BotMessage, Leak, Observed, ToolCall};
use super::scenario::{ChannelKind, DataSource, Message, Scenario};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Item;
use crate::http::fake_graph::FakeGraph;
use crate::http::{self, App};
use crate::ingest;
use crate::store::conversations::{self, Role};
use crate::store::{Store, inspect};
use crate::truth::Policy;

/// The engine that answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Offline,
    Openai,
}

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct Options {
    pub engine: Engine,
    /// The LLM engine's settings; required with [`Engine::Openai`].
    pub llm: Option<crate::config::LlmConfig>,
    /// Runs per scenario (pass^k).
    pub repeat: usize,
    pub filter: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: Engine::Offline,
            llm: None,
            repeat: 1,
            filter: None,
        }
    }
}

/// How one run of a scenario ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

/// One turn as it happened.
#[derive(Clone, Debug, Serialize)]
pub struct TurnRecord {
    /// 1-based; 0 is the opening (the greeting).
    pub turn: usize,
    /// `say: …` or `press: …`.
    pub sent: String,
    pub observed: Observed,
    pub failures: Vec<String>,
    pub leaks: Vec<Leak>,
}

/// One run of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub status: Status,
    /// Why it was skipped, or why it could not run at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub turns: Vec<TurnRecord>,
    pub final_failures: Vec<String>,
    pub grounding_violations: usize,
    pub leaks: usize,
    pub server_errors: usize,
    pub cases: Vec<Value>,
    pub events: Vec<Value>,
}

impl Run {
    fn skipped(note: String) -> Self {
        Run {
            status: Status::Skipped,
            note: Some(note),
            turns: Vec::new(),
            final_failures: Vec::new(),
            grounding_violations: 0,
            leaks: 0,
            server_errors: 0,
            cases: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Every failed expectation, with its turn.
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self.note.iter().cloned().collect();
        if self.status == Status::Skipped {
            return Vec::new();
        }
        for t in &self.turns {
            for f in &t.failures {
                out.push(if t.turn == 0 {
                    format!("opening: {f}")
                } else {
                    format!("turn {}: {f}", t.turn)
                });
            }
        }
        out.extend(self.final_failures.iter().cloned());
        out
    }
}

/// All runs of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub channel: String,
    pub file: String,
    pub runs: Vec<Run>,
}

impl ScenarioResult {
    /// Skipped when skipped; passed when every run passed; else failed.
    pub fn status(&self) -> Status {
        if self.runs.iter().any(|r| r.status == Status::Skipped) {
            Status::Skipped
        } else if self.runs.iter().all(|r| r.status == Status::Passed) {
            Status::Passed
        } else {
            Status::Failed
        }
    }
}

/// The result of the whole suite.
#[derive(Clone, Debug, Serialize)]
pub struct SuiteResult {
    pub engine: Engine,
    pub repeat: usize,
    pub scenarios: Vec<ScenarioResult>,
}

impl SuiteResult {
    pub fn count(&self, s: Status) -> usize {
        self.scenarios.iter().filter(|r| r.status() == s).count()
    }
}

/// Runs the scenarios (those the filter selects) with the options.
pub async fn run_suite(scenarios: &[Scenario], opts: &Options) -> anyhow::Result<SuiteResult> {
    let llm = match (opts.engine, &opts.llm) {
        (Engine::Offline, _) => None,
        (Engine::Openai, Some(llm)) => Some(llm.clone()),
        (Engine::Openai, None) => anyhow::bail!(
            "--engine openai needs an OpenAI-compatible endpoint: set VERITY_LLM_BASE_URL \
             (and VERITY_LLM_MODEL, VERITY_LLM_API_KEY; see README, \"The LLM engine\")"
        ),
    };
    let mut demo_cache: HashMap<NaiveDate, Arc<Vec<Item>>> = HashMap::new();
    let mut results = Vec::new();
    for s in scenarios {
        if let Some(f) = &opts.filter
            && !s.matches_filter(f)
        {
            continue;
        }
        let mut runs = Vec::new();
        for _ in 0..opts.repeat.max(1) {
            let run = match channel::unsupported(s.channel) {
                Some(why) => Run::skipped(why),
                None => run_once(s, &mut demo_cache, llm.as_ref()).await,
            };
            let skipped = run.status == Status::Skipped;
            runs.push(run);
            if skipped {
                break;
            }
        }
        results.push(ScenarioResult {
            id: s.id.clone(),
            title: s.title.clone(),
            tags: s.tags.clone(),
            channel: s.channel.as_str().to_string(),
            file: s.file.display().to_string(),
            runs,
        });
    }
    Ok(SuiteResult {
        engine: opts.engine,
        repeat: opts.repeat.max(1),
        scenarios: results,
    })
}

/// One run; a scenario that cannot even be set up is a failed run saying why.
async fn run_once(
    s: &Scenario,
    demo_cache: &mut HashMap<NaiveDate, Arc<Vec<Item>>>,
    llm: Option<&crate::config::LlmConfig>,
) -> Run {
    match try_run(s, demo_cache, llm).await {
        Ok(run) => run,
        Err(e) => Run {
            status: Status::Failed,
            note: Some(format!("the scenario could not run: {e:#}")),
            ..Run::skipped(String::new())
        },
    }
}

/// The server of one scenario, stopped when dropped.
struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    async fn start(
        store: Store,
        clock: Clock,
        policy: Policy,
        channels: crate::config::ChannelConfig,
        llm: Option<crate::config::LlmConfig>,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a loopback port")?;
        let base = format!("http://{}", listener.local_addr()?);
        let config = Config {
            database_url: "sqlite::memory:".into(),
            bind: listener.local_addr()?,
            // One customer sends every turn from one address; the limits are not
            // what a scenario tests.
            chat_rate_per_ip: 1_000_000,
            chat_rate_per_session: 1_000_000,
            channels,
            llm,
            ..Config::default()
        };
        let state = App::state(store, config, clock, policy);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(http::serve_until(state, listener, async {
            let _ = rx.await;
        }));
        Ok(Server {
            base,
            stop: Some(tx),
            task: Some(task),
        })
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

async fn try_run(
    s: &Scenario,
    demo_cache: &mut HashMap<NaiveDate, Arc<Vec<Item>>>,
    llm: Option<&crate::config::LlmConfig>,
) -> anyhow::Result<Run> {
    let now = s.now()?.with_timezone(&Utc);
    let policy = Policy::default();
    let store = Store::in_memory().await?;

    // The data: the demo (anchored at the scenario's day) and `given`, through ingestion.
    let mut inputs = Vec::new();
    if s.data == DataSource::Demo {
        let anchor = crate::demo::anchor_for(now, &policy);
        let items = demo_cache
            .entry(anchor)
            .or_insert_with(|| Arc::new(crate::demo::generate(anchor).items))
            .clone();
        inputs.extend(
            items
                .iter()
                .map(|i| ingest::Input::new(None, Ok(i.clone()))),
        );
    }
    for (i, v) in s.given.iter().enumerate() {
        let item = Item::parse(v).map_err(|e| e.to_string());
        if let Err(e) = &item {
            anyhow::bail!("given item {}: {e}", i + 1);
        }
        inputs.push(ingest::Input::new(Some(i + 1), item));
    }
    let report = ingest::apply(&store, inputs, now.timestamp_millis()).await?;
    if let Some(bad) = report
        .items
        .iter()
        .find(|r| r.status != ingest::Status::Accepted && r.status != ingest::Status::Duplicate)
    {
        anyhow::bail!(
            "given item {}: {:?} {}",
            bad.line.map(|l| l.to_string()).unwrap_or_default(),
            bad.status,
            bad.error.as_deref().unwrap_or("")
        );
    }

    let (known, cases_before, events_before) = {
        let mut conn = store.read().await?;
        (
            inspect::list_identifying_data(&mut conn).await?,
            inspect::list_case_ids(&mut conn)
                .await?
                .into_iter()
                .collect::<HashSet<_>>(),
            inspect::list_event_ids(&mut conn)
                .await?
                .into_iter()
                .collect::<HashSet<_>>(),
        )
    };

    // WhatsApp and Messenger replies go out to a fake Graph API on loopback.
    let graph = match s.channel {
        ChannelKind::Web => None,
        _ => Some(FakeGraph::start().await?),
    };
    let channels = graph
        .as_ref()
        .map(channel::channel_config)
        .unwrap_or_default();
    let server = Server::start(
        store.clone(),
        Clock::Fixed(now),
        policy,
        channels,
        llm.cloned(),
    )
    .await?;
    let result = converse(s, &store, &server.base, &known, graph.as_ref()).await;
    server.stop().await;
    let mut turns = result?;

    // What the scenario created.
    let (cases, events) = {
        let mut conn = store.read().await?;
        let cases: Vec<Value> = inspect::list_cases_json(&mut conn)
            .await?
            .into_iter()
            .filter(|c| {
                c["id"]
                    .as_str()
                    .is_some_and(|id| !cases_before.contains(id))
            })
            .collect();
        let new_events: Vec<String> = inspect::list_event_ids(&mut conn)
            .await?
            .into_iter()
            .filter(|id| !events_before.contains(id))
            .collect();
        let events = inspect::list_event_bodies(&mut conn, &new_events).await?;
        (cases, events)
    };
    let final_failures = expect::check_final(&s.final_, &cases, &events);

    let grounding_violations = turns
        .iter()
        .flat_map(|t| &t.observed.messages)
        .filter(|m| !m.grounded())
        .count();
    let leaks = turns.iter().map(|t| t.leaks.len()).sum();
    let server_errors = turns
        .iter()
        .filter(|t| t.observed.status >= 500 || t.observed.status == 0)
        .count();
    for t in &mut turns {
        t.failures.sort_by_key(|f| !f.starts_with("server"));
    }
    let failed = !final_failures.is_empty() || turns.iter().any(|t| !t.failures.is_empty());
    Ok(Run {
        status: if failed {
            Status::Failed
        } else {
            Status::Passed
        },
        note: None,
        turns,
        final_failures,
        grounding_violations,
        leaks,
        server_errors,
        cases,
        events,
    })
}

/// The conversation itself: the opening, then every turn with its checks.
async fn converse(
    s: &Scenario,
    store: &Store,
    base: &str,
    known: &[inspect::Identifying],
    graph: Option<&FakeGraph>,
) -> anyhow::Result<Vec<TurnRecord>> {
    let mut turns = Vec::new();
    let (driver, status) = Driver::open(s, base, graph.map(|g| (g, store))).await?;
    // WhatsApp and Messenger: the conversation starts with the first message.
    let mut conv = driver.conversation_id().await?.unwrap_or_default();
    let mut seen_seq = 0;
    let mut customer_wrote = String::new();

    // The opening message is checked like a reply.
    let (opening, last) = bot_messages(store, &conv, seen_seq).await?;
    seen_seq = last;
    let observed = Observed {
        status,
        reply: opening.last().map(|m| serde_json::json!({"text": m.text})),
        messages: opening,
    };
    turns.push(implicit(
        0,
        "(session opened)".into(),
        observed,
        known,
        None,
        "",
    ));

    for (i, turn) in s.turns.iter().enumerate() {
        let message = turn.message()?;
        let sent = match &message {
            Message::Say(t) => {
                customer_wrote.push_str(t);
                customer_wrote.push('\n');
                format!("say: {t}")
            }
            Message::Press(a) => format!("press: {a}"),
        };
        let (status, reply) = match driver.send(&message).await {
            Ok(r) => (r.status, r.reply),
            Err(e) => (
                0,
                Some(serde_json::json!({"text": "", "error": format!("{e:#}")})),
            ),
        };
        if conv.is_empty() {
            conv = driver.conversation_id().await?.unwrap_or_default();
        }
        let (messages, last) = bot_messages(store, &conv, seen_seq).await?;
        seen_seq = last;
        let own = {
            let mut c = store.read().await?;
            conversations::get_conversation(&mut c, &conv)
                .await?
                .and_then(|c| c.customer_id)
        };
        let observed = Observed {
            status,
            reply,
            messages,
        };
        let mut record = implicit(
            i + 1,
            sent,
            observed,
            known,
            own.as_deref(),
            &customer_wrote,
        );
        let explicit = expect::check_turn(&turn.expect, &record.observed);
        record.failures.extend(explicit);
        turns.push(record);
    }
    Ok(turns)
}

/// The checks of every turn: no server error, every reply grounded, no leak.
fn implicit(
    turn: usize,
    sent: String,
    observed: Observed,
    known: &[inspect::Identifying],
    own: Option<&str>,
    customer_wrote: &str,
) -> TurnRecord {
    let mut failures = Vec::new();
    match observed.status {
        0 => failures.push(format!(
            "server error: no answer ({})",
            observed
                .reply
                .as_ref()
                .and_then(|r| r["error"].as_str())
                .unwrap_or("")
        )),
        s if s >= 500 => failures.push(format!("server error: HTTP {s}")),
        s if !(200..300).contains(&s) => failures.push(format!(
            "the server refused the message: HTTP {s} {}",
            observed
                .reply
                .as_ref()
                .map(|r| r["error"].to_string())
                .unwrap_or_default()
        )),
        _ => {}
    }
    for m in &observed.messages {
        if !m.grounded() {
            failures.push(format!(
                "grounding: a reply failed the grounding check: {}",
                m.grounding_reasons().join("; ")
            ));
        }
    }
    let mut leaks = Vec::new();
    for m in &observed.messages {
        for l in expect::find_leaks(&m.text, known, own, customer_wrote) {
            failures.push(format!(
                "leak: the reply shows another customer's {} \"{}\"",
                l.kind, l.value
            ));
            leaks.push(l);
        }
    }
    TurnRecord {
        turn,
        sent,
        observed,
        failures,
        leaks,
    }
}

/// The bot messages stored after `after_seq`, and the newest seq.
async fn bot_messages(
    store: &Store,
    conversation_id: &str,
    after_seq: i64,
) -> anyhow::Result<(Vec<BotMessage>, i64)> {
    let mut conn = store.read().await?;
    let rows = conversations::list_messages(&mut conn, conversation_id, after_seq).await?;
    let last = rows.last().map_or(after_seq, |m| m.seq);
    let parse = |s: &Option<String>| -> Value {
        s.as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null)
    };
    let bots = rows
        .iter()
        .filter(|m| m.role == Role::Bot)
        .map(|m| BotMessage {
            text: m.text.clone(),
            tool_calls: m
                .tool_calls
                .as_deref()
                .and_then(|t| serde_json::from_str::<Vec<ToolCall>>(t).ok())
                .unwrap_or_default(),
            grounding: parse(&m.grounding),
            engine_stats: parse(&m.engine_stats),
        })
        .collect();
    Ok((bots, last))
}
