//! One test per repair rule: look-alikes in numeric positions, the reverse
//! in alphabetic positions, `K` read for `<`, OCR alternatives, and the
//! guards (fewest changes, ambiguity, check-digit confirmation).

mod common;
use common::*;
use kyc_mrz::generate::{td1, td3, DocumentData};
use kyc_mrz::{parse, CharAlternatives, CheckStatus, Date, MrzReport, ParseOptions};

fn utopia_passport(birth: Date) -> DocumentData {
    DocumentData {
        document_code: "P".into(),
        issuer: "UTO".into(),
        document_number: "L898902C3".into(),
        optional1: String::new(),
        optional2: String::new(),
        birth_date: birth,
        sex: 'F',
        expiry_date: date(2031, 4, 15),
        nationality: "UTO".into(),
        personal_number: "ZE184226B".into(),
        surname: "Eriksson".into(),
        given_names: "Anna Maria".into(),
    }
}

fn with_alternatives(alts: Vec<CharAlternatives>) -> ParseOptions {
    let mut o = opts();
    o.alternatives = alts;
    o
}

fn only_repair(r: &MrzReport) -> &kyc_mrz::Repair {
    assert_eq!(r.repairs.len(), 1, "{:#?}", r.repairs);
    &r.repairs[0]
}

/// Every letter→digit rule of the numeric tables, in a birth date (a
/// numeric field whose check digit confirms the repair).
#[test]
fn numeric_lookalikes_each_rule() {
    let rules = [
        ('O', '0'),
        ('Q', '0'),
        ('D', '0'),
        ('I', '1'),
        ('L', '1'),
        ('Z', '2'),
        ('S', '5'),
        ('G', '6'),
        ('B', '8'),
        ('T', '7'),
    ];
    for (letter, digit) in rules {
        // A birth date whose YYMMDD holds `digit`.
        let d = digit.to_digit(10).unwrap();
        let birth = date(1980 + d as i32, 1 + d.min(9), 10 + d);
        let lines = td3(&utopia_passport(birth)).unwrap();
        let yymmdd = &lines[1][13..19];
        let idx = yymmdd.find(digit).expect("digit in the date");
        let col = 13 + idx;
        let bad = put(&lines[1], col, letter);

        let raw = parse(&[&lines[0], &bad], &raw_opts()).unwrap();
        assert!(!raw.valid, "{letter}: read as is must not be valid");
        assert_eq!(raw.fields.birth_date, None);

        let r = run(&[&lines[0], &bad]);
        assert!(
            r.valid && r.valid_strict,
            "{letter}->{digit}: {:?}",
            r.reasons
        );
        let rep = only_repair(&r);
        assert_eq!(
            (rep.line, rep.column, rep.from, rep.to, rep.field.as_str()),
            (1, col, letter, digit, "birth_date"),
            "{letter}"
        );
        assert!(rep.reason.contains("check digit"), "{}", rep.reason);
        assert_eq!(r.fields.birth_date, Some(birth));
        assert_eq!(r.check("birth_date").unwrap().status, CheckStatus::Verified);
        assert!(r.field_verified("birth_date"));
        assert!(r.has_flag("repaired"));
        assert_eq!(r.lines[1], lines[1]);
    }
}

#[test]
fn numeric_lookalike_in_check_digit_and_numeric_document_number() {
    // A check digit read as a letter (expiry check digit 9 read... as a
    // look-alike of its digit): TD3 specimen birth check digit 2 -> Z.
    let r = run(&[TD3[0], &put(TD3[1], 19, 'Z')]);
    assert!(r.valid, "{:?}", r.reasons);
    let rep = only_repair(&r);
    assert_eq!(
        (rep.from, rep.to, rep.field.as_str()),
        ('Z', '2', "birth_date_check_digit")
    );

    // Cambodian ID numbers are 9 digits: O read for 0 in the number.
    let lines = td1(&khm_id()).unwrap();
    let bad = put(&lines[0], 7, 'O');
    assert_eq!(&lines[0][7..8], "0");
    let r = run(&[&bad, &lines[1], &lines[2]]);
    assert!(r.valid, "{:?}", r.reasons);
    let rep = only_repair(&r);
    assert_eq!(
        (rep.column, rep.from, rep.to, rep.field.as_str()),
        (7, 'O', '0', "document_number")
    );
    assert_eq!(r.fields.document_number, "120345678");
}

