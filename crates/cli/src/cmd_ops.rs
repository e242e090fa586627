//! The six operations of the hosted API, taking files instead of base64, and
//! `kyc request` for raw request bodies. Every subcommand builds the request
//! body the hosted API would receive and answers it through
//! [`Engine::handle`], exactly as the server does.

use crate::{exit, print_json, Failure};
use base64::Engine as _;
use kyc_engine::api::{Envelope, Operation};
use kyc_engine::reference::{parse_reference_entries, MemoryStore};
use kyc_engine::{Engine, EngineConfig, EngineError};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest input file read (an image, a video or a request body).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Options shared by every operation.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct EngineArgs {
    /// Reference records (stand-in for MOI): a JSON array of objects with the
    /// `userInfo` fields and an optional `"photo"` path (relative to the file).
    #[arg(long, value_name = "FILE")]
    pub references: Option<PathBuf>,
    /// The SQLite reference store (see `kyc store`), asked after `--references`.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// Write intermediate artefacts (face crops with landmarks, document and
    /// MRZ crops, pose-over-time plots) under DIR. The only way anything
    /// personal reaches disk.
    #[arg(long, value_name = "DIR")]
    pub debug_dir: Option<PathBuf>,
}

/// `kyc info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// The `userInfo` fields as a JSON object.
    #[arg(long, value_name = "FILE")]
    info: PathBuf,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `kyc info-face`.
#[derive(clap::Args, Debug)]
pub struct InfoFaceArgs {
    /// The `userInfo` fields as a JSON object.
    #[arg(long, value_name = "FILE")]
    info: PathBuf,
    /// The selfie (JPEG or PNG).
    #[arg(long, value_name = "IMAGE")]
    face: PathBuf,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `kyc info-face-idcard`.
#[derive(clap::Args, Debug)]
pub struct InfoFaceIdCardArgs {
    /// The `userInfo` fields as a JSON object.
    #[arg(long, value_name = "FILE")]
    info: PathBuf,
    /// The selfie (JPEG or PNG).
    #[arg(long, value_name = "IMAGE")]
    face: PathBuf,
    /// The photo of the ID card.
    #[arg(long, value_name = "IMAGE")]
    id_image: PathBuf,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `kyc info-idcard-liveness`.
#[derive(clap::Args, Debug)]
pub struct LivenessArgs {
    /// The `userInfo` fields as a JSON object.
    #[arg(long, value_name = "FILE")]
    info: PathBuf,
    /// The photo of the ID card.
    #[arg(long, value_name = "IMAGE")]
    id_image: PathBuf,
    /// The selfie video (MP4, WebM, MOV).
    #[arg(long, value_name = "VIDEO")]
    video: PathBuf,
    /// Requested actions in order: 1 turn left, 2 turn right, 3 nod (e.g. `2,1,3`).
    #[arg(long, value_delimiter = ',', required = true)]
    actions: Vec<String>,
    /// The video is mirrored (many phone front cameras store it so).
    #[arg(long)]
    mirrored: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `kyc ocr-idcard` / `kyc ocr-passport`.
#[derive(clap::Args, Debug)]
pub struct OcrArgs {
    /// The photo of the document.
    image: PathBuf,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `kyc request`.
#[derive(clap::Args, Debug)]
pub struct RequestArgs {
    /// The operation (`info`, `info-face`, `info-face-idcard`,
    /// `info-idcard-liveness`, `ocr-idcard`, `ocr-passport`; `-v2.1` accepted).
    operation: String,
    /// The raw request body (JSON as posted to the hosted API); `-` for stdin.
    body: PathBuf,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Reads a file the user named, bounded in size, with a clear error.
pub fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let mut buf = Vec::new();
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| {
            Failure::new(
                exit::REJECTED,
                format!("cannot read {}: {e}", path.display()),
            )
        })?)
    };
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| {
            Failure::new(
                exit::REJECTED,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::new(
            exit::REJECTED,
            format!(
                "{} is larger than {} MiB",
                path.display(),
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    Ok(buf)
}

fn read_base64(path: &Path) -> Result<Value, Failure> {
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(read_input(path)?),
    ))
}

fn read_user_info(path: &Path) -> Result<Value, Failure> {
    let bytes = read_input(path)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(
            exit::USAGE,
            format!("{}: not valid JSON: {e}", path.display()),
        )
    })?;
    match value {
        // Accept either the bare fields or an object wrapping them in `userInfo`.
        Value::Object(mut obj) => match obj.remove("userInfo") {
            Some(inner @ Value::Object(_)) => Ok(inner),
            _ => Ok(Value::Object(obj)),
        },
        _ => Err(Failure::new(
            exit::USAGE,
            format!("{}: must be a JSON object", path.display()),
        )),
    }
}

/// Loads the engine and the reference records named on the command line.
pub fn load_engine(model_dir: &Path, args: &EngineArgs) -> Result<Engine, Failure> {
    let mut config = EngineConfig::new(model_dir.to_path_buf());
    config.debug_dir = args.debug_dir.clone();
    let mut engine = Engine::load(config).map_err(engine_failure)?;
    if let Some(path) = &args.references {
        let store = load_references(&engine, path)?;
        engine.add_reference_source(Arc::new(store));
    }
    if let Some(store) = crate::cmd_store::engine_store(args)? {
        engine.add_reference_source(Arc::new(store));
    }
    Ok(engine)
}

/// Maps an engine start failure to the documented exit code.
pub fn engine_failure(e: EngineError) -> Failure {
    match e {
        EngineError::Models(_) => Failure::new(exit::MODELS, e.to_string()),
        other => Failure::new(exit::MODELS, format!("cannot start the engine: {other}")),
    }
}

/// Builds an in-memory reference store from a reference file; photos are
/// embedded once here and only the embeddings are kept.
pub fn load_references(engine: &Engine, path: &Path) -> Result<MemoryStore, Failure> {
    let entries = parse_reference_entries(&read_input(path)?)
        .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let store = MemoryStore::new();
    for entry in entries {
        let face = match &entry.photo {
            None => None,
            Some(photo) => {
                let photo_path = base.join(photo);
                let bytes = read_input(&photo_path)?;
                let analysis = engine
                    .face()
                    .analyze_bytes(&bytes, &kyc_face::AnalyzeOptions::default())
                    .map_err(|e| {
                        Failure::new(
                            exit::REJECTED,
                            format!("reference photo {}: {e}", photo_path.display()),
                        )
                    })?;
                Some(analysis.embedding)
            }
        };
        store
            .insert(entry.record, face)
            .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", path.display())))?;
    }
    Ok(store)
}

/// Answers `body` for `op` and prints the envelope; exit code 1 when the
/// API's answer is an error (the JSON is printed either way).
pub fn answer(engine: &Engine, op: Operation, body: &[u8]) -> Result<(), Failure> {
    let envelope = engine.handle(op, body);
    print_envelope(&envelope)
}

/// Prints an envelope; an error envelope gives exit code 1.
pub fn print_envelope(envelope: &Envelope) -> Result<(), Failure> {
    print_json(envelope)?;
    if envelope.error == 0 {
        Ok(())
    } else {
        Err(Failure::new(
            exit::REJECTED,
            format!("error {}: {}", envelope.error, envelope.message),
        ))
    }
}

fn body(fields: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&Value::Object(fields)).unwrap_or_default()
}

