//! The reading API the engine calls: a passport data page or a Cambodian
//! ID card front in, the fields of the API's `ocr-passport` / `ocr-idcard`
//! responses out, each with the evidence behind it.
//!
//! # Evidence
//!
//! Every field is a [`Field`]: a value or `null`, whether a check digit
//! verified it, where it came from, and — when `null` — why. Fields that no
//! check digit protects (names, nationality, sex) are returned only from an
//! *accepted* MRZ read: every check digit verified and the characters no
//! check digit covers confirmed by an independent read
//! ([`crate::MrzRead::accepted`]). On an unaccepted read only the fields
//! whose own check digit verified are returned.
//!
//! # Khmer ID card front
//!
//! The card front is located from the MRZ: an ID-1 card (85.6 × 54 mm)
//! carries the TD1 MRZ (30 OCR-B characters at 2.54 mm pitch) at its bottom,
//! so the band's direction and length give the card's frame and scale.
//! The field block (right of the portrait, above the MRZ) is resampled
//! upright at 12 px/mm, read with Tesseract's Khmer model as a block
//! (Khmer+English reads the Khmer worse and costs a third more), its rows
//! with Latin text (the printed number, the Latin name) read again with the
//! English model, and parsed by content: the 9-digit number, the Khmer name
//! row, the Latin name row, dates in Khmer digits (`DD.MM.YYYY`), the
//! validity row (`issue ដល់ expiry`). The front is read on a second thread
//! while the MRZ is confirmed, from the band the MRZ most likely comes
//! from (read again if the MRZ came from another).

use crate::decode::{decode_image, DecodeLimits};
use crate::error::OcrError;
use crate::imgops::{self, Frame};
use crate::locate::Band;
use crate::mrz_read::{MrzRead, MrzReader};
use crate::recognize::{OcrModel, Recognized, TextRecognizer};
use image::{DynamicImage, GrayImage};
use kyc_mrz::{Date, Format};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tesseract::PageSegMode;

/// One output field with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The value, or `None` when it could not be read reliably.
    pub value: Option<String>,
    /// Whether an MRZ check digit verified the value.
    pub verified_by_check_digit: bool,
    /// Where the value comes from: `mrz`, `mrz_confirmed` (an accepted MRZ
    /// read, no check digit covers the field), `front` (printed text), or
    /// `none`.
    pub source: &'static str,
    /// Why the value is `None`, or a caveat about it.
    pub reason: Option<String>,
}

impl Field {
    fn verified(value: String) -> Field {
        Field {
            value: Some(value),
            verified_by_check_digit: true,
            source: "mrz",
            reason: None,
        }
    }

    fn confirmed(value: String) -> Field {
        Field {
            value: Some(value),
            verified_by_check_digit: false,
            source: "mrz_confirmed",
            reason: None,
        }
    }

    fn front(value: String, note: Option<String>) -> Field {
        Field {
            value: Some(value),
            verified_by_check_digit: false,
            source: "front",
            reason: note,
        }
    }

    fn missing(reason: impl Into<String>) -> Field {
        Field {
            value: None,
            verified_by_check_digit: false,
            source: "none",
            reason: Some(reason.into()),
        }
    }
}

/// The `ocr-passport` fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassportReading {
    /// `document_number`.
    pub document_number: Field,
    /// `nationality` (ICAO code).
    pub nationality: Field,
    /// `dob`, `yyyy-MM-dd`.
    pub dob: Field,
    /// `expiredDate`, `yyyy-MM-dd`.
    pub expired_date: Field,
    /// `gender`: `M`, `F` or `X`.
    pub gender: Field,
    /// `firstNameEn`.
    pub first_name_en: Field,
    /// `lastNameEn`.
    pub last_name_en: Field,
    /// Evidence shared by all fields: the MRZ read.
    pub mrz: MrzEvidence,
}

impl PassportReading {
    /// The API's `ocr-passport` keys and values (`None` = JSON `null`).
    pub fn api_fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("expiredDate", self.expired_date.value.clone()),
            ("dob", self.dob.value.clone()),
            ("document_number", self.document_number.value.clone()),
            ("nationality", self.nationality.value.clone()),
            ("gender", self.gender.value.clone()),
            ("firstNameEn", self.first_name_en.value.clone()),
            ("lastNameEn", self.last_name_en.value.clone()),
        ]
    }
}

