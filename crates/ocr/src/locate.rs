//! Finding MRZ bands in a photo.
//!
//! # Method
//!
//! Classical image processing, chosen because it needs no model file, runs in
//! tens of milliseconds on one core, and is explainable; what it finds is only
//! a *hypothesis* that the recogniser then confirms or refutes with check
//! digits (so the detector may be generous, never the final judge):
//!
//! 1. **Working image.** The grey image is resized so that its long side is
//!    [`LocateParams::working_side`] px (small images are enlarged, so the
//!    structuring elements below are in comparable units).
//! 2. **Dark text on light paper.** A black-hat (closing minus image) with a
//!    small square keeps dark strokes thinner than the square and removes
//!    large dark regions (portrait, hair, dark backgrounds); Otsu's threshold
//!    on the black-hat response gives an ink mask. A square element is
//!    orientation-free, so this works for any rotation of the document.
//! 3. **Characters to lines.** The mask is closed with squares of several
//!    sizes (the character size is unknown: documents span 300-4000 px). A
//!    size between the gap separating characters (≈0.3 of the character
//!    height in OCR-B) and the one separating lines (≈0.8) turns each MRZ
//!    line into one long thin blob; a larger one merges the whole MRZ into a
//!    block. Both are useful seeds.
//! 4. **Seeds.** Connected components with their second moments give each
//!    blob's orientation (principal axis) and its extent along and across
//!    that axis (an oriented bounding box). Long (≥ 4:1), well-filled blobs
//!    are seeds. The angle comes from the blob, so tilt of any amount and the
//!    90°/270° orientations are handled without a rotation search.
//! 5. **Lines in the seed's frame.** Around each seed, the ink mask is
//!    resampled into the seed's own frame (rotated so the seed is
//!    horizontal; a projection-profile search over ±1.5° refines the angle)
//!    and cut into text lines by its row profile; each line's horizontal
//!    extent comes from its column profile.
//! 6. **MRZ structure.** Groups of 2-3 consecutive lines are kept when they
//!    have what every MRZ has: all lines of (almost) the same length, left
//!    aligned, same height, equally spaced at 1.2-2.8 line heights, and a
//!    length of 15-60 line heights (30/36/44 OCR-B characters). Groups are
//!    scored by how well they fit; the 180° ambiguity of an angle is settled
//!    by where the rest of the document lies (the MRZ is at the bottom of
//!    the page on every format) and, failing that, by the recogniser.
//!
//! Mild perspective bends the lines by different angles; the recogniser
//! re-fits each line separately (see `mrz_read`).

use crate::imgops::{self, Blob, Frame};
use image::GrayImage;

/// Tunables of the band finder.
#[derive(Debug, Clone, PartialEq)]
pub struct LocateParams {
    /// Long side of the working image in pixels.
    pub working_side: u32,
    /// Radius of the black-hat square (working pixels).
    pub blackhat_radius: u32,
    /// Closing radii tried (working pixels).
    pub close_radii: Vec<u32>,
    /// Most seeds examined.
    pub max_seeds: usize,
}

impl Default for LocateParams {
    fn default() -> Self {
        Self {
            working_side: 1000,
            blackhat_radius: 7,
            close_radii: vec![1, 2, 3, 5, 8, 12],
            max_seeds: 40,
        }
    }
}

/// One text line of a band, in the band's frame, in source pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandLine {
    /// Offset of the line's centre across the band (along the normal).
    pub v: f32,
    /// Start and end along the band direction.
    pub u0: f32,
    /// End along the band direction.
    pub u1: f32,
    /// Ink height of the line.
    pub height: f32,
}

impl BandLine {
    /// Length along the band.
    pub fn length(&self) -> f32 {
        self.u1 - self.u0
    }
}

/// A candidate MRZ band in source-image coordinates: a frame (origin and
/// reading direction) and its lines, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Origin of the band frame (source pixels).
    pub origin: (f32, f32),
    /// Unit reading direction (left to right of the text when upright).
    pub dir: (f32, f32),
    /// Lines, top to bottom in reading orientation.
    pub lines: Vec<BandLine>,
    /// Structure score (higher is more MRZ-like).
    pub score: f32,
    /// Whether the orientation was decided by the document-body heuristic
    /// (`true`) or is arbitrary.
    pub orientation_confident: bool,
}

