//! Identifiers: customer ids, order numbers, tracking numbers, event ids and SKUs.
//! Each is a trimmed, bounded string of a safe alphabet, so ids can be shown, logged
//! and put into URLs without escaping surprises.

use serde::Serialize;
use std::fmt;

use super::fields::shown;

fn check_plain_id(s: &str, what: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("empty {what}"));
    }
    if t.chars().count() > 64 {
        return Err(format!("{what} longer than 64 characters"));
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/')))
    {
        return Err(format!(
            "{what} {} contains {c:?}; allowed are letters, digits and - _ . : /",
            shown(t)
        ));
    }
    Ok(t.to_string())
}

macro_rules! plain_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses and normalizes (trims) the id, or says what is wrong with it.
            pub fn parse(s: &str) -> Result<Self, String> {
                check_plain_id(s, $what).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

plain_id!(
    /// A shop's customer id, e.g. `C-1001`.
    CustomerId,
    "customer id"
);
plain_id!(
    /// An order number, e.g. `A-100234`. Matched case-insensitively by [`OrderNumber::parse`]
    /// callers that read what a customer typed; stored as given.
    OrderNumber,
    "order number"
);
plain_id!(
    /// The id of an event, unique per source system, e.g. `dhl-88121`.
    EventId,
    "event id"
);
plain_id!(
    /// A stock keeping unit, e.g. `SHIRT-M`.
    Sku,
    "SKU"
);

/// A carrier's tracking number, normalized to upper case without spaces
/// (`00340434161234567890`, `1Z999AA10123456784`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TrackingNumber(String);

impl TrackingNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if t.len() < 8 || t.len() > 40 {
            return Err(format!(
                "tracking number {} must have 8 to 40 letters or digits",
                shown(s)
            ));
        }
        if !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "tracking number {} may contain only letters and digits",
                shown(s)
            ));
        }
        Ok(Self(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_and_checked() {
        assert_eq!(CustomerId::parse(" C-1001 ").unwrap().as_str(), "C-1001");
        assert!(OrderNumber::parse("").is_err());
        let e = EventId::parse("a b").unwrap_err();
        assert!(e.contains("' '"), "{e}");
        assert!(Sku::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn tracking_numbers_drop_spaces_and_upper_case() {
        let t = TrackingNumber::parse("1z 999 aa1 0123456784").unwrap();
        assert_eq!(t.as_str(), "1Z999AA10123456784");
        assert!(TrackingNumber::parse("123").is_err());
        assert!(TrackingNumber::parse("0034-0434-1612").is_err());
    }
}
