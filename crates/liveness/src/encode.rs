//! In-memory video encoder for synthetic test clips and the clip generator.
//!
//! Encodes RGB frames with explicit timestamps (variable frame rate is allowed) into MP4, MOV,
//! WebM, Matroska or GIF, entirely in memory (FFmpeg writes through a custom `AVIOContext`
//! into a `Vec<u8>`). Optional rotation metadata is stored as a display matrix on the stream
//! (honoured by the MP4/MOV muxers; Matroska/WebM and GIF have no such field in FFmpeg 5.1).

use std::io::{Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use ffmpeg::codec;
use ffmpeg::ffi;
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame;
use ffmpeg::{Dictionary, Rational};
use ffmpeg_next as ffmpeg;
use image::RgbImage;

use crate::decode::init_ffmpeg;

/// Output container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum Container {
    /// ISO MP4 (`mp4` muxer).
    Mp4,
    /// QuickTime MOV (`mov` muxer).
    Mov,
    /// WebM (`webm` muxer; VP8/VP9/AV1 only).
    WebM,
    /// Matroska (`matroska` muxer).
    Mkv,
    /// Animated GIF (`gif` muxer; GIF codec only, timestamps in 1/100 s).
    Gif,
}

impl Container {
    fn muxer(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::WebM => "webm",
            Container::Mkv => "matroska",
            Container::Gif => "gif",
        }
    }
}

/// Video codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum VideoCodec {
    /// H.264 (libx264 when available, else FFmpeg's default H.264 encoder).
    H264,
    /// H.265/HEVC (libx265).
    Hevc,
    /// MPEG-4 part 2 (FFmpeg's native encoder).
    Mpeg4,
    /// VP8 (libvpx).
    Vp8,
    /// VP9 (libvpx-vp9).
    Vp9,
    /// AV1 (libaom-av1).
    Av1,
    /// GIF (FFmpeg's native encoder, 6×6×6 colour cube palette).
    Gif,
}

impl VideoCodec {
    /// Encoder names tried in order.
    fn encoder_names(self) -> &'static [&'static str] {
        match self {
            VideoCodec::H264 => &["libx264", "h264"],
            VideoCodec::Hevc => &["libx265", "hevc"],
            VideoCodec::Mpeg4 => &["mpeg4"],
            VideoCodec::Vp8 => &["libvpx"],
            VideoCodec::Vp9 => &["libvpx-vp9"],
            VideoCodec::Av1 => &["libaom-av1", "libsvtav1", "librav1e"],
            VideoCodec::Gif => &["gif"],
        }
    }

    fn find(self) -> Option<ffmpeg::Codec> {
        init_ffmpeg();
        self.encoder_names()
            .iter()
            .find_map(|n| ffmpeg::encoder::find_by_name(n))
    }

    /// Name of the FFmpeg encoder that would be used, if this build has one.
    pub fn encoder_name(self) -> Option<String> {
        self.find().map(|c| c.name().to_string())
    }

    /// Whether this FFmpeg build can encode the codec.
    pub fn is_available(self) -> bool {
        self.find().is_some()
    }
}

/// Encoding options.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    /// Output container.
    pub container: Container,
    /// Video codec.
    pub codec: VideoCodec,
    /// Display rotation stored in the file: the player rotates the frames clockwise by this
    /// many degrees (0, 90, 180, 270), as phones do for portrait recordings.
    pub rotate_cw: u16,
    /// Store a horizontally mirrored display matrix (applied before `rotate_cw`).
    pub mirror: bool,
    /// Fragmented MP4/MOV (`frag_keyframe+empty_moov`): playable when cut.
    pub fragmented: bool,
    /// Keyframe interval in frames.
    pub gop: u32,
    /// Quality: CRF for x264/x265/libvpx/libaom (lower = better); ignored by GIF.
    pub crf: u32,
}

impl EncodeOptions {
    /// Options for a container/codec pair with defaults elsewhere (no rotation, GOP 30,
    /// CRF 20).
    pub fn new(container: Container, codec: VideoCodec) -> Self {
        EncodeOptions {
            container,
            codec,
            rotate_cw: 0,
            mirror: false,
            fragmented: false,
            gop: 30,
            crf: 20,
        }
    }
}

/// Why encoding failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// No frames were given.
    #[error("no frames to encode")]
    NoFrames,
    /// The frames or options are invalid.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// This FFmpeg build has no encoder for the codec.
    #[error("no encoder available for {codec:?}")]
    EncoderUnavailable {
        /// The codec asked for.
        codec: VideoCodec,
    },
    /// An FFmpeg call failed.
    #[error("FFmpeg error while {stage}: {reason}")]
    Ffmpeg {
        /// What was being done.
        stage: &'static str,
        /// FFmpeg's message.
        reason: String,
    },
}

