//! `verify_customer`: order number + postcode (or the account email) on any channel.
//! Every failure gives the same neutral answer, whether or not the order exists, and
//! repeated failures lock verification for a while.

use serde_json::{Value, json};

use super::{ToolContext, arg};
use crate::domain::record::parse_email;
use crate::store::{conversations, records};

/// Failed attempts before verification locks.
pub const MAX_FAILED_VERIFICATIONS: i64 = 5;
/// How long it stays locked.
pub const LOCK_MINUTES: i64 = 30;

pub(super) async fn verify_customer(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<Value> {
    let now_ms = ctx.now_ms();
    if let Some(until) = ctx.conversation.locked_until_ms
        && until > now_ms
    {
        let minutes = (until - now_ms + 59_999) / 60_000;
        return Ok(json!({"verified": false, "reason": "locked", "retry_after_minutes": minutes}));
    }
    let order = arg(args, "order_number");
    let postcode = arg(args, "postcode");
    let email = arg(args, "email");
    if order.is_none() && email.is_none() {
        return Ok(
            json!({"verified": false, "reason": "missing", "needs": ["order_number", "postcode"]}),
        );
    }
    if order.is_some() && postcode.is_none() && email.is_none() {
        return Ok(json!({"verified": false, "reason": "missing", "needs": ["postcode"]}));
    }
    let mut conn = ctx.store.read().await?;
    let found = match (order, postcode, email) {
        // The number in the store's spelling, whatever its case and hyphens.
        (Some(o), Some(p), _) => match records::resolve_order_number(&mut conn, o.trim()).await? {
            Some(n) => records::find_order_owner(&mut conn, &n, p).await?,
            None => None,
        },
        (_, _, Some(e)) => match parse_email(e) {
            Ok(e) => records::find_customer_by_email(&mut conn, &e).await?,
            Err(_) => None,
        },
        _ => None,
    };
    drop(conn);
    let Some(customer) = found else {
        ctx.conversation.failed_verifications += 1;
        if ctx.conversation.failed_verifications >= MAX_FAILED_VERIFICATIONS {
            ctx.conversation.locked_until_ms = Some(now_ms + LOCK_MINUTES * 60_000);
            ctx.conversation.failed_verifications = 0;
            tracing::warn!(conversation.id = %ctx.conversation.id, "verification locked after repeated failures");
            return Ok(
                json!({"verified": false, "reason": "locked", "retry_after_minutes": LOCK_MINUTES}),
            );
        }
        return Ok(json!({"verified": false, "reason": "no_match"}));
    };
    if let Some(current) = ctx.conversation.customer_id.as_deref()
        && current != customer.as_str()
    {
        // One conversation speaks for one customer; another identity starts afresh.
        *ctx.state = Default::default();
    }
    ctx.conversation.customer_id = Some(customer.as_str().to_string());
    ctx.conversation.failed_verifications = 0;
    ctx.conversation.locked_until_ms = None;
    if let Some(o) = order {
        ctx.state.focus_on_order(&o.to_ascii_uppercase());
    }
    if ctx.conversation.channel != "web"
        && let Some(ext) = ctx.conversation.external_id.clone()
    {
        let mut tx = ctx.store.begin().await?;
        conversations::link_channel_identity(
            tx.conn(),
            &ctx.conversation.channel,
            &ext,
            customer.as_str(),
            now_ms,
        )
        .await?;
        tx.commit().await?;
    }
    let mut conn = ctx.store.read().await?;
    let name = records::get_customer(&mut conn, &customer)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(
        json!({"verified": true, "customer_name": name, "order_number": order.map(str::to_ascii_uppercase)}),
    )
}
