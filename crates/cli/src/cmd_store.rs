//! `kyc store`: the SQLite reference store (import, add, remove, list).

use crate::cmd_ops::{read_input, EngineArgs};
use crate::{exit, print_json, Failure};
use kyc_engine::matching::ReferenceRecord;
use kyc_engine::reference::parse_reference_entries;
use kyc_face::{AnalyzeOptions, FaceConfig, FaceModels};
use kyc_server::{SqliteStore, StoreOptions};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `kyc store` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum StoreCommand {
    /// Import records from a CSV (header: idNumber, firstNameKh, lastNameKh,
    /// firstNameEn, lastNameEn, gender, dob, issuedDate, expiredDate, photo).
    Import {
        /// The CSV file.
        #[arg(long)]
        csv: PathBuf,
        /// Folder of the photos named in the `photo` column (default: the CSV's folder).
        #[arg(long)]
        photos: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add or replace one record (`userInfo` fields as JSON) with an optional photo.
    Add {
        /// The `userInfo` fields as a JSON object.
        #[arg(long)]
        info: PathBuf,
        /// The reference photo.
        #[arg(long)]
        photo: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove a record.
    Remove {
        /// The ID number.
        id_number: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fill a sandbox store for demos and integration tests: the bundled
    /// samples' identity with its reference photo (the fixture face on the
    /// generated card), and a second generated identity with another
    /// fixture face (`astronaut.png`). Prints the records and, with
    /// `--write-samples DIR`, writes request files that match them.
    Sandbox {
        /// Fixture folder (default: `testdata/fixtures`).
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Also write the samples (card, passport, selfie, clip, info.json) here.
        #[arg(long, value_name = "DIR")]
        write_samples: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the records (ID numbers and which fields they hold).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The database file and its options.
#[derive(clap::Args, Debug)]
pub struct DbArgs {
    /// The store's database file (created if missing).
    #[arg(long, value_name = "FILE")]
    store: PathBuf,
    /// Keep reference photos in the store (default: only their embeddings).
    #[arg(long)]
    keep_photos: bool,
}

fn open(db: &DbArgs) -> Result<SqliteStore, Failure> {
    SqliteStore::open(
        &db.store,
        StoreOptions {
            keep_photos: db.keep_photos,
        },
    )
    .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))
}

fn face_models(model_dir: &Path) -> Result<FaceModels, Failure> {
    FaceModels::open(Some(model_dir), FaceConfig::default())
        .map_err(|e| Failure::new(exit::MODELS, e.to_string()))
}

fn embed(models: &FaceModels, bytes: &[u8]) -> Result<kyc_face::Embedding, String> {
    models
        .analyze_bytes(bytes, &AnalyzeOptions::default())
        .map(|a| a.embedding)
        .map_err(|e| e.to_string())
}

/// Runs a `kyc store` subcommand.
pub fn run(command: StoreCommand, model_dir: &Path) -> Result<(), Failure> {
    match command {
        StoreCommand::Import { csv, photos, db } => {
            let bytes = read_input(&csv)?;
            let store = open(&db)?;
            let models = face_models(model_dir)?;
            let dir =
                photos.unwrap_or_else(|| csv.parent().unwrap_or(Path::new(".")).to_path_buf());
            let report = store
                .import_csv(&bytes, &dir, |b| embed(&models, b))
                .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))?;
            print_json(&report)?;
            if report.refused.is_empty() {
                Ok(())
            } else {
                Err(Failure::new(
                    exit::REJECTED,
                    format!("{} row(s) refused", report.refused.len()),
                ))
            }
        }
        StoreCommand::Add { info, photo, db } => {
            let mut value: serde_json::Value = serde_json::from_slice(&read_input(&info)?)
                .map_err(|e| {
                    Failure::new(
                        exit::USAGE,
                        format!("{}: not valid JSON: {e}", info.display()),
                    )
                })?;
            if let Some(inner) = value.get("userInfo").cloned() {
                value = inner;
            }
            let json = serde_json::to_vec(&json!([value])).unwrap_or_default();
            let mut entries = parse_reference_entries(&json)
                .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", info.display())))?;
            let entry = entries.remove(0);
            let store = open(&db)?;
            let (embedding, bytes) = match &photo {
                None => (None, None),
                Some(p) => {
                    let bytes = read_input(p)?;
                    let models = face_models(model_dir)?;
                    let e = embed(&models, &bytes).map_err(|e| {
                        Failure::new(exit::REJECTED, format!("{}: {e}", p.display()))
                    })?;
                    (Some(e), Some(bytes))
                }
            };
            store
                .upsert(&entry.record, embedding.as_ref(), bytes.as_deref())
                .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))?;
            print_json(&json!({"added": entry.record.id_number, "embedding": embedding.is_some()}))
        }
        StoreCommand::Remove { id_number, db } => {
            let removed = open(&db)?
                .remove(&id_number)
                .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))?;
            print_json(&json!({"removed": removed}))?;
            if removed {
                Ok(())
            } else {
                Err(Failure::new(
                    exit::REJECTED,
                    format!("no record with idNumber {id_number}"),
                ))
            }
        }
        StoreCommand::Sandbox {
            fixtures,
            write_samples,
            db,
        } => sandbox(fixtures, write_samples, &db, model_dir),
        StoreCommand::List { db } => {
            let list = open(&db)?
                .list()
                .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))?;
            print_json(&list)
        }
    }
}

