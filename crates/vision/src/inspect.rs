//! Where face analysis and the photo rules meet: analyse an image (a photo file, or the
//! frame the kiosk captured), measure it, and evaluate every check for a profile (the still
//! inspector); or follow a camera's frames as they come (the live inspector). Used by
//! `capture-kiosk check` / `produce` and by the kiosk's analysis thread.

use crate::{FaceAnalyzer, NetError};
use capture_core::compliance::autocapture::BurstFrame;
use capture_core::compliance::backdrop::{Backdrop, BackdropProblem, calibrate};
use capture_core::compliance::guide::{Guidance, Guide};
use capture_core::compliance::measure::{
    Frame, MaskMeasures, Measures, crown, crown_above, crown_ratio, measure, measure_mask,
    measure_with,
};
use capture_core::compliance::motion::{MotionCue, require_life};
use capture_core::compliance::{CheckId, CheckResult, Context, evaluate};
use capture_core::face::{Analysis, Mask, Mesh, landmark};
use capture_core::photo::{self, Photo, PhotoError};
use capture_core::profile::{Framing, Profile};
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
    /// No required check fails (advisory ones may).
    pub fn compliant(&self) -> bool {
        capture_core::compliance::acceptable(&self.results)
    }

    /// Every failing check, required or advisory.
    pub fn failing(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| !r.pass)
    }
}

