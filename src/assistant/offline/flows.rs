//! The dialogue policy: from what the customer said (or pressed) to tool calls and a
//! reply. Identity first, then the order the conversation is about, then the intent.

use minijinja::context;
use serde_json::{Value, json};

use super::{EngineReply, Intent, Signals, TurnInput};
use crate::assistant::reply::SuggestedAction;
use crate::assistant::reply::{action_label, render_reply, slot_text};
use crate::assistant::tools::output::{Unverified, Verification};
use crate::assistant::tools::{ToolCallRecord, ToolContext, ToolOutput};
use crate::domain::Locale;
use crate::truth::Remedy;

mod followups;

/// One turn being answered: the reply is built up part by part.
pub(super) struct Turn {
    locale: Locale,
    /// The reply kinds said so far in this turn.
    kinds: Vec<String>,
    /// The order in focus when the turn began.
    focus_before: Option<String>,
    parts: Vec<String>,
    actions: Vec<SuggestedAction>,
    contradictions: Vec<String>,
    calls: Vec<ToolCallRecord>,
    handoff: bool,
    /// A report the customer just made, acknowledged with the status that follows.
    reported: Option<&'static str>,
}

impl Turn {
    pub(super) fn new(locale: Locale) -> Self {
        Turn {
            locale,
            kinds: Vec::new(),
            focus_before: None,
            parts: Vec::new(),
            actions: Vec::new(),
            contradictions: Vec::new(),
            calls: Vec::new(),
            handoff: false,
            reported: None,
        }
    }

    fn say(&mut self, kind: &str, d: minijinja::Value) {
        self.kinds.push(kind.to_string());
        self.parts.push(render_reply(kind, self.locale, d));
    }

    fn offer(&mut self, id: &str) {
        if !self.actions.iter().any(|a| a.id == id) {
            self.actions.push(SuggestedAction {
                id: id.to_string(),
                label: action_label(id, self.locale),
            });
        }
    }

    async fn tool(
        &mut self,
        ctx: &mut ToolContext<'_>,
        name: &str,
        args: Value,
    ) -> anyhow::Result<ToolOutput> {
        let called = crate::assistant::tools::call(ctx, name, &args).await?;
        self.calls.push(called.record);
        Ok(called.output)
    }

    fn finish(self) -> EngineReply {
        EngineReply {
            text: self.parts.join("\n"),
            actions: self.actions,
            contradictions: self.contradictions,
            tool_calls: self.calls,
            handoff: self.handoff,
            language: self.locale,
        }
    }

    pub(super) async fn run(
        mut self,
        ctx: &mut ToolContext<'_>,
        input: &TurnInput,
    ) -> anyhow::Result<EngineReply> {
        self.focus_before = ctx.state.focus_order.clone();
        match input {
            TurnInput::Action(id) => self.pressed(ctx, id).await?,
            TurnInput::Text { text, signals } => {
                if let Some(l) = signals.language {
                    self.locale = l;
                    ctx.locale = l;
                }
                let asked_report = ctx.state.pending_report.take();
                self.said(ctx, text, signals, asked_report).await?;
                self.after_said(ctx, signals);
            }
        }
        self.count_misunderstandings(ctx);
        Ok(self.finish())
    }

    async fn pressed(&mut self, ctx: &mut ToolContext<'_>, id: &str) -> anyhow::Result<()> {
        match id {
            "confirm" => self.confirm(ctx).await,
            "decline" => {
                self.decline(ctx);
                Ok(())
            }
            "handoff" => self.hand_off(ctx).await,
            "details" => self.details(ctx).await,
            other => match Remedy::parse(other) {
                Ok(remedy) => {
                    if ctx.customer().is_none() {
                        self.say("ask_verification", context! {});
                        return Ok(());
                    }
                    self.propose(ctx, remedy, None).await
                }
                Err(_) => {
                    self.say("unknown", context! {});
                    Ok(())
                }
            },
        }
    }

