//! The kiosk as it runs in its window: wiring and painting. It starts the parts (camera
//! feed, analysis thread, sync thread, the store) and hands them to the [`Flow`], which
//! drives the candidate flow; it turns screen callbacks into the flow's events, and paints
//! the flow's state ([`View`]) and what it reports ([`Note`]) into the screens. No business
//! rule lives here. The camera thread only hands over frames; nothing here blocks on it.

mod automation;
mod preview;
mod systemd;
pub mod view;

pub mod ui {
    slint::include_modules!();
}

use crate::camera::CameraSpec;
use crate::camera::feed::{CameraState, FeedStatus};
use crate::config::{Config, Lang};
use crate::flow::analysis::Analysis;
use crate::flow::{self, Calibration, Flow, Note, Parts};
use crate::store::Store;
use anyhow::Context;
use capture_core::compliance::backdrop::Backdrop;
use capture_core::compliance::{CheckId, CheckResult, Context as CheckContext};
use capture_core::profile::{Framing, Severity};
use capture_core::session::{Event, State};
use chrono::Local;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use ui::{KioskAdapter, KioskWindow};
use view::{SiteTexts, View};

/// A "streaming" camera without a frame for this long is hung: stop feeding the watchdog.
const HUNG_CAMERA: Duration = Duration::from_secs(10);

pub struct RunOptions {
    pub config: Config,
    pub data_dir: PathBuf,
    pub camera: CameraSpec,
    pub fullscreen: bool,
    pub lang: Lang,
}

/// What the dashboard's backdrop tile says.
struct BackdropTile {
    value: String,
    note: String,
    alert: bool,
    /// A calibration is under way (the button waits).
    busy: bool,
}

struct Kiosk {
    window: slint::Weak<KioskWindow>,
    flow: Flow,
    config: Config,
    lang: Lang,
    last_view: Option<View>,
    /// The camera frame size the capture screen's guides were laid out for.
    framed_for: Option<(u32, u32)>,
    /// Whether the camera thread should prepare preview images (only on the capture screen).
    preview_wanted: Arc<AtomicBool>,
    automation: bool,
    systemd: systemd::Notifier,
    /// The instruction last announced (automation).
    announced_instruction: Option<&'static str>,
}

