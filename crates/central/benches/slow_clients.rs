//! Does the service keep answering a normal kiosk while hostile clients hold connections?
//! Measures a kiosk's call (`GET /v1/roster` with its token) 200 times on a quiet service,
//! then again while 500 connections are held open: 250 request heads that stop half-way and
//! 250 uploads (with a valid token) whose bodies stall after 100 kB. Prints p50, p99 and the
//! worst latency of each, and the service's resident memory. Real service, real TCP on
//! loopback, in this process.
//!
//!   cargo bench -p capture-central --bench slow_clients

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn latencies(client: &reqwest::blocking::Client, base: &str, token: &str) -> Vec<Duration> {
    let mut all: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/v1/roster?since=0"))
                .bearer_auth(token)
                .send()
                .expect("the kiosk's call is answered");
            assert_eq!(r.status().as_u16(), 204);
            t.elapsed()
        })
        .collect();
    all.sort();
    all
}

fn report(what: &str, l: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<42} p50 {:7.2} ms   p99 {:7.2} ms   worst {:7.2} ms   service+bench RSS {} MB",
        ms(l[l.len() / 2]),
        ms(l[l.len() * 99 / 100]),
        ms(l[l.len() - 1]),
        rss_mb()
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let token = {
        let mut c = capture_central::Central::open(dir.path()).unwrap();
        c.add_kiosk("site-01").unwrap()
    };
    let service =
        capture_central::server::Service::start("127.0.0.1:0".parse().unwrap(), dir.path(), None)
            .unwrap();
    let base = service.base_url();
    let addr = service.addr();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    report("quiet", &latencies(&client, &base, &token));

    let upload = serde_json::to_vec(&capture_protocol::CaptureUpload::sample(&vec![
        7u8;
        3 << 20
    ]))
    .unwrap();
    let mut held = Vec::new();
    for i in 0..500 {
        let mut tcp = TcpStream::connect(addr).unwrap();
        if i % 2 == 0 {
            tcp.write_all(b"GET /v1/roster?since=0 HTTP/1.1\r\nHost: x\r\nAuthor")
                .unwrap();
        } else {
            write!(
                tcp,
                "PUT /v1/captures/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                uuid::Uuid::new_v4(),
                upload.len()
            )
            .unwrap();
            tcp.write_all(&upload[..100_000]).unwrap();
        }
        held.push(tcp);
    }
    report(
        "while 500 slow or unfinished connections",
        &latencies(&client, &base, &token),
    );
    drop(held);
    service.stop();
}
