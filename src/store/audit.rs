//! The audit log as a hash chain: each entry carries the hash of the one before it, and its
//! own hash covers that, its id and every field. `capture-kiosk audit verify` walks the
//! chain: an entry edited, inserted or deleted in the middle shows as the first link that
//! does not hold. (An entry cut off at the end, or the whole log rewritten by someone who
//! can write the database, shows only against a copy held elsewhere: the central service's,
//! once entries travel with the captures.)

use rusqlite::{Connection, OptionalExtension, params};

/// The hash an entry carries: sha256 (hex) of the JSON array of the previous entry's hash
/// ("" for the first), its id and its fields — one encoding, no field can bleed into the
/// next.
fn link(
    prev: &str,
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    capture_id: Option<&str>,
    detail: &str,
) -> String {
    let encoded = serde_json::json!([prev, id, at, actor, action, capture_id, detail]).to_string();
    capture_protocol::sha256_hex(encoded.as_bytes())
}

/// Appends an entry, chained to the last one (in the caller's transaction, if any).
pub(crate) fn append(
    conn: &Connection,
    at: &str,
    actor: &str,
    action: &str,
    capture_id: Option<&str>,
    detail: &str,
) -> rusqlite::Result<()> {
    let last: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (id, prev) = match last {
        Some((id, hash)) => (id + 1, hash.unwrap_or_default()),
        None => (1, String::new()),
    };
    let hash = link(&prev, id, at, actor, action, capture_id, detail);
    conn.execute(
        "INSERT INTO audit (id, at, actor, action, capture_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, at, actor, action, capture_id, detail, prev, hash],
    )?;
    Ok(())
}

/// Chains the entries an older capture-kiosk wrote without hashes (at opening, after the
/// migration that added them); returns how many.
pub(crate) fn chain_unhashed(conn: &Connection) -> rusqlite::Result<usize> {
    let first: Option<i64> =
        conn.query_row("SELECT min(id) FROM audit WHERE hash IS NULL", [], |r| {
            r.get(0)
        })?;
    let Some(first) = first else { return Ok(0) };
    let mut prev: String = conn
        .query_row(
            "SELECT hash FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT 1",
            [first],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten()
        .unwrap_or_default();
    let rows: Vec<Entry> = {
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, capture_id, detail FROM audit WHERE id >= ?1 ORDER BY id",
        )?;
        stmt.query_map([first], entry)?
            .collect::<rusqlite::Result<_>>()?
    };
    for e in &rows {
        let hash = e.link(&prev);
        conn.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            params![e.id, prev, hash],
        )?;
        prev = hash;
    }
    Ok(rows.len())
}

struct Entry {
    id: i64,
    at: String,
    actor: String,
    action: String,
    capture_id: Option<String>,
    detail: String,
}

impl Entry {
    /// The hash this entry carries after `prev`.
    fn link(&self, prev: &str) -> String {
        link(
            prev,
            self.id,
            &self.at,
            &self.actor,
            &self.action,
            self.capture_id.as_deref(),
            &self.detail,
        )
    }
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        capture_id: r.get(4)?,
        detail: r.get(5)?,
    })
}

/// What walking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The last entry's hash ("" for an empty log).
    pub head: String,
    /// The first entry (by id) whose link does not hold, and why.
    pub broken: Option<(i64, &'static str)>,
}

/// Walks the whole chain from the first entry.
pub(crate) fn verify(conn: &Connection) -> rusqlite::Result<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, capture_id, detail, prev_hash, hash FROM audit ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let (mut entries, mut prev, mut expected_id) = (0u64, String::new(), 1i64);
    while let Some(r) = rows.next()? {
        let e = entry(r)?;
        let (prev_hash, hash): (Option<String>, Option<String>) = (r.get(6)?, r.get(7)?);
        entries += 1;
        let broken = |why| {
            Ok(ChainReport {
                entries,
                head: prev.clone(),
                broken: Some((e.id, why)),
            })
        };
        if e.id != expected_id {
            return broken("an entry before it is missing (deleted)");
        }
        if prev_hash.as_deref() != Some(prev.as_str()) {
            return broken("it does not name the entry before it (inserted or replaced)");
        }
        let own = e.link(&prev);
        if hash.as_deref() != Some(own.as_str()) {
            return broken("its fields are not the ones it was written with (edited)");
        }
        prev = own;
        expected_id += 1;
    }
    Ok(ChainReport {
        entries,
        head: prev,
        broken: None,
    })
}
