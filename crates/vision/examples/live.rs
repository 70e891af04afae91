//! Runs the live checks over camera frames as the kiosk's analysis thread does, and prints
//! each frame's sign of life so far (`-` until enough frames), instruction and failing checks
//! with their values — for calibrating limits
//! on recorded frames. `cargo run --release --example live -- FRAME.jpg...`
use capture_core::profile::Profile;
use capture_vision::FaceAnalyzer;
use capture_vision::inspect::LiveInspector;

fn main() {
    let profile = Profile::builtin("bj-degree").expect("profile");
    let mut live = LiveInspector::new(FaceAnalyzer::load().expect("models"), profile, 1);
    for path in std::env::args().skip(1) {
        let image = image::open(&path).expect("an image").to_rgb8();
        let f = live.frame(&image, true).expect("analysis");
        let failing: Vec<String> = f
            .results
            .iter()
            .filter(|r| !r.pass)
            .map(|r| format!("{}={:?} ({})", r.id, r.value, r.limit))
            .collect();
        let life = match live.alive() {
            None => "-",
            Some(true) => "yes",
            Some(false) => "no",
        };
        println!(
            "{path}: life {life} | {} | failing: {}",
            f.guidance
                .instruction
                .as_ref()
                .map_or("ready", |(_, message)| &message.en),
            failing.join(", ")
        );
    }
}