/// Second sandbox identity's face fixture.
const SECOND_FACE: &str = "astronaut.png";

fn sandbox(
    fixtures: Option<PathBuf>,
    write_samples: Option<PathBuf>,
    db: &DbArgs,
    model_dir: &Path,
) -> Result<(), Failure> {
    let fixtures = fixtures.unwrap_or_else(kyc_engine::samples::fixture_dir);
    let models = face_models(model_dir)?;
    let samples = kyc_engine::samples::Samples::build(&fixtures, &models)
        .map_err(|e| Failure::new(exit::REJECTED, e))?;
    let store = open(db)?;
    let rejected = |e: String| Failure::new(exit::REJECTED, e);
    // 1. The samples' identity, referenced by its own portrait.
    let first = ReferenceRecord::from_user_info(&samples.user_info());
    let photo = models
        .analyze(&samples.reference_photo)
        .map_err(|e| rejected(format!("{}: {e}", kyc_engine::samples::FACE_FIXTURE)))?;
    let mut png = std::io::Cursor::new(Vec::new());
    samples
        .reference_photo
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| rejected(e.to_string()))?;
    store
        .upsert(&first, Some(&photo.embedding), Some(png.get_ref()))
        .map_err(|e| rejected(e.to_string()))?;
    // 2. A generated identity with another fixture face.
    let id = kyc_ocr::synth::Identity::random(7);
    let second = ReferenceRecord::from_user_info(&kyc_engine::samples::user_info_of(&id));
    let face_path = fixtures.join(SECOND_FACE);
    let bytes = read_input(&face_path)?;
    let embedding =
        embed(&models, &bytes).map_err(|e| rejected(format!("{}: {e}", face_path.display())))?;
    store
        .upsert(&second, Some(&embedding), Some(&bytes))
        .map_err(|e| rejected(e.to_string()))?;
    if let Some(dir) = &write_samples {
        samples.write_to(dir).map_err(rejected)?;
    }
    print_json(&json!({
        "store": db.store.display().to_string(),
        "records": [
            {"idNumber": first.id_number, "face": kyc_engine::samples::FACE_FIXTURE,
             "matches": "the bundled samples (kyc demo --write-samples)"},
            {"idNumber": second.id_number, "face": SECOND_FACE},
        ],
        "photos_kept": db.keep_photos,
        "samples_written": write_samples.map(|d| d.display().to_string()),
    }))
}

/// Opens the store named by `--store` for the engine, if any.
pub fn engine_store(args: &EngineArgs) -> Result<Option<SqliteStore>, Failure> {
    args.store
        .as_ref()
        .map(|p| {
            if !p.exists() {
                return Err(Failure::new(
                    exit::USAGE,
                    format!("no reference store at {}", p.display()),
                ));
            }
            SqliteStore::open(p, StoreOptions::default())
                .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))
        })
        .transpose()
}
