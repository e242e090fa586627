//! The reader over generated documents (fonts from Debian packages, models
//! from the pinned model directory): clean and degraded ID cards and
//! passports must read exactly, with no false accept, and the Khmer names
//! of clean cards with a low character error rate.

use image::DynamicImage;
use kyc_ocr::synth::{char_error_rate, degrade, Degradation, Generator, Identity};
use kyc_ocr::{Date, DocumentReader, NoMrzReason, OcrError};
use std::path::PathBuf;

fn reader() -> DocumentReader {
    let dir = PathBuf::from(
        std::env::var("KYC_MODEL_DIR").expect("KYC_MODEL_DIR is set by .cargo/config.toml"),
    );
    DocumentReader::new(&dir).expect("models")
}

fn today() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

#[test]
fn id_cards_read_with_khmer_fields() {
    let gen = Generator::new().expect("fonts-ocr-b and fonts-khmeros installed");
    let mut r = reader();
    let mut cer = 0.0;
    let n = 3;
    for seed in 100..100 + n {
        let id = Identity::random(seed);
        let doc = gen.id_card(&id, 12.0).unwrap();
        let d = Degradation {
            jpeg_quality: Some(90),
            ..Default::default()
        };
        let img = DynamicImage::ImageRgb8(degrade(&doc.image, &d, seed));
        let out = r.read_id_card(&img, today()).unwrap();
        assert!(out.mrz.accepted, "seed {seed}: {:?}", out.mrz.reasons);
        let mrz: Vec<String> = out
            .mrz_lines
            .iter()
            .map(|f| f.value.clone().unwrap())
            .collect();
        assert_eq!(mrz, doc.mrz, "seed {seed}");
        assert_eq!(out.id_number.value.as_deref(), Some(id.number.as_str()));
        assert!(out.id_number.verified_by_check_digit);
        assert_eq!(out.dob.value, Some(id.dob.to_string()));
        assert_eq!(out.expired_date.value, Some(id.expiry.to_string()));
        assert_eq!(
            out.last_name_en.value.as_deref(),
            Some(id.surname_en.as_str())
        );
        assert_eq!(
            out.first_name_en.value.as_deref(),
            Some(id.given_en.as_str())
        );
        assert!(!out.first_name_en.verified_by_check_digit);
        assert_eq!(out.gender.value, Some(id.sex.to_string()));
        assert_eq!(out.printed_id_number.as_deref(), Some(id.number.as_str()));
        // A validity row that is read must give the true issue date.
        if let Some(issued) = &out.issued_date.value {
            assert_eq!(issued, &id.issued.to_string());
        }
        let kh = format!(
            "{} {}",
            out.last_name_kh.value.clone().unwrap_or_default(),
            out.first_name_kh.value.clone().unwrap_or_default()
        );
        cer += char_error_rate(&format!("{} {}", id.surname_kh, id.given_kh), kh.trim());
    }
    let cer = cer / n as f32;
    assert!(cer <= 0.10, "Khmer name CER {cer}");
}

#[test]
fn degraded_documents_read_exactly_or_not_at_all() {
    let gen = Generator::new().unwrap();
    let mut r = reader();
    let mut exact = 0;
    let n = 4u64;
    for seed in 0..n {
        let id = Identity::random(seed + 500);
        let passport = seed % 2 == 0;
        let doc = if passport {
            gen.passport(&id, 12.0)
        } else {
            gen.id_card(&id, 12.0)
        }
        .unwrap();
        let img =
            DynamicImage::ImageRgb8(degrade(&doc.image, &Degradation::random(seed + 500), seed));
        match r.mrz_reader().read(&img.to_luma8(), today()) {
            Ok(read) => {
                if read.report.lines == doc.mrz {
                    exact += 1;
                } else {
                    assert!(
                        !read.accepted,
                        "false accept on seed {seed}: {:?}",
                        read.report.lines
                    );
                }
            }
            Err(OcrError::NoMrz(_)) => {}
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(exact >= n - 1, "{exact}/{n} exact");
}

#[test]
fn passport_fields_and_wrong_document() {
    let gen = Generator::new().unwrap();
    let mut r = reader();
    let id = Identity::random(42);
    let doc = gen.passport(&id, 10.0).unwrap();
    let img = DynamicImage::ImageRgb8(degrade(
        &doc.image,
        &Degradation {
            rotation_deg: 180.0 + 8.0,
            ..Default::default()
        },
        1,
    ));
    let p = r.read_passport(&img, today()).unwrap();
    assert_eq!(
        p.document_number.value,
        Some(format!("N{}", &id.number[1..]))
    );
    assert_eq!(p.nationality.value.as_deref(), Some("KHM"));
    assert_eq!(
        p.last_name_en.value.as_deref(),
        Some(id.surname_en.as_str())
    );
    assert_eq!(p.dob.value, Some(id.dob.to_string()));
    // The passport is not an ID card.
    assert!(matches!(
        r.read_id_card(&img, today()),
        Err(OcrError::WrongDocument { .. })
    ));
}

#[test]
fn no_document_and_undecodable_inputs_are_typed_errors() {
    let mut r = reader();
    // A blank photo: no MRZ (506).
    let blank = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        640,
        480,
        image::Rgb([128, 120, 110]),
    ));
    match r.read_passport(&blank, today()) {
        Err(e @ OcrError::NoMrz(NoMrzReason::NotFound { .. })) => assert_eq!(e.api_code(), 506),
        other => panic!("{other:?}"),
    }
    // Garbage bytes: undecodable (505).
    let e = r
        .read_id_card_bytes(b"definitely not an image", today())
        .unwrap_err();
    assert_eq!(e.api_code(), 505);
    // A tiny image: no panic, a typed error.
    let tiny = DynamicImage::ImageRgb8(image::RgbImage::new(3, 2));
    assert!(matches!(
        r.read_passport(&tiny, today()),
        Err(OcrError::NoMrz(_))
    ));
}
