//! 68-point landmarks with `fr_landmark`, and the 5 alignment points.
//!
//! Recipe (FACE_MODELS.md §4, "SDK crop"): from the raw detector box,
//! `sz = sqrt(w·h)`; the crop is `int(1.1·sz)` square, starting 5 % of `sz`
//! left of the centred square and at its top (5 % margin left and right,
//! 0 % top, 10 % bottom), clipped to the image. It is resized to 64×64,
//! converted to gray (true luma by default) and scaled by 1/256; the model
//! returns crop-relative `(x, y)` in 0..1 for the 68 iBUG-300W points.

use crate::detect::Detection;
use crate::error::FaceError;
use crate::ops::{gray, resize_region, GrayMode, Rect};
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

/// Number of landmark points.
pub const N_LANDMARKS: usize = 68;

/// The 68 iBUG-300W points in image pixels (jaw 0-16, brows 17-26, nose
/// 27-35, eyes 36-47, mouth 48-67; "left" = image left).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<[f32; 2]>", into = "Vec<[f32; 2]>")]
pub struct Landmarks68 {
    points: Vec<[f32; 2]>,
}

impl TryFrom<Vec<[f32; 2]>> for Landmarks68 {
    type Error = String;
    fn try_from(points: Vec<[f32; 2]>) -> Result<Self, String> {
        if points.len() != N_LANDMARKS {
            return Err(format!("expected 68 points, got {}", points.len()));
        }
        if points.iter().flatten().any(|v| !v.is_finite()) {
            return Err("landmark coordinates must be finite".into());
        }
        Ok(Self { points })
    }
}

impl From<Landmarks68> for Vec<[f32; 2]> {
    fn from(l: Landmarks68) -> Self {
        l.points
    }
}

/// Five alignment points in image pixels: image-left eye centre,
/// image-right eye centre, nose tip, image-left and image-right mouth corner
/// (the order of the ArcFace template).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FivePoints(pub [[f32; 2]; 5]);

impl Landmarks68 {
    /// The 68 points, `[x, y]` each.
    pub fn points(&self) -> &[[f32; 2]] {
        &self.points
    }

    /// The five alignment points as the faceplugin SDK derives them: eye
    /// centre = mean of the 4 lid points (37, 38, 40, 41 / 43, 44, 46, 47),
    /// nose = 30, mouth corner = midpoint of the outer and inner corner
    /// (48 + 60, 54 + 64).
    pub fn five(&self) -> FivePoints {
        let p = &self.points;
        let mean = |idx: &[usize]| {
            let n = idx.len() as f32;
            let (sx, sy) = idx
                .iter()
                .fold((0f32, 0f32), |(x, y), &i| (x + p[i][0], y + p[i][1]));
            [sx / n, sy / n]
        };
        FivePoints([
            mean(&[37, 38, 40, 41]),
            mean(&[43, 44, 46, 47]),
            p[30],
            mean(&[48, 60]),
            mean(&[54, 64]),
        ])
    }

    /// Distance between the two eye centres of [`five`](Self::five), pixels.
    pub fn interocular(&self) -> f32 {
        let f = self.five().0;
        ((f[1][0] - f[0][0]).powi(2) + (f[1][1] - f[0][1]).powi(2)).sqrt()
    }
}

/// The SDK landmark crop of a raw box, clipped to the image (`None` when
/// nothing of it is inside).
pub(crate) fn sdk_crop(bbox: &crate::BBox, width: u32, height: u32) -> Option<Rect> {
    let (bx1, by1) = (f64::from(bbox.x1), f64::from(bbox.y1));
    let (bx2, by2) = (f64::from(bbox.x2), f64::from(bbox.y2));
    let area = (bx2 - bx1) * (by2 - by1);
    if area.is_nan() || area <= 0.0 || !area.is_finite() {
        return None;
    }
    let sz = area.sqrt();
    let (cx, cy) = ((bx1 + bx2) / 2.0, (by1 + by2) / 2.0);
    let (rx, ry) = (cx - sz / 2.0, cy - sz / 2.0);
    // Python int() truncates toward zero.
    let ex = (rx - 0.05 * sz).trunc() as i64;
    let ey = ry.trunc() as i64;
    let side = (1.10 * sz).trunc() as i64;
    let (w1, h1) = (i64::from(width) - 1, i64::from(height) - 1);
    let ex = ex.clamp(0, w1.max(0));
    let ey = ey.clamp(0, h1.max(0));
    let ew = (ex + side).clamp(0, w1.max(0)) - ex;
    let eh = (ey + side).clamp(0, h1.max(0)) - ey;
    if ew <= 0 || eh <= 0 {
        return None;
    }
    Some(Rect {
        x: ex as u32,
        y: ey as u32,
        w: ew as u32,
        h: eh as u32,
    })
}