/// Every digit→letter rule in an alphabetic closed-set field: the
/// nationality. No check digit covers it, so the look-alike is reported as
/// an unverified suggestion and the MRZ is not valid.
#[test]
fn alphabetic_lookalikes_each_rule_in_nationality() {
    let cases = [
        ("UTO", "UT0", '0', 'O'),
        ("IND", "1ND", '1', 'I'),
        ("NZL", "N2L", '2', 'Z'),
        ("SWE", "5WE", '5', 'S'),
        ("GBR", "6BR", '6', 'G'),
        ("BEL", "8EL", '8', 'B'),
    ];
    for (code, read, digit, letter) in cases {
        let d = DocumentData {
            nationality: code.into(),
            ..utopia_passport(date(1974, 8, 12))
        };
        let lines = td3(&d).unwrap();
        let mut bad = lines[1].clone();
        bad.replace_range(10..13, read);
        let r = run(&[&lines[0], &bad]);
        // Every check digit passes: none covers the nationality.
        assert!(
            r.checks.iter().all(|c| c.status == CheckStatus::Verified),
            "{code}"
        );
        assert!(!r.valid && !r.valid_strict, "{code}: must not be valid");
        assert!(
            r.has_flag("unverified_nationality"),
            "{code}: {:?}",
            r.flags
        );
        assert!(
            r.reasons.iter().any(|x| x.contains("nationality")),
            "{:?}",
            r.reasons
        );
        assert_eq!(r.fields.nationality, code, "suggestion");
        let rep = only_repair(&r);
        assert_eq!(
            (rep.from, rep.to, rep.field.as_str()),
            (digit, letter, "nationality")
        );
        assert!(rep.reason.contains("not verified"), "{}", rep.reason);
        assert!(!r.field_verified("nationality"));
    }
}

/// The done-when case: a TD3 with `UT0` as nationality is unverified, not valid.
#[test]
fn ut0_nationality_is_unverified_not_valid() {
    let bad = TD3[1].replace("UTO", "UT0");
    let raw = parse(&[TD3[0], &bad], &raw_opts()).unwrap();
    assert!(!raw.valid);
    assert!(raw.has_flag("unverified_nationality"));
    assert_eq!(raw.fields.nationality, "UT0");
    let r = run(&[TD3[0], &bad]);
    assert!(!r.valid && !r.valid_strict);
    assert!(r.has_flag("unverified_nationality"));
    assert!(!r.has_flag("unverified_issuer"));
    // The same for the issuer.
    let r = run(&[&TD3[0].replace("UTO", "UT0"), TD3[1]]);
    assert!(!r.valid);
    assert!(r.has_flag("unverified_issuer"));
    assert_eq!(r.fields.issuer, "UTO");
}

#[test]
fn code_without_a_valid_lookalike_is_left_alone() {
    let bad = TD3[1].replace("UTO", "ZZ0");
    let r = run(&[TD3[0], &bad]);
    assert!(!r.valid);
    assert_eq!(r.fields.nationality, "ZZ0");
    assert!(r.repairs.is_empty());
    assert!(r.has_flag("unverified_nationality"));
    // A valid code that is not the one printed cannot be detected: AUT read
    // for AUS is valid as read (names and codes have no check digit).
    let r = run(&[TD3[0], &TD3[1].replace("UTO", "AUT")]);
    assert!(r.valid);
}

/// Regression (eval `pe_98_pass-nld`): the recogniser read `NLD` as `MLD` on a faint page;
/// `M`↔`N` is tried for codes, and `NLD` is the only valid result.
#[test]
fn m_read_for_n_in_a_code_is_repaired_when_unique() {
    let mut d = utopia_passport(date(1971, 10, 19));
    d.issuer = "NLD".into();
    d.nationality = "NLD".into();
    let lines = td3(&d).unwrap();
    let bad: Vec<String> = lines.iter().map(|l| l.replacen("NLD", "MLD", 1)).collect();
    let r = run(&[&bad[0], &bad[1]]);
    assert_eq!(r.fields.issuer, "NLD");
    assert_eq!(r.fields.nationality, "NLD");
    assert_eq!(r.lines, lines);
    // Still a suggestion: no check digit covers codes.
    assert!(r.has_flag("unverified_issuer") && r.has_flag("unverified_nationality"));
}

/// Regression (eval `pe_33_id-usa`): the second document-code character is the issuer's
/// choice and may be a digit (US permanent resident card `C1`); it was "repaired" to `CI`.
#[test]
fn digit_in_the_second_document_code_position_is_kept() {
    let lines = td1(&DocumentData {
        document_code: "CI".into(),
        issuer: "USA".into(),
        nationality: "CAN".into(),
        personal_number: String::new(),
        ..utopia_passport(date(1949, 10, 4))
    })
    .unwrap();
    let read: Vec<String> = std::iter::once(lines[0].replacen("CI", "C1", 1))
        .chain(lines[1..].iter().cloned())
        .collect();
    let refs: Vec<&str> = read.iter().map(String::as_str).collect();
    let r = run(&refs);
    assert_eq!(r.fields.document_code, "C1");
    assert_eq!(r.lines, read);
    assert!(r.valid, "{:?}", r.reasons);
    // A digit in the first position is still repaired.
    let first: Vec<String> = std::iter::once(lines[0].replacen("CI", "0I", 1))
        .chain(lines[1..].iter().cloned())
        .collect();
    let refs: Vec<&str> = first.iter().map(String::as_str).collect();
    assert_eq!(run(&refs).fields.document_code, "OI");
}