/// The `ocr-idcard` fields, plus address and place of birth for the
/// response's extension object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdCardReading {
    /// `idNumber`: 9 digits (MRZ line 1, positions 6-14).
    pub id_number: Field,
    /// `firstNameKh` (front, Khmer script).
    pub first_name_kh: Field,
    /// `lastNameKh` (front, Khmer script).
    pub last_name_kh: Field,
    /// `firstNameEn` (MRZ line 3).
    pub first_name_en: Field,
    /// `lastNameEn` (MRZ line 3).
    pub last_name_en: Field,
    /// `gender`.
    pub gender: Field,
    /// `dob`.
    pub dob: Field,
    /// `issuedDate` (front validity row, Khmer digits).
    pub issued_date: Field,
    /// `expiredDate`.
    pub expired_date: Field,
    /// `MRZ1`-`MRZ3` as read after repair.
    pub mrz_lines: [Field; 3],
    /// Place of birth (front), for the extension object.
    pub place_of_birth: Field,
    /// Address (front, one or two rows joined), for the extension object.
    pub address: Field,
    /// The 9-digit number printed at the top right, as read, and whether it
    /// equals the MRZ number (`None`: not read).
    pub printed_id_number: Option<String>,
    /// Whether the printed Latin name row equals the MRZ name (`None`: not read).
    pub printed_name_matches: Option<bool>,
    /// Evidence shared by the MRZ fields.
    pub mrz: MrzEvidence,
}

impl IdCardReading {
    /// The API's `ocr-idcard` keys and values (`None` = JSON `null`).
    pub fn api_fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("idNumber", self.id_number.value.clone()),
            ("firstNameKh", self.first_name_kh.value.clone()),
            ("lastNameKh", self.last_name_kh.value.clone()),
            ("firstNameEn", self.first_name_en.value.clone()),
            ("lastNameEn", self.last_name_en.value.clone()),
            ("gender", self.gender.value.clone()),
            ("dob", self.dob.value.clone()),
            ("issuedDate", self.issued_date.value.clone()),
            ("expiredDate", self.expired_date.value.clone()),
            ("MRZ1", self.mrz_lines[0].value.clone()),
            ("MRZ2", self.mrz_lines[1].value.clone()),
            ("MRZ3", self.mrz_lines[2].value.clone()),
        ]
    }
}

/// What the MRZ read says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MrzEvidence {
    /// Format (`TD1`, `TD3`, …).
    pub format: String,
    /// Accepted: all check digits verified and confirmed by a second read.
    pub accepted: bool,
    /// `kyc-mrz`'s verdict on the lines.
    pub valid: bool,
    /// `kyc-mrz` flags (`repaired`, `khm_composite_absent`, `expired`, …).
    pub flags: Vec<String>,
    /// Why the MRZ is not valid (empty when valid).
    pub reasons: Vec<String>,
    /// Check-digit evidence per field: (field, `verified`/`refuted`/`absent`).
    pub checks: Vec<(String, String)>,
    /// Candidate reads made.
    pub candidates: usize,
}

impl MrzEvidence {
    fn of(read: &MrzRead) -> MrzEvidence {
        let r = &read.report;
        MrzEvidence {
            format: r.format.as_str().to_string(),
            accepted: read.accepted,
            valid: r.valid,
            flags: r.flags.clone(),
            reasons: r.reasons.clone(),
            checks: r
                .checks
                .iter()
                .map(|c| {
                    let s = match c.status {
                        kyc_mrz::CheckStatus::Verified => "verified",
                        kyc_mrz::CheckStatus::Refuted => "refuted",
                        kyc_mrz::CheckStatus::Absent => "absent",
                    };
                    (c.field.clone(), s.to_string())
                })
                .collect(),
            candidates: read.candidates,
        }
    }
}

/// Reads passports and ID cards. Holds Tesseract instances: not shareable
/// across threads; keep one per worker and reuse it (loading costs ≈0.1 s
/// per model).
pub struct DocumentReader {
    mrz: MrzReader,
    /// Khmer recogniser for the card front's field block.
    front: Option<TextRecognizer>,
    /// English recogniser for the rows with Latin text (printed ID number,
    /// Latin name).
    latin: Option<TextRecognizer>,
    model_dir: PathBuf,
    limits: DecodeLimits,
}

impl std::fmt::Debug for DocumentReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentReader")
            .field("model_dir", &self.model_dir)
            .finish()
    }
}

impl DocumentReader {
    /// Loads the MRZ model from `model_dir` (the Khmer model is loaded on
    /// the first ID card).
    pub fn new(model_dir: &Path) -> Result<Self, OcrError> {
        Ok(Self {
            mrz: MrzReader::new(model_dir)?,
            front: None,
            latin: None,
            model_dir: model_dir.to_path_buf(),
            limits: DecodeLimits::default(),
        })
    }

    /// The MRZ reader, for callers that need the raw read.
    pub fn mrz_reader(&mut self) -> &mut MrzReader {
        &mut self.mrz
    }

