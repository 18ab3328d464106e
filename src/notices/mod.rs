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

pub mod chat;
pub mod links;

use chrono::{DateTime, TimeDelta, Utc};

use crate::assistant::reply::SuggestedAction;
use crate::channels::outbox::SERVICE_WINDOW_MS;
use crate::channels::{email, messenger, whatsapp};
use crate::domain::contact::is_contact_id;
use crate::domain::{ContactRole, Customer, Locale, OrderNumber, Salutation};
use crate::store::channels::{self as outbox_db, OutboxRow};
use crate::store::contacts::{self, ContactRow};
use crate::store::notices::{self as db, NoticeRow};
use crate::store::{Store, new_id, records};
use crate::truth::notices::fingerprint;
use crate::truth::summary::{BriefOptions, brief};
use crate::truth::{Contradiction, OrderView, Policy};
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
async fn people_of(
    conn: &mut sqlx::AnyConnection,
    customer: &Customer,
    order: &OrderNumber,
    roles: &[ContactRole],
) -> anyhow::Result<Vec<Person>> {
    let mut people = vec![Person::of_customer(customer)];
    for c in contacts::list_contacts(conn, order.as_str()).await? {
        let known = c
            .email
            .as_ref()
            .is_some_and(|e| people.iter().any(|p| p.email.as_ref() == Some(e)));
        if roles.contains(&c.role) && !known {
            people.push(Person::of_contact(&c));
        }
    }
    Ok(people)
}

