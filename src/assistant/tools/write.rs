//! Write tools: record what the customer reports, propose a remedy the policy allows,
//! and carry it out only after the customer confirmed that very proposal. Creating a
//! case is idempotent: the same claim never yields two cases.

use serde_json::{Value, json};

use super::output::{
    CaseAnswer, CaseRef, Decision, HandoffAnswer, NewCaseSummary, Reported, ReportedView,
    ToolOutput,
};
use super::read::{not_found, not_verified, owned_order, owned_shipment};
use super::{ToolContext, arg, refusal};
use crate::assistant::state::Proposal;
use crate::domain::lockout;
use crate::domain::{
    CustomerClaim, CustomerReport, Event, EventBody, EventId, OrderNumber, TrackingNumber,
};
use crate::lookup;
use crate::store::cases::{NewCase, insert_case};
use crate::store::events::{NewEvent, insert_events};
use crate::truth::{Remedy, Subject, callback_slots, eligibility};

pub(super) async fn report_problem(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    let Some(customer) = ctx.customer().map(str::to_string) else {
        return Ok(not_verified());
    };
    let claim = match arg(args, "claim") {
        Some("not_received") => CustomerClaim::NotReceived,
        Some("wrong_item") => CustomerClaim::WrongItem,
        Some("damaged") => CustomerClaim::Damaged,
        _ => {
            return Ok(refusal(
                "bad_arguments",
                "claim must be not_received, wrong_item or damaged",
            ));
        }
    };
    let (tracking, order) = match (arg(args, "tracking_number"), arg(args, "order_number")) {
        (Some(t), _) => match owned_shipment(ctx, t).await? {
            Some((t, o)) => (Some(t), o),
            None => return Ok(not_found("shipment")),
        },
        (None, Some(o)) => match owned_order(ctx, o).await? {
            Some(o) => (None, o),
            None => return Ok(not_found("order")),
        },
        (None, None) => match ctx.state.focus_order.clone() {
            Some(o) => match owned_order(ctx, &o).await? {
                Some(o) => (None, o),
                None => return Ok(not_found("order")),
            },
            None => {
                return Ok(refusal(
                    "bad_arguments",
                    "give an order_number or a tracking_number",
                ));
            }
        },
    };
    // One report per claim and parcel per conversation: saying it twice records it once.
    let target = tracking
        .as_ref()
        .map(TrackingNumber::as_str)
        .unwrap_or(order.as_str());
    let id = format!("cr-{}-{}-{target}", ctx.conversation.id, claim.as_str());
    // Event ids are at most 64 characters (a conversation id and a 20-digit tracking
    // number are more): a longer one is its digest, the same for the same report.
    let id = if id.len() > 64 {
        use sha2::Digest;
        format!(
            "cr-{}",
            &hex::encode(sha2::Sha256::digest(id.as_bytes()))[..48]
        )
    } else {
        id
    };
    let event = Event {
        id: EventId::parse(&id).map_err(anyhow::Error::msg)?,
        occurred_at: ctx.now.fixed_offset(),
        body: EventBody::CustomerReport(CustomerReport {
            order_number: Some(order.clone()),
            tracking_number: tracking.clone(),
            claim,
            channel: Some(ctx.conversation.channel.clone()),
            skus: Vec::new(),
        }),
    };
    let body = event.canonical_json();
    let hash = Event::content_hash(&body);
    let new = NewEvent {
        event: &event,
        body,
        hash,
    };
    let mut tx = ctx.store.begin().await?;
    insert_events(tx.conn(), &[&new], ctx.now_ms()).await?;
    tx.commit().await?;
    ctx.forget_reads();
    tracing::info!(conversation.id = %ctx.conversation.id, customer.id = %customer, claim = claim.as_str(), "customer report recorded");
    ctx.state.focus_on_order(order.as_str());
    let view = match &tracking {
        Some(t) => lookup::shipment(ctx.store, ctx.policy, ctx.now, t)
            .await?
            .map(|f| ReportedView::Shipment(Box::new(f.view))),
        None => lookup::order(ctx.store, ctx.policy, ctx.now, &order)
            .await?
            .map(|f| ReportedView::Order(Box::new(f.view))),
    };
    Ok(ToolOutput::Reported(Reported {
        recorded: true,
        event_id: id,
        claim: claim.as_str(),
        view,
    }))
}

