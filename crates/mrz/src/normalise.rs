//! Normalisation of OCR text into MRZ lines: upper case, `«`/`‹` read for
//! `<`, stray whitespace, missing or surplus trailing fillers, one-line input.
//! Every change is recorded as a flag.

use crate::error::MrzError;
use crate::format::{Format, Pos};

/// Flag: internal whitespace was removed from a line.
pub const FLAG_SPACES: &str = "spaces_removed";
/// Flag: lower-case letters were upper-cased.
pub const FLAG_LOWERCASE: &str = "lowercase_normalised";
/// Flag: `«`, `‹`, `≪` or `＜` was read as `<` (or `<<`).
pub const FLAG_GUILLEMETS: &str = "normalised_guillemets";
/// Flag: surplus trailing fillers were cut from a line.
pub const FLAG_TRIMMED: &str = "line_trimmed";
/// Flag: missing trailing fillers were restored on a name / optional-data line.
pub const FLAG_PADDED: &str = "line_padded";
/// Flag: one input line held the whole MRZ and was split.
pub const FLAG_SPLIT: &str = "lines_split";

/// A normalised MRZ: lines of `A-Z0-9<` bytes of the format's length.
#[derive(Debug, Clone)]
pub(crate) struct Normalised {
    pub format: Format,
    pub lines: Vec<Vec<u8>>,
    /// Where each normalised character came from in the input.
    pub origin: Origin,
    pub flags: Vec<&'static str>,
}

/// Where the normalised characters came from in the input.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Clean input: normalised line `l` is input line `lines[l]`, column for column.
    Identity(Vec<usize>),
    /// For each normalised character, its input position (`None` for restored fillers).
    Mapped(Vec<Vec<Option<Pos>>>),
}

impl Origin {
    /// The input position of normalised position `(line, column)`.
    #[cfg(test)]
    pub(crate) fn at(&self, line: usize, column: usize) -> Option<Pos> {
        match self {
            Origin::Identity(lines) => lines.get(line).map(|&l| (l, column)),
            Origin::Mapped(rows) => rows
                .get(line)
                .and_then(|r| r.get(column))
                .copied()
                .flatten(),
        }
    }

    /// The normalised position of input position `p`, if it is one.
    pub(crate) fn find(&self, p: Pos, line_length: usize) -> Option<Pos> {
        match self {
            Origin::Identity(lines) => {
                let l = lines.iter().position(|&x| x == p.0)?;
                (p.1 < line_length).then_some((l, p.1))
            }
            Origin::Mapped(rows) => rows
                .iter()
                .enumerate()
                .find_map(|(l, row)| row.iter().position(|&f| f == Some(p)).map(|c| (l, c))),
        }
    }
}

/// Input that is already a clean MRZ (only `A-Z0-9<`, exact line lengths,
/// nothing to flag): no per-character work.
fn clean(lines: &[&str]) -> Option<Normalised> {
    let mut kept: Vec<usize> = Vec::with_capacity(3);
    for (i, l) in lines.iter().enumerate() {
        let b = l.as_bytes();
        if b.iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'<')
        {
            if !b.is_empty() {
                kept.push(i);
            }
        } else if !l.trim().is_empty() {
            return None;
        }
    }
    let len = lines.get(*kept.first()?)?.len();
    if !kept.iter().all(|&i| lines[i].len() == len) {
        return None;
    }
    let first = lines[kept[0]].chars().next();
    let format = Format::detect(kept.len(), len, first)?;
    Some(Normalised {
        format,
        lines: kept.iter().map(|&i| lines[i].as_bytes().to_vec()).collect(),
        origin: Origin::Identity(kept),
        flags: Vec::new(),
    })
}

/// One character after character-level normalisation, before validation.
#[derive(Debug, Clone, Copy)]
struct Cell {
    ch: char,
    from: Option<Pos>,
}

/// A line after character-level normalisation. `double` marks cells that came
/// from a double guillemet (`«`, `≪`), which may stand for one or two fillers.
#[derive(Debug, Clone)]
struct RawLine {
    input_line: usize,
    cells: Vec<(Cell, bool)>,
}

impl RawLine {
    fn doubles(&self) -> usize {
        self.cells.iter().filter(|c| c.1).count()
    }

    /// The cells with double guillemets read as one filler, or as two.
    fn expand(&self, two: bool) -> Vec<Cell> {
        let mut out = Vec::with_capacity(self.cells.len() + if two { self.doubles() } else { 0 });
        for &(cell, double) in &self.cells {
            out.push(cell);
            if double && two {
                out.push(Cell {
                    ch: '<',
                    from: cell.from,
                });
            }
        }
        out
    }
}

fn map_char(c: char, flags: &mut Vec<&'static str>) -> (char, bool) {
    match c {
        'a'..='z' => {
            push_flag(flags, FLAG_LOWERCASE);
            (c.to_ascii_uppercase(), false)
        }
        '«' | '≪' => {
            push_flag(flags, FLAG_GUILLEMETS);
            ('<', true)
        }
        '‹' | '＜' => {
            push_flag(flags, FLAG_GUILLEMETS);
            ('<', false)
        }
        _ => (c, false),
    }
}