    /// Decodes untrusted bytes (PNG/JPEG, limits checked first) and reads a passport.
    pub fn read_passport_bytes(
        &mut self,
        bytes: &[u8],
        reference: Date,
    ) -> Result<PassportReading, OcrError> {
        let rgb = decode_image(bytes, &self.limits)?;
        self.read_passport(&DynamicImage::ImageRgb8(rgb), reference)
    }

    /// Decodes untrusted bytes and reads a Cambodian ID card front.
    pub fn read_id_card_bytes(
        &mut self,
        bytes: &[u8],
        reference: Date,
    ) -> Result<IdCardReading, OcrError> {
        let rgb = decode_image(bytes, &self.limits)?;
        self.read_id_card(&DynamicImage::ImageRgb8(rgb), reference)
    }

    /// Reads a passport data page (TD3 MRZ). `reference` is today's date
    /// (century of the birth date).
    ///
    /// Errors: [`OcrError::NoMrz`] (no MRZ found or readable, with the
    /// reason), [`OcrError::WrongDocument`] (an MRZ of another format).
    pub fn read_passport(
        &mut self,
        image: &DynamicImage,
        reference: Date,
    ) -> Result<PassportReading, OcrError> {
        let gray = image.to_luma8();
        let read = self.mrz.read(&gray, reference)?;
        let r = &read.report;
        if r.format != Format::Td3 {
            return Err(OcrError::WrongDocument {
                expected: "passport (TD3 MRZ)",
                found: format!("{} {}", r.format.as_str(), r.fields.document_code),
            });
        }
        let common = common_fields(&read);
        Ok(PassportReading {
            document_number: common.number,
            nationality: common.nationality,
            dob: common.dob,
            expired_date: common.expiry,
            gender: common.gender,
            first_name_en: common.given,
            last_name_en: common.surname,
            mrz: MrzEvidence::of(&read),
        })
    }

    /// Reads the front of a Cambodian national ID card (TD1 MRZ under the
    /// personal data) and its Khmer fields.
    ///
    /// Errors: as [`DocumentReader::read_passport`]; an MRZ that is not TD1
    /// gives [`OcrError::WrongDocument`]. A failure to read the Khmer
    /// fields is not an error: those fields are `null` with the reason.
    pub fn read_id_card(
        &mut self,
        image: &DynamicImage,
        reference: Date,
    ) -> Result<IdCardReading, OcrError> {
        let gray = image.to_luma8();
        // The card front is read on a second thread from the band the MRZ
        // will most likely come from, while the MRZ is being confirmed.
        let (read, early_front) = {
            let Self {
                mrz,
                front,
                latin,
                model_dir,
                ..
            } = self;
            let gray = &gray;
            let model_dir: &Path = model_dir;
            std::thread::scope(|scope| {
                let mut recognizers = Some((front, latin));
                let mut early = None;
                let read = mrz.read_with_hint(gray, reference, &mut |band| {
                    if let Some((front, latin)) = recognizers.take() {
                        let band = band.clone();
                        early = Some((
                            band.clone(),
                            scope.spawn(move || read_front(front, latin, model_dir, gray, &band)),
                        ));
                    }
                });
                let early_front = early.and_then(|(band, handle)| {
                    let front = handle.join().ok()?;
                    read.as_ref().ok().filter(|r| r.band.same_as(&band))?;
                    Some(front)
                });
                (read, early_front)
            })
        };
        let read = read?;
        let r = &read.report;
        if r.format != Format::Td1 {
            return Err(OcrError::WrongDocument {
                expected: "ID card (TD1 MRZ)",
                found: format!("{} {}", r.format.as_str(), r.fields.document_code),
            });
        }
        let common = common_fields(&read);
        let mrz_lines = [0, 1, 2].map(|i| match r.lines.get(i) {
            Some(l) if read.accepted => Field::confirmed(l.clone()),
            Some(l) => Field {
                value: Some(l.clone()),
                verified_by_check_digit: false,
                source: "mrz",
                reason: Some(format!("MRZ not accepted: {}", r.reasons.join("; "))),
            },
            None => Field::missing("line not read"),
        });
        let mut out = IdCardReading {
            id_number: common.number,
            first_name_kh: Field::missing("Khmer name row not read"),
            last_name_kh: Field::missing("Khmer name row not read"),
            first_name_en: common.given,
            last_name_en: common.surname,
            gender: common.gender,
            dob: common.dob,
            issued_date: Field::missing("validity row not read"),
            expired_date: common.expiry,
            mrz_lines,
            place_of_birth: Field::missing("place of birth row not read"),
            address: Field::missing("address rows not read"),
            printed_id_number: None,
            printed_name_matches: None,
            mrz: MrzEvidence::of(&read),
        };
        let front = match early_front {
            Some(front) => front,
            None => read_front(
                &mut self.front,
                &mut self.latin,
                &self.model_dir,
                &gray,
                &read.band,
            ),
        };
        match front {
            Ok(front) => apply_front(&mut out, &front, &read),
            Err(e) => {
                let why = format!("card front not read: {e}");
                for f in [
                    &mut out.first_name_kh,
                    &mut out.last_name_kh,
                    &mut out.issued_date,
                    &mut out.place_of_birth,
                    &mut out.address,
                ] {
                    *f = Field::missing(why.clone());
                }
            }
        }
        Ok(out)
    }
}

