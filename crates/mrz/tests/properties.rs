//! Property tests: generate → parse round trips over random field values
//! (TD1, TD2, TD3, long document numbers, Cambodian IDs), repair of a random
//! look-alike confusion, and "never panics" over arbitrary input.

mod common;
use common::*;
use kyc_mrz::codes::{ICAO_SPECIAL, ISO_3166_ALPHA3};
use kyc_mrz::generate::{td1, td2, td3, DocumentData};
use kyc_mrz::{parse, parse_text, CharAlternatives, CheckStatus, Date, Fields, Format, MrzReport};
use proptest::prelude::*;
use proptest::sample::select;

/// State codes other than KHM (whose ID profile constrains document numbers).
fn state_code() -> impl Strategy<Value = String> {
    let codes: Vec<&'static str> = ISO_3166_ALPHA3
        .iter()
        .chain(ICAO_SPECIAL.iter())
        .copied()
        .filter(|c| *c != "KHM")
        .collect();
    select(codes).prop_map(String::from)
}

fn document_code() -> impl Strategy<Value = String> {
    // Any 1-2 letter code except visas (`V…`, a different format).
    select(vec![
        "P", "PN", "PO", "PD", "I", "ID", "IR", "AC", "A", "C", "CR",
    ])
    .prop_map(String::from)
}

/// A birth date that century inference relative to the reference date
/// recovers: within the hundred years up to the reference date.
fn birth_date() -> impl Strategy<Value = Date> {
    (1926i32..=2026, 1u32..=12, 1u32..=31).prop_filter_map("real past date", |(y, m, d)| {
        let date = Date::new(y, m, d)?;
        let r = reference();
        let oldest = Date::new(r.year - 100, r.month, r.day)?;
        (date > oldest && date <= r).then_some(date)
    })
}

fn expiry_date() -> impl Strategy<Value = Date> {
    (2000i32..=2099, 1u32..=12, 1u32..=31)
        .prop_filter_map("real date", |(y, m, d)| Date::new(y, m, d))
}

fn sex() -> impl Strategy<Value = char> {
    select(vec!['M', 'F', 'X'])
}

/// Surname and given names that fit the 30 characters of TD1 line 3.
fn names() -> impl Strategy<Value = (String, String)> {
    ("[A-Z]{1,10}( [A-Z]{1,5})?", "([A-Z]{1,8}( [A-Z]{1,3})?)?")
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Td1,
    Td2,
    Td3,
}

fn document(target: Target) -> impl Strategy<Value = DocumentData> {
    let (number, opt1, opt2, personal) = match target {
        // Up to 14 characters: 9 principal + 5 overflowing into the optional data.
        Target::Td1 => (
            "[A-Z0-9]{1,14}",
            "([A-Z0-9]{1,3}( [A-Z0-9]{1,3})?)?",
            "([A-Z0-9]{1,5}( [A-Z0-9]{1,4})?)?",
            "",
        ),
        Target::Td2 => ("[A-Z0-9]{1,15}", "", "", ""),
        Target::Td3 => ("[A-Z0-9]{1,9}", "", "", "([A-Z0-9]{1,6}( [A-Z0-9]{1,6})?)?"),
    };
    (
        (document_code(), state_code(), number, opt1, opt2),
        (
            birth_date(),
            sex(),
            expiry_date(),
            state_code(),
            personal,
            names(),
        ),
    )
        .prop_map(
            |(
                (code, issuer, number, opt1, opt2),
                (birth, sex, expiry, nat, personal, (sn, gn)),
            )| {
                DocumentData {
                    document_code: code,
                    issuer,
                    document_number: number,
                    optional1: opt1,
                    optional2: opt2,
                    birth_date: birth,
                    sex,
                    expiry_date: expiry,
                    nationality: nat,
                    personal_number: personal,
                    surname: sn,
                    given_names: gn,
                }
            },
        )
        // A TD2 long number leaves no room for more optional data; TD1 keeps
        // the overflow, its check digit, a filler and the data within 15.
        .prop_filter("fits", move |d| match target {
            Target::Td1 => {
                d.document_number.len() <= 9
                    || d.document_number.len() - 9 + 2 + d.optional1.len() <= 15
            }
            _ => true,
        })
}

