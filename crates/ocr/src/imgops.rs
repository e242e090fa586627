//! Small image operations the pipeline needs and `image`/`imageproc` do not
//! offer at the needed speed: O(1)-per-pixel min/max filters (van Herk /
//! Gil-Werman), black-hat, Otsu's threshold, connected components with
//! second moments, bilinear sampling along an arbitrary affine frame, and a
//! few quality measures.

use image::GrayImage;

/// Resizes with a box (area-average) filter when shrinking and bilinear
/// interpolation when enlarging. `w`, `h` are clamped to at least 1.
pub(crate) fn resize(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (w, h) = (w.max(1), h.max(1));
    if (w, h) == img.dimensions() {
        return img.clone();
    }
    if w <= img.width() && h <= img.height() {
        box_downscale(img, w, h)
    } else {
        image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
    }
}

/// Area-average downscaling (exact pixel coverage on each axis), fast and
/// alias-free for the strong reductions of multi-megapixel photos.
fn box_downscale(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (w, h) = (w as usize, h as usize);
    // Horizontal pass into f32 rows.
    let fx = sw as f32 / w as f32;
    let fy = sh as f32 / h as f32;
    let mut tmp = vec![0f32; w * sh];
    let src = img.as_raw();
    let spans_x: Vec<(usize, usize, f32, f32)> = (0..w)
        .map(|x| {
            let a = x as f32 * fx;
            let b = ((x + 1) as f32 * fx).min(sw as f32);
            (a.floor() as usize, (b.ceil() as usize).min(sw), a, b)
        })
        .collect();
    for y in 0..sh {
        let row = &src[y * sw..(y + 1) * sw];
        for (x, &(i0, i1, a, b)) in spans_x.iter().enumerate() {
            let mut acc = 0f32;
            for (i, &v) in row.iter().enumerate().take(i1).skip(i0) {
                let lo = (i as f32).max(a);
                let hi = ((i + 1) as f32).min(b);
                acc += f32::from(v) * (hi - lo).max(0.0);
            }
            tmp[y * w + x] = acc / (b - a).max(1e-6);
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let a = y as f32 * fy;
        let b = ((y + 1) as f32 * fy).min(sh as f32);
        let (j0, j1) = (a.floor() as usize, (b.ceil() as usize).min(sh));
        let orow = &mut out[y * w..(y + 1) * w];
        let mut wsum = 0f32;
        let mut acc = vec![0f32; w];
        for j in j0..j1 {
            let lo = (j as f32).max(a);
            let hi = ((j + 1) as f32).min(b);
            let wt = (hi - lo).max(0.0);
            wsum += wt;
            let trow = &tmp[j * w..(j + 1) * w];
            for (a, &t) in acc.iter_mut().zip(trow) {
                *a += t * wt;
            }
        }
        for (o, a) in orow.iter_mut().zip(&acc) {
            *o = (a / wsum.max(1e-6)).round().clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out)
        .unwrap_or_else(|| GrayImage::new(w as u32, h as u32))
}

/// Running max (or min) over windows of `2r+1` samples of each row, borders
/// ignored (van Herk / Gil-Werman: three comparisons per sample whatever `r`).
fn filter_rows<const MAX: bool>(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    if r == 0 || w == 0 {
        return src.to_vec();
    }
    let k = 2 * r + 1;
    let neutral = if MAX { 0u8 } else { 255u8 };
    let op = |a: u8, b: u8| if MAX { a.max(b) } else { a.min(b) };
    let n = w + 2 * r;
    let padded_len = n.div_ceil(k) * k;
    let mut p = vec![neutral; padded_len];
    let mut g = vec![neutral; padded_len];
    let mut hh = vec![neutral; padded_len];
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        p[r..r + w].copy_from_slice(row);
        for block in (0..padded_len).step_by(k) {
            g[block] = p[block];
            for i in block + 1..block + k {
                g[i] = op(g[i - 1], p[i]);
            }
            hh[block + k - 1] = p[block + k - 1];
            for i in (block..block + k - 1).rev() {
                hh[i] = op(hh[i + 1], p[i]);
            }
        }
        let orow = &mut out[y * w..(y + 1) * w];
        for (i, o) in orow.iter_mut().enumerate() {
            // Window p[i ..= i + 2r].
            *o = op(hh[i], g[i + k - 1]);
        }
    }
    out
}

/// Running max (or min) over windows of `2r+1` rows of each column, borders
/// ignored: the same van Herk / Gil-Werman scheme as [`filter_rows`], whole
/// rows at a time (no transposition; the inner loops run along rows).
fn filter_cols<const MAX: bool>(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    if r == 0 || w == 0 || h == 0 {
        return src.to_vec();
    }
    let k = 2 * r + 1;
    let neutral = if MAX { 0u8 } else { 255u8 };
    let op = |a: u8, b: u8| if MAX { a.max(b) } else { a.min(b) };
    let n = h + 2 * r;
    let padded = n.div_ceil(k) * k;
    // Padded row j holds source row j - r (neutral outside).
    let row_of = |j: usize| -> Option<&[u8]> {
        (j >= r && j - r < h).then(|| &src[(j - r) * w..(j - r + 1) * w])
    };
    let mut g = vec![neutral; padded * w];
    let mut hh = vec![neutral; padded * w];
    for block in (0..padded).step_by(k) {
        // Forward running op within the block.
        for j in block..block + k {
            let (done, rest) = g.split_at_mut(j * w);
            let cur = &mut rest[..w];
            match row_of(j) {
                Some(s) => cur.copy_from_slice(s),
                None => cur.fill(neutral),
            }
            if j > block {
                let prev = &done[(j - 1) * w..j * w];
                for (c, &p) in cur.iter_mut().zip(prev) {
                    *c = op(*c, p);
                }
            }
        }
        // Backward running op within the block.
        for j in (block..block + k).rev() {
            let (head, tail) = hh.split_at_mut((j + 1) * w);
            let cur = &mut head[j * w..];
            match row_of(j) {
                Some(s) => cur.copy_from_slice(s),
                None => cur.fill(neutral),
            }
            if j + 1 < block + k {
                let next = &tail[..w];
                for (c, &p) in cur.iter_mut().zip(next) {
                    *c = op(*c, p);
                }
            }
        }
    }
    let mut out = vec![0u8; w * h];
    for (i, orow) in out.chunks_exact_mut(w).enumerate() {
        // Window of padded rows i ..= i + 2r.
        let a = &hh[i * w..(i + 1) * w];
        let b = &g[(i + k - 1) * w..(i + k) * w];
        for ((o, &x), &y) in orow.iter_mut().zip(a).zip(b) {
            *o = op(x, y);
        }
    }
    out
}

fn rect_filter<const MAX: bool>(img: &GrayImage, rx: u32, ry: u32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let a = filter_rows::<MAX>(img.as_raw(), w, h, rx as usize);
    let out = filter_cols::<MAX>(&a, w, h, ry as usize);
    GrayImage::from_raw(w as u32, h as u32, out)
        .unwrap_or_else(|| GrayImage::new(w as u32, h as u32))
}

/// Grey-level dilation (max) with a `(2rx+1) × (2ry+1)` rectangle.
pub(crate) fn dilate(img: &GrayImage, rx: u32, ry: u32) -> GrayImage {
    rect_filter::<true>(img, rx, ry)
}

/// Grey-level erosion (min) with a `(2rx+1) × (2ry+1)` rectangle.
pub(crate) fn erode(img: &GrayImage, rx: u32, ry: u32) -> GrayImage {
    rect_filter::<false>(img, rx, ry)
}

/// Closing (dilation then erosion) with a rectangle.
pub(crate) fn close(img: &GrayImage, rx: u32, ry: u32) -> GrayImage {
    erode(&dilate(img, rx, ry), rx, ry)
}

/// Black-hat: closing minus the image. Dark strokes thinner than the square
/// `2r+1` light up; large dark areas (photos, dark backgrounds) stay dark.
pub(crate) fn blackhat(img: &GrayImage, r: u32) -> GrayImage {
    let c = close(img, r, r);
    let out: Vec<u8> = c
        .as_raw()
        .iter()
        .zip(img.as_raw())
        .map(|(&c, &i)| c.saturating_sub(i))
        .collect();
    GrayImage::from_raw(img.width(), img.height(), out)
        .unwrap_or_else(|| GrayImage::new(img.width(), img.height()))
}

/// 256-bin histogram.
pub(crate) fn histogram(img: &GrayImage) -> [u64; 256] {
    let mut hist = [0u64; 256];
    for &v in img.as_raw() {
        hist[v as usize] += 1;
    }
    hist
}

/// Otsu's threshold of a histogram: the level `t` maximising the between-class
/// variance of `{v <= t}` and `{v > t}`.
pub(crate) fn otsu(hist: &[u64; 256]) -> u8 {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 127;
    }
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0) = (0f64, 0f64);
    let (mut best, mut best_t) = (-1f64, 127u8);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c as f64;
        sum0 += t as f64 * c as f64;
        let w1 = total as f64 - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let m0 = sum0 / w0;
        let m1 = (sum_all - sum0) / w1;
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The value below which `q` (0..1) of the pixels lie.
pub(crate) fn percentile(hist: &[u64; 256], q: f64) -> u8 {
    let total: u64 = hist.iter().sum();
    let target = (total as f64 * q.clamp(0.0, 1.0)) as u64;
    let mut acc = 0u64;
    for (i, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > target {
            return i as u8;
        }
    }
    255
}

