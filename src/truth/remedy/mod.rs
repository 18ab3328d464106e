//! Remedies and the policy that decides which one is allowed, in code: never by the
//! model. Each decision comes with a reason a customer can read, in German and English.

mod rules;
mod slots;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Locale, TrackingNumber};

use super::policy::Policy;
use super::view::{ContradictionCode as Code, OrderView, ShipmentView};

pub use slots::{Slot, callback_slots};

/// What Verity can offer.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    Callback,
    Redelivery,
    Replacement,
    Investigation,
    ReturnLabel,
    Handoff,
}

impl Remedy {
    /// Every remedy, in a fixed order.
    pub const ALL: [Remedy; 6] = [
        Self::Callback,
        Self::Redelivery,
        Self::Replacement,
        Self::Investigation,
        Self::ReturnLabel,
        Self::Handoff,
    ];

    /// The snake_case name (also the action id of the channels).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::Redelivery => "redelivery",
            Self::Replacement => "replacement",
            Self::Investigation => "investigation",
            Self::ReturnLabel => "return_label",
            Self::Handoff => "handoff",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown remedy {s:?}; allowed: callback, redelivery, replacement, investigation, return_label, handoff"
                )
            })
    }

    /// The remedies worth offering for a contradiction, before the policy decides.
    pub fn candidates(code: Code) -> &'static [Remedy] {
        use Remedy::*;
        match code {
            Code::DeliveredButDriverReportsFailure => {
                &[Callback, Redelivery, Replacement, Investigation, Handoff]
            }
            Code::DeliveryLocationMismatch | Code::CustomerDisputesDelivery => {
                &[Callback, Investigation, Replacement, Handoff]
            }
            Code::DriverDeliveredWithoutScan => &[Callback, Investigation, Handoff],
            Code::ShippedAfterCancellation | Code::RefundedAndDelivered => {
                &[Callback, ReturnLabel, Handoff]
            }
            Code::PromiseOverdue => &[ReturnLabel, Callback, Handoff],
            Code::CustomerToldOtherwise => &[Callback, Handoff],
            Code::StaleTracking => &[Callback, Investigation, Replacement, Handoff],
        }
    }
}

/// Where a case stands, as the store records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    InProgress,
    Done,
    Declined,
    Cancelled,
}

impl CaseStatus {
    /// Open or in progress: another request of the same kind would be a duplicate.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// A remedy case the store already holds for the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExistingCase {
    pub remedy: Remedy,
    pub status: CaseStatus,
    /// The shipment it is about, if any.
    pub tracking_number: Option<TrackingNumber>,
}

/// What the store knows beyond the events: the order's cases.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemedyContext {
    /// Every case of the order, in any status.
    pub cases: Vec<ExistingCase>,
    /// A replacement was already created for the order (by Verity or the shop).
    pub replacement_created: bool,
}

/// A text in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Localized {
    pub de: String,
    pub en: String,
}

impl Localized {
    fn new(de: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            de: de.into(),
            en: en.into(),
        }
    }
    /// The text in a locale.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::De => &self.de,
            Locale::En => &self.en,
        }
    }
}

/// The policy's decision on one remedy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub allowed: bool,
    /// Why, for the customer.
    pub reason: Localized,
}

/// The reason `kind` in both languages, from `prompts/remedy/{de,en}.j2` with the data
/// `d` gives for each language.
fn reason(kind: &str, d: impl Fn(Locale) -> minijinja::Value) -> Localized {
    let say = |l: Locale| {
        let name = format!("remedy/{}.j2", l.as_str());
        crate::prompts::render(&name, minijinja::context! { kind => kind, d => d(l) })
            .map(|t| crate::prompts::tidy(&t))
            // Prevented by the test that renders every reason; pure code does not log.
            .unwrap_or_else(|_| kind.to_string())
    };
    Localized::new(say(Locale::De), say(Locale::En))
}

