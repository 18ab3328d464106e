//! The contacts of orders (`order_contacts`): upserted with their order, read for
//! verification, scoping, notices and the console.

use anyhow::Context;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::domain::{Contact, ContactRole, Locale, OrderNumber};

/// A contact as stored: the person of one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactRow {
    pub order_number: String,
    /// `contact~…`: the person in conversations, notices and links.
    pub person_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: ContactRole,
    pub locale: Locale,
}

pub(crate) const COLUMNS: &str = "order_number, person_id, name, email, phone, role, locale";

pub(crate) fn from_row<R: super::Cols>(r: &R) -> anyhow::Result<ContactRow> {
    Ok(ContactRow {
        order_number: r.text("order_number")?,
        person_id: r.text("person_id")?,
        name: r.text("name")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        role: ContactRole::parse(&r.text("role")?).map_err(anyhow::Error::msg)?,
        locale: Locale::from_tag(&r.text("locale")?),
    })
}

/// Makes an order's stored contacts the given ones: each is upserted by its key (the
/// email, else the phone), the others of the order are removed.
pub async fn replace_contacts(
    conn: &mut AnyConnection,
    order: &OrderNumber,
    contacts: &[Contact],
    now_ms: i64,
) -> anyhow::Result<()> {
    for (i, c) in contacts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_contacts (order_number, contact_key, person_id, name, email, phone, \
             role, locale, position, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (order_number, contact_key) DO UPDATE SET name = excluded.name, \
             email = excluded.email, phone = excluded.phone, role = excluded.role, \
             locale = excluded.locale, position = excluded.position, updated_ms = excluded.updated_ms",
        )
        .bind(order.as_str())
        .bind(c.key())
        .bind(c.person_id(order.as_str()))
        .bind(&c.name)
        .bind(c.email.as_deref())
        .bind(c.phone.as_deref())
        .bind(c.role.as_str())
        .bind(c.locale.as_str())
        .bind(i as i64)
        .bind(now_ms)
        .execute(&mut *conn)
        .await
        .context("upserting an order contact")?;
    }
    // The contacts the record no longer names (few per order: read, then delete each).
    let keep: Vec<&str> = contacts.iter().map(Contact::key).collect();
    let stored = sqlx::query("SELECT contact_key FROM order_contacts WHERE order_number = $1")
        .bind(order.as_str())
        .fetch_all(&mut *conn)
        .await
        .context("reading an order's contacts")?;
    for r in stored {
        let key: String = r.try_get(0)?;
        if !keep.contains(&key.as_str()) {
            sqlx::query("DELETE FROM order_contacts WHERE order_number = $1 AND contact_key = $2")
                .bind(order.as_str())
                .bind(&key)
                .execute(&mut *conn)
                .await
                .context("removing an order contact")?;
        }
    }
    Ok(())
}

/// An order's contacts, in the order the record names them.
pub async fn list_contacts(
    conn: &mut AnyConnection,
    order: &str,
) -> anyhow::Result<Vec<ContactRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM order_contacts WHERE order_number = $1 ORDER BY position");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order)
        .fetch_all(conn)
        .await
        .context("listing an order's contacts")?;
    rows.iter().map(from_row).collect()
}

/// The contact with this email on this order (the email lower-cased by the caller).
pub async fn find_contact_by_email(
    conn: &mut AnyConnection,
    order: &OrderNumber,
    email: &str,
) -> anyhow::Result<Option<ContactRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM order_contacts WHERE order_number = $1 AND email = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order.as_str())
        .bind(email)
        .fetch_optional(conn)
        .await
        .context("finding an order contact by email")?;
    row.as_ref().map(from_row).transpose()
}

/// A contact by person id (`contact~…`); `None` once the order no longer names them.
pub async fn get_contact(
    conn: &mut AnyConnection,
    person_id: &str,
) -> anyhow::Result<Option<ContactRow>> {
    let sql = format!("SELECT {COLUMNS} FROM order_contacts WHERE person_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person_id)
        .fetch_optional(conn)
        .await
        .context("reading an order contact")?;
    row.as_ref().map(from_row).transpose()
}
