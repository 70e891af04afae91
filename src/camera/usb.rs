//! USB cameras: choosing the mode, reading raw buffers through nokhwa (V4L2), decoding
//! them, and reconnecting when the camera is unplugged and plugged back — a normal path,
//! not an exception. [`UsbSource`] is generic over the [`CaptureDevice`] so that recorded
//! buffers (see `replay`) exercise the same decode and reconnect code without a camera.

use super::decode::{self, PixelFormat, RawFrame};
use super::{CameraError, CameraSettings, FrameSource, Mode, SourceInfo, SourceKind};
use image::RgbImage;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};
use std::path::PathBuf;

/// Corrupt frames in a row after which the device is closed and opened again.
const REOPEN_AFTER_CORRUPT_FRAMES: u32 = 30;
/// Below this a preview looks jerky; a slower mode is taken only when nothing else fits.
const FLUENT_FPS: u32 = 25;

/// Picks the mode to stream: the smallest size at or above the minimum that runs at
/// 25 fps or more (less to decode, and enough for a 480×640 photo), uncompressed YUYV
/// before MJPEG at the same size, then the higher frame rate. A camera with nothing that
/// large gets its largest fluent mode.
pub fn choose_mode(available: &[Mode], min_width: u32, min_height: u32) -> Option<Mode> {
    let big_enough = |m: &Mode| m.width >= min_width && m.height >= min_height;
    let fluent = |m: &Mode| m.fps >= FLUENT_FPS;
    let area = |m: &Mode| u64::from(m.width) * u64::from(m.height);
    let yuyv_first = |m: &Mode| u8::from(m.format != PixelFormat::Yuyv);
    let class = |m: &Mode| match (big_enough(m), fluent(m)) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 3,
    };
    available.iter().copied().min_by(|a, b| {
        class(a).cmp(&class(b)).then_with(|| {
            if class(a) <= 1 {
                area(a).cmp(&area(b)) // the smallest that is big enough
            } else {
                area(b).cmp(&area(a)) // the largest of those too small
            }
            .then(yuyv_first(a).cmp(&yuyv_first(b)))
            .then(b.fps.cmp(&a.fps))
        })
    })
}

/// A device that hands over raw buffers. `open` (re)starts streaming and returns the mode.
pub trait CaptureDevice {
    fn name(&self) -> String;
    fn open(&mut self) -> Result<Mode, CameraError>;
    fn read(&mut self) -> Result<RawFrame, CameraError>;
    fn close(&mut self);
}

/// Decodes a device's buffers and reopens it after a disconnect or a run of corrupt frames.
pub struct UsbSource<D: CaptureDevice> {
    device: D,
    mode: Option<Mode>,
    kind: SourceKind,
    corrupt_in_a_row: u32,
}

impl<D: CaptureDevice> UsbSource<D> {
    pub fn new(device: D) -> Self {
        Self {
            device,
            mode: None,
            kind: SourceKind::Usb,
            corrupt_in_a_row: 0,
        }
    }

    /// The same source, reported as a replay (recorded buffers).
    pub fn replaying(device: D) -> Self {
        Self {
            kind: SourceKind::Replay,
            ..Self::new(device)
        }
    }

    pub fn device(&self) -> &D {
        &self.device
    }
}

impl<D: CaptureDevice> FrameSource for UsbSource<D> {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: self.kind,
            name: self.device.name(),
            mode: self.mode,
        }
    }

    fn next_frame(&mut self) -> Result<RgbImage, CameraError> {
        if self.mode.is_none() {
            self.mode = Some(self.device.open()?);
            self.corrupt_in_a_row = 0;
        }
        let raw = match self.device.read() {
            Ok(raw) => raw,
            Err(e) => {
                if matches!(e, CameraError::Disconnected(_)) {
                    self.device.close();
                    self.mode = None;
                }
                return Err(e);
            }
        };
        match decode::decode(&raw) {
            Ok(image) => {
                self.corrupt_in_a_row = 0;
                Ok(image)
            }
            Err(e) => {
                self.corrupt_in_a_row += 1;
                if self.corrupt_in_a_row >= REOPEN_AFTER_CORRUPT_FRAMES {
                    self.device.close();
                    self.mode = None;
                    return Err(CameraError::Disconnected(format!(
                        "{REOPEN_AFTER_CORRUPT_FRAMES} corrupt frames in a row ({e}); reopening"
                    )));
                }
                Err(CameraError::CorruptFrame(e.to_string()))
            }
        }
    }
}

/// Which USB camera to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbTarget {
    /// The first camera found (looked up again at every reconnect: the index may change).
    First,
    Index(u32),
    /// A stable `/dev/v4l/by-id/…` link; survives replugging into another port.
    Path(PathBuf),
}

