//! The kiosk's memory: one SQLite database (WAL, foreign keys, full sync) and the photo
//! files beside it in the data directory. Accepting a capture writes the photo atomically
//! (temp file, fsync, rename, fsync the folder) and then inserts the capture, its outbox
//! entry and an audit entry in one transaction — so after a crash or power loss a capture
//! is either wholly there or wholly absent. Opening the store tidies what a crash left.
//!
//! Layout: `kiosk.db`, `photos/YYYY-MM-DD/<uuid>.jpg`, `photos/.incoming/` (being
//! written), `orphans/` (photos whose transaction never committed, kept for inspection),
//! `kiosk.lock`. The running kiosk holds the lock ([`Store::open_exclusive`]); tools
//! ([`Store::open`]) tidy up only when no kiosk holds it, so they never take a photo that
//! the kiosk is saving right now for an orphan.

use capture_core::candidate::CandidateStatus;
use capture_core::identity::{AdmissionNumber, MobileNumber};
use capture_core::roster::RosterEntry;
use capture_protocol::sha256_hex;
use chrono::{DateTime, Local, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use uuid::Uuid;

mod audit;
mod outbox;

pub use audit::ChainReport;
pub use outbox::{OutboxCounts, OutboxItem, Purged};

/// The schema: `migrations/*.sql`, applied in order when the store opens.
const MIGRATIONS: &[capture_durable::sqlite::Migration] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    ("0002_checks", include_str!("migrations/0002_checks.sql")),
    (
        "0003_sync_state",
        include_str!("migrations/0003_sync_state.sql"),
    ),
    (
        "0004_retention",
        include_str!("migrations/0004_retention.sql"),
    ),
    (
        "0005_utc_times",
        include_str!("migrations/0005_utc_times.sql"),
    ),
    (
        "0006_staff_override",
        include_str!("migrations/0006_staff_override.sql"),
    ),
    (
        "0007_backdrop",
        include_str!("migrations/0007_backdrop.sql"),
    ),
    (
        "0008_staff_pin",
        include_str!("migrations/0008_staff_pin.sql"),
    ),
    (
        "0009_audit_chain",
        include_str!("migrations/0009_audit_chain.sql"),
    ),
];

pub const DB_FILE: &str = "kiosk.db";
const PHOTOS: &str = "photos";
const INCOMING: &str = "photos/.incoming";
const ORPHANS: &str = "orphans";
const LOCK_FILE: &str = "kiosk.lock";

const ROSTER_VERSION: &str = "roster_version";
const DECISIONS_CURSOR: &str = "decisions_cursor";
const ROSTER_REFUSED: &str = "roster_refused";
/// A roster version held back because it is far smaller than the one in use, and its rows.
const ROSTER_HELD_BACK: &str = "roster_held_back";
const ROSTER_HELD_BACK_ROWS: &str = "roster_held_back_rows";
/// The held-back version staff confirmed (applied at the next pull however small).
const ROSTER_CONFIRMED: &str = "roster_confirmed";

fn set_sync_state(conn: &Connection, key: &str, value: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )
    .map(drop)
}

/// Below this free space the staff screen and `doctor` warn: a busy day of captures is a
/// few hundred MB, so this leaves days of room.
pub const LOW_DISK_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the disk holding {path} is full; free space (or move the data directory) and try again"
    )]
    DiskFull { path: PathBuf },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "data directory {path} is not writable ({source}); choose another with --data-dir, or give \
         the kiosk's user write access to it"
    )]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database cannot be opened or brought up to date (corrupt, or newer than this
    /// capture-kiosk): the kiosk cannot capture until it is fixed.
    #[error(transparent)]
    Open(#[from] capture_durable::sqlite::OpenError),
    #[error("capture {id} is already stored with a different photo")]
    Conflict { id: Uuid },
    #[error("capture {id}: the photo file {path} is missing or not the photo that was accepted")]
    PhotoDamaged { id: Uuid, path: PathBuf },
    #[error(
        "capture {id}: the receipt ({got}) is not for the photo sent ({sent}); not marked uploaded"
    )]
    ReceiptMismatch { id: Uuid, sent: String, got: String },
    #[error("no capture {0} in the outbox")]
    NotInOutbox(Uuid),
    #[error(
        "roster version {version} is not held back{}; nothing changed",
        held_back.map_or(" (none is)".into(), |v| format!(" (version {v} is)"))
    )]
    NotHeldBack {
        version: i64,
        held_back: Option<i64>,
    },
    #[error(
        "another capture-kiosk is already running with the data directory {path}; stop it first, or use \
         another --data-dir"
    )]
    InUse { path: PathBuf },
}

