//! The kiosk as it runs: where the parts meet. Owns the window, the session, the store
//! and the camera feed on the UI thread; turns screen callbacks into session events,
//! carries out the session's effects, and renders the session's state into the screens.
//! The camera thread only hands over frames; nothing here blocks on the camera.

mod analysis;
mod automation;
pub mod headless;
mod preview;
mod systemd;
pub mod view;

pub mod ui {
    slint::include_modules!();
}

use crate::camera::feed::{CameraFeed, CameraState, FeedStatus};
use crate::camera::{self, CameraSettings, CameraSpec};
use crate::compliance::guide::Guidance;
use crate::compliance::{self, CheckResult};
use crate::config::{Config, Lang};
use crate::identity::{AdmissionNumber, name_matches};
use crate::photo::{self, Photo};
use crate::profile::{Framing, Profile};
use crate::session::{
    Candidate, Effect, Event, IdentifyOutcome, IdentifyProblem, LookupOutcome, SaveProblem,
    Session, SessionConfig, State,
};
use crate::store::{NewCapture, Store};
use anyhow::Context;
use chrono::{DateTime, Local};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use ui::{KioskAdapter, KioskWindow};
use uuid::Uuid;
use view::{SiteTexts, View};

/// A frame older than this is not taken as the photo (the camera has stalled).
const MAX_FRAME_AGE: Duration = Duration::from_millis(500);
/// A photo not made by the analysis thread within this time has failed.
const MAX_PHOTO_TIME: Duration = Duration::from_secs(20);
/// A "streaming" camera without a frame for this long is hung: stop feeding the watchdog.
const HUNG_CAMERA: Duration = Duration::from_secs(10);

pub struct RunOptions {
    pub config: Config,
    pub data_dir: PathBuf,
    pub camera: CameraSpec,
    pub fullscreen: bool,
    pub lang: Lang,
}

/// A photo taken and shown for review, not yet accepted.
struct PendingPhoto {
    id: Uuid,
    taken_at: DateTime<Local>,
    photo: Photo,
    /// The photo's own check (none when face analysis is unavailable).
    checks: Option<Vec<CheckResult>>,
}

struct Kiosk {
    window: slint::Weak<KioskWindow>,
    session: Session,
    store: Store,
    config: Config,
    profile: Profile,
    feed: Option<CameraFeed>,
    pending: Option<PendingPhoto>,
    lang: Lang,
    last_view: Option<View>,
    /// The camera frame size the capture screen's guides were laid out for.
    framed_for: Option<(u32, u32)>,
    /// Whether the camera thread should prepare preview images (only on the capture screen).
    preview_wanted: Arc<AtomicBool>,
    automation: bool,
    systemd: systemd::Notifier,
    analysis: Option<analysis::Analysis>,
    /// False once the analysis thread said it cannot work (photos are then centre crops).
    analysis_available: bool,
    /// Counts capture screens shown; the analysis reports which one a frame belongs to.
    generation: u64,
    /// The burst asked of the analysis thread for the photo, and when.
    burst: Option<(u64, Instant)>,
    bursts: u64,
    /// The guidance shown, and the instruction last announced (automation).
    guidance: Option<Guidance>,
    announced_instruction: Option<&'static str>,
    /// Sending the outbox to the central service (none when no service is configured).
    sync: Option<crate::sync::Background>,
}

