//! Fast MRZ line recognition by OCR-B template matching.
//!
//! Every MRZ is printed in OCR-B (ISO 1073-2) at a fixed pitch, so a
//! rectified line ([`crate::rectify::render`] at [`CAP_PX`]) can be read
//! without a neural network: each of the 37 characters of the MRZ alphabet
//! is rendered from the font once, and every character cell of the line is
//! compared with all of them by normalised cross-correlation (insensitive to
//! brightness and contrast). The cells lie on a regular grid whose start and
//! pitch are searched to fit the line best, with a pixel of play per cell
//! for residual bending and a few rows of play for the baseline.
//!
//! A line costs a few milliseconds, against 45-95 ms with Tesseract, and its
//! errors are not Tesseract's: the reader makes its first read with it and
//! confirms with Tesseract what no check digit covers (see `mrz_read`).

use ab_glyph::{Font, FontRef, PxScale};
use image::GrayImage;

/// OCR-B from Debian's `fonts-ocr-b` 0.3~dfsg1 (Matthew Skala, public
/// domain; see `assets/README.md`).
const OCRB_OTF: &[u8] = include_bytes!("../assets/OCRB.otf");

/// Cap height, in pixels, of the templates and of the strips read with them.
pub const CAP_PX: f32 = 18.0;
/// Template rows above the cap height and below the baseline.
const MARGIN: usize = 2;
/// Horizontal margin of a rendered strip, in line heights (as in
/// [`crate::rectify::render`]).
const STRIP_PAD: f32 = 0.6;
/// Height of a rendered strip in line heights (ink plus 0.55 above and
/// below, as in [`crate::rectify::render`]).
const STRIP_HEIGHTS: f32 = 2.1;
/// Longest line read (MRZ lines have 30, 36 or 44 characters).
const MAX_LINE_LENGTH: usize = 64;
/// The MRZ alphabet, in template order.
const ALPHABET: &[u8; 37] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";
/// Alternatives within this correlation of the best are passed on.
const ALTERNATIVE_MARGIN: f32 = 0.08;

/// One glyph: zero-mean, unit-norm ink coverage, row-major.
struct Template {
    ch: u8,
    data: Vec<f32>,
}

/// The OCR-B templates of the MRZ alphabet, rendered once.
pub struct GlyphMatcher {
    templates: Vec<Template>,
    /// Template width: the font's pitch at [`CAP_PX`], rounded.
    width: usize,
    /// Template height: [`CAP_PX`] plus the margins.
    height: usize,
    /// The font's character pitch at [`CAP_PX`], pixels.
    pitch: f32,
}

/// Blur, in pixels of the photo, that a line's templates take on: a line
/// a few pixels high, enlarged to [`CAP_PX`], shows its own pixel grid
/// and the camera's blur as a blur of this size (measured: template reads
/// of the 6.5-px and 6.7-px evaluation passports go from 1+1 and 5+10
/// wrong characters to 1+0 and none).
pub const SOURCE_BLUR_PX: f32 = 0.7;
/// Step between the blur levels a [`GlyphBank`] holds, template pixels.
const BLUR_STEP: f32 = 0.25;
/// Largest template blur, template pixels (lines enlarged 2.9 times or
/// more: the smallest the reader takes, about 6-6.5 px high).
const MAX_BLUR: f32 = 2.0;

/// Matchers for every blur a line needs, rendered once: a line enlarged
/// `k` times to [`CAP_PX`] is read with templates blurred by
/// [`SOURCE_BLUR_PX`] × `k`.
#[derive(Debug)]
pub struct GlyphBank {
    matchers: Vec<GlyphMatcher>,
}

impl GlyphBank {
    /// Renders the templates at every blur level.
    pub fn new() -> GlyphBank {
        let levels = (MAX_BLUR / BLUR_STEP).round() as usize;
        GlyphBank {
            matchers: (0..=levels)
                .map(|i| GlyphMatcher::with_blur(i as f32 * BLUR_STEP))
                .collect(),
        }
    }

