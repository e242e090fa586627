//! Pixel operations with the exact arithmetic of the reference (OpenCV as
//! called by `fp.py`), so that model inputs match it bit for bit.
//!
//! * [`resize_bilinear`]: `cv2.resize(..., INTER_LINEAR)` on 8-bit images:
//!   half-pixel centres, no antialiasing, 11-bit fixed-point weights.
//! * [`resize_area`]: pixel-area averaging (`INTER_AREA`) for shrinking.
//! * gray conversion: `COLOR_RGB2GRAY` (15-bit fixed point, true luma) and
//!   the channel-swapped variant the faceplugin JS computes.

use image::RgbImage;

/// An integer pixel rectangle, `x..x+w` × `y..y+h`, inside an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    /// The rectangle clipped to a `width` × `height` image; `None` if empty.
    pub fn clipped(x0: i64, y0: i64, x1: i64, y1: i64, width: u32, height: u32) -> Option<Rect> {
        let x0 = x0.clamp(0, i64::from(width));
        let y0 = y0.clamp(0, i64::from(height));
        let x1 = x1.clamp(0, i64::from(width));
        let y1 = y1.clamp(0, i64::from(height));
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        Some(Rect {
            x: x0 as u32,
            y: y0 as u32,
            w: (x1 - x0) as u32,
            h: (y1 - y0) as u32,
        })
    }

    /// The whole image.
    pub fn full(img: &RgbImage) -> Rect {
        Rect {
            x: 0,
            y: 0,
            w: img.width(),
            h: img.height(),
        }
    }
}

/// Gray conversion used before a gray-input model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrayMode {
    /// True luma, 0.299 R + 0.587 G + 0.114 B.
    #[default]
    TrueLuma,
    /// What the faceplugin JS computes (`COLOR_BGR2GRAY` on an RGBA canvas):
    /// 0.114 R + 0.587 G + 0.299 B.
    Swapped,
}

/// Channel order of a colour model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red.
    Bgr,
}

impl ChannelOrder {
    /// Index into an RGB pixel of the value fed as input channel `c`.
    #[inline]
    pub(crate) fn source(self, c: usize) -> usize {
        match self {
            ChannelOrder::Rgb => c,
            ChannelOrder::Bgr => 2 - c,
        }
    }
}

/// OpenCV's 8-bit RGB→gray: 15-bit fixed-point coefficients, rounded.
#[inline]
pub(crate) fn gray(p: [u8; 3], mode: GrayMode) -> u8 {
    let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
    let v = match mode {
        GrayMode::TrueLuma => r * 9798 + g * 19235 + b * 3735,
        GrayMode::Swapped => b * 9798 + g * 19235 + r * 3735,
    };
    ((v + (1 << 14)) >> 15) as u8
}

/// Source index and 11-bit weights of each destination column (OpenCV
/// `INTER_LINEAR`: the coordinate and weight are computed in `f32`, clamped
/// at the borders).
fn linear_taps(dst: u32, src: u32, clamp_weight: bool) -> Vec<(u32, u32, i32, i32)> {
    let scale = f64::from(src) / f64::from(dst);
    let last = i64::from(src) - 1;
    (0..dst)
        .map(|d| {
            let fx = ((f64::from(d) + 0.5) * scale - 0.5) as f32;
            let s = fx.floor();
            let mut f = fx - s;
            let mut s = s as i64;
            if clamp_weight {
                if s < 0 {
                    f = 0.0;
                    s = 0;
                }
                if s >= last {
                    f = 0.0;
                    s = last;
                }
            }
            let s0 = s.clamp(0, last) as u32;
            let s1 = (s + 1).clamp(0, last) as u32;
            let a0 = ((1.0 - f) * 2048.0).round_ties_even() as i32;
            let a1 = (f * 2048.0).round_ties_even() as i32;
            (s0, s1, a0, a1)
        })
        .collect()
}

/// Bilinear resize of `rect` of `img` to `dw` × `dh`, interleaved RGB.
/// Bit-exact with `cv2.resize(img[y:y+h, x:x+w], (dw, dh))` (checked on
/// random images for up- and down-scaling).
pub(crate) fn resize_region(img: &RgbImage, rect: Rect, dw: u32, dh: u32) -> Vec<u8> {
    resize_padded(
        img,
        i64::from(rect.x),
        i64::from(rect.y),
        rect.w,
        rect.h,
        dw,
        dh,
    )
}