/// `kyc info`.
pub fn run_info(args: InfoArgs, model_dir: &Path) -> Result<(), Failure> {
    let user = read_user_info(&args.info)?;
    let engine = load_engine(model_dir, &args.engine)?;
    let bytes = serde_json::to_vec(&user).unwrap_or_default();
    answer(&engine, Operation::Info, &bytes)
}

/// `kyc info-face`.
pub fn run_info_face(args: InfoFaceArgs, model_dir: &Path) -> Result<(), Failure> {
    let mut fields = Map::new();
    fields.insert("userInfo".into(), read_user_info(&args.info)?);
    fields.insert("faceImg".into(), read_base64(&args.face)?);
    let engine = load_engine(model_dir, &args.engine)?;
    answer(&engine, Operation::InfoFace, &body(fields))
}

/// `kyc info-face-idcard`.
pub fn run_info_face_idcard(args: InfoFaceIdCardArgs, model_dir: &Path) -> Result<(), Failure> {
    let mut fields = Map::new();
    fields.insert("userInfo".into(), read_user_info(&args.info)?);
    fields.insert("faceImg".into(), read_base64(&args.face)?);
    fields.insert("idImage".into(), read_base64(&args.id_image)?);
    let engine = load_engine(model_dir, &args.engine)?;
    answer(&engine, Operation::InfoFaceIdCard, &body(fields))
}

/// `kyc info-idcard-liveness`.
pub fn run_liveness(args: LivenessArgs, model_dir: &Path) -> Result<(), Failure> {
    let mut fields = Map::new();
    fields.insert("userInfo".into(), read_user_info(&args.info)?);
    fields.insert("actions".into(), json!(args.actions));
    fields.insert("idImage".into(), read_base64(&args.id_image)?);
    fields.insert("liveness".into(), read_base64(&args.video)?);
    if args.mirrored {
        fields.insert("mirrored".into(), json!(true));
    }
    let engine = load_engine(model_dir, &args.engine)?;
    answer(&engine, Operation::InfoIdCardLiveness, &body(fields))
}

/// `kyc ocr-idcard` and `kyc ocr-passport`.
pub fn run_ocr(op: Operation, args: OcrArgs, model_dir: &Path) -> Result<(), Failure> {
    let key = if op == Operation::OcrPassport {
        "passportImage"
    } else {
        "idImage"
    };
    let mut fields = Map::new();
    fields.insert(key.into(), read_base64(&args.image)?);
    let engine = load_engine(model_dir, &args.engine)?;
    answer(&engine, op, &body(fields))
}

/// `kyc request OPERATION BODY`.
pub fn run_request(args: RequestArgs, model_dir: &Path) -> Result<(), Failure> {
    let op = Operation::from_name(&args.operation).ok_or_else(|| {
        let names: Vec<_> = Operation::ALL.iter().map(|o| o.name()).collect();
        Failure::new(
            exit::USAGE,
            format!(
                "unknown operation `{}` (one of: {})",
                args.operation,
                names.join(", ")
            ),
        )
    })?;
    let bytes = read_input(&args.body)?;
    let engine = load_engine(model_dir, &args.engine)?;
    answer(&engine, op, &bytes)
}
