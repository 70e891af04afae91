//! systemd integration without a dependency: `READY=1` once the window is up, and the
//! watchdog (`WATCHDOG=1`) fed from the UI loop only while the camera is healthy — a hung
//! UI or a camera read that hangs without an error stops the feeding, and systemd restarts
//! the kiosk. An unplugged camera is not a reason to restart: the feed reconnects by itself.
//! Outside systemd (no `NOTIFY_SOCKET`) everything here does nothing.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Sends notifications to systemd. The kiosk feeds the watchdog on every UI tick (5 per
/// second), far more often than any sensible `WatchdogSec=` needs.
pub struct Notifier {
    socket: Option<(UnixDatagram, std::os::unix::net::SocketAddr)>,
}

impl Notifier {
    pub fn from_env() -> Self {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|path| {
            use std::os::linux::net::SocketAddrExt;
            let path = path.to_string_lossy().into_owned();
            let addr = match path.strip_prefix('@') {
                Some(abstract_name) => {
                    std::os::unix::net::SocketAddr::from_abstract_name(abstract_name).ok()?
                }
                None => std::os::unix::net::SocketAddr::from_pathname(&path).ok()?,
            };
            Some((UnixDatagram::unbound().ok()?, addr))
        });
        Self { socket }
    }

    fn send(&self, message: &str) {
        if let Some((socket, addr)) = &self.socket
            && let Err(e) = socket.send_to_addr(message.as_bytes(), addr)
        {
            tracing::warn!("cannot notify systemd: {e}");
        }
    }

    pub fn ready(&self) {
        self.send("READY=1");
    }

    pub fn alive(&self) {
        self.send("WATCHDOG=1");
    }

    pub fn status(&self, text: &str) {
        self.send(&format!("STATUS={text}"));
    }
}

/// Whether the camera looks healthy enough to feed the watchdog: streaming with a recent
/// frame, or honestly reporting a disconnect (which the feed handles by itself).
pub fn camera_healthy(streaming: bool, last_frame_age: Option<Duration>, limit: Duration) -> bool {
    !streaming || last_frame_age.is_some_and(|age| age <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streaming_camera_without_frames_is_unhealthy() {
        let limit = Duration::from_secs(10);
        assert!(camera_healthy(true, Some(Duration::from_millis(40)), limit));
        assert!(!camera_healthy(true, Some(Duration::from_secs(11)), limit));
        assert!(!camera_healthy(true, None, limit));
        assert!(
            camera_healthy(false, None, limit),
            "a disconnected camera reconnects by itself"
        );
    }

    #[test]
    fn notifications_reach_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: Some((
                UnixDatagram::unbound().unwrap(),
                std::os::unix::net::SocketAddr::from_pathname(&path).unwrap(),
            )),
        };
        notifier.ready();
        notifier.alive();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }
}