    /// The unblurred templates.
    pub fn sharp(&self) -> &GlyphMatcher {
        &self.matchers[0]
    }

    /// The matcher for a strip that enlarges the photo `enlargement` times.
    pub fn for_enlargement(&self, enlargement: f32) -> &GlyphMatcher {
        let sigma = SOURCE_BLUR_PX * enlargement.max(0.0);
        let i = (sigma / BLUR_STEP).round() as usize;
        &self.matchers[i.min(self.matchers.len() - 1)]
    }
}

impl Default for GlyphBank {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GlyphMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlyphMatcher")
            .field("templates", &self.templates.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// A line read by template matching.
#[derive(Debug, Clone, PartialEq)]
pub struct GlyphLine {
    /// The best character of every cell.
    pub text: String,
    /// Per cell, the characters whose correlation is within a small margin
    /// of the best (the best first), with their correlation; cells with a
    /// clear winner have one entry.
    pub candidates: Vec<Vec<(char, f32)>>,
    /// Mean correlation of the best characters (-1 to 1), as read (before
    /// any [`GlyphLine::restrict`]).
    pub score: f32,
    /// Character pitch found in the strip, pixels.
    pub pitch: f32,
    /// Per cell, every character with its correlation, best first.
    ranked: Vec<Vec<(char, f32)>>,
}

impl GlyphLine {
    /// Per cell, every character with its correlation, best first (as
    /// read, before any [`GlyphLine::restrict`]).
    pub fn ranked(&self) -> &[Vec<(char, f32)>] {
        &self.ranked
    }

    /// Reads every cell as the best character that `allowed(column, c)`
    /// permits (for instance the MRZ layout's character classes: no digit
    /// in a name, no letter in a date), with the candidates re-chosen
    /// among the permitted characters.
    pub fn restrict(&mut self, allowed: impl Fn(usize, u8) -> bool) {
        let mut text = String::with_capacity(self.ranked.len());
        for (col, ranked) in self.ranked.iter().enumerate() {
            let permitted: Vec<(char, f32)> = ranked
                .iter()
                .filter(|(c, _)| allowed(col, *c as u8))
                .copied()
                .collect();
            let Some(&(best, top)) = permitted.first() else {
                text.push(ranked.first().map_or('<', |r| r.0));
                continue;
            };
            text.push(best);
            self.candidates[col] = top_candidates(&permitted, top);
        }
        self.text = text;
    }
}

/// The characters within [`ALTERNATIVE_MARGIN`] of the best (at most 3).
fn top_candidates(ranked: &[(char, f32)], top: f32) -> Vec<(char, f32)> {
    ranked
        .iter()
        .take_while(|c| c.1 >= top - ALTERNATIVE_MARGIN)
        .take(3)
        .copied()
        .collect()
}

impl GlyphMatcher {
    /// Renders the templates from the embedded OCR-B font.
    pub fn new() -> GlyphMatcher {
        Self::with_blur(0.0)
    }

    /// Renders the templates from the embedded OCR-B font, blurred by a
    /// Gaussian of `sigma` template pixels (the look of a line printed
    /// small and enlarged to [`CAP_PX`]).
    pub fn with_blur(sigma: f32) -> GlyphMatcher {
        // The embedded font is a compile-time constant that a unit test
        // parses; failing here would be a build defect.
        let font = FontRef::try_from_slice(OCRB_OTF).expect("embedded OCR-B font parses");
        let cap_units = font
            .outline(font.glyph_id('H'))
            // The font's y axis points up: the bounds' "min" is the top.
            .map(|o| (o.bounds.max.y - o.bounds.min.y).abs())
            .filter(|h| *h > 0.0)
            .unwrap_or(0.7 * font.units_per_em().unwrap_or(1000.0));
        let px_per_unit = CAP_PX / cap_units;
        let pitch = font.h_advance_unscaled(font.glyph_id('H')) * px_per_unit;
        let width = pitch.round().max(4.0) as usize;
        let height = CAP_PX.round() as usize + 2 * MARGIN;
        let scale = PxScale::from(px_per_unit * font.height_unscaled());
        let baseline = (MARGIN as f32) + CAP_PX;
        let templates = ALPHABET
            .iter()
            .map(|&ch| {
                let mut cov = vec![0f32; width * height];
                let x = (width as f32 - pitch) / 2.0;
                let glyph = font
                    .glyph_id(char::from(ch))
                    .with_scale_and_position(scale, ab_glyph::point(x, baseline));
                if let Some(outline) = font.outline_glyph(glyph) {
                    let b = outline.px_bounds();
                    outline.draw(|px, py, c| {
                        let xx = b.min.x as i64 + i64::from(px);
                        let yy = b.min.y as i64 + i64::from(py);
                        if xx >= 0 && yy >= 0 && (xx as usize) < width && (yy as usize) < height {
                            cov[yy as usize * width + xx as usize] += c;
                        }
                    });
                }
                Template {
                    ch,
                    data: normalise(gaussian_blur(cov, width, height, sigma)),
                }
            })
            .collect();
        GlyphMatcher {
            templates,
            width,
            height,
            pitch,
        }
    }

    /// The font's character pitch at [`CAP_PX`] cap height, pixels: a line
    /// read with another pitch is printed wider or narrower than the font.
    pub fn pitch(&self) -> f32 {
        self.pitch
    }

    /// Reads a strip rendered at [`CAP_PX`] ink height (ink centred
    /// vertically, [`STRIP_PAD`] line heights of margin at both ends) as a
    /// line of one of the lengths `lengths` (the one that fits best).
    /// `None` when the strip is too small for a line of those lengths.
    pub fn read_line(&self, strip: &GrayImage, lengths: &[usize]) -> Option<GlyphLine> {
        let scores = self.score_map(strip)?;
        // The strip's margin in its own pixels (it may be rendered at a
        // multiple of CAP_PX): 0.6 line heights of a strip 2.1 high.
        let pad = STRIP_PAD * strip.height() as f32 / STRIP_HEIGHTS;
        let ink_len = strip.width() as f32 - 2.0 * pad;
        let mut best: Option<GlyphLine> = None;
        for &n in lengths {
            if !(2..=MAX_LINE_LENGTH).contains(&n) {
                continue;
            }
            let Some(line) = scores.read_grid(n, pad, ink_len, self.width as f32) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| line.score > b.score) {
                best = Some(line);
            }
        }
        best
    }

    /// Correlation of every template at every horizontal position (the best
    /// over a few rows of vertical play).
    fn score_map(&self, strip: &GrayImage) -> Option<ScoreMap> {
        let (w, h) = (strip.width() as usize, strip.height() as usize);
        let (tw, th) = (self.width, self.height);
        if w < 4 * tw || h < th {
            return None;
        }
        let ink: Vec<f32> = strip
            .as_raw()
            .iter()
            .map(|&v| 255.0 - f32::from(v))
            .collect();
        let top = ink_top(&ink, w, h, tw).unwrap_or((h as f32 - CAP_PX) / 2.0);
        let base = top.round() as i64 - MARGIN as i64;
        let nx = w - tw + 1;
        let n_t = self.templates.len();
        let mut scores = vec![-1f32; n_t * nx];
        let mut dot = vec![0f32; nx];
        let n = (tw * th) as f32;
        // Noise floor of the patch deviation: a blank cell must not match
        // anything well.
        let floor = contrast(&ink) * 0.15 * n.sqrt();
        for dy in -1i64..=1 {
            let y0 = base + dy;
            if y0 < 0 || y0 as usize + th > h {
                continue;
            }
            let y0 = y0 as usize;
            let rows = &ink[y0 * w..(y0 + th) * w];
            // Patch deviation from sliding column sums.
            let mut col_s = vec![0f32; w];
            let mut col_q = vec![0f32; w];
            for row in rows.chunks_exact(w) {
                for ((s, q), &v) in col_s.iter_mut().zip(col_q.iter_mut()).zip(row) {
                    *s += v;
                    *q += v * v;
                }
            }
            let mut norm = vec![0f32; nx];
            let (mut s, mut q) = (0f32, 0f32);
            for x in 0..w {
                s += col_s[x];
                q += col_q[x];
                if x >= tw {
                    s -= col_s[x - tw];
                    q -= col_q[x - tw];
                }
                if x + 1 >= tw {
                    let var = (q - s * s / n).max(0.0);
                    norm[x + 1 - tw] = 1.0 / var.sqrt().max(floor).max(1e-3);
                }
            }
            for (t, tpl) in self.templates.iter().enumerate() {
                correlate(&tpl.data, tw, rows, w, &mut dot);
                let out = &mut scores[t * nx..(t + 1) * nx];
                for ((o, &d), &k) in out.iter_mut().zip(&dot).zip(&norm) {
                    *o = o.max(d * k);
                }
            }
        }
        Some(ScoreMap {
            scores,
            nx,
            chars: self.templates.iter().map(|t| t.ch).collect(),
        })
    }
}

impl Default for GlyphMatcher {
    fn default() -> Self {
        Self::new()
    }
}

/// Correlations per template and horizontal position.
struct ScoreMap {
    /// `chars.len() × nx`, template-major.
    scores: Vec<f32>,
    nx: usize,
    chars: Vec<u8>,
}

impl ScoreMap {
    /// The best template's correlation at every position.
    fn best_per_position(&self) -> Vec<f32> {
        let mut best = vec![-1f32; self.nx];
        for row in self.scores.chunks_exact(self.nx) {
            for (b, &s) in best.iter_mut().zip(row) {
                *b = b.max(s);
            }
        }
        best
    }

