//! Repair of OCR confusions, guided by the field type and confirmed by check
//! digits.
//!
//! * Look-alike tables: in numeric positions letters that resemble digits
//!   (`O Q D`→0, `I L`→1, `Z`→2, `S`→5, `G`→6, `B`→8, `T`→7); in alphabetic
//!   positions the reverse (`0`→O, `1`→I, `5`→S, `8`→B, `2`→Z, `6`→G).
//! * OCR alternatives: per-character candidates with confidences
//!   ([`CharAlternatives`](crate::CharAlternatives)).
//! * A search tries combinations of candidate substitutions, fewest
//!   changes first (at most [`MAX_CHANGES`] per field), and keeps those a
//!   predicate (a check digit, a valid date, a valid code) accepts.
//!
//! Note: `K` (20) and `<` (0), `L` (21) and `1`, `G` (16) and `6` differ by
//! a multiple of 10, so no check digit can tell them apart; `K` read for
//! `<` is therefore only repaired where the structure makes it certain.

use crate::format::Pos;
use std::collections::HashMap;

/// The most substitutions tried in one field.
pub const MAX_CHANGES: usize = 3;
/// The confidence given to a look-alike substitution from the tables (used
/// only to rank candidates against OCR alternatives).
pub(crate) const LOOKALIKE_CONFIDENCE: f32 = 0.5;
/// The confidence of a substitution that calibrated alternatives do not
/// list ([`ParseOptions::calibrated`](crate::ParseOptions::calibrated)):
/// the anchored vote lists every character with 5 % of the winner's
/// weight or more, and a look-alike it leaves out typically has far less
/// (no Tesseract vote and a template correlation 0.1 behind a winner two
/// reads gave: 0.5 × e^(−0.1/0.03) / 2.5, under 1 %).
pub(crate) const UNLISTED_CONFIDENCE: f32 = 0.01;
const MAX_CANDIDATES_PER_SLOT: usize = 4;
const MAX_EVALUATIONS: usize = 200_000;
const SCORE_EPSILON: f32 = 1e-4;

/// The digit a letter is commonly misread for, in a numeric position.
pub(crate) fn letter_to_digit(c: u8) -> Option<u8> {
    match c {
        b'O' | b'Q' | b'D' => Some(b'0'),
        b'I' | b'L' => Some(b'1'),
        b'Z' => Some(b'2'),
        b'S' => Some(b'5'),
        b'G' => Some(b'6'),
        b'B' => Some(b'8'),
        b'T' => Some(b'7'),
        _ => None,
    }
}

/// The letter a digit is commonly misread for, in an alphabetic position.
pub(crate) fn digit_to_letter(c: u8) -> Option<u8> {
    match c {
        b'0' => Some(b'O'),
        b'1' => Some(b'I'),
        b'2' => Some(b'Z'),
        b'5' => Some(b'S'),
        b'6' => Some(b'G'),
        b'8' => Some(b'B'),
        _ => None,
    }
}

/// Letters the MRZ recogniser confuses with each other at low resolution
/// (measured: `NLD` read as `MLD` on a faint passport). Used only to repair
/// issuer and nationality codes, which are closed sets.
pub(crate) fn letter_confusion(c: u8) -> Option<u8> {
    match c {
        b'M' => Some(b'N'),
        b'N' => Some(b'M'),
        _ => None,
    }
}

/// What a position may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Digits (dates, check digits, numeric document numbers).
    Numeric,
    /// Letters (names, codes, sex).
    Alpha,
    /// Letters and digits (document numbers, optional data).
    AlphaNum,
}

/// Where a candidate substitution comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Source {
    /// The look-alike tables.
    LookAlike,
    /// `K` read for `<`.
    Filler,
    /// An OCR alternative with this confidence.
    Alternative(f32),
}

/// A candidate replacement character.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cand {
    pub ch: u8,
    pub conf: f32,
    pub source: Source,
}

