//! `kyc mrz` end to end: the built binary on generated MRZ lines (fictional data).

use kyc_mrz::generate::{td1, td2, td3, DocumentData};
use kyc_mrz::Date;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const KYC: &str = env!("CARGO_BIN_EXE_kyc");
const REFERENCE: &str = "2026-11-23";

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::new(y, m, d).unwrap()
}

fn passport() -> DocumentData {
    DocumentData {
        document_code: "P".into(),
        issuer: "UTO".into(),
        document_number: "X12345678".into(),
        optional1: String::new(),
        optional2: String::new(),
        birth_date: date(1981, 6, 15),
        sex: 'F',
        expiry_date: date(2033, 2, 28),
        nationality: "UTO".into(),
        personal_number: "AB12".into(),
        surname: "Doe".into(),
        given_names: "Jane Ann".into(),
    }
}

fn khm_card() -> DocumentData {
    DocumentData {
        document_code: "ID".into(),
        issuer: "KHM".into(),
        document_number: "120345678".into(),
        personal_number: String::new(),
        birth_date: date(1988, 11, 2),
        sex: 'M',
        expiry_date: date(2029, 4, 17),
        nationality: "KHM".into(),
        surname: "Chea".into(),
        given_names: "Sovann".into(),
        ..passport()
    }
}

