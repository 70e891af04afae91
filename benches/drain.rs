//! Draining the outbox to the central service over loopback: 1,000 accepted captures of
//! about 300 KB each, sent by the kiosk's sync (`sync::push_pass`, as `sync --once` and the
//! running kiosk use it) to the reference service (`capture_central::server`), both in this process
//! on a real TCP socket, each with its own SQLite database and photo files.
//! `cargo bench --bench drain [-- N]` prints the time and the rate. Target: 1,000 in ≤ 20 s.

use capture_central::{Central, server};
use capture_kiosk::config::SyncSection;
use capture_kiosk::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let (kiosk_dir, central_dir) = (dir.path().join("kiosk"), dir.path().join("central"));

    // A photo of about 300 KB: a noisy 480×640 picture, as JPEG.
    let jpeg = capture_kiosk::synthetic::noise_jpeg(7, 480);
    let t = Instant::now();
    let mut store = Store::open(&kiosk_dir).unwrap();
    for i in 0..n {
        capture_kiosk::synthetic::accept(&mut store, &format!("{i:012}"), &jpeg, &[]).unwrap();
    }
    eprintln!(
        "{n} captures of {} KB accepted into the outbox in {:.1} s (setup, not measured)",
        jpeg.len() / 1024,
        t.elapsed().as_secs_f64()
    );

    let token = Central::open(&central_dir)
        .unwrap()
        .add_kiosk("bench")
        .unwrap();
    let service =
        server::Service::start("127.0.0.1:0".parse().unwrap(), &central_dir, None).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let config = SyncSection {
        server: service.base_url(),
        token,
        ..SyncSection::default()
    };
    let client = capture_kiosk::sync::Client::new(&config).unwrap();
    let store = Arc::new(Mutex::new(store));
    let t = Instant::now();
    let summary = runtime
        .block_on(capture_kiosk::sync::push_pass(
            &store,
            &client,
            &config,
            chrono::Utc::now(),
            |_, _| {},
        ))
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(summary.sent as usize, n, "{summary:?}");
    let held = Central::open(&central_dir)
        .unwrap()
        .capture_count()
        .unwrap();
    assert_eq!(held as usize, n);
    println!(
        "drain {n} captures x {} KB over loopback (concurrency {}): {secs:.2} s, {:.0} captures/s, {:.1} MB/s; target 1000 in 20 s: {:.2}x of the time allowed",
        jpeg.len() / 1024,
        config.concurrency,
        n as f64 / secs,
        (n * jpeg.len()) as f64 / secs / 1e6,
        secs / 20.0 * 1000.0 / n as f64,
    );
}
