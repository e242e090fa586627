//! Per-frame analysis of a selfie video through the `kyc-face` models: the tracked main
//! face, its landmark pose cue, fr_pose head pose, passive anti-spoof, eye state, a few
//! embeddings for identity consistency, and the best frames for the face comparison.
//!
//! Frames are streamed: a decoding thread feeds a bounded channel (a few frames) and this
//! thread analyses them one by one, keeping only per-frame numbers, at most
//! [`AnalysisConfig::best_frames`] candidate images and at most
//! [`AnalysisConfig::max_embeddings`] embeddings. Memory is bounded whatever the clip length.
//!
//! # Tracking (`LIVENESS_NOTES.md` §5, §6)
//!
//! The primary face is the largest one when tracking starts; afterwards the detection with
//! the highest IoU (> [`AnalysisConfig::track_iou`]) with the last tracked box continues the
//! track. When nothing overlaps, the track is re-acquired on the largest face only after
//! the face has been missing for [`AnalysisConfig::reacquire_s`] (a face that leaves and
//! comes back), so that a background face cannot take over from one bad frame.
//!
//! Another face counts as a *second person* only when its detector score is ≥
//! [`SecondFaceRule::min_score`], its area ≥ [`SecondFaceRule::min_area_ratio`] of the
//! primary's, and its landmarks are plausible (eyes above the nose above the chin, eye
//! distance ≥ 15 % of the box width). A raw face count is never used: a background emblem
//! was detected as a second face in one real clip.

use std::ops::ControlFlow;
use std::sync::mpsc;

use image::RgbImage;
use kyc_face::{
    align_face, measure_aligned, quality_warnings, AntiSpoofOptions, BBox, Detection, Embedding,
    EyeOptions, FaceAnalysis, FaceError, FaceModels, Landmarks68, PoseOptions, Quality,
    SmallFaceConfig, SmallFaceMode,
};
use serde::Serialize;

use crate::actions::{FaceObs, FrameObservation};
use crate::decode::{decode_frames, DecodeError, DecodeOptions, SampledFrame, VideoInfo};

/// Which other faces count as a second person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SecondFaceRule {
    /// Minimum detector score (0.9).
    pub min_score: f32,
    /// Minimum area relative to the primary face (0.3).
    pub min_area_ratio: f32,
}

impl Default for SecondFaceRule {
    fn default() -> Self {
        SecondFaceRule {
            min_score: 0.9,
            min_area_ratio: 0.3,
        }
    }
}

/// The crop fed to fr_landmark for the pose cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum LandmarkCrop {
    /// The video recipe of the reference tracks (`fp_models.py`): the square detection box
    /// itself (side = box height).
    #[default]
    SquareBox,
    /// The face crate's SDK crop (1.1 × √area, shifted), used for alignment.
    Sdk,
}

