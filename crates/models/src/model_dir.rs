use crate::{manifest, ModelError, FIX_COMMAND};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable naming the model directory.
pub const MODEL_DIR_ENV: &str = "KYC_MODEL_DIR";

/// Where the models are: the explicit path if given, else `$KYC_MODEL_DIR`,
/// else `models/` in the current directory or beside the executable (or in
/// the repository the executable was built in).
pub fn resolve_model_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os(MODEL_DIR_ENV) {
        return PathBuf::from(p);
    }
    let mut candidates = vec![PathBuf::from("models")];
    if let Ok(exe) = std::env::current_exe() {
        // target/{debug,release}/kyc -> repository root
        for ancestor in exe.ancestors().skip(1).take(4) {
            candidates.push(ancestor.join("models"));
        }
    }
    candidates
        .iter()
        .find(|c| c.join("manifest.toml").is_file() || c.join("fr_detect.onnx").is_file())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("models"))
}

/// A model directory whose files were checked against the manifest.
#[derive(Debug, Clone)]
pub struct ModelSet {
    dir: PathBuf,
    verified: HashMap<String, PathBuf>,
}

impl ModelSet {
    /// Verifies every file of the manifest in `dir`.
    pub fn open(dir: &Path) -> Result<Self, ModelError> {
        let names: Vec<&str> = manifest().iter().map(|f| f.name.as_str()).collect();
        Self::open_only(dir, &names)
    }

    /// Verifies only the named files (for tools that need a subset).
    pub fn open_only(dir: &Path, names: &[&str]) -> Result<Self, ModelError> {
        let mut verified = HashMap::new();
        for name in names {
            let path = verify_file(dir, name)?;
            verified.insert((*name).to_string(), path);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            verified,
        })
    }

    /// The directory the files were found in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a verified file.
    pub fn path(&self, name: &str) -> Result<&Path, ModelError> {
        self.verified
            .get(name)
            .map(PathBuf::as_path)
            .ok_or_else(|| ModelError::NotInManifest(name.to_string()))
    }

    /// Names of the verified files.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.verified.keys().map(String::as_str)
    }
}

/// Checks one file against its pinned sha256 and returns its path.
fn verify_file(dir: &Path, name: &str) -> Result<PathBuf, ModelError> {
    let entry = manifest()
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| ModelError::NotInManifest(name.to_string()))?;
    let path = dir.join(name);
    if !path.is_file() {
        return Err(ModelError::Missing {
            file: name.to_string(),
            path,
            fix: FIX_COMMAND,
        });
    }
    let actual = sha256_file(&path).map_err(|source| ModelError::Unreadable {
        file: name.to_string(),
        path: path.clone(),
        source,
    })?;
    if actual != entry.sha256 {
        return Err(ModelError::Corrupt {
            file: name.to_string(),
            path,
            expected: entry.sha256.clone(),
            actual,
            fix: FIX_COMMAND,
        });
    }
    Ok(path)
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kyc-models-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn missing_file_names_the_file_and_the_fix() {
        let dir = temp_dir("missing");
        let err = ModelSet::open_only(&dir, &["fr_eye.onnx"]).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ModelError::Missing { .. }));
        assert!(
            msg.contains("fr_eye.onnx") && msg.contains("scripts/setup"),
            "{msg}"
        );
    }

    #[test]
    fn corrupt_file_names_the_file_and_the_fix() {
        let dir = temp_dir("corrupt");
        std::fs::write(dir.join("fr_eye.onnx"), b"not a model").unwrap();
        let err = ModelSet::open_only(&dir, &["fr_eye.onnx"]).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ModelError::Corrupt { .. }), "{msg}");
        assert!(
            msg.contains("fr_eye.onnx") && msg.contains("scripts/setup"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_name_is_rejected() {
        let dir = temp_dir("unknown");
        let err = ModelSet::open_only(&dir, &["evil.onnx"]).unwrap_err();
        assert!(matches!(err, ModelError::NotInManifest(_)));
    }

    #[test]
    fn sha256_of_known_bytes() {
        let dir = temp_dir("sha");
        let p = dir.join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
