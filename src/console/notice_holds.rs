//! The notices of an order as staff see them in the console (channel, time, how far the
//! sending got), and holding or releasing them: a hold stops what was not sent yet and
//! keeps new notices back; a release sends what was held.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::actions::{ActionError, Actor};
use super::problem::Problem;
use crate::domain::OrderNumber;
use crate::notices::links::Links;
use crate::store::Store;
use crate::store::audit::insert_audit;
use crate::store::notice_sends::{self as db, NoticeSend};
use crate::store::notices as notice_db;
use crate::truth::Policy;

/// One notice on the console.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeLine {
    #[serde(flatten)]
    pub notice: NoticeSend,
    /// `waiting` (quiet hours), `sending`, `sent`, `delivered`, `read`, `failed`, `held`,
    /// `suppressed`, `unreachable`, `covered` (told in another notice of the same time)
    /// or `queued` (labels in prompts/console/).
    pub state: &'static str,
    /// Whether it has not left Verity yet (what a hold stops).
    pub pending: bool,
}

/// An order's notices and whether staff hold them.
#[derive(Clone, Debug, Serialize)]
pub struct OrderNotices {
    pub order: String,
    pub held: bool,
    pub notices: Vec<NoticeLine>,
}

fn state_of(n: &NoticeSend, now_ms: i64) -> &'static str {
    match n.status.as_str() {
        "held" => "held",
        "suppressed" => "suppressed",
        "unreachable" => "unreachable",
        "covered" => "covered",
        _ => match n.outbox_status.as_deref() {
            Some("pending") if n.send_after_ms > now_ms => "waiting",
            Some("pending" | "sending" | "unknown") => "sending",
            Some("sent") => "sent",
            Some("delivered") => "delivered",
            Some("read") => "read",
            Some("failed" | "dead") => "failed",
            Some("held") => "held",
            _ => "queued",
        },
    }
}

/// The notices of each of `orders`.
pub async fn for_orders(
    store: &Store,
    orders: &[String],
    now_ms: i64,
) -> anyhow::Result<Vec<OrderNotices>> {
    let mut conn = store.read().await?;
    let mut out = Vec::new();
    for order in orders {
        let notices = db::list_notice_sends(&mut conn, order)
            .await?
            .into_iter()
            .map(|n| {
                let state = state_of(&n, now_ms);
                NoticeLine {
                    pending: matches!(state, "waiting" | "sending" | "held" | "queued"),
                    state,
                    notice: n,
                }
            })
            .collect();
        out.push(OrderNotices {
            held: notice_db::held(&mut conn, order).await?,
            order: order.clone(),
            notices,
        });
    }
    Ok(out)
}

async fn audit(
    tx: &mut crate::store::WriteTx,
    actor: Actor<'_>,
    action: &str,
    number: &OrderNumber,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    insert_audit(
        tx.conn(),
        actor.now_ms,
        &format!("staff:{}", actor.staff_id),
        action,
        Some(&format!("order:{}", number.as_str())),
        &details,
    )
    .await
}

fn order_number(order: &str) -> Result<OrderNumber, ActionError> {
    OrderNumber::parse(order).map_err(|_| ActionError::NotFound(Problem::new("no_order")))
}

/// Holds an order's notices: what was not sent yet stays, new ones are kept back.
/// Returns how many queued notices were stopped.
pub async fn hold(store: &Store, actor: Actor<'_>, order: &str) -> Result<usize, ActionError> {
    let number = order_number(order)?;
    let mut tx = store.begin().await?;
    notice_db::set_hold(
        tx.conn(),
        number.as_str(),
        Some(actor.staff_id),
        true,
        actor.now_ms,
    )
    .await?;
    let mut stopped = 0;
    for n in db::list_notice_sends(tx.conn(), number.as_str()).await? {
        if let (true, Some(row)) = (n.status == "queued", n.outbox_id.as_deref())
            && db::hold_queued_notice(tx.conn(), &n.id, row, actor.now_ms).await?
        {
            stopped += 1;
        }
    }
    audit(
        &mut tx,
        actor,
        "notices.hold",
        &number,
        json!({"stopped": stopped}),
    )
    .await?;
    tx.commit().await?;
    Ok(stopped)
}

/// Releases an order's notices: the held ones are sent (those held before they were
/// written are written now, as the order stands), new ones go out again.
pub async fn release(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    actor: Actor<'_>,
    order: &str,
) -> Result<(), ActionError> {
    let number = order_number(order)?;
    let mut tx = store.begin().await?;
    notice_db::set_hold(tx.conn(), number.as_str(), None, false, actor.now_ms).await?;
    let mut released = 0;
    for n in db::list_notice_sends(tx.conn(), number.as_str()).await? {
        if n.status != "held" {
            continue;
        }
        match n.outbox_id.as_deref() {
            // Still not in the quiet hours it waited for.
            Some(row) => {
                let due = n.send_after_ms.max(actor.now_ms);
                db::release_held_notice(tx.conn(), &n.id, row, actor.now_ms, due).await?;
            }
            None => db::forget_unsent_notice(tx.conn(), &n.id).await?,
        }
        released += 1;
    }
    audit(
        &mut tx,
        actor,
        "notices.release",
        &number,
        json!({"released": released}),
    )
    .await?;
    tx.commit().await?;
    crate::notices::notify_order(store, policy, links, now, &number).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(status: &str, outbox: Option<&str>, send_after_ms: i64) -> NoticeSend {
        NoticeSend {
            id: "ntc_1".into(),
            order_number: "A-1".into(),
            code: "promise_overdue".into(),
            person: "C-1".into(),
            channel: "email".into(),
            status: status.into(),
            reason: None,
            outbox_id: outbox.map(|_| "out_1".into()),
            send_after_ms,
            created_ms: 0,
            outbox_status: outbox.map(str::to_string),
            outbox_updated_ms: None,
        }
    }

    #[test]
    fn a_notice_says_how_far_its_sending_got() {
        assert_eq!(
            state_of(&notice("queued", Some("pending"), 2_000), 1_000),
            "waiting"
        );
        assert_eq!(
            state_of(&notice("queued", Some("pending"), 0), 1_000),
            "sending"
        );
        assert_eq!(
            state_of(&notice("queued", Some("delivered"), 0), 1_000),
            "delivered"
        );
        assert_eq!(
            state_of(&notice("queued", Some("dead"), 0), 1_000),
            "failed"
        );
        assert_eq!(state_of(&notice("held", None, 0), 1_000), "held");
        assert_eq!(
            state_of(&notice("suppressed", None, 0), 1_000),
            "suppressed"
        );
    }
}
