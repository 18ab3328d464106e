//! The clock: the system's, or a fixed instant for tests and evals. Pure code never
//! reads the time; it is handed `now`.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}
