//! The command line as staff use it: the real binary, real files, real SQLite.

use std::path::Path;
use std::process::Command;

fn kiosk(args: &[&str], data_dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("CAPTURE_KIOSK_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 1,000 candidates; rows 17, 504 and 998 (lines 18, 505 and 999) are bad.
fn roster_with_three_bad_rows(path: &Path) {
    let mut csv = String::from("\u{feff}admission_no,name,education_level,phone\n");
    for i in 1..=1000u32 {
        let row = match i {
            17 => format!("0100{i:08}X,考生{},本科,\n", name(i)), // not a number
            504 => format!("0100{i:08},,本科,\n"),                // no name
            998 => format!("0100{i:08},考生{},本科,1234\n", name(i)), // bad phone
            _ => format!(
                "０１００{:08},考生{},{},\n",
                i,
                name(i),
                if i % 2 == 0 { "本科" } else { "专科" }
            ),
        };
        csv.push_str(&row);
    }
    std::fs::write(path, csv).unwrap();
}

/// Names without digits (the roster refuses digits in names).
fn name(i: u32) -> String {
    i.to_string()
        .chars()
        .map(|c| {
            "零一二三四五六七八九"
                .chars()
                .nth(c.to_digit(10).unwrap() as usize)
                .unwrap()
        })
        .collect()
}

#[test]
fn roster_import_reports_exactly_the_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("roster.csv");
    roster_with_three_bad_rows(&csv);
    let data = dir.path().join("data");

    let (code, out, _) = kiosk(
        &["roster", "import", csv.to_str().unwrap(), "--dry-run"],
        &data,
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("Read 1000 rows") && out.contains("997 good, 3 rejected"),
        "{out}"
    );
    let reported: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("line "))
        .collect();
    assert_eq!(reported.len(), 3, "{out}");
    assert!(reported[0].contains("line 18: admission_no"), "{out}");
    assert!(reported[1].contains("line 505: name is empty"), "{out}");
    assert!(reported[2].contains("line 999: phone"), "{out}");
    assert!(out.contains("Dry run: nothing was imported."));
    let (_, list, _) = kiosk(&["roster", "list"], &data);
    assert!(
        list.contains("The roster is empty"),
        "a dry run imports nothing: {list}"
    );

    let (code, out, _) = kiosk(&["roster", "import", csv.to_str().unwrap()], &data);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Imported 997 roster entries"), "{out}");
    let (code, list, _) = kiosk(&["roster", "list", "--limit", "2"], &data);
    assert_eq!(code, 0);
    assert!(
        list.contains("Roster: 997 entries, from roster.csv"),
        "{list}"
    );
    assert!(
        list.contains("010000000001\t考生一\t专科"),
        "full-width digits were normalised: {list}"
    );
    assert!(list.contains("995 more"), "{list}");
}

#[test]
fn a_clean_roster_imports_with_status_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/roster.csv");
    let (code, out, _) = kiosk(&["roster", "import", demo.to_str().unwrap()], &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" good, 0 rejected."), "{out}");
}

#[test]
fn a_roster_that_is_not_utf8_is_refused_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gbk.csv");
    let mut bytes = b"admission_no,name,education_level\n010000000001,".to_vec();
    bytes.extend_from_slice(&[
        0xCD, 0xF5, 0xD0, 0xA1, 0xC3, 0xF7, b',', 0xB1, 0xBE, 0xBF, 0xC6, b'\n',
    ]);
    std::fs::write(&csv, bytes).unwrap();
    let (code, _, err) = kiosk(
        &["roster", "import", csv.to_str().unwrap()],
        &dir.path().join("data"),
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("not UTF-8") && err.contains("CSV UTF-8"),
        "{err}"
    );
}

#[test]
fn a_bad_config_names_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        "[kiosk]\nid = \"k1\"\n\n[campaign]\nfee_yuan = \"thirty\"\n",
    )
    .unwrap();
    let (code, out, _) = kiosk(
        &["doctor", "--config", config.to_str().unwrap()],
        &dir.path().join("data"),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("site.toml, line 5: `campaign.fee_yuan`: invalid type"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("database")),
        "the other checks still run: {out}"
    );
    let (code, _, err) = kiosk(
        &["run", "--config", config.to_str().unwrap()],
        &dir.path().join("data"),
    );
    assert_eq!(code, 1, "the kiosk refuses to start on a bad config");
    assert!(err.contains("line 5: `campaign.fee_yuan`"), "{err}");
}

