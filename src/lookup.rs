//! Reconciled views assembled from the store: the one path by which the status API
//! (and later the assistant's tools and the console) learn what is true about a
//! shipment or an order. Loads through `store::lookups` (no SQL here), decides with
//! pure `truth`.

use chrono::{DateTime, Utc};

use crate::domain::{Locale, OrderNumber, TrackingNumber};
use crate::store::{Store, lookups};
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

/// Reconciles one shipment with its order, the events of both, and the order's cases.
pub async fn shipment(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    tracking: &TrackingNumber,
) -> anyhow::Result<Option<ShipmentLookup>> {
    let Some(facts) = lookups::shipment_facts(store, tracking).await? else {
        return Ok(None);
    };
    let mut view = reconcile_shipment(
        &facts.shipment,
        facts.order.as_ref(),
        &facts.events,
        now,
        policy,
    );
    // The order's cases only shape the remedies offered for contradictions.
    if !view.contradictions.is_empty() {
        let ctx = remedy_from(
            lookups::cases_for_order(store, &view.order_number).await?,
            facts.any_replacement,
        );
        view = view.with_remedy_context(&ctx, now, policy);
    }
    Ok(Some(ShipmentLookup {
        view,
        customer_locale: facts.customer_locale,
    }))
}

/// Reconciles an order with all its shipments, their events, and its cases.
pub async fn order(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    number: &OrderNumber,
) -> anyhow::Result<Option<OrderLookup>> {
    let Some(facts) = lookups::order_facts(store, number).await? else {
        return Ok(None);
    };
    let mut view = reconcile_order(&facts.order, &facts.shipments, &facts.events, now, policy);
    // The order's cases only shape the remedies offered for contradictions.
    let remedy = if view.all_contradictions().next().is_some() {
        let ctx = remedy_from(facts.cases, lookups::any_replacement(&facts.shipments));
        view = view.with_remedy_context(&ctx, now, policy);
        Some(ctx)
    } else {
        None
    };
    Ok(Some(OrderLookup {
        view,
        customer_locale: facts.customer_locale,
        remedy,
    }))
}

/// What the remedy policy needs to know about an order beyond its events.
pub async fn remedy_context_for(
    store: &Store,
    order: &OrderNumber,
) -> anyhow::Result<RemedyContext> {
    let facts = lookups::remedy_facts(store, order).await?;
    Ok(remedy_from(facts.cases, facts.any_replacement))
}
