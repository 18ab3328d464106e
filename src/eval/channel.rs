//! How the runner talks to the server as a customer: one driver per channel. The web
//! chat goes over real HTTP to the chat API. WhatsApp and Messenger go as Meta does it:
//! signed webhook deliveries over real HTTP, and the reply is what the outbox sent to a
//! fake Graph API (a real HTTP server on loopback), with what the channel cannot carry
//! (verified, language, handoff) read from the stored conversation. Which
//! contradictions a reply presents the runner reads from what was sent
//! ([`super::received`]).

use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

use super::scenario::{ChannelKind, Message, Scenario};
use crate::assistant::state::ConversationState;
use crate::channels::sign;
use crate::config::{ChannelConfig, Secret};
use crate::http::fake_graph::FakeGraph;
use crate::store::conversations::{self, Role};
use crate::store::{Store, inspect};

/// A conversation opened on a channel.
pub enum Driver {
    Web(WebSession),
    Webhook(Box<WebhookSession>),
}

/// The app secrets and ids the runner's server is configured with for the webhook
/// channels (fictional; the deliveries are signed with them).
const WHATSAPP_SECRET: &str = "eval-whatsapp-app-secret";
const MESSENGER_SECRET: &str = "eval-messenger-app-secret";
const PHONE_NUMBER_ID: &str = "109000000000001";
const PAGE_ID: &str = "209000000000001";

/// The webhook channels' configuration for a scenario's server: secrets the runner
/// signs with, tokens, and the fake Graph API as the place replies are sent to.
pub fn channel_config(graph: &FakeGraph) -> ChannelConfig {
    ChannelConfig {
        whatsapp_verify_token: Some(Secret::new("eval-verify")),
        whatsapp_app_secret: Some(Secret::new(WHATSAPP_SECRET)),
        whatsapp_access_token: Some(Secret::new("eval-whatsapp-token")),
        whatsapp_phone_number_id: Some(PHONE_NUMBER_ID.into()),
        messenger_verify_token: Some(Secret::new("eval-verify")),
        messenger_app_secret: Some(Secret::new(MESSENGER_SECRET)),
        messenger_page_access_token: Some(Secret::new("eval-messenger-token")),
        messenger_page_id: Some(PAGE_ID.into()),
        graph_api_url: graph.base.clone(),
        // The clock is fixed: a retry is due at once.
        outbox_retry_base_ms: 0,
        ..ChannelConfig::default()
    }
}

/// A WhatsApp or Messenger customer writing to the server's webhook.
pub struct WebhookSession {
    client: reqwest::Client,
    base: String,
    channel: ChannelKind,
    /// wa_id (digits of the phone number) or PSID.
    sender: String,
    /// The scenario's clock, for the deliveries' timestamps.
    now_ms: i64,
    graph: FakeGraph,
    store: Store,
    sent: std::sync::atomic::AtomicUsize,
    /// Graph API requests already shown as replies.
    shown: std::sync::atomic::AtomicUsize,
    /// The last stored message already looked at.
    seen_seq: std::sync::atomic::AtomicI64,
}

/// A web chat session: the session id (also the conversation's id) and its token.
pub struct WebSession {
    client: reqwest::Client,
    base: String,
    id: String,
    token: String,
    /// Texts are sent asking for the event stream, as the widget does.
    stream: bool,
}

/// What the server answered to one customer message.
pub struct Sent {
    pub status: u16,
    /// The reply as the channel shows it (`text`, `actions`, `contradictions`,
    /// `verified`, `language`, `handoff`); `None` when the bot stayed silent.
    pub reply: Option<Value>,
}

/// Why a scenario cannot run on this build (every channel can now).
pub fn unsupported(_kind: ChannelKind) -> Option<String> {
    None
}

