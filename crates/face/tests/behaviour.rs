//! Behaviour of the product pipeline on the fixture images: every face of a
//! group photo, robustness of a match to scale, JPEG and brightness, no
//! match between different people, the error and warning cases, decoding
//! limits and EXIF orientation.

mod common;

use common::{fixture, fixture_bytes, models};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use kyc_face::eval::jpeg_roundtrip;
use kyc_face::ops::{resize_area, resize_bilinear};
use kyc_face::{
    decode_image, AnalyzeOptions, BBox, DecodeLimits, Embedding, FaceConfig, FaceError, FaceModels,
    FalseMatchRate, Limit, PoseOptions, Warning,
};

/// Cosine threshold of the 0.1 % false-match operating point.
fn far_1e3() -> f32 {
    FalseMatchRate::OneInThousand.cosine_threshold()
}

/// The six faces of t1.jpg (the reference's IoU-NMS raw boxes, rounded).
const T1_FACES: [[f32; 4]; 6] = [
    [741.2, 344.0, 843.8, 477.4],
    [463.5, 268.2, 577.7, 411.5],
    [267.7, 147.3, 366.5, 276.3],
    [52.5, 266.6, 163.8, 394.7],
    [1130.8, 269.9, 1226.7, 397.2],
    [901.0, 51.3, 1007.0, 201.8],
];

fn bbox(b: [f32; 4]) -> BBox {
    BBox {
        x1: b[0],
        y1: b[1],
        x2: b[2],
        y2: b[3],
    }
}

fn map_pixels(img: &RgbImage, f: impl Fn(f32) -> f32) -> RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = f(f32::from(*c)).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn embedding(img: &RgbImage) -> Embedding {
    models().analyze(img).expect("a face").embedding
}

/// Embeddings of every detected face of an image, with their boxes.
fn all_faces(m: &FaceModels, img: &RgbImage) -> Vec<(BBox, Embedding)> {
    m.detect(img)
        .unwrap()
        .iter()
        .map(|d| {
            let lm = m.landmarks(img, d).unwrap();
            (d.bbox, m.embed(img, &lm).unwrap())
        })
        .collect()
}

#[test]
fn group_photo_yields_every_face() {
    let img = fixture("t1.jpg");
    let faces = models().detect(&img).unwrap();
    assert_eq!(faces.len(), 6, "{faces:?}");
    for want in T1_FACES {
        let best = faces
            .iter()
            .map(|d| d.bbox.iou(&bbox(want)))
            .fold(0.0, f32::max);
        assert!(best >= 0.6, "face {want:?}: best IoU {best}");
    }
    // Largest first.
    for w in faces.windows(2) {
        assert!(w[0].bbox.area() >= w[1].bbox.area());
    }
}

#[test]
fn different_people_in_the_group_photo_do_not_match() {
    let m = models();
    let img = fixture("t1.jpg");
    let dets = m.detect(&img).unwrap();
    let faces = all_faces(m, &img);
    assert_eq!(faces.len(), 6);
    let yaw: Vec<f32> = dets
        .iter()
        .map(|d| m.head_pose(&img, d, &PoseOptions::default()).unwrap().yaw)
        .collect();
    // Five of the six people face the camera within 30° of yaw; the man at
    // the top right is turned 45° and looks down (pitch -28°). An embedding
    // of such a view is unreliable: against the man at the centre right it
    // scores 0.375 here and 0.367 in the Python reference, above the 0.1 %
    // threshold, so verification must only accept near-frontal faces (the
    // selfie flow checks the head pose).
    let frontal: Vec<usize> = (0..6).filter(|&i| yaw[i].abs() <= 30.0).collect();
    assert_eq!(frontal.len(), 5, "yaw {yaw:?}");
    let mut max = f32::MIN;
    for i in 0..faces.len() {
        for j in i + 1..faces.len() {
            let c = faces[i].1.cosine(&faces[j].1);
            println!(
                "t1 face {i} (yaw {:.0}) vs {j} (yaw {:.0}): cosine {c:.3}",
                yaw[i], yaw[j]
            );
            if frontal.contains(&i) && frontal.contains(&j) {
                max = max.max(c);
                let r = kyc_face::compare(&faces[i].1, &faces[j].1, FalseMatchRate::OneInHundred);
                assert!(!r.is_match, "faces {i} and {j}: {r:?}");
            }
        }
    }
    assert!(max < FalseMatchRate::OneInHundred.cosine_threshold());
    // And the two single-face fixtures are two more people.
    let a = embedding(&fixture("astronaut.png"));
    let t = embedding(&fixture("Tom_Hanks_54745.png"));
    assert!(a.cosine(&t) < far_1e3(), "{}", a.cosine(&t));
    for (_, e) in &faces {
        assert!(e.cosine(&a) < far_1e3() && e.cosine(&t) < far_1e3());
    }
}

