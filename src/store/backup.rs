//! `verity backup FILE`: a consistent copy of a SQLite store, also while servers write
//! to it. `VACUUM INTO` reads the database in one read transaction (the write-ahead log
//! lets writers go on beside it) and writes a compact copy that is a whole database by
//! itself (no `-wal` file to carry along). PostgreSQL has its own tool: `pg_dump`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

use super::{Backend, normalize_url};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub source: PathBuf,
    pub bytes: u64,
}

/// Copies the SQLite store of `database_url` to `dest`, which must not exist unless
/// `force` is set. The copy is written beside `dest` under another name and renamed when
/// it is complete and checked, so `dest` is never half a database.
pub fn backup(database_url: &str, dest: &Path, force: bool) -> anyhow::Result<BackupReport> {
    let (url, backend) = normalize_url(database_url)?;
    if backend == Backend::Postgres {
        bail!(
            "`verity backup` copies SQLite files; for PostgreSQL use its own tool: \
             pg_dump --format=custom --file=verity.dump \"$DATABASE_URL\" \
             (restore with pg_restore --clean --dbname=\"$DATABASE_URL\" verity.dump)"
        );
    }
    let source = sqlite_file(&url)?;
    if !source.is_file() {
        bail!("there is no SQLite store at {}", source.display());
    }
    if dest.exists() && !force {
        bail!(
            "{} exists already; choose another file or pass --force to replace it",
            dest.display()
        );
    }
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "verity-backup.db".into());
    let partial = dir.join(format!(
        ".{name}.partial-{}",
        hex::encode(rand::random::<[u8; 4]>())
    ));
    let result = copy_and_check(&source, &partial).and_then(|bytes| {
        std::fs::rename(&partial, dest)
            .with_context(|| format!("moving the copy to {}", dest.display()))?;
        Ok(bytes)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    Ok(BackupReport {
        source,
        bytes: result?,
    })
}

fn copy_and_check(source: &Path, partial: &Path) -> anyhow::Result<u64> {
    let conn = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", source.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = partial
        .to_str()
        .context("the backup file's name is not valid UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("copying {} (VACUUM INTO)", source.display()))?;
    drop(conn);
    let copy = Connection::open_with_flags(partial, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .context("opening the copy")?;
    let check: String = copy
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .context("checking the copy")?;
    if check != "ok" {
        bail!("the copy failed SQLite's check: {check}");
    }
    drop(copy);
    Ok(std::fs::metadata(partial)?.len())
}

/// The file of a normalized SQLite URL (`sqlite://FILE?mode=rwc`).
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    if file.is_empty() || file == ":memory:" || query.contains("mode=memory") {
        bail!("an in-memory store has nothing to back up; point --database-url at a file");
    }
    Ok(PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_store_is_pointed_at_pg_dump() {
        let e = backup("postgres://u:p@127.0.0.1/v", Path::new("x.db"), false)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("pg_dump"), "{e}");
    }

    #[test]
    fn the_file_of_a_sqlite_url_is_found() {
        assert_eq!(
            sqlite_file("sqlite://data/v.db?mode=rwc").expect("a file"),
            PathBuf::from("data/v.db")
        );
        assert!(sqlite_file("sqlite::memory:").is_err());
    }
}
