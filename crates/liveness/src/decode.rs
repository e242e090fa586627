//! In-memory video decoding with FFmpeg: container/codec whitelist, limits checked before
//! decoding, display-matrix rotation, timestamp-based frame sampling and down-scaling to RGB.
//!
//! The input is a byte slice (the API receives the video as base64; it is never written to
//! disk). FFmpeg reads it through a custom `AVIOContext` whose read/seek callbacks serve the
//! slice directly, so no copy of the video is made either.
//!
//! Frames are streamed to a callback one at a time ([`decode_frames`]); only the frame being
//! converted is held in memory.
//!
//! Sampling: with a target rate `f`, the sampling ticks are `k / f` seconds after the first
//! decoded frame; for each tick the first frame whose timestamp is at or after the tick
//! (with [`TICK_TOLERANCE_MS`] of slack for rounded container timestamps) is kept. A frame
//! that covers several ticks (a gap in a variable-frame-rate stream) is kept once. Timestamps
//! are container timestamps (`best_effort_timestamp × time_base`), never frame indices.

use std::ffi::{c_int, c_void, CString};
use std::fmt;
use std::ops::ControlFlow;
use std::ptr;
use std::sync::Once;

use ffmpeg::codec;
use ffmpeg::ffi;
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame;
use ffmpeg_next as ffmpeg;
use image::RgbImage;
use serde::Serialize;

/// Slack allowed when comparing a frame timestamp with a sampling tick, in milliseconds.
/// Containers store rounded timestamps (WebM: 1 ms), so a 30 fps frame at 133 ms still
/// counts for the 15 fps tick at 133.33 ms.
pub const TICK_TOLERANCE_MS: f64 = 1.0;

/// Demuxers accepted unless [`DecodeOptions::allow_any_format`] is set
/// (FFmpeg `format_whitelist` syntax: MP4/MOV family, Matroska/WebM, GIF).
pub const DEFAULT_FORMAT_WHITELIST: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,gif";

/// Video codecs accepted unless [`DecodeOptions::allow_any_format`] is set.
pub const DEFAULT_CODECS: &[&str] = &["h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "gif", "mjpeg"];

/// Size of the buffer FFmpeg reads the in-memory input through.
const AVIO_BUFFER_SIZE: usize = 64 * 1024;

/// Corrupt packets tolerated from the demuxer before the stream is considered damaged.
const MAX_INVALID_PACKETS: usize = 1000;

/// Resource limits, checked from the stream parameters before decoding and again while
/// decoding (a stream may change resolution or lie about its duration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecodeLimits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum duration in seconds (declared, and measured from frame timestamps).
    pub max_duration_s: f64,
    /// Maximum coded frame width in pixels.
    pub max_width: u32,
    /// Maximum coded frame height in pixels.
    pub max_height: u32,
    /// Maximum number of decoded (source) frames; also bounds the number of video packets.
    pub max_frames: usize,
}

impl Default for DecodeLimits {
    /// 64 MiB, 60 s, 4096×4096, 3600 frames (60 s at 60 fps).
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 64 << 20,
            max_duration_s: 60.0,
            max_width: 4096,
            max_height: 4096,
            max_frames: 3600,
        }
    }
}

/// Decoding options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeOptions {
    /// Sampling rate in frames per second; `None` keeps every decoded frame.
    pub target_fps: Option<f64>,
    /// Longest side of the emitted frames (after rotation); frames are never up-scaled.
    /// `None` keeps the display size.
    pub max_side: Option<u32>,
    /// Apply the container's rotation / mirroring metadata (display matrix, `rotate` tag).
    pub apply_rotation: bool,
    /// Decoder threads (0 = let FFmpeg choose, 1 = single-threaded).
    pub threads: usize,
    /// Accept any container and codec FFmpeg knows instead of the default whitelists
    /// ([`DEFAULT_FORMAT_WHITELIST`], [`DEFAULT_CODECS`]).
    pub allow_any_format: bool,
    /// Resource limits.
    pub limits: DecodeLimits,
}

impl Default for DecodeOptions {
    /// 15 fps, longest side 640, rotation applied, 1 thread, whitelists on, default limits.
    fn default() -> Self {
        DecodeOptions {
            target_fps: Some(15.0),
            max_side: Some(640),
            apply_rotation: true,
            threads: 1,
            allow_any_format: false,
            limits: DecodeLimits::default(),
        }
    }
}

/// One sampled frame, handed to the [`decode_frames`] callback.
#[derive(Debug, Clone)]
pub struct SampledFrame {
    /// 0-based index among the sampled frames.
    pub index: usize,
    /// 0-based index among all decoded frames of the stream.
    pub source_index: usize,
    /// Presentation time in milliseconds, relative to the first decoded frame.
    pub t_ms: f64,
    /// The frame, upright (rotation applied) and scaled down, as packed RGB.
    pub image: RgbImage,
}

/// Orientation fix read from the container: mirror horizontally first (if `mirror`), then
/// rotate clockwise by `rotate_cw` degrees. This is what a player does to display the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Orientation {
    /// Clockwise rotation in degrees: 0, 90, 180 or 270.
    pub rotate_cw: u16,
    /// Horizontal mirroring applied before the rotation.
    pub mirror: bool,
}

impl Orientation {
    /// Whether the orientation swaps width and height.
    pub fn swaps_axes(&self) -> bool {
        self.rotate_cw % 180 == 90
    }

    /// Applies the orientation to an image.
    pub fn apply(&self, img: RgbImage) -> RgbImage {
        let img = if self.mirror {
            image::imageops::flip_horizontal(&img)
        } else {
            img
        };
        match self.rotate_cw {
            90 => image::imageops::rotate90(&img),
            180 => image::imageops::rotate180(&img),
            270 => image::imageops::rotate270(&img),
            _ => img,
        }
    }

