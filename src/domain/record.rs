//! Records the truth store keeps as upserts: customers, orders (with lines) and
//! shipments.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::address::Address;
use super::contact::{Contact, parse_contacts};
use super::fields::{FieldError, Obj, one_of, shown};
use super::ids::{CustomerId, OrderNumber, Sku, TrackingNumber};
use super::locale::Locale;
use super::money::{Currency, Money};

/// A shop's customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub locale: Locale,
    /// How to address the customer ("Frau Olbrich"); unset: by the full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salutation: Option<Salutation>,
}

/// A form of address: `ms` (Frau, Ms) or `mr` (Herr, Mr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Salutation {
    Ms,
    Mr,
}

impl Salutation {
    const ALL: &'static [(&'static str, Salutation)] = &[("ms", Self::Ms), ("mr", Self::Mr)];

    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(s.trim(), Self::ALL)
    }

    /// The snake_case name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ms => "ms",
            Self::Mr => "mr",
        }
    }
}

impl Customer {
    pub const FIELDS: &'static [&'static str] = &[
        "type",
        "id",
        "name",
        "email",
        "phone",
        "locale",
        "salutation",
    ];

    /// The family name for a salutation ("Frau Olbrich", "Herr von der Heide"): from the
    /// first lower-case particle on, else the last word.
    pub fn family_name(&self) -> String {
        let words: Vec<&str> = self.name.split_whitespace().collect();
        let from = (1..words.len())
            .find(|&i| words[i].starts_with(char::is_lowercase))
            .unwrap_or(words.len().saturating_sub(1));
        words[from..].join(" ")
    }

    pub fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        o.deny_unknown(Self::FIELDS)?;
        Ok(Self {
            id: o.req_parse("id", CustomerId::parse)?,
            name: o.req_text("name", 200)?,
            email: o.opt_parse("email", parse_email)?,
            phone: o.opt_parse("phone", parse_phone)?,
            locale: o.opt_parse("locale", Locale::parse)?.unwrap_or_default(),
            salutation: o.opt_parse("salutation", Salutation::parse)?,
        })
    }
}

/// Checks an email address loosely (one `@`, a dot in the domain, no spaces) and
/// lower-cases it, since it is used for matching.
pub fn parse_email(s: &str) -> Result<String, String> {
    let t = s.trim().to_lowercase();
    let ok = t.len() <= 254
        && !t.contains(char::is_whitespace)
        && matches!(t.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
               && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(t)
    } else {
        Err(format!("not an email address: {}", shown(s)))
    }
}

/// Normalizes a phone number to E.164 (`+4915112345678`); spaces, dashes, dots and
/// parentheses are dropped. National numbers without a country code are refused,
/// since WhatsApp identifies people by the full number.
pub fn parse_phone(s: &str) -> Result<String, String> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
        .collect();
    let digits = t.strip_prefix('+').unwrap_or("");
    if (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(t)
    } else {
        Err(format!(
            "expected an international number starting with + and the country code, e.g. +4915112345678, got {}",
            shown(s)
        ))
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub sku: Sku,
    pub name: String,
    pub qty: u32,
    pub unit_price: Money,
}

impl OrderLine {
    /// The largest quantity of one line.
    pub const MAX_QTY: u32 = 10_000;
}

/// An order as the shop system knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Order {
    pub number: OrderNumber,
    pub customer_id: CustomerId,
    pub placed_at: DateTime<FixedOffset>,
    pub currency: Currency,
    pub total: Money,
    pub shipping_address: Address,
    pub lines: Vec<OrderLine>,
    /// The people the order affects besides its customer. `None`: the record did not
    /// name them (an upsert then keeps the stored ones; a read of the order does not
    /// load them, see `store::contacts`); `Some(vec![])` removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<Contact>>,
}