/// Settings of the per-frame analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisConfig {
    /// Decoding: sampling rate (15 fps), down-scaling (longest side 640), limits.
    pub decode: DecodeOptions,
    /// Tiled small-face pass of the detector (off: selfie faces are large; it would only
    /// cost time on frames without a face).
    pub small_faces: SmallFaceMode,
    /// fr_landmark crop for the pose cue (the embedding always uses the SDK crop).
    pub landmark_crop: LandmarkCrop,
    /// fr_pose crop and colour order (the video recipe: +25 % margin per side, RGB).
    pub pose: PoseOptions,
    /// Run fr_pose on every n-th analysed frame with a face (1 = every frame, 0 = never;
    /// default 6: the landmark cue drives the decision, fr_pose is reported).
    pub pose_every: usize,
    /// fr_liveness options (BGR, scale 2.7).
    pub anti_spoof: AntiSpoofOptions,
    /// Run fr_liveness on every n-th analysed frame with a face (6, ≈ 2.5 per second at
    /// 15 fps; 0 = never).
    pub anti_spoof_every: usize,
    /// fr_eye options.
    pub eyes: EyeOptions,
    /// Run fr_eye on every n-th analysed frame with a face (3; 0 = never).
    pub eyes_every: usize,
    /// Minimum time between two identity-consistency embeddings, seconds (1.25).
    pub embed_interval_s: f64,
    /// At most this many identity-consistency embeddings (10).
    pub max_embeddings: usize,
    /// Only frames with `|yaw_lmk|` below this (degrees) are embedded or kept as best
    /// frames (20).
    pub frontal_max_yaw: f64,
    /// How many best frames to return (3).
    pub best_frames: usize,
    /// Minimum time between two best frames, seconds (0.3).
    pub best_frames_spacing_s: f64,
    /// IoU needed to continue the track (0.3).
    pub track_iou: f32,
    /// Missing time after which the track is re-acquired on the largest face, seconds (0.6).
    pub reacquire_s: f64,
    /// Which other faces count as a second person.
    pub second_face: SecondFaceRule,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            decode: DecodeOptions::default(),
            small_faces: SmallFaceMode::Off,
            landmark_crop: LandmarkCrop::SquareBox,
            pose: PoseOptions {
                margin: 0.25,
                ..PoseOptions::default()
            },
            pose_every: 6,
            anti_spoof: AntiSpoofOptions::default(),
            anti_spoof_every: 6,
            eyes: EyeOptions::default(),
            eyes_every: 3,
            embed_interval_s: 1.25,
            max_embeddings: 10,
            frontal_max_yaw: 20.0,
            best_frames: 3,
            best_frames_spacing_s: 0.3,
            track_iou: 0.3,
            reacquire_s: 0.6,
            second_face: SecondFaceRule::default(),
        }
    }
}

/// Everything measured on one analysed frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameRecord {
    /// The observation fed to the action logic.
    pub obs: FrameObservation,
    /// Detector score of the tracked face.
    pub det_score: Option<f32>,
    /// fr_pose roll, degrees, when fr_pose ran.
    pub roll: Option<f32>,
    /// P(eye closed), mean of the measured eyes, when fr_eye ran.
    pub eyes_closed: Option<f32>,
    /// Number of detections in the frame (all, for information).
    pub n_detections: usize,
}

/// One best frame for the face comparison, with its full analysis (embedding included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestFrame {
    /// Time, ms.
    pub t_ms: f64,
    /// Selection score: sharpness × frontalness (higher is better).
    pub quality: f64,
    /// The tracked face's analysis in this frame; compare its `embedding` with the ID
    /// portrait and the reference photo (`FaceModels::compare`).
    pub analysis: FaceAnalysis,
}

/// With this many identity samples or more, one outlier is set aside.
pub const ROBUST_MIN_SAMPLES: usize = 5;

/// Identity consistency over the clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityConsistency {
    /// Number of embeddings taken (one per `embed_interval_s` on frontal frames).
    pub samples: usize,
    /// Lowest cosine between an embedding and the best frame's embedding (`None` with
    /// fewer than 2 embeddings).
    pub min_cosine: Option<f32>,
    /// Median of those cosines.
    pub median_cosine: Option<f32>,
    /// The lowest cosine once one outlier is set aside (with at least
    /// [`ROBUST_MIN_SAMPLES`] samples; else the lowest): one blurred or
    /// half-turned frame must not fail a real customer, while a swap of
    /// people shows in many samples.
    pub robust_min_cosine: Option<f32>,
    /// Times of the embeddings, ms.
    pub times_ms: Vec<f64>,
}

/// The analysis of a whole video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoAnalysis {
    /// What the decoder saw.
    pub video: VideoInfo,
    /// One record per analysed frame, in time order.
    pub frames: Vec<FrameRecord>,
    /// The best frames, best first (empty when no face was found).
    pub best_frames: Vec<BestFrame>,
    /// Identity consistency of the tracked face.
    pub identity: IdentityConsistency,
    /// Number of eye-state measurements with both/all measured eyes closed (p > 0.5).
    pub closed_eye_frames: usize,
    /// Number of eye-state measurements.
    pub eye_measurements: usize,
    /// Closed-then-open transitions seen in the eye-state measurements (blinks; reported,
    /// not scored: a short clip may hold none, a replayed video may hold some).
    pub blinks: usize,
}

