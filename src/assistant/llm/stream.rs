//! What the web chat's event stream receives while a turn runs. The model's text goes
//! out as it arrives, but a sentence at a time and only once the text so far passes the
//! grounding check, so a streamed customer never reads an invented fact; the first
//! sentence that fails holds the rest back. When the reply that is finally sent is not
//! what was streamed (regenerated, or the template answer), a `Reset` withdraws what was
//! shown and the final text follows. The deltas after the last reset always add up to
//! the stored reply.

use tokio::sync::mpsc::UnboundedSender;

use crate::assistant::grounding::{self, Support};
use crate::domain::Locale;

/// One event for the customer's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// More text of the reply.
    Delta(String),
    /// Discard the text shown so far: another reply follows.
    Reset,
}

/// The stream of one turn; a no-op for channels that take whole messages.
#[derive(Default)]
pub struct StreamOut {
    tx: Option<UnboundedSender<StreamEvent>>,
    /// Shown to the customer since the last reset.
    sent: String,
    /// Model text of the current call, held until a sentence is complete and checked.
    pending: String,
    /// `sent`'s length when the current model call began.
    call_start: usize,
    gate: Option<(Support, Locale)>,
    blocked: bool,
}

impl StreamOut {
    /// A stream to a web chat client.
    pub fn to(tx: UnboundedSender<StreamEvent>) -> Self {
        StreamOut {
            tx: Some(tx),
            ..Self::default()
        }
    }

    /// Whole messages only (WhatsApp, Messenger, JSON requests).
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_streaming(&self) -> bool {
        self.tx.is_some()
    }

    fn send(&self, e: StreamEvent) {
        if let Some(tx) = &self.tx {
            // A client that went away does not stop the turn: the reply is stored.
            let _ = tx.send(e);
        }
    }

    /// A model call starts; its text is checked against `evidence`.
    pub fn begin_call(&mut self, evidence: Support, locale: Locale) {
        self.pending.clear();
        self.call_start = self.sent.len();
        self.gate = Some((evidence, locale));
        self.blocked = false;
    }

    /// Text the model produced.
    pub fn model_text(&mut self, text: &str) {
        if self.tx.is_none() {
            return;
        }
        self.pending.push_str(text);
        if self.blocked {
            return;
        }
        let Some(end) = sentence_end(&self.pending) else {
            return;
        };
        let Some((evidence, locale)) = &self.gate else {
            return;
        };
        let candidate = format!("{}{}", self.sent, &self.pending[..end]);
        if grounding::check(&candidate, evidence, *locale).passed {
            let out: String = self.pending.drain(..end).collect();
            self.sent.push_str(&out);
            self.send(StreamEvent::Delta(out));
        } else {
            self.blocked = true;
        }
    }

    /// The current model call failed: what it streamed is withdrawn.
    pub fn withdraw_pending(&mut self) {
        self.pending.clear();
        if self.sent.len() > self.call_start {
            self.reset();
        }
    }

    fn reset(&mut self) {
        if !self.sent.is_empty() {
            self.send(StreamEvent::Reset);
        }
        self.sent.clear();
        self.call_start = 0;
    }

    /// The reply that is sent: what was not streamed yet follows (after a reset when the
    /// reply is not a continuation of what was shown).
    pub fn finish(&mut self, text: &str) {
        if self.tx.is_none() {
            return;
        }
        if !text.starts_with(self.sent.as_str()) {
            self.reset();
        }
        let rest = text[self.sent.len()..].to_string();
        let mut chunk = String::new();
        for word in rest.split_inclusive(' ') {
            chunk.push_str(word);
            if chunk.len() >= 24 {
                self.send(StreamEvent::Delta(std::mem::take(&mut chunk)));
            }
        }
        if !chunk.is_empty() {
            self.send(StreamEvent::Delta(chunk));
        }
        self.sent = text.to_string();
        self.pending.clear();
    }
}

/// The end of the last complete sentence (after its punctuation and whitespace).
fn sentence_end(text: &str) -> Option<usize> {
    let mut end = None;
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() && matches!(prev, Some('.' | '!' | '?' | ':')) || c == '\n' {
            end = Some(i + c.len_utf8());
        }
        prev = Some(c);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn evidence() -> Support {
        let mut e = crate::assistant::grounding::Evidence::new(chrono_tz::Europe::Berlin);
        e.add_tool_result(&json!({"order_number": "A-100234", "tracking_number": "00340434161234567890", "status": "in_transit",
            "in_dispute": false, "last_scan_at": "2025-09-11T04:48:00Z"}));
        e.into()
    }

    fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<StreamEvent>) -> Vec<StreamEvent> {
        let mut v = Vec::new();
        while let Ok(e) = rx.try_recv() {
            v.push(e);
        }
        v
    }

    #[test]
    fn grounded_sentences_stream_and_an_invented_one_is_held_back() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut out = StreamOut::to(tx);
        out.begin_call(evidence(), Locale::En);
        for piece in [
            "Your order A-1002",
            "34 is on its way. ",
            "It will arrive on 1",
            "5 Sep 2025. ",
            "Anything else?",
        ] {
            out.model_text(piece);
        }
        let events = drain(&mut rx);
        assert_eq!(
            events,
            [StreamEvent::Delta(
                "Your order A-100234 is on its way. ".into()
            )]
        );
        // The guard replaces the reply: the shown text is withdrawn first.
        out.finish("Your order A-100234: I cannot see a delivery date.");
        let events = drain(&mut rx);
        assert_eq!(events[0], StreamEvent::Reset);
        let text: String = events[1..]
            .iter()
            .map(|e| match e {
                StreamEvent::Delta(d) => d.as_str(),
                StreamEvent::Reset => "",
            })
            .collect();
        assert_eq!(text, "Your order A-100234: I cannot see a delivery date.");
    }

    #[test]
    fn a_continuation_sends_only_the_rest_and_whole_message_channels_get_nothing() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut out = StreamOut::to(tx);
        out.begin_call(evidence(), Locale::En);
        out.model_text("Hello. ");
        out.model_text("Bye");
        out.finish("Hello. Bye");
        assert_eq!(
            drain(&mut rx),
            [
                StreamEvent::Delta("Hello. ".into()),
                StreamEvent::Delta("Bye".into())
            ]
        );
        let mut none = StreamOut::none();
        none.begin_call(evidence(), Locale::En);
        none.model_text("Hello. ");
        none.finish("Hello.");
        assert!(!none.is_streaming());
    }
}
