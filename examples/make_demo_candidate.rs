//! Makes the demo camera's pictures, assets/demo/frame-*.jpg: the demo candidate, a live
//! candidate ([`LiveCandidate`]) made from the public-domain Grace Hopper portrait
//! (tests/fixtures/portraits/grace_hopper.jpg; assets/demo/PROVENANCE.md), one file for each
//! distinct pose of [`live`] in [`live::poses`]'s order; the demo camera plays them in
//! the cycle's order. The files are committed: run this only to change them.
//! `cargo run --example make_demo_candidate [PORTRAIT]`

use capture_core::profile::Profile;
use capture_kiosk::camera::replay::live;
use capture_kiosk::synthetic::LiveCandidate;
use std::path::{Path, PathBuf};

fn main() -> anyhow::Result<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("tests/fixtures/portraits/grace_hopper.jpg"));
    let portrait = image::open(&source)?.to_rgb8();
    let profile = Profile::builtin("bj-degree").expect("a built-in profile");
    let mut analyzer = capture_vision::FaceAnalyzer::load()?;
    let candidate = LiveCandidate::from_portrait(&mut analyzer, &portrait, &profile, (1280, 720))?;
    let dir = repo.join("assets/demo");
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jpg") {
            std::fs::remove_file(path)?;
        }
    }
    for (k, pose) in live::poses().into_iter().enumerate() {
        let path = dir.join(format!("frame-{k:02}.jpg"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&candidate.frame(pose))?;
        println!("{} {pose:?}", path.display());
    }
    Ok(())
}
