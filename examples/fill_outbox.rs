//! Fills a kiosk's outbox with N synthetic captures (noise photos of about 300 KB, each
//! different), as if N candidates had been photographed: for measuring the sync.
//! `cargo run --example fill_outbox -- DATA_DIR N`

use capture_kiosk::identity::{AdmissionNumber, MobileNumber};
use capture_kiosk::roster::RosterEntry;
use capture_kiosk::store::{NewCapture, Store};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = &args[..] else {
        eprintln!("usage: fill_outbox DATA_DIR N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let mut store = Store::open(std::path::Path::new(dir)).expect("the data directory");
    let mobile = MobileNumber::parse("13800000001").unwrap();
    let mut seed = 99u32;
    let img = image::RgbImage::from_fn(480, 640, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        image::Rgb([
            (x / 2) as u8 ^ (seed >> 26) as u8,
            (y / 3) as u8,
            (seed >> 20) as u8,
        ])
    });
    let base = capture_kiosk::photo::encode_jpeg(&img, 300).unwrap();
    for i in 0..n {
        // Different bytes for each: a counter in a JPEG comment segment after SOI.
        let mut jpeg = base[..2].to_vec();
        let note = format!("capture {i}");
        jpeg.extend_from_slice(&[0xFF, 0xFE, 0, (note.len() + 2) as u8]);
        jpeg.extend_from_slice(note.as_bytes());
        jpeg.extend_from_slice(&base[2..]);
        let entry = RosterEntry {
            admission_no: AdmissionNumber::parse(&format!("{i:012}"), 12).unwrap(),
            name: "测试".into(),
            education_level: "本科".into(),
            phone: None,
        };
        store
            .accept_capture(&NewCapture {
                id: uuid::Uuid::new_v4(),
                entry: &entry,
                mobile: &mobile,
                profile: "bj-degree",
                taken_at: chrono::Local::now(),
                retakes: 0,
                jpeg: &jpeg,
                checks: &[],
            })
            .unwrap();
    }
    eprintln!(
        "{n} captures of {} KB in the outbox of {dir}",
        base.len() / 1024
    );
}
