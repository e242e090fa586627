//! Cambodian rules: `IDKHM` cards with a 9-digit number, the `<` composite
//! of cards issued before about 2016 (valid with a flag, never silently),
//! and passports with document code `PN`. All data is fictional.

mod common;
use common::*;
use kyc_mrz::generate::{td1, td3, DocumentData};
use kyc_mrz::{parse, CheckStatus, Format};

/// A generated Cambodian ID with `<` in the composite position (col 30 of line 2).
fn old_card(d: &DocumentData) -> [String; 3] {
    let mut l = td1(d).unwrap();
    l[1].replace_range(29..30, "<");
    l
}

#[test]
fn current_card_is_strictly_valid() {
    let lines = td1(&khm_id()).unwrap();
    assert!(lines[0].starts_with("IDKHM120345678"));
    let r = run_owned(&lines);
    assert_eq!(r.format, Format::Td1);
    assert!(r.valid && r.valid_strict, "{:?}", r.reasons);
    assert!(!r.has_flag("khm_composite_absent"));
    assert!(!r.has_flag("khm_unexpected_document_number"));
    assert_eq!(r.fields.document_code, "ID");
    assert_eq!(r.fields.issuer, "KHM");
    assert_eq!(r.fields.document_number, "120345678");
    assert_eq!(r.fields.birth_date, Some(date(1988, 11, 2)));
    assert_eq!(r.fields.expiry_date, Some(date(2029, 4, 17)));
    assert_eq!(
        (r.fields.surname.as_str(), r.fields.given_names.as_str()),
        ("CHEA", "SOVANN")
    );
}

#[test]
fn composite_filler_is_valid_with_a_flag() {
    let lines = old_card(&khm_id());
    let r = run_owned(&lines);
    assert!(r.valid, "{:?}", r.reasons);
    assert!(!r.valid_strict, "never strictly valid");
    assert!(r.has_flag("khm_composite_absent"), "{:?}", r.flags);
    let c = r.check("composite").unwrap();
    assert_eq!((c.found, c.status), ('<', CheckStatus::Absent));
    assert!(c.expected.is_some());
    assert!(!c.passes_strict());
    for f in ["document_number", "birth_date", "expiry_date"] {
        assert_eq!(r.check(f).unwrap().status, CheckStatus::Verified, "{f}");
    }
    // Optional data is not protected without a composite.
    assert!(!r.field_verified("optional1"));
    assert!(r.repairs.is_empty());
    // The same without repair.
    let v: Vec<&str> = lines.iter().map(String::as_str).collect();
    let raw = parse(&v, &raw_opts()).unwrap();
    assert!(raw.valid && !raw.valid_strict);
}

