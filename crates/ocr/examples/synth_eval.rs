//! Runs the reader over a generated set and prints exact-MRZ rate, false
//! accepts and Khmer-name CER. Usage:
//! `synth_eval [N] [clean|degraded|small] [idcard|passport]` (`small`: degraded
//! and 450-600 px wide, MRZ characters of about 6-9 px).
//! Nothing is written to disk.
use image::DynamicImage;
use kyc_ocr::synth::{char_error_rate, degrade, Degradation, Generator, Identity};
use kyc_ocr::{Date, DocumentReader, OcrError};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let small = args.get(2).is_some_and(|s| s == "small");
    let degraded = small || args.get(2).is_some_and(|s| s == "degraded");
    let passport = args.get(3).is_some_and(|s| s == "passport");
    let model_dir =
        PathBuf::from(std::env::var("KYC_MODEL_DIR").unwrap_or_else(|_| "models".into()));
    let gen = Generator::new().expect("fonts");
    let mut reader = DocumentReader::new(&model_dir).expect("models");
    let today = Date::new(2026, 11, 23).unwrap();
    let (mut exact, mut fa, mut found, mut cer_sum, mut cer_n, mut issued_ok) =
        (0, 0, 0, 0f32, 0, 0);
    let mut times = Vec::new();
    for seed in 0..n {
        let id = Identity::random(seed);
        let doc = if passport {
            gen.passport(&id, 12.0)
        } else {
            gen.id_card(&id, 12.0)
        }
        .expect("render");
        let d = if small {
            Degradation {
                width: 450 + (seed * 37 % 151) as u32,
                ..Degradation::random(seed)
            }
        } else if degraded {
            Degradation::random(seed)
        } else {
            Degradation {
                jpeg_quality: Some(90),
                ..Default::default()
            }
        };
        let img = DynamicImage::ImageRgb8(degrade(&doc.image, &d, seed));
        let t = Instant::now();
        // The MRZ lines of the same read the fields come from.
        let (got, accepted, extra) = if passport {
            // The passport fields are the MRZ read's: read it once, with its lines.
            match reader.mrz_reader().read(&img.to_luma8(), today) {
                Ok(r) => (Some(r.report.lines), r.accepted, String::new()),
                Err(e) => (None, false, e.to_string()),
            }
        } else {
            match reader.read_id_card(&img, today) {
                Ok(r) => {
                    let kh = format!(
                        "{} {}",
                        r.last_name_kh.value.clone().unwrap_or_default(),
                        r.first_name_kh.value.clone().unwrap_or_default()
                    );
                    let truth = format!("{} {}", id.surname_kh, id.given_kh);
                    let cer = char_error_rate(&truth, kh.trim());
                    cer_sum += cer;
                    cer_n += 1;
                    if r.issued_date.value.as_deref() == Some(id.issued.to_string().as_str()) {
                        issued_ok += 1;
                    }
                    (
                        Some(
                            r.mrz_lines
                                .iter()
                                .map(|f| f.value.clone().unwrap_or_default())
                                .collect::<Vec<_>>(),
                        ),
                        r.mrz.accepted,
                        format!(
                            "kh {:?} vs {:?} cer {:.2} issued {:?} ({}) printed {:?} latin {:?}",
                            kh.trim(),
                            truth,
                            cer,
                            r.issued_date.value,
                            r.issued_date.reason.as_deref().unwrap_or("-"),
                            r.printed_id_number,
                            r.printed_name_matches
                        ),
                    )
                }
                Err(e) => (None, false, e.to_string()),
            }
        };
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        let mut is_exact = false;
        if got.is_some() {
            found += 1;
        }
        if got.as_deref() == Some(&doc.mrz[..]) {
            is_exact = true;
            exact += 1;
        }
        if accepted && !is_exact {
            fa += 1;
        }
        println!(
            "{seed:3} w{:5} rot{:6.1} exact {is_exact:5} acc {accepted:5} {ms:6.0} ms {extra}",
            d.width, d.rotation_deg
        );
        if !is_exact {
            // Generated identities only: nothing personal is printed.
            if let Some(got) = &got {
                println!("    read  {}", got.join(" / "));
                println!("    truth {}", doc.mrz.join(" / "));
            }
        }
    }
    times.sort_by(f64::total_cmp);
    println!("n {n} found {found} exact {exact} false_accepts {fa} khmer_cer {:.3} issued_ok {issued_ok}/{cer_n} median_ms {:.0}", cer_sum / cer_n.max(1) as f32, times[times.len() / 2]);
    let _ = OcrError::Decode(String::new());
}
