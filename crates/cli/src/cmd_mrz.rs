use crate::{exit, print_json, Failure};
use clap::Args;
use std::io::Read;

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

pub fn run(args: MrzArgs) -> Result<(), Failure> {
    let reference_date = match &args.reference_date {
        Some(text) => kyc_mrz::Date::from_iso(text)
            .ok_or_else(|| Failure::new(exit::USAGE, format!("--reference-date `{text}` is not a yyyy-MM-dd date")))?,
        None => kyc_engine::clock::today(),
    };
    let text = if args.lines.is_empty() {
        let mut buf = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut buf)
            .map_err(|e| Failure::new(exit::REJECTED, format!("cannot read stdin: {e}")))?;
        buf
    } else {
        args.lines.join("\n")
    };
    let mut options = kyc_mrz::ParseOptions::new(reference_date);
    options.repair = !args.no_repair;
    let report = kyc_mrz::parse_text(&text, &options)
        .map_err(|e| Failure::new(exit::REJECTED, format!("not an MRZ: {e}")))?;
    print_json(&report)
}
