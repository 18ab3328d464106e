//! Cases: the remedies set in motion. Creating one is idempotent on its claim key, so
//! one claim never yields two cases.

use anyhow::Context;
use sqlx::{AnyConnection, Row};

use super::Cols;

use crate::domain::{OrderNumber, TrackingNumber};
use crate::truth::{CaseStatus, ExistingCase, Remedy};

/// A case to create.
#[derive(Clone, Debug)]
pub struct NewCase<'a> {
    pub id: &'a str,
    pub remedy: Remedy,
    pub customer_id: Option<&'a str>,
    pub order_number: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
    pub contradiction_code: Option<&'a str>,
    /// What makes two requests the same claim (e.g. `replacement:A-100250`).
    pub claim_key: &'a str,
    pub details: serde_json::Value,
    pub due_ms: Option<i64>,
}

fn remedy_name(r: Remedy) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn status_name(s: CaseStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Creates the case unless an open one (open or in progress) with the same claim key
/// exists; returns the id of the case that holds the claim and whether it was created
/// now. A closed case (done, declined, cancelled) lets its claim go first (its key gets
/// its id appended), so the same request after it was closed is a new case, while two
/// requests at once still make one. A conversation has at most one open handoff case
/// (a unique index): asking for a person again, under any claim key, answers with it.
pub async fn insert_case(
    conn: &mut AnyConnection,
    c: &NewCase<'_>,
    now_ms: i64,
) -> anyhow::Result<(String, bool)> {
    sqlx::query(
        "UPDATE cases SET claim_key = claim_key || '#' || id \
         WHERE claim_key = $1 AND status NOT IN ('open', 'in_progress')",
    )
    .bind(c.claim_key)
    .execute(&mut *conn)
    .await
    .context("releasing the claim of a closed case")?;
    let inserted = sqlx::query(
        "INSERT INTO cases (id, kind, status, customer_id, order_number, tracking_number, \
         conversation_id, contradiction_code, claim_key, details, due_ms, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(c.id)
    .bind(remedy_name(c.remedy))
    .bind(status_name(CaseStatus::Open))
    .bind(c.customer_id)
    .bind(c.order_number)
    .bind(c.tracking_number)
    .bind(c.conversation_id)
    .bind(c.contradiction_code)
    .bind(c.claim_key)
    .bind(c.details.to_string())
    .bind(c.due_ms)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await
    .context("creating a case")?;
    if let Some(row) = inserted {
        return Ok((row.try_get(0)?, true));
    }
    let row = sqlx::query(
        "SELECT id FROM cases WHERE claim_key = $1 UNION ALL \
         SELECT id FROM cases WHERE kind = 'handoff' AND kind = $2 AND conversation_id = $3 \
         AND status IN ('open', 'in_progress')",
    )
    .bind(c.claim_key)
    .bind(remedy_name(c.remedy))
    .bind(c.conversation_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading the case that holds a claim")?;
    Ok((row.try_get(0)?, false))
}

/// The open (or in progress) case holding a claim, if any.
pub async fn open_case_with_claim(
    conn: &mut AnyConnection,
    claim_key: &str,
) -> anyhow::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT id FROM cases WHERE claim_key = $1 AND status IN ('open', 'in_progress')",
    )
    .bind(claim_key)
    .fetch_optional(conn)
    .await
    .context("reading the open case of a claim")?;
    row.map(|r| r.try_get(0).map_err(anyhow::Error::from))
        .transpose()
}

/// Every case of an order, as the remedy policy needs them.
pub async fn list_cases_for_order(
    conn: &mut AnyConnection,
    n: &OrderNumber,
) -> anyhow::Result<Vec<ExistingCase>> {
    let rows = sqlx::query(CASES_FOR_ORDER)
        .bind(n.as_str())
        .fetch_all(conn)
        .await
        .context("listing the cases of an order")?;
    rows.iter().map(existing_case).collect()
}

const CASES_FOR_ORDER: &str =
    "SELECT kind, status, tracking_number FROM cases WHERE order_number = $1 ORDER BY created_ms";

pub(crate) fn existing_case<R: Cols>(r: &R) -> anyhow::Result<ExistingCase> {
    Ok(ExistingCase {
        remedy: serde_json::from_value(serde_json::Value::String(r.text("kind")?))
            .context("a case's kind")?,
        status: serde_json::from_value(serde_json::Value::String(r.text("status")?))
            .context("a case's status")?,
        tracking_number: r
            .opt_text("tracking_number")?
            .map(|t| TrackingNumber::parse(&t))
            .transpose()
            .map_err(anyhow::Error::msg)?,
    })
}

/// [`list_cases_for_order`] on a SQLite file's reading connection.
pub(crate) fn lite_cases_for_order(
    c: &rusqlite::Connection,
    n: &OrderNumber,
) -> anyhow::Result<Vec<ExistingCase>> {
    super::lite::query(c, CASES_FOR_ORDER, &[&n.as_str()])?
        .iter()
        .map(existing_case)
        .collect()
}

/// A case as the customer and staff see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaseRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub order_number: Option<String>,
    pub tracking_number: Option<String>,
    pub contradiction_code: Option<String>,
    pub details: serde_json::Value,
    pub due_ms: Option<i64>,
    pub created_ms: i64,
}

impl CaseRow {
    /// A callback's slot (start and end), as its details record it.
    pub fn slot(&self) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let at = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&chrono::Utc))
        };
        let slot = &self.details["slot"];
        Some((at(&slot[0])?, at(&slot[1])?))
    }

    /// Open or being worked on.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "open" | "in_progress")
    }
}

/// The cases of a customer, newest first.
pub async fn list_cases_for_customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> anyhow::Result<Vec<CaseRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, status, order_number, tracking_number, contradiction_code, details, \
         due_ms, created_ms FROM cases WHERE customer_id = $1 ORDER BY created_ms DESC, id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await
    .context("listing a customer's cases")?;
    rows.iter()
        .map(|r| {
            Ok(CaseRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                status: r.try_get("status")?,
                order_number: r.try_get("order_number")?,
                tracking_number: r.try_get("tracking_number")?,
                contradiction_code: r.try_get("contradiction_code")?,
                details: serde_json::from_str(&r.try_get::<String, _>("details")?)
                    .unwrap_or(serde_json::Value::Null),
                due_ms: r.try_get("due_ms")?,
                created_ms: r.try_get("created_ms")?,
            })
        })
        .collect()
}
