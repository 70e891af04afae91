//! Every parser that takes input from outside, under inputs no honest party sends (issue
//! 11, item 11): the upload body and the heartbeat the service reads, the roster CSV from a
//! USB stick, the roster versions and decision pages the kiosk fetches, a bundle's
//! manifest, the config file, and camera frames (MJPEG, YUYV). Each gets valid inputs
//! mutated (bytes changed, inserted, removed, cut off) and plain noise, from proptest; a
//! panic fails the test with the smallest input proptest finds for it.
//!
//! The test suite tries `CAPTURE_FUZZ_CASES` inputs per parser (2,000 by default);
//! `tools/fuzz` runs 1,000,000 per parser and prints the counts.

use capture_protocol::{BundleManifest, CaptureUpload, DecisionPage, Heartbeat, RosterVersion};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};

fn cases() -> u32 {
    std::env::var("CAPTURE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// The seeds with a few edits each (a byte changed, inserted or removed; the rest cut
/// off), or noise.
fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..8), 1..8);
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        4 => (0..n, edits).prop_map(move |(i, edits)| {
            let mut b = seeds[i].clone();
            for (at, byte, kind) in edits {
                if b.is_empty() {
                    b.push(byte);
                    continue;
                }
                let k = at.index(b.len());
                match kind {
                    0..=3 => b[k] = byte,
                    4 | 5 => b.insert(k, byte),
                    6 => {
                        b.remove(k);
                    }
                    _ => b.truncate(k),
                }
            }
            b
        }),
    ]
}

/// Runs `parse` on `cases()` inputs grown from `seeds`; fails on the first panic.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, parse: impl Fn(&[u8])) {
    for seed in &seeds {
        parse(seed);
    }
    let tried = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&inputs(seeds), |input| {
        tried.fetch_add(1, Ordering::Relaxed);
        parse(&input);
        Ok(())
    });
    let panics = u32::from(outcome.is_err());
    eprintln!(
        "fuzz {name}: {} inputs tried, {panics} panics",
        tried.load(Ordering::Relaxed)
    );
    if let Err(e) = outcome {
        panic!("{name}: {e}");
    }
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

#[test]
fn the_upload_body_and_the_heartbeat() {
    let upload = CaptureUpload::sample(b"\xff\xd8\xff photo");
    let mut with_override = upload.clone();
    with_override.staff_override = Some(capture_protocol::StaffOverride {
        reason: capture_protocol::OverrideReason::Other,
        note: Some("头巾 head scarf".into()),
        checks: vec!["head.covering".into()],
    });
    fuzz(
        "upload body",
        vec![json(&upload), json(&with_override)],
        |b| {
            if let Ok(u) = serde_json::from_slice::<CaptureUpload>(b) {
                let _ = u.verified_photo(u.id);
            }
        },
    );
    let beat = Heartbeat {
        version: "0.1.0".into(),
        queue_length: 3,
        refused: 0,
        free_disk_bytes: Some(1 << 30),
        camera: "ok".into(),
        sent_at: "2026-12-04T00:00:00Z".into(),
    };
    fuzz("heartbeat", vec![json(&beat)], |b| {
        if let Ok(h) = serde_json::from_slice::<Heartbeat>(b) {
            let _ = h.check_fields();
        }
    });
}

#[test]
fn the_roster_csv() {
    let demo = include_bytes!("../assets/demo/roster.csv").to_vec();
    let chinese =
        "\u{feff}准考证号,姓名,学历层次,手机号\n０１００00000001,王小明,本科,13800000001\n"
            .as_bytes()
            .to_vec();
    fuzz("roster CSV", vec![demo, chinese], |b| {
        let _ = capture_core::roster::parse_roster(b, 12);
    });
}

#[test]
fn what_the_kiosk_fetches_and_a_bundle_manifest() {
    let roster = r#"{"version":3,"published_at":"2026-12-04T00:00:00Z","entries":[
        {"admission_no":"000011110001","name":"王小明","education_level":"本科","phone":"13800000001"},
        {"admission_no":"000011110002","name":"李华","education_level":"专科"}]}"#
        .as_bytes()
        .to_vec();
    fuzz("roster version", vec![roster], |b| {
        if let Ok(v) = serde_json::from_slice::<RosterVersion>(b) {
            for row in &v.entries {
                let _ = capture_core::roster::RosterEntry::from_row(row, 12);
            }
        }
    });
    let page = r#"{"decisions":[{"seq":7,"capture_id":"6f1c1f9e-4c7e-4c8e-9a57-2b1f4a3c9d10",
        "verdict":"rejected","reason":"背景","decided_at":"2026-12-04T00:00:00Z"}],"cursor":7,"more":false}"#
        .as_bytes()
        .to_vec();
    fuzz("decision page", vec![page], |b| {
        let _ = serde_json::from_slice::<DecisionPage>(b);
    });
    let manifest = r#"{"format":"capture-kiosk-bundle/1","kiosk":"site-01","created_at":"2026-12-04T00:00:00Z",
        "captures":[{"id":"6f1c1f9e-4c7e-4c8e-9a57-2b1f4a3c9d10","file":"captures/6f1c1f9e-4c7e-4c8e-9a57-2b1f4a3c9d10.json",
        "sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#
        .as_bytes()
        .to_vec();
    fuzz("bundle manifest", vec![manifest], |b| {
        let _ = serde_json::from_slice::<BundleManifest>(b);
    });
}

#[test]
fn the_config_file() {
    let example = include_bytes!("../assets/config.example.toml").to_vec();
    let small =
        b"[sync]\nserver = \"https://x\"\ntoken = \"t\"\n[staff]\npin = \"4321\"\n".to_vec();
    fuzz("config", vec![example, small], |b| {
        if let Ok(text) = std::str::from_utf8(b) {
            let _ = capture_kiosk::config::Config::parse(text, None);
        }
    });
}

#[test]
fn camera_frames() {
    use capture_kiosk::camera::decode::{decode_mjpeg, decode_yuyv};
    let picture =
        image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let jpeg = capture_core::photo::encode_jpeg(&picture, 72).unwrap();
    fuzz("MJPEG frame", vec![jpeg], |b| {
        let _ = decode_mjpeg(b);
    });
    // The first two bytes choose the size (as a camera's mode would), the rest is the frame.
    let mut yuyv = vec![16u8, 8];
    yuyv.extend(std::iter::repeat_n([90u8, 128, 100, 128], 64).flatten());
    fuzz("YUYV frame", vec![yuyv], |b| {
        if let [w, h, data @ ..] = b {
            let _ = decode_yuyv(u32::from(*w), u32::from(*h), data);
        }
    });
}
