//! The dress and appearance rules of the notices, measured on the face mesh, the person
//! mask and the pixels: a head covering, ears under hair, hair over the brows, a glasses rim
//! across the eyes, earrings, bare shoulders. (Necklaces are not measured: a thin chain
//! leaves no cue at these sizes; see docs/COMPLIANCE.md.)
//!
//! Each measure samples a region placed by the face (in the face's own axes, so a tilted
//! head moves the regions with it) and classes every sample against the candidate's own
//! skin (measured on the cheeks and forehead), so it holds for fair and dark skin alike.
//! Regions are measured only inside the photo frame; a region mostly outside it is not
//! measured (`None`).

use super::color::{Lab, lab};
use super::measure::Frame;
use super::pixels::pixel;
use crate::face::{Mask, Mesh, landmark};
use image::RgbImage;

/// Face skin: within this chroma distance (a*b*) of the cheeks' and forehead's…
const SKIN_CHROMA: f32 = 13.0;
/// …with L* between these fractions of theirs.
const SKIN_DARKEST: f32 = 0.55;
const SKIN_BRIGHTEST: f32 = 1.35;
/// Body skin (shoulders, arms) is often yellower and less made up than the face: within
/// this hue angle of the face's skin, its chroma this many times the face's, and L* within
/// these fractions.
const BODY_HUE_DEGREES: f32 = 20.0;
const BODY_CHROMA: [f32; 2] = [0.6, 2.8];
const BODY_LIGHTNESS: [f32; 2] = [0.5, 1.3];
/// Hair-like (dark hair, a shadow): below this fraction of the skin's L*.
const HAIR_DARKEST: f32 = 0.55;
/// A glasses rim: a sample below this fraction of the skin's L* and of the samples just
/// above and below it (a line, not a shadow).
const RIM_DARK: f32 = 0.6;
/// A region with fewer of its samples inside the frame is not measured.
const ENOUGH: f32 = 0.4;
/// The share of an ear band that must be on the person for its skin to be measured.
const EAR_PERSON: f32 = 0.25;
/// Below this chroma the face's skin has no hue to match (a greyscale picture).
const EAR_SKIN_CHROMA: f32 = 5.0;
/// An earring: a small spot on the person, below an ear lobe, brighter than the skin by
/// this share of the way from the skin's L* to white (so a fair face still has room)…
const SPOT_BRIGHT: f32 = 0.45;
/// …and this much (L*) brighter than the ring around it, this many face widths out…
const SPOT_CONTRAST: f32 = 20.0;
const SPOT_RING: f32 = 0.05;
/// …no larger than this (face widths² of area, face widths across), no longer than
/// three times its width.
const SPOT_AREA: f32 = 0.001;
const SPOT_SIDE: f32 = 0.04;
/// More spots than this below one ear are a pattern (a checked collar), not earrings: that
/// side is not measured.
const PATTERN_SPOTS: usize = 6;
/// Samples across the width of an earring region at most (more on a small face: one per
/// pixel).
const SPOT_GRID: f32 = 54.0;

/// What the dress measures found (each `None` when its region is not in the frame).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DressMeasures {
    /// Above the forehead, up to the crown: the share of the head that is neither hair nor
    /// skin (a cap, a hood, a scarf).
    pub head_cover: Option<f32>,
    /// The more covered ear: the share of hair in a band just outside the face at ear height.
    pub ear_hair: Option<f32>,
    /// The less visible ear: the share of skin among the person's samples in the same band
    /// (an ear shows skin; hair of any colour, or a scarf, does not). `None` when the band
    /// holds too little of the person.
    pub ear_skin: Option<f32>,
    /// The more covered brow: the share of skin just above the eyebrow.
    pub brows: Option<f32>,
    /// A dark line through the eye opening that carries on beyond both eye corners (a
    /// glasses rim across the eyes), 0..1, the worse eye.
    pub rim: Option<f32>,
    /// Bright small spots below the ear lobes (earrings): their area per face width², in
    /// thousandths, the worse side.
    pub earrings: Option<f32>,
    /// The share of skin on the shoulders, either side of the neck.
    pub bare_shoulders: Option<f32>,
}

