//! The units in `systemd/` (issue 11, item 9): `systemd-analyze verify` finds nothing in
//! them, and `systemd-analyze security --offline=true` rates the central unit at most 2.0
//! and the kiosk unit at most 2.5 (what keeps the kiosk there is in its unit's comments).
//! systemd-analyze comes from Debian's `systemd` package (tools/run-tests installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn unit(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../systemd")
        .join(name)
}

fn analyze(args: &[&str], unit: &Path) -> (bool, String) {
    let out = Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .unwrap_or_else(|e| {
            panic!("systemd-analyze cannot run ({e}): install Debian's systemd package")
        });
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_units_verify_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["capture-central.service", "capture-kiosk.service"] {
        // verify also checks that each command exists: the programs are not installed on
        // a test machine, so /bin/true stands in for them (the unit itself is unchanged).
        let text = std::fs::read_to_string(unit(name))
            .unwrap()
            .replace("/usr/bin/capture-central", "/bin/true")
            .replace("/usr/bin/capture-kiosk", "/bin/true")
            .replace("/usr/bin/cage", "/bin/true");
        let copy = dir.path().join(name);
        std::fs::write(&copy, text).unwrap();
        let (ok, said) = analyze(&["verify"], &copy);
        assert!(ok && said.trim().is_empty(), "{name}: {said}");
    }
}

#[test]
fn the_units_are_hardened() {
    for (name, most) in [
        ("capture-central.service", 2.0),
        ("capture-kiosk.service", 2.5),
    ] {
        let (ok, said) = analyze(&["security", "--offline=true", "--no-pager"], &unit(name));
        assert!(ok, "{name}: {said}");
        let exposure: f64 = said
            .lines()
            .find_map(|l| l.split_once("Overall exposure level for ").map(|(_, r)| r))
            .and_then(|r| r.split_once(": "))
            .and_then(|(_, r)| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no exposure level in {said}"));
        assert!(
            exposure <= most,
            "{name}: exposure {exposure} (at most {most})"
        );
    }
}
