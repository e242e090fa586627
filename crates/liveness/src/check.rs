//! The liveness check end to end: video bytes + requested actions → [`LivenessReport`].
//!
//! # `livenessScore` and the decision
//!
//! 1. Action evidence ([`crate::actions::score_events`]): with `conf = clip((peak − lo)/(hi −
//!    lo))` per event (turn 20→30°, nod 8→14 landmark-pitch units),
//!    `exact match ? 0.5 + 0.5·(0.5 + 0.5·min conf) : 0.45·LCS/len(req)·len(req)/max(n, len(req))`,
//!    so a wrong, missing or extra action can never reach the threshold.
//! 2. Soft anti-replay factors (lower the score): `× min(1, face_ratio/0.9)` (face presence),
//!    `× (1 − 0.5·multi_fraction)` (share of frames with a second person), `× (0.8 +
//!    0.2·P(live))` (median fr_liveness P(live), BGR, every 6th analysed frame).
//! 3. Hard checks (fail: the score is capped at [`POLICY_FAIL_CAP`] = 0.45 and the reason is
//!    given): no face; face present < 80 % of the time or missing > 2 s; a second person in
//!    ≥ 30 % of the frames; analysed frame rate < 9.5 fps; identity not consistent (an
//!    embedding sampled every 1.25 s on frontal frames, one outlier set aside when there are
//!    five or more, has cosine <
//!    [`CheckOptions::min_identity_cosine`] with the best frame, 0.31 = the face crate's
//!    1:1000 false-match threshold); median P(live) < [`CheckOptions::min_p_live`] (0.05:
//!    a physical screen replay reads ≈ 0.00, real clips 0.56-1.00).
//! 4. **Pass ⇔ `livenessScore ≥ 0.5`** ([`PASS_THRESHOLD`]).
//!
//! Photo replays that perform the right actions (the clip generator's output, re-animation
//! tools) are not detected by these signals: see `LIVENESS_NOTES.md` §7.

use kyc_face::FaceModels;
use serde::Serialize;

use crate::actions::{evaluate, Action, FailureReason, LivenessConfig, LivenessResult};
use crate::analyze::{
    analyze_video, AnalysisConfig, AnalysisError, BestFrame, FrameRecord, IdentityConsistency,
};
use crate::decode::{DecodeError, VideoInfo};

pub use crate::actions::{PASS_THRESHOLD, POLICY_FAIL_CAP};

/// Options of [`check_liveness`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOptions {
    /// Decoding and per-frame analysis.
    pub analysis: AnalysisConfig,
    /// Action detection, score and policy.
    pub decision: LivenessConfig,
    /// Identity consistency: fail below this cosine (0.31).
    pub min_identity_cosine: f32,
    /// Fail when the median P(live) is below this (0.05); `None` disables the check.
    pub min_p_live: Option<f64>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            analysis: AnalysisConfig::default(),
            decision: LivenessConfig::default(),
            min_identity_cosine: kyc_face::FalseMatchRate::OneInThousand.cosine_threshold(),
            min_p_live: Some(0.05),
        }
    }
}

/// The anti-replay signals and what each one decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AntiReplaySignals {
    /// Share of frames with the tracked face (after smoothing).
    pub face_ratio: f64,
    /// Longest time without the face, seconds.
    pub max_face_gap_s: f64,
    /// Share of frames with a second person.
    pub multi_face_fraction: f64,
    /// Median P(live) of fr_liveness.
    pub p_live: Option<f64>,
    /// Identity consistency of the tracked face.
    pub identity: IdentityConsistency,
    /// Eye-state measurements / with eyes closed / blinks (reported, not scored).
    pub eye_measurements: usize,
    /// Measurements with the eyes closed.
    pub closed_eye_frames: usize,
    /// Closed → open transitions.
    pub blinks: usize,
}

