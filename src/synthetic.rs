//! Made-up things for benchmarks, examples and tests. Captures for a filled outbox: a noise
//! photo (its JPEG is about as large as a detailed portrait of the same size: 480 wide,
//! ~330 KB) accepted through the real store for a made-up candidate. A live candidate made
//! from a portrait ([`LiveCandidate`]): the pictures of the demo camera
//! (examples/make_demo_candidate.rs) and of the tests' compliant cameras. Not used by the
//! kiosk itself.

use crate::store::{NewCapture, Store, StoreError, StoredCapture};
use capture_core::compliance::measure::{bounds, crown};
use capture_core::face::landmark;
use capture_core::identity::{AdmissionNumber, MobileNumber};
use capture_core::photo;
use capture_core::profile::{Framing, Profile};
use capture_core::roster::RosterEntry;
use capture_protocol::CheckRecord;
use capture_vision::FaceAnalyzer;
use image::{Rgb, RgbImage, imageops};

/// A `width`×`width·4/3` noise picture as JPEG; each `seed` gives other bytes.
pub fn noise_jpeg(seed: u32, width: u32) -> Vec<u8> {
    let mut state = seed.wrapping_add(1).wrapping_mul(2_654_435_761);
    let img = image::RgbImage::from_fn(width, width * 4 / 3, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 26) as u8;
        image::Rgb([(x / 2) as u8 ^ noise, (y / 3) as u8, noise.wrapping_mul(3)])
    });
    capture_core::photo::encode_jpeg(&img, 300).expect("a JPEG of an RGB picture")
}

/// Accepts `jpeg` as a new capture of the made-up candidate `admission_no` (12 digits, 本科).
pub fn accept(
    store: &mut Store,
    admission_no: &str,
    jpeg: &[u8],
    checks: &[CheckRecord],
) -> Result<StoredCapture, StoreError> {
    let entry = RosterEntry {
        admission_no: AdmissionNumber::parse(admission_no, 12).expect("a 12-digit number"),
        name: "王小明".into(),
        education_level: "本科".into(),
        phone: None,
    };
    store.accept_capture(&NewCapture {
        id: uuid::Uuid::new_v4(),
        entry: &entry,
        mobile: &MobileNumber::parse("13800000001").expect("a mobile number"),
        profile: "bj-degree",
        taken_at: chrono::Utc::now(),
        retakes: 0,
        jpeg,
        checks,
        staff_override: None,
    })
}

/// A live candidate made from a portrait, as the demo camera and the tests' compliant
/// camera show one: the portrait's final photo (`photo::produce`: cropped to the profile,
/// the person on the profile's background colour, which is also the backdrop around it)
/// scaled into a camera frame exactly where the kiosk's photo frame is, and the same photo
/// with the eyes shut (synthetic: each eye's box painted with the skin just below it) for a
/// blink. [`crate::camera::replay::live`] says how it moves.
pub struct LiveCandidate {
    open: RgbImage,
    shut: RgbImage,
    at: (i64, i64),
    size: (u32, u32),
    backdrop: Rgb<u8>,
}

impl LiveCandidate {
    /// `size`: the camera frame's. Fails when the portrait has no face or no photo can be
    /// made of it.
    pub fn from_portrait(
        analyzer: &mut FaceAnalyzer,
        portrait: &RgbImage,
        profile: &Profile,
        size: (u32, u32),
    ) -> anyhow::Result<Self> {
        let mesh = analyzer
            .still(portrait)?
            .mesh
            .ok_or_else(|| anyhow::anyhow!("no face in the portrait"))?;
        let mask = analyzer.segment(portrait)?;
        let (top, _) = crown(&mesh, Some(&mask));
        let photo = photo::produce(portrait, &mesh, top, &mask, profile)?;
        let mut shut = photo.image.clone();
        let mesh = analyzer
            .still(&photo.image)?
            .mesh
            .ok_or_else(|| anyhow::anyhow!("no face in the portrait's photo"))?;
        for eye in landmark::EYES {
            let pts: Vec<(f32, f32)> = eye.iter().map(|&i| mesh.point(i)).collect();
            let [(x0, y0), (x1, y1)] = bounds(&pts);
            let w = x1 - x0;
            let (pw, ph) = shut.dimensions();
            let at = |x: f32, y: f32| {
                (
                    (x.max(0.0) as u32).min(pw - 1),
                    (y.max(0.0) as u32).min(ph - 1),
                )
            };
            let below = at((x0 + x1) / 2.0, y1 + 0.45 * w);
            let skin = *shut.get_pixel(below.0, below.1);
            let ((ax, ay), (bx, by)) = (
                at(x0 - 0.1 * w, y0 - 0.2 * w),
                at(x1 + 0.1 * w, y1 + 0.15 * w),
            );
            for y in ay..=by {
                for x in ax..=bx {
                    shut.put_pixel(x, y, skin);
                }
            }
        }
        let (w, h) = size;
        let f = Framing::for_camera(profile, w, h);
        let (fw, fh) = ((f.frame_w * w as f32) as u32, (f.frame_h * h as f32) as u32);
        let scale = |img: &RgbImage| imageops::resize(img, fw, fh, imageops::FilterType::Triangle);
        Ok(Self {
            open: scale(&photo.image),
            shut: scale(&shut),
            at: ((f.frame_x * w as f32) as i64, (f.frame_y * h as f32) as i64),
            size,
            backdrop: Rgb(profile.output.background),
        })
    }

    /// The candidate moved `dx` pixels sideways, eyes open or shut.
    pub fn frame(&self, (dx, shut): (i64, bool)) -> RgbImage {
        let (w, h) = self.size;
        let mut frame = RgbImage::from_pixel(w, h, self.backdrop);
        let face = if shut { &self.shut } else { &self.open };
        imageops::overlay(&mut frame, face, self.at.0 + dx, self.at.1);
        frame
    }
}