impl Driver {
    /// Opens a conversation for the scenario on the server at `base`; returns the driver
    /// and the opening status (a 5xx fails the scenario).
    pub async fn open(
        scenario: &Scenario,
        base: &str,
        webhook: Option<(&FakeGraph, &Store)>,
        stream: bool,
    ) -> anyhow::Result<(Self, u16)> {
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
                        stream,
                    }),
                    status,
                ))
            }
            channel @ (ChannelKind::Whatsapp | ChannelKind::Messenger) => {
                let (graph, store) =
                    webhook.context("a webhook scenario needs the fake Graph API")?;
                let sender = scenario.sender.as_ref();
                let sender = if channel == ChannelKind::Whatsapp {
                    sender
                        .and_then(|s| s.phone.as_deref())
                        .map(|p| p.chars().filter(char::is_ascii_digit).collect())
                        .unwrap_or_else(|| "4917000000000".to_string())
                } else {
                    sender
                        .and_then(|s| s.psid.clone())
                        .unwrap_or_else(|| "6100000000000000".to_string())
                };
                // Nothing is sent until the customer writes: the conversation starts
                // with the first delivery.
                Ok((
                    Driver::Webhook(Box::new(WebhookSession {
                        client: reqwest::Client::new(),
                        base: base.to_string(),
                        channel,
                        sender,
                        now_ms: scenario.now()?.timestamp_millis(),
                        graph: graph.clone(),
                        store: store.clone(),
                        sent: Default::default(),
                        shown: Default::default(),
                        seen_seq: Default::default(),
                    })),
                    200,
                ))
            }
        }
    }

    /// The stored conversation's id (none yet on WhatsApp and Messenger before the first
    /// message).
    pub async fn conversation_id(&self) -> anyhow::Result<Option<String>> {
        match self {
            Driver::Web(w) => Ok(Some(w.id.clone())),
            Driver::Webhook(h) => {
                let mut conn = h.store.read().await?;
                Ok(conversations::find_conversation_by_sender(
                    &mut conn,
                    h.channel.as_str(),
                    &h.sender,
                )
                .await?
                .map(|c| c.id))
            }
        }
    }

    /// What reached a WhatsApp or Messenger customer that no turn sent (a notice before
    /// the first turn), once the outbox has sent it; `None` on the web.
    pub async fn received(&self) -> anyhow::Result<Option<Value>> {
        match self {
            Driver::Web(_) => Ok(None),
            Driver::Webhook(h) => {
                h.settle().await?;
                h.reply().await
            }
        }
    }

    /// Sends a text or a pressed action, as the channel would.
    pub async fn send(&self, message: &Message) -> anyhow::Result<Sent> {
        match self {
            Driver::Web(w) if w.stream && matches!(message, Message::Say(_)) => {
                w.send_streamed(message).await
            }
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
            Driver::Webhook(h) => h.send(message).await,
        }
    }
}

impl WebSession {
    /// Sends a text asking for the event stream. The reply is the final `message`
    /// event; every text shown on the way (each run of deltas, a withdrawn one too) is
    /// in `texts`, so each is graded, and a final text that differs from what was
    /// streamed last is a `stream_problem`.
    async fn send_streamed(&self, message: &Message) -> anyhow::Result<Sent> {
        let Message::Say(text) = message else {
            anyhow::bail!("only texts are streamed");
        };
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/chat/sessions/{}/messages",
                self.base, self.id
            ))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream")
            .json(&json!({"text": text}))
            .send()
            .await
            .context("sending a chat message (did the server fail?)")?;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Ok(Sent {
                status,
                reply: Some(json!({"text": "", "error": body})),
            });
        }
        let mut shown: Vec<String> = vec![String::new()];
        let mut last: Option<(String, String)> = None;
        for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
            let mut name = String::new();
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d);
                } else if line == "data:" {
                    data.push("");
                }
            }
            let data = data.join("\n");
            match name.as_str() {
                "delta" => shown.last_mut().into_iter().for_each(|s| s.push_str(&data)),
                "reset" => shown.push(String::new()),
                _ => last = Some((name, data)),
            }
        }
        let texts: Vec<String> = shown.into_iter().filter(|s| !s.trim().is_empty()).collect();
        let reply = match last {
            Some((name, data)) if name == "message" => {
                let mut reply: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
                let text = reply["text"].as_str().unwrap_or("").to_string();
                if texts.last().is_none_or(|t| t.trim() != text.trim()) {
                    reply["stream_problem"] =
                        json!("the text streamed last is not the reply's text");
                }
                let mut all = texts;
                if all.last().is_none_or(|t| t.trim() != text.trim()) {
                    all.push(text);
                }
                reply["texts"] = json!(all);
                Some(reply)
            }
            Some((name, _)) if name == "silent" => None,
            Some((name, data)) => {
                return Ok(Sent {
                    status: 500,
                    reply: Some(json!({"text": "", "error": format!("{name}: {data}")})),
                });
            }
            None => anyhow::bail!("the event stream ended without a message"),
        };
        Ok(Sent { status, reply })
    }
}

