//! `capture-kiosk capture`: the candidate flow with no window, for soak tests and staff
//! diagnostics. The same session state machine, camera feed, analysis thread, photo and
//! store as the screen: identify against the roster, confirm, let the checks pass and
//! auto-capture take the photo, accept it when its own check passes (a retake when not),
//! store it. Personal data stays out of the output except the capture id.

use super::analysis::{self, Analysis};
use crate::camera::feed::{CameraFeed, CameraState};
use crate::camera::{self, CameraSettings, CameraSpec};
use crate::config::Config;
use crate::identity::AdmissionNumber;
use crate::profile::Profile;
use crate::protocol::CheckRecord;
use crate::session::{Effect, Event, IdentifyOutcome, Session, SessionConfig, State};
use crate::store::{NewCapture, Store};
use chrono::Local;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct HeadlessOptions {
    pub config: Config,
    pub data_dir: std::path::PathBuf,
    pub camera: CameraSpec,
    pub admission_no: String,
    /// As the candidate would type it; None: the roster's name (staff diagnostics).
    pub name: Option<String>,
    /// Needed when the candidate is on the roster at several levels.
    pub level: Option<String>,
    /// The mobile number for the review notice; None: the roster's.
    pub mobile: Option<String>,
    /// Give up after this long without a stored capture.
    pub timeout: Duration,
}

