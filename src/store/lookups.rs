//! What a reconciled view is made of (an order, its shipments, their events, its
//! cases), read in one go for [`crate::lookup`]: on a SQLite file through a reading
//! connection on the calling thread, in one snapshot; else through the pool. The
//! deciding stays in `truth`; this only reads.

use crate::domain::{Event, Locale, Order, OrderNumber, Shipment, ShipmentKind, TrackingNumber};
use crate::truth::ExistingCase;

use super::{Store, cases, events, records};

/// An order with everything its view is reconciled from.
#[derive(Clone, Debug)]
pub struct OrderFacts {
    pub order: Order,
    /// The locale of the order's customer, when known.
    pub customer_locale: Option<Locale>,
    pub shipments: Vec<Shipment>,
    /// Every event about the order or one of its shipments, in the order they happened.
    pub events: Vec<Event>,
    pub cases: Vec<ExistingCase>,
}

/// A shipment with what its view is reconciled from.
#[derive(Clone, Debug)]
pub struct ShipmentFacts {
    pub shipment: Shipment,
    /// Its order, when the store has it.
    pub order: Option<Order>,
    pub customer_locale: Option<Locale>,
    /// Whether the order has a replacement shipment.
    pub any_replacement: bool,
    /// The events of the order and of this shipment.
    pub events: Vec<Event>,
}

/// What the remedy policy needs to know about an order beyond its events.
#[derive(Clone, Debug)]
pub struct RemedyFacts {
    pub any_replacement: bool,
    pub cases: Vec<ExistingCase>,
}

fn tracking_of(shipments: &[Shipment]) -> Vec<TrackingNumber> {
    shipments
        .iter()
        .map(|s| s.tracking_number.clone())
        .collect()
}

/// Whether any of the shipments replaces another.
pub fn any_replacement(shipments: &[Shipment]) -> bool {
    shipments
        .iter()
        .any(|s| s.kind == ShipmentKind::Replacement)
}

/// An order and what its view is made of; `None` when the store has no such order.
pub async fn order_facts(
    store: &Store,
    number: &OrderNumber,
) -> anyhow::Result<Option<OrderFacts>> {
    if let Some(lite) = store.lite() {
        return lite.read(|c| {
            let Some((order, customer_locale)) = records::lite_order_with_locale(c, number)? else {
                return Ok(None);
            };
            let shipments = records::lite_shipments_for_order(c, number)?;
            let events = events::lite_events_for_order(c, number, &tracking_of(&shipments))?;
            let cases = cases::lite_cases_for_order(c, number)?;
            Ok(Some(OrderFacts {
                order,
                customer_locale,
                shipments,
                events,
                cases,
            }))
        });
    }
    let mut conn = store.read().await?;
    let Some((order, customer_locale)) = records::get_order_with_locale(&mut conn, number).await?
    else {
        return Ok(None);
    };
    let shipments = records::list_shipments_for_order(&mut conn, number).await?;
    let events = events::events_for_order(&mut conn, number, &tracking_of(&shipments)).await?;
    let cases = cases::list_cases_for_order(&mut conn, number).await?;
    Ok(Some(OrderFacts {
        order,
        customer_locale,
        shipments,
        events,
        cases,
    }))
}

/// A shipment and what its view is made of; `None` when the store has no such shipment.
pub async fn shipment_facts(
    store: &Store,
    tracking: &TrackingNumber,
) -> anyhow::Result<Option<ShipmentFacts>> {
    let mut conn = store.read().await?;
    let shipments = records::list_shipments_sharing_order(&mut conn, tracking).await?;
    let Some(shipment) = shipments
        .iter()
        .find(|s| &s.tracking_number == tracking)
        .cloned()
    else {
        return Ok(None);
    };
    let (order, customer_locale) =
        match records::get_order_with_locale(&mut conn, &shipment.order_number).await? {
            Some((o, l)) => (Some(o), l),
            None => (None, None),
        };
    let events = events::events_for_order(
        &mut conn,
        &shipment.order_number,
        std::slice::from_ref(tracking),
    )
    .await?;
    Ok(Some(ShipmentFacts {
        any_replacement: order.is_some() && any_replacement(&shipments),
        shipment,
        order,
        customer_locale,
        events,
    }))
}

/// An order's cases.
pub async fn cases_for_order(
    store: &Store,
    number: &OrderNumber,
) -> anyhow::Result<Vec<ExistingCase>> {
    if let Some(lite) = store.lite() {
        return lite.read(|c| cases::lite_cases_for_order(c, number));
    }
    let mut conn = store.read().await?;
    cases::list_cases_for_order(&mut conn, number).await
}

/// See [`RemedyFacts`].
pub async fn remedy_facts(store: &Store, order: &OrderNumber) -> anyhow::Result<RemedyFacts> {
    if let Some(lite) = store.lite() {
        return lite.read(|c| {
            let shipments = records::lite_shipments_for_order(c, order)?;
            Ok(RemedyFacts {
                any_replacement: any_replacement(&shipments),
                cases: cases::lite_cases_for_order(c, order)?,
            })
        });
    }
    let mut conn = store.read().await?;
    let shipments = records::list_shipments_for_order(&mut conn, order).await?;
    Ok(RemedyFacts {
        any_replacement: any_replacement(&shipments),
        cases: cases::list_cases_for_order(&mut conn, order).await?,
    })
}
