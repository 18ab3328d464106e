//! Events: the append-only facts the truth store reconciles — carrier scans, driver
//! reports, order events from the shop, notifications the customer was sent, and what
//! the customer reported to Verity.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::fields::{FieldError, Obj, one_of, shown};
use super::ids::{EventId, OrderNumber, Sku, TrackingNumber};
use super::money::Money;
use super::record::parse_instant;

/// One event with its id (unique per source) and the moment it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub id: EventId,
    /// As the source sent it (offset kept); reconciliation orders by the instant.
    pub occurred_at: DateTime<FixedOffset>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    TrackingScan(TrackingScan),
    DriverReport(DriverReport),
    OrderEvent(OrderEvent),
    NotificationSent(NotificationSent),
    CustomerReport(CustomerReport),
}

impl EventBody {
    /// The ingestion `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::TrackingScan(_) => "tracking_scan",
            Self::DriverReport(_) => "driver_report",
            Self::OrderEvent(_) => "order_event",
            Self::NotificationSent(_) => "notification_sent",
            Self::CustomerReport(_) => "customer_report",
        }
    }

    /// The shipment this event is about, if it names one.
    pub fn tracking_number(&self) -> Option<&TrackingNumber> {
        match self {
            Self::TrackingScan(s) => Some(&s.tracking_number),
            Self::DriverReport(d) => Some(&d.tracking_number),
            Self::OrderEvent(o) => o.kind.tracking_number(),
            Self::NotificationSent(n) => n.tracking_number.as_ref(),
            Self::CustomerReport(c) => c.tracking_number.as_ref(),
        }
    }

    /// The order this event is about, if it names one.
    pub fn order_number(&self) -> Option<&OrderNumber> {
        match self {
            Self::TrackingScan(_) | Self::DriverReport(_) => None,
            Self::OrderEvent(o) => Some(&o.order_number),
            Self::NotificationSent(n) => Some(&n.order_number),
            Self::CustomerReport(c) => c.order_number.as_ref(),
        }
    }
}

/// A point on the map, WGS 84.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        const R: f64 = 6_371_000.0;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = (other.lat - self.lat).to_radians();
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }

    fn from_obj(o: &Obj<'_>) -> Result<Option<Self>, FieldError> {
        match (o.opt_f64("lat")?, o.opt_f64("lon")?) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(o.err("lat", format!("must be between -90 and 90, got {lat}")));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(o.err("lon", format!("must be between -180 and 180, got {lon}")));
                }
                Ok(Some(Self { lat, lon }))
            }
            (Some(_), None) => Err(o.err("lon", "missing: lat and lon come together")),
            (None, Some(_)) => Err(o.err("lat", "missing: lat and lon come together")),
        }
    }
}

/// Verity's normalized scan status; the carrier's own code and words are kept verbatim
/// beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    InfoReceived,
    InTransit,
    OutForDelivery,
    AttemptFailed,
    Delivered,
    AvailableForPickup,
    Exception,
    ReturnedToSender,
}

impl ScanStatus {
    pub const ALL: &'static [(&'static str, ScanStatus)] = &[
        ("info_received", ScanStatus::InfoReceived),
        ("in_transit", ScanStatus::InTransit),
        ("out_for_delivery", ScanStatus::OutForDelivery),
        ("attempt_failed", ScanStatus::AttemptFailed),
        ("delivered", ScanStatus::Delivered),
        ("available_for_pickup", ScanStatus::AvailableForPickup),
        ("exception", ScanStatus::Exception),
        ("returned_to_sender", ScanStatus::ReturnedToSender),
    ];
    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(s, Self::ALL)
    }
    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

/// Where a delivered parcel was left, when the carrier says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanDetail {
    Neighbour,
    SafePlace,
    ParcelShop,
    Locker,
}

impl ScanDetail {
    pub const ALL: &'static [(&'static str, ScanDetail)] = &[
        ("neighbour", ScanDetail::Neighbour),
        ("safe_place", ScanDetail::SafePlace),
        ("parcel_shop", ScanDetail::ParcelShop),
        ("locker", ScanDetail::Locker),
    ];
    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

