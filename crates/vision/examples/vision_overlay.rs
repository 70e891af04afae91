//! Draws what the face analysis sees onto a picture: landmarks (green), irises (red),
//! the person mask (blue tint). `cargo run --example vision_overlay IMAGE OUT.png`
use image::{Rgb, RgbImage};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let image = image::open(&args[1]).expect("an image").to_rgb8();
    let mut analyzer = capture_vision::FaceAnalyzer::load().expect("models load");
    let t = std::time::Instant::now();
    let analysis = analyzer.still(&image).expect("analysis runs");
    println!("faces {} in {:?}", analysis.faces, t.elapsed());
    let mask = analyzer.segment(&image).expect("segmentation runs");
    let mut out: RgbImage = image.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let m = mask.at(x as f32 + 0.5, y as f32 + 0.5);
        p.0[2] = (p.0[2] as f32 * (1.0 - 0.5 * (1.0 - m)) + 128.0 * (1.0 - m)) as u8;
    }
    let mut dot = |x: f32, y: f32, c: Rgb<u8>, r: i32| {
        for dy in -r..=r {
            for dx in -r..=r {
                let (px, py) = (x as i32 + dx, y as i32 + dy);
                if px >= 0 && py >= 0 && (px as u32) < out.width() && (py as u32) < out.height() {
                    out.put_pixel(px as u32, py as u32, c);
                }
            }
        }
    };
    if let Some(mesh) = &analysis.mesh {
        println!("presence {:.3} roi {:?}", mesh.presence, mesh.roi);
        for p in &mesh.points {
            dot(p[0], p[1], Rgb([0, 255, 0]), 0);
        }
        for i in [1usize, 33, 133, 263, 362, 13, 14, 152, 10] {
            dot(mesh.points[i][0], mesh.points[i][1], Rgb([255, 255, 0]), 1);
        }
    }
    if let Some(eyes) = &analysis.eyes {
        for e in eyes {
            println!("iris {:?} r {:.1}", e.iris_centre, e.iris_radius);
            dot(e.iris_centre.0, e.iris_centre.1, Rgb([255, 0, 0]), 1);
        }
    }
    out.save(&args[2]).unwrap();
}