/// A V4L2 camera through nokhwa.
pub struct NokhwaDevice {
    target: UsbTarget,
    settings: CameraSettings,
    camera: Option<nokhwa::Camera>,
    name: String,
}

impl NokhwaDevice {
    pub fn new(target: UsbTarget, settings: CameraSettings) -> Self {
        let name = match &target {
            UsbTarget::First => "(first found)".into(),
            UsbTarget::Index(i) => format!("/dev/video{i}"),
            UsbTarget::Path(p) => p.display().to_string(),
        };
        Self {
            target,
            settings,
            camera: None,
            name,
        }
    }

    fn index(&self) -> Result<u32, CameraError> {
        match &self.target {
            UsbTarget::Index(i) => Ok(*i),
            UsbTarget::First => list_cameras()
                .first()
                .map(|c| c.index)
                .ok_or_else(|| CameraError::Disconnected("no USB camera found".into())),
            UsbTarget::Path(p) => video_index_of(p),
        }
    }
}

/// `/dev/v4l/by-id/usb-…-video-index0` → the N of the `/dev/videoN` it links to.
fn video_index_of(path: &std::path::Path) -> Result<u32, CameraError> {
    let real = std::fs::canonicalize(path)
        .map_err(|e| CameraError::Disconnected(format!("{}: {e}", path.display())))?;
    real.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("video"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            CameraError::Unusable(format!("{} is not a /dev/videoN device", real.display()))
        })
}

fn to_mode(f: &CameraFormat) -> Option<Mode> {
    let format = match f.format() {
        FrameFormat::MJPEG => PixelFormat::Mjpeg,
        FrameFormat::YUYV => PixelFormat::Yuyv,
        _ => return None,
    };
    Some(Mode {
        format,
        width: f.width(),
        height: f.height(),
        fps: f.frame_rate(),
    })
}

fn to_nokhwa(m: Mode) -> CameraFormat {
    let format = match m.format {
        PixelFormat::Mjpeg => FrameFormat::MJPEG,
        PixelFormat::Yuyv => FrameFormat::YUYV,
    };
    CameraFormat::new_from(m.width, m.height, format, m.fps)
}

impl CaptureDevice for NokhwaDevice {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn open(&mut self) -> Result<Mode, CameraError> {
        self.close();
        let index = self.index()?;
        let gone =
            |e: nokhwa::NokhwaError| CameraError::Disconnected(format!("/dev/video{index}: {e}"));
        let mut camera = nokhwa::Camera::new(
            CameraIndex::Index(index),
            RequestedFormat::new::<RgbFormat>(RequestedFormatType::None),
        )
        .map_err(gone)?;
        let modes: Vec<Mode> = camera
            .compatible_camera_formats()
            .map_err(gone)?
            .iter()
            .filter_map(to_mode)
            .collect();
        // A camera just plugged in may list no modes for a moment: try again later.
        let mode = choose_mode(&modes, self.settings.min_width, self.settings.min_height)
            .ok_or_else(|| {
                CameraError::Disconnected(format!(
                    "/dev/video{index} offers no MJPEG or YUYV mode (yet)"
                ))
            })?;
        camera
            .set_camera_requset(RequestedFormat::new::<RgbFormat>(
                RequestedFormatType::Exact(to_nokhwa(mode)),
            ))
            .map_err(gone)?;
        camera.open_stream().map_err(gone)?;
        self.name = format!("{} (/dev/video{index})", camera.info().human_name());
        self.camera = Some(camera);
        Ok(mode)
    }

    fn read(&mut self) -> Result<RawFrame, CameraError> {
        let camera = self
            .camera
            .as_mut()
            .ok_or_else(|| CameraError::Disconnected("not open".into()))?;
        let buffer = camera
            .frame()
            .map_err(|e| CameraError::Disconnected(e.to_string()))?;
        let format = match buffer.source_frame_format() {
            FrameFormat::MJPEG => PixelFormat::Mjpeg,
            FrameFormat::YUYV => PixelFormat::Yuyv,
            other => {
                return Err(CameraError::CorruptFrame(format!(
                    "unexpected pixel format {other}"
                )));
            }
        };
        let res = buffer.resolution();
        Ok(RawFrame {
            format,
            width: res.width(),
            height: res.height(),
            data: buffer.buffer().to_vec(),
        })
    }

    fn close(&mut self) {
        if let Some(mut camera) = self.camera.take() {
            let _ = camera.stop_stream();
        }
    }
}

/// A USB camera as `doctor` and `auto` see it.
#[derive(Debug, Clone)]
pub struct CameraListing {
    pub index: u32,
    pub name: String,
    /// Stable `/dev/v4l/by-id/…` links to this device.
    pub by_id: Vec<PathBuf>,
}

