//! Parsing: normalise, repair, extract, verify, judge.

use crate::check::{char_value, check_char, check_digit_bytes};
use crate::codes::is_valid_state_code;
use crate::date::{read_mrz_date, Date, DateKind, MrzDate};
use crate::error::MrzError;
use crate::fields::{at, extract, gather, name_filler_start, read_sex, text, trimmed_text};
use crate::format::{DocNumberLayout, Format, Layout, Pos, Span};
use crate::normalise::{normalise, push_flag, Origin};
use crate::repair::{
    candidates, letter_confusion, pick_best, search, Alternatives, Cand, Kind, Outcome, Slot,
    Source, TieBreak, LOOKALIKE_CONFIDENCE, UNLISTED_CONFIDENCE,
};
use crate::report::{Check, CheckStatus, MrzReport, Repair};
use std::collections::HashMap;

/// Per-character OCR alternatives for one position of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct CharAlternatives {
    /// 0-based input line (index into the slice given to [`parse`]; for
    /// [`parse_text`], into its non-blank lines).
    pub line: usize,
    /// 0-based column: character index in that input line.
    pub column: usize,
    /// Candidate characters with confidences (higher is better; the read
    /// character itself may be included). Lower case and `«`/`‹` are normalised.
    pub candidates: Vec<(char, f32)>,
}

/// Options for [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParseOptions {
    /// The date that birth-date century inference is relative to ("today").
    pub reference_date: Date,
    /// Whether to repair OCR confusions (default true). Normalisation
    /// (case, guillemets, spaces, trailing fillers) always happens.
    pub repair: bool,
    /// OCR alternatives (top-k per character), used by the repair stage.
    pub alternatives: Vec<CharAlternatives>,
    /// Whether the alternatives are calibrated: every position where the
    /// recogniser saw a second character of some weight (a few per cent of
    /// the winner's or more) is listed, with confidences proportional to
    /// likelihood (default false). Then a
    /// look-alike substitution the alternatives do not list counts as
    /// unlikely, and where several repairs of a field that holds letters
    /// and digits pass its check digit, one that is
    /// [`CALIBRATED_REPAIR_RATIO`] times likelier than every other is taken.
    pub calibrated: bool,
}

/// How much likelier than any other a repair must be to settle an
/// ambiguity under [`ParseOptions::calibrated`].
pub const CALIBRATED_REPAIR_RATIO: f32 = 3.0;

impl ParseOptions {
    /// Options with repair on and no alternatives.
    pub fn new(reference_date: Date) -> Self {
        ParseOptions {
            reference_date,
            repair: true,
            alternatives: Vec::new(),
            calibrated: false,
        }
    }
}

/// Parses MRZ lines (2 or 3; or one line holding a whole MRZ). Blank
/// entries are ignored. See [`MrzReport`] for what is reported.
///
/// ```
/// use kyc_mrz::{parse, Date, ParseOptions};
/// let opts = ParseOptions::new(Date::new(2026, 11, 23).unwrap());
/// let r = parse(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
///                 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"], &opts).unwrap();
/// assert!(r.valid);
/// assert_eq!(r.fields.document_number, "L898902C3");
/// assert_eq!(r.fields.birth_date.unwrap().to_string(), "1974-08-12");
/// ```
pub fn parse(lines: &[&str], options: &ParseOptions) -> Result<MrzReport, MrzError> {
    let mut w = Work::new(lines, options)?;
    let as_read = AsRead::capture(&w);
    if options.repair {
        w.repair_all();
    } else {
        w.profile = Profile::detect(w.format, w.layout, &w.lines);
    }
    Ok(w.finish(&as_read))
}

/// Splits `text` on newlines, drops blank lines and calls [`parse`].
pub fn parse_text(text: &str, options: &ParseOptions) -> Result<MrzReport, MrzError> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    parse(&lines, options)
}

fn build_alternatives(
    origin: &Origin,
    line_length: usize,
    list: &[CharAlternatives],
) -> Alternatives {
    if list.is_empty() {
        return Alternatives::default();
    }
    let mut map: HashMap<Pos, Vec<(u8, f32)>> = HashMap::new();
    for a in list {
        let Some(pos) = origin.find((a.line, a.column), line_length) else {
            continue;
        };
        let entry = map.entry(pos).or_default();
        for &(ch, conf) in &a.candidates {
            let ch = match ch {
                'a'..='z' => ch.to_ascii_uppercase(),
                '«' | '‹' | '≪' | '＜' => '<',
                _ => ch,
            };
            if !matches!(ch, 'A'..='Z' | '0'..='9' | '<') {
                continue;
            }
            let conf = if conf.is_finite() { conf.max(0.0) } else { 0.0 };
            // ASCII, checked above.
            let b = ch as u8;
            match entry.iter_mut().find(|e| e.0 == b) {
                Some(e) => e.1 = e.1.max(conf),
                None => entry.push((b, conf)),
            }
        }
    }
    Alternatives::from_map(map)
}

/// Issuer-specific knowledge that guides repair and adds flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Cambodian ID card: `IDKHM`, 9-digit number, composite may be `<`.
    KhmId,
    /// Cambodian passport: `PNKHM`, number `N` + 8 digits, personal number `N` + 10 digits.
    KhmPassport,
    Other,
}

