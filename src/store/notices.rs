//! Notices (what Verity told a person first), opt-outs and staff holds.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::contacts::{self, ContactRow};
use super::{Cols, Store, cases, events, lite, records};
use crate::domain::{Customer, Event, Order, Shipment};
use crate::truth::ExistingCase;

/// A notice as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoticeRow {
    pub id: String,
    pub order_number: String,
    pub code: String,
    pub fingerprint: String,
    pub person: String,
    pub channel: String,
    pub locale: String,
    /// `queued | held | suppressed | unreachable | covered` (told in another notice).
    pub status: String,
    pub reason: Option<String>,
    pub outbox_id: Option<String>,
    pub send_after_ms: i64,
    pub created_ms: i64,
}

/// Stores a notice unless one for the same order, code, fingerprint and person exists;
/// `true` when it was stored (the unique key decides, also between processes).
pub async fn insert_notice(conn: &mut AnyConnection, n: &NoticeRow) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO notices (id, order_number, code, fingerprint, person, channel, locale, \
         status, reason, outbox_id, send_after_ms, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (order_number, code, fingerprint, person) DO NOTHING",
    )
    .bind(&n.id)
    .bind(&n.order_number)
    .bind(&n.code)
    .bind(&n.fingerprint)
    .bind(&n.person)
    .bind(&n.channel)
    .bind(&n.locale)
    .bind(&n.status)
    .bind(n.reason.as_deref())
    .bind(n.outbox_id.as_deref())
    .bind(n.send_after_ms)
    .bind(n.created_ms)
    .execute(conn)
    .await
    .context("storing a notice")?;
    Ok(done.rows_affected() == 1)
}

/// Whether a notice for this order, code, fingerprint and person is stored.
pub async fn notice_exists(
    conn: &mut AnyConnection,
    order: &str,
    code: &str,
    fingerprint: &str,
    person: &str,
) -> anyhow::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM notices WHERE order_number = $1 AND code = $2 AND fingerprint = $3 \
         AND person = $4",
    )
    .bind(order)
    .bind(code)
    .bind(fingerprint)
    .bind(person)
    .fetch_optional(conn)
    .await
    .context("looking up a notice")?;
    Ok(row.is_some())
}

/// How many notices were queued for a person since `since_ms` (the daily cap).
pub async fn count_queued_since(
    conn: &mut AnyConnection,
    person: &str,
    since_ms: i64,
) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM notices WHERE person = $1 AND created_ms >= $2 AND status = 'queued'",
    )
    .bind(person)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .context("counting a person's notices")?;
    Ok(row.try_get(0)?)
}

/// An order's notices, newest first (the console).
pub async fn list_for_order(
    conn: &mut AnyConnection,
    order: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    list_where(conn, "order_number", order).await
}

/// A person's notices, newest first (the console's customer page).
pub async fn list_for_person(
    conn: &mut AnyConnection,
    person: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    list_where(conn, "person", person).await
}

async fn list_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> anyhow::Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT id, order_number, code, fingerprint, person, channel, locale, status, reason, \
         outbox_id, send_after_ms, created_ms FROM notices WHERE {column} = $1 \
         ORDER BY created_ms DESC, id LIMIT 200"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_all(conn)
        .await
        .context("listing notices")?;
    rows.iter()
        .map(|r| {
            Ok(NoticeRow {
                id: r.try_get("id")?,
                order_number: r.try_get("order_number")?,
                code: r.try_get("code")?,
                fingerprint: r.try_get("fingerprint")?,
                person: r.try_get("person")?,
                channel: r.try_get("channel")?,
                locale: r.try_get("locale")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
                outbox_id: r.try_get("outbox_id")?,
                send_after_ms: r.try_get("send_after_ms")?,
                created_ms: r.try_get("created_ms")?,
            })
        })
        .collect()
}

/// Records that a person wants no more notices (idempotent).
pub async fn opt_out(
    conn: &mut AnyConnection,
    person: &str,
    channel: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO notice_optouts (person, channel, created_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (person) DO NOTHING",
    )
    .bind(person)
    .bind(channel)
    .bind(now_ms)
    .execute(conn)
    .await
    .context("storing an opt-out")?;
    Ok(())
}

/// Clears a person's opt-out; `true` when there was one.
pub async fn opt_in(conn: &mut AnyConnection, person: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM notice_optouts WHERE person = $1")
        .bind(person)
        .execute(conn)
        .await
        .context("clearing an opt-out")?;
    Ok(done.rows_affected() > 0)
}

/// A person's opt-out: the channel they asked on and when.
pub async fn get_optout(
    conn: &mut AnyConnection,
    person: &str,
) -> anyhow::Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT channel, created_ms FROM notice_optouts WHERE person = $1")
        .bind(person)
        .fetch_optional(conn)
        .await
        .context("reading an opt-out")?;
    row.map(|r| Ok((r.try_get("channel")?, r.try_get("created_ms")?)))
        .transpose()
}

