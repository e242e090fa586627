//! ICAO 9303 specimens, formats, normalisation, errors and serialisation.

mod common;
use common::*;
use kyc_mrz::{parse, parse_text, CheckStatus, Format, MrzError};

#[test]
fn icao_td3_specimen() {
    let r = run(&TD3);
    assert_eq!(r.format, Format::Td3);
    assert!(r.valid && r.valid_strict, "{:?}", r.reasons);
    assert!(r.reasons.is_empty());
    assert!(r.repairs.is_empty());
    let f = &r.fields;
    assert_eq!(f.document_code, "P");
    assert_eq!(f.issuer, "UTO");
    assert_eq!(f.document_number, "L898902C3");
    assert_eq!(f.nationality, "UTO");
    assert_eq!(f.birth_date, Some(date(1974, 8, 12)));
    assert_eq!(f.sex.as_deref(), Some("F"));
    assert_eq!(f.expiry_date, Some(date(2012, 4, 15)));
    assert_eq!(f.personal_number.as_deref(), Some("ZE184226B"));
    assert_eq!(f.surname, "ERIKSSON");
    assert_eq!(f.given_names, "ANNA MARIA");
    assert_eq!(f.optional1, None);
    assert_eq!(f.optional2, None);
    let got: Vec<(&str, Option<char>, char, CheckStatus)> = r
        .checks
        .iter()
        .map(|c| (c.field.as_str(), c.expected, c.found, c.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("document_number", Some('6'), '6', CheckStatus::Verified),
            ("birth_date", Some('2'), '2', CheckStatus::Verified),
            ("expiry_date", Some('9'), '9', CheckStatus::Verified),
            ("personal_number", Some('1'), '1', CheckStatus::Verified),
            ("composite", Some('0'), '0', CheckStatus::Verified),
        ]
    );
    for f in [
        "document_number",
        "birth_date",
        "expiry_date",
        "personal_number",
    ] {
        assert!(r.field_verified(f), "{f}");
    }
    for f in [
        "surname",
        "given_names",
        "nationality",
        "issuer",
        "sex",
        "document_code",
    ] {
        assert!(!r.field_verified(f), "{f}");
    }
    assert_eq!(r.lines, TD3);
    // Expired relative to the reference date, which is not a validity problem.
    assert!(r.has_flag("expired"));
}

#[test]
fn icao_td1_specimen() {
    let r = run(&TD1);
    assert_eq!(r.format, Format::Td1);
    assert!(r.valid && r.valid_strict, "{:?}", r.reasons);
    let f = &r.fields;
    assert_eq!(f.document_code, "I");
    assert_eq!(f.document_number, "D23145890");
    assert_eq!(f.optional1, None);
    assert_eq!(f.optional2, None);
    assert_eq!(f.birth_date, Some(date(1974, 8, 12)));
    assert_eq!(f.expiry_date, Some(date(2012, 4, 15)));
    assert_eq!(f.nationality, "UTO");
    assert_eq!(f.personal_number, None);
    assert_eq!(
        (f.surname.as_str(), f.given_names.as_str()),
        ("ERIKSSON", "ANNA MARIA")
    );
    assert_eq!(r.check("document_number").unwrap().found, '7');
    assert_eq!(r.check("composite").unwrap().status, CheckStatus::Verified);
    assert!(r.check("personal_number").is_none());
    assert!(r.field_verified("optional1") && r.field_verified("optional2"));
    assert!(!r.has_flag("name_truncated"));
}

#[test]
fn icao_td1_long_document_number() {
    // ICAO 9303 Part 5: `<` at position 15, the number continues in the
    // optional data up to the first `<`; the last character before it is the check digit.
    let lines = [
        "I<UTOD23145890<7349<<<<<<<<<<<",
        "3407127M9507122UTO<<<<<<<<<<<2",
        "STEVENSON<<PETER<JOHN<<<<<<<<<",
    ];
    let r = run(&lines);
    assert!(r.valid && r.valid_strict, "{:?}", r.reasons);
    assert!(r.has_flag("long_document_number"));
    assert_eq!(r.fields.document_number, "D23145890734");
    assert_eq!(r.fields.optional1, None);
    let c = r.check("document_number").unwrap();
    assert_eq!(
        (c.expected, c.found, c.status),
        (Some('9'), '9', CheckStatus::Verified)
    );
    assert_eq!(r.fields.birth_date, Some(date(1934, 7, 12)));
    assert_eq!(r.fields.expiry_date, Some(date(2095, 7, 12)));
    assert_eq!(r.fields.sex.as_deref(), Some("M"));
    assert_eq!(r.fields.surname, "STEVENSON");
    assert_eq!(r.fields.given_names, "PETER JOHN");
    assert!(r.repairs.is_empty());
}

