//! `info` matching: which submitted fields agree with a reference record.
//!
//! Rules, one per field type (each has a test):
//! - **ID number**: exact, after trimming (the MRZ's 9 digits vs the submitted string).
//! - **Latin names**: case- and space-insensitive; hyphens, apostrophes and
//!   dots count as spaces (the MRZ writes them as `<` fillers); when the
//!   reference comes from an MRZ whose name was truncated to fit the line,
//!   a submitted name that starts with the reference matches.
//! - **Khmer names**: Unicode NFC, zero-width characters (U+200B–U+200D,
//!   U+2060, U+FEFF) and spaces removed, then exact — unless the reference was
//!   OCR'd from a card, in which case a character similarity (1 − normalised
//!   Levenshtein distance) of at least [`KHMER_OCR_MIN_SIMILARITY`] matches,
//!   because Khmer OCR drops vowel signs (measured CER 0.14–0.27). The
//!   similarity is reported either way.
//! - **Gender**: `M`/`F` equality. **Dates**: calendar-date equality.

use crate::api::{Gender, UserInfo};
use kyc_mrz::Date;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// Minimum similarity for a Khmer name against an OCR'd reference.
pub const KHMER_OCR_MIN_SIMILARITY: f64 = 0.8;

/// Where a reference record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// Read from the submitted ID card (MRZ + OCR of the front).
    Document,
    /// The local reference store.
    Store,
    /// The upstream (CamDX / MOI) service.
    Upstream,
}

/// An identity record to compare a request against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceRecord {
    pub id_number: Option<String>,
    pub first_name_kh: Option<String>,
    pub last_name_kh: Option<String>,
    pub first_name_en: Option<String>,
    pub last_name_en: Option<String>,
    pub gender: Option<Gender>,
    pub dob: Option<Date>,
    pub issued_date: Option<Date>,
    pub expired_date: Option<Date>,
    /// The Latin names come from an MRZ that truncated them.
    pub latin_names_truncated: bool,
    /// The Khmer names were OCR'd (tolerate OCR errors).
    pub khmer_names_ocr: bool,
}

/// The verdict on one submitted field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldCheck {
    /// Request field name (`firstNameKh`, `dob`, ...).
    pub field: &'static str,
    /// `match`, `mismatch` or `unavailable` (the reference lacks the field).
    pub result: FieldResult,
    /// The rule applied.
    pub rule: &'static str,
    /// For Khmer names: the character similarity in [0,1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

/// Outcome of one field comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldResult {
    Match,
    Mismatch,
    /// The reference cannot say: counted as not matching, reported separately.
    Unavailable,
}

/// `info`'s answer: score, incorrect fields, and per-field evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoMatch {
    /// Matching fields / submitted fields (1 when only the ID number was submitted and it matches).
    pub score: f64,
    /// Submitted fields that did not match (request names, API order).
    pub incorrect_fields: Vec<String>,
    /// Every submitted field's verdict.
    pub checks: Vec<FieldCheck>,
}

