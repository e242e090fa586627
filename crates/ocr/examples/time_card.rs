//! Development aid: time the MRZ read and the whole ID-card read of one photo.
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::{Date, DocumentReader, MrzReader};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: time_card IMAGE");
    let dir = PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let rgb = decode_image(&std::fs::read(path).unwrap(), &DecodeLimits::default()).unwrap();
    let img = image::DynamicImage::ImageRgb8(rgb);
    let today = Date::new(2026, 11, 23).unwrap();
    let mut mrz = MrzReader::new(&dir).unwrap();
    let mut reader = DocumentReader::new(&dir).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let m = mrz.read(&img.to_luma8(), today).map(|m| m.candidates);
        let t_mrz = t.elapsed();
        let t = Instant::now();
        let card = reader.read_id_card(&img, today).is_ok();
        println!(
            "mrz {t_mrz:?} ({m:?} candidates), whole card {:?} ok {card}",
            t.elapsed()
        );
    }
}
