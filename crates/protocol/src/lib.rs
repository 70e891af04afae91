//! The sync protocol between a kiosk and the central collection service (docs/openapi.yaml)
//! and the files of the offline hand-over: the bodies, shared by the kiosk and the service
//! so the two cannot drift apart. Types and their own checks only: no HTTP, no disk, and
//! nothing else of ours. JSON over HTTP(S), one bearer token per kiosk; every request that
//! creates something is idempotent on the id the kiosk chose.
//!
//! ```
//! use capture_protocol::{CaptureUpload, sha256_hex};
//! let upload = CaptureUpload::sample(b"\xff\xd8jpeg");
//! assert_eq!(upload.verified_photo(upload.id).unwrap(), b"\xff\xd8jpeg");
//! assert_eq!(upload.sha256, sha256_hex(b"\xff\xd8jpeg"));
//! ```

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

/// `PUT /v1/captures/{id}`: one accepted capture, its photo and its compliance report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureUpload {
    /// The id the kiosk gave the capture when the photo was taken (equals the path's id).
    pub id: Uuid,
    pub admission_no: String,
    pub name: String,
    pub education_level: String,
    /// The photo profile the photo was made to (`bj-degree`, `chsi-graduation`).
    pub profile: String,
    /// RFC 3339: when the photo was taken (the kiosk sends UTC; any offset is valid).
    pub taken_at: String,
    pub retakes: u32,
    /// The mobile number the candidate gave (with consent) for the office to reach them
    /// about this photo; absent from kiosks before it travelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Lower-case hex sha256 of the JPEG bytes.
    pub sha256: String,
    /// The final photo's own check, as the kiosk showed it.
    pub checks: Vec<CheckRecord>,
    /// Present when the photo failed a required check and staff accepted it anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_override: Option<StaffOverride>,
    /// The JPEG, base64 (standard alphabet, padded).
    pub photo_base64: String,
}

/// Why staff accepted a photo that fails a required check, entered at the kiosk after the
/// staff PIN. The reviewer sees it beside the photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffOverride {
    pub reason: OverrideReason,
    /// The staff's own words: required for `other`, optional otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The required checks that failed and were overridden (check ids).
    pub checks: Vec<String>,
}

/// The reasons staff can give, as the kiosk lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideReason {
    /// A religious head covering, with the face uncovered and unshadowed.
    ReligiousCovering,
    /// A medical reason (a bandage, a condition that keeps an eye closed, …).
    Medical,
    /// Staff judge that the photo meets the rule and the check is mistaken.
    CheckMistaken,
    /// Something else: the note says what.
    Other,
}

impl OverrideReason {
    pub const ALL: [OverrideReason; 4] = [
        OverrideReason::ReligiousCovering,
        OverrideReason::Medical,
        OverrideReason::CheckMistaken,
        OverrideReason::Other,
    ];

