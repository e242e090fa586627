//! Face alignment: 5-point similarity transform (Umeyama least squares) to
//! the ArcFace 112×112 template, and an inverse-mapped bilinear warp with a
//! black (constant 0) border.

use crate::landmarks::FivePoints;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Side of the aligned face crop fed to `fr_feature`.
pub const ALIGNED_SIZE: u32 = 112;

/// The ArcFace 112×112 template (image-left eye, image-right eye, nose tip,
/// image-left mouth corner, image-right mouth corner).
pub const ARCFACE_TEMPLATE: [[f32; 2]; 5] = [
    [38.294_6, 51.696_3],
    [73.531_8, 51.501_4],
    [56.025_2, 71.736_6],
    [41.549_3, 92.365_5],
    [70.729_9, 92.204_1],
];

/// A 2-D affine map `x' = m[0]·x + m[1]·y + m[2]`, `y' = m[3]·x + m[4]·y + m[5]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Affine2 {
    /// Row-major 2×3 matrix.
    pub m: [f64; 6],
}

impl Affine2 {
    /// Maps a point.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let m = &self.m;
        [
            m[0] * p[0] + m[1] * p[1] + m[2],
            m[3] * p[0] + m[4] * p[1] + m[5],
        ]
    }

    /// The inverse map (`None` if singular), computed as OpenCV's
    /// `invertAffineTransform`.
    pub fn invert(&self) -> Option<Affine2> {
        let m = &self.m;
        let det = m[0] * m[4] - m[1] * m[3];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let d = 1.0 / det;
        let (a11, a22, a12, a21) = (m[4] * d, m[0] * d, -m[1] * d, -m[3] * d);
        Some(Affine2 {
            m: [
                a11,
                a12,
                -a11 * m[2] - a12 * m[5],
                a21,
                a22,
                -a21 * m[2] - a22 * m[5],
            ],
        })
    }

    /// Uniform scale factor of a similarity (`sqrt(|det|)`).
    pub fn scale(&self) -> f64 {
        (self.m[0] * self.m[4] - self.m[1] * self.m[3]).abs().sqrt()
    }
}

/// Least-squares similarity transform (rotation, uniform scale,
/// translation; no reflection) mapping `src` onto `dst` (Umeyama 1991, as
/// skimage `SimilarityTransform` / insightface `norm_crop`).
///
/// In 2-D Umeyama's SVD solution has a closed form: with centred points,
/// `A = Σ dstᵢ srcᵢᵀ / n`, the optimal rotation has `cos ∝ A₀₀ + A₁₁`,
/// `sin ∝ A₁₀ − A₀₁`, and the scale is `|(A₀₀ + A₁₁, A₁₀ − A₀₁)| / σ²_src`
/// (this equals `(S₁ ± S₂) / σ²` with Umeyama's reflection correction).
/// Returns `None` for fewer than 2 points, mismatched lengths or
/// degenerate input.
pub fn umeyama(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Option<Affine2> {
    let n = src.len();
    if n < 2 || dst.len() != n {
        return None;
    }
    let nf = n as f64;
    let mean = |p: &[[f32; 2]]| {
        p.iter().fold([0.0f64; 2], |a, q| {
            [a[0] + f64::from(q[0]) / nf, a[1] + f64::from(q[1]) / nf]
        })
    };
    let (ms, md) = (mean(src), mean(dst));
    let mut a = [0.0f64; 4];
    let mut var = 0.0f64;
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (f64::from(s[0]) - ms[0], f64::from(s[1]) - ms[1]);
        let (dx, dy) = (f64::from(d[0]) - md[0], f64::from(d[1]) - md[1]);
        a[0] += dx * sx;
        a[1] += dx * sy;
        a[2] += dy * sx;
        a[3] += dy * sy;
        var += sx * sx + sy * sy;
    }
    let (c, s) = (a[0] + a[3], a[2] - a[1]);
    let norm = (c * c + s * s).sqrt();
    if norm.is_nan()
        || norm <= 0.0
        || var.is_nan()
        || var <= 0.0
        || !norm.is_finite()
        || !var.is_finite()
    {
        return None;
    }
    let scale = norm / var;
    let (r0, r1) = (c / norm, s / norm);
    let (m0, m1, m3, m4) = (scale * r0, -scale * r1, scale * r1, scale * r0);
    let tx = md[0] - (m0 * ms[0] + m1 * ms[1]);
    let ty = md[1] - (m3 * ms[0] + m4 * ms[1]);
    Some(Affine2 {
        m: [m0, m1, tx, m3, m4, ty],
    })
}