pub(crate) fn push_flag(flags: &mut Vec<&'static str>, flag: &'static str) {
    if !flags.contains(&flag) {
        flags.push(flag);
    }
}

fn normalise_line(input_line: usize, text: &str, flags: &mut Vec<&'static str>) -> RawLine {
    let trimmed_start = text.len() - text.trim_start().len();
    let body = text.trim();
    let mut cells = Vec::with_capacity(body.len());
    // Column numbers count characters of the whole input line.
    let lead_cols = text[..trimmed_start].chars().count();
    for (i, c) in body.chars().enumerate() {
        if c.is_whitespace() {
            push_flag(flags, FLAG_SPACES);
            continue;
        }
        let (ch, double) = map_char(c, flags);
        cells.push((
            Cell {
                ch,
                from: Some((input_line, lead_cols + i)),
            },
            double,
        ));
    }
    RawLine { input_line, cells }
}

/// Length after cutting surplus trailing fillers, or `None` if it cannot be made `target`.
fn fits(cells: &[Cell], target: usize, may_pad: bool, min_pad: usize) -> bool {
    let n = cells.len();
    if n == target {
        return true;
    }
    if n > target {
        return cells[target..].iter().all(|c| c.ch == '<');
    }
    may_pad && n >= min_pad
}

/// Normalises the non-blank input lines into an MRZ of a recognised format.
pub(crate) fn normalise(lines: &[&str]) -> Result<Normalised, MrzError> {
    if let Some(n) = clean(lines) {
        return Ok(n);
    }
    let mut flags: Vec<&'static str> = Vec::new();
    let mut raw: Vec<RawLine> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| normalise_line(i, l, &mut flags))
        .collect();
    if raw.is_empty() {
        return Err(MrzError::Empty);
    }

    // One line holding a whole MRZ: split it.
    if raw.len() == 1 {
        let line = &raw[0];
        let mut split = None;
        for two in [false, true] {
            let cells = line.expand(two);
            let per = match cells.len() {
                90 => Some(30),
                88 => Some(44),
                72 => Some(36),
                _ => None,
            };
            if let Some(per) = per {
                split = Some(
                    cells
                        .chunks(per)
                        .map(|ch| RawLine {
                            input_line: line.input_line,
                            cells: ch.iter().map(|&c| (c, false)).collect(),
                        })
                        .collect::<Vec<_>>(),
                );
                break;
            }
            if line.doubles() == 0 {
                break;
            }
        }
        match split {
            Some(s) => {
                push_flag(&mut flags, FLAG_SPLIT);
                raw = s;
            }
            None => return Err(MrzError::LineCount { found: 1 }),
        }
    }

    if raw.len() > 3 {
        return Err(MrzError::LineCount { found: raw.len() });
    }

    // The target length: TD1 for three lines; for two, the second line (which
    // ends with check digits and is never padded) decides between 36 and 44.
    let first_char = raw[0].cells.first().map(|c| c.0.ch);
    let format = if raw.len() == 3 {
        Format::Td1
    } else {
        let second = &raw[1];
        let mut chosen = None;
        'outer: for target in [44, 36] {
            for two in [false, true] {
                if fits(&second.expand(two), target, false, 0) {
                    chosen = Format::detect(2, target, first_char);
                    break 'outer;
                }
                if second.doubles() == 0 {
                    break;
                }
            }
        }
        match chosen {
            Some(f) => f,
            None => {
                let found = second.expand(false).len();
                let expected = if found.abs_diff(44) < found.abs_diff(36) {
                    44
                } else {
                    36
                };
                return Err(MrzError::LineLength {
                    line: second.input_line,
                    found,
                    expected,
                });
            }
        }
    };
    let layout = format.layout();
    let target = format.line_length();

    let mut out_lines = Vec::with_capacity(raw.len());
    let mut origin = Vec::with_capacity(raw.len());
    for (idx, line) in raw.iter().enumerate() {
        let may_pad = layout.line_tail_is_padding(idx);
        let min_pad = layout.min_padded_length(idx);
        let mut cells = line.expand(false);
        if line.doubles() > 0 && !fits(&cells, target, may_pad, min_pad) {
            let two = line.expand(true);
            if fits(&two, target, may_pad, min_pad) {
                cells = two;
            }
        } else if line.doubles() > 0 && cells.len() < target {
            // Prefer reading `«` as `<<` when that gives the exact length.
            let two = line.expand(true);
            if two.len() == target {
                cells = two;
            }
        }
        if !fits(&cells, target, may_pad, min_pad) {
            return Err(MrzError::LineLength {
                line: line.input_line,
                found: cells.len(),
                expected: target,
            });
        }
        if cells.len() > target {
            cells.truncate(target);
            push_flag(&mut flags, FLAG_TRIMMED);
        } else if cells.len() < target {
            cells.resize(
                target,
                Cell {
                    ch: '<',
                    from: None,
                },
            );
            push_flag(&mut flags, FLAG_PADDED);
        }
        let mut bytes = Vec::with_capacity(target);
        let mut from = Vec::with_capacity(target);
        for (col, cell) in cells.iter().enumerate() {
            let ok = matches!(cell.ch, 'A'..='Z' | '0'..='9' | '<');
            if !ok {
                let (line_no, column) = cell.from.unwrap_or((line.input_line, col));
                return Err(MrzError::InvalidCharacter {
                    line: line_no,
                    column,
                    found: cell.ch,
                    field: Some(layout.field_at((idx, col))),
                });
            }
            // Checked above: the character is ASCII.
            bytes.push(cell.ch as u8);
            from.push(cell.from);
        }
        out_lines.push(bytes);
        origin.push(from);
    }

    Ok(Normalised {
        format,
        lines: out_lines,
        origin: Origin::Mapped(origin),
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];

    #[test]
    fn clean_input_has_no_flags() {
        let n = normalise(&TD3).unwrap();
        assert_eq!(n.format, Format::Td3);
        assert!(n.flags.is_empty());
        assert_eq!(n.lines[0], TD3[0].as_bytes());
        assert!(matches!(n.origin, Origin::Identity(_)));
        assert_eq!(n.origin.at(1, 5), Some((1, 5)));
        assert_eq!(n.origin.find((1, 5), 44), Some((1, 5)));
        assert_eq!(n.origin.find((1, 44), 44), None);
        // Blank lines around a clean MRZ keep the input line numbers.
        let n = normalise(&["", TD3[0], "", TD3[1]]).unwrap();
        assert!(n.flags.is_empty());
        assert_eq!(n.origin.at(1, 0), Some((3, 0)));
        // The same text through the general path gives the same lines.
        let spaced = normalise(&[TD3[0], &format!("{} ", TD3[1])]).unwrap();
        assert_eq!(spaced.lines, n.lines);
        assert!(matches!(spaced.origin, Origin::Mapped(_)));
    }

    #[test]
    fn lowercase_spaces_guillemets() {
        let l0 = "p<uto ERIKSSON««ANNA‹MARIA<<<<<<<<<<<<<<<<<<<";
        let l1 = "  L898902C36 UTO7408122F1204159ZE184226B<<<<<10  ";
        let n = normalise(&[l0, l1]).unwrap();
        assert_eq!(n.lines[0], TD3[0].as_bytes());
        assert_eq!(n.lines[1], TD3[1].as_bytes());
        for f in [FLAG_LOWERCASE, FLAG_SPACES, FLAG_GUILLEMETS] {
            assert!(n.flags.contains(&f), "{f}");
        }
        // Column mapping follows the input characters.
        assert_eq!(n.origin.at(1, 0), Some((1, 2)));
        assert_eq!(n.origin.at(1, 10), Some((1, 13)));
    }

    #[test]
    fn guillemet_as_two_fillers() {
        let l0 = "P<UTOERIKSSON«ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let n = normalise(&[l0, TD3[1]]).unwrap();
        assert_eq!(n.lines[0], TD3[0].as_bytes());
        assert!(!n.flags.contains(&FLAG_PADDED));
    }

    #[test]
    fn padding_and_trimming() {
        let n = normalise(&["P<UTOERIKSSON<<ANNA<MARIA", &format!("{}<<", TD3[1])]).unwrap();
        assert_eq!(n.lines[0], TD3[0].as_bytes());
        assert_eq!(n.lines[1], TD3[1].as_bytes());
        assert!(n.flags.contains(&FLAG_PADDED));
        assert!(n.flags.contains(&FLAG_TRIMMED));
        assert_eq!(n.origin.at(0, 43), None);
    }

    #[test]
    fn one_line_split() {
        let joined = format!("{}{}", TD3[0], TD3[1]);
        let n = normalise(&[&joined]).unwrap();
        assert_eq!(n.lines.len(), 2);
        assert!(n.flags.contains(&FLAG_SPLIT));
        assert_eq!(n.origin.at(1, 0), Some((0, 44)));
    }

    #[test]
    fn errors() {
        assert_eq!(normalise(&[]).unwrap_err(), MrzError::Empty);
        assert_eq!(normalise(&["  ", "\t"]).unwrap_err(), MrzError::Empty);
        assert_eq!(
            normalise(&["ABC"]).unwrap_err(),
            MrzError::LineCount { found: 1 }
        );
        assert_eq!(
            normalise(&["A", "B", "C", "D"]).unwrap_err(),
            MrzError::LineCount { found: 4 }
        );
        assert!(matches!(
            normalise(&[TD3[0], "L898902C36UTO7408122F1204159ZE184226B<<<<<1"]).unwrap_err(),
            MrzError::LineLength {
                line: 1,
                found: 43,
                expected: 44
            }
        ));
        let bad = "L898902C36UTO7408122F1204159ZE184226B<<<<-10";
        assert_eq!(
            normalise(&[TD3[0], bad]).unwrap_err(),
            MrzError::InvalidCharacter {
                line: 1,
                column: 41,
                found: '-',
                field: Some("personal_number")
            }
        );
        assert!(matches!(
            normalise(&[TD3[0], "L898902C36UTO7408122F1204159ZE184226B<<<<É10"]).unwrap_err(),
            MrzError::InvalidCharacter { found: 'É', .. }
        ));
    }
}