/// Whether a person opted out of notices.
pub async fn opted_out(conn: &mut AnyConnection, person: &str) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM notice_optouts WHERE person = $1")
        .bind(person)
        .fetch_optional(conn)
        .await
        .context("reading an opt-out")?;
    Ok(row.is_some())
}

/// Holds (or releases) an order's notices.
pub async fn set_hold(
    conn: &mut AnyConnection,
    order: &str,
    staff_id: Option<&str>,
    hold: bool,
    now_ms: i64,
) -> anyhow::Result<()> {
    let q = if hold {
        sqlx::query(
            "INSERT INTO notice_holds (order_number, staff_id, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (order_number) DO NOTHING",
        )
        .bind(order)
        .bind(staff_id)
        .bind(now_ms)
    } else {
        sqlx::query("DELETE FROM notice_holds WHERE order_number = $1").bind(order)
    };
    q.execute(conn).await.context("holding notices")?;
    Ok(())
}

/// Whether staff hold an order's notices.
pub async fn held(conn: &mut AnyConnection, order: &str) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM notice_holds WHERE order_number = $1")
        .bind(order)
        .fetch_optional(conn)
        .await
        .context("reading a notice hold")?;
    Ok(row.is_some())
}

/// A person's most recent conversation (by its last message from them).
#[derive(Clone, Debug)]
pub struct LastChat {
    pub id: String,
    pub channel: String,
    pub external_id: Option<String>,
    pub last_inbound_ms: Option<i64>,
}

/// The conversation a person last wrote in, on any channel.
pub async fn last_chat(conn: &mut AnyConnection, person: &str) -> anyhow::Result<Option<LastChat>> {
    let row = sqlx::query(
        "SELECT id, channel, external_id, last_inbound_ms FROM conversations \
         WHERE customer_id = $1 ORDER BY COALESCE(last_inbound_ms, 0) DESC, updated_ms DESC LIMIT 1",
    )
    .bind(person)
    .fetch_optional(conn)
    .await
    .context("reading a person's last conversation")?;
    row.map(|r| {
        Ok(LastChat {
            id: r.try_get("id")?,
            channel: r.try_get("channel")?,
            external_id: r.try_get("external_id")?,
            last_inbound_ms: r.try_get("last_inbound_ms")?,
        })
    })
    .transpose()
}

/// The orders the time sweep re-reconciles: those it watches (their truth can change
/// with time alone) whose time to be looked at again has come by `now_ms`, placed since
/// `since_ms`, the longest due first, at most `limit` (a range read of
/// `notice_watch_wake`).
pub async fn sweep_candidates(
    conn: &mut AnyConnection,
    since_ms: i64,
    now_ms: i64,
    limit: i64,
) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT order_number FROM notice_watch WHERE wake_ms <= $1 AND placed_ms >= $2 \
         ORDER BY wake_ms LIMIT $3",
    )
    .bind(now_ms)
    .bind(since_ms)
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("listing the orders of the sweep")?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// A list of values bound as ONE parameter (`$1`, a JSON array), so that one statement
/// text serves any number of values on both engines and both drivers: `{each}` becomes
/// a table of the array's elements with a column `value` (text for an array of strings,
/// JSON for an array of arrays, read with `value ->> 0`).
fn over_list(sqlite: bool, template: &str) -> String {
    template
        .replace(
            "{each}",
            if sqlite {
                "json_each($1)"
            } else {
                "jsonb_array_elements($1::jsonb) AS t(value)"
            },
        )
        .replace(
            "{each_text}",
            if sqlite {
                "json_each($1)"
            } else {
                "jsonb_array_elements_text($1::jsonb) AS t(value)"
            },
        )
}

fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name() == "SQLite"
}

/// Marks orders an ingestion touched as waiting for their notices, in the ingestion's
/// transaction; a later mark replaces an earlier one.
pub async fn mark_pending(
    conn: &mut AnyConnection,
    orders: &[&str],
    mark: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let sql = over_list(
        is_sqlite(conn),
        "INSERT INTO notice_pending (order_number, mark, marked_ms) \
         SELECT value, $2, $3 FROM {each_text} WHERE true \
         ON CONFLICT (order_number) DO UPDATE SET mark = excluded.mark, marked_ms = excluded.marked_ms",
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::to_string(orders)?)
        .bind(mark)
        .bind(now_ms)
        .execute(conn)
        .await
        .context("marking orders for their notices")?;
    Ok(())
}