#[test]
fn same_face_matches_under_scale_jpeg_and_brightness() {
    let m = models();
    let img = fixture("astronaut.png");
    let base = embedding(&img);
    let (w, h) = img.dimensions();
    let variants: Vec<(&str, RgbImage)> = vec![
        ("upscaled x2", resize_bilinear(&img, w * 2, h * 2)),
        ("downscaled x0.5", resize_area(&img, w / 2, h / 2)),
        ("downscaled x0.33", resize_area(&img, w / 3, h / 3)),
        ("jpeg q30", jpeg_roundtrip(&img, 30).unwrap()),
        ("jpeg q10", jpeg_roundtrip(&img, 10).unwrap()),
        ("darker x0.6", map_pixels(&img, |v| v * 0.6)),
        ("brighter +50", map_pixels(&img, |v| v + 50.0)),
        (
            "low contrast",
            map_pixels(&img, |v| 128.0 + (v - 128.0) * 0.5),
        ),
        (
            "half size, jpeg q40, darker",
            map_pixels(
                &jpeg_roundtrip(&resize_area(&img, w / 2, h / 2), 40).unwrap(),
                |v| v * 0.7,
            ),
        ),
    ];
    for (name, v) in &variants {
        let a = m.analyze(v).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = m.compare(&m.analyze(&img).unwrap(), &a);
        println!(
            "astronaut {name}: cosine {:.3} score {:.3}",
            r.cosine, r.score
        );
        assert!(r.is_match && r.cosine >= far_1e3(), "{name}: {r:?}");
        assert!((a.embedding.cosine(&base) - r.cosine).abs() < 1e-5);
    }
    // Every face of the group photo matches itself at half resolution and
    // after a JPEG re-encode, and nobody else.
    let t1 = fixture("t1.jpg");
    let orig = all_faces(m, &t1);
    let small = jpeg_roundtrip(&resize_area(&t1, t1.width() / 2, t1.height() / 2), 50).unwrap();
    let moved = all_faces(m, &small);
    assert_eq!(moved.len(), orig.len());
    for (b, e) in &moved {
        let full = BBox {
            x1: b.x1 * 2.0,
            y1: b.y1 * 2.0,
            x2: b.x2 * 2.0,
            y2: b.y2 * 2.0,
        };
        let (same, _) = orig
            .iter()
            .max_by(|x, y| x.0.iou(&full).total_cmp(&y.0.iou(&full)))
            .unwrap();
        // The face matches its own original, and that is its best match.
        let best = orig
            .iter()
            .max_by(|x, y| e.cosine(&x.1).total_cmp(&e.cosine(&y.1)))
            .unwrap();
        let c = orig.iter().find(|o| o.0 == *same).unwrap().1.cosine(e);
        println!(
            "t1 face at {:.0},{:.0} half size + jpeg: cosine {c:.3}",
            same.x1, same.y1
        );
        assert!(c >= far_1e3(), "same face {same:?}: {c}");
        assert_eq!(best.0, *same);
    }
}

