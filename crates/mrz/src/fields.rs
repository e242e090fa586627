//! Field extraction: trimming fillers, names, sex, dates.

use crate::date::{read_mrz_date, Date, DateKind, MrzDate};
use crate::format::{DocNumberLayout, Format, Layout, Pos};
use serde::Serialize;

/// The fields of an MRZ, as read after normalisation and repair.
///
/// Conventions: strings are trimmed of leading and trailing fillers (`<`);
/// fillers *inside* optional data and document numbers are kept as `<`; in
/// names they become spaces. Optional data (`optional1`, `optional2`,
/// `personal_number`) is `None` both when the format has no such field and
/// when the field is empty (all fillers). Dates are `None` when the field
/// is not a valid date or is unknown (all fillers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fields {
    /// Document code, 1-2 letters (`P`, `PN`, `I`, `ID`, `AC`, `V`, …).
    pub document_code: String,
    /// Issuing state or organisation (`KHM`, `UTO`, `D`, …).
    pub issuer: String,
    /// Document number, including the part of a long TD1/TD2 number that
    /// overflows into the optional data (without its check digit).
    pub document_number: String,
    /// Optional data: TD1 line 1 (after a long document number's overflow),
    /// TD2 and visas line 2. `None` for TD3 and when empty.
    pub optional1: Option<String>,
    /// Optional data of TD1 line 2. `None` for other formats and when empty.
    pub optional2: Option<String>,
    /// Date of birth (century inferred from the reference date).
    pub birth_date: Option<Date>,
    /// `"M"`, `"F"` or `"X"` (`X` and `<` both read as `"X"`); `None` if the
    /// character is none of these.
    pub sex: Option<String>,
    /// Date of expiry (always 20YY).
    pub expiry_date: Option<Date>,
    /// Nationality code (`KHM`, `UTO`, `D`, …).
    pub nationality: String,
    /// TD3 personal number (optional data of line 2). `None` for other formats and when empty.
    pub personal_number: Option<String>,
    /// Primary identifier, fillers read as spaces.
    pub surname: String,
    /// Secondary identifier(s), fillers read as spaces.
    pub given_names: String,
}

/// Bytes (already validated as `A-Z0-9<`) as a string.
pub(crate) fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        // Not reached for normalised MRZ bytes (ASCII); kept total anyway.
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Trims leading and trailing fillers.
pub(crate) fn trim_fillers(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&c| c != b'<').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&c| c != b'<')
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

pub(crate) fn trimmed_text(bytes: &[u8]) -> String {
    text(trim_fillers(bytes))
}

fn optional(bytes: &[u8]) -> Option<String> {
    let t = trim_fillers(bytes);
    (!t.is_empty()).then(|| text(t))
}

/// Splits a name field at the first `<<` into surname and given names;
/// fillers become spaces, leading/trailing spaces are trimmed.
pub(crate) fn split_name(field: &[u8]) -> (String, String) {
    let sep = field.windows(2).position(|w| w == b"<<");
    let to_text = |b: &[u8]| -> String {
        let start = b.iter().position(|&c| c != b'<').unwrap_or(b.len());
        let end = b.iter().rposition(|&c| c != b'<').map_or(start, |e| e + 1);
        let spaced: Vec<u8> = b[start..end.max(start)]
            .iter()
            .map(|&c| if c == b'<' { b' ' } else { c })
            .collect();
        text(&spaced)
    };
    match sep {
        Some(i) => (to_text(&field[..i]), to_text(&field[i + 2..])),
        None => (to_text(field), String::new()),
    }
}

/// Start of the trailing filler region of a name field: where, after the
/// surname/given-names separator `<<`, the given names end with another `<<`
/// (or immediately, when the separator is followed by a filler). `None` when
/// there is no separator or no trailing filler (e.g. a truncated name).
pub(crate) fn name_filler_start(field: &[u8]) -> Option<usize> {
    let sep = field.windows(2).position(|w| w == b"<<")?;
    let given = sep + 2;
    if given >= field.len() {
        return None;
    }
    if field[given] == b'<' {
        return Some(given);
    }
    field[given..]
        .windows(2)
        .position(|w| w == b"<<")
        .map(|i| given + i)
}

