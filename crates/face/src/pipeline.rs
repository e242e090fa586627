//! [`FaceModels`]: the six models loaded once, and the end-to-end pipeline.

use crate::align::{align_face, ALIGNED_SIZE};
use crate::antispoof::{self, AntiSpoof, AntiSpoofOptions};
use crate::compare::{compare, FalseMatchRate, MatchResult};
use crate::detect::{self, BBox, Detection, DetectorConfig, SmallFaceConfig, SmallFaceMode};
use crate::embed::{self, Embedding};
use crate::error::FaceError;
use crate::eyes::{self, EyeOptions, EyeState};
use crate::image_io::{decode_image, DecodeLimits};
use crate::landmarks::{self, FivePoints, Landmarks68};
use crate::ops::{GrayMode, Rect};
use crate::pose::{self, HeadPose, PoseOptions};
use crate::quality::{measure_aligned, quality_warnings, Quality, QualityThresholds, Warning};
use image::RgbImage;
use kyc_models::{resolve_model_dir, ModelSession, ModelSet};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model files this crate loads.
pub const MODEL_FILES: [&str; 6] = [
    "fr_detect.onnx",
    "fr_landmark.onnx",
    "fr_feature.onnx",
    "fr_liveness.onnx",
    "fr_pose.onnx",
    "fr_eye.onnx",
];

/// How embeddings are computed.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EmbeddingConfig {
    /// Sum the raw embeddings of the aligned face and its mirror image
    /// (doubles the `fr_feature` cost).
    pub flip_average: bool,
    /// Run `fr_landmark` a second time on a crop re-centred on the first
    /// landmarks (the SDK crop of the box the landmarks span).
    pub refine_landmarks: bool,
}

/// Pipeline settings. `workers` is used at load time only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceConfig {
    /// Detector threshold and NMS.
    pub detector: DetectorConfig,
    /// Tiled small-face pass.
    pub small_faces: SmallFaceConfig,
    /// Gray conversion before `fr_landmark` (true luma).
    pub landmark_gray: GrayMode,
    /// Embedding options.
    pub embedding: EmbeddingConfig,
    /// Quality warning thresholds.
    pub quality: QualityThresholds,
    /// Limits for [`FaceModels::analyze_bytes`].
    pub limits: DecodeLimits,
    /// Operating point of [`FaceModels::compare`] and
    /// [`FaceModels::compare_images`].
    pub false_match_rate: FalseMatchRate,
    /// ONNX Runtime sessions per model (each single-threaded): how many
    /// threads can run the same model at once.
    pub workers: usize,
    /// Which face [`FaceModels::analyze_with`] chooses when there are
    /// several: the largest detector box, except that among the faces whose
    /// box area is at least this fraction of the largest, the one whose
    /// centre is nearest the image centre wins. Detector box areas of one
    /// face vary by up to ≈ 8 % between NMS variants, so a smaller
    /// difference says nothing about which face is the subject, while a
    /// bystander or a false detection in the background is rarely centred.
    /// `1.0` = always the largest (the reference). Default 0.9.
    pub similar_size_ratio: f32,
}

impl Default for FaceConfig {
    fn default() -> Self {
        Self {
            detector: DetectorConfig::default(),
            small_faces: SmallFaceConfig::default(),
            landmark_gray: GrayMode::TrueLuma,
            embedding: EmbeddingConfig::default(),
            quality: QualityThresholds::default(),
            limits: DecodeLimits::default(),
            false_match_rate: FalseMatchRate::default(),
            workers: std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(1),
            similar_size_ratio: 0.9,
        }
    }
}

impl FaceConfig {
    /// Exactly the reference recipe (`fp.py recommended()`): JS NMS, no
    /// small-face pass, plain embeddings, the largest face.
    pub fn reference() -> Self {
        Self {
            similar_size_ratio: 1.0,
            detector: DetectorConfig::reference(),
            small_faces: SmallFaceConfig {
                mode: SmallFaceMode::Off,
                ..SmallFaceConfig::default()
            },
            embedding: EmbeddingConfig::default(),
            ..Self::default()
        }
    }
}

