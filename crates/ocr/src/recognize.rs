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
    /// The text lines with their boxes, in reading order (filled by
    /// [`TextRecognizer::recognize_lines`] only).
    pub lines: Vec<LineBox>,
}

/// A recognised text line and its box in the image, pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineBox {
    /// The line's words, separated by spaces.
    pub text: String,
    /// Left edge.
    pub left: u32,
    /// Top edge.
    pub top: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The non-blank lines of Tesseract's TSV output (word rows grouped by
/// block, paragraph and line), in order.
fn lines_from_tsv(tsv: &str) -> Vec<LineBox> {
    let mut out: Vec<((u32, u32, u32), LineBox)> = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" || cols[11].trim().is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<u32>().ok();
        let (Some(block), Some(par), Some(line)) = (num(2), num(3), num(4)) else {
            continue;
        };
        let (Some(left), Some(top), Some(width), Some(height)) = (num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        let key = (block, par, line);
        match out.last_mut() {
            Some((k, b)) if *k == key => {
                let right = (b.left.saturating_add(b.width)).max(left.saturating_add(width));
                let bottom = (b.top.saturating_add(b.height)).max(top.saturating_add(height));
                b.left = b.left.min(left);
                b.top = b.top.min(top);
                b.width = right - b.left;
                b.height = bottom - b.top;
                b.text.push(' ');
                b.text.push_str(cols[11].trim());
            }
            _ => out.push((
                key,
                LineBox {
                    text: cols[11].trim().to_string(),
                    left,
                    top,
                    width,
                    height,
                },
            )),
        }
    }
    out.into_iter().map(|(_, b)| b).collect()
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
        self.run(image, mode, false)
    }

    /// As [`TextRecognizer::recognize`], with the lines' boxes.
    pub fn recognize_lines(
        &mut self,
        image: &GrayImage,
        mode: PageSegMode,
    ) -> Result<Recognized, OcrError> {
        self.run(image, mode, true)
    }

    fn run(
        &mut self,
        image: &GrayImage,
        mode: PageSegMode,
        with_lines: bool,
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
        let lines = if with_lines {
            tess.get_tsv_text(0)
                .map(|tsv| lines_from_tsv(&tsv))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        self.tess = Some(tess);
        Ok(Recognized {
            text: text?,
            confidence,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_group_into_lines_with_boxes() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t10\t5\t100\t20\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t6\t40\t18\t90\tHENG\n\
                   5\t1\t1\t1\t1\t2\t60\t5\t50\t20\t91\tSREYMOM\n\
                   5\t1\t1\t1\t2\t1\t12\t40\t30\t15\t80\t \n\
                   5\t1\t1\t2\t1\t1\t12\t70\t30\t15\t80\t1990\n";
        let lines = lines_from_tsv(tsv);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(
            lines[0],
            LineBox {
                text: "HENG SREYMOM".into(),
                left: 10,
                top: 5,
                width: 100,
                height: 20
            }
        );
        assert_eq!(lines[1].text, "1990");
        assert_eq!((lines[1].left, lines[1].top), (12, 70));
    }
}
