//! Verification metrics and the cross-quality degradation, for evaluation
//! tools (`kyc eval face`).
//!
//! [`verification_metrics`] is a port of `reference/metrics.py`, which
//! matches scikit-learn's ROC: the ROC has one point per distinct score
//! (ties grouped), TAR at FAR is the highest TPR among points with
//! FPR ≤ FAR (`None` when FAR × impostors < 1), EER is `(FNR + FPR) / 2` at
//! the point where `|FNR − FPR|` is smallest, AUC is Mann-Whitney with ties
//! counted ½.

use crate::error::FaceError;
use crate::ops::resize_area;
use crate::pipeline::FaceModels;
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Verification accuracy over a list of scored pairs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VerificationMetrics {
    /// Number of genuine (same-person) pairs.
    pub n_genuine: usize,
    /// Number of impostor pairs.
    pub n_impostor: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Equal error rate.
    pub eer: f64,
    /// Score threshold at the EER point.
    pub eer_threshold: f64,
    /// TAR at FAR ≤ 1 % (`None` with fewer than 100 impostor pairs).
    pub tar_at_far_1e2: Option<f64>,
    /// Threshold of that point.
    pub threshold_at_far_1e2: Option<f64>,
    /// TAR at FAR ≤ 0.1 % (`None` with fewer than 1000 impostor pairs).
    pub tar_at_far_1e3: Option<f64>,
    /// Threshold of that point.
    pub threshold_at_far_1e3: Option<f64>,
    /// Mean genuine score.
    pub genuine_mean: f64,
    /// Lowest genuine score.
    pub genuine_min: f64,
    /// Mean impostor score.
    pub impostor_mean: f64,
    /// Highest impostor score.
    pub impostor_max: f64,
}

