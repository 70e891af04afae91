//! The evaluation set (tests/evalset): generated from the public-domain portraits and
//! checked. No compliant reference may be rejected, and every defect must be caught by its
//! own check.

mod evalset;

#[test]
fn every_defect_is_caught_and_no_good_photo_rejected() {
    let dir = tempfile::tempdir().unwrap();
    evalset::generate(dir.path());
    let classes: std::collections::BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .split("__")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    for needed in [
        "compliant",
        "background.colour",
        "background.uniform",
        "pose.roll",
        "head.size",
        "head.position",
        "exposure",
        "colour.natural",
        "sharpness",
        "eyes.open",
        "face.count",
        "liveness",
        "mouth.closed",
    ] {
        assert!(classes.contains(needed), "the set has the class {needed}");
    }
    let problems = evalset::table(dir.path());
    assert!(problems.is_empty(), "{problems:#?}");
}
