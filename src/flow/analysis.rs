//! The analysis thread: checks camera frames while the capture screen is up and reports the
//! guidance to the flow (on the UI thread, or the headless loop). It always takes the newest frame and drops the ones that came
//! while it was busy, and runs at a lower priority than the camera and the screen, so the
//! preview never waits for it. On request it takes a burst of frames, keeps the best and
//! makes the final photo from it; on staff's request it measures an empty backdrop from the
//! next frame (and measures against the new calibration once the flow has stored it).

use crate::camera::Frame;
use capture_core::compliance::autocapture::{AutoCapture, BurstFrame, best_of_burst};
use capture_core::compliance::backdrop::{Backdrop, BackdropProblem};
use capture_core::compliance::guide::Guidance;
use capture_core::profile::Profile;
use capture_vision::FaceAnalyzer;
use capture_vision::inspect::{Captured, LiveInspector, capture};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Frames in a capture burst.
pub const BURST_FRAMES: usize = 5;
/// Frames a check's new state must hold before the screen shows it (about 0.15 s at 30 fps).
const HOLD_FRAMES: u32 = 4;
/// A burst gives up when no new frame came for this long (the camera stalled).
const BURST_PATIENCE: Duration = Duration::from_secs(2);
/// How much lower the analysis thread's priority is (nice) than the camera's and the UI's.
const NICE: i32 = 10;

/// What the analysis thread tells the UI thread.
pub enum Report {
    /// The models could not be loaded: no guidance, photos are centre crops.
    Unavailable(String),
    /// One analysed frame of the given generation (see [`Analysis::start`]).
    Frame {
        generation: u64,
        guidance: Guidance,
        face: bool,
        /// Every check has passed (as shown) for the stable period.
        steady: bool,
    },
    /// The photo of a burst.
    Captured {
        burst: u64,
        result: Result<Box<Captured>, String>,
    },
    /// The backdrop measured for [`Analysis::calibrate_backdrop`]: a calibration, the
    /// reason the picture cannot be one, or an error of the models.
    Calibrated {
        request: u64,
        result: Result<Result<Backdrop, BackdropProblem>, String>,
    },
}

#[derive(Default)]
struct Control {
    frame: Option<Arc<Frame>>,
    active: bool,
    generation: u64,
    burst: Option<u64>,
    /// A calibration asked for: the next frame is measured as the empty backdrop.
    calibrate: Option<u64>,
    /// A calibration the flow has stored, for the live checks from the next frame on.
    use_backdrop: Option<Backdrop>,
    stop: bool,
}

struct Shared {
    control: Mutex<Control>,
    wake: Condvar,
    reports: Mutex<VecDeque<Report>>,
    stats: AnalysisStats,
}

/// Cumulative counters (see `tools/measure-preview-fps`).
#[derive(Default)]
pub struct AnalysisStats {
    /// Frames analysed.
    pub analysed: AtomicU64,
    /// Of those, frames the models ran on (the rest reused a still frame's results).
    pub inferred: AtomicU64,
}