#[test]
fn composite_filler_needs_every_field_digit() {
    // A refuted birth-date digit: the exception does not apply.
    let mut lines = old_card(&khm_id());
    let wrong = if &lines[1][6..7] == "3" { "4" } else { "3" };
    lines[1].replace_range(6..7, wrong);
    let v: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = parse(&v, &raw_opts()).unwrap();
    assert!(!r.valid && !r.valid_strict);
    assert!(!r.has_flag("khm_composite_absent"));
    assert!(
        r.reasons.iter().any(|x| x.contains("composite is <")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn composite_filler_is_refuted_for_other_issuers() {
    // The exception is Cambodian: a UTO card with `<` as composite is invalid.
    let mut l = TD1.map(String::from);
    l[1].replace_range(29..30, "<");
    let r = run_owned(&l);
    assert!(!r.valid);
    assert_eq!(r.check("composite").unwrap().status, CheckStatus::Refuted);
    assert!(!r.has_flag("khm_composite_absent"));
    // And a Cambodian passport (TD3) gets no exception either.
    let mut p = td3(&khm_passport()).unwrap();
    p[1].replace_range(43..44, "<");
    let r = run_owned(&p);
    assert!(!r.valid);
    assert_eq!(r.check("composite").unwrap().status, CheckStatus::Refuted);
}

#[test]
fn k_read_for_the_composite_filler() {
    let mut lines = old_card(&khm_id());
    lines[1].replace_range(29..30, "K");
    let r = run_owned(&lines);
    assert!(r.valid && !r.valid_strict, "{:?}", r.reasons);
    assert!(r.has_flag("khm_composite_absent"));
    assert!(r.has_flag("filler_repaired"));
    assert_eq!(r.repairs.len(), 1);
    assert_eq!((r.repairs[0].from, r.repairs[0].to), ('K', '<'));
    assert_eq!(r.repairs[0].field, "composite_check_digit");
}

#[test]
fn card_number_repairs_are_numeric() {
    // S read for 5 and G for 6 in the 9-digit number: both repaired, the
    // check digit confirms.
    let lines = td1(&khm_id()).unwrap();
    let l0 = put(&put(&lines[0], 10, 'S'), 11, 'G');
    assert_eq!(&lines[0][10..12], "56");
    let r = run(&[&l0, &lines[1], &lines[2]]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.fields.document_number, "120345678");
    assert_eq!(r.repairs.len(), 2);
    // A card whose number has a letter that is no look-alike: flagged.
    let odd = DocumentData {
        document_number: "12034567X".into(),
        ..khm_id()
    };
    let r = run_owned(&td1(&odd).unwrap());
    assert!(r.has_flag("khm_unexpected_document_number"));
}

#[test]
fn old_card_with_a_confusion_is_repaired_and_still_flagged() {
    // The `<` composite cannot confirm anything, the field digits can.
    let lines = old_card(&khm_id());
    let l1 = put(&lines[1], 2, 'I');
    assert_eq!(&lines[1][2..3], "1");
    let r = run(&[&lines[0], &l1, &lines[2]]);
    assert!(r.valid && !r.valid_strict, "{:?}", r.reasons);
    assert!(r.has_flag("khm_composite_absent"));
    assert_eq!(r.repairs.len(), 1);
    assert_eq!(r.fields.birth_date, Some(date(1988, 11, 2)));
}

#[test]
fn passport_with_pn_code() {
    let lines = td3(&khm_passport()).unwrap();
    assert!(lines[0].starts_with("PNKHMLIM<<SREYNEANG"));
    let r = run_owned(&lines);
    assert_eq!(r.format, Format::Td3);
    assert!(r.valid && r.valid_strict, "{:?}", r.reasons);
    assert_eq!(r.fields.document_code, "PN");
    assert_eq!(r.fields.document_number, "N04561238");
    assert_eq!(r.fields.personal_number.as_deref(), Some("N0123987654"));
    assert_eq!(
        r.check("personal_number").unwrap().status,
        CheckStatus::Verified
    );
    assert!(!r.has_flag("khm_unexpected_document_number"));
}

#[test]
fn passport_number_digits_repaired_by_profile() {
    // `N` + 8 digits: O read for 0 after the N.
    let lines = td3(&khm_passport()).unwrap();
    let bad = put(&lines[1], 1, 'O');
    assert_eq!(&lines[1][1..2], "0");
    let r = run(&[&lines[0], &bad]);
    assert!(r.valid, "{:?}", r.reasons);
    assert_eq!(r.fields.document_number, "N04561238");
    assert_eq!(r.repairs.len(), 1);
    assert_eq!(r.repairs[0].field, "document_number");
}

#[test]
fn document_codes_are_not_hard_coded() {
    // Any 1-2 letter code parses; visas are told apart by `V`.
    for code in ["P", "PN", "PO", "PD", "I", "ID", "IR", "AC", "C"] {
        let d = DocumentData {
            document_code: code.into(),
            ..khm_passport()
        };
        let r = run_owned(&td3(&d).unwrap());
        assert!(r.valid, "{code}: {:?}", r.reasons);
        assert_eq!(r.fields.document_code, code);
        let d = DocumentData {
            document_code: code.into(),
            document_number: "AB1234567".into(),
            ..khm_id()
        };
        let r = run_owned(&td1(&d).unwrap());
        assert!(r.valid, "{code}: {:?}", r.reasons);
        assert_eq!(r.fields.document_code, code);
    }
}