/// The result of [`check_liveness`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivenessReport {
    /// Score, decision, detected events (time ranges and peaks), reasons.
    pub result: LivenessResult,
    /// The request, as understood.
    pub requested: Vec<Action>,
    /// The request's mirror flag.
    pub mirrored: bool,
    /// Anti-replay evidence.
    pub signals: AntiReplaySignals,
    /// The most frontal, sharp frames of the tracked face, best first, with their full face
    /// analysis (embedding included) for the comparison with the ID portrait and the
    /// reference photo.
    pub best_frames: Vec<BestFrame>,
    /// What the decoder saw.
    pub video: VideoInfo,
    /// Per-frame records (not serialised: large).
    #[serde(skip)]
    pub frames: Vec<FrameRecord>,
}

/// Why no liveness decision could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LivenessError {
    /// The video is empty, undecodable or over a limit (API code 505).
    #[error("invalid video: {0}")]
    Video(#[from] DecodeError),
    /// No face in any analysed frame (API code 500).
    #[error("no face was found in the video")]
    NoFace {
        /// Analysed frames.
        frames: usize,
    },
    /// The request is invalid (no action).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A face model failed.
    #[error("face model failure: {0}")]
    Model(#[from] kyc_face::FaceError),
    /// Internal failure.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl LivenessError {
    /// The API result code: 505 for video problems, 500 for no face, 0 otherwise (the
    /// engine decides).
    pub fn api_code(&self) -> u16 {
        match self {
            LivenessError::Video(_) => 505,
            LivenessError::NoFace { .. } => 500,
            _ => 0,
        }
    }
}

impl From<AnalysisError> for LivenessError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::Decode(d) => LivenessError::Video(d),
            AnalysisError::Face(f) => LivenessError::Model(f),
            AnalysisError::Internal(s) => LivenessError::Internal(s),
        }
    }
}

/// Runs the whole check: decodes (streamed), tracks and analyses the face, detects the
/// actions, applies the anti-replay checks and computes the `livenessScore`.
///
/// `mirrored`: the frames are mirrored (selfie preview); action `1` is the subject's own
/// left as seen in an un-mirrored camera image.
pub fn check_liveness(
    models: &FaceModels,
    bytes: &[u8],
    requested: &[Action],
    mirrored: bool,
    opts: &CheckOptions,
) -> Result<LivenessReport, LivenessError> {
    if requested.is_empty() {
        return Err(LivenessError::InvalidRequest("no action requested".into()));
    }
    let an = analyze_video(models, bytes, &opts.analysis)?;
    if an.frames.is_empty() {
        return Err(LivenessError::Video(DecodeError::Truncated {
            reason: "no frame could be sampled".into(),
        }));
    }
    if an.frames.iter().all(|f| f.obs.face.is_none()) {
        return Err(LivenessError::NoFace {
            frames: an.frames.len(),
        });
    }
    let obs: Vec<_> = an.frames.iter().map(|f| f.obs).collect();
    let mut result = evaluate(&obs, requested, mirrored, &opts.decision);
    if let Some(c) = an.identity.robust_min_cosine {
        if c < opts.min_identity_cosine {
            result.fail_with(FailureReason::IdentityChanged {
                min_cosine: f64::from(c),
            });
        }
    }
    if let (Some(min), Some(p)) = (opts.min_p_live, result.p_live) {
        if p < min {
            result.fail_with(FailureReason::SpoofSuspected { p_live: p });
        }
    }
    let signals = AntiReplaySignals {
        face_ratio: result.face_ratio,
        max_face_gap_s: result.max_face_gap_s,
        multi_face_fraction: result.multi_face_fraction,
        p_live: result.p_live,
        identity: an.identity,
        eye_measurements: an.eye_measurements,
        closed_eye_frames: an.closed_eye_frames,
        blinks: an.blinks,
    };
    Ok(LivenessReport {
        result,
        requested: requested.to_vec(),
        mirrored,
        signals,
        best_frames: an.best_frames,
        video: an.video,
        frames: an.frames,
    })
}
