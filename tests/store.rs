//! The store on a real SQLite file and real photo files: accepting captures, statuses, and
//! what a crash leaves behind. Crashes are real: a child process (this test binary, run
//! again) aborts at a crash point or is killed with SIGKILL.

use capture_core::candidate::CandidateStatus;
use capture_core::identity::{AdmissionNumber, MobileNumber};
use capture_core::roster::RosterEntry;
use capture_kiosk::failpoint;
use capture_kiosk::store::{NewCapture, Store};
use chrono::Local;
use std::path::Path;
use std::process::{Command, Stdio};
use uuid::Uuid;

fn entry(no: &str, level: &str) -> RosterEntry {
    RosterEntry {
        admission_no: AdmissionNumber::parse(no, 12).unwrap(),
        name: "王小明".into(),
        education_level: level.into(),
        phone: None,
    }
}

fn mobile() -> MobileNumber {
    MobileNumber::parse("13800000001").unwrap()
}

fn jpeg(seed: u8) -> Vec<u8> {
    // A real (small) JPEG; the store does not look inside, but keep it honest.
    let img = image::RgbImage::from_fn(48, 64, |x, y| image::Rgb([seed, x as u8, y as u8]));
    capture_core::photo::encode_jpeg(&img, 300).unwrap()
}

fn accept(
    store: &mut Store,
    id: Uuid,
    e: &RosterEntry,
    photo: &[u8],
) -> capture_kiosk::store::StoredCapture {
    let m = mobile();
    store
        .accept_capture(&NewCapture {
            id,
            entry: e,
            mobile: &m,
            profile: "bj-degree",
            taken_at: chrono::Utc::now(),
            retakes: 0,
            jpeg: photo,
            checks: &[],
            staff_override: None,
        })
        .unwrap()
}

fn count(dir: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join("kiosk.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn photo_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for day in std::fs::read_dir(dir.join("photos")).unwrap().flatten() {
        if day.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        files.extend(
            std::fs::read_dir(day.path())
                .unwrap()
                .flatten()
                .map(|f| f.path()),
        );
    }
    files
}

#[test]
fn accepting_stores_photo_capture_outbox_and_audit_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let e = entry("000011110001", "本科");
    let photo = jpeg(1);
    let id = Uuid::new_v4();
    let stored = accept(&mut store, id, &e, &photo);
    assert_eq!(
        std::fs::read(dir.path().join(&stored.photo_file)).unwrap(),
        photo
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM captures"), 1);
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM outbox WHERE uploaded_at IS NULL"
        ),
        1
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM audit WHERE action = 'capture.accepted'"
        ),
        1
    );
    assert!(store.check_integrity().unwrap().is_sound());
    let stats = store.stats(Local::now().date_naive()).unwrap();
    assert_eq!((stats.captures_today, stats.pending_uploads), (1, 1));
}

