//! Development aid: read one image's MRZ and print the lines (terminal only).
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::{Date, MrzReadOptions, MrzReader};
use std::path::PathBuf;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let budget: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2500);
    let dir = PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let opts = MrzReadOptions {
        budget: std::time::Duration::from_millis(budget),
        ..Default::default()
    };
    let mut r = MrzReader::with_options(&dir, opts).unwrap();
    let rgb = decode_image(&std::fs::read(path).unwrap(), &DecodeLimits::default()).unwrap();
    let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
    let t = std::time::Instant::now();
    match r.read(&gray, Date::new(2026, 11, 23).unwrap()) {
        Ok(m) => println!(
            "{:?} acc {} cands {} raw {:?}\nrep {:?}\n{:?}",
            t.elapsed(),
            m.accepted,
            m.candidates,
            m.raw_lines,
            m.report.lines,
            m.report.reasons
        ),
        Err(e) => println!("{:?} {e}", t.elapsed()),
    }
}
