//! The photo rules as checks: one pure function per rule ([`CheckId`]) compares a measure
//! with the profile's limit and says, in Chinese and English, what the candidate should do.
//! Also the guidance (the one most useful instruction, without flicker) and auto-capture.
//! Never touches the camera, the disk or the screen.
//!
//! Adding a check: a variant of [`CheckId`], its line in the catalogue (`CATALOGUE`: id,
//! title, where it applies, its function), and the function. Nothing else names it.
//!
//! ```
//! use capture_core::compliance::{CheckId, Context, evaluate, measure::Measures};
//! use capture_core::profile::Profile;
//! let profile = Profile::builtin("bj-degree").unwrap();
//! let results = evaluate(&Measures::default(), &profile, Context::File);
//! let faces = results.iter().find(|r| r.id == CheckId::FaceCount).unwrap();
//! assert!(!faces.pass); // no face
//! ```

pub mod autocapture;
pub mod backdrop;
pub mod canvas;
pub mod color;
pub mod dress;
pub mod guide;
pub mod measure;
pub mod motion;
pub mod pixels;
pub mod rules;
pub mod texture;

use crate::lang::Localized;
use crate::profile::{Profile, Severity};
use measure::Measures;
use serde::{Serialize, Serializer};

/// What is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A live camera frame: no file yet; the frame is the profile's frame over the preview.
    Live,
    /// A picture on its own (the whole image is the photo), not yet a file.
    Still,
    /// A photo file: the still checks and the file's own (its size).
    File,
}

/// Every check, in the order the guidance considers them (the first failing one is the
/// instruction shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    FaceCount,
    Liveness,
    HeadSize,
    HeadPosition,
    PoseRoll,
    PoseYaw,
    PosePitch,
    ShouldersLevel,
    EyesOpen,
    Gaze,
    MouthClosed,
    GlassesGlare,
    GlassesTint,
    GlassesFrames,
    HeadCovering,
    EarsVisible,
    HairClear,
    Jewellery,
    ClothingSleeves,
    Exposure,
    LightingEven,
    Sharpness,
    ColourNatural,
    BackgroundUniform,
    BackgroundColour,
    ClothingContrast,
    FileSize,
}

/// Where a check applies.
const LIVE_STILL_FILE: &[Context] = &[Context::Live, Context::Still, Context::File];
const FILE_ONLY: &[Context] = &[Context::File];

/// One line of the catalogue.
struct Spec {
    id: &'static str,
    title: Localized,
    applies: &'static [Context],
    check: fn(&Measures, &Profile) -> CheckResult,
}

/// The catalogue, in the order of [`CheckId`] (a test keeps the two equal).
static CATALOGUE: [Spec; 27] = [
    spec(
        "face.count",
        "一人入镜",
        "One face",
        LIVE_STILL_FILE,
        face_count,
    ),
    spec(
        "liveness",
        "真人拍摄",
        "Live person",
        LIVE_STILL_FILE,
        liveness,
    ),
    spec(
        "head.size",
        "头部大小",
        "Head size",
        LIVE_STILL_FILE,
        head_size,
    ),
    spec(
        "head.position",
        "头部位置",
        "Head position",
        LIVE_STILL_FILE,
        head_position,
    ),
    spec(
        "pose.roll",
        "头部端正",
        "Head level",
        LIVE_STILL_FILE,
        pose_roll,
    ),
    spec(
        "pose.yaw",
        "正对镜头",
        "Facing front",
        LIVE_STILL_FILE,
        pose_yaw,
    ),
    spec(
        "pose.pitch",
        "不抬头低头",
        "Chin level",
        LIVE_STILL_FILE,
        pose_pitch,
    ),
    spec(
        "shoulders.level",
        "双肩水平",
        "Shoulders level",
        LIVE_STILL_FILE,
        shoulders_level,
    ),
    spec(
        "eyes.open",
        "睁开眼睛",
        "Eyes open",
        LIVE_STILL_FILE,
        eyes_open,
    ),
    spec("gaze", "目视镜头", "Look at camera", LIVE_STILL_FILE, gaze),
    spec(
        "mouth.closed",
        "嘴巴闭合",
        "Mouth closed",
        LIVE_STILL_FILE,
        mouth_closed,
    ),
    spec(
        "glasses.glare",
        "镜片无反光",
        "No glare",
        LIVE_STILL_FILE,
        glasses_glare,
    ),
    spec(
        "glasses.tint",
        "不戴有色眼镜",
        "No tinted glasses",
        LIVE_STILL_FILE,
        glasses_tint,
    ),
    spec(
        "glasses.frames",
        "镜框不挡眼睛",
        "Frames clear",
        LIVE_STILL_FILE,
        glasses_frames,
    ),
    spec(
        "head.covering",
        "不戴帽子",
        "No head covering",
        LIVE_STILL_FILE,
        head_covering,
    ),
    spec(
        "ears.visible",
        "双耳外露",
        "Ears showing",
        LIVE_STILL_FILE,
        ears_visible,
    ),
    spec(
        "hair.clear",
        "头发不遮眉眼",
        "Hair off brows",
        LIVE_STILL_FILE,
        hair_clear,
    ),
    spec(
        "jewellery",
        "不戴耳环",
        "No earrings",
        LIVE_STILL_FILE,
        jewellery,
    ),
    spec(
        "clothing.sleeves",
        "不穿无袖上衣",
        "No sleeveless top",
        LIVE_STILL_FILE,
        clothing_sleeves,
    ),
    spec(
        "exposure",
        "亮度合适",
        "Exposure",
        LIVE_STILL_FILE,
        exposure,
    ),
    spec(
        "lighting.even",
        "光线均匀",
        "Even light",
        LIVE_STILL_FILE,
        lighting_even,
    ),
    spec("sharpness", "照片清晰", "Sharp", LIVE_STILL_FILE, sharpness),
    spec(
        "colour.natural",
        "肤色自然",
        "Natural colour",
        LIVE_STILL_FILE,
        colour_natural,
    ),
    spec(
        "background.uniform",
        "背景干净",
        "Plain backdrop",
        LIVE_STILL_FILE,
        background_uniform,
    ),
    spec(
        "background.colour",
        "背景颜色",
        "Backdrop colour",
        LIVE_STILL_FILE,
        background_colour,
    ),
    spec(
        "clothing.contrast",
        "衣服与背景",
        "Clothing contrast",
        LIVE_STILL_FILE,
        clothing_contrast,
    ),
    spec("file.size", "文件大小", "File size", FILE_ONLY, file_size),
];

const fn spec(
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    applies: &'static [Context],
    check: fn(&Measures, &Profile) -> CheckResult,
) -> Spec {
    Spec {
        id,
        title: Localized::fixed(zh, en),
        applies,
        check,
    }
}

