//! A folder of real, labelled photos (`labels.json`, as in `../shared/portraits`) against
//! the checks: every photo is read as a person would see it (EXIF orientation applied),
//! checked as a file for a profile, and each labelled rule compared with the checks that
//! judge it (`compliance::rules`).
//!
//! Per rule: how many of its labelled defects any of its checks caught. Per check: how
//! many photos labelled good for its rule it rejected. A required check must reject no good
//! photo, and a rule with a required check must have ≥ 95 % of its defects caught; what
//! misses is listed as a problem. Rules without a check are counted as such.

use capture_core::compliance::rules::{RULES, Rule};
use capture_core::compliance::{CheckId, CheckResult};
use capture_core::profile::Profile;
use capture_vision::FaceAnalyzer;
use capture_vision::inspect::inspect_still;
use std::collections::BTreeMap;
use std::path::Path;

/// The share of a rule's defects its checks must catch.
pub const CATCH_TARGET: f64 = 0.95;

#[derive(Debug, Default, Clone)]
pub struct RuleCount {
    pub defects: usize,
    pub caught: usize,
    pub good: usize,
    /// Photos labelled `unknown` for this rule.
    pub unknown: usize,
}

#[derive(Debug, Default, Clone)]
pub struct CheckCount {
    pub good: usize,
    pub rejected: usize,
    pub required: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub photos: usize,
    pub rules: BTreeMap<&'static str, RuleCount>,
    pub checks: BTreeMap<CheckId, CheckCount>,
    /// One line per disagreement with a label: file, check, value, limit, label.
    pub disagreements: Vec<String>,
    /// `(file, check)` for each photo labelled good for a rule that a check of it rejects.
    pub rejections: Vec<(String, CheckId)>,
    /// Files that could not be read or analysed.
    pub unreadable: Vec<String>,
}

impl Report {
    /// What misses the targets: a required check that rejects a good photo, a rule with a
    /// required check whose defects are caught less than [`CATCH_TARGET`].
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.wrongly_rejected(&[]);
        out.extend(self.under_caught());
        out.extend(self.unreadable.iter().map(|f| format!("{f}: unreadable")));
        out
    }

    /// Photos labelled good for a rule that a required check of it rejects, but for the
    /// `(file, check)` pairs in `allowed`.
    pub fn wrongly_rejected(&self, allowed: &[(String, String)]) -> Vec<String> {
        self.rejections
            .iter()
            .filter(|(file, check)| {
                self.checks[check].required
                    && !allowed
                        .iter()
                        .any(|(f, c)| f == file && c == check.as_str())
            })
            .map(|(file, check)| format!("{file}: labelled good, rejected by {check} (required)"))
            .collect()
    }

    /// The rules with a required check whose labelled defects are caught less than
    /// [`CATCH_TARGET`].
    pub fn under_caught(&self) -> Vec<String> {
        let mut out = Vec::new();
        for rule in RULES.iter() {
            let Some(r) = self.rules.get(rule.id) else {
                continue;
            };
            let required = rule
                .checks
                .iter()
                .any(|c| self.checks.get(c).is_some_and(|c| c.required));
            if required && r.defects > 0 && (r.caught as f64) < CATCH_TARGET * r.defects as f64 {
                out.push(format!(
                    "{} catches {} of {} labelled defects (target {:.0} %)",
                    rule.id,
                    r.caught,
                    r.defects,
                    CATCH_TARGET * 100.0
                ));
            }
        }
        out
    }

    /// The confusion table, as `tools/eval.sh DIR` prints it.
    pub fn table(&self) -> String {
        let mut s = format!("{} labelled photos\n\n", self.photos);
        s += &format!(
            "{:<30} {:<19} {:>9} {:>16} {:>17} {:>8}\n",
            "rule", "check", "kind", "defects caught", "good rejected", "unknown"
        );
        for rule in RULES.iter() {
            let Some(r) = self.rules.get(rule.id) else {
                continue;
            };
            let caught = if r.defects == 0 {
                "—".to_string()
            } else {
                format!(
                    "{}/{} ({:.0} %)",
                    r.caught,
                    r.defects,
                    100.0 * r.caught as f64 / r.defects as f64
                )
            };
            if rule.checks.is_empty() {
                s += &format!(
                    "{:<30} {:<19} {:>9} {:>16} {:>17} {:>8}\n",
                    rule.id,
                    "(no check)",
                    "",
                    format!("0/{}", r.defects),
                    "—",
                    r.unknown
                );
                continue;
            }
            for (i, id) in rule.checks.iter().enumerate() {
                let c = &self.checks[id];
                s += &format!(
                    "{:<30} {:<19} {:>9} {:>16} {:>17} {:>8}\n",
                    if i == 0 { rule.id } else { "" },
                    id.as_str(),
                    if c.required { "required" } else { "advisory" },
                    if i == 0 { caught.as_str() } else { "" },
                    format!("{}/{}", c.rejected, c.good),
                    if i == 0 {
                        r.unknown.to_string()
                    } else {
                        String::new()
                    },
                );
            }
        }
        if !self.disagreements.is_empty() {
            s += "\nwhere a check and a label disagree:\n";
            for d in &self.disagreements {
                s += &format!("  {d}\n");
            }
        }
        s
    }
}

