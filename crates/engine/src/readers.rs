//! A pool of document readers. A `DocumentReader` holds Tesseract instances
//! and is not shareable across threads; the pool lends one per call and keeps
//! it for the next (loading costs about 0.1 s per model).

use kyc_ocr::{DocumentReader, OcrError};
use std::path::PathBuf;
use std::sync::Mutex;

/// Readers kept idle at most.
const MAX_IDLE: usize = 8;

/// Lends document readers.
#[derive(Debug)]
pub(crate) struct ReaderPool {
    model_dir: PathBuf,
    idle: Mutex<Vec<DocumentReader>>,
}

impl ReaderPool {
    /// A pool for `model_dir`, with one reader loaded now (so that a broken
    /// Tesseract model fails at start, not on the first request).
    pub(crate) fn new(model_dir: PathBuf) -> Result<Self, OcrError> {
        let first = DocumentReader::new(&model_dir)?;
        Ok(Self {
            model_dir,
            idle: Mutex::new(vec![first]),
        })
    }

    /// Runs `f` with a reader.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut DocumentReader) -> Result<T, OcrError>,
    ) -> Result<T, OcrError> {
        let lent = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut reader = match lent {
            Some(r) => r,
            None => DocumentReader::new(&self.model_dir)?,
        };
        let out = f(&mut reader);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
        out
    }
}