#[test]
fn no_face_is_a_typed_error() {
    let m = models();
    let gray = RgbImage::from_pixel(640, 480, Rgb([128, 128, 128]));
    let gradient = RgbImage::from_fn(800, 600, |x, y| Rgb([(x / 4) as u8, (y / 3) as u8, 90]));
    // Deterministic pseudo-random noise.
    let mut s = 0x2545_f491_u32;
    let noise = RgbImage::from_fn(320, 240, |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        Rgb([s as u8, (s >> 8) as u8, (s >> 16) as u8])
    });
    for (name, img) in [("gray", gray), ("gradient", gradient), ("noise", noise)] {
        match m.analyze_with(&img, &AnalyzeOptions::selfie()) {
            Err(FaceError::NoFace) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert!(matches!(
            m.analyze_with(&img, &AnalyzeOptions::id_document()),
            Err(FaceError::NoFace)
        ));
        assert!(m.detect(&img).unwrap().is_empty(), "{name}");
    }
    assert!(matches!(
        m.compare_images(&fixture("astronaut.png"), &RgbImage::new(64, 64)),
        Err(FaceError::NoFace)
    ));
    // An image without pixels is invalid input, not a panic.
    assert!(matches!(
        m.analyze(&RgbImage::new(0, 0)),
        Err(FaceError::InvalidInput(_))
    ));
}

#[test]
fn multiple_faces_choose_the_largest_and_warn() {
    let img = fixture("t1.jpg");
    let a = models().analyze(&img).unwrap();
    let dets = models().detect(&img).unwrap();
    assert_eq!(a.detection, dets[0]);
    assert_eq!(a.other_faces.len(), 5);
    let largest = dets.iter().map(|d| d.bbox.area()).fold(0.0, f32::max);
    assert_eq!(a.detection.bbox.area(), largest);
    let w: Vec<&Warning> = a
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::MultipleFaces { .. }))
        .collect();
    assert_eq!(w.len(), 1);
    match w[0] {
        Warning::MultipleFaces {
            count,
            chosen,
            others,
            second_largest_ratio,
        } => {
            assert_eq!(*count, 6);
            assert_eq!(*chosen, a.detection.bbox);
            assert_eq!(others.len(), 5);
            assert_eq!(others[0], dets[1].bbox);
            let r = dets[1].bbox.area() / dets[0].bbox.area();
            assert!((second_largest_ratio - r).abs() < 1e-6 && r <= 1.0);
        }
        _ => unreachable!(),
    }
    // The largest box is the man at the centre-right (t1 face 0).
    assert!(
        a.detection.bbox.iou(&bbox(T1_FACES[0])) > 0.6
            || a.detection.bbox.iou(&bbox(T1_FACES[1])) > 0.6
    );
    // A single-face image has no multi-face warning.
    let one = models().analyze(&fixture("astronaut.png")).unwrap();
    assert!(one.other_faces.is_empty());
    assert!(!one
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::MultipleFaces { .. })));
}

fn has<F: Fn(&Warning) -> bool>(ws: &[Warning], f: F) -> bool {
    ws.iter().any(f)
}

