//! Made-up captures for benchmarks, examples and tests that need a filled outbox: a noise
//! photo (its JPEG is about as large as a detailed portrait (480 wide: ~330 KB) of the same size) accepted
//! through the real store for a made-up candidate. Not used by the kiosk itself.

use crate::store::{NewCapture, Store, StoreError, StoredCapture};
use capture_core::identity::{AdmissionNumber, MobileNumber};
use capture_core::roster::RosterEntry;
use capture_protocol::CheckRecord;

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
