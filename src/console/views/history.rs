//! A customer's page (every channel, conversation, case and order in one timeline)
//! and a shipment's page.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CustomerInfo, OrderPanel, ShipmentPanel, customer_info};
use crate::domain::{CustomerId, TrackingNumber};
use crate::lookup;
use crate::store::console as q;
use crate::store::{Store, records};
use crate::truth::Policy;

/// One entry of a customer's history.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryItem {
    pub at_ms: i64,
    /// `conversation`, `case`, `order` or `channel`.
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
}

/// A customer's page: every channel, conversation, case and order in one timeline.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerPage {
    pub customer: CustomerInfo,
    pub channels: Vec<q::ChannelIdentity>,
    pub history: Vec<HistoryItem>,
    pub orders: Vec<OrderPanel>,
}

/// Builds a customer's page.
pub async fn customer_page(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    id: &str,
) -> anyhow::Result<Option<CustomerPage>> {
    let Some(customer) = customer_info(store, id).await? else {
        return Ok(None);
    };
    let cid = CustomerId::parse(id).map_err(anyhow::Error::msg)?;
    let (channels, convs, cases, numbers) = {
        let mut conn = store.read().await?;
        (
            q::list_channel_identities(&mut conn, id).await?,
            q::list_conversations_for_customer(&mut conn, id).await?,
            q::list_all_cases_for_customer(&mut conn, id).await?,
            records::list_order_numbers_for_customer(&mut conn, &cid).await?,
        )
    };
    let mut history = Vec::new();
    for ch in &channels {
        history.push(HistoryItem {
            at_ms: ch.linked_ms,
            kind: "channel",
            title: format!("linked on {}", ch.channel),
            detail: String::new(),
            link: None,
        });
    }
    for c in &convs {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "conversation",
            title: format!("conversation on {}", c.channel),
            detail: format!("{} messages", c.message_count),
            link: Some(format!("/console/conversations/{}", c.id)),
        });
    }
    for c in &cases {
        history.push(HistoryItem {
            at_ms: c.created_ms,
            kind: "case",
            title: format!("{} ({})", c.kind, c.status),
            detail: c.order_number.clone().unwrap_or_default(),
            link: c
                .conversation_id
                .as_ref()
                .map(|v| format!("/console/conversations/{v}")),
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
                title: format!("order {}", panel.number),
                detail: if panel.in_dispute {
                    "contradictions open".into()
                } else {
                    String::new()
                },
                link: None,
            });
            orders.push(panel);
        }
    }
    history.sort_by_key(|h| std::cmp::Reverse(h.at_ms));
    Ok(Some(CustomerPage {
        customer,
        channels,
        history,
        orders,
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
