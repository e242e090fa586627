//! Each API operation end to end (request JSON in, envelope out) on the
//! bundled samples: a generated Khmer ID card and passport page at kiosk
//! resolution, a selfie and a generated 6.6 s head-movement clip, with a
//! reference store holding the identity.
//!
//! `cargo bench -p kyc-benches --bench operations`; medians go in the README.

use criterion::{criterion_group, criterion_main, Criterion};
use kyc_engine::api::Operation;
use kyc_engine::samples::{fixture_dir, Samples};
use kyc_engine::{Engine, EngineConfig};
use std::sync::Arc;
use std::time::Duration;

fn operations(c: &mut Criterion) {
    let model_dir = kyc_models::resolve_model_dir(None);
    let mut engine = Engine::load(EngineConfig::new(model_dir)).expect("models (scripts/setup)");
    let samples = Samples::build(&fixture_dir(), engine.face()).expect("fixtures (scripts/setup)");
    let store = samples
        .reference_store(engine.face())
        .expect("reference store");
    engine.add_reference_source(Arc::new(store));

    let mut group = c.benchmark_group("operation");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for op in Operation::ALL {
        let body = samples.request_body(op).to_string();
        // Every answer must be a success, or the timing means nothing.
        let answer = engine.handle(op, body.as_bytes());
        assert_eq!(
            answer.error,
            0,
            "{} did not succeed on the samples: {}",
            op.name(),
            answer.message
        );
        group.bench_function(op.name(), |b| {
            b.iter(|| engine.handle(op, std::hint::black_box(body.as_bytes())))
        });
    }
    group.finish();
}

criterion_group!(benches, operations);
criterion_main!(benches);
