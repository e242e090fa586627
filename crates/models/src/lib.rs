//! The engine's models: the pinned manifest, where the files live, their
//! sha256 verification, and ONNX Runtime sessions shared across threads.
//!
//! Nothing here touches the network: files are put in place by
//! `scripts/setup`; this crate only finds, verifies and loads them.

mod error;
mod manifest;
mod model_dir;
mod session;

pub use error::ModelError;
pub use manifest::{manifest, ManifestFile, ORT_LIBRARY};
pub use model_dir::{resolve_model_dir, ModelSet, MODEL_DIR_ENV};
pub use session::{ort_environment, ModelSession};

/// The command that installs or repairs the model directory.
pub const FIX_COMMAND: &str = "scripts/setup";
