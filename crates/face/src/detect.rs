//! Face detection with `fr_detect` (Ultra-Light RFB-320), plus a tiled
//! pass for small faces.
//!
//! Recipe (FACE_MODELS.md §4): the region is resized to 320×240 (aspect not
//! kept, bilinear with half-pixel centres), fed as BGR `(x - 127) / 128`;
//! the graph outputs softmaxed scores and decoded corner boxes. Boxes with a
//! face score ≥ the threshold are sorted by score (stable), the top 750 kept,
//! suppressed in detector coordinates (320×240) and mapped back to the image.

use crate::error::FaceError;
use crate::ops::{resize_region, Rect};
use crate::runner;
use image::RgbImage;
use kyc_models::ModelSession;
use serde::{Deserialize, Serialize};

/// Detector input width.
pub const DETECT_WIDTH: u32 = 320;
/// Detector input height.
pub const DETECT_HEIGHT: u32 = 240;
const N_PRIORS: usize = 4420;

/// An axis-aligned box in image pixels, `(x1, y1)` top-left, `(x2, y2)`
/// bottom-right (continuous coordinates; pixel `i` covers `i..i+1`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge.
    pub x2: f32,
    /// Bottom edge.
    pub y2: f32,
}

impl BBox {
    /// Width (0 if inverted).
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }
    /// Height (0 if inverted).
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }
    /// Area.
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    /// Centre `(x, y)`.
    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }
    /// Area of the intersection with `other`.
    pub fn intersection(&self, other: &BBox) -> f32 {
        let w = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let h = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        w * h
    }
    /// Intersection over union.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection(other);
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// One detected face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The detector's box mapped to image pixels ("raw box"; may extend
    /// slightly past the image).
    pub bbox: BBox,
    /// Face probability in `[0, 1]`.
    pub score: f32,
}

impl Detection {
    /// The faceplugin "square box": side = raw box height, same centre,
    /// clipped to `[0, width-1] × [0, height-1]`. Input of the anti-spoof and
    /// head-pose crops.
    pub fn square_box(&self, width: u32, height: u32) -> BBox {
        let b = &self.bbox;
        let f = f64::from(b.y2) - f64::from(b.y1);
        let cx = (f64::from(b.x1) + f64::from(b.x2)) / 2.0;
        let cy = (f64::from(b.y1) + f64::from(b.y2)) / 2.0;
        let (w1, h1) = (f64::from(width) - 1.0, f64::from(height) - 1.0);
        BBox {
            x1: (cx - f / 2.0).max(0.0) as f32,
            y1: (cy - f / 2.0).max(0.0) as f32,
            x2: (cx + f / 2.0).min(w1) as f32,
            y2: (cy + f / 2.0).min(h1) as f32,
        }
    }
}

/// Non-maximum suppression variant (applied in 320×240 detector coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Nms {
    /// The faceplugin JS `cpuNMS`: boxes ordered by bottom edge (ascending),
    /// not by score; a box is dropped when its intersection (with the +1 px
    /// convention) over its *own* area is ≥ `threshold`. Reproduces the
    /// reference golden outputs; can keep a lower-score box.
    Js {
        /// Overlap threshold (0.4 in the JS).
        threshold: f32,
    },
    /// Standard score-ordered IoU suppression (Ultra-Light's original, 0.3).
    Iou {
        /// IoU threshold.
        threshold: f32,
    },
}

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Minimum face score (0.65).
    pub score_threshold: f32,
    /// At most this many boxes enter NMS (750).
    pub top_k: usize,
    /// Suppression method.
    pub nms: Nms,
}

impl DetectorConfig {
    /// The reference recipe (`fp.py recommended()`): JS NMS 0.4. Use this to
    /// reproduce `golden_outputs.json`.
    pub fn reference() -> Self {
        Self {
            score_threshold: 0.65,
            top_k: 750,
            nms: Nms::Js { threshold: 0.4 },
        }
    }
}

