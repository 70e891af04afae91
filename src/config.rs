//! Site configuration: one TOML file whose every key is optional. The defaults are
//! embedded (a demo site that is always open), so `capture-kiosk run` works with no file;
//! `assets/config.example.toml` documents every key. A bad file is refused with the key
//! and line that are wrong, never half-applied.

use capture_core::profile::Profile;
use capture_core::session::SessionConfig;
use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The fully documented example; a test keeps it identical to [`Config::default`].
pub const EXAMPLE_TOML: &str = include_str!("../assets/config.example.toml");

/// Where `run` looks for a config file when `--config` is not given.
pub const SYSTEM_CONFIG: &str = "/etc/capture-kiosk/config.toml";

pub use capture_core::lang::{Lang, Localized};

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub kiosk: KioskSection,
    pub campaign: CampaignSection,
    pub identity: IdentitySection,
    pub camera: CameraSection,
    pub staff: StaffSection,
    pub sync: SyncSection,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KioskSection {
    pub id: String,
    pub site_name: Localized,
    /// Absent: `$STATE_DIRECTORY` (systemd), else `~/.local/share/capture-kiosk`.
    pub data_dir: Option<PathBuf>,
    pub default_language: Lang,
    pub idle_timeout_secs: u64,
    pub done_return_secs: u64,
}