impl Profile {
    fn detect(format: Format, layout: &Layout, lines: &[Vec<u8>]) -> Profile {
        let code = layout.code.bytes(lines);
        let issuer = layout.issuer.bytes(lines);
        match (format, code, issuer) {
            (Format::Td1, b"ID", b"KHM") => Profile::KhmId,
            (Format::Td3, b"PN", b"KHM") => Profile::KhmPassport,
            _ => Profile::Other,
        }
    }

    /// The kind of the `i`-th document-number character.
    fn doc_kind(self, i: usize) -> Kind {
        match (self, i) {
            (Profile::KhmId, _) => Kind::Numeric,
            (Profile::KhmPassport, 0) => Kind::Alpha,
            (Profile::KhmPassport, _) => Kind::Numeric,
            (Profile::Other, _) => Kind::AlphaNum,
        }
    }

    /// The kind of the `i`-th personal-number character.
    fn personal_kind(self, i: usize) -> Kind {
        match (self, i) {
            (Profile::KhmPassport, 0) => Kind::Alpha,
            (Profile::KhmPassport, 1..=10) => Kind::Numeric,
            _ => Kind::AlphaNum,
        }
    }
}

/// Closed-set fields as read, before any repair.
struct AsRead {
    issuer: Vec<u8>,
    nationality: Vec<u8>,
    sex: u8,
    name: Vec<u8>,
}

impl AsRead {
    fn capture(w: &Work) -> AsRead {
        AsRead {
            issuer: w.layout.issuer.bytes(&w.lines).to_vec(),
            nationality: w.layout.nationality.bytes(&w.lines).to_vec(),
            sex: at(&w.lines, w.layout.sex),
            name: w.layout.name.bytes(&w.lines).to_vec(),
        }
    }
}

/// A state code field is valid: letters left-aligned, then fillers, forming a known code.
fn code_is_valid(bytes: &[u8]) -> bool {
    let letters = bytes.iter().take_while(|c| c.is_ascii_uppercase()).count();
    letters > 0
        && bytes[letters..].iter().all(|&c| c == b'<')
        && std::str::from_utf8(&bytes[..letters]).is_ok_and(is_valid_state_code)
}

fn date_digit_ok(buf: &[u8], kind: DateKind, reference: Date) -> bool {
    let (data, cd) = buf.split_at(6);
    let date_ok = matches!(
        read_mrz_date(data, kind, reference),
        MrzDate::Valid(_) | MrzDate::Unknown
    );
    date_ok && cd.first().is_some_and(u8::is_ascii_digit) && check_char(data) == cd.first().copied()
}

/// Check digit at the end of `buf` matches the rest.
fn digit_matches(buf: &[u8]) -> bool {
    match buf.split_last() {
        Some((&cd, data)) => cd.is_ascii_digit() && check_char(data) == Some(cd),
        None => false,
    }
}

/// A document number: no leading filler, fillers only as trailing padding.
fn doc_structure_ok(data: &[u8]) -> bool {
    match data.iter().position(|&c| c == b'<') {
        Some(0) => false,
        Some(i) => data[i..].iter().all(|&c| c == b'<'),
        None => true,
    }
}

struct Work {
    format: Format,
    layout: &'static Layout,
    lines: Vec<Vec<u8>>,
    reference: Date,
    alts: Alternatives,
    repairs: Vec<Repair>,
    flags: Vec<&'static str>,
    /// Explanations (ambiguous or rejected repairs) added to the reasons when invalid.
    notes: Vec<String>,
    profile: Profile,
    /// Indices into `repairs` of check-digit-confirmed alphanumeric repairs,
    /// which the composite may still reject.
    alnum_repairs: Vec<usize>,
    /// [`ParseOptions::calibrated`].
    calibrated: bool,
}

impl Work {
    fn new(lines: &[&str], options: &ParseOptions) -> Result<Work, MrzError> {
        let norm = normalise(lines)?;
        let alts = build_alternatives(
            &norm.origin,
            norm.format.line_length(),
            &options.alternatives,
        );
        Ok(Work {
            format: norm.format,
            layout: norm.format.layout(),
            lines: norm.lines,
            reference: options.reference_date,
            alts,
            repairs: Vec::new(),
            flags: norm.flags,
            notes: Vec::new(),
            profile: Profile::Other,
            alnum_repairs: Vec::new(),
            calibrated: options.calibrated,
        })
    }

    fn get(&self, p: Pos) -> u8 {
        at(&self.lines, p)
    }

    fn set(&mut self, p: Pos, c: u8) {
        if let Some(slot) = self.lines.get_mut(p.0).and_then(|l| l.get_mut(p.1)) {
            *slot = c;
        }
    }

    fn record(&mut self, p: Pos, to: u8, field: &str, reason: String) {
        let from = self.get(p);
        self.set(p, to);
        self.repairs.push(Repair {
            line: p.0,
            column: p.1,
            from: char::from(from),
            to: char::from(to),
            field: field.to_string(),
            reason,
        });
    }

