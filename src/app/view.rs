//! What the screens show, derived from the session's state: a plain value, compared with
//! the last one so the window is only touched when something changed. Personal details
//! appear here masked, and only while the session holds them.

use super::ui;
use crate::config::{Config, Lang};
use capture_core::candidate::CandidateStatus;
use capture_core::identity::mask_name;
use capture_core::profile::Profile;
use capture_core::session::{
    CaptureProblem, ContactProblem, IdentifyProblem, LookupProblem, OverrideProblem, PinProblem,
    ReviewProblem, SaveProblem, Session, Sitting, State, StatusOrigin,
};
use slint::{ModelRc, SharedString, VecModel};
use std::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub screen: ui::Screen,
    pub problem: ui::Problem,
    pub problem_count: i32,
    pub level_options: Vec<String>,
    pub roster_mobile_masked: String,
    pub name_masked: String,
    pub admission_masked: String,
    pub level: String,
    pub mobile_masked: String,
    pub status_from_identify: bool,
    pub status_rows: Vec<(String, ui::StatusKind, String)>,
    pub countdown: i32,
    pub taking: bool,
    pub retakes_left: i32,
    pub saving: bool,
    pub photo_blocked: bool,
    pub pin_purpose: ui::PinPurpose,
    pub reference: String,
    pub done_seconds_left: i32,
    pub language: Lang,
    pub clock: String,
}

/// The campaign texts, fixed for a language.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteTexts {
    pub site_name: String,
    pub campaign_name: String,
    pub window_text: String,
    pub help_line: String,
    pub fee_yuan: i32,
    pub profile_name: String,
    pub admission_number_length: i32,
}

impl SiteTexts {
    pub fn new(config: &Config, profile: &Profile, lang: Lang) -> Self {
        let fmt = "%Y-%m-%d %H:%M";
        Self {
            site_name: config.kiosk.site_name.get(lang).to_string(),
            campaign_name: config.campaign.name.get(lang).to_string(),
            window_text: format!(
                "{} – {}",
                config.campaign.window_start.format(fmt),
                config.campaign.window_end.format(fmt)
            ),
            help_line: config.campaign.help_line.clone(),
            fee_yuan: config.campaign.fee_yuan as i32,
            profile_name: profile.name.get(lang).to_string(),
            admission_number_length: config.identity.admission_number_length as i32,
        }
    }

    pub fn apply(&self, a: &ui::KioskAdapter) {
        a.set_site_name(self.site_name.as_str().into());
        a.set_campaign_name(self.campaign_name.as_str().into());
        a.set_window_text(self.window_text.as_str().into());
        a.set_help_line(self.help_line.as_str().into());
        a.set_fee_yuan(self.fee_yuan);
        a.set_profile_name(self.profile_name.as_str().into());
        a.set_admission_number_length(self.admission_number_length);
    }
}

fn status_kind(s: &CandidateStatus) -> (ui::StatusKind, String) {
    match s {
        CandidateStatus::NotCaptured => (ui::StatusKind::NotCaptured, String::new()),
        CandidateStatus::AwaitingReview => (ui::StatusKind::AwaitingReview, String::new()),
        CandidateStatus::Approved => (ui::StatusKind::Approved, String::new()),
        CandidateStatus::Rejected { reason } => (ui::StatusKind::Rejected, reason.clone()),
        CandidateStatus::Reopened => (ui::StatusKind::Reopened, String::new()),
    }
}

