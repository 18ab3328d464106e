//! The contradiction codes of docs/ingestion.md, as the demo data realize them.

pub const DELIVERED_BUT_DRIVER_REPORTS_FAILURE: &str = "delivered_but_driver_reports_failure";
pub const DELIVERY_LOCATION_MISMATCH: &str = "delivery_location_mismatch";
pub const DRIVER_DELIVERED_WITHOUT_SCAN: &str = "driver_delivered_without_scan";
pub const CUSTOMER_DISPUTES_DELIVERY: &str = "customer_disputes_delivery";
pub const SHIPPED_AFTER_CANCELLATION: &str = "shipped_after_cancellation";
pub const REFUNDED_AND_DELIVERED: &str = "refunded_and_delivered";
pub const PROMISE_OVERDUE: &str = "promise_overdue";
pub const CUSTOMER_TOLD_OTHERWISE: &str = "customer_told_otherwise";
pub const STALE_TRACKING: &str = "stale_tracking";

/// Every code of the table in docs/ingestion.md.
pub const ALL: &[&str] = &[
    DELIVERED_BUT_DRIVER_REPORTS_FAILURE,
    DELIVERY_LOCATION_MISMATCH,
    DRIVER_DELIVERED_WITHOUT_SCAN,
    CUSTOMER_DISPUTES_DELIVERY,
    SHIPPED_AFTER_CANCELLATION,
    REFUNDED_AND_DELIVERED,
    PROMISE_OVERDUE,
    CUSTOMER_TOLD_OTHERWISE,
    STALE_TRACKING,
];
