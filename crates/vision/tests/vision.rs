//! The face analysis on real portraits: where the landmarks, irises and the person mask
//! land, tracking across frames, and counting faces.

use capture_core::face::Analysis;
use capture_vision::FaceAnalyzer;
use image::RgbImage;
use std::path::Path;

fn load(path: &str) -> RgbImage {
    image::open(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(path))
        .unwrap()
        .to_rgb8()
}

fn analyzer() -> FaceAnalyzer {
    FaceAnalyzer::load().expect("the built-in models load")
}

/// The eye line's angle in degrees (outer eye corners 33 → 263).
fn roll_degrees(a: &Analysis) -> f32 {
    let m = a.mesh.as_ref().unwrap();
    let (p, q) = (m.point(33), m.point(263));
    (q.1 - p.1).atan2(q.0 - p.0).to_degrees()
}

#[test]
fn a_frontal_portrait_gives_one_face_with_landmarks_where_the_face_is() {
    let image = load("tests/fixtures/portraits/grace_hopper.jpg");
    let a = analyzer().still(&image).unwrap();
    assert_eq!(a.faces, 1);
    let mesh = a.mesh.as_ref().expect("a face mesh");
    assert!(mesh.presence > 0.9, "presence {}", mesh.presence);
    assert_eq!(mesh.points.len(), 468);
    // The face is in the middle third of the 512×600 picture, eyes above nose above chin.
    let (nose, chin, eye_l, eye_r) = (
        mesh.point(1),
        mesh.point(152),
        mesh.point(33),
        mesh.point(263),
    );
    assert!(nose.0 > 200.0 && nose.0 < 320.0, "nose {nose:?}");
    assert!(
        eye_l.0 < nose.0 && nose.0 < eye_r.0,
        "eyes either side of the nose"
    );
    assert!(
        eye_l.1 < nose.1 && nose.1 < chin.1,
        "eyes above the nose, the chin below"
    );
    assert!(
        roll_degrees(&a).abs() < 8.0,
        "an official portrait is about level: {}",
        roll_degrees(&a)
    );
    // Each iris is between its eye's corners.
    for eye in a.eyes.as_ref().expect("irises") {
        let (c, [p, q]) = (eye.iris_centre, eye.corners);
        assert!(
            p.0 < c.0 && c.0 < q.0,
            "iris {c:?} between corners {p:?} {q:?}"
        );
        assert!(
            eye.iris_radius > 3.0 && eye.iris_radius < 20.0,
            "radius {}",
            eye.iris_radius
        );
    }
}

#[test]
fn the_person_mask_covers_the_person_and_not_the_backdrop() {
    let image = load("tests/fixtures/portraits/grace_hopper.jpg");
    let mut analyzer = analyzer();
    let mask = analyzer.segment(&image).unwrap();
    let nose = analyzer.still(&image).unwrap().mesh.unwrap().point(1);
    assert!(mask.at(nose.0, nose.1) > 0.9, "the face is the person");
    assert!(mask.at(256.0, 550.0) > 0.9, "so is the uniform below it");
    assert!(
        mask.at(490.0, 120.0) < 0.2,
        "the blue backdrop at the top right is not"
    );
    assert!(mask.at(20.0, 60.0) < 0.2, "nor the flag at the top left");
}

