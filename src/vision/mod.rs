//! Face analysis on the CPU: face detection, 468 face landmarks (tracked from frame to
//! frame; the detector runs only when tracking is lost, and now and then to count faces),
//! iris landmarks, and the person mask — MediaPipe's models (assets/models) run
//! in-process by tract, loaded once. Measures in image pixels; never decides pass or fail.
//!
//! ```no_run
//! # let frame = image::RgbImage::new(1280, 720);
//! let mut analyzer = capture_kiosk::vision::FaceAnalyzer::load().unwrap();
//! let analysis = analyzer.track(&frame, true).unwrap();
//! if let Some(mesh) = &analysis.mesh { println!("nose tip at {:?}", mesh.point(1)); }
//! ```

pub mod detect;
pub mod iris;
pub mod mesh;
pub mod net;
pub mod roi;
pub mod segment;

pub use detect::{Detection, FaceDetector};
pub use iris::{Eye, IrisModel};
pub use mesh::{FaceMesh, Mesh};
pub use net::NetError;
pub use segment::{Mask, Segmenter};

use image::RgbImage;
use roi::Roi;

/// Detections below this score are not faces (MediaPipe's default).
const MIN_DETECTION_SCORE: f32 = 0.5;
/// A tracked face whose mesh presence falls to this is lost (MediaPipe's default).
const MIN_PRESENCE: f32 = 0.5;
/// While tracking, the detector still runs every this many frames to count the faces.
const RECOUNT_EVERY: u32 = 15;

/// What one frame shows.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Faces the detector counted (this frame, or its latest run while tracking).
    pub faces: usize,
    /// The main face (the largest), if any.
    pub mesh: Option<Mesh>,
    /// Both eyes of the main face (image's left first), when asked for.
    pub eyes: Option<[Eye; 2]>,
    /// Whether the detector ran for this frame.
    pub detected: bool,
}

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
        })
    }

    /// Forgets the tracked face (a new candidate, or a still image next).
    pub fn reset(&mut self) {
        self.tracked = None;
        self.last_eyes = None;
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
        self.tracked = Some(mesh::roi_from_mesh(&mesh.points));
        let eyes = match (with_eyes, was_tracking, self.last_eyes.take()) {
            (false, ..) => None,
            // Tracking: one eye per frame, in turn; the other is a frame old (its own
            // corners and iris agree with each other, so gaze stays sound).
            (true, true, Some(mut eyes)) => {
                self.next_eye = 1 - self.next_eye;
                eyes[self.next_eye] = self.iris.run_one(image, &mesh, self.next_eye)?;
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
        })
    }

    /// The person mask of a frame (the model loads on first use).
    pub fn segment(&mut self, image: &RgbImage) -> Result<Mask, NetError> {
        if self.segmenter.is_none() {
            self.segmenter = Some(Segmenter::load()?);
        }
        self.segmenter.as_mut().expect("loaded above").run(image)
    }
}