    /// Reads the orientation from an FFmpeg display matrix (`AV_PKT_DATA_DISPLAYMATRIX`:
    /// nine 32-bit values, 16.16 fixed point for the 2×2 part). A display point is
    /// `(x', y') = (a·x + c·y, b·x + d·y)` in image coordinates (y down) with
    /// `a, b, c, d = m[0], m[1], m[3], m[4]`; this is the same reading as the `ffmpeg`
    /// command-line tool's autorotation (a pure 90° clockwise matrix is `b = 1, c = -1`).
    /// Returns `None` for a matrix that is not a multiple of 90° (possibly mirrored).
    pub fn from_display_matrix(m: &[i32; 9]) -> Option<Orientation> {
        let axis = |p: i32, q: i32| -> Option<(i32, i32)> {
            let (fp, fq) = (f64::from(p), f64::from(q));
            if fp.abs() > 2.0 * fq.abs() {
                Some((p.signum(), 0))
            } else if fq.abs() > 2.0 * fp.abs() {
                Some((0, q.signum()))
            } else {
                None
            }
        };
        // Images of the x and y unit vectors.
        let ex = axis(m[0], m[1])?;
        let ey = axis(m[3], m[4])?;
        // Must be a signed permutation matrix.
        if (ex.0 == 0) == (ey.0 == 0) {
            return None;
        }
        let target = (ex, ey);
        for mirror in [false, true] {
            for k in 0..4u16 {
                let o = Orientation {
                    rotate_cw: k * 90,
                    mirror,
                };
                if o.basis_images() == target {
                    return Some(o);
                }
            }
        }
        None
    }

    /// Images of the unit vectors x=(1,0), y=(0,1) under this orientation (y down).
    fn basis_images(&self) -> ((i32, i32), (i32, i32)) {
        let flip = |v: (i32, i32)| if self.mirror { (-v.0, v.1) } else { v };
        // Clockwise quarter turn in y-down coordinates: (x, y) -> (-y, x).
        let rot = |mut v: (i32, i32)| {
            for _ in 0..(self.rotate_cw / 90) {
                v = (-v.1, v.0);
            }
            v
        };
        (rot(flip((1, 0))), rot(flip((0, 1))))
    }
}

/// Description of the decoded video, returned by [`decode_frames`] and [`probe`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoInfo {
    /// Demuxer name, e.g. `"mov,mp4,m4a,3gp,3g2,mj2"`, `"matroska,webm"`, `"gif"`.
    pub container: String,
    /// Decoder name, e.g. `"h264"`, `"vp9"`.
    pub codec: String,
    /// Coded frame width in pixels (as stored).
    pub coded_width: u32,
    /// Coded frame height in pixels (as stored).
    pub coded_height: u32,
    /// Display width (pixel aspect ratio and orientation applied, before down-scaling).
    pub width: u32,
    /// Display height (pixel aspect ratio and orientation applied, before down-scaling).
    pub height: u32,
    /// Orientation from the container metadata (applied when
    /// [`DecodeOptions::apply_rotation`] is set).
    pub orientation: Orientation,
    /// Duration declared by the container, in seconds, if any.
    pub declared_duration_s: Option<f64>,
    /// Measured duration: timestamp span of the decoded frames plus one frame interval.
    pub duration_s: f64,
    /// Number of decoded source frames.
    pub decoded_frames: usize,
    /// Number of frames handed to the callback.
    pub sampled_frames: usize,
    /// Average source frame rate over the decoded span (0 when fewer than 2 frames).
    pub avg_fps: f64,
    /// Packets or frames the demuxer/decoder rejected as corrupt (skipped).
    pub corrupt_packets: usize,
    /// The stream ended before its declared end, or the demuxer hit a read error.
    pub truncated: bool,
    /// The callback asked to stop before the end of the stream.
    pub stopped_early: bool,
}

/// Which limit was exceeded (see [`DecodeLimits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum LimitKind {
    /// Input size in bytes.
    Bytes,
    /// Duration in milliseconds.
    DurationMs,
    /// Coded width in pixels.
    Width,
    /// Coded height in pixels.
    Height,
    /// Number of frames (or video packets).
    Frames,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Bytes => "size in bytes",
            LimitKind::DurationMs => "duration in ms",
            LimitKind::Width => "width in pixels",
            LimitKind::Height => "height in pixels",
            LimitKind::Frames => "frame count",
        })
    }
}

/// Why a video could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Zero-length input.
    #[error("the video is empty (0 bytes)")]
    Empty,
    /// The bytes are not a video in an accepted container.
    #[error("not a video in a supported container (MP4/MOV, WebM/Matroska, GIF): {reason}")]
    NotAVideo {
        /// FFmpeg's explanation.
        reason: String,
    },
    /// The container holds no video stream.
    #[error("the file contains no video stream")]
    NoVideoStream,
    /// The video codec is not accepted or no decoder is available.
    #[error("unsupported video codec: {codec}")]
    UnsupportedCodec {
        /// Codec name.
        codec: String,
    },
    /// The video stream could not be decoded.
    #[error("the video stream cannot be decoded: {reason}")]
    Undecodable {
        /// What failed.
        reason: String,
    },
    /// The file ends (or breaks) before any frame could be decoded.
    #[error("the video is truncated or damaged: no frame could be decoded ({reason})")]
    Truncated {
        /// What was observed.
        reason: String,
    },
    /// A resource limit was exceeded.
    #[error("the video is too large: {what} {actual} exceeds the limit of {limit}")]
    TooLarge {
        /// The limit concerned.
        what: LimitKind,
        /// The limit.
        limit: u64,
        /// The value found (a lower bound when found while decoding).
        actual: u64,
    },
    /// The options are invalid (e.g. a non-positive sampling rate).
    #[error("invalid decode options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: String,
    },
    /// An FFmpeg call failed for a reason unrelated to the input (allocation, scaler).
    #[error("internal FFmpeg failure: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

fn too_large(what: LimitKind, limit: u64, actual: u64) -> DecodeError {
    DecodeError::TooLarge {
        what,
        limit,
        actual,
    }
}

/// The width and height limits, checked on the declared size before
/// decoding and again on every decoded frame.
fn check_dimensions(w: u32, h: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if w > limits.max_width {
        return Err(too_large(
            LimitKind::Width,
            limits.max_width.into(),
            w.into(),
        ));
    }
    if h > limits.max_height {
        return Err(too_large(
            LimitKind::Height,
            limits.max_height.into(),
            h.into(),
        ));
    }
    Ok(())
}

/// Initialises FFmpeg once per process and silences its log (errors are reported through
/// [`DecodeError`]; hostile inputs would otherwise flood stderr).
pub(crate) fn init_ffmpeg() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // `init` only registers components on old FFmpeg versions; it cannot fail on 5.x,
        // and an error here would resurface as a typed error on the first open anyway.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

