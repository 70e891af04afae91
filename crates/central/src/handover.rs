//! What the central office hands over and takes in as files: every approved photo for the
//! exam office (`export_approved`), the bundles offline kiosks write on a USB stick
//! (`import_bundle`, as idempotent as the API), and each kiosk's receipts and decisions to
//! carry back (`export_decisions`). Every file is written durably.

use crate::store::{Central, CentralError, HeldCapture, Stored, io, now, write_durably};
use capture_protocol::CaptureUpload;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// What an export wrote: the photos, and the approved captures left out, each with why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Export {
    pub written: usize,
    pub skipped: Vec<(Uuid, String)>,
}

/// The longest admission number written as a file name.
const MAX_NAME: usize = 32;

/// The hand-over to the exam office: every approved photo as `<admission_no>.jpg` (or
/// `<admission_no>-<level>.jpg` for a candidate approved at several levels; the latest
/// approval of a candidate and level wins) and `manifest.csv`. Each photo is checked
/// against the sha256 received before it is written.
///
/// What a kiosk sent is not trusted: a file name is made only of an admission number of
/// ASCII letters and digits (at most MAX_NAME), so nothing is written outside `to`; every
/// manifest cell that a spreadsheet would run as a formula is escaped; a capture that cannot
/// be written (such a number, a missing photo, a photo whose sha256 differs) is left out and
/// listed, and the rest is exported all the same.
pub fn export_approved(central: &Central, to: &Path) -> Result<Export, CentralError> {
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
    let mut export = Export::default();
    for ((no, level), held) in &latest {
        let safe = |text: &str| {
            !text.is_empty()
                && text.len() <= MAX_NAME
                && text.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if !safe(no) {
            export.skipped.push((
                held.id,
                format!(
                    "the admission number is not a file name (only ASCII letters and digits, \
                     at most {MAX_NAME}): not written"
                ),
            ));
            continue;
        }
        let file = if levels[no.as_str()] > 1 {
            // Levels are short roster text; keep only what is safe in a file name.
            let level: String = level
                .chars()
                .take(MAX_NAME)
                .map(|c| if c.is_alphanumeric() { c } else { '_' })
                .collect();
            format!("{no}-{level}.jpg")
        } else {
            format!("{no}.jpg")
        };
        let source = central.dir.join(&held.photo_file);
        let jpeg = match std::fs::read(&source) {
            Ok(jpeg) if capture_protocol::sha256_hex(&jpeg) == held.sha256 => jpeg,
            Ok(_) => {
                export.skipped.push((
                    held.id,
                    "the stored photo is not the one received (sha256 differs): not written".into(),
                ));
                continue;
            }
            Err(e) => {
                export
                    .skipped
                    .push((held.id, format!("the stored photo cannot be read: {e}")));
                continue;
            }
        };
        write_durably(&to.join(&file), &jpeg)?;
        manifest
            .write_record(
                [
                    no.as_str(),
                    &held.name,
                    level,
                    &held.kiosk,
                    &held.taken_at,
                    held.reviewed_at.as_deref().unwrap_or_default(),
                    &held.sha256,
                    &file,
                ]
                .map(|cell| inert_cell(cell).into_owned()),
            )
            .expect("writing to memory");
        export.written += 1;
    }
    let manifest = manifest.into_inner().expect("writing to memory");
    write_durably(&to.join("manifest.csv"), &manifest)?;
    Ok(export)
}

/// A manifest cell a spreadsheet shows as text: one that begins as a formula would
/// (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP's advice on
/// CSV injection says.
fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
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
        // A bundle names its own files, and only as the kiosk writes them: nothing outside
        // the bundle is ever read.
        if entry.file != format!("captures/{}.json", entry.id) {
            let shown: String = entry.file.chars().take(80).collect();
            report.damaged.push((
                format!("{shown:?}"),
                format!(
                    "not a bundle entry's name (captures/{}.json): not read",
                    entry.id
                ),
            ));
            continue;
        }
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
                Stored::OverQuota(why) => report.damaged.push((entry.file.clone(), why)),
                Stored::NotOnRoster { version } => report.damaged.push((
                    entry.file.clone(),
                    format!(
                        "the candidate is not on roster version {version}, the newest \
                         published for kiosk {}: not stored",
                        manifest.kiosk
                    ),
                )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use capture_protocol::{BUNDLE_FORMAT, BundleEntry, BundleManifest, Verdict};

    fn approved(c: &mut Central, no: &str, name: &str, photo: &[u8]) -> Uuid {
        let mut u = CaptureUpload::sample(photo);
        u.admission_no = no.into();
        u.name = name.into();
        c.put_capture("a", &u, photo).unwrap();
        c.decide(u.id, Verdict::Approved, None, "r").unwrap();
        u.id
    }

    #[test]
    fn an_export_writes_nothing_outside_its_folder_runs_no_formula_and_lists_what_it_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(&dir.path().join("central")).unwrap();
        c.add_kiosk("a").unwrap();
        let good = approved(
            &mut c,
            "000011110001",
            "=HYPERLINK(\"http://x\",\"ok\")",
            b"one",
        );
        let climbing = approved(&mut c, "../../outside", "王小明", b"two");
        let huge = approved(&mut c, &"1".repeat(100_000), "王小明", b"three");
        let slashed = approved(&mut c, "0000/1111", "王小明", b"four");
        let lost = approved(&mut c, "000011110005", "-1+1", b"five");
        std::fs::remove_file(
            dir.path()
                .join("central")
                .join("photos")
                .join(format!("{lost}.jpg")),
        )
        .unwrap();
        let tampered = approved(&mut c, "000011110006", "李四", b"six");
        std::fs::write(
            dir.path()
                .join("central")
                .join("photos")
                .join(format!("{tampered}.jpg")),
            b"not six",
        )
        .unwrap();

        let to = dir.path().join("out").join("handover");
        let export = export_approved(&c, &to).unwrap();
        assert_eq!(export.written, 1);
        let skipped: Vec<Uuid> = export.skipped.iter().map(|(id, _)| *id).collect();
        for id in [climbing, huge, slashed, lost, tampered] {
            assert!(skipped.contains(&id), "{id} listed: {:?}", export.skipped);
        }
        assert_eq!(skipped.len(), 5);
        assert!(!skipped.contains(&good));
        // Only the hand-over folder was written to, and only the good photo and the manifest.
        let mut written: Vec<String> = std::fs::read_dir(&to)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(written, ["000011110001.jpg", "manifest.csv"]);
        let beside: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(beside.len(), 1, "nothing written beside the folder");
        assert!(!dir.path().join("outside.jpg").exists());
        assert_eq!(std::fs::read(to.join("000011110001.jpg")).unwrap(), b"one");
        // The manifest's formula is text; the row is the one photo written.
        let manifest = std::fs::read_to_string(to.join("manifest.csv")).unwrap();
        let rows: Vec<&str> = manifest.lines().collect();
        assert_eq!(rows.len(), 2, "{manifest}");
        assert!(
            rows[1].starts_with("000011110001,\"'=HYPERLINK("),
            "{manifest}"
        );
        assert_eq!(inert_cell("+1"), "'+1");
        assert_eq!(inert_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert_cell("\tx"), "'\tx");
        assert_eq!(inert_cell("王小明"), "王小明");
        assert_eq!(inert_cell(""), "");
    }

    #[test]
    fn a_bundle_entry_that_points_outside_the_bundle_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(&dir.path().join("central")).unwrap();
        c.add_kiosk("a").unwrap();
        // A capture body lying outside the bundle, and one inside under another name.
        let outside = CaptureUpload::sample(b"outside");
        std::fs::write(
            dir.path().join("secret.json"),
            serde_json::to_vec(&outside).unwrap(),
        )
        .unwrap();
        let bundle = dir.path().join("bundle");
        std::fs::create_dir_all(bundle.join("captures")).unwrap();
        let renamed = CaptureUpload::sample(b"renamed");
        std::fs::write(
            bundle.join("captures").join("other.json"),
            serde_json::to_vec(&renamed).unwrap(),
        )
        .unwrap();
        let fine = CaptureUpload::sample(b"fine");
        std::fs::write(
            bundle.join("captures").join(format!("{}.json", fine.id)),
            serde_json::to_vec(&fine).unwrap(),
        )
        .unwrap();
        let entry = |u: &CaptureUpload, file: String| BundleEntry {
            id: u.id,
            file,
            sha256: u.sha256.clone(),
        };
        let manifest = BundleManifest {
            format: BUNDLE_FORMAT.into(),
            kiosk: "a".into(),
            created_at: now(),
            captures: vec![
                entry(&outside, "../secret.json".into()),
                entry(&renamed, "captures/other.json".into()),
                entry(&fine, format!("captures/{}.json", fine.id)),
            ],
        };
        std::fs::write(
            bundle.join("manifest.json"),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
        let report = import_bundle(&mut c, &bundle).unwrap();
        assert_eq!(report.created, 1);
        assert_eq!(report.damaged.len(), 2, "{:?}", report.damaged);
        assert!(report.damaged[0].0.contains("../secret.json"));
        assert!(c.receipt(outside.id).unwrap().is_none());
        assert!(c.receipt(renamed.id).unwrap().is_none());
        assert!(c.receipt(fine.id).unwrap().is_some());
    }
}
