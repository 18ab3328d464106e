//! Read tools: only the verified customer's orders, shipments and cases; anything else
//! reads as "not found", the same answer as for a number that does not exist.

use serde_json::Value;

use super::output::{
    CaseList, HelpAnswer, HelpArticle, OrderAnswer, OrderItem, OrderList, ShipmentAnswer,
    ShipmentRef, ShipmentsAnswer, ToolOutput,
};
use super::{ToolContext, arg, refusal};
use crate::assistant::help;
use crate::domain::{OrderNumber, TrackingNumber};
use crate::lookup;
use crate::store::{cases, records};
use crate::truth::summary;

pub(crate) fn not_verified() -> ToolOutput {
    refusal(
        "not_verified",
        "the customer is not verified yet: ask for the order number and the delivery postcode (or the account email)",
    )
}

pub(crate) fn not_found(what: &str) -> ToolOutput {
    refusal("not_found", &format!("no {what} of this customer matches"))
}

/// The order, if it exists and belongs to the verified customer (its view is then read
/// for the rest of the run, see [`ToolContext::owned_view`]).
pub(crate) async fn owned_order(
    ctx: &mut ToolContext<'_>,
    number: &str,
) -> anyhow::Result<Option<OrderNumber>> {
    let resolved = {
        let mut conn = ctx.store.read().await?;
        records::resolve_order_number(&mut conn, number.trim()).await?
    };
    let Some(n) = resolved else {
        return Ok(None);
    };
    Ok(ctx.owned_view(&n).await?.map(|_| n))
}

/// The shipment, if it exists and its order belongs to the verified customer.
pub(crate) async fn owned_shipment(
    ctx: &mut ToolContext<'_>,
    tracking: &str,
) -> anyhow::Result<Option<(TrackingNumber, OrderNumber)>> {
    let Ok(t) = TrackingNumber::parse(tracking) else {
        return Ok(None);
    };
    let order = {
        let mut conn = ctx.store.read().await?;
        records::shipment_order(&mut conn, &t).await?
    };
    let Some(order) = order else {
        return Ok(None);
    };
    Ok(owned_order(ctx, order.as_str()).await?.map(|o| (t, o)))
}

pub(super) async fn list_orders(ctx: &mut ToolContext<'_>) -> anyhow::Result<ToolOutput> {
    let Some(customer) = ctx.customer().map(str::to_string) else {
        return Ok(not_verified());
    };
    let numbers = if crate::domain::contact::is_contact_id(&customer) {
        // A contact sees their one order, never the customer's others.
        ctx.contact_order()
            .await?
            .and_then(|o| OrderNumber::parse(&o).ok())
            .into_iter()
            .collect()
    } else {
        let id = crate::domain::CustomerId::parse(&customer).map_err(anyhow::Error::msg)?;
        let mut conn = ctx.store.read().await?;
        records::list_order_numbers_for_customer(&mut conn, &id).await?
    };
    let mut orders = Vec::new();
    for n in numbers.iter().take(10) {
        if let Some(found) = ctx.order_view(n).await? {
            orders.push(OrderItem(found));
        }
    }
    Ok(ToolOutput::Orders(OrderList {
        orders,
        more: numbers.len().saturating_sub(10),
    }))
}

pub(super) async fn get_order(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    if ctx.customer().is_none() {
        return Ok(not_verified());
    }
    let Some(number) = arg(args, "order_number") else {
        return Ok(refusal("bad_arguments", "order_number is required"));
    };
    let Some(n) = owned_order(ctx, number).await? else {
        return Ok(not_found("order"));
    };
    let Some(found) = ctx.order_view(&n).await? else {
        return Ok(not_found("order"));
    };
    ctx.state.focus_on_order(n.as_str());
    let summary = summary(&found.view, ctx.locale, ctx.policy);
    Ok(ToolOutput::Order(OrderAnswer {
        order: found,
        summary,
    }))
}

pub(super) async fn track_shipment(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    if ctx.customer().is_none() {
        return Ok(not_verified());
    }
    if let Some(t) = arg(args, "tracking_number") {
        let Some((t, order)) = owned_shipment(ctx, t).await? else {
            return Ok(not_found("shipment"));
        };
        let Some(found) = lookup::shipment(ctx.store, ctx.policy, ctx.now, &t).await? else {
            return Ok(not_found("shipment"));
        };
        ctx.state.focus_on_order(order.as_str());
        ctx.state.focus_tracking = Some(t.as_str().to_string());
        let summary = summary(&found.view, ctx.locale, ctx.policy);
        return Ok(ToolOutput::Shipments(ShipmentsAnswer {
            order_number: None,
            shipments: vec![ShipmentAnswer {
                shipment: ShipmentRef::Own(Box::new(found.view)),
                summary,
            }],
            order_contradictions: None,
        }));
    }
    let number = arg(args, "order_number")
        .map(str::to_string)
        .or_else(|| ctx.state.focus_order.clone());
    let Some(number) = number else {
        return Ok(refusal(
            "bad_arguments",
            "give a tracking_number or an order_number",
        ));
    };
    let Some(n) = owned_order(ctx, &number).await? else {
        return Ok(not_found("order"));
    };
    let Some(found) = ctx.order_view(&n).await? else {
        return Ok(not_found("order"));
    };
    ctx.state.focus_on_order(n.as_str());
    let shipments = (0..found.view.shipments.len())
        .map(|i| ShipmentAnswer {
            summary: summary(&found.view.shipments[i], ctx.locale, ctx.policy),
            shipment: ShipmentRef::InOrder(found.clone(), i),
        })
        .collect();
    Ok(ToolOutput::Shipments(ShipmentsAnswer {
        order_number: Some(n),
        shipments,
        order_contradictions: Some(found.view.contradictions.clone()),
    }))
}

pub(super) async fn list_cases(ctx: &mut ToolContext<'_>) -> anyhow::Result<ToolOutput> {
    let Some(customer) = ctx.customer().map(str::to_string) else {
        return Ok(not_verified());
    };
    let mut conn = ctx.store.read().await?;
    let rows = cases::list_cases_for_customer(&mut conn, &customer).await?;
    Ok(ToolOutput::Cases(CaseList { cases: rows }))
}

pub(super) fn search_help(ctx: &ToolContext<'_>, args: &Value) -> ToolOutput {
    let Some(query) = arg(args, "query") else {
        return refusal("bad_arguments", "query is required");
    };
    let articles = help::search(query, 2)
        .into_iter()
        .map(|a| HelpArticle {
            id: a.id.clone(),
            title: a.title(ctx.locale).to_string(),
            text: a.text(ctx.locale).to_string(),
        })
        .collect();
    ToolOutput::Help(HelpAnswer { articles })
}
