//! Every visible string in ui/*.slint is `@tr(...)` and has its Chinese translation, with
//! the same `{}` placeholders; the Chinese catalogue holds nothing stale.

use std::collections::BTreeMap;
use std::path::Path;

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The string literals that follow `@tr(` in a .slint file.
fn tr_strings(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("@tr(\"") {
        let body = &rest[at + 5..];
        let mut end = 0;
        let bytes = body.as_bytes();
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        found.push(unescape(&body[..end]));
        rest = &body[end..];
    }
    found
}

fn slint_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            slint_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "slint") {
            out.push(p);
        }
    }
}

/// msgid → msgstr of a .po file (single-line entries, as we write them).
fn catalogue(po: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut id: Option<String> = None;
    for line in po.lines() {
        if let Some(v) = line
            .strip_prefix("msgid \"")
            .and_then(|l| l.strip_suffix('"'))
        {
            id = Some(unescape(v));
        } else if let Some(v) = line
            .strip_prefix("msgstr \"")
            .and_then(|l| l.strip_suffix('"'))
            && let Some(id) = id.take().filter(|i| !i.is_empty())
        {
            map.insert(id, unescape(v));
        }
    }
    map
}

#[test]
fn every_ui_string_has_a_chinese_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    let mut strings = Vec::new();
    for f in &files {
        strings.extend(tr_strings(&std::fs::read_to_string(f).unwrap()));
    }
    assert!(
        strings.len() > 100,
        "found only {} @tr strings: is the scan broken?",
        strings.len()
    );
    let zh = catalogue(
        &std::fs::read_to_string(root.join("ui/translations/zh/LC_MESSAGES/capture-kiosk.po"))
            .unwrap(),
    );

    let missing: Vec<_> = strings
        .iter()
        .filter(|s| zh.get(*s).is_none_or(|t| t.trim().is_empty()))
        .collect();
    assert!(
        missing.is_empty(),
        "no Chinese translation for: {missing:#?}"
    );

    let placeholders = |s: &str| s.matches("{}").count();
    let mismatched: Vec<_> = strings
        .iter()
        .filter(|s| placeholders(s) != placeholders(&zh[*s]))
        .collect();
    assert!(
        mismatched.is_empty(),
        "translations with other {{}} placeholders: {mismatched:#?}"
    );

    let stale: Vec<_> = zh.keys().filter(|k| !strings.contains(k)).collect();
    assert!(
        stale.is_empty(),
        "translations no screen uses any more: {stale:#?}"
    );
}

fn is_machine_state(lit: &str) -> bool {
    matches!(lit, "pass" | "fail" | "check-")
}

/// String literals outside `@tr(...)` that hold words: each must be on the list of things
/// that are not language (a keyboard's letters, language codes and each language's own
/// name, SVG path commands, the product's name).
#[test]
fn no_visible_text_bypasses_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    let allowed = |lit: &str| {
        matches!(lit, "zh" | "en" | "English" | "中文" | " · capture-kiosk ")
            // Check states as the automation interface reports them (the label is the text).
            || is_machine_state(lit)
            || (lit.len() == 1 && lit.chars().all(|c| c.is_ascii_lowercase()))
            || lit.chars().all(|c| " MLCAZ0123456789.-".contains(c)) // SVG path commands
            || !lit.chars().any(|c| c.is_alphabetic())
    };
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            let skip = line.starts_with("import")
                || line.starts_with("//")
                || line.contains("automation-id")
                || line.contains("accessible-id")
                || line.contains("default-font-family")
                // The adapter's defaults are placeholders for the previewer; Rust sets them.
                || (f.ends_with("adapter.slint") && line.starts_with("in property"));
            if skip {
                continue;
            }
            let mut rest = line.to_string();
            for t in tr_strings(line) {
                rest = rest.replace(&format!("@tr(\"{}\"", t.replace('"', "\\\"")), "@tr(");
            }
            let parts: Vec<&str> = rest.split('"').collect();
            for lit in parts.iter().skip(1).step_by(2) {
                if !allowed(lit) {
                    offenders.push(format!("{}:{}: {lit:?}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "visible text without @tr: {offenders:#?}"
    );
}

#[test]
fn the_scanner_finds_escaped_quotes() {
    let found = tr_strings(r#"text: @tr("Press \"OK\" now"); x: @tr("{} left", n);"#);
    assert_eq!(
        found,
        vec!["Press \"OK\" now".to_string(), "{} left".to_string()]
    );
}
