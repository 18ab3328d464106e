//! The append-only event log: batch appends that report duplicates, and reads by
//! shipment and by order.

use anyhow::Context;
use sqlx::AnyConnection;
use sqlx::{AssertSqlSafe, Row};

use super::{in_list, placeholders};
use std::collections::{HashMap, HashSet};

use crate::domain::{Event, Item, OrderNumber, TrackingNumber};

/// An event ready to be stored: its canonical JSON and hash computed once.
pub struct NewEvent<'a> {
    pub event: &'a Event,
    pub body: String,
    pub hash: String,
}

/// Rows per INSERT: 8 columns each, below SQLite's limit of 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Appends events, skipping ids that exist already (`ON CONFLICT DO NOTHING`); returns
/// how many rows were inserted. Callers check ids first with [`event_hashes`].
pub async fn insert_events(
    conn: &mut AnyConnection,
    events: &[&NewEvent<'_>],
    now_ms: i64,
) -> anyhow::Result<u64> {
    let mut affected = 0;
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO events (id, type, tracking_number, order_number, occurred_ms, \
             recorded_ms, content_hash, body) VALUES {} ON CONFLICT (id) DO NOTHING",
            placeholders(conn, 0, chunk.len(), 8)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.event.id.as_str())
                .bind(e.event.body.type_name())
                .bind(e.event.body.tracking_number().map(|t| t.as_str()))
                .bind(e.event.body.order_number().map(|o| o.as_str()))
                .bind(e.event.occurred_at_ms())
                .bind(now_ms)
                .bind(e.hash.as_str())
                .bind(e.body.as_str());
        }
        affected += q
            .execute(&mut *conn)
            .await
            .context("appending events")?
            .rows_affected();
    }
    Ok(affected)
}

/// Appends events when NONE of their ids is stored yet, and returns true; when some
/// were stored already, nothing is changed and it returns false (the caller then sorts
/// duplicates from conflicts). A savepoint undoes the partial append, so the usual case
/// — a feed of new events — needs no read before the write.
pub async fn insert_events_if_all_new(
    conn: &mut AnyConnection,
    events: &[&NewEvent<'_>],
    now_ms: i64,
) -> anyhow::Result<bool> {
    sqlx::query("SAVEPOINT append_events")
        .execute(&mut *conn)
        .await
        .context("starting a savepoint")?;
    let affected = insert_events(conn, events, now_ms).await?;
    let all_new = affected == events.len() as u64;
    if !all_new {
        sqlx::query("ROLLBACK TO SAVEPOINT append_events")
            .execute(&mut *conn)
            .await
            .context("undoing a partial append")?;
    }
    sqlx::query("RELEASE SAVEPOINT append_events")
        .execute(&mut *conn)
        .await
        .context("releasing a savepoint")?;
    Ok(all_new)
}

/// Appends the events whose ids are not stored yet; returns the stored hashes of the
/// others (duplicates or conflicts) and the ids appended now.
pub async fn insert_new_events<'e>(
    conn: &mut AnyConnection,
    unique: &[&'e NewEvent<'_>],
    now_ms: i64,
) -> anyhow::Result<(HashMap<String, String>, HashSet<&'e str>)> {
    // Ids already stored are duplicates or conflicts.
    let ids: Vec<&str> = unique.iter().map(|e| e.event.id.as_str()).collect();
    let mut stored = event_hashes(conn, &ids).await?;
    let fresh: Vec<&NewEvent<'_>> = unique
        .iter()
        .copied()
        .filter(|e| !stored.contains_key(e.event.id.as_str()))
        .collect();
    let affected = insert_events(conn, &fresh, now_ms).await?;
    let mut inserted: HashSet<&str> = fresh.iter().map(|e| e.event.id.as_str()).collect();
    if affected != fresh.len() as u64 {
        // Another writer (another `verity serve` on the same PostgreSQL) stored some of
        // these ids in the meantime: what is stored now decides.
        let fresh_ids: Vec<&str> = fresh.iter().map(|e| e.event.id.as_str()).collect();
        let now_stored = event_hashes(conn, &fresh_ids).await?;
        for e in &fresh {
            let id = e.event.id.as_str();
            match now_stored.get(id) {
                Some(h) if *h == e.hash => {}
                Some(h) => {
                    inserted.remove(id);
                    stored.insert(id.to_string(), h.clone());
                }
                None => anyhow::bail!("event {id} was neither stored nor found"),
            }
        }
    }
    Ok((stored, inserted))
}