/// Runs the kiosk until its window is closed.
pub fn run(opts: RunOptions) -> anyhow::Result<()> {
    let store = Store::open_exclusive(&opts.data_dir)?;
    let profile = Profile::builtin(&opts.config.campaign.photo_profile)
        .context("config names an unknown photo profile")?;
    tracing::info!(
        "kiosk {} starting: data {}, profile {}, roster {} entries",
        opts.config.kiosk.id,
        opts.data_dir.display(),
        profile.id,
        store.stats(Local::now().date_naive())?.roster_entries
    );

    let window = KioskWindow::new()
        .context("cannot open the kiosk window (is there a display? see README)")?;
    let automation = std::env::var_os(automation::ENV).is_some();
    let preview_wanted = Arc::new(AtomicBool::new(false));
    let analysis = {
        let weak = window.as_weak();
        analysis::Analysis::spawn(
            profile.clone(),
            Duration::from_millis(opts.config.campaign.auto_capture_stable_ms),
            move || {
                let _ = weak
                    .upgrade_in_event_loop(|w| w.global::<KioskAdapter>().invoke_analysis_ready());
            },
        )
    };
    let frame_offer = analysis.frame_offer();
    let analysis_stats = analysis.stats();
    // The camera's state as the heartbeat reports it; the feed's status callback writes it.
    let camera_report = Arc::new(std::sync::Mutex::new("starting".to_owned()));
    let kiosk = Rc::new(RefCell::new(Kiosk {
        window: window.as_weak(),
        session: Session::new(SessionConfig::from_config(&opts.config), Instant::now()),
        store,
        config: opts.config.clone(),
        profile,
        feed: None,
        pending: None,
        lang: opts.lang,
        last_view: None,
        framed_for: None,
        preview_wanted: preview_wanted.clone(),
        automation,
        systemd: systemd::Notifier::from_env(),
        analysis: Some(analysis),
        analysis_available: true,
        generation: 0,
        burst: None,
        bursts: 0,
        guidance: None,
        announced_instruction: None,
        sync: crate::sync::Background::spawn(
            opts.data_dir.clone(),
            opts.config.sync.clone(),
            opts.config.identity.admission_number_length,
            camera_report.clone(),
        ),
    }));
    kiosk.borrow_mut().set_language(opts.lang);

    let preview_stats = Arc::new(preview::PreviewStats::default());
    let feed = start_camera(
        &opts,
        &window,
        preview_wanted,
        preview_stats.clone(),
        frame_offer,
        camera_report,
    );
    let monitor = feed.monitor();
    kiosk.borrow_mut().feed = Some(feed);
    wire_callbacks(&window, &kiosk);

    let tick = slint::Timer::default();
    {
        let kiosk = kiosk.clone();
        tick.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(200),
            move || {
                kiosk.borrow_mut().tick();
            },
        );
    }
    if automation {
        let started = Instant::now();
        automation::start(
            window.as_weak(),
            Box::new(move || {
                let camera = monitor.status();
                let (analysed, inferred) = analysis_stats();
                format!(
                    "stats t={:.3} camera_frames={} camera_corrupt={} preview_shown={} preview_skipped={} analysed={analysed} inferred={inferred}",
                    started.elapsed().as_secs_f64(),
                    camera.frames,
                    camera.corrupt_frames,
                    preview_stats.shown.load(Ordering::Relaxed),
                    preview_stats.skipped.load(Ordering::Relaxed)
                )
            }),
        );
    }
    kiosk.borrow_mut().render();
    {
        let kiosk = kiosk.clone();
        slint::Timer::single_shot(Duration::from_millis(10), move || {
            let k = kiosk.borrow();
            k.systemd.ready();
            k.systemd
                .status(&format!("kiosk {} ready", k.config.kiosk.id));
        });
    }
    if opts.fullscreen {
        // The native window exists once the event loop runs.
        let weak = window.as_weak();
        slint::Timer::single_shot(Duration::from_millis(10), move || {
            if let Some(w) = weak.upgrade() {
                fill_monitor(&w);
            }
        });
    }
    window.run().context("the window's event loop failed")?;

    let feed = kiosk.borrow_mut().feed.take();
    if let Some(feed) = feed {
        feed.stop(Duration::from_secs(2));
    }
    let analysis = kiosk.borrow_mut().analysis.take();
    if let Some(analysis) = analysis {
        analysis.stop();
    }
    tracing::info!("kiosk stopped");
    Ok(())
}

