//! The reference central service, run as the real binary on a free loopback port.

use capture_kiosk::protocol::CaptureUpload;
use reqwest::blocking::Client;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use uuid::Uuid;

fn kiosk_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_capture-kiosk"))
}

pub fn add_kiosk(data: &Path, name: &str) -> String {
    let out = kiosk_bin()
        .args(["central", "--data"])
        .arg(data)
        .args(["add-kiosk", name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "a 64-hex-digit token: {token}");
    token
}

/// The service on a free loopback port; killed when dropped.
pub struct Service {
    child: Child,
    pub base: String,
}

impl Service {
    pub fn start(data: &Path) -> Service {
        Service::start_at(data, "127.0.0.1:0")
    }

    /// On a given address (to come back where the kiosks expect it).
    pub fn start_at(data: &Path, listen: &str) -> Service {
        let mut child = kiosk_bin()
            .args(["central", "--listen", listen, "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the address in {line:?}"))
            .to_owned();
        Service { child, base }
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

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
