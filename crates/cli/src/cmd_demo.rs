//! `kyc demo`: the full flow on bundled samples. Verifies and loads every
//! model, builds the samples (a generated ID card and passport page with a
//! fixture face as portrait, a selfie, a generated head-turn clip, a
//! reference store standing in for MOI), answers every operation through the
//! engine exactly as the server would, and prints the responses as JSON.

use crate::cmd_ops::engine_failure;
use crate::{exit, print_json, Failure};
use kyc_engine::api::Operation;
use kyc_engine::samples::{fixture_dir, Samples};
use kyc_engine::{Engine, EngineConfig};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `kyc demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Folder of the fixture images (default: $KYC_FIXTURE_DIR, else testdata/fixtures).
    #[arg(long, value_name = "DIR")]
    fixtures: Option<PathBuf>,
    /// Also write the generated samples (card, passport, selfie, clip, info.json) here.
    #[arg(long, value_name = "DIR")]
    write_samples: Option<PathBuf>,
    /// Write intermediate artefacts (face crops, pose plot) here.
    #[arg(long, value_name = "DIR")]
    debug_dir: Option<PathBuf>,
    /// Print the whole extension objects (default: a summary of each response).
    #[arg(long)]
    full: bool,
}

/// Runs the demo.
pub fn run(args: DemoArgs, model_dir: &Path) -> Result<(), Failure> {
    let t = Instant::now();
    let mut config = EngineConfig::new(model_dir.to_path_buf());
    config.debug_dir = args.debug_dir.clone();
    let mut engine = Engine::load(config).map_err(engine_failure)?;
    let load_ms = t.elapsed().as_millis();
    let t = Instant::now();
    let fixtures = args.fixtures.unwrap_or_else(fixture_dir);
    let samples =
        Samples::build(&fixtures, engine.face()).map_err(|e| Failure::new(exit::REJECTED, e))?;
    let store = samples
        .reference_store(engine.face())
        .map_err(|e| Failure::new(exit::REJECTED, e))?;
    engine.add_reference_source(Arc::new(store));
    let samples_ms = t.elapsed().as_millis();
    if let Some(dir) = &args.write_samples {
        samples
            .write_to(dir)
            .map_err(|e| Failure::new(exit::REJECTED, e))?;
    }
    let mut responses = Map::new();
    let mut failed = Vec::new();
    for op in Operation::ALL {
        let body = samples.request_body(op).to_string();
        let t = Instant::now();
        let envelope = engine.handle(op, body.as_bytes());
        let ms = t.elapsed().as_millis();
        if envelope.error != 0 {
            failed.push(format!("{} → error {}", op.name(), envelope.error));
        }
        let mut value = serde_json::to_value(&envelope).unwrap_or(Value::Null);
        if !args.full {
            summarise(&mut value);
        }
        responses.insert(op.name().to_string(), json!({"ms": ms, "response": value}));
    }
    let mut models: Vec<&str> = engine.models().names().collect();
    models.sort_unstable();
    print_json(&json!({
        "models_verified": models,
        "model_load_ms": load_ms,
        "samples": {
            "built_ms": samples_ms,
            "identity": samples.identity.number,
            "actions": Samples::ACTIONS,
            "id_card_bytes": samples.id_card.len(),
            "passport_bytes": samples.passport.len(),
            "selfie_bytes": samples.selfie.len(),
            "clip_bytes": samples.clip.len(),
        },
        "responses": responses,
    }))?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            exit::REJECTED,
            format!("some operations failed: {}", failed.join(", ")),
        ))
    }
}

/// Keeps the hosted API's fields and the most telling precheck entries.
fn summarise(envelope: &mut Value) {
    let Some(pre) = envelope
        .pointer_mut("/data/precheck")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let keep = [
        "reason",
        "field",
        "reference",
        "document_checks",
        "timings_ms",
        "forwarded",
    ];
    let mut short = Map::new();
    for k in keep {
        if let Some(v) = pre.get(k) {
            short.insert(k.into(), v.clone());
        }
    }
    for (k, path) in [
        ("faceDocument_cosine", "/faceDocument/cosine"),
        ("faceMoi_cosine", "/faceMoi/cosine"),
        ("liveness_passed", "/liveness/passed"),
        ("liveness_detected", "/liveness/detected"),
        ("liveness_reasons", "/liveness/reasons"),
        ("mrz_valid", "/evidence/mrz/valid"),
        ("mrz_flags", "/evidence/mrz/flags"),
    ] {
        if let Some(v) = Value::Object(pre.clone()).pointer(path) {
            short.insert(k.into(), v.clone());
        }
    }
    *pre = short;
}