fn start_camera(
    opts: &RunOptions,
    window: &KioskWindow,
    preview_wanted: Arc<AtomicBool>,
    preview_stats: Arc<preview::PreviewStats>,
    analysis: analysis::FrameOffer,
    camera_report: Arc<std::sync::Mutex<String>>,
) -> CameraFeed {
    let spec = opts.camera.clone();
    let settings = CameraSettings {
        min_width: opts.config.camera.min_width,
        min_height: opts.config.camera.min_height,
    };
    let frames_to_ui = preview::PreviewSender::new(window.as_weak(), preview_wanted, preview_stats);
    let status_window = window.as_weak();
    let automation = std::env::var_os(automation::ENV).is_some();
    CameraFeed::start(
        move || camera::open(&spec, settings),
        Duration::from_millis(opts.config.camera.reconnect_interval_ms),
        move |frame| {
            frames_to_ui.send(frame);
            analysis.offer(frame);
        },
        move |status: &FeedStatus| {
            *camera_report.lock().unwrap_or_else(|p| p.into_inner()) = match &status.state {
                CameraState::Streaming if status.demo_fallback => "demo".to_owned(),
                CameraState::Streaming => "ok".to_owned(),
                CameraState::Starting => "starting".to_owned(),
                CameraState::Disconnected { reason } => format!("disconnected: {reason}"),
                CameraState::Failed { reason } => format!("failed: {reason}"),
            };
            let state = ui_camera_state(&status.state);
            if automation {
                automation::announce(&format!("camera {state:?}"));
            }
            let _ = status_window
                .upgrade_in_event_loop(move |w| w.global::<KioskAdapter>().set_camera_state(state));
        },
    )
}

/// Full screen. With a window manager or compositor, fullscreen is enough; on a bare X
/// server (no window manager) the window is also moved to and sized like its monitor.
fn fill_monitor(window: &KioskWindow) {
    use slint::winit_030::WinitWindowAccessor;
    use slint::winit_030::winit::window::Fullscreen;
    window.window().set_fullscreen(true);
    let filled = window.window().with_winit_window(|w| {
        let monitor = w
            .current_monitor()
            .or_else(|| w.available_monitors().next())?;
        w.set_outer_position(monitor.position());
        let _ = w.request_inner_size(monitor.size());
        w.set_fullscreen(Some(Fullscreen::Borderless(Some(monitor.clone()))));
        Some(monitor.size())
    });
    match filled.flatten() {
        Some(size) => tracing::info!("full screen: {}×{}", size.width, size.height),
        None => tracing::warn!("full screen requested, but the display reports no monitor"),
    }
}

fn ui_camera_state(s: &CameraState) -> ui::CameraState {
    match s {
        CameraState::Starting => ui::CameraState::Starting,
        CameraState::Streaming => ui::CameraState::Streaming,
        CameraState::Disconnected { .. } => ui::CameraState::Disconnected,
        CameraState::Failed { .. } => ui::CameraState::Failed,
    }
}

