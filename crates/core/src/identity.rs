//! Who a candidate is: admission numbers (准考证号), names and mobile numbers as typed at
//! the kiosk or read from a roster — normalised, validated, matched and masked for display.
//! Pure functions only; looking a candidate up is the store's job.
//!
//! ```
//! use capture_core::identity::{AdmissionNumber, name_matches};
//! assert_eq!(AdmissionNumber::parse("０１１１ 2345 6789", 12).unwrap().as_str(), "011123456789");
//! assert!(name_matches("张伟", "zhang wei"));
//! ```

use pinyin::ToPinyinMulti;
use std::fmt;

/// A validated admission number: ASCII digits only, of the site's configured length.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdmissionNumber(String);

/// Why typed or imported text is not an admission number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionNumberError {
    #[error("the admission number is empty")]
    Empty,
    #[error("the admission number may contain only digits, found {0:?}")]
    NotADigit(char),
    #[error("the admission number has {found} digits, this site expects {expected}")]
    WrongLength { found: usize, expected: usize },
}

impl AdmissionNumber {
    /// Normalises (full-width digits to ASCII, spaces removed) and validates.
    pub fn parse(raw: &str, expected_len: usize) -> Result<Self, AdmissionNumberError> {
        let normalised = normalise_digits(raw);
        if normalised.is_empty() {
            return Err(AdmissionNumberError::Empty);
        }
        if let Some(bad) = normalised.chars().find(|c| !c.is_ascii_digit()) {
            return Err(AdmissionNumberError::NotADigit(bad));
        }
        let found = normalised.len();
        if found != expected_len {
            return Err(AdmissionNumberError::WrongLength {
                found,
                expected: expected_len,
            });
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `0111****6789`: enough for a candidate to recognise, too little to copy.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 4, 4)
    }
}

// Admission numbers are personal data: never print them by accident.
impl fmt::Debug for AdmissionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdmissionNumber({})", self.masked())
    }
}

/// Full-width digits (`０`–`９`) become ASCII; all whitespace (including the ideographic
/// space U+3000) is removed. Everything else is kept so that validation can name it.
pub fn normalise_digits(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect()
}

/// Splits what a USB barcode scanner typed into a text field: a scanner "types" the
/// admission number, so a run of digits in a name field is really the number.
/// Returns (digits, the rest).
pub fn split_scanned(text: &str) -> (String, String) {
    let normalised: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect();
    let digits = normalised.chars().filter(char::is_ascii_digit).collect();
    let rest = normalised.chars().filter(|c| !c.is_ascii_digit()).collect();
    (digits, rest)
}

/// What typing one more digit into a full field does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Start over with the new digit: a barcode scanner scanning the next admission number.
    StartOver,
    /// Ignore the digit (mobile numbers, PINs).
    Ignore,
}

/// `text` with `digit` typed at its end, at most `max` digits. Anything but a digit
/// (full-width digits count) leaves `text` as it is.
pub fn type_digit(text: &str, digit: &str, max: usize, when_full: WhenFull) -> String {
    let digit = normalise_digits(digit);
    if digit.len() != 1 || !digit.chars().all(|c| c.is_ascii_digit()) {
        return text.to_string();
    }
    match (text.chars().count() >= max, when_full) {
        (false, _) => format!("{text}{digit}"),
        (true, WhenFull::StartOver) => digit,
        (true, WhenFull::Ignore) => text.to_string(),
    }
}

/// The digits in a mobile number.
pub const MOBILE_DIGITS: usize = 11;

/// A mainland China mobile number: 11 digits starting with 13–19.
#[derive(Clone, PartialEq, Eq)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    #[error("the mobile number is empty")]
    Empty,
    #[error("a mobile number has 11 digits and starts with 13–19")]
    Invalid,
}

