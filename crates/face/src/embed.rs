//! Face embeddings with `fr_feature` (MobileFaceNet, 512-d).
//!
//! Input: the 112×112 aligned face in **BGR** order, `(x - 127) / 128`
//! (the faceplugin JS feeds RGB, which costs accuracy: FACE_MODELS.md §3).
//! The raw output (norm ≈ 3-4) is L2-normalised.

use crate::error::FaceError;
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

/// Length of an embedding.
pub const EMBEDDING_DIM: usize = 512;

/// An L2-normalised 512-d face embedding. Cosine similarity of two
/// embeddings is their dot product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct Embedding {
    values: Vec<f32>,
}

impl Embedding {
    /// Normalises a raw 512-d vector. `None` if the length is wrong, a value
    /// is not finite or the norm is 0.
    pub fn from_raw(mut values: Vec<f32>) -> Option<Self> {
        if values.len() != EMBEDDING_DIM || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm.is_nan() || norm <= 0.0 || !norm.is_finite() {
            return None;
        }
        values.iter_mut().for_each(|v| *v /= norm);
        Some(Self { values })
    }

    /// The 512 values (unit norm).
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// Cosine similarity in `[-1, 1]`.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        let dot: f32 = self
            .values
            .iter()
            .zip(&other.values)
            .map(|(a, b)| a * b)
            .sum();
        dot.clamp(-1.0, 1.0)
    }
}

impl TryFrom<Vec<f32>> for Embedding {
    type Error = String;
    /// Accepts any non-zero finite 512-d vector and normalises it.
    fn try_from(v: Vec<f32>) -> Result<Self, String> {
        Self::from_raw(v)
            .ok_or_else(|| "an embedding needs 512 finite values with a non-zero norm".to_string())
    }
}

impl From<Embedding> for Vec<f32> {
    fn from(e: Embedding) -> Self {
        e.values
    }
}

/// NCHW BGR `(x - 127) / 128` of a 112×112 RGB face, optionally mirrored.
fn feature_input(face: &RgbImage, flip: bool) -> Vec<f32> {
    let (w, h) = (face.width() as usize, face.height() as usize);
    let plane = w * h;
    let mut out = vec![0f32; plane * 3];
    let raw = face.as_raw();
    for y in 0..h {
        for x in 0..w {
            let sx = if flip { w - 1 - x } else { x };
            let o = (y * w + sx) * 3;
            let i = y * w + x;
            out[i] = (f32::from(raw[o + 2]) - 127.0) / 128.0;
            out[plane + i] = (f32::from(raw[o + 1]) - 127.0) / 128.0;
            out[2 * plane + i] = (f32::from(raw[o]) - 127.0) / 128.0;
        }
    }
    out
}

/// Raw (unnormalised) `fr_feature` output for an aligned face.
pub(crate) fn raw_embedding(
    session: &ModelSession,
    face: &RgbImage,
    flip: bool,
) -> Result<Vec<f32>, FaceError> {
    if face.dimensions() != (112, 112) {
        return Err(FaceError::InvalidInput(format!(
            "the aligned face must be 112x112, got {}x{}",
            face.width(),
            face.height()
        )));
    }
    let input = feature_input(face, flip);
    let [out] = runner::run(
        session,
        &input,
        [1, 3, 112, 112],
        [("output", EMBEDDING_DIM)],
    )?;
    Ok(out)
}

/// Embedding of an aligned face; with `flip_average` the raw outputs of the
/// face and its mirror image are summed before normalising.
pub(crate) fn embed(
    session: &ModelSession,
    face: &RgbImage,
    flip_average: bool,
) -> Result<Embedding, FaceError> {
    let mut raw = raw_embedding(session, face, false)?;
    if flip_average {
        let flipped = raw_embedding(session, face, true)?;
        raw.iter_mut().zip(flipped).for_each(|(a, b)| *a += b);
    }
    Embedding::from_raw(raw).ok_or_else(|| {
        FaceError::Model(session.inference_error("fr_feature returned a zero vector"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_is_normalised_and_validated() {
        let mut v = vec![0f32; 512];
        v[0] = 3.0;
        v[1] = 4.0;
        let e = Embedding::from_raw(v).unwrap();
        assert!((e.as_slice()[0] - 0.6).abs() < 1e-6);
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert!(Embedding::from_raw(vec![0.0; 512]).is_none());
        assert!(Embedding::from_raw(vec![1.0; 511]).is_none());
        assert!(Embedding::from_raw(vec![f32::NAN; 512]).is_none());
        let json = serde_json::to_string(&e).unwrap();
        let back: Embedding = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert!(serde_json::from_str::<Embedding>("[1.0, 2.0]").is_err());
    }

    #[test]
    fn feature_input_is_bgr_and_flips() {
        let face = RgbImage::from_fn(112, 112, |x, _| image::Rgb([255, 127, x as u8]));
        let a = feature_input(&face, false);
        let plane = 112 * 112;
        assert_eq!(a[0], (0.0 - 127.0) / 128.0); // B of pixel (0, 0)
        assert_eq!(a[plane], 0.0); // G
        assert_eq!(a[2 * plane], 1.0); // R
        let b = feature_input(&face, true);
        assert_eq!(b[0], (111.0 - 127.0) / 128.0);
    }
}
