//! The `capture-kiosk` binary: everything is in the library; see `cli` for the commands.

fn main() -> std::process::ExitCode {
    capture_kiosk::cli::main()
}
