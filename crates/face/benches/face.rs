//! Criterion benchmarks of the face pipeline on one thread (one ONNX
//! Runtime session per model, single-threaded).
//!
//! Run: `cargo bench -p kyc-face -j2 -- --warm-up-time 1 --measurement-time 5`

use criterion::{criterion_group, criterion_main, Criterion};
use kyc_face::ops::resize_bilinear;
use kyc_face::{load_image, DecodeLimits, FaceConfig, FaceModels};
use std::hint::black_box;
use std::path::PathBuf;

fn fixture(name: &str) -> image::RgbImage {
    let dir = std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("testdata/fixtures"));
    load_image(&dir.join(name), &DecodeLimits::default()).expect("fixture image")
}

fn bench(c: &mut Criterion) {
    let config = FaceConfig {
        workers: 1,
        ..FaceConfig::default()
    };
    let models = FaceModels::open(None, config).expect("models (set KYC_MODEL_DIR)");
    // Two 1280x960 frames: the astronaut portrait and the group photo.
    let a = resize_bilinear(&fixture("astronaut.png"), 1280, 960);
    let b = resize_bilinear(&fixture("t1.jpg"), 1280, 960);
    let faces = models.detect(&a).expect("detect");
    let det = faces[0];
    let lm = models.landmarks(&a, &det).expect("landmarks");
    let aligned = models.align(&a, &lm.five()).expect("align");

    c.bench_function("detect_1280x960", |bch| {
        bch.iter(|| black_box(models.detect(black_box(&a)).expect("detect")))
    });
    c.bench_function("landmarks_align", |bch| {
        bch.iter(|| {
            let lm = models.landmarks(black_box(&a), &det).expect("landmarks");
            black_box(models.align(&a, &lm.five()).expect("align"))
        })
    });
    c.bench_function("embed", |bch| {
        bch.iter(|| black_box(models.embed_aligned(black_box(&aligned)).expect("embed")))
    });
    c.bench_function("match_two_1280x960", |bch| {
        bch.iter(|| {
            black_box(
                models
                    .compare_images(black_box(&a), black_box(&b))
                    .expect("match"),
            )
        })
    });
    c.bench_function("detect_small_tiled_1280x960", |bch| {
        bch.iter(|| black_box(models.detect_small(black_box(&a)).expect("detect")))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
