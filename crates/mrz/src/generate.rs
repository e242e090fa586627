//! Generation of valid MRZ lines from field values (for tests and for the
//! document image generator): check digits are computed, names are
//! transliterated to `A-Z` with `<` fillers and truncated to the line.
//!
//! ```
//! use kyc_mrz::generate::{td3, DocumentData};
//! use kyc_mrz::Date;
//! let d = DocumentData {
//!     document_code: "P".into(),
//!     issuer: "UTO".into(),
//!     document_number: "L898902C3".into(),
//!     optional1: String::new(),
//!     optional2: String::new(),
//!     birth_date: Date::new(1974, 8, 12).unwrap(),
//!     sex: 'F',
//!     expiry_date: Date::new(2012, 4, 15).unwrap(),
//!     nationality: "UTO".into(),
//!     personal_number: "ZE184226B".into(),
//!     surname: "Eriksson".into(),
//!     given_names: "Anna Maria".into(),
//! };
//! let [l1, l2] = td3(&d).unwrap();
//! assert_eq!(l1, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<");
//! assert_eq!(l2, "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
//! ```

use crate::check::check_char;
use crate::date::{to_yymmdd, Date};
use crate::format::Format;
use std::fmt;

/// The values to encode. Strings are upper-cased; empty strings mean
/// "not used". A field the format has no place for must be empty
/// (`personal_number` is TD3 only, `optional2` TD1 only, `optional1` TD1/TD2 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentData {
    /// 1-2 letters (`P`, `PN`, `I`, `ID`, …); a single letter is padded with `<`.
    pub document_code: String,
    /// Issuing state, 1-3 letters (`KHM`, `D`, …).
    pub issuer: String,
    /// Letters and digits; TD1/TD2 numbers longer than 9 characters
    /// overflow into the optional data (ICAO 9303 Part 5/6).
    pub document_number: String,
    /// Optional data (TD1 line 1, TD2 line 2); spaces become `<`.
    pub optional1: String,
    /// TD1 line 2 optional data.
    pub optional2: String,
    /// Date of birth (written YYMMDD).
    pub birth_date: Date,
    /// `M`, `F`, or `X`/`<` (written `<`).
    pub sex: char,
    /// Date of expiry (written YYMMDD).
    pub expiry_date: Date,
    /// Nationality, 1-3 letters.
    pub nationality: String,
    /// TD3 personal number (optional data); its check digit is `<` when empty.
    pub personal_number: String,
    /// Primary identifier (Latin letters; accented letters are transliterated).
    pub surname: String,
    /// Secondary identifiers, separated by spaces.
    pub given_names: String,
}

/// Why a field cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenerateError {
    /// A character that cannot be written in this field.
    InvalidCharacter {
        /// The field (a [`DocumentData`] member name).
        field: &'static str,
        /// The character.
        found: char,
    },
    /// The value does not fit.
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length after transliteration.
        length: usize,
        /// The most the format allows.
        max: usize,
    },
    /// A required field is empty.
    Empty {
        /// The field.
        field: &'static str,
    },
    /// Sex is not `M`, `F`, `X` or `<`.
    InvalidSex {
        /// The character given.
        found: char,
    },
    /// The field is not empty but the format has no place for it.
    NotInFormat {
        /// The field.
        field: &'static str,
        /// The format.
        format: Format,
    },
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::InvalidCharacter { field, found } => {
                write!(
                    f,
                    "{field}: character {found:?} cannot be written in an MRZ"
                )
            }
            GenerateError::TooLong { field, length, max } => {
                write!(f, "{field}: {length} characters, at most {max} fit")
            }
            GenerateError::Empty { field } => write!(f, "{field} is empty"),
            GenerateError::InvalidSex { found } => {
                write!(f, "sex {found:?} is not M, F, X or <")
            }
            GenerateError::NotInFormat { field, format } => {
                write!(f, "{field} has no place in a {format} MRZ")
            }
        }
    }
}

