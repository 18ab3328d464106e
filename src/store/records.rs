//! Customers, orders (with lines) and shipments: upserts and reads.

use anyhow::Context;
use sqlx::AnyConnection;
use sqlx::{AssertSqlSafe, Row};

use super::{Cols, lite, placeholders};
use std::collections::HashSet;

use crate::domain::address::Address;
use crate::domain::{
    Carrier, Currency, Customer, CustomerId, Locale, Money, Order, OrderLine, OrderNumber,
    Salutation, Shipment, ShipmentKind, Sku, TrackingNumber,
};

/// Inserts or replaces a customer.
pub async fn upsert_customer(
    conn: &mut AnyConnection,
    c: &Customer,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO customers (id, name, email, phone, locale, updated_ms, salutation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, \
         phone = excluded.phone, locale = excluded.locale, updated_ms = excluded.updated_ms, \
         salutation = excluded.salutation",
    )
    .bind(c.id.as_str())
    .bind(&c.name)
    .bind(c.email.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.locale.as_str())
    .bind(now_ms)
    .bind(c.salutation.map(Salutation::as_str))
    .execute(conn)
    .await
    .context("upserting a customer")?;
    Ok(())
}

/// Inserts or replaces an order and its lines.
pub async fn upsert_order(conn: &mut AnyConnection, o: &Order, now_ms: i64) -> anyhow::Result<()> {
    let a = &o.shipping_address;
    sqlx::query(
        "INSERT INTO orders (number, customer_id, placed_at, placed_ms, currency, total_cents, \
         ship_name, ship_street, ship_postcode, ship_city, ship_country, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (number) DO UPDATE SET customer_id = excluded.customer_id, \
         placed_at = excluded.placed_at, placed_ms = excluded.placed_ms, \
         currency = excluded.currency, total_cents = excluded.total_cents, \
         ship_name = excluded.ship_name, ship_street = excluded.ship_street, \
         ship_postcode = excluded.ship_postcode, ship_city = excluded.ship_city, \
         ship_country = excluded.ship_country, updated_ms = excluded.updated_ms",
    )
    .bind(o.number.as_str())
    .bind(o.customer_id.as_str())
    .bind(o.placed_at.to_rfc3339())
    .bind(o.placed_at.timestamp_millis())
    .bind(o.currency.as_str())
    .bind(o.total.cents())
    .bind(&a.name)
    .bind(&a.street)
    .bind(&a.postcode)
    .bind(&a.city)
    .bind(&a.country)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .context("upserting an order")?;
    sqlx::query("DELETE FROM order_lines WHERE order_number = $1")
        .bind(o.number.as_str())
        .execute(&mut *conn)
        .await
        .context("replacing order lines")?;
    let sql = format!(
        "INSERT INTO order_lines (order_number, line_no, sku, name, qty, unit_price_cents) VALUES {}",
        placeholders(conn, 0, o.lines.len(), 6)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (i, l) in o.lines.iter().enumerate() {
        q = q
            .bind(o.number.as_str())
            .bind(i as i64)
            .bind(l.sku.as_str())
            .bind(&l.name)
            .bind(i64::from(l.qty))
            .bind(l.unit_price.cents());
    }
    q.execute(&mut *conn)
        .await
        .context("inserting order lines")?;
    Ok(())
}

/// Inserts or replaces a shipment.
pub async fn upsert_shipment(
    conn: &mut AnyConnection,
    s: &Shipment,
    now_ms: i64,
) -> anyhow::Result<()> {
    let skus = serde_json::to_string(&s.skus)?;
    let address = s.address.as_ref().map(serde_json::to_string).transpose()?;
    sqlx::query(
        "INSERT INTO shipments (tracking_number, carrier, order_number, kind, skus, address, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tracking_number) DO UPDATE SET carrier = excluded.carrier, \
         order_number = excluded.order_number, kind = excluded.kind, skus = excluded.skus, \
         address = excluded.address, updated_ms = excluded.updated_ms",
    )
    .bind(s.tracking_number.as_str())
    .bind(s.carrier.as_str())
    .bind(s.order_number.as_str())
    .bind(s.kind.as_str())
    .bind(skus)
    .bind(address)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("upserting a shipment")?;
    Ok(())
}

pub(crate) fn customer_from_row<R: Cols>(r: &R) -> anyhow::Result<Customer> {
    Ok(Customer {
        id: CustomerId::parse(&r.text("id")?).map_err(anyhow::Error::msg)?,
        name: r.text("name")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        locale: Locale::from_tag(&r.text("locale")?),
        salutation: r
            .opt_text("salutation")?
            .and_then(|s| Salutation::parse(&s).ok()),
    })
}

/// A customer by id.
pub async fn get_customer(
    conn: &mut AnyConnection,
    id: &CustomerId,
) -> anyhow::Result<Option<Customer>> {
    let row = sqlx::query(
        "SELECT id, name, email, phone, locale, salutation FROM customers WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await
    .context("reading a customer")?;
    row.as_ref().map(customer_from_row).transpose()
}

/// Whether a customer with this id exists.
pub async fn customer_exists(conn: &mut AnyConnection, id: &CustomerId) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM customers WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .context("looking up a customer")?;
    Ok(row.is_some())
}

/// Whether an order with this number exists.
pub async fn order_exists(conn: &mut AnyConnection, n: &OrderNumber) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM orders WHERE number = $1")
        .bind(n.as_str())
        .fetch_optional(conn)
        .await
        .context("looking up an order")?;
    Ok(row.is_some())
}

