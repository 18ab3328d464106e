//! The one truth: pure reconciliation of events into shipment and order views, the
//! contradictions between sources, the remedy policy and the localized summaries.
//! No I/O, no clock reads (`now` is a parameter), no environment.
//!
//! The store layer loads a shipment (or order), its order and its events, and calls
//! [`reconcile_shipment`] / [`reconcile_order`]; with the order's cases at hand it
//! refines the offered remedies with `with_remedy_context`; [`summary()`] renders the sentence every channel shows.

pub mod format;
pub mod notices;
pub mod policy;
pub mod reconcile;
pub mod remedy;
pub mod summary;
pub mod view;

pub use policy::{BusinessHours, OpeningHours, Policy};
pub use reconcile::{OrderState, reconcile_order, reconcile_shipment};
pub use remedy::{
    CaseStatus, Eligibility, ExistingCase, Localized, Remedy, RemedyContext, Slot, Subject,
    callback_slots, eligibility,
};
pub use summary::{Summarize, summary};
pub use view::{
    Contradiction, ContradictionCode, DeliveryDetails, DeliveryPlace, Fact, NextStep, OrderView,
    ShipmentStatus, ShipmentView, Source, TimelineEntry,
};
#[cfg(test)]
mod tests;
