use crate::{ModelError, ModelSet, ORT_LIBRARY};
use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The process-wide ONNX Runtime environment, loaded once from `library`
/// (normally the verified `libonnxruntime.so.1.31.1` of the model directory).
/// Later calls return the first environment whatever path they pass.
pub fn ort_environment(library: &Path) -> Result<Environment, ModelError> {
    static ENV: OnceLock<Result<Environment, (PathBuf, String)>> = OnceLock::new();
    let result = ENV.get_or_init(|| {
        // Keep the load error as a string: turning it into `ort::Error` would
        // make ort dlopen a default library name and panic (BUILD_NOTES #4).
        let builder =
            ort::init_from(library).map_err(|e| (library.to_path_buf(), e.to_string()))?;
        builder
            .with_name("kyc")
            .build()
            .map_err(|e| (library.to_path_buf(), e.to_string()))
    });
    result
        .clone()
        .map_err(|(path, reason)| ModelError::Runtime { path, reason })
}

/// One model, loaded once, usable from many threads.
///
/// `ort` needs `&mut Session` to run, so the model keeps a small pool of
/// sessions (one per worker, each single-threaded: on few cores parallel
/// single-thread sessions beat one multi-thread session) and hands a free one
/// to each caller.
pub struct ModelSession {
    name: String,
    pool: Vec<Mutex<Session>>,
}

impl std::fmt::Debug for ModelSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSession")
            .field("name", &self.name)
            .field("pool", &self.pool.len())
            .finish()
    }
}

impl ModelSession {
    /// Loads `name` from a verified model set with `workers` sessions.
    pub fn load(models: &ModelSet, name: &str, workers: usize) -> Result<Self, ModelError> {
        let env = ort_environment(models.path(ORT_LIBRARY)?)?;
        let path = models.path(name)?;
        let err = |e: String| ModelError::Session {
            file: name.to_string(),
            reason: e,
        };
        let mut pool = Vec::new();
        for _ in 0..workers.max(1) {
            let session = Session::builder(&env)
                .map_err(|e| err(e.to_string()))?
                .with_optimization_level(GraphOptimizationLevel::Level3)
                .map_err(|e| err(e.to_string()))?
                .with_intra_threads(1)
                .map_err(|e| err(e.to_string()))?
                .commit_from_file(path)
                .map_err(|e| err(e.to_string()))?;
            pool.push(Mutex::new(session));
        }
        Ok(Self {
            name: name.to_string(),
            pool,
        })
    }

    /// The model's file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` with exclusive use of one session of the pool.
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let mut guard = self.checkout();
        f(&mut guard)
    }

    fn checkout(&self) -> MutexGuard<'_, Session> {
        for slot in &self.pool {
            if let Ok(guard) = slot.try_lock() {
                return guard;
            }
        }
        // All busy: wait on one, spread by thread.
        let idx = thread_index() % self.pool.len();
        self.pool[idx]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wraps an ort failure as this model's inference error.
    pub fn inference_error(&self, e: impl std::fmt::Display) -> ModelError {
        ModelError::Inference {
            file: self.name.clone(),
            reason: e.to_string(),
        }
    }
}

fn thread_index() -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish() as usize
}
