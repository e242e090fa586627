//! The hosted CamDigiKey KYC API (release 2.1.0) as Rust types: the envelope,
//! the error codes, and the requests and responses of the six operations.
//!
//! Responses serialise to exactly the hosted API's JSON; the engine's own
//! evidence lives under one extra key, [`PRECHECK_KEY`], inside `data`.

mod envelope;
mod request;
mod response;

pub use envelope::{ApiError, Envelope, ErrorCode};
pub use request::{
    decode_base64, parse_request, Action, Actions, Gender, IdCardLivenessRequest,
    InfoFaceIdCardRequest, InfoFaceRequest, OcrIdCardRequest, OcrPassportRequest, Operation,
    Request, UserInfo,
};
pub use response::{
    IdCardOcrData, InfoData, InfoFaceData, InfoFaceIdCardData, LivenessData, PassportOcrData,
};

/// The key under which the engine's extension object sits in `data`.
pub const PRECHECK_KEY: &str = "precheck";
