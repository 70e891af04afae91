//! The evaluation sets (see tools/eval.sh):
//! - `eval generate DIR`, then `eval table DIR`: the set made from public-domain portraits
//!   and its per-check confusion table (exit status 1 when a compliant reference is
//!   rejected or a defect is not caught);
//! - `eval labelled DIR [PROFILE]`: a folder of real photos with `labels.json` (as
//!   `../shared/portraits`): per rule, defects caught; per check, good photos rejected
//!   (exit status 1 when a required check misses the targets).

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
        (Some("labelled"), Some(dir)) => {
            let id = args.get(3).map_or("bj-degree", String::as_str);
            let Some(profile) = capture_core::profile::Profile::builtin(id) else {
                eprintln!("unknown profile {id}");
                std::process::exit(2);
            };
            let report = evalset::labelled::evaluate(Path::new(dir), &profile);
            print!("{}", report.table());
            let problems = report.problems();
            if problems.is_empty() {
                println!("\nevery required check meets the targets on this set ({id})");
            } else {
                println!("\nmisses the targets ({id}):");
                for p in &problems {
                    println!("  {p}");
                }
            }
            std::process::exit(i32::from(!problems.is_empty()))
        }
        _ => {
            eprintln!("usage: eval generate DIR | eval table DIR | eval labelled DIR [PROFILE]");
            std::process::exit(2);
        }
    }
}
