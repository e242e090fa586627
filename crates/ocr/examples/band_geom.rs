//! Development aid: band and line geometry of an image (numbers only).
use kyc_ocr::decode::{decode_image, DecodeLimits};
use kyc_ocr::locate::{locate_bands, LocateParams};
use kyc_ocr::rectify::{refine, LineGeom};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let rgb = decode_image(&std::fs::read(path).unwrap(), &DecodeLimits::default()).unwrap();
    let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
    for b in locate_bands(&gray, &LocateParams::default()).iter().take(8) {
        println!(
            "band score {:.2} angle {:.1} conf {}",
            b.score,
            b.angle_deg(),
            b.orientation_confident
        );
        for l in &b.lines {
            let g = LineGeom::of(b, l);
            let r = refine(&gray, &g);
            let proj = |p: (f32, f32)| (p.0 - b.origin.0) * b.dir.0 + (p.1 - b.origin.1) * b.dir.1;
            println!(
                "  u {:.1}..{:.1} h {:.1} -> refined {:.1}..{:.1} h {:.1}",
                l.u0,
                l.u1,
                l.height,
                proj(r.p0),
                proj(r.p1),
                r.height
            );
        }
    }
}
