//! `capture-kiosk capture`: the candidate flow with no window, for soak tests and staff
//! diagnostics. The same [`Flow`] as the screen (session, camera feed, analysis thread,
//! photo, store); this module only plays the candidate: it identifies against the roster,
//! confirms, lets the checks pass and auto-capture take the photo, accepts it when its own
//! check passes (a retake when not). Personal data stays out of the output except the
//! capture id. It does not sync: the running kiosk or `sync --once` sends the capture.

use crate::camera::CameraSpec;
use crate::camera::feed::CameraState;
use crate::config::Config;
use crate::flow::analysis::Analysis;
use crate::flow::{Flow, Parts, start_camera};
use crate::store::Store;
use capture_core::identity::AdmissionNumber;
use capture_core::session::{Event, State};
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
    #[error("no face analysis: {0}")]
    NoAnalysis(String),
}

pub fn capture(opts: HeadlessOptions) -> Result<Uuid, HeadlessError> {
    let config = &opts.config;
    let store = Store::open_exclusive(&opts.data_dir).map_err(anyhow::Error::from)?;
    let len = config.identity.admission_number_length;
    let no = AdmissionNumber::parse(&opts.admission_no, len)
        .map_err(|e| HeadlessError::BadNumber(e.to_string()))?;
    let entries = store.find_roster(&no).map_err(anyhow::Error::from)?;
    let Some(first) = entries.first() else {
        return Err(HeadlessError::NotOnRoster(""));
    };
    let name = opts.name.clone().unwrap_or_else(|| first.name.clone());

    // The camera and the analysis, as the screen starts them.
    let (wake_tx, wake) = mpsc::channel::<()>();
    let analysis = Analysis::spawn(
        config.profile(),
        store.backdrop().unwrap_or_else(|e| {
            tracing::warn!(
                "the calibrated backdrop could not be read ({e}): the profile's colour is used"
            );
            None
        }),
        Duration::from_millis(config.campaign.auto_capture_stable_ms),
        move || {
            let _ = wake_tx.send(());
        },
    );
    let feed = start_camera(
        config,
        opts.camera.clone(),
        analysis.frame_offer(),
        |_| {},
        |_| {},
    );
    let mut flow = Flow::new(
        Parts {
            config: config.clone(),
            store,
            analysis,
            feed,
            sync: None,
        },
        Instant::now(),
    );
    let result = play_candidate(&mut flow, &opts, &name, &wake);
    flow.stop();
    result
}

/// Walks the candidate from Welcome to a stored capture.
fn play_candidate(
    flow: &mut Flow,
    opts: &HeadlessOptions,
    name: &str,
    wake: &mpsc::Receiver<()>,
) -> Result<Uuid, HeadlessError> {
    flow.dispatch(Event::Start {
        wall: Local::now().naive_local(),
    });
    if matches!(flow.state(), State::OutsideWindow) {
        return Err(HeadlessError::OutsideWindow);
    }
    flow.identify(&opts.admission_no, name);
    if let State::ChooseLevel { options } = flow.state() {
        let levels: Vec<&str> = options
            .iter()
            .map(|c| c.entry.education_level.as_str())
            .collect();
        let Some(level) = &opts.level else {
            return Err(HeadlessError::ChooseLevel(levels.join(", ")));
        };
        let Some(i) = levels.iter().position(|l| l == level) else {
            return Err(HeadlessError::NotOnRoster(" at that --level"));
        };
        flow.dispatch(Event::LevelChosen(i));
    }
    match flow.state() {
        State::Contact { .. } => {}
        State::CandidateStatus { levels, .. } => {
            let why: Vec<String> = levels.iter().map(|(l, s)| format!("{l}: {s:?}")).collect();
            return Err(HeadlessError::MayNotCapture(why.join(", ")));
        }
        State::NoMatch => return Err(HeadlessError::NotOnRoster(" and name")),
        other => return Err(anyhow::anyhow!("unexpected state {other:?}").into()),
    }
    flow.dispatch(Event::ContactSubmitted {
        mobile: opts.mobile.clone().map(Into::into),
        consent: true,
    });
    if !matches!(flow.state(), State::Confirm { .. }) {
        return Err(HeadlessError::NeedsMobile);
    }
    flow.dispatch(Event::Confirmed);
    flow.dispatch(Event::Understood);

    let deadline = Instant::now() + opts.timeout;
    // Checks that failed on photos not accepted.
    let mut failures: Vec<String> = Vec::new();
    loop {
        if Instant::now() >= deadline {
            return Err(HeadlessError::TimedOut {
                secs: opts.timeout.as_secs(),
                last: last_instruction(flow),
            });
        }
        if let CameraState::Failed { reason } = flow.camera().status().state {
            return Err(anyhow::anyhow!("the camera failed: {reason}").into());
        }
        let _ = wake.recv_timeout(Duration::from_millis(100));
        flow.take_analysis_reports();
        flow.tick();
        for note in flow.take_notes() {
            if let crate::flow::Note::AnalysisUnavailable(why) = note {
                return Err(HeadlessError::NoAnalysis(why));
            }
        }
        match flow.state() {
            State::Review {
                saving: false,
                problem: None,
                ..
            } => {
                let failing: Vec<String> = flow
                    .pending()
                    .and_then(|p| p.checks.as_ref())
                    .into_iter()
                    .flatten()
                    .filter(|c| c.blocks())
                    .map(|c| c.id.to_string())
                    .collect();
                if failing.is_empty() {
                    flow.dispatch(Event::Accept);
                } else if flow.session().retakes_left() > Some(0) {
                    failures.extend(failing);
                    flow.dispatch(Event::Retake);
                } else {
                    failures.extend(failing);
                    failures.sort();
                    failures.dedup();
                    return Err(HeadlessError::PhotoFailed(failures.join(", ")));
                }
            }
            State::Review {
                problem: Some(p), ..
            } => return Err(HeadlessError::NotStored(format!("{p:?}"))),
            // Only staff at the screen can accept a photo that fails a required check.
            State::OverridePin { .. } => {
                return Err(HeadlessError::PhotoFailed(
                    "the photo was not checked".into(),
                ));
            }
            _ => {}
        }
        match flow.state() {
            State::Done { capture_id, .. } => return Ok(*capture_id),
            State::Welcome => return Err(HeadlessError::SessionEnded),
            _ => {}
        }
    }
}

/// What the candidate would be told now (for a time-out's message).
fn last_instruction(flow: &Flow) -> String {
    match flow.guidance() {
        Some(g) => match &g.instruction {
            Some((id, message)) => format!("the last instruction was {id}: {}", message.en),
            None if g.all_pass => "every check was passing".into(),
            None => "no instruction".into(),
        },
        None => "the camera gave no frame".into(),
    }
}