impl CheckId {
    /// Every check, in catalogue (guidance) order.
    pub const ALL: [CheckId; 27] = [
        CheckId::FaceCount,
        CheckId::Liveness,
        CheckId::HeadSize,
        CheckId::HeadPosition,
        CheckId::PoseRoll,
        CheckId::PoseYaw,
        CheckId::PosePitch,
        CheckId::ShouldersLevel,
        CheckId::EyesOpen,
        CheckId::Gaze,
        CheckId::MouthClosed,
        CheckId::GlassesGlare,
        CheckId::GlassesTint,
        CheckId::GlassesFrames,
        CheckId::HeadCovering,
        CheckId::EarsVisible,
        CheckId::HairClear,
        CheckId::Jewellery,
        CheckId::ClothingSleeves,
        CheckId::Exposure,
        CheckId::LightingEven,
        CheckId::Sharpness,
        CheckId::ColourNatural,
        CheckId::BackgroundUniform,
        CheckId::BackgroundColour,
        CheckId::ClothingContrast,
        CheckId::FileSize,
    ];

    fn spec(self) -> &'static Spec {
        &CATALOGUE[self as usize]
    }

    /// The id as the reports, the protocol and the UI tests name it (`face.count`).
    pub fn as_str(self) -> &'static str {
        self.spec().id
    }

    /// The check named `id`, if there is one.
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == id)
    }

    /// A short name for people (indicators, the review screen, `check`'s table).
    pub fn title(self) -> &'static Localized {
        &self.spec().title
    }

    /// Whether the check is made in `context`.
    pub fn applies(self, context: Context) -> bool {
        self.spec().applies.contains(&context)
    }

    /// Runs this check on one frame's measures.
    pub fn check(self, m: &Measures, profile: &Profile) -> CheckResult {
        (self.spec().check)(m, profile)
    }

    /// The checks made in `context`, in catalogue order.
    pub fn in_context(context: Context) -> impl Iterator<Item = CheckId> {
        CheckId::ALL.into_iter().filter(move |c| c.applies(context))
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One check's verdict on one frame or photo.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub id: CheckId,
    pub pass: bool,
    /// The measured value (`None` when it cannot be measured, e.g. without a face).
    pub value: Option<f32>,
    /// The profile's limit, for people.
    pub limit: String,
    /// What the candidate should do (or that all is well).
    pub message: Localized,
    /// The profile makes this check required (a failure blocks the photo) rather than
    /// advisory (shown, never blocks).
    pub required: bool,
    /// The other measures the check judged by, besides `value` (`mouth.closed`: the teeth
    /// between the lips besides the gap), each named as its limit names it.
    pub also: Vec<Reading>,
}

/// One further measure of a check: a name from the check's limit, and what it read
/// (`None`: not measured).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub name: &'static str,
    pub value: Option<f32>,
}

impl CheckResult {
    /// A failure that stops the photo: required and failing.
    pub fn blocks(&self) -> bool {
        self.required && !self.pass
    }

    /// Failing, but only advisory.
    pub fn warns(&self) -> bool {
        !self.required && !self.pass
    }

    /// The result with one more measure it judged by.
    fn and(mut self, name: &'static str, value: Option<f32>) -> Self {
        self.also.push(Reading { name, value });
        self
    }

    /// The further measures for people: `teeth 0.0063, …` (empty when there are none).
    pub fn also_text(&self) -> String {
        self.also
            .iter()
            .map(|r| match r.value {
                Some(v) => format!("{} {}", r.name, short(v)),
                None => format!("{} —", r.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The result as the capture's compliance report carries it to the central service.
    pub fn record(&self) -> capture_protocol::CheckRecord {
        capture_protocol::CheckRecord {
            id: self.id.as_str().to_owned(),
            pass: self.pass,
            value: self.value.map(wide),
            limit: self.limit.clone(),
            advisory: !self.required,
            also: self
                .also
                .iter()
                .map(|r| (r.name.to_owned(), r.value.map(wide)))
                .collect(),
        }
    }
}

/// An f32 as the f64 that prints the same (0.0063, not 0.006300000172853470), for the
/// report the reviewers read.
fn wide(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// A value as people read it: four significant digits at most.
fn short(v: f32) -> String {
    let digits = if v == 0.0 {
        0
    } else {
        (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize
    };
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// As `capture-kiosk check --json` prints it: `{"id", "pass", "required", "value", "also",
/// "limit", "message_zh", "message_en"}`; `also` maps the check's further measures' names to
/// their values (`{}` for a check of one measure).
impl Serialize for CheckResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            id: &'static str,
            pass: bool,
            required: bool,
            value: Option<f32>,
            also: Also<'a>,
            limit: &'a str,
            message_zh: &'a str,
            message_en: &'a str,
        }
        struct Also<'a>(&'a [Reading]);
        impl Serialize for Also<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|r| (r.name, r.value)))
            }
        }
        Line {
            id: self.id.as_str(),
            pass: self.pass,
            required: self.required,
            value: self.value,
            also: Also(&self.also),
            limit: &self.limit,
            message_zh: &self.message.zh,
            message_en: &self.message.en,
        }
        .serialize(s)
    }
}

/// Every check that applies in `context`, on one frame's measures, in catalogue order,
/// each marked required or advisory as the profile says.
pub fn evaluate(m: &Measures, profile: &Profile, context: Context) -> Vec<CheckResult> {
    CheckId::in_context(context)
        .map(|id| {
            let mut r = id.check(m, profile);
            r.required = profile.severity(id.as_str()) == Severity::Required;
            r
        })
        .collect()
}

/// No failing check blocks the photo (advisory failures may remain).
pub fn acceptable(results: &[CheckResult]) -> bool {
    !results.iter().any(CheckResult::blocks)
}

const NO_FACE: Localized = Localized::fixed("请站到镜头前", "Please stand in front of the camera");
const CANNOT_TELL: Localized = Localized::fixed(
    "无法判断：请正对镜头",
    "Cannot tell yet: please face the camera",
);

const fn msg(zh: &'static str, en: &'static str) -> Localized {
    Localized::fixed(zh, en)
}

/// A result: it passes only when it was measured.
fn result(
    id: CheckId,
    value: Option<f32>,
    pass: bool,
    limit: String,
    message: Localized,
) -> CheckResult {
    CheckResult {
        id,
        pass: pass && value.is_some(),
        value,
        limit,
        message,
        required: true,
        also: Vec::new(),
    }
}

fn within(v: f32, [lo, hi]: [f32; 2]) -> bool {
    (lo..=hi).contains(&v)
}

fn range(r: [f32; 2]) -> String {
    format!("{}–{}", r[0], r[1])
}

fn face_count(m: &Measures, _: &Profile) -> CheckResult {
    result(
        CheckId::FaceCount,
        Some(m.faces as f32),
        m.faces == 1,
        "= 1".into(),
        match m.faces {
            0 => NO_FACE,
            1 => msg("已检测到一张人脸", "One face found"),
            _ => msg(
                "镜头前只能有一个人",
                "Only one person in front of the camera, please",
            ),
        },
    )
}

