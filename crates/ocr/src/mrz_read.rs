//! Reading the MRZ of a photo: band candidates from [`crate::locate`],
//! per-line rectification ([`crate::rectify`]), recognition with the MRZ
//! model restricted to `A-Z0-9<`, and parsing with `kyc-mrz`.
//!
//! # Candidates and the time budget
//!
//! A band is read with several *variants* (character height of the
//! rectified strip, contrast stretch / Sauvola / Otsu binarisation, a small
//! re-fit of the line geometry). The first variant whose lines parse with
//! every check digit verified wins. While none does, the reads of one band
//! are combined position by position: the majority character becomes the
//! consensus read and the characters that other variants saw at the same
//! position are handed to the `kyc-mrz` repair as alternatives with their
//! vote share as confidence. Reading stops at [`MrzReadOptions::budget`].

use crate::error::{NoMrzReason, OcrError};
use crate::imgops;
use crate::locate::{locate_bands, Band, LocateParams};
use crate::rectify::{refine, render, LineGeom};
use crate::recognize::{OcrModel, TextRecognizer};
use image::GrayImage;
use kyc_mrz::{CharAlternatives, Date, MrzReport, ParseOptions};
use std::path::Path;
use std::time::{Duration, Instant};
use tesseract::PageSegMode;

/// Smallest MRZ line height (source pixels) that reads reliably.
pub const MIN_LINE_HEIGHT_PX: f32 = 7.0;
/// Sharpness below which a band is reported as blurred.
pub const MIN_SHARPNESS: f32 = 0.12;
/// Share of saturated pixels above which glare is reported.
pub const MAX_GLARE_SHARE: f32 = 0.2;

/// Tunables of the MRZ reader.
#[derive(Debug, Clone, PartialEq)]
pub struct MrzReadOptions {
    /// Stop trying further candidates after this much time (a read in
    /// progress finishes).
    pub budget: Duration,
    /// Most band candidates examined.
    pub max_bands: usize,
    /// Band finder settings.
    pub locate: LocateParams,
}

impl Default for MrzReadOptions {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(2500),
            max_bands: 4,
            locate: LocateParams::default(),
        }
    }
}

/// The result of reading an MRZ from a photo.
#[derive(Debug, Clone)]
pub struct MrzRead {
    /// The `kyc-mrz` report (fields, check digits, repairs, verdict).
    pub report: MrzReport,
    /// Whether the read is accepted: every check digit verified (or a
    /// permitted filler) and codes valid (`report.valid`). A read that is
    /// not accepted still carries the fields that check digits verified.
    pub accepted: bool,
    /// The lines as recognised (before repair) of the chosen candidate.
    pub raw_lines: Vec<String>,
    /// The band the MRZ was read from.
    pub band: Band,
    /// How many candidate reads (band × variant) were made.
    pub candidates: usize,
    /// Tesseract's mean confidence over the chosen read's lines (0–100).
    pub confidence: f32,
}

/// One way of rendering a band's lines for recognition.
#[derive(Debug, Clone, Copy)]
struct Variant {
    /// Ink height of the rectified strip, pixels.
    height: f32,
    prep: Prep,
    /// Shift across the line, in line heights, and extra rotation (degrees).
    shift: f32,
    angle: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Prep {
    Stretch,
    Sauvola,
    Otsu,
    Raw,
}

const VARIANTS: [Variant; 6] = [
    Variant { height: 30.0, prep: Prep::Stretch, shift: 0.0, angle: 0.0 },
    Variant { height: 38.0, prep: Prep::Sauvola, shift: 0.0, angle: 0.0 },
    Variant { height: 24.0, prep: Prep::Raw, shift: 0.0, angle: 0.0 },
    Variant { height: 34.0, prep: Prep::Otsu, shift: 0.08, angle: 0.3 },
    Variant { height: 44.0, prep: Prep::Stretch, shift: -0.08, angle: -0.3 },
    Variant { height: 28.0, prep: Prep::Sauvola, shift: 0.0, angle: 0.0 },
];

/// One read of a band: text per line (cleaned to `A-Z0-9<`) and confidence.
#[derive(Debug, Clone)]
struct LineRead {
    lines: Vec<String>,
    confidence: f32,
}

/// Reads MRZs with one Tesseract instance (not shareable across threads).
#[derive(Debug)]
pub struct MrzReader {
    rec: TextRecognizer,
    options: MrzReadOptions,
}

impl MrzReader {
    /// Loads the MRZ model from `model_dir`.
    pub fn new(model_dir: &Path) -> Result<Self, OcrError> {
        Self::with_options(model_dir, MrzReadOptions::default())
    }

