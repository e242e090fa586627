//! The operations end to end through `Engine::handle`, on fixture faces,
//! with the JSON checked field for field against the hosted API's shapes.

use base64::Engine as _;
use image::{imageops, ImageFormat, Rgb, RgbImage};
use kyc_engine::api::{Operation, UserInfo};
use kyc_engine::matching::ReferenceRecord;
use kyc_engine::reference::MemoryStore;
use kyc_engine::{Engine, EngineConfig};
use serde_json::{json, Value};
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

fn fixture_dir() -> PathBuf {
    std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
        })
}

fn fixture(name: &str) -> RgbImage {
    let p = fixture_dir().join(name);
    image::open(&p)
        .unwrap_or_else(|e| panic!("fixture {}: {e} (run scripts/setup)", p.display()))
        .to_rgb8()
}

fn model_dir() -> PathBuf {
    kyc_models::resolve_model_dir(None)
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const TOM_ID: &str = "010682723";

fn tom_record() -> UserInfo {
    UserInfo {
        id_number: TOM_ID.into(),
        first_name_en: Some("Tom".into()),
        last_name_en: Some("Hanks".into()),
        first_name_kh: Some("ថម".into()),
        last_name_kh: Some("ហែងស៍".into()),
        gender: Some(kyc_engine::api::Gender::M),
        dob: kyc_mrz::Date::from_iso("1956-07-09"),
        issued_date: kyc_mrz::Date::from_iso("2020-01-15"),
        expired_date: kyc_mrz::Date::from_iso("2030-01-14"),
    }
}

/// An engine with a memory store holding Tom Hanks' record and photo.
fn engine_with_store() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let mut engine =
            Engine::load(EngineConfig::new(model_dir())).expect("models (scripts/setup)");
        let store = MemoryStore::new();
        let photo = engine
            .face()
            .analyze(&fixture("Tom_Hanks_54745.png"))
            .unwrap();
        store
            .insert(
                ReferenceRecord::from_user_info(&tom_record()),
                Some(photo.embedding),
            )
            .unwrap();
        engine.add_reference_source(Arc::new(store));
        engine
    })
}

/// An engine with no reference source (the card is the only reference).
fn engine_without_store() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::load(EngineConfig::new(model_dir())).expect("models (scripts/setup)"))
}