// ---------------------------------------------------------------------------------------
// Custom AVIOContext over a borrowed byte slice.
// ---------------------------------------------------------------------------------------

/// Read position over the input bytes; the `opaque` of the AVIOContext.
struct SliceCursor<'a> {
    data: &'a [u8],
    pos: u64,
}

/// `read_packet` callback: copies up to `buf_size` bytes from the slice into `buf`.
///
/// # Safety
/// `opaque` must be the `SliceCursor` installed by [`MemInput::open`], alive and not aliased
/// (FFmpeg calls the callbacks from the thread driving the context, never concurrently).
/// `buf` must be valid for `buf_size` bytes of writes (FFmpeg's own buffer).
unsafe extern "C" fn read_slice(opaque: *mut c_void, buf: *mut u8, buf_size: c_int) -> c_int {
    if opaque.is_null() || buf.is_null() || buf_size <= 0 {
        return ffi::AVERROR(ffi::EINVAL);
    }
    // SAFETY: see the function contract.
    let cur = unsafe { &mut *(opaque as *mut SliceCursor<'_>) };
    let len = cur.data.len() as u64;
    if cur.pos >= len {
        return ffi::AVERROR_EOF;
    }
    // pos < len <= usize::MAX, so the casts are lossless.
    let start = cur.pos as usize;
    let n = (cur.data.len() - start).min(buf_size as usize);
    // SAFETY: `start + n <= data.len()`, `buf` holds at least `buf_size >= n` bytes, and the
    // regions cannot overlap (FFmpeg's buffer is its own allocation).
    unsafe { ptr::copy_nonoverlapping(cur.data.as_ptr().add(start), buf, n) };
    cur.pos += n as u64;
    n as c_int
}

/// `seek` callback, including `AVSEEK_SIZE` (report the total size). Positions past the end
/// are accepted (reads there return EOF), negative ones rejected.
///
/// # Safety
/// Same contract as [`read_slice`] for `opaque`.
unsafe extern "C" fn seek_slice(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    if opaque.is_null() {
        return i64::from(ffi::AVERROR(ffi::EINVAL));
    }
    // SAFETY: see the function contract.
    let cur = unsafe { &mut *(opaque as *mut SliceCursor<'_>) };
    let len = cur.data.len() as i64; // slices are at most isize::MAX bytes
    let whence = whence & !ffi::AVSEEK_FORCE;
    if whence == ffi::AVSEEK_SIZE {
        return len;
    }
    let base = match whence {
        0 => 0,              // SEEK_SET
        1 => cur.pos as i64, // SEEK_CUR (pos only grows by reads bounded by len, or seeks)
        2 => len,            // SEEK_END
        _ => return i64::from(ffi::AVERROR(ffi::EINVAL)),
    };
    match base.checked_add(offset) {
        Some(p) if p >= 0 => {
            cur.pos = p as u64;
            p
        }
        _ => i64::from(ffi::AVERROR(ffi::EINVAL)),
    }
}

/// An opened FFmpeg input reading from a borrowed slice.
///
/// Ownership: `input` owns the `AVFormatContext` (closed by its destructor; because
/// `AVFMT_FLAG_CUSTOM_IO` is set, closing leaves `pb` alone), `avio` is our `AVIOContext`
/// (its current buffer is FFmpeg-allocated and may have been reallocated by libavformat) and
/// `cursor` the boxed `SliceCursor` its callbacks use. [`Drop`] releases them in that order.
/// Nothing derived from `input` that keeps the format context alive (e.g. a
/// `codec::Parameters` from `Stream::parameters`) may outlive this struct; decoder contexts
/// built with `codec::Context::from_parameters` are independent copies.
struct MemInput<'a> {
    input: Option<ffmpeg::format::context::Input>,
    avio: *mut ffi::AVIOContext,
    cursor: *mut SliceCursor<'a>,
}

impl<'a> MemInput<'a> {
    /// Opens `data` (probing the container) and reads the stream parameters.
    fn open(data: &'a [u8], format_whitelist: Option<&str>) -> Result<Self, DecodeError> {
        init_ffmpeg();
        let oom = || DecodeError::Internal {
            reason: "out of memory".into(),
        };
        // SAFETY: plain allocation; checked for null below.
        let buffer = unsafe { ffi::av_malloc(AVIO_BUFFER_SIZE) } as *mut u8;
        if buffer.is_null() {
            return Err(oom());
        }
        let cursor = Box::into_raw(Box::new(SliceCursor { data, pos: 0 }));
        // SAFETY: `buffer` is an av_malloc'd block of AVIO_BUFFER_SIZE bytes; on success the
        // AVIOContext owns it. `cursor` stays valid until `Drop` (or the error paths below).
        let avio = unsafe {
            ffi::avio_alloc_context(
                buffer,
                AVIO_BUFFER_SIZE as c_int,
                0,
                cursor as *mut c_void,
                Some(read_slice),
                None,
                Some(seek_slice),
            )
        };
        if avio.is_null() {
            // SAFETY: avio_alloc_context failed, so we still own both.
            unsafe {
                ffi::av_free(buffer as *mut c_void);
                drop(Box::from_raw(cursor));
            }
            return Err(oom());
        }
        // From here on, `this` frees avio + cursor on every early return.
        let mut this = MemInput {
            input: None,
            avio,
            cursor,
        };

        // SAFETY: allocation; checked for null.
        let mut fmt = unsafe { ffi::avformat_alloc_context() };
        if fmt.is_null() {
            return Err(oom());
        }
        // SAFETY: `fmt` is a fresh context; `pb` is ours, flagged as custom I/O so that
        // libavformat never closes it.
        unsafe {
            (*fmt).pb = avio;
            (*fmt).flags |= ffi::AVFMT_FLAG_CUSTOM_IO;
        }
        let mut opts: *mut ffi::AVDictionary = ptr::null_mut();
        if let Some(list) = format_whitelist {
            let key = CString::new("format_whitelist").map_err(|_| oom())?;
            let val = CString::new(list).map_err(|e| DecodeError::InvalidOptions {
                reason: e.to_string(),
            })?;
            // SAFETY: both strings are NUL-terminated; av_dict_set copies them. On failure
            // we only lose the whitelist entry, which we detect below.
            let r = unsafe { ffi::av_dict_set(&mut opts, key.as_ptr(), val.as_ptr(), 0) };
            if r < 0 {
                // SAFETY: `fmt` was never opened; free it (pb is untouched by free).
                unsafe {
                    ffi::av_dict_free(&mut opts);
                    ffi::avformat_free_context(fmt);
                }
                return Err(oom());
            }
        }
        // SAFETY: `fmt` is an allocated context with a custom pb; a null url is allowed. On
        // failure avformat_open_input frees `fmt` (and sets it to null) but not our pb.
        let ret =
            unsafe { ffi::avformat_open_input(&mut fmt, ptr::null(), ptr::null(), &mut opts) };
        // SAFETY: the dictionary (possibly null, possibly with unconsumed entries) is ours.
        unsafe { ffi::av_dict_free(&mut opts) };
        if ret < 0 {
            return Err(DecodeError::NotAVideo {
                reason: ffmpeg_error_text(ret),
            });
        }
        // SAFETY: `fmt` is an opened input context; the wrapper closes it on drop.
        this.input = Some(unsafe { ffmpeg::format::context::Input::wrap(fmt) });

        // SAFETY: opened context; no options.
        let ret = unsafe { ffi::avformat_find_stream_info(fmt, ptr::null_mut()) };
        if ret < 0 {
            return Err(DecodeError::NotAVideo {
                reason: format!("cannot read stream parameters: {}", ffmpeg_error_text(ret)),
            });
        }
        Ok(this)
    }

    fn input(&mut self) -> Result<&mut ffmpeg::format::context::Input, DecodeError> {
        self.input.as_mut().ok_or_else(|| DecodeError::Internal {
            reason: "input not open".into(),
        })
    }
}

impl Drop for MemInput<'_> {
    fn drop(&mut self) {
        // Close the format context first: demuxers' read_close may still use pb.
        drop(self.input.take());
        // SAFETY: `avio` came from avio_alloc_context and is no longer referenced by any
        // format context; its current buffer (possibly reallocated by libavformat) is freed
        // with av_freep as the FFmpeg documentation requires, then the context itself.
        // `cursor` came from Box::into_raw and is no longer used by any callback.
        unsafe {
            if !self.avio.is_null() {
                ffi::av_freep(ptr::addr_of_mut!((*self.avio).buffer) as *mut c_void);
                ffi::avio_context_free(&mut self.avio);
            }
            if !self.cursor.is_null() {
                drop(Box::from_raw(self.cursor));
                self.cursor = ptr::null_mut();
            }
        }
    }
}

fn ffmpeg_error_text(code: c_int) -> String {
    ffmpeg::Error::from(code).to_string()
}

// ---------------------------------------------------------------------------------------
// Stream inspection
// ---------------------------------------------------------------------------------------

/// What we read from the container before decoding.
struct StreamSetup {
    index: usize,
    time_base: f64,
    info: VideoInfo,
    declared_frames: Option<u64>,
    frame_interval_s: f64,
}

fn rational(r: ffmpeg::Rational) -> Option<f64> {
    if r.numerator() > 0 && r.denominator() > 0 {
        Some(f64::from(r.numerator()) / f64::from(r.denominator()))
    } else {
        None
    }
}

fn validate_options(bytes: &[u8], opts: &DecodeOptions) -> Result<(), DecodeError> {
    if let Some(f) = opts.target_fps {
        if !(f.is_finite() && f > 0.0 && f <= 1000.0) {
            return Err(DecodeError::InvalidOptions {
                reason: format!("target_fps must be in (0, 1000], got {f}"),
            });
        }
    }
    if opts.max_side == Some(0) {
        return Err(DecodeError::InvalidOptions {
            reason: "max_side must be positive".into(),
        });
    }
    let l = &opts.limits;
    if !(l.max_duration_s.is_finite() && l.max_duration_s > 0.0) {
        return Err(DecodeError::InvalidOptions {
            reason: "max_duration_s must be positive".into(),
        });
    }
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > l.max_bytes {
        return Err(too_large(
            LimitKind::Bytes,
            l.max_bytes as u64,
            bytes.len() as u64,
        ));
    }
    Ok(())
}

fn inspect(
    input: &ffmpeg::format::context::Input,
    bytes: &[u8],
    opts: &DecodeOptions,
) -> Result<StreamSetup, DecodeError> {
    let limits = &opts.limits;
    let container = input.format().name().to_string();
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Video)
        .ok_or(DecodeError::NoVideoStream)?;
    let index = stream.index();
    let time_base = rational(stream.time_base()).ok_or_else(|| DecodeError::Undecodable {
        reason: "invalid stream time base".into(),
    })?;

    // SAFETY: the stream pointer is valid while `input` is borrowed; codecpar is always
    // allocated for a demuxed stream. We copy plain fields only.
    let (codec_id, coded_w, coded_h, sar) = unsafe {
        let par = (*stream.as_ptr()).codecpar;
        if par.is_null() {
            return Err(DecodeError::Undecodable {
                reason: "stream has no codec parameters".into(),
            });
        }
        (
            codec::Id::from((*par).codec_id),
            (*par).width,
            (*par).height,
            (*par).sample_aspect_ratio,
        )
    };
    if codec_id == codec::Id::None {
        return Err(DecodeError::UnsupportedCodec {
            codec: "none".into(),
        });
    }
    let codec_name = match ffmpeg::decoder::find(codec_id) {
        Some(c) => c.name().to_string(),
        None => {
            return Err(DecodeError::UnsupportedCodec {
                codec: format!("{codec_id:?}").to_lowercase(),
            })
        }
    };
    if !opts.allow_any_format && !DEFAULT_CODECS.contains(&codec_name.as_str()) {
        return Err(DecodeError::UnsupportedCodec { codec: codec_name });
    }

    // Limits on the declared parameters, before any decoding.
    let (mut w, mut h) = (coded_w.max(0) as u32, coded_h.max(0) as u32);
    if container == "gif" {
        // FFmpeg leaves the size at 0 when its probe decode refuses a huge logical screen:
        // read the GIF logical screen descriptor (little-endian u16 at bytes 6..10) itself.
        if let Some(d) = bytes.get(6..10) {
            w = w.max(u32::from(u16::from_le_bytes([d[0], d[1]])));
            h = h.max(u32::from(u16::from_le_bytes([d[2], d[3]])));
        }
    }
    check_dimensions(w, h, limits)?;
    let stream_duration = if stream.duration() > 0 {
        Some(stream.duration() as f64 * time_base)
    } else {
        None
    };
    let fmt_duration = if input.duration() > 0 {
        Some(input.duration() as f64 / f64::from(ffi::AV_TIME_BASE))
    } else {
        None
    };
    let declared_duration_s = stream_duration.or(fmt_duration);
    let max_ms = limits.max_duration_s * 1000.0;
    if let Some(d) = declared_duration_s {
        if d * 1000.0 > max_ms + 0.5 {
            return Err(too_large(
                LimitKind::DurationMs,
                max_ms as u64,
                (d * 1000.0).min(u64::MAX as f64) as u64,
            ));
        }
    }
    let declared_frames = u64::try_from(stream.frames()).ok().filter(|&n| n > 0);
    if let Some(n) = declared_frames {
        if n > limits.max_frames as u64 {
            return Err(too_large(LimitKind::Frames, limits.max_frames as u64, n));
        }
    }

    let orientation = if opts.apply_rotation {
        read_orientation(&stream)
    } else {
        Orientation::default()
    };
    let frame_rate = rational(stream.avg_frame_rate())
        .or_else(|| rational(stream.rate()))
        .filter(|f| *f >= 0.1 && *f <= 1000.0);
    let frame_interval_s = frame_rate.map(|f| 1.0 / f).unwrap_or(1.0 / 30.0);

    let (dw, dh) = display_size(w, h, rational_raw(sar), orientation);
    Ok(StreamSetup {
        index,
        time_base,
        declared_frames,
        frame_interval_s,
        info: VideoInfo {
            container,
            codec: codec_name,
            coded_width: w,
            coded_height: h,
            width: dw,
            height: dh,
            orientation,
            declared_duration_s,
            duration_s: 0.0,
            decoded_frames: 0,
            sampled_frames: 0,
            avg_fps: 0.0,
            corrupt_packets: 0,
            truncated: false,
            stopped_early: false,
        },
    })
}

fn rational_raw(r: ffi::AVRational) -> Option<f64> {
    if r.num > 0 && r.den > 0 {
        Some(f64::from(r.num) / f64::from(r.den))
    } else {
        None
    }
}

/// Display size: pixel aspect ratio applied to the width, then the orientation.
fn display_size(w: u32, h: u32, sar: Option<f64>, o: Orientation) -> (u32, u32) {
    let sar = sar.filter(|s| (0.1..=10.0).contains(s)).unwrap_or(1.0);
    let dw = ((f64::from(w) * sar).round() as u32).max(u32::from(w > 0));
    if o.swaps_axes() {
        (h, dw)
    } else {
        (dw, h)
    }
}

/// Orientation from the stream's display matrix side data, else its `rotate` tag.
fn read_orientation(stream: &ffmpeg::format::stream::Stream<'_>) -> Orientation {
    for sd in stream.side_data() {
        if sd.kind() == ffmpeg::codec::packet::side_data::Type::DisplayMatrix {
            let d = sd.data();
            if d.len() >= 36 {
                let mut m = [0i32; 9];
                for (i, v) in m.iter_mut().enumerate() {
                    let b = [d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]];
                    *v = i32::from_ne_bytes(b);
                }
                return Orientation::from_display_matrix(&m).unwrap_or_default();
            }
        }
    }
    if let Some(r) = stream.metadata().get("rotate") {
        if let Ok(deg) = r.trim().parse::<i64>() {
            let d = deg.rem_euclid(360);
            if d % 90 == 0 {
                return Orientation {
                    rotate_cw: d as u16,
                    mirror: false,
                };
            }
        }
    }
    Orientation::default()
}

