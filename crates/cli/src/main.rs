//! `kyc`: the command-line face of the engine. Thin: every subcommand parses
//! its arguments, calls a library crate and prints JSON on stdout.

mod cmd_demo;
mod cmd_eval_face;
mod cmd_eval_liveness;
mod cmd_eval_ocr;
mod cmd_models;
mod cmd_mrz;
mod cmd_ops;
mod cmd_serve;
mod cmd_store;

use clap::{Parser, Subcommand};
use kyc_engine::api::Operation;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes (documented in the README).
pub mod exit {
    /// The input was rejected (e.g. not an MRZ, no face, unreadable file).
    pub const REJECTED: u8 = 1;
    /// Bad command-line usage (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// The models are missing or corrupt.
    pub const MODELS: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "kyc",
    version,
    about = "Offline KYC engine: Khmer ID cards, passports, face match, liveness"
)]
struct Cli {
    /// Directory holding the pinned models (default: $KYC_MODEL_DIR, else ./models).
    #[arg(long, global = true, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The full flow on bundled samples: every operation, JSON responses.
    Demo(cmd_demo::DemoArgs),
    /// Model files: verify them against the pinned manifest.
    Models {
        #[command(subcommand)]
        action: cmd_models::ModelsCommand,
    },
    /// Parse and verify MRZ lines (arguments, or stdin one line per MRZ line).
    Mrz(cmd_mrz::MrzArgs),
    /// `info`: the submitted fields against the reference record.
    Info(cmd_ops::InfoArgs),
    /// `info-face`: fields, and the selfie against the reference photo.
    InfoFace(cmd_ops::InfoFaceArgs),
    /// `info-face-idcard`: fields, selfie against the ID card portrait and the reference photo.
    InfoFaceIdcard(cmd_ops::InfoFaceIdCardArgs),
    /// `info-idcard-liveness`: fields, active liveness from a video, face matches.
    InfoIdcardLiveness(cmd_ops::LivenessArgs),
    /// `ocr-idcard`: read a Khmer national ID card photo.
    OcrIdcard(cmd_ops::OcrArgs),
    /// `ocr-passport`: read a passport data page photo.
    OcrPassport(cmd_ops::OcrArgs),
    /// Answer a raw API request body exactly as the server would.
    Request(cmd_ops::RequestArgs),
    /// The SQLite reference store: import, add, remove, list.
    Store {
        #[command(subcommand)]
        action: cmd_store::StoreCommand,
    },
    /// Serve the hosted API's endpoints over HTTP.
    Serve(Box<cmd_serve::ServeArgs>),
    /// Evaluate a stage over a labelled dataset.
    Eval {
        #[command(subcommand)]
        stage: EvalCommand,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Face verification over a pairs file: AUC, EER, TAR at FAR 1% and 0.1%.
    Face(cmd_eval_face::Args),
    /// Document reading over a folder with images/ and ground_truth.csv.
    Ocr(cmd_eval_ocr::Args),
    /// Active liveness over a labels CSV.
    Liveness(cmd_eval_liveness::Args),
}

/// A failure with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Runs the program again with `OMP_THREAD_LIMIT=1` when the variable is
/// not set. Tesseract's OpenMP threading is 2-4x slower on small machines,
/// and libgomp reads the variable once, when it is loaded, before `main`:
/// setting it in this process is too late (measured: `kyc eval ocr` took
/// 1.9 s per image instead of 0.47 s and its time budget cut reads short).
/// The operator's own value, any value, is kept.
fn restart_with_one_openmp_thread() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // `exec` returns only when it failed; the process then goes on as it is.
    let err = command.args(args).env("OMP_THREAD_LIMIT", "1").exec();
    eprintln!(
        "kyc: warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); \
         set it yourself, Tesseract runs slower without it"
    );
}

fn main() -> ExitCode {
    restart_with_one_openmp_thread();
    let cli = Cli::parse();
    let model_dir = kyc_models::resolve_model_dir(cli.model_dir.as_deref());
    let result = match cli.command {
        Command::Demo(args) => cmd_demo::run(args, &model_dir),
        Command::Models { action } => cmd_models::run(action, &model_dir),
        Command::Mrz(args) => cmd_mrz::run(args),
        Command::Info(args) => cmd_ops::run_info(args, &model_dir),
        Command::InfoFace(args) => cmd_ops::run_info_face(args, &model_dir),
        Command::InfoFaceIdcard(args) => cmd_ops::run_info_face_idcard(args, &model_dir),
        Command::InfoIdcardLiveness(args) => cmd_ops::run_liveness(args, &model_dir),
        Command::OcrIdcard(args) => cmd_ops::run_ocr(Operation::OcrIdCard, args, &model_dir),
        Command::OcrPassport(args) => cmd_ops::run_ocr(Operation::OcrPassport, args, &model_dir),
        Command::Request(args) => cmd_ops::run_request(args, &model_dir),
        Command::Store { action } => cmd_store::run(action, &model_dir),
        Command::Serve(args) => cmd_serve::run(*args, &model_dir),
        Command::Eval { stage } => match stage {
            EvalCommand::Face(args) => cmd_eval_face::run(args, &model_dir),
            EvalCommand::Ocr(args) => cmd_eval_ocr::run(args, &model_dir),
            EvalCommand::Liveness(args) => cmd_eval_liveness::run(args, &model_dir),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("kyc: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(exit::REJECTED, format!("cannot serialise the result: {e}")))?;
    println!("{text}");
    Ok(())
}
