//! Configuration: command-line flags and environment variables (the CLI in `main.rs`
//! reads both), with defaults that make `verity serve` work with nothing set. Secrets
//! are never printed by `Debug`.

use sha2::{Digest, Sha256};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret string (a token): compared in constant time, redacted in `Debug`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// A fresh random token (256 bits, hex).
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(hex::encode(bytes))
    }
    /// The value, for the few places that must send or print it deliberately.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Constant-time comparison (over SHA-256 digests, so lengths do not leak either).
    pub fn matches(&self, candidate: &str) -> bool {
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(candidate.as_bytes());
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything `verity serve` needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// `verity.db` (a SQLite file, created when missing), `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Bearer token for `POST /api/v1/ingest`; ingestion is refused while unset.
    pub ingest_token: Option<Secret>,
    /// Bearer token for the status API (`/api/v1/shipments`, `/api/v1/orders`).
    pub api_token: Option<Secret>,
    /// Largest ingestion body accepted, in bytes.
    pub ingest_max_bytes: usize,
    /// `VERITY_METRICS_TOKEN`: when set, `/metrics` answers only with this bearer token.
    pub metrics_token: Option<Secret>,
    /// `VERITY_METRICS_BIND`: when set, `/metrics` is served only on this address (and
    /// 404 on the main one), so it need not be reachable from where customers are.
    pub metrics_bind: Option<SocketAddr>,
    /// A policy file (`policy.toml`); built-in defaults when unset.
    pub policy_path: Option<PathBuf>,
    /// Chat requests per minute from one client address.
    pub chat_rate_per_ip: u32,
    /// Chat messages per minute in one session.
    pub chat_rate_per_session: u32,
    /// Mark the console's session cookie `Secure` even when the request does not say it
    /// came over HTTPS (`X-Forwarded-Proto: https` marks it in any case).
    pub console_secure_cookies: bool,
    /// How long a console login lasts, in hours.
    pub console_session_hours: i64,
    /// `VERITY_LIVE_POLL_SECS`: how often the live streams look at the store for changes
    /// nobody signalled in this process (another instance, the CLI).
    pub live_poll: std::time::Duration,
    /// WhatsApp and Messenger: webhook secrets, Graph API tokens, the outbox.
    pub channels: ChannelConfig,
    /// Origins (`https://shop.example`) whose pages may embed the widget and call the
    /// chat API from the browser (CORS); `*` allows any. Empty: same origin only.
    pub widget_origins: Vec<String>,
    /// The LLM engine's settings; `None` runs the offline engine.
    pub llm: Option<LlmConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (the client address of the
    /// rate limits and of failed verifications). Empty: the peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `VERITY_PUBLIC_URL`: the address customers reach Verity at, for the links in
    /// notices (order page, unsubscribe). Unset: `http://` and the bind address.
    pub public_url: Option<String>,
    /// `VERITY_LINK_SECRET`: the HMAC key of those links. Unset: a random key per
    /// process (links stop working on restart, and differ between instances).
    pub link_secret: Option<Secret>,
    /// `VERITY_SWEEP_INTERVAL_SECS`: how often `serve` re-reconciles what time changes
    /// (the notices' sweep); 0 turns it off.
    pub sweep_interval_secs: u64,
}

/// Which engine answers customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// Deterministic NLU, dialogue policy and reply templates (the default).
    #[default]
    Offline,
    /// Any OpenAI-compatible endpoint with tool calling.
    OpenAi,
}

/// What answers when the LLM endpoint fails for good (after its retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LlmFallback {
    /// The offline engine answers the same message.
    #[default]
    Offline,
    /// The conversation is handed to staff and the customer is told so.
    Handoff,
}

/// The LLM engine: any OpenAI-compatible chat completions endpoint, or Azure OpenAI.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// The API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`;
    /// for Azure the resource URL `https://NAME.openai.azure.com`.
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// The model name (for Azure: sent as well, the deployment decides).
    pub model: String,
    pub temperature: f32,
    /// Longest wait for one model call (the whole answer, streamed or not).
    pub timeout: std::time::Duration,
    /// Model calls that may request tools before the reply must be text.
    pub max_tool_rounds: u32,
    /// Retries of one model call (429, 5xx, timeouts, malformed answers).
    pub retries: u32,
    /// The first backoff between retries; doubled each time (a 429's Retry-After wins).
    pub backoff: std::time::Duration,
    /// Set for Azure OpenAI: the deployment and the API version.
    pub azure: Option<AzureSettings>,
    pub fallback: LlmFallback,
    /// Largest completion, in tokens.
    pub max_tokens: u32,
    /// The longest a customer waits for the model, whatever its retries: past it the
    /// fallback answers (`VERITY_REPLY_DEADLINE_SECS`).
    pub deadline: std::time::Duration,
}