/// Orders waiting for their notices, with their marks: at most `limit`, in order of
/// their numbers after `after` (a pass over them pages by number).
pub async fn pending(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> anyhow::Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT order_number, mark FROM notice_pending WHERE order_number > $1 \
         ORDER BY order_number LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("listing the orders waiting for notices")?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Removes the marks of orders whose notices are decided, unless a later ingestion
/// marked the order again.
pub async fn unmark_pending(
    conn: &mut AnyConnection,
    marks: &[(String, String)],
) -> anyhow::Result<()> {
    for chunk in marks.chunks(1_000) {
        let sql = over_list(
            is_sqlite(conn),
            "DELETE FROM notice_pending WHERE (order_number, mark) IN \
             (SELECT value ->> 0, value ->> 1 FROM {each})",
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(chunk)?)
            .execute(&mut *conn)
            .await
            .context("removing the marks of noticed orders")?;
    }
    Ok(())
}

/// Starts or renews (order, `placed_ms`, `wake_ms`: when to look at it again) or ends
/// the sweep's watch of orders.
pub async fn set_watch(
    conn: &mut AnyConnection,
    watch: &[(String, i64, i64)],
    unwatch: &[String],
) -> anyhow::Result<()> {
    let sqlite = is_sqlite(conn);
    for chunk in watch.chunks(1_000) {
        let sql = over_list(
            sqlite,
            "INSERT INTO notice_watch (order_number, placed_ms, wake_ms) \
             SELECT value ->> 0, CAST(value ->> 1 AS BIGINT), CAST(value ->> 2 AS BIGINT) \
             FROM {each} WHERE true \
             ON CONFLICT (order_number) DO UPDATE SET placed_ms = excluded.placed_ms, \
             wake_ms = excluded.wake_ms",
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(chunk)?)
            .execute(&mut *conn)
            .await
            .context("watching orders for the sweep")?;
    }
    for chunk in unwatch.chunks(1_000) {
        let sql = over_list(
            sqlite,
            "DELETE FROM notice_watch WHERE order_number IN (SELECT value FROM {each_text})",
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(chunk)?)
            .execute(&mut *conn)
            .await
            .context("ending the sweep's watch of orders")?;
    }
    Ok(())
}

/// Ends the watch of orders placed before `since_ms` (out of the sweep's window).
pub async fn unwatch_before(conn: &mut AnyConnection, since_ms: i64) -> anyhow::Result<u64> {
    Ok(sqlx::query("DELETE FROM notice_watch WHERE placed_ms < $1")
        .bind(since_ms)
        .execute(conn)
        .await
        .context("ending the watch of old orders")?
        .rows_affected())
}

/// One order as the notices reconcile it.
pub struct OrderData {
    pub order: Order,
    pub shipments: Vec<Shipment>,
    /// The events of the order and of its shipments, in the order they happened.
    pub events: Vec<Event>,
    pub cases: Vec<ExistingCase>,
    /// Whether the sweep watches it.
    pub watched: bool,
}

/// Orders, with all the notices need to decide about them, read in one snapshot.
#[derive(Default)]
pub struct OrdersData {
    pub orders: Vec<OrderData>,
    pub customers: HashMap<String, Customer>,
    /// The contacts of each order, in the order the record names them.
    pub contacts: HashMap<String, Vec<ContactRow>>,
    /// The notices stored for these orders: (order, code, fingerprint, person).
    pub stored: HashSet<(String, String, String, String)>,
}

/// The statements of [`load_orders`], over `{each_text}` (the order numbers).
const LOAD: [&str; 7] = [
    "SELECT o.number, o.customer_id, o.placed_at, o.currency, o.total_cents, o.ship_name, \
     o.ship_street, o.ship_postcode, o.ship_city, o.ship_country, c.locale, \
     l.sku, l.name AS line_name, l.qty, l.unit_price_cents, w.placed_ms AS watched_ms \
     FROM orders o \
     LEFT JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN order_lines l ON l.order_number = o.number \
     LEFT JOIN notice_watch w ON w.order_number = o.number \
     WHERE o.number IN (SELECT value FROM {each_text}) ORDER BY o.number, l.line_no",
    "SELECT tracking_number, carrier, order_number, kind, skus, address FROM shipments \
     WHERE order_number IN (SELECT value FROM {each_text}) ORDER BY updated_ms, tracking_number",
    "SELECT e.order_number AS k, e.id, e.occurred_ms, e.body FROM events e \
     WHERE e.order_number IN (SELECT value FROM {each_text}) \
     UNION ALL \
     SELECT s.order_number AS k, e.id, e.occurred_ms, e.body FROM shipments s \
     JOIN events e ON e.tracking_number = s.tracking_number \
     WHERE s.order_number IN (SELECT value FROM {each_text})",
    "SELECT order_number, kind, status, tracking_number FROM cases \
     WHERE order_number IN (SELECT value FROM {each_text}) ORDER BY created_ms",
    "SELECT id, name, email, phone, locale, salutation FROM customers WHERE id IN \
     (SELECT customer_id FROM orders WHERE number IN (SELECT value FROM {each_text}))",
    "SELECT {contacts} FROM order_contacts \
     WHERE order_number IN (SELECT value FROM {each_text}) ORDER BY order_number, position",
    "SELECT order_number, code, fingerprint, person FROM notices \
     WHERE order_number IN (SELECT value FROM {each_text})",
];

fn load_sql(sqlite: bool) -> Vec<String> {
    LOAD.iter()
        .map(|t| over_list(sqlite, &t.replace("{contacts}", contacts::COLUMNS)))
        .collect()
}

/// Reads orders with their shipments, events, cases, customers, contacts, stored
/// notices and watch, in seven statements whatever their number (on a SQLite file
/// through a reading connection on a blocking thread: the events are parsed there too).
pub async fn load_orders(store: &Store, numbers: &[String]) -> anyhow::Result<OrdersData> {
    if numbers.is_empty() {
        return Ok(OrdersData::default());
    }
    let list = serde_json::to_string(numbers)?;
    if store.lite().is_some() {
        let store = store.clone();
        return tokio::task::spawn_blocking(move || {
            let Some(lite) = store.lite() else {
                anyhow::bail!("the SQLite reader is gone");
            };
            lite.read(|c| {
                let mut rows = Vec::with_capacity(LOAD.len());
                for sql in load_sql(true) {
                    rows.push(lite::query(c, &sql, &[&list])?);
                }
                assemble(rows)
            })
        })
        .await
        .context("reading orders for their notices")?;
    }
    let mut conn = store.read().await?;
    let mut rows = Vec::with_capacity(LOAD.len());
    for sql in load_sql(is_sqlite(&conn)) {
        rows.push(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(list.as_str())
                .fetch_all(&mut *conn)
                .await
                .context("reading orders for their notices")?,
        );
    }
    drop(conn);
    tokio::task::spawn_blocking(move || assemble(rows))
        .await
        .context("decoding orders for their notices")?
}

/// Decodes the rows of the [`LOAD`] statements, in that order.
fn assemble<R: Cols>(rows: Vec<Vec<R>>) -> anyhow::Result<OrdersData> {
    let [
        orders,
        shipments,
        events,
        cases,
        customers,
        order_contacts,
        notices,
    ]: [Vec<R>; 7] = rows
        .try_into()
        .map_err(|_| anyhow::anyhow!("one result per statement"))?;
    let mut out = OrdersData::default();
    let mut by_order: HashMap<String, OrderData> = HashMap::new();
    let mut start = 0;
    while start < orders.len() {
        let number = orders[start].text("number")?;
        let mut end = start + 1;
        while end < orders.len() && orders[end].text("number")? == number {
            end += 1;
        }
        let watched = orders[start].opt_int("watched_ms")?.is_some();
        if let Some((order, _)) = records::order_from_rows(&orders[start..end])? {
            by_order.insert(
                number,
                OrderData {
                    order,
                    shipments: Vec::new(),
                    events: Vec::new(),
                    cases: Vec::new(),
                    watched,
                },
            );
        }
        start = end;
    }
    for r in &shipments {
        let s = records::shipment_from_row(r)?;
        if let Some(o) = by_order.get_mut(s.order_number.as_str()) {
            o.shipments.push(s);
        }
    }
    let mut bodies: HashMap<String, Vec<(i64, String, String)>> = HashMap::new();
    for r in &events {
        bodies.entry(r.text("k")?).or_default().push((
            r.int("occurred_ms")?,
            r.text("id")?,
            r.text("body")?,
        ));
    }
    for (number, mut evs) in bodies {
        let Some(o) = by_order.get_mut(&number) else {
            continue;
        };
        // As `events_for_order` reads them: by time, then id, each once.
        evs.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        evs.dedup_by(|a, b| a.1 == b.1);
        o.events = evs
            .iter()
            .map(|(_, _, body)| events::parse_stored(body))
            .collect::<anyhow::Result<_>>()?;
    }
    for r in &cases {
        let number = r.text("order_number")?;
        if let Some(o) = by_order.get_mut(&number) {
            o.cases.push(cases::existing_case(r)?);
        }
    }
    for r in &customers {
        let c = records::customer_from_row(r)?;
        out.customers.insert(c.id.as_str().to_string(), c);
    }
    for r in &order_contacts {
        let c = contacts::from_row(r)?;
        out.contacts
            .entry(c.order_number.clone())
            .or_default()
            .push(c);
    }
    for r in &notices {
        out.stored.insert((
            r.text("order_number")?,
            r.text("code")?,
            r.text("fingerprint")?,
            r.text("person")?,
        ));
    }
    out.orders = by_order.into_values().collect();
    out.orders
        .sort_unstable_by(|a, b| a.order.number.as_str().cmp(b.order.number.as_str()));
    Ok(out)
}