/// Why the analysis failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The video could not be decoded (or exceeds a limit).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A face model failed.
    #[error("face model failure: {0}")]
    Face(#[from] FaceError),
    /// The decoding thread failed unexpectedly.
    #[error("internal failure: {0}")]
    Internal(String),
}

/// Landmark pose cues (`LIVENESS_NOTES.md` §4): `(yaw_lmk, pitch_lmk)`.
///
/// `yaw_lmk = −asin(clip((x30 − (x0+x16)/2)/(x16 − x0)/0.6, −1, 1))` in degrees (same sign as
/// fr_pose: < 0 = nose toward image right); `pitch_lmk = −100·(y30 − y_eyes)/(y8 − y_eyes)`,
/// `y_eyes = (y36 + y45)/2` (decreases when looking down). `None` for degenerate points.
pub fn landmark_cues(lm: &Landmarks68) -> Option<(f64, f64)> {
    let p = lm.points();
    if p.len() < 68 {
        return None;
    }
    let x = |i: usize| f64::from(p[i][0]);
    let y = |i: usize| f64::from(p[i][1]);
    let span = x(16) - x(0);
    if span.abs() < 1e-6 {
        return None;
    }
    let r = ((x(30) - (x(0) + x(16)) / 2.0) / span / 0.6).clamp(-1.0, 1.0);
    let yaw = -r.asin().to_degrees();
    let y_eyes = (y(36) + y(45)) / 2.0;
    let den = y(8) - y_eyes;
    if den.abs() < 1e-6 {
        return None;
    }
    let pitch = -100.0 * (y(30) - y_eyes) / den;
    (yaw.is_finite() && pitch.is_finite()).then_some((yaw, pitch))
}

/// A detection whose SDK landmark crop (`1.1·√area` square, from `cx − 0.55·√area`,
/// `cy − 0.5·√area`) is the square box of `det` (side = box height, clipped to the image),
/// so that fr_landmark sees the reference video recipe's crop.
fn square_box_as_sdk(det: &Detection, width: u32, height: u32) -> Detection {
    let sq = det.square_box(width, height);
    let side = sq.width().min(sq.height()).max(1.0);
    let sz = side / 1.1;
    let (cx, cy) = (sq.x1 + 0.55 * sz, sq.y1 + 0.5 * sz);
    Detection {
        bbox: BBox {
            x1: cx - sz / 2.0,
            y1: cy - sz / 2.0,
            x2: cx + sz / 2.0,
            y2: cy + sz / 2.0,
        },
        score: det.score,
    }
}

/// Plausibility of a face's landmarks: eyes above the nose tip above the chin, and an
/// outer-eye-corner distance of at least half the box width. Real faces measure 0.55-0.72
/// (frontal to ≈40° turns); the background emblem of `3dmm_sample_video` (detector score
/// 0.95-0.99, 50 % of the primary's area) measures 0.42-0.49.
fn plausible(lm: &Landmarks68, b: &BBox) -> bool {
    let p = lm.points();
    let y_eyes = (p[36][1] + p[45][1]) / 2.0;
    let eye_dx = (p[45][0] - p[36][0]).abs();
    y_eyes < p[30][1] && p[30][1] < p[8][1] && eye_dx >= 0.5 * b.width()
}

/// Variance of the 4-neighbour Laplacian of the gray face region (sharpness), on at most
/// 96×96 samples of the box.
fn sharpness(img: &RgbImage, b: &BBox) -> f64 {
    let (w, h) = img.dimensions();
    let x0 = b.x1.max(0.0) as u32;
    let y0 = b.y1.max(0.0) as u32;
    let x1 = (b.x2.max(0.0) as u32).min(w.saturating_sub(1));
    let y1 = (b.y2.max(0.0) as u32).min(h.saturating_sub(1));
    if x1 < x0 + 4 || y1 < y0 + 4 {
        return 0.0;
    }
    let step = ((x1 - x0) / 96).max(1);
    let g = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
    };
    let (mut s, mut s2, mut n) = (0.0, 0.0, 0.0);
    let mut y = y0 + step;
    while y + step < y1 {
        let mut x = x0 + step;
        while x + step < x1 {
            let l =
                g(x - step, y) + g(x + step, y) + g(x, y - step) + g(x, y + step) - 4.0 * g(x, y);
            s += l;
            s2 += l * l;
            n += 1.0;
            x += step;
        }
        y += step;
    }
    if n < 2.0 {
        return 0.0;
    }
    (s2 / n - (s / n).powi(2)).max(0.0)
}

