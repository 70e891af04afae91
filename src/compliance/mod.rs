//! The photo rules as checks: one pure function per rule compares a measure with the
//! profile's limit and says, in Chinese and English, what the candidate should do. Also
//! the guidance (the one most useful instruction, without flicker) and auto-capture.
//! Never touches the camera, the disk or the screen.
//!
//! ```
//! use capture_kiosk::compliance::{evaluate, measure::Measures, Context};
//! use capture_kiosk::profile::Profile;
//! let profile = Profile::builtin("bj-degree").unwrap();
//! let results = evaluate(&Measures::default(), &profile, Context::Still);
//! assert!(!results.iter().find(|r| r.id == "face.count").unwrap().pass); // no face
//! ```

pub mod autocapture;
pub mod color;
pub mod guide;
pub mod measure;
pub mod motion;
pub mod texture;

use crate::profile::Profile;
use measure::Measures;
use serde::Serialize;

/// Every check, in the order the guidance considers them (the first failing one is the
/// instruction shown).
pub const CHECK_IDS: [&str; 20] = [
    "face.count",
    "liveness",
    "head.size",
    "head.position",
    "pose.roll",
    "pose.yaw",
    "pose.pitch",
    "shoulders.level",
    "eyes.open",
    "gaze",
    "mouth.closed",
    "glasses.glare",
    "exposure",
    "lighting.even",
    "sharpness",
    "colour.natural",
    "background.uniform",
    "background.colour",
    "clothing.contrast",
    "file.size",
];

/// A check's short name for people (indicators, the review screen, `check`'s table), in
/// Chinese and English.
pub fn title(id: &str) -> (&'static str, &'static str) {
    match id {
        "face.count" => ("一人入镜", "One face"),
        "liveness" => ("真人拍摄", "Live person"),
        "head.size" => ("头部大小", "Head size"),
        "head.position" => ("头部位置", "Head position"),
        "pose.roll" => ("头部端正", "Head level"),
        "pose.yaw" => ("正对镜头", "Facing front"),
        "pose.pitch" => ("不抬头低头", "Chin level"),
        "shoulders.level" => ("双肩水平", "Shoulders level"),
        "eyes.open" => ("睁开眼睛", "Eyes open"),
        "gaze" => ("目视镜头", "Look at camera"),
        "mouth.closed" => ("嘴巴闭合", "Mouth closed"),
        "glasses.glare" => ("镜片无反光", "No glare"),
        "exposure" => ("亮度合适", "Exposure"),
        "lighting.even" => ("光线均匀", "Even light"),
        "sharpness" => ("照片清晰", "Sharp"),
        "colour.natural" => ("肤色自然", "Natural colour"),
        "background.uniform" => ("背景干净", "Plain backdrop"),
        "background.colour" => ("背景颜色", "Backdrop colour"),
        "clothing.contrast" => ("衣服与背景", "Clothing contrast"),
        "file.size" => ("文件大小", "File size"),
        _ => ("", ""),
    }
}

/// What is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A photo on its own: every check, the frame is the whole image.
    Still,
    /// A live camera frame: no file yet, so `file.size` is left out.
    Live,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub pass: bool,
    /// The measured value (`null` when it cannot be measured, e.g. without a face).
    pub value: Option<f32>,
    /// The profile's limit, for people.
    pub limit: String,
    pub message_zh: &'static str,
    pub message_en: &'static str,
}

/// A message in both languages.
type Msg = (&'static str, &'static str);

const NO_FACE: Msg = ("请站到镜头前", "Please stand in front of the camera");
const CANNOT_TELL: Msg = (
    "无法判断：请正对镜头",
    "Cannot tell yet: please face the camera",
);

fn result(
    id: &'static str,
    value: Option<f32>,
    pass: bool,
    limit: String,
    (zh, en): Msg,
) -> CheckResult {
    CheckResult {
        id,
        pass: pass && value.is_some(),
        value,
        limit,
        message_zh: zh,
        message_en: en,
    }
}