impl std::error::Error for GenerateError {}

type Result<T> = std::result::Result<T, GenerateError>;

fn pad(mut s: String, width: usize) -> String {
    while s.len() < width {
        s.push('<');
    }
    s
}

/// Upper-cased letters only, 1..=max, padded to `width`.
fn letters(value: &str, field: &'static str, max: usize, width: usize) -> Result<String> {
    let v: String = value.trim().trim_end_matches('<').to_ascii_uppercase();
    if v.is_empty() {
        return Err(GenerateError::Empty { field });
    }
    if let Some(c) = v.chars().find(|c| !c.is_ascii_uppercase()) {
        return Err(GenerateError::InvalidCharacter { field, found: c });
    }
    if v.len() > max {
        return Err(GenerateError::TooLong {
            field,
            length: v.len(),
            max,
        });
    }
    Ok(pad(v, width))
}

/// Optional data: upper case, spaces read as fillers, no leading/trailing fillers.
fn data(value: &str, field: &'static str) -> Result<String> {
    let v: String = value
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' {
                '<'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    let v = v.trim_matches('<').to_string();
    if let Some(c) = v
        .chars()
        .find(|c| !matches!(c, 'A'..='Z' | '0'..='9' | '<'))
    {
        return Err(GenerateError::InvalidCharacter { field, found: c });
    }
    Ok(v)
}

fn fit(v: String, field: &'static str, width: usize) -> Result<String> {
    if v.len() > width {
        return Err(GenerateError::TooLong {
            field,
            length: v.len(),
            max: width,
        });
    }
    Ok(pad(v, width))
}

fn cd(s: &str) -> char {
    // Inputs are validated MRZ characters, so a digit always results.
    check_char(s.as_bytes()).map_or('<', char::from)
}

fn sex(c: char) -> Result<char> {
    match c.to_ascii_uppercase() {
        'M' => Ok('M'),
        'F' => Ok('F'),
        'X' | '<' => Ok('<'),
        _ => Err(GenerateError::InvalidSex { found: c }),
    }
}

fn empty_or(value: &str, field: &'static str, format: Format) -> Result<()> {
    if value.trim().is_empty() {
        Ok(())
    } else {
        Err(GenerateError::NotInFormat { field, format })
    }
}

/// The document number with its check digit in the 9+1 principal
/// positions, and the optional data field (width `opt_width`) holding the
/// overflow of a long number (then `<`) followed by `optional`.
fn number_and_optional(
    number: &str,
    optional: &str,
    opt_width: usize,
    allow_long: bool,
) -> Result<(String, String)> {
    let n = number.trim().to_ascii_uppercase();
    if n.is_empty() {
        return Err(GenerateError::Empty {
            field: "document_number",
        });
    }
    if let Some(c) = n.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(GenerateError::InvalidCharacter {
            field: "document_number",
            found: c,
        });
    }
    let opt = data(optional, "optional1")?;
    if n.len() <= 9 {
        let principal = format!("{}{}", pad(n.clone(), 9), cd(&pad(n, 9)));
        return Ok((principal, fit(opt, "optional1", opt_width)?));
    }
    let max = if allow_long { 9 + opt_width - 1 } else { 9 };
    if n.len() > max {
        return Err(GenerateError::TooLong {
            field: "document_number",
            length: n.len(),
            max,
        });
    }
    let mut tail = format!("{}{}", &n[9..], cd(&n));
    if !opt.is_empty() {
        tail.push('<');
        tail.push_str(&opt);
    }
    if tail.len() > opt_width {
        return Err(GenerateError::TooLong {
            field: "optional1",
            length: opt.len(),
            max: opt_width.saturating_sub(n.len() - 9 + 2),
        });
    }
    Ok((format!("{}<", &n[..9]), pad(tail, opt_width)))
}

