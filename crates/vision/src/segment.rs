//! The person mask: MediaPipe's selfie segmentation on the whole frame stretched to
//! 256×256; the result is a probability per pixel that it belongs to the person.

use crate::crop::{Border, crop};
use crate::net::{Net, NetError};
use capture_core::face::{Mask, Roi};
use image::RgbImage;

const MODEL: &[u8] = include_bytes!("../../../assets/models/selfie_segmentation.onnx");
const SIZE: usize = 256;

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
            side: SIZE,
            image_width: w,
            image_height: h,
        })
    }
}