/// Azure OpenAI's addressing: `{base}/openai/deployments/{deployment}/chat/completions?api-version=…`.
#[derive(Clone, Debug)]
pub struct AzureSettings {
    pub deployment: String,
    pub api_version: String,
}

impl LlmConfig {
    /// Defaults for an endpoint: a small model, deterministic temperature, 30 s per call,
    /// four tool rounds, two retries.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            temperature: 0.0,
            timeout: std::time::Duration::from_secs(30),
            max_tool_rounds: 4,
            retries: 2,
            backoff: std::time::Duration::from_millis(250),
            azure: None,
            fallback: LlmFallback::Offline,
            max_tokens: 600,
            deadline: std::time::Duration::from_secs(20),
        }
    }
}

impl Config {
    /// The engine this configuration runs.
    pub fn engine(&self) -> EngineKind {
        if self.llm.is_some() {
            EngineKind::OpenAi
        } else {
            EngineKind::Offline
        }
    }
}

/// The channels' settings: WhatsApp Cloud API, Messenger Platform, and the message
/// length limit every channel shares. A channel whose app secret is
/// unset refuses every webhook delivery (no signature can be verified).
#[derive(Clone, Debug)]
pub struct ChannelConfig {
    /// `VERITY_WHATSAPP_VERIFY_TOKEN`: the token of the GET verification handshake.
    pub whatsapp_verify_token: Option<Secret>,
    /// `VERITY_WHATSAPP_APP_SECRET`: the Meta app secret the deliveries are signed with.
    pub whatsapp_app_secret: Option<Secret>,
    /// `VERITY_WHATSAPP_ACCESS_TOKEN`: the bearer token for sending.
    pub whatsapp_access_token: Option<Secret>,
    /// `VERITY_WHATSAPP_PHONE_NUMBER_ID`: the business number Verity answers for;
    /// deliveries for other numbers are ignored, replies are sent from it.
    pub whatsapp_phone_number_id: Option<String>,
    /// `VERITY_MESSENGER_VERIFY_TOKEN`
    pub messenger_verify_token: Option<Secret>,
    /// `VERITY_MESSENGER_APP_SECRET`
    pub messenger_app_secret: Option<Secret>,
    /// `VERITY_MESSENGER_PAGE_ACCESS_TOKEN`: the page access token for sending.
    pub messenger_page_access_token: Option<Secret>,
    /// `VERITY_MESSENGER_PAGE_ID`: the page Verity answers for; `me` (the token's
    /// page) when unset.
    pub messenger_page_id: Option<String>,
    /// `VERITY_GRAPH_API_URL`: the Graph API base URL including the version.
    pub graph_api_url: String,
    /// `VERITY_WEBHOOK_STALE_AFTER_SECS`: a customer message older than this when it
    /// arrives (a very late redelivery) is stored but not answered automatically.
    pub stale_after_secs: u64,
    /// `VERITY_WEBHOOK_MAX_BYTES`: the largest webhook body accepted.
    pub webhook_max_bytes: usize,
    /// `VERITY_OUTBOX_MAX_ATTEMPTS`: sending attempts before a message is dead.
    pub outbox_max_attempts: u32,
    /// `VERITY_OUTBOX_RETRY_BASE_MS`: the first retry's delay; doubled per attempt.
    pub outbox_retry_base_ms: u64,
    /// `VERITY_GRAPH_TIMEOUT_MS`: the timeout of one Graph API request (and of one SMTP
    /// send).
    pub graph_timeout_ms: u64,
    /// `VERITY_MESSAGE_MAX_CHARS`: the longest customer message, in characters, on
    /// every channel: the web chat refuses a longer one (413), a longer WhatsApp or
    /// Messenger message is stored as too long and answered with a request to shorten it.
    pub message_max_chars: usize,
    /// `VERITY_LEASE_SECS` (in ms here): how long a claim on a delivery, an outbox row
    /// or a conversation's turn lasts unless its instance renews it; after a crash,
    /// another instance (or the restarted one) takes the work over this long after.
    pub lease_ms: u64,
    /// `VERITY_OUTBOX_UNKNOWN_WAIT_SECS` (in ms here): how long a send of unknown
    /// outcome (a timeout, a crash mid-request) waits for Meta's status webhook before
    /// it is sent once more (and counted as a possible duplicate).
    pub outbox_unknown_wait_ms: u64,
    /// `VERITY_CHANNEL_CONCURRENCY`: conversations the inbox answers, and the outbox
    /// sends to, at once (each conversation strictly in order).
    pub concurrency: usize,
    /// `VERITY_SMTP_URL`: where notice emails go (`smtp://user:password@host:587`,
    /// STARTTLS when offered; `smtps://…:465` for TLS). Unset: no email.
    pub smtp_url: Option<Secret>,
    /// `VERITY_MAIL_FROM`: the sender of notice emails (`Kundenservice <service@shop.example>`).
    pub mail_from: Option<String>,
    /// `VERITY_WHATSAPP_NOTICE_TEMPLATE` (and `…_LANGUAGES`): the approved template a
    /// notice goes out as on WhatsApp outside the 24-hour window. Unset: email instead.
    pub whatsapp_notice_template: Option<crate::truth::notices::WhatsAppTemplate>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            whatsapp_verify_token: None,
            whatsapp_app_secret: None,
            whatsapp_access_token: None,
            whatsapp_phone_number_id: None,
            messenger_verify_token: None,
            messenger_app_secret: None,
            messenger_page_access_token: None,
            messenger_page_id: None,
            graph_api_url: "https://graph.facebook.com/v21.0".to_string(),
            stale_after_secs: 6 * 3600,
            webhook_max_bytes: 8 * 1024 * 1024,
            outbox_max_attempts: 8,
            outbox_retry_base_ms: 2_000,
            graph_timeout_ms: 10_000,
            message_max_chars: 2000,
            lease_ms: 15_000,
            outbox_unknown_wait_ms: 20_000,
            concurrency: 32,
            smtp_url: None,
            mail_from: None,
            whatsapp_notice_template: None,
        }
    }
}

