//! The HTTP edge: the only module that knows axum. Every route is listed in
//! [`router::router`]; handlers are thin: extract, call one function, render.

pub mod auth;
pub mod chat;
pub mod console;
pub mod error;
pub mod fake_graph;
pub mod fake_llm;
pub mod health;
pub mod ingest;
pub mod limits;
pub mod live;
pub mod negotiate;
pub mod notices;
pub mod openapi;
pub mod router;
pub mod status;
pub mod web;
pub mod webhooks;

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::assistant::service::Assistant;
use crate::channels::inbox::Inbox;
use crate::channels::outbox::Outbox;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::truth::Policy;

/// Everything a handler may need.
pub struct App {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    pub policy: Policy,
    pub metrics: PrometheusHandle,
    /// Runs conversation turns for every channel.
    pub assistant: Assistant,
    pub limits: limits::Limits,
    /// The web chat sessions' token hashes, once read.
    pub sessions: chat::Sessions,
    /// WhatsApp and Messenger deliveries, stored and then processed.
    pub inbox: Inbox,
    /// Every outbound WhatsApp and Messenger message; [`Outbox::deliver`] sends one.
    pub outbox: Outbox,
    /// Wakes the live event streams of the widget and the console.
    pub live: crate::console::live::Live,
    /// Signs and checks the links in notices (order page, unsubscribe).
    pub links: crate::notices::links::Links,
    /// Wakes the notices after a large ingestion ([`crate::notices::run_notifier`]).
    pub notifier: crate::notices::Notifier,
}

/// The shared state of the router.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl crate::channels::inbox::Workers for AppState {
    fn inbox(&self) -> &Inbox {
        &self.inbox
    }
    fn assistant(&self) -> &Assistant {
        &self.assistant
    }
    fn outbox(&self) -> &Outbox {
        &self.outbox
    }
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every app in the
/// process, which matters for tests that start several).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding test); then
            // ours still renders its own registrations.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl App {
    /// Builds the shared state for the router.
    pub fn state(store: Store, config: Config, clock: Clock, mut policy: Policy) -> AppState {
        // The WhatsApp notice template is a channel setting, told to the notice rules.
        if config.channels.whatsapp_notice_template.is_some() {
            policy.notices.whatsapp_template = config.channels.whatsapp_notice_template.clone();
        }
        let mut assistant = Assistant::new(store.clone(), policy.clone(), clock)
            .with_lease_ms(config.channels.lease_ms);
        if let Some(llm) = &config.llm {
            assistant = assistant.with_llm(crate::assistant::llm::LlmEngine::new(llm.clone()));
        }
        let limits = limits::Limits::new(config.chat_rate_per_ip, config.chat_rate_per_session);
        // One bus for every channel: the web chat, the inbox and the outbox signal on it.
        let live = crate::console::live::Live::new();
        let inbox =
            Inbox::new(store.clone(), clock, config.channels.clone()).with_live(live.clone());
        let outbox =
            Outbox::new(store.clone(), clock, config.channels.clone()).with_live(live.clone());
        let links = crate::notices::links::Links::new(
            &config.link_secret.as_ref().map_or_else(
                || rand::random::<[u8; 32]>().to_vec(),
                |s| s.expose().as_bytes().to_vec(),
            ),
            &config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.bind)),
        );
        AppState(Arc::new(App {
            links,
            inbox,
            outbox,
            store,
            config,
            clock,
            policy,
            assistant,
            limits,
            sessions: chat::Sessions::default(),
            live,
            metrics: metrics_handle(),
            notifier: crate::notices::Notifier::default(),
        }))
    }
}

/// Serves the app on a bound listener until the process is told to stop.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    serve_until(state, listener, shutdown_signal()).await
}

/// Serves the app until `shutdown` completes (the eval runner stops one server per
/// scenario this way), then stops its background tasks.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pruner = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            let mut minutes = 0u64;
            loop {
                every.tick().await;
                state.limits.prune();
                // Hourly (and at start): verification counts idle longer than lockouts
                // are remembered carry nothing; forget them so the table stays small.
                if minutes.is_multiple_of(60) {
                    forget_idle_verification_counts(&state).await;
                }
                minutes += 1;
            }
        })
    };
    let metrics_server = match state.config.metrics_bind {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("binding VERITY_METRICS_BIND {addr}: {e}"))?;
            tracing::info!(%addr, "metrics are served on their own address");
            let app = router::metrics_router(state.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }))
        }
        None => None,
    };
    // The heartbeat of this instance's claims (deliveries, outbox rows, turns).
    let heartbeat = {
        let state = state.clone();
        let lease_ms = i64::try_from(state.config.channels.lease_ms).unwrap_or(15_000);
        tokio::spawn(async move { state.store.renew_claims_forever(lease_ms).await })
    };
    // The channel workers: process stored webhook deliveries, send the outbox; on a
    // runtime of their own at a lower priority (see `workers_runtime`).
    let workers = crate::channels::inbox::workers_runtime(state.store.backend())
        .map_err(|e| anyhow::anyhow!("starting the channel workers' runtime: {e}"))?;
    let inbox_worker = {
        let state = state.clone();
        workers.spawn(Inbox::run(state))
    };
    let outbox_worker = {
        let state = state.clone();
        workers.spawn(Outbox::run(state))
    };
    // The notices' time sweep (stale tracking, overdue promises).
    let sweep = (state.config.sweep_interval_secs > 0).then(|| {
        let every = std::time::Duration::from_secs(state.config.sweep_interval_secs);
        tokio::spawn(crate::notices::run_sweep(state.0.clone(), every))
    });
    // The notices of large ingestions, decided after their answer.
    let notifier = tokio::spawn(crate::notices::run_notifier(state.0.clone()));
    let app = router::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    pruner.abort();
    if let Some(m) = metrics_server {
        m.abort();
    }
    heartbeat.abort();
    inbox_worker.abort();
    outbox_worker.abort();
    notifier.abort();
    // Their tasks are aborted; the threads go without being waited for.
    drop(workers);
    if let Some(s) = sweep {
        s.abort();
    }
    served?;
    Ok(())
}

/// Deletes the verification counts nobody has touched for as long as lockouts are
/// remembered (and not locked now); a failure is logged, the next hour tries again.
pub async fn forget_idle_verification_counts(state: &AppState) {
    let before = state.clock.now_ms() - crate::domain::lockout::LOCKOUT_MEMORY_MS;
    let pruned = async {
        let mut conn = state.store.write_one().await?;
        crate::store::verification::prune(&mut conn, before).await
    }
    .await;
    match pruned {
        Ok(n) if n > 0 => tracing::info!(forgotten = n, "idle verification counts forgotten"),
        Ok(_) => {}
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "pruning verification counts failed"
        ),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
