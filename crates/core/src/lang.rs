//! The two languages of every screen (Chinese first, English) and the one type for a text
//! in both: a check's title and instruction, a site's name, a sync problem told to staff.
//!
//! ```
//! use capture_core::lang::{Lang, Localized};
//! const HOLD_STILL: Localized = Localized::fixed("请保持不动", "Please hold still");
//! assert_eq!(HOLD_STILL.get(Lang::En), "Please hold still");
//! ```

use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language {other:?}: use zh or en")),
        }
    }
}

/// A text for people, in both languages: fixed in the code (`Localized::fixed`) or read
/// from a config or a profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Localized {
    /// A text written in the code.
    pub const fn fixed(zh: &'static str, en: &'static str) -> Self {
        Self {
            zh: Cow::Borrowed(zh),
            en: Cow::Borrowed(en),
        }
    }

    /// A text made at run time (a config value, a formatted message).
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: Cow::Owned(zh.into()),
            en: Cow::Owned(en.into()),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_reads_from_a_config_and_picks_its_language() {
        let l: Localized = toml::from_str("zh = \"演示\"\nen = \"Demo\"\n").unwrap();
        assert_eq!(l, Localized::fixed("演示", "Demo"));
        assert_eq!(l.get(Lang::Zh), "演示");
        assert!(
            toml::from_str::<Localized>("zh = \"演示\"\n").is_err(),
            "both are needed"
        );
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().unwrap_err().contains("zh or en"));
    }
}