/// A picture of a picture shows a screen's or print's texture, or its border; over video,
/// a picture moves rigidly (its value then reads 2: clearly failing).
fn liveness(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let moved = if m.moved_picture == Some(true) {
        2.0
    } else {
        0.0
    };
    let live = m.face.as_ref().map(|f| {
        (f.texture_peak / l.texture_peak)
            .max(f.border_edges / l.border_edges)
            .max(moved)
    });
    result(
        CheckId::Liveness,
        live,
        live.is_some_and(|v| v <= 1.0),
        "≤ 1 (screen / print cues)".into(),
        match live {
            None => NO_FACE,
            Some(v) if v <= 1.0 => msg("真人拍摄", "A live person"),
            Some(_) => msg(
                "请本人站在镜头前，不能翻拍照片或屏幕",
                "Please stand in front of the camera yourself: no photos or screens",
            ),
        },
    )
    .and(
        "texture",
        m.face.as_ref().map(|f| f.texture_peak / l.texture_peak),
    )
    .and(
        "border",
        m.face.as_ref().map(|f| f.border_edges / l.border_edges),
    )
}

fn head_size(m: &Measures, p: &Profile) -> CheckResult {
    let g = &p.geometry;
    let f = m.face.as_ref();
    let size = f.map(|f| f.head_height);
    let size_range = [g.head_height_min, g.head_height_max];
    // A profile may also bound the face's width in the photo's pixels (chsi-graduation:
    // cheek to cheek 180–300 px of 480).
    let width_px = f.map(|f| f.face_width * p.output.width as f32);
    let width_range = [
        g.face_width_min_px.map_or(0.0, |v| v as f32),
        g.face_width_max_px.map_or(f32::MAX, |v| v as f32),
    ];
    let width_ok = width_px.is_some_and(|w| within(w, width_range));
    let limit = match (g.face_width_min_px, g.face_width_max_px) {
        (None, None) => range(size_range),
        _ => format!(
            "{}; face width {}–{} px",
            range(size_range),
            g.face_width_min_px.unwrap_or(0),
            g.face_width_max_px
                .map_or("∞".to_string(), |v| v.to_string())
        ),
    };
    let sized = result(
        CheckId::HeadSize,
        size,
        size.is_some_and(|v| within(v, size_range)) && width_ok,
        limit,
        match (size, width_px) {
            (Some(v), Some(w)) if v < size_range[0] || w < width_range[0] => {
                msg("请靠近一点", "Please come a little closer")
            }
            (Some(v), Some(w)) if v > size_range[1] || w > width_range[1] => {
                msg("请后退一点", "Please step back a little")
            }
            (Some(_), Some(_)) => msg("头部大小合适", "Head size is right"),
            _ => NO_FACE,
        },
    );
    if g.face_width_min_px.is_some() || g.face_width_max_px.is_some() {
        sized.and("face_width_px", width_px)
    } else {
        sized
    }
}

fn head_position(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let g = &p.geometry;
    let f = m.face.as_ref();
    let pos = f.map(|f| f.centre_offset);
    let eye_ok = f.is_some_and(|f| within(f.eye_line, l.eye_line));
    // A profile may bound the top of the head in the photo's pixels (chsi-graduation:
    // 50–110 px from the top of 640).
    let crown_px = f.map(|f| f.crown_y * p.output.height as f32);
    let crown_range = [
        g.hairline_min_px.map_or(f32::MIN, |v| v as f32),
        g.hairline_max_px.map_or(f32::MAX, |v| v as f32),
    ];
    let crown_ok = crown_px.is_some_and(|c| within(c, crown_range));
    let mut limit = format!("|x| ≤ {}; eye line {}", l.centre_offset, range(l.eye_line));
    if g.hairline_min_px.is_some() || g.hairline_max_px.is_some() {
        limit += &format!(
            "; top of head {}–{} px",
            g.hairline_min_px.unwrap_or(0),
            g.hairline_max_px.map_or("∞".to_string(), |v| v.to_string())
        );
    }
    let too_high = msg(
        "头部位置偏高：请稍微放低",
        "Your head is too high in the picture: lower it a little",
    );
    let too_low = msg(
        "头部位置偏低：请坐直、稍微抬高",
        "Your head is too low in the picture: sit up straight",
    );
    let placed = result(
        CheckId::HeadPosition,
        pos,
        pos.is_some_and(|v| v.abs() <= l.centre_offset) && eye_ok && crown_ok,
        limit,
        match f {
            None => NO_FACE,
            // The camera sees the candidate un-mirrored: right in the image is their left.
            Some(f) if f.centre_offset > l.centre_offset => {
                msg("请向右移一点", "Move a little to your right")
            }
            Some(f) if f.centre_offset < -l.centre_offset => {
                msg("请向左移一点", "Move a little to your left")
            }
            Some(f) if f.eye_line < l.eye_line[0] => too_high,
            Some(f) if f.eye_line > l.eye_line[1] => too_low,
            Some(_) if crown_px.is_some_and(|c| c < crown_range[0]) => too_high,
            Some(_) if crown_px.is_some_and(|c| c > crown_range[1]) => too_low,
            Some(_) => msg("位置居中", "Well centred"),
        },
    )
    .and("eye_line", f.map(|f| f.eye_line));
    if g.hairline_min_px.is_some() || g.hairline_max_px.is_some() {
        placed.and("top_px", crown_px)
    } else {
        placed
    }
}

fn pose_roll(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.roll_degrees;
    let roll = m.face.as_ref().map(|f| f.roll);
    result(
        CheckId::PoseRoll,
        roll,
        roll.is_some_and(|v| v.abs() <= limit),
        format!("|roll| ≤ {limit}°"),
        match roll {
            None => NO_FACE,
            // Positive: the eye on the image's right (the candidate's left) is lower.
            Some(v) if v > limit => msg(
                "请把头向右摆正一点",
                "Tilt your head a little to your right",
            ),
            Some(v) if v < -limit => {
                msg("请把头向左摆正一点", "Tilt your head a little to your left")
            }
            Some(_) => msg("头部端正", "Head is level"),
        },
    )
}

fn pose_yaw(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.yaw_degrees;
    let yaw = m.face.as_ref().map(|f| f.yaw);
    result(
        CheckId::PoseYaw,
        yaw,
        yaw.is_some_and(|v| v.abs() <= limit),
        format!("|yaw| ≤ {limit}°"),
        match yaw {
            None => NO_FACE,
            // Positive: the face's side on the image's right is farther: turned to their left.
            Some(v) if v > limit => msg(
                "请正对镜头：头向右转一点",
                "Face the camera: turn your head a little to your right",
            ),
            Some(v) if v < -limit => msg(
                "请正对镜头：头向左转一点",
                "Face the camera: turn your head a little to your left",
            ),
            Some(_) => msg("正对镜头", "Facing the camera"),
        },
    )
}

fn pose_pitch(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.pitch_degrees;
    let pitch = m.face.as_ref().map(|f| f.pitch);
    result(
        CheckId::PosePitch,
        pitch,
        pitch.is_some_and(|v| v.abs() <= limit),
        format!("|pitch| ≤ {limit}°"),
        match pitch {
            None => NO_FACE,
            // Positive: the chin is farther than the forehead: looking down.
            Some(v) if v > limit => msg("请稍微抬起下巴", "Raise your chin a little"),
            Some(v) if v < -limit => msg("请稍微放低下巴", "Lower your chin a little"),
            Some(_) => msg("头部不仰不俯", "Head is straight"),
        },
    )
}

