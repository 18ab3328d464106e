//! The reconciled views the status API, the bot, the console and the evals read:
//! [`ShipmentView`], [`OrderView`] and the [`Contradiction`]s inside them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{
    Address, Carrier, Currency, EventId, HandedTo, Money, Order, OrderNumber, ScanStatus,
    ShipmentKind, Sku, TrackingNumber,
};

use super::reconcile::OrderState;
use super::remedy::Remedy;

/// Verity's normalized shipment status, from the latest carrier scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ShipmentState)]
pub enum ShipmentStatus {
    /// No scan yet.
    Unknown,
    InfoReceived,
    InTransit,
    OutForDelivery,
    AttemptFailed,
    Delivered,
    AvailableForPickup,
    Exception,
    ReturnedToSender,
}

impl ShipmentStatus {
    /// The status a scan sets.
    pub fn from_scan(s: ScanStatus) -> Self {
        match s {
            ScanStatus::InfoReceived => Self::InfoReceived,
            ScanStatus::InTransit => Self::InTransit,
            ScanStatus::OutForDelivery => Self::OutForDelivery,
            ScanStatus::AttemptFailed => Self::AttemptFailed,
            ScanStatus::Delivered => Self::Delivered,
            ScanStatus::AvailableForPickup => Self::AvailableForPickup,
            ScanStatus::Exception => Self::Exception,
            ScanStatus::ReturnedToSender => Self::ReturnedToSender,
        }
    }

    /// Delivered and returned shipments move no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::ReturnedToSender)
    }

    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::InfoReceived => "info_received",
            Self::InTransit => "in_transit",
            Self::OutForDelivery => "out_for_delivery",
            Self::AttemptFailed => "attempt_failed",
            Self::Delivered => "delivered",
            Self::AvailableForPickup => "available_for_pickup",
            Self::Exception => "exception",
            Self::ReturnedToSender => "returned_to_sender",
        }
    }
}

/// Where a fact comes from. Timeline entries use the first five; `address` marks a
/// fact taken from the order or shipment record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    CarrierScan,
    Driver,
    Shop,
    Customer,
    Notification,
    Address,
}

impl Source {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CarrierScan => "carrier_scan",
            Self::Driver => "driver",
            Self::Shop => "shop",
            Self::Customer => "customer",
            Self::Notification => "notification",
            Self::Address => "address",
        }
    }
}

/// One event as the timeline shows it; the carrier's and driver's words verbatim.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub source: Source,
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// The scan status, driver outcome, order event, notification claim or customer
    /// claim, snake_case (`delivered`, `recipient_absent`, `replacement_cancelled`).
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// The carrier's own code, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    /// The carrier's description or the driver's note, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The notification channel or the customer's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The shipment an order event names.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub tracking_number: Option<TrackingNumber>,
}

/// Where the parcel was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryPlace {
    Recipient,
    Neighbour,
    SafePlace,
    ParcelShop,
    Locker,
    /// Delivered, without saying where.
    Unspecified,
}

impl DeliveryPlace {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recipient => "recipient",
            Self::Neighbour => "neighbour",
            Self::SafePlace => "safe_place",
            Self::ParcelShop => "parcel_shop",
            Self::Locker => "locker",
            Self::Unspecified => "unspecified",
        }
    }
}

/// How the parcel was handed over, from the delivered (or pick-up) scan and the
/// driver's report of the same delivery.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetails {
    /// When: the scan's time, else the driver's.
    pub at: DateTime<Utc>,
    pub place: DeliveryPlace,
    /// Whether a carrier scan confirms it (false: only the driver says so).
    pub confirmed_by_scan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub scan_event_id: Option<EventId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub driver_event_id: Option<EventId>,
    /// The scan's location (for a parcel shop or locker: where to pick it up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// The neighbour (or other person) who took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub handed_to: Option<HandedTo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_ref: Option<String>,
}