/// The USB cameras present now (empty when there are none or V4L is unavailable).
pub fn list_cameras() -> Vec<CameraListing> {
    let Ok(found) = nokhwa::query(ApiBackend::Video4Linux) else {
        return Vec::new();
    };
    let links: Vec<PathBuf> = std::fs::read_dir("/dev/v4l/by-id")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found
        .iter()
        .filter_map(|info| {
            let index = info.index().as_index().ok()?;
            let by_id = links
                .iter()
                .filter(|l| video_index_of(l).ok() == Some(index))
                .cloned()
                .collect();
            Some(CameraListing {
                index,
                name: info.human_name(),
                by_id,
            })
        })
        .collect()
}

/// The modes a camera offers (for `doctor`); opening fails while another program uses it.
pub fn camera_modes(index: u32) -> Result<Vec<Mode>, CameraError> {
    let mut camera = nokhwa::Camera::new(
        CameraIndex::Index(index),
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::None),
    )
    .map_err(|e| CameraError::Disconnected(e.to_string()))?;
    let formats = camera
        .compatible_camera_formats()
        .map_err(|e| CameraError::Disconnected(e.to_string()))?;
    Ok(formats.iter().filter_map(to_mode).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(format: PixelFormat, width: u32, height: u32, fps: u32) -> Mode {
        Mode {
            format,
            width,
            height,
            fps,
        }
    }
    use PixelFormat::{Mjpeg, Yuyv};

    #[test]
    fn a_typical_usb2_webcam_streams_mjpeg_720p() {
        // Logitech C920-like: YUYV is slow at 720p over USB 2.
        let modes = [
            m(Yuyv, 640, 480, 30),
            m(Yuyv, 1280, 720, 10),
            m(Mjpeg, 640, 480, 30),
            m(Mjpeg, 1280, 720, 30),
            m(Mjpeg, 1920, 1080, 30),
        ];
        assert_eq!(
            choose_mode(&modes, 1280, 720),
            Some(m(Mjpeg, 1280, 720, 30))
        );
    }

    #[test]
    fn fluent_yuyv_is_preferred_at_the_same_size() {
        let modes = [m(Mjpeg, 1280, 720, 30), m(Yuyv, 1280, 720, 30)];
        assert_eq!(choose_mode(&modes, 1280, 720), Some(m(Yuyv, 1280, 720, 30)));
    }

    #[test]
    fn a_slow_big_mode_beats_a_fluent_small_one() {
        let modes = [m(Yuyv, 640, 480, 30), m(Yuyv, 1280, 720, 10)];
        assert_eq!(choose_mode(&modes, 1280, 720), Some(m(Yuyv, 1280, 720, 10)));
    }

    #[test]
    fn a_small_camera_gets_its_largest_fluent_mode() {
        let modes = [
            m(Mjpeg, 320, 240, 30),
            m(Mjpeg, 640, 480, 30),
            m(Yuyv, 800, 600, 5),
        ];
        assert_eq!(choose_mode(&modes, 1280, 720), Some(m(Mjpeg, 640, 480, 30)));
        assert_eq!(choose_mode(&[], 1280, 720), None);
    }

    #[test]
    fn higher_frame_rate_wins_a_tie() {
        let modes = [m(Mjpeg, 1280, 720, 25), m(Mjpeg, 1280, 720, 60)];
        assert_eq!(
            choose_mode(&modes, 1280, 720),
            Some(m(Mjpeg, 1280, 720, 60))
        );
    }

    #[test]
    fn no_camera_here_lists_nothing_and_opening_fails_cleanly() {
        // These machines have no /dev/video*; with a camera attached this test is moot.
        if std::path::Path::new("/dev/video0").exists() {
            eprintln!(
                "skipped: a camera is attached (/dev/video0), so there is no 'no camera' to test"
            );
            return;
        }
        assert!(list_cameras().is_empty());
        let mut source = UsbSource::new(NokhwaDevice::new(
            UsbTarget::Index(0),
            CameraSettings {
                min_width: 1280,
                min_height: 720,
            },
        ));
        assert!(matches!(
            source.next_frame(),
            Err(CameraError::Disconnected(_))
        ));
        let mut by_path = UsbSource::new(NokhwaDevice::new(
            UsbTarget::Path("/dev/v4l/by-id/usb-missing-video-index0".into()),
            CameraSettings {
                min_width: 1280,
                min_height: 720,
            },
        ));
        assert!(matches!(
            by_path.next_frame(),
            Err(CameraError::Disconnected(_))
        ));
    }
}
