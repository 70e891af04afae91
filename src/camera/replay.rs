//! Cameras made of files, for the demo, tests, benchmarks and staff diagnostics.
//!
//! `replay:DIR` plays a folder as a looping 30 fps camera. Images (`.jpg`, `.png`) are
//! decoded like photos. Recorded raw buffers (`NAME.WIDTHxHEIGHT.mjpeg` / `.yuyv`) go
//! through [`UsbSource`] and so through exactly the decode and reconnect path of a USB
//! camera. An optional `replay.toml` in the folder sets `fps`, and can simulate an unplug:
//! `unplug_after_frames = 90` and `unplugged_attempts = 3` (reopen attempts that fail), or
//! `unplug_marker = "unplugged"`: the camera is unplugged while that file exists in the folder.
//! The demo camera is the same image replay over frames embedded in the binary.

use super::decode::{PixelFormat, RawFrame};
use super::usb::{CaptureDevice, UsbSource};
use super::{CameraError, FrameSource, Mode, SourceInfo, SourceKind};
use image::RgbImage;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod demo_frames {
    include!(concat!(env!("OUT_DIR"), "/demo_frames.rs"));
}

const DEFAULT_FPS: u32 = 30;

/// Sleeps so that frames come at a steady rate; after a stall it restarts the beat
/// instead of bursting to catch up.
struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    fn new(fps: u32) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / f64::from(fps.max(1))),
            next: None,
        }
    }

    fn wait(&mut self) {
        let now = Instant::now();
        let due = self.next.unwrap_or(now);
        if due > now {
            std::thread::sleep(due - now);
        }
        let after = due.max(now);
        self.next = Some(if now > due + self.interval {
            now + self.interval
        } else {
            after + self.interval
        });
    }
}

/// How a live candidate moves in front of the camera, in the demo camera and in the tests'
/// compliant cameras (`synthetic::LiveCandidate`): a sway of a pixel or two, and a blink
/// (four frames with the eyes shut) every four seconds at 30 frames a second, as people
/// blink. A blink is the sign of life without which a face on video is not taken.
pub mod live {
    /// Frames in one cycle (4 s at 30 fps).
    pub const FRAMES: usize = 120;
    /// Sideways shift in pixels, frame by frame.
    const SWAY: [i64; 8] = [0, 1, 2, 1, 0, -1, -2, -1];
    /// The frames of the cycle with the eyes shut.
    const BLINK: std::ops::Range<usize> = 20..24;

    /// Frame `i`: the sideways shift and whether the eyes are shut.
    pub fn step(i: usize) -> (i64, bool) {
        let i = i % FRAMES;
        (SWAY[i % SWAY.len()], BLINK.contains(&i))
    }

    /// The distinct pictures of a cycle, sorted (the demo's files hold them in this order).
    pub fn poses() -> Vec<(i64, bool)> {
        let mut poses: Vec<_> = (0..FRAMES).map(step).collect();
        poses.sort_unstable();
        poses.dedup();
        poses
    }
}

/// Plays encoded images (JPEG, PNG) as a camera.
pub struct ReplaySource {
    frames: Vec<Arc<[u8]>>,
    step: usize,
    pacer: Pacer,
    info: SourceInfo,
}

impl ReplaySource {
    /// The built-in demo camera: the demo candidate (a live candidate made from the
    /// public-domain Grace Hopper portrait, see assets/demo/PROVENANCE.md), one embedded
    /// picture per pose of [`live::poses`], played in the order of [`live::step`].
    pub fn demo() -> Self {
        let poses = live::poses();
        let pictures: Vec<Arc<[u8]>> = demo_frames::FRAMES.iter().map(|f| Arc::from(*f)).collect();
        debug_assert_eq!(
            pictures.len(),
            poses.len(),
            "assets/demo holds one picture per pose"
        );
        let frames = (0..live::FRAMES)
            .map(|i| {
                let k = poses.binary_search(&live::step(i)).unwrap_or(0);
                pictures[k.min(pictures.len() - 1)].clone()
            })
            .collect();
        Self {
            frames,
            step: 0,
            pacer: Pacer::new(DEFAULT_FPS),
            info: SourceInfo {
                kind: SourceKind::Demo,
                name: "(built-in)".into(),
                mode: None,
            },
        }
    }