/// Why no capture was stored (the message is for staff; it holds no personal data).
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("{0}")]
    Setup(#[from] anyhow::Error),
    #[error("the admission number is not valid: {0}")]
    BadNumber(String),
    #[error("no roster entry for this admission number{0} (cannot collect here)")]
    NotOnRoster(&'static str),
    #[error("the candidate is on the roster at several levels ({0}); choose one with --level")]
    ChooseLevel(String),
    #[error("this candidate may not capture now: {0}")]
    MayNotCapture(String),
    #[error("the roster has no mobile number for this candidate; give one with --mobile")]
    NeedsMobile,
    #[error("outside the collection window of the campaign")]
    OutsideWindow,
    #[error("no photo stored within {secs} s; {last}")]
    TimedOut { secs: u64, last: String },
    #[error("the photo failed its checks at every try ({0}); nothing stored")]
    PhotoFailed(String),
    #[error("the photo could not be stored: {0}")]
    NotStored(String),
    #[error("the session ended before a photo was stored (idle time-out: kiosk.idle_timeout_secs)")]
    SessionEnded,
}

pub fn capture(opts: HeadlessOptions) -> Result<Uuid, HeadlessError> {
    let config = &opts.config;
    let mut store = Store::open_exclusive(&opts.data_dir).map_err(anyhow::Error::from)?;
    let profile = Profile::builtin(&config.campaign.photo_profile)
        .ok_or_else(|| anyhow::anyhow!("config names an unknown photo profile"))?;
    let len = config.identity.admission_number_length;
    let no = AdmissionNumber::parse(&opts.admission_no, len)
        .map_err(|e| HeadlessError::BadNumber(e.to_string()))?;
    let entries = store.find_roster(&no).map_err(anyhow::Error::from)?;
    let Some(first) = entries.first() else {
        return Err(HeadlessError::NotOnRoster(""));
    };
    let name = opts.name.clone().unwrap_or_else(|| first.name.clone());
    let outcome = super::identify(&store, len, &opts.admission_no, &name);
    let mut candidates = match outcome {
        IdentifyOutcome::Matched(c) => c,
        _ => return Err(HeadlessError::NotOnRoster(" and name")),
    };
    if candidates.len() > 1 {
        let Some(level) = &opts.level else {
            let levels: Vec<_> = candidates
                .iter()
                .map(|c| c.entry.education_level.clone())
                .collect();
            return Err(HeadlessError::ChooseLevel(levels.join(", ")));
        };
        candidates.retain(|c| &c.entry.education_level == level);
        if candidates.is_empty() {
            return Err(HeadlessError::NotOnRoster(" at that --level"));
        }
    }

    let mut session = Session::new(SessionConfig::from_config(config), Instant::now());
    let step = |session: &mut Session, event: Event| session.handle(event, Instant::now());
    step(
        &mut session,
        Event::Start {
            wall: Local::now().naive_local(),
        },
    );
    if matches!(session.state(), State::OutsideWindow) {
        return Err(HeadlessError::OutsideWindow);
    }
    step(
        &mut session,
        Event::Identified(IdentifyOutcome::Matched(candidates)),
    );
    match session.state() {
        State::Contact { .. } => {}
        State::CandidateStatus { levels, .. } => {
            let why: Vec<String> = levels.iter().map(|(l, s)| format!("{l}: {s:?}")).collect();
            return Err(HeadlessError::MayNotCapture(why.join(", ")));
        }
        other => return Err(anyhow::anyhow!("unexpected state {other:?}").into()),
    }
    step(
        &mut session,
        Event::ContactSubmitted {
            mobile: opts.mobile.clone().map(Into::into),
            consent: true,
        },
    );
    if !matches!(session.state(), State::Confirm { .. }) {
        return Err(HeadlessError::NeedsMobile);
    }
    step(&mut session, Event::Confirmed);

    // The camera and the analysis, as the screen starts them.
    let (wake_tx, wake) = mpsc::channel::<()>();
    let analysis = Analysis::spawn(
        profile.clone(),
        Duration::from_millis(config.campaign.auto_capture_stable_ms),
        move || {
            let _ = wake_tx.send(());
        },
    );
    let offer = analysis.frame_offer();
    let spec = opts.camera.clone();
    let settings = CameraSettings {
        min_width: config.camera.min_width,
        min_height: config.camera.min_height,
    };
    let feed = CameraFeed::start(
        move || camera::open(&spec, settings),
        Duration::from_millis(config.camera.reconnect_interval_ms),
        move |frame| offer.offer(frame),
        |_| {},
    );
    let mut run = Run {
        session,
        analysis: &analysis,
        generation: 0,
        bursts: 0,
        pending: None,
        last: "the camera gave no frame".into(),
        failures: Vec::new(),
    };
    run.start_capture();
    let deadline = Instant::now() + opts.timeout;
    let result = loop {
        if Instant::now() >= deadline {
            break Err(HeadlessError::TimedOut {
                secs: opts.timeout.as_secs(),
                last: run.last.clone(),
            });
        }
        if let CameraState::Failed { reason } = feed.status().state {
            break Err(anyhow::anyhow!("the camera failed: {reason}").into());
        }
        let _ = wake.recv_timeout(Duration::from_millis(100));
        match run.step(&mut store, &profile.id) {
            Some(done) => break done,
            None => continue,
        }
    };
    feed.stop(Duration::from_secs(2));
    analysis.stop();
    result
}

struct Held {
    id: Uuid,
    taken_at: chrono::DateTime<Local>,
    jpeg: Vec<u8>,
    checks: Vec<CheckRecord>,
}

struct Run<'a> {
    session: Session,
    analysis: &'a Analysis,
    generation: u64,
    bursts: u64,
    /// The photo held for review.
    pending: Option<Held>,
    /// What the candidate would be told now.
    last: String,
    /// Checks that failed on photos not accepted.
    failures: Vec<String>,
}

