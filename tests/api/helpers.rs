//! Spawns the app on port 0 with a fresh database per test: a SQLite file by default,
//! or a new PostgreSQL database when `VERITY_TEST_POSTGRES_URL` names a server (an
//! admin URL such as `postgres://postgres:postgres@127.0.0.1:5432/postgres`).

use std::sync::Once;

use verity::clock::Clock;
use verity::config::{Config, Secret};
use verity::http::{self, App};
use verity::store::Store;

pub const INGEST_TOKEN: &str = "test-ingest-token";
pub const API_TOKEN: &str = "test-api-token";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The database URL (for a second instance on it).
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A database URL for one test: a temp SQLite file, or a fresh PostgreSQL database.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    if let Ok(admin) = std::env::var("VERITY_TEST_POSTGRES_URL") {
        use sqlx::Connection;
        let name = format!("verity_t_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .expect("connect to postgres admin URL");
        drop_earlier_databases(&mut conn).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        (format!("{base}/{name}"), None)
    } else {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("verity.db");
        (path.to_string_lossy().to_string(), Some(dir))
    }
}

/// Drops the test databases of earlier runs, once per run: each test makes its own and
/// nothing drops it when the test ends, so a server used for many runs would fill its
/// disk. A database still in use (by a test binary running beside this one) refuses to
/// be dropped and stays.
async fn drop_earlier_databases(conn: &mut sqlx::AnyConnection) {
    use sqlx::Row;
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let names: Vec<String> =
            sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'verity\\_t\\_%'")
                .fetch_all(&mut *conn)
                .await
                .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
                .unwrap_or_default();
        for name in names {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut *conn)
            .await;
        }
    })
    .await;
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_at(Clock::System, adjust).await
}

/// The app with a fixed clock (for data whose meaning depends on "now").
pub async fn spawn_app_at(clock: Clock, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (url, dir) = fresh_database().await;
    spawn_app_on(url, dir, clock, adjust).await
}

/// The app on a given database (a second instance on the same one, say).
pub async fn spawn_app_on(
    url: String,
    dir: Option<tempfile::TempDir>,
    clock: Clock,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let store = Store::connect(&url).await.expect("store");
    let mut config = Config {
        database_url: url.clone(),
        ingest_token: Some(Secret::new(INGEST_TOKEN)),
        api_token: Some(Secret::new(API_TOKEN)),
        ..Config::default()
    };
    adjust(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    // The links in notices point at this server.
    config.public_url.get_or_insert_with(|| base.clone());
    let state = App::state(
        store.clone(),
        config,
        clock,
        verity::truth::Policy::default(),
    );
    tokio::spawn(async move {
        let _ = http::serve(state, listener).await;
    });
    TestApp {
        base,
        client: reqwest::Client::new(),
        store,
        database_url: url,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts a body to the ingestion API with the test token.
    pub async fn ingest(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/ingest"))
            .bearer_auth(INGEST_TOKEN)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Ingests and returns the JSON report, asserting 200.
    pub async fn ingest_ok(&self, body: impl Into<reqwest::Body>) -> serde_json::Value {
        let resp = self.ingest(body).await;
        let status = resp.status();
        let json: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(status, 200, "{json}");
        json
    }
}

/// Items as NDJSON.
pub fn ndjson(items: &[serde_json::Value]) -> String {
    items.iter().map(|v| format!("{v}\n")).collect()
}

/// The app at 09:30 on the demo's default anchor day, with the demo data loaded.
pub async fn demo_app() -> TestApp {
    demo_app_with(|_| {}).await
}

/// The demo clock: 09:30 (and some seconds) on the demo's default anchor day.
pub fn demo_now() -> chrono::DateTime<chrono::Utc> {
    // Seconds and milliseconds, as a real clock has them (times are shown to the minute).
    verity::demo::story_time(verity::demo::DEFAULT_ANCHOR).with_timezone(&chrono::Utc)
        + chrono::Duration::milliseconds(17_250)
}

/// [`demo_app`] with a configuration of its own.
pub async fn demo_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let now = demo_now();
    let app = spawn_app_at(Clock::Fixed(now), adjust).await;
    let data = verity::demo::generate(verity::demo::DEFAULT_ANCHOR);
    let inputs = data
        .items
        .iter()
        .map(|i| verity::ingest::Input::new(None, Ok(i.clone())))
        .collect();
    let report = verity::ingest::apply(&app.store, inputs, now.timestamp_millis())
        .await
        .unwrap();
    assert_eq!(report.rejected + report.conflicts, 0);
    app
}

/// The repository's root, as `cargo test` says at run time: a test binary reused from a
/// shared target directory may have been built from a clone somewhere else.
pub fn repo_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || env!("CARGO_MANIFEST_DIR").into(),
        std::path::PathBuf::from,
    )
}
