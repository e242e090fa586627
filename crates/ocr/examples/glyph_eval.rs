//! Development aid: the template-matching recogniser alone over an
//! evaluation folder: per image, the first band's lines read by
//! [`GlyphMatcher`] against the ground truth (character errors), and time.
//! Usage: `glyph_eval DIR [FILE_SUBSTRING]`.
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::eval::load_cases;
use kyc_ocr::glyph_match::{GlyphMatcher, CAP_PX};
use kyc_ocr::locate::{locate_bands, LocateParams};
use kyc_ocr::rectify::{refine, render, LineGeom};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(&args[1]);
    let filter = args.get(2).cloned().unwrap_or_default();
    let m = GlyphMatcher::new();
    let (mut errs, mut chars, mut exact_lines, mut lines_n) = (0usize, 0usize, 0usize, 0usize);
    for case in load_cases(&dir).expect("csv") {
        if !case.file.contains(&filter) || case.mrz.is_empty() {
            continue;
        }
        let bytes = std::fs::read(dir.join("images").join(&case.file)).expect("image");
        let Ok(rgb) = decode_image(&bytes, &DecodeLimits::default()) else {
            continue;
        };
        let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
        let bands = locate_bands(&gray, &LocateParams::default());
        let Some(b) = bands.first() else {
            println!("{:36} no band", case.file);
            continue;
        };
        let lengths: &[usize] = if b.lines.len() >= 3 { &[30] } else { &[44, 36] };
        let t = Instant::now();
        let read: Vec<_> = b
            .lines
            .iter()
            .map(|l| {
                let g = refine(&gray, &LineGeom::of(b, l));
                let mut best: Option<kyc_ocr::glyph_match::GlyphLine> = None;
                for f in scales() {
                    if let Some(r) = m.read_line(&render(&gray, &g, CAP_PX * f), lengths) {
                        if best.as_ref().is_none_or(|b| r.score > b.score) {
                            best = Some(r);
                        }
                    }
                }
                best
            })
            .collect();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let mut out = String::new();
        for (i, r) in read.iter().enumerate() {
            let gt = case.mrz.get(i).cloned().unwrap_or_default();
            let (text, score) = r
                .as_ref()
                .map(|r| (r.text.clone(), r.score))
                .unwrap_or_default();
            let e = text.bytes().zip(gt.bytes()).filter(|(a, b)| a != b).count()
                + text.len().abs_diff(gt.len());
            errs += e;
            chars += gt.len();
            lines_n += 1;
            exact_lines += usize::from(e == 0);
            out += &format!(" [{score:.2} e{e}] {text}");
        }
        println!(
            "{:36} {:5.1} ms h {:4.1}{out}",
            case.file,
            ms,
            b.line_height()
        );
    }
    println!(
        "lines exact {exact_lines}/{lines_n}, char errors {errs}/{chars} ({:.2}%)",
        100.0 * errs as f64 / chars.max(1) as f64
    );
}

fn scales() -> Vec<f32> {
    std::env::var("SCALES")
        .unwrap_or_else(|_| "1.1,1.0,1.2".into())
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect()
}
