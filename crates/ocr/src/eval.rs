//! Evaluation of the MRZ reader over a labelled folder: `images/` and
//! `ground_truth.csv` with (at least) the columns `file`, `doc_type`,
//! `mrz1`, `mrz2`, `mrz3`; a row with an empty MRZ is a document without one.
//!
//! Definitions: *found* = the reader returned an MRZ; *exact* = the lines
//! after repair equal the ground truth; *false accept* = the reader accepted
//! a read (every check digit verified) that is not exact; *no-MRZ correct* =
//! an image without an MRZ gave [`OcrError::NoMrz`].

use crate::decode::{decode_image, DecodeLimits};
use crate::error::OcrError;
use crate::mrz_read::MrzReader;
use kyc_mrz::Date;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One labelled image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalCase {
    /// File name inside `images/`.
    pub file: String,
    /// `TD1`, `TD3`, … as labelled.
    pub doc_type: String,
    /// Ground-truth MRZ lines (empty: no MRZ).
    pub mrz: Vec<String>,
}

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV lacks a column or a row is malformed.
    #[error("ground_truth.csv: {0}")]
    Csv(String),
}

/// Reads `dir/ground_truth.csv`.
pub fn load_cases(dir: &Path) -> Result<Vec<EvalCase>, EvalError> {
    let path = dir.join("ground_truth.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io { path, source })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| EvalError::Csv(e.to_string()))?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| EvalError::Csv(format!("no column `{name}`")))
    };
    let (cf, cd, c1, c2, c3) = (
        col("file")?,
        col("doc_type")?,
        col("mrz1")?,
        col("mrz2")?,
        col("mrz3")?,
    );
    let mut cases = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| EvalError::Csv(e.to_string()))?;
        let get = |c: usize| record.get(c).unwrap_or_default().to_string();
        let file = get(cf);
        if file.is_empty() || file.contains('/') || file.contains("..") {
            let line = record.position().map_or(0, |p| p.record() + 1);
            return Err(EvalError::Csv(format!(
                "line {line}: bad file name `{file}`"
            )));
        }
        let mrz: Vec<String> = [get(c1), get(c2), get(c3)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        cases.push(EvalCase {
            file,
            doc_type: get(cd),
            mrz,
        });
    }
    Ok(cases)
}

/// The outcome for one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalRow {
    /// File name.
    pub file: String,
    /// Whether the ground truth has an MRZ.
    pub has_mrz: bool,
    /// Whether the reader returned an MRZ.
    pub found: bool,
    /// Whether the reader accepted it (all check digits verified).
    pub accepted: bool,
    /// Whether the lines equal the ground truth.
    pub exact: bool,
    /// Accepted but not exact.
    pub false_accept: bool,
    /// No MRZ in the ground truth and none reported.
    pub no_mrz_correct: bool,
    /// Milliseconds for decoding and reading.
    pub ms: f64,
    /// Candidate reads made.
    pub candidates: usize,
    /// The error, when nothing was read.
    pub error: Option<String>,
}

/// Totals over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalSummary {
    /// Images evaluated.
    pub images: usize,
    /// Images whose ground truth has an MRZ.
    pub with_mrz: usize,
    /// MRZ images where an MRZ was returned.
    pub found: usize,
    /// MRZ images read exactly.
    pub exact: usize,
    /// Accepted reads that are wrong (including MRZs "found" on documents without one).
    pub false_accepts: usize,
    /// Images without an MRZ correctly reported as such.
    pub no_mrz_correct: usize,
    /// Median milliseconds per image.
    pub median_ms: f64,
}

