//! Notices: Verity speaks first. After an ingestion (or the time sweep) the orders it
//! touched are reconciled; every open contradiction the policy tells becomes one notice
//! per affected person (the customer, and the order's contacts of the roles the policy
//! names), deduplicated in the store by order, code and evidence
//! fingerprint, composed from `prompts/notices/` in the person's language, and queued
//! in the durable outbox on the person's last channel with Verity (WhatsApp or
//! Messenger inside the 24-hour window), else by email.
//!
//! Policy (`[notices]` in `policy.toml`): on/off per code, quiet hours (the outbox row
//! waits until the morning), a daily cap per person, an age limit; opt-outs and staff
//! holds are respected. Nothing here logs an address or a text.
//!
//! Orders are decided in batches ([`notify_orders`]): a batch's orders, shipments,
//! events, cases, customers, contacts and stored notices are read in seven statements,
//! reconciled in memory, and its new notices and outbox rows written in one
//! transaction. An ingestion marks the orders it touched in its own transaction
//! (`notice_pending`, with the ingestion's mark); a small one decides them before it
//! answers, a bulk one wakes [`run_notifier`] and answers at once. The marks are removed
//! in the transaction that stores the notices (unless a later ingestion marked the
//! order again), so a crash between the answer and the notices loses none: the next
//! [`sweep`] decides what is still marked, and what `verity ingest` marked too. Chosen
//! over deciding everything before the answer (a bulk load would wait for it) and over
//! a task with the orders in memory (a crash would forget them).
//!
//! The sweep re-reconciles the orders of `notice_watch`: those whose truth can change
//! with time alone ([`crate::truth::notices::changes_with_time`]), kept as the notices
//! reconcile them, each with the instant its truth can next change
//! ([`crate::truth::notices::next_change`]): a sweep reads by that index only the orders
//! whose time has come, not every watched order.

pub mod chat;
pub mod links;

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::assistant::reply::SuggestedAction;
use crate::channels::outbox::SERVICE_WINDOW_MS;
use crate::channels::{email, messenger, whatsapp};
use crate::domain::contact::is_contact_id;
use crate::domain::{ContactRole, Customer, Locale, OrderNumber, Salutation};
use crate::lookup;
use crate::store::channels::{self as outbox_db, OutboxRow};
use crate::store::contacts::{self, ContactRow};
use crate::store::notices::{self as db, NoticeRow};
use crate::store::{Store, new_id, records};
use crate::truth::notices::{changes_with_time, fingerprint, next_change};
use crate::truth::summary::{BriefOptions, brief};
use crate::truth::view::ContradictionCode;
use crate::truth::{Contradiction, OrderView, Policy, reconcile_order};
use links::{Links, OrderGrant};

/// What a notice says, composed for one person and channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    /// The HTML part (email only).
    pub html: String,
    /// The remedies as buttons (WhatsApp, Messenger).
    pub actions: Vec<SuggestedAction>,
    /// What happened in one line (a WhatsApp template's summary parameter).
    pub headline: String,
    /// The order it is about.
    pub number: String,
}

/// Where a notice goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Route {
    Email(String),
    /// A Meta channel inside its window: the conversation and the recipient.
    Chat {
        channel: &'static str,
        conversation_id: String,
        recipient: String,
    },
    /// WhatsApp outside the window: the approved template, in the person's language.
    Template {
        conversation_id: String,
        recipient: String,
        name: String,
        language: String,
    },
    None,
}

/// Where and how a notice reaches its person: the channel and the links it carries.
#[derive(Clone, Copy, Debug)]
pub struct Addressing<'a> {
    pub channel: &'a str,
    /// The order page.
    pub link: Option<&'a str>,
    pub unsubscribe: Option<&'a str>,
}

