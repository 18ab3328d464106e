//! Remedies and the policy that decides which one is allowed, in code: never by the
//! model. Each decision comes with a reason a customer can read, in German and English.

mod slots;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Locale, ShipmentKind, TrackingNumber};

use super::format;
use super::policy::Policy;
use super::reconcile::{OrderState, local_date};
use super::view::{ContradictionCode as Code, NextStep, OrderView, ShipmentStatus, ShipmentView};

pub use slots::{Slot, callback_slots};

/// What Verity can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

impl Eligibility {
    fn yes(de: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            allowed: true,
            reason: Localized::new(de, en),
        }
    }
    fn no(de: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            allowed: false,
            reason: Localized::new(de, en),
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
        Remedy::Handoff => Eligibility::yes(
            "Eine Mitarbeiterin oder ein Mitarbeiter aus dem Support übernimmt das Gespräch.",
            "A member of our support team will take over the conversation.",
        ),
        Remedy::Callback => callback(ctx, now, policy),
        Remedy::Redelivery => per_shipment(subject, |s| redelivery(s, ctx, now, policy)),
        Remedy::Investigation => per_shipment(subject, |s| investigation(s, ctx)),
        Remedy::Replacement => replacement(subject, ctx, now, policy),
        Remedy::ReturnLabel => return_label(subject, ctx),
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

fn active_case(ctx: &RemedyContext, remedy: Remedy, tn: Option<&TrackingNumber>) -> bool {
    ctx.cases.iter().any(|c| {
        c.remedy == remedy
            && c.status.is_active()
            && (tn.is_none() || c.tracking_number.is_none() || c.tracking_number.as_ref() == tn)
    })
}

/// For remedies about one parcel: the shipment's decision, or for an order the first
/// shipment that allows it (else the first refusal).
fn per_shipment(subject: Subject<'_>, f: impl Fn(&ShipmentView) -> Eligibility) -> Eligibility {
    match subject {
        Subject::Shipment(s) => f(s),
        Subject::Order(o) => {
            let mut first_no = None;
            for s in &o.shipments {
                let e = f(s);
                if e.allowed {
                    return e;
                }
                first_no.get_or_insert(e);
            }
            first_no.unwrap_or_else(|| {
                Eligibility::no(
                    "Zu dieser Bestellung gibt es noch keine Sendung.",
                    "There is no shipment for this order yet.",
                )
            })
        }
    }
}

fn next_attempt(view: &ShipmentView) -> Option<NaiveDate> {
    view.next.iter().find_map(|n| match n {
        NextStep::NextAttempt { on, .. } => Some(*on),
        _ => None,
    })
}

fn callback(ctx: &RemedyContext, now: DateTime<Utc>, policy: &Policy) -> Eligibility {
    if active_case(ctx, Remedy::Callback, None) {
        return Eligibility::no(
            "Ein Rückruf ist bereits vereinbart.",
            "A callback is already arranged.",
        );
    }
    let Some(slot) = callback_slots(now, policy).into_iter().next() else {
        return Eligibility::no(
            "Zurzeit ist kein Rückruftermin frei.",
            "No callback slot is free at the moment.",
        );
    };
    let day = local_date(slot.start, policy);
    let (from, to) = (
        format::time(slot.start, policy.time_zone),
        format::time(slot.end, policy.time_zone),
    );
    Eligibility::yes(
        format!(
            "Wir können Sie zurückrufen; der nächste freie Termin ist am {}, {from}–{to} Uhr.",
            format::date(day, Locale::De)
        ),
        format!(
            "We can call you back; the next free slot is {}, {from}–{to}.",
            format::date(day, Locale::En)
        ),
    )
}

fn waiting_for(next: NaiveDate, now: DateTime<Utc>, policy: &Policy) -> bool {
    policy.wait_for_next_attempt && next >= local_date(now, policy)
}

fn redelivery(
    s: &ShipmentView,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Eligibility {
    if s.kind == ShipmentKind::Return {
        return Eligibility::no(
            "Eine Rücksendung wird nicht erneut zugestellt.",
            "A return shipment is not redelivered.",
        );
    }
    if active_case(ctx, Remedy::Redelivery, Some(&s.tracking_number)) {
        return Eligibility::no(
            "Eine neue Zustellung ist bereits beauftragt.",
            "A new delivery has already been requested.",
        );
    }
    if let Some(on) = next_attempt(s)
        && waiting_for(on, now, policy)
    {
        return Eligibility::no(
            format!(
                "Der Fahrer versucht am {} erneut zuzustellen; vorher beauftragen wir keine neue Zustellung.",
                format::date(on, Locale::De)
            ),
            format!(
                "The driver will try again on {}; we do not book another delivery before that.",
                format::date(on, Locale::En)
            ),
        );
    }
    let failed = matches!(
        s.status,
        ShipmentStatus::AttemptFailed
            | ShipmentStatus::AvailableForPickup
            | ShipmentStatus::Exception
    ) || s
        .contradictions
        .iter()
        .any(|c| c.code == Code::DeliveredButDriverReportsFailure);
    if !failed {
        return Eligibility::no(
            "Eine neue Zustellung ist nur nach einem gescheiterten Zustellversuch möglich.",
            "A new delivery is possible only after a failed delivery attempt.",
        );
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes(
        format!("Wir können {carrier} mit einer neuen Zustellung beauftragen."),
        format!("We can ask {carrier} to deliver the parcel again."),
    )
}

/// Codes that put a delivery in doubt enough to investigate or replace it.
const DOUBTFUL: [Code; 5] = [
    Code::DeliveredButDriverReportsFailure,
    Code::DeliveryLocationMismatch,
    Code::DriverDeliveredWithoutScan,
    Code::CustomerDisputesDelivery,
    Code::StaleTracking,
];

fn doubtful(s: &ShipmentView) -> bool {
    s.kind != ShipmentKind::Return && s.contradictions.iter().any(|c| DOUBTFUL.contains(&c.code))
}

fn investigation(s: &ShipmentView, ctx: &RemedyContext) -> Eligibility {
    if active_case(ctx, Remedy::Investigation, Some(&s.tracking_number)) {
        return Eligibility::no(
            "Eine Nachforschung beim Paketdienst läuft bereits.",
            "An investigation with the carrier is already under way.",
        );
    }
    if !doubtful(s) {
        return Eligibility::no(
            "Die Angaben zu dieser Sendung widersprechen sich nicht; eine Nachforschung ist nicht nötig.",
            "The records of this shipment agree; no investigation is needed.",
        );
    }
    let carrier = s.carrier.display_name();
    Eligibility::yes(
        format!("Wir können bei {carrier} einen Nachforschungsauftrag stellen."),
        format!("We can open an investigation with {carrier}."),
    )
}

fn replacement(
    subject: Subject<'_>,
    ctx: &RemedyContext,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Eligibility {
    let (state, ships): (&OrderState, Vec<&ShipmentView>) = match subject {
        Subject::Shipment(s) => (&s.order_state, vec![s]),
        Subject::Order(o) => (&o.order_state, o.shipments.iter().collect()),
    };
    if state.cancelled || state.refunded {
        return Eligibility::no(
            "Die Bestellung wurde storniert oder erstattet; ein Ersatz ist daher nicht möglich.",
            "The order was cancelled or refunded, so a replacement is not possible.",
        );
    }
    let case_count = ctx
        .cases
        .iter()
        .filter(|c| {
            c.remedy == Remedy::Replacement
                && matches!(
                    c.status,
                    CaseStatus::Open | CaseStatus::InProgress | CaseStatus::Done
                )
        })
        .count() as u32;
    let created = state
        .replacements_created
        .max(case_count)
        .max(u32::from(ctx.replacement_created));
    if created >= policy.max_replacements_per_order {
        return Eligibility::no(
            "Für diese Bestellung wurde bereits ein Ersatz veranlasst.",
            "A replacement has already been arranged for this order.",
        );
    }
    if let Some(on) = ships.iter().find_map(|s| next_attempt(s))
        && waiting_for(on, now, policy)
    {
        return Eligibility::no(
            format!(
                "Der Fahrer versucht am {} erneut zuzustellen; einen Ersatz gibt es erst, wenn dieser Versuch scheitert.",
                format::date(on, Locale::De)
            ),
            format!(
                "The driver will try again on {}; a replacement is possible only if that attempt fails.",
                format::date(on, Locale::En)
            ),
        );
    }
    let doubtful_ship = ships.iter().find(|s| doubtful(s));
    if doubtful_ship.is_none() && !state.wrong_item_reported && !state.damage_reported {
        return Eligibility::no(
            "Ein Ersatz ist möglich, wenn eine Sendung verloren, beschädigt oder falsch ist; das ist hier nicht belegt.",
            "A replacement is possible when a parcel is lost, damaged or wrong; the records do not show that here.",
        );
    }
    let value = match (subject, doubtful_ship) {
        (_, Some(s)) => s.items_value,
        (Subject::Shipment(s), None) => s.items_value,
        (Subject::Order(o), None) => Some(o.order.value_of(&[])),
    };
    if let Some(v) = value
        && v > policy.replacement_max_value
    {
        return Eligibility::no(
            "Der Warenwert liegt über der Grenze für einen direkten Ersatz; ein Mitarbeiter aus dem Support prüft das.",
            "The value of the items is above the limit for a direct replacement; our support team will review it.",
        );
    }
    Eligibility::yes(
        "Wir können Ihnen Ersatz schicken.",
        "We can send you a replacement.",
    )
}

fn return_label(subject: Subject<'_>, ctx: &RemedyContext) -> Eligibility {
    let (state, codes): (&OrderState, Vec<Code>) = match subject {
        Subject::Shipment(s) => (
            &s.order_state,
            s.contradictions.iter().map(|c| c.code).collect(),
        ),
        Subject::Order(o) => (
            &o.order_state,
            o.all_contradictions().map(|c| c.code).collect(),
        ),
    };
    if active_case(ctx, Remedy::ReturnLabel, None) {
        return Eligibility::no(
            "Ein Rücksendeetikett ist bereits in Arbeit.",
            "A return label is already being prepared.",
        );
    }
    if state.return_label_issued && !state.return_label_overdue {
        return Eligibility::no(
            "Ein Rücksendeetikett wurde bereits ausgestellt.",
            "A return label has already been issued.",
        );
    }
    let unwanted_goods = codes.iter().any(|c| {
        matches!(
            c,
            Code::ShippedAfterCancellation | Code::RefundedAndDelivered
        )
    });
    if state.wrong_item_reported || state.return_label_overdue || unwanted_goods {
        Eligibility::yes(
            "Wir können Ihnen ein Rücksendeetikett schicken.",
            "We can send you a return label.",
        )
    } else {
        Eligibility::no(
            "Ein Rücksendeetikett gibt es bei falscher Ware oder wenn eines versprochen wurde.",
            "A return label is available for a wrong item or when one was promised.",
        )
    }
}
