//! A "should not panic" corpus: hostile request bodies for every operation.
//! Each must be answered with an error envelope naming a contract code,
//! never a panic, a hang or an unbounded allocation.

use base64::Engine as _;
use kyc_engine::api::Operation;
use kyc_engine::{Engine, EngineConfig};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::load(EngineConfig::new(kyc_models::resolve_model_dir(None)))
            .expect("models (scripts/setup)")
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A PNG header that declares a 100000×100000 image (a decompression bomb).
fn png_bomb() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(&ihdr);
    v.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    v
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Image payloads no reader can use.
fn bad_images() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        vec![0u8; 1],
        b"\xFF\xD8\xFF\xE0 truncated jpeg".to_vec(),
        b"\x89PNG\r\n\x1a\n".to_vec(),
        png_bomb(),
        b"GIF89a\x01\x00\x01\x00".to_vec(),
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect(),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
    ]
}

fn user_info() -> Value {
    json!({"idNumber": "123456789", "lastNameEn": "DARA"})
}

/// Bodies that are not the operation's request at all.
fn malformed_bodies() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{".to_vec(),
        b"\"just a string\"".to_vec(),
        b"{\"idNumber\": 123456789}".to_vec(),
        b"{\"userInfo\": []}".to_vec(),
        b"\xFF\xFE\x00{}".to_vec(),
        vec![b'['; 100_000],
        format!("{{\"idNumber\": \"{}\"}}", "9".repeat(1 << 20)).into_bytes(),
        b"{\"idNumber\": \"123\", \"dob\": \"1990-02-30\"}".to_vec(),
        b"{\"idNumber\": \"123\", \"gender\": \"X\"}".to_vec(),
        b"{\"idNumber\": \"123\", \"dob\": 19900101}".to_vec(),
    ];
    v.push(
        json!({"userInfo": user_info(), "faceImg": "not base64 at all!!"})
            .to_string()
            .into_bytes(),
    );
    v
}

fn bodies(op: Operation) -> Vec<Vec<u8>> {
    let mut out = malformed_bodies();
    for img in bad_images() {
        let img = b64(&img);
        let body = match op {
            Operation::Info => continue,
            Operation::InfoFace => json!({"userInfo": user_info(), "faceImg": img}),
            Operation::InfoFaceIdCard => {
                json!({"userInfo": user_info(), "faceImg": img, "idImage": img})
            }
            Operation::InfoIdCardLiveness => json!({"userInfo": user_info(),
                "actions": ["2", "1", "3"], "idImage": img, "liveness": img}),
            Operation::OcrIdCard => json!({"idImage": img}),
            Operation::OcrPassport => json!({"passportImage": img}),
        };
        out.push(body.to_string().into_bytes());
    }
    if op == Operation::InfoIdCardLiveness {
        for actions in [
            json!([]),
            json!(["4"]),
            json!("1,2"),
            json!([1, 2]),
            json!(null),
        ] {
            out.push(
                json!({"userInfo": user_info(), "actions": actions,
                    "idImage": b64(b"x"), "liveness": b64(b"x")})
                .to_string()
                .into_bytes(),
            );
        }
    }
    out
}

const CONTRACT_CODES: [u16; 11] = [400, 420, 421, 500, 501, 502, 503, 504, 505, 506, 507];

#[test]
fn hostile_bodies_get_error_envelopes_for_every_operation() {
    for op in Operation::ALL {
        for (i, body) in bodies(op).iter().enumerate() {
            let envelope = engine().handle(op, body);
            assert!(
                CONTRACT_CODES.contains(&envelope.error),
                "{} body #{i}: error {} ({})",
                op.name(),
                envelope.error,
                envelope.message
            );
            // The reason is in the extension, for the integrator.
            let v = serde_json::to_value(&envelope).unwrap();
            assert!(
                v["data"]["precheck"]["reason"].is_string(),
                "{} body #{i}: no reason: {v}",
                op.name()
            );
        }
    }
}