/// Composes a notice about one contradiction of an order. Pure (templates only).
pub fn compose(
    view: &OrderView,
    c: &Contradiction,
    customer: &Person,
    locale: Locale,
    to: Addressing<'_>,
    policy: &Policy,
) -> Result<Composed, String> {
    let Addressing {
        channel,
        link,
        unsubscribe,
    } = to;
    let facts = brief(
        view,
        locale,
        policy,
        BriefOptions {
            only: c.tracking_number.as_ref(),
        },
    );
    let actions: Vec<SuggestedAction> = c
        .remedies
        .iter()
        .map(|r| SuggestedAction {
            id: r.as_str().to_string(),
            label: crate::prompts::text(
                "action_label",
                locale,
                minijinja::context! { id => r.as_str() },
            ),
        })
        .collect();
    let labels: Vec<&str> = actions.iter().map(|a| a.label.as_str()).collect();
    let name = format!("notices/{}.j2", locale.as_str());
    let render = |part: &str, link: Option<&str>, unsubscribe: Option<&str>| {
        let d = minijinja::context! {
            code => c.code.as_str(),
            number => view.order.number.as_str(),
            name => customer.name.as_str(),
            salutation => customer.salutation.map(|s| s.as_str()),
            family_name => customer.family_name.as_str(),
            brief => facts.text.as_str(),
            remedies => labels.clone(),
            link => link,
            channel => channel,
            unsubscribe => unsubscribe,
        };
        crate::prompts::render(&name, minijinja::context! { part => part, d => d })
            .map(|t| crate::prompts::tidy(&t))
    };
    let subject = render("subject", link, unsubscribe)?;
    let headline = render("headline", link, unsubscribe)?;
    let text = render("body", link, unsubscribe)?;
    let html = if channel == "email" {
        let lines: Vec<String> = render("body", None, None)?
            .lines()
            .map(str::to_string)
            .collect();
        crate::prompts::render(
            "notices/email.html.j2",
            minijinja::context! {
                lang => locale.as_str(),
                subject => subject.as_str(),
                lines => lines,
                link => link,
                link_label => render("link_label", link, unsubscribe)?,
                unsubscribe => unsubscribe,
                unsubscribe_label => render("unsubscribe_label", link, unsubscribe)?,
            },
        )?
    } else {
        String::new()
    };
    Ok(Composed {
        subject,
        text,
        html,
        actions,
        headline,
        number: view.order.number.as_str().to_string(),
    })
}

/// Whom a notice is for: the order's customer, or one of its contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The customer id, or the contact's person id (`contact~…`).
    pub id: String,
    pub name: String,
    pub salutation: Option<Salutation>,
    pub family_name: String,
    pub email: Option<String>,
    pub locale: Locale,
}

impl Person {
    pub fn of_customer(c: &Customer) -> Self {
        Self {
            id: c.id.as_str().to_string(),
            name: c.name.clone(),
            salutation: c.salutation,
            family_name: c.family_name(),
            email: c.email.clone().filter(|e| !e.is_empty()),
            locale: c.locale,
        }
    }

    pub fn of_contact(c: &ContactRow) -> Self {
        Self {
            id: c.person_id.clone(),
            name: c.name.clone(),
            salutation: None,
            family_name: c.name.clone(),
            email: c.email.clone(),
            locale: c.locale,
        }
    }
}

/// The people an order's notices go to: its customer, then its contacts of the roles
/// the policy names; a contact with the same email as someone before them is that
/// person already (one email, not two).
fn people_of(customer: &Customer, contacts: &[ContactRow], roles: &[ContactRole]) -> Vec<Person> {
    let mut people = vec![Person::of_customer(customer)];
    for c in contacts {
        let known = c
            .email
            .as_ref()
            .is_some_and(|e| people.iter().any(|p| p.email.as_ref() == Some(e)));
        if roles.contains(&c.role) && !known {
            people.push(Person::of_contact(c));
        }
    }
    people
}

/// Orders decided together: their data read in seven statements, their notices, outbox
/// rows and marks written in one transaction.
const BATCH: usize = 500;

/// Creates the notices an order's current truth calls for; returns how many were
/// stored (queued, held or suppressed). The same story again stores nothing.
pub async fn notify_order(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    number: &OrderNumber,
) -> anyhow::Result<usize> {
    let numbers = [number.as_str().to_string()];
    notify_batch(store, policy, links, now, &numbers, &HashMap::new()).await
}

/// [`notify_order`] for each order, in batches; a failing order is logged and the
/// others go on.
pub async fn notify_orders(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    orders: &[OrderNumber],
) -> usize {
    let numbers: Vec<String> = orders.iter().map(|o| o.as_str().to_string()).collect();
    notify_numbers(store, policy, links, now, &numbers, &HashMap::new()).await
}

/// Batches read and decided at once (on their own threads) while the one before is
/// written; the writes go one after the other.
const READ_AHEAD: usize = 2;

/// The notices of orders by number, in batches of [`BATCH`], removing the marks given
/// (order → mark) with them. A batch that fails is tried again order by order, so that
/// one failing order (logged; its mark stays for the sweep) holds up no other.
async fn notify_numbers(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    numbers: &[String],
    marks: &HashMap<String, String>,
) -> usize {
    use futures_util::StreamExt;
    let mut batches = Vec::new();
    for chunk in numbers.chunks(BATCH) {
        let (store, policy, chunk) = (store.clone(), policy.clone(), chunk.to_vec());
        batches.push(async move {
            let plan = prepare(&store, &policy, now, &chunk).await;
            (chunk, plan)
        });
    }
    let mut planned = futures_util::stream::iter(batches).buffered(READ_AHEAD);
    let mut n = 0;
    while let Some((chunk, plan)) = planned.next().await {
        let written = match plan {
            Ok(plan) => write_batch(store, policy, links, now, &chunk, plan, marks).await,
            Err(e) => Err(e),
        };
        match written {
            Ok(k) => n += k,
            Err(e) if chunk.len() == 1 => {
                tracing::error!(order = %chunk[0], error = format!("{e:#}"), "notices");
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "a batch of notices failed; order by order"
                );
                for one in &chunk {
                    match notify_batch(store, policy, links, now, std::slice::from_ref(one), marks)
                        .await
                    {
                        Ok(k) => n += k,
                        Err(e) => {
                            tracing::error!(order = %one, error = format!("{e:#}"), "notices")
                        }
                    }
                }
            }
        }
    }
    n
}