    /// Places `n` cells of a regular grid (start and pitch searched around
    /// what the ink extent suggests, one pixel of play per cell) and reads
    /// each cell's best characters.
    fn read_grid(&self, n: usize, pad: f32, ink_len: f32, cell: f32) -> Option<GlyphLine> {
        let best = self.best_per_position();
        let play = |x: i64| -> Option<(usize, f32)> {
            (x - 1..=x + 1)
                .filter(|&v| v >= 0 && (v as usize) < self.nx)
                .map(|v| (v as usize, best[v as usize]))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        // The ink runs from the first glyph's left edge to the last one's
        // right edge: about (n - 1) pitches and one glyph's ink (≈ 0.75 of
        // a cell).
        let pitch0 = (ink_len - 0.75 * cell).max(1.0) / (n as f32 - 1.0);
        let x00 = pad - 0.125 * cell;
        let mut top: Option<(f32, f32, f32)> = None;
        // The line's ends may include a stray mark (a card edge, a printed
        // caption): the grid may start up to 2.5 cells in and be up to 12 %
        // shorter than the ink suggests.
        for k in -24i32..=8 {
            let pitch = pitch0 * (1.0 + 0.005 * k as f32);
            let mut dx = -0.75 * cell;
            while dx <= 2.5 * cell {
                let x0 = x00 + dx;
                let mut total = 0f32;
                let mut ok = true;
                for i in 0..n {
                    match play((x0 + i as f32 * pitch).round() as i64) {
                        Some((_, s)) => total += s,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok && top.is_none_or(|t| total > t.0) {
                    top = Some((total, x0, pitch));
                }
                dx += 0.5;
            }
        }
        let (total, x0, pitch) = top?;
        let mut text = String::with_capacity(n);
        let mut candidates = Vec::with_capacity(n);
        let mut ranked = Vec::with_capacity(n);
        for i in 0..n {
            let (x, _) = play((x0 + i as f32 * pitch).round() as i64)?;
            let mut here: Vec<(char, f32)> = self
                .chars
                .iter()
                .enumerate()
                .map(|(t, &c)| (char::from(c), self.scores[t * self.nx + x]))
                .collect();
            here.sort_by(|a, b| b.1.total_cmp(&a.1));
            text.push(here[0].0);
            candidates.push(top_candidates(&here, here[0].1));
            ranked.push(here);
        }
        Some(GlyphLine {
            text,
            candidates,
            score: total / n as f32,
            pitch,
            ranked,
        })
    }
}

/// `dot[x]` = Σ template · strip over the template placed at `x` (rows of
/// `rows` are `w` wide; `dot.len()` positions). With AVX2 and FMA where the
/// processor has them (about twice as fast), portable code otherwise.
fn correlate(tpl: &[f32], tw: usize, rows: &[f32], w: usize, dot: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function is
            // compiled for (checked just above).
            unsafe { correlate_avx2(tpl, tw, rows, w, dot) };
            return;
        }
    }
    correlate_portable(tpl, tw, rows, w, dot);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn correlate_avx2(tpl: &[f32], tw: usize, rows: &[f32], w: usize, dot: &mut [f32]) {
    correlate_portable(tpl, tw, rows, w, dot);
}

#[inline(always)]
fn correlate_portable(tpl: &[f32], tw: usize, rows: &[f32], w: usize, dot: &mut [f32]) {
    let nx = dot.len();
    dot.fill(0.0);
    for (trow, irow) in tpl.chunks_exact(tw).zip(rows.chunks_exact(w)) {
        for (k, &tv) in trow.iter().enumerate() {
            let src = &irow[k..k + nx];
            for (d, &v) in dot.iter_mut().zip(src) {
                *d += tv * v;
            }
        }
    }
}

/// Separable Gaussian blur of a `w`×`h` grid (outside it: blank paper).
fn gaussian_blur(v: Vec<f32>, w: usize, h: usize, sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return v;
    }
    let r = (3.0 * sigma).ceil() as i64;
    let k: Vec<f32> = (-r..=r)
        .map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|x| x / sum).collect();
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0f32;
                for (i, &kv) in k.iter().enumerate() {
                    let d = i as i64 - r;
                    let (xx, yy) = if horizontal {
                        (x as i64 + d, y as i64)
                    } else {
                        (x as i64, y as i64 + d)
                    };
                    if xx >= 0 && yy >= 0 && (xx as usize) < w && (yy as usize) < h {
                        acc += kv * src[yy as usize * w + xx as usize];
                    }
                }
                out[y * w + x] = acc;
            }
        }
        out
    };
    let once = pass(&v, true);
    pass(&once, false)
}

