//! Browser tests: npm's playwright-core driving Debian's chromium against the app on a
//! loopback port. The scripts live in `tests/browser/*.mjs`; `bash .ci/browser-setup.sh`
//! (run by `bash .ci/test`) installs what they need. Screenshots go to `artifacts/browser/`.
//! Set `VERITY_SKIP_BROWSER_TESTS=1` to skip them on a machine without a browser.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::helpers::demo_app;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `tests/browser/<script>` against `base_url`; panics with its output on failure.
/// Returns false (and says so) when the browser tests are skipped on purpose.
pub async fn run_browser_script(script: &str, base_url: &str) -> bool {
    if std::env::var("VERITY_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("browser test {script} skipped: VERITY_SKIP_BROWSER_TESTS=1");
        return false;
    }
    let chromium = std::env::var("VERITY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let modules = repo().join("tests/browser/node_modules/playwright-core");
    assert!(
        Path::new(&chromium).exists() && modules.exists(),
        "the browser tests need chromium ({chromium}) and playwright-core ({}): run `bash .ci/browser-setup.sh`, \
         or set VERITY_SKIP_BROWSER_TESTS=1 to skip them",
        modules.display()
    );
    let child = tokio::process::Command::new("node")
        .arg(repo().join("tests/browser").join(script))
        .current_dir(repo())
        .env("VERITY_URL", base_url)
        .env("VERITY_ARTIFACTS", repo().join("artifacts/browser"))
        .env("VERITY_CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), child)
        .await
        .unwrap_or_else(|_| panic!("browser test {script} took longer than 180 s"))
        .expect("node runs (is Node.js installed?)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser test {script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    true
}

#[tokio::test]
async fn the_browser_harness_reaches_the_server() {
    let app = demo_app().await;
    run_browser_script("smoke.mjs", &app.base).await;
}

#[tokio::test]
async fn staff_find_the_three_truths_conversation_mark_the_callback_done_and_reply() {
    use crate::console::{Customer, add_staff, three_truths_with_callback};
    let app = demo_app().await;
    add_staff(&app).await;
    let customer: Customer = three_truths_with_callback(&app).await;
    if !run_browser_script("console.mjs", &app.base).await {
        return;
    }
    // What the browser did reached the store and the web customer.
    let mut conn = app.store.read().await.unwrap();
    let cases = verity::store::console::list_cases_for_conversation(&mut conn, &customer.id)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].status, "done");
    drop(conn);
    let t = customer.transcript(&app).await;
    let last = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "staff");
    assert!(
        last["text"]
            .as_str()
            .unwrap()
            .contains("Ich rufe Sie gleich zurück.")
    );
    assert_eq!(t["taken_over"], true);
}