fn wire_callbacks(window: &KioskWindow, kiosk: &Rc<RefCell<Kiosk>>) {
    let a = window.global::<KioskAdapter>();
    let k = kiosk.clone();
    let on = move |f: fn(&mut Kiosk)| {
        let k = k.clone();
        move || f(&mut k.borrow_mut())
    };
    a.on_touch(on(|k| k.dispatch(Event::Touch)));
    a.on_start(on(|k| {
        k.dispatch(Event::Start {
            wall: Local::now().naive_local(),
        })
    }));
    a.on_open_status_lookup(on(|k| k.dispatch(Event::OpenStatusLookup)));
    a.on_open_staff(on(|k| k.dispatch(Event::OpenStaff)));
    a.on_confirm(on(|k| k.dispatch(Event::Confirmed)));
    a.on_not_me(on(|k| k.dispatch(Event::NotMe)));
    a.on_take_photo(on(|k| k.dispatch(Event::CaptureRequested)));
    a.on_analysis_ready(on(|k| k.take_analysis_reports()));
    a.on_accept(on(|k| k.dispatch(Event::Accept)));
    a.on_retake(on(|k| k.dispatch(Event::Retake)));
    a.on_back(on(|k| k.dispatch(Event::Back)));
    a.on_home(on(|k| k.dispatch(Event::Home)));
    a.on_sync_now(on(|k| k.staff_sync(false)));
    a.on_retry_refused(on(|k| k.staff_sync(true)));

    let k = kiosk.clone();
    a.on_set_language(move |code| {
        let lang = code.parse().unwrap_or_default();
        k.borrow_mut().set_language(lang);
    });
    let k = kiosk.clone();
    a.on_submit_identity(move |number, name| {
        let mut k = k.borrow_mut();
        let outcome = k.identify(&number, &name);
        k.dispatch(Event::Identified(outcome));
    });
    let k = kiosk.clone();
    a.on_choose_level(move |i| {
        k.borrow_mut()
            .dispatch(Event::LevelChosen(i.max(0) as usize))
    });
    let k = kiosk.clone();
    a.on_submit_contact(move |mobile, use_roster, consent| {
        let mobile = (!use_roster).then(|| mobile.to_string().into());
        k.borrow_mut()
            .dispatch(Event::ContactSubmitted { mobile, consent });
    });
    let k = kiosk.clone();
    a.on_lookup_status(move |number| {
        let mut k = k.borrow_mut();
        let outcome = k.lookup(&number);
        k.dispatch(Event::StatusLookedUp(outcome));
    });
    let k = kiosk.clone();
    a.on_enter_pin(move |pin| k.borrow_mut().enter_pin(pin.as_str()));
    let admission_digits = kiosk.borrow().config.identity.admission_number_length;
    a.on_typed_digit(move |text, digit, field| {
        use crate::identity::{MOBILE_DIGITS, WhenFull, type_digit};
        let (max, when_full) = match field {
            ui::DigitField::AdmissionNumber => (admission_digits, WhenFull::StartOver),
            ui::DigitField::Mobile => (MOBILE_DIGITS, WhenFull::Ignore),
            ui::DigitField::Pin => (crate::config::MAX_PIN_DIGITS, WhenFull::Ignore),
        };
        type_digit(&text, &digit, max, when_full).into()
    });
    a.on_without_last(|text| {
        let mut s = text.to_string();
        s.pop();
        s.into()
    });
}

impl Kiosk {
    fn window(&self) -> Option<KioskWindow> {
        self.window.upgrade()
    }

    fn set_language(&mut self, lang: Lang) {
        self.lang = lang;
        if let Err(e) = slint::select_bundled_translation(lang.code()) {
            tracing::warn!("cannot switch the screens to {}: {e}", lang.code());
        }
        if let Some(w) = self.window() {
            SiteTexts::new(&self.config, &self.profile, lang).apply(&w.global::<KioskAdapter>());
        }
        self.show_guidance();
        self.show_photo_checks();
        self.session.handle(Event::Touch, Instant::now());
        self.render();
    }

    /// Feeds an event to the session and carries out its effects, whose results are
    /// events again; then shows the new state.
    fn dispatch(&mut self, event: Event) {
        let mut queue = VecDeque::from([event]);
        while let Some(event) = queue.pop_front() {
            for effect in self.session.handle(event, Instant::now()) {
                if let Some(follow_up) = self.perform(effect) {
                    queue.push_back(follow_up);
                }
            }
        }
        self.render();
    }

    fn perform(&mut self, effect: Effect) -> Option<Event> {
        match effect {
            Effect::TakePhoto => self.take_photo(),
            Effect::SaveCapture { capture_id } => Some(Event::Saved(self.save(capture_id))),
            Effect::DiscardPhoto { capture_id } => {
                if self.pending.as_ref().is_some_and(|p| p.id == capture_id) {
                    self.drop_photo();
                    tracing::info!("photo {capture_id} discarded (not accepted)");
                }
                None
            }
        }
    }

