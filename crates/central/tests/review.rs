//! The reviewers' page `/review` of the real central service, used in headless Chromium
//! the way a reviewer uses it: log in, see the captures with their reports and photos,
//! reject one with a reason and approve another; the decisions reach the kiosk's API.

mod common;

use capture_protocol::{CaptureUpload, CheckRecord, DecisionPage, Verdict};
use common::chromium::Browser;
use common::{Service, add_kiosk, add_reviewer};

fn upload(photo: &str, admission_no: &str, name: &str, failing: bool) -> CaptureUpload {
    let jpeg = std::fs::read(common::repo().join("tests/fixtures/portraits").join(photo)).unwrap();
    let mut u = CaptureUpload::sample(&jpeg);
    u.admission_no = admission_no.into();
    u.name = name.into();
    u.checks = vec![
        CheckRecord {
            id: "pose.roll".into(),
            pass: true,
            value: Some(1.2),
            limit: "|roll| ≤ 5°".into(),
            advisory: false,
            also: Default::default(),
        },
        CheckRecord {
            id: "background.uniform".into(),
            pass: !failing,
            value: Some(if failing { 21.0 } else { 4.0 }),
            limit: "σ ≤ 12".into(),
            advisory: false,
            also: Default::default(),
        },
        CheckRecord {
            id: "mouth.closed".into(),
            pass: !failing,
            value: Some(if failing { 0.03 } else { 0.0 }),
            limit: "≤ 0.08; teeth ≤ 0.004".into(),
            advisory: true,
            also: [("teeth".to_owned(), Some(if failing { 0.0063 } else { 0.0 }))].into(),
        },
    ];
    if failing {
        // Staff accepted it at the kiosk; their note is hostile input like any other.
        u.staff_override = Some(capture_protocol::StaffOverride {
            reason: capture_protocol::OverrideReason::Other,
            note: Some("<img src=x onerror=alert(1)> backdrop folds".into()),
            checks: vec!["background.uniform".into()],
        });
    }
    u
}