/// A candidate best frame kept while streaming.
struct Candidate {
    t_ms: f64,
    quality: f64,
    image: RgbImage,
    det: Detection,
    landmarks: Landmarks68,
    others: Vec<Detection>,
}

/// Streaming state of the analysis.
struct Analyzer<'m> {
    models: &'m FaceModels,
    cfg: &'m AnalysisConfig,
    small: SmallFaceConfig,
    frames: Vec<FrameRecord>,
    track: Option<BBox>,
    last_seen_ms: Option<f64>,
    face_frames: usize,
    candidates: Vec<Candidate>,
    embeddings: Vec<(f64, Embedding)>,
    last_embed_ms: Option<f64>,
    eye_closed_prev: Option<bool>,
    closed_eye_frames: usize,
    eye_measurements: usize,
    blinks: usize,
}

impl<'m> Analyzer<'m> {
    fn new(models: &'m FaceModels, cfg: &'m AnalysisConfig) -> Self {
        Analyzer {
            models,
            cfg,
            small: SmallFaceConfig {
                mode: cfg.small_faces,
                ..models.config().small_faces
            },
            frames: Vec::new(),
            track: None,
            last_seen_ms: None,
            face_frames: 0,
            candidates: Vec::new(),
            embeddings: Vec::new(),
            last_embed_ms: None,
            eye_closed_prev: None,
            closed_eye_frames: 0,
            eye_measurements: 0,
            blinks: 0,
        }
    }