impl Order {
    pub const FIELDS: &'static [&'static str] = &[
        "type",
        "number",
        "customer_id",
        "placed_at",
        "currency",
        "total",
        "shipping_address",
        "lines",
        "contacts",
    ];

    pub fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        o.deny_unknown(Self::FIELDS)?;
        let total = match o.get("total") {
            None => return Err(o.err("total", "missing (required)")),
            Some(v) => Money::from_json(v).map_err(|r| o.err("total", r))?,
        };
        let address = o
            .opt_obj("shipping_address")?
            .ok_or_else(|| o.err("shipping_address", "missing (required)"))?;
        let mut lines = Vec::new();
        for (i, v) in o.arr("lines")?.iter().enumerate() {
            let lo = Obj::new(v, &format!("lines[{i}]"))?;
            lo.deny_unknown(&["sku", "name", "qty", "unit_price"])?;
            let unit_price = match lo.get("unit_price") {
                None => return Err(lo.err("unit_price", "missing (required)")),
                Some(v) => Money::from_json(v).map_err(|r| lo.err("unit_price", r))?,
            };
            let qty = lo.opt_u32("qty")?.unwrap_or(1);
            if qty == 0 {
                return Err(lo.err("qty", "must be at least 1"));
            }
            if qty > OrderLine::MAX_QTY {
                return Err(lo.err(
                    "qty",
                    format!("at most {} per line, got {qty}", OrderLine::MAX_QTY),
                ));
            }
            lines.push(OrderLine {
                sku: lo.req_parse("sku", Sku::parse)?,
                name: lo.req_text("name", 200)?,
                qty,
                unit_price,
            });
        }
        if lines.is_empty() {
            return Err(o.err("lines", "an order needs at least one line"));
        }
        if lines.len() > Self::MAX_LINES {
            return Err(o.err(
                "lines",
                format!("at most {} lines per order", Self::MAX_LINES),
            ));
        }
        Ok(Self {
            number: o.req_parse("number", OrderNumber::parse)?,
            customer_id: o.req_parse("customer_id", CustomerId::parse)?,
            placed_at: o.req_parse("placed_at", parse_instant)?,
            currency: o
                .opt_parse("currency", Currency::parse)?
                .unwrap_or_else(Currency::eur),
            total,
            shipping_address: Address::from_obj(&address)?,
            lines,
            contacts: parse_contacts(o)?,
        })
    }

    /// Lines an order may have.
    pub const MAX_LINES: usize = 1_000;

    /// The order value of the given SKUs (all lines when `skus` is empty). Bounded
    /// amounts and quantities keep it far from overflowing; should it ever, it stays at
    /// the largest value rather than wrapping round to a negative one.
    pub fn value_of(&self, skus: &[Sku]) -> Money {
        Money(
            self.lines
                .iter()
                .filter(|l| skus.is_empty() || skus.contains(&l.sku))
                .map(|l| l.unit_price.cents().saturating_mul(i64::from(l.qty)))
                .fold(0i64, i64::saturating_add),
        )
    }
}

/// Parses an instant: RFC 3339 with an explicit offset (`2025-09-11T06:48:00+02:00`).
pub fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    let t = DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| format!("expected RFC 3339 with offset, got {}", shown(s)))?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&t)) {
        return Err(format!(
            "expected a time between the years 2000 and 2100, got {}",
            shown(s)
        ));
    }
    Ok(t)
}

/// The carriers Verity knows; their tracking numbers and status words differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Carrier {
    Dhl,
    Dpd,
    Hermes,
    Gls,
    Ups,
    Fedex,
    Other,
}