/// Checks a still photo: the whole image is the photo frame; `file_bytes` is the size of
/// the file it came from, if it came from one (then the file's own checks are made too).
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
    let context = if file_bytes.is_some() {
        Context::File
    } else {
        Context::Still
    };
    let results = evaluate(&measures, profile, context);
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
    Photo(#[from] PhotoError),
    #[error(transparent)]
    Vision(#[from] NetError),
}

/// Makes the final photo from a picture (analysed as a still), and checks the result as
/// the photo it is — `file.size` included.
pub fn produce_still(
    analyzer: &mut FaceAnalyzer,
    image: &RgbImage,
    profile: &Profile,
) -> Result<(Photo, Inspection), ProduceError> {
    let analysis = analyzer.still(image)?;
    let mesh = analysis.mesh.as_ref().ok_or(ProduceError::NoFace)?;
    let mask = analyzer.segment(image)?;
    let (crown, _) = crown(mesh, Some(&mask));
    let photo = photo::produce(image, mesh, crown, &mask, profile)?;
    let check = inspect_still(
        analyzer,
        &photo.image,
        Some(photo.jpeg.len() as u64),
        profile,
    )?;
    Ok((photo, check))
}

/// A person mask is computed for one live frame in this many — about once a second (the
/// backdrop, shoulders and clothing change slowly; their measures are kept in between) —
/// or sooner when the face moved by MASK_MOVE of its width since the last one.
const MASK_EVERY: u32 = 30;
const MASK_MOVE: f32 = 0.25;
/// The texture cues (a print's or a screen's grain, a picture's border) are measured on one
/// live frame in this many and kept in between: they are a property of what stands before
/// the camera, which does not change from one frame to the next. A capture burst measures
/// them on every frame.
const TEXTURE_EVERY: u32 = 2;

/// One live camera frame, checked.
#[derive(Debug, Clone)]
pub struct LiveFrame {
    /// Every check but `file.size`, as measured on this frame.
    pub results: Vec<CheckResult>,
    /// What the screen shows: the checks' steady states and the one instruction.
    pub guidance: Guidance,
    /// How this frame would do as the photo (for choosing among a burst).
    pub burst: BurstFrame,
    pub face: bool,
    /// Nothing moved: the models did not run for this frame.
    pub reused: bool,
}

/// Checks the frames of a video as they come: the face is tracked from frame to frame, the
/// photo frame is the profile's frame drawn over the preview, the person mask is refreshed
/// now and then, liveness also looks at how the face moves, and the guidance keeps every
/// check's shown state steady.
pub struct LiveInspector {
    analyzer: FaceAnalyzer,
    profile: Profile,
    guide: Guide,
    motion: MotionCue,
    mask: Option<MaskMeasures>,
    /// The crown's height above the forehead (face lengths) the last mask showed.
    crown_ratio: Option<f32>,
    since_mask: u32,
    /// Frames since the texture cues were last measured.
    since_texture: u32,
    /// Where the face was (centre and width) when the mask was made.
    masked_at: Option<((f32, f32), f32)>,
    last: Option<Measures>,
    /// The site's calibrated backdrop, if staff calibrated one.
    backdrop: Option<Backdrop>,
}

impl LiveInspector {
    /// `hold`: frames a check's new state must last before it is shown.
    pub fn new(analyzer: FaceAnalyzer, profile: Profile, hold: u32) -> Self {
        Self {
            analyzer,
            profile,
            guide: Guide::new(hold),
            motion: MotionCue::default(),
            mask: None,
            crown_ratio: None,
            since_mask: 0,
            since_texture: 0,
            masked_at: None,
            last: None,
            backdrop: None,
        }
    }

    /// The background checks compare live frames with this backdrop (calibrated by staff)
    /// instead of the profile's colour.
    pub fn with_backdrop(mut self, backdrop: Option<Backdrop>) -> Self {
        self.backdrop = backdrop;
        self
    }

    /// A new calibration (staff calibrated the backdrop while the kiosk runs): the next
    /// frames are measured against it; the shown states start afresh.
    pub fn set_backdrop(&mut self, backdrop: Option<Backdrop>) {
        self.backdrop = backdrop;
        self.reset();
    }

    /// A new candidate: forget the face, its motion and the shown states.
    pub fn reset(&mut self) {
        self.analyzer.reset();
        self.guide.reset();
        self.forget_face();
    }

    fn forget_face(&mut self) {
        self.motion.reset();
        self.mask = None;
        self.crown_ratio = None;
        self.masked_at = None;
        self.last = None;
    }

    /// Whether the face on video showed a sign of life lately (a blink, a change of
    /// expression); `None` until enough frames were seen.
    pub fn alive(&self) -> Option<bool> {
        self.motion.alive(&self.profile.limits)
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The analyzer, for the still analysis of a captured frame.
    pub fn analyzer(&mut self) -> &mut FaceAnalyzer {
        &mut self.analyzer
    }

    /// Checks the next frame. `fresh`: run the models even if nothing moved, the iris model
    /// included (burst frames).
    pub fn frame(&mut self, image: &RgbImage, fresh: bool) -> Result<LiveFrame, NetError> {
        if fresh {
            self.analyzer.refresh();
            self.analyzer.refresh_eyes();
        }
        let analysis = self.analyzer.track(image, true)?;
        let measures = match (&analysis.mesh, &self.last) {
            (None, _) => {
                self.forget_face();
                measure(image, Frame::whole(image), &analysis, None)
            }
            // Nothing moved: the measures of the frame the models last ran on still hold.
            // (The face is still there all the same: the motion cues see it as unchanged.)
            (Some(mesh), Some(last)) if analysis.reused => {
                self.motion
                    .push(mesh, last.face.as_ref().map_or(0.0, |f| f.eye_contrast));
                last.clone()
            }
            (Some(mesh), _) => {
                let framing = Framing::for_camera(&self.profile, image.width(), image.height());
                let frame = Frame::of_framing(&framing, image);
                // The texture cues every TEXTURE_EVERY frames (and on every burst frame).
                let texture = self
                    .last
                    .as_ref()
                    .and_then(|l| l.face.as_ref())
                    .map(|f| f.texture())
                    .filter(|_| !fresh && self.since_texture + 1 < TEXTURE_EVERY);
                self.since_texture = if texture.is_some() {
                    self.since_texture + 1
                } else {
                    0
                };
                let mut m = measure_with(image, frame, &analysis, None, texture);
                self.since_mask += 1;
                let place = face_place(mesh);
                let moved = self.masked_at.is_none_or(|(c, w)| {
                    (place.0.0 - c.0).hypot(place.0.1 - c.1) > MASK_MOVE * w
                        || (place.1 - w).abs() > MASK_MOVE * w
                });
                if self.mask.is_none() || self.since_mask >= MASK_EVERY || moved {
                    self.masked_at = Some(place);
                    let mask = self.analyzer.segment(image)?;
                    let skin = m.face.as_ref().map(|f| f.skin());
                    self.mask = skin.map(|skin| measure_mask(image, frame, mesh, &mask, skin));
                    let (crown, from_mask) = crown(mesh, Some(&mask));
                    self.crown_ratio = from_mask.then(|| crown_ratio(mesh, crown));
                    self.since_mask = 0;
                }
                m.mask = self.mask.clone();
                // The crown where the mask showed it (hair and all), on every frame alike.
                if let (Some(face), Some(ratio)) = (m.face.as_mut(), self.crown_ratio) {
                    face.set_crown(mesh, frame, crown_above(mesh, ratio), true);
                }
                self.motion
                    .push(mesh, m.face.as_ref().map_or(0.0, |f| f.eye_contrast));
                m.moved_picture = self.motion.moved_picture();
                self.last = Some(m.clone());
                m
            }
        };
        let mut measures = measures;
        measures.backdrop = self.backdrop;
        let mut results = evaluate(&measures, &self.profile, Context::Live);
        // On video a face must also show a sign of life (a blink) before it is taken.
        if analysis.mesh.is_some() {
            require_life(&mut results, self.motion.alive(&self.profile.limits));
        }
        let guidance = self.guide.update(&results);
        let passes = |id: CheckId| results.iter().any(|r| r.id == id && r.pass);
        let burst = BurstFrame {
            sharpness: measures.face.as_ref().map_or(0.0, |f| f.sharpness),
            eyes_open: passes(CheckId::EyesOpen),
            all_pass: capture_core::compliance::acceptable(&results),
        };
        Ok(LiveFrame {
            face: analysis.mesh.is_some(),
            reused: analysis.reused,
            results,
            guidance,
            burst,
        })
    }
}

/// The centre of a face (between the outer eye corners) and its width (cheek to cheek).
fn face_place(mesh: &Mesh) -> ((f32, f32), f32) {
    use landmark::{EYE_OUTER, SYMMETRIC};
    let (a, b) = (mesh.point(EYE_OUTER.0), mesh.point(EYE_OUTER.1));
    let (l, r) = (mesh.point(SYMMETRIC[0].0), mesh.point(SYMMETRIC[0].1));
    (
        ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0),
        (l.0 - r.0).hypot(l.1 - r.1).max(1.0),
    )
}

/// The photo made from a captured camera frame, and its own check.
pub struct Captured {
    pub photo: Photo,
    pub inspection: Inspection,
    /// False when no face-based photo could be made and the frame's centre was cut out
    /// instead (a staff capture without a usable face): its checks say what is wrong.
    pub to_specification: bool,
}

/// Makes the final photo from a captured frame: to the specification when the face allows,
/// else the centre of the frame — so a staff capture always yields a photo to look at.
pub fn capture(
    analyzer: &mut FaceAnalyzer,
    image: &RgbImage,
    profile: &Profile,
) -> Result<Captured, ProduceError> {
    match produce_still(analyzer, image, profile) {
        Ok((photo, inspection)) => Ok(Captured {
            photo,
            inspection,
            to_specification: true,
        }),
        Err(ProduceError::Vision(e)) => Err(ProduceError::Vision(e)),
        Err(why) => {
            tracing::warn!("photo not made to the specification ({why}): centre of the frame kept");
            let photo = photo::centre_crop(image, profile)?;
            let inspection = inspect_still(
                analyzer,
                &photo.image,
                Some(photo.jpeg.len() as u64),
                profile,
            )?;
            Ok(Captured {
                photo,
                inspection,
                to_specification: false,
            })
        }
    }
}

/// Calibrates the site's backdrop from a camera frame with nobody in front of it (the
/// detector finds no face, the person mask covers almost nothing), over the profile's
/// photo frame.
pub fn calibrate_backdrop(
    analyzer: &mut FaceAnalyzer,
    image: &RgbImage,
    profile: &Profile,
) -> Result<Result<Backdrop, BackdropProblem>, NetError> {
    let faces = analyzer.still(image)?.faces;
    let mask = analyzer.segment(image)?;
    let framing = Framing::for_camera(profile, image.width(), image.height());
    let frame = Frame::of_framing(&framing, image);
    let (mut n, mut person) = (0u32, 0u32);
    for j in 0..32 {
        for i in 0..32 {
            let x = frame.x + frame.width * (i as f32 + 0.5) / 32.0;
            let y = frame.y + frame.height * (j as f32 + 0.5) / 32.0;
            n += 1;
            person += u32::from(mask.at(x, y) >= 0.5);
        }
    }
    analyzer.reset();
    Ok(calibrate(
        image,
        frame,
        faces,
        person as f32 / n as f32,
        profile,
    ))
}