/// A notice to store. The contradictions of an order that are new to a person at the
/// same time are one story, told in one notice: its lead (the first of them, with the
/// remedies of all), stored with the lead's fingerprint; the others are stored as
/// `covered` by it, so that none is told again on its own.
struct NewNotice {
    story: Contradiction,
    who: Person,
    fp: String,
    covers: Vec<(ContradictionCode, String)>,
}

/// The story of contradictions new at once: the lead, with every remedy the others
/// allow, about one shipment while they all are.
fn one_story(lead: &Contradiction, rest: &[&(&Contradiction, String)]) -> Contradiction {
    let mut story = lead.clone();
    for (c, _) in rest {
        for r in &c.remedies {
            if !story.remedies.contains(r) {
                story.remedies.push(*r);
            }
        }
        if c.tracking_number.is_some() && c.tracking_number != story.tracking_number {
            story.tracking_number = None;
        }
    }
    story
}

/// What a batch of orders calls for, decided in memory (pure: the truth, the policy,
/// the stored notices).
#[derive(Default)]
struct Plan {
    /// Per order with notices to store: its view, and each new notice's contradiction,
    /// person and fingerprint.
    orders: Vec<(OrderView, Vec<NewNotice>)>,
    /// Orders the sweep watches (with when they were placed and when to look at them
    /// again), and stops watching.
    watch: Vec<(String, i64, i64)>,
    unwatch: Vec<String>,
}

fn plan(data: db::OrdersData, policy: &Policy, now: DateTime<Utc>) -> Plan {
    let rules = &policy.notices;
    let window_start = now - TimeDelta::days(i64::from(rules.sweep_window_days));
    let mut out = Plan::default();
    let no_contacts = Vec::new();
    for d in data.orders {
        let mut view = reconcile_order(&d.order, &d.shipments, &d.events, now, policy);
        // The order's cases only shape the remedies offered for contradictions.
        if view.all_contradictions().next().is_some() {
            let ctx = lookup::remedy_from(
                d.cases,
                crate::store::lookups::any_replacement(&d.shipments),
            );
            view = view.with_remedy_context(&ctx, now, policy);
        }
        let placed = view.order.placed_at.with_timezone(&Utc);
        let number = view.order.number.as_str().to_string();
        let watch = placed >= window_start && changes_with_time(&view);
        if watch {
            let wake = next_change(&view, &d.events, policy, now);
            out.watch.push((
                number.clone(),
                placed.timestamp_millis(),
                wake.timestamp_millis(),
            ));
        } else if d.watched {
            out.unwatch.push(number.clone());
        }
        if rules.too_old(placed, now) {
            continue;
        }
        let Some(customer) = data.customers.get(view.order.customer_id.as_str()) else {
            continue;
        };
        let contacts = data.contacts.get(&number).unwrap_or(&no_contacts);
        let people = people_of(customer, contacts, &rules.roles);
        let tellable: Vec<(&Contradiction, String)> = view
            .all_contradictions()
            .filter(|c| rules.tells(c.code))
            .map(|c| (c, fingerprint(c)))
            .collect();
        let mut new = Vec::new();
        for who in &people {
            let fresh: Vec<&(&Contradiction, String)> = tellable
                .iter()
                .filter(|(c, fp)| {
                    let key = (
                        number.clone(),
                        c.code.as_str().to_string(),
                        fp.clone(),
                        who.id.clone(),
                    );
                    !data.stored.contains(&key)
                })
                .collect();
            let Some(((lead, fp), rest)) = fresh.split_first().map(|(l, r)| (*l, r)) else {
                continue;
            };
            new.push(NewNotice {
                story: one_story(lead, rest),
                who: who.clone(),
                fp: fp.clone(),
                covers: rest.iter().map(|(c, fp)| (c.code, fp.clone())).collect(),
            });
        }
        if !new.is_empty() {
            out.orders.push((view, new));
        }
    }
    out
}

/// The notices of a batch of orders: read together, decided in memory, and written
/// (notices, outbox rows, the sweep's watch, the marks given) in one transaction.
async fn notify_batch(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    numbers: &[String],
    marks: &HashMap<String, String>,
) -> anyhow::Result<usize> {
    let plan = prepare(store, policy, now, numbers).await?;
    write_batch(store, policy, links, now, numbers, plan, marks).await
}

