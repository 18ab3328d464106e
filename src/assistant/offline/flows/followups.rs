//! The dialogue beside the main requests: a question about one detail of the order in
//! focus answered from the truth store (not the whole status again), the other orders,
//! requests Verity cannot do here, frustration, hesitant answers, reports asked about
//! before they are recorded, and a person offered when the bot keeps failing.

use chrono::{DateTime, Utc};
use minijinja::context;
use serde_json::json;

use super::{Target, Turn};
use crate::assistant::nlu::{Detail, Unable};
use crate::assistant::offline::{Intent, Signals};
use crate::assistant::reply::action_label;
use crate::assistant::tools::ToolContext;
use crate::truth::{
    ContradictionCode, DeliveryDetails, NextStep, Remedy, ShipmentStatus, ShipmentView, Source,
    format,
};

/// Misunderstood messages in a row after which a person is offered.
const MISUNDERSTOOD_BEFORE_PERSON: u8 = 2;

impl Turn {
    /// An order number as the store spells it, else as typed.
    pub(super) async fn stored_spelling(
        &self,
        ctx: &ToolContext<'_>,
        typed: &str,
    ) -> anyhow::Result<String> {
        let mut conn = ctx.store.read().await?;
        Ok(
            crate::store::records::resolve_order_number(&mut conn, typed)
                .await?
                .map_or_else(|| typed.to_string(), |n| n.as_str().to_string()),
        )
    }

    fn day(&self, ctx: &ToolContext<'_>, at: DateTime<Utc>) -> String {
        format::date(
            at.with_timezone(&ctx.policy.time_zone).date_naive(),
            self.locale,
        )
    }

    /// Answers a question about one detail of the order or parcel in focus. When the
    /// order was not in focus before and its sources disagree, the status comes first.
    pub(super) async fn detail(
        &mut self,
        ctx: &mut ToolContext<'_>,
        detail: Detail,
        target: &Target,
    ) -> anyhow::Result<()> {
        let r = self
            .tool(ctx, "track_shipment", target.args_with(json!({})))
            .await?;
        let Some(r) = r.shipments() else {
            self.say("not_found", json_ctx());
            return Ok(());
        };
        let disputed = r.disputed();
        let shipments: Vec<&ShipmentView> = r.views().collect();
        let first = target.order.is_none() || self.focus_before != target.order;
        if first && disputed {
            self.status(ctx, target).await?;
        }
        match detail {
            Detail::Pickup => self.pickup(&shipments),
            Detail::WhereExactly => self.where_exactly(ctx, &shipments),
            Detail::NextAttempt => self.next_attempt(&shipments),
            Detail::ReturnLabel => self.return_label(ctx, target).await?,
        }
        Ok(())
    }

    fn pickup(&mut self, shipments: &[&ShipmentView]) {
        let step = next_steps(shipments).find_map(|n| match n {
            NextStep::Pickup {
                location, until, ..
            } => Some((location, until)),
            _ => None,
        });
        match step {
            Some((location, until)) => {
                self.say(
                    "detail_pickup",
                    context! {
                        found => true,
                        location => location.clone().unwrap_or_default(),
                        until => format::date(*until, self.locale),
                    },
                );
            }
            None => {
                self.say(
                    "detail_pickup",
                    context! { found => false, delivered => delivered(shipments) },
                );
                self.next_attempt_if_any(shipments);
            }
        }
    }

    fn next_attempt_if_any(&mut self, shipments: &[&ShipmentView]) {
        if next_steps(shipments).any(|n| matches!(n, NextStep::NextAttempt { .. })) {
            self.next_attempt(shipments);
        }
    }

    fn where_exactly(&mut self, ctx: &ToolContext<'_>, shipments: &[&ShipmentView]) {
        // Waiting for pick-up: where and until when.
        if awaits_pickup(shipments) {
            self.pickup(shipments);
            return;
        }
        if let Some(d) = shipments.iter().find_map(|s| s.delivery.as_ref()) {
            self.say("detail_where", self.delivered_at(ctx, d));
            return;
        }
        // Not delivered: where the carrier saw it last.
        let last = shipments
            .iter()
            .flat_map(|s| s.timeline.iter())
            .filter(|e| e.source == Source::CarrierScan && e.location.is_some())
            .max_by_key(|e| e.at);
        let at = last.map(|e| e.at);
        self.say(
            "detail_where",
            context! {
                found => false,
                location => last.and_then(|e| e.location.clone()).unwrap_or_default(),
                day => at.map(|a| self.day(ctx, a)).unwrap_or_default(),
                time => at.map(|a| format::time(a, ctx.policy.time_zone)).unwrap_or_default(),
            },
        );
    }

    /// Where and how a delivered parcel was left.
    fn delivered_at(&self, ctx: &ToolContext<'_>, d: &DeliveryDetails) -> minijinja::Value {
        let handed_to = d.handed_to.as_ref();
        context! {
            found => true,
            place => d.place.as_str(),
            name => handed_to.map(|h| h.name.clone()).unwrap_or_default(),
            address => handed_to.and_then(|h| h.address.clone()).unwrap_or_default(),
            safe_place => d.safe_place.clone().unwrap_or_default(),
            location => d.location.clone().unwrap_or_default(),
            by_scan => d.confirmed_by_scan,
            day => self.day(ctx, d.at),
            time => format::time(d.at, ctx.policy.time_zone),
        }
    }

