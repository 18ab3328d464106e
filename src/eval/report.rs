//! What a suite run tells people: the console lines (one per scenario, the failures
//! with their transcript, a last line with the counts), the JSON report and a Markdown
//! summary.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::runner::{Run, ScenarioResult, Status, SuiteResult, TurnRecord};

/// One line for a scenario: `PASS id  title` (with k/K when repeated).
pub fn scenario_line(r: &ScenarioResult, repeat: usize) -> String {
    let passed = r.runs.iter().filter(|x| x.status == Status::Passed).count();
    let runs = if repeat > 1 && r.status() != Status::Skipped {
        format!(" ({passed}/{} runs)", r.runs.len())
    } else {
        String::new()
    };
    let note = match r.status() {
        Status::Skipped => format!(
            " — skipped: {}",
            r.runs.first().and_then(|x| x.note.as_deref()).unwrap_or("")
        ),
        _ => String::new(),
    };
    let tag = match r.status() {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Skipped => "SKIP",
    };
    format!("{tag} {}{runs}  {}{note}", r.id, r.title)
}

/// A failed run: what failed, then the transcript.
pub fn failure_details(r: &ScenarioResult) -> String {
    let mut out = String::new();
    let Some((n, run)) = r
        .runs
        .iter()
        .enumerate()
        .find(|(_, x)| x.status == Status::Failed)
    else {
        return out;
    };
    let _ = writeln!(out, "─── {} ({}), run {} ───", r.id, r.file, n + 1);
    for f in run.failures() {
        let _ = writeln!(out, "  ✗ {f}");
    }
    let _ = writeln!(out, "  transcript:");
    for t in &run.turns {
        transcript_turn(&mut out, t);
    }
    if !run.cases.is_empty() || !run.events.is_empty() {
        let _ = writeln!(out, "  created cases: {}", Value::Array(run.cases.clone()));
        let _ = writeln!(
            out,
            "  recorded events: {}",
            Value::Array(run.events.clone())
        );
    }
    out
}

fn transcript_turn(out: &mut String, t: &TurnRecord) {
    let who = if t.turn == 0 {
        "opening".to_string()
    } else {
        format!("turn {}", t.turn)
    };
    let _ = writeln!(out, "  [{who}] customer {}", t.sent);
    if t.observed.status != 200 && t.observed.status != 201 {
        let _ = writeln!(out, "      HTTP {}", t.observed.status);
    }
    for c in t.observed.messages.iter().flat_map(|m| &m.tool_calls) {
        let _ = writeln!(
            out,
            "      tool {}({}) → {}",
            c.name,
            c.arguments,
            short(&c.result.to_string(), 600)
        );
    }
    match &t.observed.reply {
        Some(r) => {
            let _ = writeln!(
                out,
                "      bot: {}",
                r["text"]
                    .as_str()
                    .unwrap_or("")
                    .replace('\n', "\n           ")
            );
            let extras: Vec<String> = [
                "actions",
                "contradictions",
                "server_contradictions",
                "presented_in_text",
                "verified",
                "language",
                "handoff",
            ]
            .iter()
            .filter(|k| !r[**k].is_null())
            .map(|k| {
                let v = if *k == "actions" {
                    Value::Array(
                        r[*k]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|a| a["id"].clone())
                            .collect(),
                    )
                } else {
                    r[*k].clone()
                };
                format!("{k}={v}")
            })
            .collect();
            if !extras.is_empty() {
                let _ = writeln!(out, "      ({})", extras.join(", "));
            }
            if let Some(e) = r.get("error") {
                let _ = writeln!(out, "      error: {e}");
            }
        }
        None => {
            let _ = writeln!(out, "      bot: (silent)");
        }
    }
    for v in &t.observed.delivered {
        let g = if v.passed {
            "passed".to_string()
        } else {
            format!("FAILED: {}", v.reasons().replace('\n', "; "))
        };
        let _ = writeln!(out, "      grounding as delivered: {g}");
    }
    for m in &t.observed.messages {
        let g = if m.grounded() {
            "passed".to_string()
        } else {
            format!("FAILED: {}", m.grounding_reasons().join("; "))
        };
        let _ = writeln!(out, "      grounding: {g}");
    }
    for f in &t.failures {
        let _ = writeln!(out, "      ✗ {f}");
    }
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The last line: `N passed, M failed` (and skipped).
pub fn summary_line(s: &SuiteResult) -> String {
    let skipped = s.count(Status::Skipped);
    let mut line = format!(
        "{} passed, {} failed",
        s.count(Status::Passed),
        s.count(Status::Failed)
    );
    if skipped > 0 {
        let _ = write!(line, ", {skipped} skipped");
    }
    if let Some(p) = s.perturbed_suite() {
        let _ = write!(line, "; perturbed texts: {}", summary_line(&p));
    }
    line
}