fn name_of<T: PartialEq + Copy>(table: &[(&'static str, T)], v: T) -> &'static str {
    table
        .iter()
        .find(|(_, x)| *x == v)
        .map(|(n, _)| *n)
        .unwrap_or("")
}

/// A carrier's scan of a parcel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackingScan {
    pub tracking_number: TrackingNumber,
    pub status: ScanStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coords: Option<GeoPoint>,
    /// The carrier's own status code, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    /// The carrier's own words, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<ScanDetail>,
}

/// What the driver's app recorded at the door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverOutcome {
    DeliveredToRecipient,
    DeliveredToNeighbour,
    DeliveredToSafePlace,
    DeliveredToParcelShop,
    RecipientAbsent,
    Refused,
    AddressNotFound,
    Damaged,
    NotAttempted,
}

impl DriverOutcome {
    pub const ALL: &'static [(&'static str, DriverOutcome)] = &[
        (
            "delivered_to_recipient",
            DriverOutcome::DeliveredToRecipient,
        ),
        (
            "delivered_to_neighbour",
            DriverOutcome::DeliveredToNeighbour,
        ),
        (
            "delivered_to_safe_place",
            DriverOutcome::DeliveredToSafePlace,
        ),
        (
            "delivered_to_parcel_shop",
            DriverOutcome::DeliveredToParcelShop,
        ),
        ("recipient_absent", DriverOutcome::RecipientAbsent),
        ("refused", DriverOutcome::Refused),
        ("address_not_found", DriverOutcome::AddressNotFound),
        ("damaged", DriverOutcome::Damaged),
        ("not_attempted", DriverOutcome::NotAttempted),
    ];
    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
    /// True for the outcomes that hand the parcel over somewhere.
    pub fn is_delivery(self) -> bool {
        matches!(
            self,
            Self::DeliveredToRecipient
                | Self::DeliveredToNeighbour
                | Self::DeliveredToSafePlace
                | Self::DeliveredToParcelShop
        )
    }
}

/// Who took the parcel, when not the recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandedTo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A driver's report of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriverReport {
    pub tracking_number: TrackingNumber,
    pub outcome: DriverOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<HandedTo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_card_left: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_on: Option<NaiveDate>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coords: Option<GeoPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_ref: Option<String>,
}

/// What the shop's order system did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "details", rename_all = "snake_case")]
pub enum OrderEventKind {
    Cancelled,
    RefundIssued {
        #[serde(skip_serializing_if = "Option::is_none")]
        amount: Option<Money>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        skus: Vec<Sku>,
    },
    ReplacementCreated {
        #[serde(skip_serializing_if = "Option::is_none")]
        tracking_number: Option<TrackingNumber>,
    },
    ReplacementCancelled {
        #[serde(skip_serializing_if = "Option::is_none")]
        tracking_number: Option<TrackingNumber>,
    },
    ReturnLabelPromised {
        #[serde(skip_serializing_if = "Option::is_none")]
        due_by: Option<DateTime<FixedOffset>>,
    },
    ReturnLabelIssued {
        #[serde(skip_serializing_if = "Option::is_none")]
        tracking_number: Option<TrackingNumber>,
    },
    ReturnReceived,
    WrongItemReported {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        skus: Vec<Sku>,
    },
}