/// An order with its lines.
pub async fn get_order(conn: &mut AnyConnection, n: &OrderNumber) -> anyhow::Result<Option<Order>> {
    Ok(get_order_with_locale(conn, n).await?.map(|(o, _)| o))
}

const ORDER_WITH_LOCALE: &str = "SELECT o.number, o.customer_id, o.placed_at, o.currency, \
     o.total_cents, o.ship_name, o.ship_street, o.ship_postcode, o.ship_city, o.ship_country, \
     c.locale, l.sku, l.name AS line_name, l.qty, l.unit_price_cents \
     FROM orders o \
     LEFT JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN order_lines l ON l.order_number = o.number \
     WHERE o.number = $1 ORDER BY l.line_no";

/// [`get_order_with_locale`] on a SQLite file's reading connection.
pub(crate) fn lite_order_with_locale(
    c: &rusqlite::Connection,
    n: &OrderNumber,
) -> anyhow::Result<Option<(Order, Option<Locale>)>> {
    order_from_rows(&lite::query(c, ORDER_WITH_LOCALE, &[&n.as_str()])?)
}

/// [`list_shipments_for_order`] on a SQLite file's reading connection.
pub(crate) fn lite_shipments_for_order(
    c: &rusqlite::Connection,
    n: &OrderNumber,
) -> anyhow::Result<Vec<Shipment>> {
    lite::query(c, SHIPMENTS_FOR_ORDER, &[&n.as_str()])?
        .iter()
        .map(shipment_from_row)
        .collect()
}

/// An order with its lines and the locale of its customer (when the customer is
/// known), in one query: the order's columns repeat on every line's row.
pub async fn get_order_with_locale(
    conn: &mut AnyConnection,
    n: &OrderNumber,
) -> anyhow::Result<Option<(Order, Option<Locale>)>> {
    let rows = sqlx::query(ORDER_WITH_LOCALE)
        .bind(n.as_str())
        .fetch_all(&mut *conn)
        .await
        .context("reading an order with its lines")?;
    order_from_rows(&rows)
}

/// Decodes one order from its rows (one per line, the order's columns repeated), as
/// selected by [`get_order_with_locale`] and [`list_orders_placed_since`].
pub(crate) fn order_from_rows<R: Cols>(
    rows: &[R],
) -> anyhow::Result<Option<(Order, Option<Locale>)>> {
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let msg = anyhow::Error::msg;
    let mut lines = Vec::with_capacity(rows.len());
    for l in rows {
        // An order without lines has one row with NULL line columns.
        let Some(sku) = l.opt_text("sku")? else {
            continue;
        };
        lines.push(OrderLine {
            sku: Sku::parse(&sku).map_err(msg)?,
            name: l.text("line_name")?,
            qty: u32::try_from(l.int("qty")?)?,
            unit_price: Money(l.int("unit_price_cents")?),
        });
    }
    let order = Order {
        number: OrderNumber::parse(&r.text("number")?).map_err(msg)?,
        customer_id: CustomerId::parse(&r.text("customer_id")?).map_err(msg)?,
        placed_at: chrono::DateTime::parse_from_rfc3339(&r.text("placed_at")?)?,
        currency: Currency::parse(&r.text("currency")?).map_err(msg)?,
        total: Money(r.int("total_cents")?),
        shipping_address: Address {
            name: r.text("ship_name")?,
            street: r.text("ship_street")?,
            postcode: r.text("ship_postcode")?,
            city: r.text("ship_city")?,
            country: r.text("ship_country")?,
        },
        lines,
        // Read with `store::contacts::list_contacts` where needed.
        contacts: None,
    };
    let locale = r.opt_text("locale")?.map(|l| Locale::from_tag(&l));
    Ok(Some((order, locale)))
}

