//! The verification lockout policy: how many failures lock a key, for how long, and
//! how a key is spelled. Pure: the store counts, this decides.

/// What a failed verification is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The order number that was given (whether or not it exists).
    Order,
    /// The email address that was given.
    Email,
    /// The client: its address on the web, the sender on WhatsApp and Messenger.
    Client,
}

/// Failures before a target (an order number, an email) or a conversation locks: the
/// promise of docs/security.md, five failures lock verification for 30 minutes.
pub const MAX_FAILURES: i64 = 5;
/// Failures from one client address before it locks (higher: several customers may
/// share an address behind a NAT).
pub const MAX_CLIENT_FAILURES: i64 = 10;
/// The first lock; each further lock of the same key lasts twice as long.
pub const FIRST_LOCK_MINUTES: i64 = 30;
/// The longest lock.
pub const MAX_LOCK_MINUTES: i64 = 24 * 60;
/// Handoffs to staff one client may open in an hour without being verified (the case
/// queue is not for anyone to fill).
pub const MAX_ANONYMOUS_HANDOFFS: i64 = 3;
/// The window of [`MAX_ANONYMOUS_HANDOFFS`].
pub const HANDOFF_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Failures older than this are forgotten (the count starts over).
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// Lockouts older than this are forgotten (the next lock is a first one again).
pub const LOCKOUT_MEMORY_MS: i64 = 7 * 24 * 60 * 60 * 1000;

impl KeyKind {
    /// How many counted failures lock a key of this kind.
    pub fn max_failures(self) -> i64 {
        match self {
            KeyKind::Order | KeyKind::Email => MAX_FAILURES,
            KeyKind::Client => MAX_CLIENT_FAILURES,
        }
    }
}

/// How long the next lock lasts after `lockouts` earlier ones: 30, 60, 120 … minutes,
/// at most a day.
pub fn lock_minutes(lockouts: i64) -> i64 {
    let doubled = 1i64 << lockouts.clamp(0, 16);
    FIRST_LOCK_MINUTES
        .saturating_mul(doubled)
        .min(MAX_LOCK_MINUTES)
}

/// Whole minutes left until `until_ms`, rounded up.
pub fn minutes_left(until_ms: i64, now_ms: i64) -> i64 {
    (until_ms.saturating_sub(now_ms) + 59_999) / 60_000
}

/// The stored key of an order number as given: upper-cased, without spaces, at most 64
/// characters (an unknown number is counted like a known one).
pub fn order_key(given: &str) -> String {
    let n: String = given
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .take(64)
        .collect();
    format!("order:{n}")
}

/// The stored key of an email address as given: trimmed, lower-cased, at most 254
/// characters.
pub fn email_key(given: &str) -> String {
    let e: String = given.trim().to_lowercase().chars().take(254).collect();
    format!("email:{e}")
}

/// The stored key of a client (an IP address, or `channel:sender`).
pub fn client_key(client: &str) -> String {
    let c: String = client.chars().take(200).collect();
    format!("client:{c}")
}

/// The stored key counting a client's handoffs without verification.
pub fn handoff_key(client: &str) -> String {
    let c: String = client.chars().take(200).collect();
    format!("handoff:{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_lock_lasts_thirty_minutes_and_each_next_one_twice_as_long() {
        assert_eq!(lock_minutes(0), 30);
        assert_eq!(lock_minutes(1), 60);
        assert_eq!(lock_minutes(2), 120);
        assert_eq!(lock_minutes(10), MAX_LOCK_MINUTES);
        assert_eq!(lock_minutes(i64::MAX), MAX_LOCK_MINUTES);
    }

    #[test]
    fn keys_are_normalized() {
        assert_eq!(order_key(" a-100 234 "), "order:A-100234");
        assert_eq!(
            email_key(" Malte.Eickhoff@Example.NET "),
            "email:malte.eickhoff@example.net"
        );
        assert_eq!(minutes_left(60_001, 0), 2);
        assert_eq!(minutes_left(0, 10), 0);
    }
}