/// Reads the container and stream parameters without decoding any frame.
///
/// Applies the same whitelists and pre-decoding limits as [`decode_frames`]; the returned
/// info has zero frame counts.
pub fn probe(bytes: &[u8], opts: &DecodeOptions) -> Result<VideoInfo, DecodeError> {
    validate_options(bytes, opts)?;
    let whitelist = (!opts.allow_any_format).then_some(DEFAULT_FORMAT_WHITELIST);
    let mut mem = MemInput::open(bytes, whitelist)?;
    let setup = inspect(mem.input()?, bytes, opts)?;
    Ok(setup.info)
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Decodes `bytes` and calls `on_frame` for every sampled frame, in presentation order.
/// Return `ControlFlow::Break(())` from the callback to stop early (the function then
/// returns `Ok` with `stopped_early` set).
///
/// Errors: see [`DecodeError`]. A stream that breaks off after some frames were decoded is
/// not an error: the frames up to the break are delivered and `VideoInfo::truncated` is set.
/// Never panics on malformed input; all work is bounded by [`DecodeLimits`].
pub fn decode_frames(
    bytes: &[u8],
    opts: &DecodeOptions,
    mut on_frame: impl FnMut(SampledFrame) -> ControlFlow<()>,
) -> Result<VideoInfo, DecodeError> {
    validate_options(bytes, opts)?;
    let whitelist = (!opts.allow_any_format).then_some(DEFAULT_FORMAT_WHITELIST);
    let mut mem = MemInput::open(bytes, whitelist)?;
    let input = mem.input()?;
    let setup = inspect(input, bytes, opts)?;
    let mut decoder = open_decoder(input, setup.index, opts)?;
    let mut state = DecodeState::new(setup, opts);

    let mut packet = ffmpeg::Packet::empty();
    let mut invalid = 0usize;
    let mut video_packets = 0usize;
    let mut total_packets = 0usize;
    let packet_limit = opts.limits.max_frames.saturating_mul(2).saturating_add(64);
    let total_packet_limit = opts
        .limits
        .max_frames
        .saturating_mul(64)
        .saturating_add(4096);
    'demux: loop {
        match packet.read(input) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::InvalidData) => {
                // A demuxer may resync after a corrupt packet; bounded so it cannot spin.
                invalid += 1;
                state.info.corrupt_packets += 1;
                if invalid > MAX_INVALID_PACKETS {
                    state.info.truncated = true;
                    break;
                }
                continue;
            }
            Err(_) => {
                // I/O errors latch in the AVIOContext: retrying would return them forever.
                state.info.truncated = true;
                break;
            }
        }
        total_packets += 1;
        if total_packets > total_packet_limit {
            return Err(too_large(
                LimitKind::Frames,
                opts.limits.max_frames as u64,
                (total_packets / 64) as u64,
            ));
        }
        if packet.stream() != state.setup.index {
            continue;
        }
        video_packets += 1;
        if video_packets > packet_limit {
            return Err(too_large(
                LimitKind::Frames,
                opts.limits.max_frames as u64,
                video_packets as u64,
            ));
        }
        // Feed the packet; on EAGAIN drain frames first and resend once.
        for _ in 0..2 {
            match decoder.send_packet(&packet) {
                Ok(()) => break,
                Err(ffmpeg::Error::Other { errno }) if errno == ffi::EAGAIN => {
                    if state.drain(&mut decoder, &mut on_frame)?.is_break() {
                        break 'demux;
                    }
                }
                Err(ffmpeg::Error::Eof) => break 'demux,
                Err(_) => {
                    state.info.corrupt_packets += 1;
                    break;
                }
            }
        }
        if state.drain(&mut decoder, &mut on_frame)?.is_break() {
            break;
        }
    }
    if !state.info.stopped_early {
        // Flush the decoder's delayed frames. An error here only means it is already flushed.
        if decoder.send_eof().is_ok() {
            // The result only says whether the callback asked to stop; we end either way.
            let _ = state.drain(&mut decoder, &mut on_frame)?;
        }
    }
    drop(decoder);
    drop(mem);
    state.finish()
}