/// The mode bits of `path` (0o777 part).
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_data_directory_is_its_users_only_whatever_the_umask() {
    // This test process has the usual umask (022): the store does not rely on the kiosk
    // binary's own (077).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut store = Store::open(&data).unwrap();
    let stored = accept(
        &mut store,
        Uuid::new_v4(),
        &entry("000011110001", "本科"),
        &jpeg(1),
    );
    let photo = data.join(&stored.photo_file);
    for folder in [
        data.clone(),
        data.join("photos"),
        photo.parent().unwrap().to_owned(),
        data.join("orphans"),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    for file in [photo, data.join("kiosk.db"), data.join("kiosk.db-wal")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn the_staff_pin_lock_out_is_kept_as_a_wall_clock_time_across_opening() {
    use capture_core::session::PinRecord;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.pin_record().unwrap(), PinRecord::default());
    assert_eq!(store.staff_pin_hash().unwrap(), None);
    store
        .save_pin_record(&PinRecord {
            failures: 0,
            lockouts: 2,
            locked_for: Some(Duration::from_secs(120)),
        })
        .unwrap();
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    let kept = store.pin_record().unwrap();
    assert_eq!((kept.failures, kept.lockouts), (0, 2));
    let left = kept.locked_for.unwrap();
    assert!(
        left <= Duration::from_secs(120) && left > Duration::from_secs(100),
        "{left:?}"
    );
    store
        .save_pin_record(&PinRecord {
            failures: 2,
            lockouts: 0,
            locked_for: None,
        })
        .unwrap();
    assert_eq!(store.pin_record().unwrap().locked_for, None);
    // A new PIN starts with a clean slate.
    store
        .set_staff_pin_hash("$argon2id$v=19$m=19456,t=2,p=1$x$y")
        .unwrap();
    assert_eq!(store.pin_record().unwrap(), PinRecord::default());
    assert!(
        store
            .staff_pin_hash()
            .unwrap()
            .unwrap()
            .starts_with("$argon2id$")
    );
}

#[test]
fn the_audit_log_is_a_chain_that_shows_an_edited_inserted_or_deleted_entry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    for i in 0..3u8 {
        accept(
            &mut store,
            Uuid::new_v4(),
            &entry("000011110001", "本科"),
            &jpeg(i),
        );
    }
    store
        .audit("staff", "staff.signed_in", None, &serde_json::json!({}))
        .unwrap();
    let report = store.verify_audit().unwrap();
    assert_eq!((report.entries, report.broken), (4, None));
    assert_eq!(report.head.len(), 64);
    drop(store);

    // Each tampering on its own copy of the data directory.
    let tampered = |name: &str, sql: &str| -> capture_kiosk::store::ChainReport {
        let copy = dir.path().join(name);
        std::fs::create_dir(&copy).unwrap();
        for f in ["kiosk.db", "kiosk.db-wal"] {
            if data.join(f).exists() {
                std::fs::copy(data.join(f), copy.join(f)).unwrap();
            }
        }
        rusqlite::Connection::open(copy.join("kiosk.db"))
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        Store::open(&copy).unwrap().verify_audit().unwrap()
    };
    let edited = tampered("edited", "UPDATE audit SET actor = 'staff' WHERE id = 2;");
    assert_eq!(
        edited.broken,
        Some((
            2,
            "its fields are not the ones it was written with (edited)"
        ))
    );
    let deleted = tampered("deleted", "DELETE FROM audit WHERE id = 2;");
    assert_eq!(
        deleted.broken,
        Some((3, "an entry before it is missing (deleted)"))
    );
    let inserted = tampered(
        "inserted",
        "UPDATE audit SET id = id + 1000 WHERE id >= 2;
         UPDATE audit SET id = id - 999 WHERE id >= 1002;
         INSERT INTO audit (id, at, actor, action, detail, prev_hash, hash)
             VALUES (2, '2026-12-04T00:00:00.000Z', 'staff', 'capture.override', '{}', 'x', 'y');",
    );
    assert_eq!(
        inserted.broken,
        Some((
            2,
            "it does not name the entry before it (inserted or replaced)"
        ))
    );
    // Rewriting an entry's hash to match its edit breaks the next link instead.
    let rehashed = tampered(
        "rehashed",
        "UPDATE audit SET detail = '{\"forged\":1}', hash = 'f00' WHERE id = 2;",
    );
    assert_eq!(rehashed.broken.map(|b| b.0), Some(2));

    // A log written before the chain (no hashes) is chained when the store opens.
    let legacy = tampered("legacy", "UPDATE audit SET prev_hash = NULL, hash = NULL;");
    assert_eq!((legacy.entries, legacy.broken), (4, None));
}

#[test]
fn a_purge_leaves_no_confirmed_candidates_data_and_keeps_every_unsent_capture_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut store = Store::open(data).unwrap();
    let named = |no: &str, name: &str| RosterEntry {
        name: name.into(),
        ..entry(no, "本科")
    };
    store
        .replace_roster(&[named("000011110007", "欧阳锋")], "roster.csv")
        .unwrap();
    let sent: Vec<_> = ["慕容复", "段正淳"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let s = accept(
                &mut store,
                Uuid::new_v4(),
                &named(&format!("00001111000{i}"), name),
                &jpeg(i as u8),
            );
            store
                .mark_uploaded(
                    s.id,
                    &capture_protocol::Receipt {
                        id: s.id,
                        sha256: s.sha256.clone(),
                        received_at: "2026-11-21T02:00:00.000Z".into(),
                    },
                )
                .unwrap();
            s
        })
        .collect();
    let waiting = accept(
        &mut store,
        Uuid::new_v4(),
        &named("000011110005", "王小明"),
        &jpeg(9),
    );
    std::fs::write(data.join("orphans/left-behind.jpg"), b"old").unwrap();

    let purged = store.purge().unwrap();
    assert_eq!(
        (
            purged.roster_entries,
            purged.photos,
            purged.captures,
            purged.orphans
        ),
        (1, 2, 2, 1)
    );
    for s in &sent {
        assert!(!data.join(&s.photo_file).exists());
    }
    assert!(
        data.join(&waiting.photo_file).exists(),
        "an unsent capture is kept whole"
    );
    assert_eq!(
        count(data, "SELECT count(*) FROM captures"),
        3,
        "the records stay"
    );
    assert_eq!(
        count(
            data,
            "SELECT count(*) FROM captures WHERE name = '王小明' AND mobile != ''"
        ),
        1
    );
    assert_eq!(count(data, "SELECT count(*) FROM roster"), 0);
    assert_eq!(std::fs::read_dir(data.join("orphans")).unwrap().count(), 0);
    // Not left in the database file's free pages or its log either.
    let mut bytes = std::fs::read(data.join("kiosk.db")).unwrap();
    bytes.extend(std::fs::read(data.join("kiosk.db-wal")).unwrap_or_default());
    for gone in ["慕容复", "段正淳", "欧阳锋"] {
        let needle = gone.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{gone} is still in the database file"
        );
    }
    assert!(store.verify_audit().unwrap().broken.is_none());
    // Again: nothing more to delete.
    assert_eq!(
        store.purge().unwrap(),
        capture_kiosk::store::Purged::default()
    );
}

