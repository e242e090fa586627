//! Decoding tests on clips encoded by the tests themselves (no external files).

use std::ops::ControlFlow;

use image::{Rgb, RgbImage};
use kyc_liveness::decode::{decode_frames, probe, DecodeError, DecodeOptions, LimitKind};
use kyc_liveness::encode::{encode_video, Container, EncodeOptions, VideoCodec};
use kyc_liveness::{Orientation, SampledFrame, VideoInfo};

const RED: [u8; 3] = [220, 30, 30];

/// Grey gradient background, a red marker in the top-left quarter-by-quarter corner and a
/// white bar whose position moves with the frame index.
fn test_frame(w: u32, h: u32, i: usize) -> RgbImage {
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let v = (60 + (x * 80 / w.max(1)) + (y * 40 / h.max(1))) as u8;
        Rgb([v, v, v])
    });
    for y in 0..h / 4 {
        for x in 0..w / 4 {
            img.put_pixel(x, y, Rgb(RED));
        }
    }
    let bar = (w / 4 + (i as u32 * 2) % (w / 2).max(1)).min(w - 1);
    for y in h / 2..h {
        img.put_pixel(bar, y, Rgb([255, 255, 255]));
    }
    img
}

fn clip(w: u32, h: u32, times_ms: &[f64], opts: &EncodeOptions) -> Vec<u8> {
    let frames: Vec<RgbImage> = (0..times_ms.len()).map(|i| test_frame(w, h, i)).collect();
    encode_video(times_ms.iter().copied().zip(frames.iter()), opts).expect("encode")
}

fn cfr(fps: f64, seconds: f64) -> Vec<f64> {
    let n = (fps * seconds).round() as usize;
    (0..n).map(|i| i as f64 * 1000.0 / fps).collect()
}

fn decode_all(
    bytes: &[u8],
    opts: &DecodeOptions,
) -> Result<(VideoInfo, Vec<SampledFrame>), DecodeError> {
    let mut frames = Vec::new();
    let info = decode_frames(bytes, opts, |f| {
        frames.push(f);
        ControlFlow::Continue(())
    })?;
    Ok((info, frames))
}

/// Mean colour of a rectangle.
fn mean(img: &RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> [f64; 3] {
    let mut s = [0.0; 3];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                s[c] += f64::from(p[c]);
            }
        }
    }
    let n = f64::from(w * h);
    s.map(|v| v / n)
}

fn is_red(c: [f64; 3]) -> bool {
    c[0] > 150.0 && c[1] < 90.0 && c[2] < 90.0
}

/// Independent statement of the sampling rule: for each tick k/fps, the first frame at or
/// after it (1 ms slack), each frame at most once.
fn expected_samples(times: &[f64], fps: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    let last = times.last().copied().unwrap_or(0.0);
    let mut k = 0u64;
    loop {
        let tick = k as f64 * 1000.0 / fps;
        if tick > last + 1.0 {
            break;
        }
        if let Some(&t) = times.iter().find(|&&t| t + 1.0 >= tick) {
            if out.last() != Some(&t) {
                out.push(t);
            }
        }
        k += 1;
    }
    out
}

