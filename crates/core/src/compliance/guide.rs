//! Guidance: from each frame's check results, what the screen shows — every check's state
//! and the single most useful instruction (the first failing required check's; when only
//! advisory checks fail, the photo may be taken and their advice is shown beside it). A check's shown state changes only after the
//! new state has held for a few frames, so nothing flickers when a value sits on a limit.

use super::{CheckId, CheckResult};
use crate::lang::Localized;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy)]
struct Shown {
    pass: bool,
    /// Frames in a row that disagreed with `pass`.
    against: u32,
}

/// What the capture screen shows for the latest frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Guidance {
    /// The first failing required check (in catalogue order) and its instruction.
    pub instruction: Option<(CheckId, Localized)>,
    /// The first failing advisory check and its advice (it does not stop the photo).
    pub advice: Option<(CheckId, Localized)>,
    /// Every check's shown state, in catalogue order.
    pub checks: Vec<(CheckId, bool)>,
    /// Every required check is shown passing: the photo may be taken.
    pub all_pass: bool,
}

pub struct Guide {
    hold: u32,
    shown: HashMap<CheckId, Shown>,
}

impl Guide {
    /// `hold`: frames a new state must last before it is shown.
    pub fn new(hold: u32) -> Self {
        Self {
            hold: hold.max(1),
            shown: HashMap::new(),
        }
    }

    /// Forgets everything (a new candidate).
    pub fn reset(&mut self) {
        self.shown.clear();
    }

    pub fn update(&mut self, results: &[CheckResult]) -> Guidance {
        let mut checks = Vec::with_capacity(results.len());
        let mut instruction = None;
        let mut advice = None;
        let mut all_pass = true;
        for r in results {
            // A check seen for the first time is shown as it is.
            let s = self.shown.entry(r.id).or_insert(Shown {
                pass: r.pass,
                against: 0,
            });
            if r.pass == s.pass {
                s.against = 0;
            } else {
                s.against += 1;
                if s.against >= self.hold {
                    *s = Shown {
                        pass: r.pass,
                        against: 0,
                    };
                }
            }
            checks.push((r.id, s.pass));
            if !s.pass {
                let slot = if r.required {
                    all_pass = false;
                    &mut instruction
                } else {
                    &mut advice
                };
                if slot.is_none() {
                    *slot = Some((r.id, r.message.clone()));
                }
            }
        }
        Guidance {
            instruction,
            advice,
            checks,
            all_pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: CheckId, pass: bool) -> CheckResult {
        CheckResult {
            id,
            pass,
            value: Some(0.0),
            limit: String::new(),
            message: Localized::fixed("中", "en"),
            required: true,
            also: Vec::new(),
        }
    }

    #[test]
    fn a_state_must_hold_before_it_is_shown() {
        let mut g = Guide::new(3);
        let a = CheckId::Sharpness;
        assert!(!g.update(&[r(a, false)]).all_pass);
        assert!(!g.update(&[r(a, true)]).all_pass);
        assert!(!g.update(&[r(a, true)]).all_pass);
        assert!(
            g.update(&[r(a, true)]).all_pass,
            "three passing frames in a row"
        );
        // One bad frame does not flip it back.
        assert!(g.update(&[r(a, false)]).all_pass);
        assert!(g.update(&[r(a, true)]).all_pass);
    }

    #[test]
    fn the_instruction_is_the_first_failing_check() {
        let mut g = Guide::new(1);
        let out = g.update(&[
            r(CheckId::FaceCount, true),
            r(CheckId::HeadSize, false),
            r(CheckId::EyesOpen, false),
        ]);
        assert_eq!(out.instruction.map(|i| i.0), Some(CheckId::HeadSize));
        assert_eq!(
            out.checks,
            vec![
                (CheckId::FaceCount, true),
                (CheckId::HeadSize, false),
                (CheckId::EyesOpen, false)
            ]
        );
    }

    #[test]
    fn an_advisory_failure_is_advice_and_does_not_hold_the_photo_back() {
        let mut g = Guide::new(1);
        let advisory = CheckResult {
            required: false,
            ..r(CheckId::MouthClosed, false)
        };
        let out = g.update(&[r(CheckId::FaceCount, true), advisory.clone()]);
        assert!(out.all_pass, "only an advisory check fails");
        assert_eq!(out.instruction, None);
        assert_eq!(out.advice.map(|a| a.0), Some(CheckId::MouthClosed));
        let out = g.update(&[r(CheckId::FaceCount, false), advisory]);
        assert!(!out.all_pass);
        assert_eq!(out.instruction.map(|i| i.0), Some(CheckId::FaceCount));
    }
}
