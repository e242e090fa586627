//! The document and video operations end to end on the bundled samples
//! (a generated ID card and passport page with the fixture portrait, a
//! generated head-movement clip): what `kyc demo` shows, asserted.

use kyc_engine::api::Operation;
use kyc_engine::samples::{fixture_dir, Samples};
use kyc_engine::{Engine, EngineConfig};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

struct Setup {
    engine: Engine,
    samples: Samples,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let model_dir = kyc_models::resolve_model_dir(None);
        let mut engine =
            Engine::load(EngineConfig::new(model_dir)).expect("models (scripts/setup)");
        let samples = Samples::build(&fixture_dir(), engine.face()).expect("fixtures");
        let store = samples.reference_store(engine.face()).unwrap();
        engine.add_reference_source(Arc::new(store));
        Setup { engine, samples }
    })
}

fn call(op: Operation) -> Value {
    let s = setup();
    let body = s.samples.request_body(op).to_string();
    serde_json::to_value(s.engine.handle(op, body.as_bytes())).unwrap()
}

fn check_names(data: &Value) -> Vec<String> {
    data["precheck"]["document_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ocr_idcard_reads_every_field_of_the_generated_card() {
    let v = call(Operation::OcrIdCard);
    assert_eq!(v["error"], 0, "{v}");
    let d = &v["data"];
    let id = &setup().samples.identity;
    assert_eq!(d["idNumber"], id.number.as_str());
    assert_eq!(d["lastNameEn"], id.surname_en.to_uppercase().as_str());
    assert_eq!(d["firstNameEn"], id.given_en.to_uppercase().as_str());
    assert_eq!(d["gender"], id.sex.to_string().as_str());
    assert_eq!(d["dob"], id.dob.to_string().as_str());
    assert_eq!(d["expiredDate"], id.expiry.to_string().as_str());
    assert_eq!(d["issuedDate"], id.issued.to_string().as_str());
    assert!(d["MRZ1"].as_str().unwrap().starts_with("IDKHM"));
    assert_eq!(d["MRZ3"].as_str().unwrap().len(), 30);
    assert_eq!(d["precheck"]["evidence"]["mrz"]["valid"], true, "{d}");
    // The Khmer names are OCR'd: present, in Khmer script.
    for key in ["lastNameKh", "firstNameKh"] {
        let name = d[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing: {d}"));
        assert!(
            name.chars().any(|c| ('\u{1780}'..='\u{17FF}').contains(&c)),
            "{key} = {name}"
        );
    }
}

#[test]
fn ocr_passport_reads_the_generated_page() {
    let v = call(Operation::OcrPassport);
    assert_eq!(v["error"], 0, "{v}");
    let d = &v["data"];
    let id = &setup().samples.identity;
    assert_eq!(d["nationality"], "KHM");
    assert_eq!(d["lastNameEn"], id.surname_en.to_uppercase().as_str());
    assert_eq!(d["dob"], id.dob.to_string().as_str());
    assert_eq!(d["expiredDate"], id.expiry.to_string().as_str());
    assert_eq!(d["precheck"]["evidence"]["mrz"]["valid"], true, "{d}");
    let number = d["document_number"].as_str().unwrap();
    assert_eq!(number.len(), 9, "{number}");
    // The same document checks as an ID card, the MRZ's first.
    assert_eq!(
        check_names(d),
        ["mrz_verified", "not_expired", "dates_possible"],
        "{d}"
    );
}

#[test]
fn info_face_idcard_matches_selfie_card_and_reference() {
    let v = call(Operation::InfoFaceIdCard);
    assert_eq!(v["error"], 0, "{v}");
    let d = &v["data"];
    assert_eq!(d["userInfo"]["score"], 1);
    assert_eq!(d["faceDocumentScore"], 1, "{d}");
    assert_eq!(d["faceMoiScore"], 1, "{d}");
    // Each document check is reported once.
    let names = check_names(d);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(names.contains(&"mrz_verified".to_string()));
}

#[test]
fn liveness_on_the_generated_clip_sees_the_actions_and_the_replay() {
    let v = call(Operation::InfoIdCardLiveness);
    assert_eq!(v["error"], 0, "{v}");
    let d = &v["data"];
    let p = &d["precheck"]["liveness"];
    // The clip performs 2, 1, 3 (right, left, nod) and the tracker sees them.
    assert_eq!(
        p["detected"],
        serde_json::json!(["TurnRight", "TurnLeft", "Nod"]),
        "{p}"
    );
    // It is a photo warped by the generator: a replay by construction, and
    // the score stays below the pass threshold with the reason given.
    let score = d["livenessScore"].as_f64().unwrap();
    assert!((0.0..0.5).contains(&score), "livenessScore {score}");
    assert_eq!(p["passed"], false);
    assert!(!p["reasons"].as_array().unwrap().is_empty());
    // The best frames still match the card portrait.
    assert!(d["faceDocumentScore"].as_f64().unwrap() > 0.5, "{d}");
}