pub(crate) fn shipment_from_row<R: Cols>(r: &R) -> anyhow::Result<Shipment> {
    let msg = anyhow::Error::msg;
    let address = r.opt_text("address")?;
    let address = match address {
        Some(a) => Some(address_from_json(&a)?),
        None => None,
    };
    let skus: Vec<String> = serde_json::from_str(&r.text("skus")?)?;
    Ok(Shipment {
        tracking_number: TrackingNumber::parse(&r.text("tracking_number")?).map_err(msg)?,
        carrier: Carrier::parse(&r.text("carrier")?).map_err(msg)?,
        order_number: OrderNumber::parse(&r.text("order_number")?).map_err(msg)?,
        kind: ShipmentKind::parse(&r.text("kind")?).map_err(msg)?,
        skus: skus
            .iter()
            .map(|s| Sku::parse(s))
            .collect::<Result<_, _>>()
            .map_err(msg)?,
        address,
    })
}

fn address_from_json(s: &str) -> anyhow::Result<Address> {
    let v: serde_json::Value = serde_json::from_str(s)?;
    let o = crate::domain::fields::Obj::new(&v, "address")?;
    Ok(Address::from_obj(&o)?)
}

/// A shipment by tracking number.
pub async fn get_shipment(
    conn: &mut AnyConnection,
    t: &TrackingNumber,
) -> anyhow::Result<Option<Shipment>> {
    let row = sqlx::query(
        "SELECT tracking_number, carrier, order_number, kind, skus, address \
         FROM shipments WHERE tracking_number = $1",
    )
    .bind(t.as_str())
    .fetch_optional(conn)
    .await
    .context("reading a shipment")?;
    row.as_ref().map(shipment_from_row).transpose()
}

const SHIPMENTS_FOR_ORDER: &str = "SELECT tracking_number, carrier, order_number, kind, skus, \
     address FROM shipments WHERE order_number = $1 ORDER BY updated_ms, tracking_number";

/// The shipments of an order (originals, replacements, returns), oldest first.
pub async fn list_shipments_for_order(
    conn: &mut AnyConnection,
    n: &OrderNumber,
) -> anyhow::Result<Vec<Shipment>> {
    sqlx::query(SHIPMENTS_FOR_ORDER)
        .bind(n.as_str())
        .fetch_all(conn)
        .await
        .context("listing shipments of an order")?
        .iter()
        .map(shipment_from_row)
        .collect()
}

/// The shipment with this tracking number and every other shipment of its order,
/// oldest first, in one query; empty when the tracking number is unknown.
pub async fn list_shipments_sharing_order(
    conn: &mut AnyConnection,
    t: &TrackingNumber,
) -> anyhow::Result<Vec<Shipment>> {
    sqlx::query(
        "SELECT tracking_number, carrier, order_number, kind, skus, address FROM shipments \
         WHERE order_number = (SELECT order_number FROM shipments WHERE tracking_number = $1) \
         ORDER BY updated_ms, tracking_number",
    )
    .bind(t.as_str())
    .fetch_all(conn)
    .await
    .context("listing the shipments of a shipment's order")?
    .iter()
    .map(shipment_from_row)
    .collect()
}

/// Which of these tracking numbers belong to no known shipment. Asks for the unknown
/// ones only: in a feed nearly all are known, and rows not sent back cost nothing.
pub async fn unknown_tracking_numbers(
    conn: &mut AnyConnection,
    numbers: &[&str],
) -> anyhow::Result<HashSet<String>> {
    strings_over_values(conn, numbers, "looking up shipments", |values| {
        format!(
            "SELECT v.column1 FROM (VALUES {values}) AS v \
             WHERE NOT EXISTS (SELECT 1 FROM shipments s WHERE s.tracking_number = v.column1)"
        )
    })
    .await
}

/// The order numbers of these shipments (those known).
pub async fn orders_of_shipments(
    conn: &mut AnyConnection,
    numbers: &[&str],
) -> anyhow::Result<HashSet<String>> {
    strings_over_values(
        conn,
        numbers,
        "looking up the orders of shipments",
        |values| {
            format!(
                "SELECT DISTINCT s.order_number FROM shipments s JOIN (VALUES {values}) AS v \
             ON s.tracking_number = v.column1"
            )
        },
    )
    .await
}

