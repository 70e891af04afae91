fn main() -> std::process::ExitCode {
    capture_kiosk::cli::main()
}
