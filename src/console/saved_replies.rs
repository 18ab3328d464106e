//! Saved replies: texts an admin keeps per language (`/console/replies`) and staff
//! insert into the reply box. Placeholders (`{{ name }}`, `{{ order }}`, `{{ tracking }}`,
//! `{{ staff }}`) are filled from the conversation before the text reaches the reply
//! box; a reply whose placeholder has no value in a conversation is not offered there,
//! and a text that still holds a placeholder is never sent ([`has_placeholder`]).

use serde::Serialize;
use serde_json::json;

use super::actions::{ActionError, Actor, MAX_STAFF_MESSAGE_CHARS};
use super::problem::Problem;
use crate::domain::{CustomerId, Locale};
use crate::store::Store;
use crate::store::audit::insert_audit;
use crate::store::conversations::ConversationRow;
use crate::store::saved_replies::{self as db, SavedReplyRow};

/// The placeholders a saved reply may use.
pub const PLACEHOLDERS: &[&str] = &["name", "order", "tracking", "staff"];
/// The longest title and body.
pub const MAX_TITLE_CHARS: usize = 80;

/// The values of the placeholders in one conversation (`None`: unknown there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    /// How the customer is addressed: "Frau Olbrich", "Mr Hartley", else the full name.
    pub name: Option<String>,
    pub order: Option<String>,
    pub tracking: Option<String>,
    /// The staff member's display name.
    pub staff: Option<String>,
}

impl Values {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "name" => self.name.as_deref(),
            "order" => self.order.as_deref(),
            "tracking" => self.tracking.as_deref(),
            "staff" => self.staff.as_deref(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }
}

/// Every `{{ key }}` in `text`: its byte range and key.
fn placeholders(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        let key = text[open + 2..close].trim();
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push((open, close + 2, key));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    out
}

/// Whether `text` holds a placeholder (`{{ word }}`), filled or not: such a text is never
/// sent to a customer.
pub fn has_placeholder(text: &str) -> bool {
    !placeholders(text).is_empty()
}

/// The placeholders of `body` that Verity does not know (an admin's typo).
pub fn unknown_placeholders(body: &str) -> Vec<String> {
    placeholders(body)
        .into_iter()
        .filter(|(_, _, k)| !PLACEHOLDERS.contains(k))
        .map(|(_, _, k)| k.to_string())
        .collect()
}

/// `body` with its placeholders filled, or the ones without a value.
pub fn fill(body: &str, values: &Values) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(body.len());
    let mut missing: Vec<String> = Vec::new();
    let mut at = 0;
    for (start, end, key) in placeholders(body) {
        out.push_str(&body[at..start]);
        match values.get(key) {
            Some(v) => out.push_str(v),
            None if !missing.iter().any(|m| m == key) => missing.push(key.to_string()),
            None => {}
        }
        at = end;
    }
    out.push_str(&body[at..]);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// A saved reply as the reply box offers it in one conversation.
#[derive(Clone, Debug, Serialize)]
pub struct Offered {
    pub id: String,
    pub title: String,
    /// The text with every placeholder filled; `None` when one has no value here.
    pub text: Option<String>,
    /// The placeholders without a value here.
    pub missing: Vec<String>,
}

/// The placeholders' values in a conversation, for the staff member `staff_name`.
pub async fn values_for(
    store: &Store,
    conv: &ConversationRow,
    staff_name: &str,
) -> anyhow::Result<Values> {
    let state = crate::assistant::state::ConversationState::from_json(&conv.state);
    let locale = Locale::from_tag(&conv.language);
    let mut name = None;
    if let Some(id) = conv.customer_id.as_deref()
        && let Ok(cid) = CustomerId::parse(id)
    {
        let mut conn = store.read().await?;
        if let Some(c) = crate::store::records::get_customer(&mut conn, &cid).await? {
            name = Some(crate::prompts::text(
                "addressed",
                locale,
                minijinja::context! {
                    name => c.name.clone(),
                    family_name => c.family_name(),
                    salutation => c.salutation.map(crate::domain::Salutation::as_str),
                },
            ));
        }
    }
    let order = state
        .focus_order
        .clone()
        .or_else(|| match &state.orders_discussed[..] {
            [one] => Some(one.clone()),
            _ => None,
        });
    Ok(Values {
        name,
        order,
        tracking: state.focus_tracking.clone(),
        staff: Some(staff_name.to_string()),
    })
}

/// The saved replies in the conversation's language, filled for it.
pub async fn offered(
    store: &Store,
    conv: &ConversationRow,
    values: &Values,
) -> anyhow::Result<Vec<Offered>> {
    let all = {
        let mut conn = store.read().await?;
        db::list_saved_replies(&mut conn).await?
    };
    let lang = Locale::from_tag(&conv.language);
    Ok(all
        .into_iter()
        .filter(|r| Locale::from_tag(&r.language) == lang)
        .map(|r: SavedReplyRow| {
            let (text, missing) = match fill(&r.body, values) {
                Ok(t) => (Some(t), Vec::new()),
                Err(m) => (None, m),
            };
            Offered {
                id: r.id,
                title: r.title,
                text,
                missing,
            }
        })
        .collect())
}

/// What an admin writes: a new saved reply (or the text of one with the same language and
/// title), or the new text of `id`.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub id: Option<&'a str>,
    pub language: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

