//! Photo profiles: what a finished photo must look like (size, background colour, head
//! geometry, file size), as data. Two are built in (`bj-degree`, `chsi-graduation`, from
//! `assets/profiles/`); the checks and the photo maker read their limits from here, never
//! from literals in code.

use crate::lang::Localized;
use serde::Deserialize;

pub const BUILTIN_IDS: &[&str] = &["bj-degree", "chsi-graduation"];

const BUILTIN_TOML: &[(&str, &str)] = &[
    (
        "bj-degree",
        include_str!("../../../assets/profiles/bj-degree.toml"),
    ),
    (
        "chsi-graduation",
        include_str!("../../../assets/profiles/chsi-graduation.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    pub name: Localized,
    pub output: Output,
    pub geometry: Geometry,
    pub guides: Guides,
    pub limits: Limits,
    /// Each check by id (`face.count`, …): required or advisory. A check the profile does
    /// not name is required. A test in `compliance` holds the built-in profiles to naming
    /// every check, and no id the kiosk does not know.
    pub checks: std::collections::BTreeMap<String, Severity>,
}

/// Whether a failing check stops the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks auto-capture and plain acceptance: only staff can accept the photo, with a
    /// reason that travels with it.
    Required,
    /// Shown to the candidate and the reviewer; never blocks. For checks whose measured
    /// accuracy is not yet good enough to block (docs/COMPLIANCE.md says why, per check).
    Advisory,
}

/// What each photo check accepts (see docs/COMPLIANCE.md for how each is measured).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Eye line, from the top, as fractions of the photo height.
    pub eye_line: [f32; 2],
    /// Largest horizontal offset of the face from the centre, as a fraction of the width.
    pub centre_offset: f32,
    pub roll_degrees: f32,
    pub yaw_degrees: f32,
    pub pitch_degrees: f32,
    pub shoulders_degrees: f32,
    /// Smallest eyelid opening / eye-to-chin distance.
    pub eyes_open: f32,
    /// `eyes.open` from the iris model\'s eye outline: lid to lid per eye width, at least.
    pub eye_opening: f32,
    /// Smallest grey-level spread inside an eye's outline.
    pub eye_contrast: f32,
    /// Largest iris offset from the middle of the eye, as a fraction of the eye's width.
    pub gaze: f32,
    /// `mouth.closed`: largest inner-lip gap / eye-to-chin distance (a mouth wide open).
    pub mouth_gap: f32,
    /// `mouth.closed`: largest area of teeth between the lips, over the mouth's width².
    pub teeth: f32,
    /// Largest spread of the backdrop's colour (ΔE).
    pub background_spread: f32,
    /// Largest distance of the backdrop's colour from the profile's background colour (ΔE).
    pub background_delta_e: f32,
    /// Smallest distance between clothes and backdrop (ΔE).
    pub clothing_delta_e: f32,
    /// Face lightness (L*/100) window, and the largest clipped fraction.
    pub face_luminance: [f32; 2],
    /// `exposure`: the face's highlights (L*/100 that 97 % of it stays below).
    pub face_highlight: [f32; 2],
    pub clipped: f32,
    /// Smallest ratio of the darker to the brighter half of the face.
    pub lighting_ratio: f32,
    /// Smallest variance of the Laplacian over the face (at 128 px width).
    pub sharpness: f32,
    /// Skin a* and b* windows (CIELAB).
    pub skin_a: [f32; 2],
    pub skin_b: [f32; 2],
    /// Largest specular fraction of the lens regions.
    pub glare: f32,
    /// `glasses.tint`: the darker eye area\'s median L* over the skin\'s, at least.
    pub lens_ratio: f32,
    /// Largest spectral peak ratio on the face, and border-edge fraction around it.
    pub texture_peak: f32,
    pub border_edges: f32,
    /// `head.covering`: the largest share of the head above the forehead that is neither
    /// hair nor skin.
    pub head_cover: f32,
    /// `ears.visible`: the largest share of hair just outside the face at ear height.
    pub ear_hair: f32,
    /// `ears.visible`: the smallest share of skin on the person at ear height (an ear under
    /// hair of any colour shows none).
    pub ear_skin: f32,
    /// `hair.clear`: the smallest share of skin just above the eyebrows.
    pub brow_skin: f32,
    /// `glasses.frames`: the largest share of a dark line through the eyes beyond their corners.
    pub rim: f32,
    /// `jewellery`: the area of bright small spots below an ear (earrings), thousandths of
    /// the face width², at most.
    pub earrings: f32,
    /// `clothing.sleeves`: the largest share of skin on a shoulder.
    pub bare_shoulders: f32,
    /// `liveness` on video, a blink: the eyes' contrast or lid opening dropping below this
    /// fraction of its median within the last few seconds.
    pub blink_drop: f32,
    /// `liveness` on video, a change of expression: lips or brows varying by more than this
    /// (standard deviation, fraction of the face width).
    pub expression: f32,
    /// `background.uniform` against a calibrated backdrop: ΔE a person in front may add to
    /// the cloth's own spread (shadow, hair edges), within `background_spread`.
    pub backdrop_margin: f32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub width: u32,
    pub height: u32,
    pub dpi: u32,
    pub background: [u8; 3],
    pub min_bytes: u64,
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometry {
    pub head_height_min: f32,
    pub head_height_max: f32,
    pub hairline_min_px: Option<u32>,
    pub hairline_max_px: Option<u32>,
    pub face_width_min_px: Option<u32>,
    pub face_width_max_px: Option<u32>,
}

/// Where the head should sit in the photo frame, as fractions of the frame: the crown
/// and chin lines (of the height) and the head oval's width (of the width).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guides {
    pub crown: f32,
    pub chin: f32,
    pub oval_width: f32,
}

