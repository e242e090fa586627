//! Compares the port with a `golden_outputs.json` of the Python reference
//! (`fp.py recommended()`), like `fp.py golden`.
//!
//! `cargo run --release -p kyc-face --example golden_check -- --images DIR --golden FILE`
//!
//! Exits with status 1 when a box or landmark is more than 1 px off or an
//! embedding cosine is below 0.99.

use kyc_face::{load_image, AnalyzeOptions, DecodeLimits, FaceConfig, FaceModels};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Golden {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    img: String,
    fr_detect_js_square_box: Vec<f32>,
    fr_detect_raw_box_bgr_jsnms: Vec<f32>,
    landmarks68_sdkcrop_truegray: Vec<[f32; 2]>,
    embedding_l2_sim5_bgr: Vec<f32>,
    #[serde(rename = "liveness_bgr_raw_2.7_softmax")]
    liveness: Vec<f32>,
    pose_margin0_rgb_yaw_pitch_roll: Vec<f32>,
    eye_p_closed_left_right: Vec<f32>,
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn main() {
    let mut images = None;
    let mut golden = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--images" => images = args.next().map(PathBuf::from),
            "--golden" => golden = args.next().map(PathBuf::from),
            _ => {
                eprintln!("usage: golden_check --images DIR --golden FILE");
                std::process::exit(2);
            }
        }
    }
    let (Some(images), Some(golden)) = (images, golden) else {
        eprintln!("usage: golden_check --images DIR --golden FILE");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&golden).expect("golden file");
    let g: Golden = serde_json::from_str(&text).expect("golden JSON");
    let config = FaceConfig {
        workers: 1,
        ..FaceConfig::reference()
    };
    let models = FaceModels::open(None, config).expect("models");
    let mut ok_all = true;
    for it in &g.items {
        let img = load_image(&images.join(&it.img), &DecodeLimits::default()).expect("image");
        let a = match models.analyze_with(&img, &AnalyzeOptions::selfie()) {
            Ok(a) => a,
            Err(e) => {
                println!("{}: {e}  FAIL", it.img);
                ok_all = false;
                continue;
            }
        };
        let raw = a.detection.bbox;
        let sq = a.square_box;
        let d_box = max_diff(
            &[raw.x1, raw.y1, raw.x2, raw.y2],
            &it.fr_detect_raw_box_bgr_jsnms[..4],
        )
        .max(max_diff(
            &[sq.x1, sq.y1, sq.x2, sq.y2],
            &it.fr_detect_js_square_box[..4],
        ));
        let lm: Vec<f32> = a.landmarks.points().iter().flatten().copied().collect();
        let glm: Vec<f32> = it
            .landmarks68_sdkcrop_truegray
            .iter()
            .flatten()
            .copied()
            .collect();
        let d_lm = max_diff(&lm, &glm);
        let cos: f32 = a
            .embedding
            .as_slice()
            .iter()
            .zip(&it.embedding_l2_sim5_bgr)
            .map(|(x, y)| x * y)
            .sum();
        let live = a.anti_spoof.expect("anti-spoof");
        let d_live = max_diff(&[live.live, live.print, live.other], &it.liveness);
        let pose = a.head_pose.expect("pose");
        let d_pose = max_diff(
            &[pose.yaw, pose.pitch, pose.roll],
            &it.pose_margin0_rgb_yaw_pitch_roll,
        );
        let eyes = a.eyes.expect("eyes");
        let d_eye = max_diff(
            &[
                eyes.left_closed.unwrap_or(f32::NAN),
                eyes.right_closed.unwrap_or(f32::NAN),
            ],
            &it.eye_p_closed_left_right,
        );
        let ok = d_box <= 1.0 && d_lm <= 1.0 && cos >= 0.99;
        ok_all &= ok;
        println!(
            "{}: box {d_box:.2}px  lmk {d_lm:.2}px  emb cos {cos:.5}  live {d_live:.4}  pose {d_pose:.2}deg  eye {d_eye:.4}  {}",
            it.img,
            if ok { "ok" } else { "FAIL" }
        );
    }
    std::process::exit(if ok_all { 0 } else { 1 });
}