impl Band {
    /// Unit normal, pointing "down" the text.
    pub fn normal(&self) -> (f32, f32) {
        (-self.dir.1, self.dir.0)
    }

    /// Source coordinates of band position `(u, v)`.
    pub fn point(&self, u: f32, v: f32) -> (f32, f32) {
        let n = self.normal();
        (
            self.origin.0 + u * self.dir.0 + v * n.0,
            self.origin.1 + u * self.dir.1 + v * n.1,
        )
    }

    /// The same band turned by 180°.
    pub fn flipped(&self) -> Band {
        let mut lines: Vec<BandLine> = self
            .lines
            .iter()
            .map(|l| BandLine {
                v: -l.v,
                u0: -l.u1,
                u1: -l.u0,
                height: l.height,
            })
            .collect();
        lines.reverse();
        Band {
            origin: self.origin,
            dir: (-self.dir.0, -self.dir.1),
            lines,
            score: self.score,
            orientation_confident: self.orientation_confident,
        }
    }

    /// Mean line height in source pixels.
    pub fn line_height(&self) -> f32 {
        if self.lines.is_empty() {
            return 0.0;
        }
        self.lines.iter().map(|l| l.height).sum::<f32>() / self.lines.len() as f32
    }

    /// Mean line length in source pixels.
    pub fn line_length(&self) -> f32 {
        if self.lines.is_empty() {
            return 0.0;
        }
        self.lines.iter().map(|l| l.length()).sum::<f32>() / self.lines.len() as f32
    }

    /// Angle of the reading direction in degrees (0 = upright, clockwise positive
    /// in image coordinates).
    pub fn angle_deg(&self) -> f32 {
        self.dir.1.atan2(self.dir.0).to_degrees()
    }

    /// Corners of the band (top-left, top-right, bottom-right, bottom-left in
    /// reading orientation), with half a line height of margin.
    pub fn corners(&self) -> [(f32, f32); 4] {
        let (Some(first), Some(last)) = (self.lines.first(), self.lines.last()) else {
            return [self.origin; 4];
        };
        let u0 = self.lines.iter().map(|l| l.u0).fold(f32::MAX, f32::min);
        let u1 = self.lines.iter().map(|l| l.u1).fold(f32::MIN, f32::max);
        let top = first.v - first.height;
        let bottom = last.v + last.height;
        [
            self.point(u0, top),
            self.point(u1, top),
            self.point(u1, bottom),
            self.point(u0, bottom),
        ]
    }

    /// Whether two bands cover the same lines (same place, parallel).
    pub fn same_as(&self, other: &Band) -> bool {
        let cos = (self.dir.0 * other.dir.0 + self.dir.1 * other.dir.1).abs();
        if cos < 0.995 {
            return false;
        }
        let h = self.line_height().max(1.0);
        let (ca, cb) = (self.centre(), other.centre());
        let d = ((ca.0 - cb.0).powi(2) + (ca.1 - cb.1).powi(2)).sqrt();
        d < 1.5 * h && self.lines.len() == other.lines.len()
    }

    /// Centre of the band.
    pub fn centre(&self) -> (f32, f32) {
        let c = self.corners();
        (
            (c[0].0 + c[1].0 + c[2].0 + c[3].0) / 4.0,
            (c[0].1 + c[1].1 + c[2].1 + c[3].1) / 4.0,
        )
    }
}

/// Working-resolution images shared by the band search and later stages.
pub(crate) struct Working {
    /// Working-resolution grey image.
    pub gray: GrayImage,
    /// Ink mask (black-hat above threshold).
    pub ink: GrayImage,
    /// Working pixels per source pixel.
    pub scale: f32,
}

impl Working {
    pub fn new(src: &GrayImage, params: &LocateParams) -> Working {
        let (w, h) = src.dimensions();
        let long = w.max(h).max(1) as f32;
        let scale = (params.working_side as f32 / long).min(4.0);
        let ww = ((w as f32 * scale).round() as u32).max(1);
        let wh = ((h as f32 * scale).round() as u32).max(1);
        let gray = imgops::resize(src, ww, wh);
        let bh = imgops::blackhat(&gray, params.blackhat_radius);
        let hist = imgops::histogram(&bh);
        let t = imgops::otsu(&hist).max(18);
        let ink = imgops::threshold_above(&bh, t);
        Working { gray, ink, scale }
    }
}