#[test]
fn doctor_checks_everything_and_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[kiosk]\nid = \"k1\"\n").unwrap();
    let (code, out, _) = kiosk(&["doctor", "--config", config.to_str().unwrap()], &data);
    assert_eq!(code, 0, "warnings only: {out}");
    for topic in [
        "config",
        "data dir",
        "free disk",
        "database",
        "roster",
        "outbox",
        "sync",
        "cameras",
        "fonts",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(topic)),
            "doctor reports {topic}: {out}"
        );
    }
    assert!(out.contains("demo PIN"), "{out}");
    assert!(
        out.contains("roster import"),
        "an empty roster says how to import one: {out}"
    );
    assert!(out.contains("integrity ok"), "{out}");
}

#[test]
fn help_teaches_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = kiosk(&["--help"], dir.path());
    assert_eq!(code, 0);
    for needle in [
        "\n  run ",
        "\n  roster ",
        "\n  doctor ",
        "\n  capture ",
        "\n  sync ",
        "\n  export ",
        "--camera",
        "replay:DIR",
        "Examples:",
    ] {
        assert!(out.contains(needle), "--help mentions {needle}: {out}");
    }
}

#[test]
fn staff_can_reopen_a_candidate_for_a_new_photo() {
    use capture_core::candidate::CandidateStatus;
    use capture_core::identity::{AdmissionNumber, MobileNumber};
    use capture_kiosk::store::{NewCapture, Store};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/roster.csv");
    kiosk(&["roster", "import", demo.to_str().unwrap()], &data);
    let no = AdmissionNumber::parse("000011110003", 12).unwrap();
    {
        let mut store = Store::open(&data).unwrap();
        let entry = store
            .find_roster(&no)
            .unwrap()
            .into_iter()
            .find(|e| e.education_level == "本科")
            .unwrap();
        let img = image::RgbImage::new(48, 64);
        let jpeg = capture_core::photo::encode_jpeg(&img, 300).unwrap();
        let mobile = MobileNumber::parse("13800000003").unwrap();
        store
            .accept_capture(&NewCapture {
                id: uuid::Uuid::new_v4(),
                entry: &entry,
                mobile: &mobile,
                profile: "bj-degree",
                taken_at: chrono::Utc::now(),
                retakes: 0,
                jpeg: &jpeg,
                checks: &[],
                staff_override: None,
            })
            .unwrap();
    }
    let (code, _, err) = kiosk(&["reopen", "000011110003", "--reason", "damaged"], &data);
    assert_eq!(code, 1);
    assert!(
        err.contains("several levels") && err.contains("--level"),
        "{err}"
    );
    let (code, out, _) = kiosk(
        &[
            "reopen",
            "000011110003",
            "--level",
            "本科",
            "--reason",
            "damaged",
        ],
        &data,
    );
    assert_eq!(code, 0, "{out}");
    let store = Store::open(&data).unwrap();
    assert_eq!(
        store.candidate_status(&no, "本科").unwrap(),
        CandidateStatus::Reopened
    );
}

/// The ids the issue names, in the order the kiosk lists them.
const CHECK_IDS: [&str; 27] = [
    "face.count",
    "liveness",
    "head.size",
    "head.position",
    "pose.roll",
    "pose.yaw",
    "pose.pitch",
    "shoulders.level",
    "eyes.open",
    "gaze",
    "mouth.closed",
    "glasses.glare",
    "glasses.tint",
    "glasses.frames",
    "head.covering",
    "ears.visible",
    "hair.clear",
    "jewellery",
    "clothing.sleeves",
    "exposure",
    "lighting.even",
    "sharpness",
    "colour.natural",
    "background.uniform",
    "background.colour",
    "clothing.contrast",
    "file.size",
];

/// The final photo `produce` makes of the public-domain Grace Hopper portrait for
/// `profile`, written to `dir/name`.
fn produced(dir: &Path, data: &Path, profile: &str, name: &str) -> std::path::PathBuf {
    let out = dir.join(name);
    let (code, _, stderr) = kiosk(
        &[
            "produce",
            "--profile",
            profile,
            portrait("grace_hopper.jpg").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        data,
    );
    assert_eq!(code, 0, "{stderr}");
    out
}

/// `check --json`'s lines, one report per image.
fn json_reports(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The report on the file whose name ends with `name`.
fn report_on<'a>(reports: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    reports
        .iter()
        .find(|r| r["file"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("a report for {name}: {reports:?}"))
}

/// One check of a report.
fn check_in(report: &serde_json::Value, id: &str) -> serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report}"))
        .clone()
}

