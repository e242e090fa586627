//! Synthetic documents with known ground truth: Cambodian ID card fronts
//! (ID-1, TD1 MRZ under the Khmer fields) and passport data pages (TD3),
//! and photo-like degradations (rotation, perspective, blur, noise, JPEG,
//! glare, low resolution, cluttered background).
//!
//! Text is shaped with `rustybuzz` (Khmer needs reordering and subscript
//! forms) and rasterised with `ab_glyph` from Debian's fonts: OCR-B
//! (`fonts-ocr-b`) for the MRZ, Khmer OS (`fonts-khmeros`) for Khmer,
//! DejaVu Sans for Latin. The portrait is a face-shaped placeholder. All
//! identities are invented from a seed; nothing is written to disk.

use ab_glyph::{Font, FontRef, GlyphId, PxScale};
use image::{Rgb, RgbImage};
use kyc_mrz::generate::{td1, td3, DocumentData};
use kyc_mrz::Date;
use std::path::{Path, PathBuf};

/// Where the fonts are looked for.
pub const FONT_DIR: &str = "/usr/share/fonts";

/// Why a document could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A font file is missing or unreadable.
    #[error("font {path}: {reason}")]
    Font {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The MRZ could not be generated from the identity.
    #[error("MRZ generation: {0}")]
    Mrz(String),
}

/// A loaded font: bytes kept for both the shaper and the rasteriser.
struct LoadedFont {
    data: Vec<u8>,
}

impl LoadedFont {
    fn load(path: &Path) -> Result<Self, SynthError> {
        let data = std::fs::read(path).map_err(|e| SynthError::Font {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        FontRef::try_from_slice(&data).map_err(|e| SynthError::Font {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if rustybuzz::Face::from_slice(&data, 0).is_none() {
            return Err(SynthError::Font {
                path: path.to_path_buf(),
                reason: "not a font the shaper can read".into(),
            });
        }
        Ok(Self { data })
    }

    /// Draws `text` with its baseline at `(x, y)`, em size `em_px`, in
    /// `color`; returns the advance width in pixels.
    fn draw(
        &self,
        img: &mut RgbImage,
        text: &str,
        x: f32,
        y: f32,
        em_px: f32,
        color: [u8; 3],
    ) -> f32 {
        let (Ok(font), Some(face)) = (
            FontRef::try_from_slice(&self.data),
            rustybuzz::Face::from_slice(&self.data, 0),
        ) else {
            return 0.0;
        };
        let upem = f32::from(face.units_per_em() as u16).max(1.0);
        let k = em_px / upem;
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.guess_segment_properties();
        let shaped = rustybuzz::shape(&face, &[], buf);
        let scale = PxScale::from(em_px * font.height_unscaled() / upem);
        let mut pen = x;
        let (w, h) = (img.width() as i32, img.height() as i32);
        for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
            let gx = pen + pos.x_offset as f32 * k;
            let gy = y - pos.y_offset as f32 * k;
            let glyph = GlyphId(info.glyph_id as u16)
                .with_scale_and_position(scale, ab_glyph::point(gx, gy));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|px, py, c| {
                    let xx = b.min.x as i32 + px as i32;
                    let yy = b.min.y as i32 + py as i32;
                    if xx >= 0 && yy >= 0 && xx < w && yy < h {
                        let p = img.get_pixel_mut(xx as u32, yy as u32);
                        for (dst, &src) in p.0.iter_mut().zip(color.iter()) {
                            let v = f32::from(*dst) * (1.0 - c) + f32::from(src) * c;
                            *dst = v.round().clamp(0.0, 255.0) as u8;
                        }
                    }
                });
            }
            pen += pos.x_advance as f32 * k;
        }
        pen - x
    }

    /// Horizontal advance of one glyph of `c` at em size 1 px.
    fn advance_per_em(&self, c: char) -> f32 {
        let Ok(font) = FontRef::try_from_slice(&self.data) else {
            return 0.6;
        };
        let id = font.glyph_id(c);
        font.h_advance_unscaled(id) / font.units_per_em().unwrap_or(1000.0)
    }
}

/// A small deterministic generator (xorshift64*), so that a seed gives the
/// same document everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    /// Uniform index below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.unit().max(1e-7);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

/// Surnames: (Khmer, romanised).
const SURNAMES: &[(&str, &str)] = &[
    ("សុខ", "SOK"),
    ("ចាន់", "CHAN"),
    ("ហេង", "HENG"),
    ("គឹម", "KIM"),
    ("លី", "LY"),
    ("ស៊ុន", "SUN"),
    ("ម៉ម", "MOM"),
    ("ឈិម", "CHHIM"),
    ("ពេជ្រ", "PICH"),
    ("នួន", "NUON"),
    ("កែវ", "KEO"),
    ("ស្រី", "SREY"),
];

/// Given names: (Khmer, romanised).
const GIVEN: &[(&str, &str)] = &[
    ("សុភា", "SOPHEA"),
    ("ដារ៉ា", "DARA"),
    ("វណ្ណា", "VANNA"),
    ("ចន្ថា", "CHANTHA"),
    ("សុខា", "SOKHA"),
    ("រតនា", "RATANA"),
    ("បុប្ផា", "BOPHA"),
    ("ពិសី", "PISEY"),
    ("ពៅ", "POV"),
    ("វិចិត្រ", "VICHET"),
    ("សំណាង", "SAMNANG"),
    ("ស្រីមុំ", "SREYMOM"),
];

/// Provinces (Khmer) for place of birth and address.
const PLACES: &[&str] = &[
    "ភ្នំពេញ",
    "កណ្ដាល",
    "សៀមរាប",
    "បាត់ដំបង",
    "កំពត",
    "តាកែវ",
    "ព្រៃវែង",
    "កំពង់ចាម",
];

/// An invented identity: the ground truth of a generated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 9-digit card number (or the passport number `N` + 8 digits).
    pub number: String,
    /// Khmer surname.
    pub surname_kh: String,
    /// Khmer given name.
    pub given_kh: String,
    /// Latin surname.
    pub surname_en: String,
    /// Latin given name.
    pub given_en: String,
    /// `M` or `F`.
    pub sex: char,
    /// Date of birth.
    pub dob: Date,
    /// Date of issue.
    pub issued: Date,
    /// Date of expiry (issue + 10 years − 1 day).
    pub expiry: Date,
    /// Place of birth (Khmer).
    pub place_of_birth: String,
    /// Address (Khmer).
    pub address: String,
}

