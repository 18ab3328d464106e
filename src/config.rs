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
    /// A policy file (`policy.toml`); built-in defaults when unset.
    pub policy_path: Option<PathBuf>,
    /// Longest chat message accepted, in characters.
    pub chat_max_chars: usize,
    /// Chat requests per minute from one client address.
    pub chat_rate_per_ip: u32,
    /// Chat messages per minute in one session.
    pub chat_rate_per_session: u32,
    /// Origins (`https://shop.example`) whose pages may embed the widget and call the
    /// chat API from the browser (CORS); `*` allows any. Empty: same origin only.
    pub widget_origins: Vec<String>,
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

/// 16 MiB: about 60,000 events per request.
pub const DEFAULT_INGEST_MAX_BYTES: usize = 16 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "verity.db".to_string(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ingest_token: None,
            api_token: None,
            ingest_max_bytes: DEFAULT_INGEST_MAX_BYTES,
            policy_path: None,
            chat_max_chars: 2000,
            chat_rate_per_ip: 600,
            chat_rate_per_session: 30,
            widget_origins: Vec::new(),
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
