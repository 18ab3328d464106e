//! WhatsApp Cloud API: webhook payloads in (`whatsapp_business_account`, every entry,
//! change, message and status of a batch) and message bodies out (text, reply buttons,
//! lists), within Meta's limits. Pure: no I/O.

use serde_json::{Value, json};

use super::{Content, DeliveryState, Event, InboundMessage, StatusUpdate, action_or_text, clip};
use crate::assistant::reply::SuggestedAction;
use crate::domain::Locale;

/// Longest text message.
pub const TEXT_LIMIT: usize = 4096;
/// Longest body of an interactive (button or list) message.
pub const INTERACTIVE_BODY_LIMIT: usize = 1024;
/// Reply buttons per message; more actions become a list.
pub const MAX_BUTTONS: usize = 3;
/// Rows in a list message.
pub const MAX_LIST_ROWS: usize = 10;
/// Longest reply-button title.
pub const BUTTON_TITLE_LIMIT: usize = 20;
/// Longest list-row title.
pub const ROW_TITLE_LIMIT: usize = 24;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Parses a delivery. Errors only when the body is not a WhatsApp webhook at all.
pub fn parse(body: &[u8]) -> Result<Vec<Event>, String> {
    let root: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    if s(&root, "object") != Some("whatsapp_business_account") {
        return Err("not a whatsapp_business_account delivery".into());
    }
    let mut events = Vec::new();
    for entry in root["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            if s(change, "field") != Some("messages") {
                events.push(Event::Ignored("other_field"));
                continue;
            }
            let value = &change["value"];
            let account = value["metadata"]["phone_number_id"]
                .as_str()
                .map(str::to_string);
            let contacts = value["contacts"].as_array().cloned().unwrap_or_default();
            for m in value["messages"].as_array().into_iter().flatten() {
                events.push(message(m, &contacts, account.clone()));
            }
            for st in value["statuses"].as_array().into_iter().flatten() {
                events.push(status(st));
            }
        }
    }
    Ok(events)
}

fn message(m: &Value, contacts: &[Value], account: Option<String>) -> Event {
    let Some(id) = s(m, "id") else {
        return Event::Ignored("message_without_id");
    };
    // `from` (the wa_id, the phone number's digits) is missing for users who chose a
    // username; newer payloads identify them by a business-scoped user id instead
    // (`from_user_id` on the message, `user_id` on the contact).
    let phone = s(m, "from")
        .filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string);
    let sender = phone
        .clone()
        .or_else(|| s(m, "from_user_id").map(str::to_string))
        .or_else(|| match contacts {
            [only] => s(only, "user_id")
                .or_else(|| s(only, "wa_id"))
                .map(str::to_string),
            _ => None,
        });
    let Some(sender) = sender else {
        return Event::Ignored("message_without_sender");
    };
    let sent_ms = s(m, "timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .or_else(|| m["timestamp"].as_i64())
        .map(|secs| secs * 1000)
        .unwrap_or(0);
    let kind = s(m, "type").unwrap_or("unknown");
    let content = match kind {
        "text" => match s(&m["text"], "body") {
            Some(b) if !b.trim().is_empty() => Content::Text(b.trim().to_string()),
            _ => Content::Unsupported("empty_text".into()),
        },
        "interactive" => {
            let i = &m["interactive"];
            let reply = if i["button_reply"].is_object() {
                &i["button_reply"]
            } else {
                &i["list_reply"]
            };
            action_or_text(s(reply, "id"), s(reply, "title"))
                .unwrap_or_else(|| Content::Unsupported("interactive".into()))
        }
        // A template's quick-reply button.
        "button" => action_or_text(s(&m["button"], "payload"), s(&m["button"], "text"))
            .unwrap_or_else(|| Content::Unsupported("button".into())),
        other => Content::Unsupported(other.to_string()),
    };
    Event::Message(InboundMessage {
        id: id.to_string(),
        sender,
        phone: phone.map(|p| format!("+{p}")),
        account,
        sent_ms,
        content,
    })
}

fn status(st: &Value) -> Event {
    let Some(id) = s(st, "id") else {
        return Event::Ignored("status_without_id");
    };
    let state = match s(st, "status") {
        Some("sent") => DeliveryState::Sent,
        Some("delivered") => DeliveryState::Delivered,
        Some("read") | Some("played") => DeliveryState::Read,
        Some("failed") => DeliveryState::Failed,
        _ => return Event::Ignored("unknown_status"),
    };
    let error = st["errors"].as_array().and_then(|e| e.first()).map(|e| {
        let code = e["code"]
            .as_i64()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let title = s(e, "title").unwrap_or("");
        clip(&format!("WhatsApp error {code}: {title}"), 300)
    });
    Event::Status(StatusUpdate {
        provider_message_id: id.to_string(),
        state,
        error,
        callback: s(st, "biz_opaque_callback_data").map(str::to_string),
    })
}