fn ff(stage: &'static str) -> impl Fn(ffmpeg::Error) -> EncodeError {
    move |e| EncodeError::Ffmpeg {
        stage,
        reason: e.to_string(),
    }
}

/// A growable in-memory file shared with FFmpeg's write callbacks.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Cursor<Vec<u8>>>>);

impl SharedBuf {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Cursor<Vec<u8>>) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        let mut g = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned buffer"))?;
        f(&mut g)
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.with(|c| c.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for SharedBuf {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.with(|c| c.seek(pos))
    }
}

/// Time base of the encoder: 1/90000 s (MPEG clock) so that millisecond timestamps of any
/// frame rate are represented without drift. MPEG-4 part 2 allows denominators up to 65535
/// only and uses milliseconds.
fn encoder_time_base(encoder_name: &str) -> Rational {
    if encoder_name == "mpeg4" {
        Rational(1, 1000)
    } else {
        Rational(1, 90_000)
    }
}

/// Encodes `frames` (timestamp in milliseconds, image) into a complete file in memory.
///
/// All frames must have the same size and strictly increasing timestamps. YUV 4:2:0 codecs
/// need even width and height.
pub fn encode_video<I, B>(frames: I, opts: &EncodeOptions) -> Result<Vec<u8>, EncodeError>
where
    I: IntoIterator<Item = (f64, B)>,
    B: std::borrow::Borrow<RgbImage>,
{
    init_ffmpeg();
    let mut frames = frames.into_iter().peekable();
    let (first_t, (w, h)) = match frames.peek() {
        Some((t, img)) => (*t, img.borrow().dimensions()),
        None => return Err(EncodeError::NoFrames),
    };
    if w == 0 || h == 0 {
        return Err(EncodeError::InvalidInput {
            reason: "empty frame".into(),
        });
    }
    if !first_t.is_finite() || first_t < 0.0 {
        return Err(EncodeError::InvalidInput {
            reason: format!("invalid first timestamp {first_t}"),
        });
    }
    if !opts.rotate_cw.is_multiple_of(90) || opts.rotate_cw >= 360 {
        return Err(EncodeError::InvalidInput {
            reason: format!("rotation must be 0, 90, 180 or 270, got {}", opts.rotate_cw),
        });
    }
    let codec = opts
        .codec
        .find()
        .ok_or(EncodeError::EncoderUnavailable { codec: opts.codec })?;
    let is_gif = opts.codec == VideoCodec::Gif;
    let enc_tb = encoder_time_base(codec.name());
    if !is_gif && (w % 2 != 0 || h % 2 != 0) {
        return Err(EncodeError::InvalidInput {
            reason: format!("{w}x{h}: width and height must be even for YUV 4:2:0"),
        });
    }
    let pix = if is_gif { Pixel::PAL8 } else { Pixel::YUV420P };

    let buf = SharedBuf::default();
    let io = ffmpeg::format::context::StreamIo::from_write_seek(buf.clone())
        .map_err(ff("creating the output buffer"))?;
    let mut octx = ffmpeg::format::output_to_stream(io, None, Some(opts.container.muxer()))
        .map_err(ff("creating the muxer"))?;
    let global_header = octx
        .format()
        .flags()
        .contains(ffmpeg::format::Flags::GLOBAL_HEADER);

    let mut enc = codec::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(ff("creating the encoder"))?;
    enc.set_width(w);
    enc.set_height(h);
    enc.set_format(pix);
    enc.set_time_base(enc_tb);
    enc.set_gop(opts.gop.max(1));
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let name = codec.name().to_string();
    let mut dict = Dictionary::new();
    match name.as_str() {
        "libx264" => {
            dict.set("preset", "veryfast");
            dict.set("crf", &opts.crf.to_string());
        }
        "libx265" => {
            dict.set("preset", "ultrafast");
            dict.set("crf", &opts.crf.to_string());
            dict.set("x265-params", "log-level=none");
        }
        "libvpx" | "libvpx-vp9" => {
            dict.set("deadline", "realtime");
            dict.set("cpu-used", "8");
            dict.set("crf", &opts.crf.clamp(4, 63).to_string());
            // libvpx needs a bitrate ceiling with CRF; VP9 accepts 0 = constant quality.
            let bits = (u64::from(w) * u64::from(h) * 30 / 4).max(200_000);
            enc.set_bit_rate(if name == "libvpx" { bits as usize } else { 0 });
        }
        "libaom-av1" => {
            dict.set("cpu-used", "8");
            dict.set("usage", "realtime");
            dict.set("crf", &opts.crf.clamp(1, 63).to_string());
            enc.set_bit_rate(0);
        }
        "mpeg4" => {
            enc.set_bit_rate((u64::from(w) * u64::from(h) * 30 / 2).max(400_000) as usize);
        }
        _ => {}
    }
    let mut encoder = enc
        .open_as_with(codec, dict)
        .map_err(ff("opening the encoder"))?;

    {
        let mut ost = octx.add_stream(codec).map_err(ff("adding the stream"))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(enc_tb);
        if opts.rotate_cw != 0 || opts.mirror {
            // SAFETY: the stream belongs to `octx` and is not yet written; the side data
            // buffer is allocated by FFmpeg with the requested 36 bytes (9 × i32) and owned
            // by the stream. av_display_rotation_set takes the clockwise angle.
            unsafe {
                let sd = ffi::av_stream_new_side_data(
                    ost.as_mut_ptr(),
                    ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
                    36,
                );
                if sd.is_null() {
                    return Err(EncodeError::Ffmpeg {
                        stage: "adding rotation metadata",
                        reason: "out of memory".into(),
                    });
                }
                let m = sd as *mut i32;
                ffi::av_display_rotation_set(m, f64::from(opts.rotate_cw));
                if opts.mirror {
                    // Mirror first, then rotate: M = R · H, i.e. negate the first column.
                    *m = -*m;
                    *m.add(1) = -*m.add(1);
                }
            }
        }
    }
    let mut hdr = Dictionary::new();
    if opts.fragmented && matches!(opts.container, Container::Mp4 | Container::Mov) {
        hdr.set("movflags", "frag_keyframe+empty_moov");
    }
    octx.write_header_with(hdr)
        .map_err(ff("writing the header"))?;
    let ost_tb = octx.stream(0).map(|s| s.time_base()).unwrap_or(enc_tb);

    let mut scaler = if is_gif {
        None
    } else {
        Some(
            scaling::Context::get(Pixel::RGB24, w, h, pix, w, h, scaling::Flags::BILINEAR)
                .map_err(ff("creating the colour converter"))?,
        )
    };
    let mut rgb = frame::Video::new(Pixel::RGB24, w, h);
    let mut last_pts: Option<i64> = None;
    let mut last_ost_ts: Option<i64> = None;
    let write_packets = |encoder: &mut ffmpeg::encoder::Video,
                         octx: &mut ffmpeg::format::context::Output|
     -> Result<(), EncodeError> {
        let mut pkt = ffmpeg::Packet::empty();
        loop {
            match encoder.receive_packet(&mut pkt) {
                Ok(()) => {
                    pkt.set_stream(0);
                    pkt.rescale_ts(enc_tb, ost_tb);
                    pkt.write_interleaved(octx).map_err(ff("muxing"))?;
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffi::EAGAIN => return Ok(()),
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(e) => return Err(ff("encoding")(e)),
            }
        }
    };

    for (t_ms, img) in frames {
        let img: &RgbImage = img.borrow();
        if img.dimensions() != (w, h) {
            return Err(EncodeError::InvalidInput {
                reason: format!("frame size {:?} differs from {w}x{h}", img.dimensions()),
            });
        }
        if !t_ms.is_finite() || t_ms < 0.0 {
            return Err(EncodeError::InvalidInput {
                reason: format!("invalid timestamp {t_ms}"),
            });
        }
        let pts = (t_ms / 1000.0 * f64::from(enc_tb.denominator())).round() as i64;
        if last_pts.is_some_and(|l| pts <= l) {
            return Err(EncodeError::InvalidInput {
                reason: format!("timestamps must increase (at {t_ms} ms)"),
            });
        }
        // The muxer's time base may be coarser (GIF: 1/100 s): equal stream timestamps
        // would be rejected, so catch that here with a clear message.
        let ost_ts = ffmpeg::rescale::Rescale::rescale(&pts, enc_tb, ost_tb);
        if last_ost_ts.is_some_and(|l| ost_ts <= l) {
            return Err(EncodeError::InvalidInput {
                reason: format!(
                    "frames closer than the container's time base {ost_tb} (at {t_ms} ms)"
                ),
            });
        }
        last_pts = Some(pts);
        last_ost_ts = Some(ost_ts);

        let mut out = if is_gif {
            palette_frame(img)
        } else {
            copy_rgb(img, &mut rgb);
            let mut yuv = frame::Video::empty();
            if let Some(s) = scaler.as_mut() {
                s.run(&rgb, &mut yuv).map_err(ff("converting to YUV"))?;
            }
            yuv
        };
        out.set_pts(Some(pts));
        encoder.send_frame(&out).map_err(ff("encoding"))?;
        write_packets(&mut encoder, &mut octx)?;
    }
    encoder.send_eof().map_err(ff("flushing the encoder"))?;
    write_packets(&mut encoder, &mut octx)?;
    octx.write_trailer().map_err(ff("writing the trailer"))?;
    drop(octx);
    drop(encoder);
    let bytes = buf
        .with(|c| Ok(std::mem::take(c.get_mut())))
        .map_err(|e| EncodeError::Ffmpeg {
            stage: "collecting the output",
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

/// Copies packed RGB rows into an RGB24 frame (whose rows may be padded).
fn copy_rgb(img: &RgbImage, dst: &mut frame::Video) {
    let stride = dst.stride(0);
    let row = img.width() as usize * 3;
    let data = dst.data_mut(0);
    for (y, src) in img.as_raw().chunks_exact(row).enumerate() {
        if let Some(d) = data.get_mut(y * stride..y * stride + row) {
            d.copy_from_slice(src);
        }
    }
}

/// Quantises to a 6×6×6 colour cube (levels 0, 51, …, 255) as a PAL8 frame.
fn palette_frame(img: &RgbImage) -> frame::Video {
    let (w, h) = img.dimensions();
    let mut f = frame::Video::new(Pixel::PAL8, w, h);
    let q = |v: u8| (u16::from(v) * 5 + 127) / 255;
    let stride = f.stride(0);
    {
        let data = f.data_mut(0);
        for (y, row) in img.rows().enumerate() {
            for (x, p) in row.enumerate() {
                let idx = q(p[0]) * 36 + q(p[1]) * 6 + q(p[2]);
                if let Some(d) = data.get_mut(y * stride + x) {
                    *d = idx as u8;
                }
            }
        }
    }
    // The palette plane has no line size, so `data_mut(1)` refuses it: write through the
    // pointer. SAFETY: for PAL8, av_frame_get_buffer allocates data[1] with 256 × 4 bytes
    // (AVPALETTE_SIZE); we check it is not null and stay within 1024 bytes.
    unsafe {
        let pal = (*f.as_mut_ptr()).data[1];
        if !pal.is_null() {
            let pal = std::slice::from_raw_parts_mut(pal, 1024);
            for i in 0..256usize {
                // Palette entries are native-endian 0xAARRGGBB.
                let (r, g, b) = if i < 216 {
                    (
                        (i / 36) as u32 * 51,
                        ((i / 6) % 6) as u32 * 51,
                        (i % 6) as u32 * 51,
                    )
                } else {
                    (0, 0, 0)
                };
                let v: u32 = 0xFF00_0000 | (r << 16) | (g << 8) | b;
                pal[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        let img = RgbImage::new(16, 16);
        let opts = EncodeOptions::new(Container::Mkv, VideoCodec::Mpeg4);
        assert_eq!(
            encode_video(std::iter::empty::<(f64, &RgbImage)>(), &opts),
            Err(EncodeError::NoFrames)
        );
        let r = encode_video([(0.0, &img), (0.0, &img)], &opts);
        assert!(matches!(r, Err(EncodeError::InvalidInput { .. })), "{r:?}");
        let odd = RgbImage::new(15, 16);
        let r = encode_video([(0.0, &odd)], &opts);
        assert!(matches!(r, Err(EncodeError::InvalidInput { .. })), "{r:?}");
        let mut o = opts.clone();
        o.rotate_cw = 45;
        let r = encode_video([(0.0, &img)], &o);
        assert!(matches!(r, Err(EncodeError::InvalidInput { .. })), "{r:?}");
    }

    #[test]
    fn mpeg4_in_matroska_roundtrip_size() {
        let img = RgbImage::from_pixel(32, 16, image::Rgb([200, 30, 30]));
        let frames: Vec<(f64, &RgbImage)> = (0..5).map(|i| (i as f64 * 40.0, &img)).collect();
        let bytes = encode_video(
            frames,
            &EncodeOptions::new(Container::Mkv, VideoCodec::Mpeg4),
        )
        .expect("mpeg4 is built into libavcodec");
        assert!(bytes.len() > 100);
        assert_eq!(&bytes[..4], &[0x1A, 0x45, 0xDF, 0xA3]); // EBML magic
    }
}