    /// Loads the MRZ model from `model_dir` with explicit options.
    pub fn with_options(model_dir: &Path, options: MrzReadOptions) -> Result<Self, OcrError> {
        Ok(Self {
            rec: TextRecognizer::new(OcrModel::Mrz, model_dir)?,
            options,
        })
    }

    /// The options in use.
    pub fn options(&self) -> &MrzReadOptions {
        &self.options
    }

    /// Finds and reads the MRZ of a grey image. `reference` is "today" for
    /// the century of birth dates.
    ///
    /// Returns an accepted read as soon as one candidate verifies; otherwise
    /// the best partial read (at least two field check digits verified), or
    /// [`OcrError::NoMrz`] with the reason.
    pub fn read(&mut self, gray: &GrayImage, reference: Date) -> Result<MrzRead, OcrError> {
        let start = Instant::now();
        let (w, h) = gray.dimensions();
        if w < 16 || h < 16 {
            return Err(OcrError::NoMrz(NoMrzReason::TooSmall {
                line_height_px: 0.0,
                min_px: MIN_LINE_HEIGHT_PX,
            }));
        }
        let bands = locate_bands(gray, &self.options.locate);
        let mut candidates = 0usize;
        let mut best: Option<(i32, MrzRead)> = None;
        let usable: Vec<&Band> = bands
            .iter()
            .filter(|b| b.line_height() >= 0.8 * MIN_LINE_HEIGHT_PX)
            .take(self.options.max_bands)
            .collect();
        for band in &usable {
            if start.elapsed() > self.options.budget {
                break;
            }
            let geoms = refined_geoms(gray, band);
            // Orientation: trust the document-body heuristic; otherwise read
            // both ways once and keep the better-looking one.
            let mut orient_geoms = geoms.clone();
            let mut orient_band = (*band).clone();
            let first = self.read_variant(gray, &geoms, &VARIANTS[0])?;
            candidates += 1;
            let mut reads = vec![first];
            if !band.orientation_confident {
                let flipped: Vec<LineGeom> = geoms.iter().rev().map(LineGeom::flipped).collect();
                let other = self.read_variant(gray, &flipped, &VARIANTS[0])?;
                candidates += 1;
                if read_quality(&other, reference) > read_quality(&reads[0], reference) {
                    orient_geoms = flipped;
                    orient_band = band.flipped();
                    reads = vec![other];
                }
            }
            let mut variant_idx = 1;
            loop {
                if let Some(result) = self.evaluate(&reads, reference, &orient_band, candidates) {
                    if result.accepted {
                        return Ok(result);
                    }
                    let score = partial_score(&result.report);
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, result));
                    }
                }
                // Give up early on a band that does not read as an MRZ at all.
                if variant_idx >= 2 && reads.iter().all(|r| mrz_likeness(r) < 0.5) {
                    break;
                }
                if variant_idx >= VARIANTS.len() || start.elapsed() > self.options.budget {
                    break;
                }
                let r = self.read_variant(gray, &orient_geoms, &VARIANTS[variant_idx])?;
                candidates += 1;
                reads.push(r);
                variant_idx += 1;
            }
        }
        if let Some((score, mut read)) = best {
            if score >= 2 {
                read.candidates = candidates;
                return Ok(read);
            }
        }
        Err(OcrError::NoMrz(diagnose(gray, &usable, &bands, candidates)))
    }

    fn read_variant(&mut self, gray: &GrayImage, geoms: &[LineGeom], v: &Variant) -> Result<LineRead, OcrError> {
        let mut lines = Vec::with_capacity(geoms.len());
        let mut conf = 0f32;
        for g in geoms {
            let g = if v.shift != 0.0 || v.angle != 0.0 {
                g.perturbed(v.shift, v.angle)
            } else {
                *g
            };
            let strip = render(gray, &g, v.height);
            let strip = match v.prep {
                Prep::Raw => strip,
                Prep::Stretch => imgops::stretch(&strip, 0.01, 0.99),
                Prep::Otsu => imgops::binarize_otsu(&strip),
                Prep::Sauvola => imgops::binarize_sauvola(&strip, (v.height * 0.8) as u32, 0.2),
            };
            let r = self.rec.recognize(&strip, PageSegMode::PsmSingleLine)?;
            lines.push(clean_line(&r.text));
            conf += r.confidence.max(0) as f32;
        }
        Ok(LineRead {
            confidence: conf / geoms.len().max(1) as f32,
            lines,
        })
    }

    /// Parses the newest read alone, then (with two or more reads) the
    /// per-position consensus with alternatives. Returns the best outcome.
    fn evaluate(&self, reads: &[LineRead], reference: Date, band: &Band, candidates: usize) -> Option<MrzRead> {
        let last = reads.last()?;
        let len = expected_length(reads);
        let fitted: Vec<String> = last.lines.iter().map(|l| fit_length(l, len)).collect();
        let mut out: Option<MrzRead> = None;
        let consider = |out: &mut Option<MrzRead>, report: MrzReport, raw: Vec<String>, conf: f32| {
            let better = match out {
                None => true,
                Some(o) => {
                    (report.valid, partial_score(&report)) > (o.accepted, partial_score(&o.report))
                }
            };
            if better {
                *out = Some(MrzRead {
                    accepted: report.valid,
                    report,
                    raw_lines: raw,
                    band: band.clone(),
                    candidates,
                    confidence: conf,
                });
            }
        };
        let opts = ParseOptions::new(reference);
        let refs: Vec<&str> = fitted.iter().map(String::as_str).collect();
        if let Ok(report) = kyc_mrz::parse(&refs, &opts) {
            consider(&mut out, report, fitted.clone(), last.confidence);
        }
        let accepted = out.as_ref().is_some_and(|o| o.accepted);
        if reads.len() >= 2 && !accepted {
            if let Some((cons, alts)) = consensus(reads, len) {
                let mut opts = ParseOptions::new(reference);
                opts.alternatives = alts;
                let refs: Vec<&str> = cons.iter().map(String::as_str).collect();
                if let Ok(report) = kyc_mrz::parse(&refs, &opts) {
                    let conf = reads.iter().map(|r| r.confidence).sum::<f32>() / reads.len() as f32;
                    consider(&mut out, report, cons, conf);
                }
            }
        }
        out
    }
}

