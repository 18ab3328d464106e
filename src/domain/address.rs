//! Postal addresses as the shop and the carrier give them.

use serde::Serialize;

use super::fields::{FieldError, Obj};

/// A delivery address. `country` is an ISO 3166 alpha-2 code; German postcodes are five
/// digits, others are checked loosely.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Address {
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
}

impl Address {
    pub fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        o.deny_unknown(&["name", "street", "postcode", "city", "country"])?;
        let country = o
            .opt_str("country")?
            .unwrap_or("DE")
            .trim()
            .to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(o.err("country", "expected a two-letter country code such as DE"));
        }
        let postcode = o.req_parse("postcode", |s| check_postcode(s, &country))?;
        Ok(Self {
            name: o.req_text("name", 200)?,
            street: o.req_text("street", 200)?,
            postcode,
            city: o.req_text("city", 100)?,
            country,
        })
    }

    /// One line for display: `Beispielweg 7, 33100 Paderborn`.
    pub fn one_line(&self) -> String {
        format!("{}, {} {}", self.street, self.postcode, self.city)
    }
}

/// Normalizes a postcode for a country: German ones must be five digits.
pub fn check_postcode(s: &str, country: &str) -> Result<String, String> {
    let t = s.trim().to_ascii_uppercase();
    let ok = if country == "DE" {
        t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit())
    } else {
        (3..=10).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
    };
    if ok {
        Ok(t)
    } else if country == "DE" {
        Err(format!(
            "expected a German postcode of five digits, got {}",
            super::fields::shown(s)
        ))
    } else {
        Err(format!("not a postcode: {}", super::fields::shown(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn german_postcodes_have_five_digits() {
        let v = json!({"name":"Muster GmbH","street":"Beispielweg 7","postcode":"3310","city":"Paderborn","country":"DE"});
        let e = Address::from_obj(&Obj::new(&v, "shipping_address").unwrap()).unwrap_err();
        assert_eq!(e.field, "shipping_address.postcode");
        let v = json!({"name":"A","street":"1 High St","postcode":"SW1A 1AA","city":"London","country":"gb"});
        let a = Address::from_obj(&Obj::new(&v, "").unwrap()).unwrap();
        assert_eq!(a.country, "GB");
        assert_eq!(a.one_line(), "1 High St, SW1A 1AA London");
    }
}
