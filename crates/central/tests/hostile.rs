//! The service against clients that attack its connections (issue 11, item 5), the real
//! binary on loopback: bodies sent without a token, heads that never end, hundreds of
//! stalled connections, and more connections than it has file descriptors. It keeps
//! answering a normal kiosk, keeps its memory, and does not spin.

mod common;

use capture_protocol::CaptureUpload;
use common::{Service, add_kiosk};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024
}

/// The first line of the answer on `tcp` ("HTTP/1.1 401 Unauthorized"), or "" when the
/// service closed the connection without one.
fn status_line(tcp: &TcpStream) -> String {
    let mut line = String::new();
    let _ = BufReader::new(tcp).read_line(&mut line);
    line.trim().to_owned()
}

/// A normal kiosk's call: GET /v1/roster with its token (204: none published), trusting
/// the test CA over HTTPS.
fn kiosk_call(service: &Service, token: &str) -> u16 {
    let ca = std::fs::read(common::repo().join("tests/fixtures/tls/ca.pem")).unwrap();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&ca).unwrap())
        .build()
        .unwrap()
        .get(format!("{}/v1/roster?since=0", service.base))
        .bearer_auth(token)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn a_body_without_a_token_is_not_read_and_stalled_connections_starve_no_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    let before = rss_mb(service.pid());

    // 40 uploads of a declared 5.5 MB without a token: each answered 401 after its head,
    // before any of its body is sent; the service holds none of them.
    let declared = capture_protocol::MAX_BODY_BYTES - 1;
    let mut refused = Vec::new();
    for _ in 0..40 {
        let mut tcp = TcpStream::connect(service.addr()).unwrap();
        write!(
            tcp,
            "PUT /v1/captures/{} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {declared}\r\n\r\n",
            Uuid::new_v4()
        )
        .unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        refused.push(tcp);
    }
    for tcp in &refused {
        assert!(
            status_line(tcp).starts_with("HTTP/1.1 401"),
            "answered before the body"
        );
    }

    // 300 heads that stop half-way, and 40 uploads with the token whose bodies stall after
    // 100 kB: a normal kiosk's call still gets its answer.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut tcp = TcpStream::connect(service.addr()).unwrap();
        tcp.write_all(b"GET /v1/roster?since=0 HTTP/1.1\r\nHost: x\r\nAuthor")
            .unwrap();
        stalled.push(tcp);
    }
    let upload = serde_json::to_vec(&CaptureUpload::sample(&vec![7u8; 3 << 20])).unwrap();
    for _ in 0..40 {
        let mut tcp = TcpStream::connect(service.addr()).unwrap();
        write!(
            tcp,
            "PUT /v1/captures/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            Uuid::new_v4(),
            upload.len()
        )
        .unwrap();
        tcp.write_all(&upload[..100_000]).unwrap();
        stalled.push(tcp);
    }
    assert_eq!(
        kiosk_call(&service, &token),
        204,
        "a kiosk is answered meanwhile"
    );
    let during = rss_mb(service.pid());
    assert!(
        during < before + 60,
        "380 stalled connections hold {before} → {during} MB"
    );

    // The heads that stopped are dropped by the service within its header time-out; the
    // connections stay usable for nobody.
    let head = &stalled[0];
    head.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut buf = [0u8; 512];
    let started = Instant::now();
    let read = (&*head).read(&mut buf);
    assert!(
        matches!(read, Ok(0) | Err(_)) || String::from_utf8_lossy(&buf).contains("408"),
        "the service closed a head that never ended: {read:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "closed by the service, not by the test's own time-out"
    );
    assert_eq!(kiosk_call(&service, &token), 204);
}

#[test]
fn out_of_file_descriptors_the_service_waits_instead_of_spinning_and_recovers() {
    out_of_file_descriptors(false);
}

#[test]
fn out_of_file_descriptors_over_tls_the_service_waits_instead_of_spinning_and_recovers() {
    out_of_file_descriptors(true);
}

