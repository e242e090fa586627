//! Rectification: resampling one MRZ line from the full-resolution image
//! into an upright strip at a chosen character height.
//!
//! Each line is handled on its own: under mild perspective the lines of a
//! band are not parallel, and a per-line fit of the ink centre line removes
//! the residual tilt that a single band angle leaves.

use crate::imgops::{self, Frame};
use crate::locate::{Band, BandLine};
use image::GrayImage;
use imageproc::region_labelling::{connected_components, Connectivity};

/// A text line's centre line in source pixels: from `p0` (start of the
/// first character) to `p1` (end of the last), and its ink height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineGeom {
    /// Start of the centre line.
    pub p0: (f32, f32),
    /// End of the centre line.
    pub p1: (f32, f32),
    /// Ink height (source pixels).
    pub height: f32,
}

impl LineGeom {
    /// The geometry of `line` of `band`.
    pub fn of(band: &Band, line: &BandLine) -> LineGeom {
        LineGeom {
            p0: band.point(line.u0, line.v),
            p1: band.point(line.u1, line.v),
            height: line.height,
        }
    }

    /// Length of the centre line.
    pub fn length(&self) -> f32 {
        (self.p1.0 - self.p0.0).hypot(self.p1.1 - self.p0.1)
    }

    fn dir(&self) -> (f32, f32) {
        let l = self.length().max(1e-6);
        ((self.p1.0 - self.p0.0) / l, (self.p1.1 - self.p0.1) / l)
    }

    /// The first `fraction` of the line (from its start).
    pub fn truncated(&self, fraction: f32) -> LineGeom {
        let f = fraction.clamp(0.0, 1.0);
        LineGeom {
            p0: self.p0,
            p1: (
                self.p0.0 + f * (self.p1.0 - self.p0.0),
                self.p0.1 + f * (self.p1.1 - self.p0.1),
            ),
            height: self.height,
        }
    }

    /// Turned by 180°.
    pub fn flipped(&self) -> LineGeom {
        LineGeom {
            p0: self.p1,
            p1: self.p0,
            height: self.height,
        }
    }

    /// Moved by `(du, dv)` line heights along / across the line, with the
    /// direction rotated by `angle_deg`.
    pub fn perturbed(&self, dv: f32, angle_deg: f32) -> LineGeom {
        let d = self.dir();
        let n = (-d.1, d.0);
        let c = ((self.p0.0 + self.p1.0) / 2.0, (self.p0.1 + self.p1.1) / 2.0);
        let c = (c.0 + dv * self.height * n.0, c.1 + dv * self.height * n.1);
        let a = angle_deg.to_radians();
        let nd = (d.0 * a.cos() - d.1 * a.sin(), d.0 * a.sin() + d.1 * a.cos());
        let half = self.length() / 2.0;
        LineGeom {
            p0: (c.0 - half * nd.0, c.1 - half * nd.1),
            p1: (c.0 + half * nd.0, c.1 + half * nd.1),
            height: self.height,
        }
    }
}

/// The sampling frame and output size for `geom` at `target_h` output pixels
/// of ink height, with `pad` line heights of margin on every side.
pub(crate) fn frame_for(
    geom: &LineGeom,
    target_h: f32,
    pad_x: f32,
    pad_y: f32,
) -> (Frame, u32, u32) {
    let step = (geom.height / target_h.max(1.0)).max(1e-3);
    let d = geom.dir();
    let n = (-d.1, d.0);
    let pad_u = pad_x * geom.height;
    let half_v = (0.5 + pad_y) * geom.height;
    let origin = (
        geom.p0.0 - pad_u * d.0 - half_v * n.0,
        geom.p0.1 - pad_u * d.1 - half_v * n.1,
    );
    let w = ((geom.length() + 2.0 * pad_u) / step).round().max(1.0) as u32;
    let h = ((2.0 * half_v) / step).round().max(1.0) as u32;
    (
        Frame {
            origin,
            ex: (d.0 * step, d.1 * step),
            ey: (n.0 * step, n.1 * step),
        },
        w,
        h,
    )
}

/// Resamples the line upright at `target_h` px of ink height, with margins.
pub fn render(src: &GrayImage, geom: &LineGeom, target_h: f32) -> GrayImage {
    let (frame, w, h) = frame_for(geom, target_h, 0.6, 0.55);
    // Cap the size: a line is never wider than 80 heights.
    let w = w.min((target_h * 80.0) as u32).max(4);
    let h = h.max(4);
    let mut strip = imgops::sample(src, &frame, w, h, 255);
    clear_edge_strokes(&mut strip, target_h);
    strip
}

