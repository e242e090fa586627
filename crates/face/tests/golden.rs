//! The port against numbers computed by the Python reference
//! (`reference/fp.py` functions, the recipe of `recommended()`) on the
//! fixture images: see `golden/fixtures.json` for how they were produced.

mod common;

use common::{fixture, max_abs_diff, reference_models};
use kyc_face::{
    AntiSpoofOptions, BBox, Detection, DetectorConfig, EyeOptions, PoseOptions, SmallFaceConfig,
    SmallFaceMode,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    images: Vec<GoldenImage>,
}

#[derive(Deserialize)]
struct GoldenImage {
    file: String,
    height: u32,
    width: u32,
    faces_js_nms: Vec<GoldenFace>,
    raw_boxes_iou_nms: Vec<[f32; 5]>,
}

#[derive(Deserialize)]
struct GoldenFace {
    raw_box: [f32; 5],
    square_box: [f32; 5],
    landmarks68: Vec<[f32; 2]>,
    five: Vec<[f32; 2]>,
    embedding: Vec<f32>,
    liveness: [f32; 3],
    pose_yaw_pitch_roll: [f32; 3],
    eye_p_closed: [f32; 2],
}

fn golden() -> Golden {
    let text = include_str!("golden/fixtures.json");
    serde_json::from_str(text).expect("golden/fixtures.json")
}

fn box_diff(b: &BBox, g: &[f32; 5]) -> f32 {
    max_abs_diff(&[b.x1, b.y1, b.x2, b.y2], &g[..4])
}

/// The detection nearest to a reference box.
fn nearest<'a>(dets: &'a [Detection], g: &[f32; 5]) -> (&'a Detection, f32) {
    dets.iter()
        .map(|d| (d, box_diff(&d.bbox, g)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("no detection")
}

const OFF: SmallFaceConfig = SmallFaceConfig {
    mode: SmallFaceMode::Off,
    tile_width: 480,
    overlap: 0.3,
    trigger_height: 0.1,
    min_image_tiles: 1.25,
};

#[test]
fn detections_match_the_reference() {
    let m = reference_models();
    for g in golden().images {
        let img = fixture(&g.file);
        assert_eq!(
            (img.width(), img.height()),
            (g.width, g.height),
            "{}",
            g.file
        );
        let js = m
            .detect_with(&img, &DetectorConfig::reference(), &OFF)
            .unwrap();
        assert_eq!(js.len(), g.faces_js_nms.len(), "{}: JS NMS count", g.file);
        for f in &g.faces_js_nms {
            let (d, diff) = nearest(&js, &f.raw_box);
            println!(
                "{} js box diff {diff:.3} score {:.3} vs {}",
                g.file, d.score, f.raw_box[4]
            );
            assert!(
                diff <= 1.0,
                "{}: raw box {:?} vs {:?}",
                g.file,
                d.bbox,
                f.raw_box
            );
            assert!((d.score - f.raw_box[4]).abs() < 0.01);
            let sq = d.square_box(img.width(), img.height());
            assert!(
                box_diff(&sq, &f.square_box) <= 1.0,
                "{}: square box",
                g.file
            );
        }
        let iou = m
            .detect_with(&img, &DetectorConfig::default(), &OFF)
            .unwrap();
        assert_eq!(
            iou.len(),
            g.raw_boxes_iou_nms.len(),
            "{}: IoU NMS count",
            g.file
        );
        for b in &g.raw_boxes_iou_nms {
            let (_, diff) = nearest(&iou, b);
            println!("{} iou box diff {diff:.3}", g.file);
            assert!(diff <= 1.0, "{}: IoU box {:?}", g.file, b);
        }
    }
}

#[test]
fn per_face_outputs_match_the_reference() {
    let m = reference_models();
    for g in golden().images {
        let img = fixture(&g.file);
        let dets = m
            .detect_with(&img, &DetectorConfig::reference(), &OFF)
            .unwrap();
        for f in &g.faces_js_nms {
            let (d, _) = nearest(&dets, &f.raw_box);
            let lm = m.landmarks(&img, d).unwrap();
            let flat: Vec<f32> = lm.points().iter().flatten().copied().collect();
            let gflat: Vec<f32> = f.landmarks68.iter().flatten().copied().collect();
            let lm_diff = max_abs_diff(&flat, &gflat);
            let five: Vec<f32> = lm.five().0.iter().flatten().copied().collect();
            let gfive: Vec<f32> = f.five.iter().flatten().copied().collect();
            let five_diff = max_abs_diff(&five, &gfive);
            let e = m.embed(&img, &lm).unwrap();
            let cos: f32 = e
                .as_slice()
                .iter()
                .zip(&f.embedding)
                .map(|(a, b)| a * b)
                .sum();
            let live = m.anti_spoof(&img, d, &AntiSpoofOptions::default()).unwrap();
            let live_diff = max_abs_diff(&[live.live, live.print, live.other], &f.liveness);
            let pose = m.head_pose(&img, d, &PoseOptions::default()).unwrap();
            let pose_diff =
                max_abs_diff(&[pose.yaw, pose.pitch, pose.roll], &f.pose_yaw_pitch_roll);
            let eyes = m.eye_state(&img, &lm, &EyeOptions::default()).unwrap();
            let eye_diff = max_abs_diff(
                &[eyes.left_closed.unwrap(), eyes.right_closed.unwrap()],
                &f.eye_p_closed,
            );
            println!(
                "{} face at ({:.0},{:.0}): lmk {lm_diff:.3}px five {five_diff:.3}px cos {cos:.5} \
                 live {live_diff:.4} pose {pose_diff:.3}deg eyes {eye_diff:.4}",
                g.file, f.raw_box[0], f.raw_box[1]
            );
            assert!(lm_diff <= 1.0, "{}: landmarks {lm_diff}", g.file);
            assert!(five_diff <= 1.0, "{}: five points {five_diff}", g.file);
            assert!(cos >= 0.99, "{}: embedding cosine {cos}", g.file);
            assert!(live_diff <= 0.01, "{}: liveness {live_diff}", g.file);
            assert!(pose_diff <= 1.0, "{}: pose {pose_diff}", g.file);
            assert!(eye_diff <= 0.01, "{}: eyes {eye_diff}", g.file);
        }
    }
}

#[test]
fn analyze_reproduces_recommended_on_single_faces() {
    // recommended(): largest raw box -> the same landmarks and embedding.
    let m = reference_models();
    for g in golden().images.iter().filter(|g| g.faces_js_nms.len() == 1) {
        let img = fixture(&g.file);
        let a = m.analyze(&img).unwrap();
        let f = &g.faces_js_nms[0];
        assert!(box_diff(&a.detection.bbox, &f.raw_box) <= 1.0);
        let cos: f32 = a
            .embedding
            .as_slice()
            .iter()
            .zip(&f.embedding)
            .map(|(a, b)| a * b)
            .sum();
        assert!(cos >= 0.99, "{}: {cos}", g.file);
        assert!(a.other_faces.is_empty());
    }
}