    async fn said(
        &mut self,
        ctx: &mut ToolContext<'_>,
        text: &str,
        s: &Signals,
        asked_report: Option<String>,
    ) -> anyhow::Result<()> {
        // A pending proposal: a hesitant answer is asked again, then yes or no.
        if ctx.state.pending.is_some() && s.data_intent().is_none() && s.hesitant {
            self.ask_again(ctx);
            return Ok(());
        }
        if ctx.state.pending.is_some() && s.data_intent().is_none() {
            if s.has(Intent::Yes) {
                return self.confirm(ctx).await;
            }
            if s.has(Intent::No) {
                self.decline(ctx);
                return Ok(());
            }
        }
        // A report asked about in the last turn: recorded only on a clear yes.
        if let Some(claim) = asked_report
            && s.data_intent().is_none()
        {
            if s.has(Intent::Yes) && !s.hesitant {
                return self.record_report(ctx, &claim).await;
            }
            if s.hesitant {
                ctx.state.pending_report = Some(claim.clone());
                self.say("ask_report", context! { claim => claim, again => true });
                return Ok(());
            }
            if s.has(Intent::No) {
                self.say("report_not_recorded", context! {});
                return Ok(());
            }
        }
        if s.has(Intent::Human) {
            return self.hand_off(ctx).await;
        }
        // Identity: numbers given now, or an order number waiting for its postcode. A
        // number is used in the store's spelling ("ab-12345" typed as "AB12345").
        let order = match s.order_numbers.first() {
            Some(o) => Some(self.stored_spelling(ctx, o).await?),
            None => None,
        };
        let postcode = s.postcodes.first().cloned();
        let email = s.emails.first().cloned();
        // The order number together with the postcode or the account email; an email
        // alone never verifies (the customer is asked for the order number).
        let waiting = ctx.state.unverified_order.clone();
        let verify_args = match (&order, &postcode, &email) {
            (Some(o), Some(p), _) => Some(json!({"order_number": o, "postcode": p})),
            (Some(o), None, Some(e)) => Some(json!({"order_number": o, "email": e})),
            (None, Some(p), _) if ctx.customer().is_none() && waiting.is_some() => {
                Some(json!({"order_number": waiting, "postcode": p}))
            }
            (None, None, Some(e)) if ctx.customer().is_none() && waiting.is_some() => {
                Some(json!({"order_number": waiting, "email": e}))
            }
            (None, _, Some(_)) if ctx.customer().is_none() => {
                if s.data_intent().is_some() {
                    ctx.state.pending_intent = s.data_intent();
                }
                self.say("ask_order_number", context! {});
                return Ok(());
            }
            _ => None,
        };
        let data_intent = s.data_intent();
        // What is answered once verified: not a report that may not be about the order.
        let later = data_intent.filter(|_| !s.report_unsure);
        if let Some(args) = verify_args {
            let already_mine = ctx.customer().is_some()
                && order.is_some()
                && (postcode.is_some() || email.is_some());
            let out = self.tool(ctx, "verify_customer", args).await?;
            let Some(r) = out.verification() else {
                self.say("verify_failed", context! {});
                return Ok(());
            };
            let Some(who) = r.who.as_ref().filter(|_| r.verified) else {
                if already_mine {
                    // A verified customer naming another order: that order is not theirs.
                    self.say("not_found", context! {});
                    return Ok(());
                }
                if later.is_some() {
                    ctx.state.pending_intent = later;
                }
                ctx.state.failed_verifications = ctx.state.failed_verifications.saturating_add(1);
                self.verification_failed(r);
                // Repeated failures: a person is offered, as a button from the second
                // and in words from the third.
                if ctx.state.failed_verifications >= 3 && r.reason != Some(Unverified::Locked) {
                    self.offer_person();
                } else if ctx.state.failed_verifications >= 2 {
                    self.offer("handoff");
                }
                return Ok(());
            };
            ctx.state.unverified_order = None;
            ctx.state.failed_verifications = 0;
            self.say(
                "verified",
                context! {
                    name => &who.customer_name,
                    salutation => who.salutation,
                    family_name => &who.family_name,
                },
            );
            let intent = data_intent
                .or(ctx.state.pending_intent.take())
                .unwrap_or(Intent::WhereIsMyParcel);
            return self.handle(ctx, intent, s).await;
        }
        if ctx.customer().is_none() {
            if let Some(o) = order {
                ctx.state.unverified_order = Some(o);
                if later.is_some() {
                    ctx.state.pending_intent = later;
                }
                self.say("ask_postcode", context! {});
                return Ok(());
            }
            if data_intent.is_some() {
                ctx.state.pending_intent = later;
                self.say("ask_verification", context! {});
                return Ok(());
            }
            // A tracking number alone asks where that parcel is; a tracking number proves
            // nothing about who asks, so the customer is verified first. A postcode (or a
            // phone number) without an order number: the order number is asked for.
            if !s.tracking_numbers.is_empty() || !s.postcodes.is_empty() {
                ctx.state.pending_intent = Some(Intent::WhereIsMyParcel);
                self.say("ask_verification", context! {});
                return Ok(());
            }
        }
        if ctx.customer().is_some() && s.refers_to_all_others && s.order_numbers.is_empty() {
            return self.others(ctx, data_intent).await;
        }
        if let Some(intent) = data_intent {
            return self.handle(ctx, intent, s).await;
        }
        if let Some(what) = s.cannot_do() {
            self.cannot_do(what);
            return Ok(());
        }
        if s.has(Intent::Received) {
            return self.received(ctx).await;
        }
        if s.has(Intent::Frustration) || s.has(Intent::StillThere) {
            self.frustration(s);
            return Ok(());
        }
        if ctx.customer().is_some()
            && (!s.order_numbers.is_empty() || !s.tracking_numbers.is_empty() || s.refers_to_other)
        {
            return self.handle(ctx, Intent::WhereIsMyParcel, s).await;
        }
        self.small_talk(ctx, text, s).await
    }

