//! The result of parsing: fields, per-check-digit evidence, repairs, flags
//! and the overall verdict.

use crate::fields::Fields;
use crate::format::Format;
use serde::Serialize;

/// Evidence from one check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The check digit matches the field.
    Verified,
    /// The check digit does not match (or a required digit is a filler or a letter).
    Refuted,
    /// The position holds `<` where the rules allow it: the TD3 personal-number
    /// check digit when the personal number is empty (ICAO 9303 Part 4), or the
    /// composite of a Cambodian ID card issued before about 2016 (accepted
    /// only with the flag `khm_composite_absent`, and never as strictly valid).
    Absent,
}

/// One check digit and what it says about its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `document_number`, `birth_date`, `expiry_date`, `personal_number` or `composite`.
    pub field: String,
    /// The digit computed from the field as read (after repairs).
    pub expected: Option<char>,
    /// The character in the check-digit position.
    pub found: char,
    /// Verified, refuted or absent.
    pub status: CheckStatus,
}

impl Check {
    /// Whether this check passes under ICAO 9303 alone (a verified digit, or
    /// a permitted filler for an empty personal number; the Cambodian
    /// composite exception does not count).
    pub fn passes_strict(&self) -> bool {
        match self.status {
            CheckStatus::Verified => true,
            CheckStatus::Absent => self.field != "composite",
            CheckStatus::Refuted => false,
        }
    }
}

/// One character changed by the repair stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// 0-based line of the normalised MRZ (as in [`MrzReport::lines`]).
    pub line: usize,
    /// 0-based column.
    pub column: usize,
    /// The character read.
    pub from: char,
    /// The character it was replaced with.
    pub to: char,
    /// The field it belongs to (`birth_date`, `birth_date_check_digit`,
    /// `document_number`, `nationality`, `name`, …).
    pub field: String,
    /// Why, including what confirmed it (a check digit) or that nothing could.
    pub reason: String,
}

/// The full result of reading an MRZ.
///
/// `valid` is the overall verdict: every check digit verified (or a
/// permitted filler), real dates, a valid sex, valid issuer and nationality
/// codes *as read*, no digits in names *as read*. A repair confirmed by check
/// digits keeps a result valid (flag `repaired`), and so does `K` read for `<`
/// where the structure makes it certain (flag `filler_repaired`); a
/// look-alike repair of a field that no check digit protects (issuer,
/// nationality, sex, names) is reported as an unverified suggestion (flags
/// `unverified_issuer`, `unverified_nationality`, `unverified_sex`,
/// `unverified_name`) and never makes the result valid. `valid_strict` is `valid` without the Cambodian
/// composite exception. Whether the document has expired is not part of the
/// verdict (flag `expired`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MrzReport {
    /// The detected format.
    pub format: Format,
    /// Overall verdict (see the type documentation).
    pub valid: bool,
    /// `valid` under ICAO 9303 alone (false for a Cambodian ID accepted with `<` as composite).
    pub valid_strict: bool,
    /// snake_case flags: normalisations, repairs, structure and policy notes.
    ///
    /// * normalisation: `lowercase_normalised`, `normalised_guillemets`,
    ///   `spaces_removed`, `line_trimmed`, `line_padded`, `lines_split`;
    /// * repair: `repaired` (any repair), `filler_repaired` (`K` read for `<`),
    ///   `name_repaired`, `document_code_repaired`, `repair_ambiguous`,
    ///   `repair_rejected_by_composite`;
    /// * unprotected fields not valid as read: `unverified_issuer`,
    ///   `unverified_nationality`, `unverified_sex`, `unverified_name`;
    /// * field problems: `invalid_birth_date`, `invalid_expiry_date`,
    ///   `invalid_sex`, `birth_date_unknown`, `expiry_date_unknown`;
    /// * structure and policy: `long_document_number`, `name_truncated`,
    ///   `expired` (not part of the verdict), `khm_composite_absent`
    ///   (Cambodian ID accepted with `<` as composite),
    ///   `khm_unexpected_document_number`.
    pub flags: Vec<String>,
    /// Human-readable reasons why `valid` is false (empty when valid).
    pub reasons: Vec<String>,
    /// Every character the repair stage changed.
    pub repairs: Vec<Repair>,
    /// One entry per check digit of the format, in MRZ order.
    pub checks: Vec<Check>,
    /// The fields.
    pub fields: Fields,
    /// Names of the fields (keys of [`Fields`]) protected by a verified check
    /// digit: `document_number`, `birth_date`, `expiry_date`,
    /// `personal_number`, `optional1`, `optional2` (the last two through the composite).
    pub verified_fields: Vec<String>,
    /// The MRZ lines after normalisation and repair.
    pub lines: Vec<String>,
}

impl MrzReport {
    /// Whether the field named `name` (a key of [`Fields`]) is protected by a
    /// verified check digit. Always false for `document_code`, `issuer`,
    /// `nationality`, `sex`, `surname` and `given_names`, which no check digit covers.
    pub fn field_verified(&self, name: &str) -> bool {
        self.verified_fields.iter().any(|f| f == name)
    }

    /// Whether `flag` was raised.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The check for `field` (`document_number`, `birth_date`, `expiry_date`,
    /// `personal_number`, `composite`), if the format has it.
    pub fn check(&self, field: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.field == field)
    }
}