#[test]
fn accepting_the_same_capture_twice_stores_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let e = entry("000011110001", "本科");
    let id = Uuid::new_v4();
    let first = accept(&mut store, id, &e, &jpeg(1));
    let again = accept(&mut store, id, &e, &jpeg(1));
    assert_eq!(first, again);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM captures"), 1);
    let m = mobile();
    let other = jpeg(2);
    let conflict = store.accept_capture(&NewCapture {
        id,
        entry: &e,
        mobile: &m,
        profile: "bj-degree",
        taken_at: chrono::Utc::now(),
        retakes: 0,
        jpeg: &other,
        checks: &[],
        staff_override: None,
    });
    assert!(matches!(
        conflict,
        Err(capture_kiosk::store::StoreError::Conflict { .. })
    ));
}

#[test]
fn candidate_status_follows_captures_decisions_and_reopenings() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let e = entry("000011110001", "本科");
    let no = &e.admission_no;
    assert_eq!(
        store.candidate_status(no, "本科").unwrap(),
        CandidateStatus::NotCaptured
    );
    let id = Uuid::new_v4();
    accept(&mut store, id, &e, &jpeg(1));
    assert_eq!(
        store.candidate_status(no, "本科").unwrap(),
        CandidateStatus::AwaitingReview
    );
    assert_eq!(
        store.candidate_status(no, "专科").unwrap(),
        CandidateStatus::NotCaptured,
        "levels are separate"
    );
    store
        .record_decision(id, false, Some("背景不是蓝色"))
        .unwrap();
    assert_eq!(
        store.candidate_status(no, "本科").unwrap(),
        CandidateStatus::Rejected {
            reason: "背景不是蓝色".into()
        }
    );
    let second = Uuid::new_v4();
    accept(&mut store, second, &e, &jpeg(2));
    store.record_decision(second, true, None).unwrap();
    assert_eq!(
        store.candidate_status(no, "本科").unwrap(),
        CandidateStatus::Approved
    );
    std::thread::sleep(std::time::Duration::from_millis(5)); // reopening must be later than the capture
    store
        .reopen(no, "本科", "candidate lost the certificate photo")
        .unwrap();
    assert_eq!(
        store.candidate_status(no, "本科").unwrap(),
        CandidateStatus::Reopened
    );
}

#[test]
fn the_roster_is_replaced_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .replace_roster(
            &[entry("000011110001", "本科"), entry("000011110001", "专科")],
            "a.csv",
        )
        .unwrap();
    assert_eq!(
        store
            .find_roster(&AdmissionNumber::parse("000011110001", 12).unwrap())
            .unwrap()
            .len(),
        2
    );
    store
        .replace_roster(&[entry("000011110002", "本科")], "b.csv")
        .unwrap();
    assert!(
        store
            .find_roster(&AdmissionNumber::parse("000011110001", 12).unwrap())
            .unwrap()
            .is_empty()
    );
    let (_, source, n) = store.roster_source().unwrap().unwrap();
    assert_eq!((source.as_str(), n), ("b.csv", 1));
}