/// Like [`resize_region`] for a `w` × `h` source rectangle at `(x, y)` that
/// may extend past the image: pixels outside it are black (a zero-padded
/// crop), without materialising the padded crop.
pub(crate) fn resize_padded(
    img: &RgbImage,
    x: i64,
    y: i64,
    w: u32,
    h: u32,
    dw: u32,
    dh: u32,
) -> Vec<u8> {
    let (dw_us, dh_us) = (dw as usize, dh as usize);
    let mut out = vec![0u8; dw_us * dh_us * 3];
    if dw == 0 || dh == 0 || w == 0 || h == 0 {
        return out;
    }
    let xt = linear_taps(dw, w, true);
    let yt = linear_taps(dh, h, false);
    let (iw, ih) = (i64::from(img.width()), i64::from(img.height()));
    let inside = x >= 0 && y >= 0 && x + i64::from(w) <= iw && y + i64::from(h) <= ih;
    let stride = img.width() as usize * 3;
    let raw = img.as_raw();
    let hrow = |sy: u32, buf: &mut Vec<i32>| {
        buf.clear();
        let yy = y + i64::from(sy);
        if inside {
            let row_start = yy as usize * stride + x as usize * 3;
            let row = &raw[row_start..row_start + w as usize * 3];
            for &(s0, s1, a0, a1) in &xt {
                let (i0, i1) = (s0 as usize * 3, s1 as usize * 3);
                for c in 0..3 {
                    buf.push(i32::from(row[i0 + c]) * a0 + i32::from(row[i1 + c]) * a1);
                }
            }
        } else {
            let px = |sx: u32, c: usize| -> i32 {
                let xx = x + i64::from(sx);
                if yy < 0 || yy >= ih || xx < 0 || xx >= iw {
                    0
                } else {
                    i32::from(raw[yy as usize * stride + xx as usize * 3 + c])
                }
            };
            for &(s0, s1, a0, a1) in &xt {
                for c in 0..3 {
                    buf.push(px(s0, c) * a0 + px(s1, c) * a1);
                }
            }
        }
    };
    let (mut r0_buf, mut r1_buf) = (Vec::with_capacity(dw_us * 3), Vec::with_capacity(dw_us * 3));
    let (mut r0_idx, mut r1_idx) = (u32::MAX, u32::MAX);
    for (dy, &(sy0, sy1, b0, b1)) in yt.iter().enumerate() {
        if r0_idx != sy0 {
            if r1_idx == sy0 {
                std::mem::swap(&mut r0_buf, &mut r1_buf);
                std::mem::swap(&mut r0_idx, &mut r1_idx);
            } else {
                hrow(sy0, &mut r0_buf);
                r0_idx = sy0;
            }
        }
        if r1_idx != sy1 {
            hrow(sy1, &mut r1_buf);
            r1_idx = sy1;
        }
        let dst = &mut out[dy * dw_us * 3..(dy + 1) * dw_us * 3];
        for ((d, &s0), &s1) in dst.iter_mut().zip(&r0_buf).zip(&r1_buf) {
            // OpenCV's SIMD vertical pass (VResizeLinearVec_32s8u).
            let v = (((b0 * (s0 >> 4)) >> 16) + ((b1 * (s1 >> 4)) >> 16) + 2) >> 2;
            *d = v.clamp(0, 255) as u8;
        }
    }
    out
}

/// Bilinear resize of a whole image (`cv2.resize(..., INTER_LINEAR)`:
/// half-pixel centres, no antialiasing). Returns a 1×1 black image when a
/// dimension is 0.
pub fn resize_bilinear(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (w, h) = (width.max(1), height.max(1));
    if img.width() == 0 || img.height() == 0 {
        return RgbImage::new(w, h);
    }
    let data = resize_region(img, Rect::full(img), w, h);
    RgbImage::from_raw(w, h, data).unwrap_or_else(|| RgbImage::new(w, h))
}

/// Source spans of each destination pixel for area averaging: (first source
/// index, weights). Weights sum to 1.
fn area_taps(dst: u32, src: u32) -> Vec<(usize, Vec<f32>)> {
    let scale = f64::from(src) / f64::from(dst);
    (0..dst)
        .map(|d| {
            let a = f64::from(d) * scale;
            let b = (f64::from(d) + 1.0) * scale;
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).min(src as usize).max(first + 1);
            let w = (first..last)
                .map(|i| {
                    let lo = a.max(i as f64);
                    let hi = b.min(i as f64 + 1.0);
                    ((hi - lo).max(0.0) / scale) as f32
                })
                .collect();
            (first, w)
        })
        .collect()
}

