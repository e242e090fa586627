//! Active liveness from a selfie video.
//!
//! * [`decode`]: in-memory video decoding (MP4/MOV, WebM/Matroska, GIF) to sampled,
//!   upright, down-scaled RGB frames, with limits and typed errors.
//! * [`encode`]: in-memory encoder for synthetic clips (tests, clip generator).
//! * [`actions`]: the action state machine (turn left / turn right / nod) over a per-frame
//!   head-pose track, sequence matching and the `livenessScore`.

pub mod actions;
pub mod decode;
pub mod encode;

pub use decode::{
    decode_frames, probe, DecodeError, DecodeLimits, DecodeOptions, LimitKind, Orientation,
    SampledFrame, VideoInfo,
};
pub use encode::{encode_video, Container, EncodeError, EncodeOptions, VideoCodec};