/// The face's own frame: unit vectors to the image's right along the eye line and down the
/// face, and its size (cheek to cheek, forehead to chin).
struct Axes {
    right: (f32, f32),
    down: (f32, f32),
    width: f32,
    length: f32,
}

impl Axes {
    fn of(mesh: &Mesh) -> Axes {
        let (a, b) = (
            mesh.point(landmark::EYE_OUTER.0),
            mesh.point(landmark::EYE_OUTER.1),
        );
        let len = dist(a, b).max(1e-3);
        let right = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        Axes {
            right,
            down: (-right.1, right.0),
            width: dist(mesh.point(234), mesh.point(454)).max(1.0),
            length: dist(
                mesh.point(landmark::FOREHEAD_TOP),
                mesh.point(landmark::CHIN),
            )
            .max(1.0),
        }
    }

    /// `from` moved `r` face widths to the right and `d` face lengths down.
    fn at(&self, from: (f32, f32), r: f32, d: f32) -> (f32, f32) {
        (
            from.0 + self.right.0 * r * self.width + self.down.0 * d * self.length,
            from.1 + self.right.1 * r * self.width + self.down.1 * d * self.length,
        )
    }
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// How samples look next to the candidate's skin.
struct Skin(Lab);

impl Skin {
    fn lightness(&self, c: Lab) -> f32 {
        c[0] / self.0[0].max(1.0)
    }
    fn hair(&self, c: Lab) -> bool {
        self.lightness(c) < HAIR_DARKEST
    }
    /// Hair on the head: dark, or darker than the skin and greyer (short dark hair over
    /// dark skin, where the scalp shows through).
    fn head_hair(&self, c: Lab) -> bool {
        let chroma = |c: Lab| c[1].hypot(c[2]);
        self.hair(c) || (self.lightness(c) < 0.8 && chroma(c) < 0.6 * chroma(self.0))
    }
    fn face(&self, c: Lab) -> bool {
        let chroma = (c[1] - self.0[1]).hypot(c[2] - self.0[2]);
        chroma <= SKIN_CHROMA && (SKIN_DARKEST..=SKIN_BRIGHTEST).contains(&self.lightness(c))
    }
    fn body(&self, c: Lab) -> bool {
        let hue = |c: Lab| c[2].atan2(c[1]).to_degrees();
        let chroma = |c: Lab| c[1].hypot(c[2]);
        let (face_chroma, ch) = (chroma(self.0), chroma(c));
        let dh = (hue(c) - hue(self.0) + 540.0).rem_euclid(360.0) - 180.0;
        dh.abs() <= BODY_HUE_DEGREES
            && ch >= 5.0
            && (BODY_CHROMA[0] * face_chroma..=BODY_CHROMA[1] * face_chroma).contains(&ch)
            && (BODY_LIGHTNESS[0]..=BODY_LIGHTNESS[1]).contains(&self.lightness(c))
    }
}

/// The samples of a region inside the frame: colour and whether on the person.
struct Region {
    tried: usize,
    samples: Vec<(Lab, bool)>,
}

impl Region {
    /// The share of the samples (on the person only, with `person`) that `f` picks: `None`
    /// when too few samples were inside the frame.
    fn share(&self, person: bool, f: impl Fn(Lab) -> bool) -> Option<f32> {
        if (self.samples.len() as f32) < ENOUGH * self.tried as f32 {
            return None;
        }
        let pool = self.samples.iter().filter(|s| s.1 || !person);
        let (n, k) = pool.fold((0usize, 0usize), |(n, k), s| {
            (n + 1, k + usize::from(s.1 && f(s.0)))
        });
        (n > 0).then(|| k as f32 / n as f32)
    }
}

struct Sampler<'a> {
    image: &'a RgbImage,
    frame: Frame,
    mask: &'a Mask,
    axes: Axes,
}

