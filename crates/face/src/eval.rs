//! Verification metrics and the cross-quality degradation, for evaluation
//! tools (`kyc eval face`).
//!
//! [`verification_metrics`] is a port of `reference/metrics.py`, which
//! matches scikit-learn's ROC: the ROC has one point per distinct score
//! (ties grouped), TAR at FAR is the highest TPR among points with
//! FPR ≤ FAR (`None` when FAR × impostors < 1), EER is `(FNR + FPR) / 2` at
//! the point where `|FNR − FPR|` is smallest, AUC is Mann-Whitney with ties
//! counted ½.

use crate::detect::BBox;
use crate::embed::Embedding;
use crate::error::FaceError;
use crate::image_io::{load_image, DecodeLimits};
use crate::ops::resize_area;
use crate::pipeline::FaceModels;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
/// like an ID-card portrait (≈ 80×108 px around a 48 px face, JPEG q40).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrossQuality {
    /// Height of the face's detector box after shrinking, pixels.
    pub face_height: f32,
    /// JPEG quality of the re-encode (1-100).
    pub jpeg_quality: u8,
    /// Crop a 3:4 portrait this many face-box heights high around the face
    /// before shrinking (clipped to the image); `None` shrinks the whole
    /// image.
    pub portrait_height: Option<f32>,
}

impl Default for CrossQuality {
    /// 48 px face box in a portrait 2.25 face heights high (≈ 80×108 px),
    /// JPEG quality 40.
    fn default() -> Self {
        Self {
            face_height: 48.0,
            jpeg_quality: 40,
            portrait_height: Some(2.25),
        }
    }
}

/// Encodes `img` as JPEG at `quality` with 4:2:0 chroma subsampling and
/// IJG quality scaling (what libjpeg, OpenCV and phone cameras write by
/// default; the `image` crate's encoder only writes 4:4:4, which keeps more
/// colour detail and made the cross-quality test easier than the
/// reference's), then decodes it again.
pub fn jpeg_roundtrip(img: &RgbImage, quality: u8) -> Result<RgbImage, FaceError> {
    let (w, h) = (
        u16::try_from(img.width())
            .map_err(|_| FaceError::InvalidInput("image too wide for JPEG".into()))?,
        u16::try_from(img.height())
            .map_err(|_| FaceError::InvalidInput("image too tall for JPEG".into()))?,
    );
    let mut buf = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut buf, quality.clamp(1, 100));
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    // The encoder subsamples by taking one pixel of each 2×2 block; libjpeg averages the
    // block. Give it YCbCr whose chroma is already the block average.
    enc.encode(
        &ycbcr_420_averaged(img),
        w,
        h,
        jpeg_encoder::ColorType::Ycbcr,
    )
    .map_err(|e| FaceError::Decode(format!("JPEG encoding failed: {e}")))?;
    let dec = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .map_err(|e| FaceError::Decode(e.to_string()))?;
    Ok(dec.into_rgb8())
}

/// JFIF YCbCr of `img`, 3 bytes per pixel, with Cb and Cr replaced by their
/// mean over each 2×2 block (libjpeg's `h2v2_downsample`).
fn ycbcr_420_averaged(img: &RgbImage) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut ycc: Vec<[f32; 3]> = img
        .pixels()
        .map(|p| {
            let [r, g, b] = p.0.map(f32::from);
            [
                0.299 * r + 0.587 * g + 0.114 * b,
                128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b,
                128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b,
            ]
        })
        .collect();
    for by in (0..h).step_by(2) {
        for bx in (0..w).step_by(2) {
            let block = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .map(|(dx, dy)| (bx + dx < w && by + dy < h).then(|| (by + dy) * w + bx + dx));
            let n = block.iter().flatten().count() as f32;
            for c in [1usize, 2] {
                let mean = block.iter().flatten().map(|&i| ycc[i][c]).sum::<f32>() / n;
                for &i in block.iter().flatten() {
                    ycc[i][c] = mean;
                }
            }
        }
    }
    ycc.iter()
        .flat_map(|p| p.map(|v| v.round().clamp(0.0, 255.0) as u8))
        .collect()
}

