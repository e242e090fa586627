//! Head pose with `fr_pose` (ShuffleNetV2 "Hopenet-lite": 66 bins of 3° for
//! each angle, decoded as the softmax expectation `Σ pᵢ·i·3 − 99`).
//!
//! # Sign conventions (FACE_MODELS.md §6, LIVENESS_NOTES.md §1)
//!
//! * **yaw > 0**: the face is turned toward the image left (nose points to
//!   the image left; the subject's own right in an un-mirrored photo).
//! * **pitch > 0**: chin up (looking up); pitch < 0 = looking down.
//! * **roll > 0**: the head is rotated clockwise on screen.
//!
//! Range −99…+96°. On still images the tight crop (margin 0, the default)
//! gives correct yaw signs with ≈3° flip error; roll under-reads beyond
//! ≈20°; pitch is coarse. Which crop is best on video is measured by the
//! liveness work: [`PoseOptions::margin`] selects it.

use crate::detect::Detection;
use crate::error::FaceError;
use crate::ops::{resize_padded, ChannelOrder};
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];
const BINS: usize = 66;

/// Crop and colour settings for [`FaceModels::head_pose`](crate::FaceModels::head_pose).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoseOptions {
    /// Margin added on each side of the square detection box, as a fraction
    /// of its side: 0 (default, the still-image recipe) or 0.25 (the
    /// faceplugin JS / video-track recipe). Parts outside the image are
    /// black (zero padding).
    pub margin: f32,
    /// Channel order fed to the model (RGB by default).
    pub order: ChannelOrder,
}

impl Default for PoseOptions {
    fn default() -> Self {
        Self {
            margin: 0.0,
            order: ChannelOrder::Rgb,
        }
    }
}

/// Head pose in degrees (see the module docs for the signs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeadPose {
    /// Left-right rotation; > 0 = turned toward the image left.
    pub yaw: f32,
    /// Up-down rotation; > 0 = chin up.
    pub pitch: f32,
    /// In-plane rotation; > 0 = clockwise on screen.
    pub roll: f32,
    /// Standard deviation of each angle's bin distribution (yaw, pitch,
    /// roll), degrees: large values flag unreliable frames.
    pub spread: [f32; 3],
}

/// The crop rectangle `(x, y, w, h)` (may extend past the image) for a
/// detection: `int()` of the square box, widened by `margin` per side.
pub(crate) fn pose_crop(
    det: &Detection,
    width: u32,
    height: u32,
    margin: f32,
) -> Option<(i64, i64, u32, u32)> {
    let sq = det.square_box(width, height);
    let (x1, y1, x2, y2) = (
        f64::from(sq.x1).trunc(),
        f64::from(sq.y1).trunc(),
        f64::from(sq.x2).trunc(),
        f64::from(sq.y2).trunc(),
    );
    let (w, h) = ((x2 - x1).abs(), (y2 - y1).abs());
    let m = f64::from(margin);
    let x11 = (x1 - w * m).trunc() as i64;
    let y11 = (y1 - h * m).trunc() as i64;
    let x22 = (x2 + w * m).trunc() as i64;
    let y22 = (y2 + h * m).trunc() as i64;
    if x22 <= x11 || y22 <= y11 {
        return None;
    }
    Some((x11, y11, (x22 - x11) as u32, (y22 - y11) as u32))
}

pub(crate) fn head_pose(
    session: &ModelSession,
    img: &RgbImage,
    det: &Detection,
    opts: &PoseOptions,
) -> Result<HeadPose, FaceError> {
    let margin = if opts.margin.is_finite() {
        opts.margin.clamp(-0.45, 2.0)
    } else {
        0.0
    };
    let (x, y, w, h) = pose_crop(det, img.width(), img.height(), margin)
        .ok_or_else(|| FaceError::InvalidInput("empty head-pose crop".into()))?;
    let rgb = resize_padded(img, x, y, w, h, 224, 224);
    let plane = 224 * 224;
    let mut input = vec![0f32; plane * 3];
    for (i, p) in rgb.chunks_exact(3).enumerate() {
        for c in 0..3 {
            let v = f32::from(p[opts.order.source(c)]) / 255.0;
            input[c * plane + i] = (v - MEAN[c]) / STD[c];
        }
    }
    let [yaw, pitch, roll] = runner::run(
        session,
        &input,
        [1, 3, 224, 224],
        [("output", BINS), ("617", BINS), ("618", BINS)],
    )?;
    let (y, ys) = decode(&yaw);
    let (p, ps) = decode(&pitch);
    let (r, rs) = decode(&roll);
    Ok(HeadPose {
        yaw: y,
        pitch: p,
        roll: r,
        spread: [ys, ps, rs],
    })
}

/// Expectation and standard deviation (degrees) of the bin distribution.
fn decode(logits: &[f32]) -> (f32, f32) {
    let p = runner::softmax(logits);
    let mu: f64 = p
        .iter()
        .enumerate()
        .map(|(i, &v)| v as f64 * i as f64)
        .sum();
    let var: f64 = p
        .iter()
        .enumerate()
        .map(|(i, &v)| v as f64 * (i as f64 - mu).powi(2))
        .sum();
    ((mu * 3.0 - 99.0) as f32, (var.sqrt() * 3.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;

    #[test]
    fn decode_is_the_bin_expectation() {
        let mut l = vec![-100f32; 66];
        l[33] = 10.0;
        let (a, sd) = decode(&l);
        assert!((a - 0.0).abs() < 1e-3 && sd < 1e-3);
        let mut l = vec![-100f32; 66];
        l[10] = 0.0;
        l[12] = 0.0;
        let (a, sd) = decode(&l);
        assert!((a - (11.0 * 3.0 - 99.0)).abs() < 1e-3 && (sd - 3.0).abs() < 1e-3);
    }

    #[test]
    fn crop_margin() {
        let det = Detection {
            bbox: BBox {
                x1: 40.5,
                y1: 20.7,
                x2: 80.2,
                y2: 100.9,
            },
            score: 1.0,
        };
        // Square box: side 80.2 around x 60.35 -> x 20.25..100.45.
        assert_eq!(pose_crop(&det, 200, 200, 0.0), Some((20, 20, 80, 80)));
        assert_eq!(pose_crop(&det, 200, 200, 0.25), Some((0, 0, 120, 120)));
    }
}
