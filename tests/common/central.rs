//! The reference central service, in this process (`capture_central`, a dev-dependency):
//! its real HTTP server on a free loopback port with its real SQLite file and photo files,
//! and its command line run in-process.

use capture_kiosk::store::Store;
use capture_protocol::{CaptureUpload, CheckRecord};
use reqwest::blocking::Client;
use std::path::Path;
use std::process::Command;
use uuid::Uuid;

fn kiosk_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
}

/// `capture-central --data DATA ARGS`, in this process: (status, stdout, stderr).
pub fn central_cli(data: &Path, args: &[&str]) -> (i32, String, String) {
    let data = data.to_str().unwrap();
    let mut all = vec!["capture-central", "--data", data];
    all.extend(args);
    capture_central::cli::run_args(&all)
}

/// What `central ARGS` printed on stdout, which must succeed.
fn central_ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = central_cli(data, args);
    assert_eq!(code, 0, "central {args:?}: {out}{err}");
    out.trim().to_owned()
}

pub fn add_kiosk(data: &Path, name: &str) -> String {
    let token = central_ok(data, &["add-kiosk", name]);
    assert_eq!(token.len(), 64, "a 64-hex-digit token: {token}");
    token
}

/// Registers a reviewer; returns the password.
pub fn add_reviewer(data: &Path, name: &str) -> String {
    central_ok(data, &["add-reviewer", name])
}

/// A reviewer's decision from the command line.
pub fn decide(data: &Path, id: &str, verdict: &str, reason: Option<&str>) {
    let mut args = vec!["decide", id, verdict];
    args.extend(reason.map(|r| ["--reason", r]).into_iter().flatten());
    central_ok(data, &args);
}

/// The service on a free loopback port, in this process; stopped when dropped.
pub struct Service {
    _running: capture_central::server::Service,
    pub base: String,
}

impl Service {
    pub fn start(data: &Path) -> Service {
        Service::start_at(data, "127.0.0.1:0")
    }

    /// On a given address (to come back where the kiosks expect it).
    pub fn start_at(data: &Path, listen: &str) -> Service {
        Service::serve(data, listen, None)
    }

    /// Over HTTPS with this certificate chain and key.
    pub fn start_tls(data: &Path, listen: &str, cert: &Path, key: &Path) -> Service {
        let tls = capture_central::server::Tls {
            cert: cert.to_owned(),
            key: key.to_owned(),
        };
        Service::serve(data, listen, Some(&tls))
    }

    fn serve(data: &Path, listen: &str, tls: Option<&capture_central::server::Tls>) -> Service {
        let running =
            capture_central::server::Service::start(listen.parse().unwrap(), data, tls).unwrap();
        Service {
            base: running.base_url(),
            _running: running,
        }
    }

    pub fn url(&self, id: Uuid) -> String {
        format!("{}/v1/captures/{id}", self.base)
    }

    pub fn put(&self, token: &str, upload: &CaptureUpload) -> reqwest::blocking::Response {
        Client::new()
            .put(self.url(upload.id))
            .bearer_auth(token)
            .json(upload)
            .send()
            .unwrap()
    }
}

/// A kiosk's config and data directory, filled with accepted captures through the real
/// store, synced with the real `capture-kiosk sync --once`.
pub struct SyncKiosk {
    /// Side of the photos' noise images (width; height is 4/3 of it).
    pub photo_width: u32,
    dir: tempfile::TempDir,
}

impl SyncKiosk {
    pub fn new(server: &str, token: &str) -> SyncKiosk {
        SyncKiosk::with_timeout(server, token, 5)
    }

    pub fn with_timeout(server: &str, token: &str, timeout_secs: u32) -> SyncKiosk {
        SyncKiosk::with_sync(server, token, &format!("timeout_secs = {timeout_secs}\n"))
    }

    /// `[sync]` with the server, the token and `more` TOML lines.
    pub fn with_sync(server: &str, token: &str, more: &str) -> SyncKiosk {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            // A PIN of the site's own: with a central service, the demo PIN stops the kiosk.
            format!(
                "[staff]\npin = \"4321\"\n[sync]\nserver = \"{server}\"\ntoken = \"{token}\"\nconcurrency = 3\n{more}"
            ),
        )
        .unwrap();
        SyncKiosk {
            dir,
            photo_width: 48,
        }
    }

    pub fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Accepts `n` captures of distinct real JPEGs; returns their ids and photos.
    pub fn accept(&self, n: usize) -> Vec<(Uuid, Vec<u8>)> {
        let mut store = Store::open(&self.data()).unwrap();
        let checks = [CheckRecord {
            id: "pose.roll".into(),
            pass: true,
            value: Some(1.0),
            limit: "|roll| ≤ 5°".into(),
            advisory: false,
            also: Default::default(),
        }];
        (0..n)
            .map(|i| {
                let jpeg = capture_kiosk::synthetic::noise_jpeg(i as u32, self.photo_width);
                let no = format!("0000111{i:05}");
                let stored =
                    capture_kiosk::synthetic::accept(&mut store, &no, &jpeg, &checks).unwrap();
                (stored.id, jpeg)
            })
            .collect()
    }

    /// `capture-kiosk ARGS` on this kiosk's config and data, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = kiosk_bin();
        c.args(args)
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--data-dir")
            .arg(self.data());
        c
    }

    /// `capture-kiosk sync --once` on this kiosk, not started.
    pub fn sync_command(&self) -> Command {
        self.command(&["sync", "--once"])
    }

    pub fn sync(&self, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["sync", "--once"];
        args.extend(extra);
        self.cli(&args)
    }

    /// Runs `capture-kiosk ARGS`; (status, stdout and stderr).
    pub fn cli(&self, args: &[&str]) -> (i32, String) {
        let out = self.command(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}
