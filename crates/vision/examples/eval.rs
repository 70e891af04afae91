//! The evaluation set: `cargo run --example eval -- generate DIR`, then
//! `cargo run --example eval -- table DIR` for the per-check confusion table (exit status 1
//! when a compliant reference is rejected or a defect is not caught). See tools/eval.sh.

#[path = "../tests/evalset/mod.rs"]
mod evalset;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("generate"), Some(dir)) => evalset::generate(Path::new(dir)),
        (Some("table"), Some(dir)) => {
            std::process::exit(i32::from(!evalset::table(Path::new(dir)).is_empty()))
        }
        _ => {
            eprintln!("usage: eval generate DIR | eval table DIR");
            std::process::exit(2);
        }
    }
}