/// Transliterates one name part to `A-Z` and `<` (ICAO 9303 Part 3,
/// section 6: recommended transliterations of Latin letters with
/// diacritics; spaces, hyphens and commas become `<`; apostrophes and full
/// stops are dropped).
pub fn transliterate(
    value: &str,
    field: &'static str,
) -> std::result::Result<String, GenerateError> {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let up: String = c.to_uppercase().collect();
        let mapped: &str = match up.as_str() {
            s if s.len() == 1 && s.as_bytes()[0].is_ascii_uppercase() => s,
            " " | "-" | "," | "<" | "\t" => "<",
            "'" | "’" | "." | "`" => "",
            "À" | "Á" | "Â" | "Ã" | "Ā" | "Ă" | "Ą" => "A",
            "Ä" | "Æ" => "AE",
            "Å" => "AA",
            "Ç" | "Ć" | "Ĉ" | "Ċ" | "Č" => "C",
            "Ď" | "Đ" | "Ð" => "D",
            "È" | "É" | "Ê" | "Ë" | "Ē" | "Ĕ" | "Ė" | "Ę" | "Ě" => "E",
            "Ĝ" | "Ğ" | "Ġ" | "Ģ" => "G",
            "Ĥ" | "Ħ" => "H",
            "Ì" | "Í" | "Î" | "Ï" | "Ĩ" | "Ī" | "Ĭ" | "Į" | "İ" | "I" => "I",
            "Ĳ" => "IJ",
            "Ĵ" => "J",
            "Ķ" => "K",
            "Ĺ" | "Ļ" | "Ľ" | "Ŀ" | "Ł" => "L",
            "Ñ" | "Ń" | "Ņ" | "Ň" | "Ŋ" => "N",
            "Ò" | "Ó" | "Ô" | "Õ" | "Ō" | "Ŏ" | "Ő" => "O",
            "Ö" | "Ø" | "Œ" => "OE",
            "Ŕ" | "Ŗ" | "Ř" => "R",
            "Ś" | "Ŝ" | "Ş" | "Š" => "S",
            "SS" | "ẞ" => "SS",
            "Ţ" | "Ť" | "Ŧ" => "T",
            "Þ" => "TH",
            "Ù" | "Ú" | "Û" | "Ũ" | "Ū" | "Ŭ" | "Ů" | "Ű" | "Ų" => "U",
            "Ü" => "UE",
            "Ŵ" => "W",
            "Ý" | "Ÿ" | "Ŷ" => "Y",
            "Ź" | "Ż" | "Ž" => "Z",
            _ => return Err(GenerateError::InvalidCharacter { field, found: c }),
        };
        for m in mapped.chars() {
            if m == '<' && (out.is_empty() || out.ends_with('<')) {
                continue;
            }
            out.push(m);
        }
    }
    Ok(out.trim_end_matches('<').to_string())
}

/// The name field: `SURNAME<<GIVEN<NAMES`, padded with `<` to `width`, or
/// cut at `width` (the boolean tells whether it was truncated).
pub fn name_field(
    surname: &str,
    given_names: &str,
    width: usize,
) -> std::result::Result<(String, bool), GenerateError> {
    let s = transliterate(surname, "surname")?;
    let g = transliterate(given_names, "given_names")?;
    if s.is_empty() {
        return Err(GenerateError::Empty { field: "surname" });
    }
    let mut full = s;
    if !g.is_empty() {
        full.push_str("<<");
        full.push_str(&g);
    }
    let truncated = full.len() > width;
    full.truncate(width);
    Ok((pad(full, width), truncated))
}

