//! The submitted ID card as a reference source: its portrait, the fields read
//! from it (MRZ and front), and the checks a kiosk wants before it spends a
//! call to MOI (expired card, impossible dates, MRZ not verified).

use crate::api::{Gender, UserInfo};
use crate::matching::{ReferenceKind, ReferenceRecord};
use crate::reference::Reference;
use kyc_face::FaceAnalysis;
use kyc_mrz::Date;
use serde::Serialize;
use serde_json::{json, Value};

/// One pre-MOI check on a document or on the submitted fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentCheck {
    /// `mrz_verified`, `not_expired`, `dates_possible`.
    pub check: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was compared.
    pub detail: String,
}

/// The identity fields read from a card, with their evidence.
#[derive(Debug, Clone)]
pub struct CardReading {
    /// The fields, as a reference record (names flagged as OCR'd / truncated).
    pub record: ReferenceRecord,
    /// The MRZ evidence, when an MRZ was read.
    pub mrz: Option<kyc_ocr::MrzEvidence>,
    /// Everything else the reader reports (per-field evidence, timings).
    pub evidence: Value,
}

/// What the engine knows about the submitted ID card.
#[derive(Debug, Clone)]
pub(crate) struct CardEvidence {
    /// The portrait.
    pub face: FaceAnalysis,
    /// The fields, or why they could not be read.
    pub reading: Result<CardReading, String>,
    /// Checks on the card.
    pub checks: Vec<DocumentCheck>,
}

impl CardEvidence {
    pub(crate) fn new(
        face: FaceAnalysis,
        reading: Result<CardReading, String>,
        today: Date,
    ) -> Self {
        let checks = match &reading {
            Ok(r) => reading_checks(&r.record, r.mrz.as_ref(), today),
            Err(_) => Vec::new(),
        };
        Self {
            face,
            reading,
            checks,
        }
    }

    /// The card as a reference: its fields (empty when unread). Its portrait
    /// is not a reference photo (that is `faceDocumentScore`), so `face` is `None`.
    pub(crate) fn reference(&self) -> Reference {
        Reference {
            record: self
                .reading
                .as_ref()
                .map(|r| r.record.clone())
                .unwrap_or_default(),
            face: None,
            kind: ReferenceKind::Document,
        }
    }

    /// The extension object's view (never the embedding or the names).
    pub(crate) fn to_json(&self) -> Value {
        let reading = match &self.reading {
            Ok(r) => json!({
                "read": true,
                "evidence": r.evidence,
            }),
            Err(reason) => json!({"read": false, "reason": reason}),
        };
        json!({
            "face": crate::engine::face_json(&self.face),
            "fields": reading,
            "checks": self.checks,
        })
    }
}

/// The checks on what was read from a document: the MRZ verdict, expiry
/// and date plausibility.
pub fn reading_checks(
    record: &ReferenceRecord,
    mrz: Option<&kyc_ocr::MrzEvidence>,
    today: Date,
) -> Vec<DocumentCheck> {
    let mut checks = Vec::new();
    if let Some(mrz) = mrz {
        checks.push(mrz_check(mrz));
    }
    checks.extend(date_checks(
        record.dob,
        record.issued_date,
        record.expired_date,
        today,
    ));
    checks
}

/// Whether the MRZ's check digits verified, as a document check.
pub fn mrz_check(mrz: &kyc_ocr::MrzEvidence) -> DocumentCheck {
    let composite_flag = mrz.flags.iter().any(|f| f == "khm_composite_absent");
    DocumentCheck {
        check: "mrz_verified",
        passed: mrz.valid,
        detail: if mrz.valid && composite_flag {
            "every check digit verified; composite absent (Cambodian card issued before about 2016)"
                .into()
        } else if mrz.valid {
            "every check digit verified".into()
        } else {
            mrz.reasons.join("; ")
        },
    }
}

/// Checks on the submitted fields (a kiosk can reject before calling MOI).
pub fn submitted_checks(user: &UserInfo, today: Date) -> Vec<DocumentCheck> {
    date_checks(user.dob, user.issued_date, user.expired_date, today)
}

/// Expiry and plausibility of a document's dates.
pub fn date_checks(
    dob: Option<Date>,
    issued: Option<Date>,
    expiry: Option<Date>,
    today: Date,
) -> Vec<DocumentCheck> {
    let mut out = Vec::new();
    if let Some(expiry) = expiry {
        out.push(DocumentCheck {
            check: "not_expired",
            passed: expiry >= today,
            detail: format!("expires {expiry}, today {today}"),
        });
    }
    let mut problems = Vec::new();
    if let Some(dob) = dob {
        if dob > today {
            problems.push(format!("birth date {dob} is in the future"));
        }
    }
    if let (Some(dob), Some(issued)) = (dob, issued) {
        if issued < dob {
            problems.push(format!("issued {issued} before birth {dob}"));
        }
    }
    if let (Some(issued), Some(expiry)) = (issued, expiry) {
        if expiry <= issued {
            problems.push(format!("expires {expiry} before it was issued {issued}"));
        }
    }
    if let Some(issued) = issued {
        if issued > today {
            problems.push(format!("issued {issued} in the future"));
        }
    }
    if dob.is_some() || issued.is_some() || expiry.is_some() {
        out.push(DocumentCheck {
            check: "dates_possible",
            passed: problems.is_empty(),
            detail: if problems.is_empty() {
                "consistent".into()
            } else {
                problems.join("; ")
            },
        });
    }
    out
}