/// What [`FaceModels::analyze_with`] computes besides the embedding.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct AnalyzeOptions {
    /// Overrides the configured small-face mode (`Always` for ID-card photos).
    pub small_faces: Option<SmallFaceMode>,
    /// Run `fr_liveness` with these options.
    pub anti_spoof: Option<AntiSpoofOptions>,
    /// Run `fr_pose` with these options.
    pub head_pose: Option<PoseOptions>,
    /// Run `fr_eye` with these options.
    pub eyes: Option<EyeOptions>,
}

impl AnalyzeOptions {
    /// For a photo of an ID card: always run the tiled small-face pass.
    pub fn id_document() -> Self {
        Self {
            small_faces: Some(SmallFaceMode::Always),
            ..Self::default()
        }
    }

    /// For a selfie: also anti-spoof, head pose and eye state with the
    /// default options.
    pub fn selfie() -> Self {
        Self {
            small_faces: None,
            anti_spoof: Some(AntiSpoofOptions::default()),
            head_pose: Some(PoseOptions::default()),
            eyes: Some(EyeOptions::default()),
        }
    }
}

/// Everything known about the chosen (largest) face of an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceAnalysis {
    /// Image width, pixels.
    pub image_width: u32,
    /// Image height, pixels.
    pub image_height: u32,
    /// The chosen face: the largest raw box, or the most central of the
    /// faces of similar size ([`FaceConfig::similar_size_ratio`]).
    pub detection: Detection,
    /// Its square box (anti-spoof and pose crops).
    pub square_box: BBox,
    /// Its 68 landmarks.
    pub landmarks: Landmarks68,
    /// The five alignment points.
    pub five: FivePoints,
    /// Its embedding.
    pub embedding: Embedding,
    /// Measured quality.
    pub quality: Quality,
    /// Quality and multi-face warnings.
    pub warnings: Vec<Warning>,
    /// The other faces found, largest first.
    pub other_faces: Vec<Detection>,
    /// Anti-spoof result, if requested.
    pub anti_spoof: Option<AntiSpoof>,
    /// Head pose, if requested.
    pub head_pose: Option<HeadPose>,
    /// Eye state, if requested.
    pub eyes: Option<EyeState>,
}

/// The face models, loaded once. `Send + Sync`: share one instance through
/// an `Arc`; each model keeps `workers` single-threaded sessions, so up to
/// that many threads run it at once.
pub struct FaceModels {
    detector: ModelSession,
    landmark: ModelSession,
    feature: ModelSession,
    liveness: ModelSession,
    pose: ModelSession,
    eye: ModelSession,
    config: FaceConfig,
}

impl std::fmt::Debug for FaceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceModels")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn check_image(img: &RgbImage) -> Result<(), FaceError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(FaceError::InvalidInput(format!(
            "the image has no pixels ({}x{})",
            img.width(),
            img.height()
        )));
    }
    Ok(())
}

fn by_area_desc(dets: &mut [Detection]) {
    dets.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
}

/// Index of the subject among `faces` (sorted largest first): the most
/// central of those with an area ≥ `ratio` × the largest.
fn choose_subject(faces: &[Detection], width: u32, height: u32, ratio: f32) -> usize {
    let Some(largest) = faces.first().map(|d| d.bbox.area()) else {
        return 0;
    };
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let dist = |d: &Detection| {
        let (x, y) = d.bbox.center();
        (x - cx).hypot(y - cy)
    };
    let mut best = 0;
    for (i, d) in faces.iter().enumerate().skip(1) {
        if d.bbox.area() >= ratio * largest && dist(d) < dist(&faces[best]) {
            best = i;
        }
    }
    best
}

