//! The kiosk's outbox reaching the central service: the real `capture-kiosk sync --once`
//! against the real service on loopback, real SQLite on both sides.

mod common;

use capture_core::identity::AdmissionNumber;
use capture_kiosk::store::Store;
use capture_protocol::Receipt;
use common::central::{Service, SyncKiosk as Kiosk, add_kiosk};
use std::path::Path;
use std::process::Command;
use uuid::Uuid;

fn central_photo(central: &Path, id: Uuid) -> Vec<u8> {
    std::fs::read(central.join(format!("photos/{id}.jpg"))).unwrap()
}

#[test]
fn the_outbox_arrives_once_with_the_right_bytes_even_after_the_service_was_down() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let service = Service::start(central.path());
    let kiosk = Kiosk::new(&service.base, &token);
    let first = kiosk.accept(5);

    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("sent 5, already there 0, will retry 0, refused 0"),
        "{out}"
    );
    assert!(out.contains("outbox: 0 waiting"), "{out}");
    for (id, jpeg) in &first {
        assert_eq!(&central_photo(central.path(), *id), jpeg);
    }
    // Again: nothing is due, nothing is sent twice.
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 0, already there 0"), "{out}");

    // The service goes away; two more captures wait, and say why.
    let addr = service.base.trim_start_matches("http://").to_owned();
    drop(service);
    let second = kiosk.accept(2);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("will retry 2"), "{out}");
    assert!(out.contains("cannot connect"), "{out}");
    assert!(
        out.contains("outbox: 2 waiting (0 refused), 5 uploaded"),
        "{out}"
    );

    // Back at the same address: staff's `sync --once` sends them without waiting out the
    // back-off (the running kiosk waits it out; `sync::backoff` is unit-tested).
    let _service = Service::start_at(central.path(), &addr);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 2"), "{out}");
    for (id, jpeg) in second.iter().chain(&first) {
        assert_eq!(&central_photo(central.path(), *id), jpeg);
    }
    let held = rusqlite::Connection::open(central.path().join("central.db"))
        .unwrap()
        .query_row(
            "SELECT count(*), count(DISTINCT id) FROM captures",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    assert_eq!(held, (7, 7), "every capture exactly once");
    // The compliance report travelled with each.
    let checks: String = rusqlite::Connection::open(central.path().join("central.db"))
        .unwrap()
        .query_row("SELECT checks FROM captures LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(checks.contains("pose.roll"), "{checks}");
}

#[test]
fn an_upload_that_got_through_before_a_crash_is_recognised_and_a_refusal_kept_for_staff() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let service = Service::start(central.path());
    let kiosk = Kiosk::new(&service.base, &token);
    let captures = kiosk.accept(3);
    let store = Store::open(&kiosk.data()).unwrap();

    // The service got capture 0, but the kiosk died before it wrote the receipt down.
    let body = store.upload_for(captures[0].0).unwrap();
    assert_eq!(service.put(&token, &body).status(), 201);
    // Capture 1's id is already held by the service with other bytes (409: refused).
    let mut other = capture_protocol::CaptureUpload::sample(b"other bytes");
    other.id = captures[1].0;
    assert_eq!(service.put(&token, &other).status(), 201);
    drop(store);

    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sent 1, already there 1, will retry 0, refused 1"),
        "{out}"
    );
    assert!(
        out.contains("refused (1): PUT /v1/captures: HTTP 409"),
        "{out}"
    );
    assert!(
        out.contains("outbox: 1 waiting (1 refused), 2 uploaded"),
        "{out}"
    );

    // Refused uploads stay refused until staff put them back in line.
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sent 0, already there 0, will retry 0, refused 0"),
        "{out}"
    );
    let (_, out) = kiosk.sync(&["--retry-refused"]);
    assert!(
        out.contains("1 refused upload(s) put back in line"),
        "{out}"
    );
    assert!(out.contains("refused 1"), "{out}");

    // Nothing was marked uploaded without its receipt.
    let store = Store::open(&kiosk.data()).unwrap();
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.uploaded, counts.failed), (2, 1));
    let wrong = Receipt {
        id: captures[2].0,
        sha256: "0".repeat(64),
        received_at: "2026-11-21T00:00:00Z".into(),
    };
    let mut store = store;
    assert!(store.mark_uploaded(captures[2].0, &wrong).is_err());
}