    fn verification_failed(&mut self, r: &Verification) {
        match r.reason {
            Some(Unverified::Locked) => {
                self.say(
                    "locked",
                    context! { minutes => r.retry_after_minutes.unwrap_or(30) },
                );
                self.offer("handoff");
            }
            Some(Unverified::Missing) if r.needs == Some(["order_number"]) => {
                self.say("ask_order_number", context! {})
            }
            Some(Unverified::Missing) => self.say("ask_postcode", context! {}),
            _ => self.say("verify_failed", context! {}),
        }
    }

    async fn small_talk(
        &mut self,
        ctx: &mut ToolContext<'_>,
        text: &str,
        s: &Signals,
    ) -> anyhow::Result<()> {
        // "great, thanks!" is thanks, not a yes to nothing.
        if s.has(Intent::Thanks) {
            self.say("thanks", context! {});
        } else if s.has(Intent::Yes) || s.has(Intent::No) {
            self.say("nothing_pending", context! {});
        } else if s.has(Intent::Goodbye) {
            self.say("goodbye", context! {});
        } else if s.asks_generally() || s.intents.is_empty() || s.has(Intent::Unknown) {
            let r = self
                .tool(ctx, "search_help", json!({"query": text}))
                .await?;
            let articles = r.help_texts();
            if articles.is_empty() {
                if s.has(Intent::Greeting) && !s.injection {
                    self.say("greeting", context! {});
                }
                self.say(
                    if s.injection { "injection" } else { "unknown" },
                    context! {},
                );
            } else {
                self.say("help", context! { articles => articles });
            }
        } else if s.has(Intent::Greeting) {
            self.say("greeting", context! {});
        } else {
            self.say(
                if s.injection { "injection" } else { "unknown" },
                context! {},
            );
        }
        Ok(())
    }

    /// The order (or shipment) the intent is about, or a question which one.
    async fn target(
        &mut self,
        ctx: &mut ToolContext<'_>,
        s: &Signals,
    ) -> anyhow::Result<Option<Target>> {
        if let Some(t) = s.tracking_numbers.first() {
            return Ok(Some(Target {
                order: None,
                tracking: Some(t.clone()),
            }));
        }
        if let Some(o) = s.order_numbers.first() {
            return Ok(Some(Target {
                order: Some(self.stored_spelling(ctx, o).await?),
                tracking: None,
            }));
        }
        if s.refers_to_other {
            let r = self.tool(ctx, "list_orders", json!({})).await?;
            let focus = ctx.state.focus_order.clone();
            let other = r
                .orders()
                .iter()
                .map(|o| o.number())
                .find(|n| Some(*n) != focus.as_deref())
                .map(str::to_string);
            return Ok(match other {
                Some(o) => Some(Target {
                    order: Some(o),
                    tracking: None,
                }),
                None => {
                    self.say("no_other_order", context! {});
                    None
                }
            });
        }
        if let Some(o) = ctx.state.focus_order.clone() {
            return Ok(Some(Target {
                order: Some(o),
                tracking: ctx.state.focus_tracking.clone(),
            }));
        }
        let r = self.tool(ctx, "list_orders", json!({})).await?;
        let orders: Vec<String> = r.orders().iter().map(|o| o.number().to_string()).collect();
        if orders.len() == 1 {
            return Ok(Some(Target {
                order: orders.first().cloned(),
                tracking: None,
            }));
        }
        self.say("which_order", context! { orders => orders });
        Ok(None)
    }