fn generate(target: Target, d: &DocumentData) -> Vec<String> {
    match target {
        Target::Td1 => td1(d).unwrap().to_vec(),
        Target::Td2 => td2(d).unwrap().to_vec(),
        Target::Td3 => td3(d).unwrap().to_vec(),
    }
}

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.replace(' ', "<"))
}

/// The fields a parse of `d` must give.
fn expected_fields(d: &DocumentData) -> Fields {
    Fields {
        document_code: d.document_code.clone(),
        issuer: d.issuer.clone(),
        document_number: d.document_number.clone(),
        optional1: optional(&d.optional1),
        optional2: optional(&d.optional2),
        birth_date: Some(d.birth_date),
        sex: Some(d.sex.to_string()),
        expiry_date: Some(d.expiry_date),
        nationality: d.nationality.clone(),
        personal_number: optional(&d.personal_number),
        surname: d.surname.clone(),
        given_names: d.given_names.clone(),
    }
}

fn round_trip(target: Target, d: &DocumentData) -> Result<MrzReport, TestCaseError> {
    let lines = generate(target, d);
    let r = run_owned(&lines);
    prop_assert!(r.valid && r.valid_strict, "{lines:?}: {:?}", r.reasons);
    prop_assert!(r.repairs.is_empty(), "{lines:?}: {:?}", r.repairs);
    prop_assert_eq!(&r.fields, &expected_fields(d), "{:?}", lines);
    prop_assert_eq!(&r.lines, &lines);
    prop_assert!(r.checks.iter().all(|c| c.passes_strict()));
    prop_assert_eq!(
        r.has_flag("long_document_number"),
        d.document_number.len() > 9
    );
    // Clean input takes a fast path; trailing whitespace forces the general
    // one (silently trimmed): the reports must be identical.
    let padded: Vec<String> = lines.iter().map(|l| format!("{l} \t")).collect();
    prop_assert_eq!(&run_owned(&padded), &r);
    Ok(r)
}