/// The identity fields an ID card reading gives, as a reference record:
/// only values the reader stands behind (a `null` field stays unknown).
/// Khmer names are OCR'd (compared with tolerance); the MRZ's Latin names
/// may be truncated.
pub fn record_from_id_card(reading: &kyc_ocr::IdCardReading) -> ReferenceRecord {
    let text = |f: &kyc_ocr::Field| f.value.clone().filter(|v| !v.trim().is_empty());
    let date = |f: &kyc_ocr::Field| f.value.as_deref().and_then(Date::from_iso);
    ReferenceRecord {
        id_number: text(&reading.id_number),
        first_name_kh: text(&reading.first_name_kh),
        last_name_kh: text(&reading.last_name_kh),
        first_name_en: text(&reading.first_name_en),
        last_name_en: text(&reading.last_name_en),
        gender: match reading.gender.value.as_deref() {
            Some("M") => Some(Gender::M),
            Some("F") => Some(Gender::F),
            _ => None,
        },
        dob: date(&reading.dob),
        issued_date: date(&reading.issued_date),
        expired_date: date(&reading.expired_date),
        latin_names_truncated: reading.mrz.flags.iter().any(|f| f == "name_truncated")
            || reading.mrz_lines[2]
                .value
                .as_deref()
                .is_some_and(|l| !l.ends_with('<')),
        khmer_names_ocr: true,
    }
}

/// The evidence of an ID card reading for the extension object: per field,
/// whether a check digit verified it, its source and the reason when null.
pub fn id_card_evidence(reading: &kyc_ocr::IdCardReading) -> Value {
    let f = |field: &kyc_ocr::Field| json!({"verified_by_check_digit": field.verified_by_check_digit, "source": field.source, "reason": field.reason});
    json!({
        "fields": {
            "idNumber": f(&reading.id_number), "firstNameKh": f(&reading.first_name_kh),
            "lastNameKh": f(&reading.last_name_kh), "firstNameEn": f(&reading.first_name_en),
            "lastNameEn": f(&reading.last_name_en), "gender": f(&reading.gender), "dob": f(&reading.dob),
            "issuedDate": f(&reading.issued_date), "expiredDate": f(&reading.expired_date),
            "MRZ1": f(&reading.mrz_lines[0]), "MRZ2": f(&reading.mrz_lines[1]), "MRZ3": f(&reading.mrz_lines[2]),
        },
        "mrz": reading.mrz,
        "printed_id_number_matches": reading.printed_id_number.as_ref().map(|p| Some(p) == reading.id_number.value.as_ref()),
        "printed_name_matches": reading.printed_name_matches,
    })
}

/// The card's checks followed by the submitted data's: a submitted check
/// that says the same as the card's is dropped, one that differs is named
/// `submitted_<check>` so that the two can be told apart.
pub fn merge_checks(card: &[DocumentCheck], submitted: Vec<DocumentCheck>) -> Vec<DocumentCheck> {
    let mut out = card.to_vec();
    for c in submitted {
        if card.contains(&c) {
            continue;
        }
        let check = if card.iter().any(|k| k.check == c.check) {
            match c.check {
                "not_expired" => "submitted_not_expired",
                "dates_possible" => "submitted_dates_possible",
                other => other,
            }
        } else {
            c.check
        };
        out.push(DocumentCheck { check, ..c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Date> {
        Date::from_iso(s)
    }

    #[test]
    fn expired_card_fails_not_expired() {
        let today = d("2026-11-23").unwrap();
        let c = date_checks(d("1990-01-01"), d("2015-01-01"), d("2025-01-01"), today);
        assert!(!c.iter().find(|c| c.check == "not_expired").unwrap().passed);
        assert!(
            c.iter()
                .find(|c| c.check == "dates_possible")
                .unwrap()
                .passed
        );
    }

    #[test]
    fn impossible_dates_are_reported() {
        let today = d("2026-11-23").unwrap();
        let c = date_checks(d("2030-01-01"), d("2020-01-01"), d("2019-01-01"), today);
        let possible = c.iter().find(|c| c.check == "dates_possible").unwrap();
        assert!(!possible.passed);
        assert!(possible.detail.contains("future"));
        assert!(possible.detail.contains("before it was issued"));
    }

    #[test]
    fn no_dates_no_checks() {
        assert!(date_checks(None, None, None, d("2026-11-23").unwrap()).is_empty());
    }

    #[test]
    fn merged_checks_say_each_thing_once() {
        let check = |check, passed, detail: &str| DocumentCheck {
            check,
            passed,
            detail: detail.into(),
        };
        let card = vec![
            check("mrz_verified", true, "every check digit verified"),
            check("not_expired", true, "expires 2031-01-13"),
        ];
        let submitted = vec![
            check("not_expired", false, "expires 2020-01-13"),
            check("dates_possible", true, "consistent"),
        ];
        let merged = merge_checks(&card, submitted);
        let names: Vec<&str> = merged.iter().map(|c| c.check).collect();
        assert_eq!(
            names,
            [
                "mrz_verified",
                "not_expired",
                "submitted_not_expired",
                "dates_possible"
            ]
        );
        assert_eq!(merge_checks(&card, card.clone()), card);
    }
}
