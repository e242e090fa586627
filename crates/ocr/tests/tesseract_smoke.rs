//! Smoke test of the Tesseract binding: render MRZ-like text in OCR-B (a
//! Debian font) and read it back with the pinned MRZ model.

use ab_glyph::{FontVec, PxScale};
use image::{GrayImage, Luma};
use kyc_ocr::{OcrModel, TextRecognizer};
use std::path::PathBuf;
use tesseract::PageSegMode;

fn model_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("KYC_MODEL_DIR").expect("KYC_MODEL_DIR is set by .cargo/config.toml"),
    )
}

fn render(text: &str, font_path: &str, px: f32) -> GrayImage {
    let font =
        FontVec::try_from_vec(std::fs::read(font_path).expect("font installed by scripts/setup"))
            .expect("valid font");
    let width = (text.chars().count() as f32 * px * 0.7) as u32 + 40;
    let mut img = GrayImage::from_pixel(width, (px * 2.0) as u32, Luma([255]));
    imageproc::drawing::draw_text_mut(
        &mut img,
        Luma([0]),
        20,
        (px * 0.4) as i32,
        PxScale::from(px),
        &font,
        text,
    );
    img
}

#[test]
fn mrz_model_reads_a_rendered_ocr_b_line() {
    let line = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    let img = render(line, "/usr/share/fonts/opentype/ocr-b/OCRB.otf", 32.0);
    let mut rec = TextRecognizer::new(OcrModel::Mrz, &model_dir()).unwrap();
    let out = rec.recognize(&img, PageSegMode::PsmSingleLine).unwrap();
    assert_eq!(out.text.trim(), line, "confidence {}", out.confidence);
    // The recogniser is reusable.
    let line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    let img2 = render(line2, "/usr/share/fonts/opentype/ocr-b/OCRB.otf", 32.0);
    assert_eq!(
        rec.recognize(&img2, PageSegMode::PsmSingleLine)
            .unwrap()
            .text
            .trim(),
        line2
    );
}

#[test]
fn english_model_reads_rendered_latin_text() {
    let img = render(
        "KINGDOM OF CAMBODIA",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        36.0,
    );
    let mut rec = TextRecognizer::new(OcrModel::English, &model_dir()).unwrap();
    let out = rec.recognize(&img, PageSegMode::PsmSingleLine).unwrap();
    assert_eq!(out.text.trim(), "KINGDOM OF CAMBODIA");
    assert!(out.confidence > 80, "confidence {}", out.confidence);
}

#[test]
fn missing_mrz_model_is_a_clear_error() {
    let err = TextRecognizer::new(OcrModel::Mrz, std::path::Path::new("/nonexistent")).unwrap_err();
    assert!(err.to_string().contains("mrz.traineddata"), "{err}");
}

#[test]
fn tiny_image_is_rejected_not_crashing() {
    let mut rec = TextRecognizer::new(OcrModel::Mrz, &model_dir()).unwrap();
    assert!(rec
        .recognize(&GrayImage::new(1, 1), PageSegMode::PsmSingleLine)
        .is_err());
    // Still usable afterwards.
    let img = render("IDKHM", "/usr/share/fonts/opentype/ocr-b/OCRB.otf", 32.0);
    assert_eq!(
        rec.recognize(&img, PageSegMode::PsmSingleLine)
            .unwrap()
            .text
            .trim(),
        "IDKHM"
    );
}
