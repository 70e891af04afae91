//! The command line: `run` (the default), `roster import|list`, `doctor`, `check`,
//! `produce`, `capture`, `sync --once`, `export`, `import-decisions`, `reopen`. Parses
//! arguments, finds the config and the data directory, and reports errors with what to do
//! next. The work itself happens in `app`, `flow`, `store`, `sync`, `bundle` and `doctor`.
//! (The central service is its own program: `capture-central`.)

use crate::camera::CameraSpec;
use crate::config::{Config, Lang, SYSTEM_CONFIG};
use crate::store::Store;
use anyhow::Context;
use capture_core::roster::parse_roster;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  capture-kiosk                                  the kiosk on built-in defaults (demo camera if no USB camera)
  capture-kiosk run --camera usb:/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0 --fullscreen
  capture-kiosk run --camera replay:tests/fixtures/camera/mjpeg --lang en
  capture-kiosk roster import /media/usb/roster.csv --dry-run
  capture-kiosk roster import /media/usb/roster.csv
  capture-kiosk doctor --config /etc/capture-kiosk/config.toml
  capture-kiosk capture --camera replay:/srv/frames --admission 000011110001
  capture-kiosk sync --once
  capture-kiosk export --to /media/usb

Config: --config FILE, else /etc/capture-kiosk/config.toml if it exists, else built-in defaults
(every key is documented in assets/config.example.toml). Data: --data-dir, else the config's
kiosk.data_dir, else $STATE_DIRECTORY (systemd), else ~/.local/share/capture-kiosk.";

#[derive(Parser, Debug)]
#[command(
    name = "capture-kiosk",
    version,
    about = "Photo-capture kiosk for official graduation and degree photos",
    long_about = "Photo-capture kiosk for official graduation and degree photos.\n\n\
        Candidates identify with their admission number (准考证号) and name, stand in front of \
        the backdrop, and the kiosk takes, shows and stores their photo. With no subcommand, \
        `run` starts the kiosk.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
