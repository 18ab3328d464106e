//! Pure types of the truth store: ids, money, addresses, records and events, and the
//! parsing that turns ingested JSON into them. No I/O, no clock reads.
//!
//! Parsing is hand-written over `serde_json::Value` so that every rejection names the
//! field and says what was expected (`occurred_at: expected RFC 3339 with offset, got
//! '11.09.2025'`). Serialization is derived and yields the ingestion format again, so a
//! parsed item serializes back to an equivalent line of NDJSON.

pub mod address;
pub mod contact;
pub mod event;
pub mod fields;
pub mod ids;
pub mod item;
pub mod locale;
pub mod lockout;
pub mod money;
pub mod record;

pub use address::Address;
pub use contact::{Contact, ContactRole};
pub use event::{
    CustomerClaim, CustomerReport, DriverOutcome, DriverReport, Event, EventBody, GeoPoint,
    HandedTo, NotificationClaim, NotificationSent, OrderEvent, OrderEventKind, ScanDetail,
    ScanStatus, TrackingScan,
};
pub use fields::FieldError;
pub use ids::{CustomerId, EventId, OrderNumber, Sku, TrackingNumber};
pub use item::Item;
pub use locale::Locale;
pub use money::{Currency, Money};
pub use record::{Carrier, Customer, Order, OrderLine, Salutation, Shipment, ShipmentKind};
