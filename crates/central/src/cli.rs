//! `capture-central`: the service's command line. Serving (the default), registering kiosks
//! and reviewers, publishing rosters, deciding from a shell, and the offline hand-over.
//! Parses arguments and reports with what to do next; the work is in `store`, `server` and
//! `handover`.

use crate::store::{Central, Quota};
use anyhow::Context;
use capture_core::roster::{RosterEntry, parse_roster};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  capture-central --data /srv/central add-kiosk site-01      prints the kiosk's token (shown once)
  capture-central --data /srv/central add-reviewer li        prints li's password for /review
  capture-central --data /srv/central rotate-kiosk site-01   a new token; the old one is refused
  capture-central --data /srv/central reset-reviewer li      a new password; li's sessions end
  capture-central --data /srv/central roster import roster.csv
  capture-central --data /srv/central --listen 0.0.0.0:8470 --tls-cert cert.pem --tls-key key.pem
  capture-central --data /srv/central status                 each kiosk: received, undecided, heartbeat
  capture-central --data /srv/central export-approved --to /srv/handover";

/// Parses the command line and runs it; errors are printed with what to do.
pub fn main() -> ExitCode {
    // Photos, names, phones and keys: whatever this creates is its user's only.
    capture_durable::private_umask();
    let cli = Cli::parse();
    init_logging();
    match run(cli, &mut std::io::stdout(), &mut std::io::stderr()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command line (`capture-central …`) in this process and returns (exit status,
/// stdout, stderr) as the binary would: for tests and tools that hold the service in-process.
/// Serving (no subcommand) is not for here: it runs until a signal.
pub fn run_args(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match Cli::try_parse_from(args) {
        Err(e) => {
            err.extend(e.to_string().into_bytes());
            e.exit_code()
        }
        Ok(cli) => match run(cli, &mut out, &mut err) {
            Ok(code) => i32::from(code),
            Err(e) => {
                err.extend(format!("error: {e:#}\n").into_bytes());
                1
            }
        },
    };
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
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

#[derive(Parser, Debug)]
#[command(
    name = "capture-central",
    version,
    about = "The central collection service the capture kiosks upload to",
    long_about = "The central collection service the capture kiosks upload to: it receives each \
        capture exactly once, serves roster versions and review decisions to the kiosks, and the \
        reviewers' page /review. With no subcommand it serves (until Ctrl-C or SIGTERM).",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Where the service keeps its database and the photos it received
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "central-data"
    )]
    data: PathBuf,
    /// Address to listen on (port 0: any free port; the address is printed at start)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8470")]
    listen: std::net::SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM; with --tls-key). Without: plain HTTP,
    /// for loopback or behind a TLS reverse proxy
    #[arg(long, value_name = "CERT.pem", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serving: new captures one kiosk may send in an hour (more are answered 429, and the
    /// kiosk sends them later)
    #[arg(long, value_name = "N", default_value_t = Quota::default().captures_per_hour)]
    max_captures_per_hour: u64,
    /// Serving: photo bytes one kiosk may send in a day
    #[arg(long, value_name = "BYTES", default_value_t = Quota::default().bytes_per_day)]
    max_bytes_per_day: u64,
    #[command(subcommand)]
    command: Option<CentralCommand>,
}