/// Creates the notices an order's current truth calls for; returns how many were
/// stored (queued, held or suppressed). The same story again stores nothing.
pub async fn notify_order(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    number: &OrderNumber,
) -> anyhow::Result<usize> {
    let rules = &policy.notices;
    if !rules.enabled {
        return Ok(0);
    }
    let Some(found) = crate::lookup::order(store, policy, now, number).await? else {
        return Ok(0);
    };
    let view = &found.view;
    if rules.too_old(view.order.placed_at.with_timezone(&Utc), now) {
        return Ok(0);
    }
    let told: Vec<&Contradiction> = view
        .all_contradictions()
        .filter(|c| rules.tells(c.code))
        .collect();
    if told.is_empty() {
        return Ok(0);
    }
    let people = {
        let mut conn = store.read().await?;
        match records::get_customer(&mut conn, &view.order.customer_id).await? {
            Some(customer) => people_of(&mut conn, &customer, number, &rules.roles).await?,
            None => return Ok(0),
        }
    };
    let now_ms = now.timestamp_millis();
    let mut stored = 0;
    let pairs: Vec<(&Contradiction, &Person)> = told
        .iter()
        .flat_map(|c| people.iter().map(|p| (*c, p)))
        .collect();
    for (c, who) in pairs {
        let person = who.id.clone();
        let fp = fingerprint(c);
        let mut tx = store.begin().await?;
        let conn = tx.conn();
        if db::notice_exists(conn, number.as_str(), c.code.as_str(), &fp, &person).await? {
            continue;
        }
        let route = route_for(conn, who, now_ms, rules).await?;
        let locale = who.locale;
        let send_after = rules.send_after(now, policy.time_zone).timestamp_millis();
        let (status, reason) = if db::opted_out(conn, &person).await? {
            ("suppressed", Some("opted_out"))
        } else if db::held(conn, number.as_str()).await? {
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
            order_number: number.as_str().to_string(),
            code: c.code.as_str().to_string(),
            fingerprint: fp,
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
            continue;
        }
        if let Some(outbox_id) = outbox_id {
            let grant = OrderGrant {
                order_number: number.as_str().to_string(),
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
            queue(
                conn,
                &route,
                &outbox_id,
                &notice_id,
                &composed,
                &unsubscribe,
                locale,
                send_after,
                now_ms,
            )
            .await?;
        }
        tx.commit().await?;
        stored += 1;
        metrics::counter!("verity_notices_total", "code" => c.code.as_str(), "status" => status)
            .increment(1);
        tracing::info!(notice.id = %notice_id, order = %number, code = c.code.as_str(), status, channel, "notice");
    }
    Ok(stored)
}

/// [`notify_order`] for each order; a failing order is logged and the others go on.
pub async fn notify_orders(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    orders: &[OrderNumber],
) -> usize {
    let mut n = 0;
    for o in orders {
        match notify_order(store, policy, links, now, o).await {
            Ok(k) => n += k,
            Err(e) => tracing::error!(order = %o, error = format!("{e:#}"), "notices"),
        }
    }
    n
}

/// Orders notified inline after an ingestion at most; a larger batch (a bulk load) is
/// notified in the background so the ingestion answers at once.
const INLINE_ORDERS: usize = 200;

/// The notices after an ingestion through the API: the touched orders are notified
/// (inline for a small batch, in the background for a large one) and the outbox woken.
pub async fn after_ingest(app: &std::sync::Arc<crate::http::App>, orders: &[OrderNumber]) {
    if orders.is_empty() || !app.policy.notices.enabled {
        return;
    }
    let now = app.clock.now();
    if orders.len() <= INLINE_ORDERS {
        if notify_orders(&app.store, &app.policy, &app.links, now, orders).await > 0 {
            app.outbox.wake();
        }
        return;
    }
    let app = app.clone();
    let orders = orders.to_vec();
    tokio::spawn(async move {
        if notify_orders(&app.store, &app.policy, &app.links, now, &orders).await > 0 {
            app.outbox.wake();
        }
    });
}

/// Orders one sweep re-reconciles at most (the newest first).
const SWEEP_LIMIT: i64 = 200_000;

/// The time sweep: re-reconciles the orders within the policy's sweep window, so that
/// what time alone changes (`stale_tracking`, `promise_overdue`) is told too. Returns
/// the notices stored.
pub async fn sweep(app: &crate::http::App) -> anyhow::Result<usize> {
    let rules = &app.policy.notices;
    if !rules.enabled {
        return Ok(0);
    }
    let now = app.clock.now();
    let since = now - TimeDelta::days(i64::from(rules.sweep_window_days));
    let orders: Vec<OrderNumber> = {
        let mut conn = app.store.read().await?;
        db::sweep_candidates(&mut conn, since.timestamp_millis(), SWEEP_LIMIT)
            .await?
            .iter()
            .filter_map(|o| OrderNumber::parse(o).ok())
            .collect()
    };
    let started = std::time::Instant::now();
    let n = notify_orders(&app.store, &app.policy, &app.links, now, &orders).await;
    metrics::histogram!("verity_notice_sweep_seconds").record(started.elapsed().as_secs_f64());
    if n > 0 {
        app.outbox.wake();
    }
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

#[allow(clippy::too_many_arguments)]
async fn queue(
    conn: &mut sqlx::AnyConnection,
    route: &Route,
    outbox_id: &str,
    notice_id: &str,
    composed: &Composed,
    unsubscribe: &str,
    locale: Locale,
    send_after_ms: i64,
    now_ms: i64,
) -> anyhow::Result<()> {
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
            message_id: None,
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

/// The order page of a signed link: the reconciled summary and the open cases, in the
/// person's language.
pub async fn order_page(
    store: &Store,
    policy: &Policy,
    links: &Links,
    now: DateTime<Utc>,
    token: &str,
) -> anyhow::Result<OrderPage> {
    let grant = match links.check_order(token, now.timestamp_millis()) {
        Ok(g) => g,
        Err(links::LinkError::Expired) => return Ok(OrderPage::Expired),
        Err(links::LinkError::Invalid) => return Ok(OrderPage::Invalid),
    };
    let Ok(number) = OrderNumber::parse(&grant.order_number) else {
        return Ok(OrderPage::Invalid);
    };
    let Some(found) = crate::lookup::order(store, policy, now, &number).await? else {
        return Ok(OrderPage::Invalid);
    };
    let locale = if is_contact_id(&grant.person) {
        // A contact's link opens their order only, while the order names them.
        let mut conn = store.read().await?;
        match contacts::get_contact(&mut conn, &grant.person).await? {
            Some(c) if c.order_number == number.as_str() => c.locale,
            _ => return Ok(OrderPage::Invalid),
        }
    } else if found.view.order.customer_id.as_str() == grant.person {
        found.customer_locale.unwrap_or_default()
    } else {
        return Ok(OrderPage::Invalid);
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
        },
    )
    .map_err(anyhow::Error::msg)?;
    Ok(OrderPage::Page(html))
}
