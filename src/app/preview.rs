//! Camera frames to the screen: mirrored (people expect a mirror), converted on the camera
//! thread, and handed to the UI thread at most one at a time — when the UI is busy, frames
//! are dropped rather than queued, so the preview always shows the latest picture.

use super::ui::{KioskAdapter, KioskWindow};
use crate::camera::Frame;
use image::RgbImage;
use slint::{ComponentHandle, Rgb8Pixel, SharedPixelBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How many camera frames reached the preview, and how many were skipped because the UI
/// had not yet taken the previous one (cumulative; see `tools/measure-preview-fps`).
#[derive(Default)]
pub struct PreviewStats {
    pub shown: AtomicU64,
    pub skipped: AtomicU64,
}

pub struct PreviewSender {
    window: slint::Weak<KioskWindow>,
    wanted: Arc<AtomicBool>,
    in_flight: Arc<AtomicBool>,
    stats: Arc<PreviewStats>,
}

impl PreviewSender {
    pub fn new(
        window: slint::Weak<KioskWindow>,
        wanted: Arc<AtomicBool>,
        stats: Arc<PreviewStats>,
    ) -> Self {
        Self {
            window,
            wanted,
            in_flight: Arc::new(AtomicBool::new(false)),
            stats,
        }
    }

    /// Called on the camera thread for every frame.
    pub fn send(&self, frame: &Arc<Frame>) {
        if !self.wanted.load(Ordering::Relaxed) {
            return;
        }
        if self.in_flight.swap(true, Ordering::AcqRel) {
            self.stats.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let buffer = mirrored(&frame.image);
        let in_flight = self.in_flight.clone();
        let stats = self.stats.clone();
        let wanted = self.wanted.clone();
        let posted = self.window.upgrade_in_event_loop(move |w| {
            in_flight.store(false, Ordering::Release);
            // The candidate may have left the capture screen since: show nothing then.
            if wanted.load(Ordering::Relaxed) {
                w.global::<KioskAdapter>()
                    .set_preview(slint::Image::from_rgb8(buffer));
                stats.shown.fetch_add(1, Ordering::Relaxed);
            }
        });
        if posted.is_err() {
            self.in_flight.store(false, Ordering::Release); // the event loop has ended
        }
    }
}

/// The frame flipped left to right, as a slint pixel buffer.
pub fn mirrored(image: &RgbImage) -> SharedPixelBuffer<Rgb8Pixel> {
    let (w, h) = image.dimensions();
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(w, h);
    let row_len = w as usize * 3;
    for (src, dst) in image
        .as_raw()
        .chunks_exact(row_len)
        .zip(buffer.make_mut_bytes().chunks_exact_mut(row_len))
    {
        for (s, d) in src.chunks_exact(3).zip(dst.rchunks_exact_mut(3)) {
            d.copy_from_slice(s);
        }
    }
    buffer
}

/// An image as it is (the photo for review is not mirrored: it is how others see you).
pub fn to_slint_image(image: &RgbImage) -> slint::Image {
    let (w, h) = image.dimensions();
    slint::Image::from_rgb8(SharedPixelBuffer::clone_from_slice(image.as_raw(), w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirroring_flips_each_row() {
        let image = RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let m = mirrored(&image);
        let px = |x: usize, y: usize| {
            let i = (y * 3 + x) * 3;
            &m.as_bytes()[i..i + 3]
        };
        assert_eq!(px(0, 0), &[2, 0, 9]);
        assert_eq!(px(2, 0), &[0, 0, 9]);
        assert_eq!(px(0, 1), &[2, 1, 9]);
    }
}