/// Runs this test binary again as a child that performs `role` (see `child_roles`).
fn run_child(test: &str, role: &str, dir: &Path, failpoint: Option<&str>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("STORE_TEST_CHILD", role)
        .env("STORE_TEST_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(fp) = failpoint {
        cmd.env(failpoint::ENV, fp);
    }
    cmd.spawn().unwrap()
}

/// In a child process: accept one capture, print its id, then wait to be killed — or, as
/// `accept-forever`, accept captures one after another until killed.
fn child_roles() -> bool {
    let Ok(role) = std::env::var("STORE_TEST_CHILD") else {
        return false;
    };
    let dir = std::path::PathBuf::from(std::env::var("STORE_TEST_DIR").unwrap());
    let mut store = Store::open_exclusive(&dir).unwrap();
    if role == "accept-forever" {
        let e = entry("000011110001", "本科");
        for n in 0u8.. {
            let stored = accept(&mut store, Uuid::new_v4(), &e, &jpeg(n));
            println!("committed {} {}", stored.id, stored.sha256);
        }
    }
    let id = Uuid::new_v4();
    let stored = accept(&mut store, id, &entry("000011110001", "本科"), &jpeg(7));
    println!("committed {} {}", stored.id, stored.sha256);
    if role == "accept-then-wait" {
        std::thread::sleep(std::time::Duration::from_secs(60)); // the parent kills it long before
    }
    true
}

#[test]
fn a_crash_between_photo_write_and_commit_leaves_no_capture_and_no_counted_orphan() {
    if child_roles() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let child = run_child(
        "a_crash_between_photo_write_and_commit_leaves_no_capture_and_no_counted_orphan",
        "accept",
        dir.path(),
        Some("store.after_photo_write"),
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "the child must have crashed at the crash point"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("committed"));
    assert_eq!(
        photo_files(dir.path()).len(),
        1,
        "the photo was written before the crash"
    );

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.recovery().orphans_moved, 1);
    assert!(
        photo_files(dir.path()).is_empty(),
        "no photo without a capture stays among the photos"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("orphans"))
            .unwrap()
            .count(),
        1,
        "kept aside for inspection"
    );
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM captures"),
        0,
        "no half capture"
    );
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM outbox"),
        0,
        "nothing queued for upload"
    );
    let stats = store.stats(Local::now().date_naive()).unwrap();
    assert_eq!(
        (stats.captures_total, stats.pending_uploads),
        (0, 0),
        "the orphan is not counted"
    );
    assert!(store.check_integrity().unwrap().is_sound());
    drop(store);
    assert_eq!(
        Store::open(dir.path()).unwrap().recovery().orphans_moved,
        0,
        "recovery happens once"
    );
}

#[test]
fn a_capture_committed_before_kill_dash_9_is_complete() {
    if child_roles() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = run_child(
        "a_capture_committed_before_kill_dash_9_is_complete",
        "accept-then-wait",
        dir.path(),
        None,
    );
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // libtest writes "test <name> ... " on the same line first.
    while !line.contains("committed ") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0,
            "the child ended without committing"
        );
    }
    child.kill().unwrap(); // SIGKILL, right after the commit returned
    child.wait().unwrap();
    let parts: Vec<&str> = line[line.find("committed ").unwrap()..]
        .split_whitespace()
        .collect();
    let id: Uuid = parts[1].parse().unwrap();

    let store = Store::open(dir.path()).unwrap();
    let stored = store
        .stored_capture(id)
        .unwrap()
        .expect("the capture survived");
    assert_eq!(stored.sha256, parts[2]);
    let bytes = std::fs::read(dir.path().join(&stored.photo_file)).unwrap();
    assert_eq!(capture_protocol::sha256_hex(&bytes), stored.sha256);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM outbox"), 1);
    assert_eq!(store.recovery().orphans_moved, 0);
    assert!(store.check_integrity().unwrap().is_sound());
}

