//! `kyc eval liveness`: the liveness check over a labelled clip set.
//!
//! Reads `LABELS.csv` (columns `file, request, mirrored, performed, expected, spoof, notes`;
//! paths relative to the CSV's folder), runs `kyc_liveness::check_liveness` on every clip,
//! draws a progress bar on stderr and prints one row per clip and a summary. With `--json`
//! the last line of stdout is one JSON object with the keys `clips`, `definite`,
//! `sequence_correct`, `negatives_passed`, `positives_failed`, `median_ms` (plus `rows`).
//! The exit status is 0 whatever the accuracy; 2 for a bad labels file, 3 for models.

use crate::{exit, Failure};
use kyc_face::{FaceConfig, FaceError, FaceModels};
use kyc_liveness::actions::Cue;
use kyc_liveness::eval::{read_labels, run_clip, summarize, ClipOutcome};
use kyc_liveness::CheckOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `kyc eval liveness`.
#[derive(clap::Args)]
pub struct Args {
    /// The labels CSV (e.g. eval/liveness/labels.csv).
    #[arg(long)]
    labels: PathBuf,
    /// Print one JSON summary object as the last line of stdout.
    #[arg(long)]
    json: bool,
    /// Which cue drives the action detection: `lmk` (landmark geometry, default), `pose`
    /// (fr_pose), `lmk-pose` (landmark yaw, fr_pose pitch).
    #[arg(long, default_value = "lmk")]
    cue: String,
    /// Only clips whose path contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Override an action-detection parameter for this evaluation, e.g.
    /// `turn_deg=18` (repeatable): turn_deg, turn_hold_s, return_deg, nod_deg,
    /// nod_return_deg, nod_max_s, nod_yaw_guard, smooth_s, merge_s.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
}

fn apply_param(p: &mut kyc_liveness::actions::ActionParams, spec: &str) -> Result<(), String> {
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| format!("--param {spec}: expected NAME=VALUE"))?;
    let v: f64 = value
        .parse()
        .map_err(|_| format!("--param {spec}: `{value}` is not a number"))?;
    let slot = match name {
        "turn_deg" => &mut p.turn_deg,
        "turn_hold_s" => &mut p.turn_hold_s,
        "return_deg" => &mut p.return_deg,
        "nod_deg" => &mut p.nod_deg,
        "nod_return_deg" => &mut p.nod_return_deg,
        "nod_max_s" => &mut p.nod_max_s,
        "nod_yaw_guard" => &mut p.nod_yaw_guard,
        "smooth_s" => &mut p.smooth_s,
        "merge_s" => &mut p.merge_s,
        other => return Err(format!("--param: unknown parameter `{other}`")),
    };
    *slot = v;
    Ok(())
}

fn progress_bar(done: usize, total: usize, name: &str) {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {done}/{total} clips {:<40}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        name.chars().take(40).collect::<String>()
    );
    let _ = err.flush();
}

fn seq(v: &[u8]) -> String {
    let s: Vec<String> = v.iter().map(|c| c.to_string()).collect();
    format!("[{}]", s.join(","))
}

fn verdict(r: &ClipOutcome) -> &'static str {
    match (r.expected.as_str(), r.passed) {
        ("pass", true) | ("fail", false) => "ok",
        ("pass", false) => "MISSED",
        ("fail", true) => "ACCEPTED",
        _ => "-",
    }
}

/// Runs the evaluation.
pub fn run(args: Args, model_dir: &Path) -> Result<(), Failure> {
    let mut rows =
        read_labels(&args.labels).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
    if let Some(f) = &args.filter {
        rows.retain(|r| r.file.contains(f.as_str()));
    }
    if rows.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{}: no clips", args.labels.display()),
        ));
    }
    let cue = match args.cue.as_str() {
        "lmk" => Cue::Landmark,
        "pose" => Cue::Pose,
        "lmk-pose" => Cue::LandmarkYawPosePitch,
        other => {
            return Err(Failure::new(
                exit::USAGE,
                format!("--cue: expected lmk, pose or lmk-pose, got `{other}`"),
            ))
        }
    };
    let dir = args
        .labels
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let config = FaceConfig {
        workers: 2,
        ..FaceConfig::default()
    };
    let models = FaceModels::open(Some(model_dir), config).map_err(|e| match e {
        FaceError::Model(_) => Failure::new(exit::MODELS, e.to_string()),
        other => Failure::new(exit::REJECTED, other.to_string()),
    })?;
    let mut opts = CheckOptions::default();
    opts.decision.cue = cue;
    for spec in &args.params {
        apply_param(&mut opts.decision.params, spec).map_err(|e| Failure::new(exit::USAGE, e))?;
    }
    if cue != Cue::Landmark {
        // The fr_pose cues need fr_pose on every frame (the default runs it every 4th).
        opts.analysis.pose_every = 1;
    }

    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        progress_bar(i, rows.len(), &row.file);
        out.push(run_clip(&models, &dir, row, &opts));
    }
    progress_bar(rows.len(), rows.len(), "");
    eprintln!();

    println!(
        "{:<36} {:<9} {:<4} {:<11} {:<11} {:<4} {:>6} {:<6} {:<7} {:<8} {:>5} {:>5} {:>5} {:>6}  reason / events",
        "clip", "request", "mir", "performed", "detected", "seq", "score", "result", "expect", "verdict", "live", "ident", "multi", "ms"
    );
    for r in &out {
        let reason = if r.passed {
            r.events
                .iter()
                .map(|(a, s, e, p)| format!("{a}:{s:.2}-{e:.2}s@{p:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            r.reasons.join("; ")
        };
        println!(
            "{:<36} {:<9} {:<4} {:<11} {:<11} {:<4} {:>6.3} {:<6} {:<7} {:<8} {:>5} {:>5} {:>5.2} {:>6.0}  {}",
            r.file,
            seq(&r.request),
            if r.mirrored { "yes" } else { "no" },
            r.performed.as_deref().map_or("?".to_string(), seq),
            seq(&r.detected),
            match r.sequence_ok {
                Some(true) => "ok",
                Some(false) => "BAD",
                None => "-",
            },
            r.score,
            if r.passed { "pass" } else { "fail" },
            r.expected,
            verdict(r),
            r.p_live.map_or("-".into(), |p| format!("{p:.2}")),
            r.identity_min_cosine.map_or("-".into(), |c| format!("{c:.2}")),
            r.multi_face_fraction,
            r.ms,
            reason
        );
    }
    let s = summarize(&out);
    println!(
        "clips {}  definite {}  sequence correct {}/{}  negatives passed {}  positives failed {}  median {:.0} ms/clip",
        s.clips, s.definite, s.sequence_correct, s.definite, s.negatives_passed, s.positives_failed, s.median_ms
    );
    if args.json {
        let v = serde_json::json!({
            "clips": s.clips,
            "definite": s.definite,
            "sequence_correct": s.sequence_correct,
            "negatives_passed": s.negatives_passed,
            "positives_failed": s.positives_failed,
            "median_ms": s.median_ms,
            "rows": out,
        });
        let line = serde_json::to_string(&v).map_err(|e| {
            Failure::new(exit::REJECTED, format!("cannot serialise the result: {e}"))
        })?;
        println!("{line}");
    }
    Ok(())
}
