//! The outbox: every accepted capture until the central service's receipt for exactly its
//! photo comes back. A row is marked uploaded only then; until then it is retried, after a
//! wait that grows, unless the service refused it for good (then staff see why).

use super::time_text as utc_text;
use super::{Store, StoreError};
use capture_protocol::{CaptureUpload, CheckRecord, Receipt, sha256_hex};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use std::path::PathBuf;
use uuid::Uuid;

/// A capture due for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub capture_id: Uuid,
    /// Attempts so far.
    pub attempts: u32,
}

/// What the staff dashboard and `sync` show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not yet received by the central service (including failed ones).
    pub pending: u64,
    pub uploaded: u64,
    /// Refused by the service for good: staff must look at them.
    pub failed: u64,
    /// When the last receipt came (RFC 3339, UTC).
    pub last_upload: Option<String>,
}

fn uuid_at(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Uuid> {
    let text: String = r.get(i)?;
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// What [`Store::purge`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub roster_entries: u64,
    /// Captures whose name and mobile number were deleted.
    pub captures: u64,
    pub photos: u64,
    /// Files and folders in `orphans/`.
    pub orphans: u64,
}

impl Store {
    /// Captures due for upload at `now`, oldest first.
    pub fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT capture_id, attempts FROM outbox
             WHERE uploaded_at IS NULL AND permanent_error = 0
               AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
             ORDER BY enqueued_at, capture_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![utc_text(now), limit as i64], |r| {
            Ok(OutboxItem {
                capture_id: uuid_at(r, 0)?,
                attempts: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The earliest time a waiting upload is due again (none: nothing waits).
    pub fn outbox_next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (due_now, first): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE next_attempt_at IS NULL), min(next_attempt_at)
             FROM outbox WHERE uploaded_at IS NULL AND permanent_error = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if due_now > 0 {
            return Ok(Some(Utc::now()));
        }
        Ok(first
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    /// The body that delivers a capture: its row and its photo, read back from disk and
    /// checked against the sha256 recorded when it was accepted.
    pub fn upload_for(&self, id: Uuid) -> Result<CaptureUpload, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT admission_no, name, education_level, profile, taken_at, retakes,
                        photo_file, photo_sha256, checks, mobile, staff_override
                 FROM captures WHERE id = ?1",
                [id.to_string()],
                |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ),
                        (
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, u32>(5)?,
                        ),
                        (
                            r.get::<_, String>(6)?,
                            r.get::<_, String>(7)?,
                            r.get::<_, String>(8)?,
                        ),
                        r.get::<_, String>(9)?,
                        r.get::<_, Option<String>>(10)?,
                    ))
                },
            )
            .optional()?
            .ok_or(StoreError::NotInOutbox(id))?;
        let (
            (admission_no, name, education_level),
            (profile, taken_at, retakes),
            (file, sha256, checks),
            mobile,
            staff_override,
        ) = row;
        let path = self.data_dir.join(PathBuf::from(&file));
        let damaged = || StoreError::PhotoDamaged {
            id,
            path: path.clone(),
        };
        let photo = std::fs::read(&path).map_err(|_| damaged())?;
        if sha256_hex(&photo) != sha256 {
            return Err(damaged());
        }
        let checks: Vec<CheckRecord> = serde_json::from_str(&checks).unwrap_or_default();
        let staff_override = staff_override.and_then(|o| serde_json::from_str(&o).ok());
        Ok(CaptureUpload {
            id,
            admission_no,
            name,
            education_level,
            profile,
            taken_at,
            retakes,
            mobile: Some(mobile),
            sha256,
            checks,
            staff_override,
            photo_base64: CaptureUpload::encode_photo(&photo),
        })
    }

    /// Marks a capture uploaded — only when the receipt names it and the sha256 of the
    /// photo it was accepted with. Anything else marks nothing and is an error.
    pub fn mark_uploaded(&mut self, id: Uuid, receipt: &Receipt) -> Result<(), StoreError> {
        let sent: String = self
            .conn
            .query_row(
                "SELECT photo_sha256 FROM captures WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotInOutbox(id))?;
        if receipt.id != id || receipt.sha256 != sent {
            return Err(StoreError::ReceiptMismatch {
                id,
                sent,
                got: format!("{} {}", receipt.id, receipt.sha256),
            });
        }
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET uploaded_at = ?2, receipt_sha256 = ?3, last_error = NULL,
                 next_attempt_at = NULL, permanent_error = 0
             WHERE capture_id = ?1 AND uploaded_at IS NULL",
            params![id.to_string(), utc_text(Utc::now()), receipt.sha256],
        )?;
        if changed == 1 {
            super::audit::append(
                &tx,
                &super::now_text(),
                "system",
                "capture.uploaded",
                Some(&id.to_string()),
                &serde_json::json!({ "received_at": receipt.received_at }).to_string(),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt: retried after `retry_at`, or never (`None`: the service
    /// refused it for good; staff see `error`).
    pub fn mark_failed(
        &mut self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
                 permanent_error = ?4
             WHERE capture_id = ?1 AND uploaded_at IS NULL",
            params![
                id.to_string(),
                error,
                retry_at.map(utc_text),
                retry_at.is_none()
            ],
        )?;
        if changed == 0 {
            return Err(StoreError::NotInOutbox(id));
        }
        Ok(())
    }

    /// Puts off captures that were not tried because the service could not be reached:
    /// due again at `retry_at`, their attempts unchanged. One transaction.
    pub fn defer_uploads(
        &mut self,
        ids: &[Uuid],
        why: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE outbox SET last_error = ?2, next_attempt_at = ?3
                 WHERE capture_id = ?1 AND uploaded_at IS NULL AND permanent_error = 0",
            )?;
            for id in ids {
                stmt.execute(params![id.to_string(), why, utc_text(retry_at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Captures the service refused for good, with why (for staff).
    pub fn outbox_failures(&self) -> Result<Vec<(Uuid, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT capture_id, coalesce(last_error, '') FROM outbox
             WHERE uploaded_at IS NULL AND permanent_error = 1 ORDER BY enqueued_at",
        )?;
        let rows = stmt.query_map([], |r| Ok((uuid_at(r, 0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Puts the failed uploads back in line (after staff fixed the cause). Returns how many.
    pub fn retry_failed_uploads(&mut self) -> Result<u64, StoreError> {
        Ok(self.conn.execute(
            "UPDATE outbox SET permanent_error = 0, next_attempt_at = NULL
             WHERE uploaded_at IS NULL AND permanent_error = 1",
            [],
        )? as u64)
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE uploaded_at IS NULL),
                    count(*) FILTER (WHERE uploaded_at IS NOT NULL),
                    count(*) FILTER (WHERE uploaded_at IS NULL AND permanent_error = 1),
                    max(uploaded_at)
             FROM outbox",
            [],
            |r| {
                Ok(OutboxCounts {
                    pending: r.get::<_, i64>(0)? as u64,
                    uploaded: r.get::<_, i64>(1)? as u64,
                    failed: r.get::<_, i64>(2)? as u64,
                    last_upload: r.get(3)?,
                })
            },
        )?)
    }

    /// Deletes the photo files of captures the service received more than `keep` before
    /// `now` (the row stays, marked). Returns how many files were deleted. Photos still
    /// waiting for their receipt are never touched.
    pub fn prune_uploaded_photos(
        &mut self,
        now: DateTime<Utc>,
        keep: std::time::Duration,
    ) -> Result<usize, StoreError> {
        let cutoff =
            utc_text(now - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX));
        let due: Vec<(String, String)> = {
            let mut stmt = self.conn.prepare(
                "SELECT c.id, c.photo_file FROM captures c JOIN outbox o ON o.capture_id = c.id
                 WHERE o.uploaded_at IS NOT NULL AND o.uploaded_at < ?1
                   AND o.receipt_sha256 = c.photo_sha256 AND c.photo_deleted_at IS NULL",
            )?;
            stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (id, file) in &due {
            let path = self.data_dir.join(file);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("cannot delete", &path, e)),
            }
            self.conn.execute(
                "UPDATE captures SET photo_deleted_at = ?2 WHERE id = ?1",
                params![id, super::now_text()],
            )?;
        }
        if !due.is_empty() {
            self.audit(
                "system",
                "photos.pruned",
                None,
                &serde_json::json!({ "count": due.len(), "retention_secs": keep.as_secs() }),
            )?;
        }
        Ok(due.len())
    }

    /// Deletes what the kiosk no longer needs once the collection is over: the roster; of
    /// every capture the service confirmed (receipt of its very photo), the photo file and
    /// the candidate's name and mobile number (its id, admission number, level and review
    /// state stay, for the audit and "already captured"); and everything in `orphans/`.
    /// Captures without a receipt are kept whole. Deleted rows are overwritten in the
    /// database file and the write-ahead log is emptied, so the data is not left in free
    /// pages. Running it again deletes nothing more.
    pub fn purge(&mut self) -> Result<Purged, StoreError> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let photos = self.prune_uploaded_photos(Utc::now(), std::time::Duration::ZERO)? as u64;
        let tx = self.conn.transaction()?;
        let captures = tx.execute(
            "UPDATE captures SET name = '', mobile = ''
             WHERE (name != '' OR mobile != '') AND id IN (
                 SELECT o.capture_id FROM outbox o JOIN captures c ON c.id = o.capture_id
                 WHERE o.uploaded_at IS NOT NULL AND o.receipt_sha256 = c.photo_sha256)",
            [],
        )? as u64;
        let roster_entries = tx.execute("DELETE FROM roster", [])? as u64;
        tx.execute("DELETE FROM roster_source", [])?;
        let orphans_dir = self.data_dir.join(super::ORPHANS);
        let mut orphans = 0;
        for f in std::fs::read_dir(&orphans_dir)
            .map_err(|e| StoreError::io("cannot read", &orphans_dir, e))?
            .flatten()
        {
            let path = f.path();
            let gone = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            gone.map_err(|e| StoreError::io("cannot delete", &path, e))?;
            orphans += 1;
        }
        let purged = Purged {
            roster_entries,
            captures,
            photos,
            orphans,
        };
        if purged != Purged::default() {
            super::audit::append(
                &tx,
                &super::now_text(),
                "system",
                "data.purged",
                None,
                &serde_json::json!({
                    "roster_entries": roster_entries,
                    "captures": captures,
                    "photos": photos,
                    "orphans": orphans,
                })
                .to_string(),
            )?;
        }
        tx.commit()?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(purged)
    }

    /// Captures without a receipt (refused ones too), oldest first; with `all`, every
    /// capture whose photo is still on the kiosk.
    pub fn unsent_captures(&self, all: bool) -> Result<Vec<Uuid>, StoreError> {
        let sql = if all {
            "SELECT c.id FROM captures c WHERE c.photo_deleted_at IS NULL ORDER BY c.accepted_at, c.id"
        } else {
            "SELECT o.capture_id FROM outbox o WHERE o.uploaded_at IS NULL
             ORDER BY o.enqueued_at, o.capture_id"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| uuid_at(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