#[test]
fn killing_the_kiosk_at_any_moment_leaves_every_capture_whole() {
    if child_roles() {
        return;
    }
    let name = "killing_the_kiosk_at_any_moment_leaves_every_capture_whole";
    let dir = tempfile::tempdir().unwrap();
    let mut reported = std::collections::HashMap::new();
    for round in 0..20u64 {
        let mut child = run_child(name, "accept-forever", dir.path(), None);
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            std::io::BufRead::lines(std::io::BufReader::new(stdout))
                .map_while(Result::ok)
                .filter_map(|l| {
                    let at = l.find("committed ")?;
                    let parts: Vec<String> = l[at..]
                        .split_whitespace()
                        .skip(1)
                        .map(str::to_string)
                        .collect();
                    Some((parts[0].parse::<Uuid>().ok()?, parts[1].clone()))
                })
                .collect::<Vec<_>>()
        });
        // Kill at a different moment each round: mid-write, mid-commit, between captures.
        std::thread::sleep(std::time::Duration::from_millis(40 + (round * 37) % 160));
        child.kill().unwrap();
        child.wait().unwrap();
        reported.extend(reader.join().unwrap());

        let store = Store::open(dir.path()).unwrap();
        assert!(store.check_integrity().unwrap().is_sound(), "round {round}");
        for (id, sha) in &reported {
            let stored = store
                .stored_capture(*id)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: {id} lost"));
            assert_eq!(&stored.sha256, sha);
        }
        let rows = count(dir.path(), "SELECT COUNT(*) FROM captures") as usize;
        // A capture may commit in the instant between its commit and its "committed" line.
        assert!(
            rows >= reported.len() && rows <= reported.len() + round as usize + 1,
            "round {round}"
        );
        assert_eq!(
            photo_files(dir.path()).len(),
            rows,
            "round {round}: one photo per capture, no orphan among them"
        );
        assert_eq!(
            count(dir.path(), "SELECT COUNT(*) FROM outbox") as usize,
            rows
        );
    }
    assert!(
        reported.len() >= 20,
        "captures were committed between the kills ({})",
        reported.len()
    );
}

#[test]
fn a_tool_beside_the_running_kiosk_leaves_a_photo_being_saved_alone() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Store::open_exclusive(dir.path()).unwrap();
    // The kiosk is saving: the photo is in place, its transaction not yet committed.
    let day = dir.path().join("photos/2026-11-21");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(day.join("being-saved.jpg"), jpeg(9)).unwrap();
    std::fs::write(dir.path().join("photos/.incoming/next.jpg.tmp"), b"half").unwrap();

    let tool = Store::open(dir.path()).unwrap(); // e.g. `roster import` by the staff
    assert_eq!(tool.recovery(), &capture_kiosk::store::Recovery::default());
    assert!(day.join("being-saved.jpg").exists());
    assert!(dir.path().join("photos/.incoming/next.jpg.tmp").exists());
    assert!(matches!(
        Store::open_exclusive(dir.path()),
        Err(capture_kiosk::store::StoreError::InUse { .. })
    ));
    drop(tool);
    drop(kiosk);
    // No kiosk any more: now it is a crash's leftover, and the next open tidies it.
    let after = Store::open(dir.path()).unwrap();
    assert_eq!(after.recovery().orphans_moved, 1);
    assert_eq!(after.recovery().partial_files_removed, 1);
}

#[test]
fn half_written_temp_files_are_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    std::fs::write(dir.path().join("photos/.incoming/x.jpg.tmp"), b"half a jpe").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.recovery().partial_files_removed, 1);
    assert_eq!(
        std::fs::read_dir(dir.path().join("photos/.incoming"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_missing_photo_file_is_reported_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = accept(
        &mut store,
        Uuid::new_v4(),
        &entry("000011110001", "本科"),
        &jpeg(3),
    );
    std::fs::remove_file(dir.path().join(&stored.photo_file)).unwrap();
    let integrity = store.check_integrity().unwrap();
    assert_eq!(integrity.missing_photos, 1, "{integrity:?}");
    assert!(
        integrity.database.is_empty(),
        "the database itself is sound: {integrity:?}"
    );
    assert!(!integrity.is_sound());
}

#[test]
fn an_unwritable_data_dir_is_a_clear_error() {
    let err = Store::open(Path::new("/proc/capture-kiosk-cannot-be-here"))
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("not writable") && msg.contains("--data-dir"),
        "{msg}"
    );
}

#[test]
fn photos_are_deleted_only_after_their_receipt_and_the_retention_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let sent = accept(
        &mut store,
        Uuid::new_v4(),
        &entry("000011110001", "本科"),
        &jpeg(1),
    );
    let waiting = accept(
        &mut store,
        Uuid::new_v4(),
        &entry("000011110002", "本科"),
        &jpeg(2),
    );
    store
        .mark_uploaded(
            sent.id,
            &capture_protocol::Receipt {
                id: sent.id,
                sha256: sent.sha256.clone(),
                received_at: "2026-11-21T02:00:00.000Z".into(),
            },
        )
        .unwrap();
    let month = std::time::Duration::from_secs(30 * 86_400);
    let now = chrono::Utc::now();
    // Within the retention period: nothing goes.
    assert_eq!(store.prune_uploaded_photos(now, month).unwrap(), 0);
    assert!(dir.path().join(&sent.photo_file).exists());
    // After it: the uploaded photo goes, the one without a receipt stays, whatever its age.
    let later = now + chrono::Duration::days(31);
    assert_eq!(store.prune_uploaded_photos(later, month).unwrap(), 1);
    assert!(!dir.path().join(&sent.photo_file).exists());
    assert!(dir.path().join(&waiting.photo_file).exists());
    assert_eq!(
        store.prune_uploaded_photos(later, month).unwrap(),
        0,
        "once"
    );
    // The record stays, the waiting capture can still be sent, and nothing looks damaged.
    assert!(store.stored_capture(sent.id).unwrap().is_some());
    assert!(store.upload_for(waiting.id).is_ok());
    assert!(store.check_integrity().unwrap().is_sound());
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM audit WHERE action = 'photos.pruned'"
        ),
        1
    );
}