impl Cand {
    /// A short description of the substitution for repair reports.
    pub(crate) fn describe(&self, from: u8, kind: Kind) -> String {
        let (f, t) = (char::from(from), char::from(self.ch));
        match self.source {
            Source::LookAlike => {
                let place = match kind {
                    Kind::Numeric => "a numeric",
                    Kind::Alpha => "an alphabetic",
                    Kind::AlphaNum => "an alphanumeric",
                };
                format!("look-alike {f}->{t} in {place} position")
            }
            Source::Filler => format!("{f} read for <"),
            Source::Alternative(c) => format!("OCR alternative {t} (confidence {c:.2}) for {f}"),
        }
    }
}

/// OCR alternatives indexed by normalised position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alternatives {
    map: Option<HashMap<Pos, Vec<(u8, f32)>>>,
}

impl Alternatives {
    pub(crate) fn from_map(map: HashMap<Pos, Vec<(u8, f32)>>) -> Self {
        Alternatives {
            map: (!map.is_empty()).then_some(map),
        }
    }

    pub(crate) fn get(&self, p: Pos) -> &[(u8, f32)] {
        self.map
            .as_ref()
            .and_then(|m| m.get(&p))
            .map_or(&[], Vec::as_slice)
    }
}

fn allowed(c: u8, kind: Kind, filler_ok: bool) -> bool {
    match c {
        b'<' => filler_ok,
        b'0'..=b'9' => kind != Kind::Alpha,
        b'A'..=b'Z' => kind != Kind::Numeric,
        _ => false,
    }
}

/// Candidate replacements for the character `orig` in a position of `kind`.
///
/// Look-alikes apply only where `orig` is not allowed in the position
/// (a letter in a numeric position, a digit in an alphabetic one) or, in
/// alphanumeric positions, in both directions. `filler_ok` allows `<`
/// (from an alternative, or `K` read for `<` when `k_filler` is set).
pub(crate) fn candidates(
    orig: u8,
    kind: Kind,
    alts: &[(u8, f32)],
    filler_ok: bool,
    k_filler: bool,
) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    let add = |c: Cand, out: &mut Vec<Cand>| {
        if c.ch == orig || !allowed(c.ch, kind, filler_ok) {
            return;
        }
        if let Some(existing) = out.iter_mut().find(|e| e.ch == c.ch) {
            if c.conf > existing.conf {
                *existing = c;
            }
        } else {
            out.push(c);
        }
    };
    let lookalike = |ch| Cand {
        ch,
        conf: LOOKALIKE_CONFIDENCE,
        source: Source::LookAlike,
    };
    match kind {
        Kind::Numeric => {
            if let Some(d) = letter_to_digit(orig) {
                add(lookalike(d), &mut out);
            }
        }
        Kind::Alpha => {
            if let Some(l) = digit_to_letter(orig) {
                add(lookalike(l), &mut out);
            }
        }
        Kind::AlphaNum => {
            if let Some(d) = letter_to_digit(orig).or_else(|| digit_to_letter(orig)) {
                add(lookalike(d), &mut out);
            }
        }
    }
    if k_filler && filler_ok && orig == b'K' {
        add(
            Cand {
                ch: b'<',
                conf: LOOKALIKE_CONFIDENCE,
                source: Source::Filler,
            },
            &mut out,
        );
    }
    for &(ch, conf) in alts {
        add(
            Cand {
                ch,
                conf,
                source: Source::Alternative(conf),
            },
            &mut out,
        );
    }
    out.sort_by(|a, b| b.conf.total_cmp(&a.conf));
    out.truncate(MAX_CANDIDATES_PER_SLOT);
    out
}

/// The single best candidate, or `None` if there is none or the best is tied.
pub(crate) fn pick_best(cands: &[Cand]) -> Option<Cand> {
    let best = *cands.first()?;
    match cands.get(1) {
        Some(second) if best.conf - second.conf <= SCORE_EPSILON => None,
        _ => Some(best),
    }
}

/// One position of a search buffer that may change.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// Index into the search buffer.
    pub index: usize,
    /// Its kind (for repair reports).
    pub kind: Kind,
    /// Candidate replacements.
    pub cands: Vec<Cand>,
}

/// One substitution chosen by [`search`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change {
    pub index: usize,
    pub kind: Kind,
    pub cand: Cand,
}

