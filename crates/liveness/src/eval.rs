//! Evaluation over a labelled clip set (`kyc eval liveness`).
//!
//! The labels CSV has the columns `file, request, mirrored, performed, expected, spoof,
//! notes` (paths relative to the CSV's folder): `performed` is the definite action sequence
//! (`""` = none, `?` = not definite), `expected` is `pass`, `fail`, `policy` or `-`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kyc_face::FaceModels;
use serde::Serialize;

use crate::actions::Action;
use crate::check::{check_liveness, CheckOptions, LivenessError, LivenessReport};

/// One row of the labels CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelRow {
    /// Clip path relative to the CSV's folder.
    pub file: String,
    /// Requested actions.
    pub request: Vec<Action>,
    /// Mirror flag to send.
    pub mirrored: bool,
    /// The definite performed sequence, `None` when not definite (`?`).
    pub performed: Option<Vec<Action>>,
    /// `pass`, `fail`, `policy` or `-`.
    pub expected: String,
    /// `none`, `photo-replay`, `screen-replay`.
    pub spoof: String,
}

/// Why the labels could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A row is malformed.
    #[error("{path} line {line}: {reason}")]
    Format {
        /// The path.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

fn parse_actions(s: &str) -> Option<Vec<Action>> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    if s.trim().is_empty() {
        return Some(Vec::new());
    }
    let items: Vec<&str> = s.split(',').collect();
    Action::parse_list(&items)
}