/// Khmer digits for an ASCII digit string.
pub fn ascii_to_khmer_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x17E0 + (c as u32 - '0' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn khmer_date(d: Date) -> String {
    ascii_to_khmer_digits(&format!("{:02}.{:02}.{:04}", d.day, d.month, d.year))
}

impl Identity {
    /// An identity drawn from `seed`.
    pub fn random(seed: u64) -> Identity {
        let mut r = Rng::new(seed);
        let (skh, sen) = SURNAMES[r.below(SURNAMES.len())];
        let (gkh, gen) = GIVEN[r.below(GIVEN.len())];
        let number: String = (0..9)
            .map(|i| char::from(b'0' + (if i == 0 { 1 + r.below(9) } else { r.below(10) }) as u8))
            .collect();
        // A day from 1 to 28 exists in every month.
        let mut date_in = |first_year: i32, years: usize| {
            let (y, m, d) = (
                first_year + r.below(years) as i32,
                1 + r.below(12) as u32,
                1 + r.below(28) as u32,
            );
            Date::new(y, m, d).unwrap_or(Date {
                year: y,
                month: 1,
                day: 1,
            })
        };
        let dob = date_in(1960, 45);
        let issued = date_in(2016, 10);
        let expiry = crate::reader::card_expiry(issued);
        let pob = PLACES[r.below(PLACES.len())].to_string();
        let house = ascii_to_khmer_digits(&(1 + r.below(300)).to_string());
        let address = format!("ផ្ទះលេខ {house} ខេត្ត{}", PLACES[r.below(PLACES.len())]);
        Identity {
            number,
            surname_kh: skh.to_string(),
            given_kh: gkh.to_string(),
            surname_en: sen.to_string(),
            given_en: gen.to_string(),
            sex: if r.below(2) == 0 { 'M' } else { 'F' },
            dob,
            issued,
            expiry,
            place_of_birth: pob,
            address,
        }
    }

    /// The TD1 MRZ of a Cambodian ID card for this identity.
    pub fn id_card_mrz(&self) -> Result<[String; 3], SynthError> {
        td1(&self.data("ID", &self.number, "")).map_err(|e| SynthError::Mrz(e.to_string()))
    }

    /// The TD3 MRZ of a Cambodian passport (`PN`, `N` + 8 digits).
    pub fn passport_mrz(&self) -> Result<[String; 2], SynthError> {
        let number = format!("N{}", &self.number[1..]);
        td3(&self.data("PN", &number, "")).map_err(|e| SynthError::Mrz(e.to_string()))
    }

    fn data(&self, code: &str, number: &str, personal: &str) -> DocumentData {
        DocumentData {
            document_code: code.to_string(),
            issuer: "KHM".to_string(),
            document_number: number.to_string(),
            optional1: String::new(),
            optional2: String::new(),
            birth_date: self.dob,
            sex: self.sex,
            expiry_date: self.expiry,
            nationality: "KHM".to_string(),
            personal_number: personal.to_string(),
            surname: self.surname_en.clone(),
            given_names: self.given_en.clone(),
        }
    }
}

/// A rendered document and its ground truth.
#[derive(Debug, Clone)]
pub struct SynthDocument {
    /// The pixels.
    pub image: RgbImage,
    /// Who is on it.
    pub identity: Identity,
    /// The MRZ lines printed on it.
    pub mrz: Vec<String>,
}

/// Renders documents; holds the fonts.
pub struct Generator {
    ocrb: LoadedFont,
    khmer: LoadedFont,
    latin: LoadedFont,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Generator")
    }
}