/// The first column of a query over `values` (a `VALUES` list named `v`, whose column
/// is `column1` on both SQLite and PostgreSQL), run in chunks of 500 values.
async fn strings_over_values(
    conn: &mut AnyConnection,
    values: &[&str],
    what: &'static str,
    sql: impl Fn(&str) -> String,
) -> anyhow::Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in values.chunks(500) {
        let mut q = sqlx::query(AssertSqlSafe(sql(&placeholders(conn, 0, chunk.len(), 1))));
        for n in chunk {
            q = q.bind(*n);
        }
        for r in q.fetch_all(&mut *conn).await.context(what)? {
            out.insert(r.try_get::<String, _>(0)?);
        }
    }
    Ok(out)
}

/// Counts rows of the main tables (for the CLI's summary and tests).
pub async fn count_records(conn: &mut AnyConnection) -> anyhow::Result<RecordCounts> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders), \
         (SELECT COUNT(*) FROM shipments), (SELECT COUNT(*) FROM events)",
    )
    .fetch_one(conn)
    .await
    .context("counting records")?;
    Ok(RecordCounts {
        customers: row.try_get(0)?,
        orders: row.try_get(1)?,
        shipments: row.try_get(2)?,
        events: row.try_get(3)?,
    })
}

/// How many of each the store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RecordCounts {
    pub customers: i64,
    pub orders: i64,
    pub shipments: i64,
    pub events: i64,
}

/// The stored spelling of an order number as a customer typed it: the same number, or
/// the one number that matches it without regard to case and hyphens ("ab12345" for a
/// stored "AB-12345", "A-100234" for a stored "a-100234"). Only for looking up; whoever
/// asks learns nothing from it before the order's owner is verified.
pub async fn resolve_order_number(
    conn: &mut AnyConnection,
    typed: &str,
) -> anyhow::Result<Option<OrderNumber>> {
    let row = sqlx::query("SELECT number FROM orders WHERE number = $1")
        .bind(typed)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up an order number")?;
    if let Some(r) = row {
        return Ok(OrderNumber::parse(&r.try_get::<String, _>(0)?).ok());
    }
    let folded = typed.replace('-', "").to_ascii_uppercase();
    let rows =
        sqlx::query("SELECT number FROM orders WHERE UPPER(REPLACE(number, '-', '')) = $1 LIMIT 2")
            .bind(folded)
            .fetch_all(conn)
            .await
            .context("looking up an order number without case")?;
    match rows.as_slice() {
        [only] => Ok(OrderNumber::parse(&only.try_get::<String, _>(0)?).ok()),
        _ => Ok(None),
    }
}

/// The customer who placed this order, if it was shipped to this postcode (identity
/// verification on the web). The same answer for "no such order" and "wrong postcode".
pub async fn find_order_owner(
    conn: &mut AnyConnection,
    n: &OrderNumber,
    postcode: &str,
) -> anyhow::Result<Option<CustomerId>> {
    let row = sqlx::query(
        "SELECT customer_id FROM orders WHERE number = $1 AND UPPER(REPLACE(ship_postcode, ' ', '')) = $2",
    )
    .bind(n.as_str())
    .bind(postcode.replace(' ', "").to_ascii_uppercase())
    .fetch_optional(conn)
    .await
    .context("verifying an order and postcode")?;
    row.map(|r| CustomerId::parse(&r.try_get::<String, _>(0)?).map_err(anyhow::Error::msg))
        .transpose()
}

/// The owner of an order whose account email is `email` (lower-cased).
pub async fn find_order_owner_by_email(
    conn: &mut AnyConnection,
    n: &OrderNumber,
    email: &str,
) -> anyhow::Result<Option<CustomerId>> {
    let row = sqlx::query(
        "SELECT o.customer_id FROM orders o JOIN customers c ON c.id = o.customer_id \
         WHERE o.number = $1 AND c.email = $2",
    )
    .bind(n.as_str())
    .bind(email.to_lowercase())
    .fetch_optional(conn)
    .await
    .context("verifying an order and email")?;
    row.map(|r| CustomerId::parse(&r.try_get::<String, _>(0)?).map_err(anyhow::Error::msg))
        .transpose()
}

/// The customer with this email address (lower-cased), if exactly one has it.
pub async fn find_customer_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> anyhow::Result<Option<CustomerId>> {
    unique_customer(
        conn,
        "SELECT id FROM customers WHERE email = $1 LIMIT 2",
        &email.to_lowercase(),
    )
    .await
}