/// Reads the card front's field block with the Khmer model, then the rows
/// with Latin text (the printed ID number; the Latin name, the row under
/// the Khmer name) again with the English model. One Khmer+English pass over
/// the whole block costs about a third more and reads the Khmer worse
/// (measured on the generated cards: 4.0 % against 1.5 % CER).
fn read_front(
    front_rec: &mut Option<TextRecognizer>,
    latin_rec: &mut Option<TextRecognizer>,
    model_dir: &Path,
    gray: &GrayImage,
    band: &Band,
) -> Result<FrontText, OcrError> {
    let region = front_region(gray, band)
        .ok_or_else(|| OcrError::BadImage("card front outside the image".into()))?;
    let rec = recognizer(front_rec, OcrModel::Khmer, model_dir)?;
    let block = rec.recognize_lines(&region, PageSegMode::PsmSingleBlock)?;
    let mut front = parse_front(&block.text);
    // The Latin rows again with the English model: the printed ID number
    // (the Khmer model misreads Latin digits now and then) and the
    // Latin name.
    let id_row = front
        .id_number_line
        .and_then(|i| text_row(&region, &block, i));
    let name_row = match front.name_latin {
        Some(_) => None,
        None => front
            .name_kh_line
            .and_then(|i| text_row(&region, &block, i + 1)),
    };
    if id_row.is_none() && name_row.is_none() {
        return Ok(front);
    }
    let rec = recognizer(latin_rec, OcrModel::English, model_dir)?;
    if let Some(row) = id_row {
        let text = rec.recognize(&row, PageSegMode::PsmSingleLine)?.text;
        if let Some(number) = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|group| group.len() == 9)
        {
            front.id_number = Some(number.to_string());
        }
    }
    if let Some(row) = name_row {
        let text = rec.recognize(&row, PageSegMode::PsmSingleLine)?.text;
        front.name_latin = latin_name(&text);
    }
    Ok(front)
}

/// The recogniser in `slot`, loaded on first use.
fn recognizer<'a>(
    slot: &'a mut Option<TextRecognizer>,
    model: OcrModel,
    model_dir: &Path,
) -> Result<&'a mut TextRecognizer, OcrError> {
    if slot.is_none() {
        *slot = Some(TextRecognizer::new(model, model_dir)?);
    }
    slot.as_mut()
        .ok_or_else(|| OcrError::Recognition("recogniser unavailable".into()))
}

/// The crop of text line `index` (counting the non-blank lines of the
/// block's text), when the boxes match the text's lines: the full width of
/// the block, between the lines above and below (the Khmer model may box
/// only part of a Latin row).
fn text_row(region: &GrayImage, block: &Recognized, index: usize) -> Option<GrayImage> {
    let text_lines = block.text.lines().filter(|l| !l.trim().is_empty()).count();
    if block.lines.len() != text_lines {
        return None;
    }
    let own = block.lines.get(index)?;
    let y0 = match index.checked_sub(1).and_then(|i| block.lines.get(i)) {
        Some(above) => (above.top + above.height).min(own.top),
        None => own.top.saturating_sub(own.height / 2),
    };
    let y1 = block
        .lines
        .get(index + 1)
        .map_or(own.top + own.height + own.height / 2, |below| {
            below.top.max(own.top + own.height)
        })
        .min(region.height());
    if y1 <= y0 + 8 || region.width() < 16 {
        return None;
    }
    Some(image::imageops::crop_imm(region, 0, y0, region.width(), y1 - y0).to_image())
}

/// A printed Latin name from a line of text: its upper-case words (two at
/// least), or `None` (a heading such as KINGDOM OF CAMBODIA is not a name).
fn latin_name(line: &str) -> Option<String> {
    let v = line
        .chars()
        .filter(|c| c.is_ascii_uppercase() || *c == ' ')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let upper = v.chars().filter(|c| c.is_ascii_uppercase()).count();
    (upper >= 4 && v.split(' ').count() >= 2 && !v.contains("KINGDOM") && !v.contains("CAMBODIA"))
        .then_some(v)
}

struct Common {
    number: Field,
    nationality: Field,
    dob: Field,
    expiry: Field,
    gender: Field,
    given: Field,
    surname: Field,
}

