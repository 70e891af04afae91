//! `capture-kiosk doctor`: checks what the kiosk needs — config, data directory, free
//! disk, database, roster, outbox, the central service, cameras and their modes, a display —
//! and says what to fix. Read-only except that it creates the data directory and database if
//! they are missing.
//!
//! Two kinds of finding: what keeps the kiosk from capturing at all (a config it cannot read,
//! no writable data directory, a database it cannot open or that is damaged: `ERROR`, exit
//! status 1 — the systemd unit does not start the kiosk), and what it can capture with but
//! staff should fix (the service refusing the token or out of reach, a photo file missing,
//! the demo camera, little disk left: `warn`, exit status 0).

use crate::camera::usb::{camera_modes, choose_mode, list_cameras};
use crate::config::{Config, SyncSection};
use crate::store::{Store, StoreError};
use crate::sync::SyncProblem;
use capture_durable::human_bytes;
use std::path::Path;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    /// The kiosk can capture; staff should fix this.
    Warn,
    /// The kiosk cannot capture until this is fixed.
    Error,
}

/// What `doctor` is asked to check.
pub struct Options {
    /// The config as loaded (an error is reported, and the defaults checked instead), and
    /// where it came from.
    pub config: Result<(Config, String), anyhow::Error>,
    pub data_dir: std::path::PathBuf,
    /// Do not ask the central service (the unit's check before each start: it must not wait
    /// for a network that may be down).
    pub offline: bool,
}

struct Report {
    worst: Level,
}

impl Report {
    fn line(&mut self, topic: &str, level: Level, text: impl AsRef<str>) {
        let tag = match level {
            Level::Ok => "ok   ",
            Level::Warn => "warn ",
            Level::Error => "ERROR",
        };
        println!("{topic:<10} {tag}  {}", text.as_ref());
        self.worst = self.worst.max(level);
    }
}

pub fn run(opts: Options) -> ExitCode {
    let mut r = Report { worst: Level::Ok };
    let data_dir = opts.data_dir.as_path();
    println!("capture-kiosk {} doctor", env!("CARGO_PKG_VERSION"));
    let config = match opts.config {
        Ok((c, source)) => {
            r.line(
                "config",
                Level::Ok,
                format!(
                    "{source} (kiosk {}, profile {})",
                    c.kiosk.id, c.campaign.photo_profile
                ),
            );
            c
        }
        Err(e) => {
            r.line(
                "config",
                Level::Error,
                format!("{e:#}; the checks below use the built-in defaults"),
            );
            Config::default()
        }
    };
    let config = &config;

    let now = chrono::Local::now().naive_local();
    if now < config.campaign.window_start || now > config.campaign.window_end {
        r.line(
            "",
            Level::Warn,
            format!(
                "now is outside the collection window ({} – {}): candidates will see the window page",
                config.campaign.window_start, config.campaign.window_end
            ),
        );
    }

    match Store::open(data_dir) {
        Ok(store) => {
            r.line(
                "data dir",
                Level::Ok,
                format!("{} (writable)", data_dir.display()),
            );
            check_disk(&mut r, data_dir);
            check_database(&mut r, &store);
            check_outbox(&mut r, &store);
            check_staff_pin(&mut r, config, &store);
        }
        Err(e @ (StoreError::Open(_) | StoreError::Sqlite(_))) => {
            r.line(
                "data dir",
                Level::Ok,
                format!("{} (writable)", data_dir.display()),
            );
            r.line(
                "database",
                Level::Error,
                format!(
                    "{e}; move {} aside (keep it for the central office) to start a new one",
                    data_dir.join(crate::store::DB_FILE).display()
                ),
            );
        }
        Err(e) => r.line("data dir", Level::Error, e.to_string()),
    }
    if opts.offline {
        r.line(
            "sync",
            Level::Ok,
            "not asked (--offline): the kiosk captures with or without the central service",
        );
    } else {
        check_sync(&mut r, &config.sync);
    }
    check_cameras(&mut r, config.camera.min_width, config.camera.min_height);
    match (std::env::var("WAYLAND_DISPLAY"), std::env::var("DISPLAY")) {
        (Ok(w), _) => r.line("display", Level::Ok, format!("Wayland ({w})")),
        (_, Ok(d)) => r.line("display", Level::Ok, format!("X11 (DISPLAY={d})")),
        _ => r.line(
            "display",
            Level::Warn,
            "no display: `run` needs X11 or Wayland (on the kiosk: the systemd unit starts it under the cage compositor)",
        ),
    }
    r.line(
        "fonts",
        Level::Ok,
        "built in (WenQuanYi Micro Hei): Chinese renders without system fonts",
    );

    match r.worst {
        Level::Ok => {
            println!("All good.");
            ExitCode::SUCCESS
        }
        Level::Warn => {
            println!("The kiosk can capture; staff should fix the warnings above.");
            ExitCode::SUCCESS
        }
        Level::Error => {
            println!("The kiosk cannot capture until the errors above are fixed.");
            ExitCode::FAILURE
        }
    }
}

