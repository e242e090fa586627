//! Runs the parser over an MRZ test-vector file and compares verdicts,
//! check digits and fields with the file's expectations.
//!
//! ```text
//! cargo run -p kyc-mrz --example vectors -- /path/to/mrz_vectors.txt
//! ```
//!
//! File format: blocks separated by blank lines, `key: value` lines, `#`
//! comments; `line:` repeated per MRZ line; `checks: field=expected/found/ok; …`;
//! `valid_strict`, optional `valid_khm_lenient`; `expect.<field>: value`.
//!
//! The comparison is made on the text as given (repair off): the file
//! describes the printed characters. A second run with repair on is
//! printed for information (repairs made, verdict after repair).
//!
//! Conventions when comparing with `expect.*`:
//! * an empty expected value matches `None` (this crate reports empty
//!   optional data as null);
//! * an expected date that is not a real `yyyy-MM-dd` date (e.g. `2001-05-99`,
//!   `1974-O8-12`: the raw positional reading) matches `None` (this crate
//!   reports impossible dates as null plus a reason);
//! * expected sex `<` matches `X` (this crate reports `<` and `X` as `X`).
//! * check `ok` is compared with [`kyc_mrz::Check::passes_strict`]; an
//!   expected digit written `<|0` accepts either.

use kyc_mrz::{parse, Date, MrzReport, ParseOptions};
use std::process::ExitCode;

#[derive(Default, Debug)]
struct Vector {
    id: String,
    kind: String,
    lines: Vec<String>,
    checks: Vec<(String, String, String, bool)>,
    valid_strict: Option<bool>,
    valid_lenient: Option<bool>,
    expect: Vec<(String, String)>,
}

fn parse_file(text: &str) -> Vec<Vector> {
    let mut out = Vec::new();
    let mut cur = Vector::default();
    let mut started = false;
    for raw in text.lines().chain(std::iter::once("")) {
        if raw.starts_with('#') {
            continue;
        }
        if raw.trim().is_empty() {
            if started {
                out.push(std::mem::take(&mut cur));
                started = false;
            }
            continue;
        }
        let Some((key, value)) = raw.split_once(':') else {
            continue;
        };
        started = true;
        let value = value.strip_prefix(' ').unwrap_or(value).trim_end();
        match key {
            "id" => cur.id = value.to_string(),
            "type" => cur.kind = value.to_string(),
            "line" => cur.lines.push(value.to_string()),
            "valid_strict" => cur.valid_strict = Some(value == "true"),
            "valid_khm_lenient" => cur.valid_lenient = Some(value == "true"),
            "checks" => {
                for item in value.split(';') {
                    let Some((field, rest)) = item.trim().split_once('=') else {
                        continue;
                    };
                    let parts: Vec<&str> = rest.split('/').collect();
                    if parts.len() == 3 {
                        cur.checks.push((
                            field.to_string(),
                            parts[0].to_string(),
                            parts[1].to_string(),
                            parts[2] == "ok",
                        ));
                    }
                }
            }
            k if k.starts_with("expect.") => {
                cur.expect
                    .push((k["expect.".len()..].to_string(), value.to_string()));
            }
            _ => {}
        }
    }
    out
}

fn field_value(r: &MrzReport, name: &str) -> Option<Option<String>> {
    let f = &r.fields;
    Some(match name {
        "document_code" => Some(f.document_code.clone()),
        "issuer" => Some(f.issuer.clone()),
        "document_number" => Some(f.document_number.clone()),
        "optional1" => f.optional1.clone(),
        "optional2" => f.optional2.clone(),
        "birth_date" => f.birth_date.map(|d| d.to_string()),
        "sex" => f.sex.clone(),
        "expiry_date" => f.expiry_date.map(|d| d.to_string()),
        "nationality" => Some(f.nationality.clone()),
        "personal_number" => f.personal_number.clone(),
        "surname" => Some(f.surname.clone()),
        "given_names" => Some(f.given_names.clone()),
        _ => return None,
    })
}

fn matches(name: &str, expected: &str, got: &Option<String>) -> bool {
    let got = got.as_deref();
    if expected.is_empty() {
        return got.is_none() || got == Some("");
    }
    if name.ends_with("_date") && Date::from_iso(expected).is_none() {
        return got.is_none();
    }
    if name == "sex" && expected == "<" {
        return got == Some("X");
    }
    got == Some(expected)
}