    fn images(frames: Vec<Arc<[u8]>>, fps: u32, name: String) -> Self {
        Self {
            frames,
            step: 0,
            pacer: Pacer::new(fps),
            info: SourceInfo {
                kind: SourceKind::Replay,
                name,
                mode: None,
            },
        }
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

impl FrameSource for ReplaySource {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_frame(&mut self) -> Result<RgbImage, CameraError> {
        self.pacer.wait();
        let bytes = &self.frames[self.step % self.frames.len()];
        self.step += 1;
        let image =
            image::load_from_memory(bytes).map_err(|e| CameraError::CorruptFrame(e.to_string()))?;
        Ok(image.to_rgb8())
    }
}

/// `replay.toml`: how a replay folder plays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySettings {
    pub fps: Option<u32>,
    /// Simulate an unplug after this many frames …
    pub unplug_after_frames: Option<u64>,
    /// … during which this many reopen attempts fail.
    #[serde(default)]
    pub unplugged_attempts: u32,
    /// The camera is unplugged while a file of this name exists in the folder.
    pub unplug_marker: Option<String>,
}

/// Raw buffers recorded from a camera, played as a [`CaptureDevice`].
pub struct RecordedDevice {
    buffers: Vec<RawFrame>,
    name: String,
    fps: u32,
    pacer: Pacer,
    step: usize,
    open: bool,
    delivered: u64,
    unplug_after: Option<u64>,
    failing_opens_left: u32,
    unplugged_attempts: u32,
    marker: Option<PathBuf>,
    /// How often the device was opened (for tests of the reconnect path).
    pub opens: u32,
}

impl RecordedDevice {
    /// `dir`: where an `unplug_marker` file would appear.
    pub fn new(
        buffers: Vec<RawFrame>,
        name: String,
        settings: &ReplaySettings,
        dir: &Path,
    ) -> Self {
        let fps = settings.fps.unwrap_or(DEFAULT_FPS);
        Self {
            buffers,
            name,
            fps,
            pacer: Pacer::new(fps),
            step: 0,
            open: false,
            delivered: 0,
            unplug_after: settings.unplug_after_frames,
            failing_opens_left: 0,
            unplugged_attempts: settings.unplugged_attempts,
            marker: settings.unplug_marker.as_ref().map(|m| dir.join(m)),
            opens: 0,
        }
    }
}

impl CaptureDevice for RecordedDevice {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn open(&mut self) -> Result<Mode, CameraError> {
        if let Some(marker) = self.marker.as_ref().filter(|m| m.exists()) {
            return Err(CameraError::Disconnected(format!(
                "{}: unplugged (simulated)",
                marker.display()
            )));
        }
        if self.failing_opens_left > 0 {
            self.failing_opens_left -= 1;
            return Err(CameraError::Disconnected(format!(
                "{}: no such device (simulated unplug)",
                self.name
            )));
        }
        self.open = true;
        self.opens += 1;
        let first = &self.buffers[0];
        Ok(Mode {
            format: first.format,
            width: first.width,
            height: first.height,
            fps: self.fps,
        })
    }

    fn read(&mut self) -> Result<RawFrame, CameraError> {
        if !self.open {
            return Err(CameraError::Disconnected("not open".into()));
        }
        if let Some(marker) = self.marker.as_ref().filter(|m| m.exists()) {
            return Err(CameraError::Disconnected(format!(
                "{}: read failed (simulated unplug)",
                marker.display()
            )));
        }
        if self.unplug_after.is_some_and(|n| self.delivered >= n) {
            self.unplug_after = None;
            self.failing_opens_left = self.unplugged_attempts;
            return Err(CameraError::Disconnected(format!(
                "{}: read failed (simulated unplug)",
                self.name
            )));
        }
        self.pacer.wait();
        let raw = self.buffers[self.step % self.buffers.len()].clone();
        self.step += 1;
        self.delivered += 1;
        Ok(raw)
    }

    fn close(&mut self) {
        self.open = false;
    }
}

/// `frame-00.1280x720.mjpeg` → (MJPEG, 1280, 720)
pub fn parse_raw_name(path: &Path) -> Option<(PixelFormat, u32, u32)> {
    let format = match path.extension()?.to_str()? {
        "mjpeg" => PixelFormat::Mjpeg,
        "yuyv" => PixelFormat::Yuyv,
        _ => return None,
    };
    let stem = path.file_stem()?.to_str()?;
    let size = stem.rsplit('.').next()?;
    let (w, h) = size.split_once('x')?;
    Some((format, w.parse().ok()?, h.parse().ok()?))
}

fn is_image(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("jpg" | "jpeg" | "png")
    )
}

fn unusable(dir: &Path, what: &str) -> CameraError {
    CameraError::Unusable(format!("replay folder {}: {what}", dir.display()))
}

