//! The `verity` command line: serve, migrate, demo, ingest, staff, eval.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
/// mimalloc: ingestion and the chat allocate many small strings across threads;
/// the system allocator spent a fifth of `verity ingest` in malloc, free and page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use verity::clock::Clock;
use verity::config::{Config, DEFAULT_INGEST_MAX_BYTES, Secret};
use verity::http::{self, App};
use verity::ingest::{self, IngestReport, Status};
use verity::store::{Store, records};
use verity::truth::Policy;

#[derive(Parser)]
#[command(
    name = "verity",
    version,
    about = "A support chat server that only says what the truth store says"
)]
struct Cli {
    /// The truth store: a SQLite file (created when missing), sqlite://FILE, or postgres://…
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "verity.db")]
    database_url: String,
    /// Log format on stderr.
    #[arg(long, global = true, env = "VERITY_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a console account. The password is asked for twice on a terminal, or
    /// read from the first line of stdin (`--password-stdin`, or when stdin is no terminal).
    Add {
        email: String,
        /// agent (default) or admin.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// The name colleagues see in transcripts and the audit log ("Ida Kellner");
        /// without it, the email.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "VERITY_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Fill an empty store with the demo data (anchored at today) and generate API
        /// tokens when none are configured.
        #[arg(long)]
        demo: bool,
        /// Largest ingestion body in bytes.
        #[arg(long, env = "VERITY_INGEST_MAX_BYTES", default_value_t = DEFAULT_INGEST_MAX_BYTES)]
        ingest_max_bytes: usize,
        /// A policy file (see policy.toml); built-in defaults when unset.
        #[arg(long, env = "VERITY_POLICY")]
        policy: Option<PathBuf>,
        /// Chat requests per minute from one client address.
        #[arg(long, env = "VERITY_CHAT_RATE_PER_IP", default_value_t = 600)]
        chat_rate_per_ip: u32,
        /// Chat messages per minute in one chat session.
        #[arg(long, env = "VERITY_CHAT_RATE_PER_SESSION", default_value_t = 30)]
        chat_rate_per_session: u32,
        #[command(flatten)]
        llm: LlmArgs,
        /// Mark the console's session cookie Secure even without `X-Forwarded-Proto: https`.
        #[arg(long, env = "VERITY_CONSOLE_SECURE_COOKIES")]
        console_secure_cookies: bool,
        /// How long a console login lasts, in hours.
        #[arg(long, env = "VERITY_CONSOLE_SESSION_HOURS", default_value_t = 12)]
        console_session_hours: i64,
        /// Origins allowed to embed the widget and call the chat API (CORS), comma
        /// separated (`https://shop.example,https://www.shop.example`), or `*`. Unset:
        /// same origin only.
        #[arg(long, env = "VERITY_WIDGET_ORIGINS", value_delimiter = ',', value_parser = verity::config::parse_widget_origin)]
        widget_origins: Vec<String>,
        /// Serve `/metrics` only on this address (e.g. 127.0.0.1:9090), not on --bind.
        #[arg(long, env = "VERITY_METRICS_BIND")]
        metrics_bind: Option<std::net::SocketAddr>,
        /// Reverse proxies (CIDRs or addresses, comma separated) whose
        /// `X-Forwarded-For` names the client; unset: the peer is the client.
        #[arg(long, env = "VERITY_TRUSTED_PROXIES", value_delimiter = ',', value_parser = verity::config::parse_trusted_proxy)]
        trusted_proxies: Vec<ipnet::IpNet>,
    },
    /// Manage staff accounts for the console.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Write the demo data set as NDJSON to stdout, or load it into the store.
    Demo {
        /// The day the stories happen on (YYYY-MM-DD, or `today`). The same day always
        /// gives the same data.
        #[arg(long, default_value = "2025-09-11")]
        anchor: String,
        /// Load into the store (--database-url) instead of printing.
        #[arg(long)]
        into_store: bool,
    },
    /// Read NDJSON items (the ingestion format) from FILE, or `-` for stdin.
    Ingest {
        file: String,
        /// Items per transaction.
        #[arg(long, default_value_t = 20_000)]
        batch: usize,
        /// Print every rejected, conflicting or noted line (default: the first 20).
        #[arg(long)]
        verbose: bool,
    },
    /// Run the eval scenarios (docs/evals.md) against fresh in-memory stores; exits 1 when
    /// any scenario failed.
    Eval {
        /// Scenario files or directories (every *.yaml below them).
        #[arg(default_value = "evals")]
        paths: Vec<PathBuf>,
        /// The engine that answers.
        #[arg(long, value_enum, default_value = "offline")]
        engine: EvalEngine,
        /// Runs per scenario; pass^k counts the scenarios that passed all of them.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
        /// Write the JSON report to this file.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write a Markdown summary to this file.
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Only the scenarios whose id, title, tag or path contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Run every scenario a second time with its customer texts perturbed (lower
        /// case, typos, filler words, punctuation dropped, a greeting added; entities and
        /// yes/no answers kept); both pass rates are reported.
        #[arg(long)]
        perturb: bool,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (the same as GET /api/openapi.json).
    Openapi,
    /// Copy a SQLite store to FILE, consistently, also while servers write to it
    /// (PostgreSQL: use pg_dump).
    Backup {
        file: PathBuf,
        /// Replace FILE when it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EvalEngine {
    Offline,
    Openai,
    /// The offline engine's tool calls and replies, replayed through the LLM engine by a
    /// built-in fake model (the tool loop, the guard and the streaming gate run).
    Replay,
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineArg {
    Offline,
    Openai,
}

#[derive(Clone, Copy, ValueEnum)]
enum FallbackArg {
    Offline,
    Handoff,
}

/// The LLM engine's settings (see docs/llm.md for a recipe per provider).
#[derive(clap::Args)]
struct LlmArgs {
    /// The engine: `offline` (default) or `openai`; `openai` when VERITY_LLM_BASE_URL is set.
    #[arg(long, env = "VERITY_ENGINE")]
    engine: Option<EngineArg>,
    /// The OpenAI-compatible API base, e.g. https://api.openai.com/v1.
    #[arg(long, env = "VERITY_LLM_BASE_URL")]
    llm_base_url: Option<String>,
    /// The model name.
    #[arg(long, env = "VERITY_LLM_MODEL", default_value = "gpt-4o-mini")]
    llm_model: String,
    #[arg(long, env = "VERITY_LLM_TEMPERATURE", default_value_t = 0.0)]
    llm_temperature: f32,
    /// Seconds one model call may take.
    #[arg(long, env = "VERITY_LLM_TIMEOUT_SECS", default_value_t = 30.0)]
    llm_timeout_secs: f64,
    /// Seconds a customer waits at most for the model, whatever its retries; then the
    /// fallback answers.
    #[arg(long, env = "VERITY_REPLY_DEADLINE_SECS", default_value_t = 20.0)]
    reply_deadline_secs: f64,
    /// Model calls that may request tools in one turn.
    #[arg(long, env = "VERITY_LLM_MAX_TOOL_ROUNDS", default_value_t = 4)]
    llm_max_tool_rounds: u32,
    /// Retries of a failed model call.
    #[arg(long, env = "VERITY_LLM_RETRIES", default_value_t = 2)]
    llm_retries: u32,
    /// Largest completion in tokens.
    #[arg(long, env = "VERITY_LLM_MAX_TOKENS", default_value_t = 600)]
    llm_max_tokens: u32,
    /// Azure OpenAI: the deployment (the base URL is then the resource URL).
    #[arg(long, env = "VERITY_LLM_AZURE_DEPLOYMENT")]
    llm_azure_deployment: Option<String>,
    /// Azure OpenAI: the API version.
    #[arg(
        long,
        env = "VERITY_LLM_AZURE_API_VERSION",
        default_value = "2024-10-21"
    )]
    llm_azure_api_version: String,
    /// Who answers when the model fails for good: the offline engine or staff.
    #[arg(long, env = "VERITY_LLM_FALLBACK", default_value = "offline")]
    llm_fallback: FallbackArg,
}

/// The LLM settings from the environment alone (for `verity eval --engine openai`).
#[derive(Parser)]
struct LlmEnv {
    #[command(flatten)]
    llm: LlmArgs,
}

impl LlmArgs {
    /// The LLM settings when the LLM engine is chosen.
    fn into_config(self) -> anyhow::Result<Option<verity::config::LlmConfig>> {
        let wanted = match self.engine {
            Some(EngineArg::Offline) => false,
            Some(EngineArg::Openai) => true,
            None => self.llm_base_url.is_some(),
        };
        if !wanted {
            return Ok(None);
        }
        let base = match (self.llm_base_url, &self.llm_azure_deployment) {
            (Some(b), _) => b,
            (None, None) => "https://api.openai.com/v1".to_string(),
            (None, Some(_)) => {
                anyhow::bail!("VERITY_LLM_BASE_URL must name the Azure OpenAI resource")
            }
        };
        if !(self.llm_timeout_secs > 0.0 && self.llm_timeout_secs.is_finite()) {
            anyhow::bail!("VERITY_LLM_TIMEOUT_SECS must be a positive number of seconds");
        }
        if !(self.reply_deadline_secs > 0.0 && self.reply_deadline_secs.is_finite()) {
            anyhow::bail!("VERITY_REPLY_DEADLINE_SECS must be a positive number of seconds");
        }
        let mut c = verity::config::LlmConfig::new(base, self.llm_model);
        c.deadline = std::time::Duration::from_secs_f64(self.reply_deadline_secs);
        c.api_key = env_secret("VERITY_LLM_API_KEY");
        c.temperature = self.llm_temperature;
        c.timeout = std::time::Duration::from_secs_f64(self.llm_timeout_secs);
        c.max_tool_rounds = self.llm_max_tool_rounds.max(1);
        c.retries = self.llm_retries;
        c.max_tokens = self.llm_max_tokens.max(16);
        c.azure = self
            .llm_azure_deployment
            .map(|deployment| verity::config::AzureSettings {
                deployment,
                api_version: self.llm_azure_api_version,
            });
        c.fallback = match self.llm_fallback {
            FallbackArg::Offline => verity::config::LlmFallback::Offline,
            FallbackArg::Handoff => verity::config::LlmFallback::Handoff,
        };
        Ok(Some(c))
    }
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // async-openai logs the bodies of malformed and failed responses, which may carry
    // what the model wrote about a customer; Verity logs those failures without them.
    let filter = match "async_openai=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The eval runner's servers log every request; its own output is the report.
    let level = match cli.command {
        Command::Eval { .. } => "warn",
        _ => "info",
    };
    init_logging(cli.log_format, level);
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `VERITY_LIVE_POLL_SECS` (1–3600, default 3): how often the live streams look at the
/// store for changes nobody signalled in this process.
fn live_poll() -> anyhow::Result<std::time::Duration> {
    match std::env::var("VERITY_LIVE_POLL_SECS") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=3600).contains(s))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| anyhow::anyhow!("VERITY_LIVE_POLL_SECS must be 1 to 3600 seconds")),
        _ => Ok(std::time::Duration::from_secs(3)),
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Serve {
            bind,
            demo,
            ingest_max_bytes,
            policy: policy_path,
            chat_rate_per_ip,
            chat_rate_per_session,
            llm,
            console_secure_cookies,
            console_session_hours,
            widget_origins,
            metrics_bind,
            trusted_proxies,
        } => {
            let store = Store::connect(&cli.database_url).await?;
            let policy = load_policy(policy_path.as_deref())?;
            let mut config = Config {
                database_url: cli.database_url.clone(),
                bind,
                ingest_token: env_secret("VERITY_INGEST_TOKEN"),
                api_token: env_secret("VERITY_API_TOKEN"),
                metrics_token: env_secret("VERITY_METRICS_TOKEN"),
                metrics_bind,
                ingest_max_bytes,
                policy_path,
                chat_rate_per_ip,
                chat_rate_per_session,
                llm: llm.into_config()?,
                channels: verity::config::ChannelConfig::from_env()?,
                console_secure_cookies,
                console_session_hours,
                live_poll: live_poll()?,
                widget_origins,
                trusted_proxies,
                public_url: std::env::var("VERITY_PUBLIC_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty()),
                link_secret: env_secret("VERITY_LINK_SECRET"),
                sweep_interval_secs: match std::env::var("VERITY_SWEEP_INTERVAL_SECS") {
                    Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| {
                        anyhow::anyhow!(
                            "VERITY_SWEEP_INTERVAL_SECS must be a whole number of seconds"
                        )
                    })?,
                    _ => 60,
                },
            };
            if demo {
                prepare_demo(&store, &mut config, &policy).await?;
            }
            let listener = tokio::net::TcpListener::bind(config.bind)
                .await
                .with_context(|| format!("binding {}", config.bind))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, backend = ?store.backend(), engine = ?config.engine(), "verity is listening");
            println!("Verity is listening on http://{addr}");
            http::serve(App::state(store, config, Clock::System, policy), listener).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Staff {
            command:
                StaffCommand::Add {
                    email,
                    role,
                    password_stdin,
                    name,
                },
        } => {
            staff_add(
                &cli.database_url,
                &email,
                &role,
                name.as_deref(),
                password_stdin,
            )
            .await
        }
        Command::Openapi => {
            println!("{}", verity::http::openapi::document_json());
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Backup { file, force } => {
            let url = cli.database_url.clone();
            let target = file.clone();
            let report = tokio::task::spawn_blocking(move || {
                verity::store::backup::backup(&url, &target, force)
            })
            .await??;
            println!(
                "backed up {} to {} ({} bytes); restore: stop the servers, then copy it over the store's file (and remove the file's -wal and -shm beside it)",
                report.source.display(),
                file.display(),
                report.bytes
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = Store::connect(&cli.database_url).await?;
            store.readiness().await?;
            println!("database is migrated ({:?})", store.backend());
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Demo { anchor, into_store } => {
            let anchor = parse_anchor(&anchor)?;
            let data = verity::demo::generate(anchor);
            if into_store {
                let store = Store::connect(&cli.database_url).await?;
                let report = load_demo(&store, &data).await?;
                println!(
                    "demo data anchored at {anchor}: {} items accepted, {} duplicates (already loaded)",
                    report.accepted, report.duplicates
                );
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(verity::demo::to_ndjson(&data).as_bytes())?;
                out.flush()?;
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Ingest {
            file,
            batch,
            verbose,
        } => ingest_file(&cli.database_url, &file, batch.max(1), verbose).await,
        Command::Eval {
            paths,
            engine,
            repeat,
            report,
            markdown,
            filter,
            perturb,
        } => {
            let (engine, llm) = match engine {
                EvalEngine::Offline => (verity::eval::Engine::Offline, None),
                EvalEngine::Replay => (verity::eval::Engine::Replay, None),
                EvalEngine::Openai => {
                    // The LLM settings `verity serve` reads (VERITY_LLM_*), from the
                    // environment only.
                    let mut env = LlmEnv::try_parse_from(["verity"])?;
                    env.llm.engine = Some(EngineArg::Openai);
                    (verity::eval::Engine::Openai, env.llm.into_config()?)
                }
            };
            let opts = verity::eval::Options {
                engine,
                llm,
                repeat: repeat as usize,
                filter,
                perturb,
                ..verity::eval::Options::default()
            };
            let result = verity::eval::run_paths(&paths, &opts).await?;
            print!("{}", verity::eval::report::console(&result));
            if let Some(path) = report {
                let json =
                    serde_json::to_string_pretty(&verity::eval::report::json_report(&result))?;
                std::fs::write(&path, json)
                    .with_context(|| format!("writing the report {}", path.display()))?;
            }
            if let Some(path) = markdown {
                std::fs::write(&path, verity::eval::report::markdown(&result))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            let failed = result.count(verity::eval::Status::Failed)
                + result.count_perturbed(verity::eval::Status::Failed);
            Ok(if failed > 0 {
                std::process::ExitCode::FAILURE
            } else {
                std::process::ExitCode::SUCCESS
            })
        }
    }
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim()))
}

fn load_policy(path: Option<&std::path::Path>) -> anyhow::Result<Policy> {
    match path {
        None => Ok(Policy::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the policy file {}", p.display()))?;
            Policy::from_toml_str(&text)
                .map_err(|e| anyhow::anyhow!("the policy file {}: {e}", p.display()))
        }
    }
}

fn parse_anchor(s: &str) -> anyhow::Result<NaiveDate> {
    if s == "today" {
        return Ok(verity::demo::anchor_for(Utc::now(), &Policy::default()));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("--anchor: expected YYYY-MM-DD or `today`, got '{s}'"))
}

async fn load_demo(store: &Store, data: &verity::demo::DemoData) -> anyhow::Result<IngestReport> {
    let inputs = data
        .items
        .iter()
        .map(|item| ingest::Input::new(None, Ok(item.clone())))
        .collect();
    ingest::apply(store, inputs, Clock::System.now_ms()).await
}

/// `serve --demo`: fills an empty store with the demo data anchored at today, prints
/// what to try, and generates tokens for the machine APIs when none are configured.
async fn prepare_demo(store: &Store, config: &mut Config, policy: &Policy) -> anyhow::Result<()> {
    let counts = records::count_records(&mut *store.read().await?).await?;
    if counts.customers == 0 {
        let anchor = verity::demo::anchor_for(Utc::now(), policy);
        let data = verity::demo::generate(anchor);
        let report = load_demo(store, &data).await?;
        println!(
            "Loaded the demo data ({} items, stories on {anchor}).",
            report.accepted
        );
    } else {
        println!(
            "The store already holds data ({} customers); the demo data was not loaded again.",
            counts.customers
        );
    }
    println!("Try these in the chat (order number + postcode):");
    for s in verity::demo::STORIES {
        println!(
            "  {:<22} {}  {}  {}",
            s.key, s.order_number, s.postcode, s.title_en
        );
    }
    if records_staff_count(store).await? == 0 {
        let password = Secret::generate();
        let password = &password.expose()[..20];
        match verity::console::accounts::create_staff(
            store,
            DEMO_STAFF_EMAIL,
            password,
            verity::console::accounts::Role::Admin,
            Clock::System.now_ms(),
        )
        .await
        {
            Ok(_) => println!(
                "Demo console account (http://{}/console): {DEMO_STAFF_EMAIL} / {password}",
                config.bind
            ),
            Err(e) => anyhow::bail!("creating the demo console account: {e}"),
        }
    }
    if config.ingest_token.is_none() {
        let t = Secret::generate();
        println!("Demo ingest token (VERITY_INGEST_TOKEN): {}", t.expose());
        config.ingest_token = Some(t);
    }
    if config.api_token.is_none() {
        let t = Secret::generate();
        println!("Demo status API token (VERITY_API_TOKEN): {}", t.expose());
        config.api_token = Some(t);
    }
    Ok(())
}

/// `verity ingest FILE|-`: reads NDJSON in batches (one transaction each), parsing the
/// next batch on another thread while the store writes this one; prints progress,
/// the problem lines (the first 20, or all with --verbose) and a summary. Exits 2 when
/// any line was rejected or conflicted.
async fn ingest_file(
    url: &str,
    file: &str,
    batch: usize,
    verbose: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let store = Store::connect(url).await?;
    let mut reader: Box<dyn BufRead + Send> = if file == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {file}"))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<anyhow::Result<(usize, Vec<ingest::Input>)>>(2);
    let name = file.to_string();
    let parser = std::thread::spawn(move || {
        let mut first_line = 1usize;
        loop {
            let mut chunk = String::with_capacity(batch.saturating_mul(320));
            let mut lines = 0usize;
            while lines < batch {
                match reader.read_line(&mut chunk) {
                    Ok(0) => break,
                    Ok(_) => lines += 1,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(anyhow::anyhow!(
                            "reading {name} near line {}: {e}",
                            first_line + lines
                        )));
                        return;
                    }
                }
            }
            if lines == 0 {
                return;
            }
            let inputs = ingest::parse_ndjson_from(&chunk, first_line);
            first_line += lines;
            if tx.blocking_send(Ok((first_line - 1, inputs))).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut total = IngestReport::default();
    let mut problems = 0usize;
    let stderr = std::io::stderr();
    while let Some(next) = rx.recv().await {
        let (lines_read, inputs) = next?;
        let report = ingest::apply(&store, inputs, Clock::System.now_ms()).await?;
        for r in &report.items {
            if r.status != Status::Accepted || r.note.is_some() {
                problems += 1;
                if verbose || problems <= 20 {
                    let line = r.line.map(|l| format!("line {l}")).unwrap_or_default();
                    let what = r.error.as_deref().or(r.note.as_deref()).unwrap_or("");
                    let _ = writeln!(
                        stderr.lock(),
                        "{line}: {:?} {} {what}",
                        r.status,
                        r.key.as_deref().unwrap_or("")
                    );
                }
            }
        }
        // Only the counts are kept: the problems were printed above, and a file of
        // millions of lines must not be held in memory line by line.
        total.add_counts(&report);
        let _ = writeln!(
            stderr.lock(),
            "… {lines_read} lines read ({:.0} items/s)",
            total.total() as f64 / started.elapsed().as_secs_f64().max(1e-9)
        );
    }
    let _ = parser.join();
    let secs = started.elapsed().as_secs_f64();
    let counts = records::count_records(&mut *store.read().await?).await?;
    println!(
        "{} items in {:.2} s ({:.0} items/s): {} accepted, {} duplicates, {} conflicts, {} rejected",
        total.total(),
        secs,
        total.total() as f64 / secs.max(1e-9),
        total.accepted,
        total.duplicates,
        total.conflicts,
        total.rejected
    );
    println!(
        "the store now holds {} customers, {} orders, {} shipments, {} events",
        counts.customers, counts.orders, counts.shipments, counts.events
    );
    if problems > 20 && !verbose {
        println!(
            "{problems} lines had a problem or a note; the first 20 were printed (--verbose prints all)"
        );
    }
    Ok(if total.rejected + total.conflicts > 0 {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// The console account `serve --demo` creates when the store has none.
const DEMO_STAFF_EMAIL: &str = "demo.staff@verity.example";

async fn records_staff_count(store: &Store) -> anyhow::Result<i64> {
    verity::store::staff::count_staff_users(&mut *store.read().await?).await
}

/// `verity staff add EMAIL`: asks for the password twice on a terminal (without echo),
/// or reads it from the first line of stdin.
async fn staff_add(
    url: &str,
    email: &str,
    role: &str,
    name: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::IsTerminal;
    use verity::console::accounts::{self, CreateError, Role};
    let role = Role::parse(role).map_err(anyhow::Error::msg)?;
    let email = accounts::normalize_email(email).map_err(anyhow::Error::msg)?;
    let password = if password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password(format!("Password for {email}: "))
            .context("reading the password")?;
        let second = rpassword::prompt_password("Again: ").context("reading the password again")?;
        if first != second {
            eprintln!("error: the two passwords differ; nothing was created");
            return Ok(std::process::ExitCode::FAILURE);
        }
        first
    };
    let store = Store::connect(url).await?;
    let now = Clock::System.now_ms();
    match accounts::create_named_staff(&store, &email, &password, role, name, now).await {
        Ok(id) => {
            println!("created {} account {email} ({id})", role.as_str());
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(CreateError::Internal(e)) => Err(e),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}
