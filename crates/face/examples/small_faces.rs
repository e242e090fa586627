//! Measures small-face detection: an ID-card portrait in a photo of the
//! whole card.
//!
//! Each source face is cropped as a 3:4 portrait (face box ≈ 55 % of its
//! height), shrunk so its detector box is `h` pixels high, and pasted on a
//! synthetic card (with text lines) lying on a table in a 1280×960 frame.
//! For each `h` it reports how often the face is found by the whole-frame
//! pass only (`SmallFaceMode::Off`), by the default `Auto` mode and by the
//! tiled pass (`Always`, what `AnalyzeOptions::id_document()` uses), the
//! median detect time of each, and how well the card face verifies against
//! the original (`analyze_with(id_document)`, cosine ≥ 0.31 = FAR 0.1 %).
//!
//! `cargo run --release -p kyc-face --example small_faces [-- IMAGE_DIR]`
//! (default: the fixtures; the report names no image and writes nothing).

use image::{imageops, Rgb, RgbImage};
use kyc_face::ops::{resize_area, resize_bilinear};
use kyc_face::{
    load_image, AnalyzeOptions, BBox, DecodeLimits, FaceConfig, FaceModels, SmallFaceConfig,
    SmallFaceMode,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

const HEIGHTS: [f32; 9] = [16.0, 20.0, 24.0, 28.0, 32.0, 40.0, 48.0, 64.0, 96.0];

/// A 1280×960 photo of a light card with dark text lines on a darker table.
fn card_canvas() -> RgbImage {
    let mut img = RgbImage::from_fn(1280, 960, |x, y| {
        let t = ((x / 7 + y / 5) % 9) as u8;
        Rgb([70 + t, 60 + t, 50 + t])
    });
    let (cx, cy, cw, ch) = (190u32, 200u32, 900u32, 570u32);
    for y in cy..cy + ch {
        for x in cx..cx + cw {
            let g = (x + 2 * y) % 23 == 0;
            let v = if g { 200 } else { 228 };
            img.put_pixel(x, y, Rgb([v, v - 8, v - 30]));
        }
    }
    // Text lines right of the portrait.
    for line in 0..9u32 {
        let y0 = cy + 60 + line * 52;
        let len = 380 + (line * 97) % 260;
        for y in y0..y0 + 14 {
            for x in (cx + 330)..(cx + 330 + len) {
                if (x / 9) % 5 != 0 {
                    img.put_pixel(x, y, Rgb([40, 40, 60]));
                }
            }
        }
    }
    img
}

struct Source {
    img: RgbImage,
    face: BBox,
    embedding: kyc_face::Embedding,
}

fn sources(models: &FaceModels, dir: &Path) -> Vec<Source> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("image folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("jpg" | "jpeg" | "png")
            )
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(img) = load_image(&f, &DecodeLimits::default()) else {
            continue;
        };
        let Ok(a) = models.analyze(&img) else {
            continue;
        };
        // Single-face sources only: the expected face must be unambiguous.
        if a.other_faces.is_empty() && a.detection.bbox.height() >= 60.0 {
            out.push(Source {
                face: a.detection.bbox,
                embedding: a.embedding,
                img,
            });
        }
    }
    out
}

/// The card photo with the source's portrait at face height `h`, and the
/// expected face box in it.
fn compose(canvas: &RgbImage, s: &Source, h: f32) -> (RgbImage, BBox) {
    let (cx, cy) = s.face.center();
    let ph = s.face.height() / 0.55;
    let pw = ph * 0.75;
    let x0 = (cx - pw / 2.0).max(0.0).floor() as u32;
    let y0 = (cy - ph * 0.45).max(0.0).floor() as u32;
    let x1 = ((cx + pw / 2.0).ceil() as u32).min(s.img.width());
    let y1 = ((cy + ph * 0.55).ceil() as u32).min(s.img.height());
    let crop = imageops::crop_imm(&s.img, x0, y0, x1 - x0, y1 - y0).to_image();
    let scale = h / s.face.height();
    let (w, hh) = (
        ((crop.width() as f32 * scale).round() as u32).max(1),
        ((crop.height() as f32 * scale).round() as u32).max(1),
    );
    let small = if scale < 1.0 {
        resize_area(&crop, w, hh)
    } else {
        resize_bilinear(&crop, w, hh)
    };
    let (px, py) = (230u32, 260u32);
    let mut img = canvas.clone();
    imageops::replace(&mut img, &small, i64::from(px), i64::from(py));
    let b = BBox {
        x1: (s.face.x1 - x0 as f32) * scale + px as f32,
        y1: (s.face.y1 - y0 as f32) * scale + py as f32,
        x2: (s.face.x2 - x0 as f32) * scale + px as f32,
        y2: (s.face.y2 - y0 as f32) * scale + py as f32,
    };
    (img, b)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("KYC_FIXTURE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("testdata/fixtures"))
        });
    let models = FaceModels::open(
        None,
        FaceConfig {
            workers: 1,
            ..FaceConfig::default()
        },
    )
    .expect("models (KYC_MODEL_DIR)");
    let srcs = sources(&models, &dir);
    println!("{} single-face source images, frame 1280x960", srcs.len());
    let canvas = card_canvas();
    let cfg = models.config().detector;
    let mode = |m| SmallFaceConfig {
        mode: m,
        ..models.config().small_faces
    };
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>11} {:>11}",
        "face_h",
        "whole",
        "auto",
        "tiled",
        "ms_whole",
        "ms_auto",
        "ms_tiled",
        "cos_mean",
        "tar@0.31"
    );
    for h in HEIGHTS {
        let mut found = [0usize; 3];
        let mut ms: [Vec<f64>; 3] = Default::default();
        let (mut cos_sum, mut matched, mut analysed) = (0f64, 0usize, 0usize);
        for s in &srcs {
            let (img, want) = compose(&canvas, s, h);
            for (k, m) in [
                SmallFaceMode::Off,
                SmallFaceMode::Auto,
                SmallFaceMode::Always,
            ]
            .into_iter()
            .enumerate()
            {
                let t = Instant::now();
                let dets = models.detect_with(&img, &cfg, &mode(m)).expect("detect");
                ms[k].push(t.elapsed().as_secs_f64() * 1e3);
                if dets.iter().any(|d| d.bbox.iou(&want) >= 0.4) {
                    found[k] += 1;
                }
            }
            if let Ok(a) = models.analyze_with(&img, &AnalyzeOptions::id_document()) {
                if a.detection.bbox.iou(&want) >= 0.4 {
                    let c = f64::from(a.embedding.cosine(&s.embedding));
                    cos_sum += c;
                    analysed += 1;
                    matched += usize::from(c >= 0.31);
                }
            }
        }
        let n = srcs.len().max(1) as f64;
        let pct = |x: usize| format!("{:.1}%", 100.0 * x as f64 / n);
        println!(
            "{:>6} {:>10} {:>10} {:>10} {:>9.1} {:>9.1} {:>9.1} {:>11.3} {:>11}",
            h,
            pct(found[0]),
            pct(found[1]),
            pct(found[2]),
            median(&mut ms[0]),
            median(&mut ms[1]),
            median(&mut ms[2]),
            cos_sum / analysed.max(1) as f64,
            pct(matched)
        );
    }
}
