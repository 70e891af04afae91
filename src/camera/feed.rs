//! Runs a frame source on its own thread. Keeps only the latest frame (a slot, never a
//! growing queue), drops and counts corrupt frames, waits and reopens after a disconnect,
//! and reports its state so the screen can show the camera's real condition.

use super::{CameraError, Frame, FrameSource, Resolved, SourceInfo};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraState {
    Starting,
    Streaming,
    /// Unplugged or not there yet; the feed keeps trying.
    Disconnected {
        reason: String,
    },
    /// The source cannot work as configured; the feed has stopped.
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    pub state: CameraState,
    pub source: Option<SourceInfo>,
    /// `auto` found no USB camera and plays the demo camera.
    pub demo_fallback: bool,
    pub frames: u64,
    pub corrupt_frames: u64,
    pub disconnects: u64,
    /// Frames per second over the last second or so.
    pub fps: f32,
}

impl Default for FeedStatus {
    fn default() -> Self {
        Self {
            state: CameraState::Starting,
            source: None,
            demo_fallback: false,
            frames: 0,
            corrupt_frames: 0,
            disconnects: 0,
            fps: 0.0,
        }
    }
}

struct Shared {
    latest: Mutex<Option<Arc<Frame>>>,
    status: Mutex<FeedStatus>,
    control: Mutex<Control>,
    wake: Condvar,
}

#[derive(Default)]
struct Control {
    stop: bool,
    finished: bool,
}