fn compare(v: &Vector, r: &MrzReport) -> Vec<String> {
    let mut diffs = Vec::new();
    if r.format.as_str() != v.kind {
        diffs.push(format!("format {} vs {}", r.format, v.kind));
    }
    if let Some(s) = v.valid_strict {
        if r.valid_strict != s {
            diffs.push(format!("valid_strict ours {} vs file {s}", r.valid_strict));
        }
    }
    match v.valid_lenient {
        Some(l) if r.valid != l => {
            diffs.push(format!("valid (KHM-lenient) ours {} vs file {l}", r.valid));
        }
        None if v.valid_strict.is_some_and(|s| s != r.valid) => {
            diffs.push(format!(
                "valid ours {} vs file valid_strict {:?}",
                r.valid, v.valid_strict
            ));
        }
        _ => {}
    }
    for (field, exp, found, ok) in &v.checks {
        let Some(c) = r.check(field) else {
            diffs.push(format!("check {field}: missing"));
            continue;
        };
        let exp_ok = exp
            .split('|')
            .any(|e| c.expected.map(String::from).as_deref() == Some(e));
        if !exp_ok || c.found.to_string() != *found || c.passes_strict() != *ok {
            diffs.push(format!(
                "check {field}: ours {}/{}/{:?} vs file {exp}/{found}/{}",
                c.expected.map_or('?', |e| e),
                c.found,
                c.status,
                if *ok { "ok" } else { "FAIL" }
            ));
        }
    }
    for (name, exp) in &v.expect {
        match field_value(r, name) {
            None => diffs.push(format!("unknown field {name}")),
            Some(got) => {
                if !matches(name, exp, &got) {
                    diffs.push(format!("{name}: ours {got:?} vs file {exp:?}"));
                }
            }
        }
    }
    diffs
}

/// Whether every difference comes from reading a TD1/TD2 document number
/// that overflows into the optional data (ICAO 9303 Part 5) where the file
/// reads the 9 principal characters positionally: the file's number plus its
/// optional data must spell our long number followed by its check digit.
fn long_number_convention(v: &Vector, r: &MrzReport, diffs: &[String]) -> bool {
    if !r.has_flag("long_document_number") {
        return false;
    }
    let expect = |k: &str| {
        v.expect
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, x)| x.as_str())
    };
    let (Some(number), Some(optional)) = (expect("document_number"), expect("optional1")) else {
        return false;
    };
    let Some(cd) = r.check("document_number").map(|c| c.found) else {
        return false;
    };
    let ours = format!("{}{cd}", r.fields.document_number);
    let theirs = format!("{number}{optional}");
    let spelled = theirs.starts_with(&ours) || ours.starts_with(&theirs);
    let allowed = [
        "valid",
        "check document_number",
        "document_number:",
        "optional1:",
    ];
    spelled
        && diffs
            .iter()
            .all(|d| allowed.iter().any(|a| d.starts_with(a)))
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: vectors <mrz_vectors.txt>");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let reference = Date::new(2026, 11, 23).expect("valid date");
    let mut raw_opts = ParseOptions::new(reference);
    raw_opts.repair = false;
    let fixed_opts = ParseOptions::new(reference);
    let vectors = parse_file(&text);
    let mut agree = 0;
    let mut convention = 0;
    for v in &vectors {
        let lines: Vec<&str> = v.lines.iter().map(String::as_str).collect();
        let raw = match parse(&lines, &raw_opts) {
            Ok(r) => r,
            Err(e) => {
                println!("{:<28} DISAGREE  parse error: {e}", v.id);
                continue;
            }
        };
        let diffs = compare(v, &raw);
        let repaired = parse(&lines, &fixed_opts).ok();
        let info = match &repaired {
            Some(r) => format!(
                "[with repair: valid={} strict={} repairs={}{}]",
                r.valid,
                r.valid_strict,
                r.repairs.len(),
                if r.flags.is_empty() {
                    String::new()
                } else {
                    format!(" flags={}", r.flags.join(","))
                }
            ),
            None => "[with repair: error]".into(),
        };
        if diffs.is_empty() {
            agree += 1;
            println!(
                "{:<28} agree     valid={} strict={} {info}",
                v.id, raw.valid, raw.valid_strict
            );
        } else if long_number_convention(v, &raw, &diffs) {
            convention += 1;
            println!(
                "{:<28} CONVENTION {} (ours: document number {} read per ICAO 9303 Part 5 as a long number, check digit {}) {info}",
                v.id,
                diffs.join("; "),
                raw.fields.document_number,
                raw.check("document_number").map_or('?', |c| c.found)
            );
        } else {
            println!("{:<28} DISAGREE  {} {info}", v.id, diffs.join("; "));
        }
        if let Some(r) = &repaired {
            for rep in &r.repairs {
                println!(
                    "{:<28}   repair ({},{}) {}->{} [{}] {}",
                    "", rep.line, rep.column, rep.from, rep.to, rep.field, rep.reason
                );
            }
        }
    }
    println!("{agree}/{} agree", vectors.len());
    println!(
        "{convention}/{} differ only by the long-document-number convention (the file reads the TD1 number positionally)",
        vectors.len()
    );
    println!(
        "{}/{} disagree otherwise",
        vectors.len() - agree - convention,
        vectors.len()
    );
    ExitCode::SUCCESS
}
