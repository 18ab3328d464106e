//! Signed links in notices: the order page (`/o/{token}`, per person and order, expiring)
//! and the one-click unsubscribe (`/notices/unsubscribe/{token}`, per person). A token
//! is its payload in hex, a dot, and the HMAC-SHA256 of the payload with the server's
//! link secret (`VERITY_LINK_SECRET`). Pure: `now` is a parameter.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs and checks link tokens.
#[derive(Clone)]
pub struct Links {
    secret: Vec<u8>,
    /// `VERITY_PUBLIC_URL` without a trailing slash (`https://support.shop.example`).
    pub base_url: String,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// What an order page token grants: one person, one order, until a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderGrant {
    pub order_number: String,
    pub person: String,
    pub expires_ms: i64,
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token, or its signature does not match (tampered with).
    Invalid,
    /// Signed, but past its expiry.
    Expired,
}

impl Links {
    pub fn new(secret: &[u8], base_url: &str) -> Self {
        Self {
            secret: secret.to_vec(),
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    fn mac(&self, payload: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).ok()?;
        mac.update(payload);
        Some(mac)
    }

    fn sign(&self, payload: &str) -> String {
        let sig = self
            .mac(payload.as_bytes())
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{}.{sig}", hex::encode(payload))
    }

    fn open(&self, token: &str) -> Result<String, LinkError> {
        let (payload, sig) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let payload = hex::decode(payload).map_err(|_| LinkError::Invalid)?;
        let sig = hex::decode(sig).map_err(|_| LinkError::Invalid)?;
        self.mac(&payload)
            .ok_or(LinkError::Invalid)?
            .verify_slice(&sig)
            .map_err(|_| LinkError::Invalid)?;
        String::from_utf8(payload).map_err(|_| LinkError::Invalid)
    }

    /// The order page token for a person and order.
    pub fn order_token(&self, grant: &OrderGrant) -> String {
        self.sign(&format!(
            "o\n{}\n{}\n{}",
            grant.order_number, grant.person, grant.expires_ms
        ))
    }

    /// The order page's address.
    pub fn order_url(&self, grant: &OrderGrant) -> String {
        format!("{}/o/{}", self.base_url, self.order_token(grant))
    }

    /// Checks an order page token at `now_ms`.
    pub fn check_order(&self, token: &str, now_ms: i64) -> Result<OrderGrant, LinkError> {
        let payload = self.open(token)?;
        let mut parts = payload.split('\n');
        let (Some("o"), Some(order), Some(person), Some(exp), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(LinkError::Invalid);
        };
        let expires_ms: i64 = exp.parse().map_err(|_| LinkError::Invalid)?;
        if now_ms >= expires_ms {
            return Err(LinkError::Expired);
        }
        Ok(OrderGrant {
            order_number: order.to_string(),
            person: person.to_string(),
            expires_ms,
        })
    }

    /// The unsubscribe address for a person (no expiry: an old email still works).
    pub fn unsubscribe_url(&self, person: &str) -> String {
        format!(
            "{}/notices/unsubscribe/{}",
            self.base_url,
            self.sign(&format!("u\n{person}"))
        )
    }

    /// The person an unsubscribe token is for.
    pub fn check_unsubscribe(&self, token: &str) -> Result<String, LinkError> {
        let payload = self.open(token)?;
        match payload.split_once('\n') {
            Some(("u", person)) if !person.is_empty() => Ok(person.to_string()),
            _ => Err(LinkError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_ms: i64) -> OrderGrant {
        OrderGrant {
            order_number: "SO-1001".into(),
            person: "C-1".into(),
            expires_ms,
        }
    }

    #[test]
    fn an_order_token_opens_until_it_expires() {
        let l = Links::new(b"secret", "https://support.example/");
        let t = l.order_token(&grant(1_000));
        assert_eq!(l.check_order(&t, 999), Ok(grant(1_000)));
        assert_eq!(l.check_order(&t, 1_000), Err(LinkError::Expired));
        assert!(
            l.order_url(&grant(1))
                .starts_with("https://support.example/o/")
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_invalid() {
        let l = Links::new(b"secret", "");
        let t = l.order_token(&grant(1_000));
        let forged = l.order_token(&grant(9_000));
        let (_, sig) = t.split_once('.').unwrap();
        let (payload, _) = forged.split_once('.').unwrap();
        assert_eq!(
            l.check_order(&format!("{payload}.{sig}"), 0),
            Err(LinkError::Invalid)
        );
        let other = Links::new(b"other", "");
        assert_eq!(other.check_order(&t, 0), Err(LinkError::Invalid));
        assert_eq!(l.check_order("nonsense", 0), Err(LinkError::Invalid));
        // An unsubscribe token is no order token, and the other way round.
        let u = l.unsubscribe_url("C-1");
        let u = u.rsplit('/').next().unwrap();
        assert_eq!(l.check_unsubscribe(u), Ok("C-1".into()));
        assert_eq!(l.check_order(u, 0), Err(LinkError::Invalid));
        assert_eq!(l.check_unsubscribe(&t), Err(LinkError::Invalid));
    }
}