/// The whole console output.
pub fn console(s: &SuiteResult) -> String {
    let mut out = String::new();
    for r in &s.scenarios {
        let _ = writeln!(out, "{}", scenario_line(r, s.repeat));
    }
    let failed: Vec<&ScenarioResult> = s
        .scenarios
        .iter()
        .filter(|r| r.status() == Status::Failed)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFailures:");
        for r in failed {
            out.push_str(&failure_details(r));
        }
    }
    if let Some(p) = s.perturbed_suite() {
        let _ = writeln!(out, "\nWith perturbed customer texts:");
        let body = console(&p);
        // Its own last line is part of the summary below.
        let lines: Vec<&str> = body.lines().collect();
        for l in &lines[..lines.len().saturating_sub(1)] {
            let _ = writeln!(out, "{l}");
        }
    }
    let _ = writeln!(out, "{}", reply_lengths_line(s));
    let _ = writeln!(out, "{}", summary_line(s));
    out
}

/// The lengths (in characters) of the bot's replies after the opening, per channel.
fn reply_chars(s: &SuiteResult) -> BTreeMap<String, Vec<usize>> {
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for r in &s.scenarios {
        for t in r.runs.iter().flat_map(|x| &x.turns).filter(|t| t.turn > 0) {
            if let Some(text) = t.observed.reply.as_ref().and_then(|r| r["text"].as_str()) {
                by.entry(r.channel.clone())
                    .or_default()
                    .push(text.chars().count());
            }
        }
    }
    by
}

