//! `kyc eval face`: face verification accuracy over a pairs file.
//!
//! The logic (decoding, analysis, scoring, metrics) is
//! [`kyc_face::eval::evaluate_pairs`]; this file parses the arguments,
//! draws the progress bar on stderr and prints the table (and, with
//! `--json`, one JSON object as the last line of stdout).

use crate::{exit, Failure};
use kyc_face::eval::{
    evaluate_pairs, parse_pairs_csv, CrossQuality, PairEvalOptions, PairEvalReport,
};
use kyc_face::{FaceConfig, FaceError, FaceModels};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `kyc eval face`.
#[derive(clap::Args)]
pub struct Args {
    /// Pairs file: `img_a,img_b,same` (header line optional, same = 1 or 0).
    #[arg(long, value_name = "PAIRS.csv")]
    pairs: PathBuf,
    /// Folder the image names of the pairs file are relative to.
    #[arg(long, value_name = "DIR")]
    images: PathBuf,
    /// Crop each probe to a 3:4 portrait around its face, shrink it so the
    /// face box is 48 px high (≈ 80×108 px, like an ID-card portrait) and
    /// re-encode it as JPEG quality 40, then score it against the other
    /// original, in both directions.
    #[arg(long)]
    cross_quality: bool,
    /// Images analysed in parallel (one single-threaded session each).
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
    /// Print one JSON summary object as the last line of stdout.
    #[arg(long)]
    json: bool,
}

/// Largest accepted pairs file.
const MAX_PAIRS_BYTES: u64 = 64 << 20;

/// Runs the evaluation.
pub fn run(args: Args, model_dir: &Path) -> Result<(), Failure> {
    let pairs = read_pairs(&args.pairs)?;
    if pairs.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{}: no pairs", args.pairs.display()),
        ));
    }
    if !args.images.is_dir() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{}: not a folder", args.images.display()),
        ));
    }
    let threads = args.threads.clamp(1, 64);
    let config = FaceConfig {
        workers: threads,
        ..FaceConfig::default()
    };
    let models = FaceModels::open(Some(model_dir), config).map_err(|e| match e {
        FaceError::Model(_) => Failure::new(exit::MODELS, e.to_string()),
        other => Failure::new(exit::REJECTED, other.to_string()),
    })?;
    let opts = PairEvalOptions {
        cross_quality: args.cross_quality.then(CrossQuality::default),
        limits: models.config().limits,
        threads,
    };
    let report = evaluate_pairs(&models, &pairs, &args.images, &opts, &progress_bar);
    eprintln!();
    print_table(&report, &opts);
    if args.json {
        let m = report.metrics.as_ref();
        let summary = serde_json::json!({
            "pairs": report.comparisons,
            "genuine": report.genuine,
            "impostor": report.impostor,
            "failed_images": report.failed_images.len(),
            "auc": m.map(|m| m.auc),
            "eer": m.map(|m| m.eer),
            "tar_at_far_1e-2": m.and_then(|m| m.tar_at_far_1e2),
            "tar_at_far_1e-3": m.and_then(|m| m.tar_at_far_1e3),
            "pairs_in_file": report.pairs_in_file,
            "cross_quality": args.cross_quality,
            "failed_comparisons": report.failed_comparisons,
            "threshold_at_far_1e-2": m.and_then(|m| m.threshold_at_far_1e2),
            "threshold_at_far_1e-3": m.and_then(|m| m.threshold_at_far_1e3),
            "tar_at_cosine_0.31": finite(report.tar_at_cosine_0_31),
            "far_at_cosine_0.31": finite(report.far_at_cosine_0_31),
            "genuine_mean": m.map(|m| m.genuine_mean),
            "impostor_max": m.map(|m| m.impostor_max),
        });
        let line = serde_json::to_string(&summary).map_err(|e| {
            Failure::new(exit::REJECTED, format!("cannot serialise the result: {e}"))
        })?;
        println!("{line}");
    }
    if report.metrics.is_none() {
        return Err(Failure::new(
            exit::REJECTED,
            "no metrics: the pairs need at least one genuine and one impostor comparison",
        ));
    }
    Ok(())
}

