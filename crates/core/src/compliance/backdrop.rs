//! The site's own backdrop: measured once by staff with nobody in front of the camera, so
//! the live background checks compare with the cloth (or wall) that is really there — a
//! site's own blue cloth, or a white wall where the notice allows one — instead of the
//! profile's colour. The final photo's background is replaced with the profile's colour
//! all the same, and checked against it.

use super::color::{Lab, LabStats, lab};
use super::measure::Frame;
use super::pixels::pixel;
use crate::lang::Localized;
use crate::profile::Profile;
use image::RgbImage;

/// The calibrated backdrop: its mean colour and how even it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backdrop {
    pub colour: Lab,
    /// Colour spread over the frame (ΔE, as `background.uniform` measures it).
    pub spread: f32,
}

/// Why a backdrop cannot be calibrated.
#[derive(Debug, Clone, PartialEq)]
pub enum BackdropProblem {
    /// Someone (or a face) is in front of the camera.
    NotEmpty,
    /// The cloth is too uneven (creases, shadows, a lamp's hot spot) to be a backdrop.
    Uneven { spread: f32, limit: f32 },
}

impl BackdropProblem {
    pub fn message(&self) -> Localized {
        match self {
            BackdropProblem::NotEmpty => Localized::fixed(
                "镜头前不能有人：请让开后再校准背景",
                "Nobody may be in front of the camera: step aside, then calibrate again",
            ),
            BackdropProblem::Uneven { spread, limit } => Localized::new(
                format!(
                    "背景不均匀（ΔE {spread:.1}，应不超过 {limit}）：请拉平背景布、让灯光照匀后再校准"
                ),
                format!(
                    "The backdrop is not even (ΔE {spread:.1}, at most {limit}): smooth the cloth and light it evenly, then calibrate again"
                ),
            ),
        }
    }
}

/// Measures the backdrop over the photo frame of an empty camera frame. `faces`: faces the
/// detector found; `person`: the share of the frame the person mask covers.
pub fn calibrate(
    image: &RgbImage,
    frame: Frame,
    faces: usize,
    person: f32,
    profile: &Profile,
) -> Result<Backdrop, BackdropProblem> {
    if faces > 0 || person > 0.05 {
        return Err(BackdropProblem::NotEmpty);
    }
    let step = ((frame.width / 160.0).floor() as i64).max(1);
    let mut stats = LabStats::default();
    let mut y = frame.y as i64;
    while y < (frame.y + frame.height) as i64 {
        let mut x = frame.x as i64;
        while x < (frame.x + frame.width) as i64 {
            if let Some(px) = pixel(image, x, y) {
                stats.add(lab(px));
            }
            x += step;
        }
        y += step;
    }
    let (Some(colour), Some(spread)) = (stats.mean(), stats.spread()) else {
        return Err(BackdropProblem::NotEmpty);
    };
    let limit = profile.limits.background_spread;
    if spread > limit {
        return Err(BackdropProblem::Uneven { spread, limit });
    }
    Ok(Backdrop { colour, spread })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile::builtin("bj-degree").unwrap()
    }

    #[test]
    fn an_even_wall_is_measured_and_an_uneven_or_busy_one_refused() {
        let wall = RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([236 + ((x + y) % 3) as u8, 236, 232])
        });
        let b = calibrate(&wall, Frame::whole(&wall), 0, 0.0, &profile()).unwrap();
        assert!(b.colour[0] > 90.0 && b.spread < 2.0, "{b:?}");
        assert_eq!(
            calibrate(&wall, Frame::whole(&wall), 1, 0.0, &profile()),
            Err(BackdropProblem::NotEmpty)
        );
        assert_eq!(
            calibrate(&wall, Frame::whole(&wall), 0, 0.3, &profile()),
            Err(BackdropProblem::NotEmpty)
        );
        // A lamp's hot spot on one half.
        let patchy = RgbImage::from_fn(320, 240, |x, _| {
            if x < 160 {
                image::Rgb([60, 120, 200])
            } else {
                image::Rgb([160, 200, 250])
            }
        });
        let err = calibrate(&patchy, Frame::whole(&patchy), 0, 0.0, &profile()).unwrap_err();
        assert!(matches!(err, BackdropProblem::Uneven { .. }), "{err:?}");
        assert!(err.message().en.contains("smooth the cloth"));
    }
}