/// Reads a batch of orders and decides what they call for (the deciding on a blocking
/// thread: it is all computation).
async fn prepare(
    store: &Store,
    policy: &Policy,
    now: DateTime<Utc>,
    numbers: &[String],
) -> anyhow::Result<Plan> {
    if !policy.notices.enabled {
        return Ok(Plan::default());
    }
    let data = db::load_orders(store, numbers).await?;
    let policy = policy.clone();
    Ok(tokio::task::spawn_blocking(move || plan(data, &policy, now)).await?)
}

/// Writes what a batch calls for, and removes its marks, in one transaction.
async fn write_batch(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    numbers: &[String],
    plan: Plan,
    marks: &HashMap<String, String>,
) -> anyhow::Result<usize> {
    if !policy.notices.enabled {
        return Ok(0);
    }
    let marks: Vec<(String, String)> = numbers
        .iter()
        .filter_map(|n| marks.get(n).map(|m| (n.clone(), m.clone())))
        .collect();
    if plan.orders.is_empty()
        && plan.watch.is_empty()
        && plan.unwatch.is_empty()
        && marks.is_empty()
    {
        return Ok(0);
    }
    let mut told = Vec::new();
    let mut tx = store.begin().await?;
    for (view, notices) in &plan.orders {
        for n in notices {
            if let Some(t) = store_notice(tx.conn(), policy, links, now, view, n).await? {
                told.push(t);
            }
        }
    }
    db::set_watch(tx.conn(), &plan.watch, &plan.unwatch).await?;
    db::unmark_pending(tx.conn(), &marks).await?;
    tx.commit().await?;
    for t in &told {
        metrics::counter!("verity_notices_total", "code" => t.code, "status" => t.status)
            .increment(1);
        tracing::info!(notice.id = %t.id, order = %t.order, code = t.code, status = t.status, channel = t.channel, "notice");
    }
    Ok(told.len())
}

/// A notice stored, for the log and the metrics once its transaction committed.
struct Told {
    id: String,
    order: String,
    code: &'static str,
    status: &'static str,
    channel: &'static str,
}

/// Stores one notice (and queues it when it may leave), and the contradictions it
/// covers, unless the same one is stored.
async fn store_notice(
    conn: &mut sqlx::AnyConnection,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    view: &OrderView,
    n: &NewNotice,
) -> anyhow::Result<Option<Told>> {
    let NewNotice {
        story: c,
        who,
        fp,
        covers,
    } = n;
    let rules = &policy.notices;
    let number = view.order.number.as_str();
    let person = who.id.clone();
    let now_ms = now.timestamp_millis();
    let route = route_for(conn, who, now_ms, rules).await?;
    let locale = who.locale;
    let send_after = rules.send_after(now, policy.time_zone).timestamp_millis();
    let (status, reason) = if db::opted_out(conn, &person).await? {
        ("suppressed", Some("opted_out"))
    } else if db::held(conn, number).await? {
        ("held", Some("held by staff"))
    } else if route == Route::None {
        ("unreachable", Some("no email and no open chat window"))
    } else if db::count_queued_since(conn, &person, now_ms - 24 * 3600 * 1000).await?
        >= i64::from(rules.max_per_person_per_day)
    {
        ("suppressed", Some("daily_cap"))
    } else {
        ("queued", None)
    };
    let channel = match &route {
        Route::Email(_) => "email",
        Route::Chat { channel, .. } => channel,
        Route::Template { .. } => "whatsapp",
        Route::None => "none",
    };
    let notice_id = new_id("ntc");
    let outbox_id = (status == "queued").then(|| new_id("out"));
    let row = NoticeRow {
        id: notice_id.clone(),
        order_number: number.to_string(),
        code: c.code.as_str().to_string(),
        fingerprint: fp.to_string(),
        person: person.clone(),
        channel: channel.to_string(),
        locale: locale.as_str().to_string(),
        status: status.to_string(),
        reason: reason.map(str::to_string),
        outbox_id: outbox_id.clone(),
        send_after_ms: send_after,
        created_ms: now_ms,
    };
    if !db::insert_notice(conn, &row).await? {
        // Another process stored the same notice in the meantime.
        return Ok(None);
    }
    for (code, fp) in covers {
        let covered = NoticeRow {
            id: new_id("ntc"),
            code: code.as_str().to_string(),
            fingerprint: fp.clone(),
            status: "covered".to_string(),
            reason: Some(format!("told in notice {notice_id}")),
            outbox_id: None,
            ..row.clone()
        };
        db::insert_notice(conn, &covered).await?;
    }
    if let Some(outbox_id) = outbox_id {
        let grant = OrderGrant {
            order_number: number.to_string(),
            person: person.clone(),
            expires_ms: now_ms
                + TimeDelta::days(i64::from(rules.link_valid_days)).num_milliseconds(),
        };
        let link = links.order_url(&grant);
        let unsubscribe = links.unsubscribe_url(&person);
        let composed = compose(
            view,
            c,
            who,
            locale,
            Addressing {
                channel,
                link: Some(&link),
                unsubscribe: Some(&unsubscribe),
            },
            policy,
        )
        .map_err(anyhow::Error::msg)?;
        let about = About {
            notice_id: &notice_id,
            code: c.code.as_str(),
            tracking: c.tracking_number.as_ref().map(|t| t.as_str()),
        };
        queue(
            conn,
            &route,
            &outbox_id,
            about,
            &composed,
            &unsubscribe,
            locale,
            send_after,
            now_ms,
        )
        .await?;
    }
    Ok(Some(Told {
        id: notice_id,
        order: number.to_string(),
        code: c.code.as_str(),
        status,
        channel,
    }))
}