/// Finds candidate MRZ bands, best first.
pub fn locate_bands(src: &GrayImage, params: &LocateParams) -> Vec<Band> {
    let work = Working::new(src, params);
    locate_in(&work, params)
}

pub(crate) fn locate_in(work: &Working, params: &LocateParams) -> Vec<Band> {
    let mut seeds: Vec<Blob> = Vec::new();
    for &r in &params.close_radii {
        let closed = imgops::close(&work.ink, r, r);
        for b in imgops::blobs(&closed, 40) {
            if b.length >= 50.0
                && b.width >= 2.0
                && b.length / b.width >= 4.0
                && b.fill() >= 0.4
                && b.length <= 1.5 * work.gray.width().max(work.gray.height()) as f32
            {
                seeds.push(b);
            }
        }
    }
    // Longest, best-filled first; skip near-duplicates.
    seeds.sort_by(|a, b| {
        let sa = a.length * a.fill();
        let sb = b.length * b.fill();
        sb.total_cmp(&sa)
    });
    let mut kept: Vec<Blob> = Vec::new();
    for s in seeds {
        let dup = kept.iter().any(|k| {
            (k.cx - s.cx).abs() < 0.1 * k.length.max(s.length) * 0.5
                && (k.cy - s.cy).abs() < 0.5 * k.width.min(s.width).max(2.0)
                && (k.length / s.length - 1.0).abs() < 0.1
                && angle_diff(k.theta, s.theta) < 0.05
        });
        if !dup {
            kept.push(s);
        }
        if kept.len() >= params.max_seeds {
            break;
        }
    }
    let mut bands: Vec<Band> = Vec::new();
    for s in &kept {
        // A seed lying on a band already found (another closing of the same
        // line, or the block of its lines) adds nothing.
        if bands.iter().any(|b| covers(b, work.scale, s)) {
            continue;
        }
        for band in bands_from_seed(work, s) {
            if let Some(existing) = bands.iter_mut().find(|b| b.same_as(&band)) {
                if band.score > existing.score {
                    *existing = band;
                }
            } else {
                bands.push(band);
            }
        }
    }
    bands.sort_by(|a, b| b.score.total_cmp(&a.score));
    bands
}

/// Whether seed `s` (working pixels) lies inside band `b` (source pixels)
/// and runs parallel to it.
fn covers(b: &Band, scale: f32, s: &Blob) -> bool {
    let (cx, cy) = (s.cx / scale, s.cy / scale);
    let (ox, oy) = (cx - b.origin.0, cy - b.origin.1);
    let n = b.normal();
    let u = ox * b.dir.0 + oy * b.dir.1;
    let v = ox * n.0 + oy * n.1;
    let (Some(first), Some(last)) = (b.lines.first(), b.lines.last()) else {
        return false;
    };
    let u0 = b.lines.iter().map(|l| l.u0).fold(f32::MAX, f32::min);
    let u1 = b.lines.iter().map(|l| l.u1).fold(f32::MIN, f32::max);
    let parallel = angle_diff(s.theta, b.dir.1.atan2(b.dir.0)) < 0.05;
    let len_ok = s.length / scale <= 1.1 * (u1 - u0);
    parallel
        && len_ok
        && u >= u0
        && u <= u1
        && v >= first.v - first.height
        && v <= last.v + last.height
}

fn angle_diff(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(std::f32::consts::PI);
    d.min(std::f32::consts::PI - d)
}

/// A line found in a seed's rectified crop (working pixels, crop coordinates).
#[derive(Debug, Clone, Copy)]
struct CropLine {
    y0: usize,
    y1: usize,
    /// Ink-weighted centre row.
    yc: f32,
    x0: usize,
    x1: usize,
}

impl CropLine {
    fn height(&self) -> f32 {
        (self.y1 - self.y0 + 1) as f32
    }
    fn length(&self) -> f32 {
        (self.x1 - self.x0 + 1) as f32
    }
}

