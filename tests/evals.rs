//! The eval suite in `cargo test`: every scenario under `evals/` runs with the offline
//! engine on a SQLite file (on PostgreSQL when `VERITY_TEST_POSTGRES_URL` names a
//! server) and must pass, none skipped, with no grounding violation and no leak; again
//! through the LLM engine, the fake model replaying the offline engine's tool calls;
//! and the runner reports a scenario that fails, with its transcript, grading what the
//! customer received rather than what the server says of it.

use std::path::PathBuf;

use verity::config::LlmConfig;
use verity::eval::{Database, Engine, Options, Status, report, run_paths};
use verity::http::fake_llm::{FakeLlm, FakeStep};

fn evals_dir() -> PathBuf {
    // At run time: a test binary reused from a shared target directory may have been
    // built from a clone somewhere else.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), PathBuf::from)
        .join("evals")
}

/// The store of the suite's main run: a SQLite file (the production write path), or
/// PostgreSQL in CI's PostgreSQL pass.
fn database() -> Database {
    match std::env::var("VERITY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Database::Postgres(url),
        _ => Database::SqliteFile,
    }
}

fn scenario_files() -> usize {
    verity::eval::scenario::find_files(&[evals_dir()])
        .expect("the scenario files")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_with_the_offline_engine_on_a_database_file() {
    let opts = Options {
        database: database(),
        ..Options::default()
    };
    let result = run_paths(&[evals_dir()], &opts)
        .await
        .expect("the suite runs");
    let console = report::console(&result);
    assert_eq!(result.count(Status::Failed), 0, "\n{console}");
    // Every file ran, none was skipped.
    assert_eq!(result.count(Status::Skipped), 0, "\n{console}");
    assert_eq!(
        result.count(Status::Passed),
        scenario_files(),
        "\n{console}"
    );
    let json = report::json_report(&result);
    assert_eq!(json["summary"]["grounding_violations"], 0, "{console}");
    assert_eq!(json["summary"]["leaks"], 0, "{console}");
    assert_eq!(json["summary"]["server_errors"], 0, "{console}");
    assert_eq!(json["summary"]["pass_hat_k"], 1.0);
    // Both languages and every area are covered.
    for tag in [
        "de",
        "en",
        "contradiction",
        "verification",
        "injection",
        "plain",
    ] {
        assert!(
            json["tags"][tag]["scenarios"].as_u64().unwrap_or(0) >= 2,
            "tag {tag}: {}",
            json["tags"]
        );
    }
}

const FAILING: &str = r#"
id: deliberately-failing
title: Expects a time the data do not have
tags: [selftest]
now: "2025-09-11T09:30:00+02:00"
data: empty
given:
  - {type: customer, id: C-1, name: Ida Probe, email: ida@example.org, locale: de}
  - {type: order, number: A-1001, customer_id: C-1, placed_at: "2025-09-08T10:00:00+02:00",
     currency: EUR, total: "10.00",
     shipping_address: {name: Ida Probe, street: Probeweg 2, postcode: "33100", city: Paderborn, country: DE},
     lines: [{sku: CAP, name: Mütze, qty: 1, unit_price: "10.00"}]}
  - {type: shipment, tracking_number: "00340434160000000077", carrier: dhl, order_number: A-1001, kind: original, skus: [CAP]}
  - {type: tracking_scan, id: s1, tracking_number: "00340434160000000077", occurred_at: "2025-09-10T08:00:00+02:00", status: in_transit, location: Paderborn}
turns:
  - say: "Wo ist meine Bestellung A-1001? PLZ 33100"
    expect:
      verified: true
      reply_matches: ["23:59"]
      tools: [confirm_remedy]
final:
  cases: [{kind: replacement}]
"#;

#[tokio::test]
async fn a_failing_scenario_is_reported_failed_with_its_transcript() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("failing.yaml"), FAILING).unwrap();
    std::fs::write(
        dir.path().join("whatsapp.yaml"),
        // An unknown number is not verified by itself: this expectation must fail,
        // through signed webhook deliveries and the fake Graph API.
        "id: on-whatsapp\nchannel: whatsapp\nnow: \"2025-09-11T09:30:00+02:00\"\nsender: {phone: \"+4917000000001\"}\nturns:\n  - say: Hallo, wo ist mein Paket?\n    expect: {verified: true}\n",
    )
    .unwrap();
    let result = run_paths(&[dir.path().to_path_buf()], &Options::default())
        .await
        .unwrap();
    assert_eq!(result.count(Status::Failed), 2);
    assert_eq!(result.count(Status::Passed), 0);
    assert_eq!(result.count(Status::Skipped), 0);
    let console = report::console(&result);
    assert!(console.contains("FAIL deliberately-failing"), "{console}");
    assert!(console.contains("FAIL on-whatsapp"), "{console}");
    assert!(
        console.contains("turn 1: verified: expected true, got false"),
        "{console}"
    );
    // What failed, and the transcript with tool calls and the verdict.
    for want in [
        "turn 1: reply_matches: /23:59/ does not match the reply",
        "turn 1: tools: confirm_remedy was not called",
        "final.cases: no case matches",
        "customer say: Wo ist meine Bestellung A-1001? PLZ 33100",
        "tool verify_customer(",
        "tool track_shipment(",
        "bot: ",
        "grounding: passed",
    ] {
        assert!(console.contains(want), "missing {want:?} in:\n{console}");
    }
    assert_eq!(console.lines().last(), Some("0 passed, 2 failed"));
    let json = report::json_report(&result);
    assert_eq!(json["summary"]["failed"], 2);
    assert_eq!(json["tags"]["selftest"]["pass_rate"], 0.0);
}

