//! The checks on real portraits: `../shared/portraits` (next to the repository; never
//! copied into it, their licences do not allow that), labelled per rule by a person. Runs
//! `tools/eval.sh`'s labelled evaluation for every built-in profile and holds the checks to
//! `tests/portraits.toml`: no required check rejects a photo labelled as meeting its rule
//! (but for the disagreements listed there, each with its reason), and no rule catches fewer
//! labelled defects than it did. Where the folder is absent the test says so and checks
//! nothing.

#[allow(dead_code)] // each test binary uses a part of it
mod evalset;

use std::path::PathBuf;

fn portraits() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/portraits"
    ));
    dir.join("labels.json").is_file().then_some(dir)
}

#[derive(serde::Deserialize)]
struct Expectations {
    #[serde(default)]
    disagreement: Vec<Disagreement>,
    caught: std::collections::BTreeMap<String, usize>,
}

#[derive(serde::Deserialize)]
struct Disagreement {
    file: String,
    check: String,
    why: String,
}

#[test]
fn every_required_check_agrees_with_the_labels_on_real_portraits() {
    let Some(dir) = portraits() else {
        eprintln!(
            "NOT RUN: ../shared/portraits (labelled real portraits) is absent here, so the checks \
             were not measured on real faces; put the folder next to the repository to run it"
        );
        return;
    };
    let expected: Expectations = toml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/portraits.toml"))
            .unwrap(),
    )
    .expect("tests/portraits.toml");
    let allowed: Vec<(String, String)> = expected
        .disagreement
        .iter()
        .map(|d| {
            assert!(!d.why.trim().is_empty(), "{}: say why", d.file);
            (d.file.clone(), d.check.clone())
        })
        .collect();
    for id in capture_core::profile::BUILTIN_IDS {
        let profile = capture_core::profile::Profile::builtin(id).unwrap();
        let report = evalset::labelled::evaluate(&dir, &profile);
        println!("{id}:\n{}", report.table());
        assert!(report.photos >= 40, "the set lists its photos");
        assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
        let wrong = report.wrongly_rejected(&allowed);
        assert!(wrong.is_empty(), "{id}: {wrong:#?}");
        for (file, check) in &allowed {
            assert!(
                report
                    .rejections
                    .iter()
                    .any(|(f, c)| f == file && c.as_str() == check),
                "{id}: {file} is no longer rejected by {check}: take it off tests/portraits.toml"
            );
        }
        for (rule, floor) in &expected.caught {
            let caught = report.rules.get(rule.as_str()).map_or(0, |r| r.caught);
            assert!(
                caught >= *floor,
                "{id}: {rule} catches {caught} labelled defects, fewer than the {floor} it did"
            );
        }
        for gap in report.under_caught() {
            println!("target not met yet ({id}): {gap}");
        }
    }
}