#[test]
fn small_blurred_dark_and_bright_faces_raise_warnings() {
    let m = models();
    let img = fixture("astronaut.png");
    let clean = m.analyze(&img).unwrap();
    println!(
        "clean quality {:?} warnings {:?}",
        clean.quality, clean.warnings
    );
    assert!(clean.warnings.is_empty(), "{:?}", clean.warnings);

    // Tiny: the face box ≈ 40 px high.
    let tiny_img = resize_area(&img, 180, 180);
    let tiny = m.analyze(&tiny_img).unwrap();
    println!("tiny quality {:?}", tiny.quality);
    assert!(has(
        &tiny.warnings,
        |w| matches!(w, Warning::FaceTooSmall { height, min }
        if *height < *min && (*height - tiny.quality.face_height).abs() < 1e-6)
    ));

    // Blurred (Gaussian sigma 4): same size, no detail.
    let blurred = m.analyze(&image::imageops::blur(&img, 4.0)).unwrap();
    println!("blurred quality {:?}", blurred.quality);
    assert!(has(
        &blurred.warnings,
        |w| matches!(w, Warning::Blurry { sharpness, min }
        if *sharpness < *min && *sharpness == blurred.quality.sharpness)
    ));
    assert!(!has(&blurred.warnings, |w| matches!(
        w,
        Warning::FaceTooSmall { .. }
    )));
    assert!(blurred.quality.sharpness < clean.quality.sharpness / 4.0);

    // Dark (x0.15) and overexposed (x0.3 + 190).
    let dark = m.analyze(&map_pixels(&img, |v| v * 0.15)).unwrap();
    println!("dark quality {:?}", dark.quality);
    assert!(has(
        &dark.warnings,
        |w| matches!(w, Warning::TooDark { brightness, min }
        if *brightness < *min && *brightness == dark.quality.brightness)
    ));
    assert!(!has(&dark.warnings, |w| matches!(
        w,
        Warning::TooBright { .. }
    )));
    let bright = m.analyze(&map_pixels(&img, |v| v * 0.3 + 190.0)).unwrap();
    println!("bright quality {:?}", bright.quality);
    assert!(has(
        &bright.warnings,
        |w| matches!(w, Warning::TooBright { brightness, max }
        if *brightness > *max && *brightness == bright.quality.brightness)
    ));
    assert!(!has(&bright.warnings, |w| matches!(
        w,
        Warning::TooDark { .. }
    )));
}

// ---------------------------------------------------------------- decoding

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffff_u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A PNG signature, an IHDR claiming `w`×`h` RGB, an empty IDAT and IEND:
/// any attempt to decode the pixels would fail or allocate `w·h·3` bytes.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&w.to_be_bytes());
    chunk.extend_from_slice(&h.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    for name in [b"IDAT", b"IEND"] {
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&crc32(name).to_be_bytes());
    }
    out
}

fn jpeg_bytes(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(img)
        .unwrap();
    buf
}

/// A small real JPEG whose frame header (SOF0) claims `w`×`h`.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut b = jpeg_bytes(&RgbImage::from_pixel(16, 16, Rgb([200, 100, 50])), 90);
    let sof = b.windows(2).position(|m| m == [0xff, 0xc0]).expect("SOF0");
    b[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    b
}

fn too_large(r: Result<RgbImage, FaceError>) -> Limit {
    match r {
        Err(FaceError::ImageTooLarge { what, .. }) => what,
        other => panic!(
            "expected ImageTooLarge, got {:?}",
            other.map(|i| i.dimensions())
        ),
    }
}