fn open_decoder(
    input: &ffmpeg::format::context::Input,
    index: usize,
    opts: &DecodeOptions,
) -> Result<ffmpeg::decoder::Video, DecodeError> {
    let stream = input.stream(index).ok_or(DecodeError::NoVideoStream)?;
    let time_base = stream.time_base();
    // `from_parameters` copies the parameters into a fresh codec context that does not keep
    // the format context alive; the temporary `Parameters` is dropped right here.
    let mut ctx = codec::Context::from_parameters(stream.parameters()).map_err(|e| {
        DecodeError::Undecodable {
            reason: format!("codec parameters: {e}"),
        }
    })?;
    let limits = &opts.limits;
    // SAFETY: plain field writes on an unopened codec context we own.
    unsafe {
        let p = ctx.as_mut_ptr();
        (*p).pkt_timebase = time_base.into();
        (*p).thread_count = c_int::try_from(opts.threads.min(16)).unwrap_or(1);
        (*p).thread_type = ffi::FF_THREAD_FRAME | ffi::FF_THREAD_SLICE;
        // The decoder itself refuses frames larger than the limits (av_image_check_size2),
        // covering mid-stream resolution changes before any buffer is allocated.
        let max_pixels = u64::from(limits.max_width) * u64::from(limits.max_height);
        (*p).max_pixels = max_pixels.min(i64::MAX as u64) as i64;
    }
    ctx.decoder().video().map_err(|e| match e {
        ffmpeg::Error::DecoderNotFound => DecodeError::UnsupportedCodec {
            codec: format!("{:?}", stream.parameters().id()).to_lowercase(),
        },
        e => DecodeError::Undecodable {
            reason: format!("cannot open the decoder: {e}"),
        },
    })
}