impl Generator {
    /// Loads the fonts from [`FONT_DIR`].
    pub fn new() -> Result<Generator, SynthError> {
        Self::with_font_dir(Path::new(FONT_DIR))
    }

    /// Loads the fonts from another fonts root (same layout as Debian's).
    pub fn with_font_dir(root: &Path) -> Result<Generator, SynthError> {
        Ok(Generator {
            ocrb: LoadedFont::load(&root.join("opentype/ocr-b/OCRB.otf"))?,
            khmer: LoadedFont::load(&root.join("truetype/khmeros/KhmerOS.ttf"))?,
            latin: LoadedFont::load(&root.join("truetype/dejavu/DejaVuSans.ttf"))?,
        })
    }

    /// Draws an MRZ: OCR-B at 2.54 mm pitch, lines 4.3 mm apart, the last
    /// baseline `bottom_mm` from the top; returns nothing.
    fn draw_mrz(
        &self,
        img: &mut RgbImage,
        lines: &[String],
        ppm: f32,
        x_mm: f32,
        last_baseline_mm: f32,
    ) {
        let adv = self.ocrb.advance_per_em('A').max(0.3);
        let em = 2.54 * ppm / adv;
        let n = lines.len();
        for (i, l) in lines.iter().enumerate() {
            let y = (last_baseline_mm - 4.3 * (n - 1 - i) as f32) * ppm;
            self.ocrb.draw(img, l, x_mm * ppm, y, em, [20, 20, 25]);
        }
    }