/// Orders decided inline after an ingestion at most (the answer then tells that their
/// notices are stored); a larger batch (a bulk load) is left to [`run_notifier`], so
/// the ingestion answers at once.
const INLINE_ORDERS: usize = 200;

/// Wakes [`run_notifier`]: an ingestion marked orders for their notices.
#[derive(Default)]
pub struct Notifier {
    wake: tokio::sync::Notify,
}

impl Notifier {
    pub fn wake(&self) {
        // A wake while a pass runs is kept (one permit): the next pass picks it up.
        self.wake.notify_one();
    }
}

/// The notices after an ingestion through the API. The ingestion marked the orders it
/// touched in its own transaction (`notice_pending`); a small batch is decided here,
/// a large one by [`run_notifier`] after the answer. A mark outlives a crash, and the
/// sweep decides what a crash (or `verity ingest`) left marked.
pub async fn after_ingest(
    app: &std::sync::Arc<crate::http::App>,
    orders: &[OrderNumber],
    mark: Option<&str>,
) {
    if orders.is_empty() || !app.policy.notices.enabled {
        return;
    }
    if orders.len() > INLINE_ORDERS {
        app.notifier.wake();
        return;
    }
    let numbers: Vec<String> = orders.iter().map(|o| o.as_str().to_string()).collect();
    let marks: HashMap<String, String> = match mark {
        Some(m) => numbers.iter().map(|n| (n.clone(), m.to_string())).collect(),
        None => HashMap::new(),
    };
    let now = app.clock.now();
    if notify_numbers(&app.store, &app.policy, &app.links, now, &numbers, &marks).await > 0 {
        app.outbox.wake();
    }
}

/// Marked orders read per page of a pass.
const PENDING_PAGE: i64 = 2_000;

/// One pass over the orders marked for their notices (by number); returns the notices
/// stored. Orders marked again during the pass are decided by the next one.
pub async fn decide_pending(app: &crate::http::App) -> anyhow::Result<usize> {
    let mut after = String::new();
    let mut n = 0;
    loop {
        let page = {
            let mut conn = app.store.read().await?;
            db::pending(&mut conn, &after, PENDING_PAGE).await?
        };
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.clone();
        let full = page.len() as i64 == PENDING_PAGE;
        let numbers: Vec<String> = page.iter().map(|(o, _)| o.clone()).collect();
        let marks: HashMap<String, String> = page.into_iter().collect();
        let now = app.clock.now();
        let k = notify_numbers(&app.store, &app.policy, &app.links, now, &numbers, &marks).await;
        if k > 0 {
            app.outbox.wake();
        }
        n += k;
        if !full {
            break;
        }
    }
    Ok(n)
}

/// Decides marked orders whenever an ingestion wakes it, until the task is dropped.
pub async fn run_notifier(app: std::sync::Arc<crate::http::App>) {
    loop {
        app.notifier.wake.notified().await;
        if !app.policy.notices.enabled {
            continue;
        }
        if let Err(e) = decide_pending(&app).await {
            tracing::error!(error = format!("{e:#}"), "notices after ingestion");
        }
    }
}

/// Orders one sweep re-reconciles at most (the newest first).
const SWEEP_LIMIT: i64 = 200_000;

/// The time sweep: decides what ingestion left marked, then re-reconciles the orders it
/// watches (their truth can change with time alone) within the policy's sweep window,
/// so that what time alone changes (`stale_tracking`, `promise_overdue`) is told too.
/// Returns the notices stored.
pub async fn sweep(app: &crate::http::App) -> anyhow::Result<usize> {
    let rules = &app.policy.notices;
    if !rules.enabled {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut n = decide_pending(app).await?;
    let now = app.clock.now();
    let since = (now - TimeDelta::days(i64::from(rules.sweep_window_days))).timestamp_millis();
    let orders = {
        let mut tx = app.store.begin().await?;
        db::unwatch_before(tx.conn(), since).await?;
        tx.commit().await?;
        let mut conn = app.store.read().await?;
        db::sweep_candidates(&mut conn, since, now.timestamp_millis(), SWEEP_LIMIT).await?
    };
    let k = notify_numbers(
        &app.store,
        &app.policy,
        &app.links,
        now,
        &orders,
        &HashMap::new(),
    )
    .await;
    metrics::histogram!("verity_notice_sweep_seconds").record(started.elapsed().as_secs_f64());
    if k > 0 {
        app.outbox.wake();
    }
    n += k;
    Ok(n)
}

/// Runs [`sweep`] every `every` until the task is dropped.
pub async fn run_sweep(app: std::sync::Arc<crate::http::App>, every: std::time::Duration) {
    // The first sweep one interval after start-up (not while data is still loading).
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&app).await {
            Ok(n) if n > 0 => tracing::info!(notices = n, "the sweep found news"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = format!("{e:#}"), "notice sweep"),
        }
    }
}