/// Shrinks `img` (pixel-area averaging) so that the face box `face` is
/// `cq.face_height` pixels high, after cropping the portrait around it if
/// `cq.portrait_height` says so, then JPEG re-encodes it. A face already
/// that small is only cropped and re-encoded.
pub fn degrade_face(img: &RgbImage, face: &BBox, cq: &CrossQuality) -> Result<RgbImage, FaceError> {
    let h = face.height();
    if h.is_nan() || h <= 0.0 || img.width() == 0 || img.height() == 0 {
        return Err(FaceError::InvalidInput("empty face box or image".into()));
    }
    let cropped;
    let src = match cq.portrait_height {
        Some(k) if k > 0.0 => {
            let (cx, cy) = face.center();
            let (ph, pw) = (k * h, 0.75 * k * h);
            let x0 = (cx - pw / 2.0).floor().clamp(0.0, img.width() as f32 - 1.0) as u32;
            let y0 = (cy - ph / 2.0)
                .floor()
                .clamp(0.0, img.height() as f32 - 1.0) as u32;
            let x1 = ((cx + pw / 2.0).ceil().max(0.0) as u32).clamp(x0 + 1, img.width());
            let y1 = ((cy + ph / 2.0).ceil().max(0.0) as u32).clamp(y0 + 1, img.height());
            cropped = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
            &cropped
        }
        _ => img,
    };
    let scale = if h > cq.face_height {
        f64::from(cq.face_height / h)
    } else {
        1.0
    };
    let w = ((f64::from(src.width()) * scale).round() as u32).max(1);
    let hh = ((f64::from(src.height()) * scale).round() as u32).max(1);
    let small = if scale < 1.0 {
        resize_area(src, w, hh)
    } else {
        src.clone()
    };
    jpeg_roundtrip(&small, cq.jpeg_quality)
}

/// [`degrade_face`] on the face [`FaceModels::analyze`] chooses.
pub fn degrade_cross_quality(
    models: &FaceModels,
    img: &RgbImage,
    cq: &CrossQuality,
) -> Result<RgbImage, FaceError> {
    let face = models.analyze(img)?.detection.bbox;
    degrade_face(img, &face, cq)
}

/// Fraction of genuine pairs accepted and of impostor pairs accepted at
/// `score >= threshold`: `(tar, far)`; NaN for an empty class.
pub fn rates_at(pairs: &[(f64, bool)], threshold: f64) -> (f64, f64) {
    let (mut g, mut ga, mut i, mut ia) = (0usize, 0usize, 0usize, 0usize);
    for &(s, same) in pairs {
        if same {
            g += 1;
            ga += usize::from(s >= threshold);
        } else {
            i += 1;
            ia += usize::from(s >= threshold);
        }
    }
    let frac = |a: usize, n: usize| {
        if n == 0 {
            f64::NAN
        } else {
            a as f64 / n as f64
        }
    };
    (frac(ga, g), frac(ia, i))
}

/// One line of a pairs file: two image names and whether they show the same
/// person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledPair {
    /// First image, relative to the image folder.
    pub a: String,
    /// Second image, relative to the image folder.
    pub b: String,
    /// Same person.
    pub same: bool,
}

fn parse_label(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// Parses a pairs file `img_a,img_b,same` (`same` = 1/0, true/false,
/// yes/no). A
/// first line whose third field is not a label is taken as the header;
/// blank lines and lines starting with `#` are skipped. A malformed line is
/// an [`FaceError::InvalidInput`] naming its line number.
pub fn parse_pairs_csv(text: &str) -> Result<Vec<LabeledPair>, FaceError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let label = fields.get(2).and_then(|s| parse_label(s));
        if n == 0 && label.is_none() {
            continue; // header
        }
        match (fields.len(), label) {
            (3, Some(same)) if !fields[0].is_empty() && !fields[1].is_empty() => {
                out.push(LabeledPair {
                    a: fields[0].to_string(),
                    b: fields[1].to_string(),
                    same,
                })
            }
            _ => {
                return Err(FaceError::InvalidInput(format!(
                    "pairs file line {}: expected `img_a,img_b,same` with same = 0 or 1",
                    n + 1
                )))
            }
        }
    }
    Ok(out)
}

/// Settings of [`evaluate_pairs`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairEvalOptions {
    /// Score degraded probes against originals, in both directions
    /// (FACE_MODELS.md §5 cross-quality test) instead of original pairs.
    pub cross_quality: Option<CrossQuality>,
    /// Decoding limits for the images.
    pub limits: DecodeLimits,
    /// Images analysed at once (each uses one single-threaded session).
    pub threads: usize,
}

impl Default for PairEvalOptions {
    fn default() -> Self {
        Self {
            cross_quality: None,
            limits: DecodeLimits::default(),
            threads: 1,
        }
    }
}

/// An image that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedImage {
    /// Name as written in the pairs file.
    pub image: String,
    /// Which stage failed: `original` or `probe` (the degraded copy).
    pub stage: String,
    /// The error.
    pub error: String,
}

