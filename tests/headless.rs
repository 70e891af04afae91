//! `capture-kiosk capture`: the candidate flow with no window, on the real binary with the
//! replay camera, the real analysis and the real store.

mod common;

use capture_kiosk::store::Store;
use common::Site;

/// A site with the demo roster whose auto-capture is quick (1 s countdown, 0.5 s stable).
fn quick_site() -> Site {
    let site = Site::new("[campaign]\ncapture_countdown_secs = 1\nauto_capture_stable_ms = 500\n");
    site.import_demo_roster();
    site
}

/// `capture` for 王小明 of the demo roster with `camera`, giving up after `timeout` seconds.
fn capture_wang(site: &Site, camera: &str, timeout: &str) -> (i32, String, String) {
    site.cli_both(&[
        "capture",
        "--camera",
        camera,
        "--admission",
        "000011110001",
        "--name",
        "wangxiaoming",
        "--timeout-secs",
        timeout,
    ])
}

#[test]
fn a_compliant_candidate_is_captured_and_stored_without_a_window() {
    let frames = tempfile::tempdir().unwrap();
    let camera = common::compliant_camera(frames.path());
    let site = quick_site();

    let (code, out, err) = capture_wang(&site, &camera, "120");
    assert_eq!(code, 0, "{out}{err}");
    let id = uuid::Uuid::parse_str(out.trim()).unwrap_or_else(|_| panic!("an id: {out:?}"));
    let store = Store::open(&site.data_dir()).unwrap();
    let stored = store
        .stored_capture(id)
        .unwrap()
        .expect("the capture is stored");
    let jpeg = std::fs::read(site.data_dir().join(&stored.photo_file)).unwrap();
    assert_eq!(
        common::sha256_file(&site.data_dir().join(&stored.photo_file)),
        stored.sha256
    );
    assert!(jpeg.len() as u64 == stored.bytes);
    let upload = store.upload_for(id).unwrap();
    use capture_core::compliance::{CheckId, Context};
    assert_eq!(
        upload.checks.len(),
        CheckId::in_context(Context::File).count(),
        "the photo's report is kept"
    );
    assert!(
        upload.checks.iter().all(|c| c.pass || c.advisory),
        "no required check fails"
    );
    assert_eq!(
        store.outbox_counts().unwrap().pending,
        1,
        "waiting to be sent"
    );
    drop(store);
    for personal in ["王小明", "000011110001", "wangxiaoming"] {
        assert!(!err.contains(personal), "{personal} in the log: {err}");
    }

    // The same candidate again: awaiting review, so not now.
    let (code, _, err) = site.cli_both(&[
        "capture",
        "--camera",
        &camera,
        "--admission",
        "000011110001",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("may not capture now"), "{err}");
    // Not on the roster; a wrong name; several levels without --level.
    for (args, why) in [
        (vec!["--admission", "000099990001"], "no roster entry"),
        (
            vec!["--admission", "000011110001", "--name", "lihua"],
            "no roster entry for this admission number and name",
        ),
        (vec!["--admission", "000011110003"], "several levels"),
        (vec!["--admission", "123"], "not valid"),
    ] {
        let mut all = vec!["capture", "--camera", &camera];
        all.extend(args);
        let (code, _, err) = site.cli_both(&all);
        assert_eq!(code, 1, "{all:?}: {err}");
        assert!(err.contains(why), "{all:?}: {why:?} in {err}");
    }
}

#[test]
fn an_empty_backdrop_times_out_with_the_reason() {
    let frames = tempfile::tempdir().unwrap();
    // Only the blue backdrop: nobody there.
    let frame = image::RgbImage::from_pixel(1280, 720, image::Rgb([67, 142, 219]));
    for i in 0..3 {
        frame
            .save(frames.path().join(format!("frame-{i:02}.jpg")))
            .unwrap();
    }
    let site = Site::new("");
    site.import_demo_roster();
    let camera = format!("replay:{}", frames.path().display());
    let (code, out, err) = site.cli_both(&[
        "capture",
        "--camera",
        &camera,
        "--admission",
        "000011110001",
        "--timeout-secs",
        "3",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.trim().is_empty(), "no id: {out}");
    assert!(err.contains("no photo stored within 3 s"), "{err}");
    assert!(
        err.contains("face.count"),
        "what the candidate was told: {err}"
    );
    assert!(
        Store::open(&site.data_dir())
            .unwrap()
            .outbox_counts()
            .unwrap()
            .pending
            == 0
    );
}

/// A printed portrait held perfectly still passes every still-image check, but shows no sign
/// of life: it is never taken, and the candidate is asked to blink.
#[test]
fn a_portrait_held_still_is_never_taken() {
    let frames = tempfile::tempdir().unwrap();
    let camera = common::still_print_camera(frames.path());
    let site = quick_site();
    let (code, out, err) = capture_wang(&site, &camera, "15");
    assert_ne!(code, 0, "a still picture was taken: {out}");
    assert!(err.contains("no photo stored within 15 s"), "{err}");
    assert!(
        err.contains("blink"),
        "the candidate is asked to blink: {err}"
    );
    let store = Store::open(&site.data_dir()).unwrap();
    assert_eq!(store.outbox_counts().unwrap().pending, 0, "nothing stored");
}

/// A site that photographs in front of a white wall: the live checks hold the wall against
/// the blue of the profile until staff calibrate the backdrop; then the candidate is taken,
/// and the final photo is on the profile's blue all the same.
#[test]
fn a_calibrated_white_wall_is_the_backdrop_the_live_checks_expect() {
    let white = [236, 236, 232];
    let site = quick_site();
    let frames = tempfile::tempdir().unwrap();
    let candidate = common::compliant_camera_on(&frames.path().join("candidate"), white);
    let capture = |timeout: &str| capture_wang(&site, &candidate, timeout);
    let (code, out, err) = capture("12");
    assert_ne!(
        code, 0,
        "taken in front of a white wall nobody calibrated: {out}"
    );
    assert!(err.contains("background.colour"), "{err}");

    // Calibrating with someone in the picture is refused.
    let (code, _, err) = site.cli_both(&["calibrate-backdrop", "--camera", &candidate]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Nobody may be in front of the camera"),
        "{err}"
    );
    assert!(
        Store::open(&site.data_dir())
            .unwrap()
            .backdrop()
            .unwrap()
            .is_none()
    );

    let wall = common::empty_backdrop_camera(&frames.path().join("wall"), white);
    let (code, out, err) = site.cli_both(&["calibrate-backdrop", "--camera", &wall]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Backdrop calibrated"), "{out}");
    let b = Store::open(&site.data_dir())
        .unwrap()
        .backdrop()
        .unwrap()
        .expect("the calibration is kept");
    assert!(b.colour[0] > 90.0 && b.spread < 3.0, "{b:?}");

    let (code, out, err) = capture("60");
    assert_eq!(code, 0, "{out}{err}");
    let id = uuid::Uuid::parse_str(out.trim()).unwrap();
    let store = Store::open(&site.data_dir()).unwrap();
    let stored = store.stored_capture(id).unwrap().unwrap();
    // The final photo's backdrop is the profile's blue, checked against it.
    let (code, out) = site.cli(&[
        "check",
        "--json",
        site.data_dir().join(&stored.photo_file).to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let colour = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "background.colour")
        .unwrap();
    assert_eq!(colour["pass"], true, "{colour}");
    assert!(
        colour["limit"]
            .as_str()
            .unwrap()
            .contains("RGB[67, 142, 219]"),
        "{colour}"
    );
}

/// A camera the test switches between two scenes (the empty wall, the candidate in front
/// of it) while the kiosk runs, as staff step out of the picture and a candidate steps in.
struct TwoScenes {
    scenes: [Vec<image::RgbImage>; 2],
    showing: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    step: usize,
    pace: std::time::Instant,
}

impl capture_kiosk::camera::FrameSource for TwoScenes {
    fn info(&self) -> capture_kiosk::camera::SourceInfo {
        capture_kiosk::camera::SourceInfo {
            kind: capture_kiosk::camera::SourceKind::Replay,
            name: "two scenes".into(),
            mode: None,
        }
    }

    fn next_frame(&mut self) -> Result<image::RgbImage, capture_kiosk::camera::CameraError> {
        // 30 frames a second.
        let due = self.pace + std::time::Duration::from_millis(33);
        if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
            std::thread::sleep(wait);
        }
        self.pace = std::time::Instant::now();
        let scene = &self.scenes[self.showing.load(std::sync::atomic::Ordering::Relaxed)];
        self.step += 1;
        Ok(scene[self.step % scene.len()].clone())
    }
}

fn replay_frames(spec: &str) -> Vec<image::RgbImage> {
    let dir = spec.strip_prefix("replay:").unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| image::open(p).unwrap().to_rgb8())
        .collect()
}

/// Staff calibrate a white wall from the dashboard of the running kiosk (the flow the
/// screen drives, with the real analysis thread and store): refused while someone is in
/// the picture, taken from the empty wall after the delay for staff to step aside, stored
/// and audited, and the very next candidate — no restart — passes the background checks
/// against the wall and is photographed by the kiosk itself.
#[test]
fn staff_calibrate_the_backdrop_from_the_dashboard_and_the_next_candidate_is_taken() {
    use capture_core::compliance::CheckId;
    use capture_core::session::{Event, State};
    use capture_kiosk::flow::{Calibration, Flow, Parts, analysis::Analysis};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    const WALL: usize = 0;
    const CANDIDATE: usize = 1;

    let white = [236, 236, 232];
    let site = Site::new(
        "[campaign]\ncapture_countdown_secs = 1\nauto_capture_stable_ms = 500\n[staff]\npin = \"4321\"\n",
    );
    site.import_demo_roster();
    let frames = tempfile::tempdir().unwrap();
    let scenes = [
        replay_frames(&common::empty_backdrop_camera(
            &frames.path().join("wall"),
            white,
        )),
        replay_frames(&common::compliant_camera_on(
            &frames.path().join("candidate"),
            white,
        )),
    ];
    let showing = Arc::new(AtomicUsize::new(CANDIDATE));
    let config = capture_kiosk::config::Config::load(&site.config()).unwrap();
    let store = Store::open_exclusive(&site.data_dir()).unwrap();
    assert!(store.backdrop().unwrap().is_none());
    let analysis = Analysis::spawn(
        config.profile(),
        None,
        Duration::from_millis(config.campaign.auto_capture_stable_ms),
        || {},
    );
    let offer = analysis.frame_offer();
    let camera = TwoScenes {
        scenes,
        showing: showing.clone(),
        step: 0,
        pace: Instant::now(),
    };
    let feed = capture_kiosk::camera::feed::CameraFeed::start(
        move || {
            Ok((
                Box::new(camera) as Box<dyn capture_kiosk::camera::FrameSource>,
                capture_kiosk::camera::Resolved::AsConfigured,
            ))
        },
        Duration::from_millis(300),
        move |frame| offer.offer(frame),
        |_| {},
    );
    let mut flow = Flow::new(
        Parts {
            config,
            store,
            analysis,
            feed,
            sync: None,
        },
        Instant::now(),
    );
    // Runs the flow (reports, clock) until `done` or the time is up.
    let run_until = |flow: &mut Flow, what: &str, secs: u64, done: &dyn Fn(&Flow) -> bool| {
        let end = Instant::now() + Duration::from_secs(secs);
        while !done(flow) {
            assert!(
                Instant::now() < end,
                "not within {secs} s: {what}; now {:?}",
                flow.state()
            );
            std::thread::sleep(Duration::from_millis(50));
            flow.take_analysis_reports();
            flow.tick();
        }
    };
    let background_colour = |flow: &Flow| {
        flow.guidance().and_then(|g| {
            g.checks
                .iter()
                .find(|c| c.0 == CheckId::BackgroundColour)
                .map(|c| c.1)
        })
    };
    let walk_to_capture = |flow: &mut Flow| {
        flow.dispatch(Event::Start {
            wall: chrono::Local::now().naive_local(),
        });
        flow.identify("000011110001", "wangxiaoming");
        flow.dispatch(Event::ContactSubmitted {
            mobile: None,
            consent: true,
        });
        flow.dispatch(Event::Confirmed);
        flow.dispatch(Event::Understood);
        assert!(
            matches!(flow.state(), State::Capture { .. }),
            "{:?}",
            flow.state()
        );
    };
    let staff = |flow: &mut Flow| {
        flow.dispatch(Event::OpenStaff);
        flow.enter_pin("4321");
        assert_eq!(flow.state(), &State::StaffDashboard);
    };
    let calibrate = |flow: &mut Flow| -> Calibration {
        flow.staff_calibrate_backdrop();
        assert!(matches!(
            flow.calibration(),
            Some(Calibration::Waiting { .. })
        ));
        run_until(flow, "the calibration's outcome", 40, &|f| {
            matches!(
                f.calibration(),
                Some(Calibration::Done(_) | Calibration::Refused(_))
            )
        });
        flow.calibration().unwrap().clone()
    };

    // Nobody calibrated: the white wall is not the profile's blue.
    walk_to_capture(&mut flow);
    run_until(&mut flow, "the background judged", 30, &|f| {
        background_colour(f).is_some()
    });
    run_until(&mut flow, "the wall held against the blue", 10, &|f| {
        background_colour(f) == Some(false)
    });
    flow.dispatch(Event::Home);

    // With the candidate still in the picture: refused, and nothing stored.
    staff(&mut flow);
    match calibrate(&mut flow) {
        Calibration::Refused(why) => {
            assert!(why.en.contains("Nobody may be in front"), "{}", why.en)
        }
        other => panic!("calibrated with someone in the picture: {other:?}"),
    }
    assert!(flow.store().backdrop().unwrap().is_none());

    // Staff step aside: the empty wall is measured after the delay.
    let asked = Instant::now();
    showing.store(WALL, Ordering::Relaxed);
    let Calibration::Done(b) = calibrate(&mut flow) else {
        panic!("not calibrated: {:?}", flow.calibration());
    };
    assert!(
        asked.elapsed() >= capture_kiosk::flow::CALIBRATION_DELAY,
        "measured before staff could step aside"
    );
    assert!(b.colour[0] > 90.0 && b.spread < 3.0, "{b:?}");
    assert_eq!(flow.store().backdrop().unwrap(), Some(b));
    let actions = site.staff_actions();
    for wanted in [
        "staff.calibrate_backdrop",
        "backdrop.refused",
        "backdrop.calibrated",
    ] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
    }
    // Leaving the dashboard forgets the outcome (the stored calibration stays).
    flow.dispatch(Event::Back);
    flow.tick();
    assert!(flow.calibration().is_none());

    // The next candidate, same process: the wall is the backdrop now, and the kiosk takes
    // the photo by itself.
    showing.store(CANDIDATE, Ordering::Relaxed);
    walk_to_capture(&mut flow);
    run_until(&mut flow, "the wall accepted as the backdrop", 30, &|f| {
        background_colour(f) == Some(true)
    });
    run_until(&mut flow, "the photo taken by the kiosk", 60, &|f| {
        matches!(f.state(), State::Review { .. })
    });
    flow.stop();
}