/// The view a remedy is judged on: the shipment's when one is named, else the order's.
enum Judged {
    Shipment(Box<crate::truth::ShipmentView>),
    Order(Box<crate::truth::OrderView>),
}

impl Judged {
    fn subject(&self) -> Subject<'_> {
        match self {
            Judged::Shipment(v) => Subject::from(v.as_ref()),
            Judged::Order(v) => Subject::from(v.as_ref()),
        }
    }
    fn first_contradiction(&self) -> Option<String> {
        let code = match self {
            Judged::Shipment(v) => v.contradictions.first().map(|c| c.code),
            Judged::Order(v) => v.all_contradictions().next().map(|c| c.code),
        };
        code.map(|c| c.as_str().to_string())
    }
}

async fn judged(
    ctx: &mut ToolContext<'_>,
    order: &OrderNumber,
    tracking: Option<&TrackingNumber>,
) -> anyhow::Result<Option<Judged>> {
    Ok(match tracking {
        Some(t) => lookup::shipment(ctx.store, ctx.policy, ctx.now, t)
            .await?
            .map(|f| Judged::Shipment(Box::new(f.view))),
        None => ctx
            .order_view(order)
            .await?
            .map(|f| Judged::Order(Box::new(f.view.clone()))),
    })
}

/// The order (and shipment) a remedy is asked for, owned by the verified customer.
async fn remedy_target(
    ctx: &mut ToolContext<'_>,
    order: Option<&str>,
    tracking: Option<&str>,
) -> anyhow::Result<Option<(OrderNumber, Option<TrackingNumber>)>> {
    if let Some(t) = tracking {
        return Ok(owned_shipment(ctx, t).await?.and_then(|(t, o)| {
            let same = order.is_none_or(|n| n.eq_ignore_ascii_case(o.as_str()));
            same.then_some((o, Some(t)))
        }));
    }
    let Some(o) = order else { return Ok(None) };
    Ok(owned_order(ctx, o).await?.map(|o| (o, None)))
}

pub(super) async fn propose_remedy(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    if ctx.customer().is_none() {
        return Ok(not_verified());
    }
    let Some(remedy) = arg(args, "remedy").and_then(|r| Remedy::parse(r).ok()) else {
        return Ok(refusal(
            "bad_arguments",
            "remedy must be one of callback, redelivery, replacement, investigation, return_label, handoff",
        ));
    };
    let order_arg = arg(args, "order_number")
        .map(str::to_string)
        .or_else(|| ctx.state.focus_order.clone());
    let Some((order, tracking)) =
        remedy_target(ctx, order_arg.as_deref(), arg(args, "tracking_number")).await?
    else {
        return Ok(not_found("order"));
    };
    let Some(view) = judged(ctx, &order, tracking.as_ref()).await? else {
        return Ok(not_found("order"));
    };
    let rctx = ctx.remedy_context(&order).await?;
    let decision = eligibility(remedy, view.subject(), &rctx, ctx.now, ctx.policy);
    if !decision.allowed {
        let alternatives = Remedy::ALL
            .iter()
            .copied()
            .filter(|r| *r != remedy)
            .filter(|r| eligibility(*r, view.subject(), &rctx, ctx.now, ctx.policy).allowed)
            .collect();
        return Ok(ToolOutput::Decision(Decision {
            alternatives: Some(alternatives),
            ..Decision::refused(remedy, decision.reason.get(ctx.locale))
        }));
    }
    let slots = if remedy == Remedy::Callback {
        callback_slots(ctx.now, ctx.policy)
    } else {
        Vec::new()
    };
    if remedy == Remedy::Callback && slots.is_empty() {
        let reason = crate::prompts::text("no_slot", ctx.locale, minijinja::Value::UNDEFINED);
        return Ok(ToolOutput::Decision(Decision {
            alternatives: Some(vec![Remedy::Handoff]),
            ..Decision::refused(remedy, &reason)
        }));
    }
    let proposal = Proposal {
        id: format!("p{}", ctx.state.proposals_seen.len() + 1),
        remedy,
        order_number: order.as_str().to_string(),
        tracking_number: tracking.as_ref().map(|t| t.as_str().to_string()),
        contradiction_code: view.first_contradiction(),
        slot: slots
            .first()
            .map(|s| (s.start.to_rfc3339(), s.end.to_rfc3339())),
    };
    ctx.state.proposals_seen.push(proposal.id.clone());
    ctx.state.pending = Some(proposal.clone());
    Ok(ToolOutput::Decision(Decision {
        allowed: true,
        remedy: None,
        reason: decision.reason.get(ctx.locale).to_string(),
        proposal: Some(proposal),
        slots: Some(slots),
        alternatives: None,
    }))
}

