//! `notice:` in a scenario: the conversation starts from a notice. Before the first
//! customer turn the data is ingested, the conversation is opened on the scenario's
//! channel for the order's customer — verified as the notice's own way in makes it (the
//! order page's chat for `web`, the customer's phone on file for `whatsapp`) — and
//! Verity's notice about the order is its first message
//! ([`crate::notices::chat::tell_in_conversation`]). On WhatsApp the customer wrote to
//! Verity earlier that day, so the window is open and the notice has its buttons.

use anyhow::{Context, bail};

use super::scenario::{ChannelKind, NoticeStart, Scenario};
use crate::assistant::service::Outbound;
use crate::domain::{Locale, OrderNumber};
use crate::http::App;
use crate::store::{conversations, records};

/// Opens the scenario's conversation with the notice; returns the conversation's id and
/// the notice as the customer got it. `opened` is the web session's conversation (none
/// on WhatsApp yet).
pub async fn start(
    app: &App,
    s: &Scenario,
    n: &NoticeStart,
    opened: Option<&str>,
) -> anyhow::Result<(String, Outbound)> {
    let number = OrderNumber::parse(&n.order).map_err(anyhow::Error::msg)?;
    let customer = {
        let mut conn = app.store.read().await?;
        let id = records::order_customer(&mut conn, &number)
            .await?
            .with_context(|| format!("notice: no order {number}"))?;
        records::get_customer(&mut conn, &id)
            .await?
            .with_context(|| format!("notice: order {number} has no customer"))?
    };
    let now = app.clock.now_ms();
    let mut conv = match (s.channel, opened) {
        (ChannelKind::Web, Some(id)) => conversations::load_conversation(&app.store, id)
            .await?
            .context("notice: the chat session vanished")?,
        (ChannelKind::Whatsapp, _) => {
            let wa_id: String = s
                .sender
                .as_ref()
                .and_then(|x| x.phone.as_deref())
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let on_file: String = customer
                .phone
                .as_deref()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if wa_id.is_empty() || wa_id != on_file {
                bail!(
                    "notice: on WhatsApp it goes to the customer's phone on file; sender.phone must be it"
                );
            }
            let mut conv = app
                .assistant
                .open("whatsapp", Some(&wa_id), None, customer.locale)
                .await?;
            // The customer wrote to Verity earlier today: the 24-hour window is open,
            // so the notice is the free text with its buttons.
            conv.last_inbound_ms = Some(now - 2 * 3600 * 1000);
            let mut tx = app.store.begin().await?;
            conversations::link_channel_identity(
                tx.conn(),
                "whatsapp",
                &wa_id,
                customer.id.as_str(),
                "phone",
                now,
            )
            .await?;
            tx.commit().await?;
            conv
        }
        _ => bail!("notice: a scenario starting from a notice runs on web or whatsapp"),
    };
    conv.customer_id = Some(customer.id.as_str().to_string());
    conv.language = Locale::as_str(customer.locale).to_string();
    conv.updated_ms = now;
    let mut tx = app.store.begin().await?;
    conversations::update_conversation(tx.conn(), &conv).await?;
    tx.commit().await?;
    let told =
        crate::notices::chat::tell_in_conversation(app, &conv.id, &number, n.code.as_deref())
            .await?;
    Ok((conv.id, told))
}