impl OrderEventKind {
    pub const NAMES: &'static [&'static str] = &[
        "cancelled",
        "refund_issued",
        "replacement_created",
        "replacement_cancelled",
        "return_label_promised",
        "return_label_issued",
        "return_received",
        "wrong_item_reported",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::RefundIssued { .. } => "refund_issued",
            Self::ReplacementCreated { .. } => "replacement_created",
            Self::ReplacementCancelled { .. } => "replacement_cancelled",
            Self::ReturnLabelPromised { .. } => "return_label_promised",
            Self::ReturnLabelIssued { .. } => "return_label_issued",
            Self::ReturnReceived => "return_received",
            Self::WrongItemReported { .. } => "wrong_item_reported",
        }
    }

    /// The shipment named in the details, if any.
    pub fn tracking_number(&self) -> Option<&TrackingNumber> {
        match self {
            Self::ReplacementCreated { tracking_number }
            | Self::ReplacementCancelled { tracking_number }
            | Self::ReturnLabelIssued { tracking_number } => tracking_number.as_ref(),
            _ => None,
        }
    }

    fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        let name = o.req_str("event")?;
        let details = o.opt_obj("details")?;
        let allow = |keys: &[&str]| -> Result<(), FieldError> {
            match &details {
                Some(d) => d.deny_unknown(keys),
                None => Ok(()),
            }
        };
        let tracking = |d: &Option<Obj<'_>>| -> Result<Option<TrackingNumber>, FieldError> {
            match d {
                Some(d) => d.opt_parse("tracking_number", TrackingNumber::parse),
                None => Ok(None),
            }
        };
        let skus = |d: &Option<Obj<'_>>| -> Result<Vec<Sku>, FieldError> {
            match d {
                Some(d) => d.str_list("skus", Sku::parse),
                None => Ok(Vec::new()),
            }
        };
        Ok(match name {
            "cancelled" => {
                allow(&["reason"])?;
                Self::Cancelled
            }
            "refund_issued" => {
                allow(&["amount", "skus"])?;
                let amount = match details.as_ref().and_then(|d| d.get("amount")) {
                    None => None,
                    Some(v) => Some(
                        Money::from_json(v).map_err(|r| FieldError::new("details.amount", r))?,
                    ),
                };
                Self::RefundIssued {
                    amount,
                    skus: skus(&details)?,
                }
            }
            "replacement_created" => {
                allow(&["tracking_number"])?;
                Self::ReplacementCreated {
                    tracking_number: tracking(&details)?,
                }
            }
            "replacement_cancelled" => {
                allow(&["tracking_number"])?;
                Self::ReplacementCancelled {
                    tracking_number: tracking(&details)?,
                }
            }
            "return_label_promised" => {
                allow(&["due_by"])?;
                let due_by = match &details {
                    Some(d) => d.opt_parse("due_by", parse_instant_or_date)?,
                    None => None,
                };
                Self::ReturnLabelPromised { due_by }
            }
            "return_label_issued" => {
                allow(&["tracking_number"])?;
                Self::ReturnLabelIssued {
                    tracking_number: tracking(&details)?,
                }
            }
            "return_received" => {
                allow(&["skus"])?;
                Self::ReturnReceived
            }
            "wrong_item_reported" => {
                allow(&["skus"])?;
                Self::WrongItemReported {
                    skus: skus(&details)?,
                }
            }
            other => {
                return Err(o.err(
                    "event",
                    format!(
                        "unknown value {}; allowed: {}",
                        shown(other),
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        })
    }
}

/// A due date may be given as a day (`2025-10-20`, meaning the end of that day in UTC+0
/// is too strict for a shop; we read it as 23:59:59 at +00:00) or as an instant.
fn parse_instant_or_date(s: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        let utc = FixedOffset::east_opt(0).ok_or("offset")?;
        return d
            .and_hms_opt(23, 59, 59)
            .and_then(|t| t.and_local_timezone(utc).single())
            .ok_or_else(|| format!("not a valid date: {}", shown(s)));
    }
    parse_instant(s).map_err(|_| {
        format!(
            "expected a date (2025-10-20) or RFC 3339 with offset, got {}",
            shown(s)
        )
    })
}

/// An event of the shop's order system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderEvent {
    pub order_number: OrderNumber,
    #[serde(flatten)]
    pub kind: OrderEventKind,
}

/// What a notification told the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationClaim {
    Cancelled,
    RefundIssued,
    ReplacementCreated,
    ReplacementCancelled,
    ReturnLabelPromised,
    ReturnLabelIssued,
    ReturnReceived,
    WrongItemReported,
    Delivered,
    OutForDelivery,
    Delayed,
}

