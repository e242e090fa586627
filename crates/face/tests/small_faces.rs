//! Small faces: an ID-card portrait in a photo of the whole card is far
//! below what the 320×240 whole-frame pass can see; the tiled pass finds it
//! (the full measurement over face sizes is `examples/small_faces.rs`).

mod common;

use common::{fixture, models};
use image::{imageops, Rgb, RgbImage};
use kyc_face::ops::resize_area;
use kyc_face::{AnalyzeOptions, BBox, SmallFaceConfig, SmallFaceMode, Warning};

/// The astronaut as a 3:4 portrait with a face box `h` px high, pasted on a
/// light card in a 1280×960 frame; returns the frame and the face box.
fn card_photo(h: f32) -> (RgbImage, BBox) {
    let src = fixture("astronaut.png");
    let face = models().analyze(&src).unwrap().detection.bbox;
    let (cx, cy) = face.center();
    let ph = face.height() / 0.55;
    let x0 = (cx - ph * 0.375).max(0.0) as u32;
    let y0 = (cy - ph * 0.45).max(0.0) as u32;
    let w = ((ph * 0.75) as u32).min(src.width() - x0);
    let hh = (ph as u32).min(src.height() - y0);
    let crop = imageops::crop_imm(&src, x0, y0, w, hh).to_image();
    let s = h / face.height();
    let small = resize_area(
        &crop,
        (w as f32 * s).round() as u32,
        (hh as f32 * s).round() as u32,
    );
    let mut img = RgbImage::from_fn(1280, 960, |x, y| {
        if (190..1090).contains(&x) && (200..770).contains(&y) {
            Rgb([228, 220, 198])
        } else {
            Rgb([70, 60, 50])
        }
    });
    let (px, py) = (230u32, 260u32);
    imageops::replace(&mut img, &small, i64::from(px), i64::from(py));
    let b = BBox {
        x1: (face.x1 - x0 as f32) * s + px as f32,
        y1: (face.y1 - y0 as f32) * s + py as f32,
        x2: (face.x2 - x0 as f32) * s + px as f32,
        y2: (face.y2 - y0 as f32) * s + py as f32,
    };
    (img, b)
}

#[test]
fn id_portrait_in_a_card_photo_is_found_by_the_tiled_pass() {
    let m = models();
    let original = m.analyze(&fixture("astronaut.png")).unwrap().embedding;
    let cfg = m.config().detector;
    let mode = |mode| SmallFaceConfig {
        mode,
        ..m.config().small_faces
    };
    for h in [28.0, 36.0, 48.0] {
        let (img, want) = card_photo(h);
        let hit = |dets: &[kyc_face::Detection]| dets.iter().any(|d| d.bbox.iou(&want) >= 0.4);
        let whole = m
            .detect_with(&img, &cfg, &mode(SmallFaceMode::Off))
            .unwrap();
        assert!(
            !hit(&whole),
            "h {h}: the whole-frame pass was expected to miss it"
        );
        let tiled = m.detect_small(&img).unwrap();
        assert!(hit(&tiled), "h {h}: tiled pass missed the face: {tiled:?}");
        // Auto runs the tiles because the whole frame found nothing.
        assert!(hit(&m.detect(&img).unwrap()), "h {h}: auto");
        let a = m
            .analyze_with(&img, &AnalyzeOptions::id_document())
            .unwrap();
        assert!(a.detection.bbox.iou(&want) >= 0.4);
        let c = a.embedding.cosine(&original);
        println!(
            "portrait face {h} px: box h {:.1}, cosine to the original {c:.3}",
            a.detection.bbox.height()
        );
        assert!(c >= 0.31, "h {h}: cosine {c}");
        assert!(a
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::FaceTooSmall { height, .. } if *height < 64.0)));
    }
}

#[test]
fn tiles_add_no_duplicates_of_a_large_face() {
    // A large face seen by both passes is reported once.
    let m = models();
    let img = fixture("t1.jpg");
    let whole = m
        .detect_with(
            &img,
            &m.config().detector,
            &SmallFaceConfig {
                mode: SmallFaceMode::Off,
                ..m.config().small_faces
            },
        )
        .unwrap();
    let tiled = m.detect_small(&img).unwrap();
    assert_eq!(tiled.len(), whole.len(), "{tiled:?}");
    for d in &whole {
        assert!(tiled.iter().any(|t| t.bbox.iou(&d.bbox) > 0.5));
    }
}
