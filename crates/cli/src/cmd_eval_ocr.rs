//! `kyc eval ocr`: evaluation over a labelled dataset.

use crate::Failure;
use std::path::Path;

/// Arguments of `kyc eval ocr`.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON summary object as the last line of stdout.
    #[arg(long)]
    json: bool,
}

/// Runs the evaluation.
pub fn run(args: Args, model_dir: &Path) -> Result<(), Failure> {
    let _ = (args.json, model_dir);
    Err(Failure::new(crate::exit::USAGE, "kyc eval ocr: not built yet"))
}
