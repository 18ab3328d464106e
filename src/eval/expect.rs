//! The expectation checks, pure: what one turn showed against its `expect`, the
//! implicit checks of every turn (grounding, leaks, server errors), and `final`.

use serde::Serialize;
use serde_json::Value;

use super::scenario::{Expect, Final};
use crate::store::inspect::Identifying;

/// A regex of a scenario, case-insensitive.
pub fn regex(pattern: &str) -> anyhow::Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| anyhow::anyhow!("the regex '{pattern}' is invalid: {e}"))
}

/// One tool call as stored with a bot message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ToolCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
    #[serde(default)]
    pub result: Value,
}

/// A bot message of a turn as stored: its text, tool calls and grounding verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BotMessage {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// The stored verdict (`passed`, `claims`, and `replaced` when the engine's first
    /// answer failed and the template answer was sent instead).
    pub grounding: Value,
    pub engine_stats: Value,
}

impl BotMessage {
    /// Passed, and not a replacement for an answer that failed.
    pub fn grounded(&self) -> bool {
        self.grounding["passed"] == Value::Bool(true) && self.grounding.get("replaced").is_none()
    }

    /// The unsupported claims, for the transcript.
    pub fn grounding_reasons(&self) -> Vec<String> {
        let mut out = Vec::new();
        for verdict in [&self.grounding, &self.grounding["replaced"]] {
            for c in verdict["claims"].as_array().into_iter().flatten() {
                if let Some(r) = c["reason"].as_str() {
                    out.push(format!("\"{}\": {r}", c["text"].as_str().unwrap_or("")));
                }
            }
        }
        out
    }
}

/// What one turn showed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Observed {
    /// The HTTP status of the channel request.
    pub status: u16,
    /// The reply as the channel returned it (`None`: silent, e.g. staff answer).
    pub reply: Option<Value>,
    /// The bot messages stored for this turn.
    pub messages: Vec<BotMessage>,
    /// The runner's own grounding check of each text the customer received this turn,
    /// against the conversation's tool results and messages.
    pub delivered: Vec<crate::assistant::grounding::Verdict>,
}

impl Observed {
    pub fn text(&self) -> String {
        self.reply
            .as_ref()
            .and_then(|r| r["text"].as_str())
            .unwrap_or("")
            .to_string()
    }

    pub fn tools(&self) -> Vec<&str> {
        self.messages
            .iter()
            .flat_map(|m| m.tool_calls.iter().map(|c| c.name.as_str()))
            .collect()
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.reply
            .as_ref()
            .and_then(|r| r[key].as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().or_else(|| v["id"].as_str()).map(str::to_string))
            .collect()
    }

    pub fn contradictions(&self) -> Vec<String> {
        self.list("contradictions")
    }

    pub fn actions(&self) -> Vec<String> {
        self.list("actions")
    }
}