/// Reads a labels CSV.
pub fn read_labels(path: &Path) -> Result<Vec<LabelRow>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let fmt = |line: usize, reason: String| EvalError::Format {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| fmt(1, e.to_string()))?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fmt(1, format!("missing column `{name}`")))
    };
    let (c_file, c_req, c_mir, c_perf, c_exp) = (
        col("file")?,
        col("request")?,
        col("mirrored")?,
        col("performed")?,
        col("expected")?,
    );
    let c_spoof = col("spoof").ok();
    let mut out = Vec::new();
    for record in reader.records() {
        // The header is record 0 on line 1 (labels have no multi-line fields).
        let line_of = |p: Option<&csv::Position>| p.map_or(0, |p| p.record() as usize + 1);
        let r = record.map_err(|e| fmt(line_of(e.position()), e.to_string()))?;
        let line = line_of(r.position());
        let get = |c: usize| r.get(c).unwrap_or("");
        let request = parse_actions(get(c_req))
            .ok_or_else(|| fmt(line, format!("bad request `{}`", get(c_req))))?;
        let performed = match get(c_perf) {
            "?" => None,
            s => Some(parse_actions(s).ok_or_else(|| fmt(line, format!("bad performed `{s}`")))?),
        };
        out.push(LabelRow {
            file: get(c_file).to_string(),
            request,
            mirrored: matches!(
                get(c_mir).to_ascii_lowercase().as_str(),
                "true" | "yes" | "1"
            ),
            performed,
            expected: get(c_exp).to_string(),
            spoof: c_spoof.map(|c| get(c).to_string()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The outcome for one clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipOutcome {
    /// Clip path relative to the CSV.
    pub file: String,
    /// Requested actions (codes).
    pub request: Vec<u8>,
    /// Mirror flag sent.
    pub mirrored: bool,
    /// Detected sequence (codes); empty on error.
    pub detected: Vec<u8>,
    /// Definite performed sequence (codes), `None` when not definite.
    pub performed: Option<Vec<u8>>,
    /// `detected == performed` for definite rows.
    pub sequence_ok: Option<bool>,
    /// `livenessScore` (0 on error).
    pub score: f64,
    /// The decision.
    pub passed: bool,
    /// Expected decision label.
    pub expected: String,
    /// Failure reasons, or the error (`no face` → API 500, video error → 505).
    pub reasons: Vec<String>,
    /// API code of an error, if any.
    pub api_code: Option<u16>,
    /// Median P(live).
    pub p_live: Option<f64>,
    /// Identity consistency (lowest cosine).
    pub identity_min_cosine: Option<f32>,
    /// Share of frames with a second person.
    pub multi_face_fraction: f64,
    /// Share of frames with the face.
    pub face_ratio: f64,
    /// Event details `(code, start s, end s, peak)`.
    pub events: Vec<(u8, f64, f64, f64)>,
    /// Wall time of the check, ms.
    pub ms: f64,
}

/// Summary over all clips.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalSummary {
    /// Clips evaluated.
    pub clips: usize,
    /// Clips with a definite performed sequence.
    pub definite: usize,
    /// Of those, clips whose detected sequence is right.
    pub sequence_correct: usize,
    /// Clips labelled `fail` that passed.
    pub negatives_passed: usize,
    /// Clips labelled `pass` that failed.
    pub positives_failed: usize,
    /// Median wall time per clip, ms.
    pub median_ms: f64,
}

fn codes(a: &[Action]) -> Vec<u8> {
    a.iter().map(|x| x.code()).collect()
}

/// Runs one clip.
pub fn run_clip(
    models: &FaceModels,
    dir: &Path,
    row: &LabelRow,
    opts: &CheckOptions,
) -> ClipOutcome {
    run_clip_with_report(models, dir, row, opts).0
}

/// Runs one clip and also returns the full report (per-frame records included) when the
/// check ran, for analysis tools.
pub fn run_clip_with_report(
    models: &FaceModels,
    dir: &Path,
    row: &LabelRow,
    opts: &CheckOptions,
) -> (ClipOutcome, Option<LivenessReport>) {
    let t0 = Instant::now();
    let mut out = ClipOutcome {
        file: row.file.clone(),
        request: codes(&row.request),
        mirrored: row.mirrored,
        detected: Vec::new(),
        performed: row.performed.as_deref().map(codes),
        sequence_ok: None,
        score: 0.0,
        passed: false,
        expected: row.expected.clone(),
        reasons: Vec::new(),
        api_code: None,
        p_live: None,
        identity_min_cosine: None,
        multi_face_fraction: 0.0,
        face_ratio: 0.0,
        events: Vec::new(),
        ms: 0.0,
    };
    let bytes = match std::fs::read(dir.join(&row.file)) {
        Ok(b) => b,
        Err(e) => {
            out.reasons.push(format!("cannot read the clip: {e}"));
            return (out, None);
        }
    };
    let mut report = None;
    match check_liveness(models, &bytes, &row.request, row.mirrored, opts) {
        Ok(rep) => {
            let r = &rep.result;
            out.detected = codes(&r.detected);
            out.score = r.score;
            out.passed = r.passed;
            out.reasons = r.reasons.iter().map(|x| x.to_string()).collect();
            out.p_live = r.p_live;
            out.identity_min_cosine = rep.signals.identity.robust_min_cosine;
            out.multi_face_fraction = r.multi_face_fraction;
            out.face_ratio = r.face_ratio;
            out.events = r
                .events
                .iter()
                .map(|e| {
                    (
                        e.action.code(),
                        (e.start_ms / 10.0).round() / 100.0,
                        (e.end_ms / 10.0).round() / 100.0,
                        (e.peak * 10.0).round() / 10.0,
                    )
                })
                .collect();
            report = Some(rep);
        }
        Err(e) => {
            let code = e.api_code();
            out.api_code = (code != 0).then_some(code);
            out.reasons.push(e.to_string());
            if !matches!(e, LivenessError::NoFace { .. } | LivenessError::Video(_)) {
                // Model failures are not a verdict on the clip.
                out.reasons.push("(internal error)".into());
            }
        }
    }
    out.sequence_ok = out.performed.as_ref().map(|p| *p == out.detected);
    out.ms = t0.elapsed().as_secs_f64() * 1000.0;
    (out, report)
}

/// Summarises clip outcomes.
pub fn summarize(rows: &[ClipOutcome]) -> EvalSummary {
    let mut ms: Vec<f64> = rows.iter().map(|r| r.ms).collect();
    ms.sort_by(f64::total_cmp);
    let median_ms = match ms.len() {
        0 => 0.0,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    };
    EvalSummary {
        clips: rows.len(),
        definite: rows.iter().filter(|r| r.sequence_ok.is_some()).count(),
        sequence_correct: rows.iter().filter(|r| r.sequence_ok == Some(true)).count(),
        negatives_passed: rows
            .iter()
            .filter(|r| r.expected == "fail" && r.passed)
            .count(),
        positives_failed: rows
            .iter()
            .filter(|r| r.expected == "pass" && !r.passed)
            .count(),
        median_ms: (median_ms * 10.0).round() / 10.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_quoted_lists_and_notes() {
        let path =
            std::env::temp_dir().join(format!("kyc-liveness-labels-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "file,request,mirrored,performed,expected,spoof,notes\r\n\
             a.mp4,\"2,1,3\",false,\"2,1,3\",pass,none,\"turns, then \"\"nods\"\"\"\r\n\
             b.mp4,\"1,2\",yes,?,policy,none,\r\n\
             c.mp4,\"9\",false,,fail,none,\r\n",
        )
        .unwrap();
        let err = read_labels(&path).unwrap_err().to_string();
        assert!(
            err.contains("line 4") && err.contains("bad request `9`"),
            "{err}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.lines().take(3).collect::<Vec<_>>().join("\n")).unwrap();
        let rows = read_labels(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].request.len(), 3);
        assert_eq!(rows[0].performed.as_ref().map(Vec::len), Some(3));
        assert!(rows[1].mirrored);
        assert_eq!(rows[1].performed, None);
        assert_eq!(rows[1].expected, "policy");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn action_lists() {
        assert_eq!(parse_actions("2,1,3").unwrap().len(), 3);
        assert_eq!(
            parse_actions("[1,3]").unwrap(),
            vec![Action::TurnLeft, Action::Nod]
        );
        assert_eq!(parse_actions("").unwrap(), vec![]);
        assert!(parse_actions("1,x").is_none());
    }

    #[test]
    fn summary_counts() {
        let mk = |exp: &str, passed: bool, ok: Option<bool>, ms: f64| ClipOutcome {
            file: String::new(),
            request: vec![],
            mirrored: false,
            detected: vec![],
            performed: None,
            sequence_ok: ok,
            score: 0.0,
            passed,
            expected: exp.into(),
            reasons: vec![],
            api_code: None,
            p_live: None,
            identity_min_cosine: None,
            multi_face_fraction: 0.0,
            face_ratio: 0.0,
            events: vec![],
            ms,
        };
        let s = summarize(&[
            mk("fail", true, Some(false), 10.0),
            mk("pass", false, Some(true), 30.0),
            mk("policy", true, None, 20.0),
        ]);
        assert_eq!(
            (
                s.clips,
                s.definite,
                s.sequence_correct,
                s.negatives_passed,
                s.positives_failed
            ),
            (3, 2, 1, 1, 1)
        );
        assert_eq!(s.median_ms, 20.0);
    }
}