/// The person's last channel with Verity when its window is open; WhatsApp outside its
/// window with the approved template when one is configured; else email. A chat
/// address that said "STOP" before its sender was verified gets nothing
/// ([`address_key`]): the notice goes by email then.
async fn route_for(
    conn: &mut sqlx::AnyConnection,
    customer: &Person,
    now_ms: i64,
    rules: &crate::truth::notices::NoticePolicy,
) -> anyhow::Result<Route> {
    if let Some(last) = db::last_chat(conn, &customer.id).await? {
        let open = last
            .last_inbound_ms
            .is_some_and(|t| now_ms - t <= SERVICE_WINDOW_MS);
        let channel = match last.channel.as_str() {
            "whatsapp" => Some("whatsapp"),
            "messenger" => Some("messenger"),
            _ => None,
        };
        if let (Some(channel), Some(recipient)) = (channel, last.external_id)
            && !db::opted_out(conn, &address_key(channel, &recipient)).await?
        {
            if open {
                return Ok(Route::Chat {
                    channel,
                    conversation_id: last.id,
                    recipient,
                });
            }
            if let (true, Some(t)) = (channel == "whatsapp", &rules.whatsapp_template) {
                return Ok(Route::Template {
                    conversation_id: last.id,
                    recipient,
                    name: t.name.clone(),
                    language: t.language(customer.locale).to_string(),
                });
            }
        }
    }
    Ok(match &customer.email {
        Some(e) => Route::Email(e.clone()),
        None => Route::None,
    })
}

/// What a notice is about: its id, its contradiction's code and shipment.
#[derive(Clone, Copy)]
struct About<'a> {
    notice_id: &'a str,
    code: &'a str,
    tracking: Option<&'a str>,
}

/// A notice sent into a WhatsApp or Messenger conversation is part of its transcript:
/// stored as Verity's message (the text with its buttons, or for a template what its
/// parameters say), with the order in focus, so that staff see it and the customer's
/// answer ("ja bitte Rückruf", "STOP") is read against it. Returns the message's id.
async fn tell_in_transcript(
    conn: &mut sqlx::AnyConnection,
    conversation_id: &str,
    composed: &Composed,
    about: About<'_>,
    template: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    use crate::store::conversations::{self as conv_db, MessageRow, Role};
    let Some(mut conv) = conv_db::get_conversation(conn, conversation_id).await? else {
        return Ok(None);
    };
    let mut state = crate::assistant::state::ConversationState::from_json(&conv.state);
    state.focus_order = Some(composed.number.clone());
    state.focus_tracking = about.tracking.map(str::to_string);
    if !state.orders_discussed.contains(&composed.number) {
        state.orders_discussed.push(composed.number.clone());
    }
    conv.state = state.to_json();
    conv.updated_ms = now_ms;
    conv_db::update_conversation(conn, &conv).await?;
    let (text, actions) = match template {
        // The customer reads the approved template with these two parameters.
        Some(_) => (format!("{}: {}", composed.number, composed.headline), None),
        None => (
            composed.text.clone(),
            (!composed.actions.is_empty()).then(|| serde_json::to_string(&composed.actions)),
        ),
    };
    let mut message = MessageRow {
        id: new_id("msg"),
        conversation_id: conversation_id.to_string(),
        seq: 0,
        role: Role::Bot,
        text,
        action: None,
        actions: actions.transpose()?,
        tool_calls: None,
        grounding: None,
        engine_stats: Some(
            serde_json::json!({
                "engine": "notice", "notice": about.notice_id,
                "contradictions": [about.code], "template": template,
            })
            .to_string(),
        ),
        channel_message_id: None,
        author: None,
        created_ms: now_ms,
    };
    conv_db::append_message(conn, &mut message).await?;
    Ok(Some(message.id))
}