impl FaceModels {
    /// Loads the six models of a verified model set.
    pub fn load(models: &ModelSet, config: FaceConfig) -> Result<Self, FaceError> {
        let n = config.workers.max(1);
        let load = |name: &str| ModelSession::load(models, name, n);
        Ok(Self {
            detector: load(MODEL_FILES[0])?,
            landmark: load(MODEL_FILES[1])?,
            feature: load(MODEL_FILES[2])?,
            liveness: load(MODEL_FILES[3])?,
            pose: load(MODEL_FILES[4])?,
            eye: load(MODEL_FILES[5])?,
            config,
        })
    }

    /// Finds the model directory ([`resolve_model_dir`]: the argument,
    /// `$KYC_MODEL_DIR`, or `models/`), verifies the six model files and
    /// the ONNX Runtime library against the manifest, and loads them.
    pub fn open(model_dir: Option<&Path>, config: FaceConfig) -> Result<Self, FaceError> {
        let dir = resolve_model_dir(model_dir);
        let mut names: Vec<&str> = MODEL_FILES.to_vec();
        names.push(kyc_models::ORT_LIBRARY);
        let set = ModelSet::open_only(&dir, &names)?;
        Self::load(&set, config)
    }

    /// The configuration in use.
    pub fn config(&self) -> &FaceConfig {
        &self.config
    }

    /// Replaces the configuration (`workers` keeps its loaded value).
    pub fn set_config(&mut self, config: FaceConfig) {
        let workers = self.config.workers;
        self.config = FaceConfig { workers, ..config };
    }

