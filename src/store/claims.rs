//! Claims with leases: work that several instances (or a restarted one) may pick up is
//! claimed in the store with an owner (an instance id) and an expiry, renewed while the
//! owner works ([`renew_all`]), and taken over by anyone once it has run out. Times
//! here are wall-clock milliseconds ([`wall_ms`]), not the app's clock: a lease is
//! about which process is alive, and a test's fixed clock would never let one expire.
//!
//! On PostgreSQL a batch is claimed with `FOR UPDATE SKIP LOCKED` (two instances never
//! claim the same row); on SQLite the claim runs on the one writer, which is as good.

use anyhow::Context;
use sqlx::AnyConnection;

use super::channels::{DeliveryRow, delivery_columns, delivery_from};
use super::sql::values;
use super::{Backend, Store};

/// Milliseconds since 1970 on the system clock.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A new instance id: one per running process (per `Store` connected).
pub fn new_instance_id() -> String {
    super::new_id("inst")
}

const CLAIM_DELIVERIES: &str = concat!(
    "UPDATE webhook_deliveries SET claimed_by = $1, lease_until_ms = $2 WHERE id IN \
     (SELECT id FROM webhook_deliveries WHERE processed_ms IS NULL \
      AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
      ORDER BY received_ms, id LIMIT $4) RETURNING ",
    delivery_columns!()
);
/// PostgreSQL: two instances claiming at once skip each other's rows.
const CLAIM_DELIVERIES_LOCKED: &str = concat!(
    "UPDATE webhook_deliveries SET claimed_by = $1, lease_until_ms = $2 WHERE id IN \
     (SELECT id FROM webhook_deliveries WHERE processed_ms IS NULL \
      AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
      ORDER BY received_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING ",
    delivery_columns!()
);

/// Claims up to `limit` unprocessed deliveries nobody holds (never claimed, or whose
/// lease ran out), oldest first, for `owner` until `until_ms`.
pub async fn claim_deliveries(
    store: &Store,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
    limit: i64,
) -> anyhow::Result<Vec<DeliveryRow>> {
    let sql = match store.backend() {
        Backend::Postgres => CLAIM_DELIVERIES_LOCKED,
        Backend::Sqlite => CLAIM_DELIVERIES,
    };
    let mut out = store
        .write_fetch(
            sql,
            values![owner, until_ms, now_ms, limit],
            delivery_from,
            "claiming webhook deliveries",
        )
        .await?;
    // RETURNING keeps no order.
    out.sort_by(|a, b| (a.received_ms, &a.id).cmp(&(b.received_ms, &b.id)));
    Ok(out)
}

/// Marks a delivery processed, with what went wrong (never message text), if `owner`
/// still holds it; `false` when another instance took it over (its lease ran out).
pub async fn finish_delivery(
    store: &Store,
    id: &str,
    owner: &str,
    now_ms: i64,
    error: Option<&str>,
) -> anyhow::Result<bool> {
    let done = store
        .write_execute(
            "UPDATE webhook_deliveries SET processed_ms = $3, error = $4, lease_until_ms = NULL \
             WHERE id = $1 AND claimed_by = $2 AND processed_ms IS NULL",
            values![id, owner, now_ms, error],
            "marking a webhook delivery processed",
        )
        .await?;
    Ok(done == 1)
}

/// Takes the named lease for `owner` until `until_ms` when it is free, run out, or
/// `owner`'s already; `false` when another owner holds it.
pub async fn acquire_lease(
    store: &Store,
    name: &str,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> anyhow::Result<bool> {
    let done = store
        .write_execute(
            "INSERT INTO leases (name, owner, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
             WHERE leases.until_ms < $4 OR leases.owner = excluded.owner",
            values![name, owner, until_ms, now_ms],
            "taking a lease",
        )
        .await?;
    Ok(done == 1)
}

/// Gives a lease back (only `owner`'s).
pub async fn release_lease(store: &Store, name: &str, owner: &str) -> anyhow::Result<()> {
    store
        .write_execute(
            "DELETE FROM leases WHERE name = $1 AND owner = $2",
            values![name, owner],
            "giving a lease back",
        )
        .await?;
    Ok(())
}

/// The owner's heartbeat: every delivery, outbox row being sent and named lease it
/// holds lasts until `until_ms`. Returns how many were renewed.
pub async fn renew_all(
    conn: &mut AnyConnection,
    owner: &str,
    until_ms: i64,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for sql in [
        "UPDATE webhook_deliveries SET lease_until_ms = $2 \
         WHERE claimed_by = $1 AND processed_ms IS NULL",
        "UPDATE outbox SET lease_until_ms = $2 WHERE claimed_by = $1 AND status = 'sending'",
        "UPDATE leases SET until_ms = $2 WHERE owner = $1",
    ] {
        n += sqlx::query(sql)
            .bind(owner)
            .bind(until_ms)
            .execute(&mut *conn)
            .await
            .context("renewing leases")?
            .rows_affected();
    }
    Ok(n)
}

/// A named lease held by this process; given back when dropped.
pub struct LeaseGuard {
    store: super::Store,
    name: String,
}

impl LeaseGuard {
    /// Gives the lease back now (the work after it, in this process or another, may
    /// take it at once); dropping the guard gives it back a moment later.
    pub async fn release(mut self) -> anyhow::Result<()> {
        let name = std::mem::take(&mut self.name);
        release_lease(&self.store, &name, self.store.instance_id()).await
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let store = self.store.clone();
        let name = std::mem::take(&mut self.name);
        // Outside a runtime (a test tearing down) the lease simply runs out.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let owner = store.instance_id().to_string();
                if let Err(e) = release_lease(&store, &name, &owner).await {
                    tracing::warn!(error = format!("{e:#}"), "a lease was not given back");
                }
            });
        }
    }
}

impl super::Store {
    /// Takes the named lease for this process, waiting while another instance holds it
    /// (it renews it while it works; when it dies the lease runs out after `lease_ms`).
    pub async fn hold_lease(&self, name: &str, lease_ms: i64) -> anyhow::Result<LeaseGuard> {
        let mut wait = std::time::Duration::from_millis(20);
        loop {
            let now = wall_ms();
            let got = acquire_lease(self, name, self.instance_id(), now, now + lease_ms).await?;
            if got {
                return Ok(LeaseGuard {
                    store: self.clone(),
                    name: name.to_string(),
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(std::time::Duration::from_millis(250));
        }
    }

    /// Renews this process's claims every third of `lease_ms`, until the task is
    /// dropped: the heartbeat that keeps other instances off work this one still does.
    pub async fn renew_claims_forever(&self, lease_ms: i64) {
        let every =
            std::time::Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1).max(1));
        loop {
            tokio::time::sleep(every).await;
            let renewed = async {
                let mut conn = self.write_one().await?;
                renew_all(&mut conn, self.instance_id(), wall_ms() + lease_ms).await
            };
            if let Err(e) = renewed.await {
                tracing::error!(error = format!("{e:#}"), "renewing this instance's leases");
            }
        }
    }
}
