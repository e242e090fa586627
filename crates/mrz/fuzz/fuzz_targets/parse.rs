//! Arbitrary bytes as MRZ text: `parse_text` must return a report or a typed
//! error, never panic, and a report must be internally consistent.
//!
//! ```text
//! cd crates/mrz/fuzz && cargo +nightly fuzz run parse
//! ```

#![no_main]

use kyc_mrz::{parse_text, Date, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = Date::new(2026, 11, 23).expect("valid date");
    for repair in [true, false] {
        let mut options = ParseOptions::new(reference);
        options.repair = repair;
        if let Ok(report) = parse_text(text, &options) {
            assert_eq!(report.lines.len(), report.format.line_count());
            for line in &report.lines {
                assert_eq!(line.len(), report.format.line_length());
            }
            assert_eq!(report.valid, report.reasons.is_empty());
            assert!(!report.valid_strict || report.valid);
            if !repair {
                assert!(report.repairs.is_empty());
            }
        }
    }
});
