//! The USB camera path without a camera: buffers recorded as a UVC camera sends them
//! (MJPEG without Huffman tables, packed YUYV, a truncated frame) go through the same
//! decode and reconnect code as a real camera, on the real feed thread.

use capture_kiosk::camera::decode::{self, PixelFormat, RawFrame};
use capture_kiosk::camera::feed::{CameraFeed, CameraState, FeedStatus};
use capture_kiosk::camera::replay::{RecordedDevice, ReplaySettings, open_dir};
use capture_kiosk::camera::usb::UsbSource;
use capture_kiosk::camera::{CameraError, FrameSource, Resolved, SourceKind};
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::time::Duration;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

fn demo_frame(n: u32) -> RgbImage {
    image::open(repo(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")))
        .unwrap()
        .to_rgb8()
}

#[test]
fn mjpeg_without_huffman_tables_decodes_to_the_recorded_picture() {
    let data = std::fs::read(repo("tests/fixtures/camera/mjpeg/frame-00.1280x720.mjpeg")).unwrap();
    assert!(
        !data.windows(2).any(|w| w == [0xFF, 0xC4]),
        "the fixture has no DHT, like a UVC camera's frames"
    );
    let decoded = decode::decode_mjpeg(&data).unwrap();
    let diff = mean_abs_diff(&decoded, &demo_frame(0));
    assert!(
        diff < 3.0,
        "decoded frame differs from the original by {diff:.2} per channel"
    );
}

#[test]
fn yuyv_decodes_to_the_recorded_picture() {
    let data = std::fs::read(repo("tests/fixtures/camera/yuyv/frame-05.640x360.yuyv")).unwrap();
    let decoded = decode::decode(&RawFrame {
        format: PixelFormat::Yuyv,
        width: 640,
        height: 360,
        data,
    })
    .unwrap();
    let original = image::imageops::resize(
        &demo_frame(5),
        640,
        360,
        image::imageops::FilterType::Triangle,
    );
    let diff = mean_abs_diff(&decoded, &original);
    assert!(
        diff < 4.0,
        "decoded frame differs from the original by {diff:.2} per channel"
    );
}

#[test]
fn a_truncated_frame_is_an_error_not_a_picture() {
    let data = std::fs::read(repo(
        "tests/fixtures/camera/mjpeg/frame-05-truncated.1280x720.mjpeg",
    ))
    .unwrap();
    assert!(matches!(
        decode::decode_mjpeg(&data),
        Err(decode::DecodeError::CorruptJpeg(_))
    ));
}

#[test]
fn a_replay_of_raw_buffers_goes_through_the_usb_source() {
    let mut source = open_dir(&repo("tests/fixtures/camera/mjpeg")).unwrap();
    let (mut good, mut corrupt) = (0, 0);
    for _ in 0..8 {
        match source.next_frame() {
            Ok(frame) => {
                assert_eq!(frame.dimensions(), (1280, 720));
                good += 1;
            }
            Err(CameraError::CorruptFrame(_)) => corrupt += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    // Files in name order: 00, 05-truncated, 10, 20 — one in four is corrupt.
    assert_eq!((good, corrupt), (6, 2));
    let info = source.info();
    assert_eq!(info.kind, SourceKind::Replay);
    let mode = info.mode.expect("the device was opened with a mode");
    assert_eq!(
        (mode.format, mode.width, mode.height, mode.fps),
        (PixelFormat::Mjpeg, 1280, 720, 30)
    );
}

#[test]
fn a_replay_of_images_plays_them_in_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0, 10] {
        std::fs::copy(
            repo(&format!("tests/fixtures/astronaut/frame-{n:02}.jpg")),
            dir.path().join(format!("f{n:02}.jpg")),
        )
        .unwrap();
    }
    let mut source = open_dir(dir.path()).unwrap();
    let frames: Vec<RgbImage> = (0..3).map(|_| source.next_frame().unwrap()).collect();
    assert_eq!(frames[0], frames[2], "two images loop");
    assert_ne!(frames[0], frames[1]);
}

#[test]
fn bad_replay_folders_say_what_is_wrong() {
    let err = open_dir(Path::new("/nonexistent/frames"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("/nonexistent/frames"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = open_dir(empty.path()).err().unwrap().to_string();
    assert!(err.contains("no frames") && err.contains(".mjpeg"), "{err}");
    std::fs::write(empty.path().join("frame.yuyv"), [0u8; 8]).unwrap();
    let err = open_dir(empty.path()).err().unwrap().to_string();
    assert!(err.contains("WIDTHxHEIGHT"), "{err}");
}

fn recorded(unplug_after: u64, failing_opens: u32) -> UsbSource<RecordedDevice> {
    let data = std::fs::read(repo("tests/fixtures/camera/mjpeg/frame-10.1280x720.mjpeg")).unwrap();
    let buffers = vec![RawFrame {
        format: PixelFormat::Mjpeg,
        width: 1280,
        height: 720,
        data,
    }];
    let settings = ReplaySettings {
        fps: Some(200),
        unplug_after_frames: Some(unplug_after),
        unplugged_attempts: failing_opens,
        unplug_marker: None,
    };
    UsbSource::new(RecordedDevice::new(
        buffers,
        "recorded".into(),
        &settings,
        Path::new("/nonexistent"),
    ))
}

#[test]
fn an_unplug_marker_file_unplugs_the_recorded_camera_while_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("tests/fixtures/camera/mjpeg/frame-00.1280x720.mjpeg"),
        dir.path().join("frame-00.1280x720.mjpeg"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("replay.toml"),
        "fps = 200\nunplug_marker = \"unplugged\"\n",
    )
    .unwrap();
    let mut source = open_dir(dir.path()).unwrap();
    source.next_frame().unwrap();
    std::fs::write(dir.path().join("unplugged"), "").unwrap();
    assert!(matches!(
        source.next_frame(),
        Err(CameraError::Disconnected(_))
    ));
    assert!(
        matches!(source.next_frame(), Err(CameraError::Disconnected(_))),
        "reopening fails while unplugged"
    );
    std::fs::remove_file(dir.path().join("unplugged")).unwrap();
    source.next_frame().expect("plugged back in");
}

#[test]
fn an_unplugged_camera_is_reopened_when_it_comes_back() {
    let mut source = recorded(3, 2);
    for _ in 0..3 {
        source.next_frame().unwrap();
    }
    assert!(
        matches!(source.next_frame(), Err(CameraError::Disconnected(_))),
        "the read fails: unplugged"
    );
    assert!(
        matches!(source.next_frame(), Err(CameraError::Disconnected(_))),
        "first reopen fails"
    );
    assert!(
        matches!(source.next_frame(), Err(CameraError::Disconnected(_))),
        "second reopen fails"
    );
    source.next_frame().expect("plugged back in: frames again");
    assert_eq!(source.device().opens, 2);
}

#[test]
fn the_feed_reports_disconnect_and_resumes_by_itself() {
    let (tx, rx) = channel::<FeedStatus>();
    let (frames_tx, frames_rx) = channel::<u64>();
    let feed = CameraFeed::start(
        || {
            Ok((
                Box::new(recorded(20, 3)) as Box<dyn FrameSource>,
                Resolved::AsConfigured,
            ))
        },
        Duration::from_millis(20),
        move |frame| {
            let _ = frames_tx.send(frame.seq);
        },
        move |status| {
            let _ = tx.send(status.clone());
        },
    );
    let states: Vec<CameraState> = (0..3)
        .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap().state)
        .collect();
    assert_eq!(states[0], CameraState::Streaming);
    assert!(
        matches!(states[1], CameraState::Disconnected { .. }),
        "{states:?}"
    );
    assert_eq!(states[2], CameraState::Streaming);
    // Frames keep coming after the reconnect.
    let seqs: Vec<u64> = frames_rx.iter().take(25).collect();
    assert_eq!(seqs.len(), 25);
    let status = feed.status();
    assert_eq!(status.disconnects, 1);
    assert!(feed.latest().is_some());
    feed.stop(Duration::from_secs(5));
}

#[test]
fn a_source_that_cannot_start_leaves_the_feed_failed() {
    let (tx, rx) = channel::<FeedStatus>();
    let feed = CameraFeed::start(
        || Err(CameraError::Unusable("replay folder /x: no frames".into())),
        Duration::from_millis(20),
        |_| {},
        move |status| {
            let _ = tx.send(status.clone());
        },
    );
    let status = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        matches!(status.state, CameraState::Failed { ref reason } if reason.contains("no frames"))
    );
    assert!(feed.latest().is_none());
}