/// The explicit expectations of one turn that do not hold, each said in a sentence.
pub fn check_turn(e: &Expect, o: &Observed) -> Vec<String> {
    let mut failed = Vec::new();
    let text = o.text();
    let field = |k: &str| {
        o.reply
            .as_ref()
            .map(|r| r[k].clone())
            .unwrap_or(Value::Null)
    };
    for re in &e.reply_matches {
        match regex(re) {
            Ok(r) if r.is_match(&text) => {}
            Ok(_) => failed.push(format!("reply_matches: /{re}/ does not match the reply")),
            Err(err) => failed.push(err.to_string()),
        }
    }
    for re in &e.reply_not_matches {
        match regex(re) {
            Ok(r) => {
                if let Some(m) = r.find(&text) {
                    failed.push(format!(
                        "reply_not_matches: /{re}/ matches \"{}\" in the reply",
                        m.as_str()
                    ));
                }
            }
            Err(err) => failed.push(err.to_string()),
        }
    }
    if let Some(want) = e.verified
        && field("verified") != Value::Bool(want)
    {
        failed.push(format!(
            "verified: expected {want}, got {}",
            field("verified")
        ));
    }
    let tools = o.tools();
    for t in &e.tools {
        if !tools.contains(&t.as_str()) {
            failed.push(format!("tools: {t} was not called (called: {tools:?})"));
        }
    }
    for t in &e.tools_not {
        if tools.contains(&t.as_str()) {
            failed.push(format!("tools_not: {t} was called"));
        }
    }
    let shown = o.contradictions();
    match &e.contradictions {
        Some(want) if want.is_empty() && !shown.is_empty() => {
            failed.push(format!("contradictions: expected none, got {shown:?}"));
        }
        Some(want) => {
            for c in want {
                if !shown.contains(c) {
                    failed.push(format!(
                        "contradictions: {c} is not presented (presented: {shown:?})"
                    ));
                }
            }
        }
        None => {}
    }
    let actions = o.actions();
    for a in &e.suggests {
        if !actions.contains(a) {
            failed.push(format!(
                "suggests: {a} is not offered (offered: {actions:?})"
            ));
        }
    }
    if let Some(want) = &e.language
        && field("language").as_str() != Some(want.as_str())
    {
        failed.push(format!(
            "language: expected {want}, got {}",
            field("language")
        ));
    }
    if let Some(want) = e.handoff
        && field("handoff") != Value::Bool(want)
    {
        failed.push(format!(
            "handoff: expected {want}, got {}",
            field("handoff")
        ));
    }
    if let Some(max) = e.max_reply_chars
        && text.chars().count() > max
    {
        failed.push(format!(
            "max_reply_chars: the reply has {} characters, more than {max}",
            text.chars().count()
        ));
    }
    failed
}

/// Another customer's data found in a reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Leak {
    pub kind: &'static str,
    pub value: String,
}

