//! What the assistant remembers between turns so that a turn does not redo the work of
//! the turns before it: the grounding evidence of each tool result (by content: the
//! same order view, asked about again, is walked once) and, per conversation, the
//! evidence of its recent messages.
//!
//! The store stays the truth. A conversation's window is used only when it ends right
//! before the message the turn just stored (message numbers come from the store); a
//! message written elsewhere (a staff reply, another `verity serve` process) leaves a
//! gap, and the turn reads the window back from the store.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;
use serde_json::Value;

use super::grounding::{Evidence, Support};
use super::tools::ToolCallRecord;
use crate::store::conversations::{MessageRow, Role};

/// How many of the latest messages (of any author) the grounding evidence is taken from.
pub const WINDOW: i64 = 40;
/// Tool results whose evidence is kept (then the cache starts over).
const RESULTS: usize = 4096;
/// Conversations whose window is kept (the least recently used go first).
const CONVERSATIONS: usize = 20_000;

/// The evidence of one stored message: a customer's text, or each tool result of a reply.
pub type Parts = Vec<Arc<Evidence>>;

/// The assistant's memory; shared by all turns.
pub struct Memory {
    tz: Tz,
    hasher: RandomState,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By the tool result's length and hash.
    results: HashMap<(usize, u64), Arc<Evidence>>,
    windows: HashMap<String, Window>,
    tick: u64,
}

#[derive(Default)]
struct Window {
    /// The number of the last message the window includes.
    last_seq: i64,
    used: u64,
    /// `(message number, its evidence)`, oldest first.
    parts: VecDeque<(i64, Parts)>,
}