fn within(v: f32, [lo, hi]: [f32; 2]) -> bool {
    (lo..=hi).contains(&v)
}

fn range(r: [f32; 2]) -> String {
    format!("{}–{}", r[0], r[1])
}

/// Every check on one frame's measures.
pub fn evaluate(m: &Measures, profile: &Profile, context: Context) -> Vec<CheckResult> {
    let l = &profile.limits;
    let g = &profile.geometry;
    let f = m.face.as_ref();
    let mask = m.mask.as_ref();
    let mut out = Vec::with_capacity(CHECK_IDS.len());

    out.push(result(
        "face.count",
        Some(m.faces as f32),
        m.faces == 1,
        "= 1".into(),
        match m.faces {
            0 => NO_FACE,
            1 => ("已检测到一张人脸", "One face found"),
            _ => (
                "镜头前只能有一个人",
                "Only one person in front of the camera, please",
            ),
        },
    ));

    // Liveness: a picture of a picture shows a screen's or print's texture, or its border;
    // over video, a picture moves rigidly (its value then reads 2: clearly failing).
    let moved = if m.moved_picture == Some(true) {
        2.0
    } else {
        0.0
    };
    let live = f.map(|f| {
        (f.texture_peak / l.texture_peak)
            .max(f.border_edges / l.border_edges)
            .max(moved)
    });
    out.push(result(
        "liveness",
        live,
        live.is_some_and(|v| v <= 1.0),
        "≤ 1 (screen / print cues)".into(),
        match live {
            None => NO_FACE,
            Some(v) if v <= 1.0 => ("真人拍摄", "A live person"),
            Some(_) => (
                "请本人站在镜头前，不能翻拍照片或屏幕",
                "Please stand in front of the camera yourself: no photos or screens",
            ),
        },
    ));

    let size = f.map(|f| f.head_height);
    let size_range = [g.head_height_min, g.head_height_max];
    out.push(result(
        "head.size",
        size,
        size.is_some_and(|v| within(v, size_range)),
        range(size_range),
        match size {
            None => NO_FACE,
            Some(v) if v < size_range[0] => ("请靠近一点", "Please come a little closer"),
            Some(v) if v > size_range[1] => ("请后退一点", "Please step back a little"),
            Some(_) => ("头部大小合适", "Head size is right"),
        },
    ));

    let pos = f.map(|f| f.centre_offset);
    let eye_ok = f.is_some_and(|f| within(f.eye_line, l.eye_line));
    out.push(result(
        "head.position",
        pos,
        pos.is_some_and(|v| v.abs() <= l.centre_offset) && eye_ok,
        format!("|x| ≤ {}; eye line {}", l.centre_offset, range(l.eye_line)),
        match f {
            None => NO_FACE,
            // The camera sees the candidate un-mirrored: right in the image is their left.
            Some(f) if f.centre_offset > l.centre_offset => {
                ("请向右移一点", "Move a little to your right")
            }
            Some(f) if f.centre_offset < -l.centre_offset => {
                ("请向左移一点", "Move a little to your left")
            }
            Some(f) if f.eye_line < l.eye_line[0] => (
                "头部位置偏高：请稍微放低",
                "Your head is too high in the picture: lower it a little",
            ),
            Some(f) if f.eye_line > l.eye_line[1] => (
                "头部位置偏低：请坐直、稍微抬高",
                "Your head is too low in the picture: sit up straight",
            ),
            Some(_) => ("位置居中", "Well centred"),
        },
    ));

    let roll = f.map(|f| f.roll);
    out.push(result(
        "pose.roll",
        roll,
        roll.is_some_and(|v| v.abs() <= l.roll_degrees),
        format!("|roll| ≤ {}°", l.roll_degrees),
        match roll {
            None => NO_FACE,
            // Positive: the eye on the image's right (the candidate's left) is lower.
            Some(v) if v > l.roll_degrees => (
                "请把头向右摆正一点",
                "Tilt your head a little to your right",
            ),
            Some(v) if v < -l.roll_degrees => {
                ("请把头向左摆正一点", "Tilt your head a little to your left")
            }
            Some(_) => ("头部端正", "Head is level"),
        },
    ));

    let yaw = f.map(|f| f.yaw);
    out.push(result(
        "pose.yaw",
        yaw,
        yaw.is_some_and(|v| v.abs() <= l.yaw_degrees),
        format!("|yaw| ≤ {}°", l.yaw_degrees),
        match yaw {
            None => NO_FACE,
            // Positive: the face's side on the image's right is farther: turned to their left.
            Some(v) if v > l.yaw_degrees => (
                "请正对镜头：头向右转一点",
                "Face the camera: turn your head a little to your right",
            ),
            Some(v) if v < -l.yaw_degrees => (
                "请正对镜头：头向左转一点",
                "Face the camera: turn your head a little to your left",
            ),
            Some(_) => ("正对镜头", "Facing the camera"),
        },
    ));

    let pitch = f.map(|f| f.pitch);
    out.push(result(
        "pose.pitch",
        pitch,
        pitch.is_some_and(|v| v.abs() <= l.pitch_degrees),
        format!("|pitch| ≤ {}°", l.pitch_degrees),
        match pitch {
            None => NO_FACE,
            // Positive: the chin is farther than the forehead: looking down.
            Some(v) if v > l.pitch_degrees => ("请稍微抬起下巴", "Raise your chin a little"),
            Some(v) if v < -l.pitch_degrees => ("请稍微放低下巴", "Lower your chin a little"),
            Some(_) => ("头部不仰不俯", "Head is straight"),
        },
    ));

    let shoulders = mask.and_then(|m| m.shoulders);
    out.push(result(
        "shoulders.level",
        shoulders,
        shoulders.is_some_and(|v| v.abs() <= l.shoulders_degrees),
        format!("|slope| ≤ {}°", l.shoulders_degrees),
        match (f, shoulders) {
            (None, _) => NO_FACE,
            (_, None) => ("请让双肩都在画面中", "Keep both shoulders in the picture"),
            (_, Some(v)) if v.abs() > l.shoulders_degrees => (
                "请坐正，双肩放平",
                "Sit up straight with your shoulders level",
            ),
            _ => ("双肩水平", "Shoulders are level"),
        },
    ));

    let eyes = f.map(|f| f.eyes_open);
    let visible = f.is_some_and(|f| f.eye_contrast >= l.eye_contrast);
    out.push(result(
        "eyes.open",
        eyes,
        eyes.is_some_and(|v| v >= l.eyes_open) && visible,
        format!("≥ {}; eye contrast ≥ {}", l.eyes_open, l.eye_contrast),
        match eyes {
            None => NO_FACE,
            Some(v) if v < l.eyes_open || !visible => (
                "请睁开双眼，不要遮挡眼睛",
                "Please open your eyes and keep them uncovered",
            ),
            Some(_) => ("双眼睁开", "Eyes open"),
        },
    ));

    let gaze = f.and_then(|f| f.gaze);
    out.push(result(
        "gaze",
        gaze,
        gaze.is_some_and(|v| v <= l.gaze),
        format!("≤ {}", l.gaze),
        match (f, gaze) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > l.gaze => ("请看镜头", "Please look into the camera"),
            _ => ("目视镜头", "Looking into the camera"),
        },
    ));

    let mouth = f.map(|f| f.mouth_gap);
    out.push(result(
        "mouth.closed",
        mouth,
        mouth.is_some_and(|v| v <= l.mouth_gap),
        format!("≤ {}", l.mouth_gap),
        match mouth {
            None => NO_FACE,
            Some(v) if v > l.mouth_gap => {
                ("请闭上嘴巴，不要露齿", "Please close your mouth (no teeth)")
            }
            Some(_) => ("嘴巴闭合", "Mouth closed"),
        },
    ));

    let glare = f.map(|f| f.glare);
    out.push(result(
        "glasses.glare",
        glare,
        glare.is_some_and(|v| v <= l.glare),
        format!("≤ {}", l.glare),
        match glare {
            None => NO_FACE,
            Some(v) if v > l.glare => (
                "眼镜反光：请稍微低头，或摘下眼镜",
                "Your glasses reflect light: lower your chin slightly or take them off",
            ),
            Some(_) => ("没有反光", "No reflections"),
        },
    ));

    let lum = f.map(|f| f.face_luminance);
    out.push(result(
        "exposure",
        lum,
        lum.is_some_and(|v| within(v, l.face_luminance))
            && f.is_some_and(|f| f.clipped <= l.clipped),
        format!("{}; clipped ≤ {}", range(l.face_luminance), l.clipped),
        match f {
            None => NO_FACE,
            Some(f) if f.face_luminance < l.face_luminance[0] => (
                "脸部太暗：请联系工作人员调整灯光",
                "Your face is too dark: please ask the staff about the light",
            ),
            Some(f) if f.face_luminance > l.face_luminance[1] || f.clipped > l.clipped => (
                "脸部太亮：请联系工作人员调整灯光",
                "Your face is too bright: please ask the staff about the light",
            ),
            Some(_) => ("曝光合适", "Exposure is right"),
        },
    ));

    let even = f.map(|f| f.lighting_ratio);
    out.push(result(
        "lighting.even",
        even,
        even.is_some_and(|v| v >= l.lighting_ratio),
        format!("≥ {}", l.lighting_ratio),
        match even {
            None => NO_FACE,
            Some(v) if v < l.lighting_ratio => (
                "脸部光线不均匀：请正对灯光",
                "One side of your face is in shadow: face the light",
            ),
            Some(_) => ("光线均匀", "Evenly lit"),
        },
    ));

    let sharp = f.map(|f| f.sharpness);
    out.push(result(
        "sharpness",
        sharp,
        sharp.is_some_and(|v| v >= l.sharpness),
        format!("≥ {}", l.sharpness),
        match sharp {
            None => NO_FACE,
            Some(v) if v < l.sharpness => ("请保持不动", "Please hold still"),
            Some(_) => ("清晰", "Sharp"),
        },
    ));

    let skin = f.map(|f| (f.skin_a, f.skin_b));
    out.push(result(
        "colour.natural",
        skin.map(|s| s.0),
        skin.is_some_and(|(a, b)| within(a, l.skin_a) && within(b, l.skin_b)),
        format!("a* {}; b* {}", range(l.skin_a), range(l.skin_b)),
        match skin {
            None => NO_FACE,
            Some((a, b)) if !within(a, l.skin_a) || !within(b, l.skin_b) => (
                "颜色不自然：请联系工作人员",
                "The colours look unnatural: please ask the staff",
            ),
            Some(_) => ("颜色自然", "Natural colours"),
        },
    ));

    let spread = mask.and_then(|m| m.background_spread);
    out.push(result(
        "background.uniform",
        spread,
        spread.is_some_and(|v| v <= l.background_spread),
        format!("≤ {} ΔE", l.background_spread),
        match (f, spread) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > l.background_spread => {
                ("背景不均匀：请站在背景布正前方，身后不要有影子或物品", "The backdrop is not plain: stand right in front of it, no shadows or objects behind you")
            }
            _ => ("背景均匀", "Plain backdrop"),
        },
    ));

    let bg = mask.and_then(|m| m.background_delta_e(profile.output.background));
    out.push(result(
        "background.colour",
        bg,
        bg.is_some_and(|v| v <= l.background_delta_e),
        format!(
            "≤ {} ΔE from RGB{:?}",
            l.background_delta_e, profile.output.background
        ),
        match (f, bg) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v > l.background_delta_e => (
                "背景颜色不对：请站在蓝色背景前",
                "The backdrop is the wrong colour: stand in front of the blue backdrop",
            ),
            _ => ("背景颜色正确", "Backdrop colour is right"),
        },
    ));

    let clothes = mask.and_then(|m| m.clothing_contrast());
    out.push(result(
        "clothing.contrast",
        clothes,
        clothes.is_some_and(|v| v >= l.clothing_delta_e),
        format!("≥ {} ΔE", l.clothing_delta_e),
        match (f, clothes) {
            (None, _) => NO_FACE,
            (_, None) => CANNOT_TELL,
            (_, Some(v)) if v < l.clothing_delta_e => (
                "衣服颜色与背景太接近：请换一件颜色不同的上衣",
                "Your clothes are too close to the backdrop colour: please wear a different top",
            ),
            _ => ("衣服与背景区分明显", "Clothes stand out from the backdrop"),
        },
    ));

    if context == Context::Still {
        let o = &profile.output;
        let bytes = m.file_bytes.map(|b| b as f32);
        out.push(result(
            "file.size",
            bytes,
            m.file_bytes
                .is_some_and(|b| (o.min_bytes..=o.max_bytes).contains(&b)),
            format!("{}–{} bytes", o.min_bytes, o.max_bytes),
            match m.file_bytes {
                Some(b) if (o.min_bytes..=o.max_bytes).contains(&b) => {
                    ("文件大小合适", "File size is right")
                }
                _ => (
                    "照片文件大小不符合要求",
                    "The photo file is not the required size",
                ),
            },
        ));
    }
    out
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
                roll: 0.5,
                yaw: -1.0,
                pitch: 1.0,
                eyes_open: 0.05,
                eye_contrast: 40.0,
                gaze: Some(0.05),
                mouth_gap: 0.0,
                face_luminance: 0.55,
                clipped: 0.0,
                lighting_ratio: 0.95,
                sharpness: 200.0,
                skin_a: 12.0,
                skin_b: 18.0,
                glare: 0.0,
                texture_peak: 8.0,
                border_edges: 0.1,
            }),
            mask: Some(MaskMeasures {
                shoulders: Some(0.5),
                background_spread: Some(3.0),
                background: Some(color::lab([67, 142, 219])),
                clothing: Some(color::lab([20, 20, 30])),
            }),
            file_bytes: Some(300_000),
            moved_picture: Some(false),
        }
    }

    fn profile() -> Profile {
        Profile::builtin("bj-degree").unwrap()
    }

    fn check<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
        results.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn every_check_is_reported_in_catalogue_order() {
        let results = evaluate(&good(), &profile(), Context::Still);
        let ids: Vec<&str> = results.iter().map(|r| r.id).collect();
        assert_eq!(ids, CHECK_IDS.to_vec());
        assert!(
            results.iter().all(|r| r.pass),
            "{:#?}",
            results.iter().filter(|r| !r.pass).collect::<Vec<_>>()
        );
        let live = evaluate(&good(), &profile(), Context::Live);
        assert_eq!(live.len(), 19, "a live frame has no file yet");
    }

    #[test]
    fn every_check_has_a_title_in_both_languages() {
        for id in CHECK_IDS {
            let (zh, en) = title(id);
            assert!(!zh.is_empty() && !en.is_empty(), "{id} has no title");
        }
        assert_eq!(title("no.such.check"), ("", ""));
    }

    #[test]
    fn without_a_face_nothing_can_pass_and_values_are_null() {
        let results = evaluate(&Measures::default(), &profile(), Context::Still);
        for r in &results {
            assert!(!r.pass, "{} passed without a face", r.id);
            if r.id != "face.count" {
                assert_eq!(r.value, None, "{}", r.id);
            }
            assert!(!r.message_zh.is_empty() && !r.message_en.is_empty());
        }
    }

    #[test]
    fn each_defect_fails_its_own_check_with_a_directed_instruction() {
        let p = profile();
        type Defect = Box<dyn Fn(&mut Measures)>;
        let cases: Vec<(&str, Defect, &str)> = vec![
            ("face.count", Box::new(|m| m.faces = 2), "Only one person"),
            (
                "head.size",
                Box::new(|m| m.face.as_mut().unwrap().head_height = 0.3),
                "closer",
            ),
            (
                "head.size",
                Box::new(|m| m.face.as_mut().unwrap().head_height = 0.7),
                "step back",
            ),
            (
                "head.position",
                Box::new(|m| m.face.as_mut().unwrap().centre_offset = 0.1),
                "to your right",
            ),
            (
                "head.position",
                Box::new(|m| m.face.as_mut().unwrap().eye_line = 0.2),
                "too high",
            ),
            (
                "pose.roll",
                Box::new(|m| m.face.as_mut().unwrap().roll = 9.0),
                "to your right",
            ),
            (
                "pose.yaw",
                Box::new(|m| m.face.as_mut().unwrap().yaw = -9.0),
                "to your left",
            ),
            (
                "pose.pitch",
                Box::new(|m| m.face.as_mut().unwrap().pitch = 9.0),
                "Raise your chin",
            ),
            (
                "shoulders.level",
                Box::new(|m| m.mask.as_mut().unwrap().shoulders = Some(12.0)),
                "shoulders level",
            ),
            (
                "eyes.open",
                Box::new(|m| m.face.as_mut().unwrap().eyes_open = 0.01),
                "open your eyes",
            ),
            (
                "eyes.open",
                Box::new(|m| m.face.as_mut().unwrap().eye_contrast = 2.0),
                "uncovered",
            ),
            (
                "gaze",
                Box::new(|m| m.face.as_mut().unwrap().gaze = Some(0.3)),
                "look into the camera",
            ),
            (
                "mouth.closed",
                Box::new(|m| m.face.as_mut().unwrap().mouth_gap = 0.05),
                "close your mouth",
            ),
            (
                "glasses.glare",
                Box::new(|m| m.face.as_mut().unwrap().glare = 0.05),
                "reflect",
            ),
            (
                "exposure",
                Box::new(|m| m.face.as_mut().unwrap().face_luminance = 0.1),
                "too dark",
            ),
            (
                "exposure",
                Box::new(|m| m.face.as_mut().unwrap().clipped = 0.2),
                "too bright",
            ),
            (
                "lighting.even",
                Box::new(|m| m.face.as_mut().unwrap().lighting_ratio = 0.5),
                "shadow",
            ),
            (
                "sharpness",
                Box::new(|m| m.face.as_mut().unwrap().sharpness = 5.0),
                "hold still",
            ),
            (
                "colour.natural",
                Box::new(|m| m.face.as_mut().unwrap().skin_b = -10.0),
                "unnatural",
            ),
            (
                "background.uniform",
                Box::new(|m| m.mask.as_mut().unwrap().background_spread = Some(30.0)),
                "not plain",
            ),
            (
                "background.colour",
                Box::new(|m| {
                    m.mask.as_mut().unwrap().background = Some(color::lab([240, 240, 240]))
                }),
                "wrong colour",
            ),
            (
                "clothing.contrast",
                Box::new(|m| m.mask.as_mut().unwrap().clothing = Some(color::lab([70, 140, 215]))),
                "different top",
            ),
            (
                "liveness",
                Box::new(|m| m.face.as_mut().unwrap().texture_peak = 400.0),
                "no photos or screens",
            ),
            (
                "liveness",
                Box::new(|m| m.moved_picture = Some(true)),
                "no photos or screens",
            ),
            (
                "file.size",
                Box::new(|m| m.file_bytes = Some(10_000)),
                "required size",
            ),
        ];
        for (id, defect, words) in cases {
            let mut m = good();
            defect(&mut m);
            let results = evaluate(&m, &p, Context::Still);
            let failing: Vec<&str> = results.iter().filter(|r| !r.pass).map(|r| r.id).collect();
            assert_eq!(
                failing,
                vec![id],
                "the defect for {id} fails exactly its own check"
            );
            let r = check(&results, id);
            assert!(
                r.message_en.contains(words),
                "{id}: {:?} should say {words:?}",
                r.message_en
            );
        }
    }
}
