//! Runs the liveness check over a labels CSV (the logic behind `kyc eval liveness`),
//! without the CLI: `cargo run --release -p kyc-liveness --example eval_labels -- LABELS.csv [lmk|pose|lmk-pose] [filter]`.

use kyc_face::{FaceConfig, FaceModels};
use kyc_liveness::actions::Cue;
use kyc_liveness::eval::{read_labels, run_clip_with_report, summarize};
use kyc_liveness::CheckOptions;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(labels) = args.get(1) else {
        eprintln!("usage: eval_labels LABELS.csv [lmk|pose|lmk-pose] [filter]");
        std::process::exit(2);
    };
    let labels = Path::new(labels);
    let mut rows = read_labels(labels).expect("labels");
    if let Some(f) = args.get(3) {
        rows.retain(|r| r.file.contains(f.as_str()));
    }
    let models = FaceModels::open(
        None,
        FaceConfig {
            workers: 2,
            ..FaceConfig::default()
        },
    )
    .expect("models");
    let mut opts = CheckOptions::default();
    opts.decision.cue = match args.get(2).map(String::as_str) {
        Some("pose") => Cue::Pose,
        Some("lmk-pose") => Cue::LandmarkYawPosePitch,
        _ => Cue::Landmark,
    };
    // Measurement switches: LV_CROP=sdk (landmark crop), LV_POSE_MARGIN=0 (fr_pose crop),
    // LV_POSE_BGR=1.
    if std::env::var("LV_CROP").as_deref() == Ok("sdk") {
        opts.analysis.landmark_crop = kyc_liveness::analyze::LandmarkCrop::Sdk;
    }
    if let Ok(m) = std::env::var("LV_POSE_MARGIN") {
        opts.analysis.pose.margin = m.parse().expect("LV_POSE_MARGIN");
    }
    if std::env::var("LV_POSE_BGR").as_deref() == Ok("1") {
        opts.analysis.pose.order = kyc_face::ChannelOrder::Bgr;
    }
    if opts.decision.cue != Cue::Landmark {
        opts.analysis.pose_every = 1;
    }
    let dir = labels.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    // LV_TRACKS=DIR writes each clip's per-frame observations as CSV (for analysis only;
    // evaluation data stays outside the repository).
    let tracks = std::env::var_os("LV_TRACKS").map(std::path::PathBuf::from);
    for r in &rows {
        let (o, report) = run_clip_with_report(&models, dir, r, &opts);
        if let (Some(td), Some(report)) = (&tracks, &report) {
            write_track(&r.file, &report.frames, td);
        }
        println!(
            "{:<36} perf={:<10} got={:<10} seq={:<5} score={:.3} pass={:<5} exp={:<6} live={:?} id={:?} multi={:.2} face={:.2} {:.0}ms {:?} {:?}",
            o.file,
            format!("{:?}", o.performed),
            format!("{:?}", o.detected),
            format!("{:?}", o.sequence_ok),
            o.score,
            o.passed,
            o.expected,
            o.p_live.map(|p| (p * 100.0).round() / 100.0),
            o.identity_min_cosine.map(|p| (p * 100.0).round() / 100.0),
            o.multi_face_fraction,
            o.face_ratio,
            o.ms,
            o.events,
            o.reasons
        );
        out.push(o);
    }
    println!("{:?}", summarize(&out));
}

fn write_track(file: &str, frames: &[kyc_liveness::analyze::FrameRecord], out_dir: &Path) {
    let mut csv = String::from("frame,t,nfaces,yaw_lmk,pitch_lmk,yaw,pitch,other\n");
    for (i, f) in frames.iter().enumerate() {
        let o = &f.obs;
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
        let (yl, pl, yp, pp) = match &o.face {
            Some(fc) => (
                format!("{:.2}", fc.yaw_lmk),
                format!("{:.2}", fc.pitch_lmk),
                opt(fc.pose_yaw),
                opt(fc.pose_pitch),
            ),
            None => Default::default(),
        };
        csv.push_str(&format!(
            "{i},{:.3},{},{yl},{pl},{yp},{pp},{}\n",
            o.t_ms / 1000.0,
            f.n_detections,
            o.other_faces
        ));
    }
    let name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = std::fs::create_dir_all(out_dir);
    let _ = std::fs::write(out_dir.join(format!("{name}.csv")), csv);
}
