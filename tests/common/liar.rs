//! A central service that lies, on loopback: each path gets the answer a test sets — an
//! endless roster, one that declares a huge length, duplicated or missing rows — to show
//! what the kiosk does with answers no honest service gives.

use super::proxy::read_head;
use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub enum Lie {
    /// This status and this JSON body (a roster the kiosk has seen is answered 204).
    Json(u16, String),
    /// `200 OK` and this JSON body, whatever the kiosk asked for.
    Always(String),
    /// `200 OK`, chunked (no length said), a roster that goes on for this many bytes.
    Endless(u64),
    /// `200 OK` declaring a `Content-Length` of this many bytes (and sending a few).
    Declares(u64),
}

pub struct Liar {
    pub base: String,
    answers: Arc<Mutex<HashMap<String, Lie>>>,
    /// Body bytes written to kiosks so far.
    pub served: Arc<AtomicU64>,
}

impl Liar {
    pub fn start() -> Liar {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let answers: Arc<Mutex<HashMap<String, Lie>>> = Default::default();
        let served = Arc::new(AtomicU64::new(0));
        let (a, n) = (answers.clone(), served.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (a, n) = (a.clone(), n.clone());
                std::thread::spawn(move || serve(client, &a, &n));
            }
        });
        Liar {
            base,
            answers,
            served,
        }
    }

    /// From now on, `path` (without its query) is answered with `lie`.
    pub fn set(&self, path: &str, lie: Lie) {
        self.answers.lock().unwrap().insert(path.into(), lie);
    }

    /// A roster of `version` with these (admission number, name) rows, all 本科.
    pub fn roster(&self, version: i64, rows: &[(&str, &str)]) {
        let entries: Vec<_> = rows
            .iter()
            .map(|(no, name)| {
                serde_json::json!({ "admission_no": no, "name": name, "education_level": "本科" })
            })
            .collect();
        let body = serde_json::json!({
            "version": version,
            "published_at": "2026-12-04T00:00:00Z",
            "entries": entries,
        });
        self.set("/v1/roster", Lie::Json(200, body.to_string()));
    }
}

fn serve(mut client: TcpStream, answers: &Mutex<HashMap<String, Lie>>, served: &AtomicU64) {
    while let Some(head) = read_head(&mut client) {
        let head = String::from_utf8_lossy(&head);
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_owned();
        let since: Option<i64> = head
            .split_whitespace()
            .nth(1)
            .and_then(|target| target.split_once("since="))
            .and_then(|(_, v)| v.parse().ok());
        let mut lie = answers
            .lock()
            .unwrap()
            .get(&path)
            .cloned()
            .unwrap_or(Lie::Json(404, r#"{"error":"no such route"}"#.into()));
        // It lies about what it sends, not about which version is new: a roster the kiosk
        // has seen is answered 204, as the real service does.
        if let Lie::Json(200, body) = &lie
            && path == "/v1/roster"
            && let Some(version) = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["version"].as_i64())
            && since.is_some_and(|s| version <= s)
        {
            lie = Lie::Json(204, String::new());
        }
        let done = match lie {
            Lie::Always(body) => {
                served.fetch_add(body.len() as u64, Ordering::Relaxed);
                write!(
                    client,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .is_err()
            }
            Lie::Json(status, body) => {
                served.fetch_add(body.len() as u64, Ordering::Relaxed);
                write!(
                    client,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .is_err()
            }
            Lie::Endless(bytes) => {
                endless(&mut client, bytes, served);
                true
            }
            Lie::Declares(bytes) => {
                let _ = write!(
                    client,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n{{\"version\":9,"
                );
                true
            }
        };
        if done {
            return;
        }
    }
}

/// A roster that does not end: rows in chunks until `bytes` are out or the kiosk hangs up.
fn endless(client: &mut TcpStream, bytes: u64, served: &AtomicU64) {
    let row = r#"{"admission_no":"000011110001","name":"王小明","education_level":"本科"},"#;
    let chunk = row.repeat(64 * 1024 / row.len());
    if client
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .is_err()
    {
        return;
    }
    let mut out = |data: &str| -> bool {
        served.fetch_add(data.len() as u64, Ordering::Relaxed);
        write!(client, "{:x}\r\n{data}\r\n", data.len()).is_ok()
    };
    if !out(r#"{"version":9,"published_at":"2026-12-04T00:00:00Z","entries":["#) {
        return;
    }
    let mut sent = 0;
    while sent < bytes {
        if !out(&chunk) {
            return;
        }
        sent += chunk.len() as u64;
    }
    if out(r#"{"admission_no":"000011110002","name":"李华","education_level":"本科"}]}"#) {
        out("");
    }
}