impl Profile {
    /// A built-in profile by id.
    pub fn builtin(id: &str) -> Option<Profile> {
        let (_, text) = BUILTIN_TOML.iter().find(|(name, _)| *name == id)?;
        Some(toml::from_str(text).expect("built-in profiles are valid (tested)"))
    }

    /// How much a failing check `id` counts: what the profile says, and required for an id
    /// it does not name.
    pub fn severity(&self, id: &str) -> Severity {
        self.checks.get(id).copied().unwrap_or(Severity::Required)
    }

    /// Width / height of the finished photo.
    pub fn aspect(&self) -> f32 {
        self.output.width as f32 / self.output.height as f32
    }
}

/// Where the photo frame and its guides fall on a camera frame, as fractions of the
/// camera frame's width and height (0..1), so the UI can draw them at any size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framing {
    /// The photo frame: the largest rectangle of the profile's aspect, centred.
    pub frame_x: f32,
    pub frame_y: f32,
    pub frame_w: f32,
    pub frame_h: f32,
    pub crown_y: f32,
    pub chin_y: f32,
    pub oval_w: f32,
}

impl Framing {
    pub fn for_camera(profile: &Profile, camera_w: u32, camera_h: u32) -> Framing {
        let camera_aspect = camera_w as f32 / camera_h as f32;
        let (frame_w, frame_h) = if camera_aspect > profile.aspect() {
            (profile.aspect() / camera_aspect, 1.0)
        } else {
            (1.0, camera_aspect / profile.aspect())
        };
        let frame_x = (1.0 - frame_w) / 2.0;
        let frame_y = (1.0 - frame_h) / 2.0;
        let g = profile.guides;
        Framing {
            frame_x,
            frame_y,
            frame_w,
            frame_h,
            crown_y: frame_y + g.crown * frame_h,
            chin_y: frame_y + g.chin * frame_h,
            oval_w: g.oval_width * frame_w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_load_and_are_sane() {
        for id in BUILTIN_IDS {
            let p = Profile::builtin(id).unwrap_or_else(|| panic!("{id} loads"));
            assert_eq!(&p.id, id);
            assert!(p.output.min_bytes < p.output.max_bytes);
            assert!(p.geometry.head_height_min < p.geometry.head_height_max);
            let head = p.guides.chin - p.guides.crown;
            assert!(
                (p.geometry.head_height_min..=p.geometry.head_height_max).contains(&head),
                "{id}: the guides must show a head height the profile accepts ({head})"
            );
        }
        assert!(Profile::builtin("passport").is_none());
    }

    #[test]
    fn framing_on_a_wide_camera_uses_the_full_height() {
        let p = Profile::builtin("bj-degree").unwrap();
        let f = Framing::for_camera(&p, 1280, 720);
        assert_eq!(f.frame_h, 1.0);
        assert!(
            (f.frame_w * 1280.0 - 540.0).abs() < 0.01,
            "3:4 of 720 px is 540 px"
        );
        assert!((f.frame_x * 1280.0 - 370.0).abs() < 0.01);
        assert!((f.crown_y - 0.12).abs() < 1e-6 && (f.chin_y - 0.645).abs() < 1e-6);
    }

    #[test]
    fn framing_on_a_tall_camera_uses_the_full_width() {
        let p = Profile::builtin("chsi-graduation").unwrap();
        let f = Framing::for_camera(&p, 720, 1280);
        assert_eq!(f.frame_w, 1.0);
        assert!((f.frame_h * 1280.0 - 960.0).abs() < 0.01);
    }
}