/// Compares the submitted fields with a reference record.
///
/// The ID number is part of the score: it is a submitted field like the others.
pub fn match_user_info(submitted: &UserInfo, reference: &ReferenceRecord) -> InfoMatch {
    let mut checks = Vec::new();
    let id_result = match &reference.id_number {
        None => FieldResult::Unavailable,
        Some(r) if r.trim() == submitted.id_number.trim() => FieldResult::Match,
        Some(_) => FieldResult::Mismatch,
    };
    checks.push(FieldCheck {
        field: "idNumber",
        result: id_result,
        rule: "exact",
        similarity: None,
    });
    let latin = |field, s: &Option<String>, r: &Option<String>| {
        s.as_ref().map(|s| FieldCheck {
            field,
            result: compare(
                r.as_ref()
                    .map(|r| latin_name_matches(s, r, reference.latin_names_truncated)),
            ),
            rule: if reference.latin_names_truncated {
                "latin_name_prefix_of_truncated_mrz"
            } else {
                "latin_name_case_space_insensitive"
            },
            similarity: None,
        })
    };
    let khmer = |field, s: &Option<String>, r: &Option<String>| {
        s.as_ref().map(|s| match r {
            None => FieldCheck {
                field,
                result: FieldResult::Unavailable,
                rule: "khmer_nfc",
                similarity: None,
            },
            Some(r) => {
                let sim = khmer_similarity(s, r);
                let ok = if reference.khmer_names_ocr {
                    sim >= KHMER_OCR_MIN_SIMILARITY
                } else {
                    sim == 1.0
                };
                FieldCheck {
                    field,
                    result: if ok {
                        FieldResult::Match
                    } else {
                        FieldResult::Mismatch
                    },
                    rule: if reference.khmer_names_ocr {
                        "khmer_nfc_ocr_tolerant"
                    } else {
                        "khmer_nfc_exact"
                    },
                    similarity: Some((sim * 1000.0).round() / 1000.0),
                }
            }
        })
    };
    let exact = |field, rule, s: Option<String>, r: Option<String>| {
        s.map(|s| FieldCheck {
            field,
            result: compare(r.map(|r| r == s)),
            rule,
            similarity: None,
        })
    };
    let date = |d: Option<Date>| d.map(|d| d.to_string());
    let gender = |g: Option<Gender>| g.map(|g| g.as_str().to_string());
    checks.extend(
        [
            khmer(
                "firstNameKh",
                &submitted.first_name_kh,
                &reference.first_name_kh,
            ),
            khmer(
                "lastNameKh",
                &submitted.last_name_kh,
                &reference.last_name_kh,
            ),
            latin(
                "firstNameEn",
                &submitted.first_name_en,
                &reference.first_name_en,
            ),
            latin(
                "lastNameEn",
                &submitted.last_name_en,
                &reference.last_name_en,
            ),
            exact(
                "gender",
                "equal",
                gender(submitted.gender),
                gender(reference.gender),
            ),
            exact("dob", "same_date", date(submitted.dob), date(reference.dob)),
            exact(
                "issuedDate",
                "same_date",
                date(submitted.issued_date),
                date(reference.issued_date),
            ),
            exact(
                "expiredDate",
                "same_date",
                date(submitted.expired_date),
                date(reference.expired_date),
            ),
        ]
        .into_iter()
        .flatten(),
    );
    let matched = checks
        .iter()
        .filter(|c| c.result == FieldResult::Match)
        .count();
    let score = matched as f64 / checks.len() as f64;
    InfoMatch {
        score,
        incorrect_fields: checks
            .iter()
            .filter(|c| c.result != FieldResult::Match)
            .map(|c| c.field.to_string())
            .collect(),
        checks,
    }
}

fn compare(result: Option<bool>) -> FieldResult {
    match result {
        None => FieldResult::Unavailable,
        Some(true) => FieldResult::Match,
        Some(false) => FieldResult::Mismatch,
    }
}

/// Latin name key: upper case, `-'.,<` as spaces, runs of spaces collapsed.
pub fn latin_name_key(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c {
            '-' | '\'' | '.' | ',' | '<' | '_' => ' ',
            c => c,
        })
        .flat_map(char::to_uppercase)
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a submitted Latin name matches a reference name.
pub fn latin_name_matches(submitted: &str, reference: &str, reference_truncated: bool) -> bool {
    let s = latin_name_key(submitted);
    let r = latin_name_key(reference);
    if s == r {
        return true;
    }
    // Spaces are insignificant ("SOK DARA" vs "SOKDARA" after an OCR merge).
    let s_compact: String = s.chars().filter(|c| *c != ' ').collect();
    let r_compact: String = r.chars().filter(|c| *c != ' ').collect();
    if s_compact == r_compact {
        return true;
    }
    reference_truncated && !r_compact.is_empty() && s_compact.starts_with(&r_compact)
}