/// Whitens a document or card edge that the strip caught at either end: a
/// connected dark stroke within 1.5 line heights of the end that spans more
/// than 80 % of the strip's height (a character spans under half of it).
/// Read as is, such an edge becomes a leading `I` (or a `C` where the
/// corner is rounded).
fn clear_edge_strokes(strip: &mut GrayImage, line_h: f32) {
    let (w, h) = strip.dimensions();
    if w < 8 || h < 4 {
        return;
    }
    let t = imgops::otsu(&imgops::histogram(strip));
    let ink = GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if strip.get_pixel(x, y)[0] <= t {
            255
        } else {
            0
        }])
    });
    let labels = connected_components(&ink, Connectivity::Eight, image::Luma([0u8]));
    let n = labels.as_raw().iter().copied().max().unwrap_or(0) as usize;
    if n == 0 {
        return;
    }
    // Per label: x range and y range.
    let mut ext = vec![(u32::MAX, 0u32, u32::MAX, 0u32); n + 1];
    for (x, y, l) in labels.enumerate_pixels() {
        let e = &mut ext[l[0] as usize];
        *e = (e.0.min(x), e.1.max(x), e.2.min(y), e.3.max(y));
    }
    let reach = ((1.5 * line_h) as u32).min(w / 4);
    let edge: Vec<bool> = ext
        .iter()
        .enumerate()
        .map(|(i, &(x0, x1, y0, y1))| {
            i > 0
                && y1 >= y0
                && (y1 - y0 + 1) as f32 > 0.8 * h as f32
                && (x1 < reach || x0 >= w - reach)
        })
        .collect();
    if !edge.iter().any(|&e| e) {
        return;
    }
    // The stroke and its anti-aliased rim (one pixel either side).
    for (x, y, l) in labels.enumerate_pixels() {
        if edge[l[0] as usize] {
            for xx in x.saturating_sub(1)..(x + 2).min(w) {
                strip.put_pixel(xx, y, image::Luma([255]));
            }
        }
    }
}