impl NotificationClaim {
    pub const ALL: &'static [(&'static str, NotificationClaim)] = &[
        ("cancelled", NotificationClaim::Cancelled),
        ("refund_issued", NotificationClaim::RefundIssued),
        ("replacement_created", NotificationClaim::ReplacementCreated),
        (
            "replacement_cancelled",
            NotificationClaim::ReplacementCancelled,
        ),
        (
            "return_label_promised",
            NotificationClaim::ReturnLabelPromised,
        ),
        ("return_label_issued", NotificationClaim::ReturnLabelIssued),
        ("return_received", NotificationClaim::ReturnReceived),
        ("wrong_item_reported", NotificationClaim::WrongItemReported),
        ("delivered", NotificationClaim::Delivered),
        ("out_for_delivery", NotificationClaim::OutForDelivery),
        ("delayed", NotificationClaim::Delayed),
    ];
    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

/// A message the shop or carrier sent the customer (email, SMS, push, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationSent {
    pub order_number: OrderNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<TrackingNumber>,
    /// `email`, `sms`, `push`, `letter`, `whatsapp`, `messenger`, `web`.
    pub channel: String,
    pub claim: NotificationClaim,
}

const NOTIFICATION_CHANNELS: &[(&str, &str)] = &[
    ("email", "email"),
    ("sms", "sms"),
    ("push", "push"),
    ("letter", "letter"),
    ("whatsapp", "whatsapp"),
    ("messenger", "messenger"),
    ("web", "web"),
];

/// What a customer told Verity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerClaim {
    NotReceived,
    WrongItem,
    Damaged,
}

impl CustomerClaim {
    pub const ALL: &'static [(&'static str, CustomerClaim)] = &[
        ("not_received", CustomerClaim::NotReceived),
        ("wrong_item", CustomerClaim::WrongItem),
        ("damaged", CustomerClaim::Damaged),
    ];
    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

/// A customer's report, recorded by Verity (or by another system that heard it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<OrderNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<TrackingNumber>,
    pub claim: CustomerClaim,
    /// The channel the customer used (`web`, `whatsapp`, `messenger`, `phone`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<Sku>,
}

