//! Ingestion: turns a body (a JSON array or NDJSON) into typed items and applies them
//! in order — records as upserts, events append-only and idempotent — each accepted or
//! rejected on its own. The HTTP API and `verity ingest` share this code.

use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

use crate::domain::{Event, Item};
use crate::store::events::{NewEvent, insert_events_if_all_new, insert_new_events};
use crate::store::{Store, WriteTx, audit, records};

/// One item of the input, parsed or refused, with where it stood.
#[derive(Debug)]
pub struct Input {
    /// 1-based line in NDJSON input; `None` for elements of a JSON array.
    pub line: Option<usize>,
    pub item: Result<Item, String>,
    /// An event's canonical JSON and its hash, computed where it was parsed (on the
    /// parsing thread or request), so the writer only writes.
    canonical: Option<(String, String)>,
}

impl Input {
    /// An item parsed (or refused) at `line`.
    pub fn new(line: Option<usize>, item: Result<Item, String>) -> Self {
        let canonical = match &item {
            Ok(Item::Event(e)) => {
                let body = e.canonical_json();
                let hash = Event::content_hash(&body);
                Some((body, hash))
            }
            _ => None,
        };
        Input {
            line,
            item,
            canonical,
        }
    }
}

/// Why a whole body was refused (nothing of it was applied).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is empty: send a JSON array of items or NDJSON (one item per line)")]
    Empty,
    #[error("the body is not valid UTF-8 (byte {0})")]
    NotUtf8(usize),
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Parses a body: a JSON array when it starts with `[`, NDJSON otherwise. In NDJSON a
/// line that is not JSON is refused on its own; the other lines still count. A body in
/// which no line is JSON is no NDJSON at all: it is refused whole, with the line and
/// column of the first line.
pub fn parse_body(body: &[u8]) -> Result<Vec<Input>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| BodyError::NotUtf8(e.valid_up_to()))?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(BodyError::Empty);
    }
    if trimmed.starts_with('[') {
        let values: Vec<Value> =
            serde_json::from_str(trimmed).map_err(|e| BodyError::InvalidJson {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?;
        return Ok(values
            .iter()
            .map(|v| Input::new(None, Item::parse(v).map_err(|e| e.to_string())))
            .collect());
    }
    let inputs = parse_ndjson(text);
    let not_json = |i: &Input| matches!(&i.item, Err(e) if e.starts_with(NOT_JSON));
    if inputs.iter().all(not_json) {
        let first = text
            .split('\n')
            .enumerate()
            .find(|(_, l)| !l.trim().is_empty());
        if let Some((i, line)) = first {
            let line_text = line.trim_end_matches('\r').trim_start_matches('\u{feff}');
            if let Err(e) = serde_json::from_str::<Value>(line_text) {
                return Err(BodyError::InvalidJson {
                    line: i + 1,
                    column: e.column(),
                    message: strip_position(&e.to_string()),
                });
            }
        }
    }
    Ok(inputs)
}

/// How the report of an NDJSON line that is not JSON begins.
const NOT_JSON: &str = "invalid JSON at column";

/// [`parse_body`], parsing each NDJSON line only when it is applied (so a large body is
/// not held as parsed items all at once).
pub fn parse_body_lazily(
    body: &[u8],
) -> Result<Box<dyn Iterator<Item = Input> + Send + '_>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| BodyError::NotUtf8(e.valid_up_to()))?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    // A body of which no line is JSON is refused as a whole (see [`parse_body`]);
    // finding a line that is JSON reads no more than that.
    let some_json = text.split('\n').any(|l| {
        let l = l.trim_end_matches('\r').trim_start_matches('\u{feff}');
        serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok()
    });
    if trimmed.starts_with('[') || trimmed.is_empty() || !some_json {
        return Ok(Box::new(parse_body(body)?.into_iter()));
    }
    Ok(Box::new(ndjson_lines(text, 1)))
}

/// Parses NDJSON text; blank lines are skipped, line numbers are 1-based.
pub fn parse_ndjson(text: &str) -> Vec<Input> {
    parse_ndjson_from(text, 1)
}

/// Parses NDJSON whose first line is line `first_line` of a larger file.
pub fn parse_ndjson_from(text: &str, first_line: usize) -> Vec<Input> {
    ndjson_lines(text, first_line).collect()
}

