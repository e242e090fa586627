//! Passive anti-spoofing with `fr_liveness` (MiniFASNet-V2-SE family).
//!
//! Recipe (FACE_MODELS.md §4, §7): the square detection box is scaled by
//! 2.7 around its centre (less if that exceeds the image), shifted inside
//! the image (Silent-Face `CropImage._get_new_box`), resized to 128×128 and
//! fed as **BGR** values 0..255 (no normalisation). Softmax of the 3 logits:
//! class 0 = live, class 1 = 2-D spoof (print), class 2 = unverified
//! (maybe replay or 3-D; ≤ 0.005 on every test set).
//!
//! Evidence against print attacks only (NUAA AUC 0.957); use it next to an
//! active challenge, not as a presentation-attack-detection claim. The
//! faceplugin demo calls `live < 0.3` "fake".

use crate::detect::Detection;
use crate::error::FaceError;
use crate::ops::{resize_region, ChannelOrder, Rect};
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

/// Crop and colour settings for [`FaceModels::anti_spoof`](crate::FaceModels::anti_spoof).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AntiSpoofOptions {
    /// Context scale around the square box (2.7).
    pub scale: f32,
    /// Channel order (BGR; the JS feeds RGB, which fails: NUAA AUC 0.62).
    pub order: ChannelOrder,
}

impl Default for AntiSpoofOptions {
    fn default() -> Self {
        Self {
            scale: 2.7,
            order: ChannelOrder::Bgr,
        }
    }
}

/// Class probabilities of `fr_liveness` (they sum to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AntiSpoof {
    /// P(live face).
    pub live: f32,
    /// P(2-D print attack).
    pub print: f32,
    /// P(third class; unverified meaning).
    pub other: f32,
}

/// `js_scaled_crop` of the reference: the `int()` box `(x, y, bw, bh)`
/// scaled and shifted inside the image.
pub(crate) fn scaled_crop(
    x: f64,
    y: f64,
    bw: f64,
    bh: f64,
    scale: f64,
    width: u32,
    height: u32,
) -> Option<Rect> {
    if bw.is_nan() || bw <= 0.0 || bh.is_nan() || bh <= 0.0 {
        return None;
    }
    let (w1, h1) = (f64::from(width) - 1.0, f64::from(height) - 1.0);
    let s = ((h1) / bh).min((w1 / bw).min(scale));
    let (nw, nh) = (bw * s, bh * s);
    let (cx, cy) = (bw / 2.0 + x, bh / 2.0 + y);
    let (mut l, mut t, mut r, mut b) = (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if l < 0.0 {
        r -= l;
        l = 0.0;
    }
    if t < 0.0 {
        b -= t;
        t = 0.0;
    }
    if r > w1 {
        l -= r - w1;
        r = w1;
    }
    if b > h1 {
        t -= b - h1;
        b = h1;
    }
    let rx = (l.trunc() as i64).max(0);
    let ry = (t.trunc() as i64).max(0);
    let rw = ((r - l).trunc() as i64).min(w1 as i64);
    let rh = ((b - t).trunc() as i64).min(h1 as i64);
    // numpy slicing img[ry:ry+rh, rx:rx+rw] clips at the image edge.
    Rect::clipped(rx, ry, rx + rw, ry + rh, width, height)
}

pub(crate) fn anti_spoof(
    session: &ModelSession,
    img: &RgbImage,
    det: &Detection,
    opts: &AntiSpoofOptions,
) -> Result<AntiSpoof, FaceError> {
    let sq = det.square_box(img.width(), img.height());
    let (x1, y1) = (f64::from(sq.x1).trunc(), f64::from(sq.y1).trunc());
    let (x2, y2) = (f64::from(sq.x2).trunc(), f64::from(sq.y2).trunc());
    let scale = if opts.scale.is_finite() && opts.scale > 0.0 {
        f64::from(opts.scale)
    } else {
        2.7
    };
    let crop = scaled_crop(
        x1,
        y1,
        (x2 - x1).abs(),
        (y2 - y1).abs(),
        scale,
        img.width(),
        img.height(),
    )
    .ok_or_else(|| FaceError::InvalidInput("empty anti-spoof crop".into()))?;
    let rgb = resize_region(img, crop, 128, 128);
    let plane = 128 * 128;
    let mut input = vec![0f32; plane * 3];
    for (i, p) in rgb.chunks_exact(3).enumerate() {
        for c in 0..3 {
            input[c * plane + i] = f32::from(p[opts.order.source(c)]);
        }
    }
    let [logits] = runner::run(session, &input, [1, 3, 128, 128], [("output", 3)])?;
    let p = runner::softmax(&logits);
    Ok(AntiSpoof {
        live: p[0],
        print: p[1],
        other: p[2],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_crop_is_shifted_inside() {
        // 2.7 x a 100 px box near the left edge of a 1000x800 image.
        let r = scaled_crop(10.0, 300.0, 100.0, 100.0, 2.7, 1000, 800).unwrap();
        assert_eq!((r.x, r.y, r.w, r.h), (0, 215, 270, 270));
        // The scale is capped by the image size.
        let r = scaled_crop(0.0, 0.0, 100.0, 100.0, 2.7, 150, 150).unwrap();
        assert_eq!((r.x, r.y, r.w, r.h), (0, 0, 149, 149));
        assert!(scaled_crop(0.0, 0.0, 0.0, 10.0, 2.7, 150, 150).is_none());
    }
}