#[derive(Subcommand, Debug)]
enum CentralCommand {
    /// Register a kiosk and print its new bearer token (only a hash of it is kept)
    AddKiosk {
        /// The kiosk's name (letters, digits, '-', '_', '.'), e.g. its kiosk.id
        name: String,
    },
    /// Revoke a kiosk's token (a stolen kiosk): its requests are refused from now on
    #[command(
        after_help = "What the kiosk sent stays. The kiosk keeps capturing offline; \
        its captures can still come in on a USB stick (`import-bundle`)."
    )]
    RevokeKiosk {
        /// The kiosk's name
        name: String,
    },
    /// Give a kiosk a new token and print it; the old token is refused from now on
    #[command(
        after_help = "Put the new token into the kiosk's [sync] token. A revoked kiosk is \
        admitted again with its new token."
    )]
    RotateKiosk {
        /// The kiosk's name
        name: String,
    },
    /// Register a reviewer for the /review page and print a new password (only an argon2id hash is kept)
    AddReviewer {
        /// The reviewer's log-in name (letters, digits, '-', '_', '.')
        name: String,
    },
    /// Give a reviewer a new password and print it; their open sessions end
    ResetReviewer {
        /// The reviewer's log-in name
        name: String,
    },
    /// Remove a reviewer: they cannot log in, their open sessions end (their decisions stay)
    RemoveReviewer {
        /// The reviewer's log-in name
        name: String,
    },
    /// Publish a new roster version; the kiosks fetch it at their next sync
    #[command(subcommand)]
    Roster(CentralRosterCommand),
    /// Approve or reject a capture from the command line (the /review page does the same)
    Decide {
        /// The capture's id
        id: uuid::Uuid,
        #[arg(value_enum)]
        verdict: VerdictArg,
        /// Why (needed to reject; the candidate is shown it)
        #[arg(long)]
        reason: Option<String>,
        /// Who decided (kept with the decision)
        #[arg(long, default_value = "cli")]
        reviewer: String,
    },
    /// Take in the bundles kiosks wrote with `capture-kiosk export` (offline sites)
    #[command(
        after_help = "DIR is a bundle folder, or a folder of them (a USB stick). A capture \
        the service holds already is counted, never stored twice; a capture whose id is held with \
        other bytes, or whose file does not match the manifest, is listed and left out. Exit \
        status: 0 all taken in; 2 some were left out."
    )]
    ImportBundle {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Each kiosk: captures received and undecided, and its last heartbeat
    Status,
    /// Write each kiosk's receipts and review decisions for `capture-kiosk import-decisions`
    ExportDecisions {
        /// Where to write decisions-<kiosk>.json
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Only this kiosk (default: every kiosk)
        #[arg(long)]
        kiosk: Option<String>,
    },
    /// Write every approved photo as <admission_no>.jpg plus manifest.csv, for the exam office
    #[command(
        after_help = "The folder may hold an earlier export: photos are rewritten, and \
        manifest.csv lists exactly this export. A candidate with approved photos at several \
        education levels gets <admission_no>-<level>.jpg. A capture that cannot be written (an \
        admission number that is not ASCII letters and digits, a stored photo missing or not \
        the one received) is left out and listed by its capture id, the rest is written, and \
        the exit status is 3. Manifest cells that a spreadsheet would run as formulas begin \
        with '."
    )]
    ExportApproved {
        /// The folder to write to (created if missing)
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum CentralRosterCommand {
    /// Publish FILE.csv (the kiosks' roster format) as the new roster version
    #[command(
        after_help = "Bad rows are listed with their line numbers and left out. Exit \
        status: 0 all rows published, 2 some rows left out, 1 nothing published."
    )]
    Import {
        /// The roster CSV (header admission_no,name,education_level,phone)
        file: PathBuf,
        /// Digits in an admission number
        #[arg(long, default_value_t = 12)]
        admission_number_length: usize,
        /// For this kiosk only (its site's candidates); default: for every kiosk
        #[arg(long, value_name = "NAME")]
        kiosk: Option<String>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum VerdictArg {
    Approve,
    Reject,
}

/// Runs `capture-central` with the parsed arguments; what it reports goes to `out` (results)
/// and `err` (notes and problems), as the binary's stdout and stderr.
pub fn run(args: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    match args.command {
        None => {
            let tls = args
                .tls_cert
                .zip(args.tls_key)
                .map(|(cert, key)| crate::server::Tls { cert, key });
            crate::server::run(
                args.listen,
                &args.data,
                tls.as_ref(),
                Quota {
                    captures_per_hour: args.max_captures_per_hour,
                    bytes_per_day: args.max_bytes_per_day,
                },
            )?
        }
        Some(CentralCommand::AddKiosk { name }) => {
            let mut central = Central::open(&args.data)?;
            let token = central.add_kiosk(&name)?;
            writeln!(
                err,
                "kiosk {name} added; its bearer token (put it in the kiosk's config, it is not shown again):"
            )?;
            writeln!(out, "{token}")?;
        }
        Some(CentralCommand::RevokeKiosk { name }) => {
            let mut central = Central::open(&args.data)?;
            central.revoke_kiosk(&name)?;
            writeln!(
                out,
                "kiosk {name}: token revoked; its requests are refused from now on"
            )?;
        }
        Some(CentralCommand::RotateKiosk { name }) => {
            let mut central = Central::open(&args.data)?;
            let token = central.rotate_kiosk(&name)?;
            writeln!(
                err,
                "kiosk {name}: new token (put it into the kiosk's [sync] token; the old one is refused from now on):"
            )?;
            writeln!(out, "{token}")?;
        }
        Some(CentralCommand::ResetReviewer { name }) => {
            let mut central = Central::open(&args.data)?;
            let password = central.reset_reviewer(&name)?;
            writeln!(
                err,
                "reviewer {name}: new password for /review (their sessions have ended; it is not shown again):"
            )?;
            writeln!(out, "{password}")?;
        }
        Some(CentralCommand::RemoveReviewer { name }) => {
            let mut central = Central::open(&args.data)?;
            central.remove_reviewer(&name)?;
            writeln!(
                out,
                "reviewer {name} removed: cannot log in, sessions ended (decisions kept)"
            )?;
        }
        Some(CentralCommand::AddReviewer { name }) => {
            let mut central = Central::open(&args.data)?;
            let password = central.add_reviewer(&name)?;
            writeln!(
                err,
                "reviewer {name} added; the password for /review (give it to them, it is not shown again):"
            )?;
            writeln!(out, "{password}")?;
        }
        Some(CentralCommand::Roster(CentralRosterCommand::Import {
            file,
            admission_number_length,
            kiosk,
        })) => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let report = parse_roster(&bytes, admission_number_length)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            for bad in &report.bad_rows {
                writeln!(
                    err,
                    "{}: line {}: {}",
                    file.display(),
                    bad.line,
                    bad.problem
                )?;
            }
            if report.entries.is_empty() {
                writeln!(err, "nothing published: no good rows")?;
                return Ok(1);
            }
            let rows: Vec<_> = report.entries.iter().map(RosterEntry::to_row).collect();
            let source = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut central = Central::open(&args.data)?;
            let version = central.publish_roster(&rows, &source, kiosk.as_deref())?;
            writeln!(
                out,
                "roster version {version} published for {}: {} entries ({} rows left out)",
                kiosk
                    .as_deref()
                    .map_or("every kiosk".into(), |k| format!("kiosk {k}")),
                rows.len(),
                report.bad_rows.len()
            )?;
            if !report.bad_rows.is_empty() {
                return Ok(2);
            }
        }
        Some(CentralCommand::Decide {
            id,
            verdict,
            reason,
            reviewer,
        }) => {
            let verdict = match verdict {
                VerdictArg::Approve => capture_protocol::Verdict::Approved,
                VerdictArg::Reject => capture_protocol::Verdict::Rejected,
            };
            let mut central = Central::open(&args.data)?;
            let d = central.decide(id, verdict, reason.as_deref(), &reviewer)?;
            writeln!(
                out,
                "capture {id} {} (decision {})",
                d.verdict.as_str(),
                d.seq
            )?;
        }
        Some(CentralCommand::ImportBundle { dir }) => {
            let mut central = Central::open(&args.data)?;
            let bundles: Vec<PathBuf> = if dir.join("manifest.json").exists() {
                vec![dir.clone()]
            } else {
                let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .with_context(|| format!("cannot read {}", dir.display()))?
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("manifest.json").exists())
                    .collect();
                found.sort();
                found
            };
            anyhow::ensure!(
                !bundles.is_empty(),
                "no bundle in {} (a bundle folder holds manifest.json)",
                dir.display()
            );
            let mut left_out = 0;
            for bundle in &bundles {
                let r = crate::handover::import_bundle(&mut central, bundle)
                    .with_context(|| format!("bundle {}", bundle.display()))?;
                writeln!(
                    out,
                    "{}: kiosk {}: {} new, {} already held, {} conflicting, {} damaged",
                    bundle.display(),
                    r.kiosk,
                    r.created,
                    r.repeated,
                    r.conflicts.len(),
                    r.damaged.len()
                )?;
                for id in &r.conflicts {
                    writeln!(
                        out,
                        "  conflict: capture {id} is held with other bytes; left out"
                    )?;
                }
                for (file, why) in &r.damaged {
                    writeln!(out, "  damaged: {file}: {why}; left out")?;
                }
                left_out += r.conflicts.len() + r.damaged.len();
            }
            if left_out > 0 {
                return Ok(2);
            }
        }
        Some(CentralCommand::Status) => {
            let central = Central::open(&args.data)?;
            let counts = central.capture_counts()?;
            writeln!(
                out,
                "kiosk                received undecided  last heartbeat (queue, refused, free disk, camera)"
            )?;
            for k in central.kiosks()? {
                let (received, undecided) = counts.get(&k.name).copied().unwrap_or_default();
                let beat = match (&k.last_heartbeat, &k.report) {
                    _ if k.revoked_at.is_some() => format!(
                        "token revoked {}",
                        k.revoked_at.as_deref().unwrap_or_default()
                    ),
                    (Some(at), Some(h)) => format!(
                        "{at} ({} waiting, {} refused, {}, camera {})",
                        h.queue_length,
                        h.refused,
                        h.free_disk_bytes
                            .map_or("disk ?".into(), capture_durable::human_bytes),
                        h.camera
                    ),
                    _ => "never".into(),
                };
                writeln!(out, "{:<20} {received:>8} {undecided:>9}  {beat}", k.name)?;
            }
        }
        Some(CentralCommand::ExportDecisions { to, kiosk }) => {
            let central = Central::open(&args.data)?;
            let kiosks = match kiosk {
                Some(k) => vec![k],
                None => central.kiosks()?.into_iter().map(|k| k.name).collect(),
            };
            for file in crate::handover::export_decisions(&central, &kiosks, &to)? {
                writeln!(out, "{}", file.display())?;
            }
        }
        Some(CentralCommand::ExportApproved { to }) => {
            let central = Central::open(&args.data)?;
            let export = crate::handover::export_approved(&central, &to)?;
            writeln!(
                out,
                "{} approved photo(s) written to {} with manifest.csv",
                export.written,
                to.display()
            )?;
            if !export.skipped.is_empty() {
                for (id, why) in &export.skipped {
                    writeln!(out, "not written: capture {id}: {why}")?;
                }
                writeln!(
                    out,
                    "{} approved capture(s) NOT in this export (listed above; see them on \
                     /review by their capture id)",
                    export.skipped.len()
                )?;
                return Ok(3);
            }
        }
    }
    Ok(0)
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
    fn an_export_that_left_a_capture_out_says_which_and_exits_3() {
        use capture_protocol::{CaptureUpload, Verdict};
        let dir = tempfile::tempdir().unwrap();
        let mut c = Central::open(dir.path()).unwrap();
        c.add_kiosk("a").unwrap();
        let mut ids = Vec::new();
        for (no, photo) in [("000011110001", b"one"), ("../000011110002", b"two")] {
            let mut u = CaptureUpload::sample(photo);
            u.admission_no = no.into();
            c.put_capture("a", &u, photo).unwrap();
            c.decide(u.id, Verdict::Approved, None, "r").unwrap();
            ids.push(u.id);
        }
        drop(c);
        let to = dir.path().join("handover");
        let data = dir.path().to_str().unwrap();
        let (code, out, _) = run_args(&[
            "capture-central",
            "--data",
            data,
            "export-approved",
            "--to",
            to.to_str().unwrap(),
        ]);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("1 approved photo(s) written"), "{out}");
        assert!(
            out.contains(&format!(
                "not written: capture {}: the admission number",
                ids[1]
            )),
            "{out}"
        );
        assert!(
            out.contains("1 approved capture(s) NOT in this export"),
            "{out}"
        );
        // The capture is named by its id; what the kiosk sent is not echoed.
        assert!(!out.contains("../"), "{out}");
        assert!(to.join("000011110001.jpg").is_file());
    }

    #[test]
    fn serving_is_the_default() {
        let cli =
            Cli::try_parse_from(["capture-central", "--data", "d", "--listen", "127.0.0.1:0"])
                .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.data, PathBuf::from("d"));
    }
}