    /// Forgets the photo held for review, in memory and on screen.
    fn drop_photo(&mut self) {
        self.pending = None;
        if let Some(w) = self.window() {
            w.global::<KioskAdapter>()
                .set_photo(slint::Image::default());
        }
    }

    /// Asks the analysis thread for the photo (a burst, the best frame, made to the
    /// specification); its answer becomes `PhotoTaken` or `PhotoFailed`. Without face
    /// analysis, the centre of the latest frame is the photo at once.
    fn take_photo(&mut self) -> Option<Event> {
        if let (Some(analysis), true) = (&self.analysis, self.analysis_available) {
            self.bursts += 1;
            analysis.take_photo(self.bursts);
            self.burst = Some((self.bursts, Instant::now()));
            return None;
        }
        Some(self.centre_photo())
    }

    fn centre_photo(&mut self) -> Event {
        let frame = self
            .feed
            .as_ref()
            .and_then(|f| f.latest())
            .filter(|f| f.captured_at.elapsed() <= MAX_FRAME_AGE);
        let Some(frame) = frame else {
            tracing::warn!("photo not taken: no recent camera frame");
            return Event::PhotoFailed;
        };
        match photo::centre_crop(&frame.image, &self.profile) {
            Ok(photo) => {
                let id = Uuid::new_v4();
                if let Some(w) = self.window() {
                    w.global::<KioskAdapter>()
                        .set_photo(preview::to_slint_image(&photo.image));
                }
                tracing::info!("photo {id} taken ({} bytes)", photo.jpeg.len());
                self.pending = Some(PendingPhoto {
                    id,
                    taken_at: Local::now(),
                    photo,
                    checks: None,
                });
                self.show_photo_checks();
                Event::PhotoTaken { capture_id: id }
            }
            Err(e) => {
                tracing::error!("photo not taken: {e}");
                Event::PhotoFailed
            }
        }
    }

    fn save(&mut self, capture_id: Uuid) -> Result<(), SaveProblem> {
        let State::Review { sitting, .. } = self.session.state() else {
            return Err(SaveProblem::Failed);
        };
        let Some(pending) = self.pending.as_ref().filter(|p| p.id == capture_id) else {
            tracing::error!("capture {capture_id}: the photo to save is gone");
            return Err(SaveProblem::Failed);
        };
        let checks: Vec<crate::protocol::CheckRecord> = pending
            .checks
            .iter()
            .flatten()
            .map(crate::protocol::CheckRecord::from)
            .collect();
        let capture = NewCapture {
            id: capture_id,
            entry: &sitting.candidate.entry,
            mobile: &sitting.mobile,
            profile: &self.profile.id,
            taken_at: pending.taken_at,
            retakes: sitting.retakes_used,
            jpeg: &pending.photo.jpeg,
            checks: &checks,
        };
        match self.store.accept_capture(&capture) {
            Ok(stored) => {
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
                if self.automation {
                    automation::announce(&format!("stored {}", stored.id));
                }
                Ok(())
            }
            Err(e) => {
                tracing::error!("capture {capture_id} NOT stored: {e}");
                Err(if e.is_disk_full() {
                    SaveProblem::DiskFull
                } else {
                    SaveProblem::Failed
                })
            }
        }
    }

    fn identify(&self, number: &str, name: &str) -> IdentifyOutcome {
        identify(
            &self.store,
            self.config.identity.admission_number_length,
            number,
            name,
        )
    }