/// Scenarios the LLM engine cannot pass as the offline engine does, and why. Each one
/// listed must fail (a fixed one is taken off), and no other may.
const LLM_ENGINE_GAPS: &[(&str, &str)] = &[
    (
        "two-misunderstandings-de",
        "only the offline engine counts messages it did not understand; the model answers \
         each message, so two misunderstandings in a row never offer a person",
    ),
    (
        "two-misunderstandings-en",
        "only the offline engine counts messages it did not understand; the model answers \
         each message, so two misunderstandings in a row never offer a person",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_replayed_through_the_llm_engine() {
    // On a SQLite file, as in production: the in-memory store has one connection, which
    // the channel workers and the turn share, and under a loaded machine a turn waited
    // longer than the pool's timeout for it.
    let opts = Options {
        engine: Engine::Replay,
        database: Database::SqliteFile,
        ..Options::default()
    };
    let result = run_paths(&[evals_dir()], &opts).await.unwrap();
    let console = report::console(&result);
    assert_eq!(result.count(Status::Skipped), 0, "\n{console}");
    let mut failed: Vec<&str> = result
        .scenarios
        .iter()
        .filter(|r| r.status() != Status::Passed)
        .map(|r| r.id.as_str())
        .collect();
    failed.sort_unstable();
    let mut gaps: Vec<&str> = LLM_ENGINE_GAPS.iter().map(|(id, _)| *id).collect();
    gaps.sort_unstable();
    assert_eq!(failed, gaps, "\n{console}");
    assert_eq!(result.scenarios.len(), scenario_files());
    // The model answered every customer text: its calls and tokens are counted.
    let json = report::json_report(&result);
    assert!(
        json["summary"]["model_calls"].as_f64().unwrap() > 60.0,
        "{}",
        json["summary"]
    );
    assert_eq!(json["summary"]["leaks"], 0);
    assert_eq!(json["summary"]["server_errors"], 0);
}

/// A WhatsApp customer whose parcel the scan says is delivered while the driver says
/// nobody was home; the model's reply mentions the scan only.
const DROPPED_FACT: &str = r#"
id: dropped-fact
tags: [selftest]
channel: whatsapp
now: "2025-09-11T09:30:00+02:00"
data: empty
given:
  - {type: customer, id: C-9301, name: Ida Probe, email: ida@example.org, phone: "+4917000009301", locale: de}
  - {type: order, number: A-9301, customer_id: C-9301, placed_at: "2025-09-08T10:00:00+02:00",
     currency: EUR, total: "59.80",
     shipping_address: {name: Ida Probe, street: Testweg 3, postcode: "33100", city: Paderborn, country: DE},
     lines: [{sku: JACKET-L, name: Jacke L, qty: 1, unit_price: "59.80"}]}
  - {type: shipment, tracking_number: "00340434160000009301", carrier: dhl, order_number: A-9301, kind: original, skus: [JACKET-L]}
  - {type: tracking_scan, id: s1, tracking_number: "00340434160000009301", occurred_at: "2025-09-11T06:48:00+02:00", status: delivered, location: Ffeld, postcode: "33154"}
  - {type: driver_report, id: d1, tracking_number: "00340434160000009301", occurred_at: "2025-09-11T06:50:00+02:00", outcome: recipient_absent, next_attempt_on: "2025-09-12"}
sender: {phone: "+4917000009301"}
turns:
  - say: "Hallo, wo ist mein Paket?"
    expect: {verified: true, contradictions: [delivered_but_driver_reports_failure]}
  - say: "Und was sagt der Fahrer?"
    expect: {contradictions: [delivered_but_driver_reports_failure]}
  - say: "Wann genau?"
    expect: {}
"#;

#[tokio::test]
async fn a_reply_that_drops_a_fact_fails_whatever_the_server_believes_it_presented() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push([
        FakeStep::tool(
            "track_shipment",
            serde_json::json!({"order_number": "A-9301"}),
        ),
        // The scan only: grounded, but the driver's report is left out.
        FakeStep::text(
            "Laut Scan von DHL wurde die Sendung am 11.09.2025 um 06:48 Uhr in Ffeld als \
             „zugestellt“ gemeldet.",
        ),
        // Both facts: this reply presents the contradiction.
        FakeStep::text(
            "Laut Fahrer wurde am 11.09.2025 um 06:50 Uhr niemand angetroffen; um 06:48 Uhr \
             meldete der Scan von DHL „zugestellt“.",
        ),
        // Invented, twice: the server must not send it (its template answer goes out).
        FakeStep::text("Ihr Paket wurde am 19.09.2025 um 07:15 Uhr zugestellt."),
        FakeStep::text("Ihr Paket wurde am 19.09.2025 um 07:15 Uhr zugestellt."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dropped.yaml"), DROPPED_FACT).unwrap();
    let opts = Options {
        engine: Engine::Openai,
        llm: Some(LlmConfig::new(fake.base_url.clone(), "fake-model")),
        ..Options::default()
    };
    let result = run_paths(&[dir.path().to_path_buf()], &opts).await.unwrap();
    let console = report::console(&result);
    let run = &result.scenarios[0].runs[0];
    let failures = run.failures();
    // Turn 1: the server's stats claim the contradiction; the text does not present it.
    let first = &run.turns[1].observed.reply.as_ref().unwrap();
    assert!(
        first["server_contradictions"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("delivered_but_driver_reports_failure")),
        "{console}"
    );
    assert!(
        failures.iter().any(|f| f.starts_with(
            "turn 1: contradictions: delivered_but_driver_reports_failure is not presented"
        )),
        "{console}"
    );
    // Turn 2 states both facts: presented, though the server's stats name nothing.
    assert!(
        !failures.iter().any(|f| f.starts_with("turn 2:")),
        "{console}"
    );
    // Turn 3: the invented date never reached the customer; the server's own verdict
    // (replaced) is reported, the delivered text passes the runner's check.
    let third: Vec<&String> = failures
        .iter()
        .filter(|f| f.starts_with("turn 3:"))
        .collect();
    assert_eq!(third.len(), 1, "{console}");
    assert!(
        third[0].contains("the server's own check failed"),
        "{console}"
    );
    assert!(
        !run.turns[3].observed.text().contains("19.09.2025"),
        "{console}"
    );
    assert!(
        run.turns[3].observed.delivered.iter().all(|v| v.passed),
        "{console}"
    );
}

#[tokio::test]
async fn perturbed_texts_run_as_a_second_suite_and_both_rates_are_reported() {
    let opts = Options {
        perturb: true,
        filter: Some("three-truths-demo-de".into()),
        ..Options::default()
    };
    let result = run_paths(&[evals_dir()], &opts).await.unwrap();
    let console = report::console(&result);
    let perturbed = result.perturbed.as_ref().expect("the perturbed runs");
    assert_eq!(perturbed.len(), 1);
    assert_eq!(perturbed[0].id, "three-truths-demo-de~perturbed");
    // The customer's texts as sent: sloppier, with every entity kept.
    let sent = &perturbed[0].runs[0].turns[1].sent;
    assert!(
        sent.starts_with("say: ") && sent.contains("A-100234") && sent.contains("33100"),
        "{sent}"
    );
    assert!(!sent.contains('?'), "{sent}");
    let json = report::json_report(&result);
    assert_eq!(json["summary"]["passed"], 1, "{console}");
    assert!(
        json["summary"]["perturbed"]["pass_rate"].is_number(),
        "{json}"
    );
    assert!(json["perturbed_scenarios"][0]["id"] == "three-truths-demo-de~perturbed");
    assert!(
        console
            .lines()
            .last()
            .unwrap()
            .contains("; perturbed texts: "),
        "{console}"
    );
    assert!(report::markdown(&result).contains("perturbed texts"));
}

#[tokio::test]
async fn repeats_count_towards_pass_hat_k_and_the_filter_selects() {
    let opts = Options {
        repeat: 2,
        filter: Some("cancelled-replacement-en".into()),
        ..Options::default()
    };
    let result = run_paths(&[evals_dir()], &opts).await.unwrap();
    assert_eq!(result.scenarios.len(), 1);
    assert_eq!(result.scenarios[0].runs.len(), 2);
    let json = report::json_report(&result);
    assert_eq!(json["summary"]["runs"], 2);
    assert_eq!(
        json["summary"]["pass_hat_k"],
        1.0,
        "{}",
        report::console(&result)
    );
    assert!(report::markdown(&result).contains("| pass^k | 1.0 |"));
}

#[tokio::test]
async fn the_openai_engine_needs_an_endpoint_and_runs_the_scenarios_through_the_model() {
    // Without an endpoint: a clear error, nothing run.
    let opts = Options {
        engine: verity::eval::Engine::Openai,
        ..Options::default()
    };
    let err = run_paths(&[evals_dir()], &opts).await.unwrap_err();
    assert!(err.to_string().contains("VERITY_LLM_BASE_URL"), "{err}");

    // With the fake OpenAI-compatible server: the scenario's turn is answered by the
    // model (whose text it checks) and the report counts the model calls and tokens.
    let fake = FakeLlm::start().await.unwrap();
    fake.push([FakeStep::text(
        "Guten Tag! Damit ich nachsehen kann, nennen Sie mir bitte Ihre Bestellnummer und \
         Ihre Postleitzahl.",
    )]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("llm.yaml"),
        "id: llm-greeting\ntags: [selftest]\nnow: \"2025-09-11T09:30:00+02:00\"\ndata: empty\nturns:\n  - say: Hallo, wo ist mein Paket?\n    expect: {verified: false, reply_matches: [\"Bestellnummer\"]}\n",
    )
    .unwrap();
    let opts = Options {
        engine: verity::eval::Engine::Openai,
        llm: Some(LlmConfig::new(fake.base_url.clone(), "fake-model")),
        ..Options::default()
    };
    let result = run_paths(&[dir.path().to_path_buf()], &opts).await.unwrap();
    let console = report::console(&result);
    assert_eq!(result.count(Status::Passed), 1, "{console}");
    assert_eq!(fake.remaining(), 0, "the model answered the turn");
    let json = report::json_report(&result);
    let scenario = &json["scenarios"][0];
    assert!(scenario["model_calls"].as_f64().unwrap() >= 1.0, "{json}");
    assert!(scenario["tokens"].as_f64().unwrap() > 0.0, "{json}");
}

/// The demo stories as a customer opens them (the story's own sentence, with order
/// number and postcode), in German and English.
fn story_scenarios() -> Vec<String> {
    let mut out = Vec::new();
    for s in verity::demo::STORIES {
        for (lang, text) in [("de", s.try_de), ("en", s.try_en)] {
            let Some(text) = text else { continue };
            let codes = s.contradictions.join(", ");
            out.push(format!(
                "id: story-{key}-{lang}\ntitle: first reply of {key} ({lang})\ntags: [story, {lang}]\n\
                 now: \"2025-09-11T09:30:00+02:00\"\ndata: demo\nlanguage: {lang}\nturns:\n\
                 \x20 - say: {text:?}\n    expect: {{verified: true, language: {lang}, max_reply_chars: 500, contradictions: [{codes}]}}\n",
                key = s.key,
            ));
        }
    }
    out
}

/// Every time, date, postcode and tracking number a reply states, in order.
fn stated_facts(reply: &str) -> Vec<String> {
    let re = regex::Regex::new(
        r"\b\d{2}:\d{2}\b|\b\d{2}\.\d{2}\.\d{4}\b|\b\d{1,2} [A-Z][a-z]{2} \d{4}\b|\b\d{5}\b|\b\d{11,20}\b",
    )
    .expect("a valid pattern");
    re.find_iter(reply)
        .map(|m| m.as_str().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_reply_of_every_demo_story_is_short_and_states_each_fact_once() {
    let dir = tempfile::tempdir().unwrap();
    for (i, doc) in story_scenarios().iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.yaml")), doc).unwrap();
    }
    let result = run_paths(&[dir.path().to_path_buf()], &Options::default())
        .await
        .unwrap();
    let console = report::console(&result);
    assert_eq!(result.count(Status::Failed), 0, "\n{console}");
    assert_eq!(
        result.count(Status::Passed),
        2 * verity::demo::STORIES.len(),
        "{console}"
    );
    for r in &result.scenarios {
        let reply = r.runs[0].turns[1].observed.text();
        assert!(reply.chars().count() <= 500, "{}: {reply}", r.id);
        let facts = stated_facts(&reply);
        for f in &facts {
            assert_eq!(
                facts.iter().filter(|x| *x == f).count(),
                1,
                "{}: {f} is stated twice in\n{reply}",
                r.id
            );
        }
        let lines: Vec<&str> = reply.lines().collect();
        for l in &lines {
            assert_eq!(
                lines.iter().filter(|x| *x == l).count(),
                1,
                "{}: {reply}",
                r.id
            );
        }
    }
    // The report counts the lengths per channel.
    let lengths = &report::json_report(&result)["reply_lengths"]["web"];
    assert_eq!(lengths["replies"], 2 * verity::demo::STORIES.len());
    assert!(lengths["max"].as_u64().unwrap() <= 500, "{lengths}");
    assert!(lengths["median"].as_u64().unwrap() <= lengths["p90"].as_u64().unwrap());
    assert!(report::markdown(&result).contains("## Reply length (characters)"));
    assert!(
        console.contains("reply length (chars): web median "),
        "{console}"
    );
}