impl Default for DetectorConfig {
    /// Threshold 0.65 with score-ordered IoU NMS 0.3 (Ultra-Light's own
    /// suppression; keeps the best-scoring box of each face). On the 78
    /// images of the dev pairs it verifies as well as the JS NMS of the
    /// reference (AUC 1.0000, TAR 100 % at FAR 0.1 %; see the crate docs).
    fn default() -> Self {
        Self {
            score_threshold: 0.65,
            top_k: 750,
            nms: Nms::Iou { threshold: 0.3 },
        }
    }
}

/// When to run the tiled small-face pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallFaceMode {
    /// Whole frame only.
    Off,
    /// Tiles too when the whole-frame pass finds no face, or only faces
    /// smaller than [`SmallFaceConfig::trigger_height`] of the image height.
    #[default]
    Auto,
    /// Always run the tiles (ID-card photos).
    Always,
}

/// The tiled pass: the image is covered by overlapping tiles of the
/// detector's 4:3 aspect, each run through the detector on its own, so a
/// face is seen at `320 / tile_width` of its size instead of
/// `320 / image_width`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmallFaceConfig {
    /// When to run it.
    pub mode: SmallFaceMode,
    /// Tile width in image pixels (height = 3/4 of it). 320 runs the
    /// detector at the image's own resolution.
    pub tile_width: u32,
    /// Overlap of neighbouring tiles, as a fraction of the tile size; a face
    /// smaller than the overlap is whole in at least one tile.
    pub overlap: f32,
    /// [`SmallFaceMode::Auto`] runs the tiles when the largest face found is
    /// shorter than this fraction of the image height.
    pub trigger_height: f32,
    /// Skip the tiles when the image is no larger than this many tiles'
    /// area in either direction (the whole-frame pass already sees it at
    /// tile resolution).
    pub min_image_tiles: f32,
}

impl Default for SmallFaceConfig {
    fn default() -> Self {
        Self {
            mode: SmallFaceMode::Auto,
            tile_width: 480,
            overlap: 0.3,
            trigger_height: 0.1,
            min_image_tiles: 1.25,
        }
    }
}

/// Runs the detector on `region` of `img` and returns the kept boxes in
/// image pixels, in NMS order.
pub(crate) fn detect_region(
    session: &ModelSession,
    img: &RgbImage,
    region: Rect,
    cfg: &DetectorConfig,
) -> Result<Vec<Detection>, FaceError> {
    let input = detector_input(img, region);
    let [scores, boxes] = runner::run(
        session,
        &input,
        [1, 3, DETECT_HEIGHT as usize, DETECT_WIDTH as usize],
        [("scores", N_PRIORS * 2), ("boxes", N_PRIORS * 4)],
    )?;
    let mut cand: Vec<(f32, [f32; 4])> = (0..N_PRIORS)
        .filter(|&i| scores[2 * i + 1] >= cfg.score_threshold)
        .map(|i| {
            let b = &boxes[4 * i..4 * i + 4];
            (
                scores[2 * i + 1],
                [b[0] * 320.0, b[1] * 240.0, b[2] * 320.0, b[3] * 240.0],
            )
        })
        .collect();
    // Stable sort by descending score (numpy argsort(-s, kind="stable")).
    cand.sort_by(|a, b| b.0.total_cmp(&a.0));
    cand.truncate(cfg.top_k);
    let keep = match cfg.nms {
        Nms::Js { threshold } => nms_js(&cand, threshold),
        Nms::Iou { threshold } => nms_iou(&cand, threshold),
    };
    let sx = f64::from(region.w) / 320.0;
    let sy = f64::from(region.h) / 240.0;
    let (ox, oy) = (f64::from(region.x), f64::from(region.y));
    Ok(keep
        .into_iter()
        .map(|i| {
            let (s, b) = cand[i];
            Detection {
                bbox: BBox {
                    x1: (f64::from(b[0]) * sx + ox) as f32,
                    y1: (f64::from(b[1]) * sy + oy) as f32,
                    x2: (f64::from(b[2]) * sx + ox) as f32,
                    y2: (f64::from(b[3]) * sy + oy) as f32,
                },
                score: s,
            }
        })
        .collect())
}