/// What happens next, as far as the truth store knows.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    /// The driver plans another attempt on that day.
    NextAttempt {
        on: NaiveDate,
        #[schema(value_type = String)]
        event_id: EventId,
    },
    /// Ready for pick-up until that day (then back to the sender).
    Pickup {
        #[serde(skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        until: NaiveDate,
        #[schema(value_type = String)]
        event_id: EventId,
    },
    /// The driver reported a delivery; the carrier's scan is expected by then.
    AwaitingScan {
        until: DateTime<Utc>,
        #[schema(value_type = String)]
        event_id: EventId,
    },
}

/// A stable contradiction code (docs/ingestion.md); never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContradictionCode {
    DeliveredButDriverReportsFailure,
    DeliveryLocationMismatch,
    DriverDeliveredWithoutScan,
    CustomerDisputesDelivery,
    ShippedAfterCancellation,
    RefundedAndDelivered,
    PromiseOverdue,
    CustomerToldOtherwise,
    StaleTracking,
}

impl ContradictionCode {
    /// Every code, in a fixed order.
    pub const ALL: [ContradictionCode; 9] = [
        Self::DeliveredButDriverReportsFailure,
        Self::DeliveryLocationMismatch,
        Self::DriverDeliveredWithoutScan,
        Self::CustomerDisputesDelivery,
        Self::ShippedAfterCancellation,
        Self::RefundedAndDelivered,
        Self::PromiseOverdue,
        Self::CustomerToldOtherwise,
        Self::StaleTracking,
    ];

    /// The snake_case code, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeliveredButDriverReportsFailure => "delivered_but_driver_reports_failure",
            Self::DeliveryLocationMismatch => "delivery_location_mismatch",
            Self::DriverDeliveredWithoutScan => "driver_delivered_without_scan",
            Self::CustomerDisputesDelivery => "customer_disputes_delivery",
            Self::ShippedAfterCancellation => "shipped_after_cancellation",
            Self::RefundedAndDelivered => "refunded_and_delivered",
            Self::PromiseOverdue => "promise_overdue",
            Self::CustomerToldOtherwise => "customer_told_otherwise",
            Self::StaleTracking => "stale_tracking",
        }
    }
}

/// One side of a contradiction: who said what, when.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Fact {
    pub source: Source,
    /// The event stating it; `None` for the address record or a derived fact.
    #[schema(value_type = Option<String>)]
    pub event_id: Option<EventId>,
    pub at: Option<DateTime<Utc>>,
    /// As in [`TimelineEntry::what`]; `address` for the address record, `no_scan_since`
    /// for stale tracking.
    pub what: String,
    pub location: Option<String>,
    pub postcode: Option<String>,
    /// The carrier's description or the driver's note, verbatim.
    pub description: Option<String>,
    pub channel: Option<String>,
    pub next_attempt_on: Option<NaiveDate>,
    pub notice_card_left: Option<bool>,
    pub due_by: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<Money>,
    /// Distance to the other side's position, when coordinates were compared.
    pub distance_m: Option<u32>,
    #[schema(value_type = Option<String>)]
    pub tracking_number: Option<TrackingNumber>,
}

impl Fact {
    /// A fact with only its source, event, time and what set.
    pub fn new(
        source: Source,
        event_id: Option<EventId>,
        at: Option<DateTime<Utc>>,
        what: impl Into<String>,
    ) -> Self {
        Self {
            source,
            event_id,
            at,
            what: what.into(),
            location: None,
            postcode: None,
            description: None,
            channel: None,
            next_attempt_on: None,
            notice_card_left: None,
            due_by: None,
            amount: None,
            distance_m: None,
            tracking_number: None,
        }
    }
}

/// Two sources that disagree, or a promise not kept.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contradiction {
    pub code: ContradictionCode,
    /// The shipment it is about, if any.
    #[schema(value_type = Option<String>)]
    pub tracking_number: Option<TrackingNumber>,
    /// The ids of the events that are its evidence (all in the input).
    #[schema(value_type = Vec<String>)]
    pub evidence: Vec<EventId>,
    /// The facts involved, each with source and time.
    pub facts: Vec<Fact>,
    /// The remedies the policy allows for it now.
    pub remedies: Vec<Remedy>,
}

