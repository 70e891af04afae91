//! Soak: `kill -9` of the kiosk's sync, again and again, while it uploads. Each cycle
//! accepts new captures (about 300 KB each, all different), starts the real
//! `capture-kiosk sync --once` against the real central service on loopback, and kills it
//! with SIGKILL after a random 0–30 ms — mostly in the middle of its uploads. At the end
//! one sync runs to completion, and the two sides are compared.
//!
//! `cargo bench --bench soak [-- CYCLES]` (default 200) prints the counts. The goal:
//! 0 lost, 0 duplicated, 0 marked uploaded without the service holding the same bytes.

use capture_kiosk::store::Store;
use std::collections::HashMap;
use std::process::{Command, Stdio};

/// The service as the tests run it (the real binary on a free loopback port).
#[allow(dead_code)]
#[path = "../tests/common/central.rs"]
mod central;
use std::time::{Duration, Instant};

const PER_CYCLE: usize = 3;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
}

fn main() {
    let cycles: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let (kiosk_dir, central_dir) = (dir.path().join("kiosk"), dir.path().join("central"));

    let token = central::add_kiosk(&central_dir, "demo-kiosk-01");
    let service = central::Service::start(&central_dir);
    let base = service.base.clone();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[sync]\nserver = \"{base}\"\ntoken = \"{token}\"\ntimeout_secs = 10\n"),
    )
    .unwrap();
    let sync = || {
        let mut c = bin();
        c.args(["sync", "--once", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(&kiosk_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    let mut accepted: HashMap<uuid::Uuid, String> = HashMap::new();
    let (mut killed_running, mut finished_first, mut unconfirmed) = (0, 0, 0);
    let mut seed = 12345u32;
    let mut random = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        seed >> 8
    };
    let started = Instant::now();
    for cycle in 0..cycles {
        {
            let mut store = Store::open(&kiosk_dir).unwrap();
            for k in 0..PER_CYCLE {
                let n = cycle * PER_CYCLE + k;
                let jpeg = capture_kiosk::synthetic::noise_jpeg(random(), 480);
                let no = format!("{n:012}");
                let stored = capture_kiosk::synthetic::accept(&mut store, &no, &jpeg, &[]).unwrap();
                accepted.insert(stored.id, stored.sha256);
            }
        }
        let mut child = sync().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(u64::from(random() % 30)));
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        } else {
            finished_first += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // Killed between the service storing a capture and the kiosk marking it?
        let count = |db: &std::path::Path, sql: &str| -> i64 {
            rusqlite::Connection::open(db)
                .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
                .unwrap_or(0)
        };
        let held_now = count(
            &central_dir.join("central.db"),
            "SELECT count(*) FROM captures",
        );
        let marked_now = count(
            &kiosk_dir.join("kiosk.db"),
            "SELECT count(*) FROM outbox WHERE uploaded_at IS NOT NULL",
        );
        if held_now > marked_now {
            unconfirmed += 1;
        }
    }
    let status = sync().status().unwrap();
    let elapsed = started.elapsed();
    drop(service);

    // What the service holds, by id: sha256 of the stored bytes, and the row count.
    let db = rusqlite::Connection::open(central_dir.join("central.db")).unwrap();
    let rows: i64 = db
        .query_row("SELECT count(*) FROM captures", [], |r| r.get(0))
        .unwrap();
    let mut held: HashMap<uuid::Uuid, String> = HashMap::new();
    let mut stmt = db.prepare("SELECT id, photo_file FROM captures").unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (id, file) = row.unwrap();
        let bytes = std::fs::read(central_dir.join(file)).unwrap();
        held.insert(
            uuid::Uuid::parse_str(&id).unwrap(),
            capture_protocol::sha256_hex(&bytes),
        );
    }
    let lost = accepted
        .iter()
        .filter(|(id, sha)| held.get(id) != Some(sha))
        .count();
    let duplicated =
        rows as usize - held.len() + held.keys().filter(|id| !accepted.contains_key(id)).count();
    let kiosk = rusqlite::Connection::open(kiosk_dir.join("kiosk.db")).unwrap();
    let mut stmt = kiosk
        .prepare("SELECT capture_id, receipt_sha256 FROM outbox WHERE uploaded_at IS NOT NULL")
        .unwrap();
    let marked: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let marked_without = marked
        .iter()
        .filter(|(id, sha)| held.get(&uuid::Uuid::parse_str(id).unwrap()) != Some(sha))
        .count();
    println!(
        "soak: {cycles} cycles of kill -9 during sync ({killed_running} killed while running, \
         {finished_first} had finished; after {unconfirmed} kills the service held captures the \
         kiosk had not marked), {} captures accepted, in {:.1} s",
        accepted.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "soak: service holds {} ({rows} rows); lost {lost}, duplicated {duplicated}, \
         marked uploaded without the service holding them {marked_without}; final sync {}",
        held.len(),
        if status.success() { "ok" } else { "FAILED" }
    );
    if lost + duplicated + marked_without > 0 || !status.success() {
        std::process::exit(1);
    }
}
