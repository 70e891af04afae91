//! A fault-injecting TCP proxy between a kiosk and the central service on loopback: it
//! passes traffic through, or breaks it in the ways real networks do. The fault applies to
//! every connection opened while it is set.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Traffic passes.
    None,
    /// The service is down: connections are closed at once.
    Down,
    /// Every request gets `500 Internal Server Error`.
    Http500,
    /// A captive portal: every request gets `200 OK` with a log-in page.
    CaptivePortal,
    /// The request is read, no answer ever comes (the kiosk times out).
    Silent,
    /// The connection is reset after this many bytes of the request reached the service.
    ResetMidRequest(usize),
    /// The whole request reaches the service, and the connection is reset before its
    /// answer reaches the kiosk (stored there, no receipt here).
    LoseAnswer,
    /// Traffic passes at this many bytes per second in each direction.
    Slow(usize),
}

pub struct Proxy {
    pub base: String,
    fault: Arc<Mutex<Fault>>,
    /// Request bytes that reached the service, in all.
    pub forwarded: Arc<AtomicU64>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` ("host:port").
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fault = Arc::new(Mutex::new(Fault::None));
        let forwarded = Arc::new(AtomicU64::new(0));
        let (f, n, upstream) = (fault.clone(), forwarded.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let fault = *f.lock().unwrap();
                let (n, upstream) = (n.clone(), upstream.clone());
                std::thread::spawn(move || serve(client, &upstream, fault, &n));
            }
        });
        Proxy {
            base,
            fault,
            forwarded,
        }
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }
}

/// Cuts a connection: SO_LINGER 0 (the last close sends RST) and both directions shut at
/// once, so the peer sees the stream end in the middle of a message.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we hold, with a value of the size we pass.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads one HTTP request's head (up to the blank line) and returns it with any body bytes
/// that came along.
pub fn read_head(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

fn answer(client: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        client,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.flush();
    let _ = client.shutdown(Shutdown::Both);
}

fn serve(mut client: TcpStream, upstream: &str, fault: Fault, forwarded: &AtomicU64) {
    match fault {
        Fault::Down => reset(&client),
        Fault::Http500 => {
            if read_head(&mut client).is_some() {
                answer(
                    &mut client,
                    "500 Internal Server Error",
                    "text/plain",
                    "upstream exploded",
                );
            }
        }
        Fault::CaptivePortal => {
            if read_head(&mut client).is_some() {
                answer(
                    &mut client,
                    "200 OK",
                    "text/html",
                    "<html><body><h1>Welcome! Log in to use the Wi-Fi</h1></body></html>",
                );
            }
        }
        Fault::Silent => {
            let _ = read_head(&mut client);
            // Hold the connection open, answer nothing, until the kiosk gives up.
            let mut sink = [0u8; 4096];
            while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
        }
        Fault::None | Fault::Slow(_) | Fault::ResetMidRequest(_) | Fault::LoseAnswer => {
            let Ok(server) = TcpStream::connect(upstream) else {
                return reset(&client);
            };
            let rate = match fault {
                Fault::Slow(r) => Some(r),
                _ => None,
            };
            let limit = match fault {
                Fault::ResetMidRequest(n) => Some(n),
                _ => None,
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let forwarded_total = forwarded;
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let mut sent = 0usize;
                    let mut chunk = [0u8; 8 * 1024];
                    loop {
                        let want = limit.map_or(chunk.len(), |l| (l - sent).min(chunk.len()));
                        if want == 0 {
                            // Enough of the request went through: cut both sides.
                            reset(&c_read);
                            reset(&s_write);
                            return;
                        }
                        let n = match c_read.read(&mut chunk[..want]) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if s_write.write_all(&chunk[..n]).is_err() {
                            break;
                        }
                        sent += n;
                        forwarded_total.fetch_add(n as u64, Ordering::Relaxed);
                        if let Some(r) = rate {
                            std::thread::sleep(Duration::from_secs_f64(n as f64 / r as f64));
                        }
                    }
                    let _ = s_write.shutdown(Shutdown::Write);
                });
                let (mut s_read, mut c_write) = (server, client);
                let mut chunk = [0u8; 8 * 1024];
                loop {
                    let n = match s_read.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if fault == Fault::LoseAnswer {
                        // The service answered: the kiosk never hears it.
                        reset(&c_write);
                        break;
                    }
                    if c_write.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    if let Some(r) = rate {
                        std::thread::sleep(Duration::from_secs_f64(n as f64 / r as f64));
                    }
                }
                let _ = c_write.shutdown(Shutdown::Both);
                let _ = s_read.shutdown(Shutdown::Both);
            });
        }
    }
}