impl Carrier {
    pub const ALL: &'static [(&'static str, Carrier)] = &[
        ("dhl", Carrier::Dhl),
        ("dpd", Carrier::Dpd),
        ("hermes", Carrier::Hermes),
        ("gls", Carrier::Gls),
        ("ups", Carrier::Ups),
        ("fedex", Carrier::Fedex),
        ("other", Carrier::Other),
    ];
    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(&s.trim().to_ascii_lowercase(), Self::ALL)
    }
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or("other")
    }
    /// The name customers know.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Dhl => "DHL",
            Self::Dpd => "DPD",
            Self::Hermes => "Hermes",
            Self::Gls => "GLS",
            Self::Ups => "UPS",
            Self::Fedex => "FedEx",
            Self::Other => "Paketdienst",
        }
    }

    /// The carrier's public tracking page for `tracking` (opened by the customer, so it
    /// is the carrier's own site); `None` for a carrier Verity does not know.
    pub fn tracking_url(self, tracking: &str) -> Option<String> {
        let n: String = tracking
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if n.is_empty() {
            return None;
        }
        Some(match self {
            Self::Dhl => format!(
                "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}"
            ),
            Self::Dpd => format!("https://tracking.dpd.de/status/de_DE/parcel/{n}"),
            Self::Hermes => format!(
                "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#{n}"
            ),
            Self::Gls => format!("https://gls-group.com/DE/de/paketverfolgung?match={n}"),
            Self::Ups => format!("https://www.ups.com/track?tracknum={n}"),
            Self::Fedex => format!("https://www.fedex.com/fedextrack/?trknbr={n}"),
            Self::Other => return None,
        })
    }
}

/// Why a shipment exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentKind {
    Original,
    Replacement,
    Return,
}

impl ShipmentKind {
    pub const ALL: &'static [(&'static str, ShipmentKind)] = &[
        ("original", ShipmentKind::Original),
        ("replacement", ShipmentKind::Replacement),
        ("return", ShipmentKind::Return),
    ];
    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(s, Self::ALL)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Replacement => "replacement",
            Self::Return => "return",
        }
    }
}

/// A parcel on its way (or back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shipment {
    pub tracking_number: TrackingNumber,
    pub carrier: Carrier,
    pub order_number: OrderNumber,
    pub kind: ShipmentKind,
    pub skus: Vec<Sku>,
    /// Set when the parcel goes elsewhere than the order's shipping address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl Shipment {
    pub const FIELDS: &'static [&'static str] = &[
        "type",
        "tracking_number",
        "carrier",
        "order_number",
        "kind",
        "skus",
        "address",
    ];

    pub fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        o.deny_unknown(Self::FIELDS)?;
        Ok(Self {
            tracking_number: o.req_parse("tracking_number", TrackingNumber::parse)?,
            carrier: o.req_parse("carrier", Carrier::parse)?,
            order_number: o.req_parse("order_number", OrderNumber::parse)?,
            kind: o
                .opt_parse("kind", ShipmentKind::parse)?
                .unwrap_or(ShipmentKind::Original),
            skus: o.str_list("skus", Sku::parse)?,
            address: match o.opt_obj("address")? {
                Some(a) => Some(Address::from_obj(&a)?),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salutation_is_ms_or_mr_and_addresses_the_family_name() {
        assert_eq!(Salutation::parse(" mr ").unwrap(), Salutation::Mr);
        let e = Salutation::parse("Frau").unwrap_err();
        assert!(e.contains("allowed: ms, mr"), "{e}");
        let named = |name: &str| Customer {
            id: CustomerId::parse("C-1").unwrap(),
            name: name.to_string(),
            email: None,
            phone: None,
            locale: Locale::De,
            salutation: Some(Salutation::Ms),
        };
        assert_eq!(named("Katrin Olbrich").family_name(), "Olbrich");
        assert_eq!(named("Anna von der Heide").family_name(), "von der Heide");
        assert_eq!(named("Madonna").family_name(), "Madonna");
    }

    #[test]
    fn phones_normalize_to_e164() {
        assert_eq!(parse_phone("+49 151 1234-5678").unwrap(), "+4915112345678");
        assert!(parse_phone("0151 12345678").is_err());
        assert!(parse_phone("+49").is_err());
    }

    #[test]
    fn emails_are_lower_cased() {
        assert_eq!(
            parse_email(" Jana@Example.ORG ").unwrap(),
            "jana@example.org"
        );
        for bad in [
            "jana",
            "jana@",
            "@example.org",
            "jana@example",
            "a b@example.org",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_need_an_offset() {
        assert!(parse_instant("2025-09-11T06:48:00+02:00").is_ok());
        assert_eq!(
            parse_instant("11.09.2025").unwrap_err(),
            "expected RFC 3339 with offset, got '11.09.2025'"
        );
        assert!(parse_instant("2025-09-11T06:48:00").is_err());
    }
}