/// Runs `fr_landmark` on `crop` and maps the points back to the image.
pub(crate) fn landmarks_in(
    session: &ModelSession,
    img: &RgbImage,
    crop: Rect,
    gray_mode: GrayMode,
) -> Result<Landmarks68, FaceError> {
    let rgb = resize_region(img, crop, 64, 64);
    let input: Vec<f32> = rgb
        .chunks_exact(3)
        .map(|p| f32::from(gray([p[0], p[1], p[2]], gray_mode)) / 256.0)
        .collect();
    let [out] = runner::run(session, &input, [1, 1, 64, 64], [("output", 136)])?;
    let (ox, oy, ow, oh) = (crop.x as f32, crop.y as f32, crop.w as f32, crop.h as f32);
    let points = out
        .chunks_exact(2)
        .map(|p| [p[0] * ow + ox, p[1] * oh + oy])
        .collect();
    Ok(Landmarks68 { points })
}

/// Landmarks of a detection with the SDK crop.
pub(crate) fn landmarks(
    session: &ModelSession,
    img: &RgbImage,
    det: &Detection,
    gray_mode: GrayMode,
) -> Result<Landmarks68, FaceError> {
    let crop = sdk_crop(&det.bbox, img.width(), img.height()).ok_or_else(|| {
        FaceError::InvalidInput("the face box lies outside the image".to_string())
    })?;
    landmarks_in(session, img, crop, gray_mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;

    #[test]
    fn sdk_crop_matches_the_reference_arithmetic() {
        // fp.landmarks68(crop="sdk") on the astronaut raw box
        // (179.04, 60.44, 269.54, 170.0): sz = 99.575, centre (224.29, 115.22),
        // ex = int(224.29 - 49.79 - 4.98) = 169, ey = int(115.22 - 49.79) = 65,
        // side = int(109.53) = 109.
        let r = sdk_crop(
            &BBox {
                x1: 179.04,
                y1: 60.44,
                x2: 269.54,
                y2: 170.0,
            },
            512,
            512,
        )
        .unwrap();
        assert_eq!((r.x, r.y, r.w, r.h), (169, 65, 109, 109));
        // Clipped at the border, and empty outside.
        let r = sdk_crop(
            &BBox {
                x1: -20.0,
                y1: -20.0,
                x2: 30.0,
                y2: 40.0,
            },
            100,
            100,
        )
        .unwrap();
        assert_eq!((r.x, r.y), (0, 0));
        assert!(sdk_crop(
            &BBox {
                x1: 200.0,
                y1: 200.0,
                x2: 300.0,
                y2: 300.0
            },
            100,
            100
        )
        .is_none());
    }

    #[test]
    fn five_points_follow_the_sdk_definition() {
        let pts: Vec<[f32; 2]> = (0..68).map(|i| [i as f32, 2.0 * i as f32]).collect();
        let l = Landmarks68::try_from(pts).unwrap();
        let f = l.five().0;
        assert_eq!(f[0], [39.0, 78.0]);
        assert_eq!(f[1], [45.0, 90.0]);
        assert_eq!(f[2], [30.0, 60.0]);
        assert_eq!(f[3], [54.0, 108.0]);
        assert_eq!(f[4], [59.0, 118.0]);
        assert!(Landmarks68::try_from(vec![[0.0, 0.0]; 67]).is_err());
    }
}
