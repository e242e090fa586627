//! Text recognition with Tesseract (the system library, one thread per call).

use crate::OcrError;
use image::GrayImage;
use std::path::{Path, PathBuf};
use tesseract::{PageSegMode, Tesseract};

/// The MRZ alphabet.
pub const MRZ_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

/// Debian's Tesseract language data.
pub const SYSTEM_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

/// Which Tesseract model to recognise with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrModel {
    /// `mrz.traineddata` (OCR-B, from the model directory), restricted to [`MRZ_ALPHABET`].
    Mrz,
    /// `mrz_int.traineddata`: the same model with an 8-bit integer LSTM (derived
    /// at setup, pinned), about twice as fast per line; restricted to [`MRZ_ALPHABET`].
    MrzFast,
    /// Debian's `khm` model (Khmer script).
    Khmer,
    /// Debian's `eng` model (Latin script).
    English,
    /// Debian's `khm` and `eng` models together (Khmer fields mixed with
    /// Latin names and digits).
    KhmerEnglish,
}

impl OcrModel {
    fn language(self) -> &'static str {
        match self {
            OcrModel::Mrz => "mrz",
            OcrModel::MrzFast => "mrz_int",
            OcrModel::Khmer => "khm",
            OcrModel::English => "eng",
            OcrModel::KhmerEnglish => "khm+eng",
        }
    }
}

/// Text and Tesseract's mean confidence (0–100).
#[derive(Debug, Clone, PartialEq)]
pub struct Recognized {
    /// The text, lines separated by `\n`.
    pub text: String,
    /// Mean word confidence, 0–100.
    pub confidence: i32,
}

/// One initialised Tesseract instance. Not shareable across threads: keep one
/// per worker. Initialisation is the costly part (≈0.1 s); reuse it.
pub struct TextRecognizer {
    tess: Option<Tesseract>,
    model: OcrModel,
}

impl std::fmt::Debug for TextRecognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextRecognizer")
            .field("model", &self.model)
            .finish()
    }
}

impl TextRecognizer {
    /// Loads `model`. The MRZ model is read from `model_dir` (the engine's
    /// verified model directory); Khmer and English from `$TESSDATA_PREFIX`
    /// or Debian's tessdata.
    pub fn new(model: OcrModel, model_dir: &Path) -> Result<Self, OcrError> {
        let datapath: PathBuf = match model {
            OcrModel::Mrz | OcrModel::MrzFast => model_dir.to_path_buf(),
            _ => std::env::var_os("TESSDATA_PREFIX")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(SYSTEM_TESSDATA)),
        };
        let datapath_str = datapath.to_string_lossy().into_owned();
        let load_err = |reason: String| OcrError::ModelLoad {
            model: model.language().to_string(),
            datapath: datapath_str.clone(),
            reason,
        };
        for lang in model.language().split('+') {
            let file = datapath.join(format!("{lang}.traineddata"));
            if !file.is_file() {
                return Err(load_err(format!("{} not found", file.display())));
            }
        }
        let mut tess = Tesseract::new(Some(&datapath_str), Some(model.language()))
            .map_err(|e| load_err(e.to_string()))?;
        if matches!(model, OcrModel::Mrz | OcrModel::MrzFast) {
            tess = tess
                .set_variable("tessedit_char_whitelist", MRZ_ALPHABET)
                .map_err(|e| load_err(e.to_string()))?;
        }
        Ok(Self {
            tess: Some(tess),
            model,
        })
    }

    /// The model this recogniser runs.
    pub fn model(&self) -> OcrModel {
        self.model
    }

    /// Recognises the text of a grayscale image with the given page segmentation mode.
    pub fn recognize(
        &mut self,
        image: &GrayImage,
        mode: PageSegMode,
    ) -> Result<Recognized, OcrError> {
        let (w, h) = image.dimensions();
        if w < 4 || h < 4 {
            return Err(OcrError::BadImage(format!("{w}x{h} is too small")));
        }
        let mut tess = self.tess.take().ok_or_else(|| {
            OcrError::Recognition("recogniser lost after an earlier failure".into())
        })?;
        tess.set_page_seg_mode(mode);
        let result = tess
            .set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| OcrError::Recognition(e.to_string()))
            .and_then(|t| {
                t.recognize()
                    .map_err(|e| OcrError::Recognition(e.to_string()))
            });
        let mut tess = result?;
        let text = tess
            .get_text()
            .map_err(|e| OcrError::Recognition(e.to_string()));
        let confidence = tess.mean_text_conf();
        self.tess = Some(tess);
        Ok(Recognized {
            text: text?,
            confidence,
        })
    }
}