pub(super) async fn confirm_remedy(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    let Some(customer) = ctx.customer().map(str::to_string) else {
        return Ok(not_verified());
    };
    let Some(mut pending) = ctx.state.pending.clone() else {
        return Ok(refusal(
            "no_pending_proposal",
            "nothing was proposed to this customer that could be confirmed",
        ));
    };
    if let Some(id) = arg(args, "proposal_id")
        && id != pending.id
    {
        return Ok(refusal(
            "unknown_proposal",
            "only the pending proposal of this conversation can be confirmed",
        ));
    }
    // The policy decides again: the truth may have changed since the proposal.
    let Some((order, tracking)) = remedy_target(
        ctx,
        Some(&pending.order_number),
        pending.tracking_number.as_deref(),
    )
    .await?
    else {
        return Ok(not_found("order"));
    };
    let Some(view) = judged(ctx, &order, tracking.as_ref()).await? else {
        return Ok(not_found("order"));
    };
    let rctx = ctx.remedy_context(&order).await?;
    let claim_key = format!(
        "{}:{}:{}",
        pending.remedy.as_str(),
        order,
        tracking.as_ref().map(TrackingNumber::as_str).unwrap_or("-")
    );
    let decision = eligibility(pending.remedy, view.subject(), &rctx, ctx.now, ctx.policy);
    if !decision.allowed {
        // Already requested (e.g. the same confirmation twice) answers with that case.
        let existing = existing_case(ctx, &customer, &claim_key).await?;
        ctx.state.pending = None;
        return Ok(match existing {
            Some(case) => ToolOutput::Case(CaseAnswer {
                case: CaseRef::Existing(case),
                created: false,
            }),
            None => ToolOutput::Decision(Decision::refused(
                pending.remedy,
                decision.reason.get(ctx.locale),
            )),
        });
    }
    if pending.remedy == Remedy::Callback
        && let Some(start) = arg(args, "slot_start")
    {
        let slots = callback_slots(ctx.now, ctx.policy);
        match slots
            .iter()
            .find(|s| s.start.to_rfc3339() == start || s.start.to_rfc3339().starts_with(start))
        {
            Some(s) => pending.slot = Some((s.start.to_rfc3339(), s.end.to_rfc3339())),
            None => {
                return Ok(refusal(
                    "bad_arguments",
                    "slot_start is not one of the offered slots",
                ));
            }
        }
    }
    let due_ms = pending
        .slot
        .as_ref()
        .and_then(|(start, _)| chrono::DateTime::parse_from_rfc3339(start).ok())
        .map(|d| d.timestamp_millis());
    let case_id = crate::store::new_id("case");
    let mut tx = ctx.store.begin().await?;
    let (id, created) = insert_case(
        tx.conn(),
        &NewCase {
            id: &case_id,
            remedy: pending.remedy,
            customer_id: Some(&customer),
            order_number: Some(order.as_str()),
            tracking_number: tracking.as_ref().map(TrackingNumber::as_str),
            conversation_id: Some(&ctx.conversation.id),
            contradiction_code: pending.contradiction_code.as_deref(),
            claim_key: &claim_key,
            details: json!({"proposal": pending.id, "slot": pending.slot}),
            due_ms,
        },
        ctx.now_ms(),
    )
    .await?;
    tx.commit().await?;
    ctx.forget_reads();
    ctx.state.pending = None;
    tracing::info!(conversation.id = %ctx.conversation.id, case.id = %id, created, remedy = pending.remedy.as_str(), "remedy confirmed");
    Ok(ToolOutput::Case(CaseAnswer {
        case: CaseRef::New(NewCaseSummary {
            id,
            kind: pending.remedy,
            status: "open",
            order_number: order,
            tracking_number: tracking,
            slot: pending.slot,
        }),
        created,
    }))
}

