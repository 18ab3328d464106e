//! Verity: a support chat server that only says what the truth store says.
//!
//! The layers, from the inside out: [`domain`] (pure types and parsing), [`truth`]
//! (pure reconciliation), [`store`] (the only SQL), [`ingest`] (validation and
//! idempotent appends), [`http`] (the only axum). Beside them, [`demo`]: the
//! deterministic demo data set (pure, like `domain`), and [`eval`]: the scenario runner.

pub mod assistant;
pub mod channels;
pub mod clock;
pub mod config;
pub mod console;
pub mod demo;
pub mod domain;
pub mod eval;
pub mod http;
pub mod ingest;
pub mod lookup;
pub mod notices;
pub mod prompts;
pub mod store;
pub mod truth;
