//! Rate limits for the public chat API: per client address and per chat session.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;

/// Keyed limiters; state is in memory (per process).
pub struct Limits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_session: DefaultKeyedRateLimiter<String>,
}

impl Limits {
    /// `per_ip` and `per_session` are requests per minute (bursts up to the same number).
    pub fn new(per_ip: u32, per_session: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Limits {
            per_ip: RateLimiter::keyed(quota(per_ip)),
            per_session: RateLimiter::keyed(quota(per_session)),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.per_ip.check_key(&ip).map_err(|_| {
            ApiError::TooManyRequests("too many requests from this address; wait a moment".into())
        })
    }

    pub fn check_session(&self, id: &str) -> Result<(), ApiError> {
        self.per_session.check_key(&id.to_string()).map_err(|_| {
            ApiError::TooManyRequests("too many messages in this chat; wait a moment".into())
        })
    }

    /// Drops the state of keys that are idle again (called periodically).
    pub fn prune(&self) {
        self.per_ip.retain_recent();
        self.per_session.retain_recent();
    }
}
