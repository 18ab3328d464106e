//! API tests: one binary, the app on port 0, a fresh database per test.
#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod browser;
mod chat;
mod console;
mod contacts;
mod contract;
mod crash;
mod grounded;
mod helpers;
mod identity;
mod ingest;
mod live;
mod llm;
mod notes;
mod notice_batches;
mod notice_channels;
mod notice_stories;
mod notices;
mod ops;
mod replies;
mod smtp;
mod status;
mod store;
mod tools;
mod web;
mod webhooks;