fn common_fields(read: &MrzRead) -> Common {
    let r = &read.report;
    let f = &r.fields;
    let by_check = |name: &str, value: Option<String>| -> Field {
        match value {
            Some(v) if r.field_verified(name) => Field::verified(v),
            Some(_) => Field::missing(match r.check(name).map(|c| c.status) {
                Some(kyc_mrz::CheckStatus::Refuted) => format!("{name} check digit refuted"),
                _ => format!("{name} not verified by a check digit"),
            }),
            None => Field::missing(format!("{name} not a valid value")),
        }
    };
    let unprotected = |value: Option<String>, what: &str| -> Field {
        match value {
            Some(v) if read.accepted && !v.is_empty() => Field::confirmed(v),
            Some(_) if read.accepted => Field::missing(format!("{what} empty in the MRZ")),
            _ => Field::missing(format!(
                "{what} has no check digit and the MRZ read was not accepted{}",
                if r.reasons.is_empty() {
                    " (not confirmed by a second read)".to_string()
                } else {
                    format!(": {}", r.reasons.join("; "))
                }
            )),
        }
    };
    Common {
        number: by_check(
            "document_number",
            Some(f.document_number.clone()).filter(|s| !s.is_empty()),
        ),
        dob: by_check("birth_date", f.birth_date.map(|d| d.to_string())),
        expiry: by_check("expiry_date", f.expiry_date.map(|d| d.to_string())),
        nationality: unprotected(Some(f.nationality.clone()), "nationality"),
        gender: unprotected(f.sex.clone(), "sex"),
        given: unprotected(Some(f.given_names.clone()), "given names"),
        surname: unprotected(Some(f.surname.clone()), "surname"),
    }
}

/// Pixels per millimetre of the resampled card front.
const FRONT_PX_PER_MM: f32 = 12.0;
/// Ink length of a TD1 MRZ line: 29 pitches of 2.54 mm plus one glyph (≈2 mm).
const TD1_LINE_MM: f32 = 75.7;

/// The field block of an ID-1 card front, upright, from the MRZ's frame:
/// left edge 4.9 mm before the MRZ, portrait 26 mm wide, card 54 mm high
/// with the MRZ's last line ≈4 mm above the bottom edge.
fn front_region(gray: &GrayImage, band: &Band) -> Option<GrayImage> {
    let first = band.lines.first()?;
    let last = band.lines.last()?;
    let u0 = band.lines.iter().map(|l| l.u0).fold(f32::MAX, f32::min);
    let u1 = band.lines.iter().map(|l| l.u1).fold(f32::MIN, f32::max);
    let mm = (u1 - u0) / TD1_LINE_MM;
    if !(mm.is_finite() && mm > 0.5) {
        return None;
    }
    let bottom = last.v + 4.0 * mm;
    let top = bottom - 54.0 * mm;
    let left = u0 - 4.9 * mm;
    // Field block: right of the portrait, from below the top edge to just
    // above the MRZ.
    let (bu0, bu1) = (left + 27.0 * mm, left + 84.0 * mm);
    let (bv0, bv1) = (top + 2.0 * mm, first.v - first.height * 1.2);
    if bv1 <= bv0 {
        return None;
    }
    let step = 1.0 / FRONT_PX_PER_MM * mm;
    let n = band.normal();
    let origin = band.point(bu0, bv0);
    let frame = Frame {
        origin,
        ex: (band.dir.0 * step, band.dir.1 * step),
        ey: (n.0 * step, n.1 * step),
    };
    let w = ((bu1 - bu0) / step).round() as u32;
    let h = ((bv1 - bv0) / step).round() as u32;
    if !(16..=4000).contains(&w) || !(16..=4000).contains(&h) {
        return None;
    }
    let img = imgops::sample(gray, &frame, w, h, 255);
    Some(imgops::stretch(&img, 0.01, 0.99))
}

/// What the card front's text says, parsed by content.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FrontText {
    pub id_number: Option<String>,
    /// Index of the printed ID number's line among the non-blank lines.
    pub id_number_line: Option<usize>,
    pub name_kh: Option<String>,
    /// Index of the Khmer name's line among the non-blank lines.
    pub name_kh_line: Option<usize>,
    pub name_latin: Option<String>,
    pub dob: Option<Date>,
    pub validity: Option<(Date, Date)>,
    /// Only the first (issue) date of the validity row could be read.
    pub validity_start: Option<Date>,
    pub place_of_birth: Option<String>,
    pub address: Option<String>,
}

/// Maps Khmer digits (០-៩) to ASCII; other characters unchanged.
pub fn khmer_digits_to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{17E0}'..='\u{17E9}' => char::from(b'0' + (c as u32 - 0x17E0) as u8),
            _ => c,
        })
        .collect()
}