/// TD1 (ID card, 3×30).
pub fn td1(d: &DocumentData) -> Result<[String; 3]> {
    empty_or(&d.personal_number, "personal_number", Format::Td1)?;
    let code = letters(&d.document_code, "document_code", 2, 2)?;
    let issuer = letters(&d.issuer, "issuer", 3, 3)?;
    let (principal, opt1) = number_and_optional(&d.document_number, &d.optional1, 15, true)?;
    let l1 = format!("{code}{issuer}{principal}{opt1}");
    let birth = to_yymmdd(d.birth_date);
    let expiry = to_yymmdd(d.expiry_date);
    let nat = letters(&d.nationality, "nationality", 3, 3)?;
    let opt2 = fit(data(&d.optional2, "optional2")?, "optional2", 11)?;
    let head = format!(
        "{birth}{}{}{expiry}{}{nat}{opt2}",
        cd(&birth),
        sex(d.sex)?,
        cd(&expiry)
    );
    let composite = cd(&format!(
        "{}{}{}{}",
        &l1[5..30],
        &head[0..7],
        &head[8..15],
        &head[18..29]
    ));
    let l2 = format!("{head}{composite}");
    let (l3, _) = name_field(&d.surname, &d.given_names, 30)?;
    Ok([l1, l2, l3])
}

/// TD2 (2×36).
pub fn td2(d: &DocumentData) -> Result<[String; 2]> {
    empty_or(&d.personal_number, "personal_number", Format::Td2)?;
    empty_or(&d.optional2, "optional2", Format::Td2)?;
    let code = letters(&d.document_code, "document_code", 2, 2)?;
    let issuer = letters(&d.issuer, "issuer", 3, 3)?;
    let (name, _) = name_field(&d.surname, &d.given_names, 31)?;
    let l1 = format!("{code}{issuer}{name}");
    let (principal, opt1) = number_and_optional(&d.document_number, &d.optional1, 7, true)?;
    let nat = letters(&d.nationality, "nationality", 3, 3)?;
    let birth = to_yymmdd(d.birth_date);
    let expiry = to_yymmdd(d.expiry_date);
    let head = format!(
        "{principal}{nat}{birth}{}{}{expiry}{}{opt1}",
        cd(&birth),
        sex(d.sex)?,
        cd(&expiry)
    );
    let composite = cd(&format!(
        "{}{}{}",
        &head[0..10],
        &head[13..20],
        &head[21..35]
    ));
    Ok([l1, format!("{head}{composite}")])
}

