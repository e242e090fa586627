//! `kyc eval ocr`: MRZ reading over a labelled folder.
//!
//! The logic (ground truth, reading, comparison, totals) is
//! [`kyc_ocr::eval`]; this file parses the arguments, draws the progress bar
//! on stderr and prints the per-image table and the summary (and, with
//! `--json`, one JSON object as the last line of stdout). Nothing read from
//! the images (MRZ text, names) is printed.

use crate::{exit, Failure};
use kyc_ocr::eval::{evaluate_one, load_cases, summarize, unreadable, EvalError};
use kyc_ocr::{MrzReader, OcrError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `kyc eval ocr`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder holding `images/` and `ground_truth.csv` (columns file,
    /// doc_type, mrz1, mrz2, mrz3; an empty MRZ = a document without one).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Print one JSON summary object as the last line of stdout.
    #[arg(long)]
    json: bool,
}

/// Largest image file read.
const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// Runs the evaluation.
pub fn run(args: Args, model_dir: &Path) -> Result<(), Failure> {
    let cases = load_cases(&args.dir).map_err(|e| match e {
        EvalError::Io { .. } => Failure::new(exit::USAGE, e.to_string()),
        other => Failure::new(exit::REJECTED, other.to_string()),
    })?;
    if cases.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{}: no images listed", args.dir.display()),
        ));
    }
    let mut reader = MrzReader::new(model_dir).map_err(|e| match e {
        OcrError::ModelLoad { .. } => Failure::new(exit::MODELS, e.to_string()),
        other => Failure::new(exit::REJECTED, other.to_string()),
    })?;
    let reference = kyc_mrz::Date::today_utc();
    let images = args.dir.join("images");
    let mut rows = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        progress(i, cases.len(), &case.file);
        let path = images.join(&case.file);
        let row = match read_file(&path) {
            Ok(bytes) => evaluate_one(&mut reader, &bytes, case, reference),
            Err(why) => unreadable(case, &why),
        };
        rows.push(row);
    }
    progress(cases.len(), cases.len(), "");
    eprintln!();
    println!(
        "{:<40} {:>4} {:>5} {:>5} {:>8} {:>6} {:>8}  note",
        "file", "mrz", "found", "exact", "accepted", "false", "ms"
    );
    for r in &rows {
        let yn = |b: bool| if b { "yes" } else { "-" };
        let note = match (&r.error, r.has_mrz) {
            (Some(e), _) => e.clone(),
            (None, false) => "MRZ reported on a document without one".to_string(),
            (None, true) => String::new(),
        };
        println!(
            "{:<40} {:>4} {:>5} {:>5} {:>8} {:>6} {:>8.0}  {}",
            truncate(&r.file, 40),
            yn(r.has_mrz),
            yn(r.found),
            yn(r.exact),
            yn(r.accepted),
            if r.false_accept { "FA" } else { "-" },
            r.ms,
            note
        );
    }
    let s = summarize(&rows);
    println!();
    println!("images            {}", s.images);
    println!("with MRZ          {}", s.with_mrz);
    println!("found             {} / {}", s.found, s.with_mrz);
    println!("exact             {} / {}", s.exact, s.with_mrz);
    println!("false accepts     {}", s.false_accepts);
    println!(
        "no-MRZ correct    {} / {}",
        s.no_mrz_correct,
        s.images - s.with_mrz
    );
    println!("median ms/image   {:.0}", s.median_ms);
    if args.json {
        let line = serde_json::to_string(&s).map_err(|e| {
            Failure::new(exit::REJECTED, format!("cannot serialise the summary: {e}"))
        })?;
        println!("{line}");
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the image: {e}"))?;
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(format!("image file larger than {MAX_IMAGE_BYTES} bytes"));
    }
    std::fs::read(path).map_err(|e| format!("cannot read the image: {e}"))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

/// A one-line progress bar on stderr.
fn progress(done: usize, total: usize, current: &str) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let bar: String = "#".repeat(filled) + &"-".repeat(width - filled);
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "\r[{bar}] {done}/{total} {:<40}",
        truncate(current, 40)
    );
    let _ = err.flush();
}