    /// As the protocol and the store write it.
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideReason::ReligiousCovering => "religious_covering",
            OverrideReason::Medical => "medical",
            OverrideReason::CheckMistaken => "check_mistaken",
            OverrideReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<OverrideReason> {
        OverrideReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The longest override note, in characters.
pub const MAX_OVERRIDE_NOTE_CHARS: usize = 200;

impl StaffOverride {
    /// Whether the override is one the kiosk could have made: a note for `other`, no note
    /// longer than [`MAX_OVERRIDE_NOTE_CHARS`] or with control characters, at least one
    /// overridden check, every check id well formed.
    pub fn validate(&self) -> Result<(), UploadError> {
        let note = self.note.as_deref().map(str::trim).unwrap_or("");
        let bad = (self.reason == OverrideReason::Other && note.is_empty())
            || note.chars().count() > MAX_OVERRIDE_NOTE_CHARS
            || note.chars().any(char::is_control)
            || self.checks.is_empty()
            || self.checks.iter().any(|c| {
                c.is_empty()
                    || c.len() > 40
                    || !c
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
            });
        if bad {
            Err(UploadError::Override)
        } else {
            Ok(())
        }
    }
}

/// One check of the compliance report, as `capture-kiosk check --json` prints it. `id` is
/// a check id of the kiosk's catalogue (`face.count`, …); the service keeps what it does not
/// know, so a newer kiosk's checks reach the reviewers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub id: String,
    pub pass: bool,
    pub value: Option<f64>,
    pub limit: String,
    /// The kiosk's profile made this check advisory: a failure was shown, and did not block
    /// the photo. Absent (false) from kiosks older than the distinction: then every check
    /// was required.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
    /// The other measures the check judged by, besides `value`, by name (`mouth.closed`:
    /// `{"teeth": 0.0063}` besides the lips' gap); `null`: not measured. Absent from older
    /// kiosks and for checks of one measure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub also: BTreeMap<String, Option<f64>>,
}

/// What the central service answers for a capture it holds: the proof of delivery. A kiosk
/// counts a capture as uploaded only when `id` and `sha256` are the ones it sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: Uuid,
    pub sha256: String,
    /// RFC 3339 (UTC) of the first time the service received the capture.
    pub received_at: String,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

/// One roster entry as it travels (`GET /v1/roster`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    pub admission_no: String,
    pub name: String,
    pub education_level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `GET /v1/roster?since=V` when the service has a newer version than V: the whole roster
/// of that version (a kiosk replaces its roster with it in one transaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterVersion {
    pub version: i64,
    /// RFC 3339 (UTC).
    pub published_at: String,
    pub entries: Vec<RosterRow>,
}

/// A reviewer's decision on a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approved,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "approved" => Some(Verdict::Approved),
            "rejected" => Some(Verdict::Rejected),
            _ => None,
        }
    }
}

/// One review decision. A later decision on the same capture replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Increases with every decision the service records; the kiosk's cursor.
    pub seq: i64,
    pub capture_id: Uuid,
    pub verdict: Verdict,
    /// Why, for a rejection (shown to the candidate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339 (UTC).
    pub decided_at: String,
}

/// `GET /v1/decisions?since=C`: the decisions on this kiosk's captures after cursor C,
/// oldest first, at most a page; ask again with `cursor` while `more` is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionPage {
    pub decisions: Vec<Decision>,
    /// The `seq` of the last decision in the page (C when the page is empty).
    pub cursor: i64,
    pub more: bool,
}

/// `POST /v1/heartbeat`: how a kiosk is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// capture-kiosk's version.
    pub version: String,
    /// Captures waiting to be uploaded (including refused ones).
    pub queue_length: u64,
    /// Of those, refused by the service and waiting for staff.
    pub refused: u64,
    /// Free bytes on the disk of the data directory (None: could not tell).
    pub free_disk_bytes: Option<u64>,
    /// The camera as the kiosk sees it: "ok", "demo", or what is wrong.
    pub camera: String,
    /// RFC 3339 (the kiosk sends UTC).
    pub sent_at: String,
}

/// `manifest.json` of an offline bundle (`capture-kiosk export`): the captures a kiosk
/// could not send, each in `captures/<id>.json` as the body it would have uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The kiosk's id (`kiosk.id`), as registered with the service.
    pub kiosk: String,
    /// RFC 3339 (the kiosk sends UTC).
    pub created_at: String,
    pub captures: Vec<BundleEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub id: Uuid,
    /// Relative to the bundle folder.
    pub file: String,
    /// sha256 of the photo (as in the capture's body).
    pub sha256: String,
}

pub const BUNDLE_FORMAT: &str = "capture-kiosk-bundle/1";

/// `decisions-<kiosk>.json` (`capture-central export-decisions`): what the service
/// would have told the kiosk online — the receipts of its captures and the decisions on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsFile {
    /// Always [`DECISIONS_FORMAT`].
    pub format: String,
    pub kiosk: String,
    /// RFC 3339 (UTC).
    pub created_at: String,
    pub receipts: Vec<Receipt>,
    /// Every decision on the kiosk's captures, oldest first.
    pub decisions: Vec<Decision>,
}

pub const DECISIONS_FORMAT: &str = "capture-kiosk-decisions/1";

