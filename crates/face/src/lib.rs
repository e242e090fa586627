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