/// Shrinks an image by pixel-area averaging (`INTER_AREA`), the usual
/// choice for downscaling; enlarging falls back to [`resize_bilinear`].
pub fn resize_area(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (w, h) = (width.max(1), height.max(1));
    if img.width() == 0 || img.height() == 0 {
        return RgbImage::new(w, h);
    }
    if w > img.width() || h > img.height() {
        return resize_bilinear(img, w, h);
    }
    let xt = area_taps(w, img.width());
    let yt = area_taps(h, img.height());
    let sw = img.width() as usize;
    let raw = img.as_raw();
    // Horizontal pass: every source row to `w` columns, f32.
    let mut tmp = vec![0f32; img.height() as usize * w as usize * 3];
    for (y, trow) in tmp.chunks_exact_mut(w as usize * 3).enumerate() {
        let row = &raw[y * sw * 3..(y + 1) * sw * 3];
        for (x, (first, ws)) in xt.iter().enumerate() {
            let mut acc = [0f32; 3];
            for (k, &wk) in ws.iter().enumerate() {
                let i = (first + k) * 3;
                for c in 0..3 {
                    acc[c] += wk * f32::from(row[i + c]);
                }
            }
            trow[x * 3..x * 3 + 3].copy_from_slice(&acc);
        }
    }
    let mut out = RgbImage::new(w, h);
    let wr = w as usize * 3;
    for (y, (first, ws)) in yt.iter().enumerate() {
        let dst = &mut out.as_mut()[y * wr..(y + 1) * wr];
        for (i, d) in dst.iter_mut().enumerate() {
            let mut acc = 0f32;
            for (k, &wk) in ws.iter().enumerate() {
                acc += wk * tmp[(first + k) * wr + i];
            }
            *d = acc.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        RgbImage::from_fn(w, h, |_, _| {
            let mut px = [0u8; 3];
            for c in &mut px {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                *c = (s >> 24) as u8;
            }
            image::Rgb(px)
        })
    }

    #[test]
    fn identity_resize_copies() {
        let img = noise(13, 9, 1);
        assert_eq!(resize_bilinear(&img, 13, 9), img);
    }

    #[test]
    fn resize_matches_opencv_on_a_known_case() {
        // cv2.resize(np.array([[0, 100], [200, 255]], uint8), (4, 4)) in every channel
        let img = RgbImage::from_fn(2, 2, |x, y| {
            let v = [[0u8, 100], [200, 255]][y as usize][x as usize];
            image::Rgb([v, v, v])
        });
        let out = resize_bilinear(&img, 4, 4);
        let got: Vec<u8> = out.pixels().map(|p| p.0[0]).collect();
        assert_eq!(
            got,
            vec![0, 25, 75, 100, 50, 72, 117, 139, 150, 167, 200, 216, 200, 214, 241, 255]
        );
    }

    #[test]
    fn constant_images_stay_constant() {
        let img = RgbImage::from_pixel(37, 23, image::Rgb([7, 130, 255]));
        for (w, h) in [(320, 240), (5, 3), (64, 64)] {
            assert!(resize_bilinear(&img, w, h)
                .pixels()
                .all(|p| p.0 == [7, 130, 255]));
            assert!(resize_area(&img, w.min(37), h.min(23))
                .pixels()
                .all(|p| p.0 == [7, 130, 255]));
        }
    }

    #[test]
    fn area_halving_averages_blocks() {
        let img = RgbImage::from_fn(4, 2, |x, _| image::Rgb([(x * 10) as u8, 0, 0]));
        let out = resize_area(&img, 2, 1);
        assert_eq!(out.get_pixel(0, 0).0[0], 5);
        assert_eq!(out.get_pixel(1, 0).0[0], 25);
    }

    #[test]
    fn gray_weights() {
        assert_eq!(gray([255, 0, 0], GrayMode::TrueLuma), 76);
        assert_eq!(gray([255, 0, 0], GrayMode::Swapped), 29);
        assert_eq!(gray([255, 255, 255], GrayMode::TrueLuma), 255);
    }
}