/// NCHW BGR `(x - 127) / 128` of the region resized to 320×240.
fn detector_input(img: &RgbImage, region: Rect) -> Vec<f32> {
    let rgb = resize_region(img, region, DETECT_WIDTH, DETECT_HEIGHT);
    let plane = (DETECT_WIDTH * DETECT_HEIGHT) as usize;
    let mut out = vec![0f32; plane * 3];
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        // BGR order: channel 0 = blue.
        out[i] = (f32::from(px[2]) - 127.0) / 128.0;
        out[plane + i] = (f32::from(px[1]) - 127.0) / 128.0;
        out[2 * plane + i] = (f32::from(px[0]) - 127.0) / 128.0;
    }
    out
}

/// `cpuNMS` of the faceplugin JS (see [`Nms::Js`]); returns indices into `cand`.
fn nms_js(cand: &[(f32, [f32; 4])], thresh: f32) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..cand.len())
        .filter(|&i| {
            let b = cand[i].1;
            b[2] - b[0] > 0.0 && b[3] - b[1] > 0.0
        })
        .collect();
    idx.sort_by(|&a, &b| cand[a].1[3].total_cmp(&cand[b].1[3]));
    let mut pick = Vec::new();
    while let Some((&last, rest)) = idx.split_first() {
        pick.push(last);
        let l = cand[last].1;
        idx = rest
            .iter()
            .copied()
            .filter(|&i| {
                let b = cand[i].1;
                let w = (b[2].min(l[2]) - b[0].max(l[0]) + 1.0).max(0.0);
                let h = (b[3].min(l[3]) - b[1].max(l[1]) + 1.0).max(0.0);
                (w * h) / ((b[2] - b[0]) * (b[3] - b[1])) < thresh
            })
            .collect();
    }
    pick
}

/// Score-ordered IoU NMS (`cand` is sorted by score); returns indices.
fn nms_iou(cand: &[(f32, [f32; 4])], thresh: f32) -> Vec<usize> {
    let area = |b: &[f32; 4]| (b[2] - b[0]) * (b[3] - b[1]);
    let mut alive = vec![true; cand.len()];
    let mut keep = Vec::new();
    for i in 0..cand.len() {
        if !alive[i] {
            continue;
        }
        keep.push(i);
        let a = cand[i].1;
        for j in i + 1..cand.len() {
            if !alive[j] {
                continue;
            }
            let b = cand[j].1;
            let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
            let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
            let inter = w * h;
            let iou = inter / (area(&a) + area(&b) - inter + 1e-9);
            if iou >= thresh {
                alive[j] = false;
            }
        }
    }
    keep
}

/// Overlapping tiles of `tile_w` × `tile_h` covering a `w` × `h` image.
pub(crate) fn tiles(w: u32, h: u32, tile_w: u32, tile_h: u32, overlap: f32) -> Vec<Rect> {
    fn starts(len: u32, tile: u32, overlap: f32) -> Vec<u32> {
        if tile >= len {
            return vec![0];
        }
        let stride = ((tile as f32) * (1.0 - overlap.clamp(0.0, 0.9))).max(1.0);
        let n = ((len - tile) as f32 / stride).ceil() as u32 + 1;
        // Spread evenly so the last tile ends at the border.
        (0..n)
            .map(|i| ((len - tile) as f64 * f64::from(i) / f64::from(n - 1)).round() as u32)
            .collect()
    }
    let (tw, th) = (tile_w.min(w).max(1), tile_h.min(h).max(1));
    let mut out = Vec::new();
    for y in starts(h, th, overlap) {
        for x in starts(w, tw, overlap) {
            out.push(Rect { x, y, w: tw, h: th });
        }
    }
    out
}

