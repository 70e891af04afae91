//! The rules of the collection notices, and the checks that measure each. A rule with no
//! check is one the kiosk cannot judge yet: the screens say so and ask the candidate (and
//! the reviewer) to look, instead of claiming the photo meets every rule.
//!
//! A rule's id is also the label the evaluation sets use for it (`labels.json` in
//! `../shared/portraits`), so `tools/eval.sh` can say how well each rule's checks agree
//! with a person's judgement.

use super::CheckId;
use crate::lang::Localized;

/// One rule of the notices.
pub struct Rule {
    /// As the evaluation sets label it (`ears_visible`).
    pub id: &'static str,
    pub title: Localized,
    /// The checks that judge it; empty when none does yet.
    pub checks: &'static [CheckId],
}

const fn rule(
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    checks: &'static [CheckId],
) -> Rule {
    Rule {
        id,
        title: Localized::fixed(zh, en),
        checks,
    }
}

use CheckId::*;

/// Every rule, in the order the reminder page and the review screen list them.
pub static RULES: [Rule; 23] = [
    rule(
        "one_face",
        "画面中只有本人",
        "Only you in the picture",
        &[FaceCount],
    ),
    rule(
        "live",
        "本人现场拍摄，不翻拍",
        "Taken live, not a photo of a photo",
        &[Liveness],
    ),
    rule(
        "head_size_position",
        "头部大小、位置合适",
        "Head the right size, centred",
        &[HeadSize, HeadPosition],
    ),
    rule(
        "frontal",
        "正面，不侧身、不歪头、不仰不俯",
        "Facing front, head level",
        &[PoseRoll, PoseYaw, PosePitch],
    ),
    rule(
        "shoulders_level",
        "坐姿端正，双肩水平",
        "Sitting upright, shoulders level",
        &[ShouldersLevel],
    ),
    rule("eyes_open", "双眼睁开", "Eyes open", &[EyesOpen]),
    rule("gaze", "目视镜头", "Looking at the camera", &[Gaze]),
    rule(
        "mouth_closed_no_teeth",
        "嘴唇闭合，不露齿",
        "Lips closed, no teeth showing",
        &[MouthClosed],
    ),
    rule(
        "head_covering_absent",
        "不戴帽子等头部覆盖物",
        "No hat or other head covering",
        &[HeadCovering],
    ),
    rule(
        "ears_visible",
        "双耳外露",
        "Both ears showing",
        &[EarsVisible],
    ),
    rule(
        "hair_clear_of_brows_and_eyes",
        "头发不遮挡眉毛和眼睛",
        "Hair off the eyebrows and eyes",
        &[HairClear],
    ),
    rule(
        "no_tinted_glasses",
        "不戴有色眼镜",
        "No tinted glasses",
        &[GlassesTint],
    ),
    rule(
        "glasses_frames_clear_of_eyes",
        "镜框不遮挡眼睛",
        "Glasses frames clear of the eyes",
        &[GlassesFrames],
    ),
    rule(
        "no_glare",
        "镜片无反光",
        "No reflections on glasses",
        &[GlassesGlare],
    ),
    // The notices' "不戴耳环、项链等饰品" as two rules: the kiosk looks for earrings; a
    // necklace is left to people (no cue found, docs/COMPLIANCE.md). `no_jewellery` is the
    // id the labelled portraits use.
    rule(
        "no_jewellery",
        "不戴耳环等饰品",
        "No earrings or other jewellery",
        &[Jewellery],
    ),
    rule("no_necklace", "不戴项链", "No necklace", &[]),
    rule(
        "not_sleeveless",
        "不穿无袖上衣",
        "No sleeveless tops",
        &[ClothingSleeves],
    ),
    rule(
        "clothing_contrast",
        "衣服颜色与背景有明显区别",
        "Clothes a different colour from the backdrop",
        &[ClothingContrast],
    ),
    rule(
        "plain_background",
        "背景单一、干净",
        "Plain, even backdrop",
        &[BackgroundUniform],
    ),
    rule(
        "background_colour",
        "背景为规定的颜色",
        "Backdrop of the required colour",
        &[BackgroundColour],
    ),
    rule(
        "light_and_colour",
        "光线均匀，曝光合适，颜色自然",
        "Even light, right exposure, natural colour",
        &[Exposure, LightingEven, ColourNatural],
    ),
    rule("sharp", "照片清晰", "Sharp", &[Sharpness]),
    rule(
        "file",
        "文件格式和大小",
        "File format and size",
        &[FileSize],
    ),
];

impl Rule {
    /// The rule named `id`, if there is one.
    pub fn parse(id: &str) -> Option<&'static Rule> {
        RULES.iter().find(|r| r.id == id)
    }

    /// The rule a check belongs to.
    pub fn of(check: CheckId) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.checks.contains(&check))
            .expect("every check belongs to a rule (tested)")
    }
}

/// The rules none of whose checks is among `checked` (check ids as a report names them):
/// what a person still has to look at.
pub fn unchecked<'a>(checked: impl IntoIterator<Item = &'a str> + Clone) -> Vec<&'static Rule> {
    RULES
        .iter()
        .filter(|r| {
            !r.checks
                .iter()
                .any(|c| checked.clone().into_iter().any(|id| id == c.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_belongs_to_exactly_one_rule() {
        for id in CheckId::ALL {
            let n = RULES.iter().filter(|r| r.checks.contains(&id)).count();
            assert_eq!(n, 1, "{id} is in {n} rules");
            assert!(Rule::of(id).checks.contains(&id));
        }
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "rule ids are distinct");
    }

    #[test]
    fn the_rules_without_a_check_are_the_ones_left_to_people() {
        let all: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
        let open: Vec<&str> = unchecked(all.iter().copied())
            .iter()
            .map(|r| r.id)
            .collect();
        let no_check: Vec<&str> = RULES
            .iter()
            .filter(|r| r.checks.is_empty())
            .map(|r| r.id)
            .collect();
        assert_eq!(open, no_check);
        // A report without the pose checks leaves "frontal" to people too.
        let some: Vec<&str> = all
            .iter()
            .copied()
            .filter(|id| !id.starts_with("pose."))
            .collect();
        assert!(
            unchecked(some.iter().copied())
                .iter()
                .any(|r| r.id == "frontal")
        );
        assert!(Rule::parse("ears_visible").is_some() && Rule::parse("ears").is_none());
    }
}
