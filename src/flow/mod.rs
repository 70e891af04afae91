//! The one driver of the candidate flow, for the window and for `capture-kiosk capture`
//! alike: it feeds the session its events, carries out the session's effects (take the
//! photo through the analysis thread, hold it for review, store it, let sync know), looks
//! candidates up on the roster, follows the analysis thread's reports, and tells its caller
//! what changed ([`Note`]). It never paints: the window turns the notes and the session's
//! state into screens; the headless run decides for the candidate.
//!
//! ```text
//!  window / headless ──Event──▶ Flow ──▶ Session::handle ──Effect──▶ Flow: take / save / discard
//!        ▲                       │  ▲                                   │          │
//!        └──── Note, state ──────┘  └──── Report (analysis thread) ◀────┘      Store, sync
//! ```

pub mod analysis;

use crate::camera::feed::{CameraFeed, CameraState, FeedMonitor, FeedStatus};
use crate::camera::{self, CameraSettings, CameraSpec, Frame};
use crate::config::Config;
use crate::store::{NewCapture, Store, StoreError, StoredCapture};
use crate::sync::{Background, SyncStatus};
use analysis::{Analysis, FrameOffer, Report};
use capture_core::candidate::Candidate;
use capture_core::compliance::backdrop::{Backdrop, BackdropProblem};
use capture_core::compliance::guide::Guidance;
use capture_core::compliance::{CheckId, CheckResult, Context};
use capture_core::identity::{AdmissionNumber, name_matches};
use capture_core::lang::Localized;
use capture_core::photo::{self, Photo};
use capture_core::profile::{Profile, Severity};
use capture_core::session::{
    Effect, Event, IdentifyOutcome, IdentifyProblem, LookupOutcome, PinProblem, SaveProblem,
    Session, StaffAcceptance, State,
};
use capture_protocol::StaffOverride;
use capture_vision::inspect::Captured;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A frame older than this is not taken as the photo (the camera has stalled).
const MAX_FRAME_AGE: Duration = Duration::from_millis(500);
/// A photo not made by the analysis thread within this time has failed.
const MAX_PHOTO_TIME: Duration = Duration::from_secs(20);
/// How long stopping waits for the camera and the sync thread.
const STOP_PATIENCE: Duration = Duration::from_secs(2);
/// After staff press "calibrate backdrop", the time they have to step out of the camera's
/// view (the screen sits under the camera) before the backdrop is measured.
pub const CALIBRATION_DELAY: Duration = Duration::from_secs(5);
/// A backdrop not measured within this time (no camera frame came) has failed.
const CALIBRATION_PATIENCE: Duration = Duration::from_secs(20);

/// Staff's calibration of the backdrop from the dashboard, while the kiosk runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Calibration {
    /// Staff step out of the picture; the backdrop is measured at `at`.
    Waiting { at: Instant },
    /// The analysis thread measures the next camera frame.
    Measuring { request: u64, asked: Instant },
    /// Calibrated, stored, and used by the live checks from now on.
    Done(Backdrop),
    /// Not calibrated, and why (for staff).
    Refused(Localized),
}

/// A photo taken and shown for review, not yet accepted.
pub struct PendingPhoto {
    pub id: Uuid,
    pub taken_at: DateTime<Utc>,
    pub photo: Photo,
    /// The photo's own check (none when face analysis is unavailable).
    pub checks: Option<Vec<CheckResult>>,
}

/// What changed, for whoever shows the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A photo is held for review (show it and its checks).
    PhotoHeld(Uuid),
    /// The photo held is gone (accepted and stored, retaken, or the candidate left).
    PhotoDropped,
    /// The guidance for the capture screen changed (or went away).
    Guidance,
    /// A new capture began (a new candidate or a retake): the guidance starts afresh.
    CaptureStarted,
    /// A capture was stored for good.
    Stored { id: Uuid, bytes: u64 },
    /// Staff signed in, or a staff action changed what the dashboard shows.
    StaffChanged,
    /// Face analysis cannot work (the models did not load): no guidance, no auto-capture;
    /// a photo is then the centre of the frame, checked by no one.
    AnalysisUnavailable(String),
}

/// What a flow is built from (each driver starts its own camera feed and analysis).
pub struct Parts {
    pub config: Config,
    pub store: Store,
    pub analysis: Analysis,
    pub feed: CameraFeed,
    /// Sending the outbox (none when no service is configured, or for a headless run).
    pub sync: Option<Background>,
}

