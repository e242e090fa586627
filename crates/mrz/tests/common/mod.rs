//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kyc_mrz::generate::DocumentData;
use kyc_mrz::{parse, Date, MrzReport, ParseOptions};

pub fn reference() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

pub fn opts() -> ParseOptions {
    ParseOptions::new(reference())
}

pub fn raw_opts() -> ParseOptions {
    let mut o = opts();
    o.repair = false;
    o
}

pub fn date(y: i32, m: u32, d: u32) -> Date {
    Date::new(y, m, d).unwrap()
}

pub fn run(lines: &[&str]) -> MrzReport {
    parse(lines, &opts()).expect("parses")
}

pub fn run_owned(lines: &[String]) -> MrzReport {
    let v: Vec<&str> = lines.iter().map(String::as_str).collect();
    run(&v)
}

/// Replaces the character at `col` of `line`.
pub fn put(line: &str, col: usize, c: char) -> String {
    line.chars()
        .enumerate()
        .map(|(i, x)| if i == col { c } else { x })
        .collect()
}

pub const TD3: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];

pub const TD1: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];

/// A fictional Cambodian ID card (not one of the evaluation vectors).
pub fn khm_id() -> DocumentData {
    DocumentData {
        document_code: "ID".into(),
        issuer: "KHM".into(),
        document_number: "120345678".into(),
        optional1: String::new(),
        optional2: String::new(),
        birth_date: date(1988, 11, 2),
        sex: 'M',
        expiry_date: date(2029, 4, 17),
        nationality: "KHM".into(),
        personal_number: String::new(),
        surname: "Chea".into(),
        given_names: "Sovann".into(),
    }
}

/// A fictional Cambodian passport.
pub fn khm_passport() -> DocumentData {
    DocumentData {
        document_code: "PN".into(),
        issuer: "KHM".into(),
        document_number: "N04561238".into(),
        optional1: String::new(),
        optional2: String::new(),
        birth_date: date(1995, 2, 28),
        sex: 'F',
        expiry_date: date(2031, 9, 30),
        nationality: "KHM".into(),
        personal_number: "N0123987654".into(),
        surname: "Lim".into(),
        given_names: "Sreyneang".into(),
    }
}