/// Khmer name key: NFC, zero-width characters and all whitespace removed.
pub fn khmer_name_key(name: &str) -> String {
    name.nfc()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
            )
        })
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// 1 − Levenshtein distance / longer length, over Khmer name keys (chars).
pub fn khmer_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = khmer_name_key(a).chars().collect();
    let b: Vec<char> = khmer_name_key(b).chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - levenshtein(&a, &b) as f64 / longest as f64
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> ReferenceRecord {
        ReferenceRecord {
            id_number: Some("010682723".into()),
            first_name_kh: Some("ដារា".into()),
            last_name_kh: Some("សុខ".into()),
            first_name_en: Some("DARA".into()),
            last_name_en: Some("SOK".into()),
            gender: Some(Gender::M),
            dob: Date::new(1990, 1, 1),
            issued_date: Date::new(2020, 6, 9),
            expired_date: Date::new(2030, 6, 8),
            latin_names_truncated: false,
            khmer_names_ocr: false,
        }
    }

    fn submitted() -> UserInfo {
        UserInfo {
            id_number: "010682723".into(),
            first_name_kh: Some("ដារា".into()),
            last_name_kh: Some("សុខ".into()),
            first_name_en: Some("Dara".into()),
            last_name_en: Some("sok".into()),
            gender: Some(Gender::M),
            dob: Date::new(1990, 1, 1),
            issued_date: Date::new(2020, 6, 9),
            expired_date: Date::new(2030, 6, 8),
        }
    }

    #[test]
    fn all_fields_match_gives_score_one() {
        let m = match_user_info(&submitted(), &reference());
        assert_eq!(m.score, 1.0);
        assert!(m.incorrect_fields.is_empty());
        assert_eq!(m.checks.len(), 9);
    }

    #[test]
    fn score_is_share_of_submitted_fields() {
        let mut s = submitted();
        s.dob = Date::new(1990, 1, 2);
        s.first_name_kh = None;
        s.last_name_kh = None;
        let m = match_user_info(&s, &reference());
        assert_eq!(m.checks.len(), 7);
        assert!((m.score - 6.0 / 7.0).abs() < 1e-12);
        assert_eq!(m.incorrect_fields, vec!["dob"]);
    }

    #[test]
    fn id_number_is_exact() {
        let mut s = submitted();
        s.id_number = "010682724".into();
        let m = match_user_info(&s, &reference());
        assert_eq!(m.incorrect_fields, vec!["idNumber"]);
    }

    #[test]
    fn latin_names_ignore_case_spaces_and_fillers() {
        assert!(latin_name_matches("Anna Maria", "ANNA<MARIA", false));
        assert!(latin_name_matches("  sok  ", "SOK", false));
        assert!(latin_name_matches("Jean-Pierre", "JEAN PIERRE", false));
        assert!(latin_name_matches("SOKDARA", "SOK DARA", false));
        assert!(!latin_name_matches("DARA", "DARO", false));
    }

    #[test]
    fn truncated_mrz_names_match_by_prefix_only_when_truncated() {
        assert!(latin_name_matches(
            "CHANTHAVONGSAVATH",
            "CHANTHAVONGS",
            true
        ));
        assert!(!latin_name_matches(
            "CHANTHAVONGSAVATH",
            "CHANTHAVONGS",
            false
        ));
        assert!(!latin_name_matches("CHAN", "CHANTHAVONGS", true));
    }

    #[test]
    fn khmer_names_normalise_nfc_and_zero_width() {
        // Zero-width space and joiner inserted, plus a decomposed-vs-composed form.
        assert_eq!(khmer_similarity("សុ\u{200B}ខ", "សុខ"), 1.0);
        assert_eq!(khmer_similarity("ដា\u{200D}រា ", "ដារា"), 1.0);
        let m = match_user_info(
            &UserInfo {
                last_name_kh: Some("សុ\u{200C}ខ".into()),
                ..submitted()
            },
            &reference(),
        );
        assert_eq!(m.score, 1.0);
    }

    #[test]
    fn khmer_ocr_tolerance_applies_only_to_ocr_references() {
        // OCR dropped a vowel sign: ស្រី -> ស្រ (similarity 0.75) and កម្ពុជា -> កម្ពជា (0.857).
        let mut r = reference();
        r.first_name_kh = Some("កម្ពជា".into());
        let s = UserInfo {
            first_name_kh: Some("កម្ពុជា".into()),
            ..submitted()
        };
        let strict = match_user_info(&s, &r);
        assert_eq!(strict.incorrect_fields, vec!["firstNameKh"]);
        r.khmer_names_ocr = true;
        let tolerant = match_user_info(&s, &r);
        assert!(tolerant.incorrect_fields.is_empty());
        let check = tolerant
            .checks
            .iter()
            .find(|c| c.field == "firstNameKh")
            .unwrap();
        assert_eq!(check.similarity, Some(0.857));
        // A different name is still a mismatch.
        let other = UserInfo {
            first_name_kh: Some("សុភា".into()),
            ..submitted()
        };
        assert_eq!(
            match_user_info(&other, &r).incorrect_fields,
            vec!["firstNameKh"]
        );
    }

    #[test]
    fn dates_compare_as_dates_and_gender_as_gender() {
        let mut s = submitted();
        s.gender = Some(Gender::F);
        s.expired_date = Date::new(2030, 6, 9);
        let m = match_user_info(&s, &reference());
        assert_eq!(m.incorrect_fields, vec!["gender", "expiredDate"]);
    }

    #[test]
    fn fields_the_reference_lacks_are_unavailable_and_not_matching() {
        let mut r = reference();
        r.issued_date = None;
        let m = match_user_info(&submitted(), &r);
        let c = m.checks.iter().find(|c| c.field == "issuedDate").unwrap();
        assert_eq!(c.result, FieldResult::Unavailable);
        assert_eq!(m.incorrect_fields, vec!["issuedDate"]);
    }
}
