//! Reading passports and Khmer ID cards: finding the MRZ, recognising it
//! with Tesseract, and handing the lines to `kyc-mrz`.
//!
//! The crate takes pixels and a model directory; it never touches the
//! network and never writes images anywhere.

mod error;
pub mod recognize;

pub use error::OcrError;
pub use recognize::{OcrModel, Recognized, TextRecognizer};