pub(crate) fn read_sex(c: u8) -> Option<String> {
    match c {
        b'M' => Some("M".into()),
        b'F' => Some("F".into()),
        b'X' | b'<' => Some("X".into()),
        _ => None,
    }
}

pub(crate) fn at(lines: &[Vec<u8>], p: Pos) -> u8 {
    lines
        .get(p.0)
        .and_then(|l| l.get(p.1))
        .copied()
        .unwrap_or(b'<')
}

pub(crate) fn gather(lines: &[Vec<u8>], positions: &[Pos]) -> Vec<u8> {
    positions.iter().map(|&p| at(lines, p)).collect()
}

/// Everything read from the final lines.
#[derive(Debug, Clone)]
pub(crate) struct Extracted {
    pub fields: Fields,
    pub doc: DocNumberLayout,
    pub birth: MrzDate,
    pub expiry: MrzDate,
}

pub(crate) fn extract(
    format: Format,
    layout: &Layout,
    lines: &[Vec<u8>],
    reference: Date,
) -> Extracted {
    let doc = DocNumberLayout::read(layout, lines);
    let birth = read_mrz_date(layout.birth.bytes(lines), DateKind::Birth, reference);
    let expiry = read_mrz_date(layout.expiry.bytes(lines), DateKind::Expiry, reference);
    let (surname, given_names) = split_name(layout.name.bytes(lines));
    let as_date = |d: MrzDate| match d {
        MrzDate::Valid(d) => Some(d),
        _ => None,
    };
    let fields = Fields {
        document_code: trimmed_text(layout.code.bytes(lines)),
        issuer: trimmed_text(layout.issuer.bytes(lines)),
        document_number: trimmed_text(&gather(lines, &doc.positions)),
        optional1: doc.optional_rest.and_then(|s| optional(s.bytes(lines))),
        optional2: layout.optional2.and_then(|s| optional(s.bytes(lines))),
        birth_date: as_date(birth),
        sex: read_sex(at(lines, layout.sex)),
        expiry_date: as_date(expiry),
        nationality: trimmed_text(layout.nationality.bytes(lines)),
        personal_number: layout.personal.and_then(|(s, _)| optional(s.bytes(lines))),
        surname,
        given_names,
    };
    debug_assert!(format.line_count() == lines.len());
    Extracted {
        fields,
        doc,
        birth,
        expiry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming() {
        assert_eq!(trimmed_text(b"<BAD<<<<<"), "BAD");
        assert_eq!(trimmed_text(b"121282<88882<<<"), "121282<88882");
        assert_eq!(trimmed_text(b"<<<<"), "");
        assert_eq!(trimmed_text(b""), "");
        assert_eq!(optional(b"<<<"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            split_name(b"ERIKSSON<<ANNA<MARIA<<<<<<<<<<"),
            ("ERIKSSON".into(), "ANNA MARIA".into())
        );
        assert_eq!(
            split_name(b"<SPECIMEN1<<SPECIMEN2<<BAD<<<<"),
            ("SPECIMEN1".into(), "SPECIMEN2  BAD".into())
        );
        assert_eq!(
            split_name(b"ESPANOLA<ESPANOLA<<CARMEN<<<<<").0,
            "ESPANOLA ESPANOLA"
        );
        assert_eq!(
            split_name(b"SURNAMEONLY"),
            ("SURNAMEONLY".into(), String::new())
        );
    }

    #[test]
    fn filler_start() {
        assert_eq!(name_filler_start(b"ERIKSSON<<ANNA<MARIA<<<K<<"), Some(20));
        assert_eq!(name_filler_start(b"SMITH<<<K<<"), Some(7));
        assert_eq!(name_filler_start(b"SMITH<<JOHN<K"), None);
        assert_eq!(name_filler_start(b"SMITH<<"), None);
        assert_eq!(name_filler_start(b"SMITHJOHN"), None);
    }

    #[test]
    fn sex() {
        assert_eq!(read_sex(b'<').as_deref(), Some("X"));
        assert_eq!(read_sex(b'X').as_deref(), Some("X"));
        assert_eq!(read_sex(b'M').as_deref(), Some("M"));
        assert_eq!(read_sex(b'8'), None);
    }
}