/// `255` where `img > t`, else `0`.
pub(crate) fn threshold_above(img: &GrayImage, t: u8) -> GrayImage {
    let out: Vec<u8> = img
        .as_raw()
        .iter()
        .map(|&v| if v > t { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(img.width(), img.height(), out)
        .unwrap_or_else(|| GrayImage::new(img.width(), img.height()))
}

/// A connected component of a binary mask with its moments and oriented extent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blob {
    /// Pixel count.
    pub area: u32,
    /// Centroid.
    pub cx: f32,
    pub cy: f32,
    /// Angle of the major axis (radians, image coordinates, y down), in (-π/2, π/2].
    pub theta: f32,
    /// Extent along the major axis.
    pub length: f32,
    /// Extent along the minor axis.
    pub width: f32,
}

impl Blob {
    /// Area over oriented-rectangle area.
    pub fn fill(&self) -> f32 {
        self.area as f32 / (self.length * self.width).max(1.0)
    }
}

/// Connected components (8-connectivity) of the non-zero pixels of `mask`,
/// ignoring those smaller than `min_area` pixels.
pub(crate) fn blobs(mask: &GrayImage, min_area: u32) -> Vec<Blob> {
    // Runs of foreground per row, joined across rows (8-connected: runs
    // touching diagonally join) with a union-find over runs. Moments and
    // oriented extents are sums and extremes of functions that are
    // polynomial (linear for the extents) along a run, so each run
    // contributes in closed form.
    #[derive(Clone, Copy)]
    struct Run {
        y: u32,
        x0: u32,
        x1: u32,
    }
    let (w, h) = mask.dimensions();
    let raw = mask.as_raw();
    let mut runs: Vec<Run> = Vec::new();
    let mut row_start: Vec<usize> = Vec::with_capacity(h as usize + 1);
    for y in 0..h {
        row_start.push(runs.len());
        let row = &raw[(y * w) as usize..((y + 1) * w) as usize];
        let mut x = 0usize;
        while x < row.len() {
            if row[x] == 0 {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] != 0 {
                x += 1;
            }
            runs.push(Run {
                y,
                x0: start as u32,
                x1: (x - 1) as u32,
            });
        }
    }
    row_start.push(runs.len());
    if runs.is_empty() {
        return Vec::new();
    }
    let mut parent: Vec<usize> = (0..runs.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for y in 1..h as usize {
        let (prev, cur) = (
            row_start[y - 1]..row_start[y],
            row_start[y]..row_start[y + 1],
        );
        let mut j = prev.start;
        for i in cur {
            let r = runs[i];
            // Runs of the row above that touch [x0 - 1, x1 + 1].
            while j < prev.end && runs[j].x1 + 1 < r.x0 {
                j += 1;
            }
            let mut k = j;
            while k < prev.end && runs[k].x0 <= r.x1 + 1 {
                let (a, b) = (find(&mut parent, i), find(&mut parent, k));
                if a != b {
                    // The earlier run stays the root: components keep the
                    // raster order of their first pixel.
                    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                    parent[hi] = lo;
                }
                k += 1;
            }
        }
    }
    #[derive(Clone, Copy, Default)]
    struct Acc {
        n: f64,
        sx: f64,
        sy: f64,
        sxx: f64,
        syy: f64,
        sxy: f64,
    }
    let roots: Vec<usize> = (0..runs.len()).map(|i| find(&mut parent, i)).collect();
    let mut acc = vec![Acc::default(); runs.len()];
    for (r, &root) in runs.iter().zip(&roots) {
        let (a, b, y) = (f64::from(r.x0), f64::from(r.x1), f64::from(r.y));
        let n = b - a + 1.0;
        // Σx and Σx² over a..=b.
        let sx = (a + b) * n / 2.0;
        let sq = |m: f64| m * (m + 1.0) * (2.0 * m + 1.0) / 6.0;
        let sxx = sq(b) - if a > 0.0 { sq(a - 1.0) } else { 0.0 };
        let t = &mut acc[root];
        t.n += n;
        t.sx += sx;
        t.sy += y * n;
        t.sxx += sxx;
        t.syy += y * y * n;
        t.sxy += y * sx;
    }
    let min_area = f64::from(min_area.max(1));
    // Orientation from the central second moments.
    let mut dirs = vec![(0f32, 0f32, 0f32, 0f32); runs.len()];
    for (l, a) in acc.iter().enumerate() {
        if roots[l] != l || a.n < min_area {
            continue;
        }
        let nn = a.n;
        let (mx, my) = (a.sx / nn, a.sy / nn);
        let cxx = a.sxx / nn - mx * mx;
        let cyy = a.syy / nn - my * my;
        let cxy = a.sxy / nn - mx * my;
        let theta = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
        dirs[l] = (mx as f32, my as f32, theta.cos() as f32, theta.sin() as f32);
    }
    // Oriented extents: linear along a run, so its ends suffice.
    let mut ext = vec![(f32::MAX, f32::MIN, f32::MAX, f32::MIN); runs.len()];
    for (r, &root) in runs.iter().zip(&roots) {
        if acc[root].n < min_area {
            continue;
        }
        let (mx, my, c, s) = dirs[root];
        let e = &mut ext[root];
        for x in [r.x0, r.x1] {
            let (dx, dy) = (x as f32 - mx, r.y as f32 - my);
            let u = dx * c + dy * s;
            let v = -dx * s + dy * c;
            e.0 = e.0.min(u);
            e.1 = e.1.max(u);
            e.2 = e.2.min(v);
            e.3 = e.3.max(v);
        }
    }
    let mut out = Vec::new();
    for (l, a) in acc.iter().enumerate() {
        if roots[l] != l || a.n < min_area {
            continue;
        }
        let (mx, my, c, s) = dirs[l];
        let e = ext[l];
        // Centre of the oriented box (not the centroid).
        let uc = 0.5 * (e.0 + e.1);
        let vc = 0.5 * (e.2 + e.3);
        out.push(Blob {
            area: a.n as u32,
            cx: mx + uc * c - vc * s,
            cy: my + uc * s + vc * c,
            theta: s.atan2(c),
            length: e.1 - e.0 + 1.0,
            width: e.3 - e.2 + 1.0,
        });
    }
    out
}

/// An affine sampling frame: output pixel `(u, v)` reads the source at
/// `origin + u·ex + v·ey`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    pub origin: (f32, f32),
    pub ex: (f32, f32),
    pub ey: (f32, f32),
}

impl Frame {
    /// Source coordinates of output position `(u, v)`.
    pub fn map(&self, u: f32, v: f32) -> (f32, f32) {
        (
            self.origin.0 + u * self.ex.0 + v * self.ey.0,
            self.origin.1 + u * self.ex.1 + v * self.ey.1,
        )
    }
}

/// Samples `w × h` output pixels through `frame` with bilinear interpolation;
/// outside the source, `fill`. When the frame shrinks by more than 1.5×,
/// several source points per output pixel are averaged (supersampling) so
/// that thin strokes are not lost.
pub(crate) fn sample(src: &GrayImage, frame: &Frame, w: u32, h: u32, fill: u8) -> GrayImage {
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let data = src.as_raw();
    let step = (frame.ex.0.hypot(frame.ex.1)).max(frame.ey.0.hypot(frame.ey.1));
    let ss = if step > 1.5 {
        (step.ceil() as u32).min(4)
    } else {
        1
    };
    let inv = 1.0 / ss as f32;
    let fillf = f32::from(fill);
    let px = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            fillf
        } else {
            f32::from(data[(y * sw + x) as usize])
        }
    };
    let mut out = vec![0u8; w as usize * h as usize];
    for v in 0..h {
        for u in 0..w {
            let mut acc = 0f32;
            for j in 0..ss {
                for i in 0..ss {
                    let fu = u as f32 + (i as f32 + 0.5) * inv - 0.5;
                    let fv = v as f32 + (j as f32 + 0.5) * inv - 0.5;
                    let (x, y) = frame.map(fu, fv);
                    let (x0, y0) = (x.floor(), y.floor());
                    let (ax, ay) = (x - x0, y - y0);
                    let (xi, yi) = (x0 as i64, y0 as i64);
                    let top = px(xi, yi) * (1.0 - ax) + px(xi + 1, yi) * ax;
                    let bot = px(xi, yi + 1) * (1.0 - ax) + px(xi + 1, yi + 1) * ax;
                    acc += top * (1.0 - ay) + bot * ay;
                }
            }
            out[(v * w + u) as usize] = (acc * inv * inv).round().clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| GrayImage::new(w, h))
}

