//! How the runner talks to the server as a customer: one driver per channel. The web
//! chat goes over real HTTP to the chat API. WhatsApp and Messenger scenarios are
//! skipped until the webhook channels exist; a driver for them signs webhook requests
//! the way Meta does and reads the reply from the outbox (add a variant here, and in
//! [`Driver::open`]).

use anyhow::Context;
use serde_json::{Value, json};

use super::scenario::{ChannelKind, Message, Scenario};

/// A conversation opened on a channel.
pub enum Driver {
    Web(WebSession),
}

/// A web chat session: the session id (also the conversation's id) and its token.
pub struct WebSession {
    client: reqwest::Client,
    base: String,
    id: String,
    token: String,
}

/// What the server answered to one customer message.
pub struct Sent {
    pub status: u16,
    /// The reply as the channel shows it (`text`, `actions`, `contradictions`,
    /// `verified`, `language`, `handoff`); `None` when the bot stayed silent.
    pub reply: Option<Value>,
}

/// Why a scenario cannot run on this build.
pub fn unsupported(kind: ChannelKind) -> Option<String> {
    match kind {
        ChannelKind::Web => None,
        ChannelKind::Whatsapp | ChannelKind::Messenger => Some(format!(
            "the {} webhook channel is not part of this build yet",
            kind.as_str()
        )),
    }
}

impl Driver {
    /// Opens a conversation for the scenario on the server at `base`; returns the driver
    /// and the opening status (a 5xx fails the scenario).
    pub async fn open(scenario: &Scenario, base: &str) -> anyhow::Result<(Self, u16)> {
        match scenario.channel {
            ChannelKind::Web => {
                let client = reqwest::Client::new();
                let body = match &scenario.language {
                    Some(l) => json!({"language": l}),
                    None => json!({}),
                };
                let resp = client
                    .post(format!("{base}/api/v1/chat/sessions"))
                    .json(&body)
                    .send()
                    .await
                    .context("opening a chat session")?;
                let status = resp.status().as_u16();
                let v: Value = resp.json().await.unwrap_or(Value::Null);
                let (Some(id), Some(token)) = (v["session_id"].as_str(), v["token"].as_str())
                else {
                    anyhow::bail!("opening a chat session: HTTP {status}: {v}");
                };
                Ok((
                    Driver::Web(WebSession {
                        client,
                        base: base.to_string(),
                        id: id.to_string(),
                        token: token.to_string(),
                    }),
                    status,
                ))
            }
            other => anyhow::bail!(unsupported(other).unwrap_or_default()),
        }
    }

    /// The stored conversation's id.
    pub fn conversation_id(&self) -> &str {
        match self {
            Driver::Web(w) => &w.id,
        }
    }

    /// Sends a text or a pressed action, as the channel would.
    pub async fn send(&self, message: &Message) -> anyhow::Result<Sent> {
        match self {
            Driver::Web(w) => {
                let body = match message {
                    Message::Say(t) => json!({"text": t}),
                    Message::Press(a) => json!({"action": a}),
                };
                let resp = w
                    .client
                    .post(format!("{}/api/v1/chat/sessions/{}/messages", w.base, w.id))
                    .bearer_auth(&w.token)
                    .json(&body)
                    .send()
                    .await
                    .context("sending a chat message (did the server fail?)")?;
                let status = resp.status().as_u16();
                let v: Value = resp.json().await.unwrap_or(Value::Null);
                let reply = if (200..300).contains(&status) {
                    Some(v["reply"].clone()).filter(|r| !r.is_null())
                } else {
                    Some(json!({"text": "", "error": v}))
                };
                Ok(Sent { status, reply })
            }
        }
    }
}