/// The outcome of a repair search.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Exactly one best combination of substitutions is accepted.
    Found(Vec<Change>),
    /// Several combinations with the fewest changes are accepted and nothing
    /// separates them.
    Ambiguous {
        changes: usize,
        results: Vec<Vec<u8>>,
    },
    /// No combination of at most [`MAX_CHANGES`] substitutions is accepted.
    NotFound,
}

struct Search<'a, F> {
    slots: Vec<&'a Slot>,
    work: Vec<u8>,
    chosen: Vec<Change>,
    /// Accepted combinations: sum and product of their confidences.
    hits: Vec<(f32, f32, Vec<Change>)>,
    evaluations: usize,
    accept: F,
}

impl<F: FnMut(&[u8]) -> bool> Search<'_, F> {
    fn run(&mut self, start: usize, remaining: usize) {
        if remaining == 0 {
            self.evaluations += 1;
            if (self.accept)(&self.work) {
                let sum = self.chosen.iter().map(|c| c.cand.conf).sum();
                let product = self.chosen.iter().map(|c| c.cand.conf.max(0.0)).product();
                self.hits.push((sum, product, self.chosen.clone()));
            }
            return;
        }
        let n = self.slots.len();
        let mut i = start;
        while i + remaining <= n {
            if self.evaluations >= MAX_EVALUATIONS {
                return;
            }
            let slot = self.slots[i];
            let orig = self.work[slot.index];
            for &cand in &slot.cands {
                self.work[slot.index] = cand.ch;
                self.chosen.push(Change {
                    index: slot.index,
                    kind: slot.kind,
                    cand,
                });
                self.run(i + 1, remaining - 1);
                self.chosen.pop();
            }
            self.work[slot.index] = orig;
            i += 1;
        }
    }
}

/// How [`search`] settles several accepted combinations with the same
/// number of changes, by their candidates' confidences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TieBreak {
    /// Never: a second accepted combination makes the result ambiguous
    /// (alphanumeric fields, where look-alikes are equally plausible).
    Never,
    /// The best sum of confidences wins when it is higher at all.
    Margin,
    /// The best product of confidences (calibrated likelihoods) wins when
    /// it is this many times the second's.
    Ratio(f32),
}

