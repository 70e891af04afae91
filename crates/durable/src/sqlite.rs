//! A SQLite database as both products keep one: WAL, `synchronous = FULL` (a committed
//! transaction survives a power cut, not only a killed process), foreign keys on, a busy
//! timeout for the second connection beside the first; and migrations, `.sql` files embedded
//! in the binary, applied in order at open, each in its own transaction with
//! `PRAGMA user_version` as the count applied.

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// One migration: its name (the file's stem, for the log) and its SQL.
pub type Migration = (&'static str, &'static str);

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the database {path} is newer (schema {found}) than this program knows (schema {known}); \
         install the newer version"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} is readable by other users and cannot be made private ({source}); \
         run as the user that owns it, or `chmod 600` it"
    )]
    NotPrivate {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl OpenError {
    /// The SQLite error behind it, if any.
    pub fn sqlite(&self) -> Option<&rusqlite::Error> {
        match self {
            OpenError::Sqlite { source, .. } => Some(source),
            OpenError::TooNew { .. } | OpenError::NotPrivate { .. } => None,
        }
    }
}

/// Opens (creating) the database at `path` with the safety settings, and migrates it.
pub fn open(path: &Path, migrations: &[Migration]) -> Result<Connection, OpenError> {
    let at = |source| OpenError::Sqlite {
        path: path.display().to_string(),
        source,
    };
    let mut conn = Connection::open(path).map_err(at)?;
    // The database holds personal data: its user's only (SQLite gives its -wal and -shm
    // files the database's own mode when it creates them, below).
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777);
        if mode.is_ok_and(|m| m & 0o077 != 0) {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| OpenError::NotPrivate {
                    path: path.display().to_string(),
                    source,
                },
            )?;
        }
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(at)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(at)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(at)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(at)?;
    migrate(&mut conn, migrations).map_err(|e| match e {
        MigrateError::TooNew { found, known } => OpenError::TooNew {
            path: path.display().to_string(),
            found,
            known,
        },
        MigrateError::Sqlite(source) => at(source),
    })?;
    Ok(conn)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("the database is at schema {found}; this program knows {known}")]
    TooNew { found: i64, known: i64 },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Applies the migrations the database has not had yet, each in one transaction. Returns
/// how many were applied.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<usize, MigrateError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations.len() as i64;
    if version > known {
        return Err(MigrateError::TooNew {
            found: version,
            known,
        });
    }
    let mut applied = 0;
    for (i, (name, sql)) in migrations.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!("database migrated to {name}");
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[Migration] = &[
        ("0001_a", "CREATE TABLE a (x INTEGER);"),
        ("0002_b", "ALTER TABLE a ADD COLUMN y TEXT;"),
    ];

    #[test]
    fn migrations_run_once_in_order_and_a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = open(&path, &TWO[..1]).unwrap();
        drop(conn);
        let mut conn = open(&path, TWO).unwrap();
        conn.execute("INSERT INTO a (x, y) VALUES (1, 'one')", [])
            .unwrap();
        assert_eq!(migrate(&mut conn, TWO).unwrap(), 0, "nothing left to apply");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        let err = open(&path, &TWO[..1]).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::TooNew {
                    found: 2,
                    known: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path, &TWO[..1]).unwrap());
        let broken: &[Migration] = &[TWO[0], ("0002_bad", "ALTER TABLE nope ADD COLUMN y;")];
        assert!(open(&path, broken).is_err());
        let conn = open(&path, &TWO[..1]).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
    }
}