pub struct Flow {
    session: Session,
    store: Store,
    profile: Profile,
    admission_digits: usize,
    analysis: Analysis,
    /// False once the analysis thread said it cannot work (photos are then centre crops).
    analysis_available: bool,
    feed: Option<CameraFeed>,
    camera: FeedMonitor,
    sync: Option<Background>,
    pending: Option<PendingPhoto>,
    /// Counts captures begun; the analysis reports which one a frame belongs to.
    generation: u64,
    /// The burst asked of the analysis thread for the photo, and when.
    burst: Option<(u64, Instant)>,
    bursts: u64,
    guidance: Option<Guidance>,
    /// Staff's backdrop calibration in progress, or its outcome while the dashboard is up.
    calibration: Option<Calibration>,
    calibrations: u64,
    notes: Vec<Note>,
}

/// Starts the camera for a flow: frames go to the analysis thread (and to `also`, the
/// window's preview), states to `on_status`.
pub fn start_camera(
    config: &Config,
    spec: CameraSpec,
    offer: FrameOffer,
    also: impl Fn(&Arc<Frame>) + Send + 'static,
    on_status: impl Fn(&FeedStatus) + Send + 'static,
) -> CameraFeed {
    let settings = CameraSettings {
        min_width: config.camera.min_width,
        min_height: config.camera.min_height,
    };
    CameraFeed::start(
        move || camera::open(&spec, settings),
        Duration::from_millis(config.camera.reconnect_interval_ms),
        move |frame| {
            also(frame);
            offer.offer(frame);
        },
        on_status,
    )
}

/// The camera's state in a word or two, as the heartbeat reports it.
pub fn camera_report(status: &FeedStatus) -> String {
    match &status.state {
        CameraState::Streaming if status.demo_fallback => "demo".to_owned(),
        CameraState::Streaming => "ok".to_owned(),
        CameraState::Starting => "starting".to_owned(),
        CameraState::Disconnected { reason } => format!("disconnected: {reason}"),
        CameraState::Failed { reason } => format!("failed: {reason}"),
    }
}

/// Starts the sync thread when the config names a service; `camera` is kept up to date
/// with [`camera_report`] by the feed's status callback.
pub fn start_sync(
    config: &Config,
    data_dir: &std::path::Path,
    camera: Arc<Mutex<String>>,
) -> Option<Background> {
    Background::spawn(
        data_dir.to_owned(),
        config.sync.clone(),
        config.identity.admission_number_length,
        camera,
    )
}

