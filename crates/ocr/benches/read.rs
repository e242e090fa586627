//! Reading one passport photo and one ID card photo of 1280 px width
//! (generated documents, tilted 7°, JPEG quality 85, plain background).
//! Targets on the 2-core machine: passport ≤ 150 ms, ID card (with the
//! Khmer fields) ≤ 400 ms (median).

use criterion::{criterion_group, criterion_main, Criterion};
use image::DynamicImage;
use kyc_ocr::synth::{degrade, Degradation, Generator, Identity};
use kyc_ocr::{Date, DocumentReader};
use std::path::PathBuf;

fn photo(passport: bool) -> DynamicImage {
    let gen = Generator::new().expect("fonts-ocr-b and fonts-khmeros installed");
    let id = Identity::random(2024);
    let doc = if passport {
        gen.passport(&id, 12.0)
    } else {
        gen.id_card(&id, 12.0)
    }
    .expect("render");
    let d = Degradation {
        rotation_deg: 7.0,
        jpeg_quality: Some(85),
        width: 1280,
        ..Default::default()
    };
    DynamicImage::ImageRgb8(degrade(&doc.image, &d, 7))
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let mut reader = DocumentReader::new(&dir).expect("models");
    let today = Date::new(2026, 11, 23).expect("date");
    let passport = photo(true);
    let card = photo(false);
    // Sanity: both read before timing.
    reader
        .read_passport(&passport, today)
        .expect("passport reads");
    reader.read_id_card(&card, today).expect("card reads");
    let mut g = c.benchmark_group("ocr");
    g.sample_size(10);
    g.bench_function("read_passport_1280px", |b| {
        b.iter(|| reader.read_passport(&passport, today).expect("passport"))
    });
    g.bench_function("read_id_card_1280px", |b| {
        b.iter(|| reader.read_id_card(&card, today).expect("card"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
