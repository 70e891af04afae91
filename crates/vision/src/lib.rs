//! Face analysis on the CPU: face detection, 468 face landmarks (tracked from frame to
//! frame; the detector runs only when tracking is lost, and now and then to count faces),
//! iris landmarks, and the person mask — MediaPipe's models (assets/models, built into the
//! binary) run in-process by tract, loaded once. It turns pixels into the core's face values
//! (`capture_core::face`); `inspect` then measures and checks them. Never decides pass or
//! fail itself, and knows nothing of cameras, screens or disks.
//!
//! ```no_run
//! # let frame = image::RgbImage::new(1280, 720);
//! let mut analyzer = capture_vision::FaceAnalyzer::load().unwrap();
//! let analysis = analyzer.track(&frame, true).unwrap();
//! if let Some(mesh) = &analysis.mesh { println!("nose tip at {:?}", mesh.point(1)); }
//! ```

pub mod crop;
pub mod detect;
pub mod inspect;
pub mod iris;
pub mod mesh;
pub mod net;
pub mod segment;

pub use detect::{Detection, FaceDetector};
pub use iris::IrisModel;
pub use mesh::FaceMesh;
pub use net::NetError;
pub use segment::Segmenter;

use capture_core::face::{Analysis, Eye, Mask, Mesh, Roi};
use image::RgbImage;

/// Detections below this score are not faces (MediaPipe's default).
const MIN_DETECTION_SCORE: f32 = 0.5;
/// A tracked face whose mesh presence falls to this is lost (MediaPipe's default).
const MIN_PRESENCE: f32 = 0.5;
/// While tracking, the detector still runs every this many frames to count the faces.
const RECOUNT_EVERY: u32 = 15;
/// Side of the grey thumbnail of the face region that tells whether anything moved.
const THUMB: usize = 48;
/// Cells of THUMB/4 pixels: a blink or a mouth movement changes one cell a lot.
const CELL: usize = THUMB / 4;
/// A cell whose mean grey level moves by less than this has not changed: sensor noise
/// averages out in a cell's mean (about 0.3 levels), while a blink, an opening mouth or a
/// head moving a pixel or two shifts some cell's mean by more.
const STILL_CHANGE: f32 = 1.5;
/// Results are reused for at most this many frames in a row.
const MAX_REUSE: u32 = 10;
/// While tracking, the iris model runs on one inferred frame in this many, on one eye in
/// turn, so each eye is measured again every `2 × IRIS_EVERY` frames (7–8 times a second at
/// 30 fps); the iris model costs nearly as much as the landmarks (docs/COMPLIANCE.md, Speed).
/// An eye's iris result carries its own corners, so gaze and lid opening stay consistent
/// while the face moves on; blinks are also seen by the lids of the mesh and the eyes'
/// contrast on every frame (liveness), and a captured photo is analysed afresh as a still.
/// [`FaceAnalyzer::refresh_eyes`] (the frames of a capture burst) runs it on the next frame.
const IRIS_EVERY: u32 = 2;

pub struct FaceAnalyzer {
    detector: FaceDetector,
    mesh: FaceMesh,
    iris: IrisModel,
    segmenter: Option<Segmenter>,
    tracked: Option<Roi>,
    since_count: u32,
    faces: usize,
    last_eyes: Option<[Eye; 2]>,
    next_eye: usize,
    /// Inferred frames since the iris model last ran while tracking.
    since_iris: u32,
    /// The last inferred frame's mesh and the grey thumbnail of the region tracked next.
    last_inferred: Option<(Mesh, Vec<f32>)>,
    reused_in_a_row: u32,
}

impl FaceAnalyzer {
    /// Loads the detection, landmark and iris models (the segmenter on first use).
    pub fn load() -> Result<Self, NetError> {
        Ok(Self {
            detector: FaceDetector::load()?,
            mesh: FaceMesh::load()?,
            iris: IrisModel::load()?,
            segmenter: None,
            tracked: None,
            since_count: 0,
            faces: 0,
            last_eyes: None,
            next_eye: 0,
            since_iris: 0,
            last_inferred: None,
            reused_in_a_row: 0,
        })
    }

    /// Forgets the tracked face (a new candidate, or a still image next).
    pub fn reset(&mut self) {
        self.tracked = None;
        self.last_eyes = None;
        self.last_inferred = None;
    }

    /// A still image: detect, then landmarks and irises of the largest face.
    pub fn still(&mut self, image: &RgbImage) -> Result<Analysis, NetError> {
        self.reset();
        let analysis = self.track(image, true)?;
        self.reset();
        Ok(analysis)
    }