/// The items of NDJSON text, parsed as they are read.
fn ndjson_lines(text: &str, first_line: usize) -> impl Iterator<Item = Input> + Send + '_ {
    text.split('\n').enumerate().filter_map(move |(i, raw)| {
        let l = raw.trim_end_matches('\r').trim_start_matches('\u{feff}');
        if l.trim().is_empty() {
            return None;
        }
        let item = match serde_json::from_str::<Value>(l) {
            Ok(v) => Item::parse(&v).map_err(|e| e.to_string()),
            Err(e) => Err(format!(
                "{NOT_JSON} {}: {}",
                e.column(),
                strip_position(&e.to_string())
            )),
        };
        Some(Input::new(Some(first_line + i), item))
    })
}

/// serde_json appends " at line L column C"; we report the position ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// What happened to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored (a record upserted, or a new event appended).
    Accepted,
    /// An event id seen before with the same content: nothing changed.
    Duplicate,
    /// An event id seen before with different content: the first is kept.
    Conflict,
    /// Refused; `error` says why.
    Rejected,
}

/// The report line of one item.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemReport {
    /// 0-based position in the input.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub status: Status,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The answer to one ingestion: counts and one line per item, in input order.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub conflicts: usize,
    pub rejected: usize,
    pub items: Vec<ItemReport>,
    /// Items without a line of their own in `items` (a capped report lists only the
    /// first lines of each type and status), counted by reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omitted>,
    #[serde(skip)]
    #[schema(ignore)]
    listed: HashMap<(Option<&'static str>, Status), usize>,
    /// The orders whose truth this batch may have changed (accepted records and events),
    /// for the notices; sorted.
    #[serde(skip)]
    #[schema(ignore)]
    pub touched_orders: Vec<crate::domain::OrderNumber>,
    /// The mark with which this batch's transaction marked `touched_orders` for their
    /// notices (`notice_pending`); `None` when it touched none.
    #[serde(skip)]
    #[schema(ignore)]
    pub notice_mark: Option<String>,
}

/// Items of one type, status and reason that the report counts without listing them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Omitted {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub count: usize,
}

/// Lines the ingestion API's report lists per item type and status.
pub const REPORT_LINES_PER_KIND: usize = 100;

/// Distinct reasons counted in `omitted`; the rest are counted as "other reasons".
const MAX_OMITTED_REASONS: usize = 100;

/// A reason without the value that was given (`occurred_at: expected RFC 3339 with
/// offset, got '…'` counts with every other bad `occurred_at`), at most 160 characters.
fn reason_of(text: &str) -> String {
    let cut = [", got ", " got ", ": '", " '"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    text[..cut].chars().take(160).collect()
}

impl IngestReport {
    fn push(&mut self, r: ItemReport) {
        match r.status {
            Status::Accepted => self.accepted += 1,
            Status::Duplicate => self.duplicates += 1,
            Status::Conflict => self.conflicts += 1,
            Status::Rejected => self.rejected += 1,
        }
        self.items.push(r);
    }

    /// [`Self::push`], listing at most `cap` lines per type and status; the others are
    /// counted by reason in `omitted`.
    fn push_capped(&mut self, r: ItemReport, cap: Option<usize>) {
        let Some(cap) = cap else {
            return self.push(r);
        };
        let listed = self.listed.entry((r.kind, r.status)).or_insert(0);
        if *listed < cap {
            *listed += 1;
            return self.push(r);
        }
        match r.status {
            Status::Accepted => self.accepted += 1,
            Status::Duplicate => self.duplicates += 1,
            Status::Conflict => self.conflicts += 1,
            Status::Rejected => self.rejected += 1,
        }
        let mut reason = r.error.as_deref().or(r.note.as_deref()).map(reason_of);
        let known = |o: &Omitted, reason: &Option<String>| {
            o.kind == r.kind && o.status == r.status && &o.reason == reason
        };
        if !self.omitted.iter().any(|o| known(o, &reason))
            && self.omitted.len() >= MAX_OMITTED_REASONS
        {
            reason = Some("other reasons".to_string());
        }
        match self.omitted.iter_mut().find(|o| known(o, &reason)) {
            Some(o) => o.count += 1,
            None => self.omitted.push(Omitted {
                kind: r.kind,
                status: r.status,
                reason,
                count: 1,
            }),
        }
    }

    /// The number of items reported.
    pub fn total(&self) -> usize {
        self.accepted + self.duplicates + self.conflicts + self.rejected
    }

    /// Adds another report's counts only (a long stream need not keep every line).
    pub fn add_counts(&mut self, other: &IngestReport) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        self.rejected += other.rejected;
    }

    /// Adds another report's counts and lines (indices shifted by `offset`).
    pub fn merge(&mut self, other: IngestReport, offset: usize) {
        for mut r in other.items {
            r.index += offset;
            self.push(r);
        }
    }
}

