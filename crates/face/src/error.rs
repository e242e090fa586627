use kyc_models::ModelError;
use serde::Serialize;

/// Which decoding limit an image exceeded (see [`DecodeLimits`](crate::DecodeLimits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Limit {
    /// Size of the encoded file in bytes.
    Bytes,
    /// Width in pixels (as stored and after EXIF rotation).
    Width,
    /// Height in pixels (as stored and after EXIF rotation).
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

/// Everything that can go wrong in this crate.
///
/// Quality problems (a small, blurred or dark face, several faces) are not
/// errors: they are [`Warning`](crate::Warning)s next to a usable result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// The detector found no face (after the small-face pass, if it ran).
    #[error("no face found in the image")]
    NoFace,
    /// The bytes are not an image in a supported format (PNG, JPEG, WebP), or
    /// the image is corrupt or truncated.
    #[error("cannot decode the image: {0}")]
    Decode(String),
    /// The image exceeds a [`DecodeLimits`](crate::DecodeLimits) limit; this is
    /// checked from the header, before the pixels are allocated.
    #[error("image too large: {what} {actual} exceeds the limit {limit}")]
    ImageTooLarge {
        /// The limit that was exceeded.
        what: Limit,
        /// The image's value.
        actual: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The image has no pixels, or a face region lies outside the image.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A model could not be found, verified, loaded or run.
    #[error(transparent)]
    Model(#[from] ModelError),
}
