//! Debug artefacts: the only way anything personal reaches disk, and only
//! when the operator names a directory (`kyc … --debug-dir DIR`).
//!
//! Per request, a folder `DIR/<operation>-<n>/` receives PNGs: face crops
//! with their landmarks, the document image, MRZ crops (when the reader
//! provides them) and, for liveness, a pose-over-time plot.

use image::{imageops, Rgb, RgbImage};
use kyc_face::FaceAnalysis;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where one request's artefacts go. Writing is best effort: a failure is
/// reported on stderr and never changes the API answer.
#[derive(Debug, Clone)]
pub struct DebugSink {
    dir: PathBuf,
}

/// One line of a plot: its label, colour and (x, y) points.
pub type PlotSeries<'a> = (&'a str, Rgb<u8>, Vec<(f64, f64)>);

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DebugSink {
    /// A fresh folder under `root` for one request of `operation`.
    pub fn for_request(root: &Path, operation: &str) -> Option<Self> {
        let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let dir = root.join(format!("{operation}-{pid}-{n:04}"));
        match std::fs::create_dir_all(&dir) {
            Ok(()) => Some(Self { dir }),
            Err(e) => {
                eprintln!("debug: cannot create {}: {e}", dir.display());
                None
            }
        }
    }

    /// The request's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves an image as `<name>.png`.
    pub fn save(&self, name: &str, img: &RgbImage) {
        let path = self.dir.join(format!("{name}.png"));
        if let Err(e) = img.save(&path) {
            eprintln!("debug: cannot write {}: {e}", path.display());
        }
    }

    /// Saves the face crop (its square box, 30% margin) with the 68
    /// landmarks and the box drawn on it.
    pub fn save_face(&self, name: &str, img: &RgbImage, face: &FaceAnalysis) {
        self.save(name, &face_crop_with_landmarks(img, face));
    }

    /// Saves a plot of several series over time (x in seconds).
    pub fn save_plot(&self, name: &str, series: &[PlotSeries<'_>]) {
        self.save(name, &plot(series));
    }
}

/// The face region with its landmarks (green) and box (red).
pub fn face_crop_with_landmarks(img: &RgbImage, face: &FaceAnalysis) -> RgbImage {
    let b = face.detection.bbox;
    let margin = 0.3 * b.width().max(b.height());
    let x0 = (b.x1 - margin).max(0.0) as u32;
    let y0 = (b.y1 - margin).max(0.0) as u32;
    let x1 = ((b.x2 + margin) as u32).min(img.width());
    let y1 = ((b.y2 + margin) as u32).min(img.height());
    let mut crop = imageops::crop_imm(
        img,
        x0,
        y0,
        x1.saturating_sub(x0).max(1),
        y1.saturating_sub(y0).max(1),
    )
    .to_image();
    let (ox, oy) = (x0 as f32, y0 as f32);
    let red = Rgb([230, 30, 30]);
    let (bx1, by1, bx2, by2) = (b.x1 - ox, b.y1 - oy, b.x2 - ox, b.y2 - oy);
    line(&mut crop, (bx1, by1), (bx2, by1), red);
    line(&mut crop, (bx2, by1), (bx2, by2), red);
    line(&mut crop, (bx2, by2), (bx1, by2), red);
    line(&mut crop, (bx1, by2), (bx1, by1), red);
    for p in face.landmarks.points() {
        dot(&mut crop, p[0] - ox, p[1] - oy, Rgb([40, 220, 40]));
    }
    crop
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn dot(img: &mut RgbImage, x: f32, y: f32, c: Rgb<u8>) {
    let (x, y) = (x.round() as i64, y.round() as i64);
    for dy in -1..=1 {
        for dx in -1..=1 {
            put(img, x + dx, y + dy, c);
        }
    }
}

/// A straight line (DDA), clipped to the image.
fn line(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), c: Rgb<u8>) {
    let steps = (b.0 - a.0)
        .abs()
        .max((b.1 - a.1).abs())
        .ceil()
        .clamp(1.0, 20_000.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        put(
            img,
            (a.0 + t * (b.0 - a.0)).round() as i64,
            (a.1 + t * (b.1 - a.1)).round() as i64,
            c,
        );
    }
}

/// A 800×400 line plot with a zero line; each series in its colour.
pub fn plot(series: &[PlotSeries<'_>]) -> RgbImage {
    let (w, h, pad) = (800u32, 400u32, 20f64);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let points = series
        .iter()
        .flat_map(|s| s.2.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut tmax, mut vmax) = (1e-6f64, 1e-6f64);
    for p in points {
        tmax = tmax.max(p.0);
        vmax = vmax.max(p.1.abs());
    }
    let x = |t: f64| (pad + t / tmax * (f64::from(w) - 2.0 * pad)) as f32;
    let y = |v: f64| (f64::from(h) / 2.0 - v / vmax * (f64::from(h) / 2.0 - pad)) as f32;
    line(
        &mut img,
        (x(0.0), y(0.0)),
        (x(tmax), y(0.0)),
        Rgb([160, 160, 160]),
    );
    for (_, colour, pts) in series {
        for pair in pts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if [a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
                line(&mut img, (x(a.0), y(a.1)), (x(b.0), y(b.1)), *colour);
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_draws_each_series_in_its_colour() {
        let red = Rgb([255, 0, 0]);
        let img = plot(&[("yaw", red, vec![(0.0, 0.0), (1.0, 20.0), (2.0, -20.0)])]);
        assert_eq!(img.dimensions(), (800, 400));
        assert!(img.pixels().any(|p| *p == red));
    }

    #[test]
    fn plot_of_nothing_is_blank_but_valid() {
        let img = plot(&[]);
        assert!(img.pixels().all(|p| p.0 != [255, 0, 0]));
    }
}