/// The result of [`evaluate_pairs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairEvalReport {
    /// Pairs in the pairs file.
    pub pairs_in_file: usize,
    /// Comparisons scored: one per pair, two per pair with cross-quality.
    pub comparisons: usize,
    /// Genuine comparisons.
    pub genuine: usize,
    /// Impostor comparisons.
    pub impostor: usize,
    /// Images that could not be decoded or had no face; every comparison
    /// that needs one gets cosine −1 (a rejection), so failures on genuine
    /// pairs lower the TAR.
    pub failed_images: Vec<FailedImage>,
    /// Comparisons scored −1 because of a failed image.
    pub failed_comparisons: usize,
    /// Accuracy over all comparisons (cosine scores); `None` when one class
    /// is empty.
    pub metrics: Option<VerificationMetrics>,
    /// TAR at the configured 0.1 % operating point (cosine 0.31).
    pub tar_at_cosine_0_31: f64,
    /// FAR at cosine 0.31.
    pub far_at_cosine_0_31: f64,
    /// TAR at the configured 1 % operating point (cosine 0.24).
    pub tar_at_cosine_0_24: f64,
    /// FAR at cosine 0.24.
    pub far_at_cosine_0_24: f64,
    /// Every comparison: `(image a, image b, same, cosine)`; with
    /// cross-quality, the degraded side is marked by a `~` prefix.
    pub scores: Vec<(String, String, bool, f64)>,
}

/// Embeddings of one image: the original and, with cross-quality, the
/// degraded probe.
type ImageResult = (Result<Embedding, String>, Option<Result<Embedding, String>>);