    async fn handle(
        &mut self,
        ctx: &mut ToolContext<'_>,
        intent: Intent,
        s: &Signals,
    ) -> anyhow::Result<()> {
        let Some(target) = self.target(ctx, s).await? else {
            return Ok(());
        };
        match intent {
            Intent::Callback => self.propose(ctx, Remedy::Callback, Some(&target)).await,
            Intent::Redelivery => self.propose(ctx, Remedy::Redelivery, Some(&target)).await,
            Intent::Replacement => self.propose(ctx, Remedy::Replacement, Some(&target)).await,
            Intent::Investigation => {
                self.propose(ctx, Remedy::Investigation, Some(&target))
                    .await
            }
            Intent::Cancel => {
                // The facts first: "I cancelled, why is it shipped?" is answered by the
                // status (which presents a shipment that moved after a cancellation).
                self.status(ctx, &target).await?;
                self.say("cancel", context! {});
                self.offer("handoff");
                Ok(())
            }
            Intent::Detail { detail } => {
                // "Kann der Fahrer es morgen beim Nachbarn abgeben?" asks for a
                // redelivery too: it is proposed, after the answer to the question; when
                // the policy says no, its reason answers the question already.
                if s.has(Intent::Redelivery) && ctx.state.pending.is_none() {
                    let before = self.parts.len();
                    self.propose(ctx, Remedy::Redelivery, Some(&target)).await?;
                    if self.kinds[before..].iter().any(|k| k == "refused") {
                        return Ok(());
                    }
                    let (parts, kinds) =
                        (self.parts.split_off(before), self.kinds.split_off(before));
                    self.detail(ctx, detail, &target).await?;
                    self.parts.extend(parts);
                    self.kinds.extend(kinds);
                    return Ok(());
                }
                self.detail(ctx, detail, &target).await
            }
            Intent::NotReceived | Intent::WrongItem | Intent::Damaged => {
                let claim = match intent {
                    Intent::NotReceived => "not_received",
                    Intent::WrongItem => "wrong_item",
                    _ => "damaged",
                };
                if s.report_unsure {
                    // Not said about this order: ask before anything is recorded.
                    ctx.state.pending_report = Some(claim.to_string());
                    if let Some(o) = target.order.clone() {
                        ctx.state.focus_on_order(&o);
                    }
                    self.say("ask_report", context! { claim => claim, again => false });
                    return Ok(());
                }
                self.report(ctx, claim, &target).await
            }
            Intent::Return => {
                // The status first: a promised label that is overdue is a contradiction
                // the customer must see.
                self.status(ctx, &target).await?;
                let r = self
                    .tool(ctx, "search_help", json!({"query": "return Rücksendung"}))
                    .await?;
                if let Some(text) = r.help_texts().first() {
                    self.say("help", context! { articles => vec![text.to_string()] });
                }
                if self.allowed(ctx, Remedy::ReturnLabel, &target).await? {
                    self.offer("return_label");
                }
                Ok(())
            }
            _ => self.status(ctx, &target).await,
        }
    }

    /// Shows the reconciled status in brief (each fact once, the contradictions of a
    /// shipment as one story, overdue promises); with open contradictions, the remedies
    /// the policy allows and "All details" as actions. A status this conversation was
    /// told already, unchanged, is referred to rather than repeated.
    async fn status(&mut self, ctx: &mut ToolContext<'_>, target: &Target) -> anyhow::Result<()> {
        let r = self
            .tool(ctx, "track_shipment", target.args_with(json!({})))
            .await?;
        let Some(r) = r.shipments() else {
            self.say("not_found", context! {});
            return Ok(());
        };
        let mut offers: Vec<String> = Vec::new();
        for c in r.contradictions() {
            let code = c.code.as_str();
            if !self.contradictions.iter().any(|x| x == code) {
                self.contradictions.push(code.to_string());
            }
            for remedy in c.remedies.iter().map(|r| r.as_str()) {
                if !offers.iter().any(|o| o == remedy) {
                    offers.push(remedy.to_string());
                }
            }
        }
        let Some(brief) = self.brief(ctx, target).await? else {
            self.say("not_found", context! {});
            return Ok(());
        };
        for id in &offers {
            self.offer(id);
        }
        if brief.disputed {
            if offers.is_empty() {
                self.offer("handoff");
            }
            self.offer("details");
        }
        let subject = format!(
            "{}|{}|{}",
            ctx.state.focus_order.as_deref().unwrap_or(""),
            target.tracking.as_deref().unwrap_or(""),
            self.locale.as_str()
        );
        if ctx.state.told.status_told(&subject, &brief.text) {
            self.say(
                "status_again",
                context! { order => ctx.state.focus_order.clone(), disputed => brief.disputed },
            );
            return Ok(());
        }
        ctx.state.told.remember_status(&subject, &brief.text);
        self.say(
            "status",
            context! {
                summaries => vec![brief.text],
                disputed => brief.disputed,
                disagree => brief.disagree,
                offers => !offers.is_empty(),
            },
        );
        Ok(())
    }

