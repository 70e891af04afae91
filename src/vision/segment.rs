//! The person mask: MediaPipe's selfie segmentation on the whole frame stretched to
//! 256×256; the result is a probability per pixel that it belongs to the person.

use super::net::{Net, NetError};
use super::roi::{Border, Roi, crop};
use image::{GrayImage, RgbImage};

const MODEL: &[u8] = include_bytes!("../../assets/models/selfie_segmentation.onnx");
const SIZE: usize = 256;

/// Person probability on a 256×256 grid over the whole image.
#[derive(Debug, Clone)]
pub struct Mask {
    pub probabilities: Vec<f32>,
    pub image_width: u32,
    pub image_height: u32,
}

impl Mask {
    /// Person probability at an image point (bilinear).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        let gx = (x / self.image_width as f32 * SIZE as f32 - 0.5).clamp(0.0, SIZE as f32 - 1.0);
        let gy = (y / self.image_height as f32 * SIZE as f32 - 0.5).clamp(0.0, SIZE as f32 - 1.0);
        // Clamped to ≥ 0 above: truncation is the floor.
        let (x0, y0) = (gx as usize, gy as usize);
        let (x1, y1) = ((x0 + 1).min(SIZE - 1), (y0 + 1).min(SIZE - 1));
        let (fx, fy) = (gx - x0 as f32, gy - y0 as f32);
        let p = |x: usize, y: usize| self.probabilities[y * SIZE + x];
        (p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx) * (1.0 - fy)
            + (p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx) * fy
    }

    /// The mask at the image's size, 0..255.
    pub fn to_image(&self) -> GrayImage {
        GrayImage::from_fn(self.image_width, self.image_height, |x, y| {
            image::Luma([(self.at(x as f32 + 0.5, y as f32 + 0.5) * 255.0).round() as u8])
        })
    }
}

pub struct Segmenter {
    net: Net,
}

impl Segmenter {
    pub fn load() -> Result<Self, NetError> {
        Ok(Self {
            net: Net::load("person segmentation", MODEL, [1, SIZE, SIZE, 3])?,
        })
    }

    pub fn run(&mut self, image: &RgbImage) -> Result<Mask, NetError> {
        let (w, h) = image.dimensions();
        // Stretched, not letterboxed: a non-square ROI over the whole image.
        let roi = Roi {
            cx: w as f32 / 2.0,
            cy: h as f32 / 2.0,
            width: w as f32,
            height: h as f32,
            rotation: 0.0,
        };
        let input = crop(image, &roi, SIZE, (0.0, 1.0), Border::Zero, false);
        let mut outputs = self.net.run(input)?;
        Ok(Mask {
            probabilities: outputs.swap_remove(0),
            image_width: w,
            image_height: h,
        })
    }
}
