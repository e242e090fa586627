//! Face detection, landmarks, alignment, embedding and comparison, plus the
//! per-face signals used by liveness (head pose, passive anti-spoof, eye
//! state), on the faceplugin ONNX models.
//!
//! The recipe is the "recommended" pipeline of the Python reference
//! (`reference/fp.py`, FACE_MODELS.md): `fr_detect` (BGR, 320×240) →
//! `fr_landmark` on the SDK crop (true-luma gray) → 5 points → Umeyama
//! similarity warp to the ArcFace 112×112 template → `fr_feature` (BGR) →
//! cosine of L2-normalised 512-d embeddings.
//!
//! ```no_run
//! use kyc_face::{decode_image, FaceConfig, FaceModels, DecodeLimits};
//! # fn main() -> Result<(), kyc_face::FaceError> {
//! let models = FaceModels::open(None, FaceConfig::default())?; // $KYC_MODEL_DIR
//! let limits = DecodeLimits::default();
//! let selfie = decode_image(&std::fs::read("selfie.jpg").unwrap(), &limits)?;
//! let card = decode_image(&std::fs::read("card.jpg").unwrap(), &limits)?;
//! let a = models.analyze(&selfie)?;
//! let b = models.analyze_with(&card, &kyc_face::AnalyzeOptions::id_document())?;
//! let m = models.compare(&a, &b);
//! println!("cosine {:.3} score {:.2} match {}", m.cosine, m.score, m.is_match);
//! # Ok(()) }
//! ```
//!
//! Frames are [`image::RgbImage`]. All models run on single-threaded ONNX
//! Runtime sessions; [`FaceModels`] is `Send + Sync` and meant to be shared
//! through an `Arc`.
//!
//! # Measurements
//!
//! Verification on the dev pairs (`kyc eval face`, 78 images, 3003 pairs,
//! 154 genuine; release build):
//!
//! | | AUC | EER | TAR @ FAR 1 % | TAR @ FAR 0.1 % |
//! |---|---|---|---|---|
//! | clean | 1.0000 | 0.00 % | 100 % | 100 % |
//! | `--cross-quality` (6006 comparisons) | 0.9969 | 3.18 % | 94.2 % | 86.0 % |
//! | Python reference, same cross-quality | 0.9963 | 3.23 % | 93.8 % | 86.7 % |
//!
//! Cross-quality = a 3:4 portrait around the face, shrunk to a 48 px face
//! box, JPEG quality 40 with 4:2:0 chroma like libjpeg, scored against the
//! other original in both directions ([`eval::CrossQuality`]). On these 78
//! images TAR at FAR 0.1 % rests on the 6 highest of 5698 impostor scores
//! and one genuine comparison is worth 0.32 points; 34 of the 41 genuine
//! misses are one person (8 photos across hair colour and heavy make-up).
//! FACE_MODELS.md's 96.5 % for the same reference recipe was measured on a
//! 176-image set that adds 98 LFW images not in this folder.
//!
//! Small faces ([`SmallFaceMode`]): an ID portrait on a card in a 1280×960
//! photo (`examples/small_faces.rs`, 74 single-face eval images) is found
//! by the whole-frame pass 0 % of the time up to a 40 px face box (58 % at
//! 48 px, 97 % at 64 px) and by the tiled pass 95 % at 20 px and 100 % from
//! 24 px; its embedding then matches the original (cosine ≥ 0.31) 82 % at
//! 20 px, 99 % at 24 px, 100 % from 28 px. The tiled pass costs ≈ 16
//! detector runs (≈ 100 ms on a loaded 2-core machine vs ≈ 6 ms).

pub mod align;
mod antispoof;
mod compare;
mod detect;
mod embed;
mod error;
pub mod eval;
mod eyes;
mod image_io;
mod landmarks;
pub mod ops;
mod pipeline;
mod pose;
mod quality;
mod runner;

pub use align::{align_face, umeyama, Affine2, ALIGNED_SIZE, ARCFACE_TEMPLATE};
pub use antispoof::{AntiSpoof, AntiSpoofOptions};
pub use compare::{compare, cosine_to_score, FalseMatchRate, MatchResult};
pub use detect::{
    BBox, Detection, DetectorConfig, Nms, SmallFaceConfig, SmallFaceMode, DETECT_HEIGHT,
    DETECT_WIDTH,
};
pub use embed::{Embedding, EMBEDDING_DIM};
pub use error::{FaceError, Limit};
pub use eyes::{EyeGray, EyeOptions, EyeState};
pub use image_io::{decode_image, load_image, DecodeLimits};
pub use landmarks::{FivePoints, Landmarks68, N_LANDMARKS};
pub use ops::{ChannelOrder, GrayMode};
pub use pipeline::{
    AnalyzeOptions, EmbeddingConfig, FaceAnalysis, FaceConfig, FaceModels, MODEL_FILES,
};
pub use pose::{HeadPose, PoseOptions};
pub use quality::{measure_aligned, quality_warnings, Quality, QualityThresholds, Warning};