struct CommonArgs {
    /// Config file (TOML). Default: /etc/capture-kiosk/config.toml if it exists, else built-in defaults
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the database and the photos are kept (overrides the config's kiosk.data_dir)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
struct RunArgs {
    /// Camera: auto (first USB camera, else the demo camera), demo, usb:INDEX,
    /// usb:/dev/v4l/by-id/…, or replay:DIR (a folder of images or recorded .mjpeg/.yuyv buffers)
    #[arg(long, value_name = "SPEC")]
    camera: Option<CameraSpec>,
    /// Fill the screen (on the kiosk itself)
    #[arg(long)]
    fullscreen: bool,
    /// Language a new candidate sees first: zh or en (candidates can switch on every screen)
    #[arg(long, value_name = "zh|en")]
    lang: Option<Lang>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the kiosk (the default)
    Run(RunArgs),
    /// Import or list the roster of candidates who may have their photo taken here
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Delete what the kiosk no longer needs after the collection: the roster, and the
    /// photo, name and mobile number of every capture the service confirmed
    #[command(
        after_help = "Captures without the service's receipt are kept whole (nothing is lost); \
        orphans/ is emptied. What stays of a confirmed capture: its id, admission number, level \
        and review state. The kiosk does this by itself campaign.purge_after_days (30) days after \
        campaign.window_end, at its next start. Exit status: 0 done, 2 without --yes (nothing \
        deleted)."
    )]
    Purge {
        /// Really delete
        #[arg(long)]
        yes: bool,
    },
    /// The staff PIN
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The audit log (who did what, when; no personal data)
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check cameras, data directory, free disk, database, config and the central service,
    /// and say what to fix
    #[command(
        after_help = "Exit status: 0 the kiosk can capture (warnings are for staff: the \
        service refusing the token or out of reach, a photo file missing, no USB camera); 1 it \
        cannot capture until the errors are fixed (the config cannot be read, the data \
        directory is not writable, the database is damaged). The systemd unit runs \
        `doctor --offline` before each start."
    )]
    Doctor {
        /// Do not ask the central service (before each start: the network may be down)
        #[arg(long)]
        offline: bool,
    },
    /// Check photos against every photo rule of a profile, and say what to fix
    #[command(
        after_help = "Exit status: 0 every photo complies, 1 some photo does not, 2 some file could \
        not be read (the others are still checked). With --json, one object per image per line:\n\
        {\"file\", \"compliant\", \"faces\", \"checks\": [{\"id\", \"pass\", \"required\", \"value\", \"also\", \"limit\", \"message_zh\", \"message_en\"}]}\n\
        \"also\" holds the other measures a check judged by, by name (mouth.closed: {\"teeth\": 0.0063} besides the lips' gap)"
    )]
    Check {
        /// Photo profile: bj-degree or chsi-graduation (default: the config's campaign.photo_profile)
        #[arg(long)]
        profile: Option<String>,
        /// One JSON object per image per line
        #[arg(long)]
        json: bool,
        /// The photos (JPEG, PNG, WebP or HEIC; a phone's EXIF orientation is applied)
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Make the final photo from a picture: eyes level, cropped and sized to the profile, the
    /// backdrop replaced, a JPEG in the size window; refused unless every required check passes
    #[command(
        after_help = "The failing checks are listed on stderr with what to fix; an advisory \
        check (the profile's [checks]) that fails is listed as advice and does not stop the photo. \
        Exit status: 0 the photo was written and every required check passes; 1 nothing was \
        written (required checks fail, no face, unreadable picture), or with --force, written \
        although required checks fail."
    )]
    Produce {
        /// Photo profile (default: the config's campaign.photo_profile)
        #[arg(long)]
        profile: Option<String>,
        /// The picture (JPEG, PNG, WebP or HEIC; a phone's EXIF orientation is applied)
        image: PathBuf,
        /// Where to write the photo (JPEG)
        #[arg(short, long, value_name = "OUT.jpg")]
        output: PathBuf,
        /// Write the photo even when checks fail (they are listed)
        #[arg(long)]
        force: bool,
    },
    /// Send the waiting captures to the central service now; fetch roster and review decisions
    #[command(
        after_help = "The running kiosk sends them by itself; this is for staff and scripts. \
        Then fetches a newer roster and the review decisions. Needs [sync] server and token in the \
        config. Exit status: 0 nothing is left waiting and the fetches worked, 1 some captures will \
        be retried or were refused, or a fetch failed (listed with why)."
    )]
    Sync {
        /// One pass over the outbox, with a progress bar and a summary
        #[arg(long, required = true)]
        once: bool,
        /// First put the uploads the service refused back in line (once the cause is fixed)
        #[arg(long)]
        retry_refused: bool,
    },
    /// Run one candidate's capture with no window: identify, checks, auto-capture, store
    #[command(
        after_help = "The same flow as the screen, for soak tests and staff diagnostics: \
        the candidate is matched on the roster, the camera's frames are checked until every rule \
        passes, auto-capture takes the photo, and it is accepted and stored when its own check \
        passes (retaken otherwise, within campaign.max_retakes). The kiosk must not be running on \
        the same data directory.\n\nExample:\n  capture-kiosk capture --camera replay:/srv/frames \
        --admission 000011110001\n\nPrints the new capture's id on stdout. Exit status: 0 a \
        capture was accepted and stored; 1 none was (the reason on stderr)."
    )]
    Capture {
        /// Camera source (default: the config's camera.source): auto, demo, replay:FOLDER, or a device
        #[arg(long)]
        camera: Option<CameraSpec>,
        /// The candidate's admission number (准考证号)
        #[arg(long)]
        admission: String,
        /// The name as the candidate would type it (default: the roster's)
        #[arg(long)]
        name: Option<String>,
        /// The education level, when the candidate is on the roster at several
        #[arg(long)]
        level: Option<String>,
        /// Mobile number for the review notice (default: the roster's)
        #[arg(long)]
        mobile: Option<String>,
        /// Give up after this many seconds without a stored capture
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
    /// Staff: measure the site's backdrop with nobody in front of the camera
    #[command(
        name = "calibrate-backdrop",
        after_help = "Step out of the picture first: the camera must see only the backdrop         (the site's own blue cloth, or a white wall where the notice allows one). The kiosk         measures its colour and evenness over the photo frame and keeps them; from then on the         live background checks compare with this backdrop instead of the profile's colour. The         final photo's background is still replaced with the profile's colour. An uneven cloth         (creases, a lamp's hot spot) is refused with what to fix. Calibrate again whenever the         cloth or the light changes. The kiosk must not be running on the same data directory;         restart it afterwards.\n\nExample:\n  capture-kiosk calibrate-backdrop --camera usb:0"
    )]
    CalibrateBackdrop {
        /// Camera source (default: the config's camera.source)
        #[arg(long)]
        camera: Option<CameraSpec>,
    },
    /// Write the captures the central service has not confirmed to a folder (USB stick)
    #[command(
        after_help = "For a site without network for days. Writes a bundle folder \
        <kiosk.id>-<date>-<time> inside DIR: each capture as the body it would upload, and \
        manifest.json with the sha256s. The central office takes it in with \
        `capture-central import-bundle DIR` (a capture held already is never stored twice) \
        and sends back `capture-central export-decisions`, which `import-decisions` applies here. Nothing \
        is marked uploaded until then. Exit status: 0 written; 2 written, but some captures' photos \
        are damaged and were left out (listed)."
    )]
    Export {
        /// Where to write the bundle folder (e.g. the USB stick)
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Every capture whose photo is still on the kiosk, not only the unconfirmed ones
        #[arg(long)]
        all: bool,
    },
    /// Apply the receipts and review decisions the central office exported for this kiosk
    #[command(after_help = "Reads decisions-<kiosk.id>.json from DIR (written by \
        `capture-central export-decisions`): captures whose receipt matches are counted as \
        delivered, and the review decisions not yet applied are applied.")]
    ImportDecisions {
        /// The folder holding decisions-<kiosk.id>.json
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Let a candidate whose photo was approved (or is under review) take a new one
    Reopen {
        /// The candidate's admission number
        admission_no: String,
        /// The education level, when the candidate is on the roster at several
        #[arg(long)]
        level: Option<String>,
        /// Why (kept in the audit log)
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check the audit log's hash chain: exit 0 when every entry is as written, 1 naming
    /// the first that was edited, inserted or deleted
    #[command(
        after_help = "Each entry carries the hash of the one before it and its own. An entry cut \
        off at the end, or a log rewritten whole by someone who can write the database, does not \
        show here: compare the head hash printed with one noted earlier."
    )]
    Verify,
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Set the staff PIN (6 to 12 digits), kept as an argon2id hash in the data directory
    #[command(
        after_help = "Asks for the PIN twice on a terminal (not shown); reads one line from \
        standard input otherwise. A PIN of one digit repeated or of digits in a row (123456) \
        is refused. The set PIN replaces [staff] pin at the kiosk's next start; remove that \
        line from the config. With a central service configured ([sync] server), the kiosk \
        does not start on the demo PIN: set one first. Wrong PINs lock the staff screens for \
        [staff] lockout_secs, twice as long at each lock-out in a row (up to an hour), and \
        a restart does not reset that."
    )]
    SetPin,
}