    /// Faces in `img` with the configured detector and small-face mode
    /// (default: whole frame, plus tiles when nothing or only tiny faces are
    /// found), largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        self.detect_with(img, &self.config.detector, &self.config.small_faces)
    }

    /// [`detect`](Self::detect) with the tiled small-face pass always on
    /// (ID-card photos: a portrait of 40-80 px in a 1280 px image).
    pub fn detect_small(&self, img: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        let small = SmallFaceConfig {
            mode: SmallFaceMode::Always,
            ..self.config.small_faces
        };
        self.detect_with(img, &self.config.detector, &small)
    }

    /// Detection with explicit settings, largest first.
    pub fn detect_with(
        &self,
        img: &RgbImage,
        cfg: &DetectorConfig,
        small: &SmallFaceConfig,
    ) -> Result<Vec<Detection>, FaceError> {
        check_image(img)?;
        let mut whole = detect::detect_region(&self.detector, img, Rect::full(img), cfg)?;
        let tile_w = small.tile_width.max(32) as f32;
        let big_enough = (img.width() as f32) > tile_w * small.min_image_tiles
            || (img.height() as f32) > tile_w * 0.75 * small.min_image_tiles;
        let run_tiles = big_enough
            && match small.mode {
                SmallFaceMode::Off => false,
                SmallFaceMode::Always => true,
                SmallFaceMode::Auto => {
                    let largest = whole.iter().map(|d| d.bbox.height()).fold(0.0, f32::max);
                    largest < small.trigger_height * img.height() as f32
                }
            };
        if run_tiles {
            let tiled = detect::detect_tiled(&self.detector, img, cfg, small)?;
            whole = detect::merge(tiled, whole);
        }
        by_area_desc(&mut whole);
        Ok(whole)
    }

    /// The 68 landmarks of a detection (SDK crop, configured gray).
    pub fn landmarks(&self, img: &RgbImage, det: &Detection) -> Result<Landmarks68, FaceError> {
        check_image(img)?;
        let lm = landmarks::landmarks(&self.landmark, img, det, self.config.landmark_gray)?;
        if !self.config.embedding.refine_landmarks {
            return Ok(lm);
        }
        // Second pass: the SDK crop of the box the first landmarks span,
        // scaled to the detector box geometry (landmark box ≈ raw box).
        let (mut x1, mut y1, mut x2, mut y2) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in lm.points() {
            x1 = x1.min(p[0]);
            y1 = y1.min(p[1]);
            x2 = x2.max(p[0]);
            y2 = y2.max(p[1]);
        }
        let (dw, dh) = (det.bbox.width(), det.bbox.height());
        let (lw, lh) = (x2 - x1, y2 - y1);
        if !(lw > 1.0 && lh > 1.0) {
            return Ok(lm);
        }
        // Shift the detector box by the offset between the landmark box and
        // the landmark box expected for that detector box.
        let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        let (dcx, dcy) = det.bbox.center();
        let (ex, ey) = (cx - dcx - 0.0 * dw, cy - dcy - 0.08 * dh);
        let shifted = Detection {
            bbox: BBox {
                x1: det.bbox.x1 + ex,
                y1: det.bbox.y1 + ey,
                x2: det.bbox.x2 + ex,
                y2: det.bbox.y2 + ey,
            },
            score: det.score,
        };
        match landmarks::sdk_crop(&shifted.bbox, img.width(), img.height()) {
            Some(crop) => {
                landmarks::landmarks_in(&self.landmark, img, crop, self.config.landmark_gray)
            }
            None => Ok(lm),
        }
    }

    /// Embedding of an aligned 112×112 face.
    pub fn embed_aligned(&self, face: &RgbImage) -> Result<Embedding, FaceError> {
        embed::embed(&self.feature, face, self.config.embedding.flip_average)
    }

    /// Aligns the face given by its landmarks and embeds it.
    pub fn embed(&self, img: &RgbImage, landmarks: &Landmarks68) -> Result<Embedding, FaceError> {
        let face = self.align(img, &landmarks.five())?;
        self.embed_aligned(&face)
    }

    /// The 112×112 aligned face for five points.
    pub fn align(&self, img: &RgbImage, five: &FivePoints) -> Result<RgbImage, FaceError> {
        align_face(img, five)
            .ok_or_else(|| FaceError::InvalidInput("degenerate landmarks: cannot align".into()))
    }

    /// Head pose of a detection.
    pub fn head_pose(
        &self,
        img: &RgbImage,
        det: &Detection,
        opts: &PoseOptions,
    ) -> Result<HeadPose, FaceError> {
        check_image(img)?;
        pose::head_pose(&self.pose, img, det, opts)
    }

    /// Passive anti-spoof probabilities of a detection.
    pub fn anti_spoof(
        &self,
        img: &RgbImage,
        det: &Detection,
        opts: &AntiSpoofOptions,
    ) -> Result<AntiSpoof, FaceError> {
        check_image(img)?;
        antispoof::anti_spoof(&self.liveness, img, det, opts)
    }

    /// Eye state from the landmarks.
    pub fn eye_state(
        &self,
        img: &RgbImage,
        landmarks: &Landmarks68,
        opts: &EyeOptions,
    ) -> Result<EyeState, FaceError> {
        check_image(img)?;
        eyes::eye_state(&self.eye, img, landmarks, opts)
    }

    /// [`analyze_with`](Self::analyze_with) with the default options
    /// (embedding and quality only).
    pub fn analyze(&self, img: &RgbImage) -> Result<FaceAnalysis, FaceError> {
        self.analyze_with(img, &AnalyzeOptions::default())
    }

    /// Detects the faces, chooses the largest (warning about the others;
    /// among faces of similar size the most central, see
    /// [`FaceConfig::similar_size_ratio`]), computes its landmarks,
    /// embedding and quality, and whatever else `opts` asks for.
    /// [`FaceError::NoFace`] when nothing is found.
    pub fn analyze_with(
        &self,
        img: &RgbImage,
        opts: &AnalyzeOptions,
    ) -> Result<FaceAnalysis, FaceError> {
        check_image(img)?;
        let small = SmallFaceConfig {
            mode: opts.small_faces.unwrap_or(self.config.small_faces.mode),
            ..self.config.small_faces
        };
        let mut faces = self.detect_with(img, &self.config.detector, &small)?;
        if faces.is_empty() {
            return Err(FaceError::NoFace);
        }
        let subject = choose_subject(
            &faces,
            img.width(),
            img.height(),
            self.config.similar_size_ratio,
        );
        let detection = faces.remove(subject);
        let landmarks = self.landmarks(img, &detection)?;
        let five = landmarks.five();
        let aligned = self.align(img, &five)?;
        debug_assert_eq!(aligned.width(), ALIGNED_SIZE);
        let embedding = self.embed_aligned(&aligned)?;
        let (sharpness, brightness) = measure_aligned(&aligned);
        let quality = Quality {
            face_width: detection.bbox.width(),
            face_height: detection.bbox.height(),
            interocular: landmarks.interocular(),
            detection_score: detection.score,
            sharpness,
            brightness,
        };
        let mut warnings = Vec::new();
        if !faces.is_empty() {
            let chosen_area = detection.bbox.area();
            warnings.push(Warning::MultipleFaces {
                count: faces.len() + 1,
                chosen: detection.bbox,
                others: faces.iter().map(|d| d.bbox).collect(),
                second_largest_ratio: if chosen_area > 0.0 {
                    faces[0].bbox.area() / chosen_area
                } else {
                    1.0
                },
            });
        }
        warnings.extend(quality_warnings(&quality, &self.config.quality));
        let anti_spoof = opts
            .anti_spoof
            .map(|o| self.anti_spoof(img, &detection, &o))
            .transpose()?;
        let head_pose = opts
            .head_pose
            .map(|o| self.head_pose(img, &detection, &o))
            .transpose()?;
        let eyes = opts
            .eyes
            .map(|o| self.eye_state(img, &landmarks, &o))
            .transpose()?;
        Ok(FaceAnalysis {
            image_width: img.width(),
            image_height: img.height(),
            square_box: detection.square_box(img.width(), img.height()),
            detection,
            landmarks,
            five,
            embedding,
            quality,
            warnings,
            other_faces: faces,
            anti_spoof,
            head_pose,
            eyes,
        })
    }

    /// Decodes `bytes` (PNG, JPEG or WebP; EXIF orientation applied, configured
    /// limits) and analyses the image.
    pub fn analyze_bytes(
        &self,
        bytes: &[u8],
        opts: &AnalyzeOptions,
    ) -> Result<FaceAnalysis, FaceError> {
        let img = decode_image(bytes, &self.config.limits)?;
        self.analyze_with(&img, opts)
    }

    /// Compares two analysed faces at the configured operating point.
    pub fn compare(&self, a: &FaceAnalysis, b: &FaceAnalysis) -> MatchResult {
        compare(&a.embedding, &b.embedding, self.config.false_match_rate)
    }

    /// Analyses both images (largest face of each) and compares them.
    pub fn compare_images(&self, a: &RgbImage, b: &RgbImage) -> Result<MatchResult, FaceError> {
        let fa = self.analyze(a)?;
        let fb = self.analyze(b)?;
        Ok(self.compare(&fa, &fb))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_models_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FaceModels>();
        assert_send_sync::<FaceAnalysis>();
    }

    fn det(x: f32, y: f32, side: f32) -> Detection {
        Detection {
            bbox: BBox {
                x1: x,
                y1: y,
                x2: x + side,
                y2: y + side,
            },
            score: 0.9,
        }
    }

    #[test]
    fn subject_is_the_largest_or_the_most_central_of_similar_ones() {
        // 1000x1000 image; sorted largest first.
        let off_centre_big = det(700.0, 0.0, 300.0); // area 90 000
        let central = det(350.0, 350.0, 290.0); // area 84 100 (0.93)
        let central_small = det(450.0, 450.0, 100.0);
        let faces = [off_centre_big, central, central_small];
        assert_eq!(choose_subject(&faces, 1000, 1000, 0.9), 1);
        assert_eq!(choose_subject(&faces, 1000, 1000, 1.0), 0);
        assert_eq!(choose_subject(&faces, 1000, 1000, 0.95), 0);
        assert_eq!(choose_subject(&faces[..1], 1000, 1000, 0.9), 0);
        assert_eq!(choose_subject(&[], 1000, 1000, 0.9), 0);
    }
}
