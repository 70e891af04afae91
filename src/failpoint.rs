//! Crash points for the crash-safety tests: with `CAPTURE_KIOSK_FAILPOINT=<name>` in the
//! environment the process aborts at the named point, as a power cut would stop it there
//! (no destructors, no flushing). Unset, `hit` is a cheap no-op.

pub const ENV: &str = "CAPTURE_KIOSK_FAILPOINT";

pub fn hit(name: &str) {
    if std::env::var_os(ENV).is_some_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