    /// A Cambodian ID card front (ID-1, 85.6 × 54 mm) at `ppm` pixels per
    /// millimetre (12 gives 1027 × 648 px).
    pub fn id_card(&self, id: &Identity, ppm: f32) -> Result<SynthDocument, SynthError> {
        let ppm = ppm.clamp(3.0, 40.0);
        let mrz = id.id_card_mrz()?;
        let (w, h) = ((85.6 * ppm).round() as u32, (54.0 * ppm).round() as u32);
        let mut img = RgbImage::from_fn(w, h, |x, y| {
            // Pale guilloche-like tint.
            let t = ((x as f32 / ppm * 0.9).sin() * (y as f32 / ppm * 0.7).cos() * 6.0) as i32;
            Rgb([(236 + t) as u8, (240 + t / 2) as u8, (246 - t) as u8])
        });
        let ink = [25, 25, 35];
        let kh_em = 2.6 * ppm;
        let lat_em = 2.3 * ppm;
        // Top right: the number and its issue counter.
        self.latin.draw(
            &mut img,
            &format!("{} (01)", id.number),
            58.0 * ppm,
            6.5 * ppm,
            lat_em,
            ink,
        );
        self.portrait(&mut img, 4.0 * ppm, 10.0 * ppm, 21.0 * ppm, 27.0 * ppm);
        let x = 28.5 * ppm;
        let rows: [(String, &LoadedFont, f32); 7] = [
            (
                format!("គោត្តនាមនិងនាម: {} {}", id.surname_kh, id.given_kh),
                &self.khmer,
                kh_em,
            ),
            (
                format!("{} {}", id.surname_en, id.given_en),
                &self.latin,
                lat_em,
            ),
            (
                format!(
                    "ថ្ងៃខែឆ្នាំកំណើត: {} ភេទ: {} កម្ពស់: {} ស.ម",
                    khmer_date(id.dob),
                    if id.sex == 'M' {
                        "ប្រុស"
                    } else {
                        "ស្រី"
                    },
                    ascii_to_khmer_digits("165")
                ),
                &self.khmer,
                kh_em,
            ),
            (
                format!("ទីកន្លែងកំណើត: {}", id.place_of_birth),
                &self.khmer,
                kh_em,
            ),
            (format!("អាសយដ្ឋាន: {}", id.address), &self.khmer, kh_em),
            (
                format!(
                    "សុពលភាព: {} ដល់ {}",
                    khmer_date(id.issued),
                    khmer_date(id.expiry)
                ),
                &self.khmer,
                kh_em,
            ),
            ("ភិនភាគ: ប្រជ្រុយ".to_string(), &self.khmer, kh_em),
        ];
        for (i, (text, font, em)) in rows.iter().enumerate() {
            let y = (11.5 + 4.2 * i as f32) * ppm;
            font.draw(&mut img, text, x, y, *em, ink);
        }
        self.draw_mrz(&mut img, &mrz, ppm, 5.0, 51.0);
        Ok(SynthDocument {
            image: img,
            identity: id.clone(),
            mrz: mrz.to_vec(),
        })
    }

    /// A passport data page (TD3, 125 × 88 mm) at `ppm` pixels per millimetre.
    pub fn passport(&self, id: &Identity, ppm: f32) -> Result<SynthDocument, SynthError> {
        let ppm = ppm.clamp(3.0, 40.0);
        let mrz = id.passport_mrz()?;
        let (w, h) = ((125.0 * ppm).round() as u32, (88.0 * ppm).round() as u32);
        let mut img = RgbImage::from_fn(w, h, |x, y| {
            let t = ((x as f32 / ppm * 0.5).cos() * (y as f32 / ppm * 0.8).sin() * 7.0) as i32;
            Rgb([(238 - t) as u8, (236 + t / 2) as u8, (228 + t / 3) as u8])
        });
        let ink = [30, 30, 40];
        let em = 2.6 * ppm;
        self.latin.draw(
            &mut img,
            "KINGDOM OF CAMBODIA  PASSPORT",
            30.0 * ppm,
            8.0 * ppm,
            3.0 * ppm,
            ink,
        );
        self.portrait(&mut img, 6.0 * ppm, 14.0 * ppm, 32.0 * ppm, 40.0 * ppm);
        let number = format!("N{}", &id.number[1..]);
        let fields = [
            format!("Type PN   Code KHM   No. {number}"),
            format!("Surname {}", id.surname_en),
            format!("Given names {}", id.given_en),
            "Nationality CAMBODIAN".to_string(),
            format!("Date of birth {}   Sex {}", id.dob, id.sex),
            format!("Date of issue {}", id.issued),
            format!("Date of expiry {}", id.expiry),
        ];
        for (i, f) in fields.iter().enumerate() {
            self.latin.draw(
                &mut img,
                f,
                44.0 * ppm,
                (18.0 + 6.0 * i as f32) * ppm,
                em,
                ink,
            );
        }
        self.khmer.draw(
            &mut img,
            &format!("{} {}", id.surname_kh, id.given_kh),
            44.0 * ppm,
            62.0 * ppm,
            em,
            ink,
        );
        let pitch_len = 2.54 * 43.0 + 2.0;
        self.draw_mrz(&mut img, &mrz, ppm, (125.0 - pitch_len) / 2.0, 83.0);
        Ok(SynthDocument {
            image: img,
            identity: id.clone(),
            mrz: mrz.to_vec(),
        })
    }