    /// One frame of a video: follows the face from the previous frame when it can.
    pub fn track(&mut self, image: &RgbImage, with_eyes: bool) -> Result<Analysis, NetError> {
        let mut detected = false;
        let mut best: Option<Detection> = None;
        if self.tracked.is_none() || self.since_count >= RECOUNT_EVERY {
            let found = self.detector.detect(image, MIN_DETECTION_SCORE)?;
            self.faces = found.len();
            self.since_count = 0;
            detected = true;
            best = found
                .into_iter()
                .max_by(|a, b| (a.width() * a.height()).total_cmp(&(b.width() * b.height())));
        } else {
            self.since_count += 1;
        }
        // Nothing moved in the face region since the models last ran: reuse their results.
        if let (Some(roi), false, Some((mesh, thumb))) =
            (self.tracked, detected, &self.last_inferred)
            && self.reused_in_a_row < MAX_REUSE
            && (!with_eyes || self.last_eyes.is_some())
            && unchanged(thumb, &thumbnail(image, &roi))
        {
            self.reused_in_a_row += 1;
            let eyes = if with_eyes {
                self.last_eyes.clone()
            } else {
                None
            };
            return Ok(Analysis {
                faces: self.faces.max(1),
                mesh: Some(mesh.clone()),
                eyes,
                detected,
                reused: true,
            });
        }
        self.reused_in_a_row = 0;
        let roi = match (self.tracked, &best) {
            (Some(roi), _) => roi,
            (None, Some(d)) => mesh::roi_from_detection(d),
            (None, None) => {
                return Ok(Analysis {
                    faces: 0,
                    detected,
                    ..Analysis::default()
                });
            }
        };
        let mesh = self.mesh.run(image, &roi)?;
        if mesh.presence <= MIN_PRESENCE {
            self.tracked = None;
            self.last_eyes = None;
            // Lost while tracking: look again at once rather than show nothing for a frame.
            if !detected {
                return self.track(image, with_eyes);
            }
            return Ok(Analysis {
                faces: self.faces,
                detected,
                ..Analysis::default()
            });
        }
        let was_tracking = self.tracked.is_some();
        let next = mesh::roi_from_mesh(&mesh.points);
        self.tracked = Some(next);
        self.last_inferred = Some((mesh.clone(), thumbnail(image, &next)));
        let eyes = match (with_eyes, was_tracking, self.last_eyes.take()) {
            (false, ..) => None,
            // Tracking: one eye per IRIS_EVERY frames, in turn; the other results are a few
            // frames old (each eye's own corners and iris agree with each other, so gaze
            // stays sound).
            (true, true, Some(mut eyes)) => {
                self.since_iris += 1;
                if self.since_iris >= IRIS_EVERY {
                    self.since_iris = 0;
                    self.next_eye = 1 - self.next_eye;
                    eyes[self.next_eye] = self.iris.run_one(image, &mesh, self.next_eye)?;
                }
                Some(eyes)
            }
            (true, ..) => Some(self.iris.run(image, &mesh)?),
        };
        self.last_eyes = eyes.clone();
        Ok(Analysis {
            faces: self.faces.max(1),
            mesh: Some(mesh),
            eyes,
            detected,
            reused: false,
        })
    }

    /// Forces the models to run on the next frame even if nothing moved (the iris model
    /// as scheduled: [`IRIS_EVERY`]).
    pub fn refresh(&mut self) {
        self.last_inferred = None;
    }

    /// Forces the iris model to run on the next tracked frame (one eye, the next in turn),
    /// as for the frames of a capture burst.
    pub fn refresh_eyes(&mut self) {
        self.since_iris = IRIS_EVERY;
    }

    /// The person mask of a frame (the model loads on first use).
    pub fn segment(&mut self, image: &RgbImage) -> Result<Mask, NetError> {
        if self.segmenter.is_none() {
            self.segmenter = Some(Segmenter::load()?);
        }
        self.segmenter.as_mut().expect("loaded above").run(image)
    }
}

/// Grey levels of a region at THUMB×THUMB, each the mean of 2×2 samples.
fn thumbnail(image: &RgbImage, roi: &Roi) -> Vec<f32> {
    let t = crop::crop(
        image,
        roi,
        THUMB * 2,
        (0.0, 255.0),
        crop::Border::Replicate,
        false,
    );
    let rgb = t.to_plain_array_view::<f32>().expect("f32 crop");
    let grey: Vec<f32> = rgb
        .as_slice()
        .expect("contiguous")
        .chunks_exact(3)
        .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
        .collect();
    let w = THUMB * 2;
    (0..THUMB * THUMB)
        .map(|i| {
            let (x, y) = (i % THUMB * 2, i / THUMB * 2);
            (grey[y * w + x]
                + grey[y * w + x + 1]
                + grey[(y + 1) * w + x]
                + grey[(y + 1) * w + x + 1])
                / 4.0
        })
        .collect()
}

/// Whether no cell's mean grey level moved by STILL_CHANGE or more.
fn unchanged(a: &[f32], b: &[f32]) -> bool {
    (0..THUMB / CELL).all(|cy| {
        (0..THUMB / CELL).all(|cx| {
            let mut diff = 0.0;
            for y in cy * CELL..(cy + 1) * CELL {
                for x in cx * CELL..(cx + 1) * CELL {
                    diff += a[y * THUMB + x] - b[y * THUMB + x];
                }
            }
            (diff / ((CELL * CELL) as f32)).abs() < STILL_CHANGE
        })
    })
}