    /// The brief of the order in focus (or of the target's shipment), from the view the
    /// tool just read; the customer's reports it mentions are remembered.
    async fn brief(
        &mut self,
        ctx: &mut ToolContext<'_>,
        target: &Target,
    ) -> anyhow::Result<Option<crate::truth::summary::Brief>> {
        let Some(order) = ctx.state.focus_order.clone() else {
            return Ok(None);
        };
        let Ok(number) = crate::domain::OrderNumber::parse(&order) else {
            return Ok(None);
        };
        let Some(found) = ctx.order_view(&number).await? else {
            return Ok(None);
        };
        let only = target
            .tracking
            .as_deref()
            .and_then(|t| crate::domain::TrackingNumber::parse(t).ok());
        let brief = crate::truth::summary::brief(
            &found.view,
            self.locale,
            ctx.policy,
            crate::truth::summary::BriefOptions {
                only: only.as_ref(),
            },
        );
        // A report just made is acknowledged once per conversation, here or by the
        // brief that tells it as part of a contradiction.
        if let Some(claim) = self.reported.take()
            && !brief.reports.iter().any(|r| r == claim)
            && ctx.state.told.remember_report(&order, claim)
        {
            self.say("reported", context! { claim => claim });
        }
        for claim in &brief.reports {
            ctx.state.told.remember_report(&order, claim);
        }
        Ok(Some(brief))
    }

    /// "All details": the full record of the order in focus.
    async fn details(&mut self, ctx: &mut ToolContext<'_>) -> anyhow::Result<()> {
        if ctx.customer().is_none() {
            self.say("ask_verification", context! {});
            return Ok(());
        }
        let Some(target) = self.target(ctx, &Signals::default()).await? else {
            return Ok(());
        };
        let r = self
            .tool(ctx, "track_shipment", target.args_with(json!({})))
            .await?;
        let order = ctx.state.focus_order.clone().unwrap_or_default();
        let view = match crate::domain::OrderNumber::parse(&order) {
            Ok(n) if !r.is_refusal() => ctx.order_view(&n).await?,
            _ => None,
        };
        let Some(found) = view else {
            self.say("not_found", context! {});
            return Ok(());
        };
        let text = crate::truth::summary::details(&found.view, self.locale, ctx.policy);
        self.say("details", context! { text => text });
        Ok(())
    }

    async fn allowed(
        &mut self,
        ctx: &mut ToolContext<'_>,
        remedy: Remedy,
        target: &Target,
    ) -> anyhow::Result<bool> {
        let Some(order) = target
            .order
            .clone()
            .or_else(|| ctx.state.focus_order.clone())
        else {
            return Ok(false);
        };
        let Ok(number) = crate::domain::OrderNumber::parse(&order) else {
            return Ok(false);
        };
        let Some(view) = ctx.order_view(&number).await? else {
            return Ok(false);
        };
        let rctx = ctx.remedy_context(&number).await?;
        Ok(crate::truth::eligibility(remedy, &view.view, &rctx, ctx.now, ctx.policy).allowed)
    }