impl Flow {
    pub fn new(parts: Parts, now: Instant) -> Flow {
        let camera = parts.feed.monitor();
        // The PIN staff set (its argon2id hash), else the config's; and the wrong-PIN count
        // and lock-out as they were before this start.
        let mut config = parts.config.session();
        match parts.store.staff_pin_hash() {
            Ok(Some(hash)) => config.staff_pin = capture_core::session::StaffPin::Hashed(hash),
            Ok(None) => {}
            Err(e) => tracing::error!("the staff PIN set with `staff set-pin` cannot be read: {e}"),
        }
        let mut session = Session::new(config, now);
        match parts.store.pin_record() {
            Ok(record) => session.restore_pin_record(record, now),
            Err(e) => tracing::error!("the staff PIN lock-out cannot be read: {e}"),
        }
        Flow {
            session,
            profile: parts.config.profile(),
            admission_digits: parts.config.identity.admission_number_length,
            store: parts.store,
            analysis: parts.analysis,
            analysis_available: true,
            feed: Some(parts.feed),
            camera,
            sync: parts.sync,
            pending: None,
            generation: 0,
            burst: None,
            bursts: 0,
            guidance: None,
            calibration: None,
            calibrations: 0,
            notes: Vec::new(),
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn state(&self) -> &State {
        self.session.state()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The photo held for review.
    pub fn pending(&self) -> Option<&PendingPhoto> {
        self.pending.as_ref()
    }

    /// The capture screen's guidance for the newest analysed frame (none before the first,
    /// and none at all when face analysis is unavailable).
    pub fn guidance(&self) -> Option<&Guidance> {
        self.guidance.as_ref()
    }

    /// Staff's backdrop calibration, while it runs and (on the dashboard) its outcome.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    pub fn camera(&self) -> &FeedMonitor {
        &self.camera
    }

    /// Sync's status, when this flow syncs.
    pub fn sync_status(&self) -> Option<SyncStatus> {
        self.sync.as_ref().map(Background::status)
    }

    /// What changed since the last call.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// Feeds an event to the session and carries out its effects, whose results are events
    /// again, until there are none.
    pub fn dispatch(&mut self, event: Event) {
        let mut queue = VecDeque::from([event]);
        while let Some(event) = queue.pop_front() {
            let was_capturing = matches!(self.state(), State::Capture { .. });
            for effect in self.session.handle(event, Instant::now()) {
                if let Some(follow_up) = self.perform(effect) {
                    queue.push_back(follow_up);
                }
            }
            self.follow_capture_screen(was_capturing);
        }
    }

    /// The candidate typed (or scanned) an admission number and a name.
    pub fn identify(&mut self, number: &str, name: &str) {
        let outcome = self.identify_outcome(number, name);
        self.dispatch(Event::Identified(outcome));
    }

    /// A candidate asked for their status.
    pub fn look_up_status(&mut self, number: &str) {
        let outcome = self.lookup(number);
        self.dispatch(Event::StatusLookedUp(outcome));
    }

    /// Staff typed a PIN; the attempt goes to the audit log either way.
    pub fn enter_pin(&mut self, pin: &str) {
        self.dispatch(Event::PinEntered(pin.into()));
        // Kept at once: pulling the plug must not give a guesser fresh attempts.
        let record = self.session.pin_record(Instant::now());
        if let Err(e) = self.store.save_pin_record(&record) {
            tracing::error!("the staff PIN lock-out cannot be kept: {e}");
        }
        let action = match self.state() {
            State::StaffDashboard => "staff.signed_in",
            State::OverrideReason { .. } => "staff.signed_in_to_accept",
            State::StaffPin {
                problem: Some(PinProblem::Locked { .. }),
            }
            | State::OverridePin {
                problem: Some(PinProblem::Locked { .. }),
                ..
            } => "staff.pin_locked",
            _ => "staff.pin_wrong",
        };
        self.audit_staff(action);
        if action == "staff.signed_in" {
            self.notes.push(Note::StaffChanged);
        }
    }

    /// Staff asked to send now, after putting the refused uploads back in line if `retry`.
    pub fn staff_send_now(&mut self, retry: bool) {
        if !matches!(self.state(), State::StaffDashboard) {
            return;
        }
        let action = if retry {
            match self.store.retry_failed_uploads() {
                Ok(n) => tracing::info!("staff put {n} refused upload(s) back in line"),
                Err(e) => tracing::error!("refused uploads not put back: {e}"),
            }
            "staff.retry_refused"
        } else {
            "staff.sync_now"
        };
        self.audit_staff(action);
        if let Some(sync) = &self.sync {
            sync.send_everything_now();
        }
        self.notes.push(Note::StaffChanged);
    }

    /// Staff asked to calibrate the backdrop: after [`CALIBRATION_DELAY`] (to step out of
    /// the picture) the next camera frame is measured; the outcome shows on the dashboard.
    pub fn staff_calibrate_backdrop(&mut self) {
        if !matches!(self.state(), State::StaffDashboard)
            || matches!(
                self.calibration,
                Some(Calibration::Waiting { .. } | Calibration::Measuring { .. })
            )
        {
            return;
        }
        self.audit_staff("staff.calibrate_backdrop");
        self.calibration = Some(if self.analysis_available {
            Calibration::Waiting {
                at: Instant::now() + CALIBRATION_DELAY,
            }
        } else {
            Calibration::Refused(Localized::fixed(
                "人脸分析不可用，无法测量背景（见日志）",
                "Face analysis is unavailable, so the backdrop cannot be measured (see the log)",
            ))
        });
        self.notes.push(Note::StaffChanged);
    }

    /// Moves staff's calibration on: measures once the delay is over; gives up when no
    /// answer comes; forgets a waiting one, and the outcome, once staff leave the dashboard.
    fn follow_calibration(&mut self) {
        let on_dashboard = matches!(self.state(), State::StaffDashboard);
        match self.calibration {
            Some(Calibration::Measuring { asked, .. })
                if asked.elapsed() >= CALIBRATION_PATIENCE =>
            {
                tracing::error!("backdrop not measured in time (no camera frame)");
                self.calibration = Some(Calibration::Refused(Localized::fixed(
                    "摄像头没有画面，背景未校准",
                    "No picture from the camera: the backdrop is not calibrated",
                )));
                self.notes.push(Note::StaffChanged);
            }
            Some(Calibration::Measuring { .. }) => {}
            Some(_) if !on_dashboard => self.calibration = None,
            Some(Calibration::Waiting { at }) if Instant::now() >= at => {
                self.calibrations += 1;
                self.analysis.calibrate_backdrop(self.calibrations);
                self.calibration = Some(Calibration::Measuring {
                    request: self.calibrations,
                    asked: Instant::now(),
                });
                self.notes.push(Note::StaffChanged);
            }
            _ => {}
        }
    }

    /// The analysis thread measured the backdrop: a calibration is stored (and audited)
    /// before the live checks use it.
    fn calibrated(
        &mut self,
        request: u64,
        result: Result<Result<Backdrop, BackdropProblem>, String>,
    ) {
        if !matches!(self.calibration, Some(Calibration::Measuring { request: r, .. }) if r == request)
        {
            return;
        }
        let outcome = match result {
            Ok(Ok(b)) => match self.store.set_backdrop(&b) {
                Ok(()) => {
                    self.analysis.use_backdrop(b);
                    tracing::info!("backdrop calibrated by staff; the live checks use it");
                    Calibration::Done(b)
                }
                Err(e) => {
                    tracing::error!("backdrop calibration not stored: {e}");
                    Calibration::Refused(Localized::new(
                        format!("校准结果未能保存：{e}"),
                        format!("The calibration could not be saved: {e}"),
                    ))
                }
            },
            Ok(Err(problem)) => {
                let reason = match problem {
                    BackdropProblem::NotEmpty => "not_empty",
                    BackdropProblem::Uneven { .. } => "uneven",
                };
                if let Err(e) = self.store.audit(
                    "staff",
                    "backdrop.refused",
                    None,
                    &serde_json::json!({ "reason": reason }),
                ) {
                    tracing::error!("audit log write failed: {e}");
                }
                Calibration::Refused(problem.message())
            }
            Err(e) => Calibration::Refused(Localized::new(
                format!("无法测量背景：{e}"),
                format!("The backdrop could not be measured: {e}"),
            )),
        };
        self.calibration = Some(outcome);
        self.notes.push(Note::StaffChanged);
    }

    fn audit_staff(&self, action: &str) {
        if let Err(e) = self
            .store
            .audit("staff", action, None, &serde_json::json!({}))
        {
            tracing::error!("audit log write failed: {e}");
        }
    }

    /// The clock: a photo that never came has failed; the session's timers run.
    pub fn tick(&mut self) {
        if self
            .burst
            .is_some_and(|(_, asked)| asked.elapsed() >= MAX_PHOTO_TIME)
        {
            tracing::error!("photo not made in time");
            self.burst = None;
            self.dispatch(Event::PhotoFailed);
        }
        let before = self.state().clone();
        self.dispatch(Event::Tick);
        self.follow_calibration();
        if before != *self.state() && matches!(self.state(), State::Welcome) {
            tracing::info!("session ended; screens cleared");
        }
    }

    /// Carries out what the analysis thread reported since the last call.
    pub fn take_analysis_reports(&mut self) {
        for report in self.analysis.reports() {
            match report {
                Report::Unavailable(why) => {
                    tracing::error!("no guidance or auto-capture: {why}");
                    self.analysis_available = false;
                    self.guidance = None;
                    self.notes.push(Note::Guidance);
                    self.notes.push(Note::AnalysisUnavailable(why));
                    if self.burst.take().is_some() {
                        let event = self.centre_photo();
                        self.dispatch(event);
                    }
                }
                Report::Frame {
                    generation,
                    guidance,
                    face,
                    steady,
                } => {
                    if generation != self.generation
                        || !matches!(self.state(), State::Capture { .. })
                    {
                        continue;
                    }
                    let passing = guidance.all_pass;
                    if self.guidance.as_ref() != Some(&guidance) {
                        self.guidance = Some(guidance);
                        self.notes.push(Note::Guidance);
                    }
                    self.dispatch(Event::Analysed {
                        face,
                        passing,
                        steady,
                    });
                }
                Report::Captured { burst, result } => {
                    if self.burst.map(|b| b.0) != Some(burst) {
                        continue; // the candidate left meanwhile
                    }
                    self.burst = None;
                    let event = match result {
                        Ok(captured) => self.photo_made(*captured),
                        Err(_) => Event::PhotoFailed,
                    };
                    self.dispatch(event);
                }
                Report::Calibrated { request, result } => self.calibrated(request, result),
            }
        }
    }

    /// Stops the camera, the analysis and the sync thread, each within a bounded time.
    pub fn stop(&mut self) {
        if let Some(feed) = self.feed.take() {
            feed.stop(STOP_PATIENCE);
        }
        self.analysis.stop();
        if let Some(sync) = self.sync.take() {
            sync.stop(STOP_PATIENCE);
        }
    }

    /// Entering the capture screen starts a new capture for the analysis thread; leaving it
    /// pauses the analysis.
    fn follow_capture_screen(&mut self, was_capturing: bool) {
        let capturing = matches!(self.state(), State::Capture { .. });
        if capturing && !was_capturing {
            self.generation += 1;
            self.guidance = None;
            self.analysis.start(self.generation);
            self.notes.push(Note::CaptureStarted);
            self.notes.push(Note::Guidance);
        } else if was_capturing && !capturing {
            self.analysis.pause();
            self.burst = None;
        }
    }

    fn perform(&mut self, effect: Effect) -> Option<Event> {
        match effect {
            Effect::TakePhoto => self.take_photo(),
            Effect::SaveCapture { capture_id, staff } => {
                Some(Event::Saved(self.save(capture_id, staff)))
            }
            Effect::DiscardPhoto { capture_id } => {
                if self.pending.as_ref().is_some_and(|p| p.id == capture_id) {
                    self.drop_photo();
                    tracing::info!("photo {capture_id} discarded (not accepted)");
                }
                None
            }
        }
    }

    fn drop_photo(&mut self) {
        self.pending = None;
        self.notes.push(Note::PhotoDropped);
    }

    /// Asks the analysis thread for the photo (a burst, the best frame, made to the
    /// specification); its answer becomes `PhotoTaken` or `PhotoFailed`. Without face
    /// analysis, the centre of the latest frame is the photo at once.
    fn take_photo(&mut self) -> Option<Event> {
        if self.analysis_available {
            self.bursts += 1;
            self.analysis.take_photo(self.bursts);
            self.burst = Some((self.bursts, Instant::now()));
            return None;
        }
        Some(self.centre_photo())
    }

    fn centre_photo(&mut self) -> Event {
        let frame = self
            .camera
            .latest()
            .filter(|f| f.captured_at.elapsed() <= MAX_FRAME_AGE);
        let Some(frame) = frame else {
            tracing::warn!("photo not taken: no recent camera frame");
            return Event::PhotoFailed;
        };
        match photo::centre_crop(&frame.image, &self.profile) {
            Ok(photo) => self.hold(photo, None),
            Err(e) => {
                tracing::error!("photo not taken: {e}");
                Event::PhotoFailed
            }
        }
    }

    /// Holds the photo the analysis thread made for review.
    fn photo_made(&mut self, captured: Captured) -> Event {
        self.hold(captured.photo, Some(captured.inspection.results))
    }

    fn hold(&mut self, photo: Photo, checks: Option<Vec<CheckResult>>) -> Event {
        let id = Uuid::new_v4();
        match &checks {
            Some(checks) => {
                let failing: Vec<&str> = checks
                    .iter()
                    .filter(|r| !r.pass)
                    .map(|r| r.id.as_str())
                    .collect();
                tracing::info!(
                    "photo {id} taken ({} bytes); failing checks: {}",
                    photo.jpeg.len(),
                    if failing.is_empty() {
                        "none".to_string()
                    } else {
                        failing.join(", ")
                    }
                );
            }
            None => tracing::info!(
                "photo {id} taken ({} bytes), not checked (no face analysis)",
                photo.jpeg.len()
            ),
        }
        // A photo no check could judge is no better than a failing one: staff decide.
        let blocked = checks
            .as_ref()
            .is_none_or(|c| !capture_core::compliance::acceptable(c));
        self.pending = Some(PendingPhoto {
            id,
            taken_at: Utc::now(),
            photo,
            checks,
        });
        self.notes.push(Note::PhotoHeld(id));
        Event::PhotoTaken {
            capture_id: id,
            blocked,
        }
    }

    /// What happens when a photo is accepted: stored durably (with the staff's acceptance
    /// and the required checks it overrides, when there is one), then sync is told.
    fn save(
        &mut self,
        capture_id: Uuid,
        staff: Option<StaffAcceptance>,
    ) -> Result<(), SaveProblem> {
        let State::Review { sitting, .. } = self.session.state() else {
            return Err(SaveProblem::Failed);
        };
        let Some(pending) = self.pending.as_ref().filter(|p| p.id == capture_id) else {
            tracing::error!("capture {capture_id}: the photo to save is gone");
            return Err(SaveProblem::Failed);
        };
        let checks: Vec<_> = pending
            .checks
            .iter()
            .flatten()
            .map(|r| r.record())
            .collect();
        let staff_override = staff.map(|s| StaffOverride {
            reason: s.reason,
            note: s.note,
            checks: match &pending.checks {
                Some(c) => c
                    .iter()
                    .filter(|r| r.blocks())
                    .map(|r| r.id.as_str().to_owned())
                    .collect(),
                // Not checked at all: every required check is overridden.
                None => CheckId::in_context(Context::File)
                    .filter(|id| self.profile.severity(id.as_str()) == Severity::Required)
                    .map(|id| id.as_str().to_owned())
                    .collect(),
            },
        });
        if let Some(o) = &staff_override {
            tracing::info!(
                "capture {capture_id}: accepted by staff ({}) despite {}",
                o.reason.as_str(),
                o.checks.join(", ")
            );
        }
        let capture = NewCapture {
            id: capture_id,
            entry: &sitting.candidate.entry,
            mobile: &sitting.mobile,
            profile: &self.profile.id,
            taken_at: pending.taken_at,
            retakes: sitting.retakes_used,
            jpeg: &pending.photo.jpeg,
            checks: &checks,
            staff_override: staff_override.as_ref(),
        };
        match self.store.accept_capture(&capture) {
            Ok(stored) => {
                self.stored(&stored);
                Ok(())
            }
            Err(e) => {
                tracing::error!("capture {capture_id} NOT stored: {e}");
                Err(save_problem(&e))
            }
        }
    }

    fn stored(&mut self, stored: &StoredCapture) {
        // On disk now: the copy in memory and on screen is not needed any more.
        self.drop_photo();
        if let Some(sync) = &self.sync {
            sync.nudge();
        }
        // Tests wait for this line to kill the kiosk right after an accept.
        tracing::info!(
            "capture {} accepted and stored ({} bytes)",
            stored.id,
            stored.bytes
        );
        self.notes.push(Note::Stored {
            id: stored.id,
            bytes: stored.bytes,
        });
    }

    /// Matches an admission number and a typed name against the roster, with each level's
    /// status.
    fn identify_outcome(&self, number: &str, name: &str) -> IdentifyOutcome {
        let Ok(no) = AdmissionNumber::parse(number, self.admission_digits) else {
            return IdentifyOutcome::Invalid(IdentifyProblem::AdmissionNumberInvalid);
        };
        if name.trim().is_empty() {
            return IdentifyOutcome::Invalid(IdentifyProblem::NameEmpty);
        }
        let entries = match self.store.find_roster(&no) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::error!("roster look-up failed: {e}");
                return IdentifyOutcome::NoMatch;
            }
        };
        let mut candidates = Vec::new();
        for entry in entries.into_iter().filter(|e| name_matches(&e.name, name)) {
            match self
                .store
                .candidate_status(&entry.admission_no, &entry.education_level)
            {
                Ok(status) => candidates.push(Candidate { entry, status }),
                Err(e) => tracing::error!("status look-up failed: {e}"),
            }
        }
        if candidates.is_empty() {
            IdentifyOutcome::NoMatch
        } else {
            IdentifyOutcome::Matched(candidates)
        }
    }

    fn lookup(&self, number: &str) -> LookupOutcome {
        let Ok(no) = AdmissionNumber::parse(number, self.admission_digits) else {
            return LookupOutcome::Invalid;
        };
        let entries = self.store.find_roster(&no).unwrap_or_else(|e| {
            tracing::error!("roster look-up failed: {e}");
            Vec::new()
        });
        let Some(first) = entries.first() else {
            return LookupOutcome::NotFound;
        };
        let name = first.name.clone().into();
        let levels = entries
            .iter()
            .filter_map(|e| {
                let status = self
                    .store
                    .candidate_status(&e.admission_no, &e.education_level)
                    .ok()?;
                Some((e.education_level.clone(), status))
            })
            .collect();
        LookupOutcome::Found { name, levels }
    }
}

fn save_problem(e: &StoreError) -> SaveProblem {
    if e.is_disk_full() {
        SaveProblem::DiskFull
    } else {
        SaveProblem::Failed
    }
}