/// Opens a replay folder as a camera.
pub fn open_dir(dir: &Path) -> Result<Box<dyn FrameSource>, CameraError> {
    let entries = std::fs::read_dir(dir).map_err(|e| unusable(dir, &e.to_string()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let settings: ReplaySettings = match std::fs::read_to_string(dir.join("replay.toml")) {
        Ok(text) => {
            toml::from_str(&text).map_err(|e| unusable(dir, &format!("replay.toml: {e}")))?
        }
        Err(_) => ReplaySettings::default(),
    };
    let name = dir.display().to_string();
    let raw: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("mjpeg" | "yuyv")
            )
        })
        .collect();
    let images: Vec<&PathBuf> = files.iter().filter(|p| is_image(p)).collect();
    match (raw.is_empty(), images.is_empty()) {
        (true, true) => Err(unusable(
            dir,
            "no frames; put .jpg/.png images, or raw buffers named NAME.WIDTHxHEIGHT.mjpeg / .yuyv, in it",
        )),
        (false, false) => Err(unusable(
            dir,
            "holds both images and raw buffers; use one kind per folder",
        )),
        (true, false) => {
            let frames = images
                .iter()
                .map(|p| {
                    std::fs::read(p)
                        .map(Arc::from)
                        .map_err(|e| unusable(dir, &format!("{}: {e}", p.display())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Box::new(ReplaySource::images(
                frames,
                settings.fps.unwrap_or(DEFAULT_FPS),
                name,
            )))
        }
        (false, true) => {
            let mut buffers = Vec::with_capacity(raw.len());
            for p in raw {
                let (format, width, height) = parse_raw_name(p).ok_or_else(|| {
                    unusable(
                        dir,
                        &format!(
                            "{}: name raw buffers NAME.WIDTHxHEIGHT.mjpeg or .yuyv",
                            p.display()
                        ),
                    )
                })?;
                let data = std::fs::read(p)
                    .map_err(|e| unusable(dir, &format!("{}: {e}", p.display())))?;
                buffers.push(RawFrame {
                    format,
                    width,
                    height,
                    data,
                });
            }
            Ok(Box::new(UsbSource::replaying(RecordedDevice::new(
                buffers, name, &settings, dir,
            ))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_cycle_sways_and_blinks_once() {
        let steps: Vec<_> = (0..live::FRAMES).map(live::step).collect();
        let shut = steps.iter().filter(|s| s.1).count();
        assert_eq!(shut, 4, "one blink of four frames");
        assert!(steps.iter().any(|s| s.0 != 0), "it sways");
        assert_eq!(live::step(live::FRAMES + 3), live::step(3), "it repeats");
        let poses = live::poses();
        assert!(poses.windows(2).all(|w| w[0] < w[1]));
        assert!(steps.iter().all(|s| poses.contains(s)));
    }

    #[test]
    fn raw_buffer_names_carry_format_and_size() {
        assert_eq!(
            parse_raw_name(Path::new("a/frame-00.1280x720.mjpeg")),
            Some((PixelFormat::Mjpeg, 1280, 720))
        );
        assert_eq!(
            parse_raw_name(Path::new("f.640x360.yuyv")),
            Some((PixelFormat::Yuyv, 640, 360))
        );
        assert_eq!(parse_raw_name(Path::new("f.yuyv")), None);
        assert_eq!(parse_raw_name(Path::new("f.640x360.raw")), None);
    }

    #[test]
    fn the_demo_camera_plays_one_picture_per_pose_in_the_cycles_order() {
        assert_eq!(
            demo_frames::FRAMES.len(),
            live::poses().len(),
            "assets/demo holds one picture per pose (examples/make_demo_candidate.rs)"
        );
        let mut demo = ReplaySource::demo();
        assert_eq!(demo.len(), live::FRAMES);
        let frame = demo.next_frame().unwrap();
        assert_eq!(frame.dimensions(), (1280, 720));
        // The same pose is the same picture; the blink is another one.
        let at = |i: usize| Arc::as_ptr(&demo.frames[i]);
        let first_shut = (0..live::FRAMES).find(|&i| live::step(i).1).unwrap();
        let open_same_pose = (0..live::FRAMES)
            .find(|&i| live::step(i) == (live::step(first_shut).0, false))
            .unwrap();
        assert_ne!(at(first_shut), at(open_same_pose));
        assert_eq!(live::step(0), live::step(8));
        assert_eq!(at(0), at(8));
    }
}
