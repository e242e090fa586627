//! `kyc store sandbox` and the operations against the store it fills: the
//! sandbox a demo or an integrator's test suite starts from.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const KYC: &str = env!("CARGO_BIN_EXE_kyc");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kyc(args: &[&str]) -> (i32, Value) {
    let out = Command::new(KYC)
        .current_dir(repo())
        .env("OMP_THREAD_LIMIT", "1")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kyc-sandbox-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn sandbox_store_answers_the_samples_and_refuses_strangers() {
    let dir = temp_dir();
    let db = dir.join("ref.db");
    let samples = dir.join("samples");
    let (code, made) = kyc(&[
        "store",
        "sandbox",
        "--store",
        s(&db),
        "--write-samples",
        s(&samples),
    ]);
    assert_eq!(code, 0, "{made}");
    let records = made["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    let sample_id = records[0]["idNumber"].as_str().unwrap().to_string();

    // The samples' selfie against the store: every field and the face match.
    let (code, v) = kyc(&[
        "info-face",
        "--store",
        s(&db),
        "--info",
        s(&samples.join("info.json")),
        "--face",
        s(&samples.join("selfie.jpg")),
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["data"]["userInfo"]["idNumber"], sample_id.as_str());
    assert_eq!(v["data"]["userInfo"]["score"], 1);
    assert_eq!(v["data"]["faceMoiScore"], 1);

    // The same selfie claiming the second record's identity: the data of
    // the samples do not match it and the face is someone else's.
    let second = records[1]["idNumber"].as_str().unwrap();
    let info: Value =
        serde_json::from_slice(&std::fs::read(samples.join("info.json")).unwrap()).unwrap();
    let mut claimed = info.clone();
    claimed["idNumber"] = Value::from(second);
    let claimed_path = dir.join("claimed.json");
    std::fs::write(&claimed_path, claimed.to_string()).unwrap();
    let (code, v) = kyc(&[
        "info-face",
        "--store",
        s(&db),
        "--info",
        s(&claimed_path),
        "--face",
        s(&samples.join("selfie.jpg")),
    ]);
    assert_eq!(code, 0, "{v}");
    let score = v["data"]["userInfo"]["score"].as_f64().unwrap();
    assert!(score < 1.0, "{v}");
    assert!(v["data"]["faceMoiScore"].as_f64().unwrap() < 0.5, "{v}");

    // An ID number the store does not hold: 400, like the hosted service.
    target_unknown(&dir, &db, &info);
    let _ = std::fs::remove_dir_all(&dir);
}

fn target_unknown(dir: &Path, db: &Path, info: &Value) {
    let mut unknown = info.clone();
    unknown["idNumber"] = Value::from("000000001");
    let path = dir.join("unknown.json");
    std::fs::write(&path, unknown.to_string()).unwrap();
    let (code, v) = kyc(&["info", "--store", s(db), "--info", s(&path)]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"], 400, "{v}");
}
