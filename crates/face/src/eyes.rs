//! Eye state with `fr_eye` (24×24 gray, softmax class 0 = closed).
//!
//! Recipe (FACE_MODELS.md §4): from the truncated 68 landmarks, each eye's
//! centre is the mean of its 4 lid points, the square side is 1.6 × the
//! corner-to-corner width, clipped to the image; the crop is resized to
//! 24×24, converted to gray and scaled by 1/255.
//!
//! Open eyes read p(closed) ≈ 0.000 (median 0.0004); squinting or low-res
//! eyes are often called closed (≈ 16 % of eyes in web photos), so use it
//! for temporal blink detection on good frames, not as a single-image gate.

use crate::error::FaceError;
use crate::landmarks::Landmarks68;
use crate::ops::{gray, resize_region, GrayMode, Rect};
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

/// Settings for [`FaceModels::eye_state`](crate::FaceModels::eye_state).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EyeOptions {
    /// Gray conversion. The reference golden outputs use the JS's swapped
    /// gray; true luma calls slightly more eyes closed (17.3 % vs 15.9 % on
    /// web photos).
    pub gray: EyeGray,
}

/// Gray conversion for the eye crops (a separate default from the
/// landmarks, which use true luma).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EyeGray {
    /// 0.114 R + 0.587 G + 0.299 B, as the faceplugin JS and the reference.
    #[default]
    Swapped,
    /// 0.299 R + 0.587 G + 0.114 B.
    TrueLuma,
}

/// Probability that each eye is closed, `None` when its crop is empty (eye
/// at or beyond the image border).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EyeState {
    /// The eye on the image left (the subject's right eye in an un-mirrored
    /// photo): points 36-41.
    pub left_closed: Option<f32>,
    /// The eye on the image right: points 42-47.
    pub right_closed: Option<f32>,
}

impl EyeState {
    /// True when every measured eye has p(closed) > `threshold` (0.5 = the
    /// model's argmax) and at least one was measured.
    pub fn closed(&self, threshold: f32) -> bool {
        let v: Vec<f32> = [self.left_closed, self.right_closed]
            .into_iter()
            .flatten()
            .collect();
        !v.is_empty() && v.iter().all(|&p| p > threshold)
    }
}

/// The square crop of one eye (`lids`: 4 lid points; `corners`: 2 corners).
fn eye_crop(
    lm: &[[i64; 2]],
    lids: [usize; 4],
    corners: [usize; 2],
    width: u32,
    height: u32,
) -> Option<Rect> {
    let (w, h) = (i64::from(width), i64::from(height));
    let sx: i64 = lids.iter().map(|&i| lm[i][0]).sum();
    let sy: i64 = lids.iter().map(|&i| lm[i][1]).sum();
    let cx = (sx as f64 / 4.0).trunc();
    let cy = (sy as f64 / 4.0).trunc();
    let mut size = ((lm[corners[1]][0] - lm[corners[0]][0]) as f64 * 1.6).trunc() as i64;
    let x0 = ((cx - size as f64 / 2.0).trunc() as i64).max(0);
    let y0 = ((cy - size as f64 / 2.0).trunc() as i64).max(0);
    if x0 + size >= w {
        size = w - x0 - 1;
    }
    if y0 + size >= h {
        size = h - y0 - 1;
    }
    if size <= 0 {
        return None;
    }
    Rect::clipped(x0, y0, x0 + size, y0 + size, width, height)
}

pub(crate) fn eye_state(
    session: &ModelSession,
    img: &RgbImage,
    lm: &Landmarks68,
    opts: &EyeOptions,
) -> Result<EyeState, FaceError> {
    let pts: Vec<[i64; 2]> = lm
        .points()
        .iter()
        .map(|p| [p[0].trunc() as i64, p[1].trunc() as i64])
        .collect();
    let mode = match opts.gray {
        EyeGray::Swapped => GrayMode::Swapped,
        EyeGray::TrueLuma => GrayMode::TrueLuma,
    };
    let mut probs = [None, None];
    for (slot, (lids, corners)) in probs
        .iter_mut()
        .zip([([37, 38, 40, 41], [36, 39]), ([43, 44, 46, 47], [42, 45])])
    {
        let Some(crop) = eye_crop(&pts, lids, corners, img.width(), img.height()) else {
            continue;
        };
        let rgb = resize_region(img, crop, 24, 24);
        let input: Vec<f32> = rgb
            .chunks_exact(3)
            .map(|p| f32::from(gray([p[0], p[1], p[2]], mode)) / 255.0)
            .collect();
        let [logits] = runner::run(session, &input, [1, 1, 24, 24], [("output", 2)])?;
        *slot = Some(runner::softmax(&logits)[0]);
    }
    Ok(EyeState {
        left_closed: probs[0],
        right_closed: probs[1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eye_crop_follows_the_reference() {
        let mut lm = vec![[0i64; 2]; 68];
        lm[36] = [100, 50];
        lm[39] = [130, 50];
        for i in [37, 38, 40, 41] {
            lm[i] = [115, 51];
        }
        // side int(30 * 1.6) = 48, centre (115, 51) -> x0 = 91, y0 = 27.
        let r = eye_crop(&lm, [37, 38, 40, 41], [36, 39], 640, 480).unwrap();
        assert_eq!((r.x, r.y, r.w, r.h), (91, 27, 48, 48));
        // Near the right border the side shrinks.
        let r = eye_crop(&lm, [37, 38, 40, 41], [36, 39], 130, 480).unwrap();
        assert_eq!((r.x, r.w), (91, 38));
        // Inverted corners: empty.
        lm[39] = [90, 50];
        assert!(eye_crop(&lm, [37, 38, 40, 41], [36, 39], 640, 480).is_none());
    }

    #[test]
    fn closed_needs_every_measured_eye() {
        let s = EyeState {
            left_closed: Some(0.9),
            right_closed: None,
        };
        assert!(s.closed(0.5));
        let s = EyeState {
            left_closed: Some(0.9),
            right_closed: Some(0.1),
        };
        assert!(!s.closed(0.5));
        assert!(!EyeState {
            left_closed: None,
            right_closed: None
        }
        .closed(0.5));
    }
}