impl Run<'_> {
    fn start_capture(&mut self) {
        self.generation += 1;
        self.analysis.start(self.generation);
    }

    /// Handles the queued reports and the clock; Some when the run is over.
    fn step(&mut self, store: &mut Store, profile: &str) -> Option<Result<Uuid, HeadlessError>> {
        let mut events = vec![Event::Tick];
        for report in self.analysis.reports() {
            match report {
                analysis::Report::Unavailable(why) => {
                    return Some(Err(anyhow::anyhow!("no face analysis: {why}").into()));
                }
                analysis::Report::Frame {
                    generation,
                    guidance,
                    face,
                    steady,
                } if generation == self.generation => {
                    self.last = match guidance.instruction {
                        Some((id, _, en)) => format!("the last instruction was {id}: {en}"),
                        None if guidance.all_pass => "every check was passing".into(),
                        None => "no instruction".into(),
                    };
                    events.push(Event::Analysed {
                        face,
                        passing: guidance.all_pass,
                        steady,
                    });
                }
                analysis::Report::Frame { .. } => {}
                analysis::Report::Captured { burst, result } if burst == self.bursts => {
                    events.push(match result {
                        Ok(c) => {
                            let id = Uuid::new_v4();
                            let checks: Vec<CheckRecord> =
                                c.inspection.results.iter().map(CheckRecord::from).collect();
                            self.pending = Some(Held {
                                id,
                                taken_at: Local::now(),
                                jpeg: c.photo.jpeg,
                                checks,
                            });
                            Event::PhotoTaken { capture_id: id }
                        }
                        Err(_) => Event::PhotoFailed,
                    });
                }
                analysis::Report::Captured { .. } => {}
            }
        }
        let mut queue: std::collections::VecDeque<Event> = events.into();
        while let Some(event) = queue.pop_front() {
            let photo_taken = matches!(event, Event::PhotoTaken { .. });
            for effect in self.session.handle(event, Instant::now()) {
                match effect {
                    Effect::TakePhoto => {
                        self.bursts += 1;
                        self.analysis.take_photo(self.bursts);
                    }
                    Effect::SaveCapture { capture_id } => {
                        queue.push_back(Event::Saved(self.save(store, profile, capture_id)));
                    }
                    Effect::DiscardPhoto { .. } => self.pending = None,
                }
            }
            match self.session.state() {
                State::Review { problem: None, .. } if photo_taken => {
                    let failing: Vec<String> = self
                        .pending
                        .iter()
                        .flat_map(|p| &p.checks)
                        .filter(|c| !c.pass)
                        .map(|c| c.id.clone())
                        .collect();
                    if failing.is_empty() {
                        queue.push_back(Event::Accept);
                    } else if self.session.retakes_left() > Some(0) {
                        self.failures.extend(failing);
                        queue.push_back(Event::Retake);
                        self.start_capture();
                    } else {
                        self.failures.extend(failing);
                        self.failures.dedup();
                        return Some(Err(HeadlessError::PhotoFailed(self.failures.join(", "))));
                    }
                }
                State::Review {
                    problem: Some(p), ..
                } => {
                    return Some(Err(HeadlessError::NotStored(format!("{p:?}"))));
                }
                State::Done { capture_id, .. } => return Some(Ok(*capture_id)),
                State::Capture { .. } => {}
                State::Welcome => return Some(Err(HeadlessError::SessionEnded)),
                _ => {}
            }
        }
        None
    }

    fn save(
        &mut self,
        store: &mut Store,
        profile: &str,
        capture_id: Uuid,
    ) -> Result<(), crate::session::SaveProblem> {
        let State::Review { sitting, .. } = self.session.state() else {
            return Err(crate::session::SaveProblem::Failed);
        };
        let Some(held) = self.pending.as_ref().filter(|p| p.id == capture_id) else {
            return Err(crate::session::SaveProblem::Failed);
        };
        let capture = NewCapture {
            id: capture_id,
            entry: &sitting.candidate.entry,
            mobile: &sitting.mobile,
            profile,
            taken_at: held.taken_at,
            retakes: sitting.retakes_used,
            jpeg: &held.jpeg,
            checks: &held.checks,
        };
        match store.accept_capture(&capture) {
            Ok(_) => {
                tracing::info!("capture {capture_id} accepted and stored");
                Ok(())
            }
            Err(e) => {
                tracing::error!("capture {capture_id} NOT stored: {e}");
                Err(if e.is_disk_full() {
                    crate::session::SaveProblem::DiskFull
                } else {
                    crate::session::SaveProblem::Failed
                })
            }
        }
    }
}