#[test]
fn long_document_number_with_more_optional_data() {
    let d = kyc_mrz::generate::DocumentData {
        document_number: "AB1234567890".into(),
        optional1: "XY12".into(),
        optional2: "Q9".into(),
        ..khm_id()
    };
    let lines = kyc_mrz::generate::td1(&d).unwrap();
    assert_eq!(&lines[0][14..15], "<");
    let r = run_owned(&lines);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.fields.document_number, "AB1234567890");
    assert_eq!(r.fields.optional1.as_deref(), Some("XY12"));
    assert_eq!(r.fields.optional2.as_deref(), Some("Q9"));
}

#[test]
fn icao_td2_specimen() {
    let r = run(&[
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ]);
    assert_eq!(r.format, Format::Td2);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.fields.document_number, "D23145890");
    assert_eq!(r.fields.optional1, None);
    assert_eq!(r.fields.given_names, "ANNA MARIA");
    assert_eq!(r.checks.len(), 4);
}

#[test]
fn visas() {
    let a = run(&[
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    ]);
    assert_eq!(a.format, Format::MrvA);
    assert!(a.valid, "{:?}", a.reasons);
    assert_eq!(a.fields.nationality, "XXX");
    assert_eq!(a.fields.optional1.as_deref(), Some("6ZE184226B"));
    assert!(a.check("composite").is_none());
    let b = run(&[
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<",
    ]);
    assert_eq!(b.format, Format::MrvB);
    assert!(b.valid, "{:?}", b.reasons);
    assert_eq!(b.fields.document_number, "L8988901C");
    assert_eq!(b.fields.birth_date, Some(date(1940, 9, 7)));
}

#[test]
fn refuted_check_digits_are_reported_not_errors() {
    let r = parse(&[TD3[0], &put(TD3[1], 9, '7')], &raw_opts()).unwrap();
    assert!(!r.valid && !r.valid_strict);
    let c = r.check("document_number").unwrap();
    assert_eq!(
        (c.expected, c.found, c.status),
        (Some('6'), '7', CheckStatus::Refuted)
    );
    assert_eq!(r.check("composite").unwrap().status, CheckStatus::Refuted);
    assert!(r
        .reasons
        .iter()
        .any(|x| x.contains("document number check digit refuted")));
    assert!(!r.field_verified("document_number"));
}

#[test]
fn invalid_dates_are_field_problems() {
    // Month 13 and day 32 with correct check digits, and 30 February.
    for (date_text, what) in [
        ("741312", "month 13"),
        ("740832", "day 32"),
        ("740230", "30 Feb"),
    ] {
        let d = kyc_mrz::check_digit(date_text).unwrap();
        let mut l2 = TD3[1].to_string();
        l2.replace_range(13..19, date_text);
        l2.replace_range(19..20, &d.to_string());
        // Keep the composite right so that only the date is wrong.
        let comp =
            kyc_mrz::check_digit(&format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43])).unwrap();
        l2.replace_range(43..44, &comp.to_string());
        let r = run(&[TD3[0], &l2]);
        assert_eq!(r.fields.birth_date, None, "{what}");
        assert!(!r.valid, "{what}");
        assert_eq!(r.check("birth_date").unwrap().status, CheckStatus::Verified);
        assert!(r.has_flag("invalid_birth_date"));
        assert!(r.reasons.iter().any(|x| x.contains("birth date")), "{what}");
        assert!(!r.field_verified("birth_date"));
    }
}

