//! Criterion benchmarks: a 5-second 720p 30 fps clip (rendered by the clip generator from
//! the astronaut fixture, H.264 MP4, actions [2,1,3]) decoded and scored end to end, and
//! decoded only (15 fps sampling, longest side 640).
//!
//! Run: `cargo bench -p kyc-liveness --bench decode -- --warm-up-time 1 --measurement-time 5`

use criterion::{criterion_group, criterion_main, Criterion};
use kyc_face::{FaceConfig, FaceModels};
use kyc_liveness::generate::{render_clip, ClipSpec};
use kyc_liveness::{check_liveness, decode_frames, Action, CheckOptions, DecodeOptions};
use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::PathBuf;

fn fixture(name: &str) -> image::RgbImage {
    let dir = std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("testdata/fixtures"));
    let dir = if dir.is_relative() && !dir.exists() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    } else {
        dir
    };
    image::open(dir.join(name))
        .expect("fixture image")
        .to_rgb8()
}

/// 0.6 s lead, turn 2 (0.9 s), rest 0.4, turn 1 (0.9 s), rest 0.4, nod (0.6 s), 1.2 s tail:
/// exactly 5.0 s at 1280×720, 30 fps.
fn clip_720p_5s(models: &FaceModels) -> (Vec<u8>, Vec<Action>) {
    let photo = fixture("astronaut.png");
    let b = models.detect(&photo).expect("detect")[0].bbox;
    let req = vec![Action::TurnRight, Action::TurnLeft, Action::Nod];
    let spec = ClipSpec {
        width: 1280,
        height: 720,
        fps: 30.0,
        lead_s: 0.6,
        turn_s: [0.3, 0.3, 0.3],
        nod_s: [0.25, 0.1, 0.25],
        rest_s: 0.4,
        tail_s: 1.2,
        jitter_px: 1.0,
        ..ClipSpec::default()
    };
    let clip = render_clip(&photo, [b.x1, b.y1, b.x2, b.y2], &req, &spec).expect("render");
    assert_eq!(clip.truth.len(), 150);
    (clip.bytes, req)
}

fn bench(c: &mut Criterion) {
    let config = FaceConfig {
        workers: 1,
        ..FaceConfig::default()
    };
    let models = FaceModels::open(None, config).expect("models (set KYC_MODEL_DIR)");
    let (bytes, req) = clip_720p_5s(&models);
    let opts = CheckOptions {
        // The rendered clip is a photo replay; keep the full pipeline but not the P(live)
        // floor, so that the benchmark also checks the sequence is read.
        min_p_live: None,
        ..CheckOptions::default()
    };
    let rep = check_liveness(&models, &bytes, &req, false, &opts).expect("check");
    assert_eq!(rep.result.detected, req, "{:?}", rep.result);

    let mut g = c.benchmark_group("liveness");
    g.sample_size(10);
    g.bench_function("decode_to_score_720p30_5s", |b| {
        b.iter(|| {
            black_box(
                check_liveness(&models, black_box(&bytes), &req, false, &opts).expect("check"),
            )
        })
    });
    g.bench_function("decode_only_720p30_5s", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let info = decode_frames(black_box(&bytes), &DecodeOptions::default(), |f| {
                n += f.image.width() as usize;
                ControlFlow::Continue(())
            })
            .expect("decode");
            black_box((info, n))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
