//! Development aid: band-finder timing under different parameters.
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::locate::{locate_bands, LocateParams};
use std::time::Instant;
fn main() {
    for path in std::env::args().skip(1) {
        let rgb = decode_image(&std::fs::read(&path).unwrap(), &DecodeLimits::default()).unwrap();
        let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
        for (ws, radii, seeds) in [
            (1000, vec![1, 2, 3, 5, 8, 12], 40),
            (1000, vec![1, 2, 3, 5, 8, 12], 12),
            (1000, vec![2, 5, 12], 40),
            (700, vec![1, 2, 3, 5, 8], 40),
            (1000, vec![1, 2, 3, 5, 8, 12], 0),
        ] {
            let p = LocateParams {
                working_side: ws,
                close_radii: radii.clone(),
                max_seeds: seeds,
                ..Default::default()
            };
            let t = Instant::now();
            let b = locate_bands(&gray, &p);
            println!(
                "{path} {ws} {radii:?} {seeds}: {:?} {} bands first {:?}",
                t.elapsed(),
                b.len(),
                b.first().map(|b| (b.line_height(), b.angle_deg()))
            );
        }
    }
}