#[test]
fn sync_needs_a_configured_service() {
    let kiosk = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
        .args(["sync", "--once", "--data-dir"])
        .arg(kiosk.path())
        .env_remove("CAPTURE_KIOSK_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[sync] server and token"));
}

fn central_cli(central: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, err) = common::central::central_cli(central, args);
    (code, format!("{out}{err}"))
}

#[test]
fn roster_versions_and_review_decisions_come_back_to_the_kiosk() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let other_token = add_kiosk(central.path(), "site-02");
    let service = Service::start(central.path());
    let kiosk = Kiosk::new(&service.base, &token);
    let captures = kiosk.accept(2);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("roster: the service has published none"),
        "{out}"
    );
    assert!(out.contains("review decisions: 0 applied"), "{out}");

    // A roster with a bad row: published without it, the row named by its line.
    let csv = central.path().join("roster-2026-11.csv");
    std::fs::write(
        &csv,
        "admission_no,name,education_level,phone\n\
         000011110001,王小明,本科,13800000001\n\
         12345,李四,专科,\n\
         000011110009,张三,专科,\n",
    )
    .unwrap();
    let (code, out) = central_cli(central.path(), &["roster", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 3: admission_no"), "{out}");
    assert!(
        out.contains("roster version 1 published for every kiosk: 2 entries (1 rows left out)"),
        "{out}"
    );

    // One capture rejected, the other approved; a decision on another kiosk's capture
    // never reaches this one.
    let stranger = capture_protocol::CaptureUpload::sample(b"elsewhere");
    assert_eq!(service.put(&other_token, &stranger).status(), 201);
    let id = |i: usize| captures[i].0.to_string();
    let (code, out) = central_cli(central.path(), &["decide", &id(0), "reject"]);
    assert_eq!(code, 1, "a rejection needs a reason: {out}");
    assert!(out.contains("needs a reason"), "{out}");
    for args in [
        vec![
            "decide",
            &id(0),
            "reject",
            "--reason",
            "背景不均匀 background not plain",
        ],
        vec!["decide", &id(1), "approve"],
        vec![
            "decide",
            &stranger.id.to_string(),
            "reject",
            "--reason",
            "x",
        ],
    ] {
        let (code, out) = central_cli(central.path(), &args);
        assert_eq!(code, 0, "{out}");
    }

    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("roster: version 1 applied, 2 entries (0 invalid rows left out, 0 duplicated rows left out)"),
        "{out}"
    );
    assert!(out.contains("review decisions: 2 applied"), "{out}");
    let store = Store::open(&kiosk.data()).unwrap();
    let no = |i: usize| AdmissionNumber::parse(&format!("0000111{i:05}"), 12).unwrap();
    assert_eq!(
        store.candidate_status(&no(0), "本科").unwrap(),
        capture_core::candidate::CandidateStatus::Rejected {
            reason: "背景不均匀 background not plain".into()
        }
    );
    assert_eq!(
        store.candidate_status(&no(1), "本科").unwrap(),
        capture_core::candidate::CandidateStatus::Approved
    );
    let roster = store.roster_page(0, 10).unwrap();
    let numbers: Vec<&str> = roster.iter().map(|e| e.admission_no.as_str()).collect();
    assert_eq!(numbers, ["000011110001", "000011110009"]);
    drop(store);

    // Nothing new: nothing applied again; the roster version is remembered.
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("roster: version 1 is the newest"), "{out}");
    assert!(out.contains("review decisions: 0 applied"), "{out}");

    // Another site's own roster does not reach this kiosk; this site's own does.
    let site_csv = central.path().join("site-02.csv");
    std::fs::write(
        &site_csv,
        "admission_no,name,education_level\n000022220001,赵六,本科\n",
    )
    .unwrap();
    let publish_for = |kiosk: &str| {
        let file = site_csv.to_str().unwrap();
        let (code, out) = central_cli(
            central.path(),
            &["roster", "import", file, "--kiosk", kiosk],
        );
        assert_eq!(code, 0, "{out}");
        out
    };
    let out = publish_for("site-02");
    assert!(
        out.contains("roster version 2 published for kiosk site-02"),
        "{out}"
    );
    let (_, out) = kiosk.sync(&[]);
    assert!(out.contains("roster: version 1 is the newest"), "{out}");
    publish_for("site-01");
    let (_, out) = kiosk.sync(&[]);
    assert!(
        out.contains("roster: version 3 applied, 1 entries"),
        "{out}"
    );

    // The reviewer changes their mind: the later decision wins on the kiosk too.
    let (code, out) = central_cli(central.path(), &["decide", &id(0), "approve"]);
    assert_eq!(code, 0, "{out}");
    let (_, out) = kiosk.sync(&[]);
    assert!(out.contains("review decisions: 1 applied"), "{out}");
    let store = Store::open(&kiosk.data()).unwrap();
    assert_eq!(
        store.candidate_status(&no(0), "本科").unwrap(),
        capture_core::candidate::CandidateStatus::Approved
    );

    // The hand-over: both approved photos of this kiosk and the stranger's rejection left out.
    let handover = central.path().join("handover");
    let (code, out) = central_cli(
        central.path(),
        &["export-approved", "--to", handover.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 approved photo(s) written"), "{out}");
    for (i, (_, jpeg)) in captures.iter().enumerate() {
        let file = handover.join(format!("0000111{i:05}.jpg"));
        assert_eq!(&std::fs::read(&file).unwrap(), jpeg, "{}", file.display());
    }
    let manifest = std::fs::read_to_string(handover.join("manifest.csv")).unwrap();
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines[0],
        "admission_no,name,education_level,kiosk,taken_at,reviewed_at,sha256,file"
    );
    assert_eq!(lines.len(), 3, "{manifest}");
    assert!(
        lines[1].starts_with("000011100000,王小明,本科,site-01,"),
        "{manifest}"
    );
    assert!(
        lines[1].contains(&capture_protocol::sha256_hex(&captures[0].1)),
        "{manifest}"
    );
    assert!(lines[1].ends_with(",000011100000.jpg"), "{manifest}");

    // A roster of 10-digit numbers is of no use to this kiosk (12 digits): kept out, said
    // once, and not fetched at every pass.
    let short = central.path().join("short.csv");
    std::fs::write(
        &short,
        "admission_no,name,education_level\n0000111100,孙七,本科\n",
    )
    .unwrap();
    let (code, out) = central_cli(
        central.path(),
        &[
            "roster",
            "import",
            short.to_str().unwrap(),
            "--admission-number-length",
            "10",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("none of its 1 rows is valid here"), "{out}");
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("could not"), "{out}");
    let held = Store::open(&kiosk.data())
        .unwrap()
        .roster_page(0, 10)
        .unwrap();
    assert_eq!(held.len(), 1, "the site's roster is kept");
}