/// The largest photo the service accepts, in bytes (the profiles' windows end at 2 MB).
pub const MAX_PHOTO_BYTES: usize = 4 * 1024 * 1024;
/// The largest request body: the photo in base64 plus the report.
pub const MAX_BODY_BYTES: usize = MAX_PHOTO_BYTES / 3 * 4 + 256 * 1024;

/// Lower-case hex sha256, as every sha256 in the protocol is written.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Standard base64 of the sha256 of `bytes` (a Content-Security-Policy source hash).
pub fn sha256_base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why an upload cannot be taken as it is (the service answers 400 or 413).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("the body's id {body} is not the path's id {path}")]
    IdMismatch { path: Uuid, body: Uuid },
    #[error("photo_base64 is not valid base64: {0}")]
    Base64(String),
    #[error("the photo is {0} bytes; the limit is {MAX_PHOTO_BYTES}")]
    TooLarge(usize),
    #[error("the photo is empty")]
    Empty,
    #[error("sha256 {claimed} does not match the photo's {actual}")]
    Sha256Mismatch { claimed: String, actual: String },
    #[error("mobile is not an 11-digit mobile number")]
    Mobile,
    #[error(
        "staff_override is not valid: a note is needed for \"other\", at most 200 characters; at least one check id"
    )]
    Override,
    /// A field out of its bounds (the field's name and its rule; never its value, which
    /// may be personal data).
    #[error("{field}: {rule}")]
    Field {
        field: &'static str,
        rule: &'static str,
    },
}

/// The bounds of an upload's fields, as a kiosk fills them (a roster row's bounds, the
/// check catalogue's ids): anything past them is not a kiosk's.
pub mod bounds {
    pub const ADMISSION_NO_DIGITS: std::ops::RangeInclusive<usize> = 4..=32;
    pub const NAME_CHARS: usize = 64;
    pub const LEVEL_CHARS: usize = 32;
    pub const PROFILE_CHARS: usize = 32;
    pub const TAKEN_AT_CHARS: usize = 40;
    pub const RETAKES: u32 = 1000;
    pub const CHECKS: usize = 100;
    pub const CHECK_ID_CHARS: usize = 64;
    pub const CHECK_LIMIT_CHARS: usize = 200;
    pub const CHECK_ALSO: usize = 16;
}

impl CaptureUpload {
    /// Every field but the photo within [`bounds`].
    pub fn check_fields(&self) -> Result<(), UploadError> {
        use bounds::*;
        let field = |field, rule| Err(UploadError::Field { field, rule });
        let text_ok = |s: &str, max: usize| {
            let s = s.trim();
            !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
        };
        if !ADMISSION_NO_DIGITS.contains(&self.admission_no.len())
            || !self.admission_no.bytes().all(|b| b.is_ascii_digit())
        {
            return field("admission_no", "must be 4 to 32 digits");
        }
        if !text_ok(&self.name, NAME_CHARS) {
            return field("name", "must be 1 to 64 characters, no control characters");
        }
        if !text_ok(&self.education_level, LEVEL_CHARS) {
            return field(
                "education_level",
                "must be 1 to 32 characters, no control characters",
            );
        }
        if self.profile.is_empty()
            || self.profile.len() > PROFILE_CHARS
            || !self
                .profile
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return field("profile", "must be 1 to 32 of a-z, 0-9 and '-'");
        }
        if !looks_like_rfc3339(&self.taken_at) || self.taken_at.len() > TAKEN_AT_CHARS {
            return field("taken_at", "must be an RFC 3339 date and time");
        }
        if self.retakes > RETAKES {
            return field("retakes", "must be at most 1000");
        }
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return field("sha256", "must be 64 hex digits");
        }
        if self.checks.len() > CHECKS {
            return field("checks", "at most 100");
        }
        for c in &self.checks {
            if c.id.is_empty()
                || c.id.len() > CHECK_ID_CHARS
                || !c
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
            {
                return field("checks[].id", "must be 1 to 64 of a-z, 0-9, '.' and '_'");
            }
            if c.limit.chars().count() > CHECK_LIMIT_CHARS || c.limit.chars().any(char::is_control)
            {
                return field(
                    "checks[].limit",
                    "at most 200 characters, no control characters",
                );
            }
            if c.value.is_some_and(|v| !v.is_finite())
                || c.also.len() > CHECK_ALSO
                || c.also.keys().any(|k| !text_ok(k, CHECK_ID_CHARS))
                || c.also.values().flatten().any(|v| !v.is_finite())
            {
                return field(
                    "checks[].also",
                    "at most 16 finite measures named in at most 64 characters",
                );
            }
        }
        Ok(())
    }
}

