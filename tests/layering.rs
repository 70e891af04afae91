//! The house's rules, checked: which crate may depend on what (`cargo tree` of each crate,
//! offline and locked), and that inside each crate a module imports only modules below it
//! (no circle). Fails when someone adds tract to the core, a camera to the service, a web
//! server to the kiosk, or an import that runs upwards.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo tree` of `package` with the given extra arguments: one line per package (and
/// feature, with `-e features`).
fn tree(package: &str, extra: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(repo())
        .args([
            "tree",
            "--locked",
            "--offline",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .args(extra)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The package names in a `cargo tree` of normal (shipped) dependencies.
fn shipped(package: &str) -> BTreeSet<String> {
    tree(package, &["-e", "normal"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_none(package: &str, deps: &BTreeSet<String>, forbidden: &[&str]) {
    let found: Vec<&String> = deps
        .iter()
        .filter(|d| {
            forbidden
                .iter()
                .any(|f| d.as_str() == *f || (f.ends_with('*') && d.starts_with(&f[..f.len() - 1])))
        })
        .collect();
    assert!(
        found.is_empty(),
        "{package} must not depend on {found:?} (see docs/ARCHITECTURE.md)"
    );
}

#[test]
fn the_core_has_no_io_engines_and_the_protocol_imports_nothing_of_ours() {
    let core = shipped("capture-core");
    assert!(core.contains("capture-protocol"), "{core:?}");
    assert_none(
        "capture-core",
        &core,
        &[
            "tract-*",
            "rusqlite",
            "libsqlite3-sys",
            "slint",
            "i-slint-*",
            "tokio",
            "nokhwa",
            "reqwest",
            "axum",
            "capture-vision",
            "capture-durable",
        ],
    );
    let protocol = shipped("capture-protocol");
    let ours: Vec<&String> = protocol
        .iter()
        .filter(|d| d.starts_with("capture-") && *d != "capture-protocol")
        .collect();
    assert!(ours.is_empty(), "the protocol imports {ours:?}");
}

#[test]
fn the_central_service_ships_no_camera_screen_or_face_models() {
    let central = shipped("capture-central");
    assert!(central.contains("axum"), "{central:?}");
    assert_none(
        "capture-central",
        &central,
        &[
            "slint",
            "i-slint-*",
            "nokhwa",
            "tract-*",
            "capture-vision",
            "capture-kiosk",
            "winit",
        ],
    );
    // The models are bytes built into the vision crate only.
    for crate_dir in [
        "crates/core",
        "crates/central",
        "crates/protocol",
        "crates/durable",
    ] {
        for file in rust_files(&repo().join(crate_dir).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !text.contains("assets/models"),
                "{} embeds a model",
                file.display()
            );
        }
    }
}

#[test]
fn the_kiosk_ships_no_web_server() {
    let kiosk = shipped("capture-kiosk");
    assert!(kiosk.contains("reqwest") && kiosk.contains("capture-vision"));
    assert_none("capture-kiosk", &kiosk, &["axum", "capture-central"]);
    // hyper comes with reqwest, as a client only.
    let features = tree("capture-kiosk", &["-e", "normal,features", "-i", "hyper"]);
    assert!(
        features.contains("hyper feature \"client\""),
        "the tree lists hyper's features: {features}"
    );
    assert!(
        !features.contains("hyper feature \"server\""),
        "the kiosk links hyper's server: {features}"
    );
    let util = tree(
        "capture-kiosk",
        &["-e", "normal,features", "-i", "hyper-util"],
    );
    assert!(
        !util.contains("hyper-util feature \"server"),
        "the kiosk links hyper-util's server: {util}"
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level modules a module's source names with `crate::NAME`.
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        // `capture_crate::` and the like are other crates' paths.
        if source[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &source[i + "crate::".len()..];
        if let Some(brace) = rest.strip_prefix('{') {
            for part in brace[..brace.find('}').unwrap_or(0)].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Checks that each module of a crate imports only modules before it in `order` (bottom
/// first); items of the crate root (`lib`) count as the module named `lib`.
fn assert_layered(src: &Path, order: &[&str]) {
    let module_of = |file: &Path| -> String {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let mut problems = Vec::new();
    for file in rust_files(src) {
        let module = module_of(&file);
        if module == "main" {
            continue;
        }
        let Some(rank) = order.iter().position(|m| *m == module) else {
            problems.push(format!(
                "{}: module {module} has no place in the layering",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in imports(&text) {
            if used == module || used.is_empty() {
                continue;
            }
            // Items of the crate root other than modules (e.g. `crate::FaceAnalyzer`).
            let used_rank = order
                .iter()
                .position(|m| *m == used)
                .or_else(|| order.iter().position(|m| *m == "lib"));
            match used_rank {
                Some(r) if r < rank => {}
                _ => problems.push(format!(
                    "{}: {module} imports {used}, which is not below it",
                    file.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn inside_every_crate_imports_run_one_way() {
    assert_layered(
        &repo().join("crates/core/src"),
        &[
            "lang",
            "identity",
            "picture",
            "roster",
            "candidate",
            "profile",
            "face",
            "compliance",
            "photo",
            "session",
            "lib",
        ],
    );
    assert_layered(
        &repo().join("crates/vision/src"),
        &[
            "net", "crop", "detect", "mesh", "iris", "segment", "lib", "inspect",
        ],
    );
    assert_layered(
        &repo().join("crates/central/src"),
        &["store", "handover", "server", "cli", "lib"],
    );
    assert_layered(
        &repo().join("src"),
        &[
            "failpoint",
            "camera",
            "config",
            "store",
            "sync",
            "bundle",
            "synthetic",
            "flow",
            "app",
            "headless",
            "doctor",
            "cli",
            "lib",
        ],
    );
}

#[test]
fn the_import_reader_sees_what_it_must() {
    let seen = imports(
        "use crate::store::{Store, StoreError};\nuse crate::{a, b::c};\nlet x = capture_crate::y; crate::flow::Note",
    );
    let expected: BTreeSet<String> = ["store", "a", "b", "flow"].map(String::from).into();
    assert_eq!(seen, expected);
}