impl Sampler<'_> {
    /// A grid of `n`×`n` samples over the face-axes box from `origin`: `r` face widths to
    /// the right, `d` face lengths down.
    fn region(&self, origin: (f32, f32), r: [f32; 2], d: [f32; 2], n: u32) -> Region {
        let mut out = Region {
            tried: 0,
            samples: Vec::with_capacity((n * n) as usize),
        };
        for i in 0..n {
            for j in 0..n {
                let fr = r[0] + (r[1] - r[0]) * (i as f32 + 0.5) / n as f32;
                let fd = d[0] + (d[1] - d[0]) * (j as f32 + 0.5) / n as f32;
                let (x, y) = self.axes.at(origin, fr, fd);
                out.tried += 1;
                if let Some(c) = self.lab(x, y) {
                    out.samples.push((c, self.mask.at(x, y) >= 0.5));
                }
            }
        }
        out
    }

    fn in_frame(&self, x: f32, y: f32) -> bool {
        let f = self.frame;
        x >= f.x && y >= f.y && x < f.x + f.width && y < f.y + f.height
    }

    fn lab(&self, x: f32, y: f32) -> Option<Lab> {
        if !self.in_frame(x, y) {
            return None;
        }
        pixel(self.image, x as i64, y as i64).map(lab)
    }
}

/// Measures the dress rules. `skin`: the skin colour on the cheeks and forehead.
pub fn measure_dress(
    image: &RgbImage,
    frame: Frame,
    mesh: &Mesh,
    mask: &Mask,
    skin: Lab,
) -> DressMeasures {
    let s = Sampler {
        image,
        frame,
        mask,
        axes: Axes::of(mesh),
    };
    let skin = Skin(skin);
    let p = |i: usize| mesh.point(i);
    let pair = |a: Option<f32>, b: Option<f32>, f: fn(f32, f32) -> f32| match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    };

    // Above the forehead, from a little over its top to the crown the mask shows (or the
    // frame's edge): hair, or skin (a bald head), is fine; anything else covers the head.
    let forehead = p(landmark::FOREHEAD_TOP);
    let crown = (1..(s.axes.length * 0.8) as i32)
        .map(|k| s.axes.at(forehead, 0.0, -(k as f32) / s.axes.length))
        .take_while(|&(x, y)| s.in_frame(x, y) && mask.at(x, y) >= 0.5)
        .count() as f32
        / s.axes.length;
    let head_cover = if crown > 0.06 {
        s.region(forehead, [-0.35, 0.35], [-crown * 0.9, -0.03], 14)
            .share(true, |c| !skin.head_hair(c) && !skin.face(c))
    } else {
        None
    };

    // A narrow band just outside each side of the face, from the eye line to below the
    // nose: a visible ear (or the backdrop) there, or hair over the ear.
    let ear = |side: usize, sign: f32| {
        s.region(p(side), [0.0, sign * 0.1], [0.0, 0.2], 10)
            .share(false, |c| skin.hair(c))
    };
    let ear_hair = pair(ear(234, -1.0), ear(454, 1.0), f32::max);
    // Skin is told by its hue, which a grey picture does not have.
    let coloured = skin.0[1].hypot(skin.0[2]) >= EAR_SKIN_CHROMA;
    let ear_skin = |side: usize, sign: f32| {
        let band = s.region(p(side), [0.0, sign * 0.1], [0.0, 0.2], 10);
        let on_person = band.samples.iter().filter(|s| s.1).count();
        (coloured && on_person as f32 >= EAR_PERSON * band.tried as f32)
            .then(|| band.share(true, |c| skin.body(c)))
            .flatten()
    };
    let ear_skin = pair(ear_skin(234, -1.0), ear_skin(454, 1.0), f32::min);

    // A band above each eyebrow (landmarks 105 and 334 are mid-brow).
    let brow = |mid: usize| {
        s.region(p(mid), [-0.12, 0.12], [-0.12, -0.035], 10)
            .share(true, |c| skin.face(c))
    };
    let brows = pair(brow(105), brow(334), f32::min);

    let rim = Some(
        [
            (33usize, 133usize, 159usize, 145usize),
            (362, 263, 386, 374),
        ]
        .iter()
        .map(|&(a, b, upper, lower)| rim_through_eye(&s, &skin, [p(a), p(b)], [p(upper), p(lower)]))
        .fold(0.0, f32::max),
    );

    let earrings = pair(
        earring_spots(&s, &skin, p(234), -1.0),
        earring_spots(&s, &skin, p(454), 1.0),
        f32::max,
    );

    // The shoulders, both sides of the neck together, from below the chin down.
    let chin = p(landmark::CHIN);
    let (left, right) = (
        s.region(chin, [-1.4, -0.45], [0.15, 0.7], 10),
        s.region(chin, [0.45, 1.4], [0.15, 0.7], 10),
    );
    let shoulders = Region {
        tried: left.tried + right.tried,
        samples: left.samples.into_iter().chain(right.samples).collect(),
    };
    let bare_shoulders = shoulders.share(true, |c| skin.body(c));

    DressMeasures {
        head_cover,
        ear_hair,
        ear_skin,
        brows,
        rim,
        earrings,
        bare_shoulders,
    }
}