fn is_khmer(c: char) -> bool {
    ('\u{1780}'..='\u{17FF}').contains(&c) || ('\u{19E0}'..='\u{19FF}').contains(&c)
}

/// All `DD.MM.YYYY` dates in a line (Khmer or ASCII digits; `.`, `/`, `-`
/// or a lost separator).
pub(crate) fn find_dates(line: &str) -> Vec<Date> {
    let ascii = khmer_digits_to_ascii(line);
    let chars: Vec<char> = ascii.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // Collect a run of digits and separators.
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | '/' | '-' | ' '))
        {
            i += 1;
        }
        let digits: String = chars[start..i]
            .iter()
            .filter(|c| c.is_ascii_digit())
            .collect();
        let mut k = 0;
        while k + 8 <= digits.len() {
            let d = &digits[k..k + 8];
            let (dd, mm, yy) = (&d[0..2], &d[2..4], &d[4..8]);
            if let (Ok(dd), Ok(mm), Ok(yy)) =
                (dd.parse::<u32>(), mm.parse::<u32>(), yy.parse::<i32>())
            {
                if let Some(date) = Date::new(yy, mm, dd).filter(|_| (1900..=2100).contains(&yy)) {
                    out.push(date);
                    k += 8;
                    continue;
                }
            }
            k += 1;
        }
    }
    out
}

/// Text after the first `:` (or the whole line), trimmed.
fn after_colon(line: &str) -> &str {
    line.split_once(':').map_or(line, |(_, r)| r).trim()
}

pub(crate) fn parse_front(text: &str) -> FrontText {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = FrontText::default();
    let mut dob_idx = None;
    let mut validity_idx = None;
    for (i, l) in lines.iter().enumerate() {
        let ascii = khmer_digits_to_ascii(l);
        if out.id_number.is_none() {
            let digits: String = ascii
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ' ')
                .filter(|c| c.is_ascii_digit())
                .collect();
            let all_digits: Vec<&str> = ascii
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| s.len() == 9)
                .collect();
            if digits.len() == 9 {
                out.id_number = Some(digits);
                out.id_number_line = Some(i);
                continue;
            } else if let Some(d) = all_digits.first() {
                if find_dates(l).is_empty() {
                    out.id_number = Some(d.to_string());
                    out.id_number_line = Some(i);
                    continue;
                }
            }
        }
        let dates = find_dates(l);
        if dates.len() >= 2 && validity_idx.is_none() {
            out.validity = Some((dates[0], dates[1]));
            validity_idx = Some(i);
            continue;
        }
        // The validity row by its label (សុពលភាព) or its "until" (ដល់),
        // with only one date legible.
        if dates.len() == 1 && validity_idx.is_none() && (l.contains("សុពល") || l.contains("ដល"))
        {
            out.validity_start = Some(dates[0]);
            validity_idx = Some(i);
            continue;
        }
        if dates.len() == 1 && out.dob.is_none() {
            out.dob = Some(dates[0]);
            dob_idx = Some(i);
            continue;
        }
        let khmer = l.chars().filter(|&c| is_khmer(c)).count();
        let upper = l.chars().filter(|c| c.is_ascii_uppercase()).count();
        if out.name_kh.is_none() && dob_idx.is_none() && khmer >= 3 && l.contains(':') {
            let v = after_colon(l);
            if v.chars().filter(|&c| is_khmer(c)).count() >= 2 {
                out.name_kh = Some(v.to_string());
                out.name_kh_line = Some(i);
                continue;
            }
        }
        if out.name_latin.is_none() && dob_idx.is_none() && upper >= 4 && khmer == 0 {
            if let Some(v) = latin_name(l) {
                out.name_latin = Some(v);
                continue;
            }
        }
    }
    // Place of birth: the row after the birth-date row; address: the rows
    // after that up to the validity row.
    if let Some(d) = dob_idx {
        let end = validity_idx.unwrap_or(lines.len()).min(lines.len());
        if d + 1 < end {
            out.place_of_birth =
                Some(after_colon(lines[d + 1]).to_string()).filter(|s| !s.is_empty());
        }
        if d + 2 < end {
            let addr: Vec<&str> = lines[d + 2..end.min(d + 4)]
                .iter()
                .map(|l| after_colon(l))
                .collect();
            out.address = Some(addr.join(" ")).filter(|s| !s.is_empty());
        }
    }
    out
}

