//! Per-frame timings on a sequence of frames, for `benches/vs-mediapipe.sh`: prints the
//! median milliseconds of each kind of work, one `name value` per line.
//! `cargo run --release --example per_frame -- FRAME...`
use capture_core::profile::Profile;
use capture_vision::inspect::LiveInspector;
use capture_vision::{FaceAnalyzer, FaceDetector};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let frames: Vec<_> = std::env::args()
        .skip(1)
        .map(|p| image::open(p).unwrap().to_rgb8())
        .collect();
    let rounds = 300;
    let profile = Profile::builtin("bj-degree").unwrap();
    let time = |work: &mut dyn FnMut(&image::RgbImage)| {
        let mut t = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let f = &frames[i % frames.len()];
            let start = Instant::now();
            work(f);
            t.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        median(t)
    };
    let mut detector = FaceDetector::load().unwrap();
    println!(
        "detection {:.3}",
        time(&mut |f| {
            detector.detect(f, 0.5).unwrap();
        })
    );
    // The models on every frame (no reuse when nothing moved).
    let mut a = FaceAnalyzer::load().unwrap();
    println!(
        "raw_landmarks_tracking {:.3}",
        time(&mut |f| {
            a.refresh();
            a.track(f, false).unwrap();
        })
    );
    // What the kiosk's analysis thread does per frame, with every model on every frame (as
    // for a capture burst): landmarks, an iris (one eye in turn), a person mask about once a
    // second, every live check, the guidance.
    let mut live = LiveInspector::new(FaceAnalyzer::load().unwrap(), profile.clone(), 4);
    println!(
        "raw_full_tracking {:.3}",
        time(&mut |f| {
            live.frame(f, true).unwrap();
        })
    );
    let mut a = FaceAnalyzer::load().unwrap();
    println!(
        "landmarks_tracking {:.3}",
        time(&mut |f| {
            a.track(f, false).unwrap();
        })
    );
    let mut a = FaceAnalyzer::load().unwrap();
    println!(
        "landmarks_irises_tracking {:.3}",
        time(&mut |f| {
            a.track(f, true).unwrap();
        })
    );
    let mut live = LiveInspector::new(FaceAnalyzer::load().unwrap(), profile.clone(), 4);
    println!(
        "full_tracking {:.3}",
        time(&mut |f| {
            live.frame(f, false).unwrap();
        })
    );
}