/// Zero mean, unit norm (a blank template stays zero).
fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-6 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Difference between the ink and paper levels of the strip (95th and 5th
/// percentiles of ink darkness).
fn contrast(ink: &[f32]) -> f32 {
    let mut hist = [0u32; 256];
    for &v in ink {
        hist[v.clamp(0.0, 255.0) as usize] += 1;
    }
    let total = ink.len().max(1) as f32;
    let quantile = |q: f32| {
        let mut acc = 0u32;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc as f32 >= q * total {
                return i as f32;
            }
        }
        255.0
    };
    (quantile(0.95) - quantile(0.05)).max(1.0)
}

/// Top row for a template placed on the characters: the centre of the run
/// of rows around the strip's centre whose ink (away from the strip's
/// ends) exceeds 35 % of the profile's range, less half [`CAP_PX`].
fn ink_top(ink: &[f32], w: usize, h: usize, cell: usize) -> Option<f32> {
    let (x0, x1) = (2 * cell, w.saturating_sub(2 * cell));
    if x1 <= x0 {
        return None;
    }
    let prof: Vec<f32> = (0..h)
        .map(|y| ink[y * w + x0..y * w + x1].iter().sum::<f32>())
        .collect();
    let min = prof.iter().cloned().fold(f32::MAX, f32::min);
    let max = prof.iter().cloned().fold(0f32, f32::max);
    if max - min < 1.0 {
        return None;
    }
    let half = min + 0.35 * (max - min);
    let centre = h / 2;
    // Walk up from the centre while rows hold ink.
    let mut y = centre;
    while y > 0 && prof[y - 1] > half {
        y -= 1;
    }
    let mut yb = centre;
    while yb + 1 < h && prof[yb + 1] > half {
        yb += 1;
    }
    let measured = (yb + 1 - y) as f32;
    // Centre the cap height on the measured ink run.
    Some((y as f32 + measured / 2.0 - CAP_PX / 2.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_is_debians_ocr_b() {
        // Installed by scripts/setup (fonts-ocr-b); skipped where absent.
        let debian = std::path::Path::new("/usr/share/fonts/opentype/ocr-b/OCRB.otf");
        if let Ok(bytes) = std::fs::read(debian) {
            assert!(
                bytes == OCRB_OTF,
                "assets/OCRB.otf differs from {}",
                debian.display()
            );
        }
        assert!(FontRef::try_from_slice(OCRB_OTF).is_ok());
    }

    #[test]
    fn the_embedded_font_gives_distinct_templates() {
        let m = GlyphMatcher::new();
        assert_eq!(m.templates.len(), 37);
        assert!(m.width >= 10 && m.width <= 24, "width {}", m.width);
        for (i, a) in m.templates.iter().enumerate() {
            assert!(a.data.iter().any(|&v| v != 0.0), "{} blank", a.ch as char);
            for b in &m.templates[i + 1..] {
                let corr: f32 = a.data.iter().zip(&b.data).map(|(x, y)| x * y).sum();
                assert!(
                    corr < 0.95,
                    "{} and {} alike: {corr}",
                    a.ch as char,
                    b.ch as char
                );
            }
        }
    }

    /// Draws `text` in the embedded OCR-B at `cap` px cap height, dark on
    /// light, and returns the image and the line's geometry.
    fn draw_line(text: &str, cap: f32) -> (GrayImage, crate::rectify::LineGeom) {
        let font = FontRef::try_from_slice(OCRB_OTF).unwrap();
        let bounds = font.outline(font.glyph_id('H')).unwrap().bounds;
        let cap_units = (bounds.max.y - bounds.min.y).abs();
        let k = cap / cap_units;
        let scale = PxScale::from(k * font.height_unscaled());
        let adv = font.h_advance_unscaled(font.glyph_id('H')) * k;
        let (w, h) = ((adv * (text.len() as f32 + 4.0)) as u32, (cap * 4.0) as u32);
        let mut img = GrayImage::from_pixel(w, h, image::Luma([235]));
        let baseline = cap * 2.5;
        for (i, ch) in text.chars().enumerate() {
            let g = font
                .glyph_id(ch)
                .with_scale_and_position(scale, ab_glyph::point(adv * (2.0 + i as f32), baseline));
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|x, y, c| {
                    let (xx, yy) = (b.min.x as i64 + i64::from(x), b.min.y as i64 + i64::from(y));
                    if xx >= 0 && yy >= 0 && (xx as u32) < w && (yy as u32) < h {
                        let p = img.get_pixel_mut(xx as u32, yy as u32);
                        p.0[0] = (f32::from(p.0[0]) * (1.0 - c) + 30.0 * c) as u8;
                    }
                });
            }
        }
        // Ink extent along the line.
        let cols: Vec<u32> = (0..w)
            .filter(|&x| (0..h).any(|y| img.get_pixel(x, y).0[0] < 130))
            .collect();
        let (x0, x1) = (cols[0] as f32, *cols.last().unwrap() as f32 + 1.0);
        let y = baseline - cap / 2.0;
        let geom = crate::rectify::LineGeom {
            p0: (x0, y),
            p1: (x1, y),
            height: cap,
        };
        (img, geom)
    }

    #[test]
    fn reads_a_rendered_line_at_another_size_exactly() {
        let m = GlyphMatcher::new();
        let line = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        for cap in [11.0, 23.0] {
            let (img, geom) = draw_line(line, cap);
            let blurred = imageproc::filter::gaussian_blur_f32(&img, 0.8);
            let strip = crate::rectify::render(&blurred, &geom, CAP_PX);
            let read = m.read_line(&strip, &[44, 36]).expect("a line");
            assert_eq!(read.text, line, "cap {cap}");
            assert!(read.score > 0.8, "score {}", read.score);
            assert!(
                (read.pitch / m.pitch() - 1.0).abs() < 0.08,
                "pitch {}",
                read.pitch
            );
        }
    }

    /// A line 6 px high, blurred as a phone photo is, read at the blur
    /// the bank picks for its enlargement: exact, where the sharp
    /// templates misread several characters (6 when measured).
    #[test]
    fn small_lines_read_better_with_blurred_templates() {
        let bank = GlyphBank::new();
        let line = "P<GBRUNITED<KINGDOM<TWENTY<SIX<<JODIE<PIPPA<";
        let cap = 6.0;
        let (img, geom) = draw_line(line, cap);
        let blurred = imageproc::filter::gaussian_blur_f32(&img, 0.8);
        let strip = crate::rectify::render(&blurred, &geom, CAP_PX);
        let errors = |m: &GlyphMatcher| {
            let read = m.read_line(&strip, &[44]).expect("a line");
            read.text
                .bytes()
                .zip(line.bytes())
                .filter(|(a, b)| a != b)
                .count()
        };
        let sharp = errors(bank.sharp());
        let fitted = errors(bank.for_enlargement(CAP_PX / cap));
        assert_eq!(fitted, 0, "sharp {sharp}");
        assert!(sharp >= 3, "sharp {sharp}");
        // Enlargements beyond the bank's range take its blurriest set.
        let _ = bank.for_enlargement(1e6).read_line(&strip, &[44]);
        assert!(std::ptr::eq(bank.for_enlargement(0.0), bank.sharp()));
    }

    #[test]
    fn the_line_length_that_fits_is_chosen() {
        let m = GlyphMatcher::new();
        let line = "I<UTOD231458907<<<<<<<<<<<<<<<";
        let (img, geom) = draw_line(line, 16.0);
        let strip = crate::rectify::render(&img, &geom, CAP_PX);
        let read = m.read_line(&strip, &[44, 36, 30]).expect("a line");
        assert_eq!(read.text, line);
    }

    #[test]
    fn restricting_classes_picks_the_best_permitted_character() {
        let m = GlyphMatcher::new();
        let (img, geom) = draw_line("SM0TH<<J0HN", 16.0);
        let strip = crate::rectify::render(&img, &geom, CAP_PX);
        let mut read = m.read_line(&strip, &[11]).expect("a line");
        assert_eq!(read.text, "SM0TH<<J0HN");
        // Letters only (a name): the zeros become letters, the rest stays.
        read.restrict(|_, c| c.is_ascii_uppercase() || c == b'<');
        let text: Vec<char> = read.text.chars().collect();
        assert!(
            text[2].is_ascii_uppercase() && text[8].is_ascii_uppercase(),
            "{}",
            read.text
        );
        let others: String = read
            .text
            .chars()
            .enumerate()
            .filter(|(i, _)| *i != 2 && *i != 8)
            .map(|(_, c)| c)
            .collect();
        assert_eq!(others, "SMTH<<JHN");
        assert!(read
            .candidates
            .iter()
            .flatten()
            .all(|(c, _)| !c.is_ascii_digit()));
    }

    #[test]
    fn hostile_strips_do_not_panic() {
        let m = GlyphMatcher::new();
        let mut seed = 7u32;
        let mut noise = |w: u32, h: u32| {
            GrayImage::from_fn(w, h, |_, _| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                image::Luma([(seed & 0xff) as u8])
            })
        };
        let strips = [
            GrayImage::new(1, 1),
            GrayImage::from_pixel(400, 40, image::Luma([255])),
            GrayImage::from_pixel(400, 40, image::Luma([0])),
            GrayImage::from_pixel(60, 300, image::Luma([128])),
            noise(4000, 38),
            noise(50, 22),
        ];
        for strip in &strips {
            for lengths in [&[][..], &[0][..], &[1][..], &[44, 36][..], &[500][..]] {
                if let Some(r) = m.read_line(strip, lengths) {
                    assert_eq!(r.text.len(), r.candidates.len());
                    assert!(r.score.is_finite());
                }
            }
        }
        // A blank strip must not match anything well.
        if let Some(r) = m.read_line(&strips[1], &[44]) {
            assert!(r.score < 0.5, "blank scored {}", r.score);
        }
    }
}
