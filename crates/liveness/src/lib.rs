//! Active liveness from a selfie video.
//!
//! * [`check_liveness`]: the whole check — video bytes + requested actions → score,
//!   decision, reasons, detected events, anti-replay signals and best frames.
//! * [`decode`]: in-memory video decoding (MP4/MOV, WebM/Matroska, GIF) to sampled,
//!   upright, down-scaled RGB frames, with limits and typed errors.
//! * [`analyze`]: per-frame analysis through `kyc-face` (tracked main face, landmark and
//!   fr_pose cues, anti-spoof, eye state, embeddings, best frames), streamed.
//! * [`actions`]: the action state machine (turn left / turn right / nod) over a per-frame
//!   head-pose track, sequence matching and the `livenessScore`.
//! * [`generate`]: a clip generator (2.5-D warp of a still photo through a yaw/pitch
//!   schedule) with per-frame ground truth, for tests, the demo and benchmarks.
//! * [`encode`]: in-memory encoder used by the generator and the tests.
//! * [`eval`]: evaluation over a labelled clip set (`kyc eval liveness`).
//!
//! # Convention
//!
//! Action `1` = turn to the subject's **own left**, `2` = own right, `3` = nod, as seen in an
//! un-mirrored camera image (the subject's left appears on the image right). Set
//! `mirrored = true` when the stored frames are mirrored (a selfie preview): it flips
//! left and right.
//!
//! # Which cue decides (measured)
//!
//! Event-sequence accuracy over the 21 clips with a definite label of
//! `eval/liveness/labels.csv` (`kyc eval liveness --cue …`, or the `eval_labels` example
//! with `LV_CROP` / `LV_POSE_MARGIN`), same state machine thresholds per cue family:
//!
//! | cue | correct |
//! |---|---|
//! | landmark geometry, fr_landmark on the square box (default) | 18/21 (17/21 before the re-entry guard) |
//! | landmark geometry, fr_landmark on the SDK crop | 17/21 |
//! | landmark yaw + fr_pose pitch (+25 % crop, RGB) | 16/21, one positive failed |
//! | fr_pose, tight crop (margin 0, RGB) | 14/21 |
//! | fr_pose, +25 % crop (RGB) | 11/21, one positive failed |
//!
//! So the landmark cue drives the decision ([`actions::Cue::Landmark`], thresholds
//! [`actions::ActionParams::landmark`]); fr_pose runs on every 6th frame for the report.
//! The remaining misses are expressive / talking-head clips with genuine 15-30° head motion
//! (`lp_d3`, `tpsmm_driving`, `3dmm_sample_video`), as for the Python prototype.

pub mod actions;
pub mod analyze;
pub mod check;
pub mod decode;
pub mod encode;
pub mod eval;
pub mod generate;

pub use actions::{Action, ActionEvent, FailureReason, LivenessResult, PASS_THRESHOLD};
pub use analyze::{AnalysisConfig, BestFrame, IdentityConsistency, VideoAnalysis};
pub use check::{check_liveness, AntiReplaySignals, CheckOptions, LivenessError, LivenessReport};
pub use decode::{
    decode_frames, probe, DecodeError, DecodeLimits, DecodeOptions, LimitKind, Orientation,
    SampledFrame, VideoInfo,
};
pub use encode::{encode_video, Container, EncodeError, EncodeOptions, VideoCodec};
pub use generate::{render_clip, ClipSpec, GeneratedClip, GroundTruth};
