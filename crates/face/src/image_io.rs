//! Image decoding with limits checked before the pixel buffer is allocated,
//! and with the EXIF orientation applied.

use crate::error::{FaceError, Limit};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use serde::{Deserialize, Serialize};
use std::io::{Cursor, Read};
use std::path::Path;

/// Limits for decoding untrusted images. Every limit is checked from the
/// file size and the header, before the decoder allocates the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeLimits {
    /// Largest accepted encoded size in bytes.
    pub max_bytes: u64,
    /// Largest accepted width in pixels (checked as stored and after EXIF rotation).
    pub max_width: u32,
    /// Largest accepted height in pixels (checked as stored and after EXIF rotation).
    pub max_height: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    /// 32 MiB, 12 000 px per side, 40 megapixels (120 MB of RGB): above any
    /// phone camera, far below what would exhaust a server.
    fn default() -> Self {
        Self {
            max_bytes: 32 << 20,
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 40_000_000,
        }
    }
}

impl DecodeLimits {
    fn check_dims(&self, w: u32, h: u32) -> Result<(), FaceError> {
        let too_large = |what, actual: u64, limit: u64| FaceError::ImageTooLarge {
            what,
            actual,
            limit,
        };
        if w > self.max_width {
            return Err(too_large(Limit::Width, w.into(), self.max_width.into()));
        }
        if h > self.max_height {
            return Err(too_large(Limit::Height, h.into(), self.max_height.into()));
        }
        let pixels = u64::from(w) * u64::from(h);
        if pixels > self.max_pixels {
            return Err(too_large(Limit::Pixels, pixels, self.max_pixels));
        }
        Ok(())
    }
}

fn decode_err(e: impl std::fmt::Display) -> FaceError {
    FaceError::Decode(e.to_string())
}

/// Decodes a PNG, JPEG or WebP (the format is sniffed from the content) to RGB,
/// honouring the EXIF orientation.
///
/// The byte count, the stored dimensions and the dimensions after EXIF
/// rotation are checked against `limits` before any pixel is allocated;
/// the decoder also gets an allocation cap derived from them. Gray, alpha
/// and 16-bit images are converted to 8-bit RGB (alpha is dropped).
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, FaceError> {
    let len = bytes.len() as u64;
    if len > limits.max_bytes {
        return Err(FaceError::ImageTooLarge {
            what: Limit::Bytes,
            actual: len,
            limit: limits.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(FaceError::Decode("empty input".into()));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_err)?;
    if reader.format().is_none() {
        return Err(FaceError::Decode("unknown image format".into()));
    }
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    let (w, h) = decoder.dimensions();
    limits.check_dims(w, h)?;
    if w == 0 || h == 0 {
        return Err(FaceError::Decode(format!("image has no pixels ({w}x{h})")));
    }
    // A broken EXIF block must not make a good image unreadable.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (ow, oh) = oriented_dims(orientation, w, h);
    limits.check_dims(ow, oh)?;
    // The decoder's own cap: the output buffer (at most 8 bytes per pixel
    // for 16-bit RGBA) plus the same again for its working memory.
    let mut dec_limits = image::Limits::default();
    dec_limits.max_image_width = Some(limits.max_width.max(limits.max_height));
    dec_limits.max_image_height = Some(limits.max_width.max(limits.max_height));
    dec_limits.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(1 << 20));
    decoder.set_limits(dec_limits).map_err(decode_err)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// Reads and decodes an image file with [`decode_image`]; the file size is
/// checked before it is read.
pub fn load_image(path: &Path, limits: &DecodeLimits) -> Result<RgbImage, FaceError> {
    let file = std::fs::File::open(path)
        .map_err(|e| FaceError::Decode(format!("{}: {e}", path.display())))?;
    let len = file
        .metadata()
        .map_err(|e| FaceError::Decode(format!("{}: {e}", path.display())))?
        .len();
    if len > limits.max_bytes {
        return Err(FaceError::ImageTooLarge {
            what: Limit::Bytes,
            actual: len,
            limit: limits.max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FaceError::Decode(format!("{}: {e}", path.display())))?;
    decode_image(&bytes, limits)
}

fn oriented_dims(o: image::metadata::Orientation, w: u32, h: u32) -> (u32, u32) {
    use image::metadata::Orientation::*;
    match o {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (h, w),
        _ => (w, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_a_small_png() {
        let img = decode_image(&png_bytes(7, 5), &DecodeLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (7, 5));
        assert_eq!(img.get_pixel(3, 3).0, [10, 20, 30]);
    }

    #[test]
    fn each_limit_is_enforced() {
        let bytes = png_bytes(40, 30);
        let base = DecodeLimits::default();
        let cases = [
            (
                DecodeLimits {
                    max_bytes: 10,
                    ..base
                },
                Limit::Bytes,
            ),
            (
                DecodeLimits {
                    max_width: 39,
                    ..base
                },
                Limit::Width,
            ),
            (
                DecodeLimits {
                    max_height: 29,
                    ..base
                },
                Limit::Height,
            ),
            (
                DecodeLimits {
                    max_pixels: 1199,
                    ..base
                },
                Limit::Pixels,
            ),
        ];
        for (limits, want) in cases {
            match decode_image(&bytes, &limits) {
                Err(FaceError::ImageTooLarge { what, .. }) => assert_eq!(what, want),
                other => panic!("{want:?}: {other:?}"),
            }
        }
        assert!(decode_image(
            &bytes,
            &DecodeLimits {
                max_pixels: 1200,
                ..base
            }
        )
        .is_ok());
    }

    #[test]
    fn garbage_and_empty_are_decode_errors() {
        let limits = DecodeLimits::default();
        assert!(matches!(
            decode_image(b"", &limits),
            Err(FaceError::Decode(_))
        ));
        assert!(matches!(
            decode_image(b"hello, this is not an image at all", &limits),
            Err(FaceError::Decode(_))
        ));
    }
}