#[derive(Subcommand, Debug)]
enum RosterCommand {
    /// Replace the roster with a CSV file (UTF-8; header admission_no,name,education_level,phone)
    #[command(
        after_help = "Bad rows are listed with their line numbers and skipped; the good rows are \
        imported. Exit status: 0 all rows imported, 2 some rows rejected, 1 nothing imported."
    )]
    Import {
        /// The roster CSV
        file: PathBuf,
        /// Only check the file and report; import nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Let in a roster version from the central service that the kiosk held back because it
    /// has no usable row or fewer than half the candidates of the roster in use
    #[command(
        after_help = "`capture-kiosk sync --once` (and the staff screen) say when a version is held \
        back, with its number and sizes. Confirming it replaces the roster at the next sync \
        (`capture-kiosk sync --once`, or the running kiosk's own within its sync interval); \
        the confirmation is written to the audit log. Check with the central office first: a \
        roster that shrank by mistake turns the missing candidates away."
    )]
    Confirm {
        /// The held-back version's number
        version: i64,
    },
    /// Print the roster (admission number, name, education level, phone)
    List {
        /// At most this many rows
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Skip this many rows first
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
}

/// Where the config came from, for messages.
pub struct LoadedConfig {
    pub config: Config,
    pub source: String,
    /// No config file: the demo site (which gets the demo roster while its roster is empty).
    pub builtin: bool,
}

/// The demo site's candidates (fake admission numbers 00001111000x).
pub const DEMO_ROSTER: &str = include_str!("../assets/demo/roster.csv");

pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<LoadedConfig> {
    let from_env = std::env::var_os("CAPTURE_KIOSK_CONFIG").map(PathBuf::from);
    let path = explicit.map(Path::to_owned).or(from_env).or_else(|| {
        let system = PathBuf::from(SYSTEM_CONFIG);
        system.exists().then_some(system)
    });
    match path {
        Some(p) => Ok(LoadedConfig {
            config: Config::load(&p)?,
            source: p.display().to_string(),
            builtin: false,
        }),
        None => Ok(LoadedConfig {
            config: Config::default(),
            source: "built-in defaults".into(),
            builtin: true,
        }),
    }
}

/// `--data-dir`, else the config's, else `$STATE_DIRECTORY` (systemd), else the XDG data dir.
pub fn resolve_data_dir(explicit: Option<&Path>, config: &Config) -> PathBuf {
    if let Some(p) = explicit.or(config.kiosk.data_dir.as_deref()) {
        return p.to_owned();
    }
    if let Some(dir) =
        std::env::var_os("STATE_DIRECTORY").and_then(|d| std::env::split_paths(&d).next())
    {
        return dir;
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(xdg).join("capture-kiosk");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/capture-kiosk"),
        None => PathBuf::from("kiosk-data"),
    }
}