impl WebhookSession {
    /// Posts one signed delivery with the message, waits until the server has processed
    /// it and sent what it queued, and returns the reply as the customer got it.
    async fn send(&self, message: &Message) -> anyhow::Result<Sent> {
        use std::sync::atomic::Ordering;
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let (path, secret, body) = match self.channel {
            ChannelKind::Whatsapp => (
                "whatsapp",
                WHATSAPP_SECRET,
                self.whatsapp_delivery(n, message),
            ),
            _ => (
                "messenger",
                MESSENGER_SECRET,
                self.messenger_delivery(n, message),
            ),
        };
        let raw = body.to_string();
        let resp = self
            .client
            .post(format!("{}/webhooks/{path}", self.base))
            .header("content-type", "application/json")
            .header("X-Hub-Signature-256", sign(secret, raw.as_bytes()))
            .body(raw)
            .send()
            .await
            .context("posting a webhook delivery (did the server fail?)")?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let text = resp.text().await.unwrap_or_default();
            return Ok(Sent {
                status,
                reply: Some(json!({"text": "", "error": text})),
            });
        }
        self.settle().await?;
        Ok(Sent {
            status,
            reply: self.reply().await?,
        })
    }

    fn whatsapp_delivery(&self, n: usize, message: &Message) -> Value {
        let ts = (self.now_ms / 1000).to_string();
        let id = format!("wamid.eval.{}.{n}", self.sender);
        let m = match message {
            Message::Say(t) => json!({"from": self.sender, "id": id, "timestamp": ts,
                "type": "text", "text": {"body": t}}),
            Message::Press(a) => json!({"from": self.sender, "id": id, "timestamp": ts,
                "type": "interactive",
                "interactive": {"type": "button_reply", "button_reply": {"id": a, "title": a}}}),
        };
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-EVAL", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4952510000000", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"wa_id": self.sender, "profile": {"name": "Eval"}}],
            "messages": [m]
        }}]}]})
    }

    fn messenger_delivery(&self, n: usize, message: &Message) -> Value {
        let mid = format!("m_eval.{}.{n}", self.sender);
        let body = match message {
            Message::Say(t) => json!({"mid": mid, "text": t}),
            Message::Press(a) => json!({"mid": mid, "text": a, "quick_reply": {"payload": a}}),
        };
        json!({"object": "page", "entry": [{"id": PAGE_ID, "time": self.now_ms, "messaging": [{
            "sender": {"id": self.sender}, "recipient": {"id": PAGE_ID},
            "timestamp": self.now_ms, "message": body
        }]}]})
    }

    /// Waits until every stored delivery is processed and nothing waits in the outbox.
    async fn settle(&self) -> anyhow::Result<()> {
        for _ in 0..6000 {
            let mut conn = self.store.read().await?;
            if inspect::pending_channel_work(&mut conn).await? == 0 {
                return Ok(());
            }
            drop(conn);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        anyhow::bail!("the webhook worker and the outbox did not finish within 30 s")
    }

    /// What reached the customer since the last turn (the Graph API requests the fake
    /// accepted: texts joined, the buttons or quick replies of the last one), and what
    /// the channel cannot show, from the stored conversation. `None` when nothing was sent.
    async fn reply(&self) -> anyhow::Result<Option<Value>> {
        use std::sync::atomic::Ordering;
        let accepted = self.graph.accepted();
        let from = self.shown.swap(accepted.len(), Ordering::Relaxed);
        let new: Vec<&Value> = accepted.iter().skip(from).map(|r| &r.body).collect();
        if new.is_empty() {
            return Ok(None);
        }
        let texts: Vec<String> = new.iter().map(|b| shown_text(b)).collect();
        let text = texts.join("\n\n");
        // What the buttons, list rows and quick replies show, for reading which facts
        // the reply presents.
        let button_texts: Vec<String> = new.iter().flat_map(|b| button_texts(b)).collect();
        let actions: Vec<Value> = new
            .last()
            .map(|b| button_ids(b))
            .unwrap_or_default()
            .into_iter()
            .map(|id| json!({"id": id}))
            .collect();
        let mut conn = self.store.read().await?;
        let Some(conv) = conversations::find_conversation_by_sender(
            &mut conn,
            self.channel.as_str(),
            &self.sender,
        )
        .await?
        else {
            anyhow::bail!("a reply was sent but no conversation is stored");
        };
        // The codes the server believes this turn's messages present (stored with each
        // message): shown in the transcript only; the runner grades the codes it reads
        // from what was sent.
        let mut contradictions: Vec<String> = Vec::new();
        let after = self.seen_seq.load(Ordering::Relaxed);
        let messages = conversations::list_messages(&mut conn, &conv.id, after).await?;
        if let Some(last) = messages.last() {
            self.seen_seq.store(last.seq, Ordering::Relaxed);
        }
        for m in messages {
            if m.role != Role::Bot {
                continue;
            }
            let stats: Value = m
                .engine_stats
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null);
            for c in stats["contradictions"].as_array().into_iter().flatten() {
                if let Some(c) = c.as_str()
                    && !contradictions.iter().any(|x| x == c)
                {
                    contradictions.push(c.to_string());
                }
            }
        }
        let state = ConversationState::from_json(&conv.state);
        Ok(Some(json!({
            "text": text,
            "texts": texts,
            "button_texts": button_texts,
            "actions": actions,
            "server_contradictions": contradictions,
            "verified": conv.customer_id.is_some(),
            "language": conv.language,
            "handoff": state.waiting_for_staff,
            "taken_over": conv.taken_over_by.is_some(),
        })))
    }
}