fn out_of_file_descriptors(tls: bool) {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let fixtures = common::repo().join("tests/fixtures/tls");
    let mut service = Service::start_with(dir.path(), |c| {
        if tls {
            c.arg("--tls-cert")
                .arg(fixtures.join("server.pem"))
                .arg("--tls-key")
                .arg(fixtures.join("server.key"));
        }
        c.stderr(std::process::Stdio::piped());
        // SAFETY: setrlimit in the child before exec; no allocation, no locks.
        unsafe {
            c.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 64,
                    rlim_max: 64,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let stderr = service.take_stderr().unwrap();
    let lines = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = lines.clone();
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = said.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("accept failed") {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let mut kept = kept.lock().unwrap();
            if kept.len() < 200 {
                kept.push(line);
            }
        }
    });
    let service_said = || said.lock().unwrap().join("\n");

    // More connections than it has descriptors (64), held for 3 s (within the listen backlog).
    let held: Vec<TcpStream> = (0..96)
        .map(|i| {
            TcpStream::connect(service.addr()).unwrap_or_else(|e| {
                panic!("connection {i}: {e}; the service said:\n{}", service_said())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    let logged = lines.load(std::sync::atomic::Ordering::Relaxed);
    assert!(logged >= 1, "the accept errors are logged");
    assert!(
        logged < 40,
        "one line per wait of up to 1 s, not a spin: {logged} lines in 3 s"
    );

    // Once they close, a kiosk is served again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(60);
    while kiosk_call(&service, &token) != 204 {
        assert!(
            Instant::now() < deadline,
            "the service answers again; it said:\n{}",
            service_said()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_upload_for_a_candidate_not_on_the_kiosks_roster_is_refused_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let csv = dir.path().join("site-01.csv");
    std::fs::write(
        &csv,
        "admission_no,name,education_level\n000011110001,王小明,本科\n",
    )
    .unwrap();
    let (code, out, err) = common::central_cli(
        dir.path(),
        &[
            "roster",
            "import",
            csv.to_str().unwrap(),
            "--kiosk",
            "site-01",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let service = Service::start(dir.path());

    // Filed under a candidate of another site, or under the right number and a wrong
    // name: 422, nothing stored, and the answer names no candidate.
    for (no, name) in [("000022220001", "王小明"), ("000011110001", "李四")] {
        let mut u = CaptureUpload::sample(b"\xff\xd8 forged");
        u.admission_no = no.into();
        u.name = name.into();
        let r = service.put(&token, &u);
        assert_eq!(r.status().as_u16(), 422);
        let why = r.text().unwrap();
        assert!(why.contains("not on roster version 1"), "{why}");
        assert!(!why.contains(no) && !why.contains(name), "{why}");
    }
    assert!(
        std::fs::read_dir(dir.path().join("photos"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "no photo of a forged upload is on disk"
    );
    let r = service.put(&token, &CaptureUpload::sample(b"\xff\xd8 real"));
    assert_eq!(r.status().as_u16(), 201);
}

/// Logs in at /review; (status, the session cookie's value).
fn log_in(service: &Service, name: &str, password: &str) -> (u16, Option<String>) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/review/login", service.base))
        .json(&serde_json::json!({ "name": name, "password": password }))
        .send()
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned());
    (r.status().as_u16(), cookie)
}

/// GET /review/api/captures with a session cookie: its status.
fn list_with(service: &Service, session: &str) -> u16 {
    reqwest::blocking::Client::new()
        .get(format!("{}/review/api/captures", service.base))
        .header("cookie", format!("review_session={session}"))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn guessing_a_password_is_throttled_and_a_session_outlives_a_restart_not_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let password = common::add_reviewer(dir.path(), "li");
    let other = common::add_reviewer(dir.path(), "wang");
    let service = Service::start(dir.path());

    // Five wrong guesses for li: then li is refused unchecked, the right password too,
    // with Retry-After; another reviewer from the same address still logs in.
    for _ in 0..5 {
        assert_eq!(log_in(&service, "li", "guess").0, 401);
    }
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/review/login", service.base))
        .json(&serde_json::json!({ "name": "li", "password": password }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "900");
    let (status, session) = log_in(&service, "wang", &other);
    assert_eq!(status, 204);
    let session = session.expect("a session cookie");
    assert_eq!(list_with(&service, &session), 200);
    assert_eq!(list_with(&service, "forged"), 401);

    // A restart logs nobody out; a reset does.
    drop(service);
    let service = Service::start(dir.path());
    assert_eq!(
        list_with(&service, &session),
        200,
        "the session survived the restart"
    );
    let (code, out, err) = common::central_cli(dir.path(), &["reset-reviewer", "wang"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(list_with(&service, &session), 401, "reset ends the session");
    assert_eq!(log_in(&service, "wang", &other).0, 401);
    assert_eq!(log_in(&service, "wang", out.trim()).0, 204);
    let (code, _, err) = common::central_cli(dir.path(), &["remove-reviewer", "wang"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(log_in(&service, "wang", out.trim()).0, 401);
}

#[test]
fn a_rotated_kiosk_token_is_the_only_one_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let old = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    assert_eq!(kiosk_call(&service, &old), 204);
    let (code, out, err) = common::central_cli(dir.path(), &["rotate-kiosk", "site-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("the old one is refused"), "{err}");
    let new = out.trim();
    assert_eq!(new.len(), 64);
    assert_eq!(kiosk_call(&service, &old), 401);
    assert_eq!(kiosk_call(&service, new), 204);
}

#[test]
fn a_kiosk_over_its_quota_is_told_to_wait_and_a_held_capture_still_gets_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let other = add_kiosk(dir.path(), "site-02");
    let service = Service::start_with(dir.path(), |c| {
        c.args([
            "--max-captures-per-hour",
            "2",
            "--max-bytes-per-day",
            "100000",
        ]);
    });
    let first = CaptureUpload::sample(b"\xff\xd8 one");
    assert_eq!(service.put(&token, &first).status().as_u16(), 201);
    assert_eq!(
        service
            .put(&token, &CaptureUpload::sample(b"\xff\xd8 two"))
            .status()
            .as_u16(),
        201
    );
    // The third new capture in the hour: 429 with Retry-After, not stored.
    let third = CaptureUpload::sample(b"\xff\xd8 three");
    let r = service.put(&token, &third);
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "600");
    assert!(
        r.text()
            .unwrap()
            .contains("2 captures in the last hour (at most 2)")
    );
    // A capture it holds is confirmed whatever the quota (a kiosk that lost a receipt).
    assert_eq!(service.put(&token, &first).status().as_u16(), 200);
    // Another kiosk has its own quota; bytes count too.
    assert_eq!(
        service
            .put(&other, &CaptureUpload::sample(&vec![0xff; 60_000]))
            .status()
            .as_u16(),
        201
    );
    let r = service.put(&other, &CaptureUpload::sample(&vec![0xfe; 60_000]));
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.text().unwrap().contains("in the last day"));
    let held: i64 = rusqlite::Connection::open(dir.path().join("central.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM captures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(held, 3);
}

#[test]
fn a_decision_from_another_sites_page_is_refused_whatever_the_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let password = common::add_reviewer(dir.path(), "li");
    let service = Service::start(dir.path());
    let capture = CaptureUpload::sample(b"\xff\xd8 photo");
    assert_eq!(service.put(&token, &capture).status().as_u16(), 201);
    let (_, session) = log_in(&service, "li", &password);
    let session = session.unwrap();
    let decide = |content_type: &str, extra: &[(&str, &str)]| {
        let mut r = reqwest::blocking::Client::new()
            .post(format!(
                "{}/review/api/captures/{}/decision",
                service.base, capture.id
            ))
            .header("cookie", format!("review_session={session}"))
            .header("content-type", content_type)
            .body(r#"{"verdict":"approved"}"#);
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        r.send().unwrap().status().as_u16()
    };
    // A form or a "simple" fetch from elsewhere: text/plain.
    assert_eq!(decide("text/plain", &[]), 415);
    // JSON, but the browser says it comes from another site.
    assert_eq!(
        decide("application/json", &[("origin", "http://evil.example")]),
        403
    );
    assert_eq!(
        decide("application/json", &[("sec-fetch-site", "cross-site")]),
        403
    );
    let undecided: i64 = rusqlite::Connection::open(dir.path().join("central.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM decisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(undecided, 0, "none of those decided anything");
    // From the page itself.
    let own = format!("http://{}", service.addr());
    assert_eq!(
        decide(
            "application/json",
            &[("origin", &own), ("sec-fetch-site", "same-origin")]
        ),
        200
    );
}