/// Runs the kiosk until its window is closed.
pub fn run(opts: RunOptions) -> anyhow::Result<()> {
    let store = Store::open_exclusive(&opts.data_dir)?;
    let config = opts.config.clone();
    tracing::info!(
        "kiosk {} starting: data {}, profile {}, roster {} entries",
        config.kiosk.id,
        opts.data_dir.display(),
        config.campaign.photo_profile,
        store.stats(Local::now().date_naive())?.roster_entries
    );

    let window = KioskWindow::new()
        .context("cannot open the kiosk window (is there a display? see README)")?;
    let automation = std::env::var_os(automation::ENV).is_some();
    let preview_wanted = Arc::new(AtomicBool::new(false));
    let analysis = {
        let weak = window.as_weak();
        Analysis::spawn(
            config.profile(),
            store.backdrop().unwrap_or_else(|e| {
                tracing::warn!(
                    "the calibrated backdrop could not be read ({e}): the profile's colour is used"
                );
                None
            }),
            Duration::from_millis(config.campaign.auto_capture_stable_ms),
            move || {
                let _ = weak
                    .upgrade_in_event_loop(|w| w.global::<KioskAdapter>().invoke_analysis_ready());
            },
        )
    };
    let analysis_stats = analysis.stats();
    // The camera's state as the heartbeat reports it; the feed's status callback writes it.
    let camera_report = Arc::new(std::sync::Mutex::new("starting".to_owned()));
    let preview_stats = Arc::new(preview::PreviewStats::default());
    let feed = {
        let frames_to_ui = preview::PreviewSender::new(
            window.as_weak(),
            preview_wanted.clone(),
            preview_stats.clone(),
        );
        let status_window = window.as_weak();
        let report = camera_report.clone();
        flow::start_camera(
            &config,
            opts.camera.clone(),
            analysis.frame_offer(),
            move |frame| frames_to_ui.send(frame),
            move |status: &FeedStatus| {
                *report.lock().unwrap_or_else(|p| p.into_inner()) = flow::camera_report(status);
                let state = ui_camera_state(&status.state);
                // Announced once the screen has it, so a test that reads the screen next
                // sees the new state.
                let _ = status_window.upgrade_in_event_loop(move |w| {
                    w.global::<KioskAdapter>().set_camera_state(state);
                    if automation {
                        automation::announce(&format!("camera {state:?}"));
                    }
                });
            },
        )
    };
    let monitor = feed.monitor();
    let flow = Flow::new(
        Parts {
            sync: flow::start_sync(&config, &opts.data_dir, camera_report),
            config: config.clone(),
            store,
            analysis,
            feed,
        },
        Instant::now(),
    );
    let kiosk = Rc::new(RefCell::new(Kiosk {
        window: window.as_weak(),
        flow,
        config,
        lang: opts.lang,
        last_view: None,
        framed_for: None,
        preview_wanted,
        automation,
        systemd: systemd::Notifier::from_env(),
        announced_instruction: None,
    }));
    kiosk.borrow_mut().set_language(opts.lang);
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
    drop(tick);
    kiosk.borrow_mut().flow.stop();
    tracing::info!("kiosk stopped");
    Ok(())
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
    a.on_understood(on(|k| k.dispatch(Event::Understood)));
    a.on_not_me(on(|k| k.dispatch(Event::NotMe)));
    a.on_take_photo(on(|k| k.dispatch(Event::CaptureRequested)));
    a.on_analysis_ready(on(|k| k.with_flow(Flow::take_analysis_reports)));
    a.on_accept(on(|k| k.dispatch(Event::Accept)));
    a.on_retake(on(|k| k.dispatch(Event::Retake)));
    a.on_back(on(|k| k.dispatch(Event::Back)));
    a.on_home(on(|k| k.dispatch(Event::Home)));
    a.on_sync_now(on(|k| k.with_flow(|f| f.staff_send_now(false))));
    a.on_retry_refused(on(|k| k.with_flow(|f| f.staff_send_now(true))));
    a.on_calibrate_backdrop(on(|k| k.with_flow(Flow::staff_calibrate_backdrop)));

    let k = kiosk.clone();
    a.on_set_language(move |code| {
        let lang = code.parse().unwrap_or_default();
        k.borrow_mut().set_language(lang);
    });
    let k = kiosk.clone();
    a.on_submit_identity(move |number, name| {
        k.borrow_mut().with_flow(|f| f.identify(&number, &name));
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
        k.borrow_mut().with_flow(|f| f.look_up_status(&number));
    });
    let k = kiosk.clone();
    a.on_enter_pin(move |pin| k.borrow_mut().with_flow(|f| f.enter_pin(pin.as_str())));
    let k = kiosk.clone();
    a.on_choose_override(move |reason, note| {
        use capture_core::session::OverrideReason;
        let Some(&reason) = OverrideReason::ALL.get(reason.max(0) as usize) else {
            return;
        };
        k.borrow_mut().dispatch(Event::OverrideChosen {
            reason,
            note: note.to_string(),
        });
    });
    let admission_digits = kiosk.borrow().config.identity.admission_number_length;
    a.on_typed_digit(move |text, digit, field| {
        use capture_core::identity::{MOBILE_DIGITS, WhenFull, type_digit};
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

    /// Runs `f` on the flow, then paints what changed.
    fn with_flow(&mut self, f: impl FnOnce(&mut Flow)) {
        f(&mut self.flow);
        self.paint_notes();
        self.render();
    }

    fn dispatch(&mut self, event: Event) {
        self.with_flow(|f| f.dispatch(event));
    }

    fn set_language(&mut self, lang: Lang) {
        self.lang = lang;
        if let Err(e) = slint::select_bundled_translation(lang.code()) {
            tracing::warn!("cannot switch the screens to {}: {e}", lang.code());
        }
        if let Some(w) = self.window() {
            SiteTexts::new(&self.config, self.flow.profile(), lang)
                .apply(&w.global::<KioskAdapter>());
        }
        self.show_guidance();
        self.show_photo_checks();
        self.dispatch(Event::Touch);
    }

    /// What the flow reported, on the screens.
    fn paint_notes(&mut self) {
        for note in self.flow.take_notes() {
            match note {
                Note::PhotoHeld(id) => {
                    if let (Some(w), Some(p)) = (self.window(), self.flow.pending()) {
                        w.global::<KioskAdapter>()
                            .set_photo(preview::to_slint_image(&p.photo.image));
                    }
                    if self.automation {
                        let failing: Vec<&str> = self
                            .flow
                            .pending()
                            .and_then(|p| p.checks.as_ref())
                            .into_iter()
                            .flatten()
                            .filter(|r| !r.pass)
                            .map(|r| r.id.as_str())
                            .collect();
                        automation::announce(&format!("photo {id} failing={}", failing.join(",")));
                    }
                    self.show_photo_checks();
                }
                Note::PhotoDropped => {
                    if let Some(w) = self.window() {
                        w.global::<KioskAdapter>()
                            .set_photo(slint::Image::default());
                    }
                    self.show_photo_checks();
                }
                Note::Guidance => self.show_guidance(),
                Note::CaptureStarted => self.announced_instruction = None,
                Note::Stored { id, .. } => {
                    if self.automation {
                        automation::announce(&format!("stored {id}"));
                    }
                }
                Note::StaffChanged => self.refresh_dashboard(),
                Note::AnalysisUnavailable(_) => {}
            }
        }
    }

    /// The guidance on the capture screen, in the current language.
    fn show_guidance(&mut self) {
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let lang = self.lang;
        let guidance = self.flow.guidance();
        let instruction = guidance.and_then(|g| g.instruction.as_ref());
        let lights: Vec<ui::CheckLight> = CheckId::in_context(CheckContext::Live)
            .map(|id| {
                let pass = guidance.is_some_and(|g| g.checks.iter().any(|c| c.0 == id && c.1));
                ui::CheckLight {
                    id: id.as_str().into(),
                    label: id.title().get(lang).into(),
                    pass,
                    current: instruction.is_some_and(|i| i.0 == id),
                    advisory: self.flow.profile().severity(id.as_str()) == Severity::Advisory,
                }
            })
            .collect();
        a.set_check_lights(Rc::new(slint::VecModel::from(lights)).into());
        let (state, text) = match (guidance, instruction) {
            (None, _) => (ui::GuideState::Waiting, ""),
            (Some(_), Some((_, message))) => (ui::GuideState::Fix, message.get(lang)),
            // Ready; an advisory check's advice, if one fails, goes with "hold still".
            (Some(g), None) => (
                ui::GuideState::Ready,
                g.advice.as_ref().map_or("", |(_, m)| m.get(lang)),
            ),
        };
        a.set_guide_state(state);
        a.set_instruction(text.into());
        let announce = match (guidance, instruction) {
            (None, _) => None,
            (Some(_), Some((id, _))) => Some(id.as_str()),
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
        let checks = self.flow.pending().and_then(|p| p.checks.as_ref());
        a.set_photo_checked(checks.is_some());
        a.set_photo_check_count(checks.map_or(0, |c| c.len() as i32));
        let lines = |keep: fn(&CheckResult) -> bool| -> slint::ModelRc<slint::SharedString> {
            let lines: Vec<slint::SharedString> = checks
                .into_iter()
                .flatten()
                .filter(|r| keep(r))
                .map(|r| {
                    let title = r.id.title().get(self.lang);
                    let message = r.message.get(self.lang);
                    match self.lang {
                        Lang::Zh => format!("{title}：{message}"),
                        Lang::En => format!("{title}: {message}"),
                    }
                    .into()
                })
                .collect();
            Rc::new(slint::VecModel::from(lines)).into()
        };
        a.set_photo_failures(lines(CheckResult::blocks));
        a.set_photo_advice(lines(CheckResult::warns));
        // The notices' rules no check of this photo judged: the candidate looks at those.
        let unchecked = capture_core::compliance::rules::unchecked(
            checks.into_iter().flatten().map(|r| r.id.as_str()),
        );
        let separator = if self.lang == Lang::Zh { "；" } else { "; " };
        a.set_photo_unchecked(
            unchecked
                .iter()
                .map(|r| r.title.get(self.lang))
                .collect::<Vec<_>>()
                .join(separator)
                .into(),
        );
    }

    fn tick(&mut self) {
        let streaming = self.flow.camera().status().state == CameraState::Streaming;
        let age = self.flow.camera().latest().map(|f| f.captured_at.elapsed());
        if systemd::camera_healthy(streaming, age, HUNG_CAMERA) {
            self.systemd.alive();
        }
        self.with_flow(Flow::tick);
        if matches!(self.flow.state(), State::StaffDashboard) {
            self.refresh_dashboard();
        }
        if matches!(self.flow.state(), State::Capture { .. }) {
            self.update_framing(false);
        }
    }

    fn render(&mut self) {
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let view = View::of(
            self.flow.session(),
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
        let size = self.flow.camera().latest().map(|f| f.image.dimensions());
        if !entering && (size.is_none() || size == self.framed_for) {
            return;
        }
        self.framed_for = size;
        let Some(w) = self.window() else { return };
        let a = w.global::<KioskAdapter>();
        let (w, h) = size.unwrap_or((16, 9));
        let f = Framing::for_camera(self.flow.profile(), w, h);
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

    /// The dashboard's backdrop tile: the calibration under way or just done, else the one
    /// stored (or the profile's colour when staff never calibrated).
    fn backdrop_tile(&self) -> BackdropTile {
        let lang = self.lang;
        let t = |zh: &str, en: &str| match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        };
        let measured = |b: &Backdrop| {
            let [l, a, bb] = b.colour;
            match lang {
                Lang::Zh => format!("L* {l:.0} a* {a:.0} b* {bb:.0}，均匀度 ΔE {:.1}", b.spread),
                Lang::En => format!(
                    "L* {l:.0} a* {a:.0} b* {bb:.0}, evenness ΔE {:.1}",
                    b.spread
                ),
            }
        };
        let tile = |value: String, note: String, alert: bool, busy: bool| BackdropTile {
            value,
            note,
            alert,
            busy,
        };
        match self.flow.calibration() {
            Some(Calibration::Waiting { at }) => {
                let secs = at
                    .saturating_duration_since(Instant::now())
                    .as_secs_f32()
                    .ceil();
                tile(
                    t("请离开镜头", "Step out of the picture"),
                    match lang {
                        Lang::Zh => format!("{secs:.0} 秒后测量背景：镜头前不能有人"),
                        Lang::En => format!(
                            "Measuring the backdrop in {secs:.0} s: nobody may be in front of the camera"
                        ),
                    },
                    false,
                    true,
                )
            }
            Some(Calibration::Measuring { .. }) => tile(
                t("正在测量背景", "Measuring the backdrop"),
                String::new(),
                false,
                true,
            ),
            Some(Calibration::Done(b)) => tile(
                t("已校准", "Calibrated"),
                t("刚才校准：", "Just now: ") + &measured(b),
                false,
                false,
            ),
            Some(Calibration::Refused(why)) => tile(
                t("未校准", "Not calibrated"),
                why.get(lang).to_owned(),
                true,
                false,
            ),
            None => match self.flow.store().backdrop() {
                Ok(Some(b)) => {
                    let at = self
                        .flow
                        .store()
                        .backdrop_calibrated_at()
                        .ok()
                        .flatten()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default();
                    tile(
                        t("已校准", "Calibrated"),
                        format!("{at} · {}", measured(&b)),
                        false,
                        false,
                    )
                }
                Ok(None) => tile(
                    t("规格背景色", "The profile's colour"),
                    t(
                        "使用本站自己的背景布或白墙：镜头前无人时点“校准背景”",
                        "For this site's own cloth or a white wall: calibrate with nobody in front of the camera",
                    ),
                    false,
                    false,
                ),
                Err(e) => tile(t("无法读取", "Cannot be read"), e.to_string(), true, false),
            },
        }
    }

    fn refresh_dashboard(&self) {
        let Some(w) = self.window() else { return };
        let store = self.flow.store();
        let stats = store.stats(Local::now().date_naive()).unwrap_or_default();
        let status = self.flow.camera().status();
        let free = capture_durable::free_space(store.data_dir()).ok();
        let outbox = store.outbox_counts().unwrap_or_default();
        let sync = self.flow.sync_status();
        let backdrop = self.backdrop_tile();
        w.global::<KioskAdapter>().set_dashboard(ui::Dashboard {
            backdrop_value: backdrop.value.into(),
            backdrop_note: backdrop.note.into(),
            backdrop_alert: backdrop.alert,
            calibrating: backdrop.busy,
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
                .map(|why| match why.for_staff() {
                    Some(text) => text.get(self.lang).to_owned(),
                    None => why.to_string(),
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
            free_disk: free
                .map(capture_durable::human_bytes)
                .unwrap_or_else(|| "?".into())
                .into(),
            disk_low: free.is_some_and(|f| f < crate::store::LOW_DISK_BYTES),
            kiosk_id: self.config.kiosk.id.as_str().into(),
            data_dir: store.data_dir().display().to_string().into(),
            version: env!("CARGO_PKG_VERSION").into(),
        });
    }
}