/// Re-fits the centre line, the ends and the height of a line from the ink
/// in its neighbourhood: column-chunk ink centroids give a least-squares
/// centre line (removing residual tilt and perspective bending), the column
/// profile gives the ends, the row profile the ink height. Returns the input
/// when there is too little ink to say better.
pub fn refine(src: &GrayImage, geom: &LineGeom) -> LineGeom {
    const WORK_H: f32 = 16.0;
    let (frame, w, h) = frame_for(geom, WORK_H, 1.2, 0.9);
    if w < 16 || h < 8 || w > 4000 {
        return *geom;
    }
    let img = imgops::sample(src, &frame, w, h, 255);
    let bin = imgops::binarize_otsu(&img);
    let (wu, hu) = (w as usize, h as usize);
    let d = bin.as_raw();
    // Only the band of rows around the expected centre (±0.6 heights) counts,
    // so that neighbouring lines (as close as 0.3 heights) do not pull the fit.
    let yc = h as f32 / 2.0;
    let half = 0.6 * WORK_H;
    let ylo = (yc - half).max(0.0) as usize;
    let yhi = ((yc + half) as usize).min(hu);
    let chunks = 8usize;
    let mut pts: Vec<(f32, f32, f32)> = Vec::new();
    for c in 0..chunks {
        let xa = c * wu / chunks;
        let xb = (c + 1) * wu / chunks;
        let (mut n, mut sy) = (0f32, 0f32);
        for y in ylo..yhi {
            for x in xa..xb {
                if d[y * wu + x] == 0 {
                    n += 1.0;
                    sy += y as f32;
                }
            }
        }
        if n > 0.05 * ((xb - xa) as f32) * WORK_H {
            pts.push(((xa + xb) as f32 / 2.0, sy / n, n));
        }
    }
    if pts.len() < 3 {
        return *geom;
    }
    // Weighted least squares y = a + b x.
    let sw: f32 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.0 * p.2).sum::<f32>() / sw;
    let my = pts.iter().map(|p| p.1 * p.2).sum::<f32>() / sw;
    let sxx: f32 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f32 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    if b.abs() > 0.1 {
        return *geom;
    }
    let a = my - b * mx;
    // Ends: ink columns within ±0.7 heights of the fitted line.
    let mut cols = vec![false; wu];
    let mut rows = vec![0u32; hu];
    for (x, col) in cols.iter_mut().enumerate() {
        let yl = a + b * x as f32;
        let y0 = (yl - 0.4 * WORK_H).max(0.0) as usize;
        let y1 = ((yl + 0.4 * WORK_H) as usize).min(hu);
        for y in y0..y1 {
            if d[y * wu + x] == 0 {
                *col = true;
            }
        }
    }
    // Cluster around the middle with gaps up to 1.5 heights.
    let max_gap = (1.5 * WORK_H) as usize;
    let clusters = imgops::runs_with_gaps(&cols, max_gap);
    // The expected extent in this crop.
    let exp0 = 1.2 * WORK_H;
    let exp1 = w as f32 - 1.2 * WORK_H;
    let best = clusters.into_iter().max_by(|p, q| {
        let ov = |(s, e): (usize, usize)| (e as f32).min(exp1) - (s as f32).max(exp0);
        ov(*p).total_cmp(&ov(*q))
    });
    let Some((x0, x1)) = best else { return *geom };
    let len = (x1 - x0) as f32;
    if len < 0.7 * (exp1 - exp0) || len > 1.15 * (exp1 - exp0) + 2.0 * WORK_H {
        // The ends are unclear (touching other print): keep the old ends.
        let p0 = frame.map(exp0, a + b * exp0);
        let p1 = frame.map(exp1, a + b * exp1);
        return LineGeom {
            p0,
            p1,
            height: geom.height,
        };
    }
    // Ink height: rows (relative to the fitted line) holding ink.
    for x in x0..=x1 {
        let yl = a + b * x as f32;
        let y0 = (yl - 0.8 * WORK_H).max(0.0) as usize;
        let y1 = ((yl + 0.8 * WORK_H) as usize).min(hu);
        for y in y0..y1 {
            if d[y * wu + x] == 0 {
                let r = (y as f32 - yl + 0.8 * WORK_H)
                    .round()
                    .clamp(0.0, (hu - 1) as f32) as usize;
                rows[r] += 1;
            }
        }
    }
    let peak = rows.iter().cloned().max().unwrap_or(0);
    let thr = (peak as f32 * 0.2) as u32;
    let first = rows.iter().position(|&v| v > thr);
    let last = rows.iter().rposition(|&v| v > thr);
    let height = match (first, last) {
        (Some(f), Some(l)) if l > f => {
            let hh = (l - f + 1) as f32 / WORK_H * geom.height;
            hh.clamp(0.75 * geom.height, 1.3 * geom.height)
        }
        _ => geom.height,
    };
    let p0 = frame.map(x0 as f32, a + b * x0 as f32);
    let p1 = frame.map(x1 as f32 + 1.0, a + b * (x1 as f32 + 1.0));
    LineGeom { p0, p1, height }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (eval `pe_100_id-usa`, `fm_td1`): the card edge beside the name line was
    /// read as a leading `I` (or `C`). A full-height stroke at an end goes; a character-high
    /// stroke (a real `I`) and everything in the middle stay.
    #[test]
    fn card_edges_at_the_strip_ends_are_cleared_characters_are_not() {
        let (w, h) = (400u32, 63u32);
        let mut strip = GrayImage::from_pixel(w, h, image::Luma([240]));
        let mut bar = |x0: u32, x1: u32, y0: u32, y1: u32| {
            for x in x0..x1 {
                for y in y0..y1 {
                    strip.put_pixel(x, y, image::Luma([20]));
                }
            }
        };
        bar(5, 8, 0, 63); // the card edge: the strip's full height
        bar(20, 24, 16, 46); // an `I` at the start of the line: 30 px of 63
        bar(200, 204, 0, 63); // a full-height stroke in the middle is not an end
        bar(390, 393, 2, 61); // the other edge
        clear_edge_strokes(&mut strip, 30.0);
        let dark = |x: u32, y: u32| strip.get_pixel(x, y)[0] < 128;
        assert!(!dark(6, 30) && !dark(391, 30), "edges cleared");
        assert!(dark(22, 30), "the character stays");
        assert!(dark(202, 30), "the middle stays");
    }
}