fn kyc(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(KYC);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs kyc");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// `kyc mrz --reference-date 2026-11-23 LINE…`, expecting success; the JSON.
fn mrz(lines: &[String]) -> Value {
    let mut args = vec!["mrz", "--reference-date", REFERENCE];
    args.extend(lines.iter().map(String::as_str));
    json(&kyc(&args, None))
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

#[test]
fn td3_json_has_exactly_the_documented_keys() {
    let lines = td3(&passport()).unwrap();
    let v = mrz(&lines);
    assert_eq!(
        keys(&v),
        sorted(vec![
            "format", "valid", "flags", "repairs", "checks", "fields"
        ])
    );
    assert_eq!(v["format"], "TD3");
    assert_eq!(v["valid"], true);
    assert_eq!(v["repairs"], Value::Array(vec![]));
    assert!(v["flags"].is_array());
    assert_eq!(
        keys(&v["fields"]),
        sorted(vec![
            "document_code",
            "issuer",
            "document_number",
            "optional1",
            "optional2",
            "birth_date",
            "sex",
            "expiry_date",
            "nationality",
            "personal_number",
            "surname",
            "given_names",
        ])
    );
    let f = &v["fields"];
    assert_eq!(f["document_code"], "P");
    assert_eq!(f["issuer"], "UTO");
    assert_eq!(f["document_number"], "X12345678");
    assert_eq!(f["optional1"], Value::Null);
    assert_eq!(f["birth_date"], "1981-06-15");
    assert_eq!(f["expiry_date"], "2033-02-28");
    assert_eq!(f["sex"], "F");
    assert_eq!(f["nationality"], "UTO");
    assert_eq!(f["personal_number"], "AB12");
    assert_eq!(f["surname"], "DOE");
    assert_eq!(f["given_names"], "JANE ANN");
    assert_eq!(
        keys(&v["checks"]),
        sorted(vec![
            "document_number",
            "birth_date",
            "expiry_date",
            "personal_number",
            "composite"
        ])
    );
    for (name, check) in v["checks"].as_object().unwrap() {
        assert_eq!(keys(check), vec!["expected", "found", "status"], "{name}");
        assert_eq!(check["status"], "verified", "{name}");
        assert_eq!(check["expected"], check["found"], "{name}");
    }
    // The digits are the ones in the line.
    let l2 = lines[1].as_bytes();
    assert_eq!(
        v["checks"]["document_number"]["found"],
        (l2[9] as char).to_string()
    );
    assert_eq!(
        v["checks"]["composite"]["found"],
        (l2[43] as char).to_string()
    );
}

#[test]
fn td1_from_stdin_and_cambodian_composite_filler() {
    let mut lines = td1(&khm_card()).unwrap();
    let text = lines.join("\n");
    let v = json(&kyc(&["mrz", "--reference-date", REFERENCE], Some(&text)));
    assert_eq!(v["format"], "TD1");
    assert_eq!(v["valid"], true);
    assert_eq!(v["fields"]["document_number"], "120345678");
    assert_eq!(v["fields"]["optional1"], Value::Null);
    assert_eq!(v["fields"]["personal_number"], Value::Null);
    assert!(v["checks"].get("personal_number").is_none());

    // A card issued before about 2016: `<` as composite, valid with a flag.
    lines[1].replace_range(29..30, "<");
    let v = json(&kyc(
        &["mrz", "--reference-date", REFERENCE],
        Some(&format!("{}\r\n{}\r\n{}\r\n", lines[0], lines[1], lines[2])),
    ));
    assert_eq!(v["valid"], true);
    assert!(v["flags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("khm_composite_absent")));
    assert_eq!(v["checks"]["composite"]["status"], "absent");
    assert_eq!(v["checks"]["composite"]["found"], "<");
}

#[test]
fn td2_and_repairs() {
    let d = DocumentData {
        personal_number: String::new(),
        ..passport()
    };
    let lines = td2(&d).unwrap();
    assert_eq!(mrz(&lines)["format"], "TD2");

    // S read for 5 in the birth date (810615).
    let lines = td3(&passport()).unwrap();
    assert_eq!(&lines[1][17..18], "1");
    let bad = format!("{}S{}", &lines[1][..18], &lines[1][19..]);
    assert_eq!(&lines[1][18..19], "5");
    let v = mrz(&[lines[0].clone(), bad.clone()]);
    assert_eq!(v["valid"], true);
    let repairs = v["repairs"].as_array().unwrap();
    assert_eq!(repairs.len(), 1);
    assert_eq!(repairs[0]["from"], "S");
    assert_eq!(repairs[0]["to"], "5");
    assert_eq!(repairs[0]["line"], 1);
    assert_eq!(repairs[0]["column"], 18);
    assert_eq!(repairs[0]["field"], "birth_date");
    assert_eq!(v["fields"]["birth_date"], "1981-06-15");

    // --no-repair reports the line as read.
    let out = kyc(
        &[
            "mrz",
            "--no-repair",
            "--reference-date",
            REFERENCE,
            &lines[0],
            &bad,
        ],
        None,
    );
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["checks"]["birth_date"]["status"], "refuted");
    assert_eq!(v["fields"]["birth_date"], Value::Null);
}

#[test]
fn invalid_mrz_exits_zero_with_reasons_on_stderr() {
    let lines = td3(&passport()).unwrap();
    let ut0 = lines[1].replacen("UTO", "UT0", 1);
    let out = kyc(
        &["mrz", "--reference-date", REFERENCE, &lines[0], &ut0],
        None,
    );
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert!(v["flags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("unverified_nationality")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nationality"));
}

#[test]
fn non_mrz_input_fails_with_a_message() {
    for (args, stdin) in [
        (vec!["mrz", "hello world"], None),
        (vec!["mrz"], Some("")),
        (vec!["mrz"], Some("not\nan\nmrz\nat all")),
        (vec!["mrz", "P<UTO", "L898902C36UTO"], None),
    ] {
        let out = kyc(&args, stdin);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not an MRZ"), "{err}");
    }
}

#[test]
fn reference_date_sets_the_century() {
    let d = DocumentData {
        birth_date: date(2030, 1, 1),
        ..passport()
    };
    let lines = td3(&d).unwrap();
    // Relative to 2026 a birth date "300101" is in 1930; relative to 2035, in 2030.
    let v = mrz(&lines);
    assert_eq!(v["fields"]["birth_date"], "1930-01-01");
    let mut args = vec!["mrz", "--reference-date", "2035-06-01"];
    args.extend(lines.iter().map(String::as_str));
    let v = json(&kyc(&args, None));
    assert_eq!(v["fields"]["birth_date"], "2030-01-01");
    // A malformed date is a usage error.
    let mut args = vec!["mrz", "--reference-date", "2026-13-01"];
    args.extend(lines.iter().map(String::as_str));
    let out = kyc(&args, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reference-date"));
}
