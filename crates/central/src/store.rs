//! The service's store: one SQLite database (`central.db`, schema in `migrations/*.sql`) and
//! the photo files received, in one directory. Kiosks and their tokens (only a sha256 of
//! each kept), captures, roster versions, review decisions (a log whose `seq` is the
//! kiosks' cursor), heartbeats, reviewers. Not HTTP (that is `server`), not files for
//! people (that is `handover`).
//!
//! Every capture is kept exactly once: the first upload of an id is stored (photo file
//! first, durably, then the row), a repeat with the same bytes gets the same receipt, a
//! repeat with other bytes is refused.

use capture_protocol::{
    CaptureUpload, CheckRecord, Decision, DecisionPage, Heartbeat, Receipt, RosterRow,
    RosterVersion, Verdict, sha256_hex,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The service's schema: `migrations/*.sql`, applied in order when the store opens.
const MIGRATIONS: &[capture_durable::sqlite::Migration] = &[
    (
        "0001_kiosks_and_captures",
        include_str!("../migrations/0001_kiosks_and_captures.sql"),
    ),
    (
        "0002_rosters_decisions_reviewers",
        include_str!("../migrations/0002_rosters_decisions_reviewers.sql"),
    ),
    (
        "0003_site_rosters",
        include_str!("../migrations/0003_site_rosters.sql"),
    ),
    (
        "0004_revoked_kiosks",
        include_str!("../migrations/0004_revoked_kiosks.sql"),
    ),
    (
        "0005_capture_mobile",
        include_str!("../migrations/0005_capture_mobile.sql"),
    ),
    (
        "0006_staff_override",
        include_str!("../migrations/0006_staff_override.sql"),
    ),
    (
        "0007_roster_entries",
        include_str!("../migrations/0007_roster_entries.sql"),
    ),
    (
        "0008_reviewer_accounts",
        include_str!("../migrations/0008_reviewer_accounts.sql"),
    ),
];

const PHOTOS: &str = "photos";

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] capture_durable::sqlite::OpenError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a kiosk named {0:?} already exists")]
    KioskExists(String),
    #[error("a {0} name is 1–64 letters, digits, '-', '_' or '.', found {1:?}")]
    BadName(&'static str, String),
    #[error("a reviewer named {0:?} already exists")]
    ReviewerExists(String),
    #[error("no reviewer named {0:?}")]
    UnknownReviewer(String),
    #[error("no capture {0}")]
    NoCapture(Uuid),
    #[error("no kiosk named {0:?} is registered; add it with `capture-central add-kiosk {0}`")]
    UnknownKiosk(String),
    #[error("a rejection needs a reason (the candidate is shown it)")]
    ReasonNeeded,
    #[error("roster version {version} is damaged in the database ({why}); publish it again")]
    CorruptRoster { version: i64, why: String },
}

fn valid_name(what: &'static str, name: &str) -> Result<(), CentralError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if valid {
        Ok(())
    } else {
        Err(CentralError::BadName(what, name.into()))
    }
}

/// 244 random bits from the OS (two v4 UUIDs), as 64 hex digits.
pub(crate) fn secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Which received captures to list (the review page's filters).
#[derive(Debug, Clone, Default)]
pub struct CaptureQuery {
    /// Only those without a decision.
    pub undecided_only: bool,
    /// Only this kiosk's.
    pub kiosk: Option<String>,
    /// Part of an admission number or a name.
    pub search: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

/// A kiosk and its latest heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KioskStatus {
    pub name: String,
    /// When its token was revoked (RFC 3339, UTC), if it was.
    pub revoked_at: Option<String>,
    /// When the latest heartbeat arrived (RFC 3339, UTC).
    pub last_heartbeat: Option<String>,
    pub report: Option<Heartbeat>,
}

/// A received capture as the reviewers and the hand-over see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeldCapture {
    pub id: Uuid,
    pub kiosk: String,
    pub sha256: String,
    pub bytes: u64,
    pub received_at: String,
    pub admission_no: String,
    pub name: String,
    pub education_level: String,
    pub profile: String,
    pub taken_at: String,
    pub retakes: u32,
    /// The candidate's mobile number, for the office to reach them about the photo.
    pub mobile: Option<String>,
    pub checks: Vec<CheckRecord>,
    /// Staff at the kiosk accepted the photo although a required check fails.
    pub staff_override: Option<capture_protocol::StaffOverride>,
    pub verdict: Option<Verdict>,
    pub reason: Option<String>,
    pub reviewed_at: Option<String>,
    #[serde(skip)]
    pub photo_file: PathBuf,
}

const HELD_COLUMNS: &str = "id, kiosk, sha256, bytes, received_at, admission_no, name, \
    education_level, profile, taken_at, retakes, checks, verdict, reason, reviewed_at, photo_file, \
    mobile, staff_override";