/// ROC points `(fpr, tpr, threshold)` at every distinct score, from the
/// highest threshold (`+inf`, the origin) down, like `sklearn.metrics.roc_curve`
/// with `drop_intermediate=False`. `pairs` = `(score, same)`.
pub fn roc(pairs: &[(f64, bool)]) -> Vec<(f64, f64, f64)> {
    let mut v: Vec<(f64, bool)> = pairs.to_vec();
    // Stable sort by descending score.
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let p = v.iter().filter(|x| x.1).count().max(1) as f64;
    let n = v.iter().filter(|x| !x.1).count().max(1) as f64;
    let mut out = vec![(0.0, 0.0, f64::INFINITY)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (i, &(s, same)) in v.iter().enumerate() {
        if same {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_group = i + 1 == v.len() || v[i + 1].0 != s;
        if last_of_group {
            out.push((fp as f64 / n, tp as f64 / p, s));
        }
    }
    out
}

/// Mann-Whitney AUC with average ranks for ties (= `roc_auc_score`).
fn auc(pairs: &[(f64, bool)]) -> f64 {
    let mut idx: Vec<usize> = (0..pairs.len()).collect();
    idx.sort_by(|&a, &b| pairs[a].0.total_cmp(&pairs[b].0));
    let mut ranks = vec![0f64; pairs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && pairs[idx[j]].0 == pairs[idx[i]].0 {
            j += 1;
        }
        // Ranks i+1 ..= j share their mean.
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    let n1 = pairs.iter().filter(|p| p.1).count() as f64;
    let n0 = pairs.len() as f64 - n1;
    let rsum: f64 = pairs
        .iter()
        .zip(&ranks)
        .filter(|(p, _)| p.1)
        .map(|(_, r)| r)
        .sum();
    (rsum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// Metrics of `(score, same)` pairs; `None` when there is no genuine or no
/// impostor pair, or a score is NaN.
pub fn verification_metrics(pairs: &[(f64, bool)]) -> Option<VerificationMetrics> {
    if pairs.iter().any(|p| p.0.is_nan()) {
        return None;
    }
    let n_genuine = pairs.iter().filter(|p| p.1).count();
    let n_impostor = pairs.len() - n_genuine;
    if n_genuine == 0 || n_impostor == 0 {
        return None;
    }
    let curve = roc(pairs);
    let tar_at = |far: f64| -> (Option<f64>, Option<f64>) {
        if (n_impostor as f64) * far < 1.0 {
            return (None, None);
        }
        match curve.iter().rev().find(|c| c.0 <= far) {
            Some(c) => (Some(c.1), Some(c.2)),
            None => (None, None),
        }
    };
    let (tar2, thr2) = tar_at(0.01);
    let (tar3, thr3) = tar_at(0.001);
    let mut best = 0;
    let mut best_gap = f64::INFINITY;
    for (i, c) in curve.iter().enumerate() {
        let gap = ((1.0 - c.1) - c.0).abs();
        if gap < best_gap {
            best_gap = gap;
            best = i;
        }
    }
    let (fpr, tpr, thr) = curve[best];
    let gen: Vec<f64> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
    let imp: Vec<f64> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    Some(VerificationMetrics {
        n_genuine,
        n_impostor,
        auc: auc(pairs),
        eer: ((1.0 - tpr) + fpr) / 2.0,
        eer_threshold: thr,
        tar_at_far_1e2: tar2,
        threshold_at_far_1e2: thr2,
        tar_at_far_1e3: tar3,
        threshold_at_far_1e3: thr3,
        genuine_mean: mean(&gen),
        genuine_min: gen.iter().copied().fold(f64::INFINITY, f64::min),
        impostor_mean: mean(&imp),
        impostor_max: imp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The cross-quality degradation of FACE_MODELS.md §5: a probe that looks
/// like an ID-card portrait.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrossQuality {
    /// Height of the largest face's detector box after shrinking, pixels.
    pub face_height: f32,
    /// JPEG quality of the re-encode (1-100).
    pub jpeg_quality: u8,
}

impl Default for CrossQuality {
    /// 48 px face box, JPEG quality 40.
    fn default() -> Self {
        Self {
            face_height: 48.0,
            jpeg_quality: 40,
        }
    }
}

/// Encodes `img` as JPEG at `quality` and decodes it again.
pub fn jpeg_roundtrip(img: &RgbImage, quality: u8) -> Result<RgbImage, FaceError> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100))
        .encode_image(img)
        .map_err(|e| FaceError::Decode(format!("JPEG encoding failed: {e}")))?;
    let dec = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .map_err(|e| FaceError::Decode(e.to_string()))?;
    Ok(dec.into_rgb8())
}

/// Shrinks `img` (pixel-area averaging) so that the largest detected face
/// box is `cq.face_height` pixels high, then JPEG re-encodes it. Images
/// whose face is already that small are only re-encoded.
pub fn degrade_cross_quality(
    models: &FaceModels,
    img: &RgbImage,
    cq: &CrossQuality,
) -> Result<RgbImage, FaceError> {
    let faces = models.detect(img)?;
    let face = faces.first().ok_or(FaceError::NoFace)?;
    let h = face.bbox.height();
    let scale = if h > cq.face_height {
        f64::from(cq.face_height / h)
    } else {
        1.0
    };
    let w = ((f64::from(img.width()) * scale).round() as u32).max(1);
    let hh = ((f64::from(img.height()) * scale).round() as u32).max(1);
    let small = if scale < 1.0 {
        resize_area(img, w, hh)
    } else {
        img.clone()
    };
    jpeg_roundtrip(&small, cq.jpeg_quality)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_separation() {
        let pairs = [(0.9, true), (0.8, true), (0.1, false), (0.2, false)];
        let m = verification_metrics(&pairs).unwrap();
        assert_eq!(m.auc, 1.0);
        assert_eq!(m.eer, 0.0);
        assert_eq!(m.tar_at_far_1e2, None); // 2 impostors: FAR 1 % not measurable
    }

    #[test]
    fn matches_sklearn_on_a_small_case() {
        // sklearn: roc_auc_score([1,0,1,1,0,0,1,0], [.9,.8,.7,.6,.55,.5,.4,.3]) = 11/16
        let s = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3];
        let y = [true, false, true, true, false, false, true, false];
        let pairs: Vec<(f64, bool)> = s.iter().copied().zip(y).collect();
        let m = verification_metrics(&pairs).unwrap();
        assert!((m.auc - 0.6875).abs() < 1e-12);
        // ROC: (0,.25) (.25,.25) (.25,.5) (.25,.75) (.5,.75) (.75,.75) (.75,1) (1,1)
        let r = roc(&pairs);
        assert_eq!(r.len(), 9);
        assert_eq!((r[4].0, r[4].1), (0.25, 0.75));
        // EER: |fnr - fpr| smallest at (.25,.75): 0.25.
        assert!((m.eer - 0.25).abs() < 1e-12);
        assert_eq!(m.eer_threshold, 0.6);
    }

    #[test]
    fn ties_count_half() {
        let pairs = [(0.5, true), (0.5, false)];
        let m = verification_metrics(&pairs).unwrap();
        assert!((m.auc - 0.5).abs() < 1e-12);
        assert_eq!(roc(&pairs).len(), 2);
    }

    #[test]
    fn tar_at_far_uses_the_last_point_within_the_rate() {
        // 100 impostors at 0..0.99 (step 0.01), 10 genuine at 0.999, 0.997 .. 0.981.
        let mut pairs: Vec<(f64, bool)> = (0..100).map(|i| (i as f64 / 100.0, false)).collect();
        for i in 0..10 {
            pairs.push((0.999 - i as f64 * 0.002, true));
        }
        let m = verification_metrics(&pairs).unwrap();
        // FAR 1 % allows the impostor at 0.99: genuines above 0.98 -> all 10.
        assert_eq!(m.tar_at_far_1e2, Some(1.0));
        assert_eq!(m.tar_at_far_1e3, None);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(verification_metrics(&[]).is_none());
        assert!(verification_metrics(&[(0.5, true)]).is_none());
        assert!(verification_metrics(&[(f64::NAN, true), (0.1, false)]).is_none());
    }

    #[test]
    fn jpeg_roundtrip_keeps_size() {
        let img = RgbImage::from_fn(33, 17, |x, y| image::Rgb([x as u8 * 7, y as u8 * 13, 90]));
        let out = jpeg_roundtrip(&img, 40).unwrap();
        assert_eq!(out.dimensions(), (33, 17));
    }
}
