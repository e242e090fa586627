use serde::Serialize;

/// Which decoding limit an image exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Limit {
    /// Encoded size in bytes.
    Bytes,
    /// Width in pixels.
    Width,
    /// Height in pixels.
    Height,
    /// Width × height.
    Pixels,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Bytes => "bytes",
            Limit::Width => "width",
            Limit::Height => "height",
            Limit::Pixels => "pixels",
        })
    }
}

/// Why no machine readable zone could be read from an image that decoded fine.
///
/// The measurements say what was seen: a band was found but its lines are
/// only a few pixels high, or it is blurred, or washed out by glare; or
/// nothing MRZ-like was found at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoMrzReason {
    /// No group of 2-3 long, parallel, equally spaced text lines was found,
    /// or none of the found ones read as an MRZ.
    NotFound {
        /// How many band candidates were located and tried.
        candidates: usize,
    },
    /// An MRZ-like band was found, but its characters are too small to read.
    TooSmall {
        /// Height of one MRZ text line in the original image, pixels.
        line_height_px: f32,
        /// The smallest line height the reader handles reliably.
        min_px: f32,
    },
    /// An MRZ-like band was found, but it is too blurred.
    TooBlurred {
        /// Sharpness: ratio of the band's mean gradient at the stroke edges
        /// to its contrast (0 = flat; sharp print ≳ 0.25).
        sharpness: f32,
        /// The sharpness below which a band is called blurred.
        min_sharpness: f32,
    },
    /// An MRZ-like band was found, but much of it is saturated (glare, reflection).
    Glare {
        /// Share of saturated pixels (≥ 250 on all channels) in the band.
        saturated_share: f32,
        /// The share above which glare is reported.
        max_share: f32,
    },
}

impl std::fmt::Display for NoMrzReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoMrzReason::NotFound { candidates } => {
                write!(f, "no machine readable zone found ({candidates} candidate bands tried)")
            }
            NoMrzReason::TooSmall { line_height_px, min_px } => write!(
                f,
                "MRZ too small: lines are {line_height_px:.1} px high, at least {min_px:.0} px needed"
            ),
            NoMrzReason::TooBlurred { sharpness, min_sharpness } => write!(
                f,
                "MRZ too blurred: sharpness {sharpness:.3} below {min_sharpness:.3}"
            ),
            NoMrzReason::Glare { saturated_share, max_share } => write!(
                f,
                "glare over the MRZ: {:.0}% of the band saturated (limit {:.0}%)",
                saturated_share * 100.0,
                max_share * 100.0
            ),
        }
    }
}

/// What went wrong in the OCR stage.
///
/// The engine maps [`OcrError::Decode`] and [`OcrError::ImageTooLarge`] to API
/// error 505 (invalid request), [`OcrError::NoMrz`] and
/// [`OcrError::WrongDocument`] to 506 (OCR service error), and the rest to 502.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    /// Tesseract could not load a language model.
    #[error("cannot load the Tesseract model `{model}` from {datapath}: {reason}")]
    ModelLoad {
        /// Language name (`mrz`, `khm`, `eng`).
        model: String,
        /// Directory searched.
        datapath: String,
        /// Tesseract's or the file system's complaint.
        reason: String,
    },
    /// Tesseract failed while recognising.
    #[error("Tesseract recognition failed: {0}")]
    Recognition(String),
    /// The image handed to the recogniser is unusable.
    #[error("image unusable for OCR: {0}")]
    BadImage(String),
    /// The bytes are not a decodable PNG or JPEG image.
    #[error("cannot decode the image: {0}")]
    Decode(String),
    /// The image exceeds a decoding limit (checked before decoding).
    #[error("image too large: {what} {actual} exceeds the limit {limit}")]
    ImageTooLarge {
        /// Which limit.
        what: Limit,
        /// The image's value.
        actual: u64,
        /// The limit.
        limit: u64,
    },
    /// No machine readable zone could be found or read.
    #[error("{0}")]
    NoMrz(NoMrzReason),
    /// An MRZ was read, but it belongs to another kind of document than asked for.
    #[error("expected {expected}, found a {found} MRZ")]
    WrongDocument {
        /// What the caller asked for.
        expected: &'static str,
        /// What the MRZ says (format and document code).
        found: String,
    },
}

impl OcrError {
    /// The API error code the hosted service would answer with: 505 for an
    /// invalid or undecodable image, 506 for OCR failures (no MRZ, wrong
    /// document), 502 for internal failures (models, Tesseract).
    pub fn api_code(&self) -> u16 {
        match self {
            OcrError::Decode(_) | OcrError::ImageTooLarge { .. } | OcrError::BadImage(_) => 505,
            OcrError::NoMrz(_) | OcrError::WrongDocument { .. } => 506,
            OcrError::ModelLoad { .. } | OcrError::Recognition(_) => 502,
        }
    }
}