impl ChannelConfig {
    /// Reads the `VERITY_WHATSAPP_*`, `VERITY_MESSENGER_*`, `VERITY_GRAPH_*`,
    /// `VERITY_WEBHOOK_*` and `VERITY_OUTBOX_*` variables; unset ones keep their defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        fn text(name: &str) -> Option<String> {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        }
        fn secret(name: &str) -> Option<Secret> {
            text(name).map(Secret::new)
        }
        fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
            match text(name) {
                Some(v) => v
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name} must be a non-negative whole number")),
                None => Ok(default),
            }
        }
        let d = Self::default();
        Ok(Self {
            whatsapp_verify_token: secret("VERITY_WHATSAPP_VERIFY_TOKEN"),
            whatsapp_app_secret: secret("VERITY_WHATSAPP_APP_SECRET"),
            whatsapp_access_token: secret("VERITY_WHATSAPP_ACCESS_TOKEN"),
            whatsapp_phone_number_id: text("VERITY_WHATSAPP_PHONE_NUMBER_ID"),
            messenger_verify_token: secret("VERITY_MESSENGER_VERIFY_TOKEN"),
            messenger_app_secret: secret("VERITY_MESSENGER_APP_SECRET"),
            messenger_page_access_token: secret("VERITY_MESSENGER_PAGE_ACCESS_TOKEN"),
            messenger_page_id: text("VERITY_MESSENGER_PAGE_ID"),
            graph_api_url: text("VERITY_GRAPH_API_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or(d.graph_api_url),
            stale_after_secs: number("VERITY_WEBHOOK_STALE_AFTER_SECS", d.stale_after_secs)?,
            webhook_max_bytes: number("VERITY_WEBHOOK_MAX_BYTES", d.webhook_max_bytes)?,
            outbox_max_attempts: number("VERITY_OUTBOX_MAX_ATTEMPTS", d.outbox_max_attempts)?
                .max(1),
            outbox_retry_base_ms: number("VERITY_OUTBOX_RETRY_BASE_MS", d.outbox_retry_base_ms)?,
            graph_timeout_ms: number("VERITY_GRAPH_TIMEOUT_MS", d.graph_timeout_ms)?,
            message_max_chars: number("VERITY_MESSAGE_MAX_CHARS", d.message_max_chars)?.max(1),
            lease_ms: number("VERITY_LEASE_SECS", d.lease_ms / 1000)?.clamp(1, 3600) * 1000,
            outbox_unknown_wait_ms: number(
                "VERITY_OUTBOX_UNKNOWN_WAIT_SECS",
                d.outbox_unknown_wait_ms / 1000,
            )?
            .saturating_mul(1000),
            concurrency: number("VERITY_CHANNEL_CONCURRENCY", d.concurrency)?.clamp(1, 1024),
            smtp_url: secret("VERITY_SMTP_URL"),
            mail_from: text("VERITY_MAIL_FROM"),
            whatsapp_notice_template: text("VERITY_WHATSAPP_NOTICE_TEMPLATE")
                .map(|name| {
                    crate::truth::notices::WhatsAppTemplate::parse(
                        &name,
                        text("VERITY_WHATSAPP_NOTICE_TEMPLATE_LANGUAGES").as_deref(),
                    )
                })
                .transpose()
                .map_err(|e| anyhow::anyhow!("VERITY_WHATSAPP_NOTICE_TEMPLATE_LANGUAGES: {e}"))?,
        })
    }
}