    async fn propose(
        &mut self,
        ctx: &mut ToolContext<'_>,
        remedy: Remedy,
        target: Option<&Target>,
    ) -> anyhow::Result<()> {
        let mut args = json!({"remedy": remedy.as_str()});
        let (order, tracking) = match target {
            Some(t) => (t.order.clone(), t.tracking.clone()),
            None => (
                ctx.state.focus_order.clone(),
                ctx.state.focus_tracking.clone(),
            ),
        };
        if let Some(o) = order.or_else(|| ctx.state.focus_order.clone()) {
            args["order_number"] = json!(o);
        }
        if let Some(t) = tracking {
            args["tracking_number"] = json!(t);
        }
        if args.get("order_number").is_none() && args.get("tracking_number").is_none() {
            let r = self.tool(ctx, "list_orders", json!({})).await?;
            match r.orders() {
                [only] => args["order_number"] = json!(only.number()),
                _ => {
                    self.say("which_order", context! { orders => Vec::<String>::new() });
                    return Ok(());
                }
            }
        }
        let r = self.tool(ctx, "propose_remedy", args).await?;
        let Some(r) = r.decision() else {
            self.say("not_found", context! {});
            return Ok(());
        };
        if !r.allowed {
            let offers: Vec<String> = r
                .alternatives
                .iter()
                .flatten()
                .map(|a| a.as_str().to_string())
                .collect();
            for o in &offers {
                self.offer(o);
            }
            let labels: Vec<String> = offers
                .iter()
                .map(|o| action_label(o, self.locale))
                .collect();
            self.say(
                "refused",
                context! {
                    remedy => remedy.as_str(),
                    label => action_label(remedy.as_str(), self.locale),
                    reason => &r.reason,
                    offers => labels,
                },
            );
            return Ok(());
        }
        let slot = self.slot_of(ctx, r.proposal.as_ref().and_then(|p| p.slot.as_ref()));
        self.say(
            "proposal",
            context! { remedy => remedy.as_str(), slot => slot },
        );
        self.offer("confirm");
        self.offer("decline");
        Ok(())
    }

    fn slot_of(&self, ctx: &ToolContext<'_>, slot: Option<&(String, String)>) -> String {
        let parse = |v: &str| {
            chrono::DateTime::parse_from_rfc3339(v)
                .ok()
                .map(|d| d.with_timezone(&chrono::Utc))
        };
        let Some((start, end)) = slot else {
            return String::new();
        };
        match (parse(start), parse(end)) {
            (Some(start), Some(end)) => slot_text(start, end, ctx.policy.time_zone, self.locale),
            _ => String::new(),
        }
    }

    async fn confirm(&mut self, ctx: &mut ToolContext<'_>) -> anyhow::Result<()> {
        let Some(pending) = ctx.state.pending.clone() else {
            self.say("nothing_pending", context! {});
            return Ok(());
        };
        let r = self
            .tool(ctx, "confirm_remedy", json!({"proposal_id": pending.id}))
            .await?;
        if let Some(answer) = r.case() {
            let slot = self.slot_of(ctx, answer.case.new_slot());
            let remedy = answer.case.kind().unwrap_or(pending.remedy).as_str();
            self.say(
                "confirmed",
                context! { remedy => remedy, slot => slot, created => answer.created },
            );
            if pending.remedy == Remedy::Handoff {
                self.handoff = true;
            }
        } else {
            self.say(
                "refused",
                context! {
                    remedy => pending.remedy.as_str(),
                    label => action_label(pending.remedy.as_str(), self.locale),
                    reason => r.decision().map(|d| d.reason.as_str()).or(r.refusal_message()).unwrap_or(""),
                    offers => Vec::<String>::new(),
                },
            );
        }
        Ok(())
    }

    fn decline(&mut self, ctx: &mut ToolContext<'_>) {
        ctx.state.pending = None;
        self.say("declined", context! {});
    }

    async fn hand_off(&mut self, ctx: &mut ToolContext<'_>) -> anyhow::Result<()> {
        let r = self
            .tool(
                ctx,
                "handoff_to_human",
                json!({"reason": "customer asked for a person"}),
            )
            .await?;
        if !r.handed_off() {
            // Too many handoffs without verification from this client.
            self.say("handoff_limited", context! {});
            return Ok(());
        }
        self.handoff = true;
        self.say("handoff", context! {});
        Ok(())
    }
}

/// What an intent is about.
struct Target {
    order: Option<String>,
    tracking: Option<String>,
}

impl Target {
    fn args_with(&self, mut base: Value) -> Value {
        if let Some(t) = &self.tracking {
            base["tracking_number"] = json!(t);
        } else if let Some(o) = &self.order {
            base["order_number"] = json!(o);
        }
        base
    }
}