fn shoulders_level(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.shoulders_degrees;
    let shoulders = m.mask.as_ref().and_then(|m| m.shoulders);
    result(
        CheckId::ShouldersLevel,
        shoulders,
        shoulders.is_some_and(|v| v.abs() <= limit),
        format!("|slope| ≤ {limit}°"),
        match (&m.face, shoulders) {
            (None, _) => NO_FACE,
            (_, None) => msg("请让双肩都在画面中", "Keep both shoulders in the picture"),
            (_, Some(v)) if v.abs() > limit => msg(
                "请坐正，双肩放平",
                "Sit up straight with your shoulders level",
            ),
            _ => msg("双肩水平", "Shoulders are level"),
        },
    )
}

fn eyes_open(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let f = m.face.as_ref();
    // The iris model's outline where there is one (it follows the lids); else the mesh's.
    let (eyes, limit, from) = match f.and_then(|f| f.eye_opening) {
        Some(v) => (Some(v), l.eye_opening, "lids / eye width"),
        None => (f.map(|f| f.eyes_open), l.eyes_open, "lids / eye-to-chin"),
    };
    let visible = f.is_some_and(|f| f.eye_contrast >= l.eye_contrast);
    result(
        CheckId::EyesOpen,
        eyes,
        eyes.is_some_and(|v| v >= limit) && visible,
        format!("≥ {limit} ({from}); eye contrast ≥ {}", l.eye_contrast),
        match eyes {
            None => NO_FACE,
            Some(v) if v < limit || !visible => msg(
                "请睁开双眼，不要遮挡眼睛",
                "Please open your eyes and keep them uncovered",
            ),
            Some(_) => msg("双眼睁开", "Eyes open"),
        },
    )
    .and("eye_contrast", f.map(|f| f.eye_contrast))
}

fn gaze(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.gaze;
    let gaze = m.face.as_ref().and_then(|f| f.gaze);
    result(
        CheckId::Gaze,
        gaze,
        gaze.is_some_and(|v| v <= limit),
        format!("≤ {limit}"),
        match (&m.face, gaze) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > limit => msg("请看镜头", "Please look into the camera"),
            _ => msg("目视镜头", "Looking into the camera"),
        },
    )
}

fn mouth_closed(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let f = m.face.as_ref();
    let gap = f.map(|f| f.mouth_gap);
    // Lips a little apart are accepted; teeth between them, or a mouth wide open, are not.
    let closed = f.is_some_and(|f| f.teeth <= l.teeth && f.mouth_gap <= l.mouth_gap);
    result(
        CheckId::MouthClosed,
        gap,
        closed,
        format!("≤ {}; teeth ≤ {}", l.mouth_gap, l.teeth),
        match f {
            None => NO_FACE,
            Some(_) if !closed => msg("请闭上嘴巴，不要露齿", "Please close your mouth (no teeth)"),
            Some(_) => msg("嘴巴闭合", "Mouth closed"),
        },
    )
    .and("teeth", f.map(|f| f.teeth))
}

fn glasses_glare(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.glare;
    let glare = m.face.as_ref().map(|f| f.glare);
    result(
        CheckId::GlassesGlare,
        glare,
        glare.is_some_and(|v| v <= limit),
        format!("≤ {limit}"),
        match glare {
            None => NO_FACE,
            Some(v) if v > limit => msg(
                "眼镜反光：请稍微低头，或摘下眼镜",
                "Your glasses reflect light: lower your chin slightly or take them off",
            ),
            Some(_) => msg("没有反光", "No reflections"),
        },
    )
}

fn glasses_tint(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.lens_ratio;
    let lens = m.face.as_ref().map(|f| f.lens_ratio);
    result(
        CheckId::GlassesTint,
        lens,
        lens.is_some_and(|v| v >= limit),
        format!("≥ {limit} (eye area / skin brightness)"),
        match lens {
            None => NO_FACE,
            Some(v) if v < limit => msg(
                "请摘下有色眼镜或墨镜",
                "Please take off tinted glasses or sunglasses",
            ),
            Some(_) => msg("没有有色镜片", "No tinted lenses"),
        },
    )
}

/// One of the dress rules' measures: fails above (`at_most`) or below its limit; not
/// measured without the person mask or with its region outside the frame.
#[allow(clippy::too_many_arguments)]
fn dress_check(
    m: &Measures,
    id: CheckId,
    value: fn(&dress::DressMeasures) -> Option<f32>,
    limit: f32,
    at_most: bool,
    what: &str,
    fix: Localized,
    fine: Localized,
) -> CheckResult {
    let v = m.mask.as_ref().and_then(|mask| value(&mask.dress));
    let ok = |v: f32| if at_most { v <= limit } else { v >= limit };
    result(
        id,
        v,
        v.is_some_and(ok),
        format!("{} {limit} ({what})", if at_most { "≤" } else { "≥" }),
        match (&m.face, v) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if !ok(v) => fix,
            _ => fine,
        },
    )
}

fn glasses_frames(m: &Measures, p: &Profile) -> CheckResult {
    dress_check(
        m,
        CheckId::GlassesFrames,
        |d| d.rim,
        p.limits.rim,
        true,
        "dark line across the eyes",
        msg(
            "镜框挡住了眼睛：请扶正眼镜或摘下眼镜",
            "Your glasses frame covers your eyes: push them up or take them off",
        ),
        msg("镜框没有遮挡眼睛", "Frames clear of the eyes"),
    )
}

fn head_covering(m: &Measures, p: &Profile) -> CheckResult {
    dress_check(
        m,
        CheckId::HeadCovering,
        |d| d.head_cover,
        p.limits.head_cover,
        true,
        "head above the forehead neither hair nor skin",
        msg(
            "请摘下帽子或头饰",
            "Please take off your hat or head covering",
        ),
        msg("没有戴帽子", "No head covering"),
    )
}

fn ears_visible(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let dress = m.mask.as_ref().map(|mask| &mask.dress);
    let hair = dress.and_then(|d| d.ear_hair);
    // Dark hair over an ear shows as hair; fair hair, a hood or a scarf as no skin.
    let skin = dress.and_then(|d| d.ear_skin);
    let covered = hair.is_some_and(|v| v > l.ear_hair) || skin.is_some_and(|v| v < l.ear_skin);
    result(
        CheckId::EarsVisible,
        hair,
        hair.is_some() && !covered,
        format!(
            "≤ {} (hair just outside the face at ear height); skin there ≥ {}",
            l.ear_hair, l.ear_skin
        ),
        match (&m.face, hair) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            _ if covered => msg(
                "请把头发拨到耳后，露出双耳",
                "Please tuck your hair behind your ears so both ears show",
            ),
            _ => msg("双耳外露", "Both ears showing"),
        },
    )
    .and("skin", skin)
}

fn hair_clear(m: &Measures, p: &Profile) -> CheckResult {
    dress_check(
        m,
        CheckId::HairClear,
        |d| d.brows,
        p.limits.brow_skin,
        false,
        "skin just above the eyebrows",
        msg(
            "请把刘海拨开，露出眉毛和眼睛",
            "Please move your fringe off your eyebrows and eyes",
        ),
        msg("头发没有遮挡眉眼", "Hair clear of brows and eyes"),
    )
}