    /// Chooses the tracked face among `dets` (largest first).
    fn pick(&self, dets: &[Detection], t_ms: f64) -> Option<usize> {
        if dets.is_empty() {
            return None;
        }
        let Some(prev) = self.track else {
            return Some(0);
        };
        let best = dets
            .iter()
            .enumerate()
            .map(|(i, d)| (i, d.bbox.iou(&prev)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, iou)) if iou > self.cfg.track_iou => Some(i),
            _ => {
                let missing = self
                    .last_seen_ms
                    .is_none_or(|l| t_ms - l >= self.cfg.reacquire_s * 1000.0);
                missing.then_some(0)
            }
        }
    }

    fn every(n: usize, k: usize) -> bool {
        n > 0 && k.is_multiple_of(n)
    }

    /// Face detection (run on the decoding thread, which has spare time).
    fn detect(
        models: &FaceModels,
        small: &SmallFaceConfig,
        img: &RgbImage,
    ) -> Result<Vec<Detection>, FaceError> {
        models.detect_with(img, &models.config().detector, small)
    }

    fn on_frame(&mut self, f: SampledFrame, dets: Vec<Detection>) -> Result<(), FaceError> {
        let img = &f.image;
        let mut rec = FrameRecord {
            obs: FrameObservation {
                t_ms: f.t_ms,
                face: None,
                other_faces: 0,
            },
            det_score: None,
            roll: None,
            eyes_closed: None,
            n_detections: dets.len(),
        };
        let Some(ix) = self.pick(&dets, f.t_ms) else {
            self.frames.push(rec);
            return Ok(());
        };
        let det = dets[ix];
        let lm = self.models.landmarks(img, &det)?;
        let cue_lm = match self.cfg.landmark_crop {
            LandmarkCrop::Sdk => None,
            LandmarkCrop::SquareBox => Some(
                self.models
                    .landmarks(img, &square_box_as_sdk(&det, img.width(), img.height()))?,
            ),
        };
        let Some((yaw_lmk, pitch_lmk)) = landmark_cues(cue_lm.as_ref().unwrap_or(&lm)) else {
            self.frames.push(rec);
            return Ok(());
        };
        self.track = Some(det.bbox);
        self.last_seen_ms = Some(f.t_ms);
        let k = self.face_frames;
        self.face_frames += 1;

        let pose = if Self::every(self.cfg.pose_every, k) {
            Some(self.models.head_pose(img, &det, &self.cfg.pose)?)
        } else {
            None
        };
        let p_live = if Self::every(self.cfg.anti_spoof_every, k) {
            Some(f64::from(
                self.models
                    .anti_spoof(img, &det, &self.cfg.anti_spoof)?
                    .live,
            ))
        } else {
            None
        };
        if Self::every(self.cfg.eyes_every, k) {
            let e = self.models.eye_state(img, &lm, &self.cfg.eyes)?;
            let v: Vec<f32> = [e.left_closed, e.right_closed]
                .into_iter()
                .flatten()
                .collect();
            if !v.is_empty() {
                let m = v.iter().sum::<f32>() / v.len() as f32;
                rec.eyes_closed = Some(m);
                self.eye_measurements += 1;
                let closed = e.closed(0.5);
                if closed {
                    self.closed_eye_frames += 1;
                }
                if self.eye_closed_prev == Some(true) && !closed {
                    self.blinks += 1;
                }
                self.eye_closed_prev = Some(closed);
            }
        }

        // Second person: other detections passing the rule.
        let area = det.bbox.area();
        let mut others = Vec::new();
        let mut n_second = 0;
        for (i, d) in dets.iter().enumerate() {
            if i == ix {
                continue;
            }
            others.push(*d);
            if d.score >= self.cfg.second_face.min_score
                && area > 0.0
                && d.bbox.area() >= self.cfg.second_face.min_area_ratio * area
                && d.bbox.iou(&det.bbox) < 0.3
            {
                let l2 = self.models.landmarks(img, d)?;
                if plausible(&l2, &d.bbox) {
                    n_second += 1;
                }
            }
        }

        rec.det_score = Some(det.score);
        rec.roll = pose.map(|p| p.roll);
        rec.obs.other_faces = n_second;
        rec.obs.face = Some(FaceObs {
            yaw_lmk,
            pitch_lmk,
            pose_yaw: pose.map(|p| f64::from(p.yaw)),
            pose_pitch: pose.map(|p| f64::from(p.pitch)),
            p_live,
            bbox: [det.bbox.x1, det.bbox.y1, det.bbox.x2, det.bbox.y2],
        });

        // Frontal by the landmarks and, where the pose model answers, by it
        // too: landmarks on a profile face can look frontal.
        let pose_frontal =
            pose.is_none_or(|p| f64::from(p.yaw).abs() < 1.5 * self.cfg.frontal_max_yaw);
        if yaw_lmk.abs() < self.cfg.frontal_max_yaw && pose_frontal {
            // Identity-consistency embedding.
            let due = self
                .last_embed_ms
                .is_none_or(|l| f.t_ms - l >= self.cfg.embed_interval_s * 1000.0);
            if due && self.embeddings.len() < self.cfg.max_embeddings {
                if let Ok(e) = self.models.embed(img, &lm) {
                    self.embeddings.push((f.t_ms, e));
                    self.last_embed_ms = Some(f.t_ms);
                }
            }
            // Best-frame candidate: sharpness × frontalness, eyes open.
            let eyes_ok = rec.eyes_closed.is_none_or(|p| p < 0.5);
            if eyes_ok && self.cfg.best_frames > 0 {
                let front = (-(yaw_lmk / 15.0).powi(2)).exp();
                let q = front * (1.0 + sharpness(img, &det.bbox)).ln() * f64::from(det.score);
                self.offer(Candidate {
                    t_ms: f.t_ms,
                    quality: q,
                    image: f.image.clone(),
                    det,
                    landmarks: lm,
                    others,
                });
            }
        }
        self.frames.push(rec);
        Ok(())
    }

    /// Keeps the `best_frames` best candidates at least `best_frames_spacing_s` apart.
    fn offer(&mut self, c: Candidate) {
        let spacing = self.cfg.best_frames_spacing_s * 1000.0;
        if let Some(i) = self
            .candidates
            .iter()
            .position(|o| (o.t_ms - c.t_ms).abs() < spacing)
        {
            if self.candidates[i].quality < c.quality {
                self.candidates[i] = c;
            }
        } else if self.candidates.len() < self.cfg.best_frames {
            self.candidates.push(c);
        } else if let Some((i, _)) = self
            .candidates
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.quality.total_cmp(&b.1.quality))
        {
            if self.candidates[i].quality < c.quality {
                self.candidates[i] = c;
            }
        }
    }

    fn finish(mut self, video: VideoInfo) -> Result<VideoAnalysis, FaceError> {
        self.candidates
            .sort_by(|a, b| b.quality.total_cmp(&a.quality));
        let mut best_frames = Vec::with_capacity(self.candidates.len());
        for c in std::mem::take(&mut self.candidates) {
            if let Some(a) = self.full_analysis(&c)? {
                best_frames.push(BestFrame {
                    t_ms: c.t_ms,
                    quality: c.quality,
                    analysis: a,
                });
            }
        }
        let identity = match best_frames.first() {
            Some(b) if !self.embeddings.is_empty() => {
                let mut cos: Vec<f32> = self
                    .embeddings
                    .iter()
                    .map(|(_, e)| e.cosine(&b.analysis.embedding))
                    .collect();
                cos.sort_by(f32::total_cmp);
                let enough = cos.len() >= 2;
                IdentityConsistency {
                    samples: cos.len(),
                    min_cosine: enough.then(|| cos[0]),
                    median_cosine: enough.then(|| cos[cos.len() / 2]),
                    robust_min_cosine: enough
                        .then(|| cos[usize::from(cos.len() >= ROBUST_MIN_SAMPLES)]),
                    times_ms: self.embeddings.iter().map(|(t, _)| *t).collect(),
                }
            }
            _ => IdentityConsistency {
                samples: self.embeddings.len(),
                min_cosine: None,
                median_cosine: None,
                robust_min_cosine: None,
                times_ms: self.embeddings.iter().map(|(t, _)| *t).collect(),
            },
        };
        Ok(VideoAnalysis {
            video,
            frames: self.frames,
            best_frames,
            identity,
            closed_eye_frames: self.closed_eye_frames,
            eye_measurements: self.eye_measurements,
            blinks: self.blinks,
        })
    }

    /// A `FaceAnalysis` of the tracked face in a candidate frame (the same fields as
    /// `FaceModels::analyze_with` with the selfie options, for the tracked face rather than
    /// the largest).
    fn full_analysis(&self, c: &Candidate) -> Result<Option<FaceAnalysis>, FaceError> {
        let m = self.models;
        let img = &c.image;
        let five = c.landmarks.five();
        let Some(aligned) = align_face(img, &five) else {
            return Ok(None);
        };
        let embedding = m.embed_aligned(&aligned)?;
        let (sharp, bright) = measure_aligned(&aligned);
        let quality = Quality {
            face_width: c.det.bbox.width(),
            face_height: c.det.bbox.height(),
            interocular: c.landmarks.interocular(),
            detection_score: c.det.score,
            sharpness: sharp,
            brightness: bright,
        };
        let warnings = quality_warnings(&quality, &m.config().quality);
        Ok(Some(FaceAnalysis {
            image_width: img.width(),
            image_height: img.height(),
            square_box: c.det.square_box(img.width(), img.height()),
            detection: c.det,
            landmarks: c.landmarks.clone(),
            five,
            embedding,
            quality,
            warnings,
            other_faces: c.others.clone(),
            anti_spoof: Some(m.anti_spoof(img, &c.det, &self.cfg.anti_spoof)?),
            head_pose: Some(m.head_pose(img, &c.det, &self.cfg.pose)?),
            eyes: Some(m.eye_state(img, &c.landmarks, &self.cfg.eyes)?),
        }))
    }
}

