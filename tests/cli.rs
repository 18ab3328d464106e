//! The `verity` command line, run as a user would: demo, ingest, migrate.

use std::process::Command;

fn verity(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_verity"));
    c.args(["--database-url", db]).env("RUST_LOG", "warn");
    c
}

#[test]
fn the_demo_data_is_the_same_every_run_and_ingests_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let a = verity(&db).arg("demo").output().unwrap();
    let b = verity(&db).arg("demo").output().unwrap();
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout, "deterministic");
    let other = verity(&db)
        .args(["demo", "--anchor", "2026-03-02"])
        .output()
        .unwrap();
    assert_ne!(a.stdout, other.stdout, "another anchor moves the times");
    let file = dir.path().join("demo.ndjson");
    std::fs::write(&file, &a.stdout).unwrap();
    let out = verity(&db).arg("ingest").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("0 duplicates, 0 conflicts, 0 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("250 customers"), "{stdout}");
    // Again: every event is a duplicate, nothing changes.
    let again = verity(&db).arg("ingest").arg(&file).output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains(" 0 conflicts, 0 rejected"));
}

#[test]
fn ingest_reports_bad_lines_with_their_number_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let file = dir.path().join("in.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"type":"customer","id":"C-1","name":"Erika Probe","locale":"de"}"#, "\n",
            "\n",
            r#"{"type":"tracking_scan","id":"s1","tracking_number":"00340434160000000001","occurred_at":"11.09.2025","status":"delivered"}"#, "\n",
            "not json\n",
        ),
    )
    .unwrap();
    let out = verity(&db).arg("ingest").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "line 3: Rejected  occurred_at: expected RFC 3339 with offset, got '11.09.2025'"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: Rejected  invalid JSON"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 accepted, 0 duplicates, 0 conflicts, 2 rejected"),
        "{stdout}"
    );
}

#[test]
fn ingest_reads_stdin_and_migrate_reports_success() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let out = verity(&db).arg("migrate").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrated"));
    let mut child = verity(&db)
        .args(["ingest", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"type":"customer","id":"C-1","name":"Erika Probe","locale":"de"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 customers"));
}

#[test]
fn a_missing_file_and_a_bad_database_url_are_clear_errors() {
    let out = verity("mysql://nowhere").arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL scheme"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let out = verity(&db)
        .args(["ingest", "/nonexistent/file.ndjson"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening /nonexistent/file.ndjson"));
}

#[test]
fn staff_add_creates_an_account_from_stdin_and_refuses_a_second_or_a_short_password() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let add = |email: &str, password: &str, extra: &[&str]| {
        let mut child = verity(&db)
            .args(["staff", "add", email, "--password-stdin"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = add(
        "Ida.Kellner@verity.example",
        "lange-genug-2025",
        &["--role", "admin"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("created admin account ida.kellner@verity.example"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("lange-genug-2025"),
        "the password is not echoed"
    );

    let again = add("ida.kellner@verity.example", "noch-ein-passwort", &[]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("exists already"), "{err}");
    let short = add("jo@verity.example", "kurz", &[]);
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(err.contains("at least 10 characters"), "{err}");
    let role = add("jo@verity.example", "lange-genug-2025", &["--role", "boss"]);
    assert!(!role.status.success());
    let err = String::from_utf8_lossy(&role.stderr);
    assert!(err.contains("agent or admin"), "{err}");
    // A display name for transcripts and the audit log; control characters refused.
    let named = add(
        "jo@verity.example",
        "lange-genug-2025",
        &["--name", "Jo Brandt"],
    );
    assert!(
        named.status.success(),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
    let bad = add(
        "kim@verity.example",
        "lange-genug-2025",
        &["--name", "Kim\u{7}"],
    );
    assert!(!bad.status.success());

    // Only the argon2id hash is stored (in the database file or its write-ahead log).
    let mut db_bytes = std::fs::read(dir.path().join("v.db")).unwrap();
    db_bytes.extend(std::fs::read(dir.path().join("v.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&db_bytes);
    assert!(text.contains("$argon2id$"));
    assert!(!text.contains("lange-genug-2025"));
}

#[test]
fn serve_refuses_a_widget_origin_that_is_not_an_origin() {
    let stderr = serve_refuses(
        "VERITY_WIDGET_ORIGINS",
        "https://shop.example,shop.example/chat",
    );
    assert!(stderr.contains("not an origin"), "{stderr}");
}

#[test]
fn serve_refuses_a_trusted_proxy_that_is_not_a_cidr() {
    let stderr = serve_refuses("VERITY_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal");
    assert!(
        stderr.contains("'proxy.internal' is not a CIDR or an IP address"),
        "{stderr}"
    );
}

/// Starts `verity serve` with one bad setting; it must exit at once. Its stderr.
#[expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
fn serve_refuses(env: &str, value: &str) -> String {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let mut child = verity(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(env, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It refuses at once; should it start serving instead, stop it rather than hang.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve started despite an invalid {env}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

/// A customer record with the `n`th id, as one NDJSON item.
fn customer(n: usize) -> verity::ingest::Input {
    let line =
        format!(r#"{{"type":"customer","id":"C-{n}","name":"Erika Probe {n}","locale":"de"}}"#);
    verity::ingest::parse_ndjson(&line).remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writes_happen_opens_and_has_the_data() {
    use verity::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db").to_string_lossy().to_string();
    let store = Store::connect(&db).await.unwrap();
    verity::ingest::apply(&store, (0..500).map(customer).collect(), 0)
        .await
        .unwrap();
    // A writer that goes on while the backups are taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 500;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let batch = (n..n + 50).map(customer).collect();
                verity::ingest::apply(&store, batch, 0).await.unwrap();
                n += 50;
            }
            n
        })
    };
    let mut copies = Vec::new();
    for i in 0..3 {
        let copy = dir.path().join(format!("copy-{i}.db"));
        let (db, target) = (db.clone(), copy.clone());
        let out = tokio::task::spawn_blocking(move || {
            verity(&db).arg("backup").arg(&target).output().unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
        copies.push(copy);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    let mut counts = Vec::new();
    for copy in &copies {
        assert!(
            !copy.with_extension("db-wal").exists(),
            "the copy is one file"
        );
        let copy = Store::connect(&copy.to_string_lossy()).await.unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(copy.pool())
            .await
            .unwrap();
        assert_eq!(check, "ok");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(copy.pool())
            .await
            .unwrap();
        // Whole batches only: each batch is one transaction.
        assert!(
            n >= 500 && n as usize <= written && n % 50 == 0,
            "{n} of {written}"
        );
        counts.push(n);
    }
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");

    // An existing file is not replaced without --force.
    let out = verity(&db).arg("backup").arg(&copies[0]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = verity(&db)
        .args(["backup", "--force"])
        .arg(&copies[0])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // PostgreSQL is pointed at pg_dump.
    let out = verity("postgres://verity@127.0.0.1:1/verity")
        .arg("backup")
        .arg(dir.path().join("pg.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