    /// A face-shaped placeholder: grey background, skin ellipse, hair,
    /// eyes, mouth, shoulders.
    fn portrait(&self, img: &mut RgbImage, x: f32, y: f32, w: f32, h: f32) {
        let (iw, ih) = (img.width() as i32, img.height() as i32);
        for py in y as i32..(y + h) as i32 {
            for px in x as i32..(x + w) as i32 {
                if px < 0 || py < 0 || px >= iw || py >= ih {
                    continue;
                }
                let u = (px as f32 - x) / w;
                let v = (py as f32 - y) / h;
                let face = ((u - 0.5) / 0.3).powi(2) + ((v - 0.42) / 0.3).powi(2) <= 1.0;
                let hair =
                    ((u - 0.5) / 0.34).powi(2) + ((v - 0.3) / 0.24).powi(2) <= 1.0 && v < 0.3;
                let body =
                    v > 0.78 && ((u - 0.5) / 0.5).powi(2) + ((v - 1.05) / 0.3).powi(2) <= 1.0;
                let eye = ((u - 0.38) / 0.05).powi(2) + ((v - 0.4) / 0.025).powi(2) <= 1.0
                    || ((u - 0.62) / 0.05).powi(2) + ((v - 0.4) / 0.025).powi(2) <= 1.0;
                let mouth = ((u - 0.5) / 0.09).powi(2) + ((v - 0.58) / 0.02).powi(2) <= 1.0;
                let c = if eye {
                    [40, 30, 30]
                } else if mouth {
                    [150, 70, 70]
                } else if hair {
                    [35, 30, 28]
                } else if face {
                    [196, 160, 130]
                } else if body {
                    [60, 70, 110]
                } else {
                    [200, 205, 212]
                };
                img.put_pixel(px as u32, py as u32, Rgb(c));
            }
        }
    }
}

/// Photo-like degradations, applied in this order: placement on a
/// background with rotation and perspective, blur, glare, resize to the
/// output width, noise, JPEG.
#[derive(Debug, Clone, PartialEq)]
pub struct Degradation {
    /// Rotation in degrees (any value; 90/180/270 turn the document).
    pub rotation_deg: f32,
    /// Perspective strength: corner displacement as a share of the size (0–0.1).
    pub perspective: f32,
    /// Gaussian blur sigma in output pixels (0 = none).
    pub blur_sigma: f32,
    /// Gaussian noise standard deviation in grey levels.
    pub noise: f32,
    /// JPEG quality (`None`: no compression).
    pub jpeg_quality: Option<u8>,
    /// Glare: peak added brightness (0–255) of a soft ellipse.
    pub glare: f32,
    /// Output image width in pixels (the document fills about 75% of it).
    pub width: u32,
    /// Cluttered background (else plain grey).
    pub clutter: bool,
}

impl Default for Degradation {
    fn default() -> Self {
        Degradation {
            rotation_deg: 0.0,
            perspective: 0.0,
            blur_sigma: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            glare: 0.0,
            width: 1280,
            clutter: false,
        }
    }
}