impl Default for KioskSection {
    fn default() -> Self {
        Self {
            id: "demo-kiosk-01".into(),
            site_name: Localized::new("演示采集点", "Demo collection point"),
            data_dir: None,
            default_language: Lang::Zh,
            idle_timeout_secs: 90,
            done_return_secs: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignSection {
    pub name: Localized,
    #[serde(deserialize_with = "local_datetime")]
    pub window_start: NaiveDateTime,
    #[serde(deserialize_with = "local_datetime")]
    pub window_end: NaiveDateTime,
    pub help_line: String,
    pub fee_yuan: u32,
    pub photo_profile: String,
    pub max_retakes: u32,
    pub capture_countdown_secs: u64,
    pub auto_capture: bool,
    pub auto_capture_stable_ms: u64,
    /// Days after window_end when the kiosk purges itself (`capture-kiosk purge`); 0: never.
    pub purge_after_days: u32,
}

impl Default for CampaignSection {
    fn default() -> Self {
        let at =
            |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("valid default");
        Self {
            name: Localized::new(
                "高等教育自学考试 毕业/学位照片采集（演示）",
                "Self-study exam graduation / degree photos (demo)",
            ),
            window_start: at("2026-01-01T00:00:00"),
            window_end: at("2036-12-31T23:59:59"),
            help_line: "010-0000-0000".into(),
            fee_yuan: 30,
            photo_profile: "bj-degree".into(),
            max_retakes: 3,
            capture_countdown_secs: 3,
            auto_capture: true,
            auto_capture_stable_ms: 1000,
            purge_after_days: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySection {
    pub admission_number_length: usize,
}

impl Default for IdentitySection {
    fn default() -> Self {
        Self {
            admission_number_length: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraSection {
    /// `auto`, `demo`, `usb:INDEX`, `usb:/dev/v4l/by-id/…` or `replay:DIR`.
    pub source: String,
    pub min_width: u32,
    pub min_height: u32,
    pub reconnect_interval_ms: u64,
}

impl Default for CameraSection {
    fn default() -> Self {
        Self {
            source: "auto".into(),
            min_width: 1280,
            min_height: 720,
            reconnect_interval_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSection {
    pub pin: String,
    pub max_pin_attempts: u32,
    pub lockout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSection {
    /// The central service's base URL; empty: the kiosk keeps everything and sends nothing.
    pub server: String,
    /// This kiosk's bearer token (`capture-central add-kiosk NAME` prints it).
    pub token: String,
    /// Uploads in flight at once.
    pub concurrency: u32,
    /// One request's time limit.
    pub timeout_secs: u64,
    /// Between passes while all is well.
    pub interval_secs: u64,
    /// The longest wait before retrying a failed upload (the wait doubles from 2 s, with jitter).
    pub max_backoff_secs: u64,
    /// Days a photo stays on the kiosk after the service's receipt; then its file is deleted
    /// (the record stays). 0: never delete.
    pub retention_days: u64,
    /// A PEM file of CA certificates to trust for an `https://` server besides the system's
    /// (a site's own CA). Empty: the system's only.
    pub ca_file: String,
}

impl Default for SyncSection {
    fn default() -> Self {
        Self {
            server: String::new(),
            token: String::new(),
            concurrency: 4,
            timeout_secs: 30,
            interval_secs: 30,
            max_backoff_secs: 600,
            retention_days: 30,
            ca_file: String::new(),
        }
    }
}

/// The longest staff PIN.
pub const MAX_PIN_DIGITS: usize = 12;

/// The demo PIN; `doctor` warns while a site still uses it.
pub const DEMO_STAFF_PIN: &str = "2580";

impl Default for StaffSection {
    fn default() -> Self {
        Self {
            pin: DEMO_STAFF_PIN.into(),
            max_pin_attempts: 5,
            lockout_secs: 60,
        }
    }
}

fn local_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
    let dt = toml::value::Datetime::deserialize(d)?;
    if dt.offset.is_some() {
        return Err(serde::de::Error::custom(
            "write the kiosk's local time without an offset, e.g. 2025-06-12T08:30:00",
        ));
    }
    let (Some(date), Some(time)) = (dt.date, dt.time) else {
        return Err(serde::de::Error::custom(
            "needs a date and a time, e.g. 2025-06-12T08:30:00",
        ));
    };
    chrono::NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
        .and_then(|d| {
            d.and_hms_opt(
                time.hour.into(),
                time.minute.into(),
                time.second.unwrap_or(0).into(),
            )
        })
        .ok_or_else(|| serde::de::Error::custom("not a valid date and time"))
}

/// A config file that cannot be used, with where and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: {message}", origin(path), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        path: Option<PathBuf>,
        line: Option<usize>,
        message: String,
    },
}

fn origin(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("config file {}", p.display()),
        None => "config".into(),
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, Some(path))
    }

    /// Parses and validates config text; `path` only labels error messages.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let message = friendlier(e.message().trim());
            ConfigError::Invalid {
                path: path.map(Path::to_owned),
                line,
                message: match line.and_then(|l| key_on_line(text, l)) {
                    Some(key) if !message.contains(&key) => format!("`{key}`: {message}"),
                    _ => message,
                },
            }
        })?;
        config
            .validate()
            .map_err(|(key, message)| ConfigError::Invalid {
                path: path.map(Path::to_owned),
                line: locate_key(text, key),
                message: format!("`{key}` {message}"),
            })?;
        Ok(config)
    }

    /// Checks what the types alone cannot; returns the dotted key and what is wrong.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let c = &self.campaign;
        if c.window_end <= c.window_start {
            return Err((
                "campaign.window_end",
                "must be after campaign.window_start".into(),
            ));
        }
        if Profile::builtin(&c.photo_profile).is_none() {
            return Err((
                "campaign.photo_profile",
                format!(
                    "is {:?}; known profiles: {}",
                    c.photo_profile,
                    capture_core::profile::BUILTIN_IDS.join(", ")
                ),
            ));
        }
        if self.kiosk.id.trim().is_empty()
            || !self
                .kiosk
                .id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        {
            return Err((
                "kiosk.id",
                "must be non-empty and use only letters, digits, '-', '_' and '.'".into(),
            ));
        }
        let pin = &self.staff.pin;
        if pin.len() < 4 || pin.len() > MAX_PIN_DIGITS || !pin.chars().all(|ch| ch.is_ascii_digit())
        {
            return Err(("staff.pin", format!("must be 4 to {MAX_PIN_DIGITS} digits")));
        }
        // Every number a site may tune, with the range that keeps the kiosk usable.
        let ranges: [(&'static str, u64, std::ops::RangeInclusive<u64>, &str); 16] = [
            (
                "sync.concurrency",
                u64::from(self.sync.concurrency),
                1..=32,
                "",
            ),
            (
                "sync.timeout_secs",
                self.sync.timeout_secs,
                2..=600,
                "seconds",
            ),
            (
                "sync.interval_secs",
                self.sync.interval_secs,
                1..=3600,
                "seconds",
            ),
            (
                "sync.max_backoff_secs",
                self.sync.max_backoff_secs,
                2..=86_400,
                "seconds",
            ),
            (
                "sync.retention_days",
                self.sync.retention_days,
                0..=3650,
                "days",
            ),
            (
                "kiosk.idle_timeout_secs",
                self.kiosk.idle_timeout_secs,
                15..=3600,
                "seconds",
            ),
            (
                "kiosk.done_return_secs",
                self.kiosk.done_return_secs,
                5..=600,
                "seconds",
            ),
            (
                "campaign.fee_yuan",
                u64::from(c.fee_yuan),
                0..=100_000,
                "yuan",
            ),
            ("campaign.max_retakes", u64::from(c.max_retakes), 0..=20, ""),
            (
                "campaign.capture_countdown_secs",
                c.capture_countdown_secs,
                0..=30,
                "seconds",
            ),
            (
                "campaign.auto_capture_stable_ms",
                c.auto_capture_stable_ms,
                200..=10_000,
                "milliseconds",
            ),
            (
                "identity.admission_number_length",
                self.identity.admission_number_length as u64,
                4..=32,
                "digits",
            ),
            (
                "camera.reconnect_interval_ms",
                self.camera.reconnect_interval_ms,
                100..=60_000,
                "ms",
            ),
            (
                "camera.min_width",
                u64::from(self.camera.min_width),
                160..=7680,
                "pixels",
            ),
            (
                "staff.max_pin_attempts",
                u64::from(self.staff.max_pin_attempts),
                1..=20,
                "",
            ),
            (
                "staff.lockout_secs",
                self.staff.lockout_secs,
                0..=3600,
                "seconds",
            ),
        ];
        for (key, value, range, unit) in ranges {
            if !range.contains(&value) {
                return Err((
                    key,
                    format!(
                        "is {value}; it must be {} to {} {unit}",
                        range.start(),
                        range.end()
                    )
                    .trim_end()
                    .to_string(),
                ));
            }
        }
        let server = self.sync.server.trim();
        if !server.is_empty() {
            if let Err(why) = check_server_url(server) {
                return Err(("sync.server", why));
            }
            if self.sync.token.trim().is_empty() {
                return Err((
                    "sync.token",
                    "is empty; `capture-central add-kiosk NAME` prints one".into(),
                ));
            }
        }
        if !(120..=4320).contains(&self.camera.min_height) {
            return Err((
                "camera.min_height",
                format!(
                    "is {}; it must be 120 to 4320 pixels",
                    self.camera.min_height
                ),
            ));
        }
        if let Err(e) = self.camera.source.parse::<crate::camera::CameraSpec>() {
            return Err(("camera.source", e.to_string()));
        }
        Ok(())
    }

    /// Whether the automatic purge is due at local time `now`.
    pub fn purge_due(&self, now: NaiveDateTime) -> bool {
        self.campaign.purge_after_days > 0
            && now
                > self.campaign.window_end
                    + chrono::Duration::days(i64::from(self.campaign.purge_after_days))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.kiosk.idle_timeout_secs)
    }

    /// What the candidate flow needs of the site's settings.
    pub fn session(&self) -> SessionConfig {
        SessionConfig {
            window_start: self.campaign.window_start,
            window_end: self.campaign.window_end,
            idle_timeout: self.idle_timeout(),
            done_return: Duration::from_secs(self.kiosk.done_return_secs),
            max_retakes: self.campaign.max_retakes,
            countdown: Duration::from_secs(self.campaign.capture_countdown_secs),
            auto_capture: self.campaign.auto_capture,
            staff_pin: capture_core::session::StaffPin::Plain(self.staff.pin.clone()),
            max_pin_attempts: self.staff.max_pin_attempts.max(1),
            pin_lockout: Duration::from_secs(self.staff.lockout_secs),
        }
    }

    /// The photo profile the campaign names (validated when the config was read).
    pub fn profile(&self) -> Profile {
        Profile::builtin(&self.campaign.photo_profile)
            .expect("campaign.photo_profile was validated when the config was read")
    }

    pub fn uses_demo_pin(&self) -> bool {
        self.staff.pin == DEMO_STAFF_PIN
    }
}

fn line_of(text: &str, byte_offset: usize) -> usize {
    text[..byte_offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key (`section.key`) set on a line, if the line sets one.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate().take(line) {
        let l = raw.trim();
        if let Some(name) = l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if i + 1 == line {
            let key = l.split_once('=')?.0.trim().trim_matches('"');
            return Some(if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            });
        }
    }
    None
}

/// serde's type names, in words a site administrator uses.
fn friendlier(message: &str) -> String {
    message
        .replace("expected u32", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected usize", "expected a whole number")
}

/// The line on which a dotted key (`section.key`) is set, if it is.
fn locate_key(text: &str, dotted: &str) -> Option<usize> {
    let (section, key) = dotted.split_once('.')?;
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
        } else if current == section && line.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            return Some(i + 1);
        }
    }
    None
}

/// `sync.server` must be an `https://` URL, or `http://` to this machine only: over plain
/// HTTP anyone on the network reads the photos and can forge the receipts that make the
/// kiosk count a capture as delivered.
fn check_server_url(server: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(server)
        .map_err(|e| format!("is {server:?}, not a URL ({e}); it must be https://HOST[:PORT]"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(format!(
            "is {server:?}: plain http:// lets anyone on the network read the photos and forge \
             the service's receipts; use https:// (http:// is allowed only for a service on this \
             machine: 127.0.0.1, [::1] or localhost)"
        )),
        _ => Err(format!("is {server:?}; it must start with https://")),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_is_exactly_the_default() {
        let example = Config::parse(EXAMPLE_TOML, None).expect("example parses");
        assert_eq!(example, Config::default());
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(Config::parse("", None).unwrap(), Config::default());
    }

    #[test]
    fn a_wrong_type_names_the_key_and_line() {
        let text = "[kiosk]\nid = \"k1\"\nidle_timeout_secs = \"soon\"\n";
        let err = Config::parse(text, Some(Path::new("site.toml")))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config file site.toml, line 3: `kiosk.idle_timeout_secs`: invalid type: string \"soon\", expected a whole number"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let text = "[campaign]\nfee_yuan = 30\nfee_yaun = 31\n";
        let err = Config::parse(text, None).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("fee_yaun"), "{err}");
    }

    #[test]
    fn a_window_that_ends_before_it_starts_is_refused() {
        let text =
            "[campaign]\nwindow_start = 2025-06-14T08:00:00\nwindow_end = 2025-06-12T17:00:00\n";
        let err = Config::parse(text, None).unwrap_err().to_string();
        assert_eq!(
            err,
            "config, line 3: `campaign.window_end` must be after campaign.window_start"
        );
    }

    #[test]
    fn semantic_errors_name_key_and_line() {
        let err = Config::parse("[kiosk]\ndone_return_secs = 0\n", None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config, line 2: `kiosk.done_return_secs` is 0; it must be 5 to 600 seconds"
        );
        let err = Config::parse("[camera]\nreconnect_interval_ms = 0\n", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config, line 2: `camera.reconnect_interval_ms` is 0"),
            "{err}"
        );
        let err = Config::parse("[staff]\n\npin = \"12a4\"\n", None)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "config, line 3: `staff.pin` must be 4 to 12 digits");
        let err = Config::parse("[campaign]\nphoto_profile = \"passport\"\n", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config, line 2: `campaign.photo_profile` is \"passport\""),
            "{err}"
        );
        let err = Config::parse("[camera]\nsource = \"webcam\"\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config, line 2: `camera.source`"), "{err}");
    }

