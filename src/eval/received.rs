//! Grading from what the customer received, not from what the server says of itself:
//! the grounding check run by the runner on the delivered text against the
//! conversation's own tool results and messages, and the contradictions a reply
//! presents read from its text. Pure.
//!
//! A reply **presents** a contradiction when it states every evidence event of it (the
//! facts with an event id; for a contradiction without any, every fact). It **states**
//! an event when it gives the event's local time of day, or else a value that belongs to
//! this event alone among the facts of the conversation's contradictions: its day, its
//! due day or next attempt, its amount or its postcode. Wording does not matter; a
//! reply that drops a fact does not present the contradiction, whatever the server
//! believes it sent. What the customer reported themselves (`source: customer`) they
//! know: it need not be repeated.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike};
use chrono_tz::Tz;
use serde_json::Value;

use super::expect::ToolCall;
use crate::assistant::grounding::{self, Evidence, Stated, Support, Verdict};
use crate::domain::{Locale, Money};
use crate::store::conversations::{MessageRow, Role};

/// The tool results of a conversation's bot messages, oldest first.
pub fn tool_results(messages: &[MessageRow]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m.role == Role::Bot)
        .filter_map(|m| m.tool_calls.as_deref())
        .filter_map(|t| serde_json::from_str::<Vec<ToolCall>>(t).ok())
        .flatten()
        .map(|c| c.result)
        .collect()
}

/// What the messages support, as the server's check is meant to see it: every
/// customer's text and every tool result among them, in order.
pub fn support(messages: &[MessageRow], tz: Tz) -> Support {
    let mut support = Support::new(tz);
    for m in messages {
        let mut e = Evidence::new(tz);
        match m.role {
            Role::Customer => e.add_customer_text(&m.text),
            Role::Bot => {
                for r in tool_results(std::slice::from_ref(m)) {
                    e.add_tool_result(&r);
                }
            }
            Role::Staff | Role::System => continue,
        }
        support.add(&Arc::new(e));
    }
    support
}

/// The grounding check of a delivered text.
pub fn grounding(text: &str, support: &Support, locale: Locale) -> Verdict {
    grounding::check(text, support, locale)
}

/// The contradictions the tool results show (with their facts), the latest version of
/// each (by code and shipment).
pub fn contradictions(results: &[Value]) -> Vec<Value> {
    let mut found: BTreeMap<(String, String), Value> = BTreeMap::new();
    for r in results {
        collect(r, &mut found);
    }
    found.into_values().collect()
}

fn collect(v: &Value, found: &mut BTreeMap<(String, String), Value>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if (k == "contradictions" || k == "order_contradictions")
                    && let Some(list) = child.as_array()
                {
                    for c in list {
                        if let (Some(code), Some(_)) = (c["code"].as_str(), c["facts"].as_array()) {
                            let tn = c["tracking_number"].as_str().unwrap_or("").to_string();
                            found.insert((code.to_string(), tn), c.clone());
                        }
                    }
                } else {
                    collect(child, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, found)),
        _ => {}
    }
}

/// The values that may show one fact in a reply.
#[derive(Default)]
struct Marks {
    time: Option<NaiveTime>,
    days: Vec<NaiveDate>,
    postcode: Option<String>,
    amount: Option<i64>,
}

fn marks(fact: &Value, tz: Tz) -> Marks {
    let local = |k: &str| {
        fact[k]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&tz).naive_local())
    };
    let at = local("at");
    let mut days: Vec<NaiveDate> = at.iter().map(|d| d.date()).collect();
    if let Some(due) = local("due_by") {
        days.push(due.date());
    }
    if let Some(d) = fact["next_attempt_on"]
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    {
        days.push(d);
    }
    Marks {
        time: at.and_then(|d| NaiveTime::from_hms_opt(d.hour(), d.minute(), 0)),
        days,
        postcode: fact["postcode"].as_str().map(str::to_string),
        amount: fact["amount"]
            .as_str()
            .and_then(|a| Money::parse(a).ok())
            .map(Money::cents),
    }
}

/// One fact's identity: its event, or what it says when it has none.
fn key(fact: &Value) -> String {
    match fact["event_id"].as_str() {
        Some(id) => format!("event:{id}"),
        None => format!("{}|{}|{}", fact["source"], fact["what"], fact["at"]),
    }
}