async fn existing_case(
    ctx: &ToolContext<'_>,
    customer: &str,
    claim_key: &str,
) -> anyhow::Result<Option<crate::store::cases::CaseRow>> {
    let mut conn = ctx.store.read().await?;
    let cases = crate::store::cases::list_cases_for_customer(&mut conn, customer).await?;
    // The claim key is remedy:order:tracking; match on those fields.
    let mut parts = claim_key.splitn(3, ':');
    let (kind, order, tracking) = (parts.next(), parts.next(), parts.next());
    Ok(cases.into_iter().find(|c| {
        Some(c.kind.as_str()) == kind
            && c.order_number.as_deref() == order
            && c.tracking_number.as_deref().unwrap_or("-") == tracking.unwrap_or("-")
    }))
}

pub(super) async fn handoff_to_human(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<ToolOutput> {
    let case_id = crate::store::new_id("case");
    let claim_key = format!("handoff:{}", ctx.conversation.id);
    if ctx.customer().is_none() && !anonymous_handoff_allowed(ctx, &claim_key).await? {
        tracing::warn!(conversation.id = %ctx.conversation.id, "too many handoffs without verification from one client");
        return Ok(ToolOutput::Handoff(HandoffAnswer {
            handoff: false,
            case_id: None,
            created: None,
            reason: Some("rate_limited"),
        }));
    }
    let mut tx = ctx.store.begin().await?;
    let (id, created) = insert_case(
        tx.conn(),
        &NewCase {
            id: &case_id,
            remedy: Remedy::Handoff,
            customer_id: ctx.conversation.customer_id.as_deref(),
            order_number: ctx.state.focus_order.as_deref(),
            tracking_number: ctx.state.focus_tracking.as_deref(),
            conversation_id: Some(&ctx.conversation.id),
            contradiction_code: None,
            claim_key: &claim_key,
            details: json!({"reason": arg(args, "reason"), "verified": ctx.customer().is_some()}),
            due_ms: None,
        },
        ctx.now_ms(),
    )
    .await?;
    tx.commit().await?;
    ctx.forget_reads();
    ctx.state.waiting_for_staff = true;
    ctx.state.pending = None;
    Ok(ToolOutput::Handoff(HandoffAnswer {
        handoff: true,
        case_id: Some(id),
        created: Some(created),
        reason: None,
    }))
}

/// Whether an unverified conversation may open a handoff case: always when it has an
/// open one already (that one answers), else only a few per client and hour.
async fn anonymous_handoff_allowed(ctx: &ToolContext<'_>, claim_key: &str) -> anyhow::Result<bool> {
    {
        let mut conn = ctx.store.read().await?;
        if crate::store::cases::open_case_with_claim(&mut conn, claim_key)
            .await?
            .is_some()
        {
            return Ok(true);
        }
    }
    let Some(client) = ctx.client() else {
        return Ok(true);
    };
    let now_ms = ctx.now_ms();
    let mut conn = ctx.store.write_one().await?;
    let count = crate::store::verification::count_attempt(
        &mut conn,
        &lockout::handoff_key(&client),
        now_ms,
        now_ms - lockout::HANDOFF_WINDOW_MS,
        now_ms - lockout::LOCKOUT_MEMORY_MS,
    )
    .await?;
    Ok(count.failures <= lockout::MAX_ANONYMOUS_HANDOFFS)
}
