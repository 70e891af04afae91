//! Where frames come from: the [`FrameSource`] trait and its sources — a USB camera
//! (nokhwa / V4L2, MJPEG or YUYV, reconnecting after an unplug), a replay of a folder of
//! images or recorded raw buffers, and the built-in demo camera. [`feed`] runs a source on
//! its own thread and keeps only the latest frame. Knows nothing of faces or screens.

pub mod decode;
pub mod feed;
pub mod replay;
pub mod usb;

use image::RgbImage;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

pub use decode::{PixelFormat, RawFrame};

/// One decoded frame, as the camera saw it (not mirrored).
#[derive(Debug, Clone)]
pub struct Frame {
    /// Counts frames from this feed, starting at 1.
    pub seq: u64,
    pub image: RgbImage,
    pub captured_at: Instant,
}

/// A camera mode: pixel format, size and frame rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}×{} @ {} fps",
            self.format, self.width, self.height, self.fps
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Usb,
    Replay,
    Demo,
}

/// What a source is, for the log and the staff screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub kind: SourceKind,
    pub name: String,
    pub mode: Option<Mode>,
}

impl std::fmt::Display for SourceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            SourceKind::Usb => "USB camera",
            SourceKind::Replay => "replay",
            SourceKind::Demo => "demo camera",
        };
        write!(f, "{kind} {}", self.name)?;
        if let Some(mode) = self.mode {
            write!(f, " ({mode})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    /// The device is gone or not there yet; the feed waits and tries again.
    #[error("camera disconnected: {0}")]
    Disconnected(String),
    /// One frame could not be decoded; it is dropped and counted.
    #[error("corrupt frame dropped: {0}")]
    CorruptFrame(String),
    /// The source cannot work as configured (e.g. an empty replay folder).
    #[error("{0}")]
    Unusable(String),
}

/// Something that yields frames. Blocking: `next_frame` returns when the next frame is
/// there (a replay paces itself to its frame rate).
pub trait FrameSource {
    fn info(&self) -> SourceInfo;
    fn next_frame(&mut self) -> Result<RgbImage, CameraError>;
}

/// The `--camera` / `camera.source` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSpec {
    /// The first USB camera, else the demo camera.
    Auto,
    Demo,
    UsbIndex(u32),
    UsbPath(PathBuf),
    Replay(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown camera {0:?}: use auto, demo, usb:INDEX (usb:0), usb:/dev/v4l/by-id/… or replay:DIR"
)]
pub struct CameraSpecError(String);

impl FromStr for CameraSpec {
    type Err = CameraSpecError;
    fn from_str(s: &str) -> Result<Self, CameraSpecError> {
        let bad = || CameraSpecError(s.to_string());
        match s.split_once(':') {
            None if s == "auto" => Ok(CameraSpec::Auto),
            None if s == "demo" => Ok(CameraSpec::Demo),
            Some(("usb", rest)) if rest.starts_with('/') => Ok(CameraSpec::UsbPath(rest.into())),
            Some(("usb", rest)) => rest.parse().map(CameraSpec::UsbIndex).map_err(|_| bad()),
            Some(("replay", rest)) if !rest.is_empty() => Ok(CameraSpec::Replay(rest.into())),
            _ => Err(bad()),
        }
    }
}

/// Settings a source needs besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct CameraSettings {
    pub min_width: u32,
    pub min_height: u32,
}

/// How `open` resolved the spec (for the log and the staff screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    AsConfigured,
    /// `auto` found no USB camera and fell back to the demo camera.
    DemoFallback,
}

/// Opens the source a spec names. Must run on the thread that will read the frames
/// (V4L handles are not `Send`).
pub fn open(
    spec: &CameraSpec,
    settings: CameraSettings,
) -> Result<(Box<dyn FrameSource>, Resolved), CameraError> {
    match spec {
        CameraSpec::Auto => {
            if usb::list_cameras().is_empty() {
                Ok((
                    Box::new(replay::ReplaySource::demo()),
                    Resolved::DemoFallback,
                ))
            } else {
                let device = usb::NokhwaDevice::new(usb::UsbTarget::First, settings);
                Ok((
                    Box::new(usb::UsbSource::new(device)),
                    Resolved::AsConfigured,
                ))
            }
        }
        CameraSpec::Demo => Ok((
            Box::new(replay::ReplaySource::demo()),
            Resolved::AsConfigured,
        )),
        CameraSpec::UsbIndex(i) => {
            let device = usb::NokhwaDevice::new(usb::UsbTarget::Index(*i), settings);
            Ok((
                Box::new(usb::UsbSource::new(device)),
                Resolved::AsConfigured,
            ))
        }
        CameraSpec::UsbPath(p) => {
            let device = usb::NokhwaDevice::new(usb::UsbTarget::Path(p.clone()), settings);
            Ok((
                Box::new(usb::UsbSource::new(device)),
                Resolved::AsConfigured,
            ))
        }
        CameraSpec::Replay(dir) => Ok((replay::open_dir(dir)?, Resolved::AsConfigured)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_specs_parse() {
        assert_eq!("auto".parse(), Ok(CameraSpec::Auto));
        assert_eq!("demo".parse(), Ok(CameraSpec::Demo));
        assert_eq!("usb:2".parse(), Ok(CameraSpec::UsbIndex(2)));
        assert_eq!(
            "usb:/dev/v4l/by-id/usb-Cam-video-index0".parse(),
            Ok(CameraSpec::UsbPath(
                "/dev/v4l/by-id/usb-Cam-video-index0".into()
            ))
        );
        assert_eq!(
            "replay:frames".parse(),
            Ok(CameraSpec::Replay("frames".into()))
        );
        assert!("usb:first".parse::<CameraSpec>().is_err());
        assert!("replay:".parse::<CameraSpec>().is_err());
        let err = "webcam".parse::<CameraSpec>().unwrap_err().to_string();
        assert!(
            err.contains("usb:INDEX") && err.contains("replay:DIR"),
            "{err}"
        );
    }
}
