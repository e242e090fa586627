//! Face quality measures and warnings.
//!
//! Sharpness and brightness are measured on the aligned 112×112 face (true
//! luma, the central region x 24..88, y 32..104 that holds eyes, nose and
//! mouth), so they do not depend on the photo's resolution or background:
//! a small face upsampled to 112 px reads as blurred, which is what it is
//! for the embedding.

use crate::detect::BBox;
use crate::ops::{gray, GrayMode};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Measured quality of the chosen face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Detector box width, image pixels.
    pub face_width: f32,
    /// Detector box height, image pixels.
    pub face_height: f32,
    /// Distance between the eye centres, image pixels.
    pub interocular: f32,
    /// Detector score.
    pub detection_score: f32,
    /// Variance of the 3×3 Laplacian (`[0 1 0; 1 -4 1; 0 1 0]`) of the
    /// aligned face's central region, gray levels².
    pub sharpness: f32,
    /// Mean luma of the aligned face's central region, 0..255.
    pub brightness: f32,
}

/// When a [`Quality`] value produces a [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityThresholds {
    /// Warn below this detector-box height in pixels.
    pub min_face_height: f32,
    /// Warn below this [`Quality::sharpness`].
    pub min_sharpness: f32,
    /// Warn below this [`Quality::brightness`].
    pub min_brightness: f32,
    /// Warn above this [`Quality::brightness`].
    pub max_brightness: f32,
}

impl Default for QualityThresholds {
    /// Face box 64 px, sharpness 40, brightness 50-210. Measured on the
    /// astronaut fixture (tests/behaviour.rs): clean sharpness 616,
    /// brightness 173; shrunk to a 43 px face: sharpness 77; Gaussian blur
    /// σ 4: sharpness 4; pixels × 0.15: brightness 26; × 0.3 + 190:
    /// brightness 241. A face of 64 px gives the embedding about half its
    /// 112 px input.
    fn default() -> Self {
        Self {
            min_face_height: 64.0,
            min_sharpness: 40.0,
            min_brightness: 50.0,
            max_brightness: 210.0,
        }
    }
}

/// Something that makes a result less reliable; the result is still given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Warning {
    /// More than one face: the largest (or, among faces of similar size,
    /// the most central) was used. Reject when `second_largest_ratio` is
    /// close to 1 or above (faces of similar size: the choice is fragile).
    MultipleFaces {
        /// Number of faces found.
        count: usize,
        /// Box of the face used.
        chosen: BBox,
        /// Boxes of the others, largest first.
        others: Vec<BBox>,
        /// Area of the largest other face over the area of the chosen one
        /// (above 1 when a slightly larger face was passed over as less
        /// central).
        second_largest_ratio: f32,
    },
    /// The face is smaller than [`QualityThresholds::min_face_height`].
    FaceTooSmall {
        /// Measured box height, pixels.
        height: f32,
        /// Threshold.
        min: f32,
    },
    /// The face is blurred (or too small to have detail).
    Blurry {
        /// Measured [`Quality::sharpness`].
        sharpness: f32,
        /// Threshold.
        min: f32,
    },
    /// The face is too dark.
    TooDark {
        /// Measured [`Quality::brightness`].
        brightness: f32,
        /// Threshold.
        min: f32,
    },
    /// The face is overexposed.
    TooBright {
        /// Measured [`Quality::brightness`].
        brightness: f32,
        /// Threshold.
        max: f32,
    },
}

/// Central region of the aligned face used for the measures.
const REGION: (u32, u32, u32, u32) = (24, 32, 88, 104);

/// `(sharpness, brightness)` of an aligned 112×112 face.
pub fn measure_aligned(face: &RgbImage) -> (f32, f32) {
    let (x0, y0, x1, y1) = REGION;
    let (x1, y1) = (x1.min(face.width()), y1.min(face.height()));
    if x1 < x0 + 3 || y1 < y0 + 3 || face.width() < x1 + 1 || face.height() < y1 + 1 {
        return (0.0, 0.0);
    }
    let g = |x: u32, y: u32| f64::from(gray(face.get_pixel(x, y).0, GrayMode::TrueLuma));
    let (mut sum, mut n) = (0f64, 0f64);
    let (mut ls, mut ls2) = (0f64, 0f64);
    for y in y0..y1 {
        for x in x0..x1 {
            let c = g(x, y);
            sum += c;
            n += 1.0;
            let lap = g(x - 1, y) + g(x + 1, y) + g(x, y - 1) + g(x, y + 1) - 4.0 * c;
            ls += lap;
            ls2 += lap * lap;
        }
    }
    let mean_lap = ls / n;
    let var = (ls2 / n - mean_lap * mean_lap).max(0.0);
    (var as f32, (sum / n) as f32)
}

/// The warnings a [`Quality`] raises under `t` (multi-face warnings are
/// added by the pipeline).
pub fn quality_warnings(q: &Quality, t: &QualityThresholds) -> Vec<Warning> {
    let mut w = Vec::new();
    if q.face_height < t.min_face_height {
        w.push(Warning::FaceTooSmall {
            height: q.face_height,
            min: t.min_face_height,
        });
    }
    if q.sharpness < t.min_sharpness {
        w.push(Warning::Blurry {
            sharpness: q.sharpness,
            min: t.min_sharpness,
        });
    }
    if q.brightness < t.min_brightness {
        w.push(Warning::TooDark {
            brightness: q.brightness,
            min: t.min_brightness,
        });
    }
    if q.brightness > t.max_brightness {
        w.push(Warning::TooBright {
            brightness: q.brightness,
            max: t.max_brightness,
        });
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_face_is_blurry_and_dark() {
        let face = RgbImage::from_pixel(112, 112, image::Rgb([20, 20, 20]));
        let (s, b) = measure_aligned(&face);
        assert_eq!(s, 0.0);
        assert!((b - 20.0).abs() < 1e-3);
        let q = Quality {
            face_width: 30.0,
            face_height: 40.0,
            interocular: 10.0,
            detection_score: 0.9,
            sharpness: s,
            brightness: b,
        };
        let w = quality_warnings(&q, &QualityThresholds::default());
        assert_eq!(w.len(), 3);
        assert!(matches!(w[0], Warning::FaceTooSmall { .. }));
        assert!(matches!(w[1], Warning::Blurry { .. }));
        assert!(matches!(w[2], Warning::TooDark { .. }));
        let json = serde_json::to_value(&w[2]).unwrap();
        assert_eq!(json["kind"], "too_dark");
    }

    #[test]
    fn checkerboard_is_sharp() {
        let face = RgbImage::from_fn(112, 112, |x, y| {
            let v = if (x + y) % 2 == 0 { 0 } else { 255 };
            image::Rgb([v, v, v])
        });
        let (s, b) = measure_aligned(&face);
        assert!(s > 1e5, "{s}");
        assert!((b - 127.5).abs() < 1.0);
    }
}
