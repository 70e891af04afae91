//! The central service as the kiosks meet it: the real `capture-central` binary serving
//! real HTTP on loopback, a real SQLite file and photo files behind it.

mod common;

use capture_protocol::{CaptureUpload, Receipt, sha256_hex};
use common::{Service, add_kiosk};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use uuid::Uuid;

fn error_of(r: reqwest::blocking::Response) -> (StatusCode, String) {
    let status = r.status();
    let body: serde_json::Value = r.json().expect("errors have a JSON body");
    (status, body["error"].as_str().unwrap().to_owned())
}

#[test]
fn a_capture_is_received_once_and_its_receipt_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    let http = Client::new();
    let photo =
        std::fs::read(common::repo().join("tests/fixtures/portraits/grace_hopper.jpg")).unwrap();
    let u = CaptureUpload::sample(&photo);
    let put = |body: &CaptureUpload| service.put(&token, body);

    // First time: 201 and the receipt.
    let r = put(&u);
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Receipt = r.json().unwrap();
    assert_eq!(
        (receipt.id, receipt.sha256.clone()),
        (u.id, sha256_hex(&photo))
    );
    // Again, the same bytes: 200 and the very same receipt.
    let r = put(&u);
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Receipt>().unwrap(), receipt);
    // The same id with other bytes: 409, and what is held does not change.
    let mut other = CaptureUpload::sample(b"another photo");
    other.id = u.id;
    let (status, why) = error_of(put(&other));
    assert_eq!(status, StatusCode::CONFLICT, "{why}");
    // GET: the receipt, or 404.
    let r = http
        .get(service.url(u.id))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Receipt>().unwrap(), receipt);
    let (status, _) = error_of(
        http.get(service.url(Uuid::new_v4()))
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Restarted, the service still holds it: same receipt, same bytes on disk.
    drop(service);
    let service = Service::start(dir.path());
    let r = http
        .get(service.url(u.id))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.json::<Receipt>().unwrap(), receipt);
    let stored = std::fs::read(dir.path().join(format!("photos/{}.jpg", u.id))).unwrap();
    assert_eq!(stored, photo);
    let r = service.put(&token, &u);
    assert_eq!(r.status(), StatusCode::OK);
    // The reviewers see who took it and how to reach the candidate.
    let held = capture_central::Central::open(dir.path())
        .unwrap()
        .captures(&capture_central::store::CaptureQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .0;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].kiosk, "site-01");
    assert_eq!(held[0].mobile, u.mobile);
    // A mobile number that is not one is refused with the rest of the body.
    let mut typo = CaptureUpload::sample(&photo);
    typo.mobile = Some("138-0000-001".into());
    let (status, why) = error_of(service.put(&token, &typo));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(why.contains("mobile"), "{why}");
}