#[allow(clippy::too_many_arguments)]
async fn queue(
    conn: &mut sqlx::AnyConnection,
    route: &Route,
    outbox_id: &str,
    about: About<'_>,
    composed: &Composed,
    unsubscribe: &str,
    locale: Locale,
    send_after_ms: i64,
    now_ms: i64,
) -> anyhow::Result<()> {
    let notice_id = about.notice_id;
    let message_id = match route {
        Route::Chat {
            conversation_id, ..
        } => tell_in_transcript(conn, conversation_id, composed, about, None, now_ms).await?,
        Route::Template {
            conversation_id,
            name,
            ..
        } => tell_in_transcript(conn, conversation_id, composed, about, Some(name), now_ms).await?,
        Route::Email(_) | Route::None => None,
    };
    let (channel, conversation_id, recipient, payloads) = match route {
        Route::Email(to) => (
            "email",
            format!("notices:{notice_id}"),
            to.clone(),
            vec![email::payload(&email::EmailPayload {
                to: to.clone(),
                subject: composed.subject.clone(),
                text: composed.text.clone(),
                html: composed.html.clone(),
                unsubscribe: unsubscribe.to_string(),
            })],
        ),
        Route::Chat {
            channel,
            conversation_id,
            recipient,
        } => {
            let payloads = if *channel == "whatsapp" {
                whatsapp::payloads(recipient, &composed.text, &composed.actions, locale)
            } else {
                messenger::payloads(recipient, &composed.text, &composed.actions)
            };
            (
                *channel,
                conversation_id.clone(),
                recipient.clone(),
                payloads,
            )
        }
        Route::Template {
            conversation_id,
            recipient,
            name,
            language,
        } => (
            "whatsapp",
            conversation_id.clone(),
            recipient.clone(),
            vec![whatsapp::template_payload(
                recipient,
                name,
                language,
                &[&composed.number, &composed.headline],
            )],
        ),
        Route::None => return Ok(()),
    };
    for (i, p) in payloads.iter().enumerate() {
        let mut row = OutboxRow {
            // The first row carries the notice's outbox id (its Message-ID by email).
            id: if i == 0 {
                outbox_id.to_string()
            } else {
                new_id("out")
            },
            conversation_id: conversation_id.clone(),
            message_id: message_id.clone(),
            channel: channel.to_string(),
            recipient: recipient.clone(),
            payload: p.to_string(),
            status: "pending".to_string(),
            attempts: 0,
            next_attempt_ms: send_after_ms,
            provider_message_id: None,
            last_error: None,
            created_ms: now_ms,
            updated_ms: now_ms,
            position: 0,
            unknown_resends: 0,
        };
        outbox_db::insert_outbox(conn, &mut row).await?;
    }
    Ok(())
}

/// A short text of the notices (`part` of `prompts/notices/{de,en}.j2`).
pub fn text(part: &str, locale: Locale) -> String {
    text_with(part, locale, minijinja::Value::from(()))
}

fn text_with(part: &str, locale: Locale, d: minijinja::Value) -> String {
    let name = format!("notices/{}.j2", locale.as_str());
    crate::prompts::render(&name, minijinja::context! { part => part, d => d })
        .map(|t| crate::prompts::tidy(&t))
        .unwrap_or_else(|e| {
            tracing::error!(error = e, part, "a notice template failed");
            part.to_string()
        })
}

/// A small notices page (unsubscribe) in `locale`, with a one-click form when `action`
/// is given.
pub fn page(locale: Locale, text_part: &str, action: Option<&str>) -> String {
    let title = if text_part.starts_with("link_") {
        "link_label"
    } else {
        "unsubscribe_label"
    };
    crate::prompts::render(
        "notices/page.html.j2",
        minijinja::context! {
            lang => locale.as_str(),
            title => text(title, locale),
            text => text(text_part, locale),
            action => action,
            button => text("unsubscribe_button", locale),
        },
    )
    .unwrap_or_default()
}

/// The person an unsubscribe token names, with their language; `None` when the token
/// is not valid or the person is not known.
pub async fn unsubscriber(
    store: &Store,
    links: &Links,
    token: &str,
) -> anyhow::Result<Option<(String, Locale)>> {
    let Ok(person) = links.check_unsubscribe(token) else {
        return Ok(None);
    };
    let mut conn = store.read().await?;
    if is_contact_id(&person) {
        let found = contacts::get_contact(&mut conn, &person).await?;
        return Ok(found.map(|c| (person, c.locale)));
    }
    let Ok(id) = crate::domain::CustomerId::parse(&person) else {
        return Ok(None);
    };
    Ok(records::get_customer(&mut conn, &id)
        .await?
        .map(|c| (person, c.locale)))
}

/// The opt-out key of a chat address (`whatsapp~<wa_id>`, `messenger~<psid>`): what an
/// unverified sender's "STOP" is recorded under, beside the person ids. `~` is in no
/// customer id, and `contact~` is no channel, so it is never taken for a person.
pub fn address_key(channel: &str, external_id: &str) -> String {
    format!("{channel}~{external_id}")
}

