//! Errors for input that is not an MRZ at all.
//!
//! Field-level problems (an impossible date, a refuted check digit, an
//! unknown nationality code) are *not* errors: they are reported in the
//! [`MrzReport`](crate::MrzReport).

use std::fmt;

/// Why the input could not be read as an MRZ.
///
/// Line and column numbers are 0-based and refer to the input as given to
/// [`parse`](crate::parse) (for [`parse_text`](crate::parse_text): to its
/// non-blank lines); columns count characters (Unicode scalar values), not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MrzError {
    /// No non-blank line.
    Empty,
    /// The number of non-blank lines is not 2 or 3 (or one line whose length
    /// is not that of a whole MRZ: 90, 72 or 88 characters).
    LineCount {
        /// How many non-blank lines were found.
        found: usize,
    },
    /// A line's length does not fit the format and cannot be fixed by
    /// trimming or adding trailing fillers.
    LineLength {
        /// Input line index.
        line: usize,
        /// Its length after normalisation (spaces removed, guillemets mapped).
        found: usize,
        /// The length the format requires (30, 36 or 44).
        expected: usize,
    },
    /// A character outside `A-Z0-9<` after normalisation (upper-casing,
    /// guillemets to `<`, whitespace removal).
    InvalidCharacter {
        /// Input line index.
        line: usize,
        /// Input column (character index in the input line).
        column: usize,
        /// The offending character.
        found: char,
        /// The MRZ field at that position, if the format was recognised.
        field: Option<&'static str>,
    },
}

impl fmt::Display for MrzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MrzError::Empty => write!(f, "no MRZ text (all lines blank)"),
            MrzError::LineCount { found } => write!(
                f,
                "an MRZ has 2 or 3 lines (or one line of 72, 88 or 90 characters); found {found} line{}",
                if *found == 1 { "" } else { "s" }
            ),
            MrzError::LineLength {
                line,
                found,
                expected,
            } => write!(
                f,
                "line {line}: length {found}, expected {expected} characters"
            ),
            MrzError::InvalidCharacter {
                line,
                column,
                found,
                field,
            } => {
                write!(
                    f,
                    "line {line}, column {column}: character {found:?} is not an MRZ character (A-Z, 0-9, <)"
                )?;
                if let Some(field) = field {
                    write!(f, " in field {field}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for MrzError {}