/// Whether `needle` occurs in `hay` as a whole token (not inside a longer number or
/// word), both already lower-cased.
fn contains_token(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let start = from + i;
        let end = start + needle.len();
        if edge(hay[..start].chars().next_back()) && edge(hay[end..].chars().next()) {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The identifying data of customers other than `own` (the conversation's verified
/// customer, if any) that the reply shows, unless the customer wrote it themselves.
pub fn find_leaks(
    reply: &str,
    known: &[Identifying],
    own: Option<&str>,
    customer_wrote: &str,
) -> Vec<Leak> {
    let hay = reply.to_lowercase();
    let wrote = customer_wrote.to_lowercase();
    let mut out: Vec<Leak> = Vec::new();
    for k in known {
        if Some(k.customer_id.as_str()) == own {
            continue;
        }
        let v = k.value.trim().to_lowercase();
        // Very short values (initials, "A-1") say nothing about a person.
        if v.chars().count() < 4 || !contains_token(&hay, &v) || contains_token(&wrote, &v) {
            continue;
        }
        // The same value may belong to the customer too (a shared street, a namesake).
        if own.is_some_and(|o| {
            known
                .iter()
                .any(|x| x.customer_id == o && x.value.trim().eq_ignore_ascii_case(&k.value))
        }) {
            continue;
        }
        if !out.iter().any(|l| l.value == k.value) {
            out.push(Leak {
                kind: k.kind,
                value: k.value.clone(),
            });
        }
    }
    out
}

/// Whether `actual` (a case or an event as JSON) has every field of `want`; a field
/// missing at the top level is looked up in `details`. Numbers and strings compare by
/// their text (`"59.80"` and `59.80`, `true` and `"true"`).
pub fn fields_match(want: &serde_json::Map<String, Value>, actual: &Value) -> bool {
    want.iter().all(|(k, w)| {
        let a = actual
            .get(k)
            .filter(|v| !v.is_null())
            .or_else(|| actual.get("details").and_then(|d| d.get(k)))
            .unwrap_or(&Value::Null);
        value_matches(w, a)
    })
}

fn value_matches(want: &Value, actual: &Value) -> bool {
    match (want, actual) {
        (Value::Object(w), a) => fields_match(w, a),
        (Value::Array(w), Value::Array(a)) => {
            w.len() == a.len() && w.iter().zip(a).all(|(x, y)| value_matches(x, y))
        }
        (Value::Null, a) => a.is_null(),
        (w, a) => match (scalar(w), scalar(a)) {
            (Some(x), Some(y)) => {
                x == y || matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(p), Ok(q)) if p == q)
            }
            _ => false,
        },
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Pairs each wanted item with a different actual one (in order, first fit); returns
/// the wanted items left without a partner.
fn unmatched<'a>(
    want: &'a [serde_json::Map<String, Value>],
    actual: &[Value],
) -> Vec<&'a serde_json::Map<String, Value>> {
    let mut used = vec![false; actual.len()];
    let mut left = Vec::new();
    for w in want {
        match (0..actual.len()).find(|&i| !used[i] && fields_match(w, &actual[i])) {
            Some(i) => used[i] = true,
            None => left.push(w),
        }
    }
    left
}

/// The `final` expectations that do not hold, given the cases and events created
/// during the scenario.
pub fn check_final(f: &Final, cases: &[Value], events: &[Value]) -> Vec<String> {
    let mut failed = Vec::new();
    let brief = |v: &[Value]| -> String {
        v.iter()
            .map(|c| {
                format!(
                    "{{kind: {}, status: {}}}",
                    c["kind"].as_str().unwrap_or("?"),
                    c["status"].as_str().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for w in unmatched(&f.cases, cases) {
        failed.push(format!(
            "final.cases: no case matches {} (created: [{}])",
            Value::Object(w.clone()),
            brief(cases)
        ));
    }
    if f.cases_exactly && cases.len() != f.cases.len() {
        failed.push(format!(
            "final.cases_exactly: {} case(s) expected, {} created ([{}])",
            f.cases.len(),
            cases.len(),
            brief(cases)
        ));
    }
    if f.no_cases && !cases.is_empty() {
        failed.push(format!(
            "final.no_cases: {} case(s) were created ([{}])",
            cases.len(),
            brief(cases)
        ));
    }
    for w in unmatched(&f.events, events) {
        let types: Vec<String> = events
            .iter()
            .map(|e| {
                format!(
                    "{}{}",
                    e["type"].as_str().unwrap_or("?"),
                    e["claim"]
                        .as_str()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        failed.push(format!(
            "final.events: no event matches {} (recorded: {types:?})",
            Value::Object(w.clone())
        ));
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observed(reply: Value, tools: &[&str]) -> Observed {
        Observed {
            status: 200,
            reply: Some(reply),
            messages: vec![BotMessage {
                text: String::new(),
                tool_calls: tools
                    .iter()
                    .map(|t| ToolCall {
                        name: t.to_string(),
                        ..ToolCall::default()
                    })
                    .collect(),
                grounding: json!({"passed": true, "claims": []}),
                engine_stats: Value::Null,
            }],
            delivered: Vec::new(),
        }
    }

    fn expect(yaml: &str) -> Expect {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn every_key_of_expect_is_checked() {
        let o = observed(
            json!({"text": "Die Sendung wurde um 06:48 gescannt.", "verified": true,
                   "language": "de", "handoff": false,
                   "contradictions": ["delivered_but_driver_reports_failure"],
                   "actions": [{"id": "callback", "label": "Rückruf"}]}),
            &["verify_customer", "track_shipment"],
        );
        let ok = expect(
            "{reply_matches: ['06:48', 'SENDUNG'], reply_not_matches: ['🎉'], verified: true, \
             tools: [track_shipment], tools_not: [confirm_remedy], \
             contradictions: [delivered_but_driver_reports_failure], suggests: [callback], \
             language: de, handoff: false}",
        );
        assert_eq!(check_turn(&ok, &o), Vec::<String>::new());
        let bad = expect(
            "{reply_matches: ['07:00'], reply_not_matches: ['gescannt'], verified: false, \
             tools: [confirm_remedy], tools_not: [track_shipment], \
             contradictions: [stale_tracking], suggests: [replacement], language: en, \
             handoff: true}",
        );
        let failed = check_turn(&bad, &o);
        assert_eq!(failed.len(), 9, "{failed:#?}");
        let none = expect("{contradictions: []}");
        assert_eq!(check_turn(&none, &o).len(), 1);
        let plain = observed(json!({"text": "ok", "contradictions": []}), &[]);
        assert!(check_turn(&none, &plain).is_empty());
    }

    #[test]
    fn a_reply_longer_than_max_reply_chars_fails_counted_in_characters() {
        // 35 characters, more bytes (an umlaut).
        let o = observed(json!({"text": "Zustellversuch gescheitert: Müller."}), &[]);
        assert!(check_turn(&expect("{max_reply_chars: 35}"), &o).is_empty());
        let failed = check_turn(&expect("{max_reply_chars: 34}"), &o);
        assert_eq!(
            failed,
            ["max_reply_chars: the reply has 35 characters, more than 34"]
        );
    }

    #[test]
    fn leaks_are_other_customers_data_the_customer_did_not_write() {
        let known = vec![
            Identifying {
                customer_id: "C-1".into(),
                kind: "order_number",
                value: "A-100234".into(),
            },
            Identifying {
                customer_id: "C-2".into(),
                kind: "order_number",
                value: "A-100250".into(),
            },
            Identifying {
                customer_id: "C-2".into(),
                kind: "name",
                value: "Malte Eickhoff".into(),
            },
        ];
        let reply = "Bestellung A-100250 von malte eickhoff";
        assert_eq!(find_leaks(reply, &known, Some("C-2"), "").len(), 0);
        assert_eq!(find_leaks(reply, &known, Some("C-1"), "").len(), 2);
        assert_eq!(find_leaks(reply, &known, None, "wo ist A-100250?").len(), 1);
        // Not inside a longer number.
        assert!(find_leaks("A-1002501", &known, None, "").is_empty());
        assert!(contains_token("x a-100250.", "a-100250"));
    }

    #[test]
    fn final_matches_fields_in_details_and_counts_cases() {
        let cases = vec![
            json!({"kind": "callback", "status": "open", "details": {"slot": "x"}}),
            json!({"kind": "replacement", "status": "open", "details": {}}),
        ];
        let events = vec![json!({"type": "customer_report", "claim": "not_received"})];
        let f: Final = serde_yaml_ng::from_str(
            "{cases: [{kind: callback, status: open, slot: x}], \
              events: [{type: customer_report, claim: not_received}]}",
        )
        .unwrap();
        assert!(check_final(&f, &cases, &events).is_empty());
        let f: Final = serde_yaml_ng::from_str(
            "{cases: [{kind: callback}], cases_exactly: true, no_cases: true, \
              events: [{type: customer_report, claim: damaged}]}",
        )
        .unwrap();
        assert_eq!(check_final(&f, &cases, &events).len(), 3);
        // Two wanted cases need two created ones.
        let f: Final =
            serde_yaml_ng::from_str("{cases: [{kind: callback}, {kind: callback}]}").unwrap();
        assert_eq!(check_final(&f, &cases, &events).len(), 1);
        let m = json!({"total": "59.80"});
        assert!(fields_match(
            serde_json::from_value::<serde_json::Map<String, Value>>(json!({"total": 59.80}))
                .as_ref()
                .unwrap(),
            &m
        ));
    }

    #[test]
    fn a_replaced_answer_counts_as_ungrounded() {
        let mut m = BotMessage {
            grounding: json!({"passed": true, "claims": []}),
            ..BotMessage::default()
        };
        assert!(m.grounded());
        m.grounding = json!({"passed": true, "claims": [], "replaced": {"passed": false,
            "claims": [{"text": "06:49", "reason": "no tool result shows 06:49"}]}});
        assert!(!m.grounded());
        assert_eq!(m.grounding_reasons().len(), 1);
    }
}
