//! Reading passports and Khmer ID cards: finding the MRZ, recognising it
//! with Tesseract, and handing the lines to `kyc-mrz`.
//!
//! The crate takes pixels and a model directory; it never touches the
//! network and never writes images anywhere.

pub mod decode;
mod error;
pub mod eval;
pub mod glyph_match;
mod imgops;
pub mod locate;
pub mod mrz_read;
pub mod reader;
pub mod recognize;
pub mod rectify;
pub mod synth;
mod vote;

pub use error::{Limit, NoMrzReason, OcrError};
pub use kyc_mrz::Date;
pub use mrz_read::{MrzRead, MrzReadOptions, MrzReader};
pub use reader::{DocumentReader, Field, IdCardReading, MrzEvidence, PassportReading};
pub use recognize::{LineBox, OcrModel, Recognized, TextRecognizer};