#[test]
fn unknown_birth_date() {
    let mut d = kyc_mrz::generate::td3(&khm_passport()).unwrap();
    d[1].replace_range(13..20, "<<<<<<0");
    let comp = kyc_mrz::check_digit(&format!(
        "{}{}{}",
        &d[1][0..10],
        &d[1][13..20],
        &d[1][21..43]
    ))
    .unwrap();
    d[1].replace_range(43..44, &comp.to_string());
    let r = run_owned(&d);
    assert!(r.valid, "{:?}", r.reasons);
    assert!(r.has_flag("birth_date_unknown"));
    assert_eq!(r.fields.birth_date, None);
}

#[test]
fn normalisation_is_flagged() {
    let r = run(&[
        "p<uto eriksson««anna‹maria<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10   ",
    ]);
    assert!(r.valid, "{:?}", r.reasons);
    for f in [
        "lowercase_normalised",
        "spaces_removed",
        "normalised_guillemets",
    ] {
        assert!(r.has_flag(f), "{f}: {:?}", r.flags);
    }
    assert_eq!(r.lines, TD3);
    assert!(r.repairs.is_empty());
}

#[test]
fn missing_trailing_fillers_restored() {
    let r = run(&["P<UTOERIKSSON<<ANNA<MARIA", TD3[1]]);
    assert!(r.valid);
    assert!(r.has_flag("line_padded"));
    assert_eq!(r.lines[0], TD3[0]);
    // TD1 line 1 (optional data) and line 3 too.
    let r = run(&["I<UTOD231458907", TD1[1], "ERIKSSON<<ANNA<MARIA"]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.lines, TD1);
}

#[test]
fn parse_text_splits_and_drops_blank_lines() {
    let text = format!("\r\n{}\r\n\r\n{}\r\n", TD3[0], TD3[1]);
    let r = parse_text(&text, &opts()).unwrap();
    assert!(r.valid);
    let one = parse_text(&format!("{}{}", TD3[0], TD3[1]), &opts()).unwrap();
    assert!(one.valid);
    assert!(one.has_flag("lines_split"));
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(parse_text("", &opts()).unwrap_err(), MrzError::Empty);
    assert_eq!(parse_text(" \n\t\n", &opts()).unwrap_err(), MrzError::Empty);
    assert_eq!(
        parse(&["hello world"], &opts()).unwrap_err(),
        MrzError::LineCount { found: 1 }
    );
    assert_eq!(
        parse(&[TD1[0], TD1[1], TD1[2], TD1[2]], &opts()).unwrap_err(),
        MrzError::LineCount { found: 4 }
    );
    // The TD1 middle line ends with the composite: it is never padded.
    assert_eq!(
        parse(&[TD1[0], &TD1[1][..29], TD1[2]], &opts()).unwrap_err(),
        MrzError::LineLength {
            line: 1,
            found: 29,
            expected: 30
        }
    );
    // Surplus characters that are not fillers.
    assert_eq!(
        parse(&[&format!("{}X", TD3[0]), TD3[1]], &opts()).unwrap_err(),
        MrzError::LineLength {
            line: 0,
            found: 45,
            expected: 44
        }
    );
    let e = parse(&[TD3[0], &put(TD3[1], 20, '?')], &opts()).unwrap_err();
    assert_eq!(
        e,
        MrzError::InvalidCharacter {
            line: 1,
            column: 20,
            found: '?',
            field: Some("sex")
        }
    );
    assert!(e.to_string().contains("sex"));
    let e = parse(&[&put(TD3[0], 7, 'É'), TD3[1]], &opts()).unwrap_err();
    assert!(matches!(
        e,
        MrzError::InvalidCharacter {
            line: 0,
            column: 7,
            found: 'É',
            field: Some("name")
        }
    ));
}

#[test]
fn json_shape() {
    let r = run(&TD3);
    let v: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(v["format"], "TD3");
    assert_eq!(v["valid"], true);
    let keys: Vec<&str> = v["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
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
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(v["fields"]["birth_date"], "1974-08-12");
    assert_eq!(v["fields"]["optional1"], serde_json::Value::Null);
    assert_eq!(v["checks"][0]["status"], "verified");
    assert_eq!(v["checks"][0]["field"], "document_number");
    assert_eq!(v["checks"][0]["expected"], "6");
    let td1 = serde_json::to_value(run(&TD1)).unwrap();
    assert_eq!(td1["format"], "TD1");
}
