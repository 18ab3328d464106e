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

/// The client's address: the peer's, or, when the peer is a trusted proxy, the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy (the hops right
/// of it were added by proxies we trust; anything left of it the client could write).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim)
    {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Not an address: the last one we could trust stands.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// The client's address as [`client_ip`] finds it, for handlers.
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<super::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_ip(
            peer,
            &forwarded,
            &app.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<ipnet::IpNet> {
        s.iter()
            .map(|n| crate::config::parse_trusted_proxy(n).unwrap())
            .collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_forwarded_address_counts_only_from_a_trusted_proxy() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // The right-most untrusted hop: what the client wrote on the left is ignored.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &["1.2.3.4, 198.51.100.1, 10.0.0.7"],
                &trusted
            ),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["1.2.3.4", "198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["garbage"], &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["198.51.100.1"], &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_is_a_cidr_or_an_address() {
        assert!(crate::config::parse_trusted_proxy("10.0.0.0/8").is_ok());
        assert!(crate::config::parse_trusted_proxy(" 127.0.0.1 ").is_ok());
        assert!(crate::config::parse_trusted_proxy("fd00::/8").is_ok());
        let e = crate::config::parse_trusted_proxy("10.0.0.0/33").unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
        assert!(crate::config::parse_trusted_proxy("proxy.local").is_err());
    }
}
