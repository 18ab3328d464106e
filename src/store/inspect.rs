//! Whole-store reads for the eval runner: every customer's identifying data (to find
//! leaks), and the cases and events a scenario created. Not for request paths: these
//! read whole tables.

use anyhow::Context;
use sqlx::{AnyConnection, Row};

use super::in_list;

/// One piece of data that identifies a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identifying {
    pub customer_id: String,
    /// `name`, `email`, `phone`, `address`, `order_number` or `tracking_number`.
    pub kind: &'static str,
    pub value: String,
}

/// Every customer's name, email and phone, every order's number and shipping name and
/// street, and every shipment's tracking number and own street, with the customer each
/// belongs to.
pub async fn list_identifying_data(conn: &mut AnyConnection) -> anyhow::Result<Vec<Identifying>> {
    let mut out = Vec::new();
    let rows = sqlx::query("SELECT id, name, email, phone FROM customers")
        .fetch_all(&mut *conn)
        .await
        .context("listing customers")?;
    for r in rows {
        let id: String = r.try_get("id")?;
        let name: String = r.try_get("name")?;
        let email: Option<String> = r.try_get("email")?;
        let phone: Option<String> = r.try_get("phone")?;
        out.push(item(&id, "name", name));
        out.extend(email.map(|v| item(&id, "email", v)));
        out.extend(phone.map(|v| item(&id, "phone", v)));
    }
    let rows = sqlx::query("SELECT number, customer_id, ship_name, ship_street FROM orders")
        .fetch_all(&mut *conn)
        .await
        .context("listing orders")?;
    for r in rows {
        let id: String = r.try_get("customer_id")?;
        out.push(item(&id, "order_number", r.try_get("number")?));
        out.push(item(&id, "name", r.try_get("ship_name")?));
        out.push(item(&id, "address", r.try_get("ship_street")?));
    }
    let rows = sqlx::query(
        "SELECT s.tracking_number, s.address, o.customer_id FROM shipments s \
         JOIN orders o ON o.number = s.order_number",
    )
    .fetch_all(&mut *conn)
    .await
    .context("listing shipments")?;
    for r in rows {
        let id: String = r.try_get("customer_id")?;
        out.push(item(&id, "tracking_number", r.try_get("tracking_number")?));
        let address: Option<String> = r.try_get("address")?;
        if let Some(street) = address
            .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            .and_then(|a| a["street"].as_str().map(str::to_string))
        {
            out.push(item(&id, "address", street));
        }
    }
    Ok(out)
}

fn item(customer_id: &str, kind: &'static str, value: String) -> Identifying {
    Identifying {
        customer_id: customer_id.to_string(),
        kind,
        value,
    }
}

/// The ids of every case.
pub async fn list_case_ids(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM cases")
        .fetch_all(conn)
        .await
        .context("listing case ids")?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(anyhow::Error::from))
        .collect()
}

/// Every case as a JSON object: its columns, `details` parsed.
pub async fn list_cases_json(conn: &mut AnyConnection) -> anyhow::Result<Vec<serde_json::Value>> {
    let rows = sqlx::query(
        "SELECT id, kind, status, customer_id, order_number, tracking_number, conversation_id, \
         contradiction_code, details, due_ms, created_ms FROM cases ORDER BY created_ms, id",
    )
    .fetch_all(conn)
    .await
    .context("listing cases")?;
    rows.iter()
        .map(|r| {
            let details: String = r.try_get("details")?;
            Ok(serde_json::json!({
                "id": r.try_get::<String, _>("id")?,
                "kind": r.try_get::<String, _>("kind")?,
                "status": r.try_get::<String, _>("status")?,
                "customer_id": r.try_get::<Option<String>, _>("customer_id")?,
                "order_number": r.try_get::<Option<String>, _>("order_number")?,
                "tracking_number": r.try_get::<Option<String>, _>("tracking_number")?,
                "conversation_id": r.try_get::<Option<String>, _>("conversation_id")?,
                "contradiction_code": r.try_get::<Option<String>, _>("contradiction_code")?,
                "details": serde_json::from_str::<serde_json::Value>(&details)
                    .unwrap_or(serde_json::Value::Null),
                "due_ms": r.try_get::<Option<i64>, _>("due_ms")?,
                "created_ms": r.try_get::<i64, _>("created_ms")?,
            }))
        })
        .collect()
}

/// The ids of every event.
pub async fn list_event_ids(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM events")
        .fetch_all(conn)
        .await
        .context("listing event ids")?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(anyhow::Error::from))
        .collect()
}

/// The bodies (ingestion-format JSON) of the events with these ids.
pub async fn list_event_bodies(
    conn: &mut AnyConnection,
    ids: &[String],
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT body FROM events WHERE id IN ({}) ORDER BY occurred_ms, id",
            in_list(conn, 0, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        let rows = q
            .fetch_all(&mut *conn)
            .await
            .context("reading events by id")?;
        for r in rows {
            let body: String = r.try_get(0)?;
            out.push(serde_json::from_str(&body).context("an event's stored body")?);
        }
    }
    Ok(out)
}

/// Webhook deliveries not processed yet plus outbox messages not sent yet (the eval
/// runner waits for none before it reads a WhatsApp or Messenger reply).
pub async fn pending_channel_work(conn: &mut AnyConnection) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE processed_ms IS NULL) \
         + (SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending'))",
    )
    .fetch_one(conn)
    .await
    .context("counting pending channel work")?;
    Ok(row.try_get::<i64, _>(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn identifying_data_names_each_customers_own_records() {
        let store = Store::in_memory().await.unwrap();
        let items = [
            r#"{"type":"customer","id":"C-1","name":"Ida Test","email":"ida@example.org","phone":"+4915100000001","locale":"de"}"#,
            r#"{"type":"order","number":"A-1","customer_id":"C-1","placed_at":"2025-09-08T10:00:00+02:00","currency":"EUR","total":"1.00","shipping_address":{"name":"Ida Test","street":"Probeweg 3","postcode":"33100","city":"Paderborn","country":"DE"},"lines":[{"sku":"X","name":"X","qty":1,"unit_price":"1.00"}]}"#,
            r#"{"type":"shipment","tracking_number":"12345678901","carrier":"dhl","order_number":"A-1","kind":"original","skus":["X"]}"#,
            r#"{"type":"customer_report","id":"r1","order_number":"A-1","occurred_at":"2025-09-09T10:00:00+02:00","claim":"not_received"}"#,
        ]
        .join("\n");
        let report = crate::ingest::apply(
            &store,
            crate::ingest::parse_ndjson(&items),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();
        assert_eq!(report.accepted, 4);
        let mut conn = store.read().await.unwrap();
        let data = list_identifying_data(&mut conn).await.unwrap();
        let kinds: Vec<(&str, &str)> = data.iter().map(|d| (d.kind, d.value.as_str())).collect();
        for want in [
            ("name", "Ida Test"),
            ("email", "ida@example.org"),
            ("phone", "+4915100000001"),
            ("order_number", "A-1"),
            ("address", "Probeweg 3"),
            ("tracking_number", "12345678901"),
        ] {
            assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
        }
        assert!(data.iter().all(|d| d.customer_id == "C-1"));
        let ids = list_event_ids(&mut conn).await.unwrap();
        assert_eq!(ids, ["r1"]);
        let bodies = list_event_bodies(&mut conn, &ids).await.unwrap();
        assert_eq!(bodies[0]["claim"], "not_received");
        assert!(list_case_ids(&mut conn).await.unwrap().is_empty());
        assert!(list_cases_json(&mut conn).await.unwrap().is_empty());
    }
}