/// Which PIN opens the staff screens: one set with `staff set-pin` (argon2id), else the
/// config's in plain text; the demo PIN with a central service stops the kiosk.
fn check_staff_pin(r: &mut Report, config: &Config, store: &Store) {
    let set_pin = "`capture-kiosk staff set-pin`";
    match store.staff_pin_hash() {
        Ok(Some(_)) => r.line(
            "staff PIN",
            Level::Ok,
            "set with staff set-pin (kept as an argon2id hash)",
        ),
        Ok(None) if config.uses_demo_pin() && !config.sync.server.trim().is_empty() => r.line(
            "staff PIN",
            Level::Error,
            format!(
                "the demo PIN, and a central service is configured: the kiosk will not start; \
                 set one with {set_pin}"
            ),
        ),
        Ok(None) if config.uses_demo_pin() => r.line(
            "staff PIN",
            Level::Warn,
            format!("the demo PIN: set one with {set_pin}"),
        ),
        Ok(None) => r.line(
            "staff PIN",
            Level::Warn,
            format!(
                "[staff] pin, in plain text in the config: set it with {set_pin}, then remove \
                 that line"
            ),
        ),
        Err(e) => r.line("staff PIN", Level::Error, format!("cannot be read: {e}")),
    }
}

fn check_outbox(r: &mut Report, store: &Store) {
    match store.outbox_counts() {
        Ok(c) => r.line(
            "outbox",
            if c.failed > 0 { Level::Warn } else { Level::Ok },
            format!(
                "{} waiting ({} refused by the service{}), {} uploaded; last receipt {}",
                c.pending,
                c.failed,
                if c.failed > 0 {
                    ": see `capture-kiosk sync --once`, then --retry-refused"
                } else {
                    ""
                },
                c.uploaded,
                c.last_upload
                    .as_deref()
                    .map_or("never".into(), crate::store::local_time)
            ),
        ),
        Err(e) => r.line("outbox", Level::Error, e.to_string()),
    }
}

/// Whether the central service answers and takes this kiosk's token (a request that
/// changes nothing: the roster after the newest possible version). Whatever it says, the
/// kiosk captures: the captures wait in the outbox.
fn check_sync(r: &mut Report, sync: &SyncSection) {
    if sync.server.trim().is_empty() {
        return r.line(
            "sync",
            Level::Warn,
            "off: no [sync] server; captures stay on this kiosk (`capture-kiosk export` hands them over)",
        );
    }
    let probe = crate::sync::Client::new(sync).and_then(|client| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(runtime.block_on(client.roster_since(i64::MAX)))
    });
    let server = sync.server.trim();
    let waiting = "captures wait in the outbox";
    match probe {
        Ok(Ok(_)) => r.line(
            "sync",
            Level::Ok,
            format!("{server}: reachable, this kiosk's token accepted"),
        ),
        Ok(Err(why @ SyncProblem::TokenRefused { .. })) => r.line(
            "sync",
            Level::Warn,
            format!(
                "{server} does not accept this kiosk's token (revoked, or mistyped): check [sync] \
                 token; {waiting} ({why})"
            ),
        ),
        Ok(Err(why)) => r.line(
            "sync",
            Level::Warn,
            format!("{server}: {why}; {waiting} until it answers"),
        ),
        Err(e) => r.line(
            "sync",
            Level::Warn,
            format!("{e:#}: the kiosk cannot sync; {waiting}"),
        ),
    }
}