#[test]
fn a_moving_face_is_tracked_without_the_detector() {
    let mut analyzer = analyzer();
    let first = analyzer
        .track(&load("tests/fixtures/astronaut/frame-00.jpg"), false)
        .unwrap();
    assert!(first.detected && first.mesh.is_some());
    let mut last_nose = first.mesh.unwrap().point(1);
    for n in 1..6 {
        let a = analyzer
            .track(
                &load(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")),
                false,
            )
            .unwrap();
        assert!(!a.detected, "frame {n}: tracked, no detection");
        let nose = a.mesh.expect("still found").point(1);
        assert!(
            (nose.0 - last_nose.0).abs() < 15.0,
            "the sway moves the face a little"
        );
        last_nose = nose;
    }
}

#[test]
fn no_face_and_two_faces_are_counted() {
    let mut analyzer = analyzer();
    let blank = RgbImage::from_pixel(640, 480, image::Rgb([70, 120, 200]));
    let a = analyzer.still(&blank).unwrap();
    assert_eq!((a.faces, a.mesh.is_none()), (0, true));

    let face = load("tests/fixtures/portraits/grace_hopper.jpg");
    let mut two = RgbImage::from_pixel(1100, 600, image::Rgb([70, 120, 200]));
    image::imageops::overlay(&mut two, &face, 0, 0);
    image::imageops::overlay(&mut two, &face, 560, 0);
    assert_eq!(analyzer.still(&two).unwrap().faces, 2);
}

#[test]
fn results_are_reused_only_while_nothing_moves() {
    let mut analyzer = analyzer();
    let frame = load("tests/fixtures/astronaut/frame-00.jpg");
    assert!(
        !analyzer.track(&frame, true).unwrap().reused,
        "the first frame runs the models"
    );
    // The same picture again (a candidate holding still): nothing to run.
    let again = analyzer.track(&frame, true).unwrap();
    assert!(again.reused && again.mesh.is_some() && again.eyes.is_some());
    // A closed eye is a local change: the models run.
    let mesh = again.mesh.unwrap();
    let mut blink = frame.clone();
    let (x, y) = mesh.point(159);
    for dy in -6..=6 {
        for dx in -14..=14 {
            blink.put_pixel(
                (x as i32 + dx) as u32,
                (y as i32 + dy) as u32,
                image::Rgb([190, 150, 130]),
            );
        }
    }
    assert!(
        !analyzer.track(&blink, true).unwrap().reused,
        "a blink is seen"
    );
    // However still the picture, the models run again after a while.
    let runs = (0..25)
        .filter(|_| !analyzer.track(&blink, true).unwrap().reused)
        .count();
    assert!(
        runs >= 2,
        "refreshed at least every ten frames ({runs} runs in 25)"
    );
}

#[test]
fn live_video_measures_the_texture_cues_every_other_frame_and_on_every_burst_frame() {
    use capture_core::compliance::CheckId;
    let profile = capture_core::profile::Profile::builtin("bj-degree").unwrap();
    let mut live = capture_vision::inspect::LiveInspector::new(analyzer(), profile, 1);
    let frames: Vec<RgbImage> = (0..9)
        .map(|n| load(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")))
        .collect();
    // The liveness check's texture reading of a frame whose models ran (the face sways:
    // a cue measured afresh moves).
    let texture = |live: &mut capture_vision::inspect::LiveInspector, f: &RgbImage, fresh| {
        live.analyzer().refresh(); // the landmarks on every frame, as while the face moves
        let frame = live.frame(f, fresh).unwrap();
        assert!(!frame.reused);
        let check = frame
            .results
            .iter()
            .find(|r| r.id == CheckId::Liveness)
            .unwrap();
        let reading = check.also.iter().find(|r| r.name == "texture").unwrap();
        reading.value.expect("a face: its texture is read")
    };
    let readings: Vec<f32> = frames
        .iter()
        .map(|f| texture(&mut live, f, false))
        .collect();
    let kept: Vec<bool> = readings.windows(2).map(|w| w[0] == w[1]).collect();
    assert_eq!(
        kept,
        [true, false, true, false, true, false, true, false],
        "measured on frames 0, 2, 4…, kept on 1, 3, 5…: {readings:?}"
    );
    // A burst frame measures them even where the next frame would have kept them.
    let bursts: Vec<f32> = frames.iter().map(|f| texture(&mut live, f, true)).collect();
    assert!(
        bursts.windows(2).all(|w| w[0] != w[1]),
        "measured on every burst frame: {bursts:?}"
    );
}

#[test]
fn while_tracking_an_iris_is_measured_every_other_frame_and_on_request() {
    let mut analyzer = analyzer();
    let frames: Vec<RgbImage> = (0..9)
        .map(|n| load(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")))
        .collect();
    let eyes = |analyzer: &mut FaceAnalyzer, f: &RgbImage| {
        analyzer.refresh(); // the landmarks on every frame, as while the face moves
        let a = analyzer.track(f, true).unwrap();
        assert!(!a.reused);
        a.eyes.expect("eyes on a tracked face")
    };
    // Which eyes changed from one frame to the next (the face sways: a new measure moves).
    let changed = |a: &[capture_core::face::Eye; 2], b: &[capture_core::face::Eye; 2]| {
        [0, 1].map(|k| a[k] != b[k])
    };
    let mut last = eyes(&mut analyzer, &frames[0]);
    let mut pattern = Vec::new();
    for f in &frames[1..] {
        let now = eyes(&mut analyzer, f);
        pattern.push(changed(&last, &now));
        last = now;
    }
    // One frame in two measures one eye, the two eyes in turn; the others keep theirs.
    let measured: Vec<usize> = pattern
        .iter()
        .map(|c| c.iter().filter(|&&v| v).count())
        .collect();
    assert_eq!(measured, [0, 1, 0, 1, 0, 1, 0, 1], "{pattern:?}");
    let which: Vec<bool> = pattern
        .iter()
        .filter(|c| c[0] || c[1])
        .map(|c| c[0])
        .collect();
    assert!(
        which.windows(2).all(|w| w[0] != w[1]),
        "eyes in turn: {pattern:?}"
    );
    // Just after a frame that measured an eye, the next would not; a capture burst asks for
    // it, and it is measured on that very frame.
    assert_eq!(measured.last(), Some(&1));
    analyzer.refresh_eyes();
    let after = eyes(&mut analyzer, &frames[0]);
    assert!(
        changed(&last, &after).iter().any(|&v| v),
        "an eye measured afresh on request"
    );
}
