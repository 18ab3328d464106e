//! Runs scenarios: for each, a fresh store ([`Database`]) at the scenario's fixed clock, the
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
use super::received;
use super::scenario::{ChannelKind, DataSource, Message, Scenario};
use crate::assistant::memory::WINDOW;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Item;
use crate::domain::Locale;
use crate::http::fake_graph::FakeGraph;
use crate::http::fake_llm::{FakeLlm, FakeStep, FakeToolCall};
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
    /// Each scenario runs with the offline engine first; then again through the LLM
    /// engine against the fake OpenAI-compatible server, which answers every customer
    /// text with the tool calls the offline engine made for it and then with the
    /// offline engine's reply. The tool loop, the guard and (on the web, where the
    /// replies are streamed) the streaming gate run over every scenario.
    Replay,
}

/// The store each scenario runs against (a new, empty one per run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Database {
    /// A private in-memory SQLite database.
    #[default]
    Memory,
    /// A SQLite file in a temporary directory: the production write path, through the
    /// writer thread.
    SqliteFile,
    /// A new database on this PostgreSQL server (an admin URL such as
    /// `postgres://postgres@127.0.0.1:5432/postgres`), dropped after the run.
    Postgres(String),
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
    pub database: Database,
    /// Also run every scenario with its customer texts perturbed (see [`super::perturb`]).
    pub perturb: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: Engine::Offline,
            llm: None,
            repeat: 1,
            filter: None,
            database: Database::Memory,
            perturb: false,
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
    /// With `--perturb`: the same scenarios run again with their customer texts
    /// perturbed (ids ending in `~perturbed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perturbed: Option<Vec<ScenarioResult>>,
}

impl SuiteResult {
    pub fn count(&self, s: Status) -> usize {
        self.scenarios.iter().filter(|r| r.status() == s).count()
    }

    /// The perturbed runs' count (0 without `--perturb`).
    pub fn count_perturbed(&self, s: Status) -> usize {
        self.perturbed
            .iter()
            .flatten()
            .filter(|r| r.status() == s)
            .count()
    }

    /// The same suite result for the perturbed runs (without them: none).
    pub fn perturbed_suite(&self) -> Option<SuiteResult> {
        self.perturbed.as_ref().map(|p| SuiteResult {
            engine: self.engine,
            repeat: self.repeat,
            scenarios: p.clone(),
            perturbed: None,
        })
    }
}

/// Runs the scenarios (those the filter selects) with the options.
pub async fn run_suite(scenarios: &[Scenario], opts: &Options) -> anyhow::Result<SuiteResult> {
    let llm = match (opts.engine, &opts.llm) {
        (Engine::Offline | Engine::Replay, _) => None,
        (Engine::Openai, Some(llm)) => Some(llm.clone()),
        (Engine::Openai, None) => anyhow::bail!(
            "--engine openai needs an OpenAI-compatible endpoint: set VERITY_LLM_BASE_URL \
             (and VERITY_LLM_MODEL, VERITY_LLM_API_KEY; see docs/llm.md)"
        ),
    };
    let mut demo_cache: HashMap<NaiveDate, Arc<Vec<Item>>> = HashMap::new();
    let fake = match opts.engine {
        Engine::Replay => Some(FakeLlm::start().await.context("starting the fake model")?),
        _ => None,
    };
    let selected: Vec<Scenario> = scenarios
        .iter()
        .filter(|s| opts.filter.as_ref().is_none_or(|f| s.matches_filter(f)))
        .cloned()
        .collect();
    let results = run_all(
        &selected,
        opts,
        llm.as_ref(),
        fake.as_ref(),
        &mut demo_cache,
    )
    .await;
    let perturbed = if opts.perturb {
        let texts: Vec<Scenario> = selected.iter().map(super::perturb::perturb).collect();
        Some(run_all(&texts, opts, llm.as_ref(), fake.as_ref(), &mut demo_cache).await)
    } else {
        None
    };
    Ok(SuiteResult {
        engine: opts.engine,
        repeat: opts.repeat.max(1),
        scenarios: results,
        perturbed,
    })
}

