//! Live updates for the widget and the console: an in-process signal that a
//! conversation (or the case queue) changed, which the event streams of `http::live`
//! wait on. The streams also look at the store every few seconds, so that changes made
//! by another process (a second server on the same PostgreSQL, a CLI) or by a writer
//! that does not signal arrive as well, only later.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::assistant::state::ConversationState;
use crate::store::Store;
use crate::store::console as q;

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A conversation: a message, a takeover, a hand-back, a case of it.
    Conversation(Arc<str>),
    /// Something of the console that belongs to no conversation (a case without one).
    Console,
}

/// The signal: many streams listen, every writer may signal.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<Change>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Live { tx }
    }

    /// Says that a conversation changed (nobody listening is fine).
    pub fn conversation_changed(&self, id: &str) {
        let _ = self.tx.send(Change::Conversation(Arc::from(id)));
    }

    /// Says that something else of the console changed.
    pub fn console_changed(&self) {
        let _ = self.tx.send(Change::Console);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// Says that a conversation changed when the returned guard is dropped: for a
    /// writer with many ways out (the channel inbox), whichever it takes.
    pub fn on_drop(&self, id: &str) -> ChangedOnDrop {
        ChangedOnDrop {
            live: self.clone(),
            id: id.to_string(),
        }
    }
}

/// See [`Live::on_drop`].
pub struct ChangedOnDrop {
    live: Live,
    id: String,
}

impl Drop for ChangedOnDrop {
    fn drop(&mut self) {
        self.live.conversation_changed(&self.id);
    }
}

/// What the widget is told of its conversation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WidgetState {
    /// The number of the last message it may show: when it is past the widget's
    /// cursor, the widget reads the messages after the cursor.
    pub seq: i64,
    /// A person answers now (one notice while so, gone on hand-back).
    pub taken_over: bool,
    /// The conversation waits for a person.
    pub handoff: bool,
}

/// The widget's view of a conversation now; `None` when it does not exist.
pub async fn widget_state(store: &Store, id: &str) -> anyhow::Result<Option<WidgetState>> {
    let mut conn = store.read().await?;
    Ok(q::live_conversation(&mut conn, id).await?.map(|c| {
        let state = ConversationState::from_json(&c.state);
        WidgetState {
            seq: c.last_seq,
            taken_over: c.taken_over_by.is_some(),
            handoff: state.waiting_for_staff,
        }
    }))
}

/// What the console's live stream tells a staff member.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConsolePulse {
    #[serde(flatten)]
    pub pulse: q::ConsolePulse,
    /// The conversation open on the page, if one is.
    pub conversation: Option<WidgetState>,
    /// Its internal notes (staff only: never in the widget's state).
    pub notes: Option<i64>,
}

/// The console's view now, for `staff_id`, with the conversation open on the page.
pub async fn console_pulse(
    store: &Store,
    staff_id: &str,
    conversation: Option<&str>,
) -> anyhow::Result<ConsolePulse> {
    let pulse = {
        let mut conn = store.read().await?;
        q::console_pulse(&mut conn, staff_id).await?
    };
    let (conversation, notes) = match conversation {
        Some(id) => {
            let notes = {
                let mut conn = store.read().await?;
                crate::store::notes::count_notes(&mut conn, id).await?
            };
            (widget_state(store, id).await?, Some(notes))
        }
        None => (None, None),
    };
    Ok(ConsolePulse {
        pulse,
        conversation,
        notes,
    })
}