/// Applies parsed inputs in order within one transaction: all of it is stored or, on a
/// database failure, none of it.
pub async fn apply(store: &Store, inputs: Vec<Input>, now_ms: i64) -> anyhow::Result<IngestReport> {
    apply_capped(store, inputs, now_ms, None).await
}

/// How far ahead of now an event or order may be dated.
const MAX_AHEAD_MS: i64 = 366 * 24 * 60 * 60 * 1000;

/// Refuses an event or order dated more than a year ahead of `now_ms` (a scan dated
/// 9999-12-31 would be the shipment's status for ever), naming the field.
fn within_a_year(item: Item, now_ms: i64) -> Result<Item, String> {
    let (field, at) = match &item {
        Item::Event(e) => ("occurred_at", e.occurred_at),
        Item::Order(o) => ("placed_at", o.placed_at),
        _ => return Ok(item),
    };
    if at.timestamp_millis() > now_ms.saturating_add(MAX_AHEAD_MS) {
        return Err(format!(
            "{field}: more than a year ahead of now, got '{}'",
            at.to_rfc3339()
        ));
    }
    Ok(item)
}

/// Events kept waiting for one append at most (then they are appended, and their lines
/// reported, before more are read).
const PENDING_EVENTS: usize = 10 * APPEND_CHUNK;

/// The report lines of a batch, in input order, kept only until every earlier item is
/// decided too.
#[derive(Default)]
struct Lines {
    /// The index of the first line in `slots`.
    base: usize,
    slots: std::collections::VecDeque<Option<ItemReport>>,
}

impl Lines {
    fn set(&mut self, r: ItemReport) -> anyhow::Result<()> {
        let slot = r
            .index
            .checked_sub(self.base)
            .and_then(|i| self.slots.get_mut(i))
            .ok_or_else(|| anyhow::anyhow!("item {} was reported twice", r.index))?;
        *slot = Some(r);
        Ok(())
    }

    /// Moves the decided lines at the front into the report.
    fn drain_into(&mut self, report: &mut IngestReport, cap: Option<usize>) {
        while matches!(self.slots.front(), Some(Some(_))) {
            if let Some(Some(r)) = self.slots.pop_front() {
                self.base += 1;
                report.push_capped(r, cap);
            }
        }
    }
}