/// Reads one image (encoded bytes) and compares with its case.
pub fn evaluate_one(
    reader: &mut MrzReader,
    bytes: &[u8],
    case: &EvalCase,
    reference: Date,
) -> EvalRow {
    let t = Instant::now();
    let result = decode_image(bytes, &DecodeLimits::default()).and_then(|rgb| {
        let gray = image::DynamicImage::ImageRgb8(rgb).into_luma8();
        reader.read(&gray, reference)
    });
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let has_mrz = !case.mrz.is_empty();
    match result {
        Ok(read) => {
            let exact = has_mrz && read.report.lines == case.mrz;
            EvalRow {
                file: case.file.clone(),
                has_mrz,
                found: true,
                accepted: read.accepted,
                exact,
                false_accept: read.accepted && !exact,
                no_mrz_correct: false,
                ms,
                candidates: read.candidates,
                error: None,
            }
        }
        Err(e) => EvalRow {
            file: case.file.clone(),
            has_mrz,
            found: false,
            accepted: false,
            exact: false,
            false_accept: false,
            no_mrz_correct: !has_mrz && matches!(e, OcrError::NoMrz(_)),
            ms,
            candidates: 0,
            error: Some(e.to_string()),
        },
    }
}

/// Evaluates a row whose image could not be read from disk.
pub fn unreadable(case: &EvalCase, why: &str) -> EvalRow {
    EvalRow {
        file: case.file.clone(),
        has_mrz: !case.mrz.is_empty(),
        found: false,
        accepted: false,
        exact: false,
        false_accept: false,
        no_mrz_correct: false,
        ms: 0.0,
        candidates: 0,
        error: Some(why.to_string()),
    }
}

/// Totals of `rows`.
pub fn summarize(rows: &[EvalRow]) -> EvalSummary {
    let mut ms: Vec<f64> = rows.iter().map(|r| r.ms).collect();
    ms.sort_by(f64::total_cmp);
    let median_ms = match ms.len() {
        0 => 0.0,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    };
    EvalSummary {
        images: rows.len(),
        with_mrz: rows.iter().filter(|r| r.has_mrz).count(),
        found: rows.iter().filter(|r| r.has_mrz && r.found).count(),
        exact: rows.iter().filter(|r| r.exact).count(),
        false_accepts: rows.iter().filter(|r| r.false_accept).count(),
        no_mrz_correct: rows.iter().filter(|r| r.no_mrz_correct).count(),
        median_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ground_truth_with_quoted_fields_and_bad_names() {
        let dir = std::env::temp_dir().join(format!("kyc-ocr-eval-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ground_truth.csv"),
            "file,doc_type,mrz1,mrz2,mrz3,notes\n\
             a.jpg,TD3,P<UTOX<<Y,L898902C36,,\"{\"\"k\"\": \"\"a, b\"\"}\"\n\
             \n\
             card.png,none,,,,no MRZ\n",
        )
        .unwrap();
        let cases = load_cases(&dir).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].file, "a.jpg");
        assert_eq!(cases[0].mrz, ["P<UTOX<<Y", "L898902C36"]);
        assert!(cases[1].mrz.is_empty());
        std::fs::write(
            dir.join("ground_truth.csv"),
            "file,doc_type,mrz1,mrz2,mrz3\n../x.jpg,TD3,,,\n",
        )
        .unwrap();
        let err = load_cases(&dir).unwrap_err().to_string();
        assert!(err.contains("bad file name"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn summary_counts_and_median() {
        let row = |has: bool, found: bool, exact: bool, acc: bool, ms: f64| EvalRow {
            file: String::new(),
            has_mrz: has,
            found,
            accepted: acc,
            exact,
            false_accept: acc && !exact,
            no_mrz_correct: !has && !found,
            ms,
            candidates: 1,
            error: None,
        };
        let s = summarize(&[
            row(true, true, true, true, 10.0),
            row(true, true, false, true, 30.0),
            row(false, false, false, false, 20.0),
        ]);
        assert_eq!(
            (
                s.images,
                s.with_mrz,
                s.found,
                s.exact,
                s.false_accepts,
                s.no_mrz_correct
            ),
            (3, 2, 2, 1, 1, 1)
        );
        assert_eq!(s.median_ms, 20.0);
    }

    #[test]
    fn loads_a_small_csv() {
        let dir = std::env::temp_dir().join(format!("kyc-ocr-eval-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ground_truth.csv"),
            "file,doc_type,mrz1,mrz2,mrz3,notes\na.jpg,TD3,AAA,BBB,,\"x,y\"\nb.jpg,card,,,,\n",
        )
        .unwrap();
        let cases = load_cases(&dir).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].mrz, vec!["AAA", "BBB"]);
        assert!(cases[1].mrz.is_empty());
    }
}