/// Runs the detector on every tile, drops boxes cut by an inner tile edge
/// and suppresses duplicates across tiles (score-ordered IoU 0.3, and a box
/// mostly inside a better one).
pub(crate) fn detect_tiled(
    session: &ModelSession,
    img: &RgbImage,
    cfg: &DetectorConfig,
    small: &SmallFaceConfig,
) -> Result<Vec<Detection>, FaceError> {
    let tile_w = small.tile_width.max(32);
    let tile_h = (tile_w * 3 / 4).max(24);
    let mut all = Vec::new();
    for t in tiles(img.width(), img.height(), tile_w, tile_h, small.overlap) {
        let margin = 2.0;
        let (tx1, ty1) = (t.x as f32, t.y as f32);
        let (tx2, ty2) = ((t.x + t.w) as f32, (t.y + t.h) as f32);
        let (w, h) = (img.width() as f32, img.height() as f32);
        for d in detect_region(session, img, t, cfg)? {
            let b = d.bbox;
            let cut = (tx1 > 0.0 && b.x1 < tx1 + margin)
                || (ty1 > 0.0 && b.y1 < ty1 + margin)
                || (tx2 < w && b.x2 > tx2 - margin)
                || (ty2 < h && b.y2 > ty2 - margin);
            if !cut {
                all.push(d);
            }
        }
    }
    Ok(merge(all, Vec::new()))
}

/// Suppresses duplicates among `primary` (score order) and adds the boxes of
/// `secondary` that overlap none of them.
pub(crate) fn merge(mut primary: Vec<Detection>, secondary: Vec<Detection>) -> Vec<Detection> {
    let dup = |a: &BBox, b: &BBox| {
        let inter = a.intersection(b);
        let small = a.area().min(b.area());
        a.iou(b) >= 0.3 || (small > 0.0 && inter / small >= 0.6)
    };
    primary.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in primary {
        if !kept.iter().any(|k| dup(&k.bbox, &d.bbox)) {
            kept.push(d);
        }
    }
    let n_primary = kept.len();
    for d in secondary {
        if !kept[..n_primary].iter().any(|k| dup(&k.bbox, &d.bbox)) {
            kept.push(d);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_nms_keeps_the_lowest_box_and_drops_contained_ones() {
        // Sorted by score; the JS orders by y2, so the 0.7 box (y2 = 50) wins.
        let cand = vec![
            (0.99, [10.0, 10.0, 50.0, 60.0]),
            (0.70, [12.0, 8.0, 48.0, 50.0]),
            (0.90, [200.0, 10.0, 240.0, 60.0]),
        ];
        assert_eq!(nms_js(&cand, 0.4), vec![1, 2]);
        assert_eq!(nms_iou(&cand, 0.3), vec![0, 2]);
    }

    #[test]
    fn square_box_is_clipped() {
        let d = Detection {
            bbox: BBox {
                x1: 5.0,
                y1: 10.0,
                x2: 25.0,
                y2: 50.0,
            },
            score: 1.0,
        };
        let s = d.square_box(100, 45);
        assert_eq!((s.x1, s.y1, s.x2, s.y2), (0.0, 10.0, 35.0, 44.0));
    }

    #[test]
    fn tiles_cover_the_image_with_overlap() {
        let t = tiles(1280, 960, 480, 360, 0.3);
        assert!(t.iter().all(|r| r.x + r.w <= 1280 && r.y + r.h <= 960));
        assert_eq!(t.iter().map(|r| r.x + r.w).max(), Some(1280));
        assert_eq!(t.iter().map(|r| r.y + r.h).max(), Some(960));
        assert_eq!(t.len(), 4 * 4);
        // Small image: one tile.
        assert_eq!(tiles(300, 200, 480, 360, 0.3).len(), 1);
    }

    #[test]
    fn merge_prefers_primary_and_drops_duplicates() {
        let det = |x: f32, s: f32| Detection {
            bbox: BBox {
                x1: x,
                y1: 0.0,
                x2: x + 10.0,
                y2: 10.0,
            },
            score: s,
        };
        let m = merge(
            vec![det(0.0, 0.8), det(1.0, 0.9)],
            vec![det(0.5, 1.0), det(50.0, 0.7)],
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].score, 0.9);
        assert_eq!(m[1].bbox.x1, 50.0);
    }
}