impl StoreError {
    fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        if capture_durable::is_disk_full(&source) {
            StoreError::DiskFull {
                path: path.to_owned(),
            }
        } else {
            StoreError::Io {
                what,
                path: path.to_owned(),
                source,
            }
        }
    }

    pub fn is_disk_full(&self) -> bool {
        let sqlite = match self {
            StoreError::DiskFull { .. } => return true,
            StoreError::Sqlite(e) => Some(e),
            StoreError::Open(e) => e.sqlite(),
            _ => None,
        };
        matches!(sqlite, Some(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull)
    }
}

/// A photo the candidate accepted, ready to be stored.
pub struct NewCapture<'a> {
    pub id: Uuid,
    pub entry: &'a RosterEntry,
    pub mobile: &'a MobileNumber,
    pub profile: &'a str,
    pub taken_at: DateTime<Utc>,
    pub retakes: u32,
    pub jpeg: &'a [u8],
    /// The photo's own check, as shown on the review screen.
    pub checks: &'a [capture_protocol::CheckRecord],
    /// Staff accepted the photo although a required check fails.
    pub staff_override: Option<&'a capture_protocol::StaffOverride>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCapture {
    pub id: Uuid,
    pub photo_file: PathBuf,
    pub sha256: String,
    pub bytes: u64,
}

/// What the staff dashboard shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub captures_today: u64,
    pub captures_total: u64,
    pub pending_uploads: u64,
    pub failed_uploads: u64,
    pub roster_entries: u64,
}

/// What [`Store::check_integrity`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Integrity {
    /// What is wrong with the database itself (empty: nothing).
    pub database: Vec<String>,
    /// Captures whose photo file is gone or has the wrong size.
    pub missing_photos: usize,
}

impl Integrity {
    pub fn is_sound(&self) -> bool {
        self.database.is_empty() && self.missing_photos == 0
    }
}

/// What opening the store found and tidied after a crash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Half-written temp files removed.
    pub partial_files_removed: usize,
    /// Complete photos without a committed capture, moved to `orphans/`.
    pub orphans_moved: usize,
}

pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
    recovery: Recovery,
    /// Held for the store's life by the kiosk; `None` for tools.
    _lock: Option<std::fs::File>,
}

/// Every time the store keeps: UTC, RFC 3339 with milliseconds (`…T07:29:07.123Z`), so
/// that text comparisons are time comparisons. Shown to people in local time
/// ([`local_time`]).
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn now_text() -> String {
    time_text(Utc::now())
}

/// A stored time in the kiosk's local time, for people (`2026-12-02 15:29`); the text as it
/// is when it is not a time.
pub fn local_time(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| stored.to_owned())
}

/// The data directory's lock, if no one else holds it.
fn try_lock(data_dir: &Path) -> Result<Option<std::fs::File>, StoreError> {
    use std::os::fd::AsRawFd;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::NotWritable {
            path: path.clone(),
            source,
        })?;
    // SAFETY: flock on a file descriptor we own.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    Ok(locked.then_some(file))
}

impl Store {
    /// For the running kiosk: opens the store and holds the data directory for as long as
    /// the store lives (a second kiosk on it is refused), after tidying what a crash left.
    pub fn open_exclusive(data_dir: &Path) -> Result<Store, StoreError> {
        Self::prepare(data_dir)?;
        let lock = try_lock(data_dir)?.ok_or_else(|| StoreError::InUse {
            path: data_dir.to_owned(),
        })?;
        let mut store = Self::connect(data_dir, Some(lock))?;
        store.recovery = store.recover()?;
        Ok(store)
    }