    fn lookup(&self, number: &str) -> LookupOutcome {
        let Ok(no) = AdmissionNumber::parse(number, self.config.identity.admission_number_length)
        else {
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

    fn enter_pin(&mut self, pin: &str) {
        self.dispatch(Event::PinEntered(pin.into()));
        let action = match self.session.state() {
            State::StaffDashboard => "staff.signed_in",
            State::StaffPin {
                problem: Some(crate::session::PinProblem::Locked { .. }),
            } => "staff.pin_locked",
            _ => "staff.pin_wrong",
        };
        if let Err(e) = self
            .store
            .audit("staff", action, None, &serde_json::json!({}))
        {
            tracing::error!("audit log write failed: {e}");
        }
        if action == "staff.signed_in" {
            self.refresh_dashboard();
        }
    }

    /// Staff asked to send now, after putting the refused uploads back in line if `retry`.
    fn staff_sync(&mut self, retry: bool) {
        if !matches!(self.session.state(), State::StaffDashboard) {
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
        if let Err(e) = self
            .store
            .audit("staff", action, None, &serde_json::json!({}))
        {
            tracing::error!("audit log write failed: {e}");
        }
        if let Some(sync) = &self.sync {
            sync.send_everything_now();
        }
        self.refresh_dashboard();
    }

    /// Carries out what the analysis thread reported.
    fn take_analysis_reports(&mut self) {
        let Some(analysis) = &self.analysis else {
            return;
        };
        for report in analysis.reports() {
            match report {
                analysis::Report::Unavailable(why) => {
                    tracing::error!("no guidance or auto-capture: {why}");
                    self.analysis_available = false;
                    self.guidance = None;
                    self.show_guidance();
                    if self.burst.take().is_some() {
                        let event = self.centre_photo();
                        self.dispatch(event);
                    }
                }
                analysis::Report::Frame {
                    generation,
                    guidance,
                    face,
                    steady,
                } => {
                    if generation != self.generation
                        || !matches!(self.session.state(), State::Capture { .. })
                    {
                        continue;
                    }
                    let passing = guidance.all_pass;
                    if self.guidance.as_ref() != Some(&guidance) {
                        self.guidance = Some(guidance);
                        self.show_guidance();
                    }
                    self.dispatch(Event::Analysed {
                        face,
                        passing,
                        steady,
                    });
                }
                analysis::Report::Captured { burst, result } => {
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
            }
        }
    }

    /// Holds the photo the analysis thread made for review.
    fn photo_made(&mut self, captured: crate::inspect::Captured) -> Event {
        let id = Uuid::new_v4();
        if let Some(w) = self.window() {
            w.global::<KioskAdapter>()
                .set_photo(preview::to_slint_image(&captured.photo.image));
        }
        let failing: Vec<&str> = captured.inspection.failing().map(|r| r.id).collect();
        tracing::info!(
            "photo {id} taken ({} bytes); failing checks: {}",
            captured.photo.jpeg.len(),
            if failing.is_empty() {
                "none".to_string()
            } else {
                failing.join(", ")
            }
        );
        if self.automation {
            automation::announce(&format!("photo {} failing={}", id, failing.join(",")));
        }
        self.pending = Some(PendingPhoto {
            id,
            taken_at: Local::now(),
            photo: captured.photo,
            checks: Some(captured.inspection.results),
        });
        self.show_photo_checks();
        Event::PhotoTaken { capture_id: id }
    }

    /// The guidance on the capture screen, in the current language.
    fn show_guidance(&mut self) {
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let lang = self.lang;
        let pick = |(zh, en): (&'static str, &'static str)| match lang {
            Lang::Zh => zh,
            Lang::En => en,
        };
        let instruction = self.guidance.as_ref().and_then(|g| g.instruction);
        let lights: Vec<ui::CheckLight> = compliance::CHECK_IDS
            .iter()
            .filter(|id| **id != "file.size")
            .map(|&id| {
                let pass = self
                    .guidance
                    .as_ref()
                    .is_some_and(|g| g.checks.iter().any(|c| c.0 == id && c.1));
                ui::CheckLight {
                    id: id.into(),
                    label: pick(compliance::title(id)).into(),
                    pass,
                    current: instruction.is_some_and(|i| i.0 == id),
                }
            })
            .collect();
        a.set_check_lights(Rc::new(slint::VecModel::from(lights)).into());
        let (state, text) = match (&self.guidance, instruction) {
            (None, _) => (ui::GuideState::Waiting, ""),
            (Some(_), Some((_, zh, en))) => (ui::GuideState::Fix, pick((zh, en))),
            (Some(_), None) => (ui::GuideState::Ready, ""),
        };
        a.set_guide_state(state);
        a.set_instruction(text.into());
        let announce = match (&self.guidance, instruction) {
            (None, _) => None,
            (Some(_), Some((id, ..))) => Some(id),
            (Some(_), None) => Some("ready"),
        };
        if self.automation && announce.is_some() && announce != self.announced_instruction {
            automation::announce(&format!("guidance {}", announce.unwrap_or_default()));
        }
        self.announced_instruction = announce;
    }

    /// The review screen's summary of the photo's own check, in the current language.
    fn show_photo_checks(&self) {
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let checks = self.pending.as_ref().and_then(|p| p.checks.as_ref());
        a.set_photo_checked(checks.is_some());
        a.set_photo_check_count(checks.map_or(0, |c| c.len() as i32));
        let failures: Vec<slint::SharedString> = checks
            .into_iter()
            .flatten()
            .filter(|r| !r.pass)
            .map(|r| {
                let (zh, en) = compliance::title(r.id);
                match self.lang {
                    Lang::Zh => format!("{zh}：{}", r.message_zh),
                    Lang::En => format!("{en}: {}", r.message_en),
                }
                .into()
            })
            .collect();
        a.set_photo_failures(Rc::new(slint::VecModel::from(failures)).into());
    }

    fn tick(&mut self) {
        if self
            .burst
            .is_some_and(|(_, asked)| asked.elapsed() >= MAX_PHOTO_TIME)
        {
            tracing::error!("photo not made in time");
            self.burst = None;
            self.dispatch(Event::PhotoFailed);
        }
        if let Some(feed) = &self.feed {
            let streaming = feed.status().state == CameraState::Streaming;
            let age = feed.latest().map(|f| f.captured_at.elapsed());
            if systemd::camera_healthy(streaming, age, HUNG_CAMERA) {
                self.systemd.alive();
            }
        }
        let before = self.session.state().clone();
        self.dispatch(Event::Tick);
        if matches!(self.session.state(), State::StaffDashboard) {
            self.refresh_dashboard();
        }
        if matches!(self.session.state(), State::Capture { .. }) {
            self.update_framing(false);
        }
        if before != *self.session.state() && matches!(self.session.state(), State::Welcome) {
            tracing::info!("session ended; screens cleared");
        }
    }

    fn render(&mut self) {
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let view = View::of(
            &self.session,
            Instant::now(),
            self.lang,
            Local::now().format("%H:%M").to_string(),
        );
        if self.last_view.as_ref() == Some(&view) {
            return;
        }
        let screen_changed = self
            .last_view
            .as_ref()
            .is_none_or(|v| v.screen != view.screen);
        view.apply(&a);
        if screen_changed {
            let on_capture = view.screen == ui::Screen::Capture;
            self.preview_wanted.store(on_capture, Ordering::Relaxed);
            a.set_preview(slint::Image::default());
            if on_capture {
                self.update_framing(true);
                // A new capture (a new candidate or a retake): guidance starts afresh.
                self.generation += 1;
                self.guidance = None;
                self.announced_instruction = None;
                if let Some(analysis) = &self.analysis {
                    analysis.start(self.generation);
                }
            } else if let Some(analysis) = &self.analysis {
                analysis.pause();
                self.burst = None;
            }
            if self.automation {
                automation::announce(&format!("screen {:?}", view.screen));
            }
        }
        self.last_view = Some(view);
    }

    /// Lays the guides out for the camera's frame size (again, when the size changes: a
    /// camera plugged in later may be 4:3).
    fn update_framing(&mut self, entering: bool) {
        let size = self
            .feed
            .as_ref()
            .and_then(|f| f.latest())
            .map(|f| f.image.dimensions());
        if !entering && (size.is_none() || size == self.framed_for) {
            return;
        }
        self.framed_for = size;
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let (w, h) = size.unwrap_or((16, 9));
        let f = Framing::for_camera(&self.profile, w, h);
        a.set_preview_aspect(w as f32 / h as f32);
        a.set_framing(ui::Framing {
            frame_x: f.frame_x,
            frame_y: f.frame_y,
            frame_w: f.frame_w,
            frame_h: f.frame_h,
            crown_y: f.crown_y,
            chin_y: f.chin_y,
            oval_w: f.oval_w,
        });
    }

    fn refresh_dashboard(&self) {
        let Some(w) = self.window() else { return };
        let stats = self
            .store
            .stats(Local::now().date_naive())
            .unwrap_or_default();
        let status = self.feed.as_ref().map(|f| f.status()).unwrap_or_default();
        let free = crate::store::free_space(self.store.data_dir()).ok();
        let outbox = self.store.outbox_counts().unwrap_or_default();
        let sync = self.sync.as_ref().map(|s| s.status());
        w.global::<KioskAdapter>().set_dashboard(ui::Dashboard {
            uploaded: outbox.uploaded as i32,
            sync_on: sync.is_some(),
            // The last receipt, from the store: it outlives restarts.
            last_sync: outbox
                .last_upload
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| {
                    let t = t.with_timezone(&Local);
                    if t.date_naive() == Local::now().date_naive() {
                        t.format("%H:%M").to_string()
                    } else {
                        t.format("%Y-%m-%d %H:%M").to_string()
                    }
                })
                .unwrap_or_default()
                .into(),
            sync_problem: sync
                .and_then(|s| s.last_problem)
                .map(|why| match (crate::sync::explain(&why), self.lang) {
                    (Some((zh, _)), Lang::Zh) => zh.to_owned(),
                    (Some((_, en)), Lang::En) => en.to_owned(),
                    (None, _) => why,
                })
                .unwrap_or_default()
                .into(),
            captures_today: stats.captures_today as i32,
            captures_total: stats.captures_total as i32,
            pending_uploads: stats.pending_uploads as i32,
            failed_uploads: stats.failed_uploads as i32,
            roster_entries: stats.roster_entries as i32,
            camera_state: ui_camera_state(&status.state),
            camera_source: status
                .source
                .map(|s| s.to_string())
                .unwrap_or_default()
                .into(),
            camera_fps: format!("{:.0}", status.fps).into(),
            camera_corrupt_frames: status.corrupt_frames as i32,
            camera_disconnects: status.disconnects as i32,
            demo_fallback: status.demo_fallback,
            free_disk: free.map(human_bytes).unwrap_or_else(|| "?".into()).into(),
            disk_low: free.is_some_and(|f| f < crate::store::LOW_DISK_BYTES),
            kiosk_id: self.config.kiosk.id.as_str().into(),
            data_dir: self.store.data_dir().display().to_string().into(),
            version: env!("CARGO_PKG_VERSION").into(),
        });
    }
}

/// Matches an admission number and a typed name against the roster, with each level's
/// status.
fn identify(store: &Store, admission_no_len: usize, number: &str, name: &str) -> IdentifyOutcome {
    let Ok(no) = AdmissionNumber::parse(number, admission_no_len) else {
        return IdentifyOutcome::Invalid(IdentifyProblem::AdmissionNumberInvalid);
    };
    if name.trim().is_empty() {
        return IdentifyOutcome::Invalid(IdentifyProblem::NameEmpty);
    }
    let entries = match store.find_roster(&no) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::error!("roster look-up failed: {e}");
            return IdentifyOutcome::NoMatch;
        }
    };
    let mut candidates = Vec::new();
    for entry in entries.into_iter().filter(|e| name_matches(&e.name, name)) {
        match store.candidate_status(&entry.admission_no, &entry.education_level) {
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

pub fn human_bytes(b: u64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MIB: f64 = 1024.0 * 1024.0;
    let b = b as f64;
    if b >= GIB {
        format!("{:.1} GB", b / GIB)
    } else {
        format!("{:.0} MB", b / MIB)
    }
}