/// The value at quantile `q` (nearest rank) of sorted lengths.
fn rank(sorted: &[usize], q: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

/// Reply lengths per channel: count, median, p90 and max characters.
pub fn reply_lengths(s: &SuiteResult) -> Value {
    reply_chars(s)
        .into_iter()
        .map(|(channel, mut v)| {
            v.sort_unstable();
            let stats = json!({
                "replies": v.len(),
                "median": rank(&v, 0.5),
                "p90": rank(&v, 0.9),
                "max": v.last().copied().unwrap_or(0),
            });
            (channel, stats)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// `reply length (chars): web median 180, p90 420, max 610 (120 replies); …`
pub fn reply_lengths_line(s: &SuiteResult) -> String {
    let parts: Vec<String> = reply_lengths(s)
        .as_object()
        .into_iter()
        .flatten()
        .map(|(ch, v)| {
            format!(
                "{ch} median {}, p90 {}, max {} ({} replies)",
                v["median"], v["p90"], v["max"], v["replies"]
            )
        })
        .collect();
    format!("reply length (chars): {}", parts.join("; "))
}

#[derive(Default)]
struct Stats {
    model_calls: f64,
    tokens: f64,
    latency_ms: f64,
    replies: usize,
}

fn engine_stats(runs: &[&Run]) -> Stats {
    let mut s = Stats::default();
    for m in runs
        .iter()
        .flat_map(|r| &r.turns)
        .filter(|t| t.turn > 0)
        .flat_map(|t| &t.observed.messages)
    {
        let e = &m.engine_stats;
        let num = |k: &str| e[k].as_f64();
        s.replies += 1;
        s.model_calls += num("model_calls").unwrap_or(0.0);
        s.tokens += num("total_tokens").or(num("tokens")).unwrap_or_else(|| {
            num("prompt_tokens").unwrap_or(0.0) + num("completion_tokens").unwrap_or(0.0)
        });
        s.latency_ms += num("latency_ms").or(num("duration_ms")).unwrap_or(0.0);
    }
    s
}

fn tool_calls_per_turn(run: &Run) -> Vec<usize> {
    run.turns
        .iter()
        .filter(|t| t.turn > 0)
        .map(|t| t.observed.messages.iter().map(|m| m.tool_calls.len()).sum())
        .collect()
}

fn rate(passed: usize, runs: usize) -> f64 {
    if runs == 0 {
        0.0
    } else {
        passed as f64 / runs as f64
    }
}

/// The JSON report (`--report FILE.json`).
pub fn json_report(s: &SuiteResult) -> Value {
    let mut scenarios = Vec::new();
    let mut tags: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    let (mut grounding, mut leaks, mut server_errors, mut turns, mut calls) = (0, 0, 0, 0, 0);
    let mut all_runs: Vec<&Run> = Vec::new();
    for r in &s.scenarios {
        let ran: Vec<&Run> = r
            .runs
            .iter()
            .filter(|x| x.status != Status::Skipped)
            .collect();
        let passed = ran.iter().filter(|x| x.status == Status::Passed).count();
        for t in &r.tags {
            let e = tags.entry(t.clone()).or_default();
            e.0 += 1;
            e.1 += ran.len();
            e.2 += passed;
            e.3 += usize::from(r.status() == Status::Passed);
        }
        for x in &ran {
            grounding += x.grounding_violations;
            leaks += x.leaks;
            server_errors += x.server_errors;
            let per_turn = tool_calls_per_turn(x);
            turns += per_turn.len();
            calls += per_turn.iter().sum::<usize>();
        }
        all_runs.extend(ran.iter().copied());
        let st = engine_stats(&ran);
        scenarios.push(json!({
            "id": r.id,
            "title": r.title,
            "tags": r.tags,
            "channel": r.channel,
            "file": r.file,
            "status": r.status(),
            "runs": ran.len(),
            "passed_runs": passed,
            "pass_rate": rate(passed, ran.len()),
            "skip_reason": r.runs.first().filter(|x| x.status == Status::Skipped).and_then(|x| x.note.clone()),
            "grounding_violations": ran.iter().map(|x| x.grounding_violations).sum::<usize>(),
            "leaks": ran.iter().map(|x| x.leaks).sum::<usize>(),
            "server_errors": ran.iter().map(|x| x.server_errors).sum::<usize>(),
            "tool_calls_per_turn": ran.first().map(|x| tool_calls_per_turn(x)).unwrap_or_default(),
            "tools_per_turn": ran.first().map(|x| x.turns.iter().filter(|t| t.turn > 0).map(|t| t.observed.tools()).collect::<Vec<_>>()).unwrap_or_default(),
            "model_calls": st.model_calls,
            "tokens": st.tokens,
            "latency_ms_mean": if st.replies > 0 { st.latency_ms / st.replies as f64 } else { 0.0 },
            "failures": ran.iter().find(|x| x.status == Status::Failed).map(|x| x.failures()).unwrap_or_default(),
        }));
    }
    let ran = s.count(Status::Passed) + s.count(Status::Failed);
    let st = engine_stats(&all_runs);
    let total_runs = all_runs.len();
    let passed_runs = all_runs
        .iter()
        .filter(|x| x.status == Status::Passed)
        .count();
    let perturbed = s.perturbed_suite().map(|p| json_report(&p));
    let mut report = json!({
        "engine": s.engine,
        "repeat": s.repeat,
        "summary": {
            "scenarios": s.scenarios.len(),
            "passed": s.count(Status::Passed),
            "failed": s.count(Status::Failed),
            "skipped": s.count(Status::Skipped),
            "runs": total_runs,
            "passed_runs": passed_runs,
            "pass_rate": rate(passed_runs, total_runs),
            // pass^k: the share of scenarios that passed all k runs.
            "pass_hat_k": rate(s.count(Status::Passed), ran),
            "grounding_violations": grounding,
            "leaks": leaks,
            "server_errors": server_errors,
            "turns": turns,
            "tool_calls": calls,
            "tool_calls_per_turn": if turns > 0 { calls as f64 / turns as f64 } else { 0.0 },
            "model_calls": st.model_calls,
            "tokens": st.tokens,
            "latency_ms_mean": if st.replies > 0 { st.latency_ms / st.replies as f64 } else { 0.0 },
        },
        "tags": tags.iter().map(|(t, (n, runs, passed, all_k))| (t.clone(), json!({
            "scenarios": n,
            "runs": runs,
            "passed_runs": passed,
            "pass_rate": rate(*passed, *runs),
            "pass_hat_k": rate(*all_k, *n),
        }))).collect::<serde_json::Map<_, _>>(),
        "scenarios": scenarios,
        "reply_lengths": reply_lengths(s),
    });
    if let Some(p) = perturbed {
        // The same measures with every customer text perturbed (`--perturb`).
        report["summary"]["perturbed"] = p["summary"].clone();
        report["perturbed_scenarios"] = p["scenarios"].clone();
    }
    report
}

/// A Markdown summary (`--markdown FILE.md`).
pub fn markdown(s: &SuiteResult) -> String {
    let j = json_report(s);
    let sum = &j["summary"];
    let mut out = String::new();
    let _ = writeln!(out, "# Eval report\n");
    let _ = writeln!(
        out,
        "Engine `{}`, {} run(s) per scenario. **{}**.\n",
        j["engine"].as_str().unwrap_or(""),
        s.repeat,
        summary_line(s)
    );
    let _ = writeln!(out, "| measure | value |\n| --- | --- |");
    for (label, key) in [
        ("pass^k", "pass_hat_k"),
        ("pass rate (runs)", "pass_rate"),
        ("grounding violations", "grounding_violations"),
        ("leaks", "leaks"),
        ("server errors", "server_errors"),
        ("tool calls per turn", "tool_calls_per_turn"),
        ("model calls", "model_calls"),
        ("tokens", "tokens"),
        ("mean latency per reply (ms)", "latency_ms_mean"),
    ] {
        let v = &sum[key];
        let shown = match v.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => v.to_string(),
        };
        let _ = writeln!(out, "| {label} | {shown} |");
    }
    if let Some(p) = sum.get("perturbed") {
        for (label, key) in [
            ("pass^k, perturbed texts", "pass_hat_k"),
            ("pass rate (runs), perturbed texts", "pass_rate"),
        ] {
            let _ = writeln!(out, "| {label} | {:.2} |", p[key].as_f64().unwrap_or(0.0));
        }
    }
    let _ = writeln!(
        out,
        "\n## Reply length (characters)\n\n| channel | replies | median | p90 | max |\n| --- | --- | --- | --- | --- |"
    );
    for (ch, v) in j["reply_lengths"].as_object().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {ch} | {} | {} | {} | {} |",
            v["replies"], v["median"], v["p90"], v["max"]
        );
    }
    let _ = writeln!(
        out,
        "\n## By tag\n\n| tag | scenarios | pass rate | pass^k |\n| --- | --- | --- | --- |"
    );
    for (t, v) in j["tags"].as_object().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {t} | {} | {:.2} | {:.2} |",
            v["scenarios"],
            v["pass_rate"].as_f64().unwrap_or(0.0),
            v["pass_hat_k"].as_f64().unwrap_or(0.0)
        );
    }
    let _ = writeln!(
        out,
        "\n## Scenarios\n\n| scenario | status | runs passed |\n| --- | --- | --- |"
    );
    for r in &s.scenarios {
        let passed = r.runs.iter().filter(|x| x.status == Status::Passed).count();
        let status = match r.status() {
            Status::Passed => "passed",
            Status::Failed => "**failed**",
            Status::Skipped => "skipped",
        };
        let _ = writeln!(
            out,
            "| `{}` {} | {status} | {passed}/{} |",
            r.id,
            r.title.replace('|', "\\|"),
            r.runs.len()
        );
    }
    let failed: Vec<&ScenarioResult> = s
        .scenarios
        .iter()
        .filter(|r| r.status() == Status::Failed)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\n## Failures\n");
        for r in failed {
            let _ = writeln!(out, "```\n{}```", failure_details(r));
        }
    }
    if let Some(p) = s.perturbed_suite() {
        let failed: Vec<&ScenarioResult> = p
            .scenarios
            .iter()
            .filter(|r| r.status() == Status::Failed)
            .collect();
        let _ = writeln!(
            out,
            "\n## Perturbed customer texts\n\n{}.\n",
            summary_line(&p)
        );
        for r in failed {
            let _ = writeln!(out, "```\n{}```", failure_details(r));
        }
    }
    out
}