/// One shipment, reconciled.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    #[schema(value_type = String)]
    pub tracking_number: TrackingNumber,
    #[schema(value_type = String)]
    pub carrier: Carrier,
    #[schema(value_type = String)]
    pub kind: ShipmentKind,
    #[schema(value_type = String)]
    pub order_number: OrderNumber,
    #[schema(value_type = Vec<String>)]
    pub skus: Vec<Sku>,
    /// The shipment's own address, else the order's shipping address.
    #[schema(value_type = Option<Object>)]
    pub address: Option<Address>,
    pub status: ShipmentStatus,
    /// True while contradictions are open: no channel states `status` as fact then.
    pub in_dispute: bool,
    pub delivery: Option<DeliveryDetails>,
    pub next: Vec<NextStep>,
    pub last_scan_at: Option<DateTime<Utc>>,
    /// The value of the shipment's items per the order (all lines when it lists none).
    #[schema(value_type = Option<String>)]
    pub items_value: Option<Money>,
    #[schema(value_type = Option<String>)]
    pub currency: Option<Currency>,
    /// What the order's events say about the order as a whole.
    pub order_state: OrderState,
    pub timeline: Vec<TimelineEntry>,
    pub contradictions: Vec<Contradiction>,
}

/// One order with its shipments, reconciled.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    #[schema(value_type = Object)]
    pub order: Order,
    /// What the order's events say about the order as a whole.
    pub order_state: OrderState,
    /// Original, replacement and return shipments, in that order.
    pub shipments: Vec<ShipmentView>,
    pub order_events: Vec<TimelineEntry>,
    pub notifications: Vec<TimelineEntry>,
    pub customer_reports: Vec<TimelineEntry>,
    /// Contradictions about the order as a whole (those about one shipment are in its view).
    pub contradictions: Vec<Contradiction>,
    /// True when any contradiction is open, here or in a shipment.
    pub in_dispute: bool,
}

/// The ids of the events that are evidence of `contradictions`.
fn evidence_ids<'a>(
    contradictions: impl Iterator<Item = &'a Contradiction>,
) -> std::collections::HashSet<String> {
    contradictions
        .flat_map(|c| c.evidence.iter().map(|id| id.as_str().to_string()))
        .collect()
}

/// Keeps the newest `keep` entries of a timeline (in time order) and every entry whose
/// event is in `evidence`; returns how many were left out.
fn bound_timeline(
    entries: &mut Vec<TimelineEntry>,
    keep: usize,
    evidence: &std::collections::HashSet<String>,
) -> usize {
    let len = entries.len();
    if len <= keep {
        return 0;
    }
    let first_kept = len - keep;
    let mut i = 0;
    entries.retain(|e| {
        let k = i >= first_kept || evidence.contains(e.event_id.as_str());
        i += 1;
        k
    });
    len - entries.len()
}

impl ShipmentView {
    /// Bounds the timeline to its newest `keep` entries (evidence of an open
    /// contradiction always stays); returns how many were left out.
    pub fn bound_timeline(&mut self, keep: usize) -> usize {
        let evidence = evidence_ids(self.contradictions.iter());
        bound_timeline(&mut self.timeline, keep, &evidence)
    }
}

impl OrderView {
    /// Bounds every list of entries (order events, notifications, customer reports,
    /// each shipment's timeline) to its newest `keep`, keeping every piece of evidence
    /// of an open contradiction; returns how many were left out in all.
    pub fn bound_entries(&mut self, keep: usize) -> usize {
        let evidence = evidence_ids(self.all_contradictions());
        let mut omitted = 0;
        for list in [
            &mut self.order_events,
            &mut self.notifications,
            &mut self.customer_reports,
        ] {
            omitted += bound_timeline(list, keep, &evidence);
        }
        for s in &mut self.shipments {
            omitted += bound_timeline(&mut s.timeline, keep, &evidence);
        }
        omitted
    }

    /// Every open contradiction: the order's, then each shipment's.
    pub fn all_contradictions(&self) -> impl Iterator<Item = &Contradiction> {
        self.contradictions
            .iter()
            .chain(self.shipments.iter().flat_map(|s| s.contradictions.iter()))
    }
}
