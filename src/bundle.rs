//! Offline hand-over on a USB stick, for sites without network for days: `export` writes
//! the captures the service has not confirmed as a bundle (each capture as the very body
//! it would upload, plus a manifest with the sha256s); the central service takes it in
//! with `central import-bundle`, as idempotently as over the API. The service's receipts
//! and review decisions come back the same way (`capture-central export-decisions`,
//! `import-decisions`), so that the kiosk marks exactly the captures the service holds.

use crate::store::{Store, StoreError};
use capture_durable::write_file;
use capture_protocol::{
    BUNDLE_FORMAT, BundleEntry, BundleManifest, DECISIONS_FORMAT, DecisionsFile,
};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a decisions file of capture-kiosk: {why}")]
    NotDecisions { path: PathBuf, why: String },
    #[error(
        "no decisions for this kiosk ({kiosk}) in {dir}: expected decisions-{kiosk}.json \
         (`capture-central export-decisions` writes it); found {found}"
    )]
    NoDecisions {
        kiosk: String,
        dir: PathBuf,
        found: String,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BundleError {
    let path = path.to_owned();
    move |source| BundleError::Io { what, path, source }
}

/// What `export` wrote.
#[derive(Debug)]
pub struct Exported {
    pub folder: PathBuf,
    pub captures: usize,
    /// Captures left out because their photo on the kiosk is damaged or gone: (id, why).
    pub damaged: Vec<(uuid::Uuid, String)>,
}

/// Writes a bundle folder `<kiosk>-<YYYYMMDD-HHMMSS>` inside `to`: the captures without a
/// receipt (every one with its photo still here, with `all`).
pub fn export(store: &Store, kiosk: &str, to: &Path, all: bool) -> Result<Exported, BundleError> {
    let now = chrono::Local::now();
    let folder = to.join(format!("{kiosk}-{}", now.format("%Y%m%d-%H%M%S")));
    let captures_dir = folder.join("captures");
    std::fs::create_dir_all(&captures_dir).map_err(io("cannot create", &captures_dir))?;
    let mut manifest = BundleManifest {
        format: BUNDLE_FORMAT.into(),
        kiosk: kiosk.into(),
        created_at: now
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        captures: Vec::new(),
    };
    let mut damaged = Vec::new();
    for id in store.unsent_captures(all)? {
        let upload = match store.upload_for(id) {
            Ok(u) => u,
            Err(e @ StoreError::PhotoDamaged { .. }) => {
                damaged.push((id, e.to_string()));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let file = format!("captures/{id}.json");
        let path = folder.join(&file);
        let body = serde_json::to_vec(&upload).expect("an upload serialises");
        write_file(&path, &body).map_err(io("cannot write", &path))?;
        manifest.captures.push(BundleEntry {
            id,
            file,
            sha256: upload.sha256,
        });
    }
    // The manifest last: a bundle with a manifest is complete. Every file (and with it its
    // folder) is durable before the stick is pulled.
    let path = folder.join("manifest.json");
    let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    write_file(&path, &text).map_err(io("cannot write", &path))?;
    capture_durable::sync_dir(to).map_err(io("cannot sync", to))?;
    store.audit(
        "staff",
        "bundle.exported",
        None,
        &serde_json::json!({ "captures": manifest.captures.len(), "all": all }),
    )?;
    Ok(Exported {
        folder,
        captures: manifest.captures.len(),
        damaged,
    })
}

/// What `import_decisions` applied.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DecisionsImported {
    /// Captures now counted as delivered (their receipt matched).
    pub receipts: usize,
    /// Receipts that did not match the photo here (not marked; the capture stays waiting).
    pub mismatched: usize,
    pub decisions: usize,
}

/// Applies `decisions-<kiosk>.json` from `dir`: the receipts (as if the upload had been
/// answered) and the decisions after the ones already applied.
pub fn import_decisions(
    store: &mut Store,
    kiosk: &str,
    dir: &Path,
) -> Result<DecisionsImported, BundleError> {
    let path = dir.join(format!("decisions-{kiosk}.json"));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let found: Vec<String> = std::fs::read_dir(dir)
                .map_err(io("cannot read", dir))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("decisions-"))
                .collect();
            return Err(BundleError::NoDecisions {
                kiosk: kiosk.into(),
                dir: dir.into(),
                found: if found.is_empty() {
                    "none".into()
                } else {
                    found.join(", ")
                },
            });
        }
        Err(e) => return Err(io("cannot read", &path)(e)),
    };
    let file: DecisionsFile =
        serde_json::from_slice(&bytes).map_err(|e| BundleError::NotDecisions {
            path: path.clone(),
            why: e.to_string(),
        })?;
    if file.format != DECISIONS_FORMAT || file.kiosk != kiosk {
        return Err(BundleError::NotDecisions {
            path,
            why: format!("format {:?} for kiosk {:?}", file.format, file.kiosk),
        });
    }
    let mut done = DecisionsImported::default();
    let waiting: std::collections::HashSet<uuid::Uuid> =
        store.unsent_captures(false)?.into_iter().collect();
    for receipt in file.receipts.iter().filter(|r| waiting.contains(&r.id)) {
        match store.mark_uploaded(receipt.id, receipt) {
            Ok(()) => done.receipts += 1,
            Err(StoreError::ReceiptMismatch { .. }) => done.mismatched += 1,
            Err(e) => return Err(e.into()),
        }
    }
    let cursor = store.decisions_cursor()?;
    let new: Vec<_> = file
        .decisions
        .into_iter()
        .filter(|d| d.seq > cursor)
        .collect();
    if let Some(last) = new.last() {
        let last = last.seq;
        done.decisions = store.apply_decisions(&new, last)?;
    }
    Ok(done)
}
