//! Fills a kiosk's outbox with N synthetic captures (noise photos of about 330 KB, each
//! different), as if N candidates had been photographed: for measuring the sync.
//! `cargo run --example fill_outbox -- DATA_DIR N`

use capture_kiosk::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = &args[..] else {
        eprintln!("usage: fill_outbox DATA_DIR N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let mut store = Store::open(std::path::Path::new(dir)).expect("the data directory");
    let base = capture_kiosk::synthetic::noise_jpeg(99, 480);
    for i in 0..n {
        // Different bytes for each, without encoding each: a JPEG comment after SOI.
        let note = format!("capture {i}");
        let mut jpeg = base[..2].to_vec();
        jpeg.extend_from_slice(&[0xFF, 0xFE, 0, (note.len() + 2) as u8]);
        jpeg.extend_from_slice(note.as_bytes());
        jpeg.extend_from_slice(&base[2..]);
        capture_kiosk::synthetic::accept(&mut store, &format!("{i:012}"), &jpeg, &[]).unwrap();
    }
    eprintln!(
        "{n} captures of {} KB in the outbox of {dir}",
        base.len() / 1024
    );
}
