//! Structured input: MRZ lines plus per-character OCR alternatives with
//! arbitrary confidences (NaN, infinities, negative) and positions.
//!
//! ```text
//! cd crates/mrz/fuzz && cargo +nightly fuzz run parse_with_alternatives
//! ```

#![no_main]

use kyc_mrz::{parse, CharAlternatives, Date, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    |input: (Vec<String>, Vec<(u8, u8, Vec<(char, f32)>)>, bool)| {
        let (lines, alternatives, repair) = input;
        let reference = Date::new(2026, 11, 23).expect("valid date");
        let mut options = ParseOptions::new(reference);
        options.repair = repair;
        options.alternatives = alternatives
            .into_iter()
            .map(|(line, column, candidates)| CharAlternatives {
                line: usize::from(line),
                column: usize::from(column),
                candidates,
            })
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        if let Ok(report) = parse(&refs, &options) {
            for r in &report.repairs {
                assert!(r.line < report.lines.len());
                assert!(r.column < report.format.line_length());
            }
        }
    }
);