/// The UI thread's handle on the analysis thread.
pub struct Analysis {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Hands camera frames to the analysis thread (called on the camera thread; cheap).
#[derive(Clone)]
pub struct FrameOffer(Arc<Shared>);

impl FrameOffer {
    pub fn offer(&self, frame: &Arc<Frame>) {
        let mut c = self.0.control.lock().expect("analysis control");
        if c.active || c.calibrate.is_some() {
            c.frame = Some(frame.clone());
            self.0.wake.notify_one();
        }
    }
}

impl Analysis {
    /// Starts the thread; it loads the models itself (the window is not kept waiting).
    /// `notify` is called (on the analysis thread) whenever a report is queued that the
    /// UI thread has not been told about yet.
    pub fn spawn(
        profile: Profile,
        backdrop: Option<Backdrop>,
        stable_for: Duration,
        notify: impl Fn() + Send + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            reports: Mutex::new(VecDeque::new()),
            stats: AnalysisStats::default(),
        });
        let worker = Worker {
            shared: shared.clone(),
            notify: Box::new(notify),
        };
        let thread = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || worker.run(profile, backdrop, stable_for))
            .expect("spawn analysis thread");
        Self {
            shared,
            thread: Some(thread),
        }
    }

    /// A reader of the counters, for any thread.
    pub fn stats(&self) -> impl Fn() -> (u64, u64) + Send + 'static {
        let shared = self.shared.clone();
        move || {
            (
                shared.stats.analysed.load(Ordering::Relaxed),
                shared.stats.inferred.load(Ordering::Relaxed),
            )
        }
    }

    pub fn frame_offer(&self) -> FrameOffer {
        FrameOffer(self.shared.clone())
    }

    /// Starts analysing, for a new capture (a new candidate or a retake): everything seen
    /// before is forgotten. Reports carry `generation`.
    pub fn start(&self, generation: u64) {
        let mut c = self.shared.control.lock().expect("analysis control");
        c.active = true;
        c.generation = generation;
        c.burst = None;
        c.frame = None;
    }

    /// Stops analysing (the capture screen is gone).
    pub fn pause(&self) {
        let mut c = self.shared.control.lock().expect("analysis control");
        c.active = false;
        c.burst = None;
        c.frame = None;
    }

    /// Takes a burst of the next frames and makes the photo; answered by `Report::Captured`.
    pub fn take_photo(&self, burst: u64) {
        let mut c = self.shared.control.lock().expect("analysis control");
        c.active = true;
        c.burst = Some(burst);
        self.shared.wake.notify_one();
    }

    /// Measures the backdrop in the next camera frame (nobody may be in front of the
    /// camera); answered by `Report::Calibrated` with this `request`.
    pub fn calibrate_backdrop(&self, request: u64) {
        let mut c = self.shared.control.lock().expect("analysis control");
        c.calibrate = Some(request);
        c.frame = None;
        self.shared.wake.notify_one();
    }

    /// The live checks compare with this backdrop from the next frame on.
    pub fn use_backdrop(&self, backdrop: Backdrop) {
        let mut c = self.shared.control.lock().expect("analysis control");
        c.use_backdrop = Some(backdrop);
        self.shared.wake.notify_one();
    }

    /// The reports queued since the last call.
    pub fn reports(&self) -> Vec<Report> {
        self.shared
            .reports
            .lock()
            .expect("analysis reports")
            .drain(..)
            .collect()
    }

    /// Ends the thread (it finishes the frame it is on). Once stopped, it stays stopped.
    pub fn stop(&mut self) {
        self.shared.control.lock().expect("analysis control").stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            // Between frames it notices at once; within one it finishes that frame first.
            let _ = t.join();
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    notify: Box<dyn Fn() + Send>,
}

/// A burst being collected.
struct Burst {
    id: u64,
    frames: Vec<(BurstFrame, Arc<Frame>)>,
    last_frame_at: Instant,
}

impl Worker {
    fn report(&self, report: Report) {
        let mut queue = self.shared.reports.lock().expect("analysis reports");
        // Guidance is only ever wanted for the newest frame.
        if matches!(report, Report::Frame { .. }) {
            queue.retain(|r| !matches!(r, Report::Frame { .. }));
        }
        let was_empty = queue.is_empty();
        queue.push_back(report);
        drop(queue);
        if was_empty {
            (self.notify)();
        }
    }

