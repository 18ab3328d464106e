//! The grounding check: every reply of the bot, from the template engine or an LLM, is
//! checked before it is sent. Each tracking or order number, date, time, amount,
//! postcode, address and delivery status it states must be supported by the tool
//! results of the conversation (or, for numbers, typed by the customer); a delivery
//! status stated as fact while a contradiction is open is unsupported, a status
//! attributed to its source ("laut Fahrer …", "the scan says \"delivered\"") is fine
//! when that source said it. Pure: no I/O, no clock.
//!
//! ```
//! use verity::assistant::grounding::{Evidence, check};
//! use verity::domain::Locale;
//!
//! let mut evidence = Evidence::new(chrono_tz::Europe::Berlin);
//! evidence.add_tool_result(&serde_json::json!({
//!     "tracking_number": "00340434161234567890", "status": "delivered",
//!     "in_dispute": false, "last_scan_at": "2025-09-11T04:48:00Z"
//! }));
//! let ok = check("Ihr Paket wurde am 11.09.2025 um 06:48 Uhr zugestellt.", &evidence, Locale::De);
//! assert!(ok.passed);
//! let invented = check("Ihr Paket wurde am 12.09.2025 zugestellt.", &evidence, Locale::De);
//! assert!(!invented.passed);
//! ```
//!
//! What it cannot see: relative days ("heute", "tomorrow"), durations and counts ("in
//! 24 Stunden", "2–3 Werktage" are not claims), names, e-mail addresses and phone
//! numbers (the evals check those), streets without a postcode, statuses worded in ways
//! the phrase list does not know, and whether a supported value is used for the right
//! thing (a date on file stated for another event).

mod check;
mod claims;
mod evidence;
mod stated;
mod support;

pub use check::{Claim, ClaimKind, Verdict, check};
pub use evidence::Evidence;
pub use stated::Stated;
pub use support::Support;

#[cfg(test)]
mod tests;