fn check_cfr_clip(container: Container, codec: VideoCodec, expect_codec: &str) {
    if !codec.is_available() {
        eprintln!("skipping {codec:?}: no encoder in this FFmpeg build");
        return;
    }
    let times = cfr(30.0, 2.0);
    let bytes = clip(320, 240, &times, &EncodeOptions::new(container, codec));
    let (info, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
    assert_eq!(info.codec, expect_codec);
    // FFmpeg itself (a plain send/receive loop over the same bytes) returns 59 frames for
    // the MPEG-4 Part 2 encode: its final frame is not output. Everything else gives 60.
    let want = if codec == VideoCodec::Mpeg4 {
        59..=60
    } else {
        60..=60
    };
    assert!(want.contains(&info.decoded_frames), "{info:?}");
    assert!(
        (29..=31).contains(&frames.len()),
        "{:?}: {} sampled frames",
        container,
        frames.len()
    );
    assert_eq!(info.sampled_frames, frames.len());
    assert!((info.avg_fps - 30.0).abs() < 0.5, "{info:?}");
    assert!((info.duration_s - 2.0).abs() < 0.05, "{info:?}");
    assert_eq!((info.width, info.height), (320, 240));
    assert!(!info.truncated, "{info:?}");
    for (k, f) in frames.iter().enumerate() {
        assert_eq!(f.index, k);
        assert_eq!(f.image.dimensions(), (320, 240));
        // Every other source frame: t = k · 66.7 ms.
        assert!(
            (f.t_ms - k as f64 * 2000.0 / 30.0).abs() <= 1.5,
            "frame {k} at {}",
            f.t_ms
        );
        assert_eq!(f.source_index, 2 * k);
        assert!(
            is_red(mean(&f.image, 4, 4, 64, 48)),
            "marker lost in frame {k}"
        );
    }
}

#[test]
fn mp4_h264() {
    check_cfr_clip(Container::Mp4, VideoCodec::H264, "h264");
}

#[test]
fn mov_h264() {
    check_cfr_clip(Container::Mov, VideoCodec::H264, "h264");
}

#[test]
fn mp4_hevc() {
    check_cfr_clip(Container::Mp4, VideoCodec::Hevc, "hevc");
}

#[test]
fn mp4_mpeg4() {
    check_cfr_clip(Container::Mp4, VideoCodec::Mpeg4, "mpeg4");
}

#[test]
fn webm_vp9() {
    check_cfr_clip(Container::WebM, VideoCodec::Vp9, "vp9");
}

#[test]
fn webm_vp8() {
    check_cfr_clip(Container::WebM, VideoCodec::Vp8, "vp8");
}

#[test]
fn mkv_h264() {
    check_cfr_clip(Container::Mkv, VideoCodec::H264, "h264");
}

#[test]
fn gif_sampling_and_colour() {
    // GIF timestamps are in 1/100 s: use 20 fps (50 ms) frames.
    let times = cfr(20.0, 2.0);
    let bytes = clip(
        160,
        120,
        &times,
        &EncodeOptions::new(Container::Gif, VideoCodec::Gif),
    );
    assert_eq!(&bytes[..3], b"GIF");
    let (info, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
    assert_eq!(info.container, "gif");
    assert_eq!(info.codec, "gif");
    assert_eq!(info.decoded_frames, 40);
    let want = expected_samples(&times, 15.0);
    let got: Vec<f64> = frames.iter().map(|f| f.t_ms).collect();
    assert_eq!(got.len(), want.len(), "got {got:?} want {want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 0.5, "got {got:?} want {want:?}");
    }
    assert!(is_red(mean(&frames[0].image, 2, 2, 30, 20)));
}

#[test]
fn downscales_to_max_side_keeping_aspect() {
    let times = cfr(30.0, 0.3);
    let bytes = clip(
        1280,
        720,
        &times,
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    let (info, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
    assert_eq!((info.width, info.height), (1280, 720));
    assert!(!frames.is_empty());
    for f in &frames {
        assert_eq!(f.image.dimensions(), (640, 360));
    }
    assert!(is_red(mean(&frames[0].image, 10, 10, 120, 60)));
    let opts = DecodeOptions {
        max_side: None,
        ..DecodeOptions::default()
    };
    let (_, frames) = decode_all(&bytes, &opts).expect("decode");
    assert_eq!(frames[0].image.dimensions(), (1280, 720));
}

#[test]
fn all_frames_without_target_fps_and_other_rates() {
    let times = cfr(30.0, 1.0);
    let bytes = clip(
        64,
        48,
        &times,
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    for (fps, expect) in [
        (None, 30usize),
        (Some(10.0), 10),
        (Some(30.0), 30),
        (Some(60.0), 30),
    ] {
        let opts = DecodeOptions {
            target_fps: fps,
            ..DecodeOptions::default()
        };
        let (_, frames) = decode_all(&bytes, &opts).expect("decode");
        assert_eq!(frames.len(), expect, "target {fps:?}");
    }
}

#[test]
fn variable_frame_rate_uses_timestamps() {
    // Irregular intervals between 15 and 95 ms (deterministic), about 3 s.
    let mut times = vec![0.0];
    let mut seed = 12345u32;
    while *times.last().unwrap() < 3000.0 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let dt = 15.0 + f64::from((seed >> 16) % 81);
        times.push(times.last().unwrap() + dt);
    }
    for (container, codec) in [
        (Container::Mp4, VideoCodec::H264),
        (Container::WebM, VideoCodec::Vp9),
    ] {
        let bytes = clip(96, 64, &times, &EncodeOptions::new(container, codec));
        let (info, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
        // A plain FFmpeg send/receive loop over the MP4 also yields one frame less than was
        // encoded (the last frame of an irregular-timestamp MP4 is not output).
        assert!(
            info.decoded_frames == times.len() || info.decoded_frames + 1 == times.len(),
            "{container:?}: {info:?}"
        );
        let want = expected_samples(&times[..info.decoded_frames], 15.0);
        let got: Vec<f64> = frames.iter().map(|f| f.t_ms).collect();
        // WebM stores milliseconds: allow the rounding.
        assert_eq!(
            got.len(),
            want.len(),
            "{container:?}: got {got:?}\nwant {want:?}"
        );
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1.0,
                "{container:?}: got {got:?}\nwant {want:?}"
            );
        }
        // Index-based sampling (every other frame) would give a different count.
        assert_ne!(frames.len(), times.len().div_ceil(2));
    }
}

fn rotated_clip(container: Container, rotate_cw: u16, mirror: bool) -> Vec<u8> {
    let mut o = EncodeOptions::new(container, VideoCodec::H264);
    o.rotate_cw = rotate_cw;
    o.mirror = mirror;
    clip(64, 48, &cfr(30.0, 0.5), &o)
}

#[test]
fn rotation_metadata_is_applied() {
    // The marker is in the top-left corner of the stored 64×48 frame (16×12 pixels).
    // Clockwise 90°: top-left -> top-right; 180°: -> bottom-right; 270°: -> bottom-left.
    for container in [Container::Mp4, Container::Mov] {
        for (rot, size, corner) in [
            (0u16, (64u32, 48u32), (0u32, 0u32)),
            (90, (48, 64), (48 - 12, 0)),
            (180, (64, 48), (64 - 16, 48 - 12)),
            (270, (48, 64), (0, 64 - 16)),
        ] {
            let bytes = rotated_clip(container, rot, false);
            let info = probe(&bytes, &DecodeOptions::default()).expect("probe");
            assert_eq!(
                info.orientation,
                Orientation {
                    rotate_cw: rot,
                    mirror: false
                },
                "{container:?} {rot}"
            );
            assert_eq!((info.width, info.height), size);
            let (_, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
            let img = &frames[0].image;
            assert_eq!(img.dimensions(), size, "{container:?} {rot}");
            let (mw, mh) = if size.0 < size.1 { (12, 16) } else { (16, 12) };
            let c = mean(img, corner.0 + 2, corner.1 + 2, mw - 4, mh - 4);
            assert!(is_red(c), "{container:?} rot {rot}: corner colour {c:?}");
            // The far corner is grey.
            let far = mean(
                img,
                if corner.0 == 0 { size.0 - 8 } else { 2 },
                if corner.1 == 0 { size.1 - 8 } else { 2 },
                6,
                6,
            );
            assert!(!is_red(far), "{container:?} rot {rot}: far corner {far:?}");
        }
    }
}

#[test]
fn rotation_can_be_ignored() {
    let bytes = rotated_clip(Container::Mp4, 90, false);
    let opts = DecodeOptions {
        apply_rotation: false,
        ..DecodeOptions::default()
    };
    let (info, frames) = decode_all(&bytes, &opts).expect("decode");
    assert_eq!(info.orientation, Orientation::default());
    assert_eq!(frames[0].image.dimensions(), (64, 48));
    assert!(is_red(mean(&frames[0].image, 2, 2, 12, 8)));
}

#[test]
fn mirrored_display_matrix() {
    let bytes = rotated_clip(Container::Mp4, 0, true);
    let (info, frames) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
    assert_eq!(
        info.orientation,
        Orientation {
            rotate_cw: 0,
            mirror: true
        }
    );
    // Mirrored: the marker is now top-right.
    assert!(is_red(mean(&frames[0].image, 64 - 14, 2, 12, 8)));
    assert!(!is_red(mean(&frames[0].image, 2, 2, 12, 8)));
}

#[test]
fn empty_and_garbage_inputs() {
    let opts = DecodeOptions::default();
    assert_eq!(decode_all(&[], &opts).err(), Some(DecodeError::Empty));
    let mut seed = 7u32;
    let garbage: Vec<u8> = (0..20_000)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        })
        .collect();
    match decode_all(&garbage, &opts) {
        Err(DecodeError::NotAVideo { .. }) => {}
        other => panic!("garbage: {:?}", other.map(|r| r.0)),
    }
    let text = b"hello, this is not a video at all\n".repeat(100);
    assert!(matches!(
        decode_all(&text, &opts),
        Err(DecodeError::NotAVideo { .. })
    ));
    // A PNG is a valid FFmpeg input (image2pipe) but not an accepted container.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(test_frame(32, 32, 0))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    assert!(matches!(
        decode_all(&png, &opts),
        Err(DecodeError::NotAVideo { .. })
    ));
    // A few bytes of a valid header only.
    let bytes = clip(
        64,
        48,
        &cfr(30.0, 0.5),
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    assert!(decode_all(&bytes[..8], &opts).is_err());
}

#[test]
fn truncated_files_never_panic() {
    let opts = DecodeOptions::default();
    let times = cfr(30.0, 2.0);
    // Plain MP4 keeps its index (moov) at the end: cut at half it is not a readable MP4.
    let mp4 = clip(
        96,
        64,
        &times,
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    match decode_all(&mp4[..mp4.len() / 2], &opts) {
        Err(DecodeError::NotAVideo { .. }) | Err(DecodeError::Truncated { .. }) => {}
        other => panic!("half mp4: {:?}", other.map(|r| r.0)),
    }
    // Fragmented MP4 and WebM are readable up to the cut: fewer frames, flagged truncated.
    let mut frag = EncodeOptions::new(Container::Mp4, VideoCodec::H264);
    frag.fragmented = true;
    frag.gop = 10;
    let fmp4 = clip(96, 64, &times, &frag);
    let webm = clip(
        96,
        64,
        &times,
        &EncodeOptions::new(Container::WebM, VideoCodec::Vp9),
    );
    for (name, bytes) in [("fragmented mp4", &fmp4), ("webm", &webm)] {
        let (full, _) = decode_all(bytes, &opts).expect("full clip");
        assert!(!full.truncated, "{name}: {full:?}");
        let (info, frames) = decode_all(&bytes[..bytes.len() / 2], &opts).expect(name);
        assert!(
            info.decoded_frames < full.decoded_frames,
            "{name}: {info:?}"
        );
        assert!(!frames.is_empty(), "{name}");
        assert!(info.truncated, "{name}: {info:?}");
    }
    // Every cut point: an error or fewer frames, never a panic or a hang.
    for bytes in [&mp4, &fmp4, &webm] {
        for k in 1..20 {
            let cut = bytes.len() * k / 20;
            if let Ok((info, _)) = decode_all(&bytes[..cut], &opts) {
                assert!(info.decoded_frames <= times.len());
            }
        }
    }
}

#[test]
fn limits_give_typed_errors() {
    let bytes = clip(
        320,
        240,
        &cfr(30.0, 2.0),
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    let with = |f: &dyn Fn(&mut DecodeOptions)| {
        let mut o = DecodeOptions::default();
        f(&mut o);
        o
    };
    let cases: Vec<(DecodeOptions, LimitKind, u64, u64)> = vec![
        (
            with(&|o| o.limits.max_width = 300),
            LimitKind::Width,
            300,
            320,
        ),
        (
            with(&|o| o.limits.max_height = 200),
            LimitKind::Height,
            200,
            240,
        ),
        (
            with(&|o| o.limits.max_bytes = 1000),
            LimitKind::Bytes,
            1000,
            bytes.len() as u64,
        ),
        (
            with(&|o| o.limits.max_duration_s = 1.0),
            LimitKind::DurationMs,
            1000,
            2000,
        ),
        (
            with(&|o| o.limits.max_frames = 10),
            LimitKind::Frames,
            10,
            60,
        ),
    ];
    for (opts, what, limit, actual) in cases {
        // Checked before decoding: no frame reaches the callback.
        let mut called = 0;
        let r = decode_frames(&bytes, &opts, |_| {
            called += 1;
            ControlFlow::Continue(())
        });
        match r {
            Err(DecodeError::TooLarge {
                what: w,
                limit: l,
                actual: a,
            }) => {
                assert_eq!((w, l), (what, limit));
                assert!(
                    a >= actual.saturating_sub(40) && a <= actual + 40,
                    "{what}: {a} vs {actual}"
                );
            }
            other => panic!("{what}: {other:?}"),
        }
        assert_eq!(called, 0, "{what}");
        assert!(matches!(
            probe(&bytes, &opts),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}

#[test]
fn limits_enforced_while_decoding_without_declared_values() {
    // Matroska written by FFmpeg declares a duration but no frame count: the frame limit
    // trips during decoding.
    let bytes = clip(
        64,
        48,
        &cfr(30.0, 2.0),
        &EncodeOptions::new(Container::WebM, VideoCodec::Vp8),
    );
    let mut opts = DecodeOptions::default();
    opts.limits.max_frames = 20;
    let mut called = 0;
    let r = decode_frames(&bytes, &opts, |_| {
        called += 1;
        ControlFlow::Continue(())
    });
    assert!(
        matches!(
            r,
            Err(DecodeError::TooLarge {
                what: LimitKind::Frames,
                limit: 20,
                ..
            })
        ),
        "{r:?}"
    );
    assert!(called <= 11);
}

#[test]
fn huge_declared_resolution_is_rejected_before_decoding() {
    let mut gif = clip(
        64,
        48,
        &cfr(20.0, 0.5),
        &EncodeOptions::new(Container::Gif, VideoCodec::Gif),
    );
    // Logical screen descriptor: width and height, little-endian, at bytes 6..10.
    gif[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let r = decode_all(&gif, &DecodeOptions::default());
    match r {
        Err(DecodeError::TooLarge {
            what: LimitKind::Width,
            limit: 4096,
            actual: 65535,
        }) => {}
        other => panic!("{:?}", other.map(|r| r.0)),
    }
}

#[test]
fn callback_can_stop_early() {
    let bytes = clip(
        64,
        48,
        &cfr(30.0, 2.0),
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    let mut n = 0;
    let info = decode_frames(&bytes, &DecodeOptions::default(), |_| {
        n += 1;
        if n == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("decode");
    assert_eq!(n, 3);
    assert_eq!(info.sampled_frames, 3);
    assert!(info.stopped_early);
    assert!(!info.truncated);
}

#[test]
fn invalid_options() {
    let bytes = clip(
        64,
        48,
        &cfr(30.0, 0.2),
        &EncodeOptions::new(Container::Mp4, VideoCodec::H264),
    );
    for fps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let opts = DecodeOptions {
            target_fps: Some(fps),
            ..DecodeOptions::default()
        };
        assert!(matches!(
            decode_all(&bytes, &opts),
            Err(DecodeError::InvalidOptions { .. })
        ));
    }
    let opts = DecodeOptions {
        max_side: Some(0),
        ..DecodeOptions::default()
    };
    assert!(matches!(
        decode_all(&bytes, &opts),
        Err(DecodeError::InvalidOptions { .. })
    ));
}

#[test]
fn colours_survive_the_round_trip() {
    let img = RgbImage::from_pixel(64, 48, Rgb([200, 120, 40]));
    let frames: Vec<(f64, &RgbImage)> = (0..5).map(|i| (i as f64 * 40.0, &img)).collect();
    for (c, v) in [
        (Container::Mp4, VideoCodec::H264),
        (Container::WebM, VideoCodec::Vp9),
        (Container::Gif, VideoCodec::Gif),
    ] {
        let bytes = encode_video(frames.clone(), &EncodeOptions::new(c, v)).expect("encode");
        let (_, out) = decode_all(&bytes, &DecodeOptions::default()).expect("decode");
        let m = mean(&out[0].image, 8, 8, 48, 32);
        let target = if v == VideoCodec::Gif {
            [204.0, 102.0, 51.0]
        } else {
            [200.0, 120.0, 40.0]
        };
        for ch in 0..3 {
            assert!((m[ch] - target[ch]).abs() < 8.0, "{c:?}: {m:?}");
        }
    }
}

#[test]
fn whitelist_can_be_lifted() {
    // Matroska with MPEG-4 part 2 is accepted by default; `allow_any_format` is a superset.
    let bytes = clip(
        64,
        48,
        &cfr(30.0, 0.5),
        &EncodeOptions::new(Container::Mkv, VideoCodec::Mpeg4),
    );
    let opts = DecodeOptions {
        allow_any_format: true,
        ..DecodeOptions::default()
    };
    let (info, _) = decode_all(&bytes, &opts).expect("decode");
    assert_eq!(info.codec, "mpeg4");
}