impl MobileNumber {
    pub fn parse(raw: &str) -> Result<Self, MobileNumberError> {
        let digits: String = normalise_digits(raw)
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if digits.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .or_else(|| {
                if digits.len() == 13 {
                    digits.strip_prefix("86")
                } else {
                    None
                }
            })
            .unwrap_or(&digits)
            .to_string();
        let valid = digits.len() == MOBILE_DIGITS
            && digits.chars().all(|c| c.is_ascii_digit())
            && digits.as_bytes()[0] == b'1'
            && (b'3'..=b'9').contains(&digits.as_bytes()[1]);
        if valid {
            Ok(Self(digits))
        } else {
            Err(MobileNumberError::Invalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

/// Personal data (a name, a typed number, a PIN) carried through events and states: its
/// `Debug` shows only that something is there, so a stray `{:?}` cannot log it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Private<T>(pub T);

impl<T> fmt::Debug for Private<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Private(…)")
    }
}

impl<T> std::ops::Deref for Private<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl From<&str> for Private<String> {
    fn from(s: &str) -> Self {
        Private(s.to_string())
    }
}

impl From<String> for Private<String> {
    fn from(s: String) -> Self {
        Private(s)
    }
}

fn mask_middle(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_start].iter().collect();
    out.extend(std::iter::repeat_n(
        '*',
        chars.len() - keep_start - keep_end,
    ));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// `张*明`, `王*`, `欧**华`: the first and (for three or more characters) the last
/// character stay; separators such as `·` stay so the shape is recognisable.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if i == 0 || i == n - 1 || is_name_separator(c) {
                    c
                } else {
                    '*'
                }
            })
            .collect(),
    }
}

fn is_name_separator(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | '.' | '-' | '\'') || c.is_whitespace()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Does what the candidate typed match the roster name?
///
/// A touch kiosk has no input method, so the name may be typed as pinyin on the on-screen
/// keyboard (`zhangwei`, `Zhang Wei`, `lv`/`lu` for 吕); every reading of a polyphonic
/// character counts (单 = dan/shan/chan). Chinese characters typed with a real keyboard
/// and IME are compared exactly. Case, spaces, `·` and apostrophes never matter.
pub fn name_matches(roster_name: &str, typed: &str) -> bool {
    let typed = typed.trim();
    if typed.is_empty() {
        return false;
    }
    if typed.chars().any(is_cjk) {
        let strip = |s: &str| -> String { s.chars().filter(|c| !is_name_separator(*c)).collect() };
        return strip(roster_name) == strip(typed);
    }
    let letters: Vec<u8> = typed
        .chars()
        .filter(|c| !is_name_separator(*c))
        .flat_map(|c| match c {
            'ü' | 'Ü' => Some(b'v'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase() as u8),
            _ => None,
        })
        .collect();
    let typed_len = typed.chars().filter(|c| !is_name_separator(*c)).count();
    if letters.len() != typed_len {
        return false; // something that is neither a letter nor a separator
    }
    let units: Vec<NameUnit> = roster_name
        .trim()
        .chars()
        .filter(|c| !is_name_separator(*c))
        .map(NameUnit::of)
        .collect();
    if units.is_empty() {
        return false;
    }
    // reachable[i]: the first i typed letters are exactly covered by a prefix of the units.
    let mut reachable = vec![false; letters.len() + 1];
    reachable[0] = true;
    for unit in &units {
        let mut next = vec![false; letters.len() + 1];
        for start in (0..=letters.len()).filter(|&i| reachable[i]) {
            for len in unit.match_lengths(&letters[start..]) {
                next[start + len] = true;
            }
        }
        reachable = next;
    }
    reachable[letters.len()]
}

/// One character of a roster name, as letters it may be typed with.
enum NameUnit {
    Readings(Vec<String>),
    Letter(u8),
    /// A character with no known reading (rare characters): any one syllable.
    Unknown,
}

impl NameUnit {
    fn of(c: char) -> Self {
        if c.is_ascii_alphabetic() {
            return NameUnit::Letter(c.to_ascii_lowercase() as u8);
        }
        match c.to_pinyin_multi() {
            Some(multi) => {
                let mut readings = Vec::new();
                for i in 0..multi.count() {
                    let plain = multi.get(i).plain();
                    // ü may be typed as v (the pinyin keyboard convention) or as u.
                    for variant in [plain.replace('ü', "v"), plain.replace('ü', "u")] {
                        if !readings.contains(&variant) {
                            readings.push(variant);
                        }
                    }
                }
                NameUnit::Readings(readings)
            }
            None => NameUnit::Unknown,
        }
    }

