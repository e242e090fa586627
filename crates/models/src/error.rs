use std::path::PathBuf;

/// What went wrong while finding, verifying or loading a model file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file is not in the model directory.
    #[error("model file `{file}` is missing (looked for {path}); run `{fix}` to fetch it, or point --model-dir / KYC_MODEL_DIR at a directory that has it")]
    Missing {
        file: String,
        path: PathBuf,
        fix: &'static str,
    },
    /// The file is there but its sha256 is not the pinned one.
    #[error("model file `{file}` at {path} is corrupt or not the pinned version (sha256 {actual}, expected {expected}); run `{fix}` to replace it")]
    Corrupt {
        file: String,
        path: PathBuf,
        expected: String,
        actual: String,
        fix: &'static str,
    },
    /// The file could not be read.
    #[error("model file `{file}` at {path} cannot be read: {source}")]
    Unreadable {
        file: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A name that the manifest does not list was requested.
    #[error("`{0}` is not listed in models/manifest.toml")]
    NotInManifest(String),
    /// The ONNX Runtime shared library could not be loaded.
    #[error("cannot load the ONNX Runtime library {path}: {reason}")]
    Runtime { path: PathBuf, reason: String },
    /// ONNX Runtime rejected a model file.
    #[error("ONNX Runtime cannot load `{file}`: {reason}")]
    Session { file: String, reason: String },
    /// A model ran but failed or returned something unexpected.
    #[error("inference with `{file}` failed: {reason}")]
    Inference { file: String, reason: String },
}