pub struct CameraFeed {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

type Opener = Box<dyn FnOnce() -> Result<(Box<dyn FrameSource>, Resolved), CameraError> + Send>;

impl CameraFeed {
    /// Starts the camera thread. `open` runs on that thread (V4L handles are not `Send`);
    /// `on_frame` and `on_status` run there too and must be quick.
    pub fn start(
        open: impl FnOnce() -> Result<(Box<dyn FrameSource>, Resolved), CameraError> + Send + 'static,
        reconnect_interval: Duration,
        on_frame: impl Fn(&Arc<Frame>) + Send + 'static,
        on_status: impl Fn(&FeedStatus) + Send + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            latest: Mutex::new(None),
            status: Mutex::new(FeedStatus::default()),
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
        });
        let worker = Worker {
            shared: shared.clone(),
            reconnect_interval,
            on_frame: Box::new(on_frame),
            on_status: Box::new(on_status),
        };
        let open: Opener = Box::new(open);
        let thread = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || worker.run(open))
            .expect("spawn camera thread");
        Self {
            shared,
            thread: Some(thread),
        }
    }

    /// A handle that reads the feed's status from any thread.
    pub fn monitor(&self) -> FeedMonitor {
        FeedMonitor(self.shared.clone())
    }

    /// The newest frame, if the camera is streaming.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.shared.latest.lock().expect("latest").clone()
    }

    pub fn status(&self) -> FeedStatus {
        self.shared.status.lock().expect("status").clone()
    }

    /// Asks the thread to stop and waits up to `patience` for it (a USB read can block).
    pub fn stop(mut self, patience: Duration) {
        self.signal_stop();
        let control = self.shared.control.lock().expect("control");
        let (control, _) = self
            .shared
            .wake
            .wait_timeout_while(control, patience, |c| !c.finished)
            .expect("control");
        if control.finished {
            drop(control);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn signal_stop(&self) {
        self.shared.control.lock().expect("control").stop = true;
        self.shared.wake.notify_all();
    }
}

impl Drop for CameraFeed {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

/// Reads a feed's status from any thread.
#[derive(Clone)]
pub struct FeedMonitor(Arc<Shared>);

impl FeedMonitor {
    pub fn status(&self) -> FeedStatus {
        self.0.status.lock().expect("status").clone()
    }

    /// The newest frame, if the camera is streaming.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.0.latest.lock().expect("latest").clone()
    }
}

type FrameCallback = Box<dyn Fn(&Arc<Frame>) + Send>;
type StatusCallback = Box<dyn Fn(&FeedStatus) + Send>;

struct Worker {
    shared: Arc<Shared>,
    reconnect_interval: Duration,
    on_frame: FrameCallback,
    on_status: StatusCallback,
}

impl Worker {
    fn run(self, open: Opener) {
        match open() {
            Ok((source, resolved)) => {
                let info = source.info();
                if resolved == Resolved::DemoFallback {
                    tracing::warn!("no USB camera found: using the built-in demo camera");
                }
                tracing::info!("camera source: {info}");
                self.update(|s| {
                    s.source = Some(info);
                    s.demo_fallback = resolved == Resolved::DemoFallback;
                });
                self.stream(source);
            }
            Err(e) => {
                tracing::error!("camera cannot start: {e}");
                self.set_state(CameraState::Failed {
                    reason: e.to_string(),
                });
            }
        }
        self.shared.control.lock().expect("control").finished = true;
        self.shared.wake.notify_all();
    }

    fn stopping(&self) -> bool {
        self.shared.control.lock().expect("control").stop
    }

    fn update(&self, f: impl FnOnce(&mut FeedStatus)) -> FeedStatus {
        let mut status = self.shared.status.lock().expect("status");
        f(&mut status);
        status.clone()
    }

    fn set_state(&self, state: CameraState) {
        let status = self.update(|s| s.state = state);
        (self.on_status)(&status);
    }

    fn stream(&self, mut source: Box<dyn FrameSource>) {
        let mut seq = 0u64;
        let mut window = (Instant::now(), 0u32);
        let mut last_corrupt_log: Option<Instant> = None;
        while !self.stopping() {
            match source.next_frame() {
                Ok(image) => {
                    seq += 1;
                    let frame = Arc::new(Frame {
                        seq,
                        image,
                        captured_at: Instant::now(),
                    });
                    *self.shared.latest.lock().expect("latest") = Some(frame.clone());
                    window.1 += 1;
                    let elapsed = window.0.elapsed();
                    let fps = (elapsed >= Duration::from_secs(1))
                        .then(|| window.1 as f32 / elapsed.as_secs_f32());
                    if fps.is_some() {
                        window = (Instant::now(), 0);
                    }
                    let was = self.update(|s| {
                        s.frames += 1;
                        if let Some(fps) = fps {
                            s.fps = fps;
                        }
                    });
                    if was.state != CameraState::Streaming {
                        let info = source.info();
                        tracing::info!("camera streaming: {info}");
                        self.update(|s| s.source = Some(info));
                        self.set_state(CameraState::Streaming);
                    }
                    (self.on_frame)(&frame);
                }
                Err(CameraError::CorruptFrame(reason)) => {
                    let total = self.update(|s| s.corrupt_frames += 1).corrupt_frames;
                    if last_corrupt_log.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!("dropped a corrupt camera frame ({total} so far): {reason}");
                        last_corrupt_log = Some(Instant::now());
                    }
                }
                Err(CameraError::Disconnected(reason)) => {
                    *self.shared.latest.lock().expect("latest") = None;
                    let status = self.update(|s| s.fps = 0.0);
                    if !matches!(status.state, CameraState::Disconnected { .. }) {
                        tracing::warn!(
                            "camera disconnected: {reason}; trying again every {} ms",
                            self.reconnect_interval.as_millis()
                        );
                        if status.state == CameraState::Streaming {
                            self.update(|s| s.disconnects += 1);
                        }
                        self.set_state(CameraState::Disconnected { reason });
                    }
                    self.pause(self.reconnect_interval);
                    window = (Instant::now(), 0);
                }
                Err(CameraError::Unusable(reason)) => {
                    *self.shared.latest.lock().expect("latest") = None;
                    tracing::error!("camera stopped: {reason}");
                    self.set_state(CameraState::Failed { reason });
                    return;
                }
            }
        }
    }

    /// Sleeps, but wakes at once when asked to stop.
    fn pause(&self, d: Duration) {
        let control = self.shared.control.lock().expect("control");
        let _ = self.shared.wake.wait_timeout_while(control, d, |c| !c.stop);
    }
}