impl Degradation {
    /// A random mix of moderate degradations: any right-angle orientation,
    /// tilt ±20°, mild perspective, blur, noise, JPEG, some glare,
    /// width 900–2000 px, background clutter.
    pub fn random(seed: u64) -> Degradation {
        let mut r = Rng::new(seed ^ 0xD1B5_4A32_D192_ED03);
        Degradation {
            rotation_deg: 90.0 * r.below(4) as f32 + r.range(-20.0, 20.0),
            perspective: r.range(0.0, 0.05),
            blur_sigma: r.range(0.0, 1.2),
            noise: r.range(0.0, 6.0),
            jpeg_quality: Some(60 + r.below(35) as u8),
            glare: if r.below(4) == 0 {
                r.range(30.0, 90.0)
            } else {
                0.0
            },
            width: 900 + r.below(1100) as u32,
            clutter: r.below(2) == 0,
        }
    }
}

/// Applies `d` to a document image. Deterministic for a given `seed`.
pub fn degrade(doc: &RgbImage, d: &Degradation, seed: u64) -> RgbImage {
    use imageproc::geometric_transformations::{warp_into, Border, Interpolation, Projection};
    let mut r = Rng::new(seed);
    let out_w = d.width.clamp(64, 8000);
    let (dw, dh) = (doc.width() as f32, doc.height() as f32);
    // Canvas: the document's diagonal fits with a margin, so that any rotation stays inside.
    let diag = dw.hypot(dh);
    let side = (diag / 0.9).ceil() as u32;
    let (cw, ch) = (side, (side as f32 * 0.8).ceil() as u32);
    let mut canvas = RgbImage::from_fn(cw, ch, |x, y| {
        if d.clutter {
            let v = ((x / 37 + y / 23) % 5) as u8;
            let s = (((x as f32 * 0.05).sin() + (y as f32 * 0.031).cos()) * 25.0) as i32;
            let base = 90 + i32::from(v) * 12 + s;
            Rgb([
                base.clamp(0, 255) as u8,
                (base - 10).clamp(0, 255) as u8,
                (base + 15).clamp(0, 255) as u8,
            ])
        } else {
            Rgb([120, 118, 112])
        }
    });
    if d.clutter {
        // A few dark, text-like strokes on the background.
        for _ in 0..12 {
            let x0 = r.range(0.0, cw as f32) as u32;
            let y0 = r.range(0.0, ch as f32) as u32;
            let len = r.range(20.0, 200.0) as u32;
            for k in 0..len {
                for t in 0..3 {
                    let (x, y) = (x0 + k, y0 + t);
                    if x < cw && y < ch && (k / 7) % 2 == 0 {
                        canvas.put_pixel(x, y, Rgb([30, 30, 30]));
                    }
                }
            }
        }
    }
    let (ccx, ccy) = (cw as f32 / 2.0, ch as f32 / 2.0);
    let a = d.rotation_deg.to_radians();
    let (ca, sa) = (a.cos(), a.sin());
    // Fit the rotated document in the canvas.
    let fit = (0.85 * cw as f32 / (dw * ca.abs() + dh * sa.abs()))
        .min(0.85 * ch as f32 / (dw * sa.abs() + dh * ca.abs()));
    let src = [(0.0, 0.0), (dw, 0.0), (dw, dh), (0.0, dh)];
    let mut dst = [(0f32, 0f32); 4];
    for (i, &(x, y)) in src.iter().enumerate() {
        let (mut px, mut py) = ((x - dw / 2.0) * fit, (y - dh / 2.0) * fit);
        px += d.perspective * dw * fit * r.range(-1.0, 1.0);
        py += d.perspective * dh * fit * r.range(-1.0, 1.0);
        dst[i] = (ccx + px * ca - py * sa, ccy + px * sa + py * ca);
    }
    if let Some(proj) = Projection::from_control_points(src, dst) {
        let mut warped = canvas.clone();
        warp_into(
            doc,
            proj,
            Interpolation::Bilinear,
            Border::Constant(Rgb([0, 0, 0])),
            &mut warped,
        );
        // Keep the background where the document is not.
        if let Some(inv) = Projection::from_control_points(dst, src) {
            for (x, y, p) in warped.enumerate_pixels_mut() {
                let (u, v) = inv * (x as f32 + 0.5, y as f32 + 0.5);
                if !(0.0..dw).contains(&u) || !(0.0..dh).contains(&v) {
                    *p = *canvas.get_pixel(x, y);
                }
            }
        }
        canvas = warped;
    }
    let scale = out_w as f32 / cw as f32;
    let out_h = ((ch as f32 * scale).round() as u32).max(1);
    let mut img =
        image::imageops::resize(&canvas, out_w, out_h, image::imageops::FilterType::Triangle);
    if d.glare > 0.0 {
        let gx = r.range(0.2, 0.8) * out_w as f32;
        let gy = r.range(0.3, 0.8) * out_h as f32;
        let (rx, ry) = (0.18 * out_w as f32, 0.1 * out_h as f32);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let q = ((x as f32 - gx) / rx).powi(2) + ((y as f32 - gy) / ry).powi(2);
            let add = d.glare * (-q).exp();
            for c in p.0.iter_mut() {
                *c = (f32::from(*c) + add).min(255.0) as u8;
            }
        }
    }
    if d.blur_sigma > 0.05 {
        img = image::imageops::blur(&img, d.blur_sigma);
    }
    if d.noise > 0.0 {
        for p in img.pixels_mut() {
            let n = r.normal() * d.noise;
            for c in p.0.iter_mut() {
                *c = (f32::from(*c) + n).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    if let Some(q) = d.jpeg_quality {
        let mut buf = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q.clamp(10, 100));
        if img.write_with_encoder(enc).is_ok() {
            if let Ok(dec) = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg) {
                img = dec.into_rgb8();
            }
        }
    }
    img
}