/// One entry of `VERITY_WIDGET_ORIGINS`: `*`, or an origin as browsers send it in the
/// `Origin` header (`https://shop.example`, `http://localhost:3000`: scheme, host, optional
/// port; no path). A trailing slash is dropped.
pub fn parse_widget_origin(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    if s == "*" {
        return Ok(s.to_string());
    }
    let host = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("'{s}' is not an origin: it starts with https:// or http://"))?;
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "'{s}' is not an origin: scheme://host[:port], without a path (e.g. https://shop.example)"
        ))
    }
}

/// One entry of `VERITY_TRUSTED_PROXIES`: a CIDR (`10.0.0.0/8`, `fd00::/8`) or one
/// address (`127.0.0.1`).
pub fn parse_trusted_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let t = s.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| {
            format!(
                "'{t}' is not a CIDR or an IP address (e.g. 10.0.0.0/8, 192.168.1.10, fd00::/8)"
            )
        })
}

/// 16 MiB: about 60,000 events per request.
pub const DEFAULT_INGEST_MAX_BYTES: usize = 16 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "verity.db".to_string(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ingest_token: None,
            api_token: None,
            metrics_token: None,
            metrics_bind: None,
            ingest_max_bytes: DEFAULT_INGEST_MAX_BYTES,
            policy_path: None,
            chat_rate_per_ip: 600,
            chat_rate_per_session: 30,
            console_secure_cookies: false,
            console_session_hours: 12,
            live_poll: std::time::Duration::from_secs(3),
            channels: ChannelConfig::default(),
            llm: None,
            widget_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            public_url: None,
            link_secret: None,
            sweep_interval_secs: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print_and_compare_exactly() {
        let s = Secret::new("t0ken");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let c = Config {
            ingest_token: Some(s.clone()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("t0ken"));
        let mut llm = LlmConfig::new("http://127.0.0.1:1/v1", "m");
        llm.api_key = Some(Secret::new("sk-s3cret"));
        let c = Config {
            llm: Some(llm),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.engine(), EngineKind::OpenAi);
        assert_eq!(Config::default().engine(), EngineKind::Offline);
        assert!(s.matches("t0ken"));
        assert!(!s.matches("t0ke"));
        assert!(!s.matches(""));
        assert_eq!(Secret::generate().expose().len(), 64);
    }

    #[test]
    fn widget_origins_are_origins() {
        assert_eq!(
            parse_widget_origin("https://Shop.example/").as_deref(),
            Ok("https://shop.example")
        );
        assert_eq!(
            parse_widget_origin(" http://localhost:3000 ").as_deref(),
            Ok("http://localhost:3000")
        );
        assert_eq!(parse_widget_origin("*").as_deref(), Ok("*"));
        assert!(parse_widget_origin("shop.example").is_err());
        assert!(parse_widget_origin("https://shop.example/chat").is_err());
        assert!(parse_widget_origin("https://").is_err());
        assert!(parse_widget_origin("ftp://shop.example").is_err());
    }
}