fn jewellery(m: &Measures, p: &Profile) -> CheckResult {
    dress_check(
        m,
        CheckId::Jewellery,
        |d| d.earrings,
        p.limits.earrings,
        true,
        "‰ of the face width², bright small spots below the ears",
        msg("请摘下耳环等饰品", "Please take off your earrings"),
        msg("没有看到耳环", "No earrings seen"),
    )
}

fn clothing_sleeves(m: &Measures, p: &Profile) -> CheckResult {
    let mut r = dress_check(
        m,
        CheckId::ClothingSleeves,
        |d| d.bare_shoulders,
        p.limits.bare_shoulders,
        true,
        "skin on the shoulders",
        msg(
            "请穿有袖子的上衣，不要露肩",
            "Please wear a top with sleeves: no bare shoulders",
        ),
        msg("着装合适", "Shoulders covered"),
    );
    if m.face.is_some() && r.value.is_none() {
        r.message = msg("请让双肩都在画面中", "Keep both shoulders in the picture");
    }
    r
}

fn exposure(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let f = m.face.as_ref();
    let highlight = f.map(|f| f.face_highlight);
    let dark = f.is_some_and(|f| {
        f.face_luminance < l.face_luminance[0] || f.face_highlight < l.face_highlight[0]
    });
    let bright = f.is_some_and(|f| {
        f.face_luminance > l.face_luminance[1]
            || f.face_highlight > l.face_highlight[1]
            || f.clipped > l.clipped
    });
    result(
        CheckId::Exposure,
        highlight,
        !dark && !bright,
        format!(
            "highlights {}; mean {}; clipped ≤ {}",
            range(l.face_highlight),
            range(l.face_luminance),
            l.clipped
        ),
        match f {
            None => NO_FACE,
            Some(_) if dark => msg(
                "脸部太暗：请联系工作人员调整灯光",
                "Your face is too dark: please ask the staff about the light",
            ),
            Some(_) if bright => msg(
                "脸部太亮：请联系工作人员调整灯光",
                "Your face is too bright: please ask the staff about the light",
            ),
            Some(_) => msg("曝光合适", "Exposure is right"),
        },
    )
    .and("mean", f.map(|f| f.face_luminance))
    .and("clipped", f.map(|f| f.clipped))
}

fn lighting_even(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.lighting_ratio;
    let even = m.face.as_ref().map(|f| f.lighting_ratio);
    result(
        CheckId::LightingEven,
        even,
        even.is_some_and(|v| v >= limit),
        format!("≥ {limit}"),
        match even {
            None => NO_FACE,
            Some(v) if v < limit => msg(
                "脸部光线不均匀：请正对灯光",
                "One side of your face is in shadow: face the light",
            ),
            Some(_) => msg("光线均匀", "Evenly lit"),
        },
    )
}

fn sharpness(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.sharpness;
    let sharp = m.face.as_ref().map(|f| f.sharpness);
    result(
        CheckId::Sharpness,
        sharp,
        sharp.is_some_and(|v| v >= limit),
        format!("≥ {limit}"),
        match sharp {
            None => NO_FACE,
            Some(v) if v < limit => msg("请保持不动", "Please hold still"),
            Some(_) => msg("清晰", "Sharp"),
        },
    )
}

fn colour_natural(m: &Measures, p: &Profile) -> CheckResult {
    let l = &p.limits;
    let skin = m.face.as_ref().map(|f| (f.skin_a, f.skin_b));
    result(
        CheckId::ColourNatural,
        skin.map(|s| s.0),
        skin.is_some_and(|(a, b)| within(a, l.skin_a) && within(b, l.skin_b)),
        format!("a* {}; b* {}", range(l.skin_a), range(l.skin_b)),
        match skin {
            None => NO_FACE,
            Some((a, b)) if !within(a, l.skin_a) || !within(b, l.skin_b) => msg(
                "颜色不自然：请联系工作人员",
                "The colours look unnatural: please ask the staff",
            ),
            Some(_) => msg("颜色自然", "Natural colours"),
        },
    )
    .and("b", skin.map(|s| s.1))
}

fn background_uniform(m: &Measures, p: &Profile) -> CheckResult {
    // Against the site's calibrated backdrop (live): what the cloth itself showed with
    // nobody in front, plus what a person's shadow and edges add, within the profile's limit.
    let limit = m.backdrop.map_or(p.limits.background_spread, |b| {
        p.limits
            .background_spread
            .min(b.spread + p.limits.backdrop_margin)
    });
    let spread = m.mask.as_ref().and_then(|m| m.background_spread);
    result(
        CheckId::BackgroundUniform,
        spread,
        spread.is_some_and(|v| v <= limit),
        format!("≤ {limit} ΔE"),
        match (&m.face, spread) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > limit => msg(
                "背景不均匀：请站在背景布正前方，身后不要有影子或物品",
                "The backdrop is not plain: stand right in front of it, no shadows or objects behind you",
            ),
            _ => msg("背景均匀", "Plain backdrop"),
        },
    )
}

fn background_colour(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.background_delta_e;
    let expected = p.output.background;
    // Live, against the site's own calibrated backdrop where staff calibrated one (the
    // final photo's background is the profile's colour all the same).
    let (bg, against) = match (m.backdrop, m.mask.as_ref()) {
        (Some(b), Some(mask)) => (
            mask.background.map(|c| color::delta_e(c, b.colour)),
            "the calibrated backdrop".to_string(),
        ),
        (None, mask) => (
            mask.and_then(|m| m.background_delta_e(expected)),
            format!("RGB{expected:?}"),
        ),
        (Some(_), None) => (None, "the calibrated backdrop".to_string()),
    };
    result(
        CheckId::BackgroundColour,
        bg,
        bg.is_some_and(|v| v <= limit),
        format!("≤ {limit} ΔE from {against}"),
        match (&m.face, bg) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > limit && m.backdrop.is_some() => msg(
                "背景颜色不对：请站在背景布正前方",
                "The backdrop looks wrong: stand right in front of it",
            ),
            (_, Some(v)) if v > limit => msg(
                "背景颜色不对：请站在蓝色背景前",
                "The backdrop is the wrong colour: stand in front of the blue backdrop",
            ),
            _ => msg("背景颜色正确", "Backdrop colour is right"),
        },
    )
}

fn clothing_contrast(m: &Measures, p: &Profile) -> CheckResult {
    let limit = p.limits.clothing_delta_e;
    let clothes = m.mask.as_ref().and_then(|m| m.clothing_contrast());
    result(
        CheckId::ClothingContrast,
        clothes,
        clothes.is_some_and(|v| v >= limit),
        format!("≥ {limit} ΔE"),
        match (&m.face, clothes) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v < limit => msg(
                "衣服颜色与背景太接近：请换一件颜色不同的上衣",
                "Your clothes are too close to the backdrop colour: please wear a different top",
            ),
            _ => msg("衣服与背景区分明显", "Clothes stand out from the backdrop"),
        },
    )
}