/// A JPEG of `image` at quality 95, written to `path`.
fn write_jpeg(image: &image::RgbImage, path: &Path) {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(image)
        .unwrap();
    std::fs::write(path, &jpeg).unwrap();
}

fn portrait(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portraits")
        .join(name)
}

/// The JPEG's markers before the image data: (marker, segment bytes).
fn jpeg_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
    let mut at = 2;
    let mut segments = vec![];
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        segments.push((jpeg[at + 1], jpeg[at + 4..at + 2 + len].to_vec()));
        at += 2 + len;
    }
    segments
}

#[test]
fn produce_makes_the_photo_to_the_profile_and_refuses_a_failing_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let profile = capture_core::profile::Profile::builtin("bj-degree").unwrap();

    // The Grace Hopper portrait (grey backdrop, head high in the picture) becomes a
    // compliant photo: levelled, cropped from the face, on the profile's blue.
    let out = dir.path().join("hopper.jpg");
    let (code, stdout, stderr) = kiosk(
        &[
            "produce",
            "--profile",
            "bj-degree",
            portrait("grace_hopper.jpg").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Her Navy cap is a head covering: advisory, so the photo is written, with the advice.
    assert!(stdout.contains("every required check passes"), "{stdout}");
    assert!(
        stderr.contains("advice (head.covering, advisory)"),
        "{stderr}"
    );
    let jpeg = std::fs::read(&out).unwrap();
    let n = jpeg.len() as u64;
    assert!(
        (profile.output.min_bytes..=profile.output.max_bytes).contains(&n),
        "{n} bytes is in the profile's window"
    );
    let photo = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    assert_eq!(
        photo.dimensions(),
        (profile.output.width, profile.output.height)
    );
    let segments = jpeg_segments(&jpeg);
    assert!(
        segments.iter().all(|(m, _)| *m != 0xE1),
        "no EXIF (APP1) segment"
    );
    let jfif = &segments.iter().find(|(m, _)| *m == 0xE0).expect("JFIF").1;
    assert_eq!(&jfif[..5], b"JFIF\0");
    assert_eq!(jfif[7], 1, "density in dots per inch");
    let dpi = profile.output.dpi as u16;
    assert_eq!(
        &jfif[8..12],
        &[(dpi >> 8) as u8, dpi as u8, (dpi >> 8) as u8, dpi as u8]
    );
    // The backdrop is the profile's colour: a corner of the photo is that blue.
    let corner = photo.get_pixel(8, 8).0;
    for k in 0..3 {
        assert!(
            (corner[k] as i32 - profile.output.background[k] as i32).abs() <= 6,
            "corner {corner:?} is the profile's blue"
        );
    }

    // The demo astronaut smiles with teeth showing: refused, the failing check named,
    // nothing written...
    let refused = dir.path().join("astronaut.jpg");
    let astronaut =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/astronaut/frame-00.jpg");
    let args = [
        "produce",
        astronaut.to_str().unwrap(),
        "-o",
        refused.to_str().unwrap(),
    ];
    let (code, _, stderr) = kiosk(&args, &data);
    assert_eq!(code, 1, "{stderr}");
    // Required checks fail: her backdrop, her shoulders, and her teeth.
    assert!(
        stderr.contains("check background.uniform fails"),
        "{stderr}"
    );
    assert!(stderr.contains("check mouth.closed fails"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!refused.exists());
    // ... unless forced, and then still exit 1 because it does not comply.
    let (code, stdout, stderr) = kiosk(&[&args[..], &["--force"]].concat(), &data);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("despite failing required checks"),
        "{stdout}"
    );
    assert!(image::open(&refused).is_ok());
}

#[test]
fn check_reports_every_rule_per_image_and_goes_on_past_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = produced(dir.path(), &data, "bj-degree", "good.jpg");
    let not_image = dir.path().join("notes.txt");
    std::fs::write(&not_image, "not a photo").unwrap();
    let empty_wall = dir.path().join("wall.png");
    image::RgbImage::from_pixel(480, 640, image::Rgb([67, 142, 219]))
        .save(&empty_wall)
        .unwrap();
    let missing = dir.path().join("missing.jpg");

    let (code, stdout, stderr) = kiosk(
        &[
            "check",
            "--json",
            good.to_str().unwrap(),
            not_image.to_str().unwrap(),
            empty_wall.to_str().unwrap(),
            missing.to_str().unwrap(),
            portrait("biden.jpg").to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(code, 2, "a file could not be read: {stdout}{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert!(stderr.contains("missing.jpg"), "{stderr}");
    let reports = json_reports(&stdout);
    assert_eq!(reports.len(), 3, "{stdout}");
    let by_file = |name: &str| report_on(&reports, name);
    for r in &reports {
        let ids: Vec<&str> = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, CHECK_IDS, "every check, once, in order");
        for c in r["checks"].as_array().unwrap() {
            assert!(c["pass"].is_boolean() && c["limit"].is_string());
            assert!(c["value"].is_number() || c["value"].is_null());
            // Further measures by name, numbers or null (`{}` for a check of one measure).
            assert!(
                c["also"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|v| v.is_number() || v.is_null()),
                "{c}"
            );
            assert!(!c["message_zh"].as_str().unwrap().is_empty());
            assert!(!c["message_en"].as_str().unwrap().is_empty());
        }
        // Compliant: no required check fails (advisory ones may).
        let no_blocking = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["pass"] == true || c["required"] == false);
        assert_eq!(r["compliant"], no_blocking);
        // mouth.closed judges by the gap and by teeth: both are in the report.
        let mouth = check_in(r, "mouth.closed");
        assert!(
            mouth["also"]["teeth"].is_number() || mouth["value"].is_null(),
            "{mouth}"
        );
    }

    let good = by_file("good.jpg");
    assert_eq!(good["compliant"], true, "{good}");
    assert_eq!(good["faces"], 1);

    // No face: the face checks cannot be assessed, so they fail with no value.
    let wall = by_file("wall.png");
    assert_eq!(wall["compliant"], false);
    assert_eq!(wall["faces"], 0);
    for c in wall["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        if [
            "head.size",
            "pose.roll",
            "eyes.open",
            "mouth.closed",
            "gaze",
        ]
        .contains(&id)
        {
            assert_eq!(c["pass"], false, "{id}");
            assert!(c["value"].is_null(), "{id}");
        }
    }
    let count = &wall["checks"][0];
    assert_eq!(
        (count["pass"].clone(), count["value"].clone()),
        (false.into(), 0.0.into())
    );

    // Biden's portrait is turned and small in the frame: the checks say so, with values.
    let biden = by_file("biden.jpg");
    assert_eq!(biden["compliant"], false);
    let failing: Vec<&str> = biden["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in ["head.size", "pose.yaw", "background.colour"] {
        assert!(failing.contains(&id), "{id} fails: {failing:?}");
    }
    let yaw = biden["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pose.yaw")
        .unwrap();
    assert!(yaw["value"].as_f64().unwrap().abs() > 5.0, "{yaw}");
    assert!(
        yaw["message_en"]
            .as_str()
            .unwrap()
            .contains("Face the camera"),
        "{yaw}"
    );
}

