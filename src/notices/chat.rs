//! A notice told inside a conversation: the same text a notice on that channel has
//! ([`super::compose`]), stored as Verity's first word in the conversation, grounded on
//! the order's record, with the remedies as its actions and the order in focus, so the
//! customer's answer ("ja bitte Rückruf", "STOP") is read against it; on WhatsApp and
//! Messenger it is sent through the outbox like a reply. The eval runner
//! starts conversations this way (`notice:` in a scenario, docs/evals.md).

use anyhow::Context;

use super::{Addressing, Person, compose};
use crate::assistant::reply::{EngineReply, render_reply};
use crate::assistant::service::Outbound;
use crate::domain::OrderNumber;
use crate::domain::contact::is_contact_id;
use crate::http::App;
use crate::store::conversations::ConversationRow;
use crate::store::{contacts, conversations, records};

/// Tells the conversation's verified person the notice about `order` (the contradiction
/// with `code`, else the first one the policy tells) as Verity's message. Refused when
/// the order has nothing to tell or the person is not its customer or one of its contacts.
pub async fn tell_in_conversation(
    app: &App,
    conversation_id: &str,
    order: &OrderNumber,
    code: Option<&str>,
) -> anyhow::Result<Outbound> {
    let now = app.clock.now();
    let found = crate::lookup::order(&app.store, &app.policy, now, order)
        .await?
        .with_context(|| format!("no order {order}"))?;
    let view = &found.view;
    let c = view
        .all_contradictions()
        .filter(|c| app.policy.notices.tells(c.code))
        .find(|c| code.is_none_or(|k| c.code.as_str() == k))
        .with_context(|| {
            format!(
                "order {order} has no contradiction {} to tell",
                code.unwrap_or("")
            )
        })?;
    let conv = conversations::load_conversation(&app.store, conversation_id)
        .await?
        .with_context(|| format!("no conversation {conversation_id}"))?;
    let id = conv
        .customer_id
        .clone()
        .context("the conversation is not verified for anyone")?;
    let person = {
        let mut conn = app.store.read().await?;
        if is_contact_id(&id) {
            contacts::get_contact(&mut conn, &id)
                .await?
                .filter(|k| k.order_number == order.as_str())
                .map(|k| Person::of_contact(&k))
        } else if id == view.order.customer_id.as_str() {
            records::get_customer(&mut conn, &view.order.customer_id)
                .await?
                .map(|c| Person::of_customer(&c))
        } else {
            None
        }
    }
    .with_context(|| format!("the conversation's person is not one of order {order}"))?;
    // In the chat itself no link is needed: the customer answers here.
    let composed = compose(
        view,
        c,
        &person,
        person.locale,
        Addressing {
            channel: &conv.channel,
            link: None,
            unsubscribe: None,
        },
        &app.policy,
    )
    .map_err(anyhow::Error::msg)?;
    let reply = EngineReply {
        text: composed.text,
        actions: composed.actions,
        contradictions: vec![c.code.as_str().to_string()],
        language: person.locale,
        ..EngineReply::default()
    };
    let tracking = c.tracking_number.as_ref().map(|t| t.as_str().to_string());
    let out = app
        .assistant
        .speak_first(&conv, reply, order.as_str(), tracking.as_deref())
        .await?;
    // On WhatsApp and Messenger it goes out through the outbox like any reply (inside
    // the window; outside it the outbox refuses free text and keeps it for staff).
    let conv = conversations::load_conversation(&app.store, conversation_id)
        .await?
        .with_context(|| format!("no conversation {conversation_id}"))?;
    app.outbox
        .deliver(
            &conv,
            crate::channels::outbox::Outgoing {
                message_id: Some(&out.message_id),
                text: &out.text,
                actions: &out.actions,
            },
        )
        .await?;
    Ok(out)
}

/// Why an order link opens no chat.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefused {
    Expired,
    Invalid,
}

/// The web chat of the order page (`/o/{token}`): a session opened with the page's
/// signed link is verified for the link's person and that order only, speaks their
/// language, and has the order in focus. Verity's first message is the notice about the
/// order when it has a contradiction to tell (with the remedies as its buttons), else a
/// greeting for the order. `token_hash` is the new session's.
pub async fn open_from_link(
    app: &App,
    link: &str,
    token_hash: &str,
) -> anyhow::Result<Result<(ConversationRow, Outbound), LinkRefused>> {
    let now = app.clock.now();
    let g = match super::grant(&app.store, &app.policy, &app.links, now, link).await? {
        super::Grant::Granted(g) => g,
        super::Grant::Expired => return Ok(Err(LinkRefused::Expired)),
        super::Grant::Invalid => return Ok(Err(LinkRefused::Invalid)),
    };
    let mut conv = app
        .assistant
        .open("web", None, Some(token_hash), g.locale)
        .await?;
    // The link is the verification: it was sent to this person about this order.
    conv.customer_id = Some(g.person.clone());
    conv.updated_ms = now.timestamp_millis();
    let mut tx = app.store.begin().await?;
    conversations::update_conversation(tx.conn(), &conv).await?;
    tx.commit().await?;
    let tells = g
        .found
        .view
        .all_contradictions()
        .any(|c| app.policy.notices.tells(c.code));
    let first = if tells {
        tell_in_conversation(app, &conv.id, &g.number, None).await?
    } else {
        let reply = EngineReply {
            text: render_reply(
                "order_chat",
                g.locale,
                minijinja::context! { number => g.number.as_str() },
            ),
            language: g.locale,
            ..EngineReply::default()
        };
        app.assistant
            .speak_first(&conv, reply, g.number.as_str(), None)
            .await?
    };
    let conv = conversations::load_conversation(&app.store, &conv.id)
        .await?
        .with_context(|| format!("no conversation {}", conv.id))?;
    Ok(Ok((conv, first)))
}