fn held_from_row(r: &rusqlite::Row) -> rusqlite::Result<HeldCapture> {
    let id: String = r.get(0)?;
    let checks: String = r.get(11)?;
    let verdict: Option<String> = r.get(12)?;
    let photo_file: String = r.get(15)?;
    Ok(HeldCapture {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        kiosk: r.get(1)?,
        sha256: r.get(2)?,
        bytes: r.get::<_, i64>(3)? as u64,
        received_at: r.get(4)?,
        admission_no: r.get(5)?,
        name: r.get(6)?,
        education_level: r.get(7)?,
        profile: r.get(8)?,
        taken_at: r.get(9)?,
        retakes: r.get(10)?,
        mobile: r.get(16)?,
        checks: serde_json::from_str(&checks).unwrap_or_default(),
        staff_override: r
            .get::<_, Option<String>>(17)?
            .and_then(|o| serde_json::from_str(&o).ok()),
        verdict: verdict.as_deref().and_then(Verdict::parse),
        reason: r.get(13)?,
        reviewed_at: r.get(14)?,
        photo_file: PathBuf::from(photo_file),
    })
}

pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> CentralError {
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
    /// The candidate (admission number, level, name) is not on the newest roster published
    /// for this kiosk (the version named): not stored. With no roster published for the
    /// kiosk, nothing is checked (a site that imports its roster at the kiosk).
    NotOnRoster { version: i64 },
    /// The kiosk is over its [`Quota`] (why): not stored; it sends again later.
    OverQuota(String),
}

pub struct Central {
    conn: Connection,
    pub(crate) dir: PathBuf,
    quota: Quota,
}

/// How much one kiosk may send: new captures in the last hour, photo bytes in the last
/// day. A capture already held is answered with its receipt whatever the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub captures_per_hour: u64,
    pub bytes_per_day: u64,
}

impl Default for Quota {
    /// Far above a real site's pace (a candidate a minute), with room for the backlog of a
    /// kiosk back after days offline; a stolen token cannot fill the disk in a night.
    fn default() -> Self {
        Quota {
            captures_per_hour: 3_000,
            bytes_per_day: 4 << 30,
        }
    }
}

