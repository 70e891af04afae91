//! Real HEIC/HEIF files through `picture::decode`: a phone's photo, a file stored sideways
//! with a rotation box, a damaged and an empty one. The files come from PyPI's pillow-heif
//! source package (tools/fetch-heic-samples.sh, which tools/run-tests runs); without them
//! the test says NOT RUN and passes.
#![cfg(feature = "heic")]

use capture_core::picture::{PictureError, decode};
use std::path::PathBuf;

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/heic-samples");
    if dir.join("xiaomi.heic").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "real HEIC files: NOT RUN ({} is missing: run tools/fetch-heic-samples.sh)",
            dir.display()
        );
        None
    }
}

#[test]
fn real_heic_files_are_read_upright_and_broken_ones_named() {
    let Some(dir) = samples() else { return };
    let read = |name: &str| decode(&std::fs::read(dir.join(name)).unwrap());

    // A phone's photo: 2592×1944, coded as a grid of 512×512 tiles, which libheif joins.
    let phone = read("xiaomi.heic").unwrap();
    assert_eq!(phone.format, "HEIC");
    assert_eq!(phone.image.dimensions(), (2592, 1944));
    let lum: Vec<u32> = phone
        .image
        .pixels()
        .map(|p| p.0.iter().map(|&c| u32::from(c)).sum())
        .collect();
    let (lo, hi) = (lum.iter().min().unwrap(), lum.iter().max().unwrap());
    assert!(hi - lo > 300, "a picture, not a flat field: {lo}..{hi}");

    // Stored landscape, 7008×4672 (its grid's `ispe`), with a rotation box of a quarter
    // turn (`irot` 1): read upright, it is 4672 wide and 7008 tall.
    let sideways = read("guitar_cw90.hif").unwrap();
    assert_eq!(sideways.image.dimensions(), (4672, 7008));

    // Damaged and empty files: errors that name what is wrong, no crash.
    match read("corrupted.heic") {
        Err(PictureError::Damaged {
            format: "HEIC",
            detail,
        }) => {
            assert!(!detail.is_empty())
        }
        other => panic!("corrupted.heic: {:?}", other.map(|p| p.image.dimensions())),
    }
    assert_eq!(
        read("empty.heic").err(),
        Some(PictureError::NotAPicture),
        "an empty file is no picture"
    );
}