/// The request bodies for one reply: the text split over WhatsApp's limits, the
/// suggested actions as reply buttons (up to 3) or a list on the last part.
pub fn payloads(
    recipient: &str,
    text: &str,
    actions: &[SuggestedAction],
    locale: Locale,
) -> Vec<Value> {
    let to = if recipient.bytes().all(|b| b.is_ascii_digit()) {
        json!({"to": recipient})
    } else {
        // A business-scoped user id (a user with a username and no phone shown).
        json!({"recipient": recipient})
    };
    let envelope = |body: Value| {
        let mut v = json!({"messaging_product": "whatsapp", "recipient_type": "individual"});
        if let (Some(obj), Some(to), Some(body)) =
            (v.as_object_mut(), to.as_object(), body.as_object())
        {
            obj.extend(to.clone());
            obj.extend(body.clone());
        }
        v
    };
    let actions: Vec<&SuggestedAction> = actions.iter().take(MAX_LIST_ROWS).collect();
    let mut parts = super::split_text(text, TEXT_LIMIT);
    if !actions.is_empty() {
        // The last part carries the buttons, and an interactive body is shorter.
        let last = parts.pop().unwrap_or_default();
        let mut tail = super::split_text(&last, INTERACTIVE_BODY_LIMIT);
        parts.append(&mut tail);
    }
    let n = parts.len();
    let mut out = Vec::with_capacity(n);
    for (i, part) in parts.into_iter().enumerate() {
        if i + 1 < n || actions.is_empty() {
            out.push(envelope(
                json!({"type": "text", "text": {"preview_url": false, "body": part}}),
            ));
            continue;
        }
        let interactive = if actions.len() <= MAX_BUTTONS {
            json!({
                "type": "button",
                "body": {"text": part},
                "action": {"buttons": actions.iter().map(|a| json!({
                    "type": "reply",
                    "reply": {"id": a.id, "title": clip(&a.label, BUTTON_TITLE_LIMIT)}
                })).collect::<Vec<_>>()}
            })
        } else {
            let button = crate::prompts::text("list_button", locale, minijinja::Value::UNDEFINED);
            let section = crate::prompts::text("list_section", locale, minijinja::Value::UNDEFINED);
            json!({
                "type": "list",
                "body": {"text": part},
                "action": {
                    "button": button,
                    "sections": [{"title": section, "rows": actions.iter().map(|a| json!({
                        "id": a.id, "title": clip(&a.label, ROW_TITLE_LIMIT)
                    })).collect::<Vec<_>>()}]
                }
            })
        };
        out.push(envelope(
            json!({"type": "interactive", "interactive": interactive}),
        ));
    }
    out
}

/// A template message (the only kind WhatsApp delivers outside the 24-hour window):
/// the approved template `name` in `language`, its body's text parameters in order.
/// A parameter may hold no line breaks, tabs or runs of spaces, and is clipped.
pub fn template_payload(recipient: &str, name: &str, language: &str, params: &[&str]) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .map(|p| {
            let flat = p.split_whitespace().collect::<Vec<_>>().join(" ");
            json!({"type": "text", "text": clip(&flat, TEMPLATE_PARAM_LIMIT)})
        })
        .collect();
    let mut v = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": parameters}]
        }
    });
    let key = if recipient.bytes().all(|b| b.is_ascii_digit()) {
        "to"
    } else {
        "recipient"
    };
    v[key] = json!(recipient);
    v
}

/// Longest text of one template parameter.
pub const TEMPLATE_PARAM_LIMIT: usize = 1024;