/// [`apply`] for inputs read as they are applied, with a report that lists at most
/// `lines_per_kind` lines per type and status (the others counted by reason), so that
/// neither the memory nor the answer grows with the body beyond that.
pub async fn apply_capped(
    store: &Store,
    inputs: impl IntoIterator<Item = Input>,
    now_ms: i64,
    lines_per_kind: Option<usize>,
) -> anyhow::Result<IngestReport> {
    let mut tx = store.begin().await?;
    let mut report = IngestReport::default();
    let mut lines = Lines::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut ctx = BatchContext::default();
    for (index, input) in inputs.into_iter().enumerate() {
        lines.slots.push_back(None);
        if pending.len() >= PENDING_EVENTS {
            flush_events(&mut tx, &mut pending, &mut lines, &mut ctx, now_ms).await?;
        }
        lines.drain_into(&mut report, lines_per_kind);
        let line = input.line;
        let base = |status, kind, key, error, note| ItemReport {
            index,
            line,
            status,
            kind,
            key,
            error,
            note,
        };
        let item = input.item.and_then(|i| within_a_year(i, now_ms));
        match item {
            Err(error) => lines.set(base(Status::Rejected, None, None, Some(error), None))?,
            Ok(Item::Event(e)) => pending.push(Pending {
                index,
                line,
                canonical: input.canonical,
                event: e,
            }),
            Ok(record) => {
                flush_events(&mut tx, &mut pending, &mut lines, &mut ctx, now_ms).await?;
                let note = apply_record(&mut tx, &record, &mut ctx, now_ms).await?;
                lines.set(base(
                    Status::Accepted,
                    Some(record.type_name()),
                    Some(record.key().to_string()),
                    None,
                    note,
                ))?;
            }
        }
    }
    flush_events(&mut tx, &mut pending, &mut lines, &mut ctx, now_ms).await?;
    lines.drain_into(&mut report, lines_per_kind);
    if !lines.slots.is_empty() {
        anyhow::bail!("item {} was not reported", lines.base);
    }
    let tracking: Vec<&str> = ctx.touched_tracking.iter().map(String::as_str).collect();
    let touched = records::orders_of_shipments(tx.conn(), &tracking)
        .await?
        .into_iter()
        .chain(ctx.touched_orders.iter().cloned())
        .collect::<std::collections::BTreeSet<String>>();
    report.touched_orders = touched
        .iter()
        .filter_map(|o| crate::domain::OrderNumber::parse(o).ok())
        .collect();
    if !report.touched_orders.is_empty() {
        // In this transaction: the notices of what it stores are decided later (after
        // the answer, or by the sweep after a crash), never forgotten.
        let mark = crate::store::new_id("mark");
        let orders: Vec<&str> = report.touched_orders.iter().map(|o| o.as_str()).collect();
        crate::store::notices::mark_pending(tx.conn(), &orders, &mark, now_ms).await?;
        report.notice_mark = Some(mark);
    }
    audit::insert_audit(
        tx.conn(),
        now_ms,
        "ingest",
        "ingest.batch",
        None,
        &serde_json::json!({
            "accepted": report.accepted, "duplicates": report.duplicates,
            "conflicts": report.conflicts, "rejected": report.rejected,
        }),
    )
    .await?;
    tx.commit().await?;
    for (status, n) in [
        ("accepted", report.accepted),
        ("duplicate", report.duplicates),
        ("conflict", report.conflicts),
        ("rejected", report.rejected),
    ] {
        metrics::counter!("verity_ingest_items_total", "status" => status).increment(n as u64);
    }
    Ok(report)
}

/// Events appended per optimistic step (one statement each on SQLite, and one savepoint:
/// a savepoint's cost grows with the pages it covers, so it covers one chunk only).
const APPEND_CHUNK: usize = 1_000;

/// An event waiting to be appended with its neighbours.
struct Pending {
    index: usize,
    line: Option<usize>,
    canonical: Option<(String, String)>,
    event: Event,
}

/// What earlier items of the same batch made known.
#[derive(Default)]
struct BatchContext {
    customers: HashSet<String>,
    orders: HashSet<String>,
    shipments: HashSet<String>,
    /// Orders named by accepted records and events.
    touched_orders: HashSet<String>,
    /// Shipments named by accepted events (their orders are looked up at the end).
    touched_tracking: HashSet<String>,
}

async fn apply_record(
    tx: &mut WriteTx,
    record: &Item,
    ctx: &mut BatchContext,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    let conn = tx.conn();
    Ok(match record {
        Item::Customer(c) => {
            records::upsert_customer(conn, c, now_ms).await?;
            ctx.customers.insert(c.id.as_str().to_string());
            None
        }
        Item::Order(o) => {
            records::upsert_order(conn, o, now_ms).await?;
            if let Some(contacts) = &o.contacts {
                crate::store::contacts::replace_contacts(conn, &o.number, contacts, now_ms).await?;
            }
            ctx.orders.insert(o.number.as_str().to_string());
            ctx.touched_orders.insert(o.number.as_str().to_string());
            let known = ctx.customers.contains(o.customer_id.as_str())
                || records::customer_exists(conn, &o.customer_id).await?;
            (!known).then(|| {
                format!(
                    "customer {} not known yet; the order is kept and linked when the customer arrives",
                    o.customer_id
                )
            })
        }
        Item::Shipment(s) => {
            records::upsert_shipment(conn, s, now_ms).await?;
            ctx.shipments.insert(s.tracking_number.as_str().to_string());
            ctx.touched_orders
                .insert(s.order_number.as_str().to_string());
            let known = ctx.orders.contains(s.order_number.as_str())
                || records::order_exists(conn, &s.order_number).await?;
            (!known).then(|| {
                format!(
                    "order {} not known yet; the shipment is kept and linked when the order arrives",
                    s.order_number
                )
            })
        }
        Item::Event(_) => None,
    })
}