/// Line geometries of a band, each re-fitted to its ink.
fn refined_geoms(gray: &GrayImage, band: &Band) -> Vec<LineGeom> {
    band.lines
        .iter()
        .map(|l| refine(gray, &LineGeom::of(band, l)))
        .collect()
}

/// Keeps the MRZ alphabet of one recognised line (spaces dropped, `«` read as `<`).
fn clean_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'A'..='Z' | '0'..='9' | '<' => Some(c),
            'a'..='z' => Some(c.to_ascii_uppercase()),
            '«' | '‹' => Some('<'),
            _ => None,
        })
        .collect()
}

/// The MRZ line length the reads suggest: 30 for three lines, else 44 or 36.
fn expected_length(reads: &[LineRead]) -> usize {
    let n = reads.first().map_or(0, |r| r.lines.len());
    if n >= 3 {
        return 30;
    }
    let mut lens: Vec<usize> = reads.iter().flat_map(|r| r.lines.iter().map(String::len)).collect();
    lens.sort_unstable();
    let med = lens.get(lens.len() / 2).copied().unwrap_or(0);
    if med >= 40 {
        44
    } else {
        36
    }
}

/// Brings a line to `len` characters by shortening or lengthening its
/// longest run of fillers (the recogniser miscounts long `<` runs), or by
/// cutting/padding the end when it has none.
fn fit_length(line: &str, len: usize) -> String {
    let mut b: Vec<u8> = line.bytes().collect();
    if b.len() == len || b.is_empty() {
        return line.to_string();
    }
    // Longest run of '<'.
    let (mut best_s, mut best_l) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let s = i;
            while i < b.len() && b[i] == b'<' {
                i += 1;
            }
            if i - s > best_l {
                best_s = s;
                best_l = i - s;
            }
        } else {
            i += 1;
        }
    }
    if b.len() > len {
        let surplus = b.len() - len;
        if best_l > surplus {
            b.drain(best_s..best_s + surplus);
        } else {
            b.truncate(len);
        }
    } else {
        let missing = len - b.len();
        if best_l >= 2 {
            b.splice(best_s..best_s, std::iter::repeat_n(b'<', missing));
        } else {
            b.extend(std::iter::repeat_n(b'<', missing));
        }
    }
    String::from_utf8(b).unwrap_or_default()
}