impl Memory {
    /// An empty memory; evidence renders instants in `tz`.
    pub fn new(tz: Tz) -> Self {
        Memory {
            tz,
            hasher: RandomState::new(),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What one tool result supports; computed once per distinct result.
    pub fn result(&self, result: &Value) -> Arc<Evidence> {
        let mut h = self.hasher.build_hasher();
        let nodes = hash_json(result, &mut h);
        let key = (nodes, h.finish());
        if let Some(e) = self.inner().results.get(&key) {
            return e.clone();
        }
        let mut e = Evidence::new(self.tz);
        e.add_tool_result(result);
        let e = Arc::new(e);
        let mut inner = self.inner();
        if inner.results.len() >= RESULTS {
            inner.results.clear();
        }
        inner.results.insert(key, e.clone());
        e
    }

    /// The evidence of each tool result of a reply.
    pub fn calls(&self, calls: &[ToolCallRecord]) -> Parts {
        calls.iter().map(|c| self.result(&c.result)).collect()
    }

    /// What a customer's message supports.
    pub fn customer_text(&self, text: &str) -> Parts {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let mut e = Evidence::new(self.tz);
        e.add_customer_text(text);
        // A message without numbers or statuses supports nothing: no part to keep.
        if e.is_empty() {
            return Vec::new();
        }
        vec![Arc::new(e)]
    }

    /// What one stored message supports (staff and system messages: nothing).
    pub fn message(&self, m: &MessageRow) -> Parts {
        match m.role {
            Role::Customer => self.customer_text(&m.text),
            Role::Bot => m
                .tool_calls
                .as_deref()
                .and_then(|c| serde_json::from_str::<Vec<ToolCallRecord>>(c).ok())
                .map(|calls| self.calls(&calls))
                .unwrap_or_default(),
            Role::Staff | Role::System => Vec::new(),
        }
    }

    /// Adds message `seq` with its evidence to the conversation's window when the window
    /// ends right before it, and returns the window's evidence; `None` when the window
    /// is not in memory or has a gap (read it from the store, then [`Memory::reset`]).
    pub fn extend(&self, conversation_id: &str, seq: i64, parts: Parts) -> Option<Support> {
        let mut inner = self.inner();
        inner.tick += 1;
        let tick = inner.tick;
        let window = inner.windows.get_mut(conversation_id)?;
        if window.last_seq != seq - 1 {
            return None;
        }
        window.used = tick;
        window.push(seq, parts);
        Some(merge(self.tz, window.parts.iter().map(|(_, p)| p)))
    }

    /// Records a message stored without a turn's [`Memory::extend`] (a reply): added
    /// when the window ends right before it, else the window is dropped.
    pub fn append(&self, conversation_id: &str, seq: i64, parts: Parts) {
        let mut inner = self.inner();
        let Some(window) = inner.windows.get_mut(conversation_id) else {
            if seq == 1 {
                // A new conversation's first message (the greeting): nothing to read back.
                let mut window = Window::default();
                window.push(seq, parts);
                inner.insert(conversation_id, window);
            }
            return;
        };
        if window.last_seq == seq - 1 {
            window.push(seq, parts);
        } else {
            inner.windows.remove(conversation_id);
        }
    }

    /// Replaces a conversation's window with its latest messages as read from the store
    /// (oldest first), and returns the window's evidence.
    pub fn reset(&self, conversation_id: &str, messages: &[MessageRow]) -> Support {
        let mut window = Window::default();
        for m in messages {
            window.push(m.seq, self.message(m));
        }
        let evidence = merge(self.tz, window.parts.iter().map(|(_, p)| p));
        if messages.is_empty() {
            return evidence;
        }
        self.inner().insert(conversation_id, window);
        evidence
    }

    #[cfg(test)]
    fn remembered(&self, conversation_id: &str) -> Option<i64> {
        self.inner()
            .windows
            .get(conversation_id)
            .map(|w| w.last_seq)
    }
}

impl Inner {
    fn insert(&mut self, conversation_id: &str, mut window: Window) {
        self.tick += 1;
        window.used = self.tick;
        if self.windows.len() >= CONVERSATIONS {
            evict(&mut self.windows);
        }
        self.windows.insert(conversation_id.to_string(), window);
    }
}

impl Window {
    /// Appends a message and drops what fell out of the window.
    fn push(&mut self, seq: i64, parts: Parts) {
        self.parts.push_back((seq, parts));
        self.last_seq = seq;
        while self.parts.front().is_some_and(|(s, _)| *s <= seq - WINDOW) {
            self.parts.pop_front();
        }
    }
}

/// Feeds a JSON value to `h` (each node with a tag, so `["a","b"]` and `["ab"]`
/// differ) without rendering it; returns the number of nodes.
fn hash_json(v: &Value, h: &mut impl Hasher) -> usize {
    match v {
        Value::Null => {
            h.write_u8(0);
            1
        }
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(u8::from(*b));
            1
        }
        Value::Number(n) => {
            h.write_u8(2);
            n.hash(h);
            1
        }
        Value::String(s) => {
            h.write_u8(3);
            s.hash(h);
            1
        }
        Value::Array(items) => {
            h.write_u8(4);
            h.write_usize(items.len());
            1 + items.iter().map(|x| hash_json(x, h)).sum::<usize>()
        }
        Value::Object(m) => {
            h.write_u8(5);
            h.write_usize(m.len());
            1 + m
                .iter()
                .map(|(k, x)| {
                    k.hash(h);
                    hash_json(x, h)
                })
                .sum::<usize>()
        }
    }
}

/// Drops the least recently used tenth of the windows.
fn evict(windows: &mut HashMap<String, Window>) {
    let mut used: Vec<u64> = windows.values().map(|w| w.used).collect();
    used.sort_unstable();
    let cut = used[used.len() / 10];
    windows.retain(|_, w| w.used > cut);
}

/// The evidence of the parts in order. A part that occurs several times (the same order
/// view asked about again) counts once, at its last place: a later status of a
/// shipment still wins.
pub fn merge<'a>(tz: Tz, messages: impl Iterator<Item = &'a Parts>) -> Support {
    let mut support = Support::new(tz);
    for p in messages.flatten() {
        support.add(p);
    }
    support
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tz() -> Tz {
        chrono_tz::Europe::Berlin
    }

    fn view(status: &str) -> Value {
        json!({"tracking_number": "00340434161234567890", "status": status,
               "last_scan_at": "2025-09-10T15:20:00Z"})
    }

    fn bot(seq: i64, results: &[Value]) -> MessageRow {
        let calls: Vec<ToolCallRecord> = results
            .iter()
            .map(|r| ToolCallRecord {
                name: "get_order".into(),
                arguments: json!({}),
                result: r.clone(),
                duration_ms: 0.0,
            })
            .collect();
        MessageRow {
            id: format!("m{seq}"),
            conversation_id: "c".into(),
            seq,
            role: Role::Bot,
            text: String::new(),
            action: None,
            actions: None,
            tool_calls: Some(serde_json::to_string(&calls).unwrap()),
            grounding: None,
            engine_stats: None,
            channel_message_id: None,
            author: None,
            created_ms: 0,
        }
    }

    fn customer(seq: i64, text: &str) -> MessageRow {
        MessageRow {
            role: Role::Customer,
            text: text.into(),
            tool_calls: None,
            ..bot(seq, &[])
        }
    }

    #[test]
    fn the_same_result_is_walked_once() {
        let m = Memory::new(tz());
        let a = m.result(&view("in_transit"));
        let b = m.result(&view("in_transit"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &m.result(&view("delivered"))));
        // Results that would print alike in parts are still told apart.
        let split = m.result(&json!({"texts": ["Paket ab", "gegeben"]}));
        let joined = m.result(&json!({"texts": ["Paket abgegeben"]}));
        assert!(!Arc::ptr_eq(&split, &joined));
        let number = m.result(&json!({"amount": 1}));
        assert!(!Arc::ptr_eq(&number, &m.result(&json!({"amount": "1"}))));
    }

    #[test]
    fn a_window_grows_only_without_gaps() {
        let m = Memory::new(tz());
        assert!(
            m.extend("c", 1, Vec::new()).is_none(),
            "nothing in memory yet"
        );
        m.reset(
            "c",
            &[customer(1, "A-100234 33100"), bot(2, &[view("in_transit")])],
        );
        assert_eq!(m.remembered("c"), Some(2));
        let e = m
            .extend("c", 3, m.customer_text("und jetzt?"))
            .unwrap()
            .flatten();
        assert_eq!(
            e.shipments["00340434161234567890"].status.as_deref(),
            Some("in_transit")
        );
        m.append("c", 4, m.calls(&[]));
        assert_eq!(m.remembered("c"), Some(4));
        // A staff message (5) was stored elsewhere: the turn for 6 must read the store.
        assert!(m.extend("c", 6, Vec::new()).is_none());
        m.append("c", 7, Vec::new());
        assert_eq!(m.remembered("c"), None, "a gap drops the window");
    }

    #[test]
    fn the_window_equals_the_evidence_of_its_messages_in_order() {
        let m = Memory::new(tz());
        let rows: Vec<MessageRow> = (1..=60)
            .map(|seq| match seq % 3 {
                0 => bot(seq, &[view("in_transit")]),
                1 => customer(seq, &format!("Bestellung A-{}", 100_000 + seq)),
                _ => bot(
                    seq,
                    &[view(if seq > 50 { "delivered" } else { "in_transit" })],
                ),
            })
            .collect();
        m.reset("c", &rows[..10]);
        let mut windowed = None;
        for r in &rows[10..] {
            windowed = m.extend("c", r.seq, m.message(r));
        }
        let windowed = windowed.unwrap().flatten();
        let mut sequential = Evidence::new(tz());
        for r in &rows[rows.len() - WINDOW as usize..] {
            for p in m.message(r) {
                sequential.merge(&p);
            }
        }
        assert_eq!(format!("{windowed:?}"), format!("{sequential:?}"));
        assert!(!windowed.ids.contains("A-100010"), "left the window");
        assert!(windowed.ids.contains("A-100058"));
        assert_eq!(
            windowed.shipments["00340434161234567890"].status.as_deref(),
            Some("in_transit"),
            "the latest view (60) wins over the delivered one before it (59)"
        );
    }
}
