//! The reference central collection service: what the kiosks upload to. A small site can
//! run it as it is; the tests run it on loopback. SQLite + photo files in one directory,
//! the protocol types of `crate::protocol`, HTTP by `server`.
//!
//! Every capture is kept exactly once: the first upload of an id is stored (photo file
//! first, atomically, then the row), a repeat with the same bytes gets the same receipt, a
//! repeat with other bytes is refused.

pub mod server;

use crate::protocol::{CaptureUpload, Receipt};
use rusqlite::{Connection, OptionalExtension, params};
use std::io::Write;
use std::path::{Path, PathBuf};
use uuid::Uuid;

const SCHEMA: &[&str] = &["
    CREATE TABLE kiosks (
        name         TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL
    );
    CREATE TABLE captures (
        id              TEXT PRIMARY KEY,
        kiosk           TEXT NOT NULL REFERENCES kiosks (name),
        sha256          TEXT NOT NULL,
        bytes           INTEGER NOT NULL,
        received_at     TEXT NOT NULL,
        admission_no    TEXT NOT NULL,
        name            TEXT NOT NULL,
        education_level TEXT NOT NULL,
        profile         TEXT NOT NULL,
        taken_at        TEXT NOT NULL,
        retakes         INTEGER NOT NULL,
        checks          TEXT NOT NULL,          -- the compliance report, JSON
        photo_file      TEXT NOT NULL           -- relative to the data directory
    );
    CREATE INDEX captures_by_arrival ON captures (received_at);
"];

const PHOTOS: &str = "photos";

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database in {0} was written by a newer version")]
    TooNew(PathBuf),
    #[error("a kiosk named {0:?} already exists")]
    KioskExists(String),
    #[error("a kiosk name is 1–64 letters, digits, '-', '_' or '.', found {0:?}")]
    BadKioskName(String),
}

fn io(what: &'static str, path: &Path, source: std::io::Error) -> CentralError {
    CentralError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// What became of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// New: stored now.
    Created(Receipt),
    /// Already held with these very bytes: the receipt of the first time.
    Repeated(Receipt),
    /// Already held with other bytes: refused.
    Conflict(Receipt),
}

pub struct Central {
    conn: Connection,
    dir: PathBuf,
}

impl Central {
    pub fn open(dir: &Path) -> Result<Central, CentralError> {
        std::fs::create_dir_all(dir.join(PHOTOS))
            .map_err(|e| io("cannot create", &dir.join(PHOTOS), e))?;
        let mut conn = Connection::open(dir.join("central.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA.len() as i64 {
            return Err(CentralError::TooNew(dir.to_owned()));
        }
        for (i, sql) in SCHEMA.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Central {
            conn,
            dir: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Registers a kiosk and returns its new bearer token (only its sha256 is kept).
    pub fn add_kiosk(&mut self, name: &str) -> Result<String, CentralError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid {
            return Err(CentralError::BadKioskName(name.into()));
        }
        // 244 random bits from the OS (two v4 UUIDs), hex.
        let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO kiosks (name, token_sha256, created_at) VALUES (?1, ?2, ?3)",
            params![name, crate::protocol::sha256_hex(token.as_bytes()), now()],
        )?;
        if added == 0 {
            return Err(CentralError::KioskExists(name.into()));
        }
        Ok(token)
    }

    /// The kiosk a bearer token belongs to.
    pub fn kiosk_for_token(&self, token: &str) -> Result<Option<String>, CentralError> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM kiosks WHERE token_sha256 = ?1",
                [crate::protocol::sha256_hex(token.as_bytes())],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn receipt(&self, id: Uuid) -> Result<Option<Receipt>, CentralError> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256, received_at FROM captures WHERE id = ?1",
                [id.to_string()],
                |r| {
                    Ok(Receipt {
                        id,
                        sha256: r.get(0)?,
                        received_at: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores a verified upload (`photo` are its checked bytes) from `kiosk`.
    pub fn put_capture(
        &mut self,
        kiosk: &str,
        upload: &CaptureUpload,
        photo: &[u8],
    ) -> Result<Stored, CentralError> {
        let sha256 = crate::protocol::sha256_hex(photo);
        if let Some(held) = self.receipt(upload.id)? {
            return Ok(if held.sha256 == sha256 {
                Stored::Repeated(held)
            } else {
                Stored::Conflict(held)
            });
        }
        // The file first, whole or not at all; a crash before the row leaves a file that
        // the next upload of this id overwrites.
        let relative = PathBuf::from(PHOTOS).join(format!("{}.jpg", upload.id));
        write_durably(&self.dir.join(&relative), photo)?;
        let receipt = Receipt {
            id: upload.id,
            sha256,
            received_at: now(),
        };
        self.conn.execute(
            "INSERT INTO captures (id, kiosk, sha256, bytes, received_at, admission_no, name,
                 education_level, profile, taken_at, retakes, checks, photo_file)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                upload.id.to_string(),
                kiosk,
                receipt.sha256,
                photo.len() as i64,
                receipt.received_at,
                upload.admission_no,
                upload.name,
                upload.education_level,
                upload.profile,
                upload.taken_at,
                upload.retakes,
                serde_json::to_string(&upload.checks).expect("checks serialise"),
                relative.to_string_lossy(),
            ],
        )?;
        Ok(Stored::Created(receipt))
    }

    /// How many captures the service holds.
    pub fn capture_count(&self) -> Result<u64, CentralError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM captures", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// The photo of a capture, as received.
    pub fn photo(&self, id: Uuid) -> Result<Option<Vec<u8>>, CentralError> {
        let file: Option<String> = self
            .conn
            .query_row(
                "SELECT photo_file FROM captures WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        file.map(|f| {
            let path = self.dir.join(f);
            std::fs::read(&path).map_err(|e| io("cannot read", &path, e))
        })
        .transpose()
    }
}

/// Temp file, fsync, rename, fsync the folder.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CentralError> {
    let folder = path.parent().expect("a photo path has a folder");
    let temp = path.with_extension("jpg.tmp");
    (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(folder)?.sync_all()
    })()
    .map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io("cannot write", path, e)
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CaptureUpload, sha256_hex};

    #[test]
    fn a_capture_is_kept_once_and_a_different_one_under_its_id_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        let token = c.add_kiosk("site-01").unwrap();
        assert_eq!(
            c.kiosk_for_token(&token).unwrap().as_deref(),
            Some("site-01")
        );
        assert_eq!(c.kiosk_for_token("guess").unwrap(), None);
        assert!(matches!(
            c.add_kiosk("site-01"),
            Err(CentralError::KioskExists(_))
        ));
        assert!(matches!(
            c.add_kiosk("bad name"),
            Err(CentralError::BadKioskName(_))
        ));

        let u = CaptureUpload::sample(b"photo one");
        let first = match c.put_capture("site-01", &u, b"photo one").unwrap() {
            Stored::Created(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(first.sha256, sha256_hex(b"photo one"));
        assert_eq!(
            c.put_capture("site-01", &u, b"photo one").unwrap(),
            Stored::Repeated(first.clone())
        );
        assert_eq!(
            c.put_capture("site-01", &u, b"photo two").unwrap(),
            Stored::Conflict(first.clone())
        );
        assert_eq!(c.capture_count().unwrap(), 1);
        assert_eq!(c.photo(u.id).unwrap().unwrap(), b"photo one");
        drop(c);
        // Reopened: still there, same receipt.
        let c = Central::open(dir.path()).unwrap();
        assert_eq!(c.receipt(u.id).unwrap(), Some(first));
    }
}
