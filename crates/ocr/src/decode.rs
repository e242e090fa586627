//! Image decoding from untrusted bytes: limits checked from the byte count
//! and the header before any pixel is allocated, EXIF orientation applied.

use crate::error::{Limit, OcrError};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use serde::Serialize;
use std::io::Cursor;

/// Limits for decoding untrusted images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecodeLimits {
    /// Largest accepted encoded size in bytes.
    pub max_bytes: u64,
    /// Largest accepted width or height in pixels.
    pub max_side: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    /// 32 MiB, 12 000 px per side, 40 megapixels: above any phone camera,
    /// far below what would exhaust a server.
    fn default() -> Self {
        Self {
            max_bytes: 32 << 20,
            max_side: 12_000,
            max_pixels: 40_000_000,
        }
    }
}

impl DecodeLimits {
    fn check(&self, w: u32, h: u32) -> Result<(), OcrError> {
        let too_large = |what, actual: u64, limit: u64| OcrError::ImageTooLarge {
            what,
            actual,
            limit,
        };
        if w > self.max_side {
            return Err(too_large(Limit::Width, w.into(), self.max_side.into()));
        }
        if h > self.max_side {
            return Err(too_large(Limit::Height, h.into(), self.max_side.into()));
        }
        let px = u64::from(w) * u64::from(h);
        if px > self.max_pixels {
            return Err(too_large(Limit::Pixels, px, self.max_pixels));
        }
        Ok(())
    }
}

/// Decodes a PNG or JPEG (format sniffed from the content) to 8-bit RGB with
/// the EXIF orientation applied.
///
/// The byte count and the header's dimensions are checked against `limits`
/// before the decoder allocates pixels, and the decoder itself gets an
/// allocation cap. A broken EXIF block is ignored (orientation unchanged).
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, OcrError> {
    let len = bytes.len() as u64;
    if len > limits.max_bytes {
        return Err(OcrError::ImageTooLarge {
            what: Limit::Bytes,
            actual: len,
            limit: limits.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(OcrError::Decode("empty input".into()));
    }
    let err = |e: image::ImageError| OcrError::Decode(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| OcrError::Decode(e.to_string()))?;
    if reader.format().is_none() {
        return Err(OcrError::Decode(
            "unknown image format (PNG or JPEG expected)".into(),
        ));
    }
    let mut decoder = reader.into_decoder().map_err(err)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(OcrError::Decode(format!("image has no pixels ({w}x{h})")));
    }
    limits.check(w, h)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut dec_limits = image::Limits::default();
    dec_limits.max_image_width = Some(limits.max_side);
    dec_limits.max_image_height = Some(limits.max_side);
    dec_limits.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(1 << 20));
    decoder.set_limits(dec_limits).map_err(err)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(err)?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, Rgb([10, 20, 30]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn decodes_png() {
        let img = decode_image(&png(7, 5), &DecodeLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (7, 5));
        assert_eq!(img.get_pixel(3, 3), &Rgb([10, 20, 30]));
    }

    #[test]
    fn rejects_garbage_and_empty() {
        assert!(matches!(
            decode_image(b"", &DecodeLimits::default()),
            Err(OcrError::Decode(_))
        ));
        assert!(matches!(
            decode_image(b"not an image at all", &DecodeLimits::default()),
            Err(OcrError::Decode(_))
        ));
        // A truncated PNG.
        let p = png(50, 50);
        assert!(matches!(
            decode_image(&p[..p.len() / 2], &DecodeLimits::default()),
            Err(OcrError::Decode(_))
        ));
    }

    #[test]
    fn limits_checked_before_decoding() {
        let p = png(100, 80);
        let lim = DecodeLimits {
            max_bytes: 10,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_image(&p, &lim),
            Err(OcrError::ImageTooLarge {
                what: Limit::Bytes,
                ..
            })
        ));
        let lim = DecodeLimits {
            max_side: 90,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_image(&p, &lim),
            Err(OcrError::ImageTooLarge {
                what: Limit::Width,
                ..
            })
        ));
        let lim = DecodeLimits {
            max_pixels: 7999,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_image(&p, &lim),
            Err(OcrError::ImageTooLarge {
                what: Limit::Pixels,
                ..
            })
        ));
    }

    #[test]
    fn huge_header_is_rejected_without_allocating() {
        // A PNG header claiming 100000 x 100000 pixels, no data.
        let mut p = png(1, 1);
        p[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        p[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let r = decode_image(&p, &DecodeLimits::default());
        assert!(
            matches!(
                r,
                Err(OcrError::ImageTooLarge { .. }) | Err(OcrError::Decode(_))
            ),
            "{r:?}"
        );
    }
}