/// Appends the pending events: new ids are accepted; known ids are duplicates when the
/// content is the same and conflicts when it differs (the first is kept).
async fn flush_events(
    tx: &mut WriteTx,
    pending: &mut Vec<Pending>,
    lines: &mut Lines,
    ctx: &mut BatchContext,
    now_ms: i64,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut events = std::mem::take(pending);
    let prepared: Vec<(usize, Option<usize>, NewEvent<'_>)> = events
        .iter_mut()
        .map(|p| {
            let (body, hash) = p.canonical.take().unwrap_or_else(|| {
                let body = p.event.canonical_json();
                let hash = Event::content_hash(&body);
                (body, hash)
            });
            (
                p.index,
                p.line,
                NewEvent {
                    event: &p.event,
                    body,
                    hash,
                },
            )
        })
        .collect();
    // The first occurrence of each id in this batch is the one offered to the store.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut unique: Vec<&NewEvent<'_>> = Vec::with_capacity(prepared.len());
    for (pos, (_, _, ne)) in prepared.iter().enumerate() {
        first.entry(ne.event.id.as_str()).or_insert_with(|| {
            unique.push(ne);
            pos
        });
    }
    let conn = tx.conn();
    // Usually none of the ids is stored yet: append them all at once, with no read
    // before the write.
    // before the write. A chunk with a stored id takes the careful path.
    let mut stored: HashMap<String, String> = HashMap::new();
    let mut inserted: HashSet<&str> = HashSet::with_capacity(unique.len());
    for chunk in unique.chunks(APPEND_CHUNK) {
        if insert_events_if_all_new(conn, chunk, now_ms).await? {
            inserted.extend(chunk.iter().map(|e| e.event.id.as_str()));
        } else {
            let (s, i) = insert_new_events(conn, chunk, now_ms).await?;
            stored.extend(s);
            inserted.extend(i);
        }
    }
    let tracking: Vec<&str> = {
        let mut set: HashSet<&str> = HashSet::new();
        for (_, _, ne) in &prepared {
            if let Some(t) = ne.event.body.tracking_number()
                && !ctx.shipments.contains(t.as_str())
            {
                set.insert(t.as_str());
            }
        }
        set.into_iter().collect()
    };
    let unknown = records::unknown_tracking_numbers(conn, &tracking).await?;
    for (pos, (index, line, ne)) in prepared.iter().enumerate() {
        let id = ne.event.id.as_str();
        let is_first = first.get(id) == Some(&pos);
        let stored_hash = if inserted.contains(id) {
            prepared[first[id]].2.hash.as_str()
        } else {
            stored.get(id).map(String::as_str).unwrap_or("")
        };
        let (status, note) = if is_first && inserted.contains(id) {
            let note = ne.event.body.tracking_number().and_then(|t| {
                (!ctx.shipments.contains(t.as_str()) && unknown.contains(t.as_str())).then(|| {
                    format!(
                        "shipment {t} not known yet; the event is kept and linked when the shipment arrives"
                    )
                })
            });
            if let Some(o) = ne.event.body.order_number() {
                ctx.touched_orders.insert(o.as_str().to_string());
            }
            if let Some(t) = ne.event.body.tracking_number() {
                ctx.touched_tracking.insert(t.as_str().to_string());
            }
            (Status::Accepted, note)
        } else if stored_hash == ne.hash {
            (Status::Duplicate, None)
        } else {
            (
                Status::Conflict,
                Some(format!(
                    "event {id} was stored before with different content; the first version is kept"
                )),
            )
        };
        lines.set(ItemReport {
            index: *index,
            line: *line,
            status,
            kind: Some(ne.event.body.type_name()),
            key: Some(id.to_string()),
            error: None,
            note,
        })?;
    }
    Ok(())
}