/// The value, and the check's further measures where it has any (`0.031 (teeth 0.0063)`).
fn describe(r: &CheckResult) -> String {
    let value = r
        .value
        .map(|v| format!("{v:.3}"))
        .unwrap_or_else(|| "—".into());
    match r.also_text() {
        also if also.is_empty() => value,
        also => format!("{value} ({also})"),
    }
}

/// Checks every photo `dir/labels.json` lists, for `profile`.
pub fn evaluate(dir: &Path, profile: &Profile) -> Report {
    let labels = std::fs::read(dir.join("labels.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("labels.json").display()));
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&labels).expect("labels.json is a JSON array");
    let mut analyzer = FaceAnalyzer::load().unwrap();
    let mut report = Report {
        photos: entries.len(),
        ..Report::default()
    };
    for entry in &entries {
        let file = entry["file"].as_str().expect("every entry names its file");
        let bytes = match std::fs::read(dir.join(file)) {
            Ok(b) => b,
            Err(e) => {
                report.unreadable.push(format!("{file} ({e})"));
                continue;
            }
        };
        let picture = match capture_core::picture::decode(&bytes) {
            Ok(p) => p,
            Err(e) => {
                report.unreadable.push(format!("{file} ({e})"));
                continue;
            }
        };
        let inspection = match inspect_still(
            &mut analyzer,
            &picture.image,
            Some(bytes.len() as u64),
            profile,
        ) {
            Ok(i) => i,
            Err(e) => {
                report.unreadable.push(format!("{file} ({e})"));
                continue;
            }
        };
        let Some(labels) = entry["labels"].as_object() else {
            continue;
        };
        for (label, verdict) in labels {
            let Some(rule) = Rule::parse(label) else {
                panic!("{file}: label {label:?} names no rule of compliance::rules");
            };
            let count = report.rules.entry(rule.id).or_default();
            let good = match verdict.as_str() {
                Some("pass") => true,
                Some("fail") => false,
                _ => {
                    count.unknown += 1;
                    continue;
                }
            };
            let results: Vec<&CheckResult> = inspection
                .results
                .iter()
                .filter(|r| rule.checks.contains(&r.id))
                .collect();
            // Caught means measured and failed: "cannot tell" tells the candidate nothing
            // about the defect. (On a good photo, any failure is a rejection.)
            let failed = results.iter().any(|r| !r.pass && r.value.is_some());
            if good {
                count.good += 1;
            } else {
                count.defects += 1;
                if failed {
                    count.caught += 1;
                } else if !rule.checks.is_empty() {
                    report.disagreements.push(format!(
                        "{file}: {label} labelled fail, passed by {}",
                        results
                            .iter()
                            .map(|r| format!("{} = {}", r.id, describe(r)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            for r in results {
                let c = report.checks.entry(r.id).or_default();
                c.required = r.required;
                if good {
                    c.good += 1;
                    if !r.pass {
                        c.rejected += 1;
                        report.rejections.push((file.to_owned(), r.id));
                        report.disagreements.push(format!(
                            "{file}: {label} labelled pass, rejected by {} = {} (limit {})",
                            r.id,
                            describe(r),
                            r.limit
                        ));
                    }
                }
            }
        }
    }
    report
}