impl Central {
    pub fn open(dir: &Path) -> Result<Central, CentralError> {
        for folder in [dir.to_owned(), dir.join(PHOTOS)] {
            capture_durable::private_dir(&folder).map_err(|e| io("cannot create", &folder, e))?;
        }
        let conn = capture_durable::sqlite::open(&dir.join("central.db"), MIGRATIONS)?;
        Ok(Central {
            conn,
            dir: dir.to_owned(),
            quota: Quota::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What each kiosk may send from now on.
    pub fn set_quota(&mut self, quota: Quota) {
        self.quota = quota;
    }

    /// Why a new capture of `bytes` from `kiosk` is over its quota, if it is.
    fn over_quota(&self, kiosk: &str, bytes: usize) -> Result<Option<String>, CentralError> {
        let ago = |hours: i64| {
            (chrono::Utc::now() - chrono::Duration::hours(hours))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let (last_hour, _): (i64, i64) = self.conn.query_row(
            "SELECT count(*), 0 FROM captures WHERE kiosk = ?1 AND received_at > ?2",
            params![kiosk, ago(1)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if last_hour as u64 >= self.quota.captures_per_hour {
            return Ok(Some(format!(
                "this kiosk sent {last_hour} captures in the last hour (at most {}); the rest \
                 are taken later",
                self.quota.captures_per_hour
            )));
        }
        let last_day: i64 = self.conn.query_row(
            "SELECT coalesce(sum(bytes), 0) FROM captures WHERE kiosk = ?1 AND received_at > ?2",
            params![kiosk, ago(24)],
            |r| r.get(0),
        )?;
        if last_day as u64 + bytes as u64 > self.quota.bytes_per_day {
            return Ok(Some(format!(
                "this kiosk sent {} in the last day (at most {}); the rest are taken later",
                capture_durable::human_bytes(last_day as u64),
                capture_durable::human_bytes(self.quota.bytes_per_day)
            )));
        }
        Ok(None)
    }

    /// Registers a kiosk and returns its new bearer token (only its sha256 is kept).
    pub fn add_kiosk(&mut self, name: &str) -> Result<String, CentralError> {
        valid_name("kiosk", name)?;
        let token = secret();
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO kiosks (name, token_sha256, created_at) VALUES (?1, ?2, ?3)",
            params![name, sha256_hex(token.as_bytes()), now()],
        )?;
        if added == 0 {
            return Err(CentralError::KioskExists(name.into()));
        }
        Ok(token)
    }

    /// Gives kiosk `name` a new token (returned): the old one is refused from then on. A
    /// revoked kiosk is admitted again with it (it was found, or replaced).
    pub fn rotate_kiosk(&mut self, name: &str) -> Result<String, CentralError> {
        let token = secret();
        let changed = self.conn.execute(
            "UPDATE kiosks SET token_sha256 = ?2, revoked_at = NULL WHERE name = ?1",
            params![name, sha256_hex(token.as_bytes())],
        )?;
        if changed == 0 {
            return Err(CentralError::UnknownKiosk(name.into()));
        }
        Ok(token)
    }

    /// The kiosk a bearer token belongs to.
    pub fn kiosk_for_token(&self, token: &str) -> Result<Option<String>, CentralError> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM kiosks WHERE token_sha256 = ?1 AND revoked_at IS NULL",
                [sha256_hex(token.as_bytes())],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Revokes a kiosk's token: from now on its requests are refused (401). What it sent
    /// stays, and it can still hand captures over on a USB stick (`import-bundle`).
    pub fn revoke_kiosk(&mut self, name: &str) -> Result<(), CentralError> {
        let changed = self.conn.execute(
            "UPDATE kiosks SET revoked_at = coalesce(revoked_at, ?2) WHERE name = ?1",
            params![name, now()],
        )?;
        if changed == 0 {
            return Err(CentralError::UnknownKiosk(name.into()));
        }
        Ok(())
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
        let sha256 = sha256_hex(photo);
        if let Some(held) = self.receipt(upload.id)? {
            return Ok(if held.sha256 == sha256 {
                Stored::Repeated(held)
            } else {
                Stored::Conflict(held)
            });
        }
        if let Some(version) = self.roster_version_for(kiosk)?
            && !self.on_roster(version, upload)?
        {
            return Ok(Stored::NotOnRoster { version });
        }
        if let Some(why) = self.over_quota(kiosk, photo.len())? {
            return Ok(Stored::OverQuota(why));
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
                 education_level, profile, taken_at, retakes, checks, photo_file, mobile,
                 staff_override)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
                upload.mobile,
                upload
                    .staff_override
                    .as_ref()
                    .map(|o| serde_json::to_string(o).expect("an override serialises")),
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

impl Central {
    /// Publishes a new roster version (the whole roster); returns its number.
    pub fn publish_roster(
        &mut self,
        rows: &[RosterRow],
        source: &str,
        kiosk: Option<&str>,
    ) -> Result<i64, CentralError> {
        if let Some(k) = kiosk
            && !self.kiosks()?.iter().any(|known| known.name == k)
        {
            return Err(CentralError::UnknownKiosk(k.into()));
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO rosters (published_at, source, entries, kiosk) VALUES (?1, ?2, ?3, ?4)",
            params![
                now(),
                source,
                serde_json::to_string(rows).expect("rows serialise"),
                kiosk
            ],
        )?;
        let version = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO roster_entries (version, admission_no, education_level, name)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for row in rows {
                insert.execute(params![
                    version,
                    row.admission_no,
                    row.education_level.trim(),
                    row.name
                ])?;
            }
        }
        tx.commit()?;
        Ok(version)
    }

    /// The newest roster version published for `kiosk` (its own or one for every kiosk).
    fn roster_version_for(&self, kiosk: &str) -> Result<Option<i64>, CentralError> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(version) FROM rosters WHERE kiosk IS NULL OR kiosk = ?1",
                [kiosk],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Whether the upload's admission number and level are on roster `version`, under the
    /// upload's name.
    fn on_roster(&self, version: i64, upload: &CaptureUpload) -> Result<bool, CentralError> {
        let name: Option<String> = self
            .conn
            .query_row(
                "SELECT name FROM roster_entries
                 WHERE version = ?1 AND admission_no = ?2 AND education_level = ?3",
                params![version, upload.admission_no, upload.education_level.trim()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(name.is_some_and(|n| n.trim() == upload.name.trim()))
    }

    /// The newest roster for `kiosk` (its own, or one for every kiosk, whichever was
    /// published last), if it is newer than `since`.
    pub fn roster_since(
        &self,
        kiosk: &str,
        since: i64,
    ) -> Result<Option<RosterVersion>, CentralError> {
        let newest: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT version, published_at, entries FROM rosters
                 WHERE kiosk IS NULL OR kiosk = ?1 ORDER BY version DESC LIMIT 1",
                [kiosk],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((version, published_at, entries)) = newest.filter(|(v, ..)| *v > since) else {
            return Ok(None);
        };
        // A damaged stored roster is an error (the kiosk keeps its own and asks again),
        // never an empty roster that would turn every candidate away.
        let entries = serde_json::from_str(&entries).map_err(|e| CentralError::CorruptRoster {
            version,
            why: e.to_string(),
        })?;
        Ok(Some(RosterVersion {
            version,
            published_at,
            entries,
        }))
    }

    /// Records a reviewer's decision (a later one replaces an earlier one).
    pub fn decide(
        &mut self,
        id: Uuid,
        verdict: Verdict,
        reason: Option<&str>,
        reviewer: &str,
    ) -> Result<Decision, CentralError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if verdict == Verdict::Rejected && reason.is_none() {
            return Err(CentralError::ReasonNeeded);
        }
        let decided_at = now();
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE captures SET verdict = ?2, reason = ?3, reviewed_at = ?4 WHERE id = ?1",
            params![id.to_string(), verdict.as_str(), reason, decided_at],
        )?;
        if changed == 0 {
            return Err(CentralError::NoCapture(id));
        }
        tx.execute(
            "INSERT INTO decisions (capture_id, verdict, reason, reviewer, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id.to_string(),
                verdict.as_str(),
                reason,
                reviewer,
                decided_at
            ],
        )?;
        let seq = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Decision {
            seq,
            capture_id: id,
            verdict,
            reason: reason.map(str::to_owned),
            decided_at,
        })
    }

    /// The decisions on `kiosk`'s captures after `since`, at most `limit`.
    pub fn decisions_since(
        &self,
        kiosk: &str,
        since: i64,
        limit: usize,
    ) -> Result<DecisionPage, CentralError> {
        let mut stmt = self.conn.prepare(
            "SELECT d.seq, d.capture_id, d.verdict, d.reason, d.decided_at
             FROM decisions d JOIN captures c ON c.id = d.capture_id
             WHERE c.kiosk = ?1 AND d.seq > ?2 ORDER BY d.seq LIMIT ?3",
        )?;
        let mut decisions = stmt
            .query_map(
                params![kiosk, since, (limit as i64).saturating_add(1)],
                |r| {
                    let id: String = r.get(1)?;
                    let verdict: String = r.get(2)?;
                    Ok(Decision {
                        seq: r.get(0)?,
                        capture_id: Uuid::parse_str(&id).unwrap_or_default(),
                        verdict: Verdict::parse(&verdict).unwrap_or(Verdict::Rejected),
                        reason: r.get(3)?,
                        decided_at: r.get(4)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let more = decisions.len() > limit;
        decisions.truncate(limit);
        let cursor = decisions.last().map_or(since, |d| d.seq);
        Ok(DecisionPage {
            decisions,
            cursor,
            more,
        })
    }

    pub fn record_heartbeat(&mut self, kiosk: &str, beat: &Heartbeat) -> Result<(), CentralError> {
        self.conn.execute(
            "INSERT INTO heartbeats (kiosk, received_at, report) VALUES (?1, ?2, ?3)
             ON CONFLICT (kiosk) DO UPDATE SET received_at = ?2, report = ?3",
            params![
                kiosk,
                now(),
                serde_json::to_string(beat).expect("a heartbeat serialises")
            ],
        )?;
        Ok(())
    }

    /// Per kiosk: (captures received, of them still undecided).
    pub fn capture_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, (u64, u64)>, CentralError> {
        let mut stmt = self.conn.prepare(
            "SELECT kiosk, count(*), count(*) FILTER (WHERE verdict IS NULL) FROM captures
             GROUP BY kiosk",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every kiosk with its latest heartbeat.
    pub fn kiosks(&self) -> Result<Vec<KioskStatus>, CentralError> {
        let mut stmt = self.conn.prepare(
            "SELECT k.name, h.received_at, h.report, k.revoked_at FROM kiosks k
             LEFT JOIN heartbeats h ON h.kiosk = k.name ORDER BY k.name",
        )?;
        let rows = stmt.query_map([], |r| {
            let report: Option<String> = r.get(2)?;
            Ok(KioskStatus {
                name: r.get(0)?,
                revoked_at: r.get(3)?,
                last_heartbeat: r.get(1)?,
                report: report.and_then(|j| serde_json::from_str(&j).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Registers a reviewer for `/review` and returns a new password (only its argon2id
    /// hash is kept).
    pub fn add_reviewer(&mut self, name: &str) -> Result<String, CentralError> {
        valid_name("reviewer", name)?;
        let password = new_password();
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO reviewers (name, salt, password_sha256, password_hash, created_at)
             VALUES (?1, '', '', ?2, ?3)",
            params![name, hash_password(&password), now()],
        )?;
        if added == 0 {
            return Err(CentralError::ReviewerExists(name.into()));
        }
        Ok(password)
    }

    /// Gives `name` a new password (returned) and ends their sessions.
    pub fn reset_reviewer(&mut self, name: &str) -> Result<String, CentralError> {
        let password = new_password();
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE reviewers SET password_hash = ?2, salt = '', password_sha256 = '' WHERE name = ?1",
            params![name, hash_password(&password)],
        )?;
        if changed == 0 {
            return Err(CentralError::UnknownReviewer(name.into()));
        }
        tx.execute("DELETE FROM review_sessions WHERE reviewer = ?1", [name])?;
        tx.commit()?;
        Ok(password)
    }

    /// Removes `name` (their sessions end; their decisions stay, under their name).
    pub fn remove_reviewer(&mut self, name: &str) -> Result<(), CentralError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM review_sessions WHERE reviewer = ?1", [name])?;
        if tx.execute("DELETE FROM reviewers WHERE name = ?1", [name])? == 0 {
            return Err(CentralError::UnknownReviewer(name.into()));
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether `password` is `name`'s. A password of the salted-sha256 days that matches is
    /// rehashed with argon2id on the spot. The work is the same for an unknown name (a hash
    /// is checked all the same), so the answer's time does not tell names apart.
    pub fn check_reviewer(&mut self, name: &str, password: &str) -> Result<bool, CentralError> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let password = password.trim();
        let held: Option<(Option<String>, String, String)> = self
            .conn
            .query_row(
                "SELECT password_hash, salt, password_sha256 FROM reviewers WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let verify = |phc: &str| {
            PasswordHash::new(phc).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        };
        match held {
            Some((Some(phc), ..)) => Ok(verify(&phc)),
            Some((None, salt, hash)) => {
                let given = salted(&salt, password);
                let same = given.len() == hash.len()
                    && given
                        .bytes()
                        .zip(hash.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0;
                if same {
                    self.conn.execute(
                        "UPDATE reviewers SET password_hash = ?2, salt = '', password_sha256 = ''
                         WHERE name = ?1",
                        params![name, hash_password(password)],
                    )?;
                }
                Ok(same)
            }
            None => {
                let _ = verify(&DUMMY_HASH);
                Ok(false)
            }
        }
    }

    /// Starts a session for `reviewer`; returns its cookie value (only its sha256 is kept).
    pub fn start_session(&mut self, reviewer: &str) -> Result<String, CentralError> {
        let token = secret();
        let at = now();
        self.conn.execute(
            "INSERT INTO review_sessions (token_sha256, reviewer, created_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?3)",
            params![sha256_hex(token.as_bytes()), reviewer, at],
        )?;
        Ok(token)
    }

    /// The reviewer of a session that is neither older than `lifetime` nor idle for longer
    /// than `idle`; it counts as used now. An expired session is deleted.
    pub fn session_reviewer(
        &mut self,
        token: &str,
        lifetime: std::time::Duration,
        idle: std::time::Duration,
    ) -> Result<Option<String>, CentralError> {
        let key = sha256_hex(token.as_bytes());
        let now = chrono::Utc::now();
        let ago = |d: std::time::Duration| {
            (now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        self.conn.execute(
            "DELETE FROM review_sessions WHERE created_at < ?1 OR last_seen_at < ?2",
            params![ago(lifetime), ago(idle)],
        )?;
        let reviewer: Option<String> = self
            .conn
            .query_row(
                "SELECT reviewer FROM review_sessions WHERE token_sha256 = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        if reviewer.is_some() {
            self.conn.execute(
                "UPDATE review_sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
                params![
                    key,
                    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ],
            )?;
        }
        Ok(reviewer)
    }

    /// Ends a session (log-out).
    pub fn end_session(&mut self, token: &str) -> Result<(), CentralError> {
        self.conn.execute(
            "DELETE FROM review_sessions WHERE token_sha256 = ?1",
            [sha256_hex(token.as_bytes())],
        )?;
        Ok(())
    }

    /// Failed log-ins under each key (`name:…`, `addr:…`) within `window` up to now.
    pub fn login_failures(
        &self,
        keys: &[&str],
        window: std::time::Duration,
    ) -> Result<Vec<u64>, CentralError> {
        let since = (chrono::Utc::now() - chrono::Duration::from_std(window).unwrap_or_default())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        keys.iter()
            .map(|k| {
                Ok(self.conn.query_row(
                    "SELECT count(*) FROM login_failures WHERE key = ?1 AND at > ?2",
                    params![k, since],
                    |r| r.get::<_, i64>(0),
                )? as u64)
            })
            .collect()
    }

    /// Records a failed log-in under each key, and forgets failures older than a day.
    pub fn record_login_failure(&mut self, keys: &[&str]) -> Result<(), CentralError> {
        let tx = self.conn.transaction()?;
        let at = now();
        for k in keys {
            tx.execute(
                "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                params![k, at],
            )?;
        }
        let day_ago = (chrono::Utc::now() - chrono::Duration::days(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        tx.execute("DELETE FROM login_failures WHERE at < ?1", [day_ago])?;
        tx.commit()?;
        Ok(())
    }

    /// Received captures matching `q`, newest first, and how many match in all.
    pub fn captures(&self, q: &CaptureQuery) -> Result<(Vec<HeldCapture>, u64), CentralError> {
        let filter = "WHERE (?1 = 0 OR verdict IS NULL) AND (?2 IS NULL OR kiosk = ?2)
            AND (?3 IS NULL OR admission_no LIKE ?3 ESCAPE '\\' OR name LIKE ?3 ESCAPE '\\')";
        let search = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let escaped = t
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            });
        let args = params![q.undecided_only, q.kiosk, search];
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM captures {filter}"),
            args,
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {HELD_COLUMNS} FROM captures {filter}
             ORDER BY received_at DESC, id LIMIT ?4 OFFSET ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                q.undecided_only,
                q.kiosk,
                search,
                q.limit as i64,
                q.offset as i64
            ],
            held_from_row,
        )?;
        Ok((rows.collect::<Result<_, _>>()?, total as u64))
    }

    /// The receipts of every capture `kiosk` sent.
    pub fn receipts_of(&self, kiosk: &str) -> Result<Vec<Receipt>, CentralError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, sha256, received_at FROM captures WHERE kiosk = ?1 ORDER BY received_at, id",
        )?;
        let rows = stmt.query_map([kiosk], |r| {
            let id: String = r.get(0)?;
            Ok(Receipt {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                sha256: r.get(1)?,
                received_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every approved capture, oldest decision first.
    pub fn approved(&self) -> Result<Vec<HeldCapture>, CentralError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {HELD_COLUMNS} FROM captures WHERE verdict = 'approved' ORDER BY reviewed_at, id"
        ))?;
        let rows = stmt.query_map([], held_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// 20 characters people can type: from the random hex, grouped.
fn new_password() -> String {
    let raw = secret();
    format!(
        "{}-{}-{}-{}",
        &raw[0..5],
        &raw[5..10],
        &raw[10..15],
        &raw[15..20]
    )
}

/// The argon2id PHC string of `password` (RustCrypto's defaults: 19 MiB, 2 passes), salted
/// with 16 random bytes.
fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(Uuid::new_v4().as_bytes()).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes any password")
        .to_string()
}

/// Checked for a name that is no reviewer's, so that an unknown name costs the same time.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no reviewer has this password"));

/// The sha256 of a salt and a password: how passwords were kept before argon2id (read only
/// to move a reviewer over).
fn salted(salt: &str, password: &str) -> String {
    sha256_hex(format!("{salt}:{password}").as_bytes())
}

/// Writes a file the service keeps (a photo, a hand-over file) durably.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CentralError> {
    capture_durable::write_file(path, bytes).map_err(|e| io("cannot write", path, e))
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use capture_protocol::{CaptureUpload, sha256_hex};

    #[test]
    fn decisions_reach_only_the_kiosk_that_sent_the_capture_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        c.add_kiosk("a").unwrap();
        c.add_kiosk("b").unwrap();
        let (ua, ub) = (CaptureUpload::sample(b"a"), CaptureUpload::sample(b"b"));
        c.put_capture("a", &ua, b"a").unwrap();
        c.put_capture("b", &ub, b"b").unwrap();
        assert!(matches!(
            c.decide(ua.id, Verdict::Rejected, Some("  "), "r"),
            Err(CentralError::ReasonNeeded)
        ));
        assert!(matches!(
            c.decide(Uuid::new_v4(), Verdict::Approved, None, "r"),
            Err(CentralError::NoCapture(_))
        ));
        let first = c
            .decide(ua.id, Verdict::Rejected, Some("eyes closed"), "r")
            .unwrap();
        c.decide(ub.id, Verdict::Approved, None, "r").unwrap();
        let second = c.decide(ua.id, Verdict::Approved, None, "r").unwrap();
        let page = c.decisions_since("a", 0, 1).unwrap();
        assert_eq!(page.decisions, vec![first.clone()]);
        assert!(page.more);
        let page = c.decisions_since("a", page.cursor, 10).unwrap();
        assert_eq!(page.decisions, vec![second.clone()]);
        assert!(!page.more);
        assert_eq!(
            c.decisions_since("a", second.seq, 10).unwrap().decisions,
            vec![]
        );
        assert_eq!(
            c.decisions_since("a", second.seq, 10).unwrap().cursor,
            second.seq
        );
        // The latest decision is the capture's.
        let approved: Vec<Uuid> = c.approved().unwrap().iter().map(|h| h.id).collect();
        assert_eq!(approved.len(), 2);
        assert!(approved.contains(&ua.id) && approved.contains(&ub.id));
        let undecided = CaptureQuery {
            undecided_only: true,
            limit: 10,
            ..Default::default()
        };
        assert_eq!(c.captures(&undecided).unwrap().1, 0);
        // Filters: by kiosk, by part of the number or the name; a wildcard is taken literally.
        let all = |kiosk: Option<&str>, search: Option<&str>| {
            let q = CaptureQuery {
                kiosk: kiosk.map(Into::into),
                search: search.map(Into::into),
                limit: 10,
                ..Default::default()
            };
            c.captures(&q).unwrap().1
        };
        assert_eq!(all(None, None), 2);
        assert_eq!(all(Some("a"), None), 1);
        assert_eq!(all(None, Some("王小")), 2);
        assert_eq!(all(Some("b"), Some("11110001")), 1);
        assert_eq!(all(None, Some("%")), 0);
        // A page after the first.
        let second = CaptureQuery {
            offset: 1,
            limit: 1,
            ..Default::default()
        };
        let (page, total) = c.captures(&second).unwrap();
        assert_eq!((page.len(), total), (1, 2));
        let first = c
            .captures(&CaptureQuery {
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .0;
        assert_ne!(
            page[0].id, first[0].id,
            "the second page goes on from the first"
        );
    }

    #[test]
    fn rosters_are_versions_and_reviewers_need_their_password() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        c.add_kiosk("a").unwrap();
        c.add_kiosk("b").unwrap();
        assert_eq!(c.roster_since("a", 0).unwrap(), None);
        let row = |no: &str| RosterRow {
            admission_no: no.into(),
            name: "王小明".into(),
            education_level: "本科".into(),
            phone: None,
        };
        let v1 = c
            .publish_roster(&[row("000011110001")], "one.csv", None)
            .unwrap();
        let v2 = c
            .publish_roster(&[row("000011110002"), row("000011110003")], "two.csv", None)
            .unwrap();
        assert!(v2 > v1);
        let newest = c.roster_since("a", v1).unwrap().unwrap();
        assert_eq!((newest.version, newest.entries.len()), (v2, 2));
        assert_eq!(c.roster_since("a", v2).unwrap(), None);
        // A site's own roster reaches only that site; the others keep the general one.
        let v3 = c
            .publish_roster(&[row("000011110004")], "site-b.csv", Some("b"))
            .unwrap();
        assert_eq!(c.roster_since("b", v2).unwrap().unwrap().version, v3);
        assert_eq!(c.roster_since("a", v2).unwrap(), None);
        assert!(matches!(
            c.publish_roster(&[row("000011110004")], "x.csv", Some("nobody")),
            Err(CentralError::UnknownKiosk(_))
        ));
        // A roster damaged in the database is an error, not an empty roster.
        c.conn
            .execute(
                "UPDATE rosters SET entries = '[{\"admission' WHERE version = ?1",
                [v3],
            )
            .unwrap();
        let err = c.roster_since("b", v2).unwrap_err();
        assert!(
            matches!(err, CentralError::CorruptRoster { version, .. } if version == v3),
            "{err}"
        );
        assert!(err.to_string().contains("publish it again"), "{err}");

        c.add_reviewer("li").unwrap();
        assert!(matches!(
            c.add_reviewer("li"),
            Err(CentralError::ReviewerExists(_))
        ));
    }

    #[test]
    fn an_upload_is_stored_only_for_a_candidate_on_the_roster_published_for_its_kiosk() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        c.add_kiosk("a").unwrap();
        c.add_kiosk("b").unwrap();
        let upload = |no: &str, level: &str, name: &str| {
            let mut u = CaptureUpload::sample(no.as_bytes());
            u.admission_no = no.into();
            u.education_level = level.into();
            u.name = name.into();
            u
        };
        // No roster published: nothing to check against (a site with its own roster).
        let u = upload("000011110009", "本科", "赵六");
        assert!(matches!(
            c.put_capture("a", &u, b"x").unwrap(),
            Stored::Created(_)
        ));
        let row = |no: &str, name: &str| RosterRow {
            admission_no: no.into(),
            name: name.into(),
            education_level: "本科".into(),
            phone: None,
        };
        let general = c
            .publish_roster(&[row("000011110001", "王小明")], "all.csv", None)
            .unwrap();
        let own = c
            .publish_roster(&[row("000011110002", "李华")], "a.csv", Some("a"))
            .unwrap();
        let stored = |c: &mut Central, kiosk: &str, u: &CaptureUpload| {
            c.put_capture(kiosk, u, u.admission_no.as_bytes()).unwrap()
        };
        // Kiosk a's newest roster is its own: its candidate goes in …
        assert!(matches!(
            stored(&mut c, "a", &upload("000011110002", "本科", "李华")),
            Stored::Created(_)
        ));
        // … a forged one does not: another number, another level, another name, or a
        // candidate of the general roster it no longer has.
        for u in [
            upload("000011110003", "本科", "李华"),
            upload("000011110002", "专科", "李华"),
            upload("000011110002", "本科", "王小明"),
            upload("000011110001", "本科", "王小明"),
        ] {
            assert_eq!(
                stored(&mut c, "a", &u),
                Stored::NotOnRoster { version: own }
            );
        }
        // Kiosk b has only the general roster.
        assert!(matches!(
            stored(&mut c, "b", &upload("000011110001", "本科", "王小明")),
            Stored::Created(_)
        ));
        assert_eq!(
            stored(&mut c, "b", &upload("000011110002", "本科", "李华")),
            Stored::NotOnRoster { version: general }
        );
        // A capture already held is answered with its receipt, roster or not.
        assert!(matches!(
            c.put_capture("a", &u, b"x").unwrap(),
            Stored::Repeated(_)
        ));
        assert_eq!(c.capture_count().unwrap(), 3);

        // The migration fills the rows of rosters published before it.
        c.conn.execute("DELETE FROM roster_entries", []).unwrap();
        c.conn
            .execute_batch(
                include_str!("../migrations/0007_roster_entries.sql")
                    .split_once(") WITHOUT ROWID;")
                    .unwrap()
                    .1,
            )
            .unwrap();
        let rows: i64 = c
            .conn
            .query_row("SELECT count(*) FROM roster_entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }

    #[test]
    fn reviewer_accounts_are_argon2id_and_their_sessions_end_when_reset_or_idle() {
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        let password = c.add_reviewer("li").unwrap();
        let stored: String = c
            .conn
            .query_row(
                "SELECT password_hash FROM reviewers WHERE name = 'li'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains(&password));
        assert!(c.check_reviewer("li", &password).unwrap());
        assert!(!c.check_reviewer("li", "guess").unwrap());
        assert!(!c.check_reviewer("wang", &password).unwrap());

        // A reviewer of the salted-sha256 days logs in once and is moved over.
        c.conn
            .execute(
                "INSERT INTO reviewers (name, salt, password_sha256, created_at)
                 VALUES ('old', 's4lt', ?1, '2026-01-01T00:00:00Z')",
                [salted("s4lt", "old-pass")],
            )
            .unwrap();
        assert!(!c.check_reviewer("old", "wrong").unwrap());
        assert!(c.check_reviewer("old", "old-pass").unwrap());
        let (hash, legacy): (String, String) = c
            .conn
            .query_row(
                "SELECT password_hash, password_sha256 FROM reviewers WHERE name = 'old'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(hash.starts_with("$argon2id$") && legacy.is_empty());
        assert!(c.check_reviewer("old", "old-pass").unwrap());

        // Sessions: found by their cookie, ended by idleness, age, reset and removal.
        let day = Duration::from_secs(86_400);
        let s1 = c.start_session("li").unwrap();
        assert_eq!(
            c.session_reviewer(&s1, day, day).unwrap().as_deref(),
            Some("li")
        );
        assert_eq!(c.session_reviewer("forged", day, day).unwrap(), None);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            c.session_reviewer(&s1, day, Duration::from_millis(5))
                .unwrap(),
            None,
            "idle too long"
        );
        let s2 = c.start_session("li").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            c.session_reviewer(&s2, Duration::from_millis(5), day)
                .unwrap(),
            None
        );
        let s3 = c.start_session("li").unwrap();
        let new = c.reset_reviewer("li").unwrap();
        assert_eq!(
            c.session_reviewer(&s3, day, day).unwrap(),
            None,
            "reset ends it"
        );
        assert!(!c.check_reviewer("li", &password).unwrap());
        assert!(c.check_reviewer("li", &new).unwrap());
        let s4 = c.start_session("li").unwrap();
        c.end_session(&s4).unwrap();
        assert_eq!(
            c.session_reviewer(&s4, day, day).unwrap(),
            None,
            "logged out"
        );
        let s5 = c.start_session("li").unwrap();
        c.remove_reviewer("li").unwrap();
        assert_eq!(c.session_reviewer(&s5, day, day).unwrap(), None, "removed");
        assert!(!c.check_reviewer("li", &new).unwrap());
        assert!(matches!(
            c.remove_reviewer("li"),
            Err(CentralError::UnknownReviewer(_))
        ));

        // Failed log-ins are counted per key within the window.
        for _ in 0..3 {
            c.record_login_failure(&["name:old", "addr:10.0.0.1"])
                .unwrap();
        }
        c.record_login_failure(&["name:x", "addr:10.0.0.1"])
            .unwrap();
        assert_eq!(
            c.login_failures(&["name:old", "addr:10.0.0.1", "name:x"], day)
                .unwrap(),
            [3, 4, 1]
        );
        assert_eq!(
            c.login_failures(&["name:old"], Duration::ZERO).unwrap(),
            [0]
        );
    }

    #[test]
    fn a_rotated_kiosk_token_replaces_the_old_one_and_readmits_a_revoked_kiosk() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        let old = c.add_kiosk("k").unwrap();
        c.revoke_kiosk("k").unwrap();
        let new = c.rotate_kiosk("k").unwrap();
        assert_ne!(old, new);
        assert_eq!(c.kiosk_for_token(&old).unwrap(), None);
        assert_eq!(c.kiosk_for_token(&new).unwrap().as_deref(), Some("k"));
        assert!(matches!(
            c.rotate_kiosk("nobody"),
            Err(CentralError::UnknownKiosk(_))
        ));
    }

    #[test]
    fn the_services_data_is_its_users_only_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("central");
        let mut c = Central::open(&data).unwrap();
        c.add_kiosk("a").unwrap();
        let u = CaptureUpload::sample(b"photo");
        c.put_capture("a", &u, b"photo").unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(PHOTOS)), 0o700);
        for file in ["central.db", "central.db-wal"] {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
        assert_eq!(mode(&data.join(format!("photos/{}.jpg", u.id))), 0o600);
    }

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
            Err(CentralError::BadName("kiosk", _))
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