pub fn main() -> ExitCode {
    // Photos, names and phones: whatever this creates is its user's only.
    capture_durable::private_umask();
    let cli = Cli::parse();
    init_logging();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Doctor { offline }) = cli.command {
        // Doctor reports a bad config among its findings and checks the rest regardless.
        let loaded = load_config(cli.common.config.as_deref());
        let config = loaded
            .as_ref()
            .map(|l| l.config.clone())
            .unwrap_or_default();
        let data_dir = resolve_data_dir(cli.common.data_dir.as_deref(), &config);
        return Ok(crate::doctor::run(crate::doctor::Options {
            config: loaded.map(|l| (l.config, l.source)),
            data_dir,
            offline,
        }));
    }
    let loaded = load_config(cli.common.config.as_deref())?;
    let data_dir = resolve_data_dir(cli.common.data_dir.as_deref(), &loaded.config);
    match cli.command {
        None => run(cli.run, loaded, data_dir),
        Some(Command::Run(args)) => run(args, loaded, data_dir),
        Some(Command::Roster(RosterCommand::Import { file, dry_run })) => {
            roster_import(&file, dry_run, &loaded.config, &data_dir)
        }
        Some(Command::Staff(StaffCommand::SetPin)) => set_pin(&data_dir),
        Some(Command::Purge { yes: false }) => {
            eprintln!(
                "capture-kiosk purge deletes the roster, and the photo, name and mobile number of \
                 every capture the central service confirmed (the rest is kept whole). Run it \
                 again with --yes to do it."
            );
            Ok(ExitCode::from(2))
        }
        Some(Command::Purge { yes: true }) => {
            let p = Store::open(&data_dir)?.purge()?;
            println!(
                "purged: {} roster entries, {} photo files, the names and mobile numbers of {} \
                 confirmed captures, {} files in orphans/",
                p.roster_entries, p.photos, p.captures, p.orphans
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Audit(AuditCommand::Verify)) => {
            let report = Store::open(&data_dir)?.verify_audit()?;
            match report.broken {
                None => {
                    println!(
                        "audit log: {} entries, every one as written (head {})",
                        report.entries,
                        if report.head.is_empty() {
                            "none"
                        } else {
                            &report.head[..16]
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some((id, why)) => {
                    println!(
                        "audit log: BROKEN at entry {id}: {why}; the {} entries before it hold",
                        report.entries - 1
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        Some(Command::Roster(RosterCommand::Confirm { version })) => {
            let mut store = Store::open(&data_dir)?;
            let rows = store.roster_held_back()?.map_or(0, |(_, rows)| rows);
            store.confirm_roster_version(version)?;
            println!(
                "roster version {version} ({rows} usable rows) confirmed: it replaces the {} \
                 entries in use at the next sync (capture-kiosk sync --once)",
                store.roster_len()?
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Roster(RosterCommand::List { limit, offset })) => {
            roster_list(&data_dir, offset, limit)
        }
        Some(Command::Doctor { .. }) => unreachable!("handled above"),
        Some(Command::Sync {
            once: _,
            retry_refused,
        }) => sync_once(&loaded.config, &data_dir, retry_refused),
        Some(Command::Produce {
            profile,
            image,
            output,
            force,
        }) => produce(
            &image,
            &output,
            profile
                .as_deref()
                .unwrap_or(&loaded.config.campaign.photo_profile),
            force,
        ),
        Some(Command::Check {
            profile,
            json,
            images,
        }) => check(
            &images,
            profile
                .as_deref()
                .unwrap_or(&loaded.config.campaign.photo_profile),
            json,
        ),
        Some(Command::CalibrateBackdrop { camera }) => {
            let camera = camera_or_configured(camera, &loaded.config)?;
            calibrate_backdrop(&loaded.config, &data_dir, &camera)
        }
        Some(Command::Capture {
            camera,
            admission,
            name,
            level,
            mobile,
            timeout_secs,
        }) => {
            let camera = camera_or_configured(camera, &loaded.config)?;
            let outcome = crate::headless::capture(crate::headless::HeadlessOptions {
                config: loaded.config,
                data_dir,
                camera,
                admission_no: admission,
                name,
                level,
                mobile,
                timeout: std::time::Duration::from_secs(timeout_secs),
            });
            match outcome {
                Ok(id) => {
                    println!("{id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("capture-kiosk capture: no capture stored: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Some(Command::Export { to, all }) => {
            let store = Store::open(&data_dir)?;
            let done = crate::bundle::export(&store, &loaded.config.kiosk.id, &to, all)?;
            for (id, why) in &done.damaged {
                eprintln!("left out: capture {id}: {why}");
            }
            println!(
                "{} capture(s) written to {}; at the central office: capture-central \
                 import-bundle {}",
                done.captures,
                done.folder.display(),
                done.folder.display()
            );
            Ok(if done.damaged.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Some(Command::ImportDecisions { dir }) => {
            let mut store = Store::open(&data_dir)?;
            let done = crate::bundle::import_decisions(&mut store, &loaded.config.kiosk.id, &dir)?;
            println!(
                "{} capture(s) confirmed delivered, {} review decision(s) applied",
                done.receipts, done.decisions
            );
            if done.mismatched > 0 {
                println!(
                    "  {} receipt(s) do not match the photo here: those captures stay waiting",
                    done.mismatched
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Reopen {
            admission_no,
            level,
            reason,
        }) => reopen(
            &admission_no,
            level.as_deref(),
            &reason,
            &loaded.config,
            &data_dir,
        ),
    }
}

/// The camera given on the command line, else the config's `camera.source`.
/// Frames skipped before measuring, so a USB camera's exposure and white balance settle.
const CALIBRATION_SETTLE_FRAMES: usize = 15;

fn calibrate_backdrop(
    config: &Config,
    data_dir: &std::path::Path,
    camera: &CameraSpec,
) -> anyhow::Result<ExitCode> {
    let mut store = crate::store::Store::open_exclusive(data_dir)?;
    let settings = crate::camera::CameraSettings {
        min_width: config.camera.min_width,
        min_height: config.camera.min_height,
    };
    let (mut source, _) = crate::camera::open(camera, settings)
        .map_err(|e| anyhow::anyhow!("摄像头无法打开 / the camera cannot be opened: {e}"))?;
    let mut frame = None;
    for _ in 0..CALIBRATION_SETTLE_FRAMES {
        frame =
            Some(source.next_frame().map_err(|e| {
                anyhow::anyhow!("摄像头没有画面 / no picture from the camera: {e}")
            })?);
    }
    let frame = frame.expect("at least one frame");
    let profile = config.profile();
    let mut analyzer = capture_vision::FaceAnalyzer::load()
        .map_err(|e| anyhow::anyhow!("人脸分析不可用 / face analysis unavailable: {e}"))?;
    match capture_vision::inspect::calibrate_backdrop(&mut analyzer, &frame, &profile)? {
        Ok(b) => {
            store.set_backdrop(&b)?;
            let [l, a, bb] = b.colour;
            println!(
                "背景已校准 Backdrop calibrated: L* {l:.1} a* {a:.1} b* {bb:.1}, evenness ΔE {:.1} (at most {}). Restart the kiosk to use it.",
                b.spread, profile.limits.background_spread
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            let m = problem.message();
            eprintln!(
                "capture-kiosk calibrate-backdrop: not calibrated: {} / {}",
                m.zh, m.en
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn camera_or_configured(given: Option<CameraSpec>, config: &Config) -> anyhow::Result<CameraSpec> {
    match given {
        Some(c) => Ok(c),
        None => config
            .camera
            .source
            .parse()
            .context("camera.source in the config"),
    }
}

/// The shortest staff PIN `staff set-pin` takes.
pub const MIN_SET_PIN_DIGITS: usize = 6;

/// `capture-kiosk staff set-pin`.
fn set_pin(data_dir: &Path) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let pin = if std::io::stdin().is_terminal() {
        let first = read_hidden("新员工PIN New staff PIN: ")?;
        let again = read_hidden("再输入一次 Once more: ")?;
        anyhow::ensure!(
            first == again,
            "两次输入不一致 the two PINs differ; nothing changed"
        );
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim().to_owned()
    };
    check_new_pin(&pin)?;
    let mut store = Store::open(data_dir)?;
    store.set_staff_pin_hash(&capture_core::session::StaffPin::hash(&pin))?;
    println!(
        "员工PIN已设置（以 argon2id 哈希保存），下次启动生效 / staff PIN set (kept as an argon2id \
         hash); it opens the staff screens from the kiosk's next start (remove [staff] pin from \
         the config)"
    );
    Ok(ExitCode::SUCCESS)
}

/// A PIN `staff set-pin` takes: 6 to 12 digits, not one digit repeated nor digits in a row.
fn check_new_pin(pin: &str) -> anyhow::Result<()> {
    let digits: Vec<u8> = pin.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    anyhow::ensure!(
        (MIN_SET_PIN_DIGITS..=crate::config::MAX_PIN_DIGITS).contains(&pin.len())
            && digits.iter().all(|d| *d <= 9),
        "PIN须为6至12位数字 the PIN must be {MIN_SET_PIN_DIGITS} to {} digits; nothing changed",
        crate::config::MAX_PIN_DIGITS
    );
    let steps: Vec<i16> = digits
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    let guessable = steps.iter().all(|s| *s == 0)
        || steps.iter().all(|s| *s == 1)
        || steps.iter().all(|s| *s == -1);
    anyhow::ensure!(
        !guessable,
        "PIN太容易猜到 the PIN is too easy to guess (one digit repeated, or digits in a row); \
         nothing changed"
    );
    Ok(())
}

/// A line from the terminal with echo off.
fn read_hidden(prompt: &str) -> anyhow::Result<String> {
    use std::io::Write;
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    // SAFETY: tcgetattr/tcsetattr on standard input (a terminal: checked by the caller),
    // with a termios we own; echo is restored before returning.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let have_tty = unsafe { libc::tcgetattr(0, &mut saved) } == 0;
    if have_tty {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &quiet) };
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if have_tty {
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &saved) };
    }
    eprintln!();
    read?;
    Ok(line.trim().to_owned())
}

/// With a central service configured, the demo PIN (printed in the README) would open the
/// staff screens — accepting failing photos, exporting bundles — to anyone: refused until
/// staff set one.
fn refuse_demo_pin_with_a_service(config: &Config, data_dir: &Path) -> anyhow::Result<()> {
    if config.sync.server.trim().is_empty() || !config.uses_demo_pin() {
        return Ok(());
    }
    let store = Store::open(data_dir)?;
    anyhow::ensure!(
        store.staff_pin_hash()?.is_some(),
        "员工PIN仍是演示PIN，且已配置中心服务：请先运行 capture-kiosk staff set-pin / the staff PIN \
         is the demo PIN and a central service is configured ([sync] server): set one first with \
         `capture-kiosk staff set-pin`"
    );
    Ok(())
}

fn run(args: RunArgs, loaded: LoadedConfig, data_dir: PathBuf) -> anyhow::Result<ExitCode> {
    tracing::info!("config: {}", loaded.source);
    refuse_demo_pin_with_a_service(&loaded.config, &data_dir)?;
    if loaded.config.purge_due(chrono::Local::now().naive_local()) {
        let p = Store::open(&data_dir)?.purge()?;
        tracing::info!(
            "the collection ended over {} days ago: purged {} roster entries, {} photos, {} \
             confirmed captures' names and mobile numbers, {} orphans",
            loaded.config.campaign.purge_after_days,
            p.roster_entries,
            p.photos,
            p.captures,
            p.orphans
        );
    }
    let camera = camera_or_configured(args.camera, &loaded.config)?;
    let lang = args.lang.unwrap_or(loaded.config.kiosk.default_language);
    if loaded.builtin {
        load_demo_roster_if_empty(&loaded.config, &data_dir)?;
    }
    crate::app::run(crate::app::RunOptions {
        config: loaded.config,
        data_dir,
        camera,
        fullscreen: args.fullscreen,
        lang,
    })?;
    Ok(ExitCode::SUCCESS)
}

fn load_demo_roster_if_empty(config: &Config, data_dir: &Path) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    if store.roster_source()?.is_none() {
        let report = parse_roster(
            DEMO_ROSTER.as_bytes(),
            config.identity.admission_number_length,
        )?;
        let n = store.replace_roster(&report.entries, "demo roster (built in)")?;
        tracing::info!("no config file and an empty roster: loaded the demo roster ({n} entries)");
    }
    Ok(())
}

fn roster_import(
    file: &Path,
    dry_run: bool,
    config: &Config,
    data_dir: &Path,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read the roster file {}", file.display()))?;
    let report = parse_roster(&bytes, config.identity.admission_number_length)
        .with_context(|| format!("{} cannot be imported", file.display()))?;
    println!(
        "Read {} rows from {}: {} good, {} rejected.",
        report.rows_read(),
        file.display(),
        report.entries.len(),
        report.bad_rows.len()
    );
    for bad in &report.bad_rows {
        println!("  line {}: {}", bad.line, bad.problem);
    }
    if dry_run {
        println!("Dry run: nothing was imported.");
    } else if report.entries.is_empty() {
        anyhow::bail!("no good rows: nothing was imported; the current roster is unchanged");
    } else {
        let mut store = Store::open(data_dir)?;
        let before = store
            .stats(chrono::Local::now().date_naive())?
            .roster_entries;
        let source = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = store.replace_roster(&report.entries, &source)?;
        println!(
            "Imported {n} roster entries (replacing {before}) into {}.",
            data_dir.display()
        );
        if !report.bad_rows.is_empty() {
            println!("Fix the rejected rows and import the whole file again to add them.");
        }
    }
    Ok(if report.bad_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn profile_named(id: &str) -> anyhow::Result<capture_core::profile::Profile> {
    capture_core::profile::Profile::builtin(id).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown profile {id:?}; known profiles: {}",
            capture_core::profile::BUILTIN_IDS.join(", ")
        )
    })
}

/// Reads and decodes a photo; errors say which file and why.
fn read_photo(path: &Path) -> anyhow::Result<(image::RgbImage, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let picture = capture_core::picture::decode(&bytes)
        .with_context(|| format!("{} cannot be checked", path.display()))?;
    Ok((picture.image, bytes.len() as u64))
}

fn check(images: &[PathBuf], profile: &str, json: bool) -> anyhow::Result<ExitCode> {
    let profile = profile_named(profile)?;
    let mut analyzer = capture_vision::FaceAnalyzer::load()?;
    let (mut unreadable, mut non_compliant) = (false, false);
    for path in images {
        let (image, bytes) = match read_photo(path) {
            Ok(photo) => photo,
            Err(e) => {
                eprintln!("error: {e:#}");
                unreadable = true;
                continue;
            }
        };
        let inspection = match capture_vision::inspect::inspect_still(
            &mut analyzer,
            &image,
            Some(bytes),
            &profile,
        ) {
            Ok(inspection) => inspection,
            Err(e) => {
                eprintln!("error: {} cannot be analysed: {e}", path.display());
                unreadable = true;
                continue;
            }
        };
        non_compliant |= !inspection.compliant();
        let file = path.display().to_string();
        if json {
            let report = capture_vision::inspect::CheckReport {
                file: &file,
                compliant: inspection.compliant(),
                faces: inspection.measures.faces,
                checks: &inspection.results,
            };
            println!("{}", serde_json::to_string(&report)?);
        } else {
            let verdict = if inspection.compliant() {
                "complies"
            } else {
                "does NOT comply"
            };
            println!(
                "{file}: {verdict} with {} ({} face(s))",
                profile.id, inspection.measures.faces
            );
            for r in &inspection.results {
                let value = r
                    .value
                    .map(|v| format!("{v:.3}"))
                    .unwrap_or_else(|| "-".into());
                let mark = if r.pass { "ok  " } else { "FAIL" };
                let also = r.also_text();
                let value = if also.is_empty() {
                    value
                } else {
                    format!("{value} ({also})")
                };
                let advice = if r.pass {
                    String::new()
                } else {
                    format!("  {} / {}", r.message.en, r.message.zh)
                };
                println!(
                    "  {mark} {:<19} {value:>10}  {}{advice}",
                    r.id.as_str(),
                    r.limit
                );
            }
        }
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if non_compliant {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn produce(image: &Path, output: &Path, profile: &str, force: bool) -> anyhow::Result<ExitCode> {
    let profile = profile_named(profile)?;
    let (picture, _) = read_photo(image)?;
    let mut analyzer = capture_vision::FaceAnalyzer::load()?;
    let (photo, check) = capture_vision::inspect::produce_still(&mut analyzer, &picture, &profile)
        .with_context(|| format!("no photo can be made from {}", image.display()))?;
    let failing: Vec<_> = check.results.iter().filter(|r| r.blocks()).collect();
    for r in &failing {
        eprintln!("check {} fails: {} / {}", r.id, r.message.en, r.message.zh);
    }
    let advice: Vec<_> = check.results.iter().filter(|r| r.warns()).collect();
    for r in &advice {
        eprintln!(
            "advice ({}, advisory): {} / {}",
            r.id, r.message.en, r.message.zh
        );
    }
    if !failing.is_empty() && !force {
        anyhow::bail!(
            "{} required check(s) fail, so no photo was written; fix the picture, or use --force to write it anyway",
            failing.len()
        );
    }
    capture_durable::write_file(output, &photo.jpeg)
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!(
        "{}: {}×{} JPEG, {} bytes (quality {}), {}",
        output.display(),
        photo.image.width(),
        photo.image.height(),
        photo.jpeg.len(),
        photo.quality,
        match (failing.is_empty(), advice.is_empty()) {
            (true, true) => "every check passes".to_string(),
            (true, false) => format!(
                "every required check passes ({} advisory one(s) fail: a reviewer may still reject it)",
                advice.len()
            ),
            (false, _) => "written despite failing required checks (--force)".to_string(),
        }
    );
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn sync_once(config: &Config, data_dir: &Path, retry_refused: bool) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    anyhow::ensure!(
        !config.sync.server.trim().is_empty(),
        "no central service is configured: set [sync] server and token in the config \
         (see assets/config.example.toml)"
    );
    let mut store = Store::open(data_dir)?;
    if retry_refused {
        let n = store.retry_failed_uploads()?;
        eprintln!("{n} refused upload(s) put back in line");
    }
    let store = std::sync::Arc::new(std::sync::Mutex::new(store));
    let client = crate::sync::Client::new(&config.sync)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let summary = runtime.block_on(crate::sync::push_pass(
        &store,
        &client,
        &config.sync,
        // Staff asked for it now: every waiting capture, back-off or not.
        chrono::Utc::now() + chrono::Duration::days(36_500),
        |done, total| {
            if terminal {
                let filled = (done * 30).checked_div(total).unwrap_or(30) as usize;
                eprint!(
                    "\r[{}{}] {done}/{total}",
                    "#".repeat(filled),
                    ".".repeat(30 - filled)
                );
                let _ = std::io::stderr().flush();
            }
        },
    ))?;
    if terminal {
        eprintln!();
    }
    println!(
        "sync to {}: sent {}, already there {}, will retry {}, refused {}",
        config.sync.server.trim(),
        summary.sent,
        summary.already_there,
        summary.retrying.len(),
        summary.refused.len()
    );
    for (label, list) in [
        ("will retry", &summary.retrying),
        ("refused", &summary.refused),
    ] {
        let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
        for (_, why) in list.iter() {
            *reasons.entry(why.to_string()).or_default() += 1;
        }
        for (why, n) in reasons {
            println!("  {label} ({n}): {why}");
        }
    }
    let counts = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .outbox_counts()?;
    println!(
        "outbox: {} waiting ({} refused), {} uploaded; last receipt {}",
        counts.pending,
        counts.failed,
        counts.uploaded,
        counts
            .last_upload
            .as_deref()
            .map_or("never".into(), crate::store::local_time)
    );
    // Then what the service has for this kiosk (the heartbeat is the running kiosk's job).
    let pulled = runtime.block_on(crate::sync::pull_pass(
        &store,
        &client,
        config.identity.admission_number_length,
        None,
    ))?;
    let held = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .roster_version()?;
    match pulled.roster {
        Some(r) => println!(
            "roster: version {} applied, {} entries ({} invalid rows left out, {} duplicated rows left out)",
            r.version, r.entries, r.invalid, r.duplicates
        ),
        None if held > 0 => println!("roster: version {held} is the newest"),
        None => println!("roster: the service has published none"),
    }
    println!("review decisions: {} applied", pulled.decisions);
    for why in &pulled.problems {
        println!("  could not: {why}");
    }
    let pruned = crate::sync::prune(
        &mut store.lock().unwrap_or_else(|p| p.into_inner()),
        &config.sync,
    )?;
    if pruned > 0 {
        println!(
            "{pruned} photo file(s) deleted: received more than {} days ago",
            config.sync.retention_days
        );
    }
    Ok(if counts.pending == 0 && pulled.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn reopen(
    number: &str,
    level: Option<&str>,
    reason: &str,
    config: &Config,
    data_dir: &Path,
) -> anyhow::Result<ExitCode> {
    let no = capture_core::identity::AdmissionNumber::parse(
        number,
        config.identity.admission_number_length,
    )?;
    // Messages show the number masked, as everywhere else.
    let number = no.masked();
    anyhow::ensure!(
        !reason.trim().is_empty(),
        "give a --reason: it is kept in the audit log"
    );
    let mut store = Store::open(data_dir)?;
    let entries = store.find_roster(&no)?;
    anyhow::ensure!(
        !entries.is_empty(),
        "admission number {number} is not on this kiosk's roster"
    );
    let levels: Vec<&str> = entries.iter().map(|e| e.education_level.as_str()).collect();
    let level = match (level, levels.as_slice()) {
        (Some(l), _) if levels.contains(&l) => l.to_string(),
        (Some(l), _) => anyhow::bail!(
            "{number} is not on the roster at level {l:?}; its levels: {}",
            levels.join(", ")
        ),
        (None, [only]) => only.to_string(),
        (None, _) => anyhow::bail!(
            "{number} is on the roster at several levels; choose one with --level ({})",
            levels.join(", ")
        ),
    };
    let before = store.candidate_status(&no, &level)?;
    if before.may_capture() {
        println!("{number} ({level}) may already take a photo ({before:?}); nothing to re-open.");
        return Ok(ExitCode::SUCCESS);
    }
    store.reopen(&no, &level, reason)?;
    println!("{number} ({level}) may now take a new photo at this kiosk.");
    Ok(ExitCode::SUCCESS)
}

fn roster_list(data_dir: &Path, offset: usize, limit: usize) -> anyhow::Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let Some((imported_at, source, total)) = store.roster_source()? else {
        println!("The roster is empty. Import one with: capture-kiosk roster import FILE.csv");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "Roster: {total} entries, from {source}, imported {}",
        crate::store::local_time(&imported_at)
    );
    println!("admission_no\tname\teducation_level\tphone");
    let page = store.roster_page(offset, limit)?;
    for e in &page {
        let phone = e.phone.as_ref().map(|p| p.as_str()).unwrap_or("");
        println!(
            "{}\t{}\t{}\t{}",
            e.admission_no.as_str(),
            e.name,
            e.education_level,
            phone
        );
    }
    if offset + page.len() < total as usize {
        println!(
            "… {} more (use --offset {} to see them)",
            total as usize - offset - page.len(),
            offset + page.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_is_the_default_and_takes_its_options_at_top_level() {
        let cli = Cli::try_parse_from([
            "capture-kiosk",
            "--camera",
            "replay:x",
            "--lang",
            "en",
            "--data-dir",
            "d",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.camera, Some(CameraSpec::Replay("x".into())));
        assert_eq!(cli.run.lang, Some(Lang::En));
        assert_eq!(cli.common.data_dir, Some(PathBuf::from("d")));
    }

    #[test]
    fn a_bad_camera_spec_is_refused_with_the_choices() {
        let err = Cli::try_parse_from(["capture-kiosk", "run", "--camera", "webcam"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("usb:INDEX"), "{err}");
    }

    #[test]
    fn the_demo_roster_is_clean() {
        let report = parse_roster(
            DEMO_ROSTER.as_bytes(),
            Config::default().identity.admission_number_length,
        )
        .unwrap();
        assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
        assert!(report.entries.len() >= 5);
    }

    #[test]
    fn data_dir_precedence() {
        let mut config = Config::default();
        assert_eq!(
            resolve_data_dir(Some(Path::new("/x")), &config),
            PathBuf::from("/x")
        );
        config.kiosk.data_dir = Some("/from-config".into());
        assert_eq!(
            resolve_data_dir(None, &config),
            PathBuf::from("/from-config")
        );
        assert_eq!(
            resolve_data_dir(Some(Path::new("/x")), &config),
            PathBuf::from("/x"),
            "--data-dir wins over the config"
        );
    }
}