/// A heartbeat's camera text, at most (a kiosk cuts a longer one).
pub const MAX_CAMERA_CHARS: usize = 200;

/// The largest heartbeat body the service reads.
pub const MAX_HEARTBEAT_BYTES: usize = 4096;

impl Heartbeat {
    /// Every field within what a kiosk sends.
    pub fn check_fields(&self) -> Result<(), UploadError> {
        let field = |field, rule| Err(UploadError::Field { field, rule });
        if self.version.is_empty()
            || self.version.len() > 32
            || !self
                .version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b))
        {
            return field(
                "version",
                "must be 1 to 32 of A-Z, a-z, 0-9, '.', '+' and '-'",
            );
        }
        if self.camera.chars().count() > MAX_CAMERA_CHARS
            || self.camera.chars().any(char::is_control)
        {
            return field("camera", "at most 200 characters, no control characters");
        }
        if !looks_like_rfc3339(&self.sent_at) || self.sent_at.len() > bounds::TAKEN_AT_CHARS {
            return field("sent_at", "must be an RFC 3339 date and time");
        }
        Ok(())
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, each part's range checked (the service keeps
/// the text; this keeps out what no kiosk sends).
fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    if b[13] != b':' || b[16] != b':' {
        return false;
    }
    let ok = num(0..4).is_some()
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d))
        && num(11..13).is_some_and(|h| h < 24)
        && num(14..16).is_some_and(|m| m < 60)
        && num(17..19).is_some_and(|s| s <= 60);
    if !ok {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return false;
        }
        rest = &frac[digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', _, _, b':', _, _] => {
            num(s.len() - 5..s.len() - 3).is_some_and(|h| h < 24)
                && num(s.len() - 2..s.len()).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

impl CaptureUpload {
    /// The JPEG bytes, checked against the path's id, the size limit and the sha256, with
    /// every other field within its bounds ([`CaptureUpload::check_fields`]).
    pub fn verified_photo(&self, path_id: Uuid) -> Result<Vec<u8>, UploadError> {
        use base64::Engine;
        if self.id != path_id {
            return Err(UploadError::IdMismatch {
                path: path_id,
                body: self.id,
            });
        }
        self.check_fields()?;
        let photo = base64::engine::general_purpose::STANDARD
            .decode(self.photo_base64.as_bytes())
            .map_err(|e| UploadError::Base64(e.to_string()))?;
        if photo.is_empty() {
            return Err(UploadError::Empty);
        }
        if photo.len() > MAX_PHOTO_BYTES {
            return Err(UploadError::TooLarge(photo.len()));
        }
        let actual = sha256_hex(&photo);
        if actual != self.sha256.to_ascii_lowercase() {
            return Err(UploadError::Sha256Mismatch {
                claimed: self.sha256.clone(),
                actual,
            });
        }
        if let Some(m) = &self.mobile
            && !(m.len() == 11 && m.starts_with('1') && m.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(UploadError::Mobile);
        }
        if let Some(o) = &self.staff_override {
            o.validate()?;
        }
        Ok(photo)
    }

    /// A well-formed upload of `photo` for a made-up candidate (tests and examples).
    #[doc(hidden)]
    pub fn sample(photo: &[u8]) -> CaptureUpload {
        CaptureUpload {
            id: Uuid::new_v4(),
            admission_no: "000011110001".into(),
            name: "王小明".into(),
            education_level: "本科".into(),
            profile: "bj-degree".into(),
            taken_at: "2026-11-21T09:30:00+08:00".into(),
            retakes: 0,
            mobile: Some("13800000001".into()),
            sha256: sha256_hex(photo),
            checks: vec![CheckRecord {
                id: "pose.roll".into(),
                pass: true,
                value: Some(1.5),
                limit: "|roll| ≤ 5°".into(),
                advisory: false,
                also: BTreeMap::new(),
            }],
            staff_override: None,
            photo_base64: CaptureUpload::encode_photo(photo),
        }
    }

    pub fn encode_photo(jpeg: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checks_further_measures_travel_and_an_older_kiosks_record_has_none() {
        let old: CheckRecord = serde_json::from_str(
            r#"{"id":"mouth.closed","pass":true,"value":0.01,"limit":"≤ 0.08"}"#,
        )
        .unwrap();
        assert!(old.also.is_empty() && !old.advisory);
        assert!(!serde_json::to_string(&old).unwrap().contains("also"));
        let new: CheckRecord = serde_json::from_str(
            r#"{"id":"ears.visible","pass":false,"value":0.0,"limit":"…","also":{"skin":0.07,"other":null}}"#,
        )
        .unwrap();
        assert_eq!(new.also["skin"], Some(0.07));
        assert_eq!(new.also["other"], None);
        let again: CheckRecord =
            serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(again, new);
    }

    #[test]
    fn a_good_upload_gives_back_its_photo() {
        let u = CaptureUpload::sample(b"\xff\xd8jpeg");
        assert_eq!(u.verified_photo(u.id).unwrap(), b"\xff\xd8jpeg");
        let json = serde_json::to_string(&u).unwrap();
        assert_eq!(serde_json::from_str::<CaptureUpload>(&json).unwrap(), u);
    }

    #[test]
    fn a_wrong_id_hash_or_encoding_is_refused() {
        let u = CaptureUpload::sample(b"photo");
        assert!(matches!(
            u.verified_photo(Uuid::new_v4()),
            Err(UploadError::IdMismatch { .. })
        ));
        let mut lied = u.clone();
        lied.sha256 = sha256_hex(b"other");
        assert!(matches!(
            lied.verified_photo(u.id),
            Err(UploadError::Sha256Mismatch { .. })
        ));
        let mut garbled = u.clone();
        garbled.photo_base64 = "not base64!".into();
        assert!(matches!(
            garbled.verified_photo(u.id),
            Err(UploadError::Base64(_))
        ));
        let mut typo = u.clone();
        typo.mobile = Some("1380000000x".into());
        assert_eq!(typo.verified_photo(u.id), Err(UploadError::Mobile));
        let mut without = u.clone();
        without.mobile = None;
        assert!(
            without.verified_photo(u.id).is_ok(),
            "kiosks before 0.1 sent none"
        );
        let empty = CaptureUpload::sample(b"");
        assert_eq!(empty.verified_photo(empty.id), Err(UploadError::Empty));
        let big = CaptureUpload::sample(&vec![0u8; MAX_PHOTO_BYTES + 1]);
        assert!(matches!(
            big.verified_photo(big.id),
            Err(UploadError::TooLarge(_))
        ));
    }

    #[test]
    fn every_field_past_what_a_kiosk_sends_is_refused_without_echoing_it() {
        let photo = b"\xff\xd8\xffphoto";
        let good = CaptureUpload::sample(photo);
        assert!(good.verified_photo(good.id).is_ok());
        // Kiosk-made variants that must pass.
        for taken_at in [
            "2026-11-21T01:30:00Z",
            "2026-11-21T09:29:59.500+08:00",
            "2026-11-21T09:29:59.123456789-05:30",
        ] {
            let mut u = good.clone();
            u.taken_at = taken_at.into();
            assert!(u.check_fields().is_ok(), "{taken_at}");
        }
        let long = "王".repeat(65);
        let cases: Vec<(&str, Box<dyn Fn(&mut CaptureUpload)>)> = vec![
            (
                "admission_no",
                Box::new(|u| u.admission_no = "../000011110001".into()),
            ),
            (
                "admission_no",
                Box::new(|u| u.admission_no = "1".repeat(100_000)),
            ),
            ("admission_no", Box::new(|u| u.admission_no = "123".into())),
            (
                "admission_no",
                Box::new(|u| u.admission_no = "０００011110001".into()),
            ),
            ("name", Box::new(|u| u.name = "  ".into())),
            ("name", Box::new(move |u| u.name = long.clone())),
            ("name", Box::new(|u| u.name = "王\u{0}小明".into())),
            (
                "education_level",
                Box::new(|u| u.education_level = "本\n科".into()),
            ),
            ("profile", Box::new(|u| u.profile = "../bj".into())),
            ("taken_at", Box::new(|u| u.taken_at = "yesterday".into())),
            (
                "taken_at",
                Box::new(|u| u.taken_at = "2026-13-21T09:30:00Z".into()),
            ),
            (
                "taken_at",
                Box::new(|u| u.taken_at = "2026-11-21T09:30:00+08:00x".into()),
            ),
            ("retakes", Box::new(|u| u.retakes = u32::MAX)),
            ("sha256", Box::new(|u| u.sha256 = "=HYPERLINK(1)".into())),
            (
                "checks",
                Box::new(|u| u.checks = vec![u.checks[0].clone(); 101]),
            ),
            (
                "checks[].id",
                Box::new(|u| u.checks[0].id = "<script>".into()),
            ),
            (
                "checks[].limit",
                Box::new(|u| u.checks[0].limit = "x".repeat(201)),
            ),
            (
                "checks[].also",
                Box::new(|u| {
                    u.checks[0].also.insert("teeth".into(), Some(f64::NAN));
                }),
            ),
        ];
        for (field, spoil) in cases {
            let mut u = good.clone();
            spoil(&mut u);
            let err = u.verified_photo(u.id).unwrap_err();
            assert!(
                matches!(err, UploadError::Field { field: f, .. } if f == field),
                "{field}: {err}"
            );
            assert!(err.to_string().starts_with(field), "{err}");
            assert!(
                err.to_string().len() < 100,
                "the value is not echoed: {err}"
            );
        }
    }

    #[test]
    fn a_staff_override_travels_and_a_malformed_one_is_refused() {
        let mut u = CaptureUpload::sample(b"photo");
        let good = StaffOverride {
            reason: OverrideReason::ReligiousCovering,
            note: None,
            checks: vec!["head.covering".into()],
        };
        u.staff_override = Some(good.clone());
        assert!(u.verified_photo(u.id).is_ok());
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(json["staff_override"]["reason"], "religious_covering");
        assert_eq!(json["staff_override"].get("note"), None);
        let back: CaptureUpload = serde_json::from_value(json).unwrap();
        assert_eq!(back.staff_override, Some(good.clone()));
        for bad in [
            // "other" without words
            StaffOverride {
                reason: OverrideReason::Other,
                note: Some("  ".into()),
                ..good.clone()
            },
            StaffOverride {
                note: Some("x".repeat(MAX_OVERRIDE_NOTE_CHARS + 1)),
                ..good.clone()
            },
            StaffOverride {
                note: Some("line\u{7}bell".into()),
                ..good.clone()
            },
            StaffOverride {
                checks: vec![],
                ..good.clone()
            },
            StaffOverride {
                checks: vec!["<script>".into()],
                ..good.clone()
            },
        ] {
            u.staff_override = Some(bad.clone());
            assert_eq!(
                u.verified_photo(u.id),
                Err(UploadError::Override),
                "{bad:?}"
            );
        }
        let mut v = serde_json::to_value(CaptureUpload::sample(b"x")).unwrap();
        v["staff_override"] = serde_json::json!({"reason": "bribe", "checks": ["face.count"]});
        assert!(
            serde_json::from_value::<CaptureUpload>(v).is_err(),
            "an unknown reason"
        );
        for r in OverrideReason::ALL {
            assert_eq!(OverrideReason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(CaptureUpload::sample(b"x")).unwrap();
        v["surprise"] = 1.into();
        assert!(serde_json::from_value::<CaptureUpload>(v).is_err());
    }
}