    /// Whether no repair step would change anything: every check digit
    /// verifies (or is a permitted filler), dates are real, closed-set fields
    /// are valid, names hold no digits and no `K` sits where a filler is
    /// expected. A conservative, allocation-free shortcut for the common
    /// case of a clean read: when it says `false`, the full repair pass runs
    /// (and may still change nothing).
    fn nothing_to_repair(&self) -> bool {
        let l = self.layout;
        let lines = &self.lines;
        let code = l.code.bytes(lines);
        if !code.first().is_some_and(u8::is_ascii_uppercase)
            || code.get(1).is_some_and(u8::is_ascii_digit)
        {
            return false;
        }
        if !code_is_valid(l.issuer.bytes(lines)) || !code_is_valid(l.nationality.bytes(lines)) {
            return false;
        }
        if !matches!(self.get(l.sex), b'M' | b'F' | b'X' | b'<') {
            return false;
        }
        let name = l.name.bytes(lines);
        if name.iter().any(u8::is_ascii_digit)
            || name_filler_start(name).is_some_and(|s| name[s..].contains(&b'K'))
        {
            return false;
        }
        let mut filler_regions = [l.optional1, l.optional2, l.personal.map(|p| p.0)]
            .into_iter()
            .flatten();
        if filler_regions.any(|s| s.bytes(lines).contains(&b'K')) {
            return false;
        }
        let digit_ok = |data: &[u8], cd: Pos| {
            let c = self.get(cd);
            c.is_ascii_digit() && check_char(data) == Some(c)
        };
        for (span, cd, kind) in [
            (l.birth, l.birth_cd, DateKind::Birth),
            (l.expiry, l.expiry_cd, DateKind::Expiry),
        ] {
            let data = span.bytes(lines);
            let date_ok = matches!(
                read_mrz_date(data, kind, self.reference),
                MrzDate::Valid(_) | MrzDate::Unknown
            );
            if !date_ok || !digit_ok(data, cd) {
                return false;
            }
        }
        // A long document number (`<` in the check-digit position) takes the full pass.
        let number = l.doc_number.bytes(lines);
        if !digit_ok(number, l.doc_cd) {
            return false;
        }
        let profile = Profile::detect(self.format, l, lines);
        if profile == Profile::KhmId && !number.iter().all(u8::is_ascii_digit) {
            return false;
        }
        if let Some((span, cd)) = l.personal {
            let data = span.bytes(lines);
            let empty = data.iter().all(|&c| c == b'<') && self.get(cd) == b'<';
            if !empty && !digit_ok(data, cd) {
                return false;
            }
        }
        if let Some((parts, cpos)) = l.composite {
            let c = self.get(cpos);
            if !(profile == Profile::KhmId && c == b'<') {
                let data = parts.iter().flat_map(|s| s.bytes(lines));
                if !c.is_ascii_digit() || check_digit_bytes(data) != Some(c - b'0') {
                    return false;
                }
            }
        }
        true
    }

    fn repair_all(&mut self) {
        if self.nothing_to_repair() {
            self.profile = Profile::detect(self.format, self.layout, &self.lines);
            return;
        }
        self.repair_every_field();
    }

    fn repair_every_field(&mut self) {
        self.repair_document_code();
        self.repair_code(self.layout.issuer, "issuer");
        self.repair_code(self.layout.nationality, "nationality");
        self.repair_sex();
        self.repair_name();
        self.profile = Profile::detect(self.format, self.layout, &self.lines);
        self.repair_structural_fillers();
        self.repair_date(
            self.layout.birth,
            self.layout.birth_cd,
            DateKind::Birth,
            "birth_date",
        );
        self.repair_date(
            self.layout.expiry,
            self.layout.expiry_cd,
            DateKind::Expiry,
            "expiry_date",
        );
        self.repair_document_number();
        self.repair_personal_number();
        self.repair_composite();
        if !self.repairs.is_empty() {
            push_flag(&mut self.flags, "repaired");
        }
    }

    /// Unprotected alphabetic position: the best look-alike or alternative, if unique.
    fn best_alpha(&self, p: Pos, filler_ok: bool) -> Option<Cand> {
        pick_best(&candidates(
            self.get(p),
            Kind::Alpha,
            self.alts.get(p),
            filler_ok,
            false,
        ))
    }

    fn repair_document_code(&mut self) {
        let span = self.layout.code;
        // Only the first character is constrained (A, C, I, P, V: a letter); the
        // second is at the issuer's discretion (ICAO 9303-5 §4.2.2) and real cards
        // use digits there (US permanent resident card: `C1`), so it is left as read.
        if let Some(p) = span.positions().next() {
            let c = self.get(p);
            if c.is_ascii_uppercase() {
                return;
            }
            if let Some(cand) = self.best_alpha(p, false) {
                let reason = format!(
                    "{}; the document code starts with a letter and has no check digit",
                    cand.describe(c, Kind::Alpha)
                );
                self.record(p, cand.ch, "document_code", reason);
                push_flag(&mut self.flags, "document_code_repaired");
            }
        }
    }