    #[test]
    fn the_purge_is_due_its_days_after_the_window_and_never_with_0() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
        let text =
            "[campaign]\nwindow_start = 2026-06-01T08:00:00\nwindow_end = 2026-06-30T17:00:00\n";
        let c = Config::parse(text, None).unwrap();
        assert_eq!(c.campaign.purge_after_days, 30);
        assert!(!c.purge_due(at("2026-07-30T17:00:00")));
        assert!(c.purge_due(at("2026-07-30T17:00:01")));
        let never = Config::parse(&format!("{text}purge_after_days = 0\n"), None).unwrap();
        assert!(!never.purge_due(at("2036-01-01T00:00:00")));
    }

    #[test]
    fn plain_http_is_refused_unless_the_service_is_on_this_machine() {
        let with = |server: &str| {
            Config::parse(
                &format!("[sync]\nserver = \"{server}\"\ntoken = \"t\"\n"),
                None,
            )
        };
        for ok in [
            "https://photos.example.edu.cn",
            "https://10.0.0.5:8443/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:8080",
            "http://LOCALHOST:8080",
        ] {
            assert!(with(ok).is_ok(), "{ok}: {:?}", with(ok).err());
        }
        for bad in [
            "http://photos.example.edu.cn",
            "http://10.0.0.5:8080",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
            "http://[::ffff:10.0.0.5]",
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(
                err.contains("`sync.server`") && err.contains("use https://"),
                "{bad}: {err}"
            );
        }
        let err = with("ftp://x").unwrap_err().to_string();
        assert!(err.contains("must start with https://"), "{err}");
        let err = with("photos.example.edu.cn").unwrap_err().to_string();
        assert!(err.contains("not a URL"), "{err}");
    }

    #[test]
    fn window_times_must_be_local() {
        let text = "[campaign]\nwindow_start = 2025-06-12T08:00:00+08:00\n";
        let err = Config::parse(text, None).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("without an offset"),
            "{err}"
        );
    }
}