    fn next_attempt(&mut self, shipments: &[&ShipmentView]) {
        let on = next_steps(shipments).find_map(|n| match n {
            NextStep::NextAttempt { on, .. } => Some(*on),
            _ => None,
        });
        let pickup = awaits_pickup(shipments);
        self.say(
            "detail_next_attempt",
            context! {
                found => on.is_some(),
                on => on.map(|d| format::date(d, self.locale)).unwrap_or_default(),
                delivered => delivered(shipments),
                pickup => pickup,
            },
        );
        if on.is_none() && pickup {
            self.pickup(shipments);
        }
    }

    /// The state of a promised return label, from the order's events.
    async fn return_label(
        &mut self,
        ctx: &mut ToolContext<'_>,
        target: &Target,
    ) -> anyhow::Result<()> {
        let Some(order) = target
            .order
            .clone()
            .or_else(|| ctx.state.focus_order.clone())
        else {
            self.say("which_order", context! { orders => Vec::<String>::new() });
            return Ok(());
        };
        let r = self
            .tool(ctx, "get_order", json!({"order_number": order}))
            .await?;
        let Some(r) = r.order() else {
            self.say("not_found", json_ctx());
            return Ok(());
        };
        let view = &r.order.view;
        let last = |what: &str| {
            view.order_events
                .iter()
                .filter(|e| e.what == what)
                .map(|e| e.at)
                .max()
        };
        let promised = last("return_label_promised");
        let issued = last("return_label_issued").filter(|i| promised.is_none_or(|p| *i >= p));
        let overdue = view
            .contradictions
            .iter()
            .find(|c| c.code == ContradictionCode::PromiseOverdue);
        let due = overdue
            .into_iter()
            .flat_map(|c| c.facts.iter())
            .find_map(|f| f.due_by);
        if let Some(c) = overdue {
            if !self.contradictions.iter().any(|x| x == "promise_overdue") {
                self.contradictions.push("promise_overdue".into());
            }
            for remedy in &c.remedies {
                self.offer(remedy.as_str());
            }
        }
        let state = if issued.is_some() {
            "issued"
        } else if overdue.is_some() {
            "overdue"
        } else if promised.is_some() {
            "promised"
        } else {
            "none"
        };
        ctx.state.focus_promise = Some("return_label".into());
        self.say(
            "detail_label",
            context! {
                state => state,
                promised_on => promised.map(|a| self.day(ctx, a)).unwrap_or_default(),
                issued_on => issued.map(|a| self.day(ctx, a)).unwrap_or_default(),
                due_day => due.map(|a| self.day(ctx, a)).unwrap_or_default(),
                due_time => due.map(|a| format::time(a, ctx.policy.time_zone)).unwrap_or_default(),
            },
        );
        if state == "none" && self.allowed(ctx, Remedy::ReturnLabel, target).await? {
            self.offer("return_label");
        }
        Ok(())
    }

    /// "und die anderen beiden?": the status of every other order of the customer.
    pub(super) async fn others(
        &mut self,
        ctx: &mut ToolContext<'_>,
        intent: Option<Intent>,
    ) -> anyhow::Result<()> {
        let r = self.tool(ctx, "list_orders", json!({})).await?;
        let focus = ctx.state.focus_order.clone();
        let others: Vec<String> = r
            .orders()
            .iter()
            .map(|o| o.number())
            .filter(|n| Some(*n) != focus.as_deref())
            .map(str::to_string)
            .collect();
        if others.is_empty() {
            self.say("no_other_order", json_ctx());
            return Ok(());
        }
        for order in &others {
            let target = Target {
                order: Some(order.clone()),
                tracking: None,
            };
            match intent {
                Some(Intent::Detail { detail }) => self.detail(ctx, detail, &target).await?,
                _ => self.status(ctx, &target).await?,
            }
        }
        // The conversation stays with the order it was about.
        ctx.state.focus_order = focus;
        Ok(())
    }

    /// Records a report the customer confirmed, about the order in focus.
    pub(super) async fn record_report(
        &mut self,
        ctx: &mut ToolContext<'_>,
        claim: &str,
    ) -> anyhow::Result<()> {
        let target = Target {
            order: ctx.state.focus_order.clone(),
            tracking: ctx.state.focus_tracking.clone(),
        };
        if target.order.is_none() && target.tracking.is_none() {
            self.say("which_order", context! { orders => Vec::<String>::new() });
            return Ok(());
        }
        let claim = match claim {
            "not_received" => "not_received",
            "wrong_item" => "wrong_item",
            _ => "damaged",
        };
        self.report(ctx, claim, &target).await
    }