/// Character error rate: Levenshtein distance over characters (Unicode
/// scalar values) divided by the reference length.
pub fn char_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let a: Vec<char> = reference.chars().collect();
    let b: Vec<char> = hypothesis.chars().collect();
    if a.is_empty() {
        return if b.is_empty() { 0.0 } else { 1.0 };
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] as f32 / a.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_deterministic_and_valid() {
        let a = Identity::random(7);
        assert_eq!(a, Identity::random(7));
        assert_ne!(a, Identity::random(8));
        assert_eq!(a.number.len(), 9);
        assert_eq!(a.expiry, crate::reader::card_expiry(a.issued));
        let mrz = a.id_card_mrz().unwrap();
        let rep = kyc_mrz::parse(
            &[&mrz[0], &mrz[1], &mrz[2]],
            &kyc_mrz::ParseOptions::new(Date::new(2026, 1, 1).unwrap()),
        )
        .unwrap();
        assert!(rep.valid, "{:?}", rep.reasons);
        assert_eq!(rep.fields.document_number, a.number);
    }

    #[test]
    fn cer() {
        assert_eq!(char_error_rate("abc", "abc"), 0.0);
        assert!((char_error_rate("abcd", "abd") - 0.25).abs() < 1e-6);
        assert_eq!(char_error_rate("", ""), 0.0);
    }

    #[test]
    fn khmer_text_is_shaped_and_drawn() {
        let g = Generator::new().unwrap();
        let mut img = RgbImage::from_pixel(300, 60, Rgb([255, 255, 255]));
        let w = g.khmer.draw(&mut img, "ស្រី ពៅ", 5.0, 40.0, 28.0, [0, 0, 0]);
        assert!(w > 30.0);
        let dark = img.pixels().filter(|p| p.0[0] < 128).count();
        assert!(dark > 100, "{dark}");
    }

    #[test]
    fn degradation_keeps_the_requested_width() {
        let doc = RgbImage::from_pixel(200, 120, Rgb([250, 250, 250]));
        let d = Degradation {
            rotation_deg: 95.0,
            width: 333,
            jpeg_quality: Some(70),
            noise: 3.0,
            blur_sigma: 0.8,
            glare: 50.0,
            clutter: true,
            perspective: 0.03,
        };
        let out = degrade(&doc, &d, 1);
        assert_eq!(out.width(), 333);
        assert_eq!(degrade(&doc, &d, 1), out);
    }
}
