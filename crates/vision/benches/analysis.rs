//! Speed of the face analysis and the photo (`cargo bench`). The figures are medians on
//! one core; the targets: tracking frame ≤ 15 ms, 12-megapixel still check
//! ≤ 150 ms, final photo ≤ 60 ms. `benches/vs-mediapipe.sh` compares with MediaPipe.

use capture_core::profile::Profile;
use capture_vision::inspect::LiveInspector;
use capture_vision::{FaceAnalyzer, FaceDetector};
use criterion::{Criterion, criterion_group, criterion_main};
use image::RgbImage;
use std::path::Path;

fn load(p: &str) -> RgbImage {
    image::open(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(p))
        .unwrap()
        .to_rgb8()
}

fn demo_frames() -> Vec<RgbImage> {
    (0..30)
        .map(|n| load(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")))
        .collect()
}

/// A 12-megapixel photo (4000×3000) with a face, as a JPEG.
fn twelve_megapixels() -> Vec<u8> {
    let face = load("tests/fixtures/portraits/grace_hopper.jpg");
    let big = image::imageops::resize(&face, 2560, 3000, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(4000, 3000, image::Rgb([70, 140, 215]));
    image::imageops::overlay(&mut canvas, &big, 720, 0);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&canvas)
        .unwrap();
    jpeg
}

fn benches(c: &mut Criterion) {
    let profile = Profile::builtin("bj-degree").unwrap();
    let frames = demo_frames();

    // As the kiosk's analysis thread runs it while the candidate moves (the landmarks on
    // every frame: no reuse while nothing moved): landmarks, an iris every other frame (one
    // eye in turn), a person mask about once a second (every 30th frame; the demo face
    // sways, so sometimes sooner), every live check, the guidance.
    let mut live = LiveInspector::new(FaceAnalyzer::load().unwrap(), profile.clone(), 4);
    live.frame(&frames[0], true).unwrap();
    let mut i = 0;
    c.bench_function(
        "tracking frame 1280x720 (landmarks, an iris every other frame, mask about once a second, every live check)",
        |b| {
            b.iter(|| {
                i = (i + 1) % frames.len();
                live.analyzer().refresh();
                live.frame(&frames[i], false).unwrap()
            })
        },
    );
    // The same with every model run on every frame (both irises in turn, one per frame:
    // what a capture burst's frames cost).
    let mut i = 0;
    c.bench_function(
        "burst frame 1280x720 (landmarks, an iris on every frame, mask about once a second, every live check)",
        |b| {
            b.iter(|| {
                i = (i + 1) % frames.len();
                live.frame(&frames[i], true).unwrap()
            })
        },
    );
    let mut analyzer = FaceAnalyzer::load().unwrap();

    let mut detector = FaceDetector::load().unwrap();
    c.bench_function("detection frame 1280x720", |b| {
        b.iter(|| detector.detect(&frames[0], 0.5).unwrap())
    });

    let jpeg = twelve_megapixels();
    c.bench_function(
        "still check of a 12-megapixel JPEG (decode, analyse, segment, every check)",
        |b| {
            b.iter(|| {
                let image = image::load_from_memory(&jpeg).unwrap().to_rgb8();
                capture_vision::inspect::inspect_still(
                    &mut analyzer,
                    &image,
                    Some(jpeg.len() as u64),
                    &profile,
                )
                .unwrap()
            })
        },
    );

    let frame = &frames[0];
    let mesh = analyzer.still(frame).unwrap().mesh.unwrap();
    c.bench_function(
        "final photo from a captured frame (segment, place, replace backdrop, JPEG)",
        |b| {
            b.iter(|| {
                let mask = analyzer.segment(frame).unwrap();
                let (crown, _) = capture_core::compliance::measure::crown(&mesh, Some(&mask));
                capture_core::photo::produce(frame, &mesh, crown, &mask, &profile).unwrap()
            })
        },
    );
}

criterion_group! {
    name = analysis;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(6));
    targets = benches
}
criterion_main!(analysis);