    /// Records the customer's report and answers with the status and what can be done.
    pub(super) async fn report(
        &mut self,
        ctx: &mut ToolContext<'_>,
        claim: &'static str,
        target: &Target,
    ) -> anyhow::Result<()> {
        let r = self
            .tool(
                ctx,
                "report_problem",
                target.args_with(json!({"claim": claim})),
            )
            .await?;
        if r.is_refusal() {
            self.say("not_found", json_ctx());
            return Ok(());
        }
        // Acknowledged once per conversation, by the status or beside it.
        self.reported = Some(match claim {
            "not_received" => "not_received",
            "wrong_item" => "wrong_item",
            _ => "damaged",
        });
        self.status(ctx, target).await?;
        if claim != "not_received" {
            for remedy in [Remedy::Replacement, Remedy::ReturnLabel] {
                if self.allowed(ctx, remedy, target).await? {
                    self.offer(remedy.as_str());
                }
            }
            self.offer("handoff");
        }
        Ok(())
    }

    /// A hesitant answer to a proposal: asked once more; nothing is created.
    pub(super) fn ask_again(&mut self, ctx: &ToolContext<'_>) {
        let label = ctx
            .state
            .pending
            .as_ref()
            .map(|p| action_label(p.remedy.as_str(), self.locale))
            .unwrap_or_default();
        let remedy = ctx
            .state
            .pending
            .as_ref()
            .map(|p| p.remedy.as_str())
            .unwrap_or_default();
        self.say("ask_again", context! { label => label, remedy => remedy });
        self.offer("confirm");
        self.offer("decline");
    }

    /// A request Verity cannot do here: said plainly, with who can, and the handoff.
    pub(super) fn cannot_do(&mut self, what: Unable) {
        let what = match what {
            Unable::ChangeAddress => "change_address",
            Unable::ChangeDate => "change_date",
            Unable::Payment => "payment",
            Unable::Invoice => "invoice",
            Unable::MoneyBack => "money_back",
            Unable::Complaint => "complaint",
        };
        self.say("cannot_do", context! { what => what });
        self.offer("handoff");
    }

    /// Frustration or "are you still there?": one short acknowledgement and the way out.
    pub(super) fn frustration(&mut self, s: &Signals) {
        let kind = if s.has(Intent::StillThere) && !s.has(Intent::Frustration) {
            "still_there"
        } else {
            "frustration"
        };
        self.say(kind, json_ctx());
        self.offer("handoff");
    }

    /// "It came after all": thanks, and what the store says now.
    pub(super) async fn received(&mut self, ctx: &mut ToolContext<'_>) -> anyhow::Result<()> {
        self.say("received", json_ctx());
        if ctx.customer().is_some()
            && let Some(order) = ctx.state.focus_order.clone()
        {
            let target = Target {
                order: Some(order),
                tracking: ctx.state.focus_tracking.clone(),
            };
            self.status(ctx, &target).await?;
        }
        Ok(())
    }

    /// Offers a person: after repeated misunderstandings or failed verifications.
    pub(super) fn offer_person(&mut self) {
        if !self.kinds.iter().any(|k| k == "offer_person") {
            self.say("offer_person", json_ctx());
        }
        self.offer("handoff");
    }

    /// What a message carried beside its main request: a request Verity cannot do is
    /// answered too, and frustration gets one short acknowledgement first.
    pub(super) fn after_said(&mut self, _ctx: &ToolContext<'_>, s: &Signals) {
        if self.handoff {
            return;
        }
        if let Some(what) = s.cannot_do()
            && !self.kinds.iter().any(|k| k == "cannot_do")
        {
            self.cannot_do(what);
        }
        let acknowledged = self
            .kinds
            .iter()
            .any(|k| k == "frustration" || k == "still_there");
        if s.has(Intent::Frustration) && !acknowledged && !self.parts.is_empty() {
            let ack =
                crate::assistant::reply::render_reply("frustration_ack", self.locale, json_ctx());
            self.parts.insert(0, ack);
            self.kinds.insert(0, "frustration_ack".into());
            self.offer("handoff");
        }
    }

    /// Counts misunderstood messages in a row; the second offers a person.
    pub(super) fn count_misunderstandings(&mut self, ctx: &mut ToolContext<'_>) {
        if self.kinds.iter().any(|k| k == "unknown") {
            ctx.state.misunderstood = ctx.state.misunderstood.saturating_add(1);
            if ctx.state.misunderstood >= MISUNDERSTOOD_BEFORE_PERSON {
                self.offer_person();
            }
        } else if !self.kinds.is_empty() {
            ctx.state.misunderstood = 0;
        }
    }
}

/// What the truth store expects next for these shipments.
fn next_steps<'a>(shipments: &'a [&'a ShipmentView]) -> impl Iterator<Item = &'a NextStep> {
    shipments.iter().flat_map(|s| s.next.iter())
}

fn awaits_pickup(shipments: &[&ShipmentView]) -> bool {
    next_steps(shipments).any(|n| matches!(n, NextStep::Pickup { .. }))
}

fn delivered(shipments: &[&ShipmentView]) -> bool {
    shipments
        .iter()
        .any(|s| s.status == ShipmentStatus::Delivered)
}

fn json_ctx() -> minijinja::Value {
    context! {}
}