/// Majority character per position over the reads whose lines can be
/// brought to `len`, and the disagreeing characters as alternatives.
fn consensus(reads: &[LineRead], len: usize) -> Option<(Vec<String>, Vec<CharAlternatives>)> {
    let n_lines = reads.first()?.lines.len();
    let mut cons = Vec::with_capacity(n_lines);
    let mut alts = Vec::new();
    for li in 0..n_lines {
        let fitted: Vec<Vec<u8>> = reads
            .iter()
            .filter_map(|r| r.lines.get(li))
            .filter(|l| l.len() + 4 >= len && l.len() <= len + 4)
            .map(|l| fit_length(l, len).into_bytes())
            .filter(|l| l.len() == len)
            .collect();
        if fitted.is_empty() {
            return None;
        }
        let mut line = Vec::with_capacity(len);
        for col in 0..len {
            let mut counts: Vec<(u8, u32)> = Vec::new();
            for f in &fitted {
                match counts.iter_mut().find(|c| c.0 == f[col]) {
                    Some(c) => c.1 += 1,
                    None => counts.push((f[col], 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1));
            line.push(counts[0].0);
            if counts.len() > 1 {
                let total = fitted.len() as f32;
                alts.push(CharAlternatives {
                    line: li,
                    column: col,
                    candidates: counts.iter().map(|&(c, k)| (char::from(c), k as f32 / total)).collect(),
                });
            }
        }
        cons.push(String::from_utf8(line).ok()?);
    }
    Some((cons, alts))
}

/// Ranking of a non-accepted report: verified check digits minus refuted ones.
fn partial_score(r: &MrzReport) -> i32 {
    let mut s = 0;
    for c in &r.checks {
        match c.status {
            kyc_mrz::CheckStatus::Verified => s += 1,
            kyc_mrz::CheckStatus::Refuted => s -= 1,
            kyc_mrz::CheckStatus::Absent => {}
        }
    }
    s
}

/// Share of the MRZ structure a read shows: lines near an MRZ length,
/// fillers present.
fn mrz_likeness(r: &LineRead) -> f32 {
    if r.lines.is_empty() {
        return 0.0;
    }
    let ok = r
        .lines
        .iter()
        .filter(|l| (26..=48).contains(&l.len()) && l.contains('<'))
        .count();
    ok as f32 / r.lines.len() as f32
}

/// Orientation choice score of a single read.
fn read_quality(r: &LineRead, reference: Date) -> (i32, i32) {
    let len = expected_length(std::slice::from_ref(r));
    let fitted: Vec<String> = r.lines.iter().map(|l| fit_length(l, len)).collect();
    let refs: Vec<&str> = fitted.iter().map(String::as_str).collect();
    let score = kyc_mrz::parse(&refs, &ParseOptions::new(reference))
        .map(|rep| partial_score(&rep) + 10)
        .unwrap_or(0);
    (score, (r.confidence + 100.0 * mrz_likeness(r)) as i32)
}

/// Why nothing was read: the best band's size, sharpness and glare.
fn diagnose(gray: &GrayImage, usable: &[&Band], all: &[Band], candidates: usize) -> NoMrzReason {
    if usable.is_empty() {
        if let Some(b) = all.first() {
            // Only tiny bands: the MRZ, if there is one, is too small.
            if b.score > 2.0 && b.line_height() < 0.8 * MIN_LINE_HEIGHT_PX {
                return NoMrzReason::TooSmall {
                    line_height_px: b.line_height(),
                    min_px: MIN_LINE_HEIGHT_PX,
                };
            }
        }
        return NoMrzReason::NotFound { candidates: all.len() };
    }
    let b = usable[0];
    if b.line_height() < MIN_LINE_HEIGHT_PX {
        return NoMrzReason::TooSmall {
            line_height_px: b.line_height(),
            min_px: MIN_LINE_HEIGHT_PX,
        };
    }
    let geoms: Vec<LineGeom> = b.lines.iter().map(|l| LineGeom::of(b, l)).collect();
    let mut saturated = 0f64;
    let mut sharp = 0f32;
    for g in &geoms {
        let strip = render(gray, g, 20.0);
        saturated += imgops::share_at_least(&strip, 250);
        sharp += sharpness(&strip);
    }
    let n = geoms.len().max(1) as f32;
    let saturated = saturated as f32 / n;
    let sharp = sharp / n;
    if saturated > MAX_GLARE_SHARE {
        return NoMrzReason::Glare {
            saturated_share: saturated,
            max_share: MAX_GLARE_SHARE,
        };
    }
    if sharp < MIN_SHARPNESS {
        return NoMrzReason::TooBlurred {
            sharpness: sharp,
            min_sharpness: MIN_SHARPNESS,
        };
    }
    NoMrzReason::NotFound { candidates }
}

/// Ratio of the strong-edge gradient (90th percentile of the horizontal
/// and vertical differences) to the contrast (5th–95th percentile spread)
/// of a strip rendered at 20 px ink height. Sharp print ≳ 0.25.
pub(crate) fn sharpness(strip: &GrayImage) -> f32 {
    let (w, h) = (strip.width() as usize, strip.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let d = strip.as_raw();
    let mut grads: Vec<u16> = Vec::with_capacity(w * h);
    for y in 0..h - 1 {
        for x in 0..w - 1 {
            let c = i32::from(d[y * w + x]);
            let gx = (i32::from(d[y * w + x + 1]) - c).abs();
            let gy = (i32::from(d[(y + 1) * w + x]) - c).abs();
            grads.push(gx.max(gy) as u16);
        }
    }
    grads.sort_unstable();
    let g90 = f32::from(grads[grads.len() * 9 / 10]);
    let hist = imgops::histogram(strip);
    let lo = f32::from(imgops::percentile(&hist, 0.05));
    let hi = f32::from(imgops::percentile(&hist, 0.95));
    let contrast = hi - lo;
    if contrast < 10.0 {
        return 0.0;
    }
    g90 / contrast
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_length_adjusts_the_longest_filler_run() {
        assert_eq!(fit_length("AB<<<<C", 5), "AB<<C");
        assert_eq!(fit_length("AB<<C", 7), "AB<<<<C");
        assert_eq!(fit_length("ABCDEFG", 5), "ABCDE");
        assert_eq!(fit_length("ABC", 5), "ABC<<");
        assert_eq!(fit_length("ABC<<", 5), "ABC<<");
    }

    #[test]
    fn clean_line_keeps_the_mrz_alphabet() {
        assert_eq!(clean_line(" P<ut o«X\n"), "P<UTO<X");
    }

    #[test]
    fn consensus_votes_and_lists_alternatives() {
        let r = |a: &str, b: &str| LineRead {
            lines: vec![a.to_string(), b.to_string()],
            confidence: 80.0,
        };
        let reads = [r("ABC<", "1234"), r("A8C<", "1234"), r("ABC<", "1Z34")];
        let (cons, alts) = consensus(&reads, 4).unwrap();
        assert_eq!(cons, vec!["ABC<", "1234"]);
        assert_eq!(alts.len(), 2);
        assert_eq!((alts[0].line, alts[0].column), (0, 1));
        assert_eq!(alts[0].candidates[0].0, 'B');
        assert!((alts[0].candidates[0].1 - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn expected_length_by_line_count_and_reads() {
        let r = |lines: &[&str]| LineRead {
            lines: lines.iter().map(|s| s.to_string()).collect(),
            confidence: 0.0,
        };
        assert_eq!(expected_length(&[r(&["A", "B", "C"])]), 30);
        assert_eq!(expected_length(&[r(&[&"<".repeat(43), &"<".repeat(45)])]), 44);
        assert_eq!(expected_length(&[r(&[&"<".repeat(36), &"<".repeat(35)])]), 36);
    }

    #[test]
    fn sharpness_separates_sharp_from_blurred() {
        let sharp = GrayImage::from_fn(60, 30, |x, _| image::Luma([if (x / 6) % 2 == 0 { 0 } else { 255 }]));
        let blurred = image::imageops::blur(&sharp, 4.0);
        assert!(sharpness(&sharp) > 0.5);
        assert!(sharpness(&blurred) < sharpness(&sharp) / 2.0);
    }
}