#[test]
fn a_reviewer_logs_in_sees_the_captures_and_decides() {
    let central = tempfile::tempdir().unwrap();
    let token = add_kiosk(central.path(), "site-01");
    let password = add_reviewer(central.path(), "li");
    let service = Service::start(central.path());
    let hopper = upload("grace_hopper.jpg", "000011110001", "王小明", false);
    let biden = upload("biden.jpg", "000011110002", "李四", true);
    for u in [&hopper, &biden] {
        assert_eq!(service.put(&token, u).status(), 201);
    }
    // Without logging in, nothing is shown.
    let http = reqwest::blocking::Client::new();
    for path in [
        "/review/api/captures".to_owned(),
        format!("/review/photos/{}", hopper.id),
    ] {
        let r = http.get(format!("{}{path}", service.base)).send().unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }

    let mut browser = Browser::start(1280, 900);
    browser.goto(&format!("{}/review", service.base));
    browser.wait_for("!document.getElementById('login').hidden");
    let screens = common::repo().join("target/ui-screens/review");
    browser.screenshot(&screens.join("login.png"));

    // A wrong password is refused, with a message.
    browser.type_into("#name", "li");
    browser.type_into("#password", "not-the-password");
    browser.click("#login button[type=submit]");
    browser.wait_for(
        "document.getElementById('login-error').textContent.includes('Wrong name or password')",
    );
    browser.eval("document.getElementById('password').value = ''");
    browser.type_into("#password", &password);
    browser.click("#login button[type=submit]");
    browser.wait_for("document.querySelectorAll('.card').length === 2");
    // Photos loaded, the report shown with the failing check named, the kiosk named.
    browser.wait_for(
        "[...document.querySelectorAll('.card img')].every(i => i.complete && i.naturalWidth > 0)",
    );
    let card = |id: &uuid::Uuid| format!(".card[data-id='{id}']");
    let text = browser.eval(&format!(
        "document.querySelector(\"{}\").innerText",
        card(&biden.id)
    ));
    let text = text.as_str().unwrap();
    for wanted in [
        "李四",
        "000011110002",
        "site-01",
        "1/3",
        "background.uniform",
        "手机 Mobile: 13800000001",
    ] {
        assert!(text.contains(wanted), "{wanted:?} in {text}");
    }
    let text = browser.eval(&format!(
        "document.querySelector(\"{}\").innerText",
        card(&hopper.id)
    ));
    assert!(text.as_str().unwrap().contains("3/3"), "{text}");
    // A failing required check in red, a failing advisory one as advice, and the notices'
    // rules none of the kiosk's checks judged, for the reviewer to look at.
    let mut role = |r: &str| {
        browser.eval(&format!(
            "[...document.querySelector(\"{}\").querySelectorAll('[data-role={r}]')].map(e => e.textContent).join('|')",
            card(&biden.id)
        ))
    };
    let fail = role("fail");
    assert!(
        fail.as_str().unwrap().contains("background.uniform")
            && !fail.as_str().unwrap().contains("mouth"),
        "{fail}"
    );
    let advice = role("advice");
    assert!(
        // The gap alone (0.03, under its limit) would not say why: the teeth are shown too.
        advice
            .as_str()
            .unwrap()
            .contains("Advisory: mouth.closed (0.03, teeth 0.0063; ≤ 0.08; teeth ≤ 0.004)"),
        "{advice}"
    );
    let unchecked = role("unchecked");
    let unchecked = unchecked.as_str().unwrap();
    for rule in [
        "双耳外露",
        "Both ears showing",
        "No hat or other head covering",
    ] {
        assert!(unchecked.contains(rule), "{rule:?} in {unchecked}");
    }
    let staff = role("override");
    let staff = staff.as_str().unwrap();
    assert!(
        staff.contains("Accepted by staff")
            && staff.contains("<img src=x onerror=alert(1)> backdrop folds")
            && staff.contains("(background.uniform)"),
        "the note is shown as text, not markup: {staff}"
    );
    let images = browser.eval(&format!(
        "document.querySelector(\"{}\").querySelectorAll('img').length",
        card(&biden.id)
    ));
    assert_eq!(images.as_i64(), Some(1), "only the photo is an image");
    // pose.roll was checked, so "facing front" is not left to the reviewer.
    assert!(!unchecked.contains("Facing front"), "{unchecked}");
    browser.screenshot(&screens.join("list.png"));
    browser.wait_for("document.getElementById('count').textContent.startsWith('2 / 2')");

    // Looking one candidate up by part of the number, then clearing the search.
    browser.type_into("#q", "11110002");
    browser.press("Enter");
    browser.wait_for("document.querySelectorAll('.card').length === 1");
    assert!(
        browser
            .eval("document.querySelector('.card h2').textContent")
            .as_str()
            == Some("李四")
    );
    browser.eval("document.getElementById('q').select()");
    browser.press("Backspace");
    browser.press("Enter");
    browser.wait_for("document.querySelectorAll('.card').length === 2");
    // The kiosk filter lists the kiosks.
    let kiosks =
        browser.eval("[...document.querySelectorAll('#kiosk option')].map(o => o.value).join(',')");
    assert_eq!(kiosks, ",site-01");

    // Rejecting needs a reason; nothing is recorded without one.
    browser.click(&format!("{} button[data-role=reject]", card(&biden.id)));
    browser.wait_for(&format!(
        "document.querySelector(\"{} .error\").textContent.includes('Give a reason')",
        card(&biden.id)
    ));
    browser.type_into(
        &format!("{} textarea", card(&biden.id)),
        "背景不均匀，请重拍 Background not plain, please retake",
    );
    browser.click(&format!("{} button[data-role=reject]", card(&biden.id)));
    browser.wait_for("document.querySelectorAll('.card').length === 1");
    browser.click(&format!("{} button[data-role=approve]", card(&hopper.id)));
    browser.wait_for("document.querySelector('.empty') !== null");
    // Decided ones are still there to look at, with their verdicts.
    browser.click("#all");
    browser.wait_for("document.querySelectorAll('.verdict').length === 2");
    browser.screenshot(&screens.join("decided.png"));

    // The kiosk that sent them gets both decisions, in order, with the reason.
    let page: DecisionPage = http
        .get(format!("{}/v1/decisions?since=0", service.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let got: Vec<_> = page
        .decisions
        .iter()
        .map(|d| (d.capture_id, d.verdict, d.reason.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                biden.id,
                Verdict::Rejected,
                Some("背景不均匀，请重拍 Background not plain, please retake".into())
            ),
            (hopper.id, Verdict::Approved, None),
        ]
    );

    // Logging out ends the session.
    browser.click("#logout");
    browser.wait_for("!document.getElementById('login').hidden");
    let status = browser.eval("fetch('/review/api/captures').then(r => r.status)");
    assert_eq!(status, 401);
}
