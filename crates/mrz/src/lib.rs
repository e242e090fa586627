//! # kyc-mrz
//!
//! Reading of ICAO 9303 machine readable zones (MRZ) as produced by an OCR
//! stage: TD1 (ID cards, 3×30), TD2 (2×36), TD3 (passports, 2×44) and the
//! visa formats MRV-A (2×44) / MRV-B (2×36). Pure Rust, no I/O, no clock:
//! the reference date for century inference is passed in [`ParseOptions`].
//!
//! What it does:
//! * normalises OCR text (case, `«`/`‹` read for `<`, stray spaces,
//!   missing or surplus trailing fillers, one-line input) and says so in flags;
//! * extracts every field, with the TD1/TD2 long document number
//!   (ICAO 9303 Part 5/6), real dates and century inference;
//! * computes every check digit and reports per-check evidence
//!   (verified / refuted / absent) and an overall verdict with reasons;
//! * applies the Cambodian rules: `IDKHM` cards issued before about 2016
//!   carry `<` as composite digit and are accepted with the flag
//!   `khm_composite_absent` (never as strictly valid); passports use `PN`;
//! * repairs OCR confusions by field type, confirmed by check digits
//!   (see [`mod@repair`]), using optional per-character OCR alternatives;
//! * generates valid MRZ lines from field values ([`generate`]).
//!
//! Input that is not an MRZ at all gives an [`MrzError`]; problems with a
//! field (an impossible date, a refuted check digit, an unknown nationality)
//! are reported in the [`MrzReport`]. Parsing never panics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
pub mod codes;
mod date;
mod error;
mod fields;
mod format;
pub mod generate;
pub mod normalise;
mod parser;
pub mod repair;
mod report;

pub use check::check_digit;
pub use date::Date;
pub use error::MrzError;
pub use fields::Fields;
pub use format::{CharClass, Format};
pub use parser::{parse, parse_text, CharAlternatives, ParseOptions, CALIBRATED_REPAIR_RATIO};
pub use report::{Check, CheckStatus, MrzReport, Repair};
