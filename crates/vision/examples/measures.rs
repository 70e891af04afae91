//! Prints the raw measures of photos (for calibrating the limits), one line each.
//! `cargo run -p capture-vision --example measures IMAGE...`
fn dress(
    i: &capture_vision::inspect::Inspection,
    f: impl Fn(&capture_core::compliance::dress::DressMeasures) -> Option<f32>,
) -> String {
    i.measures
        .mask
        .as_ref()
        .and_then(|m| f(&m.dress))
        .map_or("-".into(), |v| format!("{v:.2}"))
}

fn main() {
    let profile = capture_core::profile::Profile::builtin("bj-degree").unwrap();
    let mut analyzer = capture_vision::FaceAnalyzer::load().unwrap();
    println!(
        "{:<44} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "file",
        "peak",
        "edges",
        "pitch",
        "yaw",
        "eyes",
        "gaze",
        "shoul",
        "sharp",
        "head",
        "eyeC",
        "skinA",
        "skinB",
        "earr",
        "gap",
        "teeth",
        "earH",
        "earS"
    );
    for path in std::env::args().skip(1) {
        // As a person sees it: EXIF orientation applied, any format `check` reads.
        let image = capture_core::picture::decode(&std::fs::read(&path).unwrap())
            .unwrap()
            .image;
        let i =
            capture_vision::inspect::inspect_still(&mut analyzer, &image, None, &profile).unwrap();
        let name = std::path::Path::new(&path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match &i.measures.face {
            Some(f) => println!(
                "{:<44} {:>6.1} {:>6.2} {:>6.1} {:>6.1} {:>6.3} {:>6.3} {:>7} {:>6.0} {:>6.3} {:>6.1} {:>6.1} {:>6.1} {:>6} {:>6.3} {:>6.4} {:>6} {:>6}",
                name,
                f.texture_peak,
                f.border_edges,
                f.pitch,
                f.yaw,
                f.eyes_open,
                f.gaze.unwrap_or(-1.0),
                format!(
                    "{:?}",
                    i.measures
                        .mask
                        .as_ref()
                        .and_then(|m| m.shoulders)
                        .map(|s| s.round())
                ),
                f.sharpness,
                f.head_height,
                f.eye_contrast,
                f.skin_a,
                f.skin_b,
                i.measures
                    .mask
                    .as_ref()
                    .and_then(|m| m.dress.earrings)
                    .map_or("-".into(), |v| format!("{v:.3}")),
                f.mouth_gap,
                f.teeth,
                dress(&i, |d| d.ear_hair),
                dress(&i, |d| d.ear_skin),
            ),
            None => println!("{name:<44} no face"),
        }
    }
}
