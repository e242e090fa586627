//! `kyc mrz`: parse and verify MRZ lines, print JSON.
//!
//! Output keys: `format` (`TD1`/`TD2`/`TD3`, or `MRVA`/`MRVB` for visas),
//! `valid`, `flags`, `repairs`, `checks` (an object keyed by field:
//! `expected`, `found`, `status` = `verified`/`refuted`/`absent`) and
//! `fields` (dates `yyyy-MM-dd`). Exit 0 when the input parsed as an MRZ
//! (valid or not; the reasons for an invalid verdict go to stderr), 1 with a
//! message when it is not an MRZ, 2 for bad usage.

use crate::{exit, print_json, Failure};
use clap::Args;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::io::Read;

/// The most stdin bytes read (an MRZ is under 100 characters).
const STDIN_LIMIT: u64 = 64 * 1024;

#[derive(Args)]
pub struct MrzArgs {
    /// MRZ lines; read from stdin (one MRZ line per line) when none are given.
    lines: Vec<String>,
    /// Date for the century rule of birth dates, yyyy-MM-dd (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    reference_date: Option<String>,
    /// Report the lines as read, without any repair.
    #[arg(long)]
    no_repair: bool,
}

/// The JSON document printed by `kyc mrz`.
#[derive(serde::Serialize)]
struct Output<'a> {
    format: kyc_mrz::Format,
    valid: bool,
    flags: &'a [String],
    repairs: &'a [kyc_mrz::Repair],
    checks: Checks<'a>,
    fields: &'a kyc_mrz::Fields,
}

/// The checks as an object keyed by field name, in MRZ order.
struct Checks<'a>(&'a [kyc_mrz::Check]);

#[derive(serde::Serialize)]
struct CheckOut {
    expected: Option<char>,
    found: char,
    status: kyc_mrz::CheckStatus,
}

impl Serialize for Checks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for c in self.0 {
            let value = CheckOut {
                expected: c.expected,
                found: c.found,
                status: c.status,
            };
            map.serialize_entry(&c.field, &value)?;
        }
        map.end()
    }
}

pub fn run(args: MrzArgs) -> Result<(), Failure> {
    let reference_date = match &args.reference_date {
        Some(text) => kyc_mrz::Date::from_iso(text).ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("--reference-date `{text}` is not a yyyy-MM-dd date"),
            )
        })?,
        None => kyc_engine::clock::today(),
    };
    let text = if args.lines.is_empty() {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(STDIN_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::new(exit::REJECTED, format!("cannot read stdin: {e}")))?;
        if bytes.len() as u64 > STDIN_LIMIT {
            return Err(Failure::new(
                exit::REJECTED,
                format!("not an MRZ: more than {STDIN_LIMIT} bytes on stdin"),
            ));
        }
        String::from_utf8(bytes)
            .map_err(|_| Failure::new(exit::REJECTED, "not an MRZ: stdin is not UTF-8 text"))?
    } else {
        args.lines.join("\n")
    };
    let mut options = kyc_mrz::ParseOptions::new(reference_date);
    options.repair = !args.no_repair;
    let report = kyc_mrz::parse_text(&text, &options)
        .map_err(|e| Failure::new(exit::REJECTED, format!("not an MRZ: {e}")))?;
    if !report.valid {
        eprintln!("kyc: MRZ not valid: {}", report.reasons.join("; "));
    }
    print_json(&Output {
        format: report.format,
        valid: report.valid,
        flags: &report.flags,
        repairs: &report.repairs,
        checks: Checks(&report.checks),
        fields: &report.fields,
    })
}