impl View {
    pub fn of(session: &Session, now: Instant, language: Lang, clock: String) -> View {
        let mut v = View {
            screen: ui::Screen::Welcome,
            problem: ui::Problem::None,
            problem_count: 0,
            level_options: Vec::new(),
            roster_mobile_masked: String::new(),
            name_masked: String::new(),
            admission_masked: String::new(),
            level: String::new(),
            mobile_masked: String::new(),
            status_from_identify: false,
            status_rows: Vec::new(),
            countdown: 0,
            taking: false,
            retakes_left: session.retakes_left().unwrap_or(0) as i32,
            saving: false,
            photo_blocked: false,
            pin_purpose: ui::PinPurpose::Staff,
            reference: String::new(),
            done_seconds_left: session.done_seconds_left(now).unwrap_or(0) as i32,
            language,
            clock,
        };
        let sitting_details = |v: &mut View, s: &Sitting| {
            v.name_masked = mask_name(&s.candidate.entry.name);
            v.admission_masked = s.candidate.entry.admission_no.masked();
            v.level = s.candidate.entry.education_level.clone();
            v.mobile_masked = s.mobile.masked();
        };
        match session.state() {
            State::Welcome => {}
            State::OutsideWindow => v.screen = ui::Screen::OutsideWindow,
            State::Identify { problem } => {
                v.screen = ui::Screen::Identify;
                v.problem = match problem {
                    None => ui::Problem::None,
                    Some(IdentifyProblem::AdmissionNumberInvalid) => ui::Problem::NumberInvalid,
                    Some(IdentifyProblem::NameEmpty) => ui::Problem::NameEmpty,
                };
            }
            State::NoMatch => v.screen = ui::Screen::NoMatch,
            State::ChooseLevel { options } => {
                v.screen = ui::Screen::ChooseLevel;
                v.level_options = options
                    .iter()
                    .map(|c| c.entry.education_level.clone())
                    .collect();
            }
            State::Contact { candidate, problem } => {
                v.screen = ui::Screen::Contact;
                v.roster_mobile_masked = candidate
                    .entry
                    .phone
                    .as_ref()
                    .map(|p| p.masked())
                    .unwrap_or_default();
                v.problem = match problem {
                    None => ui::Problem::None,
                    Some(ContactProblem::MobileInvalid) => ui::Problem::MobileInvalid,
                    Some(ContactProblem::ConsentMissing) => ui::Problem::ConsentMissing,
                };
            }
            State::Reminder { candidate, .. } => {
                v.screen = ui::Screen::Reminder;
                v.name_masked = mask_name(&candidate.entry.name);
            }
            State::Confirm { candidate, mobile } => {
                v.screen = ui::Screen::Confirm;
                v.name_masked = mask_name(&candidate.entry.name);
                v.admission_masked = candidate.entry.admission_no.masked();
                v.level = candidate.entry.education_level.clone();
                v.mobile_masked = mobile.masked();
            }
            State::CandidateStatus {
                name,
                levels,
                origin,
            } => {
                v.screen = ui::Screen::CandidateStatus;
                v.name_masked = mask_name(name);
                v.status_from_identify = *origin == StatusOrigin::Identify;
                v.status_rows = levels
                    .iter()
                    .map(|(level, status)| {
                        let (kind, reason) = status_kind(status);
                        (level.clone(), kind, reason)
                    })
                    .collect();
            }
            State::StatusLookup { problem } => {
                v.screen = ui::Screen::StatusLookup;
                v.problem = match problem {
                    None => ui::Problem::None,
                    Some(LookupProblem::AdmissionNumberInvalid) => ui::Problem::NumberInvalid,
                    Some(LookupProblem::NotFound) => ui::Problem::NotFound,
                };
            }
            State::Capture {
                sitting,
                taking,
                problem,
                ..
            } => {
                v.screen = ui::Screen::Capture;
                sitting_details(&mut v, sitting);
                v.countdown = session.countdown_seconds(now).unwrap_or(0) as i32;
                v.taking = *taking;
                if let Some(CaptureProblem::CameraUnavailable) = problem {
                    v.problem = ui::Problem::CameraUnavailable;
                }
            }
            State::Review {
                sitting,
                saving,
                problem,
                blocked,
                ..
            } => {
                v.screen = ui::Screen::Review;
                sitting_details(&mut v, sitting);
                v.saving = *saving;
                v.photo_blocked = *blocked;
                v.problem = match problem {
                    None => ui::Problem::None,
                    Some(ReviewProblem::SaveFailed(SaveProblem::DiskFull)) => {
                        ui::Problem::SaveDiskFull
                    }
                    Some(ReviewProblem::SaveFailed(SaveProblem::Failed)) => ui::Problem::SaveFailed,
                    Some(ReviewProblem::RetakeLimitReached) => ui::Problem::RetakeLimit,
                };
            }
            State::Done {
                sitting,
                capture_id,
                ..
            } => {
                v.screen = ui::Screen::Done;
                sitting_details(&mut v, sitting);
                v.reference = capture_id.simple().to_string()[..8].to_uppercase();
            }
            State::OverrideReason {
                sitting, problem, ..
            } => {
                v.screen = ui::Screen::OverrideReason;
                sitting_details(&mut v, sitting);
                v.photo_blocked = true;
                v.problem = match problem {
                    None => ui::Problem::None,
                    Some(OverrideProblem::NoteMissing) => ui::Problem::OverrideNoteMissing,
                    Some(OverrideProblem::NoteTooLong) => ui::Problem::OverrideNoteTooLong,
                };
            }
            State::StaffPin { problem } | State::OverridePin { problem, .. } => {
                v.screen = ui::Screen::StaffPin;
                if matches!(session.state(), State::OverridePin { .. }) {
                    v.pin_purpose = ui::PinPurpose::AcceptPhoto;
                    v.photo_blocked = true;
                }
                match problem {
                    None => {}
                    Some(PinProblem::Wrong { attempts_left }) => {
                        v.problem = ui::Problem::PinWrong;
                        v.problem_count = *attempts_left as i32;
                    }
                    Some(PinProblem::Locked { seconds_left }) => {
                        v.problem = ui::Problem::PinLocked;
                        v.problem_count = *seconds_left as i32;
                    }
                }
            }
            State::StaffDashboard => v.screen = ui::Screen::StaffDashboard,
        }
        v
    }

    pub fn apply(&self, a: &ui::KioskAdapter) {
        let strings = |v: &[String]| -> ModelRc<SharedString> {
            ModelRc::new(VecModel::from(
                v.iter()
                    .map(|s| SharedString::from(s.as_str()))
                    .collect::<Vec<_>>(),
            ))
        };
        a.set_screen(self.screen);
        a.set_problem(self.problem);
        a.set_problem_count(self.problem_count);
        a.set_level_options(strings(&self.level_options));
        a.set_roster_mobile_masked(self.roster_mobile_masked.as_str().into());
        a.set_name_masked(self.name_masked.as_str().into());
        a.set_admission_masked(self.admission_masked.as_str().into());
        a.set_level(self.level.as_str().into());
        a.set_mobile_masked(self.mobile_masked.as_str().into());
        a.set_status_from_identify(self.status_from_identify);
        a.set_status_rows(ModelRc::new(VecModel::from(
            self.status_rows
                .iter()
                .map(|(level, kind, reason)| ui::StatusRow {
                    level: level.as_str().into(),
                    kind: *kind,
                    reason: reason.as_str().into(),
                })
                .collect::<Vec<_>>(),
        )));
        a.set_countdown(self.countdown);
        a.set_taking(self.taking);
        a.set_retakes_left(self.retakes_left);
        a.set_saving(self.saving);
        a.set_photo_blocked(self.photo_blocked);
        a.set_pin_purpose(self.pin_purpose);
        a.set_reference(self.reference.as_str().into());
        a.set_done_seconds_left(self.done_seconds_left);
        a.set_language(self.language.code().into());
        a.set_clock(self.clock.as_str().into());
    }
}