/// Samples `w × h` output pixels through `frame` with nearest-neighbour
/// lookup (for binary masks, where interpolation buys nothing); outside
/// the source, `fill`.
pub(crate) fn sample_nearest(
    src: &GrayImage,
    frame: &Frame,
    w: u32,
    h: u32,
    fill: u8,
) -> GrayImage {
    let (sw, sh) = (u64::from(src.width()), u64::from(src.height()));
    let data = src.as_raw();
    let mut out = vec![fill; w as usize * h as usize];
    let sane = |v: f32| v.is_finite() && v.abs() < 1e6;
    if ![
        frame.origin.0,
        frame.origin.1,
        frame.ex.0,
        frame.ex.1,
        frame.ey.0,
        frame.ey.1,
    ]
    .into_iter()
    .all(sane)
    {
        return GrayImage::from_raw(w, h, out).unwrap_or_else(|| GrayImage::new(w, h));
    }
    // 16.16 fixed point along each output row (no rounding calls; error
    // under 0.07 px over 4000 steps).
    const ONE: f64 = 65536.0;
    let step_x = (f64::from(frame.ex.0) * ONE).round() as i64;
    let step_y = (f64::from(frame.ex.1) * ONE).round() as i64;
    for (v, orow) in out.chunks_exact_mut(w.max(1) as usize).enumerate() {
        let start = frame.map(0.0, v as f32);
        let mut fx = ((f64::from(start.0) + 0.5) * ONE).floor() as i64;
        let mut fy = ((f64::from(start.1) + 0.5) * ONE).floor() as i64;
        for o in orow.iter_mut() {
            // Negative coordinates wrap to huge values and fail the test.
            let (xi, yi) = ((fx >> 16) as u64, (fy >> 16) as u64);
            if xi < sw && yi < sh {
                *o = data[(yi * sw + xi) as usize];
            }
            fx += step_x;
            fy += step_y;
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| GrayImage::new(w, h))
}

/// Share of pixels at or above `level`.
pub(crate) fn share_at_least(img: &GrayImage, level: u8) -> f64 {
    let n = img.as_raw().len().max(1);
    img.as_raw().iter().filter(|&&v| v >= level).count() as f64 / n as f64
}

/// Linear contrast stretch mapping the `lo_q`/`hi_q` percentiles to 0/255.
pub(crate) fn stretch(img: &GrayImage, lo_q: f64, hi_q: f64) -> GrayImage {
    let hist = histogram(img);
    let lo = f32::from(percentile(&hist, lo_q));
    let hi = f32::from(percentile(&hist, hi_q)).max(lo + 1.0);
    let out: Vec<u8> = img
        .as_raw()
        .iter()
        .map(|&v| {
            ((f32::from(v) - lo) * 255.0 / (hi - lo))
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect();
    GrayImage::from_raw(img.width(), img.height(), out)
        .unwrap_or_else(|| GrayImage::new(img.width(), img.height()))
}

/// Otsu binarisation: text black (0) on white (255).
pub(crate) fn binarize_otsu(img: &GrayImage) -> GrayImage {
    threshold_above(img, otsu(&histogram(img)))
}

/// Sauvola binarisation (window `2r+1`, `k`), text black on white. Uses
/// integral images of the values and their squares.
pub(crate) fn binarize_sauvola(img: &GrayImage, r: u32, k: f64) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let d = img.as_raw();
    let stride = w + 1;
    let mut s1 = vec![0f64; stride * (h + 1)];
    let mut s2 = vec![0f64; stride * (h + 1)];
    for y in 0..h {
        let (mut r1, mut r2) = (0f64, 0f64);
        for x in 0..w {
            let v = f64::from(d[y * w + x]);
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * stride + x + 1] = s1[y * stride + x + 1] + r1;
            s2[(y + 1) * stride + x + 1] = s2[y * stride + x + 1] + r2;
        }
    }
    let r = r as usize;
    let mut out = vec![255u8; w * h];
    for y in 0..h {
        let (ya, yb) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (xa, xb) = (x.saturating_sub(r), (x + r + 1).min(w));
            let n = ((yb - ya) * (xb - xa)) as f64;
            let sum = s1[yb * stride + xb] - s1[ya * stride + xb] - s1[yb * stride + xa]
                + s1[ya * stride + xa];
            let sq = s2[yb * stride + xb] - s2[ya * stride + xb] - s2[yb * stride + xa]
                + s2[ya * stride + xa];
            let mean = sum / n;
            let sd = (sq / n - mean * mean).max(0.0).sqrt();
            let t = mean * (1.0 + k * (sd / 128.0 - 1.0));
            if f64::from(d[y * w + x]) <= t {
                out[y * w + x] = 0;
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out)
        .unwrap_or_else(|| GrayImage::new(w as u32, h as u32))
}

/// Rotates by a multiple of 90° clockwise (`quarter_turns` mod 4).
/// Runs of `true` entries, bridging gaps of up to `max_gap` positions:
/// `(first, last)` index of each run, in order.
pub(crate) fn runs_with_gaps(occupied: &[bool], max_gap: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    for (x, _) in occupied.iter().enumerate().filter(|(_, &o)| o) {
        cur = match cur {
            Some((a, b)) if x - b <= max_gap => Some((a, x)),
            Some(run) => {
                runs.push(run);
                Some((x, x))
            }
            None => Some((x, x)),
        };
    }
    runs.extend(cur);
    runs
}

#[cfg(test)]
pub(crate) fn rotate_quarter(img: &GrayImage, quarter_turns: u32) -> GrayImage {
    match quarter_turns % 4 {
        1 => image::imageops::rotate90(img),
        2 => image::imageops::rotate180(img),
        3 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::region_labelling::{connected_components, Connectivity};

    /// Blobs the slow way: imageproc's labelling, moments and extents
    /// pixel by pixel.
    fn blobs_by_pixels(mask: &GrayImage, min_area: u32) -> Vec<Blob> {
        let labels = connected_components(mask, Connectivity::Eight, Luma([0u8]));
        let n = labels.as_raw().iter().copied().max().unwrap_or(0) as usize;
        let mut pts: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n + 1];
        for (x, y, l) in labels.enumerate_pixels() {
            if l[0] > 0 {
                pts[l[0] as usize].push((f64::from(x), f64::from(y)));
            }
        }
        pts.iter()
            .skip(1)
            .filter(|p| p.len() >= min_area.max(1) as usize)
            .map(|p| {
                let nn = p.len() as f64;
                let mx = p.iter().map(|q| q.0).sum::<f64>() / nn;
                let my = p.iter().map(|q| q.1).sum::<f64>() / nn;
                let cxx = p.iter().map(|q| (q.0 - mx).powi(2)).sum::<f64>() / nn;
                let cyy = p.iter().map(|q| (q.1 - my).powi(2)).sum::<f64>() / nn;
                let cxy = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum::<f64>() / nn;
                let t = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
                let (c, s) = (t.cos(), t.sin());
                let us = p.iter().map(|q| (q.0 - mx) * c + (q.1 - my) * s);
                let vs = p.iter().map(|q| -(q.0 - mx) * s + (q.1 - my) * c);
                let (u0, u1) = us.fold((f64::MAX, f64::MIN), |a, u| (a.0.min(u), a.1.max(u)));
                let (v0, v1) = vs.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
                let (uc, vc) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
                Blob {
                    area: p.len() as u32,
                    cx: (mx + uc * c - vc * s) as f32,
                    cy: (my + uc * s + vc * c) as f32,
                    theta: s.atan2(c) as f32,
                    length: (u1 - u0 + 1.0) as f32,
                    width: (v1 - v0 + 1.0) as f32,
                }
            })
            .collect()
    }

    #[test]
    fn run_based_blobs_match_pixel_labelling() {
        let mut seed = 99u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for density in [20u32, 45, 60] {
            let noise = GrayImage::from_fn(61, 47, |_, _| {
                Luma([if next() % 100 < density { 255 } else { 0 }])
            });
            // Closed noise gives blobs of many shapes, diagonal contacts included.
            for mask in [noise.clone(), close(&noise, 1, 1)] {
                let fast = blobs(&mask, 3);
                let slow = blobs_by_pixels(&mask, 3);
                assert_eq!(fast.len(), slow.len(), "density {density}");
                for (a, b) in fast.iter().zip(&slow) {
                    assert_eq!(a.area, b.area);
                    for (x, y) in [
                        (a.cx, b.cx),
                        (a.cy, b.cy),
                        (a.length, b.length),
                        (a.width, b.width),
                    ] {
                        assert!((x - y).abs() < 1e-2, "{a:?} vs {b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn runs_bridge_small_gaps_only() {
        let occ: Vec<bool> = "..##.#....###.".chars().map(|c| c == '#').collect();
        assert_eq!(runs_with_gaps(&occ, 1), vec![(2, 3), (5, 5), (10, 12)]);
        assert_eq!(runs_with_gaps(&occ, 2), vec![(2, 5), (10, 12)]);
        assert_eq!(runs_with_gaps(&occ, 4), vec![(2, 5), (10, 12)]);
        assert_eq!(runs_with_gaps(&occ, 5), vec![(2, 12)]);
        assert!(runs_with_gaps(&[false; 4], 3).is_empty());
    }

    fn naive(img: &GrayImage, rx: u32, ry: u32, is_max: bool) -> GrayImage {
        let (w, h) = img.dimensions();
        GrayImage::from_fn(w, h, |x, y| {
            let mut v = if is_max { 0u8 } else { 255u8 };
            for yy in y.saturating_sub(ry)..=(y + ry).min(h - 1) {
                for xx in x.saturating_sub(rx)..=(x + rx).min(w - 1) {
                    let p = img.get_pixel(xx, yy)[0];
                    v = if is_max { v.max(p) } else { v.min(p) };
                }
            }
            Luma([v])
        })
    }

    #[test]
    fn min_max_filters_match_naive() {
        let mut seed = 12345u32;
        let img = GrayImage::from_fn(37, 23, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            Luma([(seed & 0xff) as u8])
        });
        for (rx, ry) in [(0, 0), (1, 0), (0, 2), (3, 2), (7, 5), (20, 15)] {
            assert_eq!(
                dilate(&img, rx, ry),
                naive(&img, rx, ry, true),
                "dilate {rx} {ry}"
            );
            assert_eq!(
                erode(&img, rx, ry),
                naive(&img, rx, ry, false),
                "erode {rx} {ry}"
            );
        }
    }

    #[test]
    fn blob_orientation_of_a_tilted_bar() {
        let mut img = GrayImage::new(200, 200);
        let (c, s) = (20f32.to_radians().cos(), 20f32.to_radians().sin());
        for t in -60..=60 {
            for n in -4..=4 {
                let x = 100.0 + t as f32 * c - n as f32 * s;
                let y = 100.0 + t as f32 * s + n as f32 * c;
                img.put_pixel(x.round() as u32, y.round() as u32, Luma([255]));
            }
        }
        let img = close(&img, 1, 1);
        let b = blobs(&img, 10);
        assert_eq!(b.len(), 1);
        assert!((b[0].theta.to_degrees() - 20.0).abs() < 1.0, "{:?}", b[0]);
        assert!((b[0].length - 121.0).abs() < 4.0, "{:?}", b[0]);
        assert!((b[0].width - 9.0).abs() < 3.0, "{:?}", b[0]);
        assert!((b[0].cx - 100.0).abs() < 1.0 && (b[0].cy - 100.0).abs() < 1.0);
    }

    #[test]
    fn otsu_splits_two_modes() {
        let mut hist = [0u64; 256];
        hist[30] = 100;
        hist[200] = 300;
        let t = otsu(&hist);
        assert!((30..200).contains(&t));
    }

    #[test]
    fn box_downscale_preserves_mean() {
        let img = GrayImage::from_fn(100, 60, |x, y| Luma([((x * 3 + y * 7) % 256) as u8]));
        let small = resize(&img, 33, 17);
        let mean = |i: &GrayImage| {
            i.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / i.as_raw().len() as f64
        };
        assert!((mean(&img) - mean(&small)).abs() < 2.0);
    }

    #[test]
    fn sampling_identity_and_rotation() {
        let img = GrayImage::from_fn(40, 30, |x, y| Luma([(x * 5 + y) as u8]));
        let id = Frame {
            origin: (0.0, 0.0),
            ex: (1.0, 0.0),
            ey: (0.0, 1.0),
        };
        assert_eq!(sample(&img, &id, 40, 30, 0), img);
        // 180° turn.
        let rot = Frame {
            origin: (39.0, 29.0),
            ex: (-1.0, 0.0),
            ey: (0.0, -1.0),
        };
        assert_eq!(sample(&img, &rot, 40, 30, 0), rotate_quarter(&img, 2));
        assert_eq!(sample_nearest(&img, &id, 40, 30, 0), img);
        assert_eq!(
            sample_nearest(&img, &rot, 40, 30, 0),
            rotate_quarter(&img, 2)
        );
    }

    #[test]
    fn nearest_sampling_fills_outside_the_source() {
        let img = GrayImage::from_fn(10, 10, |x, y| Luma([(x + 10 * y) as u8]));
        // Shifted half out on the left and top.
        let shifted = Frame {
            origin: (-5.0, -3.0),
            ex: (1.0, 0.0),
            ey: (0.0, 1.0),
        };
        let out = sample_nearest(&img, &shifted, 10, 10, 255);
        for (x, y, p) in out.enumerate_pixels() {
            let (sx, sy) = (x as i32 - 5, y as i32 - 3);
            let want = if sx < 0 || sy < 0 {
                255
            } else {
                (sx + 10 * sy) as u8
            };
            assert_eq!(p[0], want, "at {x},{y}");
        }
    }
}
