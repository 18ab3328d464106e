//! The staff console's logic, between the HTTP handlers (`http::console`) and the store:
//! accounts and sessions, the actions staff take, channel delivery of what they write,
//! the data each page shows, and the page templates.

pub mod accounts;
pub mod actions;
pub mod delivery;
pub mod live;
pub mod notice_holds;
pub mod notices;
pub mod problem;
pub mod saved_replies;
pub mod templates;
pub mod views;
