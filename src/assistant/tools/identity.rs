//! `verify_customer`: the order number together with the delivery postcode or the
//! account email (or the email of one of the order's contacts, who then sees that order
//! only), on the web and on Messenger (WhatsApp senders whose phone is on file
//! are verified by the channel, see `channels::inbox`). An email alone never verifies:
//! emails are not secrets. Every failure gives the same neutral answer, whether or not
//! the order exists. Failures are counted in the store per target (order number, email)
//! and per client across sessions, channels and instances, and per conversation; enough
//! of them lock verification, each lock of a key longer than the one before.

use serde_json::Value;

use super::output::{Unverified, Verification, Verified};
use super::{ToolContext, arg};
use crate::domain::OrderNumber;
use crate::domain::lockout::{self, KeyKind};
use crate::domain::record::parse_email;
use crate::store::{contacts, conversations, records, verification};

/// Failed attempts in one conversation before verification locks.
pub const MAX_FAILED_VERIFICATIONS: i64 = lockout::MAX_FAILURES;
/// How long the first lock lasts.
pub const LOCK_MINUTES: i64 = lockout::FIRST_LOCK_MINUTES;

fn locked(minutes: i64) -> Verification {
    Verification::locked(minutes)
}

/// The keys an attempt is counted against.
fn attempt_keys(ctx: &ToolContext<'_>, order: &str, email: Option<&str>) -> Vec<(KeyKind, String)> {
    let mut keys = vec![(KeyKind::Order, lockout::order_key(order))];
    if let Some(e) = email {
        keys.push((KeyKind::Email, lockout::email_key(e)));
    }
    if let Some(c) = ctx.client() {
        keys.push((KeyKind::Client, lockout::client_key(&c)));
    }
    keys
}

pub(super) async fn verify_customer(
    ctx: &mut ToolContext<'_>,
    args: &Value,
) -> anyhow::Result<Verification> {
    let now_ms = ctx.now_ms();
    if let Some(until) = ctx.conversation.locked_until_ms
        && until > now_ms
    {
        return Ok(locked(lockout::minutes_left(until, now_ms)));
    }
    let order = arg(args, "order_number");
    let postcode = arg(args, "postcode");
    let email = arg(args, "email");
    let Some(order) = order else {
        // An email (or a postcode) alone proves nothing: ask for the order number.
        return Ok(Verification::missing("order_number"));
    };
    if postcode.is_none() && email.is_none() {
        return Ok(Verification::missing("postcode_or_email"));
    }
    // Count the attempt first, everywhere it counts; a locked key answers nothing more.
    let keys = attempt_keys(ctx, order, email);
    let mut locked_until = None::<i64>;
    {
        let mut conn = ctx.store.write_one().await?;
        for (kind, key) in &keys {
            let count = verification::count_attempt(
                &mut conn,
                key,
                now_ms,
                now_ms - lockout::WINDOW_MS,
                now_ms - lockout::LOCKOUT_MEMORY_MS,
            )
            .await?;
            let until = match count.locked_until_ms {
                Some(u) if u > now_ms => Some(u),
                // Parallel attempts went past the limit before it locked: lock now.
                _ if count.failures > kind.max_failures() => {
                    let u = now_ms + lockout::lock_minutes(count.lockouts) * 60_000;
                    verification::lock_key(&mut conn, key, kind.max_failures(), u, now_ms).await?;
                    Some(u)
                }
                _ => None,
            };
            if let Some(u) = until {
                locked_until = Some(locked_until.map_or(u, |l| l.max(u)));
            }
        }
    }
    if let Some(until) = locked_until {
        return Ok(locked(lockout::minutes_left(until, now_ms)));
    }
    let mut conn = ctx.store.read().await?;
    // The number in the store's spelling, whatever its case and hyphens.
    let number = match records::resolve_order_number(&mut conn, order.trim()).await? {
        Some(n) => Some(n),
        None => OrderNumber::parse(&order.to_ascii_uppercase()).ok(),
    };
    let mut contact = None;
    let (found, method) = match (&number, postcode, email) {
        (Some(n), Some(p), _) => (
            records::find_order_owner(&mut conn, n, p).await?,
            "order_postcode",
        ),
        (Some(n), None, Some(e)) => match parse_email(e) {
            Ok(e) => {
                let owner = records::find_order_owner_by_email(&mut conn, n, &e).await?;
                if owner.is_none() {
                    // A contact of the order with their own email: that order only.
                    contact = contacts::find_contact_by_email(&mut conn, n, &e).await?;
                }
                (owner, "order_email")
            }
            Err(_) => (None, "order_email"),
        },
        _ => (None, "order_postcode"),
    };
    drop(conn);
    if let (None, Some(c)) = (&found, contact) {
        uncount(ctx, &keys).await?;
        return Ok(verified_contact(ctx, c));
    }
    let Some(customer) = found else {
        return failed(ctx, &keys, now_ms).await;
    };
    uncount(ctx, &keys).await?;
    if let Some(current) = ctx.conversation.customer_id.as_deref()
        && current != customer.as_str()
    {
        // One conversation speaks for one customer; another identity starts afresh.
        *ctx.state = Default::default();
    }
    ctx.conversation.customer_id = Some(customer.as_str().to_string());
    ctx.conversation.failed_verifications = 0;
    ctx.conversation.locked_until_ms = None;
    let order = number
        .as_ref()
        .map_or_else(|| order.to_ascii_uppercase(), |n| n.as_str().to_string());
    ctx.state.focus_on_order(&order);
    if ctx.conversation.channel != "web"
        && let Some(ext) = ctx.conversation.external_id.clone()
    {
        let mut tx = ctx.store.begin().await?;
        conversations::link_channel_identity(
            tx.conn(),
            &ctx.conversation.channel,
            &ext,
            customer.as_str(),
            method,
            now_ms,
        )
        .await?;
        tx.commit().await?;
    }
    let mut conn = ctx.store.read().await?;
    let found = records::get_customer(&mut conn, &customer).await?;
    let name = found.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let salutation = found.as_ref().and_then(|c| c.salutation);
    let family_name = found.as_ref().map(|c| c.family_name());
    Ok(Verification::verified(Verified {
        customer_name: name,
        salutation,
        family_name,
        order_number: order.to_string(),
        contact: None,
    }))
}

