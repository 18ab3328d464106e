//! The eval suite runner (`verity eval`): scenario files in the format of docs/evals.md,
//! each run against a fresh store (in memory, a SQLite file or a PostgreSQL database) at
//! its fixed clock, through the real server and channel path, checked turn by turn from
//! what the customer received ([`received`]), and reported; optionally again with the
//! customer texts perturbed ([`perturb`]).
//!
//! [`scenario`] (the file format), [`expect`] (the checks) and [`report`] are pure;
//! [`runner`] and [`channel`] start the server and talk to it.

pub mod channel;
pub mod expect;
pub mod notice;
pub mod perturb;
pub mod received;
pub mod report;
pub mod runner;
pub mod scenario;

pub use runner::{Database, Engine, Options, Status, SuiteResult, run_suite};
pub use scenario::{Scenario, load};

/// Loads the scenarios under `paths` and runs them.
pub async fn run_paths(
    paths: &[std::path::PathBuf],
    opts: &Options,
) -> anyhow::Result<SuiteResult> {
    let scenarios = load(paths)?;
    run_suite(&scenarios, opts).await
}
