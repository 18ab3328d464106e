//! Reconciled views assembled from the store: the one path by which the status API
//! (and later the assistant's tools and the console) learn what is true about a
//! shipment or an order. Loads with SQL from `store`, decides with pure `truth`.

use chrono::{DateTime, Utc};

use crate::domain::{Locale, OrderNumber, TrackingNumber};
use crate::store::{Store, cases, events, records};
use crate::truth::{
    OrderView, Policy, RemedyContext, ShipmentView, reconcile_order, reconcile_shipment,
};

/// A shipment's view with the locale of its customer (when known).
pub struct ShipmentLookup {
    pub view: ShipmentView,
    pub customer_locale: Option<Locale>,
}

/// An order's view with the locale of its customer (when known).
#[derive(Debug)]
pub struct OrderLookup {
    pub view: OrderView,
    pub customer_locale: Option<Locale>,
    /// The order's cases, when they were read (they are for a view with contradictions).
    pub remedy: Option<RemedyContext>,
}

pub(crate) fn remedy_from(
    cases: Vec<crate::truth::ExistingCase>,
    view_replacement: bool,
) -> RemedyContext {
    let replacement_created = view_replacement
        || cases
            .iter()
            .any(|c| c.remedy == crate::truth::Remedy::Replacement);
    RemedyContext {
        cases,
        replacement_created,
    }
}

pub(crate) fn any_replacement(shipments: &[crate::domain::Shipment]) -> bool {
    shipments
        .iter()
        .any(|s| s.kind == crate::domain::ShipmentKind::Replacement)
}

fn tracking_of(shipments: &[crate::domain::Shipment]) -> Vec<TrackingNumber> {
    shipments
        .iter()
        .map(|s| s.tracking_number.clone())
        .collect()
}

/// Reconciles one shipment with its order, the events of both, and the order's cases.
pub async fn shipment(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    tracking: &TrackingNumber,
) -> anyhow::Result<Option<ShipmentLookup>> {
    let mut conn = store.read().await?;
    let shipments = records::list_shipments_sharing_order(&mut conn, tracking).await?;
    let Some(shipment) = shipments.iter().find(|s| &s.tracking_number == tracking) else {
        return Ok(None);
    };
    let (order, customer_locale) =
        match records::get_order_with_locale(&mut conn, &shipment.order_number).await? {
            Some((o, l)) => (Some(o), l),
            None => (None, None),
        };
    let evs = events::events_for_order(
        &mut conn,
        &shipment.order_number,
        std::slice::from_ref(tracking),
    )
    .await?;
    let any_replacement = order.is_some()
        && shipments
            .iter()
            .any(|s| s.kind == crate::domain::ShipmentKind::Replacement);
    let mut view = reconcile_shipment(shipment, order.as_ref(), &evs, now, policy);
    // The order's cases only shape the remedies offered for contradictions.
    if !view.contradictions.is_empty() {
        let ctx = remedy_from(
            cases::list_cases_for_order(&mut conn, &view.order_number).await?,
            any_replacement,
        );
        view = view.with_remedy_context(&ctx, now, policy);
    }
    Ok(Some(ShipmentLookup {
        view,
        customer_locale,
    }))
}

/// Reconciles an order with all its shipments, their events, and its cases.
pub async fn order(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    number: &OrderNumber,
) -> anyhow::Result<Option<OrderLookup>> {
    if let Some(lite) = store.lite() {
        // A SQLite file: read on this thread, in one snapshot (see `store::lite`).
        return lite.read(|c| {
            let Some((order, customer_locale)) = records::lite_order_with_locale(c, number)? else {
                return Ok(None);
            };
            let shipments = records::lite_shipments_for_order(c, number)?;
            let evs = events::lite_events_for_order(c, number, &tracking_of(&shipments))?;
            let cases = cases::lite_cases_for_order(c, number)?;
            let mut view = reconcile_order(&order, &shipments, &evs, now, policy);
            let remedy = if view.all_contradictions().next().is_some() {
                let ctx = remedy_from(cases, any_replacement(&shipments));
                view = view.with_remedy_context(&ctx, now, policy);
                Some(ctx)
            } else {
                None
            };
            Ok(Some(OrderLookup {
                view,
                customer_locale,
                remedy,
            }))
        });
    }
    let mut conn = store.read().await?;
    let Some((order, customer_locale)) = records::get_order_with_locale(&mut conn, number).await?
    else {
        return Ok(None);
    };
    let shipments = records::list_shipments_for_order(&mut conn, number).await?;
    let evs = events::events_for_order(&mut conn, number, &tracking_of(&shipments)).await?;
    let mut view = reconcile_order(&order, &shipments, &evs, now, policy);
    // The order's cases only shape the remedies offered for contradictions.
    let mut remedy = None;
    if view.all_contradictions().next().is_some() {
        let ctx = remedy_from(
            cases::list_cases_for_order(&mut conn, number).await?,
            any_replacement(&shipments),
        );
        view = view.with_remedy_context(&ctx, now, policy);
        remedy = Some(ctx);
    }
    Ok(Some(OrderLookup {
        view,
        customer_locale,
        remedy,
    }))
}

/// What the remedy policy needs to know about an order beyond its events.
pub async fn remedy_context_for(
    store: &Store,
    order: &OrderNumber,
) -> anyhow::Result<RemedyContext> {
    if let Some(lite) = store.lite() {
        return lite.read(|c| {
            let shipments = records::lite_shipments_for_order(c, order)?;
            let cases = cases::lite_cases_for_order(c, order)?;
            Ok(remedy_from(cases, any_replacement(&shipments)))
        });
    }
    let mut conn = store.read().await?;
    let any_replacement = records::list_shipments_for_order(&mut conn, order)
        .await?
        .iter()
        .any(|s| s.kind == crate::domain::ShipmentKind::Replacement);
    Ok(remedy_from(
        cases::list_cases_for_order(&mut conn, order).await?,
        any_replacement,
    ))
}
