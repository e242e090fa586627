//! The KYC engine: the hosted CamDigiKey KYC API's types and the engine that
//! composes the stages (MRZ, OCR, face, liveness) into its six operations.

pub mod api;
pub mod clock;
pub mod debug;
pub mod document;
mod engine;
pub mod matching;
mod readers;
pub mod reference;
pub mod samples;

pub use engine::{Engine, EngineConfig, EngineError};
