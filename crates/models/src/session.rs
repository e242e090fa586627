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

    /// Runs `f` with exclusive use of one session of the pool, with
    /// subnormal floats flushed to zero on this thread meanwhile
    /// ([`DenormalsAreZero`]).
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let mut guard = self.checkout();
        let _flush = DenormalsAreZero::on_this_thread();
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

/// Subnormal floats treated as zero (x86-64 MXCSR flush-to-zero and
/// denormals-are-zero) on the current thread until dropped, when the
/// thread's previous mode comes back.
///
/// The face models make subnormal activations, which some x86 processors
/// compute dozens of times slower (measured on a Xeon with AVX-512: the
/// embedding model 74 ms a run, 11 ms with subnormals flushed; ONNX
/// Runtime's own Python package gives the same). ONNX Runtime's
/// `session.set_denormal_as_zero` set the mode once, on the thread that
/// created the process's first session (measured), so the engine sets it
/// around each run, on the thread that runs the model. A subnormal is
/// under 1.2e-38: flushing it changes no score the engine reports.
pub(crate) struct DenormalsAreZero {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

/// MXCSR bits: flush to zero (15) and denormals are zero (6).
#[cfg(target_arch = "x86_64")]
const MXCSR_FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

impl DenormalsAreZero {
    /// Sets the mode on the current thread (elsewhere than on x86-64, nothing).
    pub(crate) fn on_this_thread() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = read_mxcsr();
            write_mxcsr(saved | MXCSR_FTZ_DAZ);
            Self { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Self {}
        }
    }
}

impl Drop for DenormalsAreZero {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        write_mxcsr(self.saved);
    }
}

#[cfg(target_arch = "x86_64")]
fn read_mxcsr() -> u32 {
    let mut csr: u32 = 0;
    // SAFETY: stores the 32-bit MXCSR register into a local.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    csr
}

#[cfg(target_arch = "x86_64")]
fn write_mxcsr(csr: u32) {
    // SAFETY: loads MXCSR from a local holding a value read from MXCSR with
    // only the FTZ and DAZ mode bits changed (valid bits, no exception unmasked).
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn subnormals_are_flushed_while_the_guard_lives_and_come_back_after() {
        let tiny = std::hint::black_box(1e-39f32);
        let one = std::hint::black_box(1.0f32);
        assert!(tiny * one != 0.0, "the thread starts in the default mode");
        {
            let _flush = DenormalsAreZero::on_this_thread();
            assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(one), 0.0);
            // Nested guards restore the mode they found.
            {
                let _inner = DenormalsAreZero::on_this_thread();
            }
            assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(one), 0.0);
        }
        assert!(std::hint::black_box(tiny) * std::hint::black_box(one) != 0.0);
    }
}
