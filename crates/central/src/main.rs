//! The `capture-central` binary: everything is in the library; see `cli` for the commands.

fn main() -> std::process::ExitCode {
    capture_central::cli::main()
}