impl Event {
    /// Parses an event item whose `type` is `kind`.
    pub fn from_obj(kind: &str, o: &Obj<'_>) -> Result<Self, FieldError> {
        let body = match kind {
            "tracking_scan" => {
                o.deny_unknown(&[
                    "type",
                    "id",
                    "tracking_number",
                    "occurred_at",
                    "status",
                    "location",
                    "postcode",
                    "lat",
                    "lon",
                    "carrier_code",
                    "description",
                    "detail",
                ])?;
                EventBody::TrackingScan(TrackingScan {
                    tracking_number: o.req_parse("tracking_number", TrackingNumber::parse)?,
                    status: o.req_parse("status", ScanStatus::parse)?,
                    location: o.opt_text("location", 200)?,
                    postcode: o.opt_text("postcode", 10)?,
                    coords: GeoPoint::from_obj(o)?,
                    carrier_code: o.opt_text("carrier_code", 40)?,
                    description: o.opt_text("description", 1000)?,
                    detail: o.opt_parse("detail", |s| one_of(s, ScanDetail::ALL))?,
                })
            }
            "driver_report" => {
                o.deny_unknown(&[
                    "type",
                    "id",
                    "tracking_number",
                    "occurred_at",
                    "outcome",
                    "note",
                    "handed_to",
                    "safe_place",
                    "notice_card_left",
                    "next_attempt_on",
                    "lat",
                    "lon",
                    "photo_ref",
                    "signature_ref",
                ])?;
                let handed_to = match o.opt_obj("handed_to")? {
                    None => None,
                    Some(h) => {
                        h.deny_unknown(&["name", "address"])?;
                        Some(HandedTo {
                            name: h.req_text("name", 200)?,
                            address: h.opt_text("address", 300)?,
                        })
                    }
                };
                EventBody::DriverReport(DriverReport {
                    tracking_number: o.req_parse("tracking_number", TrackingNumber::parse)?,
                    outcome: o.req_parse("outcome", |s| one_of(s, DriverOutcome::ALL))?,
                    note: o.opt_text("note", 1000)?,
                    handed_to,
                    safe_place: o.opt_text("safe_place", 300)?,
                    notice_card_left: o.opt_bool("notice_card_left")?,
                    next_attempt_on: o.opt_parse("next_attempt_on", |s| {
                        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                            format!("expected a date like 2025-09-12, got {}", shown(s))
                        })
                    })?,
                    coords: GeoPoint::from_obj(o)?,
                    photo_ref: o.opt_text("photo_ref", 300)?,
                    signature_ref: o.opt_text("signature_ref", 300)?,
                })
            }
            "order_event" => {
                o.deny_unknown(&[
                    "type",
                    "id",
                    "order_number",
                    "occurred_at",
                    "event",
                    "details",
                ])?;
                EventBody::OrderEvent(OrderEvent {
                    order_number: o.req_parse("order_number", OrderNumber::parse)?,
                    kind: OrderEventKind::from_obj(o)?,
                })
            }
            "notification_sent" => {
                o.deny_unknown(&[
                    "type",
                    "id",
                    "order_number",
                    "tracking_number",
                    "occurred_at",
                    "channel",
                    "claim",
                ])?;
                EventBody::NotificationSent(NotificationSent {
                    order_number: o.req_parse("order_number", OrderNumber::parse)?,
                    tracking_number: o.opt_parse("tracking_number", TrackingNumber::parse)?,
                    channel: o.req_parse("channel", |s| {
                        one_of(&s.trim().to_ascii_lowercase(), NOTIFICATION_CHANNELS)
                            .map(str::to_string)
                    })?,
                    claim: o.req_parse("claim", |s| one_of(s, NotificationClaim::ALL))?,
                })
            }
            "customer_report" => {
                o.deny_unknown(&[
                    "type",
                    "id",
                    "order_number",
                    "tracking_number",
                    "occurred_at",
                    "claim",
                    "channel",
                    "skus",
                ])?;
                let r = CustomerReport {
                    order_number: o.opt_parse("order_number", OrderNumber::parse)?,
                    tracking_number: o.opt_parse("tracking_number", TrackingNumber::parse)?,
                    claim: o.req_parse("claim", |s| one_of(s, CustomerClaim::ALL))?,
                    channel: o.opt_text("channel", 40)?,
                    skus: o.str_list("skus", Sku::parse)?,
                };
                if r.order_number.is_none() && r.tracking_number.is_none() {
                    return Err(o.err(
                        "order_number",
                        "a customer report names an order_number or a tracking_number",
                    ));
                }
                EventBody::CustomerReport(r)
            }
            other => {
                return Err(FieldError::new(
                    "type",
                    format!("unknown event type {}", shown(other)),
                ));
            }
        };
        Ok(Self {
            id: o.req_parse("id", EventId::parse)?,
            occurred_at: o.req_parse("occurred_at", parse_instant)?,
            body,
        })
    }

    /// The instant as milliseconds since the Unix epoch (UTC), for ordering and storage.
    pub fn occurred_at_ms(&self) -> i64 {
        self.occurred_at.timestamp_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_between_paderborn_and_ffeld_is_about_ten_km() {
        let paderborn = GeoPoint {
            lat: 51.7189,
            lon: 8.7575,
        };
        let ffeld = GeoPoint {
            lat: 51.67,
            lon: 8.62,
        };
        let d = paderborn.distance_m(ffeld);
        assert!((9_000.0..12_000.0).contains(&d), "{d}");
    }

    #[test]
    fn due_dates_may_be_days() {
        let d = parse_instant_or_date("2025-10-20").unwrap();
        assert_eq!(d.to_rfc3339(), "2025-10-20T23:59:59+00:00");
        assert!(parse_instant_or_date("20.10.2025").is_err());
    }
}