/// Per-decode bookkeeping: timestamps, sampling ticks, scaler, limits.
struct DecodeState<'o> {
    setup: StreamSetup,
    opts: &'o DecodeOptions,
    info: VideoInfo,
    frame: frame::Video,
    scaler: Option<Scaler>,
    origin_ts: Option<i64>,
    last_ts: Option<i64>,
    first_t: Option<f64>,
    last_t: Option<f64>,
    next_tick: u64,
    last_sampled_t: Option<f64>,
}

/// A software scaler for one input geometry.
struct Scaler {
    ctx: scaling::Context,
    src: (Pixel, u32, u32),
    dst: (u32, u32),
}

impl<'o> DecodeState<'o> {
    fn new(setup: StreamSetup, opts: &'o DecodeOptions) -> Self {
        let info = setup.info.clone();
        DecodeState {
            setup,
            opts,
            info,
            frame: frame::Video::empty(),
            scaler: None,
            origin_ts: None,
            last_ts: None,
            first_t: None,
            last_t: None,
            next_tick: 0,
            last_sampled_t: None,
        }
    }

    /// Receives every frame the decoder has ready.
    fn drain(
        &mut self,
        decoder: &mut ffmpeg::decoder::Video,
        on_frame: &mut impl FnMut(SampledFrame) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, DecodeError> {
        loop {
            match decoder.receive_frame(&mut self.frame) {
                Ok(()) => {
                    if self.on_decoded(on_frame)?.is_break() {
                        self.info.stopped_early = true;
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffi::EAGAIN => break,
                Err(ffmpeg::Error::Eof) => break,
                Err(_) => {
                    // A decoding error for one frame; the decoder stays usable.
                    self.info.corrupt_packets += 1;
                    if self.info.corrupt_packets > MAX_INVALID_PACKETS {
                        return Err(DecodeError::Undecodable {
                            reason: "too many corrupt frames".into(),
                        });
                    }
                    break;
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Handles one decoded frame: limits, timestamp, sampling, conversion, callback.
    fn on_decoded(
        &mut self,
        on_frame: &mut impl FnMut(SampledFrame) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, DecodeError> {
        let limits = &self.opts.limits;
        let source_index = self.info.decoded_frames;
        self.info.decoded_frames += 1;
        if self.info.decoded_frames > limits.max_frames {
            return Err(too_large(
                LimitKind::Frames,
                limits.max_frames as u64,
                self.info.decoded_frames as u64,
            ));
        }
        let (w, h) = (self.frame.width(), self.frame.height());
        check_dimensions(w, h, limits)?;
        if w == 0 || h == 0 {
            self.info.corrupt_packets += 1;
            return Ok(ControlFlow::Continue(()));
        }

        // Timestamp in stream time base; missing ones are extrapolated from the last one.
        let interval_ts = (self.setup.frame_interval_s / self.setup.time_base)
            .round()
            .max(1.0) as i64;
        let ts = match self.frame.timestamp().or_else(|| self.frame.pts()) {
            Some(ts) => ts,
            None => self.last_ts.map_or(0, |l| l.saturating_add(interval_ts)),
        };
        let origin = *self.origin_ts.get_or_insert(ts);
        let t_ms = ts.saturating_sub(origin) as f64 * self.setup.time_base * 1000.0;
        self.last_ts = Some(ts);
        if t_ms > limits.max_duration_s * 1000.0 + 0.5 {
            return Err(too_large(
                LimitKind::DurationMs,
                (limits.max_duration_s * 1000.0) as u64,
                t_ms.min(u64::MAX as f64) as u64,
            ));
        }
        self.first_t.get_or_insert(t_ms);
        self.last_t = Some(self.last_t.map_or(t_ms, |l| l.max(t_ms)));

        // Timestamps going backwards (broken files) are never sampled: output stays monotonic.
        if let Some(prev) = self.last_sampled_t {
            if t_ms <= prev {
                return Ok(ControlFlow::Continue(()));
            }
        }
        let keep = match self.opts.target_fps {
            None => true,
            Some(fps) => {
                let tick_ms = self.next_tick as f64 * 1000.0 / fps;
                if t_ms + TICK_TOLERANCE_MS >= tick_ms {
                    // Next tick strictly after this frame (a long gap covers several ticks).
                    let k = ((t_ms + TICK_TOLERANCE_MS) * fps / 1000.0).floor();
                    self.next_tick = (k.max(0.0) as u64).saturating_add(1);
                    true
                } else {
                    false
                }
            }
        };
        if !keep {
            return Ok(ControlFlow::Continue(()));
        }
        let image = self.convert()?;
        self.last_sampled_t = Some(t_ms);
        let index = self.info.sampled_frames;
        self.info.sampled_frames += 1;
        Ok(on_frame(SampledFrame {
            index,
            source_index,
            t_ms,
            image,
        }))
    }

    /// Scales the current frame to RGB24 at the output size and applies the orientation.
    fn convert(&mut self) -> Result<RgbImage, DecodeError> {
        let fmt = self.frame.format();
        let (w, h) = (self.frame.width(), self.frame.height());
        let orientation = self.info.orientation;
        let needs_new = self.scaler.as_ref().is_none_or(|s| s.src != (fmt, w, h));
        if needs_new {
            let sar = rational(self.frame.aspect_ratio());
            // Output size in the stored orientation: the max side is orientation-independent.
            let (dw, dh) = display_size(w, h, sar, Orientation::default());
            let (ow, oh) = fit_within(dw, dh, self.opts.max_side);
            let ctx =
                scaling::Context::get(fmt, w, h, Pixel::RGB24, ow, oh, scaling::Flags::BILINEAR)
                    .map_err(|e| DecodeError::Undecodable {
                        reason: format!("cannot convert pixel format {fmt:?}: {e}"),
                    })?;
            let mut s = Scaler {
                ctx,
                src: (fmt, w, h),
                dst: (ow, oh),
            };
            set_colorspace(&mut s.ctx, &self.frame);
            self.scaler = Some(s);
        }
        let scaler = self.scaler.as_mut().ok_or_else(|| DecodeError::Internal {
            reason: "scaler missing".into(),
        })?;
        let mut out = frame::Video::empty();
        scaler
            .ctx
            .run(&self.frame, &mut out)
            .map_err(|e| DecodeError::Internal {
                reason: format!("scaling failed: {e}"),
            })?;
        let (ow, oh) = scaler.dst;
        let stride = out.stride(0);
        let data = out.data(0);
        let row = ow as usize * 3;
        let mut buf = Vec::with_capacity(row * oh as usize);
        for y in 0..oh as usize {
            let start = y * stride;
            let line = data
                .get(start..start + row)
                .ok_or_else(|| DecodeError::Internal {
                    reason: "scaled frame smaller than expected".into(),
                })?;
            buf.extend_from_slice(line);
        }
        let img = RgbImage::from_raw(ow, oh, buf).ok_or_else(|| DecodeError::Internal {
            reason: "image buffer size mismatch".into(),
        })?;
        Ok(orientation.apply(img))
    }

    fn finish(mut self) -> Result<VideoInfo, DecodeError> {
        let n = self.info.decoded_frames;
        if n == 0 {
            let declared = self.setup.declared_frames.unwrap_or(0) > 0
                || self.info.declared_duration_s.unwrap_or(0.0) > 0.0;
            return Err(if self.info.truncated || declared {
                DecodeError::Truncated {
                    reason: if self.info.truncated {
                        "the stream breaks off".into()
                    } else {
                        "the container declares frames but none could be read".into()
                    },
                }
            } else {
                DecodeError::Undecodable {
                    reason: "no frame could be decoded".into(),
                }
            });
        }
        let (first, last) = (self.first_t.unwrap_or(0.0), self.last_t.unwrap_or(0.0));
        let span_s = (last - first).max(0.0) / 1000.0;
        self.info.avg_fps = if n > 1 && span_s > 0.0 {
            (n - 1) as f64 / span_s
        } else {
            0.0
        };
        let interval = if self.info.avg_fps > 0.0 {
            1.0 / self.info.avg_fps
        } else {
            self.setup.frame_interval_s
        };
        self.info.duration_s = span_s + interval;
        // Truncation heuristics: fewer frames than declared, or far short of the declared
        // duration (10 % and two frame intervals of slack).
        if let Some(declared) = self.setup.declared_frames {
            if (n as u64) < declared.saturating_sub(2) && !self.info.stopped_early {
                self.info.truncated = true;
            }
        }
        if let Some(d) = self.info.declared_duration_s {
            if self.info.duration_s < 0.9 * d - 2.0 * interval && !self.info.stopped_early {
                self.info.truncated = true;
            }
        }
        Ok(self.info)
    }
}

/// Largest size with the aspect ratio of `w×h` whose longer side is at most `max_side`
/// (never up-scaled; at least 1×1).
fn fit_within(w: u32, h: u32, max_side: Option<u32>) -> (u32, u32) {
    let long = w.max(h).max(1);
    match max_side {
        Some(m) if long > m => {
            let s = f64::from(m) / f64::from(long);
            let ow = ((f64::from(w) * s).round() as u32).clamp(1, m);
            let oh = ((f64::from(h) * s).round() as u32).clamp(1, m);
            (ow, oh)
        }
        _ => (w.max(1), h.max(1)),
    }
}

/// Tells swscale the source colour matrix and range (BT.709 when tagged, full range for
/// JPEG-range or `yuvj*` frames); untagged streams keep swscale's BT.601 default, as
/// FFmpeg-based readers (OpenCV) do.
fn set_colorspace(ctx: &mut scaling::Context, frame: &frame::Video) {
    use ffmpeg::util::color::{Range, Space};
    let fmt = frame.format();
    let src_full = frame.color_range() == Range::JPEG
        || matches!(
            fmt,
            Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::YUVJ411P
        );
    let cs = match frame.color_space() {
        Space::BT709 => ffi::SWS_CS_ITU709,
        Space::BT2020NCL | Space::BT2020CL => ffi::SWS_CS_BT2020,
        Space::SMPTE240M => ffi::SWS_CS_SMPTE240M,
        Space::FCC => ffi::SWS_CS_FCC,
        _ => ffi::SWS_CS_DEFAULT,
    };
    let is_yuv = !matches!(
        fmt,
        Pixel::RGB24
            | Pixel::BGR24
            | Pixel::RGBA
            | Pixel::BGRA
            | Pixel::ARGB
            | Pixel::ABGR
            | Pixel::PAL8
            | Pixel::GRAY8
            | Pixel::RGB8
            | Pixel::BGR8
    );
    if !is_yuv {
        return;
    }
    // SAFETY: `ctx` is a valid initialised SwsContext; the coefficient tables are static.
    // A failure (unsupported combination) leaves the defaults in place, which is harmless.
    unsafe {
        let src_table = ffi::sws_getCoefficients(cs);
        let dst_table = ffi::sws_getCoefficients(ffi::SWS_CS_DEFAULT);
        ffi::sws_setColorspaceDetails(
            ctx.as_mut_ptr(),
            src_table,
            c_int::from(src_full),
            dst_table,
            1,
            0,
            1 << 16,
            1 << 16,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot_matrix_cw(deg: f64) -> [i32; 9] {
        let mut m = [0i32; 9];
        // SAFETY: a 9-element buffer, as av_display_rotation_set requires.
        unsafe { ffi::av_display_rotation_set(m.as_mut_ptr(), deg) };
        m
    }

    #[test]
    fn display_matrix_rotations_follow_ffmpeg_convention() {
        // av_display_rotation_set describes a clockwise rotation; av_display_rotation_get
        // returns the counter-clockwise angle (ffmpeg's autorotate uses -get).
        for deg in [0.0, 90.0, 180.0, 270.0] {
            let m = rot_matrix_cw(deg);
            let o = Orientation::from_display_matrix(&m).expect("axis aligned");
            assert_eq!(o.rotate_cw, deg as u16, "matrix {m:?}");
            assert!(!o.mirror);
            // SAFETY: valid 9-element matrix.
            let ccw = unsafe { ffi::av_display_rotation_get(m.as_ptr()) };
            assert!(
                ((-ccw).rem_euclid(360.0) - deg).abs() < 1e-6,
                "get {ccw} for {deg}"
            );
        }
    }

    #[test]
    fn display_matrix_flips() {
        let mut m = rot_matrix_cw(0.0);
        // SAFETY: valid 9-element matrix.
        unsafe { ffi::av_display_matrix_flip(m.as_mut_ptr(), 1, 0) };
        assert_eq!(
            Orientation::from_display_matrix(&m),
            Some(Orientation {
                rotate_cw: 0,
                mirror: true
            })
        );
        let mut m = rot_matrix_cw(0.0);
        // SAFETY: valid 9-element matrix.
        unsafe { ffi::av_display_matrix_flip(m.as_mut_ptr(), 0, 1) };
        // A vertical flip = mirror then 180°.
        assert_eq!(
            Orientation::from_display_matrix(&m),
            Some(Orientation {
                rotate_cw: 180,
                mirror: true
            })
        );
        // 45° is not supported: ignored.
        assert_eq!(Orientation::from_display_matrix(&rot_matrix_cw(45.0)), None);
        assert_eq!(Orientation::from_display_matrix(&[0; 9]), None);
    }

    #[test]
    fn orientation_apply_moves_corner() {
        let mut img = RgbImage::new(4, 2);
        img.put_pixel(0, 0, image::Rgb([255, 0, 0]));
        let cw = Orientation {
            rotate_cw: 90,
            mirror: false,
        }
        .apply(img.clone());
        assert_eq!(cw.dimensions(), (2, 4));
        assert_eq!(cw.get_pixel(1, 0).0, [255, 0, 0]); // top-left -> top-right
        let m = Orientation {
            rotate_cw: 0,
            mirror: true,
        }
        .apply(img);
        assert_eq!(m.get_pixel(3, 0).0, [255, 0, 0]);
    }

    #[test]
    fn fit_within_keeps_aspect() {
        assert_eq!(fit_within(1280, 720, Some(640)), (640, 360));
        assert_eq!(fit_within(720, 1280, Some(640)), (360, 640));
        assert_eq!(fit_within(320, 240, Some(640)), (320, 240));
        assert_eq!(fit_within(5000, 1, Some(640)), (640, 1));
        assert_eq!(fit_within(0, 0, None), (1, 1));
    }

    #[test]
    fn slice_callbacks_read_and_seek() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut cur = SliceCursor {
            data: &data,
            pos: 0,
        };
        let op = &mut cur as *mut SliceCursor<'_> as *mut c_void;
        let mut buf = [0u8; 64];
        // SAFETY: `op` points at a live cursor, `buf` has 64 bytes.
        unsafe {
            assert_eq!(read_slice(op, buf.as_mut_ptr(), 64), 64);
            assert_eq!(buf[63], 63);
            assert_eq!(read_slice(op, buf.as_mut_ptr(), 64), 36);
            assert_eq!(buf[0], 64);
            assert_eq!(read_slice(op, buf.as_mut_ptr(), 64), ffi::AVERROR_EOF);
            assert_eq!(seek_slice(op, 0, ffi::AVSEEK_SIZE), 100);
            assert_eq!(seek_slice(op, 10, 0), 10);
            assert_eq!(seek_slice(op, 5, 1), 15);
            assert_eq!(seek_slice(op, -1, 2), 99);
            assert!(seek_slice(op, -200, 1) < 0);
            assert_eq!(seek_slice(op, 1000, 0), 1000);
            assert_eq!(read_slice(op, buf.as_mut_ptr(), 64), ffi::AVERROR_EOF);
            assert!(seek_slice(op, i64::MAX, 1) < 0);
            assert!(read_slice(op, buf.as_mut_ptr(), 0) < 0);
        }
    }
}