/// Searches for the fewest substitutions (1 to [`MAX_CHANGES`]) that make
/// `accept` true; several accepted combinations with the same count are
/// settled by `tie` or reported as ambiguous.
pub(crate) fn search<F: FnMut(&[u8]) -> bool>(
    buf: &[u8],
    slots: &[Slot],
    tie: TieBreak,
    accept: F,
) -> Outcome {
    let mut s = Search {
        slots: slots
            .iter()
            .filter(|s| !s.cands.is_empty() && s.index < buf.len())
            .collect(),
        work: buf.to_vec(),
        chosen: Vec::new(),
        hits: Vec::new(),
        evaluations: 0,
        accept,
    };
    for k in 1..=MAX_CHANGES.min(s.slots.len()) {
        s.run(0, k);
        if !s.hits.is_empty() {
            let mut hits = std::mem::take(&mut s.hits);
            if hits.len() == 1 {
                return Outcome::Found(hits.remove(0).2);
            }
            let settled = match tie {
                TieBreak::Never => false,
                TieBreak::Margin => {
                    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
                    hits[0].0 - hits[1].0 > SCORE_EPSILON
                }
                TieBreak::Ratio(r) => {
                    hits.sort_by(|a, b| b.1.total_cmp(&a.1));
                    hits[0].1 >= r * hits[1].1 && hits[0].1 > 0.0
                }
            };
            if settled {
                return Outcome::Found(hits.remove(0).2);
            }
            let results = hits
                .iter()
                .map(|(_, _, changes)| {
                    let mut r = buf.to_vec();
                    for c in changes {
                        r[c.index] = c.cand.ch;
                    }
                    r
                })
                .collect();
            return Outcome::Ambiguous {
                changes: k,
                results,
            };
        }
        if s.evaluations >= MAX_EVALUATIONS {
            break;
        }
    }
    Outcome::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_char;

    fn date_slots(buf: &[u8]) -> Vec<Slot> {
        buf.iter()
            .enumerate()
            .map(|(i, &c)| Slot {
                index: i,
                kind: Kind::Numeric,
                cands: candidates(c, Kind::Numeric, &[], false, false),
            })
            .collect()
    }

    fn cd_ok(b: &[u8]) -> bool {
        let n = b.len() - 1;
        b.iter().all(u8::is_ascii_digit) && check_char(&b[..n]) == Some(b[n])
    }

    #[test]
    fn tables() {
        for (l, d) in [
            (b'O', b'0'),
            (b'Q', b'0'),
            (b'D', b'0'),
            (b'I', b'1'),
            (b'L', b'1'),
            (b'Z', b'2'),
            (b'S', b'5'),
            (b'G', b'6'),
            (b'B', b'8'),
            (b'T', b'7'),
        ] {
            assert_eq!(letter_to_digit(l), Some(d));
        }
        for (d, l) in [
            (b'0', b'O'),
            (b'1', b'I'),
            (b'5', b'S'),
            (b'8', b'B'),
            (b'2', b'Z'),
            (b'6', b'G'),
        ] {
            assert_eq!(digit_to_letter(d), Some(l));
        }
        assert_eq!(letter_to_digit(b'A'), None);
        assert_eq!(digit_to_letter(b'4'), None);
    }

    #[test]
    fn candidates_respect_kind() {
        assert!(candidates(b'7', Kind::Numeric, &[], false, false).is_empty());
        assert_eq!(
            candidates(b'O', Kind::Numeric, &[], false, false)[0].ch,
            b'0'
        );
        assert_eq!(candidates(b'0', Kind::Alpha, &[], false, false)[0].ch, b'O');
        assert_eq!(
            candidates(b'0', Kind::AlphaNum, &[], false, false)[0].ch,
            b'O'
        );
        assert_eq!(
            candidates(b'O', Kind::AlphaNum, &[], false, false)[0].ch,
            b'0'
        );
        // Alternatives outside the kind are ignored; the best goes first.
        let c = candidates(
            b'8',
            Kind::Numeric,
            &[(b'B', 0.9), (b'6', 0.3), (b'3', 0.4)],
            false,
            false,
        );
        assert_eq!(c.iter().map(|c| c.ch).collect::<Vec<_>>(), vec![b'3', b'6']);
        assert!(candidates(b'K', Kind::AlphaNum, &[], false, true).is_empty());
        assert_eq!(
            candidates(b'K', Kind::AlphaNum, &[], true, true)[0].ch,
            b'<'
        );
    }

    #[test]
    fn search_fewest_changes() {
        let buf = b"74O8122".to_vec();
        match search(&buf, &date_slots(&buf), TieBreak::Margin, cd_ok) {
            Outcome::Found(ch) => {
                assert_eq!(ch.len(), 1);
                assert_eq!(ch[0].index, 2);
                assert_eq!(ch[0].cand.ch, b'0');
            }
            o => panic!("{o:?}"),
        }
        // Nothing to try.
        let buf = b"7408125".to_vec();
        assert!(matches!(
            search(&buf, &date_slots(&buf), TieBreak::Margin, cd_ok),
            Outcome::NotFound
        ));
    }

    #[test]
    fn ties() {
        // Two single changes verify; confidences decide with tie_break,
        // otherwise the result is ambiguous.
        let buf = b"1".to_vec();
        let slots = vec![Slot {
            index: 0,
            kind: Kind::Numeric,
            cands: candidates(
                b'1',
                Kind::Numeric,
                &[(b'2', 0.6), (b'3', 0.3)],
                false,
                false,
            ),
        }];
        let accept = |b: &[u8]| b[0] == b'2' || b[0] == b'3';
        match search(&buf, &slots, TieBreak::Margin, accept) {
            Outcome::Found(c) => assert_eq!(c[0].cand.ch, b'2'),
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            search(&buf, &slots, TieBreak::Never, accept),
            Outcome::Ambiguous { changes: 1, .. }
        ));
        assert_eq!(pick_best(&slots[0].cands).map(|c| c.ch), Some(b'2'));
        let tied = candidates(
            b'1',
            Kind::Numeric,
            &[(b'2', 0.5), (b'3', 0.5)],
            false,
            false,
        );
        assert_eq!(pick_best(&tied), None);
    }
}