/// The stored content hashes of these event ids.
pub async fn event_hashes(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> anyhow::Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, content_hash FROM events WHERE id IN ({})",
            in_list(conn, 0, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q
            .fetch_all(&mut *conn)
            .await
            .context("reading event hashes")?
        {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    Ok(out)
}

/// The stored bodies of the matching events as ONE row: a JSON array's inside,
/// `b1,b2,…` (NULL when none match). One row instead of one per event: each row is a
/// hand-off between the database's thread and the request's, and an order has dozens.
fn bodies_in_one_row(conn: &AnyConnection, condition: &str) -> String {
    let agg = if conn.backend_name() == "SQLite" {
        "group_concat(body, ',' ORDER BY occurred_ms, id)"
    } else {
        "string_agg(body, ',' ORDER BY occurred_ms, id)"
    };
    format!("SELECT {agg} FROM events WHERE {condition}")
}

/// Parses one stored event body.
pub(crate) fn parse_stored(body: &str) -> anyhow::Result<Event> {
    let v: serde_json::Value = serde_json::from_str(body).context("stored event JSON")?;
    match Item::parse(&v)? {
        Item::Event(e) => Ok(e),
        other => anyhow::bail!("stored event is a {}", other.type_name()),
    }
}

/// Parses `b1,b2,…` as produced by [`bodies_in_one_row`].
fn parse_bodies(joined: Option<String>) -> anyhow::Result<Vec<Event>> {
    let Some(joined) = joined else {
        return Ok(Vec::new());
    };
    let values: Vec<serde_json::Value> =
        serde_json::from_str(&format!("[{joined}]")).context("stored event JSON")?;
    values
        .iter()
        .map(|v| match Item::parse(v)? {
            Item::Event(e) => Ok(e),
            other => anyhow::bail!("stored event is a {}", other.type_name()),
        })
        .collect()
}

/// Every event about a shipment, in the order they happened.
pub async fn events_for_shipment(
    conn: &mut AnyConnection,
    t: &TrackingNumber,
) -> anyhow::Result<Vec<Event>> {
    let sql = bodies_in_one_row(conn, &format!("tracking_number = {}", in_list(conn, 0, 1)));
    let joined: Option<String> = sqlx::query(AssertSqlSafe(sql))
        .bind(t.as_str())
        .fetch_one(conn)
        .await
        .context("reading events of a shipment")?
        .try_get(0)?;
    parse_bodies(joined)
}

/// Every event about an order or any of the given shipments, in the order they happened.
pub async fn events_for_order(
    conn: &mut AnyConnection,
    n: &OrderNumber,
    tracking: &[TrackingNumber],
) -> anyhow::Result<Vec<Event>> {
    // One placeholder style per statement: SQLite numbers `?` apart from `$n`.
    let first = in_list(conn, 0, 1);
    let condition = if tracking.is_empty() {
        format!("order_number = {first}")
    } else {
        format!(
            "order_number = {first} OR tracking_number IN ({})",
            in_list(conn, 1, tracking.len())
        )
    };
    let sql = bodies_in_one_row(conn, &condition);
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(n.as_str());
    for t in tracking {
        q = q.bind(t.as_str());
    }
    let joined: Option<String> = q
        .fetch_one(conn)
        .await
        .context("reading events of an order")?
        .try_get(0)?;
    parse_bodies(joined)
}

/// [`events_for_order`] on a SQLite file's reading connection.
pub(crate) fn lite_events_for_order(
    c: &rusqlite::Connection,
    n: &OrderNumber,
    tracking: &[TrackingNumber],
) -> anyhow::Result<Vec<Event>> {
    let mut condition = "order_number = $1".to_string();
    if !tracking.is_empty() {
        let list: Vec<String> = (2..tracking.len() + 2).map(|i| format!("${i}")).collect();
        condition = format!("{condition} OR tracking_number IN ({})", list.join(", "));
    }
    let sql = format!(
        "SELECT group_concat(body, ',' ORDER BY occurred_ms, id) AS bodies FROM events WHERE {condition}"
    );
    let keys: Vec<&str> = std::iter::once(n.as_str())
        .chain(tracking.iter().map(TrackingNumber::as_str))
        .collect();
    let values: Vec<&dyn rusqlite::ToSql> =
        keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
    let rows = super::lite::query(c, &sql, &values)?;
    parse_bodies(match rows.first() {
        Some(r) => super::Cols::opt_text(r, "bodies")?,
        None => None,
    })
}

/// Every event about an order placed since `since_ms` or one of its shipments, in the
/// order they happened (the console's contradiction overview).
pub async fn events_of_orders_placed_since(
    conn: &mut AnyConnection,
    since_ms: i64,
) -> anyhow::Result<Vec<Event>> {
    sqlx::query(
        "SELECT body FROM events WHERE order_number IN \
         (SELECT number FROM orders WHERE placed_ms >= $1) OR tracking_number IN \
         (SELECT s.tracking_number FROM shipments s JOIN orders o ON o.number = s.order_number \
          WHERE o.placed_ms >= $1) ORDER BY occurred_ms, id",
    )
    .bind(since_ms)
    .fetch_all(conn)
    .await
    .context("reading events of recent orders")?
    .iter()
    .map(|r| parse_stored(&r.try_get::<String, _>(0)?))
    .collect()
}
