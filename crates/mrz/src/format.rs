//! MRZ formats and their field layouts (ICAO Doc 9303 Parts 4-7).

use serde::Serialize;
use std::fmt;

/// The MRZ format, detected from the line count, the line length and (for
/// visas) the first character of the document code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// ID-1 size (ID cards): 3 lines of 30 characters.
    #[serde(rename = "TD1")]
    Td1,
    /// ID-2 size: 2 lines of 36 characters.
    #[serde(rename = "TD2")]
    Td2,
    /// ID-3 size (passport books): 2 lines of 44 characters.
    #[serde(rename = "TD3")]
    Td3,
    /// Machine readable visa, type A: 2 lines of 44 characters, code starting with `V`.
    #[serde(rename = "MRVA")]
    MrvA,
    /// Machine readable visa, type B: 2 lines of 36 characters, code starting with `V`.
    #[serde(rename = "MRVB")]
    MrvB,
}

impl Format {
    /// Number of lines (3 for TD1, 2 otherwise).
    pub fn line_count(self) -> usize {
        match self {
            Format::Td1 => 3,
            _ => 2,
        }
    }

    /// Characters per line (30, 36 or 44).
    pub fn line_length(self) -> usize {
        match self {
            Format::Td1 => 30,
            Format::Td2 | Format::MrvB => 36,
            Format::Td3 | Format::MrvA => 44,
        }
    }