fn safe_relative(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn analyse_image(
    models: &FaceModels,
    dir: &Path,
    name: &str,
    opts: &PairEvalOptions,
) -> ImageResult {
    if !safe_relative(name) {
        let e = Err(format!(
            "not a relative path inside the image folder: {name}"
        ));
        return (e.clone(), opts.cross_quality.map(|_| e));
    }
    let img = match load_image(&dir.join(name), &opts.limits) {
        Ok(img) => img,
        Err(e) => {
            let e = Err(e.to_string());
            return (e.clone(), opts.cross_quality.map(|_| e));
        }
    };
    let clean = models.analyze(&img);
    let probe = opts.cross_quality.map(|cq| match &clean {
        Ok(a) => degrade_face(&img, &a.detection.bbox, &cq)
            .and_then(|p| models.analyze(&p))
            .map(|a| a.embedding)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    });
    (clean.map(|a| a.embedding).map_err(|e| e.to_string()), probe)
}

/// Scores every pair: each distinct image is decoded and analysed once
/// (largest face), on `opts.threads` threads; `progress(done, total)` is
/// called after each image. Clean: cosine of the two originals.
/// Cross-quality: cosine of the degraded `a` against the original `b`, and
/// of the original `a` against the degraded `b`.
pub fn evaluate_pairs(
    models: &FaceModels,
    pairs: &[LabeledPair],
    image_dir: &Path,
    opts: &PairEvalOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> PairEvalReport {
    let mut names: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for p in pairs {
        for n in [p.a.as_str(), p.b.as_str()] {
            if !index.contains_key(n) {
                index.insert(n, names.len());
                names.push(n);
            }
        }
    }
    let total = names.len();
    let results: Mutex<Vec<Option<ImageResult>>> = Mutex::new(vec![None; total]);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let r = analyse_image(models, image_dir, names[i], opts);
        if let Ok(mut v) = results.lock() {
            v[i] = Some(r);
        }
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
    };
    std::thread::scope(|s| {
        for _ in 1..opts.threads.max(1) {
            s.spawn(worker);
        }
        worker();
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let missing = || (Err("not analysed".to_string()), None);
    let results: Vec<ImageResult> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(missing))
        .collect();

    let mut failed_images = Vec::new();
    for (name, (clean, probe)) in names.iter().zip(&results) {
        if let Err(e) = clean {
            failed_images.push(FailedImage {
                image: name.to_string(),
                stage: "original".into(),
                error: e.clone(),
            });
        } else if let Some(Err(e)) = probe {
            failed_images.push(FailedImage {
                image: name.to_string(),
                stage: "probe".into(),
                error: e.clone(),
            });
        }
    }
    let mut scores = Vec::new();
    let mut failed_comparisons = 0;
    let mut score = |x: Option<&Result<Embedding, String>>,
                     y: Option<&Result<Embedding, String>>| match (x, y) {
        (Some(Ok(x)), Some(Ok(y))) => f64::from(x.cosine(y)),
        _ => {
            failed_comparisons += 1;
            -1.0
        }
    };
    for p in pairs {
        let (ra, rb) = (&results[index[p.a.as_str()]], &results[index[p.b.as_str()]]);
        if opts.cross_quality.is_some() {
            let s1 = score(ra.1.as_ref(), Some(&rb.0));
            scores.push((format!("~{}", p.a), p.b.clone(), p.same, s1));
            let s2 = score(Some(&ra.0), rb.1.as_ref());
            scores.push((p.a.clone(), format!("~{}", p.b), p.same, s2));
        } else {
            let s = score(Some(&ra.0), Some(&rb.0));
            scores.push((p.a.clone(), p.b.clone(), p.same, s));
        }
    }
    let sp: Vec<(f64, bool)> = scores.iter().map(|s| (s.3, s.2)).collect();
    let genuine = sp.iter().filter(|s| s.1).count();
    let (tar31, far31) = rates_at(&sp, 0.31);
    let (tar24, far24) = rates_at(&sp, 0.24);
    PairEvalReport {
        pairs_in_file: pairs.len(),
        comparisons: sp.len(),
        genuine,
        impostor: sp.len() - genuine,
        failed_images,
        failed_comparisons,
        metrics: verification_metrics(&sp),
        tar_at_cosine_0_31: tar31,
        far_at_cosine_0_31: far31,
        tar_at_cosine_0_24: tar24,
        far_at_cosine_0_24: far24,
        scores,
    }
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
    fn pairs_csv_header_labels_and_errors() {
        let p = parse_pairs_csv("img_a,img_b,same\na.jpg, b.jpg ,1\n\n# note\nc.jpg,d.jpg,0\n")
            .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].a.as_str(), p[0].b.as_str(), p[0].same),
            ("a.jpg", "b.jpg", true)
        );
        assert!(!p[1].same);
        // No header.
        assert_eq!(parse_pairs_csv("a,b,true").unwrap().len(), 1);
        for bad in [
            "h,h,h\na,b,2",
            "h,h,h\na,b",
            "h,h,h\n,b,1",
            "h,h,h\na,b,1,extra",
        ] {
            match parse_pairs_csv(bad) {
                Err(FaceError::InvalidInput(m)) => assert!(m.contains("line 2"), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn rates_at_a_threshold() {
        let pairs = [(0.9, true), (0.2, true), (0.35, false), (0.1, false)];
        assert_eq!(rates_at(&pairs, 0.31), (0.5, 0.5));
        assert_eq!(rates_at(&pairs, 0.95), (0.0, 0.0));
        assert!(rates_at(&[(0.5, true)], 0.3).1.is_nan());
    }

    #[test]
    fn only_relative_names_inside_the_folder() {
        assert!(safe_relative("a.jpg"));
        assert!(safe_relative("sub/a.jpg"));
        assert!(!safe_relative("../a.jpg"));
        assert!(!safe_relative("/etc/passwd"));
        assert!(!safe_relative(""));
    }

    #[test]
    fn degrade_crops_a_portrait_and_shrinks_the_face() {
        let img = RgbImage::from_fn(1000, 800, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let face = BBox {
            x1: 400.0,
            y1: 300.0,
            x2: 560.0,
            y2: 500.0,
        };
        let cq = CrossQuality::default();
        let p = degrade_face(&img, &face, &cq).unwrap();
        // 450 x 337.5 portrait scaled by 48/200.
        assert_eq!(p.dimensions(), (81, 108));
        let whole = CrossQuality {
            portrait_height: None,
            ..cq
        };
        assert_eq!(
            degrade_face(&img, &face, &whole).unwrap().dimensions(),
            (240, 192)
        );
        // Near the border the crop is clipped, never out of bounds.
        let corner = BBox {
            x1: -20.0,
            y1: 700.0,
            x2: 60.0,
            y2: 820.0,
        };
        let c = degrade_face(&img, &corner, &cq).unwrap();
        assert!(c.width() >= 1 && c.height() >= 1);
        let empty = BBox {
            y2: 700.0,
            ..corner
        };
        assert!(matches!(
            degrade_face(&img, &empty, &cq),
            Err(FaceError::InvalidInput(_))
        ));
    }

    #[test]
    fn jpeg_roundtrip_keeps_size() {
        let img = RgbImage::from_fn(33, 17, |x, y| image::Rgb([x as u8 * 7, y as u8 * 13, 90]));
        let out = jpeg_roundtrip(&img, 40).unwrap();
        assert_eq!(out.dimensions(), (33, 17));
    }

    #[test]
    fn jpeg_roundtrip_subsamples_chroma_like_libjpeg() {
        // Alternating pure red / pure blue columns: full-resolution luma keeps them apart,
        // but 4:2:0 averages their chroma, so even at quality 95 red comes back far from 255
        // (≈150); a 4:4:4 encode would return ≈255.
        let img = RgbImage::from_fn(32, 32, |x, _| {
            if x % 2 == 0 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let out = jpeg_roundtrip(&img, 95).unwrap();
        let red = out.get_pixel(16, 16)[0];
        assert!(red < 200, "red channel {red}: chroma was not subsampled");
    }
}