impl Eligibility {
    fn yes(kind: &str) -> Self {
        Self::yes_with(kind, |_| minijinja::Value::UNDEFINED)
    }
    fn no(kind: &str) -> Self {
        Self::no_with(kind, |_| minijinja::Value::UNDEFINED)
    }
    fn yes_with(kind: &str, d: impl Fn(Locale) -> minijinja::Value) -> Self {
        Self {
            allowed: true,
            reason: reason(kind, d),
        }
    }
    fn no_with(kind: &str, d: impl Fn(Locale) -> minijinja::Value) -> Self {
        Self {
            allowed: false,
            reason: reason(kind, d),
        }
    }
}

/// What a remedy is decided for: one shipment or a whole order.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    Shipment(&'a ShipmentView),
    Order(&'a OrderView),
}

impl<'a> From<&'a ShipmentView> for Subject<'a> {
    fn from(v: &'a ShipmentView) -> Self {
        Self::Shipment(v)
    }
}

impl<'a> From<&'a OrderView> for Subject<'a> {
    fn from(v: &'a OrderView) -> Self {
        Self::Order(v)
    }
}

/// Whether the policy allows `remedy` for a shipment or an order now, and why.
///
/// - `handoff`: always.
/// - `callback`: when a slot is free and no callback is already open.
/// - `redelivery`: after a failed attempt, at a parcel shop, or when the driver
///   contradicts a delivered scan; not while the driver's next attempt is ahead
///   (`wait_for_next_attempt`); not twice.
/// - `replacement`: when the delivery is in doubt, stale, or a wrong item or damage was
///   reported; up to `max_replacements_per_order` and `replacement_max_value`; not for a
///   cancelled or refunded order; not while the next attempt is ahead.
/// - `investigation`: when the delivery is in doubt or tracking is stale; not twice.
/// - `return_label`: after a wrong item, an overdue label promise, or goods that arrived
///   although cancelled or refunded; not when a label was issued or is being made.
pub fn eligibility<'a>(
    remedy: Remedy,
    subject: impl Into<Subject<'a>>,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Eligibility {
    let subject = subject.into();
    match remedy {
        Remedy::Handoff => Eligibility::yes("handoff"),
        Remedy::Callback => rules::callback(ctx, now, policy),
        Remedy::Redelivery => {
            rules::per_shipment(subject, |s| rules::redelivery(s, ctx, now, policy))
        }
        Remedy::Investigation => rules::per_shipment(subject, |s| rules::investigation(s, ctx)),
        Remedy::Replacement => rules::replacement(subject, ctx, now, policy),
        Remedy::ReturnLabel => rules::return_label(subject, ctx),
    }
}

/// Sets each contradiction's remedies to the allowed candidates.
pub(crate) fn offer_remedies(
    view: &mut ShipmentView,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) {
    let allowed = allowed_set(Subject::Shipment(view), ctx, now, policy);
    for c in &mut view.contradictions {
        c.remedies = filter(Remedy::candidates(c.code), &allowed);
    }
}

/// Sets the remedies of every contradiction of an order view: each shipment's with the
/// shipment as subject, the order's with the order.
pub(crate) fn offer_order_remedies(
    view: &mut OrderView,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) {
    for s in &mut view.shipments {
        offer_remedies(s, ctx, now, policy);
    }
    let allowed = allowed_set(Subject::Order(view), ctx, now, policy);
    for c in &mut view.contradictions {
        c.remedies = filter(Remedy::candidates(c.code), &allowed);
    }
}

fn allowed_set(
    subject: Subject<'_>,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Remedy> {
    let codes: Vec<Code> = match subject {
        Subject::Shipment(s) => s.contradictions.iter().map(|c| c.code).collect(),
        Subject::Order(o) => o.all_contradictions().map(|c| c.code).collect(),
    };
    if codes.is_empty() {
        return Vec::new();
    }
    Remedy::ALL
        .into_iter()
        .filter(|r| codes.iter().any(|c| Remedy::candidates(*c).contains(r)))
        .filter(|r| eligibility(*r, subject, ctx, now, policy).allowed)
        .collect()
}

fn filter(candidates: &[Remedy], allowed: &[Remedy]) -> Vec<Remedy> {
    candidates
        .iter()
        .copied()
        .filter(|r| allowed.contains(r))
        .collect()
}