    /// The name used in reports: `TD1`, `TD2`, `TD3`, `MRVA` or `MRVB`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Td1 => "TD1",
            Format::Td2 => "TD2",
            Format::Td3 => "TD3",
            Format::MrvA => "MRVA",
            Format::MrvB => "MRVB",
        }
    }

    /// Which characters each position may hold (per line, per column), by
    /// the layout: names and state codes hold letters, dates digits, check
    /// digits digits (or a filler where ICAO allows one), the sex one of
    /// `MFX<`; the rest (document code's second character, document number,
    /// optional data) anything. A recogniser can read a position as the
    /// best character of its class.
    pub fn char_classes(self) -> Vec<Vec<CharClass>> {
        let l = self.layout();
        let mut classes = vec![vec![CharClass::Any; self.line_length()]; self.line_count()];
        let mut set = |p: Pos, c: CharClass| {
            if let Some(slot) = classes.get_mut(p.0).and_then(|line| line.get_mut(p.1)) {
                *slot = c;
            }
        };
        set((l.code.line, l.code.start), CharClass::Letter);
        for span in [l.issuer, l.nationality, l.name] {
            span.positions().for_each(|p| set(p, CharClass::Letter));
        }
        for span in [l.birth, l.expiry] {
            span.positions()
                .for_each(|p| set(p, CharClass::DigitOrFiller));
        }
        // A document number longer than 9 characters leaves `<` in its
        // check digit's place; an empty personal number may have `<`.
        set(l.doc_cd, CharClass::DigitOrFiller);
        set(l.birth_cd, CharClass::Digit);
        set(l.expiry_cd, CharClass::Digit);
        if let Some((_, cd)) = l.personal {
            set(cd, CharClass::DigitOrFiller);
        }
        if let Some((_, cd)) = l.composite {
            // A Cambodian ID card may carry `<` there (flag
            // `khm_composite_absent`); elsewhere it is a digit.
            let class = if self == Format::Td1 {
                CharClass::DigitOrFiller
            } else {
                CharClass::Digit
            };
            set(cd, class);
        }
        set(l.sex, CharClass::Sex);
        classes
    }

    /// The format of `count` lines of `length` characters whose first
    /// character is `first` (`V` selects the visa formats).
    pub(crate) fn detect(count: usize, length: usize, first: Option<char>) -> Option<Format> {
        let visa = first == Some('V');
        match (count, length, visa) {
            (3, 30, _) => Some(Format::Td1),
            (2, 36, false) => Some(Format::Td2),
            (2, 36, true) => Some(Format::MrvB),
            (2, 44, false) => Some(Format::Td3),
            (2, 44, true) => Some(Format::MrvA),
            _ => None,
        }
    }

    pub(crate) fn layout(self) -> &'static Layout {
        match self {
            Format::Td1 => &TD1,
            Format::Td2 => &TD2,
            Format::Td3 => &TD3,
            Format::MrvA => &MRVA,
            Format::MrvB => &MRVB,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The characters an MRZ position may hold ([`Format::char_classes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CharClass {
    /// `A`-`Z` or the filler `<`.
    Letter,
    /// `0`-`9`.
    Digit,
    /// `0`-`9` or the filler `<`.
    DigitOrFiller,
    /// `M`, `F`, `X` or `<`.
    Sex,
    /// Any MRZ character.
    Any,
}

impl CharClass {
    /// Whether `c` belongs to the class.
    pub fn allows(self, c: u8) -> bool {
        match self {
            CharClass::Letter => c.is_ascii_uppercase() || c == b'<',
            CharClass::Digit => c.is_ascii_digit(),
            CharClass::DigitOrFiller => c.is_ascii_digit() || c == b'<',
            CharClass::Sex => matches!(c, b'M' | b'F' | b'X' | b'<'),
            CharClass::Any => c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'<',
        }
    }

    /// The class that allows what either allows (for two formats that share
    /// a geometry, such as TD3 and MRV-A).
    pub fn union(self, other: CharClass) -> CharClass {
        match (self, other) {
            (a, b) if a == b => a,
            (CharClass::Digit, CharClass::DigitOrFiller)
            | (CharClass::DigitOrFiller, CharClass::Digit) => CharClass::DigitOrFiller,
            _ => CharClass::Any,
        }
    }
}

/// A (line, column) position, both 0-based.
pub(crate) type Pos = (usize, usize);

/// A run of characters on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: usize,
    pub start: usize,
    pub len: usize,
}

impl Span {
    pub(crate) const fn new(line: usize, start: usize, len: usize) -> Span {
        Span { line, start, len }
    }

    pub(crate) fn end(self) -> usize {
        self.start + self.len
    }

    pub(crate) fn contains(self, p: Pos) -> bool {
        p.0 == self.line && p.1 >= self.start && p.1 < self.end()
    }

    pub(crate) fn positions(self) -> impl Iterator<Item = Pos> {
        (self.start..self.end()).map(move |c| (self.line, c))
    }

    /// The bytes of this span (empty if the lines are too short, which the
    /// normaliser rules out).
    pub(crate) fn bytes(self, lines: &[Vec<u8>]) -> &[u8] {
        lines
            .get(self.line)
            .and_then(|l| l.get(self.start..self.end()))
            .unwrap_or(&[])
    }
}

/// Where each field sits in a format.
#[derive(Debug)]
pub(crate) struct Layout {
    pub code: Span,
    pub issuer: Span,
    pub name: Span,
    pub doc_number: Span,
    pub doc_cd: Pos,
    pub nationality: Span,
    pub birth: Span,
    pub birth_cd: Pos,
    pub sex: Pos,
    pub expiry: Span,
    pub expiry_cd: Pos,
    /// Optional data: TD1 line 1 (15 characters), TD2 and visas line 2.
    pub optional1: Option<Span>,
    /// TD1 line 2 optional data.
    pub optional2: Option<Span>,
    /// TD3 personal number (optional data) and its check digit.
    pub personal: Option<(Span, Pos)>,
    /// The spans the composite check digit covers, in order, and its position.
    pub composite: Option<(&'static [Span], Pos)>,
    /// Where a document number longer than 9 characters continues (ICAO 9303
    /// Part 5 / Part 6: the optional data), when the format allows it.
    pub overflow: Option<Span>,
}

const fn sp(line: usize, start: usize, len: usize) -> Span {
    Span::new(line, start, len)
}

static TD1_COMPOSITE: [Span; 4] = [sp(0, 5, 25), sp(1, 0, 7), sp(1, 8, 7), sp(1, 18, 11)];
static TD2_COMPOSITE: [Span; 3] = [sp(1, 0, 10), sp(1, 13, 7), sp(1, 21, 14)];
static TD3_COMPOSITE: [Span; 3] = [sp(1, 0, 10), sp(1, 13, 7), sp(1, 21, 22)];

static TD1: Layout = Layout {
    code: sp(0, 0, 2),
    issuer: sp(0, 2, 3),
    doc_number: sp(0, 5, 9),
    doc_cd: (0, 14),
    optional1: Some(sp(0, 15, 15)),
    birth: sp(1, 0, 6),
    birth_cd: (1, 6),
    sex: (1, 7),
    expiry: sp(1, 8, 6),
    expiry_cd: (1, 14),
    nationality: sp(1, 15, 3),
    optional2: Some(sp(1, 18, 11)),
    composite: Some((&TD1_COMPOSITE, (1, 29))),
    name: sp(2, 0, 30),
    personal: None,
    overflow: Some(sp(0, 15, 15)),
};

static TD2: Layout = Layout {
    code: sp(0, 0, 2),
    issuer: sp(0, 2, 3),
    name: sp(0, 5, 31),
    doc_number: sp(1, 0, 9),
    doc_cd: (1, 9),
    nationality: sp(1, 10, 3),
    birth: sp(1, 13, 6),
    birth_cd: (1, 19),
    sex: (1, 20),
    expiry: sp(1, 21, 6),
    expiry_cd: (1, 27),
    optional1: Some(sp(1, 28, 7)),
    optional2: None,
    personal: None,
    composite: Some((&TD2_COMPOSITE, (1, 35))),
    overflow: Some(sp(1, 28, 7)),
};

static TD3: Layout = Layout {
    code: sp(0, 0, 2),
    issuer: sp(0, 2, 3),
    name: sp(0, 5, 39),
    doc_number: sp(1, 0, 9),
    doc_cd: (1, 9),
    nationality: sp(1, 10, 3),
    birth: sp(1, 13, 6),
    birth_cd: (1, 19),
    sex: (1, 20),
    expiry: sp(1, 21, 6),
    expiry_cd: (1, 27),
    optional1: None,
    optional2: None,
    personal: Some((sp(1, 28, 14), (1, 42))),
    composite: Some((&TD3_COMPOSITE, (1, 43))),
    overflow: None,
};

static MRVA: Layout = Layout {
    code: sp(0, 0, 2),
    issuer: sp(0, 2, 3),
    name: sp(0, 5, 39),
    doc_number: sp(1, 0, 9),
    doc_cd: (1, 9),
    nationality: sp(1, 10, 3),
    birth: sp(1, 13, 6),
    birth_cd: (1, 19),
    sex: (1, 20),
    expiry: sp(1, 21, 6),
    expiry_cd: (1, 27),
    optional1: Some(sp(1, 28, 16)),
    optional2: None,
    personal: None,
    composite: None,
    overflow: None,
};

static MRVB: Layout = Layout {
    code: sp(0, 0, 2),
    issuer: sp(0, 2, 3),
    name: sp(0, 5, 31),
    doc_number: sp(1, 0, 9),
    doc_cd: (1, 9),
    nationality: sp(1, 10, 3),
    birth: sp(1, 13, 6),
    birth_cd: (1, 19),
    sex: (1, 20),
    expiry: sp(1, 21, 6),
    expiry_cd: (1, 27),
    optional1: Some(sp(1, 28, 8)),
    optional2: None,
    personal: None,
    composite: None,
    overflow: None,
};

impl Layout {
    /// The name of the field at `p` (used in errors and repair reports).
    pub(crate) fn field_at(&self, p: Pos) -> &'static str {
        let spans: [(Option<Span>, &'static str); 10] = [
            (Some(self.code), "document_code"),
            (Some(self.issuer), "issuer"),
            (Some(self.name), "name"),
            (Some(self.doc_number), "document_number"),
            (Some(self.nationality), "nationality"),
            (Some(self.birth), "birth_date"),
            (Some(self.expiry), "expiry_date"),
            (self.optional1, "optional1"),
            (self.optional2, "optional2"),
            (self.personal.map(|x| x.0), "personal_number"),
        ];
        for (span, name) in spans {
            if span.is_some_and(|s| s.contains(p)) {
                return name;
            }
        }
        let points: [(Option<Pos>, &'static str); 6] = [
            (Some(self.doc_cd), "document_number_check_digit"),
            (Some(self.birth_cd), "birth_date_check_digit"),
            (Some(self.expiry_cd), "expiry_date_check_digit"),
            (Some(self.sex), "sex"),
            (self.personal.map(|x| x.1), "personal_number_check_digit"),
            (self.composite.map(|x| x.1), "composite_check_digit"),
        ];
        for (point, name) in points {
            if point == Some(p) {
                return name;
            }
        }
        "filler"
    }

    /// Whether the line's tail is filler-padded data (a name or optional
    /// data), so that missing trailing fillers may be restored.
    pub(crate) fn line_tail_is_padding(&self, line: usize) -> bool {
        self.name.line == line || self.optional1.is_some_and(|s| s.line == line && line == 0)
    }

    /// The shortest length a line may have before trailing fillers are restored.
    pub(crate) fn min_padded_length(&self, line: usize) -> usize {
        if self.name.line == line {
            // TD1 line 3 is all name; TD2/TD3 line 1 needs code and issuer.
            (self.name.start + 1).max(1)
        } else {
            // TD1 line 1: document number and its check digit must be there.
            self.doc_cd.1 + 1
        }
    }
}

/// The document-number positions of one MRZ, which depend on its content
/// when the number overflows into the optional data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocNumberLayout {
    /// Positions of the number's characters (9, or more when long).
    pub positions: Vec<Pos>,
    /// Position of its check digit.
    pub cd: Pos,
    /// Whether the number overflows into the optional data.
    pub long: bool,
    /// The optional data left after the overflow (the whole optional field when not long).
    pub optional_rest: Option<Span>,
}

impl DocNumberLayout {
    /// Reads the layout from the (normalised) lines. ICAO 9303 Part 5/6: when
    /// the check-digit position after the 9 principal characters holds `<`,
    /// the number continues in the optional data up to the first `<`; the last
    /// character before that `<` is the check digit.
    pub(crate) fn read(layout: &Layout, lines: &[Vec<u8>]) -> DocNumberLayout {
        let plain = DocNumberLayout {
            positions: layout.doc_number.positions().collect(),
            cd: layout.doc_cd,
            long: false,
            optional_rest: layout.optional1,
        };
        let Some(ov) = layout.overflow else {
            return plain;
        };
        let at = |p: Pos| lines.get(p.0).and_then(|l| l.get(p.1)).copied();
        if at(layout.doc_cd) != Some(b'<') {
            return plain;
        }
        let tail = ov.bytes(lines);
        let used = tail.iter().position(|&c| c == b'<').unwrap_or(tail.len());
        if used < 2 {
            return plain;
        }
        let mut positions: Vec<Pos> = layout.doc_number.positions().collect();
        positions.extend((ov.start..ov.start + used - 1).map(|c| (ov.line, c)));
        DocNumberLayout {
            positions,
            cd: (ov.line, ov.start + used - 1),
            long: true,
            optional_rest: Some(Span::new(ov.line, ov.start + used, ov.len - used)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(Format::detect(3, 30, Some('I')), Some(Format::Td1));
        assert_eq!(Format::detect(2, 36, Some('I')), Some(Format::Td2));
        assert_eq!(Format::detect(2, 36, Some('V')), Some(Format::MrvB));
        assert_eq!(Format::detect(2, 44, Some('P')), Some(Format::Td3));
        assert_eq!(Format::detect(2, 44, Some('V')), Some(Format::MrvA));
        assert_eq!(Format::detect(2, 30, Some('I')), None);
        assert_eq!(Format::detect(3, 44, Some('P')), None);
    }

    #[test]
    fn char_classes_follow_the_layout() {
        let td3 = Format::Td3.char_classes();
        let line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        for (line, classes) in [line1, line2].iter().zip(&td3) {
            assert_eq!(classes.len(), 44);
            for (c, class) in line.bytes().zip(classes) {
                assert!(class.allows(c), "{} in {line}", c as char);
            }
        }
        assert_eq!(td3[0][7], CharClass::Letter);
        assert_eq!(td3[1][9], CharClass::DigitOrFiller);
        assert_eq!(td3[1][13], CharClass::DigitOrFiller);
        assert_eq!(td3[1][20], CharClass::Sex);
        assert_eq!(td3[1][43], CharClass::Digit);
        assert_eq!(td3[1][0], CharClass::Any);
        // TD1: the name on line 3, the document code's second character free.
        let td1 = Format::Td1.char_classes();
        assert!(td1[2].iter().all(|c| *c == CharClass::Letter));
        assert_eq!(td1[0][1], CharClass::Any);
        assert_eq!(td1[1][29], CharClass::DigitOrFiller);
        assert!(!CharClass::Letter.allows(b'0') && !CharClass::Digit.allows(b'O'));
        assert_eq!(CharClass::Digit.union(CharClass::Any), CharClass::Any);
    }

    #[test]
    fn layouts_cover_lines_exactly() {
        for f in [
            Format::Td1,
            Format::Td2,
            Format::Td3,
            Format::MrvA,
            Format::MrvB,
        ] {
            let l = f.layout();
            let n = f.line_length();
            for line in 0..f.line_count() {
                for col in 0..n {
                    let name = l.field_at((line, col));
                    assert_ne!(name, "filler", "{f} ({line},{col}) not covered");
                }
            }
            if let Some((parts, pos)) = l.composite {
                assert_eq!(pos.1, n - 1);
                for p in parts {
                    assert!(p.end() <= n);
                }
            }
        }
        // TD1 and TD3 composite lengths per ICAO: 25+7+7+11 and 10+7+22.
        let len = |f: Format| {
            f.layout()
                .composite
                .unwrap()
                .0
                .iter()
                .map(|s| s.len)
                .sum::<usize>()
        };
        assert_eq!(len(Format::Td1), 50);
        assert_eq!(len(Format::Td2), 31);
        assert_eq!(len(Format::Td3), 39);
    }

    #[test]
    fn long_document_number_layout() {
        let lines = vec![
            b"I<UTOD23145890<7349<<<<<<<<<<<".to_vec(),
            b"3407127M9507122UTO<<<<<<<<<<<2".to_vec(),
            b"STEVENSON<<PETER<JOHN<<<<<<<<<".to_vec(),
        ];
        let d = DocNumberLayout::read(Format::Td1.layout(), &lines);
        assert!(d.long);
        assert_eq!(d.positions.len(), 12);
        assert_eq!(d.cd, (0, 18));
        assert_eq!(d.optional_rest, Some(Span::new(0, 18 + 1, 11)));
        // `<` at 15 followed by `<`: not long (a missing check digit).
        let lines = vec![
            b"IDKHM343234587<<<<<<<<<<<<<<<<".to_vec(),
            b"9008032M2601250KHM<<<<<<<<<<<6".to_vec(),
            b"SREY<<POV<<<<<<<<<<<<<<<<<<<<<".to_vec(),
        ];
        let d = DocNumberLayout::read(Format::Td1.layout(), &lines);
        assert!(!d.long);
        assert_eq!(d.cd, (0, 14));
    }
}