#[test]
fn an_offline_site_hands_over_by_usb_stick_and_nothing_is_stored_twice() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "demo-kiosk-01");
    // The kiosk's service is unreachable for days.
    let kiosk = Kiosk::new("http://127.0.0.1:9", &token);
    let captures = kiosk.accept(3);
    let stick = tempfile::tempdir().unwrap();
    let kiosk_cli = |args: &[&str]| kiosk.cli(args);
    let (code, out) = kiosk_cli(&["export", "--to", stick.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 capture(s) written"), "{out}");

    // At the office: taken in once; the same stick again stores nothing twice.
    let (code, out) = central_cli(
        central.path(),
        &["import-bundle", stick.path().to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("kiosk demo-kiosk-01: 3 new, 0 already held, 0 conflicting, 0 damaged"),
        "{out}"
    );
    let (code, out) = central_cli(
        central.path(),
        &["import-bundle", stick.path().to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 new, 3 already held"), "{out}");
    for (id, jpeg) in &captures {
        assert_eq!(&central_photo(central.path(), *id), jpeg);
    }
    // A tampered bundle is refused capture by capture, named.
    let bundle = std::fs::read_dir(stick.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let first = bundle.join(format!("captures/{}.json", captures[0].0));
    let mut body: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    body["photo_base64"] = capture_protocol::CaptureUpload::encode_photo(b"other").into();
    std::fs::write(&first, serde_json::to_vec(&body).unwrap()).unwrap();
    let (code, out) = central_cli(central.path(), &["import-bundle", bundle.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("1 damaged"), "{out}");
    assert!(out.contains("does not match"), "{out}");

    // Decisions and receipts travel back.
    let (code, out) = central_cli(
        central.path(),
        &[
            "decide",
            &captures[1].0.to_string(),
            "reject",
            "--reason",
            "闭眼 eyes closed",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let back = tempfile::tempdir().unwrap();
    let (code, out) = central_cli(
        central.path(),
        &["export-decisions", "--to", back.path().to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("decisions-demo-kiosk-01.json"), "{out}");
    let (code, out) = kiosk_cli(&["import-decisions", back.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 capture(s) confirmed delivered, 1 review decision(s) applied"),
        "{out}"
    );
    let store = Store::open(&kiosk.data()).unwrap();
    assert_eq!(store.outbox_counts().unwrap().pending, 0);
    assert_eq!(
        store
            .candidate_status(&AdmissionNumber::parse("000011100001", 12).unwrap(), "本科")
            .unwrap(),
        capture_core::candidate::CandidateStatus::Rejected {
            reason: "闭眼 eyes closed".into()
        }
    );
    drop(store);
    // Applying the same file again changes nothing.
    let (_, out) = kiosk_cli(&["import-decisions", back.path().to_str().unwrap()]);
    assert!(
        out.contains("0 capture(s) confirmed delivered, 0 review decision(s) applied"),
        "{out}"
    );
    // A folder without this kiosk's file says what it expected.
    let (code, out) = kiosk_cli(&["import-decisions", stick.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected decisions-demo-kiosk-01.json"),
        "{out}"
    );
}

/// The line of `doctor`'s report on `topic`, and its level (`ok`, `warn`, `ERROR`).
fn doctor_line(out: &str, topic: &str) -> (String, String) {
    let line = out
        .lines()
        .find(|l| l.starts_with(topic))
        .unwrap_or_else(|| panic!("a {topic} line in {out}"))
        .to_owned();
    let level = line[topic.len()..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    (level, line)
}

/// The check the systemd unit runs before every start (its `ExecStartPre=`), on this
/// kiosk's config and data: (status, report).
fn unit_start_check(kiosk: &Kiosk) -> (i32, String) {
    let unit =
        std::fs::read_to_string(common::repo().join("systemd/capture-kiosk.service")).unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStartPre="))
        .expect("the unit checks before it starts");
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/bin/capture-kiosk"));
    let args: Vec<&str> = words.collect();
    assert!(args.starts_with(&["doctor", "--offline"]), "{line}");
    let config = kiosk.config();
    let args: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == "/etc/capture-kiosk/config.toml" {
                config.to_str().unwrap()
            } else {
                a
            }
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
        .args(&args)
        // The unit's StateDirectory=: where the kiosk's data is.
        .env("STATE_DIRECTORY", kiosk.data())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn doctor_tells_staff_what_to_fix_and_stops_only_what_cannot_capture() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let service = Service::start(central.path());
    let good = Kiosk::new(&service.base, &token);
    let accepted = good.accept(2);
    let (code, out) = good.cli(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    let (level, sync) = doctor_line(&out, "sync");
    assert_eq!(level, "ok", "{sync}");
    assert!(sync.contains("token accepted"), "{sync}");
    let (_, outbox) = doctor_line(&out, "outbox");
    assert!(outbox.contains("2 waiting (0 refused"), "{out}");

    // A mistyped token: the kiosk still captures; staff are told what to fix.
    let wrong = Kiosk::new(&service.base, &"0".repeat(64));
    let (code, out) = wrong.cli(&["doctor"]);
    assert_eq!(code, 0, "a refused token does not stop the kiosk: {out}");
    let (level, sync) = doctor_line(&out, "sync");
    assert_eq!(level, "warn", "{sync}");
    assert!(sync.contains("check [sync] token"), "{sync}");
    assert!(out.contains("The kiosk can capture"), "{out}");

    // The service down: a warning too, and the unit's own check never asks it.
    drop(service);
    let (code, out) = good.cli(&["doctor"]);
    assert_eq!(code, 0, "unreachable is a warning: {out}");
    let (level, sync) = doctor_line(&out, "sync");
    assert_eq!(level, "warn", "{sync}");
    assert!(sync.contains("cannot connect"), "{sync}");
    let (code, out) = unit_start_check(&good);
    assert_eq!(code, 0, "{out}");
    let (level, sync) = doctor_line(&out, "sync");
    assert_eq!(level, "ok", "{sync}");
    assert!(sync.contains("not asked (--offline)"), "{sync}");

    // A photo file gone: it cannot be sent, but the kiosk captures on.
    let photo = Store::open(&good.data())
        .unwrap()
        .stored_capture(accepted[0].0)
        .unwrap()
        .unwrap()
        .photo_file;
    std::fs::remove_file(good.data().join(photo)).unwrap();
    let (code, out) = unit_start_check(&good);
    assert_eq!(code, 0, "a missing photo does not stop the kiosk: {out}");
    let (level, photos) = doctor_line(&out, "photos");
    assert_eq!(level, "warn", "{photos}");
    assert!(
        photos.contains("1 capture(s) are missing their photo file"),
        "{photos}"
    );

    // A database that is not one: nothing can be stored, the unit does not start.
    let broken = Kiosk::new("http://127.0.0.1:9", &token);
    std::fs::create_dir_all(broken.data()).unwrap();
    std::fs::write(
        broken.data().join("kiosk.db"),
        b"this is not a database, and it is long enough to look like a file header",
    )
    .unwrap();
    let (code, out) = unit_start_check(&broken);
    assert_eq!(code, 1, "{out}");
    let (level, database) = doctor_line(&out, "database");
    assert_eq!(level, "ERROR", "{database}");
    assert!(out.contains("The kiosk cannot capture"), "{out}");
    // The kiosk itself refuses to run on it, saying why.
    let (code, out) = broken.cli(&["run", "--camera", "demo"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("kiosk.db"), "{out}");
}

#[test]
fn a_kiosk_whose_token_was_revoked_starts_and_captures_offline() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "demo-kiosk-01");
    let service = Service::start(central.path());
    let (code, out, err) =
        common::central::central_cli(central.path(), &["revoke-kiosk", "demo-kiosk-01"]);
    assert_eq!(code, 0, "{out}{err}");
    let frames = tempfile::tempdir().unwrap();
    let camera = common::compliant_camera(frames.path());
    let kiosk = Kiosk::with_sync(
        &service.base,
        &token,
        "[campaign]\ncapture_countdown_secs = 1\nauto_capture_stable_ms = 500\n",
    );
    let (code, out) = kiosk.cli(&[
        "roster",
        "import",
        common::repo()
            .join("assets/demo/roster.csv")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");

    // The unit starts it: its check passes, saying what staff should know.
    let (code, out) = unit_start_check(&kiosk);
    assert_eq!(code, 0, "{out}");
    let (code, out) = kiosk.cli(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    let (level, sync) = doctor_line(&out, "sync");
    assert_eq!(level, "warn", "{sync}");
    assert!(sync.contains("revoked"), "{sync}");

    // A candidate is captured and the capture kept.
    let (code, out) = kiosk.cli(&[
        "capture",
        "--camera",
        &camera,
        "--admission",
        "000011110001",
        "--name",
        "wangxiaoming",
    ]);
    assert_eq!(code, 0, "{out}");
    let id = out
        .lines()
        .find_map(|l| Uuid::parse_str(l.trim()).ok())
        .unwrap_or_else(|| panic!("the capture's id in {out}"));
    let store = Store::open(&kiosk.data()).unwrap();
    assert!(store.stored_capture(id).unwrap().is_some());
    drop(store);

    // It waits in the outbox: the service refuses the token, the capture is retried.
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sent 0, already there 0, will retry 1, refused 0"),
        "{out}"
    );
    assert!(out.contains("does not accept this kiosk's token"), "{out}");
    assert_eq!(
        capture_central::Central::open(central.path())
            .unwrap()
            .capture_count()
            .unwrap(),
        0
    );
}

#[test]
fn over_https_the_kiosk_trusts_the_sites_ca_and_nothing_else() {
    let tls = common::repo().join("tests/fixtures/tls");
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let service = Service::start_tls(
        central.path(),
        "127.0.0.1:0",
        &tls.join("server.pem"),
        &tls.join("server.key"),
    );
    assert!(
        service.base.starts_with("https://127.0.0.1:"),
        "{}",
        service.base
    );

    // Without the site's CA the service's certificate is not trusted: nothing is sent.
    let untrusting = Kiosk::new(&service.base, &token);
    untrusting.accept(1);
    let (code, out) = untrusting.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("will retry 1"), "{out}");
    assert!(
        out.to_lowercase().contains("certificate"),
        "says why: {out}"
    );

    // With it (sync.ca_file): sent, and the receipt came back over TLS.
    let ca = tls.join("ca.pem");
    let kiosk = Kiosk::with_sync(
        &service.base,
        &token,
        &format!("ca_file = \"{}\"\n", ca.display()),
    );
    let captures = kiosk.accept(2);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 2"), "{out}");
    for (id, jpeg) in &captures {
        assert_eq!(&central_photo(central.path(), *id), jpeg);
    }
    // Plain HTTP to the TLS port is not an answer either.
    let plain = Kiosk::new(&service.base.replace("https://", "http://"), &token);
    plain.accept(1);
    let (code, out) = plain.sync(&[]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn the_kiosks_own_sync_sends_and_fetches_by_itself_and_stops_when_asked() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let service = Service::start(central.path());
    let kiosk = Kiosk::new(&service.base, &token);
    let captures = kiosk.accept(1);
    let mut config = capture_kiosk::config::Config::load(&kiosk.config()).unwrap();
    config.sync.interval_secs = 1;
    let sync = capture_kiosk::sync::Background::spawn(
        kiosk.data(),
        config.sync.clone(),
        12,
        std::sync::Arc::new(std::sync::Mutex::new("ok".into())),
    )
    .expect("a service is configured");
    let held = || {
        capture_central::Central::open(central.path())
            .unwrap()
            .capture_count()
            .unwrap()
    };
    common::wait_until("the capture reaches the service", || held() == 1);
    common::central::decide(
        central.path(),
        &captures[0].0.to_string(),
        "reject",
        Some("闭眼 eyes closed"),
    );
    let no = AdmissionNumber::parse("000011100000", 12).unwrap();
    common::wait_until("the decision reaches the kiosk at the next pass", || {
        Store::open(&kiosk.data())
            .unwrap()
            .candidate_status(&no, "本科")
            .unwrap()
            == capture_core::candidate::CandidateStatus::Rejected {
                reason: "闭眼 eyes closed".into(),
            }
    });
    assert_eq!(sync.status().last_problem, None);
    assert!(
        sync.stop(std::time::Duration::from_secs(5)),
        "stopped in time"
    );
}
