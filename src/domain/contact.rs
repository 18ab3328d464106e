//! The people an order affects besides its customer (`contacts` on an order record):
//! in business orders one person orders and several wait for the delivery. A contact
//! verifies with the order number and their own email, sees that order only, and
//! receives its notices (per role, by policy).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fields::{FieldError, Obj, one_of};
use super::locale::Locale;
use super::record::{parse_email, parse_phone};

/// What a contact is to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Placed the order (a buyer in a company, not necessarily the account holder).
    Orderer,
    /// Waits for the delivery.
    Recipient,
    /// Otherwise concerned (a project lead, an assistant).
    Stakeholder,
}

impl ContactRole {
    pub const ALL: &'static [(&'static str, ContactRole)] = &[
        ("orderer", Self::Orderer),
        ("recipient", Self::Recipient),
        ("stakeholder", Self::Stakeholder),
    ];

    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(s.trim(), Self::ALL)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orderer => "orderer",
            Self::Recipient => "recipient",
            Self::Stakeholder => "stakeholder",
        }
    }
}

/// One person of an order. At least one of `email` and `phone` is given; the first of
/// them is the contact's key within the order (re-ingesting upserts by it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub role: ContactRole,
    pub locale: Locale,
}

/// How a contact's person id begins. `~` is not allowed in a customer id, so a contact
/// can never be taken for a customer (nor the other way round): whatever reads a
/// conversation's verified person as a customer finds nobody.
pub const CONTACT_ID_PREFIX: &str = "contact~";

impl Contact {
    pub const FIELDS: &'static [&'static str] = &["name", "email", "phone", "role", "locale"];

    /// Contacts an order may name.
    pub const MAX_PER_ORDER: usize = 50;

    pub fn from_obj(o: &Obj<'_>) -> Result<Self, FieldError> {
        o.deny_unknown(Self::FIELDS)?;
        let email = o.opt_parse("email", parse_email)?;
        let phone = o.opt_parse("phone", parse_phone)?;
        if email.is_none() && phone.is_none() {
            return Err(o.err(
                "email",
                "a contact needs an email or a phone (to be told and to verify)",
            ));
        }
        Ok(Self {
            name: o.req_text("name", 200)?,
            email,
            phone,
            role: o.req_parse("role", ContactRole::parse)?,
            locale: o.opt_parse("locale", Locale::parse)?.unwrap_or_default(),
        })
    }

    /// The contact's key within its order: the email, else the phone.
    pub fn key(&self) -> &str {
        self.email
            .as_deref()
            .or(self.phone.as_deref())
            .unwrap_or_default()
    }

    /// The contact's person id (for conversations, notices, opt-outs, links): stable
    /// for the same order and key, and never a customer id (see [`CONTACT_ID_PREFIX`]).
    pub fn person_id(&self, order: &str) -> String {
        contact_person_id(order, self.key())
    }
}

/// The person id of the contact with `key` on `order`.
pub fn contact_person_id(order: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{order}\n{key}").as_bytes());
    format!("{CONTACT_ID_PREFIX}{}", hex::encode(&digest[..12]))
}

/// Whether a person id is a contact's (not a customer's).
pub fn is_contact_id(person: &str) -> bool {
    person.starts_with(CONTACT_ID_PREFIX)
}

/// Parses an order's `contacts` array; a repeated email or phone is refused, naming
/// both places.
pub fn parse_contacts(o: &Obj<'_>) -> Result<Option<Vec<Contact>>, FieldError> {
    if o.get("contacts").is_none() {
        return Ok(None);
    }
    let items = o.arr("contacts")?;
    if items.len() > Contact::MAX_PER_ORDER {
        return Err(o.err(
            "contacts",
            format!("at most {} contacts per order", Contact::MAX_PER_ORDER),
        ));
    }
    let mut out: Vec<Contact> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let c = Contact::from_obj(&Obj::new(v, &o.path(&format!("contacts[{i}]")))?)?;
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        if let Some(j) = out.iter().position(|p| {
            same(&p.email, &c.email) || same(&p.phone, &c.phone) || p.key() == c.key()
        }) {
            return Err(o.err(
                &format!("contacts[{i}]"),
                format!("the same email or phone as contacts[{j}]; name each person once"),
            ));
        }
        out.push(c);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<Option<Vec<Contact>>, String> {
        let o = Obj::new(&v, "").unwrap();
        parse_contacts(&o).map_err(|e| e.to_string())
    }

    #[test]
    fn contacts_parse_with_their_role_and_language() {
        let c = parse(json!({"contacts": [
            {"name": "Lea Brandt", "email": "Lea.Brandt@Example.org", "role": "recipient", "locale": "en"},
            {"name": "Olaf Kern", "phone": "+49 151 2222 3333", "role": "stakeholder"}]}))
        .unwrap()
        .unwrap();
        assert_eq!(c[0].email.as_deref(), Some("lea.brandt@example.org"));
        assert_eq!(
            (c[0].role, c[0].locale),
            (ContactRole::Recipient, Locale::En)
        );
        assert_eq!(c[1].key(), "+4915122223333");
        assert_eq!(c[1].locale, Locale::De);
        assert_eq!(parse(json!({})).unwrap(), None);
        assert_eq!(parse(json!({"contacts": []})).unwrap(), Some(vec![]));
    }

    #[test]
    fn a_bad_contact_is_refused_with_its_place_and_field() {
        let cases = [
            (
                json!([{"name": "A", "role": "recipient"}]),
                "contacts[0].email: a contact needs an email or a phone",
            ),
            (
                json!([{"name": "A", "email": "a@b", "role": "recipient"}]),
                "contacts[0].email: not an email address",
            ),
            (
                json!([{"name": "A", "email": "a@b.de", "role": "boss"}]),
                "contacts[0].role: ",
            ),
            (
                json!([{"name": "A", "email": "a@b.de"}]),
                "contacts[0].role: missing",
            ),
            (
                json!([{"email": "a@b.de", "role": "orderer"}]),
                "contacts[0].name: missing",
            ),
            (
                json!([{"name": "A", "email": "a@b.de", "role": "orderer", "fax": "1"}]),
                "contacts[0].fax: unknown field",
            ),
            (
                json!([{"name": "A", "email": "a@b.de", "role": "orderer"},
                    {"name": "B", "email": "A@B.de", "role": "recipient"}]),
                "contacts[1]: the same email or phone as contacts[0]",
            ),
            (json!("lea@example.org"), "contacts: expected an array"),
        ];
        for (contacts, want) in cases {
            let e = parse(json!({ "contacts": contacts })).unwrap_err();
            assert!(e.starts_with(want), "{e} (wanted {want})");
        }
        let e = parse(json!({"contacts": [{"name": "A", "email": "a@b.de", "role": "boss"}]}))
            .unwrap_err();
        assert!(e.contains("orderer, recipient, stakeholder"), "{e}");
    }

    #[test]
    fn a_contact_id_is_stable_per_order_and_never_a_customer_id() {
        let id = contact_person_id("A-1", "lea@example.org");
        assert_eq!(id, contact_person_id("A-1", "lea@example.org"));
        assert_ne!(id, contact_person_id("A-2", "lea@example.org"));
        assert!(is_contact_id(&id));
        assert!(crate::domain::CustomerId::parse(&id).is_err());
        assert!(!is_contact_id("C-1001"));
    }
}