/// A successful attempt is not held against its keys.
async fn uncount(ctx: &ToolContext<'_>, keys: &[(KeyKind, String)]) -> anyhow::Result<()> {
    let mut conn = ctx.store.write_one().await?;
    for (_, key) in keys {
        verification::uncount_attempt(&mut conn, key).await?;
    }
    Ok(())
}

/// A contact verified with the order number and their own email: the conversation
/// speaks for the contact's person id, which no read tool takes for a customer, and
/// sees the contact's order only (see `ToolContext::owned_view`). The sender is not
/// linked to anyone: a contact verifies again in a new conversation.
fn verified_contact(ctx: &mut ToolContext<'_>, c: contacts::ContactRow) -> Verification {
    if ctx.conversation.customer_id.as_deref() != Some(c.person_id.as_str()) {
        *ctx.state = Default::default();
    }
    ctx.conversation.customer_id = Some(c.person_id.clone());
    ctx.conversation.failed_verifications = 0;
    ctx.conversation.locked_until_ms = None;
    ctx.state.focus_on_order(&c.order_number);
    Verification::verified(Verified {
        customer_name: c.name,
        salutation: None,
        family_name: None,
        order_number: c.order_number,
        contact: Some(c.role),
    })
}

/// A failed attempt: it stays counted; a key at its limit locks, and so does the
/// conversation after its fifth failure. The answer is the same whichever locked.
async fn failed(
    ctx: &mut ToolContext<'_>,
    keys: &[(KeyKind, String)],
    now_ms: i64,
) -> anyhow::Result<Verification> {
    let mut locked_until = None::<i64>;
    {
        let mut conn = ctx.store.write_one().await?;
        for (kind, key) in keys {
            let Some(count) = verification::get_count(&mut conn, key).await? else {
                continue;
            };
            let failures = count.failures;
            if failures >= kind.max_failures() {
                let until = now_ms + lockout::lock_minutes(count.lockouts) * 60_000;
                if verification::lock_key(&mut conn, key, kind.max_failures(), until, now_ms)
                    .await?
                {
                    tracing::warn!(conversation.id = %ctx.conversation.id, kind = ?kind,
                        "verification locked after repeated failures");
                }
                locked_until = Some(locked_until.map_or(until, |l| l.max(until)));
            }
        }
    }
    ctx.conversation.failed_verifications += 1;
    if ctx.conversation.failed_verifications >= MAX_FAILED_VERIFICATIONS {
        let until = now_ms + LOCK_MINUTES * 60_000;
        ctx.conversation.locked_until_ms = Some(until);
        ctx.conversation.failed_verifications = 0;
        locked_until = Some(locked_until.map_or(until, |l| l.max(until)));
    }
    Ok(match locked_until {
        Some(until) => locked(lockout::minutes_left(until, now_ms)),
        None => Verification::failed(Unverified::NoMatch),
    })
}