    /// How many of the given letters this unit can consume.
    fn match_lengths(&self, letters: &[u8]) -> Vec<usize> {
        match self {
            NameUnit::Letter(l) => {
                if letters.first() == Some(l) {
                    vec![1]
                } else {
                    vec![]
                }
            }
            NameUnit::Readings(readings) => readings
                .iter()
                .filter(|r| letters.starts_with(r.as_bytes()))
                .map(|r| r.len())
                .collect(),
            NameUnit::Unknown => (1..=letters.len().min(6)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_number_accepts_full_width_digits_and_spaces() {
        let n = AdmissionNumber::parse("０１１１　2345 678９", 12).unwrap();
        assert_eq!(n.as_str(), "011123456789");
    }

    #[test]
    fn admission_number_rejects_letters_and_wrong_length() {
        assert_eq!(
            AdmissionNumber::parse("01112345678A", 12),
            Err(AdmissionNumberError::NotADigit('A'))
        );
        assert_eq!(
            AdmissionNumber::parse("0111234567", 12),
            Err(AdmissionNumberError::WrongLength {
                found: 10,
                expected: 12
            })
        );
        assert_eq!(
            AdmissionNumber::parse("  ", 12),
            Err(AdmissionNumberError::Empty)
        );
    }

    #[test]
    fn debug_output_never_shows_the_whole_number() {
        let n = AdmissionNumber::parse("011123456789", 12).unwrap();
        assert_eq!(format!("{n:?}"), "AdmissionNumber(0111****6789)");
        let m = MobileNumber::parse("13812345678").unwrap();
        assert_eq!(format!("{m:?}"), "MobileNumber(138****5678)");
    }

    #[test]
    fn private_values_do_not_show_in_debug_output() {
        let p: Private<String> = "王小明".into();
        assert_eq!(format!("{p:?}"), "Private(…)");
        assert_eq!(p.as_str(), "王小明");
    }

    #[test]
    fn mobile_numbers_are_validated() {
        assert_eq!(
            MobileNumber::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            MobileNumber::parse("+86 13812345678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            MobileNumber::parse("１３８１２３４５６７８")
                .unwrap()
                .as_str(),
            "13812345678"
        );
        assert_eq!(
            MobileNumber::parse("12812345678"),
            Err(MobileNumberError::Invalid)
        );
        assert_eq!(
            MobileNumber::parse("1381234567"),
            Err(MobileNumberError::Invalid)
        );
        assert_eq!(MobileNumber::parse(""), Err(MobileNumberError::Empty));
    }

    #[test]
    fn names_are_masked() {
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("王小明"), "王*明");
        assert_eq!(mask_name("欧阳春华"), "欧**华");
        assert_eq!(mask_name("买买提·艾力"), "买**·*力");
        assert_eq!(mask_name("李"), "*");
    }

    #[test]
    fn pinyin_matches_the_roster_name() {
        assert!(name_matches("张伟", "zhangwei"));
        assert!(name_matches("张伟", "Zhang Wei"));
        assert!(name_matches("王小明", "wang xiao ming"));
        assert!(!name_matches("张伟", "zhangwe"));
        assert!(!name_matches("张伟", "wangwei"));
        assert!(!name_matches("张伟", ""));
    }

    #[test]
    fn polyphonic_surnames_match_every_reading() {
        assert!(name_matches("单田芳", "shantianfang"));
        assert!(name_matches("曾国藩", "zengguofan"));
        assert!(name_matches("吕布", "lvbu"));
        assert!(name_matches("吕布", "lubu"));
    }

    #[test]
    fn chinese_characters_match_exactly() {
        assert!(name_matches("王小明", "王小明"));
        assert!(name_matches("王小明", " 王 小明 "));
        assert!(!name_matches("王小明", "王晓明"));
        assert!(name_matches("买买提·艾力", "买买提艾力"));
    }

    #[test]
    fn typing_digits_respects_the_field() {
        assert_eq!(type_digit("0111", "2", 12, WhenFull::StartOver), "01112");
        assert_eq!(
            type_digit("011123456789", "5", 12, WhenFull::StartOver),
            "5",
            "a new scan starts over"
        );
        assert_eq!(
            type_digit("13812345678", "9", 11, WhenFull::Ignore),
            "13812345678"
        );
        assert_eq!(
            type_digit("138", "５", 11, WhenFull::Ignore),
            "1385",
            "full-width digits count"
        );
        assert_eq!(type_digit("138", "a", 11, WhenFull::Ignore), "138");
        assert_eq!(type_digit("138", "12", 11, WhenFull::Ignore), "138");
    }

    #[test]
    fn digits_in_a_name_field_are_the_scanned_number() {
        let (digits, rest) = split_scanned("wang０１１１23456789");
        assert_eq!(digits, "011123456789");
        assert_eq!(rest, "wang");
    }
}
