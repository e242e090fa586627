//! Shared helpers of the integration tests: one set of loaded models per
//! test binary, fixtures from `$KYC_FIXTURE_DIR`.
#![allow(dead_code)]

use kyc_face::{load_image, DecodeLimits, FaceConfig, FaceModels};
use std::path::PathBuf;
use std::sync::OnceLock;

pub fn fixture_dir() -> PathBuf {
    std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
        })
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let p = fixture_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e} (run scripts/setup)", p.display()))
}

pub fn fixture(name: &str) -> image::RgbImage {
    load_image(&fixture_dir().join(name), &DecodeLimits::default())
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The product configuration (one worker: tests run in parallel threads
/// and share these sessions).
pub fn models() -> &'static FaceModels {
    static M: OnceLock<FaceModels> = OnceLock::new();
    M.get_or_init(|| {
        FaceModels::open(
            None,
            FaceConfig {
                workers: 2,
                ..FaceConfig::default()
            },
        )
        .expect("face models (KYC_MODEL_DIR, scripts/setup)")
    })
}

/// The reference recipe (JS NMS, no small-face pass).
pub fn reference_models() -> &'static FaceModels {
    static M: OnceLock<FaceModels> = OnceLock::new();
    M.get_or_init(|| {
        FaceModels::open(
            None,
            FaceConfig {
                workers: 1,
                ..FaceConfig::reference()
            },
        )
        .expect("face models (KYC_MODEL_DIR, scripts/setup)")
    })
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
