/// What went wrong in the OCR stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    /// Tesseract could not load a language model.
    #[error("cannot load the Tesseract model `{model}` from {datapath}: {reason}")]
    ModelLoad {
        model: String,
        datapath: String,
        reason: String,
    },
    /// Tesseract failed while recognising.
    #[error("Tesseract recognition failed: {0}")]
    Recognition(String),
    /// The image handed to the recogniser is unusable.
    #[error("image unusable for OCR: {0}")]
    BadImage(String),
}