fn check_disk(r: &mut Report, data_dir: &Path) {
    match capture_durable::free_space(data_dir) {
        Ok(free) if free < crate::store::LOW_DISK_BYTES => r.line(
            "free disk",
            Level::Warn,
            format!("{} free: make room before a busy day", human_bytes(free)),
        ),
        Ok(free) => r.line(
            "free disk",
            Level::Ok,
            format!("{} free", human_bytes(free)),
        ),
        Err(e) => r.line("free disk", Level::Warn, format!("cannot tell: {e}")),
    }
}

fn check_database(r: &mut Report, store: &Store) {
    let recovery = store.recovery();
    if recovery.orphans_moved > 0 || recovery.partial_files_removed > 0 {
        r.line(
            "database",
            Level::Warn,
            format!(
                "tidied after an interrupted save: {} unfinished file(s) removed, {} uncommitted photo(s) moved to orphans/",
                recovery.partial_files_removed, recovery.orphans_moved
            ),
        );
    }
    let (integrity, stats) = match (
        store.check_integrity(),
        store.stats(chrono::Local::now().date_naive()),
    ) {
        (Ok(i), Ok(s)) => (i, s),
        (Err(e), _) | (_, Err(e)) => return r.line("database", Level::Error, e.to_string()),
    };
    if !integrity.database.is_empty() {
        for p in &integrity.database {
            r.line("database", Level::Error, p);
        }
        return;
    }
    r.line(
        "database",
        Level::Ok,
        format!(
            "integrity ok; {} captures ({} today), {} waiting to upload",
            stats.captures_total, stats.captures_today, stats.pending_uploads
        ),
    );
    if integrity.missing_photos > 0 {
        r.line(
            "photos",
            Level::Warn,
            format!(
                "{} capture(s) are missing their photo file (or it has the wrong size): they cannot \
                 be sent; tell the central office which (the outbox lists them as refused)",
                integrity.missing_photos
            ),
        );
    }
    match store.roster_source() {
        Ok(Some((at, source, n))) => r.line(
            "roster",
            Level::Ok,
            format!(
                "{n} entries from {source}, imported {}",
                crate::store::local_time(&at)
            ),
        ),
        _ => r.line(
            "roster",
            Level::Warn,
            "empty: import one with `capture-kiosk roster import FILE.csv`",
        ),
    }
    if let Ok(Some((version, rows))) = store.roster_held_back() {
        r.line(
            "roster",
            Level::Warn,
            format!(
                "the service's version {version} has only {rows} usable rows, under half of the \
                 roster in use: held back; if it is right, `capture-kiosk roster confirm {version}`"
            ),
        );
    }
}

fn check_cameras(r: &mut Report, min_width: u32, min_height: u32) {
    let cameras = list_cameras();
    if cameras.is_empty() {
        r.line(
            "cameras",
            Level::Warn,
            "no USB camera found: `run` uses the demo camera (plug one in; see README)",
        );
        return;
    }
    for cam in cameras {
        let links = if cam.by_id.is_empty() {
            String::new()
        } else {
            format!(" — use --camera usb:{}", cam.by_id[0].display())
        };
        match camera_modes(cam.index) {
            Ok(modes) => {
                let chosen = choose_mode(&modes, min_width, min_height);
                let level = match chosen {
                    Some(m) if m.width >= min_width && m.height >= min_height => Level::Ok,
                    _ => Level::Warn,
                };
                r.line(
                    "cameras",
                    level,
                    format!("/dev/video{} {}{links}", cam.index, cam.name),
                );
                for m in modes {
                    let mark = if Some(m) == chosen { "  <- used" } else { "" };
                    println!("{:<17}{m}{mark}", "");
                }
            }
            Err(e) => r.line(
                "cameras",
                Level::Warn,
                format!(
                    "/dev/video{} {}: cannot read its modes ({e}); in use?",
                    cam.index, cam.name
                ),
            ),
        }
    }
}
