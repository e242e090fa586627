//! Development aid: where the time of one passport read goes.
use image::DynamicImage;
use kyc_ocr::locate::{locate_bands, LocateParams};
use kyc_ocr::rectify::{refine, render, LineGeom};
use kyc_ocr::synth::{degrade, Degradation, Generator, Identity};
use kyc_ocr::{Date, DocumentReader, OcrModel, TextRecognizer};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let dir = PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let gen = Generator::new().unwrap();
    let id = Identity::random(2024);
    let card = std::env::var_os("ID_CARD").is_some();
    let doc = if card {
        gen.id_card(&id, 12.0).unwrap()
    } else {
        gen.passport(&id, 12.0).unwrap()
    };
    let d = Degradation {
        rotation_deg: 7.0,
        jpeg_quality: Some(85),
        width: 1280,
        ..Default::default()
    };
    let img = DynamicImage::ImageRgb8(degrade(&doc.image, &d, 7));
    let gray = img.to_luma8();
    for ws in [1000u32, 800, 640] {
        let t = Instant::now();
        let bands = locate_bands(
            &gray,
            &LocateParams {
                working_side: ws,
                ..Default::default()
            },
        );
        println!("locate ws {ws}: {:?} {} bands", t.elapsed(), bands.len());
    }
    let bands = locate_bands(&gray, &LocateParams::default());
    let b = &bands[0];
    let mut rec = TextRecognizer::new(OcrModel::Mrz, &dir).unwrap();
    for l in &b.lines {
        let t = Instant::now();
        let g = refine(&gray, &LineGeom::of(b, l));
        let t1 = t.elapsed();
        for h in [20.0, 24.0, 30.0] {
            let t = Instant::now();
            let s = render(&gray, &g, h);
            let t2 = t.elapsed();
            let t = Instant::now();
            let r = rec
                .recognize(&s, tesseract::PageSegMode::PsmSingleLine)
                .unwrap();
            println!(
                "refine {t1:?} h {h} render {t2:?} {}x{} ocr {:?} ok {}",
                s.width(),
                s.height(),
                t.elapsed(),
                r.text.trim().len()
            );
        }
    }
    let mut reader = DocumentReader::new(&dir).unwrap();
    let today = Date::new(2026, 11, 23).unwrap();
    let mut times = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        let r = reader.mrz_reader().read(&gray, today).unwrap();
        times.push(t.elapsed());
        assert!(r.accepted);
        if card {
            let t = Instant::now();
            reader.read_id_card(&img, today).unwrap();
            whole.push(t.elapsed());
        }
    }
    times.sort();
    whole.sort();
    println!("full read median {:?}", times[times.len() / 2]);
    if card {
        println!("whole card median {:?}", whole[whole.len() / 2]);
    }
}
