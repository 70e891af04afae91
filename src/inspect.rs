//! Where face analysis and the photo rules meet: analyse an image (a photo file, or the
//! frame the kiosk captured), measure it, and evaluate every check for a profile. Used by
//! `capture-kiosk check` / `produce` and by the kiosk's analysis thread.

use crate::compliance::measure::{Frame, Measures, measure};
use crate::compliance::{CheckResult, Context, evaluate};
use crate::profile::Profile;
use crate::vision::{Analysis, FaceAnalyzer, Mask, NetError};
use image::RgbImage;
use serde::Serialize;

/// A still photo, checked.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub analysis: Analysis,
    pub mask: Option<Mask>,
    pub measures: Measures,
    pub results: Vec<CheckResult>,
}

impl Inspection {
    pub fn compliant(&self) -> bool {
        self.results.iter().all(|r| r.pass)
    }

    pub fn failing(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| !r.pass)
    }
}

/// Checks a still photo: the whole image is the photo frame; `file_bytes` is the size of
/// the file it came from, if it came from one.
pub fn inspect_still(
    analyzer: &mut FaceAnalyzer,
    image: &RgbImage,
    file_bytes: Option<u64>,
    profile: &Profile,
) -> Result<Inspection, NetError> {
    let analysis = analyzer.still(image)?;
    let mask = if analysis.mesh.is_some() {
        Some(analyzer.segment(image)?)
    } else {
        None
    };
    let mut measures = measure(image, Frame::whole(image), &analysis, mask.as_ref());
    measures.file_bytes = file_bytes;
    let results = evaluate(&measures, profile, Context::Still);
    Ok(Inspection {
        analysis,
        mask,
        measures,
        results,
    })
}

/// The JSON line `check --json` prints for one image.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub file: &'a str,
    pub compliant: bool,
    pub faces: usize,
    pub checks: &'a [CheckResult],
}

/// Why no photo could be made.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    #[error("no face found in the picture")]
    NoFace,
    #[error(transparent)]
    Photo(#[from] crate::photo::PhotoError),
    #[error(transparent)]
    Vision(#[from] NetError),
}

/// Makes the final photo from a picture (analysed as a still), and checks the result as
/// the photo it is — `file.size` included.
pub fn produce_still(
    analyzer: &mut FaceAnalyzer,
    image: &RgbImage,
    profile: &Profile,
) -> Result<(crate::photo::Photo, Inspection), ProduceError> {
    let analysis = analyzer.still(image)?;
    let mesh = analysis.mesh.as_ref().ok_or(ProduceError::NoFace)?;
    let mask = analyzer.segment(image)?;
    let (crown, _) = crate::compliance::measure::crown(mesh, Some(&mask));
    let photo = crate::photo::produce(image, mesh, crown, &mask, profile)?;
    let check = inspect_still(
        analyzer,
        &photo.image,
        Some(photo.jpeg.len() as u64),
        profile,
    )?;
    Ok((photo, check))
}
