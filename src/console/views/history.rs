//! A customer's page (every channel, conversation, case and order in one timeline)
//! and a shipment's page.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CustomerInfo, OrderPanel, ShipmentPanel, customer_info};
use crate::domain::contact::is_contact_id;
use crate::domain::{CustomerId, OrderNumber, TrackingNumber};
use crate::lookup;
use crate::store::console as q;
use crate::store::{Store, records};
use crate::truth::Policy;

/// One entry of a customer's history (worded by the template, in the console's
/// language).
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistoryItem {
    pub at_ms: i64,
    /// `conversation`, `case`, `order` or `channel`.
    pub kind: &'static str,
    /// The channel (of a linked sender, of a conversation).
    pub channel: Option<String>,
    /// A conversation's number of messages.
    pub messages: Option<i64>,
    /// A case's kind and status.
    pub case_kind: Option<String>,
    pub status: Option<String>,
    /// The order (of a case, or the order itself).
    pub order: Option<String>,
    /// An order with open contradictions.
    pub in_dispute: bool,
    pub link: Option<String>,
}

/// A customer's page: every channel, conversation, case and order in one timeline.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerPage {
    pub customer: CustomerInfo,
    pub channels: Vec<q::ChannelIdentity>,
    pub history: Vec<HistoryItem>,
    pub orders: Vec<OrderPanel>,
    /// The notices of those orders, and whether staff hold them.
    pub notices: Vec<crate::console::notice_holds::OrderNotices>,
    /// The person opted out of notices: where they asked, and when.
    pub opted_out: Option<OptOut>,
    /// Set when the person is an order's contact (`contact~…`): their role and order.
    pub contact: Option<ContactOf>,
}

/// A person's opt-out of notices.
#[derive(Clone, Debug, Serialize)]
pub struct OptOut {
    pub channel: String,
    pub at_ms: i64,
}

/// What a contact is to their one order.
#[derive(Clone, Debug, Serialize)]
pub struct ContactOf {
    pub role: String,
    pub order: String,
}

/// The person a page is about: a customer, or an order's contact (who sees one order).
async fn person(
    store: &Store,
    id: &str,
) -> anyhow::Result<Option<(CustomerInfo, Option<ContactOf>, Vec<OrderNumber>)>> {
    if !is_contact_id(id) {
        let Some(customer) = customer_info(store, id).await? else {
            return Ok(None);
        };
        let cid = CustomerId::parse(id).map_err(anyhow::Error::msg)?;
        let mut conn = store.read().await?;
        let numbers = records::list_order_numbers_for_customer(&mut conn, &cid).await?;
        return Ok(Some((customer, None, numbers)));
    }
    let mut conn = store.read().await?;
    let Some(c) = crate::store::contacts::get_contact(&mut conn, id).await? else {
        return Ok(None);
    };
    let info = CustomerInfo {
        id: c.person_id.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        locale: c.locale.as_str().to_string(),
    };
    let of = ContactOf {
        role: c.role.as_str().to_string(),
        order: c.order_number.clone(),
    };
    let numbers = OrderNumber::parse(&c.order_number).into_iter().collect();
    Ok(Some((info, Some(of), numbers)))
}

/// Builds a customer's page.
pub async fn customer_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    id: &str,
) -> anyhow::Result<Option<CustomerPage>> {
    let Some((customer, contact, numbers)) = person(store, id).await? else {
        return Ok(None);
    };
    let (channels, convs, cases, opted_out) = {
        let mut conn = store.read().await?;
        (
            q::list_channel_identities(&mut conn, id).await?,
            q::list_conversations_for_customer(&mut conn, id).await?,
            q::list_all_cases_for_customer(&mut conn, id).await?,
            crate::store::notices::get_optout(&mut conn, id)
                .await?
                .map(|(channel, at_ms)| OptOut { channel, at_ms }),
        )
    };
    let mut history = Vec::new();
    for ch in &channels {
        history.push(HistoryItem {
            at_ms: ch.linked_ms,
            kind: "channel",
            channel: Some(ch.channel.clone()),
            ..HistoryItem::default()
        });
    }
    for c in &convs {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "conversation",
            channel: Some(c.channel.clone()),
            messages: Some(c.message_count),
            link: Some(format!("/console/conversations/{}", c.id)),
            ..HistoryItem::default()
        });
    }
    for c in &cases {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "case",
            case_kind: Some(c.kind.clone()),
            status: Some(c.status.clone()),
            order: c.order_number.clone(),
            link: c
                .conversation_id
                .as_ref()
                .map(|v| format!("/console/conversations/{v}")),
            ..HistoryItem::default()
        });
    }
    let mut orders = Vec::new();
    for n in numbers {
        if let Some(found) = lookup::order(store, policy, now, &n).await? {
            let panel = OrderPanel::new(found.view.clone())
                .with_contacts(store)
                .await?;
            history.push(HistoryItem {
                at_ms: found.view.order.placed_at.timestamp_millis(),
                kind: "order",
                order: Some(panel.number.clone()),
                in_dispute: panel.in_dispute,
                ..HistoryItem::default()
            });
            orders.push(panel);
        }
    }
    history.sort_by_key(|h| std::cmp::Reverse(h.at_ms));
    let numbers: Vec<String> = orders.iter().map(|o| o.number.clone()).collect();
    let notices =
        crate::console::notice_holds::for_orders(store, &numbers, now.timestamp_millis()).await?;
    Ok(Some(CustomerPage {
        customer,
        channels,
        history,
        orders,
        notices,
        opted_out,
        contact,
    }))
}

/// A shipment's page: its timeline and its order's customer.
#[derive(Clone, Debug, Serialize)]
pub struct ShipmentPage {
    pub shipment: ShipmentPanel,
    pub customer_id: Option<String>,
}

/// Builds a shipment's page.
pub async fn shipment_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    tracking: &str,
) -> anyhow::Result<Option<ShipmentPage>> {
    let Ok(t) = TrackingNumber::parse(tracking) else {
        return Ok(None);
    };
    let Some(found) = lookup::shipment(store, policy, now, &t).await? else {
        return Ok(None);
    };
    let customer_id = {
        let mut conn = store.read().await?;
        records::order_customer(&mut conn, &found.view.order_number)
            .await?
            .map(|c| c.to_string())
    };
    Ok(Some(ShipmentPage {
        shipment: ShipmentPanel::new(found.view, &[]),
        customer_id,
    }))
}
