//! What a tool returns, typed. Each engine reads these fields; the record kept with the
//! reply (and the message a model reads) is the same value serialized once, in
//! [`super::call`]. The JSON shapes are the tools' contract with the model: a field
//! added here is seen by it, so keep them small and named as in the tool schemas.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::assistant::state::Proposal;
use crate::domain::{ContactRole, OrderNumber, Salutation, TrackingNumber};
use crate::lookup::OrderLookup;
use crate::store::cases::CaseRow;
use crate::truth::{Contradiction, OrderView, Remedy, ShipmentView, Slot};

/// One tool's result.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ToolOutput {
    Refused { error: Refusal },
    Verification(Verification),
    Orders(OrderList),
    Order(OrderAnswer),
    Shipments(ShipmentsAnswer),
    Cases(CaseList),
    Help(HelpAnswer),
    Reported(Reported),
    Decision(Decision),
    Case(CaseAnswer),
    Handoff(HandoffAnswer),
}

/// A refusal the model (or the dialogue policy) reads; never a crash.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl ToolOutput {
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused {
            error: Refusal {
                code,
                message: message.into(),
            },
        }
    }

    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Refused { .. })
    }

    /// The refusal's message, if this is one.
    pub fn refusal_message(&self) -> Option<&str> {
        match self {
            Self::Refused { error } => Some(&error.message),
            _ => None,
        }
    }

    pub fn verification(&self) -> Option<&Verification> {
        match self {
            Self::Verification(v) => Some(v),
            _ => None,
        }
    }

    /// The customer's orders (none unless this is `list_orders`' answer).
    pub fn orders(&self) -> &[OrderItem] {
        match self {
            Self::Orders(l) => &l.orders,
            _ => &[],
        }
    }

    pub fn shipments(&self) -> Option<&ShipmentsAnswer> {
        match self {
            Self::Shipments(s) => Some(s),
            _ => None,
        }
    }

    pub fn order(&self) -> Option<&OrderAnswer> {
        match self {
            Self::Order(o) => Some(o),
            _ => None,
        }
    }

    pub fn cases(&self) -> &[CaseRow] {
        match self {
            Self::Cases(c) => &c.cases,
            _ => &[],
        }
    }

    /// The texts of the help articles found (none unless this is `search_help`'s).
    pub fn help_texts(&self) -> Vec<&str> {
        match self {
            Self::Help(h) => h.articles.iter().map(|a| a.text.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Self::Decision(d) => Some(d),
            _ => None,
        }
    }

    pub fn case(&self) -> Option<&CaseAnswer> {
        match self {
            Self::Case(c) => Some(c),
            _ => None,
        }
    }

    /// The open contradictions this result presents, the order's own before its
    /// shipments' (none for results that present no view).
    pub fn contradictions(&self) -> Vec<&Contradiction> {
        match self {
            Self::Order(o) => o.order.view.all_contradictions().collect(),
            Self::Shipments(s) => s
                .order_contradictions
                .iter()
                .flatten()
                .chain(s.views().flat_map(|v| v.contradictions.iter()))
                .collect(),
            Self::Reported(r) => match &r.view {
                Some(ReportedView::Order(v)) => v.all_contradictions().collect(),
                Some(ReportedView::Shipment(v)) => v.contradictions.iter().collect(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Whether a problem report was recorded.
    pub fn recorded(&self) -> bool {
        matches!(self, Self::Reported(r) if r.recorded)
    }

    /// Whether the conversation was handed to staff.
    pub fn handed_off(&self) -> bool {
        matches!(self, Self::Handoff(h) if h.handoff)
    }
}

/// `verify_customer`: who was verified, or why not.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Unverified>,
    /// What is missing (`order_number` or `postcode_or_email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<[&'static str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_minutes: Option<i64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub who: Option<Verified>,
}

/// Why a verification did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unverified {
    Locked,
    Missing,
    NoMatch,
}

/// Whom a verification found.
#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    pub customer_name: String,
    pub salutation: Option<Salutation>,
    pub family_name: Option<String>,
    pub order_number: String,
    /// The contact's role, when a contact of the order (not its customer) verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactRole>,
}

impl Verification {
    pub fn verified(who: Verified) -> Self {
        Self {
            verified: true,
            reason: None,
            needs: None,
            retry_after_minutes: None,
            who: Some(who),
        }
    }

    pub fn failed(reason: Unverified) -> Self {
        Self {
            verified: false,
            reason: Some(reason),
            needs: None,
            retry_after_minutes: None,
            who: None,
        }
    }

    pub fn locked(minutes: i64) -> Self {
        Self {
            retry_after_minutes: Some(minutes.max(1)),
            ..Self::failed(Unverified::Locked)
        }
    }

    pub fn missing(needs: &'static str) -> Self {
        Self {
            needs: Some([needs]),
            ..Self::failed(Unverified::Missing)
        }
    }
}

/// `list_orders`: the newest orders (at most ten) and how many more there are.
#[derive(Clone, Debug, Serialize)]
pub struct OrderList {
    pub orders: Vec<OrderItem>,
    pub more: usize,
}

/// One order of [`OrderList`], told in brief (its view is read once per run).
#[derive(Clone, Debug)]
pub struct OrderItem(pub Arc<OrderLookup>);

impl OrderItem {
    pub fn view(&self) -> &OrderView {
        &self.0.view
    }
    pub fn number(&self) -> &str {
        self.view().order.number.as_str()
    }
}

impl Serialize for OrderItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Code<'a> {
            code: crate::truth::ContradictionCode,
            tracking_number: &'a Option<TrackingNumber>,
        }
        #[derive(Serialize)]
        struct Shipment<'a> {
            tracking_number: &'a TrackingNumber,
            kind: &'a crate::domain::ShipmentKind,
            status: crate::truth::ShipmentStatus,
            in_dispute: bool,
        }
        #[derive(Serialize)]
        struct Item<'a> {
            order_number: &'a OrderNumber,
            placed_at: &'a chrono::DateTime<chrono::FixedOffset>,
            total: &'a crate::domain::Money,
            currency: &'a crate::domain::Currency,
            in_dispute: bool,
            // The open contradictions, by code: what a reply must not gloss over.
            contradictions: Vec<Code<'a>>,
            shipments: Vec<Shipment<'a>>,
        }
        let v = self.view();
        Item {
            order_number: &v.order.number,
            placed_at: &v.order.placed_at,
            total: &v.order.total,
            currency: &v.order.currency,
            in_dispute: v.in_dispute,
            contradictions: v
                .all_contradictions()
                .map(|c| Code {
                    code: c.code,
                    tracking_number: &c.tracking_number,
                })
                .collect(),
            shipments: v
                .shipments
                .iter()
                .map(|s| Shipment {
                    tracking_number: &s.tracking_number,
                    kind: &s.kind,
                    status: s.status,
                    in_dispute: s.in_dispute,
                })
                .collect(),
        }
        .serialize(s)
    }
}