fn call(engine: &Engine, op: Operation, body: Value) -> Value {
    let envelope = engine.handle(op, body.to_string().as_bytes());
    serde_json::to_value(envelope).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn selfie_variant() -> Vec<u8> {
    // The same person, smaller, brighter, re-encoded as JPEG.
    let tom = fixture("Tom_Hanks_54745.png");
    let small = imageops::resize(
        &tom,
        tom.width() * 7 / 10,
        tom.height() * 7 / 10,
        imageops::FilterType::Triangle,
    );
    let bright = imageops::colorops::brighten(&small, 20);
    encode(&bright, ImageFormat::Jpeg)
}

/// A card-like picture: the portrait small on a large light background.
fn card_with_portrait(face: &RgbImage) -> Vec<u8> {
    let mut card = RgbImage::from_pixel(1100, 700, Rgb([226, 232, 240]));
    let portrait = imageops::resize(
        face,
        220,
        220 * face.height() / face.width(),
        imageops::FilterType::Triangle,
    );
    imageops::overlay(&mut card, &portrait, 60, 160);
    encode(&card, ImageFormat::Jpeg)
}

fn blank_png() -> Vec<u8> {
    encode(
        &RgbImage::from_pixel(320, 240, Rgb([128, 128, 128])),
        ImageFormat::Png,
    )
}

#[test]
fn info_exact_match_scores_one_with_the_hosted_shape() {
    let body = json!({
        "idNumber": TOM_ID, "firstNameEn": "TOM", "lastNameEn": "hanks", "gender": "M",
        "dob": "1956-07-09", "firstNameKh": "ថម", "lastNameKh": "ហែងស៍",
        "issuedDate": "2020-01-15", "expiredDate": "2030-01-14"
    });
    let v = call(engine_with_store(), Operation::Info, body);
    assert_eq!(v["error"], 0);
    assert_eq!(v["message"], "Successfully");
    assert_eq!(
        keys(&v["data"]),
        ["idNumber", "incorrectFields", "precheck", "score"]
    );
    assert_eq!(v["data"]["idNumber"], TOM_ID);
    assert_eq!(v["data"]["score"], 1);
    assert_eq!(v["data"]["incorrectFields"], json!([]));
}

#[test]
fn info_reports_incorrect_fields_by_request_name() {
    let body =
        json!({"idNumber": TOM_ID, "lastNameEn": "Hanks", "dob": "1956-07-10", "gender": "F"});
    let v = call(engine_with_store(), Operation::Info, body);
    assert_eq!(v["error"], 0);
    assert_eq!(v["data"]["incorrectFields"], json!(["gender", "dob"]));
    // idNumber and lastNameEn match: 2 of 4 submitted fields.
    assert_eq!(v["data"]["score"], 0.5);
}

#[test]
fn info_unknown_id_is_400_like_the_hosted_service() {
    let v = call(
        engine_with_store(),
        Operation::Info,
        json!({"idNumber": "999999999"}),
    );
    assert_eq!(v["error"], 400);
    assert_eq!(v["message"], "Id card not exists in the system");
}

#[test]
fn info_without_any_reference_source_is_503_with_reason() {
    let v = call(
        engine_without_store(),
        Operation::Info,
        json!({"idNumber": TOM_ID}),
    );
    assert_eq!(v["error"], 503);
    assert!(v["data"]["precheck"]["reason"]
        .as_str()
        .unwrap()
        .contains("reference"));
}

#[test]
fn info_flags_an_expired_card_before_moi() {
    let body = json!({"idNumber": TOM_ID, "expiredDate": "2020-01-01", "issuedDate": "2010-01-01"});
    let v = call(engine_with_store(), Operation::Info, body);
    let checks = v["data"]["precheck"]["document_checks"].as_array().unwrap();
    let expired = checks.iter().find(|c| c["check"] == "not_expired").unwrap();
    assert_eq!(expired["passed"], false);
}

#[test]
fn info_face_same_person_matches_the_reference_photo() {
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&selfie_variant())});
    let v = call(engine_with_store(), Operation::InfoFace, body);
    assert_eq!(v["error"], 0, "{v}");
    assert_eq!(keys(&v["data"]), ["faceMoiScore", "precheck", "userInfo"]);
    assert_eq!(
        keys(&v["data"]["userInfo"]),
        ["idNumber", "incorrectFields", "score"]
    );
    let score = v["data"]["faceMoiScore"].as_f64().unwrap();
    assert!(score >= 0.5, "same person scored {score}");
    assert_eq!(v["data"]["precheck"]["faceMoi"]["is_match"], true);
}

#[test]
fn info_face_other_person_does_not_match() {
    let astronaut = encode(&fixture("astronaut.png"), ImageFormat::Png);
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&astronaut)});
    let v = call(engine_with_store(), Operation::InfoFace, body);
    assert_eq!(v["error"], 0, "{v}");
    let score = v["data"]["faceMoiScore"].as_f64().unwrap();
    assert!(score < 0.5, "different people scored {score}");
    assert_eq!(v["data"]["precheck"]["faceMoi"]["is_match"], false);
}

#[test]
fn info_face_without_a_face_is_500() {
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&blank_png())});
    let v = call(engine_with_store(), Operation::InfoFace, body);
    assert_eq!(v["error"], 500);
    assert_eq!(
        v["message"],
        "Problem with facial recognition from requested image/video"
    );
}

#[test]
fn info_face_bad_base64_is_505_naming_the_field() {
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": "not base64 at all!"});
    let v = call(engine_with_store(), Operation::InfoFace, body);
    assert_eq!(v["error"], 505);
    assert_eq!(v["data"]["precheck"]["field"], "faceImg");
}

