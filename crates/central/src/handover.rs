//! What the central office hands over and takes in as files: every approved photo for the
//! exam office (`export_approved`), the bundles offline kiosks write on a USB stick
//! (`import_bundle`, as idempotent as the API), and each kiosk's receipts and decisions to
//! carry back (`export_decisions`). Every file is written durably.

use crate::store::{Central, CentralError, HeldCapture, Stored, io, now, write_durably};
use capture_protocol::CaptureUpload;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The hand-over to the exam office: every approved photo as `<admission_no>.jpg` (or
/// `<admission_no>-<level>.jpg` for a candidate approved at several levels; the latest
/// approval of a candidate and level wins) and `manifest.csv`. Each photo is checked
/// against the sha256 received before it is written. Returns the photos written.
pub fn export_approved(central: &Central, to: &Path) -> Result<usize, CentralError> {
    std::fs::create_dir_all(to).map_err(|e| io("cannot create", to, e))?;
    let mut latest: std::collections::BTreeMap<(String, String), HeldCapture> = Default::default();
    for held in central.approved()? {
        latest.insert(
            (held.admission_no.clone(), held.education_level.clone()),
            held,
        );
    }
    let mut levels: std::collections::HashMap<&str, usize> = Default::default();
    for (no, _) in latest.keys() {
        *levels.entry(no).or_default() += 1;
    }
    let mut manifest = csv::Writer::from_writer(Vec::new());
    let header = [
        "admission_no",
        "name",
        "education_level",
        "kiosk",
        "taken_at",
        "reviewed_at",
        "sha256",
        "file",
    ];
    manifest.write_record(header).expect("writing to memory");
    for ((no, level), held) in &latest {
        let file = if levels[no.as_str()] > 1 {
            // Levels are short roster text; keep only what is safe in a file name.
            let level: String = level
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '_' })
                .collect();
            format!("{no}-{level}.jpg")
        } else {
            format!("{no}.jpg")
        };
        let source = central.dir.join(&held.photo_file);
        let jpeg = std::fs::read(&source).map_err(|e| io("cannot read", &source, e))?;
        if capture_protocol::sha256_hex(&jpeg) != held.sha256 {
            return Err(io(
                "the photo is not the one received",
                &source,
                std::io::Error::other("sha256 differs"),
            ));
        }
        write_durably(&to.join(&file), &jpeg)?;
        manifest
            .write_record([
                no.as_str(),
                &held.name,
                level,
                &held.kiosk,
                &held.taken_at,
                held.reviewed_at.as_deref().unwrap_or_default(),
                &held.sha256,
                &file,
            ])
            .expect("writing to memory");
    }
    let manifest = manifest.into_inner().expect("writing to memory");
    write_durably(&to.join("manifest.csv"), &manifest)?;
    Ok(latest.len())
}

/// What importing one bundle did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BundleImport {
    pub kiosk: String,
    pub created: usize,
    pub repeated: usize,
    /// The id is held with other bytes: not taken.
    pub conflicts: Vec<Uuid>,
    /// Unreadable, malformed or not matching the manifest: not taken, with why.
    pub damaged: Vec<(String, String)>,
}

/// Takes in an offline bundle written by `capture-kiosk export`, with the same
/// idempotency as the API: a capture held already is counted, never stored twice.
pub fn import_bundle(central: &mut Central, bundle: &Path) -> Result<BundleImport, CentralError> {
    use capture_protocol::{BUNDLE_FORMAT, BundleManifest};
    let path = bundle.join("manifest.json");
    let text = std::fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
    let manifest: BundleManifest = serde_json::from_slice(&text).map_err(|e| {
        io(
            "not a bundle manifest",
            &path,
            std::io::Error::other(e.to_string()),
        )
    })?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(io(
            "unknown bundle format",
            &path,
            std::io::Error::other(manifest.format),
        ));
    }
    let known = central.kiosks()?.iter().any(|k| k.name == manifest.kiosk);
    if !known {
        return Err(CentralError::UnknownKiosk(manifest.kiosk));
    }
    let mut report = BundleImport {
        kiosk: manifest.kiosk.clone(),
        ..Default::default()
    };
    for entry in &manifest.captures {
        let file = bundle.join(&entry.file);
        let checked = std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<CaptureUpload>(&b).map_err(|e| e.to_string()))
            .and_then(|u| {
                let photo = u.verified_photo(entry.id).map_err(|e| e.to_string())?;
                if u.sha256 != entry.sha256 {
                    return Err("the photo is not the one the manifest names".to_string());
                }
                Ok((u, photo))
            });
        match checked {
            Ok((upload, photo)) => match central.put_capture(&manifest.kiosk, &upload, &photo)? {
                Stored::Created(_) => report.created += 1,
                Stored::Repeated(_) => report.repeated += 1,
                Stored::Conflict(_) => report.conflicts.push(entry.id),
            },
            Err(why) => report.damaged.push((entry.file.clone(), why)),
        }
    }
    Ok(report)
}

/// Writes `decisions-<kiosk>.json` for each of `kiosks` into `to`; returns the files.
pub fn export_decisions(
    central: &Central,
    kiosks: &[String],
    to: &Path,
) -> Result<Vec<PathBuf>, CentralError> {
    use capture_protocol::{DECISIONS_FORMAT, DecisionsFile};
    std::fs::create_dir_all(to).map_err(|e| io("cannot create", to, e))?;
    let mut written = Vec::new();
    for kiosk in kiosks {
        let file = DecisionsFile {
            format: DECISIONS_FORMAT.into(),
            kiosk: kiosk.clone(),
            created_at: now(),
            receipts: central.receipts_of(kiosk)?,
            decisions: central
                .decisions_since(kiosk, 0, i64::MAX as usize)?
                .decisions,
        };
        let path = to.join(format!("decisions-{kiosk}.json"));
        write_durably(
            &path,
            &serde_json::to_vec_pretty(&file).expect("serialises"),
        )?;
        written.push(path);
    }
    Ok(written)
}