/// `get_order`: the reconciled view and the summary to present.
#[derive(Clone, Debug, Serialize)]
pub struct OrderAnswer {
    #[serde(serialize_with = "view_of")]
    pub order: Arc<OrderLookup>,
    pub summary: String,
}

fn view_of<S: Serializer>(found: &Arc<OrderLookup>, s: S) -> Result<S::Ok, S::Error> {
    found.view.serialize(s)
}

/// `track_shipment`: one shipment (by tracking number) or every shipment of an order,
/// each with its summary; for an order also its own contradictions.
#[derive(Clone, Debug, Serialize)]
pub struct ShipmentsAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<OrderNumber>,
    pub shipments: Vec<ShipmentAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_contradictions: Option<Vec<Contradiction>>,
}

impl ShipmentsAnswer {
    pub fn views(&self) -> impl Iterator<Item = &ShipmentView> {
        self.shipments.iter().map(|s| s.shipment.view())
    }

    /// Every open contradiction: the shipments' and then the order's own (the order in
    /// which the offline engine offers their remedies).
    pub fn contradictions(&self) -> impl Iterator<Item = &Contradiction> {
        self.views()
            .flat_map(|s| s.contradictions.iter())
            .chain(self.order_contradictions.iter().flatten())
    }

    pub fn disputed(&self) -> bool {
        self.views().any(|s| s.in_dispute)
            || self
                .order_contradictions
                .as_ref()
                .is_some_and(|c| !c.is_empty())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ShipmentAnswer {
    pub shipment: ShipmentRef,
    pub summary: String,
}

/// A shipment's view: its own (read by tracking number) or one of an order's views
/// read for this run, without a copy.
#[derive(Clone, Debug)]
pub enum ShipmentRef {
    Own(Box<ShipmentView>),
    InOrder(Arc<OrderLookup>, usize),
}

impl ShipmentRef {
    pub fn view(&self) -> &ShipmentView {
        match self {
            Self::Own(v) => v,
            Self::InOrder(found, i) => &found.view.shipments[*i],
        }
    }
}

impl Serialize for ShipmentRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// `list_cases`.
#[derive(Clone, Debug, Serialize)]
pub struct CaseList {
    pub cases: Vec<CaseRow>,
}

/// `search_help`: the best matching articles in the customer's language.
#[derive(Clone, Debug, Serialize)]
pub struct HelpAnswer {
    pub articles: Vec<HelpArticle>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HelpArticle {
    pub id: String,
    pub title: String,
    pub text: String,
}

/// `report_problem`: the report recorded, and the view it changed.
#[derive(Clone, Debug, Serialize)]
pub struct Reported {
    pub recorded: bool,
    pub event_id: String,
    pub claim: &'static str,
    pub view: Option<ReportedView>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ReportedView {
    Shipment(Box<ShipmentView>),
    Order(Box<OrderView>),
}

/// `propose_remedy` (and `confirm_remedy` when the policy now says no): what the policy
/// decided, with the proposal and its slots, or the alternatives it allows instead.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<Remedy>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Proposal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<Vec<Slot>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<Remedy>>,
}

impl Decision {
    /// The policy said no to `remedy`, for `reason`.
    pub fn refused(remedy: Remedy, reason: &str) -> Self {
        Self {
            allowed: false,
            remedy: Some(remedy),
            reason: reason.to_string(),
            proposal: None,
            slots: None,
            alternatives: None,
        }
    }
}

/// `confirm_remedy`: the case, new or the one this request had created already.
#[derive(Clone, Debug, Serialize)]
pub struct CaseAnswer {
    pub case: CaseRef,
    pub created: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum CaseRef {
    New(NewCaseSummary),
    Existing(CaseRow),
}

#[derive(Clone, Debug, Serialize)]
pub struct NewCaseSummary {
    pub id: String,
    pub kind: Remedy,
    pub status: &'static str,
    pub order_number: OrderNumber,
    pub tracking_number: Option<TrackingNumber>,
    /// A callback's slot (RFC 3339 start and end).
    pub slot: Option<(String, String)>,
}

impl CaseRef {
    pub fn kind(&self) -> Option<Remedy> {
        match self {
            Self::New(c) => Some(c.kind),
            Self::Existing(c) => Remedy::parse(&c.kind).ok(),
        }
    }

    /// The slot of a case created now (an earlier case's slot is in its details, and
    /// the reply to a repeated confirmation does not repeat it).
    pub fn new_slot(&self) -> Option<&(String, String)> {
        match self {
            Self::New(c) => c.slot.as_ref(),
            Self::Existing(_) => None,
        }
    }
}

/// `handoff_to_human`.
#[derive(Clone, Debug, Serialize)]
pub struct HandoffAnswer {
    pub handoff: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
    /// Why not (`rate_limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_of(o: &ToolOutput) -> serde_json::Value {
        serde_json::to_value(o).unwrap()
    }

    #[test]
    fn a_verification_says_what_the_model_reads_and_nothing_more() {
        let locked = ToolOutput::Verification(Verification::locked(0));
        assert_eq!(
            json_of(&locked),
            json!({"verified": false, "reason": "locked", "retry_after_minutes": 1})
        );
        let missing = ToolOutput::Verification(Verification::missing("order_number"));
        assert_eq!(
            json_of(&missing),
            json!({"verified": false, "reason": "missing", "needs": ["order_number"]})
        );
        let found = ToolOutput::Verification(Verification::verified(Verified {
            customer_name: "Erika Probe".into(),
            salutation: None,
            family_name: None,
            order_number: "A-1".into(),
            contact: Some(ContactRole::Recipient),
        }));
        assert_eq!(
            json_of(&found),
            json!({"verified": true, "customer_name": "Erika Probe", "salutation": null,
                   "family_name": null, "order_number": "A-1", "contact": "recipient"})
        );
    }

    #[test]
    fn refusals_decisions_and_handoffs_keep_their_shapes() {
        assert_eq!(
            json_of(&ToolOutput::refused(
                "not_found",
                "no order of this customer matches"
            )),
            json!({"error": {"code": "not_found", "message": "no order of this customer matches"}})
        );
        let refused = ToolOutput::Decision(Decision {
            alternatives: Some(vec![Remedy::Handoff]),
            ..Decision::refused(Remedy::Callback, "kein Termin frei")
        });
        assert_eq!(
            json_of(&refused),
            json!({"allowed": false, "remedy": "callback", "reason": "kein Termin frei",
                   "alternatives": ["handoff"]})
        );
        let limited = ToolOutput::Handoff(HandoffAnswer {
            handoff: false,
            case_id: None,
            created: None,
            reason: Some("rate_limited"),
        });
        assert_eq!(
            json_of(&limited),
            json!({"handoff": false, "reason": "rate_limited"})
        );
        assert!(!limited.handed_off());
        assert!(limited.decision().is_none() && limited.orders().is_empty());
    }
}