    /// For tools (`roster import`, `doctor`, …): opens the store beside a running kiosk.
    /// Tidies up after a crash only when no kiosk holds the data directory.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Self::prepare(data_dir)?;
        let lock = try_lock(data_dir)?;
        let mut store = Self::connect(data_dir, None)?;
        if lock.is_some() {
            store.recovery = store.recover()?;
        }
        Ok(store)
    }

    fn prepare(data_dir: &Path) -> Result<(), StoreError> {
        for dir in [
            data_dir.to_owned(),
            data_dir.join(PHOTOS),
            data_dir.join(INCOMING),
            data_dir.join(ORPHANS),
        ] {
            capture_durable::private_dir(&dir).map_err(|source| StoreError::NotWritable {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    fn connect(data_dir: &Path, lock: Option<std::fs::File>) -> Result<Store, StoreError> {
        // synchronous = FULL: a committed capture survives power loss, not only a kill.
        let conn = capture_durable::sqlite::open(&data_dir.join(DB_FILE), MIGRATIONS)?;
        let chained = audit::chain_unhashed(&conn)?;
        if chained > 0 {
            tracing::info!("audit log: {chained} earlier entries chained");
        }
        Ok(Store {
            conn,
            data_dir: data_dir.to_owned(),
            recovery: Recovery::default(),
            _lock: lock,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Removes half-written temp files and moves photos that have no committed capture
    /// into `orphans/` (a crash between the photo write and the commit).
    fn recover(&mut self) -> Result<Recovery, StoreError> {
        let mut recovery = Recovery::default();
        let incoming = self.data_dir.join(INCOMING);
        for entry in std::fs::read_dir(&incoming)
            .map_err(|e| StoreError::io("cannot read", &incoming, e))?
            .flatten()
        {
            let _ = std::fs::remove_file(entry.path());
            recovery.partial_files_removed += 1;
        }
        let photos = self.data_dir.join(PHOTOS);
        let days =
            std::fs::read_dir(&photos).map_err(|e| StoreError::io("cannot read", &photos, e))?;
        let mut known = self
            .conn
            .prepare("SELECT 1 FROM captures WHERE photo_file = ?1")?;
        for day in days
            .flatten()
            .filter(|d| d.path().is_dir() && !d.file_name().to_string_lossy().starts_with('.'))
        {
            for file in std::fs::read_dir(day.path())
                .map_err(|e| StoreError::io("cannot read", &day.path(), e))?
                .flatten()
            {
                let relative = format!(
                    "{PHOTOS}/{}/{}",
                    day.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                if known.exists([&relative])? {
                    continue;
                }
                let target = self.data_dir.join(ORPHANS).join(file.file_name());
                std::fs::rename(file.path(), &target)
                    .map_err(|e| StoreError::io("cannot move", &file.path(), e))?;
                recovery.orphans_moved += 1;
            }
        }
        drop(known);
        if recovery.orphans_moved > 0 {
            tracing::warn!(
                "{} photo(s) from an interrupted save were never committed; moved to {}",
                recovery.orphans_moved,
                self.data_dir.join(ORPHANS).display()
            );
            self.audit(
                "system",
                "recovery.orphans_moved",
                None,
                &serde_json::json!({ "count": recovery.orphans_moved }),
            )?;
        }
        Ok(recovery)
    }

    /// Replaces the whole roster in one transaction. Returns the number of entries.
    pub fn replace_roster(
        &mut self,
        entries: &[RosterEntry],
        source: &str,
    ) -> Result<usize, StoreError> {
        self.put_roster(entries, source, None)
    }

    /// Replaces the roster with version `version` from the central service, and remembers
    /// the version, in one transaction.
    pub fn apply_roster_version(
        &mut self,
        entries: &[RosterEntry],
        version: i64,
    ) -> Result<usize, StoreError> {
        self.put_roster(
            entries,
            &format!("central service, version {version}"),
            Some(version),
        )
    }

    fn put_roster(
        &mut self,
        entries: &[RosterEntry],
        source: &str,
        version: Option<i64>,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        if let Some(v) = version {
            set_sync_state(&tx, ROSTER_VERSION, v)?;
            // Whatever was held back is older than what is applied now.
            set_sync_state(&tx, ROSTER_HELD_BACK, 0)?;
            set_sync_state(&tx, ROSTER_HELD_BACK_ROWS, 0)?;
        }
        tx.execute("DELETE FROM roster", [])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO roster (admission_no, education_level, name, phone) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for e in entries {
                insert.execute(params![
                    e.admission_no.as_str(),
                    e.education_level,
                    e.name,
                    e.phone.as_ref().map(MobileNumber::as_str)
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO roster_source (id, imported_at, source, entries) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET imported_at = ?1, source = ?2, entries = ?3",
            params![now_text(), source, entries.len() as i64],
        )?;
        audit::append(
            &tx,
            &now_text(),
            &if version.is_some() { "system" } else { "staff" },
            "roster.imported",
            None,
            &serde_json::json!({ "entries": entries.len(), "source": source }).to_string(),
        )?;
        tx.commit()?;
        Ok(entries.len())
    }

    /// Every roster entry of an admission number (one per education level).
    pub fn find_roster(&self, no: &AdmissionNumber) -> Result<Vec<RosterEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT admission_no, name, education_level, phone FROM roster WHERE admission_no = ?1
             ORDER BY education_level",
        )?;
        let rows = stmt.query_map([no.as_str()], row_to_entry)?;
        rows.map(|r| r.map_err(StoreError::from)).collect()
    }

    /// The roster in admission-number order, `limit` entries from `offset`.
    pub fn roster_page(&self, offset: usize, limit: usize) -> Result<Vec<RosterEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT admission_no, name, education_level, phone FROM roster
             ORDER BY admission_no, education_level LIMIT ?1 OFFSET ?2",
        )?;
        let rows = stmt.query_map(params![limit as i64, offset as i64], row_to_entry)?;
        rows.map(|r| r.map_err(StoreError::from)).collect()
    }

    /// (imported at, source, entries) of the current roster.
    pub fn roster_source(&self) -> Result<Option<(String, String, u64)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT imported_at, source, entries FROM roster_source WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)),
            )
            .optional()?)
    }

    /// Where a candidate stands at one education level.
    pub fn candidate_status(
        &self,
        no: &AdmissionNumber,
        level: &str,
    ) -> Result<CandidateStatus, StoreError> {
        let latest: Option<(String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT accepted_at, review_status, review_reason FROM captures
                 WHERE admission_no = ?1 AND education_level = ?2 ORDER BY accepted_at DESC LIMIT 1",
                params![no.as_str(), level],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((accepted_at, review, reason)) = latest else {
            return Ok(CandidateStatus::NotCaptured);
        };
        let reopened: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM reopenings WHERE admission_no = ?1 AND education_level = ?2
             AND reopened_at > ?3)",
            params![no.as_str(), level, accepted_at],
            |r| r.get(0),
        )?;
        Ok(match (reopened, review.as_str()) {
            (true, _) => CandidateStatus::Reopened,
            (false, "approved") => CandidateStatus::Approved,
            (false, "rejected") => CandidateStatus::Rejected {
                reason: reason.unwrap_or_default(),
            },
            (false, _) => CandidateStatus::AwaitingReview,
        })
    }

    /// Staff let a candidate capture again (after approval or while under review).
    pub fn reopen(
        &mut self,
        no: &AdmissionNumber,
        level: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO reopenings (admission_no, education_level, reopened_at, reason) VALUES (?1, ?2, ?3, ?4)",
            params![no.as_str(), level, now_text(), reason],
        )?;
        let reopening = tx.last_insert_rowid();
        audit::append(
            &tx,
            &now_text(),
            "staff",
            "candidate.reopened",
            None,
            &serde_json::json!({ "reopening": reopening }).to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The roster version from the central service this kiosk holds (0: none yet).
    pub fn roster_version(&self) -> Result<i64, StoreError> {
        self.sync_state(ROSTER_VERSION)
    }

    /// The newest roster version seen: held, refused because none of its rows was valid
    /// here, or held back for staff (so it is not fetched again and again).
    pub fn roster_version_seen(&self) -> Result<i64, StoreError> {
        Ok(self
            .roster_version()?
            .max(self.sync_state(ROSTER_REFUSED)?)
            .max(self.sync_state(ROSTER_HELD_BACK)?))
    }

    /// How many entries the roster in use has.
    pub fn roster_len(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM roster", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Keeps the roster in use instead of `version`, which has only `rows` usable rows
    /// (empty, or less than half of it): a service that lies or an operator's mistake must
    /// not empty the kiosk's roster. Staff let it in with [`Store::confirm_roster_version`].
    pub fn hold_back_roster_version(
        &mut self,
        version: i64,
        rows: usize,
    ) -> Result<(), StoreError> {
        let held = self.roster_len()?;
        let tx = self.conn.transaction()?;
        set_sync_state(&tx, ROSTER_HELD_BACK, version)?;
        set_sync_state(&tx, ROSTER_HELD_BACK_ROWS, rows as i64)?;
        audit::append(
            &tx,
            &now_text(),
            "system",
            "roster.held_back",
            None,
            &serde_json::json!({ "version": version, "rows": rows, "held": held }).to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The roster version held back for staff, and its usable rows.
    pub fn roster_held_back(&self) -> Result<Option<(i64, u64)>, StoreError> {
        let version = self.sync_state(ROSTER_HELD_BACK)?;
        if version == 0 {
            return Ok(None);
        }
        Ok(Some((
            version,
            self.sync_state(ROSTER_HELD_BACK_ROWS)? as u64,
        )))
    }

    /// Staff confirm the held-back roster `version`: it is fetched again and applied at the
    /// next pull, however small. Any other version is an error (nothing is changed).
    pub fn confirm_roster_version(&mut self, version: i64) -> Result<(), StoreError> {
        let held_back = self.sync_state(ROSTER_HELD_BACK)?;
        if held_back == 0 || held_back != version {
            return Err(StoreError::NotHeldBack {
                version,
                held_back: (held_back > 0).then_some(held_back),
            });
        }
        let tx = self.conn.transaction()?;
        set_sync_state(&tx, ROSTER_CONFIRMED, version)?;
        set_sync_state(&tx, ROSTER_HELD_BACK, 0)?;
        set_sync_state(&tx, ROSTER_HELD_BACK_ROWS, 0)?;
        audit::append(
            &tx,
            &now_text(),
            "staff",
            "roster.confirmed",
            None,
            &serde_json::json!({ "version": version }).to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The roster version staff confirmed (0: none).
    pub fn roster_confirmed(&self) -> Result<i64, StoreError> {
        self.sync_state(ROSTER_CONFIRMED)
    }

    /// Remembers a roster version this kiosk could not use.
    pub fn refuse_roster_version(&mut self, version: i64) -> Result<(), StoreError> {
        set_sync_state(&self.conn, ROSTER_REFUSED, version)?;
        Ok(())
    }

    /// The last review decision from the central service applied here (0: none yet).
    pub fn decisions_cursor(&self) -> Result<i64, StoreError> {
        self.sync_state(DECISIONS_CURSOR)
    }

    fn sync_state(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }

    /// Applies a page of review decisions in order and moves the cursor, in one
    /// transaction. A decision on a capture this kiosk does not hold is skipped. Returns
    /// how many were applied.
    pub fn apply_decisions(
        &mut self,
        decisions: &[capture_protocol::Decision],
        cursor: i64,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut applied = 0;
        for d in decisions {
            let changed = tx.execute(
                "UPDATE captures SET review_status = ?2, review_reason = ?3, reviewed_at = ?4 WHERE id = ?1",
                params![d.capture_id.to_string(), d.verdict.as_str(), d.reason, d.decided_at],
            )?;
            if changed > 0 {
                audit::append(
                    &tx,
                    &now_text(),
                    "system",
                    "capture.reviewed",
                    Some(&d.capture_id.to_string()),
                    &serde_json::json!({ "verdict": d.verdict.as_str(), "seq": d.seq }).to_string(),
                )?;
                applied += 1;
            }
        }
        set_sync_state(&tx, DECISIONS_CURSOR, cursor)?;
        tx.commit()?;
        Ok(applied)
    }

    /// Records a review decision for a capture (from the central service, or in tests).
    pub fn record_decision(
        &mut self,
        id: Uuid,
        approved: bool,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE captures SET review_status = ?2, review_reason = ?3, reviewed_at = ?4 WHERE id = ?1",
            params![id.to_string(), if approved { "approved" } else { "rejected" }, reason, now_text()],
        )?;
        if changed == 0 {
            return Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows));
        }
        Ok(())
    }

    /// Stores an accepted capture: the photo file first (atomically), then one transaction
    /// with the capture, its outbox entry and an audit entry. Storing the same capture
    /// again (same id, same photo) is a no-op that returns the stored capture.
    pub fn accept_capture(&mut self, c: &NewCapture) -> Result<StoredCapture, StoreError> {
        let sha256 = sha256_hex(c.jpeg);
        if let Some(existing) = self.stored_capture(c.id)? {
            return if existing.sha256 == sha256 {
                Ok(existing)
            } else {
                Err(StoreError::Conflict { id: c.id })
            };
        }
        let accepted_at = now_text();
        // Folders by the kiosk's local day, as staff look for them.
        let day = c
            .taken_at
            .with_timezone(&Local)
            .format("%Y-%m-%d")
            .to_string();
        let relative = PathBuf::from(PHOTOS)
            .join(&day)
            .join(format!("{}.jpg", c.id));
        self.write_photo(&relative, c.id, c.jpeg)?;
        crate::failpoint::hit("store.after_photo_write");

        let result = (|| -> Result<(), StoreError> {
            let tx = self.conn.transaction()?;
            tx.execute(
                "INSERT INTO captures (id, admission_no, education_level, name, mobile, profile, taken_at,
                     accepted_at, retakes, photo_file, photo_sha256, photo_bytes, checks,
                     staff_override)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    c.id.to_string(),
                    c.entry.admission_no.as_str(),
                    c.entry.education_level,
                    c.entry.name,
                    c.mobile.as_str(),
                    c.profile,
                    time_text(c.taken_at),
                    accepted_at,
                    c.retakes,
                    relative.to_string_lossy(),
                    sha256,
                    c.jpeg.len() as i64,
                    serde_json::to_string(c.checks).expect("checks serialise"),
                    c.staff_override
                        .map(|o| serde_json::to_string(o).expect("an override serialises"))
                ],
            )?;
            tx.execute(
                "INSERT INTO outbox (capture_id, enqueued_at) VALUES (?1, ?2)",
                params![c.id.to_string(), accepted_at],
            )?;
            audit::append(&tx, &accepted_at, "candidate", "capture.accepted", Some(&c.id.to_string()), &serde_json::json!({ "profile": c.profile, "retakes": c.retakes, "bytes": c.jpeg.len() }).to_string())?;
            if let Some(o) = c.staff_override {
                // The note is the staff's own words about the photo, not the candidate's
                // details; it stays in the database with the capture, never in the logs.
                audit::append(
                    &tx,
                    &accepted_at,
                    "staff",
                    "capture.override",
                    Some(&c.id.to_string()),
                    &serde_json::to_string(o).expect("an override serialises"),
                )?;
            }
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            // Not committed: take the photo back so it does not linger as an orphan.
            let _ = std::fs::remove_file(self.data_dir.join(&relative));
            return Err(e);
        }
        Ok(StoredCapture {
            id: c.id,
            photo_file: relative,
            sha256,
            bytes: c.jpeg.len() as u64,
        })
    }

    /// The photo file, durably, through `photos/.incoming/` (which opening the store empties
    /// after a crash).
    fn write_photo(&self, relative: &Path, id: Uuid, jpeg: &[u8]) -> Result<(), StoreError> {
        let temp = self.data_dir.join(INCOMING).join(format!("{id}.jpg.tmp"));
        let target = self.data_dir.join(relative);
        let folder = target.parent().expect("photo path has a folder").to_owned();
        capture_durable::private_dir(&folder)
            .map_err(|e| StoreError::io("cannot create", &folder, e))?;
        capture_durable::write_via(&temp, &target, jpeg)
            .map_err(|e| StoreError::io("cannot write", &target, e))
    }

    /// A stored capture by id.
    pub fn stored_capture(&self, id: Uuid) -> Result<Option<StoredCapture>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT photo_file, photo_sha256, photo_bytes FROM captures WHERE id = ?1",
                [id.to_string()],
                |r| {
                    Ok(StoredCapture {
                        id,
                        photo_file: PathBuf::from(r.get::<_, String>(0)?),
                        sha256: r.get(1)?,
                        bytes: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()?)
    }

    /// The site's backdrop as staff last calibrated it, if they did.
    pub fn backdrop(
        &self,
    ) -> Result<Option<capture_core::compliance::backdrop::Backdrop>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT l, a, b, spread FROM backdrop WHERE id = 1",
                [],
                |r| {
                    Ok(capture_core::compliance::backdrop::Backdrop {
                        colour: [
                            r.get::<_, f64>(0)? as f32,
                            r.get::<_, f64>(1)? as f32,
                            r.get::<_, f64>(2)? as f32,
                        ],
                        spread: r.get::<_, f64>(3)? as f32,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps a new staff PIN's argon2id hash (replacing any) and audits that it was set.
    pub fn set_staff_pin_hash(&mut self, hash: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO staff_pin (id, hash, set_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET hash = ?1, set_at = ?2",
            params![hash, now_text()],
        )?;
        // A new PIN starts with a clean slate.
        tx.execute("DELETE FROM pin_lockout", [])?;
        audit::append(&tx, &now_text(), "staff", "staff.pin_set", None, "{}")?;
        tx.commit()?;
        Ok(())
    }

    /// The staff PIN's argon2id hash, once `staff set-pin` has set one.
    pub fn staff_pin_hash(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT hash FROM staff_pin WHERE id = 1", [], |r| r.get(0))
            .optional()?)
    }

    /// Keeps the wrong-PIN count and lock-out (the lock-out's end as a wall-clock time).
    pub fn save_pin_record(
        &mut self,
        record: &capture_core::session::PinRecord,
    ) -> Result<(), StoreError> {
        let until = record.locked_for.map(|d| {
            (Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        });
        self.conn.execute(
            "INSERT INTO pin_lockout (id, failures, lockouts, locked_until) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET failures = ?1, lockouts = ?2, locked_until = ?3",
            params![record.failures, record.lockouts, until],
        )?;
        Ok(())
    }

    /// The wrong-PIN count and what is left of the lock-out, as kept.
    pub fn pin_record(&self) -> Result<capture_core::session::PinRecord, StoreError> {
        let row: Option<(u32, u32, Option<String>)> = self
            .conn
            .query_row(
                "SELECT failures, lockouts, locked_until FROM pin_lockout WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((failures, lockouts, until)) = row else {
            return Ok(Default::default());
        };
        let locked_for = until
            .and_then(|u| chrono::DateTime::parse_from_rfc3339(&u).ok())
            .and_then(|u| (u.with_timezone(&Utc) - Utc::now()).to_std().ok())
            .filter(|d| !d.is_zero());
        Ok(capture_core::session::PinRecord {
            failures,
            lockouts,
            locked_for,
        })
    }

    /// When the backdrop was last calibrated (RFC 3339, UTC), if it was.
    pub fn backdrop_calibrated_at(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT calibrated_at FROM backdrop WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Keeps a new backdrop calibration (replacing the last) and audits it.
    pub fn set_backdrop(
        &mut self,
        b: &capture_core::compliance::backdrop::Backdrop,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO backdrop (id, l, a, b, spread, calibrated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET l = ?1, a = ?2, b = ?3, spread = ?4, calibrated_at = ?5",
            params![
                f64::from(b.colour[0]),
                f64::from(b.colour[1]),
                f64::from(b.colour[2]),
                f64::from(b.spread),
                now_text()
            ],
        )?;
        audit::append(
            &tx,
            &now_text(),
            "staff",
            "backdrop.calibrated",
            None,
            &serde_json::json!({"lab": b.colour, "spread": b.spread}).to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        capture_id: Option<Uuid>,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        audit::append(
            &self.conn,
            &now_text(),
            &actor,
            &action,
            capture_id.map(|i| i.to_string()).as_deref(),
            &detail.to_string(),
        )?;
        Ok(())
    }

    /// Walks the audit log's hash chain (`capture-kiosk audit verify`).
    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        Ok(audit::verify(&self.conn)?)
    }

    /// The counts for staff; "today" is the kiosk's local day `today`.
    pub fn stats(&self, today: chrono::NaiveDate) -> Result<Stats, StoreError> {
        let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<u64, StoreError> {
            Ok(self.conn.query_row(sql, p, |r| r.get::<_, i64>(0))? as u64)
        };
        let (start, end) = local_day_in_utc(today);
        Ok(Stats {
            captures_today: count(
                "SELECT COUNT(*) FROM captures WHERE accepted_at >= ?1 AND accepted_at < ?2",
                &[&start, &end],
            )?,
            captures_total: count("SELECT COUNT(*) FROM captures", &[])?,
            pending_uploads: count("SELECT COUNT(*) FROM outbox WHERE uploaded_at IS NULL", &[])?,
            failed_uploads: count(
                "SELECT COUNT(*) FROM outbox WHERE uploaded_at IS NULL AND permanent_error = 1",
                &[],
            )?,
            roster_entries: count("SELECT COUNT(*) FROM roster", &[])?,
        })
    }

    /// SQLite's own check plus: every capture has its outbox entry and its photo file.
    /// The database's problems stop the kiosk from capturing; missing photo files do not
    /// (they are told to staff).
    pub fn check_integrity(&self) -> Result<Integrity, StoreError> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(format!("sqlite: {row}"));
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let fk = stmt.query_map([], |r| r.get::<_, String>(0))?.count();
        if fk > 0 {
            problems.push(format!("{fk} rows break foreign keys"));
        }
        let no_outbox: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM captures c LEFT JOIN outbox o ON o.capture_id = c.id WHERE o.capture_id IS NULL",
            [],
            |r| r.get(0),
        )?;
        if no_outbox > 0 {
            problems.push(format!("{no_outbox} captures have no outbox entry"));
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, photo_file, photo_bytes FROM captures WHERE photo_deleted_at IS NULL",
        )?;
        let mut missing = 0;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (_, file, bytes) = row?;
            match std::fs::metadata(self.data_dir.join(&file)) {
                Ok(m) if m.len() == bytes as u64 => {}
                _ => missing += 1,
            }
        }
        Ok(Integrity {
            database: problems,
            missing_photos: missing,
        })
    }
}

fn row_to_entry(r: &rusqlite::Row) -> rusqlite::Result<RosterEntry> {
    let no: String = r.get(0)?;
    let phone: Option<String> = r.get(3)?;
    let bad = |what: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
    };
    Ok(RosterEntry {
        admission_no: AdmissionNumber::parse(&no, no.len()).map_err(|e| bad(e.to_string()))?,
        name: r.get(1)?,
        education_level: r.get(2)?,
        phone: phone
            .map(|p| MobileNumber::parse(&p))
            .transpose()
            .map_err(|e| bad(e.to_string()))?,
    })
}

/// The stored-time range [start, end) of a local calendar day.
fn local_day_in_utc(day: chrono::NaiveDate) -> (String, String) {
    use chrono::TimeZone;
    let midnight = |d: chrono::NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A day that starts in a DST gap starts at its first existing instant.
        Local
            .from_local_datetime(&naive)
            .earliest()
            .unwrap_or_else(|| Local.from_utc_datetime(&naive))
            .with_timezone(&Utc)
    };
    let next = day.succ_opt().unwrap_or(day);
    (time_text(midnight(day)), time_text(midnight(next)))
}
