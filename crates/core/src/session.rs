//! The candidate flow as a pure state machine: events in (a touch, a look-up result, a
//! clock tick), a new state and effects out (take a photo, save it). No IO, no threads,
//! no clock of its own — the kiosk app feeds it `now` and carries out the effects.
//!
//! Welcome → Identify → (ChooseLevel) → Contact → Confirm → Reminder → Capture → Review →
//! Done (a blocked photo: Review → OverridePin → OverrideReason → saved), with
//! NoMatch, OutsideWindow, CandidateStatus, StatusLookup and the staff screens beside.
//! Returning to Welcome drops the state, and with it every personal detail.

use crate::candidate::{Candidate, CandidateStatus};
use crate::identity::{MobileNumber, Private};
pub use capture_protocol::OverrideReason;
use chrono::NaiveDateTime;
use std::fmt;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub idle_timeout: Duration,
    pub done_return: Duration,
    pub max_retakes: u32,
    pub countdown: Duration,
    /// Start the countdown by itself once every check has passed for the stable period.
    pub auto_capture: bool,
    pub staff_pin: StaffPin,
    pub max_pin_attempts: u32,
    /// The first lock-out; each further one in a row lasts twice as long, up to
    /// [`MAX_PIN_LOCKOUT`].
    pub pin_lockout: Duration,
}

/// The longest a wrong PIN locks the staff screens for.
pub const MAX_PIN_LOCKOUT: Duration = Duration::from_secs(3600);

/// The PIN that opens the staff screens.
#[derive(Clone)]
pub enum StaffPin {
    /// As it is in the config's `[staff] pin` (the demo site, a site that set none).
    Plain(String),
    /// An argon2id PHC string (`capture-kiosk staff set-pin`).
    Hashed(String),
}

impl StaffPin {
    /// The argon2id PHC string of `pin` (RustCrypto's defaults), salted with 16 random bytes.
    pub fn hash(pin: &str) -> String {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(Uuid::new_v4().as_bytes()).expect("16 bytes make a salt");
        argon2::Argon2::default()
            .hash_password(pin.as_bytes(), &salt)
            .expect("argon2id hashes any PIN")
            .to_string()
    }

    pub fn matches(&self, pin: &str) -> bool {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        match self {
            StaffPin::Plain(p) => constant_time_eq(pin.as_bytes(), p.as_bytes()),
            StaffPin::Hashed(phc) => PasswordHash::new(phc).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(pin.as_bytes(), &h)
                    .is_ok()
            }),
        }
    }
}

impl fmt::Debug for StaffPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the PIN, nor its hash.
        f.write_str(match self {
            StaffPin::Plain(_) => "StaffPin::Plain(…)",
            StaffPin::Hashed(_) => "StaffPin::Hashed(…)",
        })
    }
}

/// The wrong-PIN count and lock-out, as the kiosk keeps them across restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinRecord {
    /// Wrong PINs since the last right one or lock-out.
    pub failures: u32,
    /// Lock-outs in a row (the next lasts `pin_lockout × 2^lockouts`).
    pub lockouts: u32,
    /// How long the current lock-out still lasts.
    pub locked_for: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyProblem {
    AdmissionNumberInvalid,
    NameEmpty,
}