fn apply_front(out: &mut IdCardReading, front: &FrontText, read: &MrzRead) {
    let r = &read.report;
    // Khmer name: surname first, then the given name(s).
    match &front.name_kh {
        Some(n) => {
            let mut parts = n.splitn(2, ' ');
            let last = parts.next().unwrap_or("").trim().to_string();
            let first = parts.next().unwrap_or("").trim().to_string();
            let note = Some("printed Khmer text; no check digit covers it".to_string());
            out.last_name_kh = if last.is_empty() {
                Field::missing("Khmer surname not read")
            } else {
                Field::front(last, note.clone())
            };
            out.first_name_kh = if first.is_empty() {
                Field::missing("Khmer given name not separated from the surname")
            } else {
                Field::front(first, note)
            };
        }
        None => {
            out.last_name_kh = Field::missing("Khmer name row not found on the front");
            out.first_name_kh = Field::missing("Khmer name row not found on the front");
        }
    }
    out.issued_date = issued_date(
        front.validity,
        front.validity_start,
        r.fields.expiry_date,
        r.field_verified("expiry_date"),
    );
    out.place_of_birth = match &front.place_of_birth {
        Some(p) => Field::front(p.clone(), None),
        None => Field::missing("place of birth row not found"),
    };
    out.address = match &front.address {
        Some(a) => Field::front(a.clone(), None),
        None => Field::missing("address rows not found"),
    };
    out.printed_id_number = front.id_number.clone();
    if let (Some(printed), Some(mrz)) = (&front.id_number, &out.id_number.value) {
        if printed != mrz {
            out.id_number.reason = Some(format!("printed number {printed} differs from the MRZ"));
        }
    }
    if let Some(latin) = &front.name_latin {
        let mrz_name = format!("{} {}", r.fields.surname, r.fields.given_names);
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let matches = norm(latin) == norm(&mrz_name);
        out.printed_name_matches = Some(matches);
        // A name that the printed Latin row confirms is usable even when the
        // MRZ read was not accepted (the two sources are independent).
        if matches && !read.accepted {
            if !r.fields.surname.is_empty() {
                out.last_name_en = Field::front(
                    r.fields.surname.clone(),
                    Some("MRZ name equals the printed Latin row".into()),
                );
            }
            if !r.fields.given_names.is_empty() {
                out.first_name_en = Field::front(
                    r.fields.given_names.clone(),
                    Some("MRZ name equals the printed Latin row".into()),
                );
            }
        }
    }
}

/// The `issuedDate` field from the front's validity row (`validity`: both
/// dates read; `validity_start`: only the first) and the MRZ expiry. The
/// row is trusted when its end is the check-digit-verified MRZ expiry, or
/// its start is that expiry less 10 years plus a day (the card's term).
fn issued_date(
    validity: Option<(Date, Date)>,
    validity_start: Option<Date>,
    mrz_expiry: Option<Date>,
    expiry_verified: bool,
) -> Field {
    match validity {
        Some((issued, until)) => {
            let expiry_ok = mrz_expiry == Some(until) && expiry_verified;
            if expiry_ok {
                Field::front(
                    issued.to_string(),
                    Some(
                        "validity row; its end date equals the check-digit-verified MRZ expiry"
                            .into(),
                    ),
                )
            } else if expiry_verified && mrz_expiry == Some(card_expiry(issued)) {
                // The end date misread, the start fits the verified expiry
                // (10 years less a day) on its own.
                Field::front(
                    issued.to_string(),
                    Some(format!(
                        "validity row start; issue + 10 years − 1 day equals the verified MRZ expiry (the row's end read as {until})"
                    )),
                )
            } else if mrz_expiry.is_some() && mrz_expiry != Some(until) {
                Field::missing(format!(
                    "validity row end {until} contradicts the MRZ expiry; issue date not trusted"
                ))
            } else {
                Field::front(
                    issued.to_string(),
                    Some("validity row; MRZ expiry not verified".into()),
                )
            }
        }
        None => match validity_start {
            // Cards are valid for 10 years less a day: the issue date is
            // trusted when that lands on the verified MRZ expiry.
            Some(issued) if expiry_verified && mrz_expiry == Some(card_expiry(issued)) => {
                Field::front(
                    issued.to_string(),
                    Some(
                        "validity row start; issue + 10 years − 1 day equals the verified MRZ expiry"
                            .into(),
                    ),
                )
            }
            Some(_) => Field::missing(
                "validity row end not legible and its start does not match the MRZ expiry",
            ),
            None => Field::missing("validity row not found on the front"),
        },
    }
}

/// The expiry of a Cambodian card issued on `issued`: 10 years less a
/// day (a card issued on 29 February runs to 28 February).
pub fn card_expiry(issued: Date) -> Date {
    let anniversary = Date::new(issued.year + 10, issued.month, issued.day).unwrap_or(Date {
        year: issued.year + 10,
        month: 3,
        day: 1,
    });
    day_before(anniversary)
}