#[test]
fn decode_limits_are_checked_before_the_pixels_are_allocated() {
    let limits = DecodeLimits::default();
    // Headers only: a decoder that went on would hit the end of the data
    // (a Decode error) or try to allocate gigabytes.
    assert_eq!(
        too_large(decode_image(&png_header_only(60_000, 60_000), &limits)),
        Limit::Width
    );
    assert_eq!(
        too_large(decode_image(&png_header_only(100, 13_000), &limits)),
        Limit::Height
    );
    assert_eq!(
        too_large(decode_image(&png_header_only(9_000, 9_000), &limits)),
        Limit::Pixels
    );
    assert_eq!(
        too_large(decode_image(&jpeg_claiming(65_000, 65_000), &limits)),
        Limit::Width
    );
    assert_eq!(
        too_large(decode_image(&jpeg_claiming(9_000, 9_000), &limits)),
        Limit::Pixels
    );
    // Within the limits the same truncated header is a decode error.
    assert!(matches!(
        decode_image(&png_header_only(64, 64), &limits),
        Err(FaceError::Decode(_))
    ));
    // The byte limit, through the pipeline's own limits.
    let bytes = fixture_bytes("t1.jpg");
    let m = models();
    let mut cfg = *m.config();
    cfg.limits.max_bytes = bytes.len() as u64 - 1;
    let small_limits = FaceModels::open(None, FaceConfig { workers: 1, ..cfg }).unwrap();
    match small_limits.analyze_bytes(&bytes, &AnalyzeOptions::default()) {
        Err(FaceError::ImageTooLarge {
            what,
            actual,
            limit,
        }) => {
            assert_eq!(
                (what, actual, limit),
                (Limit::Bytes, bytes.len() as u64, cfg.limits.max_bytes)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        m.analyze_bytes(&bytes, &AnalyzeOptions::default())
            .unwrap()
            .other_faces
            .len(),
        5
    );
}

#[test]
fn corrupt_and_truncated_images_are_decode_errors() {
    let limits = DecodeLimits::default();
    let jpeg = fixture_bytes("t1.jpg");
    // Cut inside the headers (the scan of t1.jpg starts at byte 354).
    for cut in [2, 20, 200, 350] {
        match decode_image(&jpeg[..cut], &limits) {
            Err(FaceError::Decode(_)) => {}
            other => panic!("cut at {cut}: {:?}", other.map(|i| i.dimensions())),
        }
    }
    // A JPEG cut in the middle of the scan decodes partially or fails, but
    // never panics; the pipeline gives a result or a typed error.
    let half = &jpeg[..jpeg.len() / 2];
    match models().analyze_bytes(half, &AnalyzeOptions::default()) {
        Ok(_) | Err(FaceError::Decode(_)) | Err(FaceError::NoFace) => {}
        Err(e) => panic!("{e}"),
    }
    assert!(matches!(
        models().analyze_bytes(b"GIF89a not supported", &AnalyzeOptions::default()),
        Err(FaceError::Decode(_))
    ));
}

/// Inserts an EXIF APP1 segment with one Orientation tag after the SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let s: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    s as f64 / a.as_raw().len() as f64
}

#[test]
fn exif_orientation_is_honoured() {
    let upright = fixture("astronaut.png");
    let upright_jpeg = decode_image(&jpeg_bytes(&upright, 95), &DecodeLimits::default()).unwrap();
    // Stored rotated 90° counter-clockwise, tagged "rotate 90° clockwise to
    // display" (6); and stored rotated clockwise, tagged 8.
    for (stored, tag) in [
        (image::imageops::rotate270(&upright), 6u16),
        (image::imageops::rotate90(&upright), 8),
        (image::imageops::rotate180(&upright), 3),
    ] {
        let plain = jpeg_bytes(&stored, 95);
        let tagged = with_exif_orientation(&plain, tag);
        let raw = decode_image(&plain, &DecodeLimits::default()).unwrap();
        let shown = decode_image(&tagged, &DecodeLimits::default()).unwrap();
        assert_eq!(shown.dimensions(), upright.dimensions(), "tag {tag}");
        let d_shown = mean_abs_diff(&shown, &upright_jpeg);
        let d_raw = mean_abs_diff(&raw, &upright_jpeg);
        println!("orientation {tag}: mean abs diff {d_shown:.2} (untagged {d_raw:.2})");
        assert!(d_shown < 3.0, "tag {tag}: {d_shown}");
        assert!(d_raw > 20.0, "tag {tag}: {d_raw}");
        // The pipeline sees the upright face.
        let a = models()
            .analyze_bytes(&tagged, &AnalyzeOptions::default())
            .unwrap();
        let b = models().analyze(&upright).unwrap();
        assert!(a.detection.bbox.iou(&b.detection.bbox) > 0.8, "tag {tag}");
        assert!(a.embedding.cosine(&b.embedding) > 0.9, "tag {tag}");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary truncations and byte flips of a real JPEG: a typed
        /// result, never a panic.
        #[test]
        fn damaged_jpegs_never_panic(cut in 0usize..128_000, flips in proptest::collection::vec((0usize..128_000, any::<u8>()), 0..8)) {
            let mut b = fixture_bytes("t1.jpg");
            for (i, v) in flips {
                let n = b.len();
                b[i % n] = v;
            }
            b.truncate(cut.min(b.len()));
            let _ = decode_image(&b, &DecodeLimits::default());
        }
    }
}