/// The customer with this phone number (E.164), if exactly one has it.
pub async fn find_customer_by_phone(
    conn: &mut AnyConnection,
    phone: &str,
) -> anyhow::Result<Option<CustomerId>> {
    unique_customer(
        conn,
        "SELECT id FROM customers WHERE phone = $1 LIMIT 2",
        phone,
    )
    .await
}

async fn unique_customer(
    conn: &mut AnyConnection,
    sql: &'static str,
    value: &str,
) -> anyhow::Result<Option<CustomerId>> {
    let rows = sqlx::query(sql)
        .bind(value)
        .fetch_all(conn)
        .await
        .context("looking up a customer")?;
    // Two customers sharing an address or number identify nobody.
    if rows.len() != 1 {
        return Ok(None);
    }
    Ok(Some(
        CustomerId::parse(&rows[0].try_get::<String, _>(0)?).map_err(anyhow::Error::msg)?,
    ))
}

/// The order numbers of a customer, newest first.
pub async fn list_order_numbers_for_customer(
    conn: &mut AnyConnection,
    id: &CustomerId,
) -> anyhow::Result<Vec<OrderNumber>> {
    sqlx::query("SELECT number FROM orders WHERE customer_id = $1 ORDER BY placed_ms DESC, number")
        .bind(id.as_str())
        .fetch_all(conn)
        .await
        .context("listing a customer's orders")?
        .iter()
        .map(|r| OrderNumber::parse(&r.try_get::<String, _>(0)?).map_err(anyhow::Error::msg))
        .collect()
}

/// The customer an order belongs to (ownership checks).
pub async fn order_customer(
    conn: &mut AnyConnection,
    n: &OrderNumber,
) -> anyhow::Result<Option<CustomerId>> {
    let row = sqlx::query(ORDER_CUSTOMER)
        .bind(n.as_str())
        .fetch_optional(conn)
        .await
        .context("reading an order's customer")?;
    row.map(|r| CustomerId::parse(&r.try_get::<String, _>(0)?).map_err(anyhow::Error::msg))
        .transpose()
}

const ORDER_CUSTOMER: &str = "SELECT customer_id FROM orders WHERE number = $1";

/// The order a shipment belongs to.
pub async fn shipment_order(
    conn: &mut AnyConnection,
    t: &TrackingNumber,
) -> anyhow::Result<Option<OrderNumber>> {
    let row = sqlx::query("SELECT order_number FROM shipments WHERE tracking_number = $1")
        .bind(t.as_str())
        .fetch_optional(conn)
        .await
        .context("reading a shipment's order")?;
    row.map(|r| OrderNumber::parse(&r.try_get::<String, _>(0)?).map_err(anyhow::Error::msg))
        .transpose()
}

/// Every order placed since `since_ms`, with its lines, oldest first: what the console's
/// contradiction overview reconciles in one pass.
pub async fn list_orders_placed_since(
    conn: &mut AnyConnection,
    since_ms: i64,
) -> anyhow::Result<Vec<Order>> {
    let rows = sqlx::query(
        "SELECT o.number, o.customer_id, o.placed_at, o.currency, o.total_cents, o.ship_name, \
         o.ship_street, o.ship_postcode, o.ship_city, o.ship_country, c.locale, \
         l.sku, l.name AS line_name, l.qty, l.unit_price_cents \
         FROM orders o \
         LEFT JOIN customers c ON c.id = o.customer_id \
         LEFT JOIN order_lines l ON l.order_number = o.number \
         WHERE o.placed_ms >= $1 ORDER BY o.placed_ms, o.number, l.line_no",
    )
    .bind(since_ms)
    .fetch_all(&mut *conn)
    .await
    .context("reading recent orders with their lines")?;
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let number: String = rows[start].try_get("number")?;
        let mut end = start + 1;
        while end < rows.len() && rows[end].try_get::<String, _>("number")? == number {
            end += 1;
        }
        if let Some((order, _)) = order_from_rows(&rows[start..end])? {
            out.push(order);
        }
        start = end;
    }
    Ok(out)
}

/// The shipments of every order placed since `since_ms`.
pub async fn list_shipments_of_orders_placed_since(
    conn: &mut AnyConnection,
    since_ms: i64,
) -> anyhow::Result<Vec<Shipment>> {
    sqlx::query(
        "SELECT tracking_number, carrier, order_number, kind, skus, address FROM shipments \
         WHERE order_number IN (SELECT number FROM orders WHERE placed_ms >= $1) \
         ORDER BY updated_ms, tracking_number",
    )
    .bind(since_ms)
    .fetch_all(conn)
    .await
    .context("listing shipments of recent orders")?
    .iter()
    .map(shipment_from_row)
    .collect()
}