/// TD3 (passport, 2×44). The document number must fit in 9 characters.
pub fn td3(d: &DocumentData) -> Result<[String; 2]> {
    empty_or(&d.optional1, "optional1", Format::Td3)?;
    empty_or(&d.optional2, "optional2", Format::Td3)?;
    let code = letters(&d.document_code, "document_code", 2, 2)?;
    let issuer = letters(&d.issuer, "issuer", 3, 3)?;
    let (name, _) = name_field(&d.surname, &d.given_names, 39)?;
    let l1 = format!("{code}{issuer}{name}");
    let (principal, _) = number_and_optional(&d.document_number, "", 0, false)?;
    let nat = letters(&d.nationality, "nationality", 3, 3)?;
    let birth = to_yymmdd(d.birth_date);
    let expiry = to_yymmdd(d.expiry_date);
    let personal = data(&d.personal_number, "personal_number")?;
    let pcd = if personal.is_empty() {
        '<'
    } else {
        cd(&personal)
    };
    let personal = fit(personal, "personal_number", 14)?;
    let head = format!(
        "{principal}{nat}{birth}{}{}{expiry}{}{personal}{pcd}",
        cd(&birth),
        sex(d.sex)?,
        cd(&expiry)
    );
    let composite = cd(&format!(
        "{}{}{}",
        &head[0..10],
        &head[13..20],
        &head[21..43]
    ));
    Ok([l1, format!("{head}{composite}")])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utopia() -> DocumentData {
        DocumentData {
            document_code: "I".into(),
            issuer: "UTO".into(),
            document_number: "D23145890".into(),
            optional1: String::new(),
            optional2: String::new(),
            birth_date: Date::new(1974, 8, 12).unwrap(),
            sex: 'F',
            expiry_date: Date::new(2012, 4, 15).unwrap(),
            nationality: "UTO".into(),
            personal_number: String::new(),
            surname: "ERIKSSON".into(),
            given_names: "ANNA MARIA".into(),
        }
    }

    #[test]
    fn icao_td1_and_td2_specimens() {
        let d = utopia();
        assert_eq!(
            td1(&d).unwrap(),
            [
                "I<UTOD231458907<<<<<<<<<<<<<<<",
                "7408122F1204159UTO<<<<<<<<<<<6",
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
            ]
        );
        assert_eq!(
            td2(&d).unwrap(),
            [
                "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                "D231458907UTO7408122F1204159<<<<<<<6"
            ]
        );
    }

    #[test]
    fn long_document_number() {
        let d = DocumentData {
            document_number: "D23145890734".into(),
            birth_date: Date::new(1934, 7, 12).unwrap(),
            sex: 'M',
            expiry_date: Date::new(2095, 7, 12).unwrap(),
            surname: "Stevenson".into(),
            given_names: "Peter John".into(),
            ..utopia()
        };
        assert_eq!(
            td1(&d).unwrap(),
            [
                "I<UTOD23145890<7349<<<<<<<<<<<",
                "3407127M9507122UTO<<<<<<<<<<<2",
                "STEVENSON<<PETER<JOHN<<<<<<<<<"
            ]
        );
        let too_long = DocumentData {
            document_number: "D23145890734".into(),
            ..utopia()
        };
        assert!(matches!(td3(&too_long), Err(GenerateError::TooLong { .. })));
    }

    #[test]
    fn transliteration_and_truncation() {
        assert_eq!(
            transliterate("Müller-Lüdenscheidt", "surname").unwrap(),
            "MUELLER<LUEDENSCHEIDT"
        );
        assert_eq!(transliterate("O'Brien", "surname").unwrap(), "OBRIEN");
        assert_eq!(
            transliterate("  Jean  Paul ", "given_names").unwrap(),
            "JEAN<PAUL"
        );
        assert_eq!(transliterate("Straße", "surname").unwrap(), "STRASSE");
        assert!(matches!(
            transliterate("សុខ", "surname"),
            Err(GenerateError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            transliterate("R2D2", "surname"),
            Err(GenerateError::InvalidCharacter { found: '2', .. })
        ));
        let (f, t) =
            name_field("Wolfeschlegelsteinhausenbergerdorff", "Hubert Blaine", 30).unwrap();
        assert!(t);
        assert_eq!(f.len(), 30);
        assert_eq!(f, "WOLFESCHLEGELSTEINHAUSENBERGER");
        let (f, t) = name_field("Sok", "", 30).unwrap();
        assert!(!t);
        assert_eq!(f, format!("SOK{}", "<".repeat(27)));
    }

    #[test]
    fn errors() {
        let bad_sex = DocumentData {
            sex: 'Q',
            ..utopia()
        };
        assert_eq!(td1(&bad_sex), Err(GenerateError::InvalidSex { found: 'Q' }));
        let bad_code = DocumentData {
            issuer: "U1O".into(),
            ..utopia()
        };
        assert!(matches!(
            td1(&bad_code),
            Err(GenerateError::InvalidCharacter {
                field: "issuer",
                ..
            })
        ));
        let personal_in_td1 = DocumentData {
            personal_number: "X".into(),
            ..utopia()
        };
        assert!(matches!(
            td1(&personal_in_td1),
            Err(GenerateError::NotInFormat { .. })
        ));
        let empty = DocumentData {
            surname: " ".into(),
            ..utopia()
        };
        assert_eq!(td1(&empty), Err(GenerateError::Empty { field: "surname" }));
        let long_opt = DocumentData {
            optional2: "ABCDEFGHIJKL".into(),
            ..utopia()
        };
        assert!(matches!(
            td1(&long_opt),
            Err(GenerateError::TooLong {
                field: "optional2",
                ..
            })
        ));
    }
}