/// One text value from the kiosk's database.
fn text(dir: &Path, sql: &str) -> String {
    rusqlite::Connection::open(dir.join("kiosk.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_stored_time_is_utc_and_an_older_kiosks_local_times_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = accept(
        &mut store,
        Uuid::new_v4(),
        &entry("000011110001", "本科"),
        &jpeg(1),
    );
    drop(store);
    let is_utc = |t: &str| {
        t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.len() == 24
    };
    for sql in [
        "SELECT accepted_at FROM captures",
        "SELECT taken_at FROM captures",
        "SELECT enqueued_at FROM outbox",
        "SELECT max(at) FROM audit",
    ] {
        let t = text(dir.path(), sql);
        assert!(is_utc(&t), "{sql}: {t}");
    }

    // A database an earlier capture-kiosk wrote (schema 4): local times with their offset.
    let db = rusqlite::Connection::open(dir.path().join("kiosk.db")).unwrap();
    db.execute_batch(
        "UPDATE captures SET accepted_at = '2026-11-21T09:30:00.123+08:00',
                             taken_at = '2026-11-21T09:29:59.500+08:00';
         UPDATE outbox SET enqueued_at = '2026-11-21T09:30:00.123+08:00';
         UPDATE audit SET at = '2026-11-20T23:59:00.000-05:00';
         INSERT INTO reopenings (admission_no, education_level, reopened_at, reason)
             VALUES ('000011110001', '本科', '2026-11-20T21:00:00.000-05:00', 'retake');
         ALTER TABLE captures DROP COLUMN staff_override;
         DROP TABLE backdrop;
         DROP TABLE staff_pin;
         DROP TABLE pin_lockout;
         ALTER TABLE audit DROP COLUMN prev_hash;
         ALTER TABLE audit DROP COLUMN hash;
         PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(db);
    let store = Store::open(dir.path()).unwrap();
    // Compared as times, the re-opening (02:00 UTC; as text it sorted before the capture) is
    // after the capture (01:30 UTC).
    for (sql, utc) in [
        (
            "SELECT accepted_at FROM captures",
            "2026-11-21T01:30:00.123Z",
        ),
        ("SELECT taken_at FROM captures", "2026-11-21T01:29:59.500Z"),
        ("SELECT enqueued_at FROM outbox", "2026-11-21T01:30:00.123Z"),
        ("SELECT min(at) FROM audit", "2026-11-21T04:59:00.000Z"),
        (
            "SELECT reopened_at FROM reopenings",
            "2026-11-21T02:00:00.000Z",
        ),
    ] {
        assert_eq!(text(dir.path(), sql), utc, "{sql}");
    }
    assert_eq!(
        store
            .candidate_status(&AdmissionNumber::parse("000011110001", 12).unwrap(), "本科")
            .unwrap(),
        CandidateStatus::Reopened
    );
    assert!(store.stored_capture(stored.id).unwrap().is_some());
    // People read them in the kiosk's local time.
    let shown = capture_kiosk::store::local_time("2026-11-21T01:30:00.123Z");
    let expected = chrono::DateTime::parse_from_rfc3339("2026-11-21T01:30:00.123Z")
        .unwrap()
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert_eq!(shown, expected);
    assert_eq!(capture_kiosk::store::local_time("not a time"), "not a time");
}