#[test]
fn info_face_undecodable_image_is_505() {
    let body =
        json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(b"\x89PNG\r\n\x1a\n truncated")});
    let v = call(engine_with_store(), Operation::InfoFace, body);
    assert_eq!(v["error"], 505);
    assert_eq!(v["data"]["precheck"]["field"], "faceImg");
}

#[test]
fn info_face_idcard_compares_selfie_with_card_portrait_and_reference() {
    let card = card_with_portrait(&fixture("Tom_Hanks_54745.png"));
    let body = json!({
        "userInfo": {"idNumber": TOM_ID, "lastNameEn": "HANKS"},
        "faceImg": b64(&selfie_variant()),
        "idImage": b64(&card),
    });
    let v = call(engine_with_store(), Operation::InfoFaceIdCard, body);
    assert_eq!(v["error"], 0, "{v}");
    assert_eq!(
        keys(&v["data"]),
        ["faceDocumentScore", "faceMoiScore", "precheck", "userInfo"]
    );
    assert!(
        v["data"]["faceDocumentScore"].as_f64().unwrap() >= 0.5,
        "{v}"
    );
    assert!(v["data"]["faceMoiScore"].as_f64().unwrap() >= 0.5, "{v}");
    assert_eq!(v["data"]["userInfo"]["score"], 1);
}

#[test]
fn info_face_idcard_card_of_someone_else_scores_low() {
    let card = card_with_portrait(&fixture("astronaut.png"));
    let body = json!({
        "userInfo": {"idNumber": TOM_ID},
        "faceImg": b64(&selfie_variant()),
        "idImage": b64(&card),
    });
    let v = call(engine_with_store(), Operation::InfoFaceIdCard, body);
    assert_eq!(v["error"], 0, "{v}");
    assert!(
        v["data"]["faceDocumentScore"].as_f64().unwrap() < 0.5,
        "{v}"
    );
}

#[test]
fn info_face_idcard_without_face_on_card_is_501() {
    let body = json!({
        "userInfo": {"idNumber": TOM_ID},
        "faceImg": b64(&selfie_variant()),
        "idImage": b64(&blank_png()),
    });
    let v = call(engine_with_store(), Operation::InfoFaceIdCard, body);
    assert_eq!(v["error"], 501);
    assert_eq!(
        v["message"],
        "Problem detecting face from submitted Idcard Image"
    );
}

#[test]
fn info_face_idcard_without_store_has_null_moi_score_with_reason() {
    let card = card_with_portrait(&fixture("Tom_Hanks_54745.png"));
    let body = json!({
        "userInfo": {"idNumber": TOM_ID},
        "faceImg": b64(&selfie_variant()),
        "idImage": b64(&card),
    });
    let v = call(engine_without_store(), Operation::InfoFaceIdCard, body);
    assert_eq!(v["error"], 0, "{v}");
    assert!(v["data"]["faceMoiScore"].is_null());
    assert!(v["data"]["precheck"]["faceMoi"]["unavailable"].is_string());
    assert!(v["data"]["faceDocumentScore"].as_f64().unwrap() >= 0.5);
}

#[test]
fn malformed_bodies_are_505() {
    let engine = engine_with_store();
    for (op, body) in [
        (Operation::Info, "not json"),
        (Operation::Info, "[1,2]"),
        (Operation::Info, r#"{"idNumber": "1", "dob": "1990-02-30"}"#),
        (Operation::Info, r#"{"idNumber": "1", "gender": "X"}"#),
        (Operation::InfoFace, r#"{"faceImg": ""}"#),
    ] {
        let v = serde_json::to_value(engine.handle(op, body.as_bytes())).unwrap();
        assert_eq!(v["error"], 505, "{body}: {v}");
        assert_eq!(v["message"], "Invalid request or internal server error.");
    }
}
