//! Money as integer cents with an ISO 4217 currency code. Never floats.

use serde::{Serialize, Serializer};
use std::fmt;

use super::fields::shown;
use super::locale::Locale;

/// An amount in the smallest unit (cents). Serialized as a decimal string, `"89.90"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub fn cents(self) -> i64 {
        self.0
    }

    /// The largest amount accepted anywhere (ten million in the currency's unit): no
    /// order, line or refund of a shop comes near it, and sums of such amounts stay far
    /// from overflowing.
    pub const MAX_CENTS: i64 = 1_000_000_000;

    /// Parses `"89.90"`, `"89.9"`, `"89"` (a dot as the decimal separator, at most two
    /// decimals, no thousands separators). Negative amounts and amounts above
    /// [`Self::MAX_CENTS`] are refused.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad = || {
            format!(
                "expected an amount like \"89.90\" (dot as decimal separator, at most 2 decimals), got {}",
                shown(s)
            )
        };
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty()
            || whole.len() > 12
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (t.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let w: i64 = whole.parse().map_err(|_| bad())?;
        let f: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let cents = w
            .checked_mul(100)
            .and_then(|c| c.checked_add(f))
            .filter(|c| *c <= Self::MAX_CENTS)
            .ok_or_else(|| {
                format!(
                    "the amount {} is larger than the largest accepted, 10000000.00",
                    shown(s)
                )
            })?;
        Ok(Self(cents))
    }

    /// Parses a JSON string or number (numbers are read by their decimal text, so
    /// `89.9` is 8990 cents and never a float rounding error).
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        match v {
            serde_json::Value::String(s) => Self::parse(s),
            serde_json::Value::Number(n) => Self::parse(&n.to_string()),
            _ => Err("expected an amount as a string like \"89.90\"".to_string()),
        }
    }

    /// Formats for a customer: `89,90 €` (de) or `€89.90` (en); other currencies by code.
    pub fn localized(self, currency: &Currency, locale: Locale) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 100, abs % 100);
        let euro = currency.as_str() == "EUR";
        match locale {
            Locale::De => {
                let sym = if euro { "€" } else { currency.as_str() };
                format!("{sign}{},{frac:02} {sym}", group(whole, '.'))
            }
            Locale::En => {
                if euro {
                    format!("{sign}€{}.{frac:02}", group(whole, ','))
                } else {
                    format!(
                        "{sign}{} {}.{frac:02}",
                        currency.as_str(),
                        group(whole, ',')
                    )
                }
            }
        }
    }
}

fn group(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An ISO 4217 code, upper case (`EUR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        if t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(t))
        } else {
            Err(format!(
                "expected a three-letter ISO 4217 currency code such as EUR, got {}",
                shown(s)
            ))
        }
    }
    pub fn eur() -> Self {
        Self("EUR".to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_cents() {
        assert_eq!(Money::parse("89.90").unwrap().cents(), 8990);
        assert_eq!(Money::parse("89.9").unwrap().cents(), 8990);
        assert_eq!(Money::parse("89").unwrap().cents(), 8900);
        assert_eq!(Money::parse("0.05").unwrap().cents(), 5);
        for bad in ["89,90", "-1", "1.234", "", "1.", ".5", "1e3", "12 000"] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Money::from_json(&serde_json::json!(19.9)).unwrap().cents(),
            1990
        );
    }

    #[test]
    fn amounts_are_localized() {
        let eur = Currency::eur();
        assert_eq!(Money(898990).localized(&eur, Locale::De), "8.989,90 €");
        assert_eq!(Money(898990).localized(&eur, Locale::En), "€8,989.90");
        assert_eq!(Money(5).to_string(), "0.05");
        let chf = Currency::parse("chf").unwrap();
        assert_eq!(Money(1000).localized(&chf, Locale::En), "CHF 10.00");
    }
}