/// Digits in names become look-alike letters, reported as unverified.
#[test]
fn alphabetic_lookalikes_in_names() {
    for (digit, letter) in [
        ('0', 'O'),
        ('1', 'I'),
        ('2', 'Z'),
        ('5', 'S'),
        ('6', 'G'),
        ('8', 'B'),
    ] {
        // ERIKSSON<<ANNA<MARIA: put the digit in place of a letter.
        let name_line = put(TD3[0], 6, digit); // R
        let r = run(&[&name_line, TD3[1]]);
        let rep = only_repair(&r);
        assert_eq!(
            (rep.line, rep.column, rep.from, rep.to),
            (0, 6, digit, letter)
        );
        assert_eq!(rep.field, "name");
        assert!(rep.reason.contains("not verified"));
        assert!(r.has_flag("unverified_name"), "{:?}", r.flags);
        assert!(!r.valid, "a guessed name is not valid");
        assert_eq!(r.fields.surname, format!("E{letter}IKSSON"));
    }
    // Read as is, a digit in a name is reported as it stands.
    let raw = parse(&[&put(TD3[0], 6, '8'), TD3[1]], &raw_opts()).unwrap();
    assert!(!raw.valid);
    assert_eq!(raw.fields.surname, "E8IKSSON");
}

#[test]
fn k_read_for_filler_after_the_given_names() {
    let line = put(&put(TD3[0], 30, 'K'), 38, 'K');
    let r = run(&[&line, TD3[1]]);
    assert!(r.valid, "{:?}", r.reasons);
    assert!(r.has_flag("filler_repaired"));
    assert_eq!(r.repairs.len(), 2);
    assert!(r
        .repairs
        .iter()
        .all(|x| x.from == 'K' && x.to == '<' && x.field == "name"));
    assert_eq!(r.fields.given_names, "ANNA MARIA");
    assert_eq!(r.lines[0], TD3[0]);
    // K right after a single filler is part of the given names, not a filler.
    let line = put(TD3[0], 26, 'K');
    let r = run(&[&line, TD3[1]]);
    assert!(r.repairs.is_empty());
    assert_eq!(r.fields.given_names, "ANNA MARIA K");
}

