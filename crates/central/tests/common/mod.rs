//! The service as its operators meet it: the real `capture-central` binary serving real HTTP
//! on a free loopback port, and its command line; the reviewers' page in real Chromium.
#![allow(dead_code)]

pub mod chromium;

use capture_protocol::CaptureUpload;
use reqwest::blocking::Client;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

/// How long to wait for something before the test fails (a guard against hanging, not a
/// performance assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The workspace's root (fixtures, docs).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn central_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_capture-central"))
}

/// `capture-central --data DATA ARGS`: (status, stdout, stderr).
pub fn central_cli(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = central_bin()
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What `capture-central ARGS` printed on stdout, which must succeed.
fn central_ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = central_cli(data, args);
    assert_eq!(code, 0, "capture-central {args:?}: {out}{err}");
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

/// The real binary on a free loopback port; killed when dropped.
pub struct Service {
    child: Child,
    pub base: String,
}

impl Service {
    pub fn start(data: &Path) -> Service {
        Service::start_with(data, |_| {})
    }

    /// As [`Service::start`], the command changed by `configure` first (its stderr, its
    /// limits).
    pub fn start_with(data: &Path, configure: impl FnOnce(&mut Command)) -> Service {
        let mut command = central_bin();
        command
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdout(Stdio::piped());
        configure(&mut command);
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("the address in {line:?}"))
            .to_owned();
        Service { child, base }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The stderr the service was started with, when [`Service::start_with`] piped it.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// "127.0.0.1:PORT".
    pub fn addr(&self) -> &str {
        self.base
            .trim_start_matches("https://")
            .trim_start_matches("http://")
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

    /// Sends SIGTERM and waits for the exit status (the unit stops the service so).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: a plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
