//! Per-frame timings on a sequence of frames, for `benches/vs-mediapipe.sh`: prints the
//! median milliseconds of each kind of work, one `name value` per line.
//! `cargo run --release --example per_frame -- FRAME...`
use capture_kiosk::compliance::measure::{Frame, measure};
use capture_kiosk::compliance::{Context, evaluate};
use capture_kiosk::profile::{Framing, Profile};
use capture_kiosk::vision::{FaceAnalyzer, FaceDetector};
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
    let framing = Framing::for_camera(&profile, frames[0].width(), frames[0].height());
    let mut time = |work: &mut dyn FnMut(&image::RgbImage)| {
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
    let mut a = FaceAnalyzer::load().unwrap();
    println!(
        "raw_full_tracking {:.3}",
        time(&mut |f| {
            a.refresh();
            let an = a.track(f, true).unwrap();
            let m = measure(f, Frame::of_framing(&framing, f), &an, None);
            evaluate(&m, &profile, Context::Live);
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
    let mut a = FaceAnalyzer::load().unwrap();
    println!(
        "full_tracking {:.3}",
        time(&mut |f| {
            let an = a.track(f, true).unwrap();
            let m = measure(f, Frame::of_framing(&framing, f), &an, None);
            evaluate(&m, &profile, Context::Live);
        })
    );
}
