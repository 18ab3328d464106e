//! API tests: one binary, the app on port 0, a fresh database per test.

mod helpers;
mod ingest;
mod ops;