/// Earrings below one ear: `side` is the face's outline at ear height, `outward` the sign
/// of the face's right axis away from the face. A grid (a sample per pixel, at most
/// [`SPOT_GRID`] across) from just inside the outline to 0.15 face widths outside it and
/// from 0.05 to 0.35 face lengths down; a sample is a spot when it is on the person, bright
/// for the skin and brighter than the ring around it; connected spots small and compact
/// enough count. The counted area per face width², in thousandths; `None` when the region
/// is mostly outside the frame or shows a pattern (more than [`PATTERN_SPOTS`] spots).
fn earring_spots(s: &Sampler, skin: &Skin, side: (f32, f32), outward: f32) -> Option<f32> {
    let (r, d) = ([-0.03f32, 0.15], [0.05f32, 0.35]);
    let (w, l) = (s.axes.width, s.axes.length);
    let step = ((r[1] - r[0]) * w / SPOT_GRID).max(1.0);
    let (nr, nd) = (
        (((r[1] - r[0]) * w / step) as usize).max(4),
        (((d[1] - d[0]) * l / step) as usize).max(4),
    );
    let at = |i: usize, j: usize| {
        s.axes.at(
            side,
            outward * (r[0] + i as f32 * step / w),
            d[0] + j as f32 * step / l,
        )
    };
    // Lightness and whether on the person, per sample (NaN outside the frame).
    let mut light = vec![f32::NAN; nr * nd];
    let mut on = vec![false; nr * nd];
    for i in 0..nr {
        for j in 0..nd {
            let (x, y) = at(i, j);
            if let Some(c) = s.lab(x, y) {
                light[i * nd + j] = c[0];
                on[i * nd + j] = s.mask.at(x, y) >= 0.2;
            }
        }
    }
    if (light.iter().filter(|v| !v.is_nan()).count() as f32) < ENOUGH * (nr * nd) as f32 {
        return None;
    }
    let ring = (SPOT_RING * w / step).max(2.0);
    let bright = skin.0[0] + SPOT_BRIGHT * (100.0 - skin.0[0]).max(0.0);
    let mut spot = vec![false; nr * nd];
    for i in 0..nr {
        for j in 0..nd {
            let v = light[i * nd + j];
            if !on[i * nd + j] || v.is_nan() || v <= bright {
                continue;
            }
            let (mut sum, mut n) = (0.0f32, 0u32);
            for k in 0..16 {
                let a = k as f32 * std::f32::consts::TAU / 16.0;
                let (ri, rj) = (
                    (i as f32 + ring * a.cos()).round(),
                    (j as f32 + ring * a.sin()).round(),
                );
                if ri < 0.0 || rj < 0.0 || ri as usize >= nr || rj as usize >= nd {
                    continue;
                }
                let u = light[ri as usize * nd + rj as usize];
                if !u.is_nan() {
                    sum += u;
                    n += 1;
                }
            }
            spot[i * nd + j] = n >= 8 && v - sum / n as f32 > SPOT_CONTRAST;
        }
    }
    // Connected spots (8-neighbours): their area and extent.
    let (mut seen, mut counted, mut spots) = (vec![false; nr * nd], 0usize, 0usize);
    let max_area = SPOT_AREA * w * w / (step * step);
    let max_side = SPOT_SIDE * w / step + 2.0;
    for start in 0..nr * nd {
        if !spot[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let (mut area, mut lo, mut hi) = (0usize, (nr, nd), (0usize, 0usize));
        while let Some(q) = stack.pop() {
            area += 1;
            let (qi, qj) = (q / nd, q % nd);
            lo = (lo.0.min(qi), lo.1.min(qj));
            hi = (hi.0.max(qi), hi.1.max(qj));
            for (di, dj) in [
                (-1, -1),
                (-1, 0),
                (-1, 1),
                (0, -1),
                (0, 1),
                (1, -1),
                (1, 0),
                (1, 1),
            ] {
                let (ni, nj) = (qi as i64 + di, qj as i64 + dj);
                if ni < 0 || nj < 0 || ni >= nr as i64 || nj >= nd as i64 {
                    continue;
                }
                let t = ni as usize * nd + nj as usize;
                if spot[t] && !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        let (bw, bh) = ((hi.0 - lo.0 + 1) as f32, (hi.1 - lo.1 + 1) as f32);
        if area as f32 <= max_area && bw.max(bh) <= max_side && bw.max(bh) <= 3.0 * bw.min(bh) {
            counted += area;
            spots += 1;
        }
    }
    (spots <= PATTERN_SPOTS).then(|| counted as f32 * step * step / (w * w) * 1000.0)
}

/// A dark line across the eye opening that also runs beyond both corners: for five rows
/// between the lids, the share of samples in the two stretches just outside the corners
/// (0.1–0.35 eye widths out) that are darker than the skin and than the samples just
/// above and below them; the smaller of the two stretches, the largest over the rows.
fn rim_through_eye(
    s: &Sampler,
    skin: &Skin,
    corners: [(f32, f32); 2],
    lids: [(f32, f32); 2],
) -> f32 {
    let [a, b] = corners;
    let w = dist(a, b).max(1.0);
    let (ux, uy) = ((b.0 - a.0) / w, (b.1 - a.1) / w);
    let open = dist(lids[0], lids[1]);
    let mid = ((lids[0].0 + lids[1].0) / 2.0, (lids[0].1 + lids[1].1) / 2.0);
    // Above and below a thin line: clear of it, within the lens.
    let gap = (open * 0.8).max(w * 0.12);
    let dark = skin.0[0] * RIM_DARK;
    let mut best = 0.0f32;
    for row in -2..=2 {
        let off = row as f32 / 5.0 * open;
        let base = (mid.0 - uy * off, mid.1 + ux * off);
        let stretch = |from: f32, to: f32| {
            let (mut n, mut k) = (0u32, 0u32);
            for i in 0..8 {
                let t = (from + (to - from) * (i as f32 + 0.5) / 8.0) * w;
                let (x, y) = (base.0 + ux * t, base.1 + uy * t);
                let (Some(c), Some(up), Some(down)) = (
                    s.lab(x, y),
                    s.lab(x + uy * gap, y - ux * gap),
                    s.lab(x - uy * gap, y + ux * gap),
                ) else {
                    continue;
                };
                n += 1;
                k += u32::from(c[0] < dark && c[0] < RIM_DARK * up[0].min(down[0]));
            }
            if n == 0 { 0.0 } else { k as f32 / n as f32 }
        };
        best = best.max(stretch(-0.85, -0.6).min(stretch(0.6, 0.85)));
    }
    best
}
