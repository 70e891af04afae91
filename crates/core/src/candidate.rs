//! Where a candidate stands with their photo: not captured, awaiting review, approved,
//! rejected (with the reviewer's reason), or re-opened by staff. The store works it out
//! from its records; the session decides with it whether the candidate may capture now.

use crate::roster::RosterEntry;

/// Where a candidate stands with their photo, as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateStatus {
    NotCaptured,
    /// A photo was accepted; the central office has not decided yet.
    AwaitingReview,
    Approved,
    Rejected {
        reason: String,
    },
    /// Staff re-opened the candidate for another photo.
    Reopened,
}

impl CandidateStatus {
    /// An approved or pending candidate cannot capture again unless staff re-open them.
    pub fn may_capture(&self) -> bool {
        matches!(
            self,
            Self::NotCaptured | Self::Rejected { .. } | Self::Reopened
        )
    }
}

/// A roster entry (one candidate at one education level) and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub entry: RosterEntry,
    pub status: CandidateStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_candidate_without_a_pending_or_approved_photo_may_capture() {
        assert!(CandidateStatus::NotCaptured.may_capture());
        assert!(CandidateStatus::Reopened.may_capture());
        assert!(
            CandidateStatus::Rejected {
                reason: "eyes closed".into()
            }
            .may_capture()
        );
        assert!(!CandidateStatus::AwaitingReview.may_capture());
        assert!(!CandidateStatus::Approved.may_capture());
    }
}
