//! Writes what the face analysis sees, for prototyping measures outside Rust:
//! `cargo run --example dump OUT_DIR IMAGE...` writes, per image, `NAME.png` (decoded,
//! EXIF-oriented), `NAME.mask.png` (person mask) and `NAME.json` (mesh, eyes, faces).
use std::fmt::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(&args[0]);
    std::fs::create_dir_all(&out).unwrap();
    let mut analyzer = capture_vision::FaceAnalyzer::load().unwrap();
    for path in &args[1..] {
        let bytes = std::fs::read(path).unwrap();
        let image = capture_core::picture::decode(&bytes).unwrap().image;
        let stem = std::path::Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let analysis = analyzer.still(&image).unwrap();
        let mask = analyzer.segment(&image).unwrap();
        image.save(out.join(format!("{stem}.png"))).unwrap();
        mask.to_image()
            .save(out.join(format!("{stem}.mask.png")))
            .unwrap();
        let mut j = format!("{{\"faces\":{},\"mesh\":", analysis.faces);
        match &analysis.mesh {
            None => j.push_str("null"),
            Some(m) => {
                j.push('[');
                for (i, p) in m.points.iter().enumerate() {
                    if i > 0 {
                        j.push(',');
                    }
                    write!(j, "[{},{},{}]", p[0], p[1], p[2]).unwrap();
                }
                j.push(']');
            }
        }
        j.push_str(",\"eyes\":");
        match &analysis.eyes {
            None => j.push_str("null"),
            Some(eyes) => {
                j.push('[');
                for (i, e) in eyes.iter().enumerate() {
                    if i > 0 {
                        j.push(',');
                    }
                    write!(
                        j,
                        "{{\"iris\":[{},{}],\"r\":{},\"corners\":[[{},{}],[{},{}]],\"opening\":{}}}",
                        e.iris_centre.0, e.iris_centre.1, e.iris_radius, e.corners[0].0,
                        e.corners[0].1, e.corners[1].0, e.corners[1].1, e.opening
                    )
                    .unwrap();
                }
                j.push(']');
            }
        }
        j.push('}');
        std::fs::write(out.join(format!("{stem}.json")), j).unwrap();
        eprintln!("{stem}");
    }
}