#[test]
fn bad_requests_get_their_own_status_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    let http = Client::new();
    let u = CaptureUpload::sample(b"\xff\xd8 a photo");

    // No token, or one the service never issued: 401 with a Bearer challenge.
    let r = http.put(service.url(u.id)).json(&u).send().unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_of(r).0, StatusCode::UNAUTHORIZED);
    let r = http
        .put(service.url(u.id))
        .bearer_auth("0".repeat(64))
        .json(&u)
        .send()
        .unwrap();
    assert_eq!(error_of(r).0, StatusCode::UNAUTHORIZED);
    let r = http.get(service.url(u.id)).send().unwrap();
    assert_eq!(error_of(r).0, StatusCode::UNAUTHORIZED);

    let put_raw = |id: String, body: Vec<u8>| {
        http.put(format!("{}/v1/captures/{id}", service.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
    };
    // A sha256 that is not the photo's.
    let mut lied = u.clone();
    lied.sha256 = sha256_hex(b"something else");
    let (status, why) = error_of(put_raw(
        u.id.to_string(),
        serde_json::to_vec(&lied).unwrap(),
    ));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(why.contains("sha256"), "{why}");
    // Not JSON; JSON missing a field; an id that differs from the path's; not a UUID.
    for (path, body, says) in [
        (
            u.id.to_string(),
            b"<html>captive portal</html>".to_vec(),
            "malformed",
        ),
        (u.id.to_string(), br#"{"id": "x"}"#.to_vec(), "malformed"),
        (
            Uuid::new_v4().to_string(),
            serde_json::to_vec(&u).unwrap(),
            "path's id",
        ),
        ("not-a-uuid".into(), serde_json::to_vec(&u).unwrap(), "UUID"),
    ] {
        let (status, why) = error_of(put_raw(path, body));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
        assert!(why.contains(says), "{why} says {says}");
    }
    // A field past what any kiosk sends (a path in the admission number, a 100 kB one, a
    // formula, a script as a check id): 400 naming the field, never echoing the value.
    for (field, spoil) in [
        (
            "admission_no",
            Box::new(|u: &mut CaptureUpload| u.admission_no = "../../000011110001".into())
                as Box<dyn Fn(&mut CaptureUpload)>,
        ),
        (
            "admission_no",
            Box::new(|u| u.admission_no = "1".repeat(100_000)),
        ),
        (
            "name",
            Box::new(|u| u.name = "=HYPERLINK(\"x\")".repeat(10)),
        ),
        (
            "checks[].id",
            Box::new(|u| u.checks[0].id = "<img src=x>".into()),
        ),
        ("taken_at", Box::new(|u| u.taken_at = String::new())),
        ("profile", Box::new(|u| u.profile = "passport".into())),
    ] {
        let mut bad = u.clone();
        spoil(&mut bad);
        let (status, why) = error_of(put_raw(u.id.to_string(), serde_json::to_vec(&bad).unwrap()));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {why}");
        assert!(why.starts_with(field) && why.len() < 100, "{field}: {why}");
    }
    // Over the size limit: 413, whether the body or the decoded photo is too big.
    let big = CaptureUpload::sample(&vec![7u8; capture_protocol::MAX_PHOTO_BYTES + 1]);
    let r = put_raw(big.id.to_string(), serde_json::to_vec(&big).unwrap());
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let huge = vec![b' '; capture_protocol::MAX_BODY_BYTES + 1];
    let r = put_raw(u.id.to_string(), huge);
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // None of these stored anything; the good upload still goes in as new.
    let r = service.put(&token, &u);
    assert_eq!(r.status(), StatusCode::CREATED);
    let photos: Vec<_> = std::fs::read_dir(dir.path().join("photos"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(photos.len(), 1, "only the good capture's photo is on disk");
}

/// The paths of docs/openapi.yaml with their methods.
fn documented() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(common::repo().join("docs/openapi.yaml")).unwrap();
    let mut found = Vec::new();
    let mut path = None;
    for line in doc.lines() {
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if line.starts_with("components:") {
            path = None;
        } else if let Some(p) = &path {
            for method in ["get", "put", "post", "delete"] {
                if line == format!("    {method}:") {
                    found.push((method.to_uppercase(), p.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn the_openapi_document_and_the_service_agree() {
    // Every route the service declares under /v1 is documented …
    let server =
        std::fs::read_to_string(common::repo().join("crates/central/src/server.rs")).unwrap();
    let served: Vec<&str> = server
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\"/v1/"))
        .map(|l| &l[..l.find('"').unwrap()])
        .collect();
    assert_eq!(served.len(), 4, "{served:?}");
    let doc = documented();
    assert_eq!(doc.len(), 5, "{doc:?}");
    for route in &served {
        assert!(
            doc.iter().any(|(_, p)| p == &format!("/v1/{route}")),
            "/v1/{route} is served but not in docs/openapi.yaml"
        );
    }
    // … and every documented call is served, behind the kiosk token.
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    let http = Client::new();
    for (method, path) in &doc {
        let url = format!(
            "{}{}",
            service.base,
            path.replace("{id}", &Uuid::new_v4().to_string())
        );
        let r = http.request(method.parse().unwrap(), &url).send().unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
    }
    let unknown = http
        .get(format!("{}/v1/nothing", service.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // Every answer forbids sniffing and referrers; the review page runs only its own script.
    for r in [
        unknown,
        http.get(format!("{}/review", service.base)).send().unwrap(),
        http.get(service.url(Uuid::new_v4())).send().unwrap(),
    ] {
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{}", r.url());
        assert_eq!(h["referrer-policy"], "no-referrer", "{}", r.url());
        let policy = h["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        if r.url().path() == "/review" {
            assert!(policy.contains("script-src 'sha256-"), "{policy}");
            assert!(!policy.contains("unsafe-eval"), "{policy}");
        } else {
            assert!(policy.starts_with("default-src 'none'"), "{policy}");
        }
    }

    // Heartbeat: 204, a malformed one 400; roster: 204 while none is published.
    let beat = capture_protocol::Heartbeat {
        version: "0.1.0".into(),
        queue_length: 3,
        refused: 1,
        free_disk_bytes: Some(1 << 30),
        camera: "ok".into(),
        sent_at: "2026-11-21T10:00:00+08:00".into(),
    };
    let r = http
        .post(format!("{}/v1/heartbeat", service.base))
        .bearer_auth(&token)
        .json(&beat)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = http
        .post(format!("{}/v1/heartbeat", service.base))
        .bearer_auth(&token)
        .body("{\"version\": 1}")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A heartbeat is small: a long camera text or an empty time is refused, a body over
    // 4 KB is not read.
    for (spoil, status) in [
        (
            Box::new(|b: &mut capture_protocol::Heartbeat| b.camera = "x".repeat(201))
                as Box<dyn Fn(&mut capture_protocol::Heartbeat)>,
            StatusCode::BAD_REQUEST,
        ),
        (
            Box::new(|b| b.sent_at = String::new()),
            StatusCode::BAD_REQUEST,
        ),
        (
            Box::new(|b| b.camera = "x".repeat(5000)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let mut bad = beat.clone();
        spoil(&mut bad);
        let r = http
            .post(format!("{}/v1/heartbeat", service.base))
            .bearer_auth(&token)
            .json(&bad)
            .send()
            .unwrap();
        assert_eq!(r.status(), status);
    }
    let kiosks = capture_central::Central::open(dir.path())
        .unwrap()
        .kiosks()
        .unwrap();
    assert_eq!(kiosks[0].report.as_ref(), Some(&beat));
    // The office sees it from a shell too.
    let (code, out, err) = common::central_cli(dir.path(), &["status"]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("site-01"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("(3 waiting, 1 refused, 1.0 GB, camera ok)"),
        "{line}"
    );
    let r = http
        .get(format!("{}/v1/roster?since=0", service.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A cursor below 0 is no kiosk's: 400, as the document says.
    for call in ["roster", "decisions"] {
        let r = http
            .get(format!("{}/v1/{call}?since=-1", service.base))
            .bearer_auth(&token)
            .send()
            .unwrap();
        let (status, why) = error_of(r);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{call}");
        assert_eq!(why, "since: must be 0 or more");
    }
}

#[test]
fn a_revoked_kiosk_is_refused_and_its_captures_stay() {
    let dir = tempfile::tempdir().unwrap();
    let token = add_kiosk(dir.path(), "site-01");
    let service = Service::start(dir.path());
    let held = CaptureUpload::sample(b"sent before");
    assert_eq!(service.put(&token, &held).status(), StatusCode::CREATED);

    let (code, out, err) = common::central_cli(dir.path(), &["revoke-kiosk", "site-01"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("token revoked"), "{out}");
    let refused = service.put(&token, &CaptureUpload::sample(b"sent after"));
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (status, why) = error_of(refused);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(why, "unknown token");
    let central = capture_central::Central::open(dir.path()).unwrap();
    assert!(
        central.receipt(held.id).unwrap().is_some(),
        "what it sent stays"
    );
    drop(central);
    let (_, out, _) = common::central_cli(dir.path(), &["status"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("site-01") && l.contains("token revoked")),
        "{out}"
    );
    let (code, _, err) = common::central_cli(dir.path(), &["revoke-kiosk", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("no kiosk named \"nobody\""), "{err}");

    // The unit stops the service with SIGTERM: it finishes and exits cleanly.
    assert!(service.terminate().success());
}