/// The text a Graph API message shows.
fn shown_text(b: &Value) -> String {
    b["text"]["body"]
        .as_str()
        .or(b["interactive"]["body"]["text"].as_str())
        .or(b["message"]["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The choices of a Graph API message (reply buttons, list rows or quick replies), each
/// as its fields picked by `button`, `row` and `quick_reply`, as texts.
fn choices(
    b: &Value,
    button: impl Fn(&Value) -> Vec<&Value>,
    row: impl Fn(&Value) -> Vec<&Value>,
    quick_reply: impl Fn(&Value) -> Vec<&Value>,
) -> Vec<String> {
    let i = &b["interactive"];
    let each = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = match i["type"].as_str() {
        Some("button") => each(&i["action"]["buttons"]),
        Some("list") => each(&i["action"]["sections"])
            .iter()
            .flat_map(|s| each(&s["rows"]))
            .collect(),
        _ => each(&b["message"]["quick_replies"]),
    };
    let pick = |x: &Value| -> Vec<String> {
        let fields = match i["type"].as_str() {
            Some("button") => button(x),
            Some("list") => row(x),
            _ => quick_reply(x),
        };
        fields
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    items.iter().flat_map(pick).collect()
}

/// The titles (and list rows' descriptions) of a Graph API message's buttons, list rows
/// or quick replies.
fn button_texts(b: &Value) -> Vec<String> {
    choices(
        b,
        |x| vec![&x["reply"]["title"]],
        |r| vec![&r["title"], &r["description"]],
        |q| vec![&q["title"]],
    )
}

/// The action ids of a Graph API message's reply buttons, list rows or quick replies.
fn button_ids(b: &Value) -> Vec<String> {
    choices(
        b,
        |x| vec![&x["reply"]["id"]],
        |r| vec![&r["id"]],
        |q| vec![&q["payload"]],
    )
}