/// Decodes `bytes` on a helper thread and analyses the sampled frames as they arrive.
///
/// Errors: [`AnalysisError::Decode`] for undecodable, empty or over-limit videos (the API's
/// 505), [`AnalysisError::Face`] when a model fails. A video without any face is *not* an
/// error here: every frame record then has `face: None` (the caller maps it to 500).
pub fn analyze_video(
    models: &FaceModels,
    bytes: &[u8],
    cfg: &AnalysisConfig,
) -> Result<VideoAnalysis, AnalysisError> {
    let mut an = Analyzer::new(models, cfg);
    let small = an.small;
    type Item = (SampledFrame, Result<Vec<Detection>, FaceError>);
    let (tx, rx) = mpsc::sync_channel::<Item>(3);
    let mut face_err: Option<FaceError> = None;
    let decoded = std::thread::scope(|s| {
        // Two-stage pipeline: decoding + detection on a helper thread, tracking and the other
        // models here. `tx` moves into the thread: the channel closes when decoding ends.
        let h = s.spawn(move || {
            decode_frames(bytes, &cfg.decode, |f| {
                let dets = Analyzer::detect(models, &small, &f.image);
                let failed = dets.is_err();
                match tx.send((f, dets)) {
                    Ok(()) if !failed => ControlFlow::Continue(()),
                    // A model error, or the analysis stopped: stop decoding.
                    _ => ControlFlow::Break(()),
                }
            })
        });
        for (f, dets) in rx.iter() {
            if let Err(e) = dets.and_then(|d| an.on_frame(f, d)) {
                face_err = Some(e);
                break;
            }
        }
        drop(rx);
        h.join()
    });
    if let Some(e) = face_err {
        return Err(AnalysisError::Face(e));
    }
    let video =
        decoded.map_err(|_| AnalysisError::Internal("the decoding thread panicked".into()))??;
    Ok(an.finish(video)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lm_with(nose_x: f32, nose_y: f32) -> Landmarks68 {
        let mut p = vec![[50.0f32, 50.0]; 68];
        p[0] = [0.0, 40.0];
        p[16] = [100.0, 40.0];
        p[36] = [20.0, 40.0];
        p[45] = [80.0, 40.0];
        p[8] = [50.0, 100.0];
        p[30] = [nose_x, nose_y];
        Landmarks68::try_from(p).unwrap()
    }

    #[test]
    fn landmark_cue_signs() {
        let (y0, p0) = landmark_cues(&lm_with(50.0, 70.0)).unwrap();
        assert!(y0.abs() < 1e-9);
        assert!((p0 + 50.0).abs() < 1e-9);
        // Nose toward image right -> yaw < 0; 0.3 of the span / 0.6 -> asin(0.5) = 30°.
        let (y, _) = landmark_cues(&lm_with(80.0, 70.0)).unwrap();
        assert!((y + 30.0).abs() < 1e-9, "{y}");
        let (y, _) = landmark_cues(&lm_with(10.0, 70.0)).unwrap();
        assert!(y > 40.0);
        // Beyond the clip: ±90°.
        let (y, _) = landmark_cues(&lm_with(200.0, 70.0)).unwrap();
        assert!((y + 90.0).abs() < 1e-9);
        // Looking down: the nose drops toward the chin -> pitch decreases.
        let (_, p) = landmark_cues(&lm_with(50.0, 80.0)).unwrap();
        assert!(p < p0);
    }

    #[test]
    fn plausibility() {
        let b = BBox {
            x1: 0.0,
            y1: 0.0,
            x2: 100.0,
            y2: 100.0,
        };
        assert!(plausible(&lm_with(50.0, 70.0), &b));
        // Nose above the eyes.
        assert!(!plausible(&lm_with(50.0, 20.0), &b));
    }

    #[test]
    fn sharpness_orders_blur() {
        let mut sharp = RgbImage::new(64, 64);
        for (x, y, p) in sharp.enumerate_pixels_mut() {
            let v = if (x / 2 + y / 2) % 2 == 0 { 255 } else { 0 };
            *p = image::Rgb([v, v, v]);
        }
        let flat = RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
        let b = BBox {
            x1: 0.0,
            y1: 0.0,
            x2: 63.0,
            y2: 63.0,
        };
        assert!(sharpness(&sharp, &b) > 1000.0);
        assert_eq!(sharpness(&flat, &b), 0.0);
    }
}