fn bands_from_seed(work: &Working, seed: &Blob) -> Vec<Band> {
    let margin_v = seed.width.max(0.18 * seed.length) + 4.0;
    let ch = (seed.width + 2.0 * margin_v).ceil() as u32;
    // Refine the angle on the seed's own extent by the sharpness of the row
    // profile (±1.5° in 0.25° steps); short seeds keep the moment angle.
    let mut theta = seed.theta;
    if seed.length >= 80.0 {
        let sw = (seed.length + 4.0).ceil() as u32;
        let frame = crop_frame(seed.cx, seed.cy, seed.theta, sw as f32, ch as f32);
        let crop = imgops::sample_nearest(&work.ink, &frame, sw, ch, 0);
        // The ink pixels once, relative to the crop centre; each angle then
        // only re-projects them (a crop rotated by δ puts the point (a, b)
        // on row b·cos δ − a·sin δ).
        let (hw, hh) = (sw as f32 / 2.0, ch as f32 / 2.0);
        let pts: Vec<(f32, f32)> = crop
            .enumerate_pixels()
            .filter(|p| p.2 .0[0] > 127)
            .map(|(u, v, _)| (u as f32 - hw, v as f32 - hh))
            .collect();
        let mut prof = vec![0f32; ch as usize];
        let mut best = f32::MIN;
        for k in -6i32..=6 {
            let delta = (k as f32 * 0.25).to_radians();
            let (sin, cos) = delta.sin_cos();
            prof.fill(0.0);
            for &(a, b) in &pts {
                let row = b * cos - a * sin + hh + 0.5;
                if row >= 0.0 && (row as usize) < prof.len() {
                    prof[row as usize] += 1.0;
                }
            }
            let sharp: f32 = prof.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
            if sharp > best {
                best = sharp;
                theta = seed.theta + delta;
            }
        }
    }
    // The crop reaches well beyond the seed along the line: a seed may be a
    // fragment of an MRZ line (split at a fold, a glare spot, a long run of
    // fillers).
    let (iw, ih) = (work.gray.width() as f32, work.gray.height() as f32);
    let ext = (1.2 * seed.length).min(iw.hypot(ih)) + 10.0;
    let cw = (seed.length + 2.0 * ext).min(2.0 * iw.hypot(ih)).ceil() as u32;
    if cw < 8 || ch < 8 || (cw as u64) * (ch as u64) > 6_000_000 {
        return Vec::new();
    }
    let frame = crop_frame(seed.cx, seed.cy, theta, cw as f32, ch as f32);
    let crop = imgops::sample_nearest(&work.ink, &frame, cw, ch, 0);
    let sx0 = ((cw as f32 - seed.length) / 2.0).max(0.0) as usize;
    let sx1 = ((cw as f32 + seed.length) / 2.0) as usize;
    let lines = segment_lines(&crop, sx0, sx1);
    let mut out = Vec::new();
    for (score, idx) in mrz_groups(&lines) {
        let chosen: Vec<CropLine> = idx.iter().map(|&i| lines[i]).collect();
        // The seed must overlap the group (it is the reason we looked here).
        let seed_v0 = margin_v;
        let seed_v1 = margin_v + seed.width;
        let g0 = chosen[0].y0 as f32;
        let g1 = chosen[chosen.len() - 1].y1 as f32;
        if g1 < seed_v0 - 1.0 || g0 > seed_v1 + 1.0 {
            continue;
        }
        let mut band = to_band(work, &frame, &chosen, score);
        orient(work, &mut band);
        out.push(band);
    }
    out
}

/// Frame whose output `(u, v)` covers a `w × h` box centred on `(cx, cy)` rotated by `t`.
fn crop_frame(cx: f32, cy: f32, t: f32, w: f32, h: f32) -> Frame {
    let (c, s) = (t.cos(), t.sin());
    let ex = (c, s);
    let ey = (-s, c);
    Frame {
        origin: (
            cx - 0.5 * w * ex.0 - 0.5 * h * ey.0,
            cy - 0.5 * w * ex.1 - 0.5 * h * ey.1,
        ),
        ex,
        ey,
    }
}