/// A minimal little-endian TIFF/EXIF block holding only the orientation tag.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut v = b"II*\0".to_vec();
    v.extend(8u32.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(0x0112u16.to_le_bytes());
    v.extend(3u16.to_le_bytes());
    v.extend(1u32.to_le_bytes());
    v.extend(o.to_le_bytes());
    v.extend([0, 0]);
    v.extend(0u32.to_le_bytes());
    v
}

#[test]
fn check_reads_a_phone_photo_upright_webp_and_heic_and_names_what_it_cannot_read() {
    use image::ImageEncoder;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = produced(dir.path(), &data, "bj-degree", "good.jpg");
    let upright = image::open(&good).unwrap().to_rgb8();
    // As a phone stores a portrait: the pixels turned a quarter to the left, with EXIF
    // orientation 6 saying "turn 90° clockwise to show".
    let stored = image::imageops::rotate270(&upright);
    let sideways = dir.path().join("phone.jpg");
    let mut jpeg = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    enc.set_exif_metadata(exif_orientation(6)).unwrap();
    enc.write_image(
        &stored,
        stored.width(),
        stored.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    std::fs::write(&sideways, &jpeg).unwrap();
    // The same pixels without the tag: a sideways face, which must fail.
    let no_tag = dir.path().join("no-tag.jpg");
    stored.save(&no_tag).unwrap();
    // A WebP named .jpg, as web sites hand them out.
    let webp = dir.path().join("saved-from-web.jpg");
    let mut bytes = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut bytes)
        .write_image(
            &upright,
            upright.width(),
            upright.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    std::fs::write(&webp, &bytes).unwrap();
    // An iPhone's HEIC, and one cut off after its header.
    let heic = dir.path().join("IMG_0001.HEIC");
    std::fs::write(
        &heic,
        capture_core::picture::encode_heic(&upright, 90).unwrap(),
    )
    .unwrap();
    let broken = dir.path().join("IMG_0002.HEIC");
    std::fs::write(&broken, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0").unwrap();

    let (code, stdout, stderr) = kiosk(
        &[
            "check",
            "--json",
            sideways.to_str().unwrap(),
            no_tag.to_str().unwrap(),
            webp.to_str().unwrap(),
            heic.to_str().unwrap(),
            broken.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(
        code, 2,
        "the broken HEIC file could not be read: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("IMG_0002.HEIC") && stderr.contains("HEIC") && stderr.contains("damaged"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("IMG_0001.HEIC"),
        "the good HEIC is read: {stderr}"
    );
    let reports = json_reports(&stdout);
    let by_file = |name: &str| report_on(&reports, name);
    let check = check_in;
    assert_eq!(by_file("phone.jpg")["faces"], 1, "{stdout}");
    let roll = check(by_file("phone.jpg"), "pose.roll");
    assert_eq!(roll["pass"], true, "read upright: {roll}");
    assert_eq!(by_file("saved-from-web.jpg")["faces"], 1, "{stdout}");
    assert_eq!(
        check(by_file("saved-from-web.jpg"), "pose.roll")["pass"],
        true
    );
    // The HEIC is checked like the JPEG it was made from.
    let from_heic = by_file("IMG_0001.HEIC");
    assert_eq!(from_heic["faces"], 1, "{stdout}");
    assert_eq!(check(from_heic, "pose.roll")["pass"], true, "{from_heic}");
    assert_eq!(check(from_heic, "head.size")["pass"], true, "{from_heic}");
    // Without the tag the face lies on its side: not a photo anyone would accept.
    assert_eq!(by_file("no-tag.jpg")["compliant"], false, "{stdout}");
}

#[test]
fn chsi_graduation_holds_the_top_of_the_head_and_the_face_width_to_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = produced(dir.path(), &data, "chsi-graduation", "chsi.jpg");
    let photo = image::open(&good).unwrap().to_rgb8();
    assert_eq!(photo.dimensions(), (480, 640));
    // The same photo 60 px lower: the top of the head falls below 110 px from the top,
    // while the eye line (200–300 px) still holds.
    let blue = image::Rgb([100, 197, 255]);
    let mut low = image::RgbImage::from_pixel(480, 640, blue);
    image::imageops::overlay(&mut low, &photo, 0, 60);
    let low_file = dir.path().join("low.jpg");
    write_jpeg(&low, &low_file);
    // Squeezed to 60 % of its width: the face narrower than 180 px.
    let narrow = image::imageops::resize(&photo, 288, 640, image::imageops::FilterType::CatmullRom);
    let mut thin = image::RgbImage::from_pixel(480, 640, blue);
    image::imageops::overlay(&mut thin, &narrow, 96, 0);
    let thin_file = dir.path().join("thin.jpg");
    write_jpeg(&thin, &thin_file);

    let run = |profile: &str| {
        let (_, stdout, stderr) = kiosk(
            &[
                "check",
                "--json",
                "--profile",
                profile,
                good.to_str().unwrap(),
                low_file.to_str().unwrap(),
                thin_file.to_str().unwrap(),
            ],
            &data,
        );
        let reports = json_reports(&stdout);
        assert_eq!(reports.len(), 3, "{stdout}{stderr}");
        reports
    };
    let check = check_in;
    let chsi = run("chsi-graduation");
    assert_eq!(chsi[0]["compliant"], true, "{}", chsi[0]);
    let position = check(&chsi[1], "head.position");
    assert_eq!(position["pass"], false, "{position}");
    assert!(
        position["limit"]
            .as_str()
            .unwrap()
            .contains("top of head 50–110 px"),
        "{position}"
    );
    assert!(
        position["message_en"].as_str().unwrap().contains("too low"),
        "{position}"
    );
    // The pixel row of the top of the head, which failed, is reported beside the offset.
    assert!(
        position["also"]["top_px"].as_f64().unwrap() > 110.0,
        "{position}"
    );
    let size = check(&chsi[2], "head.size");
    assert_eq!(size["pass"], false, "{size}");
    assert!(
        size["limit"]
            .as_str()
            .unwrap()
            .contains("face width 180–300 px"),
        "{size}"
    );
    assert!(
        size["also"]["face_width_px"].as_f64().unwrap() < 180.0,
        "{size}"
    );
    // bj-degree sets no pixel bounds: its head.size limit names none, nor its report.
    let bj = run("bj-degree");
    let size = check(&bj[2], "head.size");
    assert!(!size["limit"].as_str().unwrap().contains("px"), "{size}");
    assert!(size["also"].as_object().unwrap().is_empty(), "{size}");
}

/// `capture-kiosk ARGS` with `stdin` on its standard input.
fn kiosk_with_input(args: &[&str], data_dir: &Path, stdin: &str) -> (i32, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("CAPTURE_KIOSK_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// doctor's "staff PIN" line for this config and data.
fn pin_line(config: &str, data: &Path) -> String {
    let (_, out, _) = kiosk(&["doctor", "--offline", "--config", config], data);
    out.lines()
        .find(|l| l.starts_with("staff PIN"))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}

#[test]
fn a_set_pin_is_kept_hashed_and_the_demo_pin_does_not_open_a_kiosk_with_a_service() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        "[sync]\nserver = \"https://photos.example.edu.cn\"\ntoken = \"t\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    // On the demo PIN with a central service configured, the kiosk does not start (before
    // any window or camera), and doctor says why.
    let (code, _, err) = kiosk(&["run", "--config", config, "--camera", "demo"], &data);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("capture-kiosk staff set-pin"), "{err}");
    let line = pin_line(config, &data);
    assert!(
        line.contains("ERROR") && line.contains("will not start"),
        "{line}"
    );

    // Short, repeated and sequential PINs are refused, and change nothing.
    for weak in ["2580", "12345", "111111", "123456", "987654", "12345a"] {
        let (code, out) = kiosk_with_input(&["staff", "set-pin"], &data, &format!("{weak}\n"));
        assert_eq!(code, 1, "{weak}: {out}");
        assert!(out.contains("nothing changed"), "{weak}: {out}");
    }
    let (code, out) = kiosk_with_input(&["staff", "set-pin"], &data, "739201\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("argon2id"), "{out}");

    // Kept as an argon2id hash, never as the PIN; audited; doctor is content.
    let db = rusqlite::Connection::open(data.join("kiosk.db")).unwrap();
    let hash: String = db
        .query_row("SELECT hash FROM staff_pin", [], |r| r.get(0))
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains("739201"),
        "{hash}"
    );
    let audited: i64 = db
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'staff.pin_set'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
    let mut everything = std::fs::read(data.join("kiosk.db")).unwrap();
    everything.extend(std::fs::read(data.join("kiosk.db-wal")).unwrap_or_default());
    assert!(
        !everything.windows(6).any(|w| w == b"739201"),
        "the PIN is nowhere in the database"
    );
    let line = pin_line(config, &data);
    assert!(
        line.contains("argon2id") && !line.contains("ERROR"),
        "{line}"
    );
}

#[test]
fn audit_verify_says_whether_the_log_is_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = common_demo_roster();
    let (code, out, err) = kiosk(&["roster", "import", demo.to_str().unwrap()], &data);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = kiosk(&["audit", "verify"], &data);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("audit log: 1 entries, every one as written (head "),
        "{out}"
    );
    rusqlite::Connection::open(data.join("kiosk.db"))
        .unwrap()
        .execute("UPDATE audit SET detail = '{}' WHERE id = 1", [])
        .unwrap();
    let (code, out, _) = kiosk(&["audit", "verify"], &data);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("BROKEN at entry 1: its fields are not the ones it was written with"),
        "{out}"
    );
}

fn common_demo_roster() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/roster.csv")
}

#[test]
fn purge_asks_for_yes_and_then_says_what_it_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = common_demo_roster();
    kiosk(&["roster", "import", demo.to_str().unwrap()], &data);
    let (code, _, err) = kiosk(&["purge"], &data);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let (_, out, _) = kiosk(&["roster", "list"], &data);
    assert!(
        out.contains("000011110001"),
        "nothing deleted without --yes: {out}"
    );
    let (code, out, err) = kiosk(&["purge", "--yes"], &data);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("purged: 9 roster entries, 0 photo files"),
        "{out}"
    );
    let (_, out, _) = kiosk(&["roster", "list"], &data);
    assert!(!out.contains("000011110001"), "{out}");
}