#[test]
fn k_read_for_filler_in_optional_data_and_personal_number() {
    // TD1 optional data (line 2, all fillers): a lone K.
    let r = run(&[TD1[0], &put(TD1[1], 23, 'K'), TD1[2]]);
    assert!(r.valid, "{:?}", r.reasons);
    let rep = only_repair(&r);
    assert_eq!((rep.line, rep.column, rep.from, rep.to), (1, 23, 'K', '<'));
    assert_eq!(rep.field, "optional2");
    assert_eq!(r.fields.optional2, None);
    // TD1 optional data of line 1.
    let r = run(&[&put(TD1[0], 20, 'K'), TD1[1], TD1[2]]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(only_repair(&r).field, "optional1");
    // The check digit of an empty TD3 personal number read as K.
    let d = DocumentData {
        personal_number: String::new(),
        ..utopia_passport(date(1974, 8, 12))
    };
    let lines = td3(&d).unwrap();
    assert_eq!(&lines[1][42..43], "<");
    let r = run(&[&lines[0], &put(&lines[1], 42, 'K')]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(only_repair(&r).field, "personal_number_check_digit");
    assert_eq!(
        r.check("personal_number").unwrap().status,
        CheckStatus::Absent
    );
}

#[test]
fn ocr_alternatives_repair_what_the_tables_cannot() {
    // 2 read as 7 in the birth date: no look-alike rule, but the OCR stage
    // offered 2 as its second choice.
    let bad = put(TD3[1], 18, '7');
    let raw = run(&[TD3[0], &bad]);
    assert!(!raw.valid, "without alternatives nothing can be repaired");
    assert!(raw.repairs.is_empty());
    let alt = CharAlternatives {
        line: 1,
        column: 18,
        candidates: vec![('7', 0.6), ('2', 0.3), ('Z', 0.1)],
    };
    let r = parse(&[TD3[0], &bad], &with_alternatives(vec![alt])).unwrap();
    assert!(r.valid, "{:?}", r.reasons);
    let rep = only_repair(&r);
    assert_eq!((rep.column, rep.from, rep.to), (18, '7', '2'));
    assert!(rep.reason.contains("OCR alternative"), "{}", rep.reason);
}

#[test]
fn ocr_alternatives_follow_input_columns() {
    // Leading spaces and a space inside the line: the alternative names the
    // column in the input as given.
    let bad = format!("  {} {}", &TD3[1][..10], &put(TD3[1], 18, '7')[10..]);
    // Normalised column 18 is input column 2 + 18 + 1 (the inner space).
    let alt = CharAlternatives {
        line: 1,
        column: 21,
        candidates: vec![('2', 0.4)],
    };
    let r = parse(&[TD3[0], &bad], &with_alternatives(vec![alt])).unwrap();
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(only_repair(&r).column, 18);
    // An alternative for a position that does not exist is ignored.
    let alt = CharAlternatives {
        line: 7,
        column: 999,
        candidates: vec![('2', f32::NAN)],
    };
    let r = parse(&[TD3[0], &bad], &with_alternatives(vec![alt])).unwrap();
    assert!(!r.valid);
}

#[test]
fn check_digits_outrank_ocr_confidence() {
    // An unreadable birth-date digit with two OCR alternatives: the more
    // confident one (3) fails the check digit, the other (2) passes.
    let bad = put(TD3[1], 18, 'X');
    let alt = CharAlternatives {
        line: 1,
        column: 18,
        candidates: vec![('3', 0.5), ('2', 0.45)],
    };
    let r = parse(&[TD3[0], &bad], &with_alternatives(vec![alt])).unwrap();
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(only_repair(&r).to, '2');
    assert_eq!(r.fields.birth_date, Some(date(1974, 8, 12)));
}

#[test]
fn fewest_changes_and_composite_confirmation() {
    // Two confusions in one line: both repaired, each confirmed by its digit.
    let bad = put(&put(TD3[1], 15, 'O'), 22, 'Z');
    let r = run(&[TD3[0], &bad]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.repairs.len(), 2);
    assert_eq!(r.lines[1], TD3[1]);
    assert_eq!(r.check("composite").unwrap().status, CheckStatus::Verified);
}

#[test]
fn ambiguous_repairs_are_not_made() {
    // The document-number check digit itself is wrong: several single
    // changes of an alphanumeric number would satisfy it; none is made.
    let bad = put(TD3[1], 9, '7');
    let r = run(&[TD3[0], &bad]);
    assert!(!r.valid);
    assert!(r.repairs.is_empty(), "{:#?}", r.repairs);
    assert_eq!(
        r.check("document_number").unwrap().status,
        CheckStatus::Refuted
    );
}

#[test]
fn repair_can_be_switched_off() {
    let bad = put(TD3[1], 15, 'O');
    let r = parse(&[TD3[0], &bad], &raw_opts()).unwrap();
    assert!(r.repairs.is_empty());
    assert!(!r.valid);
    assert_eq!(r.check("birth_date").unwrap().status, CheckStatus::Refuted);
}

/// Measured on a 275-px specimen page: the personal number's `E` read as
/// `F`, with `E` offered at 8 % of `F`'s likelihood. `1`→`I` and `B`→`8`
/// (look-alikes) pass the personal-number check digit too, and the
/// composite cannot tell them apart (its weights run in step with the
/// field's own), so only calibrated alternatives settle it.
#[test]
fn calibrated_alternatives_settle_an_alphanumeric_repair() {
    let read = put(TD3[1], 29, 'F');
    let alt = CharAlternatives {
        line: 1,
        column: 29,
        candidates: vec![('F', 1.0), ('E', 0.08)],
    };
    let mut o = with_alternatives(vec![alt.clone()]);
    let r = parse(&[TD3[0], &read], &o).unwrap();
    assert!(!r.valid, "uncalibrated: three repairs tie");
    assert!(r.repairs.is_empty(), "{:#?}", r.repairs);
    o.calibrated = true;
    let r = parse(&[TD3[0], &read], &o).unwrap();
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.lines[1], TD3[1]);
    assert_eq!(only_repair(&r).to, 'E');
    // Two listed readings about as likely: still ambiguous.
    let near = CharAlternatives {
        line: 1,
        column: 30,
        candidates: vec![('1', 1.0), ('I', 0.05)],
    };
    let mut o = with_alternatives(vec![alt, near]);
    o.calibrated = true;
    let r = parse(&[TD3[0], &read], &o).unwrap();
    assert!(!r.valid, "{:#?}", r.repairs);
}