fn must_be_admin(actor_role: &str) -> Result<(), ActionError> {
    if actor_role == "admin" {
        Ok(())
    } else {
        Err(ActionError::Forbidden(Problem::new("admins_only")))
    }
}

/// Stores a saved reply (admins only); returns its id.
pub async fn save(
    store: &Store,
    actor: Actor<'_>,
    actor_role: &str,
    d: Draft<'_>,
) -> Result<String, ActionError> {
    must_be_admin(actor_role)?;
    let language = Locale::parse(d.language)
        .map_err(|_| ActionError::Invalid(Problem::new("language_de_en")))?;
    let (title, body) = (d.title.trim(), d.body.trim());
    if title.is_empty() || body.is_empty() {
        return Err(ActionError::Invalid(Problem::new("reply_incomplete")));
    }
    if title.chars().count() > MAX_TITLE_CHARS || body.chars().count() > MAX_STAFF_MESSAGE_CHARS {
        return Err(ActionError::Invalid(Problem::new("reply_too_long")));
    }
    let unknown = unknown_placeholders(body);
    if !unknown.is_empty() {
        return Err(ActionError::Invalid(Problem::with(
            "unknown_placeholders",
            unknown.join(", "),
        )));
    }
    let mut tx = store.begin().await?;
    let existing = match d.id {
        Some(id) => Some(
            db::get_saved_reply(tx.conn(), id)
                .await?
                .ok_or_else(|| ActionError::NotFound(Problem::new("no_saved_reply")))?,
        ),
        None => None,
    };
    if let Some(old) = &existing {
        // A new title or language is the same reply under another name.
        db::delete_saved_reply(tx.conn(), &old.id).await?;
    }
    let id = db::upsert_saved_reply(
        tx.conn(),
        &SavedReplyRow {
            id: existing
                .as_ref()
                .map_or_else(|| crate::store::new_id("reply"), |o| o.id.clone()),
            language: language.as_str().to_string(),
            title: title.to_string(),
            body: body.to_string(),
            created_ms: existing.as_ref().map_or(actor.now_ms, |o| o.created_ms),
            updated_ms: actor.now_ms,
        },
    )
    .await?;
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &format!("staff:{}", actor.staff_id),
        "saved_reply.save",
        Some(&format!("saved_reply:{id}")),
        &json!({"language": language.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a saved reply (admins only).
pub async fn delete(
    store: &Store,
    actor: Actor<'_>,
    actor_role: &str,
    id: &str,
) -> Result<(), ActionError> {
    must_be_admin(actor_role)?;
    let mut tx = store.begin().await?;
    if !db::delete_saved_reply(tx.conn(), id).await? {
        return Err(ActionError::NotFound(Problem::new("no_saved_reply")));
    }
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &format!("staff:{}", actor.staff_id),
        "saved_reply.delete",
        Some(&format!("saved_reply:{id}")),
        &json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every saved reply, for the admin page.
pub async fn all(store: &Store) -> anyhow::Result<Vec<SavedReplyRow>> {
    let mut conn = store.read().await?;
    db::list_saved_replies(&mut conn).await
}

/// What the reply box of a conversation offers `staff_name`.
pub async fn for_conversation(
    store: &Store,
    conversation_id: &str,
    staff_name: &str,
) -> anyhow::Result<Vec<Offered>> {
    let conv = {
        let mut conn = store.read().await?;
        crate::store::conversations::get_conversation(&mut conn, conversation_id).await?
    };
    let Some(conv) = conv else {
        return Ok(Vec::new());
    };
    let values = values_for(store, &conv, staff_name).await?;
    offered(store, &conv, &values).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            name: Some("Frau Olbrich".into()),
            order: Some("A-100234".into()),
            tracking: None,
            staff: Some("Ida Kellner".into()),
        }
    }

    #[test]
    fn placeholders_are_filled_from_the_conversation() {
        assert_eq!(
            fill(
                "Guten Tag {{ name }}, zu Ihrer Bestellung {{order}} melde ich mich. {{ staff }}",
                &values()
            ),
            Ok(
                "Guten Tag Frau Olbrich, zu Ihrer Bestellung A-100234 melde ich mich. Ida Kellner"
                    .into()
            )
        );
        assert_eq!(
            fill("Ohne Platzhalter.", &values()),
            Ok("Ohne Platzhalter.".into())
        );
    }

    #[test]
    fn a_placeholder_without_a_value_leaves_the_reply_unfilled() {
        assert_eq!(
            fill(
                "Sendung {{ tracking }}, {{ tracking }}, {{ order }}",
                &values()
            ),
            Err(vec!["tracking".to_string()])
        );
        let mut v = values();
        v.name = Some("  ".into());
        assert_eq!(fill("Hallo {{ name }}", &v), Err(vec!["name".to_string()]));
    }

    #[test]
    fn any_placeholder_left_in_a_text_is_seen_and_unknown_ones_are_named() {
        assert!(has_placeholder("Guten Tag {{ name }}"));
        assert!(has_placeholder("Guten Tag {{kundin}}"));
        assert!(!has_placeholder("Preis: {{ 5 € }} oder {}"));
        assert!(!has_placeholder("Guten Tag Frau Olbrich"));
        assert_eq!(
            unknown_placeholders("{{ name }} {{ nmae }} {{order}}"),
            vec!["nmae".to_string()]
        );
    }
}
