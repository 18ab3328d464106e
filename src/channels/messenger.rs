//! Messenger Platform: webhook payloads in (`page` entries with `messaging` events:
//! messages, quick replies, postbacks, echoes, delivery and read receipts) and message
//! bodies out (text with quick replies), within Meta's limits. Pure: no I/O.

use serde_json::{Value, json};

use super::{Content, DeliveryState, Event, InboundMessage, StatusUpdate, action_or_text, clip};
use crate::assistant::reply::SuggestedAction;

/// Longest text message.
pub const TEXT_LIMIT: usize = 2000;
/// Quick replies per message.
pub const MAX_QUICK_REPLIES: usize = 13;
/// Longest quick-reply title.
pub const QUICK_REPLY_TITLE_LIMIT: usize = 20;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Parses a delivery. Errors only when the body is not a Messenger webhook at all.
pub fn parse(body: &[u8]) -> Result<Vec<Event>, String> {
    let root: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    if s(&root, "object") != Some("page") {
        return Err("not a page delivery".into());
    }
    let mut events = Vec::new();
    for entry in root["entry"].as_array().into_iter().flatten() {
        let page = entry["id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| entry["id"].as_i64().map(|i| i.to_string()));
        for e in entry["messaging"].as_array().into_iter().flatten() {
            events.extend(event(e, page.clone()));
        }
    }
    Ok(events)
}

fn event(e: &Value, page: Option<String>) -> Vec<Event> {
    let Some(sender) = s(&e["sender"], "id").map(str::to_string) else {
        return vec![Event::Ignored("event_without_sender")];
    };
    let sent_ms = e["timestamp"].as_i64().unwrap_or(0);
    if let Some(d) = e.get("delivery") {
        return d["mids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|mid| {
                Event::Status(StatusUpdate {
                    provider_message_id: mid.to_string(),
                    state: DeliveryState::Delivered,
                    error: None,
                    callback: None,
                })
            })
            .collect();
    }
    if let Some(r) = e.get("read") {
        return match r["watermark"].as_i64() {
            Some(w) => vec![Event::ReadUpTo {
                recipient: sender,
                watermark_ms: w,
            }],
            None => vec![Event::Ignored("read_without_watermark")],
        };
    }
    let (id, content) = if let Some(m) = e.get("message") {
        if m["is_echo"].as_bool() == Some(true) {
            return vec![Event::Ignored("echo")];
        }
        let content = if let Some(q) = m.get("quick_reply") {
            action_or_text(s(q, "payload"), s(m, "text"))
        } else {
            match s(m, "text") {
                Some(t) if !t.trim().is_empty() => Some(Content::Text(t.trim().to_string())),
                _ => None,
            }
        };
        let content = content.unwrap_or_else(|| {
            let kind = m["attachments"][0]["type"].as_str().unwrap_or("attachment");
            Content::Unsupported(kind.to_string())
        });
        (s(m, "mid").map(str::to_string), content)
    } else if let Some(p) = e.get("postback") {
        let content = action_or_text(s(p, "payload"), s(p, "title"))
            .unwrap_or_else(|| Content::Unsupported("postback".into()));
        // Postbacks carry a `mid` in current payloads; older ones have none, so the
        // sender and time identify a redelivery.
        let id = s(p, "mid")
            .map(str::to_string)
            .unwrap_or_else(|| format!("postback:{sender}:{sent_ms}"));
        (Some(id), content)
    } else {
        return vec![Event::Ignored("other_event")];
    };
    let Some(id) = id else {
        return vec![Event::Ignored("message_without_mid")];
    };
    vec![Event::Message(InboundMessage {
        id,
        sender,
        phone: None,
        account: page,
        sent_ms,
        content,
    })]
}

/// The request bodies for one reply: the text split at 2,000 characters, the
/// suggested actions as quick replies on the last part.
pub fn payloads(psid: &str, text: &str, actions: &[SuggestedAction]) -> Vec<Value> {
    let parts = super::split_text(text, TEXT_LIMIT);
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mut message = json!({"text": part});
            if i + 1 == n && !actions.is_empty() {
                message["quick_replies"] = actions
                    .iter()
                    .take(MAX_QUICK_REPLIES)
                    .map(|a| {
                        json!({"content_type": "text", "title": clip(&a.label, QUICK_REPLY_TITLE_LIMIT), "payload": a.id})
                    })
                    .collect();
            }
            json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message})
        })
        .collect()
}

/// The message id in the Send API's answer.
pub fn sent_message_id(answer: &Value) -> Option<String> {
    answer["message_id"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_event_is_read() {
        let body = json!({"object": "page", "entry": [{"id": "PAGE", "time": 1757571000000i64, "messaging": [
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000000i64,
             "message": {"mid": "m_1", "text": "Hallo"}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000001i64,
             "message": {"mid": "m_2", "text": "Rückruf", "quick_reply": {"payload": "callback"}}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000002i64,
             "postback": {"mid": "m_3", "title": "Ja, bitte", "payload": "confirm"}},
            {"sender": {"id": "PAGE"}, "recipient": {"id": "PSID1"}, "timestamp": 1757571000003i64,
             "message": {"mid": "m_4", "text": "echo", "is_echo": true}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000004i64,
             "delivery": {"mids": ["m_out1", "m_out2"], "watermark": 1757571000000i64}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000005i64,
             "read": {"watermark": 1757571000000i64}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1757571000006i64,
             "message": {"mid": "m_5", "attachments": [{"type": "image", "payload": {"url": "https://example.org/x.jpg"}}]}}
        ]}]});
        let ev = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(ev.len(), 8);
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(
            (m.id.as_str(), &m.content),
            ("m_1", &Content::Text("Hallo".into()))
        );
        assert_eq!(m.sent_ms, 1_757_571_000_000);
        let Event::Message(m) = &ev[1] else { panic!() };
        assert_eq!(m.content, Content::Action("callback".into()));
        let Event::Message(m) = &ev[2] else { panic!() };
        assert_eq!(m.content, Content::Action("confirm".into()));
        assert_eq!(ev[3], Event::Ignored("echo"));
        assert!(matches!(&ev[4], Event::Status(s) if s.provider_message_id == "m_out1"));
        assert!(matches!(
            &ev[6],
            Event::ReadUpTo {
                watermark_ms: 1_757_571_000_000,
                ..
            }
        ));
        let Event::Message(m) = &ev[7] else { panic!() };
        assert_eq!(m.content, Content::Unsupported("image".into()));
    }

    #[test]
    fn replies_carry_quick_replies_within_limits() {
        let actions = [SuggestedAction {
            id: "callback".into(),
            label: "Rückruf vereinbaren lassen".into(),
        }];
        let p = payloads("PSID1", &"x".repeat(2500), &actions);
        assert_eq!(p.len(), 2);
        assert!(p[0]["message"].get("quick_replies").is_none());
        let q = &p[1]["message"]["quick_replies"][0];
        assert_eq!(q["payload"], "callback");
        assert!(q["title"].as_str().unwrap().chars().count() <= 20);
        assert_eq!(p[1]["recipient"]["id"], "PSID1");
        assert_eq!(p[1]["messaging_type"], "RESPONSE");
    }
}