fn read_pairs(path: &Path) -> Result<Vec<kyc_face::eval::LabeledPair>, Failure> {
    let usage = |e: String| Failure::new(exit::USAGE, format!("{}: {e}", path.display()));
    let len = std::fs::metadata(path)
        .map_err(|e| usage(e.to_string()))?
        .len();
    if len > MAX_PAIRS_BYTES {
        return Err(usage(format!(
            "pairs file of {len} bytes exceeds {MAX_PAIRS_BYTES}"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| usage(e.to_string()))?;
    parse_pairs_csv(&text).map_err(|e| usage(e.to_string()))
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// `[#####.....] 45/176 images` on stderr, redrawn in place.
fn progress_bar(done: usize, total: usize) {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {done}/{total} images",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    );
    let _ = err.flush();
}

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{:.2} %", v * 100.0),
        _ => "n/a".into(),
    }
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.4}"),
        _ => "n/a".into(),
    }
}

fn print_table(r: &PairEvalReport, opts: &PairEvalOptions) {
    let mode = match opts.cross_quality {
        Some(cq) => format!(
            "cross-quality (probe: {} face {} px, JPEG q{}; both directions)",
            match cq.portrait_height {
                Some(k) => format!("3:4 portrait {k} face heights high,"),
                None => "whole image,".into(),
            },
            cq.face_height,
            cq.jpeg_quality
        ),
        None => "clean".into(),
    };
    println!(
        "face verification, {mode}: {} pairs in file, {} comparisons ({} genuine, {} impostor)",
        r.pairs_in_file, r.comparisons, r.genuine, r.impostor
    );
    let m = r.metrics.as_ref();
    let rows: Vec<(&str, String, String)> = vec![
        ("AUC", num(m.map(|m| m.auc)), String::new()),
        (
            "EER",
            pct(m.map(|m| m.eer)),
            format!("cosine {}", num(m.map(|m| m.eer_threshold))),
        ),
        (
            "TAR @ FAR 1%",
            pct(m.and_then(|m| m.tar_at_far_1e2)),
            format!("cosine {}", num(m.and_then(|m| m.threshold_at_far_1e2))),
        ),
        (
            "TAR @ FAR 0.1%",
            pct(m.and_then(|m| m.tar_at_far_1e3)),
            format!("cosine {}", num(m.and_then(|m| m.threshold_at_far_1e3))),
        ),
        (
            "TAR @ cosine 0.24",
            pct(Some(r.tar_at_cosine_0_24)),
            format!("FAR {}", pct(Some(r.far_at_cosine_0_24))),
        ),
        (
            "TAR @ cosine 0.31",
            pct(Some(r.tar_at_cosine_0_31)),
            format!("FAR {}", pct(Some(r.far_at_cosine_0_31))),
        ),
        (
            "genuine cosine",
            format!("mean {}", num(m.map(|m| m.genuine_mean))),
            format!("min {}", num(m.map(|m| m.genuine_min))),
        ),
        (
            "impostor cosine",
            format!("mean {}", num(m.map(|m| m.impostor_mean))),
            format!("max {}", num(m.map(|m| m.impostor_max))),
        ),
        (
            "failed images",
            r.failed_images.len().to_string(),
            format!("{} comparisons scored -1", r.failed_comparisons),
        ),
    ];
    println!("{:<20} {:>14}  at", "metric", "value");
    println!("{}", "-".repeat(52));
    for (k, v, at) in rows {
        println!("{k:<20} {v:>14}  {at}");
    }
    for f in &r.failed_images {
        println!("failed: {} ({}): {}", f.image, f.stage, f.error);
    }
}
