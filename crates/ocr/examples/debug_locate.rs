//! Development aid: locate bands in an image, write line crops to a folder.
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::locate::{locate_bands, LocateParams};
use kyc_ocr::rectify::{refine, render, LineGeom};
use kyc_ocr::{OcrModel, TextRecognizer};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(&args[2]);
    std::fs::create_dir_all(&out).unwrap();
    let bytes = std::fs::read(&args[1]).unwrap();
    let rgb = decode_image(&bytes, &DecodeLimits::default()).unwrap();
    let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
    let t = Instant::now();
    let bands = locate_bands(&gray, &LocateParams::default());
    println!("locate {:?} bands {}", t.elapsed(), bands.len());
    let mut rec = TextRecognizer::new(OcrModel::Mrz, std::path::Path::new(&std::env::var("KYC_MODEL_DIR").unwrap())).unwrap();
    for (bi, b) in bands.iter().enumerate().take(4) {
        println!("band {bi} score {:.2} angle {:.1} lines {} h {:.1} len {:.1} conf {}", b.score, b.angle_deg(), b.lines.len(), b.line_height(), b.line_length(), b.orientation_confident);
        for (li, l) in b.lines.iter().enumerate() {
            let g = LineGeom::of(b, l);
            let g2 = refine(&gray, &g);
            let img = render(&gray, &g2, 32.0);
            img.save(out.join(format!("b{bi}_l{li}.png"))).unwrap();
            let t = Instant::now();
            let r = rec.recognize(&img, tesseract::PageSegMode::PsmSingleLine).unwrap();
            println!("  {:?} -> {:?}  {} {:?} {}x{}", g, g2, r.text.trim(), t.elapsed(), img.width(), img.height());
        }
    }
}