/// Warps `img` with `m` (source → destination) into a `width` × `height`
/// image: inverse mapping, bilinear, black outside the source. Matches
/// `cv2.warpAffine(img, m, (width, height), INTER_LINEAR, BORDER_CONSTANT, 0)`
/// of OpenCV 5 (f32 coordinates, rounded result) to ±1 on rare pixels.
pub fn warp_affine(img: &RgbImage, m: &Affine2, width: u32, height: u32) -> RgbImage {
    let mut out = RgbImage::new(width, height);
    let Some(inv) = m.invert() else {
        return out;
    };
    let i: Vec<f32> = inv.m.iter().map(|&v| v as f32).collect();
    let (iw, ih) = (i64::from(img.width()), i64::from(img.height()));
    let stride = img.width() as usize * 3;
    let raw = img.as_raw();
    let px = |x: i64, y: i64| -> [f32; 3] {
        if x < 0 || y < 0 || x >= iw || y >= ih {
            [0.0; 3]
        } else {
            let o = y as usize * stride + x as usize * 3;
            [
                f32::from(raw[o]),
                f32::from(raw[o + 1]),
                f32::from(raw[o + 2]),
            ]
        }
    };
    for (y, row) in out
        .as_mut()
        .chunks_exact_mut(width as usize * 3)
        .enumerate()
    {
        let yf = y as f32;
        for (x, d) in row.chunks_exact_mut(3).enumerate() {
            let xf = x as f32;
            let sx = i[0] * xf + i[1] * yf + i[2];
            let sy = i[3] * xf + i[4] * yf + i[5];
            if !sx.is_finite() || !sy.is_finite() {
                continue;
            }
            let (fx0, fy0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - fx0, sy - fy0);
            let (x0, y0) = (fx0 as i64, fy0 as i64);
            if x0 < -1 || y0 < -1 || x0 >= iw || y0 >= ih {
                continue;
            }
            let (p00, p01, p10, p11) = (
                px(x0, y0),
                px(x0 + 1, y0),
                px(x0, y0 + 1),
                px(x0 + 1, y0 + 1),
            );
            for c in 0..3 {
                let top = p00[c] + fx * (p01[c] - p00[c]);
                let bot = p10[c] + fx * (p11[c] - p10[c]);
                let v = top + fy * (bot - top);
                d[c] = v.round_ties_even().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// The similarity that maps `five` onto [`ARCFACE_TEMPLATE`], rounded to
/// f32 as the reference does (its matrix is a float32 array).
pub fn alignment_transform(five: &FivePoints) -> Option<Affine2> {
    let m = umeyama(&five.0, &ARCFACE_TEMPLATE)?;
    Some(Affine2 {
        m: m.m.map(|v| f64::from(v as f32)),
    })
}

/// The 112×112 aligned face: [`alignment_transform`] + [`warp_affine`].
/// `None` when the five points are degenerate (all equal).
pub fn align_face(img: &RgbImage, five: &FivePoints) -> Option<RgbImage> {
    let m = alignment_transform(five)?;
    Some(warp_affine(img, &m, ALIGNED_SIZE, ALIGNED_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umeyama_recovers_a_similarity() {
        let truth = Affine2 {
            m: [0.8, -0.3, 12.0, 0.3, 0.8, -4.0],
        };
        let src: Vec<[f32; 2]> = ARCFACE_TEMPLATE.to_vec();
        let dst: Vec<[f32; 2]> = src
            .iter()
            .map(|p| {
                let q = truth.apply([f64::from(p[0]), f64::from(p[1])]);
                [q[0] as f32, q[1] as f32]
            })
            .collect();
        let m = umeyama(&src, &dst).unwrap();
        for (a, b) in m.m.iter().zip(truth.m) {
            assert!((a - b).abs() < 1e-4, "{:?}", m);
        }
        let inv = m.invert().unwrap();
        let p = inv.apply(m.apply([3.0, 7.0]));
        assert!((p[0] - 3.0).abs() < 1e-9 && (p[1] - 7.0).abs() < 1e-9);
    }

    #[test]
    fn umeyama_matches_the_reference_on_real_points() {
        // fp.umeyama(five, ARCFACE_REF) for the astronaut five points.
        let five = [
            [204.32, 101.01],
            [247.51, 102.85],
            [225.12, 126.97],
            [203.67, 140.16],
            [243.96, 142.09],
        ];
        let m = umeyama(&five, &ARCFACE_TEMPLATE).unwrap();
        let want = [
            0.888_137_9,
            0.049_026,
            -149.741_64,
            -0.049_026,
            0.888_137_9,
            -25.972_404,
        ];
        for (a, b) in m.m.iter().zip(want) {
            assert!((a - b).abs() < 1e-3, "{:?}", m.m);
        }
    }

    #[test]
    fn degenerate_points_give_none() {
        assert!(umeyama(&[[1.0, 1.0]; 5], &ARCFACE_TEMPLATE).is_none());
        assert!(umeyama(&[[1.0, 1.0]], &[[2.0, 2.0]]).is_none());
    }

    #[test]
    fn identity_warp_copies_and_border_is_black() {
        let img = RgbImage::from_fn(20, 10, |x, y| image::Rgb([x as u8 * 10, y as u8 * 20, 7]));
        let id = Affine2 {
            m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        };
        let out = warp_affine(&img, &id, 20, 10);
        assert_eq!(out, img);
        let shift = Affine2 {
            m: [1.0, 0.0, 5.0, 0.0, 1.0, 0.0],
        };
        let out = warp_affine(&img, &shift, 20, 10);
        assert_eq!(out.get_pixel(2, 3).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(7, 3).0, img.get_pixel(2, 3).0);
    }
}