/// What looking up the typed admission number and name found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifyOutcome {
    Invalid(IdentifyProblem),
    /// Not on the roster, or the name does not match (never told apart on screen).
    NoMatch,
    /// One candidate per education level; never empty.
    Matched(Vec<Candidate>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactProblem {
    MobileInvalid,
    ConsentMissing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupProblem {
    AdmissionNumberInvalid,
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOutcome {
    Invalid,
    NotFound,
    /// The roster name and the status at each education level.
    Found {
        name: Private<String>,
        levels: Vec<(String, CandidateStatus)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureProblem {
    /// No frame to take (camera disconnected): the candidate may press again.
    CameraUnavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveProblem {
    DiskFull,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewProblem {
    SaveFailed(SaveProblem),
    RetakeLimitReached,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProblem {
    Wrong { attempts_left: u32 },
    Locked { seconds_left: u64 },
}

/// Why the staff's acceptance of a failing photo cannot be taken yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideProblem {
    /// "Other" needs the staff's own words.
    NoteMissing,
    /// The note is longer than the protocol carries.
    NoteTooLong,
}

/// Staff accepted a photo that fails a required check: why, in their words where needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAcceptance {
    pub reason: OverrideReason,
    /// Trimmed; `None` when empty.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOrigin {
    /// Identified to capture, but not allowed to (approved / under review).
    Identify,
    StatusLookup,
}

/// The candidate whose photo is being taken, and what they have used so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitting {
    pub candidate: Candidate,
    pub mobile: MobileNumber,
    pub retakes_used: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Welcome,
    OutsideWindow,
    Identify {
        problem: Option<IdentifyProblem>,
    },
    NoMatch,
    ChooseLevel {
        options: Vec<Candidate>,
    },
    Contact {
        candidate: Candidate,
        problem: Option<ContactProblem>,
    },
    Confirm {
        candidate: Candidate,
        mobile: MobileNumber,
    },
    /// The notices' dress and appearance rules, once, before the camera (提醒页面).
    Reminder {
        candidate: Candidate,
        mobile: MobileNumber,
    },
    CandidateStatus {
        name: Private<String>,
        levels: Vec<(String, CandidateStatus)>,
        origin: StatusOrigin,
    },
    StatusLookup {
        problem: Option<LookupProblem>,
    },
    Capture {
        sitting: Sitting,
        countdown: Option<Countdown>,
        taking: bool,
        problem: Option<CaptureProblem>,
    },
    Review {
        sitting: Sitting,
        capture_id: Uuid,
        saving: bool,
        problem: Option<ReviewProblem>,
        /// The photo fails a required check (or could not be checked): only staff can
        /// accept it.
        blocked: bool,
        /// Staff accepted it (PIN, then a reason); kept if saving must be tried again.
        staff: Option<StaffAcceptance>,
    },
    /// Staff are asked for the PIN to accept a blocked photo.
    OverridePin {
        sitting: Sitting,
        capture_id: Uuid,
        problem: Option<PinProblem>,
    },
    /// Staff choose why they accept a blocked photo.
    OverrideReason {
        sitting: Sitting,
        capture_id: Uuid,
        problem: Option<OverrideProblem>,
    },
    Done {
        sitting: Sitting,
        capture_id: Uuid,
        since: Instant,
    },
    StaffPin {
        problem: Option<PinProblem>,
    },
    StaffDashboard,
}

/// The capture countdown: when it ends, and whether auto-capture started it (then a
/// check that stops passing cancels it; a countdown staff started runs to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    pub until: Instant,
    pub auto: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Any touch or key that is not an action below: keeps the session alive.
    Touch,
    Start {
        wall: NaiveDateTime,
    },
    Identified(IdentifyOutcome),
    LevelChosen(usize),
    /// `mobile: None` means "use the number on the roster".
    ContactSubmitted {
        mobile: Option<Private<String>>,
        consent: bool,
    },
    Confirmed,
    NotMe,
    /// "我知道了" on the reminder page.
    Understood,
    CaptureRequested,
    /// The analysis of the latest camera frame: whether a face is there, whether every
    /// check passes (as shown), and whether they have passed for the stable period.
    Analysed {
        face: bool,
        passing: bool,
        steady: bool,
    },
    PhotoTaken {
        capture_id: Uuid,
        /// A required check fails (or the photo could not be checked).
        blocked: bool,
    },
    PhotoFailed,
    Accept,
    /// Staff's reason for accepting a blocked photo (`note` may be empty but for `Other`).
    OverrideChosen {
        reason: OverrideReason,
        note: String,
    },
    Retake,
    Saved(Result<(), SaveProblem>),
    OpenStatusLookup,
    StatusLookedUp(LookupOutcome),
    OpenStaff,
    PinEntered(Private<String>),
    Back,
    Home,
    Tick,
}

/// What the app must do for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Take the latest camera frame, make the photo, answer `PhotoTaken` or `PhotoFailed`.
    TakePhoto,
    /// Store the photo taken as `capture_id` for this sitting (with the staff's acceptance
    /// when a required check fails); answer `Saved`.
    SaveCapture {
        capture_id: Uuid,
        staff: Option<StaffAcceptance>,
    },
    /// The photo taken as `capture_id` will not be kept.
    DiscardPhoto { capture_id: Uuid },
}

pub struct Session {
    config: SessionConfig,
    state: State,
    last_activity: Instant,
    pin_failures: u32,
    pin_lockouts: u32,
    pin_locked_until: Option<Instant>,
}

impl Session {
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        Self {
            config,
            state: State::Welcome,
            last_activity: now,
            pin_failures: 0,
            pin_lockouts: 0,
            pin_locked_until: None,
        }
    }

    /// The wrong-PIN count and lock-out now, for keeping across a restart.
    pub fn pin_record(&self, now: Instant) -> PinRecord {
        PinRecord {
            failures: self.pin_failures,
            lockouts: self.pin_lockouts,
            locked_for: self
                .pin_locked_until
                .filter(|until| *until > now)
                .map(|until| until - now),
        }
    }

    /// Takes up the wrong-PIN count and lock-out kept before a restart.
    pub fn restore_pin_record(&mut self, record: PinRecord, now: Instant) {
        self.pin_failures = record.failures;
        self.pin_lockouts = record.lockouts;
        self.pin_locked_until = record.locked_for.map(|d| now + d.min(MAX_PIN_LOCKOUT));
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Seconds left on the capture countdown, if one is running.
    pub fn countdown_seconds(&self, now: Instant) -> Option<u64> {
        match &self.state {
            State::Capture {
                countdown: Some(Countdown { until, .. }),
                ..
            } => Some(until.saturating_duration_since(now).as_secs_f32().ceil() as u64),
            _ => None,
        }
    }

    /// Retakes still allowed in the current sitting.
    pub fn retakes_left(&self) -> Option<u32> {
        match &self.state {
            State::Capture { sitting, .. }
            | State::Review { sitting, .. }
            | State::OverridePin { sitting, .. }
            | State::OverrideReason { sitting, .. } => {
                Some(self.config.max_retakes.saturating_sub(sitting.retakes_used))
            }
            _ => None,
        }
    }

    /// Seconds until the done screen returns to welcome.
    pub fn done_seconds_left(&self, now: Instant) -> Option<u64> {
        match &self.state {
            State::Done { since, .. } => Some(
                (*since + self.config.done_return)
                    .saturating_duration_since(now)
                    .as_secs_f32()
                    .ceil() as u64,
            ),
            _ => None,
        }
    }

    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        let is_activity = !matches!(
            event,
            Event::Tick
                | Event::PhotoTaken { .. }
                | Event::PhotoFailed
                | Event::Saved(_)
                | Event::Analysed { face: false, .. }
        );
        if is_activity {
            self.last_activity = now;
        }
        let mut effects = Vec::new();
        let state = std::mem::replace(&mut self.state, State::Welcome);
        self.state = self.next(state, event, now, &mut effects);
        effects
    }

    fn to_welcome(state: State, effects: &mut Vec<Effect>) -> State {
        if let State::Review { capture_id, .. }
        | State::OverridePin { capture_id, .. }
        | State::OverrideReason { capture_id, .. } = state
        {
            effects.push(Effect::DiscardPhoto { capture_id });
        }
        State::Welcome
    }

    fn next(
        &mut self,
        state: State,
        event: Event,
        now: Instant,
        effects: &mut Vec<Effect>,
    ) -> State {
        use State as S;
        match (state, event) {
            // Saving is the one moment nothing may interrupt.
            (s @ S::Review { saving: true, .. }, Event::Home | Event::Back | Event::Tick) => s,
            (s, Event::Home) => Self::to_welcome(s, effects),
            (s, Event::Tick) => self.tick(s, now, effects),
            // A photo that arrives after the candidate left is not kept.
            (s, Event::PhotoTaken { capture_id, .. })
                if !matches!(s, S::Capture { taking: true, .. }) =>
            {
                effects.push(Effect::DiscardPhoto { capture_id });
                s
            }

            (S::Welcome, Event::Start { wall }) => {
                if wall < self.config.window_start || wall > self.config.window_end {
                    S::OutsideWindow
                } else {
                    S::Identify { problem: None }
                }
            }
            (S::Welcome, Event::OpenStatusLookup) => S::StatusLookup { problem: None },
            (S::Welcome, Event::OpenStaff) => S::StaffPin { problem: None },

            (S::Identify { .. }, Event::Identified(outcome)) => match outcome {
                IdentifyOutcome::Invalid(problem) => S::Identify {
                    problem: Some(problem),
                },
                IdentifyOutcome::NoMatch => S::NoMatch,
                IdentifyOutcome::Matched(mut options) => match options.len() {
                    0 => S::NoMatch,
                    1 => Self::after_level_chosen(options.remove(0)),
                    _ => S::ChooseLevel { options },
                },
            },
            (S::Identify { .. }, Event::Back) => S::Welcome,
            (S::NoMatch, Event::Back) => S::Identify { problem: None },

            (S::ChooseLevel { mut options }, Event::LevelChosen(i)) if i < options.len() => {
                Self::after_level_chosen(options.swap_remove(i))
            }
            (S::ChooseLevel { .. }, Event::Back) => S::Identify { problem: None },

            (S::Contact { candidate, .. }, Event::ContactSubmitted { mobile, consent }) => {
                let mobile = match mobile {
                    Some(typed) => MobileNumber::parse(&typed).ok(),
                    None => candidate.entry.phone.clone(),
                };
                match (mobile, consent) {
                    (None, _) => S::Contact {
                        candidate,
                        problem: Some(ContactProblem::MobileInvalid),
                    },
                    (Some(_), false) => S::Contact {
                        candidate,
                        problem: Some(ContactProblem::ConsentMissing),
                    },
                    (Some(mobile), true) => S::Confirm { candidate, mobile },
                }
            }
            (S::Contact { .. }, Event::Back) => S::Identify { problem: None },

            (S::Confirm { candidate, mobile }, Event::Confirmed) => {
                S::Reminder { candidate, mobile }
            }
            (S::Reminder { candidate, mobile }, Event::Understood) => S::Capture {
                sitting: Sitting {
                    candidate,
                    mobile,
                    retakes_used: 0,
                },
                countdown: None,
                taking: false,
                problem: None,
            },
            (S::Reminder { candidate, mobile }, Event::Back) => S::Confirm { candidate, mobile },
            (S::Confirm { .. }, Event::NotMe) => S::Identify { problem: None },
            (S::Confirm { candidate, .. }, Event::Back) => S::Contact {
                candidate,
                problem: None,
            },

            (
                S::Capture {
                    sitting,
                    countdown: None,
                    taking: false,
                    ..
                },
                Event::CaptureRequested,
            ) => {
                if self.config.countdown.is_zero() {
                    effects.push(Effect::TakePhoto);
                    S::Capture {
                        sitting,
                        countdown: None,
                        taking: true,
                        problem: None,
                    }
                } else {
                    S::Capture {
                        sitting,
                        countdown: Some(Countdown {
                            until: now + self.config.countdown,
                            auto: false,
                        }),
                        taking: false,
                        problem: None,
                    }
                }
            }
            (
                S::Capture {
                    sitting,
                    taking: true,
                    ..
                },
                Event::PhotoTaken {
                    capture_id,
                    blocked,
                },
            ) => S::Review {
                sitting,
                capture_id,
                saving: false,
                problem: None,
                blocked,
                staff: None,
            },
            (
                S::Capture {
                    sitting,
                    taking: true,
                    ..
                },
                Event::PhotoFailed,
            ) => S::Capture {
                sitting,
                countdown: None,
                taking: false,
                problem: Some(CaptureProblem::CameraUnavailable),
            },
            (
                S::Capture {
                    sitting,
                    countdown: None,
                    taking: false,
                    ..
                },
                Event::Analysed { steady: true, .. },
            ) if self.config.auto_capture => {
                if self.config.countdown.is_zero() {
                    effects.push(Effect::TakePhoto);
                }
                S::Capture {
                    sitting,
                    countdown: (!self.config.countdown.is_zero()).then(|| Countdown {
                        until: now + self.config.countdown,
                        auto: true,
                    }),
                    taking: self.config.countdown.is_zero(),
                    problem: None,
                }
            }
            (
                S::Capture {
                    sitting,
                    countdown: Some(Countdown { auto: true, .. }),
                    taking: false,
                    problem,
                },
                Event::Analysed { passing: false, .. },
            ) => S::Capture {
                sitting,
                countdown: None,
                taking: false,
                problem,
            },
            (S::Capture { .. }, Event::Back) => S::Welcome,

            // A blocked photo is accepted only by staff: the PIN first.
            (
                S::Review {
                    sitting,
                    capture_id,
                    saving: false,
                    blocked: true,
                    staff: None,
                    ..
                },
                Event::Accept,
            ) => S::OverridePin {
                sitting,
                capture_id,
                problem: None,
            },
            (
                S::Review {
                    sitting,
                    capture_id,
                    saving: false,
                    blocked,
                    staff,
                    ..
                },
                Event::Accept,
            ) => {
                effects.push(Effect::SaveCapture {
                    capture_id,
                    staff: staff.clone(),
                });
                S::Review {
                    sitting,
                    capture_id,
                    saving: true,
                    problem: None,
                    blocked,
                    staff,
                }
            }
            (
                S::OverridePin {
                    sitting,
                    capture_id,
                    ..
                },
                Event::PinEntered(pin),
            ) => match self.pin_problem(&pin, now) {
                None => S::OverrideReason {
                    sitting,
                    capture_id,
                    problem: None,
                },
                Some(problem) => S::OverridePin {
                    sitting,
                    capture_id,
                    problem: Some(problem),
                },
            },
            (
                S::OverrideReason {
                    sitting,
                    capture_id,
                    ..
                },
                Event::OverrideChosen { reason, note },
            ) => {
                let note = note.trim();
                let problem = if reason == OverrideReason::Other && note.is_empty() {
                    Some(OverrideProblem::NoteMissing)
                } else if note.chars().count() > capture_protocol::MAX_OVERRIDE_NOTE_CHARS
                    || note.chars().any(char::is_control)
                {
                    Some(OverrideProblem::NoteTooLong)
                } else {
                    None
                };
                if problem.is_some() {
                    return S::OverrideReason {
                        sitting,
                        capture_id,
                        problem,
                    };
                }
                let staff = StaffAcceptance {
                    reason,
                    note: (!note.is_empty()).then(|| note.to_owned()),
                };
                effects.push(Effect::SaveCapture {
                    capture_id,
                    staff: Some(staff.clone()),
                });
                S::Review {
                    sitting,
                    capture_id,
                    saving: true,
                    problem: None,
                    blocked: true,
                    staff: Some(staff),
                }
            }
            (
                S::OverridePin {
                    sitting,
                    capture_id,
                    ..
                }
                | S::OverrideReason {
                    sitting,
                    capture_id,
                    ..
                },
                Event::Back,
            ) => S::Review {
                sitting,
                capture_id,
                saving: false,
                problem: None,
                blocked: true,
                staff: None,
            },
            (
                S::Review {
                    sitting,
                    capture_id,
                    saving: false,
                    blocked,
                    staff,
                    ..
                },
                Event::Retake,
            ) => {
                if sitting.retakes_used < self.config.max_retakes {
                    effects.push(Effect::DiscardPhoto { capture_id });
                    let sitting = Sitting {
                        retakes_used: sitting.retakes_used + 1,
                        ..sitting
                    };
                    S::Capture {
                        sitting,
                        countdown: None,
                        taking: false,
                        problem: None,
                    }
                } else {
                    S::Review {
                        sitting,
                        capture_id,
                        saving: false,
                        problem: Some(ReviewProblem::RetakeLimitReached),
                        blocked,
                        staff,
                    }
                }
            }
            (
                S::Review {
                    sitting,
                    capture_id,
                    saving: true,
                    blocked,
                    staff,
                    ..
                },
                Event::Saved(result),
            ) => match result {
                Ok(()) => S::Done {
                    sitting,
                    capture_id,
                    since: now,
                },
                Err(p) => S::Review {
                    sitting,
                    capture_id,
                    saving: false,
                    problem: Some(ReviewProblem::SaveFailed(p)),
                    blocked,
                    staff,
                },
            },

            (S::Done { .. }, Event::Back) => S::Welcome,

            (S::StatusLookup { .. }, Event::StatusLookedUp(outcome)) => match outcome {
                LookupOutcome::Invalid => S::StatusLookup {
                    problem: Some(LookupProblem::AdmissionNumberInvalid),
                },
                LookupOutcome::NotFound => S::StatusLookup {
                    problem: Some(LookupProblem::NotFound),
                },
                LookupOutcome::Found { name, levels } => S::CandidateStatus {
                    name,
                    levels,
                    origin: StatusOrigin::StatusLookup,
                },
            },
            (
                S::StatusLookup { .. } | S::CandidateStatus { .. } | S::OutsideWindow,
                Event::Back,
            ) => S::Welcome,

            (S::StaffPin { .. }, Event::PinEntered(pin)) => self.check_pin(&pin, now),
            (S::StaffPin { .. } | S::StaffDashboard, Event::Back) => S::Welcome,

            // Anything else (a touch, a double press, a late result) changes nothing.
            (s, _) => s,
        }
    }

    fn after_level_chosen(candidate: Candidate) -> State {
        if candidate.status.may_capture() {
            State::Contact {
                candidate,
                problem: None,
            }
        } else {
            State::CandidateStatus {
                name: candidate.entry.name.clone().into(),
                levels: vec![(candidate.entry.education_level.clone(), candidate.status)],
                origin: StatusOrigin::Identify,
            }
        }
    }

    fn tick(&mut self, state: State, now: Instant, effects: &mut Vec<Effect>) -> State {
        match state {
            State::Welcome => State::Welcome,
            State::Capture {
                sitting,
                countdown: Some(Countdown { until, .. }),
                ..
            } if now >= until => {
                effects.push(Effect::TakePhoto);
                State::Capture {
                    sitting,
                    countdown: None,
                    taking: true,
                    problem: None,
                }
            }
            State::Done { since, .. } if now >= since + self.config.done_return => State::Welcome,
            s if now.saturating_duration_since(self.last_activity) >= self.config.idle_timeout
                && !matches!(s, State::Capture { taking: true, .. }) =>
            {
                Self::to_welcome(s, effects)
            }
            s => s,
        }
    }

    fn check_pin(&mut self, pin: &str, now: Instant) -> State {
        match self.pin_problem(pin, now) {
            None => State::StaffDashboard,
            problem => State::StaffPin { problem },
        }
    }

    /// Whether `pin` is the staff PIN (`None`), or why not. The attempts and the lock-out
    /// are shared by every place that asks for it.
    fn pin_problem(&mut self, pin: &str, now: Instant) -> Option<PinProblem> {
        if let Some(until) = self.pin_locked_until {
            if now < until {
                let seconds_left = until.saturating_duration_since(now).as_secs_f32().ceil() as u64;
                return Some(PinProblem::Locked { seconds_left });
            }
            self.pin_locked_until = None;
        }
        if self.config.staff_pin.matches(pin) {
            self.pin_failures = 0;
            self.pin_lockouts = 0;
            return None;
        }
        self.pin_failures += 1;
        if self.pin_failures >= self.config.max_pin_attempts {
            // Each lock-out in a row twice as long as the one before.
            let lockout = self
                .config
                .pin_lockout
                .saturating_mul(1 << self.pin_lockouts.min(16))
                .min(MAX_PIN_LOCKOUT);
            self.pin_failures = 0;
            self.pin_lockouts += 1;
            self.pin_locked_until = Some(now + lockout);
            let seconds_left = lockout.as_secs();
            return Some(PinProblem::Locked { seconds_left });
        }
        Some(PinProblem::Wrong {
            attempts_left: self.config.max_pin_attempts - self.pin_failures,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::AdmissionNumber;
    use crate::roster::RosterEntry;

    fn config() -> SessionConfig {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        SessionConfig {
            window_start: at("2025-06-12 08:00"),
            window_end: at("2025-06-14 17:00"),
            idle_timeout: Duration::from_secs(90),
            done_return: Duration::from_secs(30),
            max_retakes: 2,
            countdown: Duration::from_secs(3),
            auto_capture: true,
            staff_pin: StaffPin::Plain("2580".into()),
            max_pin_attempts: 3,
            pin_lockout: Duration::from_secs(60),
        }
    }

    fn in_window() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2025-06-13 10:00", "%Y-%m-%d %H:%M").unwrap()
    }

    fn candidate(level: &str, status: CandidateStatus, phone: Option<&str>) -> Candidate {
        Candidate {
            entry: RosterEntry {
                admission_no: AdmissionNumber::parse("011123456789", 12).unwrap(),
                name: "王小明".into(),
                education_level: level.into(),
                phone: phone.map(|p| MobileNumber::parse(p).unwrap()),
            },
            status,
        }
    }

    struct Run {
        session: Session,
        t0: Instant,
        now: Instant,
    }

    impl Run {
        fn new() -> Self {
            let t0 = Instant::now();
            Self {
                session: Session::new(config(), t0),
                t0,
                now: t0,
            }
        }
        fn at(&mut self, secs: u64) -> &mut Self {
            self.now = self.t0 + Duration::from_secs(secs);
            self
        }
        fn send(&mut self, e: Event) -> Vec<Effect> {
            self.session.handle(e, self.now)
        }
        fn state(&self) -> &State {
            self.session.state()
        }
        /// Welcome → Identify → the outcome of a look-up that matched these candidates.
        fn identified(&mut self, candidates: Vec<Candidate>) {
            self.send(Event::Start { wall: in_window() });
            self.send(Event::Identified(IdentifyOutcome::Matched(candidates)));
        }
        /// Contact → Confirm with a valid number and consent.
        fn give_contact(&mut self) {
            self.send(Event::ContactSubmitted {
                mobile: Some("13812345678".into()),
                consent: true,
            });
        }
        /// Welcome → … → Capture for a candidate who may capture.
        fn walk_to_capture(&mut self) {
            self.identified(vec![candidate("本科", CandidateStatus::NotCaptured, None)]);
            self.give_contact();
            self.send(Event::Confirmed);
            assert!(matches!(self.state(), State::Reminder { .. }));
            self.send(Event::Understood);
            assert!(matches!(self.state(), State::Capture { .. }));
        }
        /// Capture → Review, returning the capture id (a photo that passes).
        fn take_photo(&mut self) -> Uuid {
            self.take_photo_blocked(false)
        }
        /// Capture → Review; `blocked`: the photo fails a required check.
        fn take_photo_blocked(&mut self, blocked: bool) -> Uuid {
            let start = self.now.duration_since(self.t0).as_secs();
            assert!(
                self.send(Event::CaptureRequested).is_empty(),
                "the countdown runs first"
            );
            self.at(start + 3);
            assert_eq!(self.send(Event::Tick), vec![Effect::TakePhoto]);
            let id = Uuid::new_v4();
            self.send(Event::PhotoTaken {
                capture_id: id,
                blocked,
            });
            assert!(matches!(self.state(), State::Review { .. }));
            id
        }
    }

    #[test]
    fn the_reminder_comes_once_before_the_camera() {
        let mut run = Run::new();
        run.identified(vec![candidate("本科", CandidateStatus::NotCaptured, None)]);
        run.give_contact();
        run.send(Event::Confirmed);
        assert!(matches!(run.state(), State::Reminder { .. }));
        // Touching elsewhere does not skip it; back returns to the confirmation.
        run.send(Event::CaptureRequested);
        assert!(matches!(run.state(), State::Reminder { .. }));
        run.send(Event::Back);
        assert!(matches!(run.state(), State::Confirm { .. }));
        run.send(Event::Confirmed);
        run.send(Event::Understood);
        assert!(matches!(run.state(), State::Capture { .. }));
        // A retake goes straight back to the camera.
        run.take_photo();
        run.send(Event::Retake);
        assert!(matches!(run.state(), State::Capture { .. }));
    }

    #[test]
    fn the_happy_path_ends_in_done_after_saving() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo();
        assert_eq!(
            run.send(Event::Accept),
            vec![Effect::SaveCapture {
                capture_id: id,
                staff: None
            }]
        );
        assert!(
            run.send(Event::Accept).is_empty(),
            "a double press saves once"
        );
        run.send(Event::Saved(Ok(())));
        assert!(matches!(run.state(), State::Done { capture_id, .. } if *capture_id == id));
    }

    #[test]
    fn outside_the_window_shows_the_window_page() {
        let mut run = Run::new();
        let before = NaiveDateTime::parse_from_str("2025-06-11 23:59", "%Y-%m-%d %H:%M").unwrap();
        run.send(Event::Start { wall: before });
        assert_eq!(run.state(), &State::OutsideWindow);
        run.send(Event::Back);
        let after = NaiveDateTime::parse_from_str("2025-06-14 17:01", "%Y-%m-%d %H:%M").unwrap();
        run.send(Event::Start { wall: after });
        assert_eq!(run.state(), &State::OutsideWindow);
        run.send(Event::Back);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn no_match_goes_to_the_no_match_page_and_back_to_identify() {
        let mut run = Run::new();
        run.send(Event::Start { wall: in_window() });
        run.send(Event::Identified(IdentifyOutcome::NoMatch));
        assert_eq!(run.state(), &State::NoMatch);
        run.send(Event::Back);
        assert_eq!(run.state(), &State::Identify { problem: None });
    }

    #[test]
    fn an_invalid_number_stays_on_identify_with_the_problem() {
        let mut run = Run::new();
        run.send(Event::Start { wall: in_window() });
        run.send(Event::Identified(IdentifyOutcome::Invalid(
            IdentifyProblem::AdmissionNumberInvalid,
        )));
        assert_eq!(
            run.state(),
            &State::Identify {
                problem: Some(IdentifyProblem::AdmissionNumberInvalid)
            }
        );
    }

    #[test]
    fn several_levels_ask_which_one() {
        let mut run = Run::new();
        run.send(Event::Start { wall: in_window() });
        let options = vec![
            candidate("专科", CandidateStatus::Approved, None),
            candidate("本科", CandidateStatus::NotCaptured, None),
        ];
        run.send(Event::Identified(IdentifyOutcome::Matched(options)));
        assert!(matches!(run.state(), State::ChooseLevel { options } if options.len() == 2));
        run.send(Event::LevelChosen(7));
        assert!(
            matches!(run.state(), State::ChooseLevel { .. }),
            "an out-of-range choice changes nothing"
        );
        run.send(Event::LevelChosen(1));
        assert!(
            matches!(run.state(), State::Contact { candidate, .. } if candidate.entry.education_level == "本科")
        );
    }

    #[test]
    fn an_approved_candidate_cannot_capture_again() {
        let mut run = Run::new();
        run.identified(vec![candidate("本科", CandidateStatus::Approved, None)]);
        match run.state() {
            State::CandidateStatus {
                levels,
                origin: StatusOrigin::Identify,
                ..
            } => {
                assert_eq!(
                    levels,
                    &vec![("本科".to_string(), CandidateStatus::Approved)]
                );
            }
            other => panic!("expected the status page, got {other:?}"),
        }
    }

    #[test]
    fn a_candidate_awaiting_review_cannot_capture_again() {
        let mut run = Run::new();
        run.identified(vec![candidate(
            "本科",
            CandidateStatus::AwaitingReview,
            None,
        )]);
        assert!(matches!(run.state(), State::CandidateStatus { .. }));
    }

    #[test]
    fn a_rejected_or_reopened_candidate_may_capture_again() {
        for status in [
            CandidateStatus::Rejected {
                reason: "背景不是蓝色".into(),
            },
            CandidateStatus::Reopened,
        ] {
            let mut run = Run::new();
            run.identified(vec![candidate("本科", status, None)]);
            assert!(matches!(run.state(), State::Contact { .. }));
        }
    }

    #[test]
    fn contact_needs_a_valid_mobile_and_consent() {
        let mut run = Run::new();
        run.identified(vec![candidate("本科", CandidateStatus::NotCaptured, None)]);
        run.send(Event::ContactSubmitted {
            mobile: Some("1234".into()),
            consent: true,
        });
        assert!(matches!(
            run.state(),
            State::Contact {
                problem: Some(ContactProblem::MobileInvalid),
                ..
            }
        ));
        run.send(Event::ContactSubmitted {
            mobile: None,
            consent: true,
        });
        assert!(
            matches!(
                run.state(),
                State::Contact {
                    problem: Some(ContactProblem::MobileInvalid),
                    ..
                }
            ),
            "no number on the roster to fall back to"
        );
        run.send(Event::ContactSubmitted {
            mobile: Some("13812345678".into()),
            consent: false,
        });
        assert!(matches!(
            run.state(),
            State::Contact {
                problem: Some(ContactProblem::ConsentMissing),
                ..
            }
        ));
        run.give_contact();
        assert!(
            matches!(run.state(), State::Confirm { mobile, .. } if mobile.as_str() == "13812345678")
        );
    }

    #[test]
    fn the_roster_mobile_number_can_be_used() {
        let mut run = Run::new();
        run.send(Event::Start { wall: in_window() });
        let c = candidate("本科", CandidateStatus::NotCaptured, Some("13900001111"));
        run.send(Event::Identified(IdentifyOutcome::Matched(vec![c])));
        run.send(Event::ContactSubmitted {
            mobile: None,
            consent: true,
        });
        assert!(
            matches!(run.state(), State::Confirm { mobile, .. } if mobile.as_str() == "13900001111")
        );
    }

    #[test]
    fn not_me_returns_to_identify_and_back_returns_to_contact() {
        let mut run = Run::new();
        run.identified(vec![candidate("本科", CandidateStatus::NotCaptured, None)]);
        run.give_contact();
        run.send(Event::Back);
        assert!(matches!(run.state(), State::Contact { .. }));
        run.give_contact();
        run.send(Event::NotMe);
        assert_eq!(run.state(), &State::Identify { problem: None });
    }

    #[test]
    fn the_retake_limit_is_enforced() {
        let mut run = Run::new();
        run.walk_to_capture();
        let mut id = run.take_photo();
        for used in 1..=2 {
            assert_eq!(
                run.send(Event::Retake),
                vec![Effect::DiscardPhoto { capture_id: id }]
            );
            assert!(
                matches!(run.state(), State::Capture { sitting, .. } if sitting.retakes_used == used)
            );
            id = run.take_photo();
        }
        assert_eq!(run.session.retakes_left(), Some(0));
        assert!(run.send(Event::Retake).is_empty());
        assert!(matches!(
            run.state(),
            State::Review {
                problem: Some(ReviewProblem::RetakeLimitReached),
                ..
            }
        ));
        run.send(Event::Accept);
        run.send(Event::Saved(Ok(())));
        assert!(
            matches!(run.state(), State::Done { .. }),
            "accepting is still possible"
        );
    }

    #[test]
    fn a_photo_failing_a_required_check_is_accepted_only_by_staff_with_a_reason() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo_blocked(true);
        // The candidate's press asks for the staff PIN; nothing is saved.
        assert!(run.send(Event::Accept).is_empty());
        assert!(matches!(
            run.state(),
            State::OverridePin { problem: None, .. }
        ));
        // Back: the photo is still there, still blocked.
        run.send(Event::Back);
        assert!(matches!(
            run.state(),
            State::Review { blocked: true, staff: None, capture_id, .. } if *capture_id == id
        ));
        run.send(Event::Accept);
        // A wrong PIN is refused and counted.
        run.send(Event::PinEntered("0000".into()));
        assert!(matches!(
            run.state(),
            State::OverridePin {
                problem: Some(PinProblem::Wrong { attempts_left: 2 }),
                ..
            }
        ));
        run.send(Event::PinEntered("2580".into()));
        assert!(matches!(
            run.state(),
            State::OverrideReason { problem: None, .. }
        ));
        // "Other" needs the staff's words.
        assert!(
            run.send(Event::OverrideChosen {
                reason: OverrideReason::Other,
                note: "   ".into(),
            })
            .is_empty()
        );
        assert!(matches!(
            run.state(),
            State::OverrideReason {
                problem: Some(OverrideProblem::NoteMissing),
                ..
            }
        ));
        assert!(
            run.send(Event::OverrideChosen {
                reason: OverrideReason::Other,
                note: "x".repeat(201),
            })
            .is_empty()
        );
        let staff = StaffAcceptance {
            reason: OverrideReason::ReligiousCovering,
            note: None,
        };
        assert_eq!(
            run.send(Event::OverrideChosen {
                reason: OverrideReason::ReligiousCovering,
                note: " ".into(),
            }),
            vec![Effect::SaveCapture {
                capture_id: id,
                staff: Some(staff.clone())
            }]
        );
        // Saving fails: pressing again saves with the same acceptance, no PIN again.
        run.send(Event::Saved(Err(SaveProblem::Failed)));
        assert_eq!(
            run.send(Event::Accept),
            vec![Effect::SaveCapture {
                capture_id: id,
                staff: Some(staff)
            }]
        );
        run.send(Event::Saved(Ok(())));
        assert!(matches!(run.state(), State::Done { .. }));
    }

    #[test]
    fn leaving_the_staff_acceptance_discards_the_photo_and_the_pin_lock_is_shared() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo_blocked(true);
        run.send(Event::Accept);
        for _ in 0..3 {
            run.send(Event::PinEntered("1111".into()));
        }
        assert!(matches!(
            run.state(),
            State::OverridePin {
                problem: Some(PinProblem::Locked { .. }),
                ..
            }
        ));
        // The right PIN does not open it while locked.
        run.send(Event::PinEntered("2580".into()));
        assert!(matches!(run.state(), State::OverridePin { .. }));
        assert_eq!(
            run.send(Event::Home),
            vec![Effect::DiscardPhoto { capture_id: id }]
        );
        // Still locked at the staff screen's PIN too.
        run.send(Event::OpenStaff);
        run.send(Event::PinEntered("2580".into()));
        assert!(matches!(
            run.state(),
            State::StaffPin {
                problem: Some(PinProblem::Locked { .. })
            }
        ));
    }

    #[test]
    fn a_failed_save_keeps_the_photo_for_another_try() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo();
        run.send(Event::Accept);
        run.send(Event::Saved(Err(SaveProblem::DiskFull)));
        assert!(matches!(
            run.state(),
            State::Review { capture_id, saving: false, problem: Some(ReviewProblem::SaveFailed(SaveProblem::DiskFull)), .. } if *capture_id == id
        ));
        assert_eq!(
            run.send(Event::Accept),
            vec![Effect::SaveCapture {
                capture_id: id,
                staff: None
            }]
        );
    }

    #[test]
    fn a_camera_failure_lets_the_candidate_try_again() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.send(Event::CaptureRequested);
        run.at(3);
        assert_eq!(run.send(Event::Tick), vec![Effect::TakePhoto]);
        run.send(Event::PhotoFailed);
        assert!(matches!(
            run.state(),
            State::Capture {
                problem: Some(CaptureProblem::CameraUnavailable),
                taking: false,
                ..
            }
        ));
        run.send(Event::CaptureRequested);
        assert!(matches!(
            run.state(),
            State::Capture {
                countdown: Some(_),
                problem: None,
                ..
            }
        ));
    }

    fn analysed(passing: bool, steady: bool) -> Event {
        Event::Analysed {
            face: true,
            passing,
            steady,
        }
    }

    #[test]
    fn steady_checks_start_the_countdown_and_a_failing_check_cancels_it() {
        let mut run = Run::new();
        run.walk_to_capture();
        assert!(run.send(analysed(true, false)).is_empty());
        assert!(matches!(
            run.state(),
            State::Capture {
                countdown: None,
                ..
            }
        ));
        run.send(analysed(true, true));
        assert!(matches!(
            run.state(),
            State::Capture {
                countdown: Some(Countdown { auto: true, .. }),
                ..
            }
        ));
        run.send(analysed(false, false));
        assert!(
            matches!(
                run.state(),
                State::Capture {
                    countdown: None,
                    ..
                }
            ),
            "the candidate moved: the countdown stops"
        );
        run.send(analysed(true, true));
        run.at(3);
        assert_eq!(run.send(Event::Tick), vec![Effect::TakePhoto]);
        // Frames analysed while the burst is taken change nothing.
        run.send(analysed(false, false));
        assert!(matches!(run.state(), State::Capture { taking: true, .. }));
        run.send(Event::PhotoTaken {
            capture_id: Uuid::new_v4(),
            blocked: false,
        });
        assert!(matches!(run.state(), State::Review { .. }));
    }

    #[test]
    fn a_countdown_staff_started_is_not_cancelled_by_the_checks() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.send(Event::CaptureRequested);
        run.send(analysed(false, false));
        assert!(matches!(
            run.state(),
            State::Capture {
                countdown: Some(Countdown { auto: false, .. }),
                ..
            }
        ));
    }

    #[test]
    fn auto_capture_can_be_switched_off() {
        let mut run = Run::new();
        run.session.config.auto_capture = false;
        run.walk_to_capture();
        run.send(analysed(true, true));
        assert!(matches!(
            run.state(),
            State::Capture {
                countdown: None,
                ..
            }
        ));
    }

    #[test]
    fn a_face_in_front_of_the_camera_keeps_the_session_alive() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.at(80);
        run.send(analysed(false, false));
        run.at(150);
        run.send(Event::Tick);
        assert!(matches!(run.state(), State::Capture { .. }));
        run.send(Event::Analysed {
            face: false,
            passing: false,
            steady: false,
        });
        run.at(200);
        run.send(Event::Tick);
        assert_eq!(
            run.state(),
            &State::Welcome,
            "nobody there: back to welcome"
        );
    }

    #[test]
    fn the_countdown_is_reported_and_a_second_press_is_ignored() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.send(Event::CaptureRequested);
        assert_eq!(run.session.countdown_seconds(run.now), Some(3));
        run.at(1);
        assert!(run.send(Event::CaptureRequested).is_empty());
        assert_eq!(run.session.countdown_seconds(run.now), Some(2));
        assert!(run.send(Event::Tick).is_empty());
    }

    #[test]
    fn idle_timeout_returns_to_welcome_and_drops_the_photo() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo();
        // The last touch was the capture button, at 0 s.
        run.at(89);
        assert!(run.send(Event::Tick).is_empty());
        run.at(90);
        assert_eq!(
            run.send(Event::Tick),
            vec![Effect::DiscardPhoto { capture_id: id }]
        );
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn touches_keep_the_session_alive() {
        let mut run = Run::new();
        run.send(Event::Start { wall: in_window() });
        run.at(80);
        run.send(Event::Touch);
        run.at(160);
        run.send(Event::Tick);
        assert!(matches!(run.state(), State::Identify { .. }));
        run.at(170);
        run.send(Event::Tick);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn idle_timeout_applies_to_every_screen_with_personal_data() {
        let mut run = Run::new();
        run.identified(vec![candidate("本科", CandidateStatus::NotCaptured, None)]);
        run.give_contact();
        assert!(matches!(run.state(), State::Confirm { .. }));
        run.at(90);
        run.send(Event::Tick);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn saving_is_not_interrupted_by_home_or_idle() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.take_photo();
        run.send(Event::Accept);
        run.at(500);
        run.send(Event::Tick);
        run.send(Event::Home);
        assert!(matches!(run.state(), State::Review { saving: true, .. }));
        run.send(Event::Saved(Ok(())));
        assert!(matches!(run.state(), State::Done { .. }));
    }

    #[test]
    fn done_returns_to_welcome_by_itself() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.take_photo();
        run.send(Event::Accept);
        run.send(Event::Saved(Ok(())));
        assert_eq!(run.session.done_seconds_left(run.now), Some(30));
        run.at(3 + 29);
        run.send(Event::Tick);
        assert!(matches!(run.state(), State::Done { .. }));
        run.at(3 + 30);
        run.send(Event::Tick);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn a_photo_arriving_after_the_candidate_left_is_discarded() {
        let mut run = Run::new();
        run.walk_to_capture();
        run.send(Event::Home);
        let late = Uuid::new_v4();
        assert_eq!(
            run.send(Event::PhotoTaken {
                capture_id: late,
                blocked: false
            }),
            vec![Effect::DiscardPhoto { capture_id: late }]
        );
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn home_from_review_discards_the_photo() {
        let mut run = Run::new();
        run.walk_to_capture();
        let id = run.take_photo();
        assert_eq!(
            run.send(Event::Home),
            vec![Effect::DiscardPhoto { capture_id: id }]
        );
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn status_lookup_shows_results_or_the_problem() {
        let mut run = Run::new();
        run.send(Event::OpenStatusLookup);
        run.send(Event::StatusLookedUp(LookupOutcome::NotFound));
        assert_eq!(
            run.state(),
            &State::StatusLookup {
                problem: Some(LookupProblem::NotFound)
            }
        );
        let levels = vec![(
            "本科".to_string(),
            CandidateStatus::Rejected {
                reason: "眼睛闭合".into(),
            },
        )];
        run.send(Event::StatusLookedUp(LookupOutcome::Found {
            name: "王小明".into(),
            levels: levels.clone(),
        }));
        assert_eq!(
            run.state(),
            &State::CandidateStatus {
                name: "王小明".into(),
                levels,
                origin: StatusOrigin::StatusLookup
            }
        );
        run.send(Event::Back);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn the_staff_pin_opens_the_dashboard() {
        let mut run = Run::new();
        run.send(Event::OpenStaff);
        run.send(Event::PinEntered("2580".into()));
        assert_eq!(run.state(), &State::StaffDashboard);
        run.send(Event::Back);
        assert_eq!(run.state(), &State::Welcome);
    }

    #[test]
    fn wrong_pins_lock_staff_mode_for_a_while() {
        let mut run = Run::new();
        run.send(Event::OpenStaff);
        run.send(Event::PinEntered("0000".into()));
        assert_eq!(
            run.state(),
            &State::StaffPin {
                problem: Some(PinProblem::Wrong { attempts_left: 2 })
            }
        );
        run.send(Event::PinEntered("1111".into()));
        run.send(Event::PinEntered("2222".into()));
        assert_eq!(
            run.state(),
            &State::StaffPin {
                problem: Some(PinProblem::Locked { seconds_left: 60 })
            }
        );
        run.at(30);
        run.send(Event::PinEntered("2580".into()));
        assert_eq!(
            run.state(),
            &State::StaffPin {
                problem: Some(PinProblem::Locked { seconds_left: 30 })
            },
            "even the right PIN waits out the lock"
        );
        run.send(Event::Home);
        run.send(Event::OpenStaff);
        run.at(60);
        run.send(Event::PinEntered("2580".into()));
        assert_eq!(run.state(), &State::StaffDashboard);
    }

    #[test]
    fn lockouts_in_a_row_grow_and_a_restart_keeps_them() {
        let mut run = Run::new();
        run.send(Event::OpenStaff);
        let lock_out = |run: &mut Run| {
            for pin in ["0000", "1111", "2222"] {
                run.send(Event::PinEntered(pin.into()));
            }
            match run.state() {
                State::StaffPin {
                    problem: Some(PinProblem::Locked { seconds_left }),
                } => *seconds_left,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(lock_out(&mut run), 60);
        run.at(61);
        assert_eq!(
            lock_out(&mut run),
            120,
            "the second lock-out in a row is twice as long"
        );
        // Restarted 20 s into it: the new session takes up the count and the time left.
        run.at(81);
        let record = run.session.pin_record(run.now);
        assert_eq!(
            record,
            PinRecord {
                failures: 0,
                lockouts: 2,
                locked_for: Some(Duration::from_secs(100)),
            }
        );
        let mut again = Run::new();
        again.session.restore_pin_record(record, again.now);
        again.send(Event::OpenStaff);
        again.send(Event::PinEntered("2580".into()));
        assert_eq!(
            again.state(),
            &State::StaffPin {
                problem: Some(PinProblem::Locked { seconds_left: 100 })
            },
            "the lock-out outlives the restart"
        );
        again.at(100);
        again.send(Event::PinEntered("2580".into()));
        assert_eq!(again.state(), &State::StaffDashboard);
        assert_eq!(again.session.pin_record(again.now), PinRecord::default());
        // A restored lock-out is never longer than the longest there is.
        let mut third = Run::new();
        third.session.restore_pin_record(
            PinRecord {
                failures: 0,
                lockouts: 40,
                locked_for: Some(Duration::from_secs(1 << 40)),
            },
            third.now,
        );
        assert_eq!(
            third.session.pin_record(third.now).locked_for,
            Some(MAX_PIN_LOCKOUT)
        );
    }

    #[test]
    fn a_hashed_pin_opens_only_with_that_pin_and_never_shows_itself() {
        let phc = StaffPin::hash("135790");
        assert!(phc.starts_with("$argon2id$") && !phc.contains("135790"));
        let pin = StaffPin::Hashed(phc);
        assert!(pin.matches("135790"));
        assert!(!pin.matches("135791") && !pin.matches(""));
        assert!(!StaffPin::Hashed("not a hash".into()).matches("135790"));
        assert_eq!(format!("{pin:?}"), "StaffPin::Hashed(…)");
        assert_eq!(
            format!("{:?}", StaffPin::Plain("2580".into())),
            "StaffPin::Plain(…)"
        );
    }

    #[test]
    fn staff_mode_times_out_too() {
        let mut run = Run::new();
        run.send(Event::OpenStaff);
        run.send(Event::PinEntered("2580".into()));
        run.at(90);
        run.send(Event::Tick);
        assert_eq!(run.state(), &State::Welcome);
    }
}