/// The message id in the Graph API's answer to a send.
pub fn sent_message_id(answer: &Value) -> Option<String> {
    answer["messages"][0]["id"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(id: &str, label: &str) -> SuggestedAction {
        SuggestedAction {
            id: id.into(),
            label: label.into(),
        }
    }

    #[test]
    fn a_batch_yields_every_message_and_status() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "WABA", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "4930000000", "phone_number_id": "PNID"},
                    "contacts": [{"wa_id": "4917000000001", "profile": {"name": "Erika"}}],
                    "messages": [
                        {"from": "4917000000001", "id": "wamid.1", "timestamp": "1757571000", "type": "text", "text": {"body": " Hallo "}},
                        {"from": "4917000000001", "id": "wamid.2", "timestamp": "1757571001", "type": "interactive",
                         "interactive": {"type": "button_reply", "button_reply": {"id": "callback", "title": "Rückruf"}}},
                        {"from": "4917000000001", "id": "wamid.3", "timestamp": "1757571002", "type": "interactive",
                         "interactive": {"type": "list_reply", "list_reply": {"id": "handoff", "title": "Mitarbeiter", "description": ""}}},
                        {"from": "4917000000001", "id": "wamid.4", "timestamp": "1757571003", "type": "image", "image": {"id": "IMG"}}
                    ],
                    "statuses": [{"id": "wamid.out", "status": "read", "timestamp": "1757571004", "recipient_id": "4917000000001"}]
                }}]},
                {"id": "WABA", "changes": [{"field": "messages", "value": {
                    "metadata": {"phone_number_id": "PNID"},
                    "contacts": [{"user_id": "DE.1234567890", "profile": {"name": "X"}}],
                    "messages": [{"from_user_id": "DE.1234567890", "id": "wamid.5", "timestamp": "1757571005", "type": "text", "text": {"body": "Hi"}}]
                }}]}
            ]
        });
        let events = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(events.len(), 6);
        let Event::Message(m) = &events[0] else {
            panic!()
        };
        assert_eq!(m.content, Content::Text("Hallo".into()));
        assert_eq!(m.phone.as_deref(), Some("+4917000000001"));
        assert_eq!(m.account.as_deref(), Some("PNID"));
        assert_eq!(m.sent_ms, 1_757_571_000_000);
        let Event::Message(m) = &events[1] else {
            panic!()
        };
        assert_eq!(m.content, Content::Action("callback".into()));
        let Event::Message(m) = &events[2] else {
            panic!()
        };
        assert_eq!(m.content, Content::Action("handoff".into()));
        let Event::Message(m) = &events[3] else {
            panic!()
        };
        assert_eq!(m.content, Content::Unsupported("image".into()));
        let Event::Status(st) = &events[4] else {
            panic!()
        };
        assert_eq!(st.state, DeliveryState::Read);
        let Event::Message(m) = &events[5] else {
            panic!()
        };
        assert_eq!(m.sender, "DE.1234567890");
        assert_eq!(m.phone, None);
        assert!(parse(b"{\"object\":\"page\"}").is_err());
    }

    #[test]
    fn a_template_carries_its_parameters_flat_and_clipped() {
        let p = template_payload(
            "4917000000001",
            "order_notice",
            "de",
            &["A-1", "eins\nzwei   drei"],
        );
        assert_eq!(
            p,
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": "4917000000001", "type": "template",
                "template": {"name": "order_notice", "language": {"code": "de"},
                    "components": [{"type": "body", "parameters": [
                        {"type": "text", "text": "A-1"}, {"type": "text", "text": "eins zwei drei"}]}]}
            })
        );
        let long = "x".repeat(3000);
        let p = template_payload("DE.1", "t", "en_US", &[&long]);
        assert_eq!(p["recipient"], "DE.1");
        let text = p["template"]["components"][0]["parameters"][0]["text"]
            .as_str()
            .unwrap();
        assert!(text.chars().count() <= TEMPLATE_PARAM_LIMIT);
    }

    #[test]
    fn replies_fit_meta_limits() {
        let three = [
            action("callback", "Rückruf vereinbaren lassen, bitte"),
            action("handoff", "Mitarbeiter"),
            action("decline", "Nein"),
        ];
        let p = payloads("4917000000001", "Text", &three, Locale::De);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0]["to"], "4917000000001");
        assert_eq!(p[0]["interactive"]["type"], "button");
        let buttons = p[0]["interactive"]["action"]["buttons"].as_array().unwrap();
        assert_eq!(buttons.len(), 3);
        assert!(
            buttons
                .iter()
                .all(|b| b["reply"]["title"].as_str().unwrap().chars().count() <= 20)
        );
        assert_eq!(buttons[0]["reply"]["id"], "callback");

        let four: Vec<_> = ["callback", "redelivery", "investigation", "handoff"]
            .iter()
            .map(|i| action(i, i))
            .collect();
        let p = payloads("DE.42", "Text", &four, Locale::En);
        assert_eq!(p[0]["recipient"], "DE.42");
        assert_eq!(p[0]["interactive"]["type"], "list");
        assert_eq!(
            p[0]["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len(),
            4
        );

        let long = "Wort ".repeat(1000);
        let p = payloads("49", &long, &three, Locale::De);
        assert!(p.len() >= 2);
        assert!(p[..p.len() - 1].iter().all(|x| x["type"] == "text"
            && x["text"]["body"].as_str().unwrap().chars().count() <= TEXT_LIMIT));
        let last = p.last().unwrap();
        assert!(
            last["interactive"]["body"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= INTERACTIVE_BODY_LIMIT
        );
        let plain = payloads("49", "Hallo", &[], Locale::De);
        assert_eq!(plain[0]["text"]["body"], "Hallo");
        assert_eq!(plain[0]["text"]["preview_url"], false);
    }
}