async fn run_all(
    scenarios: &[Scenario],
    opts: &Options,
    llm: Option<&crate::config::LlmConfig>,
    fake: Option<&FakeLlm>,
    demo_cache: &mut HashMap<NaiveDate, Arc<Vec<Item>>>,
) -> Vec<ScenarioResult> {
    let mut results = Vec::new();
    for s in scenarios {
        let mut runs = Vec::new();
        for _ in 0..opts.repeat.max(1) {
            let run = match (channel::unsupported(s.channel), fake) {
                (Some(why), _) => Run::skipped(why),
                (None, Some(fake)) => {
                    let ctx = RunContext {
                        database: &opts.database,
                        llm: None,
                        replay: None,
                    };
                    let offline = run_once(s, demo_cache, &ctx).await;
                    let mut config = crate::config::LlmConfig::new(fake.base_url.clone(), "replay");
                    config.timeout = Duration::from_secs(30);
                    let replay = Replay {
                        fake,
                        turns: replay_steps(s, &offline),
                    };
                    let ctx = RunContext {
                        database: &opts.database,
                        llm: Some(&config),
                        replay: Some(&replay),
                    };
                    run_once(s, demo_cache, &ctx).await
                }
                (None, None) => {
                    let ctx = RunContext {
                        database: &opts.database,
                        llm,
                        replay: None,
                    };
                    run_once(s, demo_cache, &ctx).await
                }
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
    results
}

/// How one run is made: its store, its model, and what the fake model replays.
struct RunContext<'a> {
    database: &'a Database,
    llm: Option<&'a crate::config::LlmConfig>,
    replay: Option<&'a Replay<'a>>,
}

/// The fake model's answers for each turn of a scenario, from its offline run.
struct Replay<'a> {
    fake: &'a FakeLlm,
    /// Per turn (0-based): the answers to script before the customer's text is sent;
    /// `None` for a pressed button (the offline engine runs those in either engine).
    turns: Vec<Option<Vec<FakeStep>>>,
}

/// What the fake model answers to each customer text: the tool calls the offline
/// engine made in that turn (in one round, in their order), then its reply's text.
fn replay_steps(s: &Scenario, offline: &Run) -> Vec<Option<Vec<FakeStep>>> {
    s.turns
        .iter()
        .enumerate()
        .map(|(i, turn)| {
            turn.say.as_ref()?;
            let record = offline.turns.iter().find(|t| t.turn == i + 1)?;
            let last = record.observed.messages.last()?;
            // Answered before any engine ("STOP"): the model is not asked.
            if last.engine_stats["engine"] == "notices" {
                return None;
            }
            let calls: Vec<FakeToolCall> = record
                .observed
                .messages
                .iter()
                .flat_map(|m| &m.tool_calls)
                .map(|c| FakeToolCall::new(&c.name, c.arguments.clone()))
                .collect();
            let mut steps = Vec::new();
            if !calls.is_empty() {
                steps.push(FakeStep::tools(calls));
            }
            steps.push(FakeStep::text(&last.text));
            Some(steps)
        })
        .collect()
}

/// A new, empty store of the kind asked for; the guard removes what it made.
async fn open_store(database: &Database) -> anyhow::Result<(Store, StoreGuard)> {
    match database {
        Database::Memory => Ok((Store::in_memory().await?, StoreGuard::None)),
        Database::SqliteFile => {
            let dir = std::env::temp_dir().join(crate::store::new_id("verity-eval"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let store = Store::connect(&dir.join("eval.db").to_string_lossy()).await?;
            Ok((store, StoreGuard::Dir(dir)))
        }
        Database::Postgres(admin) => {
            let name = crate::store::new_id("verity_e").to_lowercase();
            let url = crate::store::scratch::create_database(admin, &name).await?;
            let store = Store::connect(&url).await?;
            Ok((
                store,
                StoreGuard::Postgres {
                    admin: admin.clone(),
                    name,
                },
            ))
        }
    }
}

/// What to remove after a run.
enum StoreGuard {
    None,
    Dir(std::path::PathBuf),
    Postgres { admin: String, name: String },
}

impl StoreGuard {
    /// Removes the run's database (open connections are closed by force on PostgreSQL;
    /// on Linux a SQLite file may be removed while open).
    async fn remove(self, store: Store) {
        drop(store);
        if let StoreGuard::Dir(dir) = &self {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let StoreGuard::Postgres { admin, name } = self {
            crate::store::scratch::drop_database(&admin, &name).await;
        }
    }
}

/// One run; a scenario that cannot even be set up is a failed run saying why.
async fn run_once(
    s: &Scenario,
    demo_cache: &mut HashMap<NaiveDate, Arc<Vec<Item>>>,
    ctx: &RunContext<'_>,
) -> Run {
    let (store, guard) = match open_store(ctx.database).await {
        Ok(x) => x,
        Err(e) => {
            return Run {
                status: Status::Failed,
                note: Some(format!("the scenario's store could not be opened: {e:#}")),
                ..Run::skipped(String::new())
            };
        }
    };
    let result = try_run(s, demo_cache, ctx, store.clone()).await;
    guard.remove(store).await;
    match result {
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
    /// The server's state, for what a scenario sets up in-process (`notice:`).
    state: http::AppState,
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
        let task = tokio::spawn(http::serve_until(state.clone(), listener, async {
            let _ = rx.await;
        }));
        Ok(Server {
            base,
            state,
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
    ctx: &RunContext<'_>,
    store: Store,
) -> anyhow::Result<Run> {
    let llm = ctx.llm;
    let now = s.now()?.with_timezone(&Utc);
    let policy = Policy::default();
    let policy_tz = policy.time_zone;

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
    let result = converse(
        s,
        &server.state,
        &store,
        &server.base,
        &known,
        graph.as_ref(),
        policy_tz,
        ctx.replay,
    )
    .await;
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

    // Per turn, the larger of: delivered texts that failed the runner's check, stored
    // messages whose own verdict failed.
    let grounding_violations = turns
        .iter()
        .map(|t| {
            let delivered = t.observed.delivered.iter().filter(|v| !v.passed).count();
            let stored = t.observed.messages.iter().filter(|m| !m.grounded()).count();
            delivered.max(stored)
        })
        .sum();
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
#[allow(clippy::too_many_arguments)]
async fn converse(
    s: &Scenario,
    app: &App,
    store: &Store,
    base: &str,
    known: &[inspect::Identifying],
    graph: Option<&FakeGraph>,
    tz: chrono_tz::Tz,
    replay: Option<&Replay<'_>>,
) -> anyhow::Result<Vec<TurnRecord>> {
    let mut turns = Vec::new();
    // Replayed through the model, the web chat's replies are streamed (the gate runs).
    let (driver, status) =
        Driver::open(s, base, graph.map(|g| (g, store)), replay.is_some()).await?;
    // WhatsApp and Messenger: the conversation starts with the first message.
    let mut conv = driver.conversation_id().await?.unwrap_or_default();
    // `notice:`: Verity's notice is the conversation's first message.
    let mut notice = None;
    if let Some(n) = &s.notice {
        let opened = Some(conv.as_str()).filter(|c| !c.is_empty());
        let (id, told) = super::notice::start(app, s, n, opened).await?;
        conv = id;
        // As the customer got it: through the Graph API on WhatsApp, the reply on the web.
        notice = match driver.received().await? {
            Some(got) => Some(got),
            None => Some(serde_json::to_value(&told)?),
        };
    }
    let mut seen_seq = 0;
    let mut customer_wrote = String::new();

    // The opening message is checked like a reply.
    let (opening, last) = bot_messages(store, &conv, seen_seq).await?;
    seen_seq = last;
    let mut observed = Observed {
        status,
        reply: notice.or_else(|| opening.last().map(|m| serde_json::json!({"text": m.text}))),
        messages: opening,
        delivered: Vec::new(),
    };
    grade(store, &conv, s.channel, tz, &mut observed).await?;
    let own = match &s.notice {
        Some(_) => own_person(store, &conv).await?,
        None => None,
    };
    let mut opening = implicit(
        0,
        "(session opened)".into(),
        observed,
        known,
        own.as_deref(),
        "",
    );
    if let Some(n) = &s.notice {
        let checked = expect::check_turn(&n.expect, &opening.observed);
        opening.failures.extend(checked);
    }
    turns.push(opening);

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
        let scripted =
            replay.and_then(|r| r.turns.get(i).cloned().flatten().map(|steps| (r, steps)));
        if let Some((r, steps)) = &scripted {
            r.fake.clear();
            r.fake.push(steps.clone());
        }
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
        let own = own_person(store, &conv).await?;
        let mut observed = Observed {
            status,
            reply,
            messages,
            delivered: Vec::new(),
        };
        grade(store, &conv, s.channel, tz, &mut observed).await?;
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
        if let Some((r, _)) = scripted {
            let left = r.fake.clear();
            if left > 0 {
                record.failures.push(format!(
                    "replay: the LLM engine did not use {left} of the model's scripted answers for this turn"
                ));
            }
        }
        turns.push(record);
    }
    Ok(turns)
}

/// The customer whose data the conversation may show: its verified customer, or the
/// customer of the order of its verified contact.
async fn own_person(store: &Store, conv: &str) -> anyhow::Result<Option<String>> {
    let mut c = store.read().await?;
    let person = conversations::get_conversation(&mut c, conv)
        .await?
        .and_then(|c| c.customer_id);
    // A contact of an order sees that order, which is its customer's data.
    Ok(match person {
        Some(p) if crate::domain::contact::is_contact_id(&p) => {
            match crate::store::contacts::get_contact(&mut c, &p).await? {
                Some(k) => {
                    let n = crate::domain::OrderNumber::parse(&k.order_number)
                        .map_err(anyhow::Error::msg)?;
                    crate::store::records::order_customer(&mut c, &n)
                        .await?
                        .map(|id| id.as_str().to_string())
                }
                None => None,
            }
        }
        other => other,
    })
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
    if let Some(why) = observed
        .reply
        .as_ref()
        .and_then(|r| r["stream_problem"].as_str())
    {
        failures.push(format!("stream: {why}"));
    }
    for v in &observed.delivered {
        if !v.passed {
            failures.push(format!(
                "grounding: the reply as delivered states what the conversation does not support: {}",
                v.reasons().replace('\n', "; ")
            ));
        }
    }
    for m in &observed.messages {
        if !m.grounded() {
            failures.push(format!(
                "grounding: the server's own check failed a reply (or replaced it): {}",
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

/// Grades what the customer received this turn, by the runner itself: the grounding
/// check of every delivered text against the conversation's latest messages and tool
/// results (the window the server's check reads), and which contradictions the text
/// and buttons present ([`received::presented`]). On WhatsApp and Messenger that reading
/// is the `contradictions` graded (the channel carries no codes); on the web the chat
/// API's `contradictions` field is, and the reading is shown beside it.
async fn grade(
    store: &Store,
    conversation_id: &str,
    channel: ChannelKind,
    tz: chrono_tz::Tz,
    o: &mut Observed,
) -> anyhow::Result<()> {
    let Some(reply) = o.reply.as_mut() else {
        return Ok(());
    };
    if conversation_id.is_empty() {
        return Ok(());
    }
    let (window, conv) = {
        let mut c = store.read().await?;
        (
            conversations::list_recent_messages(&mut c, conversation_id, WINDOW).await?,
            conversations::get_conversation(&mut c, conversation_id).await?,
        )
    };
    let locale = Locale::from_tag(
        reply["language"]
            .as_str()
            .or(conv.as_ref().map(|c| c.language.as_str()))
            .unwrap_or("de"),
    );
    let pieces: Vec<String> = match reply["texts"].as_array() {
        Some(t) => t
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        None => reply["text"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
    };
    let support = received::support(&window, tz);
    o.delivered = pieces
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| received::grounding(p, &support, locale))
        .collect();
    let mut read = pieces.join("\n");
    for b in reply["button_texts"].as_array().into_iter().flatten() {
        read.push('\n');
        read.push_str(b.as_str().unwrap_or(""));
    }
    let open = received::contradictions(&received::tool_results(&window));
    let shown = received::presented(&read, &open, tz, locale);
    match channel {
        // The chat API carries the codes to the client; what its text presents is shown
        // in the transcript beside them.
        ChannelKind::Web => reply["presented_in_text"] = serde_json::json!(shown),
        _ => reply["contradictions"] = serde_json::json!(shown),
    }
    Ok(())
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