fn day_before(d: Date) -> Date {
    if d.day > 1 {
        return Date {
            day: d.day - 1,
            ..d
        };
    }
    let (y, m) = if d.month == 1 {
        (d.year - 1, 12)
    } else {
        (d.year, d.month - 1)
    };
    (28..=31)
        .rev()
        .find_map(|day| Date::new(y, m, day))
        .unwrap_or(Date {
            year: y,
            month: m,
            day: 28,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_span() {
        assert_eq!(
            card_expiry(Date::new(2024, 6, 9).unwrap()),
            Date::new(2034, 6, 8).unwrap()
        );
        assert_eq!(
            card_expiry(Date::new(2015, 9, 13).unwrap()),
            Date::new(2025, 9, 12).unwrap()
        );
        assert_eq!(
            card_expiry(Date::new(2016, 3, 1).unwrap()),
            Date::new(2026, 2, 28).unwrap()
        );
        assert_eq!(
            card_expiry(Date::new(2016, 2, 29).unwrap()),
            Date::new(2026, 2, 28).unwrap()
        );
    }

    #[test]
    fn expiry_crosses_month_and_year_ends() {
        assert_eq!(
            card_expiry(Date::new(2025, 3, 1).unwrap()),
            Date::new(2035, 2, 28).unwrap()
        );
        assert_eq!(
            card_expiry(Date::new(2015, 1, 1).unwrap()),
            Date::new(2024, 12, 31).unwrap()
        );
    }

    /// Regression (generated cards, 3 of 40 clean renders): the validity
    /// row's end date misread (`2030-01-17` for `2034-01-17`) discarded an
    /// issue date that the verified expiry confirms on its own.
    #[test]
    fn the_issue_date_stands_on_the_verified_expiry_when_the_rows_end_is_misread() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        let (issued, expiry) = (d(2024, 1, 18), d(2034, 1, 17));
        let misread_end = Some((issued, d(2030, 1, 17)));
        let f = issued_date(misread_end, None, Some(expiry), true);
        assert_eq!(f.value.as_deref(), Some("2024-01-18"));
        assert!(f.reason.unwrap().contains("end read as 2030-01-17"));
        // Unverified expiry, or a start that does not fit: not trusted.
        assert_eq!(
            issued_date(misread_end, None, Some(expiry), false).value,
            None
        );
        let wrong_start = Some((d(2024, 1, 19), d(2030, 1, 17)));
        assert_eq!(
            issued_date(wrong_start, None, Some(expiry), true).value,
            None
        );
        // Both dates right.
        let f = issued_date(Some((issued, expiry)), None, Some(expiry), true);
        assert_eq!(f.value.as_deref(), Some("2024-01-18"));
        // Only the start legible.
        let f = issued_date(None, Some(issued), Some(expiry), true);
        assert_eq!(f.value.as_deref(), Some("2024-01-18"));
        assert_eq!(issued_date(None, None, Some(expiry), true).value, None);
    }

    #[test]
    fn khmer_digits() {
        assert_eq!(khmer_digits_to_ascii("០៩.០៦.២០២៤"), "09.06.2024");
    }

    #[test]
    fn dates_in_a_validity_row() {
        let d = find_dates("សុពលភាព: ០៩.០៦.២០២៤ ដល់ ០៨.០៦.២០៣៤");
        assert_eq!(
            d,
            vec![
                Date::new(2024, 6, 9).unwrap(),
                Date::new(2034, 6, 8).unwrap()
            ]
        );
        // A lost separator still parses; an impossible date does not.
        assert_eq!(
            find_dates("13.092015"),
            vec![Date::new(2015, 9, 13).unwrap()]
        );
        assert!(find_dates("32.13.2020").is_empty());
    }

    #[test]
    fn front_parsing_by_content() {
        let text = "123456789 (01)\nគោត្តនាមនិងនាម: ស្រី ពៅ\nSREY POV\nថ្ងៃខែឆ្នាំកំណើត: ០៣.០៨.១៩៩០ ភេទ: ប្រុស\nទីកន្លែងកំណើត: ភ្នំពេញ\nអាសយដ្ឋាន: ផ្ទះលេខ ១២\nសុពលភាព: ០៩.០៦.២០២៤ ដល់ ០៨.០៦.២០៣៤\n";
        let f = parse_front(text);
        assert_eq!(f.id_number.as_deref(), Some("123456789"));
        assert_eq!(f.name_kh.as_deref(), Some("ស្រី ពៅ"));
        assert_eq!(f.name_latin.as_deref(), Some("SREY POV"));
        assert_eq!(f.dob, Date::new(1990, 8, 3));
        assert_eq!(f.place_of_birth.as_deref(), Some("ភ្នំពេញ"));
        assert_eq!(f.address.as_deref(), Some("ផ្ទះលេខ ១២"));
        assert_eq!(
            f.validity,
            Some((
                Date::new(2024, 6, 9).unwrap(),
                Date::new(2034, 6, 8).unwrap()
            ))
        );
    }
}