/// The letter a digit is commonly misread as (the reverse of the numeric table).
fn confusion(digit: u8) -> Option<char> {
    match digit {
        b'0' => Some('O'),
        b'1' => Some('I'),
        b'2' => Some('Z'),
        b'5' => Some('S'),
        b'6' => Some('G'),
        b'8' => Some('B'),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn td1_round_trip(d in document(Target::Td1)) {
        let r = round_trip(Target::Td1, &d)?;
        prop_assert_eq!(r.format, Format::Td1);
    }

    #[test]
    fn td2_round_trip(d in document(Target::Td2)) {
        let r = round_trip(Target::Td2, &d)?;
        prop_assert_eq!(r.format, Format::Td2);
    }

    #[test]
    fn td3_round_trip(d in document(Target::Td3)) {
        let r = round_trip(Target::Td3, &d)?;
        prop_assert_eq!(r.format, Format::Td3);
        let absent = d.personal_number.is_empty();
        let status = r.check("personal_number").unwrap().status;
        prop_assert_eq!(status == CheckStatus::Absent, absent);
    }

    #[test]
    fn cambodian_id_round_trip(
        number in "[0-9]{9}",
        birth in birth_date(),
        expiry in expiry_date(),
        sex in sex(),
        (surname, given_names) in names(),
        old in any::<bool>(),
    ) {
        let d = DocumentData {
            document_number: number,
            birth_date: birth,
            expiry_date: expiry,
            sex,
            surname,
            given_names,
            ..khm_id()
        };
        let mut lines = td1(&d).unwrap().to_vec();
        if old {
            lines[1].replace_range(29..30, "<");
        }
        let r = run_owned(&lines);
        prop_assert!(r.valid, "{:?}", r.reasons);
        prop_assert_eq!(r.valid_strict, !old);
        prop_assert_eq!(r.has_flag("khm_composite_absent"), old);
        prop_assert_eq!(&r.fields, &expected_fields(&d));
    }

    /// A look-alike letter read for one date digit is repaired back, and
    /// nothing else changes.
    #[test]
    fn date_confusion_is_repaired(d in document(Target::Td3), pos in 0usize..14) {
        let lines = generate(Target::Td3, &d);
        // Birth date and its digit (13..20), expiry date and its digit (21..28).
        let col = if pos < 7 { 13 + pos } else { 21 + pos - 7 };
        let original = lines[1].as_bytes()[col];
        let Some(letter) = confusion(original) else {
            return Ok(());
        };
        let bad = put(&lines[1], col, letter);
        let r = run(&[&lines[0], &bad]);
        prop_assert!(r.valid, "{bad}: {:?}", r.reasons);
        prop_assert_eq!(r.repairs.len(), 1);
        prop_assert_eq!(r.repairs[0].column, col);
        prop_assert_eq!(r.repairs[0].to, char::from(original));
        prop_assert_eq!(&r.fields, &expected_fields(&d));
    }

    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = parse_text(&s, &opts());
    }

    #[test]
    fn never_panics_on_mrz_like_lines(
        lines in prop::collection::vec("[A-Z0-9<Kk«‹ ]{0,8}[A-Z0-9<]{26,46}", 1..5),
        alts in prop::collection::vec(
            (0usize..5, 0usize..50, prop::collection::vec((any::<char>(), any::<f32>()), 0..4)),
            0..6,
        ),
        repair in any::<bool>(),
    ) {
        let mut o = opts();
        o.repair = repair;
        o.alternatives = alts
            .into_iter()
            .map(|(line, column, candidates)| CharAlternatives { line, column, candidates })
            .collect();
        let v: Vec<&str> = lines.iter().map(String::as_str).collect();
        if let Ok(r) = parse(&v, &o) {
            check_invariants(&r)?;
        }
    }

    /// Random damage to a valid MRZ (any MRZ character anywhere): the
    /// report stays consistent, and a valid verdict is always backed by check digits.
    #[test]
    fn never_panics_on_damaged_mrz(
        (target, d) in select(vec![Target::Td1, Target::Td2, Target::Td3])
            .prop_flat_map(|t| (Just(t), document(t))),
        hits in prop::collection::vec((0usize..3, 0usize..44, "[A-Z0-9<K]"), 1..6),
    ) {
        let mut lines = generate(target, &d);
        for (l, c, ch) in hits {
            let l = l % lines.len();
            let c = c % lines[l].len();
            lines[l] = put(&lines[l], c, ch.chars().next().unwrap());
        }
        let r = run_owned(&lines);
        check_invariants(&r)?;
        // Without repair the lines are reported exactly as given.
        let v: Vec<&str> = lines.iter().map(String::as_str).collect();
        let raw = parse(&v, &raw_opts()).unwrap();
        check_invariants(&raw)?;
        prop_assert_eq!(&raw.lines, &lines);
        prop_assert!(raw.repairs.is_empty());
    }
}

fn check_invariants(r: &MrzReport) -> Result<(), TestCaseError> {
    prop_assert_eq!(r.lines.len(), r.format.line_count());
    for l in &r.lines {
        prop_assert_eq!(l.len(), r.format.line_length());
        prop_assert!(l
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<'));
    }
    for rep in &r.repairs {
        prop_assert!(rep.line < r.lines.len() && rep.column < r.format.line_length());
        prop_assert_eq!(r.lines[rep.line].as_bytes()[rep.column], rep.to as u8);
    }
    prop_assert_eq!(r.valid, r.reasons.is_empty(), "{:?}", r.reasons);
    if r.valid {
        for c in &r.checks {
            prop_assert!(c.status != CheckStatus::Refuted, "{:?}", c);
        }
    }
    if r.valid_strict {
        prop_assert!(r.checks.iter().all(|c| c.passes_strict()));
    }
    prop_assert!(serde_json::to_string(r).is_ok());
    Ok(())
}