    fn run(self, profile: Profile, backdrop: Option<Backdrop>, stable_for: Duration) {
        lower_priority();
        let started = Instant::now();
        let analyzer = match FaceAnalyzer::load() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("face analysis unavailable: {e}");
                self.report(Report::Unavailable(e.to_string()));
                return;
            }
        };
        tracing::info!(
            "face analysis ready ({} ms to load the models)",
            started.elapsed().as_millis()
        );
        let mut inspector =
            LiveInspector::new(analyzer, profile, HOLD_FRAMES).with_backdrop(backdrop);
        let mut auto = AutoCapture::new(stable_for);
        let mut generation = None;
        let mut burst: Option<Burst> = None;
        loop {
            let (frame, current, wanted_burst) = {
                let mut c = self.shared.control.lock().expect("analysis control");
                loop {
                    if c.stop {
                        return;
                    }
                    if let Some(b) = c.use_backdrop.take() {
                        inspector.set_backdrop(Some(b));
                        auto.reset();
                    }
                    if let Some(request) = c.calibrate
                        && let Some(frame) = c.frame.take()
                    {
                        c.calibrate = None;
                        drop(c);
                        self.calibrate(&mut inspector, request, &frame);
                        c = self.shared.control.lock().expect("analysis control");
                        continue;
                    }
                    if c.active
                        && let Some(frame) = c.frame.take()
                    {
                        break (Some(frame), c.generation, c.burst);
                    }
                    // A burst whose camera stalled gives up instead of waiting for ever.
                    if let Some(b) = &burst
                        && b.last_frame_at.elapsed() >= BURST_PATIENCE
                    {
                        break (None, c.generation, c.burst);
                    }
                    c = self
                        .shared
                        .wake
                        .wait_timeout(c, Duration::from_millis(250))
                        .expect("analysis control")
                        .0;
                }
            };
            if generation != Some(current) {
                generation = Some(current);
                inspector.reset();
                auto.reset();
                burst = None;
            }
            match (wanted_burst, burst.as_ref().map(|b| b.id)) {
                (Some(id), current) if current != Some(id) => {
                    burst = Some(Burst {
                        id,
                        frames: Vec::with_capacity(BURST_FRAMES),
                        last_frame_at: Instant::now(),
                    })
                }
                (None, Some(_)) => burst = None,
                _ => {}
            }
            let Some(frame) = frame else {
                self.finish_burst(&mut inspector, burst.take());
                continue;
            };
            let live = match inspector.frame(&frame.image, burst.is_some()) {
                Ok(live) => live,
                Err(e) => {
                    tracing::error!("frame {} not analysed: {e}", frame.seq);
                    continue;
                }
            };
            let stats = &self.shared.stats;
            stats.analysed.fetch_add(1, Ordering::Relaxed);
            if !live.reused {
                stats.inferred.fetch_add(1, Ordering::Relaxed);
            }
            let steady = auto.update(live.guidance.all_pass, Instant::now());
            if let Some(b) = &mut burst {
                b.frames.push((live.burst, frame.clone()));
                b.last_frame_at = Instant::now();
            }
            self.report(Report::Frame {
                generation: current,
                guidance: live.guidance,
                face: live.face,
                steady,
            });
            if burst
                .as_ref()
                .is_some_and(|b| b.frames.len() >= BURST_FRAMES)
            {
                self.finish_burst(&mut inspector, burst.take());
                auto.reset();
            }
        }
    }

    /// Measures the empty backdrop in `frame` and reports it; the tracked face (if any)
    /// is forgotten, as after a still analysis.
    fn calibrate(&self, inspector: &mut LiveInspector, request: u64, frame: &Frame) {
        let profile = inspector.profile().clone();
        let result = capture_vision::inspect::calibrate_backdrop(
            inspector.analyzer(),
            &frame.image,
            &profile,
        )
        .map_err(|e| e.to_string());
        inspector.reset();
        match &result {
            Ok(Ok(b)) => tracing::info!(
                "backdrop measured in frame {}: L* {:.1} a* {:.1} b* {:.1}, evenness ΔE {:.1}",
                frame.seq,
                b.colour[0],
                b.colour[1],
                b.colour[2],
                b.spread
            ),
            Ok(Err(problem)) => tracing::warn!(
                "backdrop not calibrated from frame {}: {}",
                frame.seq,
                problem.message().en
            ),
            Err(e) => tracing::error!("backdrop not measured: {e}"),
        }
        self.report(Report::Calibrated { request, result });
    }

    /// Keeps the best frame of the burst and makes the photo from it.
    fn finish_burst(&self, inspector: &mut LiveInspector, burst: Option<Burst>) {
        let Some(burst) = burst else { return };
        {
            let mut c = self.shared.control.lock().expect("analysis control");
            if c.burst == Some(burst.id) {
                c.burst = None;
            }
        }
        let measured: Vec<BurstFrame> = burst.frames.iter().map(|f| f.0).collect();
        let result = match best_of_burst(&measured) {
            None => Err("no camera frame came for the photo".to_string()),
            Some(best) => {
                let started = Instant::now();
                let profile = inspector.profile().clone();
                let frame = &burst.frames[best].1;
                let made = capture(inspector.analyzer(), &frame.image, &profile);
                // The still analysis forgot the tracked face; tracking starts again.
                inspector.reset();
                match made {
                    Ok(c) => {
                        tracing::info!(
                            "photo made from burst frame {} of {} in {} ms: {} bytes, {} of {} checks pass{}",
                            best + 1,
                            burst.frames.len(),
                            started.elapsed().as_millis(),
                            c.photo.jpeg.len(),
                            c.inspection.results.iter().filter(|r| r.pass).count(),
                            c.inspection.results.len(),
                            if c.to_specification {
                                ""
                            } else {
                                " (centre of the frame: no usable face)"
                            }
                        );
                        Ok(Box::new(c))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        if let Err(e) = &result {
            tracing::error!("photo not made: {e}");
        }
        self.report(Report::Captured {
            burst: burst.id,
            result,
        });
    }
}

/// Lowers this thread's scheduling priority so the camera and the screen come first.
fn lower_priority() {
    // SAFETY: plain system calls on the calling thread; no memory is shared.
    let ok = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, NICE)
    } == 0;
    if !ok {
        tracing::warn!("could not lower the analysis thread's priority");
    }
}