fn row_profile(mask: &GrayImage, x0: usize, x1: usize) -> Vec<f32> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let (x0, x1) = (x0.min(w), x1.min(w));
    let d = mask.as_raw();
    (0..h)
        .map(|y| {
            d[y * w + x0..y * w + x1]
                .iter()
                .filter(|&&v| v > 127)
                .count() as f32
        })
        .collect()
}

/// Cuts a rectified mask into text lines (runs of rows with enough ink),
/// each with its horizontal extent (the ink cluster overlapping `[x0, x1)`).
fn segment_lines(mask: &GrayImage, x0: usize, x1: usize) -> Vec<CropLine> {
    let w = mask.width() as usize;
    let prof = row_profile(mask, x0, x1);
    let max = prof.iter().cloned().fold(0f32, f32::max);
    if max < 5.0 {
        return Vec::new();
    }
    let thr = (0.12 * max).max(2.0);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (y, &v) in prof.iter().enumerate() {
        match (start, v > thr) {
            (None, true) => start = Some(y),
            (Some(s), false) => {
                runs.push((s, y - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, prof.len() - 1));
    }
    let d = mask.as_raw();
    let mut out = Vec::new();
    for (y0, y1) in runs {
        let hgt = y1 - y0 + 1;
        if hgt < 2 {
            continue;
        }
        // Column occupancy within the run.
        let mut col = vec![false; w];
        for y in y0..=y1 {
            for (x, c) in col.iter_mut().enumerate() {
                if d[y * w + x] > 127 {
                    *c = true;
                }
            }
        }
        // Clusters of occupied columns with gaps up to ~1.5 line heights.
        let max_gap = (1.5 * hgt as f32).max(3.0) as usize;
        let clusters = crate::imgops::runs_with_gaps(&col, max_gap);
        // The cluster overlapping the seed range most.
        let best = clusters.into_iter().max_by_key(|&(a, b)| {
            let lo = a.max(x0);
            let hi = b.min(x1);
            hi.saturating_sub(lo)
        });
        let Some((cx0, cx1)) = best else { continue };
        if cx1 <= cx0 {
            continue;
        }
        // Ink-weighted centre row over the cluster.
        let (mut sw, mut sy) = (0f32, 0f32);
        for y in y0..=y1 {
            let n = d[y * w + cx0..=y * w + cx1]
                .iter()
                .filter(|&&v| v > 127)
                .count() as f32;
            sw += n;
            sy += n * y as f32;
        }
        out.push(CropLine {
            y0,
            y1,
            yc: if sw > 0.0 {
                sy / sw
            } else {
                (y0 + y1) as f32 / 2.0
            },
            x0: cx0,
            x1: cx1,
        });
    }
    out
}

/// Groups of 2-3 consecutive lines with MRZ structure, with a score.
fn mrz_groups(lines: &[CropLine]) -> Vec<(f32, Vec<usize>)> {
    let mut out = Vec::new();
    for k in [3usize, 2] {
        if lines.len() < k {
            continue;
        }
        for i in 0..=lines.len() - k {
            let g = &lines[i..i + k];
            if let Some(score) = group_score(g) {
                out.push((score + if k == 3 { 0.5 } else { 0.0 }, (i..i + k).collect()));
            }
        }
    }
    out
}

fn group_score(g: &[CropLine]) -> Option<f32> {
    let heights: Vec<f32> = g.iter().map(|l| l.height()).collect();
    let lengths: Vec<f32> = g.iter().map(|l| l.length()).collect();
    let hmin = heights.iter().cloned().fold(f32::MAX, f32::min);
    let hmax = heights.iter().cloned().fold(0f32, f32::max);
    let lmin = lengths.iter().cloned().fold(f32::MAX, f32::min);
    let lmax = lengths.iter().cloned().fold(0f32, f32::max);
    let h = heights.iter().sum::<f32>() / heights.len() as f32;
    if hmax > 1.8 * hmin || lmin < 0.8 * lmax {
        return None;
    }
    let ratio = lmax / h;
    if !(12.0..=70.0).contains(&ratio) {
        return None;
    }
    // Left and right alignment.
    let x0s: Vec<f32> = g.iter().map(|l| l.x0 as f32).collect();
    let x1s: Vec<f32> = g.iter().map(|l| l.x1 as f32).collect();
    let spread = |v: &[f32]| {
        v.iter().cloned().fold(f32::MIN, f32::max) - v.iter().cloned().fold(f32::MAX, f32::min)
    };
    let left = spread(&x0s);
    let right = spread(&x1s);
    if left > 0.1 * lmax + 2.0 * h || right > 0.12 * lmax + 2.0 * h {
        return None;
    }
    // Spacing.
    let pitches: Vec<f32> = g.windows(2).map(|w| w[1].yc - w[0].yc).collect();
    for &p in &pitches {
        if p < 1.1 * h || p > 3.0 * h {
            return None;
        }
    }
    if pitches.len() == 2 {
        let (a, b) = (pitches[0], pitches[1]);
        if a.max(b) > 1.3 * a.min(b) {
            return None;
        }
    }
    // Higher is better: alignment, equal lengths, equal heights.
    let mut score = 3.0;
    score -= (left + right) / lmax * 5.0;
    score -= (1.0 - lmin / lmax) * 5.0;
    score -= (hmax / hmin - 1.0) * 1.0;
    // MRZ lines are long for their height: 30-44 OCR-B characters give a
    // length of about 28-70 ink heights; shorter printed rows (names,
    // dates) rank lower.
    if (24.0..=72.0).contains(&ratio) {
        score += 1.0;
    } else if ratio < 24.0 {
        score -= (24.0 - ratio) / 8.0;
    }
    Some(score)
}

fn to_band(work: &Working, frame: &Frame, lines: &[CropLine], score: f32) -> Band {
    // Band frame: origin = crop point (0, 0) in source pixels, direction = ex.
    let inv = 1.0 / work.scale;
    let origin_w = frame.origin;
    let origin = (origin_w.0 * inv, origin_w.1 * inv);
    let len = frame.ex.0.hypot(frame.ex.1).max(1e-6);
    let dir = (frame.ex.0 / len, frame.ex.1 / len);
    let blines = lines
        .iter()
        .map(|l| BandLine {
            v: l.yc * inv,
            u0: l.x0 as f32 * inv,
            u1: (l.x1 + 1) as f32 * inv,
            height: l.height() * inv,
        })
        .collect();
    Band {
        origin,
        dir,
        lines: blines,
        score,
        orientation_confident: false,
    }
}

/// Turns the band so that the document body (more ink) lies above it: the
/// MRZ is at the bottom of every ICAO document page.
fn orient(work: &Working, band: &mut Band) {
    let s = work.scale;
    let (Some(first), Some(last)) = (band.lines.first().copied(), band.lines.last().copied())
    else {
        return;
    };
    let u0 = band.lines.iter().map(|l| l.u0).fold(f32::MAX, f32::min);
    let u1 = band.lines.iter().map(|l| l.u1).fold(f32::MIN, f32::max);
    let h = band.line_height();
    let span = 4.0 * (last.v - first.v + 2.0 * h).max(3.0 * h);
    let count = |v0: f32, v1: f32| -> f32 {
        // Sample the ink mask on a grid in band coordinates (working pixels).
        let steps_u = 40;
        let steps_v = 16;
        let mut n = 0f32;
        let mut tot = 0f32;
        for i in 0..steps_u {
            for j in 0..steps_v {
                let u = u0 + (u1 - u0) * (i as f32 + 0.5) / steps_u as f32;
                let v = v0 + (v1 - v0) * (j as f32 + 0.5) / steps_v as f32;
                let (x, y) = band.point(u, v);
                let (x, y) = ((x * s) as i64, (y * s) as i64);
                if x >= 0
                    && y >= 0
                    && (x as u32) < work.ink.width()
                    && (y as u32) < work.ink.height()
                {
                    tot += 1.0;
                    if work.ink.get_pixel(x as u32, y as u32)[0] > 127 {
                        n += 1.0;
                    }
                }
            }
        }
        if tot > 0.0 {
            n / tot
        } else {
            0.0
        }
    };
    let above = count(first.v - h - span, first.v - h);
    let below = count(last.v + h, last.v + h + span);
    if below > above * 1.3 + 0.005 {
        *band = band.flipped();
        band.orientation_confident = true;
    } else if above > below * 1.3 + 0.005 {
        band.orientation_confident = true;
    }
}
