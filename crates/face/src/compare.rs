//! Comparing two embeddings: raw cosine, a score in `[0, 1]`, and a
//! decision at a chosen false-match rate.
//!
//! # Thresholds
//!
//! Measured on the 176-image development set (FACE_MODELS.md §5, 15,400
//! pairs): impostor cosines have p99 = 0.24 and p99.9 = 0.31. So
//!
//! | [`FalseMatchRate`] | cosine threshold | score threshold |
//! |---|---|---|
//! | `OneInHundred` (≈ 1 %) | 0.24 | 0.40 |
//! | `OneInThousand` (≈ 0.1 %) | 0.31 | 0.50 |
//!
//! These are starting values from web photos of public figures; recalibrate
//! them on in-domain data (ID portrait vs live selfie) before relying on the
//! rates.
//!
//! # Score
//!
//! [`cosine_to_score`] is a monotone piecewise-linear map through these
//! anchor points (linear in between):
//!
//! | cosine | ≤ 0 | 0.24 | 0.31 | 0.50 | ≥ 0.80 |
//! |---|---|---|---|---|---|
//! | score | 0.0 | 0.40 | 0.50 | 0.80 | 1.0 |
//!
//! so `score ≥ 0.5` ⇔ `cosine ≥ 0.31` (false-match rate ≈ 0.1 %) and
//! `score ≥ 0.4` ⇔ `cosine ≥ 0.24` (≈ 1 %). Unrelated faces (cosine
//! 0.01 ± 0.1) score below 0.2; typical genuine pairs (cosine 0.72 ± 0.09)
//! score 0.9-1.0; a low-resolution ID portrait against a selfie (cosine
//! ≈ 0.5) scores ≈ 0.8. The score is a readable rescaling, not a
//! probability.

use crate::embed::Embedding;
use serde::{Deserialize, Serialize};

/// Decision operating point, named by its nominal false-match rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FalseMatchRate {
    /// ≈ 1 % of impostor pairs accepted (cosine ≥ 0.24).
    OneInHundred,
    /// ≈ 0.1 % of impostor pairs accepted (cosine ≥ 0.31).
    #[default]
    OneInThousand,
}

impl FalseMatchRate {
    /// The cosine threshold of this operating point.
    pub fn cosine_threshold(self) -> f32 {
        match self {
            FalseMatchRate::OneInHundred => 0.24,
            FalseMatchRate::OneInThousand => 0.31,
        }
    }

    /// The nominal false-match rate as a fraction (0.01 or 0.001).
    pub fn rate(self) -> f64 {
        match self {
            FalseMatchRate::OneInHundred => 0.01,
            FalseMatchRate::OneInThousand => 0.001,
        }
    }
}

/// The outcome of comparing two faces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// Cosine similarity of the embeddings, `[-1, 1]`.
    pub cosine: f32,
    /// [`cosine_to_score`] of `cosine`, `[0, 1]`.
    pub score: f32,
    /// The cosine threshold used for the decision.
    pub threshold: f32,
    /// The score threshold equivalent to `threshold` (0.4 or 0.5).
    pub score_threshold: f32,
    /// The operating point used.
    pub false_match_rate: FalseMatchRate,
    /// `cosine >= threshold`.
    pub is_match: bool,
}

const ANCHORS: [(f32, f32); 5] = [
    (0.0, 0.0),
    (0.24, 0.40),
    (0.31, 0.50),
    (0.50, 0.80),
    (0.80, 1.0),
];

/// Maps a cosine similarity to a score in `[0, 1]` (see the module docs
/// for the anchor table). Monotone non-decreasing; NaN maps to 0.
pub fn cosine_to_score(cosine: f32) -> f32 {
    if cosine.is_nan() || cosine <= ANCHORS[0].0 {
        return 0.0;
    }
    for w in ANCHORS.windows(2) {
        let ((c0, s0), (c1, s1)) = (w[0], w[1]);
        if cosine <= c1 {
            return s0 + (cosine - c0) / (c1 - c0) * (s1 - s0);
        }
    }
    1.0
}

/// Compares two embeddings at an operating point.
pub fn compare(a: &Embedding, b: &Embedding, far: FalseMatchRate) -> MatchResult {
    let cosine = a.cosine(b);
    let threshold = far.cosine_threshold();
    MatchResult {
        cosine,
        score: cosine_to_score(cosine),
        threshold,
        score_threshold: cosine_to_score(threshold),
        false_match_rate: far,
        is_match: cosine >= threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_passes_through_the_anchors() {
        for (c, s) in ANCHORS {
            assert!((cosine_to_score(c) - s).abs() < 1e-6, "{c}");
        }
        assert_eq!(cosine_to_score(-0.7), 0.0);
        assert_eq!(cosine_to_score(1.0), 1.0);
        assert_eq!(cosine_to_score(f32::NAN), 0.0);
        assert!((cosine_to_score(0.275) - 0.45).abs() < 1e-6);
    }

    #[test]
    fn score_is_monotone_and_bounded() {
        let mut prev = 0.0;
        for i in -1000..=1000 {
            let s = cosine_to_score(i as f32 / 1000.0);
            assert!((0.0..=1.0).contains(&s));
            assert!(s >= prev);
            prev = s;
        }
    }

    #[test]
    fn score_thresholds_agree_with_cosine_thresholds() {
        for far in [FalseMatchRate::OneInHundred, FalseMatchRate::OneInThousand] {
            let t = far.cosine_threshold();
            let st = cosine_to_score(t);
            assert!(cosine_to_score(t - 1e-3) < st && cosine_to_score(t + 1e-3) > st);
        }
        assert!((cosine_to_score(0.31) - 0.5).abs() < 1e-6);
        assert!((cosine_to_score(0.24) - 0.4).abs() < 1e-6);
    }
}