fn file_size(m: &Measures, p: &Profile) -> CheckResult {
    let o = &p.output;
    let fits = m
        .file_bytes
        .is_some_and(|b| (o.min_bytes..=o.max_bytes).contains(&b));
    result(
        CheckId::FileSize,
        m.file_bytes.map(|b| b as f32),
        fits,
        format!("{}–{} bytes", o.min_bytes, o.max_bytes),
        if fits {
            msg("文件大小合适", "File size is right")
        } else {
            msg(
                "照片文件大小不符合要求",
                "The photo file is not the required size",
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::measure::{FaceMeasures, MaskMeasures};
    use super::*;

    /// Measures of a good photo for the bj-degree profile.
    fn good() -> Measures {
        Measures {
            faces: 1,
            face: Some(FaceMeasures {
                head_height: 0.52,
                crown_from_mask: true,
                crown_y: 0.12,
                chin_y: 0.64,
                centre_offset: 0.0,
                eye_line: 0.40,
                face_width: 0.48,
                roll: 0.5,
                yaw: -1.0,
                pitch: 1.0,
                eyes_open: 0.05,
                eye_opening: Some(0.3),
                eye_contrast: 40.0,
                gaze: Some(0.05),
                mouth_gap: 0.0,
                teeth: 0.0,
                face_luminance: 0.55,
                face_highlight: 0.8,
                clipped: 0.0,
                lighting_ratio: 0.95,
                sharpness: 200.0,
                skin_l: 60.0,
                skin_a: 12.0,
                skin_b: 18.0,
                glare: 0.0,
                lens_ratio: 0.85,
                texture_peak: 8.0,
                border_edges: 0.1,
            }),
            mask: Some(MaskMeasures {
                shoulders: Some(0.5),
                background_spread: Some(3.0),
                background: Some(color::lab([67, 142, 219])),
                clothing: Some(color::lab([20, 20, 30])),
                dress: dress::DressMeasures {
                    head_cover: Some(0.05),
                    ear_hair: Some(0.1),
                    ear_skin: Some(0.7),
                    brows: Some(0.9),
                    rim: Some(0.0),
                    earrings: Some(0.0),
                    bare_shoulders: Some(0.0),
                },
            }),
            file_bytes: Some(300_000),
            moved_picture: Some(false),
            backdrop: None,
        }
    }

    fn profile() -> Profile {
        Profile::builtin("bj-degree").unwrap()
    }

    fn check(results: &[CheckResult], id: CheckId) -> &CheckResult {
        results.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn a_calibrated_white_wall_passes_live_and_the_profile_colour_is_kept_for_photos() {
        let white = color::lab([236, 236, 232]);
        let mut m = good();
        m.mask.as_mut().unwrap().background = Some(white);
        let r = evaluate(&m, &profile(), Context::Live);
        assert!(!check(&r, CheckId::BackgroundColour).pass, "not blue");
        m.backdrop = Some(backdrop::Backdrop {
            colour: color::lab([238, 238, 235]),
            spread: 2.0,
        });
        let r = evaluate(&m, &profile(), Context::Live);
        let c = check(&r, CheckId::BackgroundColour);
        assert!(c.pass && c.limit.contains("calibrated"), "{c:?}");
        // A blue cloth where the white wall was calibrated is wrong.
        m.mask.as_mut().unwrap().background = Some(color::lab([67, 142, 219]));
        let r = evaluate(&m, &profile(), Context::Live);
        assert!(!check(&r, CheckId::BackgroundColour).pass);
        // The cloth's own evenness plus a margin bounds the spread.
        m.mask.as_mut().unwrap().background = Some(white);
        m.mask.as_mut().unwrap().background_spread = Some(9.0);
        let r = evaluate(&m, &profile(), Context::Live);
        assert!(check(&r, CheckId::BackgroundUniform).pass, "9 ≤ 2 + 8");
        m.mask.as_mut().unwrap().background_spread = Some(11.0);
        let r = evaluate(&m, &profile(), Context::Live);
        assert!(
            !check(&r, CheckId::BackgroundUniform).pass,
            "11 > 2 + 8, under the profile's 12"
        );
    }

    #[test]
    fn every_check_is_reported_in_catalogue_order() {
        let results = evaluate(&good(), &profile(), Context::File);
        let ids: Vec<CheckId> = results.iter().map(|r| r.id).collect();
        assert_eq!(ids, CheckId::ALL.to_vec());
        assert!(
            results.iter().all(|r| r.pass),
            "{:#?}",
            results.iter().filter(|r| !r.pass).collect::<Vec<_>>()
        );
        let live = evaluate(&good(), &profile(), Context::Live);
        assert!(
            !live.iter().any(|r| r.id == CheckId::FileSize),
            "a live frame has no file yet"
        );
        assert_eq!(live.len(), CheckId::ALL.len() - 1);
        let still = evaluate(&good(), &profile(), Context::Still);
        assert_eq!(
            still.iter().map(|r| r.id).collect::<Vec<_>>(),
            live.iter().map(|r| r.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_catalogue_follows_the_enum_and_names_each_check_once() {
        for (i, id) in CheckId::ALL.into_iter().enumerate() {
            assert_eq!(id as usize, i, "CheckId::ALL is in declaration order");
            assert_eq!(CheckId::parse(id.as_str()), Some(id), "{id} parses back");
            let title = id.title();
            assert!(
                !title.zh.is_empty() && !title.en.is_empty(),
                "{id} has no title"
            );
            assert!(
                id.applies(Context::File),
                "{id}: every check applies to a photo file"
            );
            // The check's own function reports its own id.
            assert_eq!(id.check(&good(), &profile()).id, id, "{id}'s function");
        }
        let names: std::collections::HashSet<&str> =
            CheckId::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), CheckId::ALL.len(), "ids are unique");
        assert_eq!(CheckId::parse("no.such.check"), None);
        assert_eq!(
            serde_json::to_string(&CheckId::MouthClosed).unwrap(),
            "\"mouth.closed\""
        );
    }

    #[test]
    fn a_result_serialises_as_check_json_prints_it_and_records_for_the_upload() {
        let r = check(
            &evaluate(&good(), &profile(), Context::File),
            CheckId::PoseRoll,
        )
        .clone();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["id"], "pose.roll");
        assert_eq!(json["pass"], true);
        assert_eq!(json["message_en"], "Head is level");
        assert_eq!(json["message_zh"], "头部端正");
        let record = r.record();
        assert_eq!(
            (record.id.as_str(), record.pass, record.value),
            ("pose.roll", true, Some(0.5))
        );
    }

    #[test]
    fn every_builtin_profile_names_each_check_once_as_required_or_advisory() {
        for id in crate::profile::BUILTIN_IDS {
            let p = Profile::builtin(id).unwrap();
            let unknown: Vec<&String> = p
                .checks
                .keys()
                .filter(|k| CheckId::parse(k).is_none())
                .collect();
            assert!(unknown.is_empty(), "{id} names unknown checks {unknown:?}");
            let missing: Vec<&str> = CheckId::ALL
                .iter()
                .map(|c| c.as_str())
                .filter(|c| !p.checks.contains_key(*c))
                .collect();
            assert!(missing.is_empty(), "{id} does not place {missing:?}");
        }
    }

    #[test]
    fn lips_a_little_apart_without_teeth_pass_mouth_closed() {
        let p = profile();
        let mut m = good();
        // A gap real portraits labelled "mouth closed, no teeth" show (docs/COMPLIANCE.md).
        m.face.as_mut().unwrap().mouth_gap = 0.05;
        let results = evaluate(&m, &p, Context::File);
        assert!(check(&results, CheckId::MouthClosed).pass);
        m.face.as_mut().unwrap().teeth = p.limits.teeth * 2.0;
        let results = evaluate(&m, &p, Context::File);
        let mouth = check(&results, CheckId::MouthClosed);
        assert!(!mouth.pass, "{mouth:?}");
        assert!(mouth.message.en.contains("no teeth"), "{mouth:?}");
    }

    #[test]
    fn a_check_of_two_measures_reports_both() {
        let p = profile();
        let mut m = good();
        // The gap under its limit, the teeth over theirs: the gap alone would not say why.
        m.face.as_mut().unwrap().mouth_gap = 0.03;
        m.face.as_mut().unwrap().teeth = 0.0063;
        let results = evaluate(&m, &p, Context::File);
        let mouth = check(&results, CheckId::MouthClosed);
        assert!(!mouth.pass && mouth.value == Some(0.03), "{mouth:?}");
        assert_eq!(mouth.also_text(), "teeth 0.0063");
        let json = serde_json::to_value(mouth).unwrap();
        assert_eq!(
            json["also"],
            serde_json::json!({"teeth": 0.0063f32}),
            "{json}"
        );
        // The report to central carries the f32 as the decimal it prints as.
        let record = mouth.record();
        assert_eq!(record.value, Some(0.03));
        assert_eq!(record.also["teeth"], Some(0.0063));
        // Not measured: null, as for `value`.
        m.mask.as_mut().unwrap().dress.ear_skin = None;
        let results = evaluate(&m, &p, Context::File);
        let ears = check(&results, CheckId::EarsVisible);
        assert_eq!(ears.also_text(), "skin —");
        assert!(serde_json::to_value(ears).unwrap()["also"]["skin"].is_null());
        // A check of one measure has none further.
        let glare = check(&results, CheckId::GlassesGlare);
        assert!(glare.also.is_empty() && glare.record().also.is_empty());
        assert_eq!(
            serde_json::to_value(glare).unwrap()["also"],
            serde_json::json!({})
        );
    }

    #[test]
    fn an_advisory_failure_is_shown_and_does_not_block() {
        let mut p = profile();
        p.checks.insert("mouth.closed".into(), Severity::Required);
        let mut m = good();
        m.face.as_mut().unwrap().mouth_gap = 0.2;
        let results = evaluate(&m, &p, Context::File);
        let mouth = check(&results, CheckId::MouthClosed);
        assert!(!mouth.pass && mouth.required && mouth.blocks());
        assert!(!acceptable(&results));
        p.checks.insert("mouth.closed".into(), Severity::Advisory);
        let results = evaluate(&m, &p, Context::File);
        let mouth = check(&results, CheckId::MouthClosed);
        assert!(!mouth.pass && !mouth.required && mouth.warns() && !mouth.blocks());
        assert!(acceptable(&results), "only an advisory check fails");
        assert!(mouth.record().advisory);
        let json = serde_json::to_value(mouth).unwrap();
        assert_eq!(
            (json["pass"].clone(), json["required"].clone()),
            (false.into(), false.into())
        );
        // A check the profile does not name is required.
        p.checks.remove("mouth.closed");
        assert!(check(&evaluate(&m, &p, Context::File), CheckId::MouthClosed).blocks());
    }

    #[test]
    fn without_a_face_nothing_can_pass_and_values_are_null() {
        let results = evaluate(&Measures::default(), &profile(), Context::File);
        for r in &results {
            assert!(!r.pass, "{} passed without a face", r.id);
            if r.id != CheckId::FaceCount {
                assert_eq!(r.value, None, "{}", r.id);
            }
            assert!(!r.message.zh.is_empty() && !r.message.en.is_empty());
        }
    }

    #[test]
    fn chsi_graduation_bounds_the_top_of_the_head_and_the_face_width_in_pixels() {
        let p = Profile::builtin("chsi-graduation").unwrap();
        assert_eq!(
            (p.geometry.hairline_min_px, p.geometry.face_width_max_px),
            (Some(50), Some(300))
        );
        let verdict = |f: &dyn Fn(&mut FaceMeasures)| {
            let mut m = good();
            let face = m.face.as_mut().unwrap();
            face.crown_y = 0.125; // 80 px of 640
            face.face_width = 0.5; // 240 px of 480
            f(face);
            let r = evaluate(&m, &p, Context::File);
            (
                check(&r, CheckId::HeadSize).clone(),
                check(&r, CheckId::HeadPosition).clone(),
            )
        };
        let (size, position) = verdict(&|_| {});
        assert!(size.pass && position.pass, "{size:?} {position:?}");
        assert!(size.limit.contains("180–300 px") && position.limit.contains("50–110 px"));
        // 40 px from the top: too high, although the eye line and head height are fine.
        let (_, position) = verdict(&|f| f.crown_y = 40.0 / 640.0);
        assert!(!position.pass && position.message.en.contains("too high"));
        let (_, position) = verdict(&|f| f.crown_y = 120.0 / 640.0);
        assert!(!position.pass && position.message.en.contains("too low"));
        // A face 170 px wide: come closer; 310 px: step back.
        let (size, _) = verdict(&|f| f.face_width = 170.0 / 480.0);
        assert!(!size.pass && size.message.en.contains("closer"), "{size:?}");
        let (size, _) = verdict(&|f| f.face_width = 310.0 / 480.0);
        assert!(!size.pass && size.message.en.contains("step back"));
        // bj-degree sets no pixel bounds: the same faces pass there.
        let bj = profile();
        let mut m = good();
        m.face.as_mut().unwrap().face_width = 0.3;
        m.face.as_mut().unwrap().crown_y = 0.05;
        let r = evaluate(&m, &bj, Context::File);
        assert!(
            check(&r, CheckId::HeadSize).pass && !check(&r, CheckId::HeadSize).limit.contains("px")
        );
    }

    #[test]
    fn exposure_follows_the_highlights_so_every_skin_tone_passes_in_good_light() {
        let p = profile();
        let exposure = |mean: f32, highlight: f32| {
            let mut m = good();
            let f = m.face.as_mut().unwrap();
            f.face_luminance = mean;
            f.face_highlight = highlight;
            check(&evaluate(&m, &p, Context::File), CheckId::Exposure).pass
        };
        assert!(exposure(0.74, 0.92), "a fair face, well lit");
        assert!(exposure(0.32, 0.68), "a dark face, well lit");
        assert!(!exposure(0.33, 0.42), "a fair face two stops under");
        assert!(!exposure(0.88, 0.99), "washed out");
        assert!(
            !exposure(0.10, 0.60),
            "nearly black whatever the highlights"
        );
    }

    #[test]
    fn each_defect_fails_its_own_check_with_a_directed_instruction() {
        let p = profile();
        type Defect = Box<dyn Fn(&mut Measures)>;
        let cases: Vec<(CheckId, Defect, &str)> = vec![
            (
                CheckId::FaceCount,
                Box::new(|m| m.faces = 2),
                "Only one person",
            ),
            (
                CheckId::HeadSize,
                Box::new(|m| m.face.as_mut().unwrap().head_height = 0.3),
                "closer",
            ),
            (
                CheckId::HeadSize,
                Box::new(|m| m.face.as_mut().unwrap().head_height = 0.7),
                "step back",
            ),
            (
                CheckId::HeadPosition,
                Box::new(|m| m.face.as_mut().unwrap().centre_offset = 0.1),
                "to your right",
            ),
            (
                CheckId::HeadPosition,
                Box::new(|m| m.face.as_mut().unwrap().eye_line = 0.2),
                "too high",
            ),
            (
                CheckId::PoseRoll,
                Box::new(|m| m.face.as_mut().unwrap().roll = 9.0),
                "to your right",
            ),
            (
                CheckId::PoseYaw,
                Box::new(|m| m.face.as_mut().unwrap().yaw = -9.0),
                "to your left",
            ),
            (
                CheckId::PosePitch,
                Box::new(|m| m.face.as_mut().unwrap().pitch = 9.0),
                "Raise your chin",
            ),
            (
                CheckId::ShouldersLevel,
                Box::new(|m| m.mask.as_mut().unwrap().shoulders = Some(12.0)),
                "shoulders level",
            ),
            (
                CheckId::EyesOpen,
                Box::new(|m| m.face.as_mut().unwrap().eye_opening = Some(0.05)),
                "open your eyes",
            ),
            (
                CheckId::EyesOpen,
                // Without iris landmarks, the mesh's lids.
                Box::new(|m| {
                    let f = m.face.as_mut().unwrap();
                    f.eye_opening = None;
                    f.eyes_open = 0.01;
                }),
                "open your eyes",
            ),
            (
                CheckId::EyesOpen,
                Box::new(|m| m.face.as_mut().unwrap().eye_contrast = 2.0),
                "uncovered",
            ),
            (
                CheckId::Gaze,
                Box::new(|m| m.face.as_mut().unwrap().gaze = Some(0.3)),
                "look into the camera",
            ),
            (
                CheckId::MouthClosed,
                Box::new(|m| m.face.as_mut().unwrap().mouth_gap = 0.12),
                "close your mouth",
            ),
            // Teeth between lips barely apart.
            (
                CheckId::MouthClosed,
                Box::new(|m| {
                    let f = m.face.as_mut().unwrap();
                    f.mouth_gap = 0.03;
                    f.teeth = 0.02;
                }),
                "no teeth",
            ),
            (
                CheckId::GlassesGlare,
                Box::new(|m| m.face.as_mut().unwrap().glare = 0.05),
                "reflect",
            ),
            (
                CheckId::Exposure,
                Box::new(|m| m.face.as_mut().unwrap().face_luminance = 0.1),
                "too dark",
            ),
            (
                CheckId::Exposure,
                Box::new(|m| m.face.as_mut().unwrap().clipped = 0.2),
                "too bright",
            ),
            // A fair face in dim light: a mean a dark face has in good light, but no
            // highlights.
            (
                CheckId::Exposure,
                Box::new(|m| {
                    let f = m.face.as_mut().unwrap();
                    f.face_luminance = 0.33;
                    f.face_highlight = 0.42;
                }),
                "too dark",
            ),
            (
                CheckId::GlassesTint,
                Box::new(|m| m.face.as_mut().unwrap().lens_ratio = 0.3),
                "sunglasses",
            ),
            (
                CheckId::GlassesFrames,
                Box::new(|m| m.mask.as_mut().unwrap().dress.rim = Some(0.9)),
                "frame covers your eyes",
            ),
            (
                CheckId::HeadCovering,
                Box::new(|m| m.mask.as_mut().unwrap().dress.head_cover = Some(0.6)),
                "hat",
            ),
            (
                CheckId::EarsVisible,
                Box::new(|m| m.mask.as_mut().unwrap().dress.ear_hair = Some(0.95)),
                "tuck your hair",
            ),
            // Fair hair over the ears: not dark, but no skin either.
            (
                CheckId::EarsVisible,
                Box::new(|m| m.mask.as_mut().unwrap().dress.ear_skin = Some(0.02)),
                "ears show",
            ),
            (
                CheckId::HairClear,
                Box::new(|m| m.mask.as_mut().unwrap().dress.brows = Some(0.05)),
                "fringe",
            ),
            (
                CheckId::Jewellery,
                Box::new(|m| m.mask.as_mut().unwrap().dress.earrings = Some(0.9)),
                "earrings",
            ),
            (
                CheckId::ClothingSleeves,
                Box::new(|m| m.mask.as_mut().unwrap().dress.bare_shoulders = Some(0.8)),
                "sleeves",
            ),
            (
                CheckId::LightingEven,
                Box::new(|m| m.face.as_mut().unwrap().lighting_ratio = 0.5),
                "shadow",
            ),
            (
                CheckId::Sharpness,
                Box::new(|m| m.face.as_mut().unwrap().sharpness = 5.0),
                "hold still",
            ),
            (
                CheckId::ColourNatural,
                Box::new(|m| m.face.as_mut().unwrap().skin_b = -10.0),
                "unnatural",
            ),
            (
                CheckId::BackgroundUniform,
                Box::new(|m| m.mask.as_mut().unwrap().background_spread = Some(30.0)),
                "not plain",
            ),
            (
                CheckId::BackgroundColour,
                Box::new(|m| {
                    m.mask.as_mut().unwrap().background = Some(color::lab([240, 240, 240]))
                }),
                "wrong colour",
            ),
            (
                CheckId::ClothingContrast,
                Box::new(|m| m.mask.as_mut().unwrap().clothing = Some(color::lab([70, 140, 215]))),
                "different top",
            ),
            (
                CheckId::Liveness,
                Box::new(|m| m.face.as_mut().unwrap().texture_peak = 400.0),
                "no photos or screens",
            ),
            (
                CheckId::Liveness,
                Box::new(|m| m.moved_picture = Some(true)),
                "no photos or screens",
            ),
            (
                CheckId::FileSize,
                Box::new(|m| m.file_bytes = Some(10_000)),
                "required size",
            ),
        ];
        for (id, defect, words) in cases {
            let mut m = good();
            defect(&mut m);
            let results = evaluate(&m, &p, Context::File);
            let failing: Vec<CheckId> = results.iter().filter(|r| !r.pass).map(|r| r.id).collect();
            assert_eq!(
                failing,
                vec![id],
                "the defect for {id} fails exactly its own check"
            );
            let r = check(&results, id);
            assert!(
                r.message.en.contains(words),
                "{id}: {:?} should say {words:?}",
                r.message.en
            );
        }
    }
}