    /// Issuer / nationality: if the code read is not valid, look for the
    /// single valid code reachable by look-alikes and alternatives.
    fn repair_code(&mut self, span: Span, field: &'static str) {
        let read = span.bytes(&self.lines).to_vec();
        if code_is_valid(&read) {
            return;
        }
        let positions: Vec<Pos> = span.positions().collect();
        let slots: Vec<Slot> = positions
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let mut cands = candidates(read[i], Kind::Alpha, self.alts.get(p), i > 0, true);
                if let Some(ch) = letter_confusion(read[i]) {
                    if cands.iter().all(|c| c.ch != ch) {
                        cands.push(Cand {
                            ch,
                            conf: LOOKALIKE_CONFIDENCE,
                            source: Source::LookAlike,
                        });
                    }
                }
                Slot {
                    index: i,
                    kind: Kind::Alpha,
                    cands,
                }
            })
            .collect();
        match search(&read, &slots, TieBreak::Never, code_is_valid) {
            Outcome::Found(changes) => {
                let mut fixed = read.clone();
                for c in &changes {
                    fixed[c.index] = c.cand.ch;
                }
                for c in changes {
                    let reason = format!(
                        "{}: {field} '{}' is not a valid ICAO/ISO 3166-1 code and '{}' is the only valid look-alike; a suggestion, not verified (no check digit covers the {field})",
                        c.cand.describe(read[c.index], c.kind),
                        trimmed_text(&read),
                        trimmed_text(&fixed),
                    );
                    self.record(positions[c.index], c.cand.ch, field, reason);
                }
            }
            Outcome::Ambiguous { results, .. } => {
                let list: Vec<String> = results.iter().map(|r| trimmed_text(r)).collect();
                push_flag(&mut self.flags, "repair_ambiguous");
                self.notes.push(format!(
                    "{field} '{}': several look-alike codes are valid ({}), not repaired",
                    trimmed_text(&read),
                    list.join(", ")
                ));
            }
            Outcome::NotFound => {}
        }
    }

    fn repair_sex(&mut self) {
        let p = self.layout.sex;
        let c = self.get(p);
        if read_sex(c).is_some() {
            return;
        }
        let cands: Vec<Cand> = candidates(c, Kind::Alpha, self.alts.get(p), true, false)
            .into_iter()
            .filter(|k| read_sex(k.ch).is_some())
            .collect();
        if let Some(cand) = pick_best(&cands) {
            let reason = format!(
                "{}; '{}' is not a valid sex and no check digit covers the sex: a suggestion, not verified",
                cand.describe(c, Kind::Alpha),
                char::from(c)
            );
            self.record(p, cand.ch, "sex", reason);
        }
    }

    /// Names never contain digits: map them to look-alike letters (unprotected,
    /// flagged). `K` in the trailing filler after the given names is `<`.
    fn repair_name(&mut self) {
        let span = self.layout.name;
        for p in span.positions() {
            let c = self.get(p);
            if !c.is_ascii_digit() {
                continue;
            }
            if let Some(cand) = self.best_alpha(p, false) {
                let reason = format!(
                    "{}; names never contain digits; names have no check digit, so this is not verified",
                    cand.describe(c, Kind::Alpha)
                );
                self.record(p, cand.ch, "name", reason);
                push_flag(&mut self.flags, "name_repaired");
            }
        }
        let field = span.bytes(&self.lines).to_vec();
        if let Some(start) = name_filler_start(&field) {
            let region = &field[start..];
            if region.contains(&b'K') && region.iter().all(|&c| c == b'<' || c == b'K') {
                for (i, &c) in region.iter().enumerate() {
                    if c == b'K' {
                        let p = (span.line, span.start + start + i);
                        self.record(
                            p,
                            b'<',
                            "name",
                            "K read for < in the filler after the given names (nothing may follow them)".into(),
                        );
                    }
                }
                push_flag(&mut self.flags, "filler_repaired");
            }
        }
    }

    /// `K` read for `<` where the structure makes it certain (check digits
    /// cannot tell `K` from `<`): a lone `K` after at least two fillers in an
    /// otherwise empty optional-data field; `K` as the check digit of an empty
    /// TD3 personal number.
    fn repair_structural_fillers(&mut self) {
        let doc = DocNumberLayout::read(self.layout, &self.lines);
        let mut regions: Vec<(Span, &'static str)> = Vec::new();
        if let Some(s) = doc.optional_rest {
            regions.push((s, "optional1"));
        }
        if let Some(s) = self.layout.optional2 {
            regions.push((s, "optional2"));
        }
        if let Some((s, _)) = self.layout.personal {
            regions.push((s, "personal_number"));
        }
        for (span, field) in regions {
            let bytes = span.bytes(&self.lines);
            let ks: Vec<usize> = bytes
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == b'K')
                .map(|(i, _)| i)
                .collect();
            let others_filler = bytes.iter().all(|&c| c == b'<' || c == b'K');
            if ks.len() == 1 && ks[0] >= 2 && others_filler {
                let p = (span.line, span.start + ks[0]);
                self.record(
                    p,
                    b'<',
                    field,
                    "K read for < in an otherwise empty filler run (check digits cannot tell K from <)".into(),
                );
                push_flag(&mut self.flags, "filler_repaired");
            }
        }
        if let Some((span, cd)) = self.layout.personal {
            if span.bytes(&self.lines).iter().all(|&c| c == b'<') && self.get(cd) == b'K' {
                self.record(
                    cd,
                    b'<',
                    "personal_number_check_digit",
                    "K read for < as the check digit of an empty personal number".into(),
                );
                push_flag(&mut self.flags, "filler_repaired");
            }
        }
    }

    /// Applies a search outcome to the given positions.
    fn apply(
        &mut self,
        outcome: Outcome,
        positions: &[Pos],
        names: &dyn Fn(usize) -> &'static str,
        confirmed_by: &str,
        label: &str,
    ) -> Vec<usize> {
        let mut applied = Vec::new();
        match outcome {
            Outcome::Found(changes) => {
                for c in changes {
                    let p = positions[c.index];
                    let reason = format!(
                        "{}, confirmed by {confirmed_by}",
                        c.cand.describe(self.get(p), c.kind)
                    );
                    applied.push(self.repairs.len());
                    self.record(p, c.cand.ch, names(c.index), reason);
                }
            }
            Outcome::Ambiguous { changes, results } => {
                push_flag(&mut self.flags, "repair_ambiguous");
                let shown: Vec<String> = results.iter().take(5).map(|r| text(r)).collect();
                self.notes.push(format!(
                    "{label}: {} different repairs with {changes} change(s) each satisfy {confirmed_by} ({}{}); ambiguous, not repaired",
                    results.len(),
                    shown.join(", "),
                    if results.len() > 5 { ", …" } else { "" }
                ));
            }
            Outcome::NotFound => {}
        }
        applied
    }

    fn repair_date(&mut self, span: Span, cd: Pos, kind: DateKind, name: &'static str) {
        let mut positions: Vec<Pos> = span.positions().collect();
        positions.push(cd);
        let buf = gather(&self.lines, &positions);
        let reference = self.reference;
        if date_digit_ok(&buf, kind, reference) {
            return;
        }
        let slots = self.slots(&positions, |_| Kind::Numeric, |_| false);
        let outcome = search(&buf, &slots, TieBreak::Margin, |b| {
            date_digit_ok(b, kind, reference)
        });
        let n = span.len;
        let cd_name: &'static str = match kind {
            DateKind::Birth => "birth_date_check_digit",
            DateKind::Expiry => "expiry_date_check_digit",
        };
        let names = move |i: usize| if i < n { name } else { cd_name };
        let label = name.replace('_', " ");
        self.apply(
            outcome,
            &positions,
            &names,
            &format!("the {label} check digit and a valid date"),
            &label,
        );
    }

    fn slots(
        &self,
        positions: &[Pos],
        kind: impl Fn(usize) -> Kind,
        filler_ok: impl Fn(usize) -> bool,
    ) -> Vec<Slot> {
        positions
            .iter()
            .enumerate()
            .map(|(i, &p)| Slot {
                index: i,
                kind: kind(i),
                cands: self.candidates_at(p, kind(i), filler_ok(i)),
            })
            .collect()
    }

    /// [`candidates`] for position `p`; under [`ParseOptions::calibrated`],
    /// each takes the likelihood the alternatives give it (a substitution
    /// they do not list is unlikely, look-alike or not).
    fn candidates_at(&self, p: Pos, kind: Kind, filler_ok: bool) -> Vec<Cand> {
        let alts = self.alts.get(p);
        let mut cands = candidates(self.get(p), kind, alts, filler_ok, false);
        if self.calibrated {
            for c in &mut cands {
                c.conf = alts
                    .iter()
                    .find(|a| a.0 == c.ch)
                    .map_or(UNLISTED_CONFIDENCE, |a| a.1);
            }
            cands.sort_by(|a, b| b.conf.total_cmp(&a.conf));
        }
        cands
    }

    /// How a search for an alphanumeric field's repair settles a tie.
    fn alnum_tie_break(&self) -> TieBreak {
        if self.calibrated {
            TieBreak::Ratio(CALIBRATED_REPAIR_RATIO)
        } else {
            TieBreak::Never
        }
    }

    fn repair_document_number(&mut self) {
        let doc = DocNumberLayout::read(self.layout, &self.lines);
        let mut positions = doc.positions.clone();
        positions.push(doc.cd);
        let n = doc.positions.len();
        let buf = gather(&self.lines, &positions);
        let numeric = self.profile == Profile::KhmId;
        let all_digits = |b: &[u8]| b[..n].iter().all(u8::is_ascii_digit);
        if digit_matches(&buf) && (!numeric || all_digits(&buf)) {
            return;
        }
        let profile = self.profile;
        let slots = self.slots(
            &positions,
            |i| {
                if i < n {
                    profile.doc_kind(i)
                } else {
                    Kind::Numeric
                }
            },
            |_| false,
        );
        let tie = if numeric {
            TieBreak::Margin
        } else {
            self.alnum_tie_break()
        };
        let outcome = search(&buf, &slots, tie, |b| {
            digit_matches(b) && doc_structure_ok(&b[..n]) && (!numeric || all_digits(b))
        });
        let names = move |i: usize| {
            if i < n {
                "document_number"
            } else {
                "document_number_check_digit"
            }
        };
        let confirmed = if numeric {
            "the document-number check digit (Cambodian ID numbers are 9 digits)"
        } else if self.calibrated {
            "the document-number check digit (the only candidate, or three times likelier than any other)"
        } else {
            "the document-number check digit (unique candidate)"
        };
        let applied = self.apply(outcome, &positions, &names, confirmed, "document number");
        if !numeric {
            self.alnum_repairs.extend(applied);
        }
    }

    fn repair_personal_number(&mut self) {
        let Some((span, cd)) = self.layout.personal else {
            return;
        };
        let mut positions: Vec<Pos> = span.positions().collect();
        positions.push(cd);
        let n = span.len;
        let buf = gather(&self.lines, &positions);
        let ok = |b: &[u8]| digit_matches(b) || (b[..n].iter().all(|&c| c == b'<') && b[n] == b'<');
        if ok(&buf) {
            return;
        }
        let profile = self.profile;
        let slots = self.slots(
            &positions,
            |i| {
                if i < n {
                    profile.personal_kind(i)
                } else {
                    Kind::Numeric
                }
            },
            |i| i == n,
        );
        let outcome = search(&buf, &slots, self.alnum_tie_break(), ok);
        let names = move |i: usize| {
            if i < n {
                "personal_number"
            } else {
                "personal_number_check_digit"
            }
        };
        let confirmed = if self.calibrated {
            "the personal-number check digit (the only candidate, or three times likelier than any other)"
        } else {
            "the personal-number check digit (unique candidate)"
        };
        let applied = self.apply(outcome, &positions, &names, confirmed, "personal number");
        self.alnum_repairs.extend(applied);
    }

    /// The field check digits as they stand: all pass (verified, or a permitted filler).
    fn field_checks_pass(&self) -> bool {
        let doc = DocNumberLayout::read(self.layout, &self.lines);
        let mut doc_pos = doc.positions.clone();
        doc_pos.push(doc.cd);
        let date = |span: Span, cd: Pos, kind| {
            let mut p: Vec<Pos> = span.positions().collect();
            p.push(cd);
            date_digit_ok(&gather(&self.lines, &p), kind, self.reference)
        };
        let personal_ok = self.layout.personal.is_none_or(|(span, cd)| {
            let mut p: Vec<Pos> = span.positions().collect();
            p.push(cd);
            let b = gather(&self.lines, &p);
            digit_matches(&b) || (b[..span.len].iter().all(|&c| c == b'<') && b[span.len] == b'<')
        });
        digit_matches(&gather(&self.lines, &doc_pos))
            && date(self.layout.birth, self.layout.birth_cd, DateKind::Birth)
            && date(self.layout.expiry, self.layout.expiry_cd, DateKind::Expiry)
            && personal_ok
    }

    fn repair_composite(&mut self) {
        let Some((parts, cpos)) = self.layout.composite else {
            return;
        };
        let fields_ok = self.field_checks_pass();
        let c = self.get(cpos);
        if self.profile == Profile::KhmId && c == b'K' && fields_ok {
            self.record(
                cpos,
                b'<',
                "composite_check_digit",
                "K read for < at the composite position of a Cambodian ID card (< there on cards issued before about 2016; K is no digit look-alike)".into(),
            );
            push_flag(&mut self.flags, "filler_repaired");
            return;
        }
        if c == b'<' && self.profile == Profile::KhmId {
            return;
        }
        let mut positions: Vec<Pos> = parts.iter().flat_map(|s| s.positions()).collect();
        positions.push(cpos);
        let buf = gather(&self.lines, &positions);
        if digit_matches(&buf) {
            return;
        }
        let mut outcome = Outcome::NotFound;
        if fields_ok {
            // Only the composite digit itself and the optional data (which only
            // the composite protects) may change.
            let doc = DocNumberLayout::read(self.layout, &self.lines);
            let mut free: Vec<Span> = Vec::new();
            if self.format == Format::Td1 || self.format == Format::Td2 {
                free.extend(doc.optional_rest);
                free.extend(self.layout.optional2);
            }
            let last = positions.len() - 1;
            let slots: Vec<Slot> = positions
                .iter()
                .enumerate()
                .filter(|&(i, p)| i == last || free.iter().any(|s| s.contains(*p)))
                .map(|(i, &p)| {
                    let kind = if i == last {
                        Kind::Numeric
                    } else {
                        Kind::AlphaNum
                    };
                    Slot {
                        index: i,
                        kind,
                        cands: self.candidates_at(p, kind, i != last),
                    }
                })
                .collect();
            // A composite that must vouch for an alphanumeric repair is not
            // itself repaired by likelihood alone: that would let the two
            // repairs cover for each other.
            let tie = if self.alnum_repairs.is_empty() {
                self.alnum_tie_break()
            } else {
                TieBreak::Never
            };
            outcome = search(&buf, &slots, tie, digit_matches);
        }
        let layout = self.layout;
        let names = |i: usize| {
            if i == positions.len() - 1 {
                "composite_check_digit"
            } else {
                layout.field_at(positions[i])
            }
        };
        let found = matches!(outcome, Outcome::Found(_));
        self.apply(
            outcome,
            &positions,
            &names,
            "the composite check digit",
            "composite",
        );
        // Every field check passes, the composite is a digit and disagrees:
        // the alphanumeric repairs (which the composite covers) are not confirmed.
        if fields_ok && !found && c.is_ascii_digit() && !self.alnum_repairs.is_empty() {
            self.reject_alnum_repairs();
        }
    }

    /// The composite (a digit) does not confirm the alphanumeric repairs: undo them.
    fn reject_alnum_repairs(&mut self) {
        let mut idx = std::mem::take(&mut self.alnum_repairs);
        idx.sort_unstable();
        for &i in idx.iter().rev() {
            if i >= self.repairs.len() {
                continue;
            }
            let r = self.repairs.remove(i);
            // ASCII: repairs only hold MRZ characters.
            self.set((r.line, r.column), r.from as u8);
            self.notes.push(format!(
                "{} repair {}->{} at line {}, column {} rejected: the composite check digit does not confirm it",
                r.field.replace('_', " "),
                r.from,
                r.to,
                r.line,
                r.column
            ));
        }
        push_flag(&mut self.flags, "repair_rejected_by_composite");
    }

    fn finish(mut self, as_read: &AsRead) -> MrzReport {
        let ex = extract(self.format, self.layout, &self.lines, self.reference);
        let mut reasons: Vec<String> = Vec::new();
        let mut flags = std::mem::take(&mut self.flags);
        let lines = &self.lines;

        // Check digits.
        let mut checks = Vec::new();
        let mut make = |field: &str, expected: Option<u8>, cd: Pos, absent_ok: bool| {
            let found = at(lines, cd);
            let status = if found == b'<' && absent_ok {
                CheckStatus::Absent
            } else if found.is_ascii_digit() && Some(found) == expected {
                CheckStatus::Verified
            } else {
                CheckStatus::Refuted
            };
            checks.push(Check {
                field: field.to_string(),
                expected: expected.map(char::from),
                found: char::from(found),
                status,
            });
        };
        let digit_of = |positions: &mut dyn Iterator<Item = Pos>| {
            let mut sum: u32 = 0;
            for (i, p) in positions.enumerate() {
                sum += char_value(at(lines, p))? * [7, 3, 1][i % 3];
            }
            // Below 10: the cast cannot truncate.
            Some(b'0' + (sum % 10) as u8)
        };
        make(
            "document_number",
            digit_of(&mut ex.doc.positions.iter().copied()),
            ex.doc.cd,
            false,
        );
        let l = self.layout;
        make(
            "birth_date",
            check_char(l.birth.bytes(lines)),
            l.birth_cd,
            false,
        );
        make(
            "expiry_date",
            check_char(l.expiry.bytes(lines)),
            l.expiry_cd,
            false,
        );
        if let Some((span, cd)) = l.personal {
            let data = span.bytes(lines);
            let empty = data.iter().all(|&c| c == b'<');
            make("personal_number", check_char(data), cd, empty);
        }
        if let Some((parts, cpos)) = l.composite {
            let expected = digit_of(&mut parts.iter().flat_map(|s| s.positions()));
            make("composite", expected, cpos, self.profile == Profile::KhmId);
        }

        let label = |f: &str| f.replace('_', " ");
        let fields_pass = checks
            .iter()
            .filter(|c| c.field != "composite")
            .all(Check::passes_strict);
        for c in &checks {
            match c.status {
                CheckStatus::Verified => {}
                CheckStatus::Refuted => reasons.push(format!(
                    "{} check digit refuted: expected {}, found {}",
                    label(&c.field),
                    c.expected.map_or_else(|| "?".to_string(), String::from),
                    c.found
                )),
                CheckStatus::Absent if c.field == "composite" => {
                    if fields_pass {
                        push_flag(&mut flags, "khm_composite_absent");
                    } else {
                        reasons.push(
                            "composite is < (the Cambodian exception applies only when the document-number, birth-date and expiry-date check digits pass)".into(),
                        );
                    }
                }
                CheckStatus::Absent => {}
            }
        }

        // Dates.
        for (kind, d, raw) in [
            ("birth date", ex.birth, self.layout.birth.bytes(lines)),
            ("expiry date", ex.expiry, self.layout.expiry.bytes(lines)),
        ] {
            let key = if kind == "birth date" {
                "birth_date"
            } else {
                "expiry_date"
            };
            match d {
                MrzDate::Valid(_) => {}
                MrzDate::Unknown => push_flag(
                    &mut flags,
                    if key == "birth_date" {
                        "birth_date_unknown"
                    } else {
                        "expiry_date_unknown"
                    },
                ),
                MrzDate::Invalid | MrzDate::NotNumeric => {
                    push_flag(
                        &mut flags,
                        if key == "birth_date" {
                            "invalid_birth_date"
                        } else {
                            "invalid_expiry_date"
                        },
                    );
                    reasons.push(format!(
                        "{kind} '{}' (YYMMDD) is not a valid date",
                        text(raw)
                    ));
                }
            }
        }
        if let MrzDate::Valid(e) = ex.expiry {
            if e < self.reference {
                push_flag(&mut flags, "expired");
            }
        }

        // Sex.
        if ex.fields.sex.is_none() {
            push_flag(&mut flags, "invalid_sex");
            reasons.push(format!(
                "sex '{}' is not M, F, X or <",
                char::from(at(lines, self.layout.sex))
            ));
        } else if read_sex(as_read.sex).is_none() {
            push_flag(&mut flags, "unverified_sex");
            reasons.push(format!(
                "sex '{}' as read is not M, F, X or <; '{}' is an unverified suggestion (no check digit covers the sex)",
                char::from(as_read.sex),
                char::from(at(lines, self.layout.sex))
            ));
        }

        // Document code.
        let code = self.layout.code.bytes(lines);
        let code_ok = code.first().is_some_and(u8::is_ascii_uppercase)
            && code
                .get(1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'<');
        if !code_ok {
            reasons.push(format!(
                "document code '{}' is not a letter followed by a letter, digit or <",
                text(code)
            ));
        }

        // Issuer and nationality: closed sets, no check digit.
        for (field, read, span) in [
            ("issuer", &as_read.issuer, self.layout.issuer),
            ("nationality", &as_read.nationality, self.layout.nationality),
        ] {
            if code_is_valid(read) {
                continue;
            }
            push_flag(
                &mut flags,
                if field == "issuer" {
                    "unverified_issuer"
                } else {
                    "unverified_nationality"
                },
            );
            let now = span.bytes(lines);
            let suggestion = if now != read.as_slice() && code_is_valid(now) {
                format!(
                    " (look-alike repair suggests '{}', not verified)",
                    trimmed_text(now)
                )
            } else {
                String::new()
            };
            reasons.push(format!(
                "{field} not check-digit protected and not a valid code: '{}' is not an ICAO/ISO 3166-1 code{suggestion}",
                text(read)
            ));
        }

        // Names.
        let name = self.layout.name.bytes(lines);
        if name.iter().any(u8::is_ascii_digit) {
            reasons.push(format!("name '{}' contains digits", text(name)));
        } else if as_read.name.iter().any(u8::is_ascii_digit) {
            push_flag(&mut flags, "unverified_name");
            reasons.push(format!(
                "name as read '{}' contains digits; the look-alike letters in '{}' are an unverified suggestion (no check digit covers names)",
                text(&as_read.name),
                text(name)
            ));
        }
        if ex.fields.surname.is_empty() {
            reasons.push("surname (primary identifier) is empty".into());
        }
        if name.last().is_some_and(|&c| c != b'<') {
            push_flag(&mut flags, "name_truncated");
        }

        // Document number.
        if ex.fields.document_number.is_empty() {
            reasons.push("document number is empty".into());
        }
        if ex.doc.long {
            push_flag(&mut flags, "long_document_number");
        }
        let dn = ex.fields.document_number.as_bytes();
        let expected_shape = match self.profile {
            Profile::KhmId => dn.len() == 9 && dn.iter().all(u8::is_ascii_digit),
            Profile::KhmPassport => {
                dn.len() == 9 && dn[0] == b'N' && dn[1..].iter().all(u8::is_ascii_digit)
            }
            Profile::Other => true,
        };
        if !expected_shape {
            push_flag(&mut flags, "khm_unexpected_document_number");
        }

        let valid = reasons.is_empty();
        if !valid {
            reasons.append(&mut self.notes);
        }
        let khm_lenient = flags.contains(&"khm_composite_absent");

        // Fields protected by a verified check digit.
        let status = |f: &str| checks.iter().find(|c| c.field == f).map(|c| c.status);
        let composite_verified = status("composite") == Some(CheckStatus::Verified);
        let mut verified_fields: Vec<String> = Vec::new();
        if status("document_number") == Some(CheckStatus::Verified) {
            verified_fields.push("document_number".into());
        }
        if status("birth_date") == Some(CheckStatus::Verified) && ex.fields.birth_date.is_some() {
            verified_fields.push("birth_date".into());
        }
        if status("expiry_date") == Some(CheckStatus::Verified) && ex.fields.expiry_date.is_some() {
            verified_fields.push("expiry_date".into());
        }
        match status("personal_number") {
            Some(CheckStatus::Verified) => verified_fields.push("personal_number".into()),
            Some(CheckStatus::Absent) if composite_verified => {
                verified_fields.push("personal_number".into())
            }
            _ => {}
        }
        if composite_verified && matches!(self.format, Format::Td1 | Format::Td2) {
            verified_fields.push("optional1".into());
            if self.format == Format::Td1 {
                verified_fields.push("optional2".into());
            }
        }

        MrzReport {
            format: self.format,
            valid,
            valid_strict: valid && !khm_lenient,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            reasons,
            repairs: self.repairs,
            checks,
            fields: ex.fields,
            verified_fields,
            lines: self.lines.iter().map(|l| text(l)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECIMENS: [&[&str]; 5] = [
        &[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ],
        &[
            "I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ],
        &[
            "IDKHM1501009998<<<<<<<<<<<<<<<",
            "8501019M2506300KHM<<<<<<<<<<<<",
            "CHAN<<DARA<<<<<<<<<<<<<<<<<<<<",
        ],
        &[
            "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6",
        ],
        &[
            "PNKHMKEO<<VIBOL<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
            "N012345679KHM9207042M3201152N0001234567<<<72",
        ],
    ];

    /// The shortcut never skips a repair the full pass would make: on
    /// thousands of damaged specimens, whenever it says "nothing to repair",
    /// the full pass changes nothing and adds no flag or note.
    #[test]
    fn shortcut_agrees_with_the_full_repair_pass() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<KKOSIZB";
        let options = ParseOptions::new(Date::new(2026, 11, 23).unwrap());
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut shortcut, mut full) = (0, 0);
        for round in 0..6000 {
            let spec = SPECIMENS[round % SPECIMENS.len()];
            let mut lines: Vec<Vec<u8>> = spec.iter().map(|l| l.as_bytes().to_vec()).collect();
            for _ in 0..next(3) {
                let l = next(lines.len());
                let c = next(lines[l].len());
                lines[l][c] = ALPHABET[next(ALPHABET.len())];
            }
            let text: Vec<String> = lines
                .iter()
                .map(|l| String::from_utf8(l.clone()).unwrap())
                .collect();
            let refs: Vec<&str> = text.iter().map(String::as_str).collect();
            let w = Work::new(&refs, &options).unwrap();
            if !w.nothing_to_repair() {
                full += 1;
                continue;
            }
            shortcut += 1;
            let mut slow = Work::new(&refs, &options).unwrap();
            slow.repair_every_field();
            assert!(slow.repairs.is_empty(), "{text:?}: {:?}", slow.repairs);
            assert!(slow.notes.is_empty(), "{text:?}: {:?}", slow.notes);
            assert_eq!(slow.flags, w.flags, "{text:?}");
            assert_eq!(slow.profile, Profile::detect(w.format, w.layout, &w.lines));
        }
        // Both paths were exercised.
        assert!(shortcut > 500 && full > 500, "{shortcut} / {full}");
    }
}