/// The codes of `contradictions` (from [`contradictions`]) that `text` presents, in
/// their order.
pub fn presented(text: &str, contradictions: &[Value], tz: Tz, locale: Locale) -> Vec<String> {
    let stated = Stated::read(text, locale);
    // Every distinct fact, to tell which values belong to one fact alone.
    let mut facts: BTreeMap<String, Marks> = BTreeMap::new();
    for c in contradictions {
        for f in c["facts"].as_array().into_iter().flatten() {
            facts.entry(key(f)).or_insert_with(|| marks(f, tz));
        }
    }
    let shared_day = |k: &str, d: NaiveDate| {
        facts
            .iter()
            .any(|(other, m)| other != k && m.days.contains(&d))
    };
    let shared = |k: &str, pick: &dyn Fn(&Marks) -> bool| {
        facts.iter().any(|(other, m)| other != k && pick(m))
    };
    let states = |f: &Value| -> bool {
        if f["source"] == "customer" {
            return true;
        }
        let k = key(f);
        let Some(m) = facts.get(&k) else {
            return false;
        };
        if m.time.is_some_and(|t| stated.time(t)) {
            return true;
        }
        m.days.iter().any(|&d| stated.date(d) && !shared_day(&k, d))
            || m.postcode.as_deref().is_some_and(|p| {
                stated.postcode(p) && !shared(&k, &|o: &Marks| o.postcode.as_deref() == Some(p))
            })
            || m.amount
                .is_some_and(|a| stated.amount(a) && !shared(&k, &|o: &Marks| o.amount == Some(a)))
    };
    let mut out: Vec<String> = Vec::new();
    for c in contradictions {
        let all: Vec<&Value> = c["facts"].as_array().into_iter().flatten().collect();
        let evidence: Vec<&Value> = all
            .iter()
            .copied()
            .filter(|f| f["event_id"].is_string())
            .collect();
        let needed = if evidence.is_empty() { all } else { evidence };
        if let Some(code) = c["code"].as_str()
            && !needed.is_empty()
            && needed.iter().all(|f| states(f))
            && !out.iter().any(|x| x == code)
        {
            out.push(code.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn three_truths() -> Vec<Value> {
        let scan = json!({"event_id": "s1", "source": "carrier_scan", "what": "delivered",
                          "at": "2025-09-11T04:48:00Z", "postcode": "33154", "location": "Ffeld"});
        let driver = json!({"event_id": "d1", "source": "driver", "what": "recipient_absent",
                            "at": "2025-09-11T04:51:00Z", "next_attempt_on": "2025-09-12"});
        let address = json!({"event_id": null, "source": "address", "what": "address",
                             "at": null, "postcode": "33100"});
        let report = json!({"event_id": "r1", "source": "customer", "what": "not_received",
                            "at": "2025-09-11T07:30:00Z"});
        let promise = json!({"event_id": "o1", "source": "shop", "what": "return_label_promised",
                             "at": "2025-09-03T07:00:00Z", "due_by": "2025-09-05T16:00:00Z"});
        contradictions(&[json!({"shipments": [{"shipment": {"contradictions": [
            {"code": "delivered_but_driver_reports_failure", "tracking_number": "T1",
             "facts": [scan.clone(), driver.clone()]},
            {"code": "delivery_location_mismatch", "tracking_number": "T1",
             "facts": [scan.clone(), address]},
            {"code": "customer_disputes_delivery", "tracking_number": "T1",
             "facts": [report, scan]},
        ]}}], "order_contradictions": [
            {"code": "promise_overdue", "tracking_number": null, "facts": [promise]}]})])
    }

    fn shown(text: &str, locale: Locale) -> Vec<String> {
        presented(text, &three_truths(), chrono_tz::Europe::Berlin, locale)
    }

    #[test]
    fn a_contradiction_is_presented_when_every_evidence_event_is_stated() {
        let both = shown(
            "Der Scan meldet um 06:48 Uhr die Zustellung in Ffeld, der Fahrer um 06:51 Uhr: \
             niemand angetroffen.",
            Locale::De,
        );
        assert_eq!(
            both,
            [
                "customer_disputes_delivery",
                "delivered_but_driver_reports_failure",
                "delivery_location_mismatch"
            ]
        );
        // The driver's fact dropped: that contradiction is not presented, whatever the
        // server believes; the day alone (shared by both events) does not state it.
        let dropped = shown(
            "Am 11.09.2025 meldet der Scan um 06:48 Uhr die Zustellung.",
            Locale::De,
        );
        assert!(!dropped.contains(&"delivered_but_driver_reports_failure".to_string()));
        // A value of one fact alone states it: the next attempt (12 Sep) is the driver's.
        let next = shown(
            "The scan says delivered at 6:48 am; the driver will try again on 12 Sep.",
            Locale::En,
        );
        assert!(next.contains(&"delivered_but_driver_reports_failure".to_string()));
        // A promise by its due day; nothing of it, nothing presented.
        assert!(
            shown("The return label was due on 5 Sep.", Locale::En)
                .contains(&"promise_overdue".to_string())
        );
        assert!(shown("Ihre Sendung ist unterwegs.", Locale::De).is_empty());
    }

    #[test]
    fn the_latest_version_of_a_contradiction_counts_and_code_lists_without_facts_do_not() {
        let old = json!({"contradictions": [{"code": "stale_tracking", "tracking_number": "T2",
            "facts": [{"event_id": "a", "source": "carrier_scan", "at": "2025-09-05T01:12:00Z"}]}]});
        let new = json!({"contradictions": [{"code": "stale_tracking", "tracking_number": "T2",
            "facts": [{"event_id": "b", "source": "carrier_scan", "at": "2025-09-06T01:12:00Z"}]}]});
        let listed = json!({"orders": [{"contradictions": [{"code": "promise_overdue"}]}]});
        let found = contradictions(&[old, new, listed]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["facts"][0]["event_id"], "b");
    }
}