/// Records that a person (or a chat address, [`address_key`]) wants no more notices,
/// from any channel; audited.
pub async fn opt_out(
    store: &Store,
    person: &str,
    channel: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    db::opt_out(tx.conn(), person, channel, now_ms).await?;
    audit_choice(tx.conn(), "notices.opt_out", person, channel, now_ms).await?;
    tx.commit().await?;
    metrics::counter!("verity_notice_optouts_total", "channel" => channel.to_string()).increment(1);
    Ok(())
}

/// Clears an opt-out ("START", "Benachrichtigungen wieder an"); audited. `true` when
/// there was one.
pub async fn opt_in(
    store: &Store,
    person: &str,
    channel: &str,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let mut tx = store.begin().await?;
    let cleared = db::opt_in(tx.conn(), person).await?;
    if cleared {
        audit_choice(tx.conn(), "notices.opt_in", person, channel, now_ms).await?;
    }
    tx.commit().await?;
    Ok(cleared)
}

/// The audit entry of an opt-out or opt-in: the person it is about (a chat address is
/// not named: it carries a phone number).
async fn audit_choice(
    conn: &mut sqlx::AnyConnection,
    action: &str,
    person: &str,
    channel: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    let address = person.contains('~') && !is_contact_id(person);
    crate::store::audit::insert_audit(
        conn,
        now_ms,
        "customer",
        action,
        (!address).then_some(person),
        &serde_json::json!({ "channel": channel, "chat_address": address }),
    )
    .await
}

/// What an order page shows.
pub enum OrderPage {
    Page(String),
    /// Signed, but expired.
    Expired,
    /// Not a token of ours, tampered with, or for an order that is not the person's.
    Invalid,
}

/// The person and order a signed order link is good for, in the person's language.
pub struct Granted {
    pub number: OrderNumber,
    /// The customer's id, or the contact's.
    pub person: String,
    pub locale: Locale,
    pub found: crate::lookup::OrderLookup,
}

/// What a signed order link opens (the page, and its chat).
pub enum Grant {
    Granted(Box<Granted>),
    /// Signed, but expired.
    Expired,
    /// Not a token of ours, tampered with, or for an order that is not the person's.
    Invalid,
}

/// Checks a signed order link: signature and expiry, and that the person it names is
/// still the order's customer or one of its contacts.
pub async fn grant(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    token: &str,
) -> anyhow::Result<Grant> {
    let grant = match links.check_order(token, now.timestamp_millis()) {
        Ok(g) => g,
        Err(links::LinkError::Expired) => return Ok(Grant::Expired),
        Err(links::LinkError::Invalid) => return Ok(Grant::Invalid),
    };
    let Ok(number) = OrderNumber::parse(&grant.order_number) else {
        return Ok(Grant::Invalid);
    };
    let Some(found) = crate::lookup::order(store, policy, now, &number).await? else {
        return Ok(Grant::Invalid);
    };
    let locale = if is_contact_id(&grant.person) {
        // A contact's link opens their order only, while the order names them.
        let mut conn = store.read().await?;
        match contacts::get_contact(&mut conn, &grant.person).await? {
            Some(c) if c.order_number == number.as_str() => c.locale,
            _ => return Ok(Grant::Invalid),
        }
    } else if found.view.order.customer_id.as_str() == grant.person {
        found.customer_locale.unwrap_or_default()
    } else {
        return Ok(Grant::Invalid);
    };
    Ok(Grant::Granted(Box::new(Granted {
        number,
        person: grant.person,
        locale,
        found,
    })))
}

/// The order page of a signed link: the reconciled summary and the open cases, in the
/// person's language, and the chat opened on this order (`link` is the token again: the
/// widget opens its session with it).
pub async fn order_page(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    token: &str,
) -> anyhow::Result<OrderPage> {
    let Granted {
        number,
        locale,
        found,
        ..
    } = match grant(store, policy, links, now, token).await? {
        Grant::Granted(g) => *g,
        Grant::Expired => return Ok(OrderPage::Expired),
        Grant::Invalid => return Ok(OrderPage::Invalid),
    };
    let summary = crate::truth::summary(&found.view, locale, policy);
    let cases: Vec<String> = found
        .remedy
        .map(|r| r.cases)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.status.is_active())
        .map(|c| {
            crate::prompts::text(
                "action_label",
                locale,
                minijinja::context! { id => c.remedy.as_str() },
            )
        })
        .collect();
    let number_s = number.as_str();
    let cases = (!cases.is_empty())
        .then(|| text_with("open_cases", locale, minijinja::context! { cases => cases }));
    let html = crate::prompts::render(
        "notices/order.html.j2",
        minijinja::context! {
            lang => locale.as_str(),
            title => text_with("order_title", locale, minijinja::context! { number => number_s }),
            lines => summary.lines().collect::<Vec<_>>(),
            cases => cases,
            hint => text("chat_hint", locale),
            link => token,
        },
    )
    .map_err(anyhow::Error::msg)?;
    Ok(OrderPage::Page(html))
}
