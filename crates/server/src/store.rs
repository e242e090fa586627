//! The reference store: identity records with the hosted API's fields and
//! reference face embeddings in an embedded SQLite database. It stands in
//! for MOI in development and demos, or holds a bank's own enrolled
//! customers. Reference photos are kept only when the operator enables it;
//! by default only the embedding is stored.
//!
//! Schema changes are numbered migrations tracked in `PRAGMA user_version`.

use kyc_engine::api::{ApiError, ErrorCode, Gender};
use kyc_engine::matching::{ReferenceKind, ReferenceRecord};
use kyc_engine::reference::{parse_reference_entries, Reference, ReferenceSource};
use kyc_face::{Embedding, EMBEDDING_DIM};
use kyc_mrz::Date;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

/// The migrations, in order; `user_version` = how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: identity records and reference embeddings.
    "CREATE TABLE records (
        id_number     TEXT PRIMARY KEY NOT NULL,
        first_name_kh TEXT, last_name_kh TEXT,
        first_name_en TEXT, last_name_en TEXT,
        gender        TEXT CHECK (gender IN ('M', 'F')),
        dob           TEXT, issued_date TEXT, expired_date TEXT,
        embedding     BLOB,
        updated_at    INTEGER NOT NULL
    );",
    // 2: optional reference photos (only written when the operator enables it).
    "ALTER TABLE records ADD COLUMN photo BLOB;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// A reference store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened, migrated, read or written.
    #[error("reference store: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database was written by a newer build.
    #[error("reference store: schema version {found} is newer than this build's {supported}")]
    TooNew {
        /// Version in the file.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// A record or an import row is invalid.
    #[error("reference store: {0}")]
    Invalid(String),
    /// A file could not be read.
    #[error("reference store: {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Options of a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    /// Keep the reference photos themselves (default: only their embeddings).
    pub keep_photos: bool,
}

/// One record as `kyc store list` shows it (no names or photos).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSummary {
    /// The ID number.
    pub id_number: String,
    /// Request field names the record holds.
    pub fields: Vec<&'static str>,
    /// Whether a reference embedding is stored.
    pub has_embedding: bool,
    /// Whether the photo itself is stored.
    pub has_photo: bool,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Records added or replaced.
    pub imported: usize,
    /// Rows refused, with the row number (1 = first data row) and why.
    pub refused: Vec<(usize, String)>,
}

/// The SQLite reference store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    options: StoreOptions,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn embedding_blob(e: &Embedding) -> Vec<u8> {
    e.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn blob_embedding(b: &[u8]) -> Option<Embedding> {
    if b.len() != EMBEDDING_DIM * 4 {
        return None;
    }
    Embedding::from_raw(
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`. A new
    /// file is made readable by its owner only.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        let existed = path.exists();
        let conn = Connection::open(path)?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let _ = existed;
        Self::with_connection(conn, options)
    }

    /// An in-memory store (tests, demos).
    pub fn open_in_memory(options: StoreOptions) -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory()?, options)
    }

    fn with_connection(mut conn: Connection, options: StoreOptions) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            options,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Adds or replaces a record, with its reference embedding and (only
    /// when the store keeps photos) the photo.
    pub fn upsert(
        &self,
        record: &ReferenceRecord,
        embedding: Option<&Embedding>,
        photo: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let id = record
            .id_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| StoreError::Invalid("a record needs an idNumber".into()))?;
        let date = |d: Option<Date>| d.map(|d| d.to_string());
        let photo = if self.options.keep_photos {
            photo
        } else {
            None
        };
        self.conn().execute(
            "INSERT INTO records (id_number, first_name_kh, last_name_kh, first_name_en, last_name_en,
                 gender, dob, issued_date, expired_date, embedding, photo, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(id_number) DO UPDATE SET
                 first_name_kh = excluded.first_name_kh, last_name_kh = excluded.last_name_kh,
                 first_name_en = excluded.first_name_en, last_name_en = excluded.last_name_en,
                 gender = excluded.gender, dob = excluded.dob, issued_date = excluded.issued_date,
                 expired_date = excluded.expired_date, embedding = excluded.embedding,
                 photo = excluded.photo, updated_at = excluded.updated_at",
            params![
                id,
                record.first_name_kh,
                record.last_name_kh,
                record.first_name_en,
                record.last_name_en,
                record.gender.map(Gender::as_str),
                date(record.dob),
                date(record.issued_date),
                date(record.expired_date),
                embedding.map(embedding_blob),
                photo,
                now_secs(),
            ],
        )?;
        Ok(())
    }

    /// Removes a record; whether it existed.
    pub fn remove(&self, id_number: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM records WHERE id_number = ?1",
            [id_number.trim()],
        )? > 0)
    }

    /// Every record, by ID number (which fields it holds; never the values).
    pub fn list(&self) -> Result<Vec<StoredSummary>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id_number, first_name_kh IS NOT NULL, last_name_kh IS NOT NULL, first_name_en IS NOT NULL,
                    last_name_en IS NOT NULL, gender IS NOT NULL, dob IS NOT NULL, issued_date IS NOT NULL,
                    expired_date IS NOT NULL, embedding IS NOT NULL, photo IS NOT NULL
             FROM records ORDER BY id_number",
        )?;
        let names = [
            "firstNameKh",
            "lastNameKh",
            "firstNameEn",
            "lastNameEn",
            "gender",
            "dob",
            "issuedDate",
            "expiredDate",
        ];
        let rows = stmt.query_map([], |r| {
            let mut fields = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if r.get::<_, bool>(i + 1)? {
                    fields.push(*name);
                }
            }
            Ok(StoredSummary {
                id_number: r.get(0)?,
                fields,
                has_embedding: r.get(9)?,
                has_photo: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The record and embedding for an ID number.
    pub fn get(&self, id_number: &str) -> Result<Option<Reference>, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT id_number, first_name_kh, last_name_kh, first_name_en, last_name_en, gender,
                        dob, issued_date, expired_date, embedding
                 FROM records WHERE id_number = ?1",
                [id_number.trim()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        [r.get::<_, Option<String>>(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                        r.get::<_, Option<String>>(5)?,
                        [r.get::<_, Option<String>>(6)?, r.get(7)?, r.get(8)?],
                        r.get::<_, Option<Vec<u8>>>(9)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, [fkh, lkh, fen, len], gender, [dob, issued, expired], blob)) = row else {
            return Ok(None);
        };
        let date = |s: Option<String>| s.and_then(|s| Date::from_iso(&s));
        let face =
            match blob {
                None => None,
                Some(b) => Some(blob_embedding(&b).ok_or_else(|| {
                    StoreError::Invalid(format!("the embedding of {id} is corrupt"))
                })?),
            };
        Ok(Some(Reference {
            record: ReferenceRecord {
                id_number: Some(id),
                first_name_kh: fkh,
                last_name_kh: lkh,
                first_name_en: fen,
                last_name_en: len,
                gender: match gender.as_deref() {
                    Some("M") => Some(Gender::M),
                    Some("F") => Some(Gender::F),
                    _ => None,
                },
                dob: date(dob),
                issued_date: date(issued),
                expired_date: date(expired),
                latin_names_truncated: false,
                khmer_names_ocr: false,
            },
            face,
            kind: ReferenceKind::Store,
        }))
    }

    /// Imports a CSV with a header row naming the `userInfo` fields
    /// (`idNumber` required; `firstNameKh`, `lastNameKh`, `firstNameEn`,
    /// `lastNameEn`, `gender`, `dob`, `issuedDate`, `expiredDate` optional)
    /// and an optional `photo` column (a file in `photo_dir`). Each row is
    /// validated like an `info` request; a bad row is refused with its
    /// reason and the others are imported. `embed` turns a photo's bytes
    /// into its embedding.
    pub fn import_csv(
        &self,
        csv_bytes: &[u8],
        photo_dir: &Path,
        embed: impl Fn(&[u8]) -> Result<Embedding, String>,
    ) -> Result<ImportReport, StoreError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(csv_bytes);
        let headers = reader
            .headers()
            .map_err(|e| StoreError::Invalid(format!("CSV header: {e}")))?
            .clone();
        if !headers.iter().any(|h| h == "idNumber") {
            return Err(StoreError::Invalid(
                "the CSV header must name an `idNumber` column".into(),
            ));
        }
        let mut report = ImportReport::default();
        for (i, row) in reader.records().enumerate() {
            let line = i + 1;
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    report.refused.push((line, format!("unreadable row: {e}")));
                    continue;
                }
            };
            let mut obj = serde_json::Map::new();
            for (h, v) in headers.iter().zip(row.iter()) {
                if !v.is_empty() {
                    obj.insert(h.to_string(), serde_json::Value::String(v.to_string()));
                }
            }
            let json =
                serde_json::to_vec(&serde_json::Value::Array(vec![serde_json::Value::Object(
                    obj,
                )]))
                .unwrap_or_default();
            let entry = match parse_reference_entries(&json) {
                Ok(mut e) if e.len() == 1 => e.remove(0),
                Ok(_) => continue,
                Err(e) => {
                    report.refused.push((line, e.to_string()));
                    continue;
                }
            };
            let (embedding, photo) = match &entry.photo {
                None => (None, None),
                Some(name) => {
                    let path = photo_dir.join(name);
                    match std::fs::read(&path) {
                        Err(e) => {
                            report
                                .refused
                                .push((line, format!("photo {}: {e}", path.display())));
                            continue;
                        }
                        Ok(bytes) => match embed(&bytes) {
                            Ok(e) => (Some(e), Some(bytes)),
                            Err(reason) => {
                                report
                                    .refused
                                    .push((line, format!("photo {}: {reason}", path.display())));
                                continue;
                            }
                        },
                    }
                }
            };
            self.upsert(&entry.record, embedding.as_ref(), photo.as_deref())?;
            report.imported += 1;
        }
        Ok(report)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl ReferenceSource for SqliteStore {
    fn name(&self) -> &str {
        "store"
    }

    fn lookup(&self, id_number: &str) -> Result<Option<Reference>, ApiError> {
        self.get(id_number)
            .map_err(|e| ApiError::new(ErrorCode::MoiConnection, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(i: usize) -> Embedding {
        let mut v = vec![0.0f32; EMBEDDING_DIM];
        v[i] = 1.0;
        Embedding::from_raw(v).unwrap()
    }

    fn record(id: &str) -> ReferenceRecord {
        ReferenceRecord {
            id_number: Some(id.into()),
            first_name_en: Some("Sokha".into()),
            last_name_kh: Some("សុខ".into()),
            gender: Some(Gender::F),
            dob: Date::from_iso("1990-02-28"),
            ..ReferenceRecord::default()
        }
    }

    #[test]
    fn upsert_get_remove_round_trip() {
        let s = SqliteStore::open_in_memory(StoreOptions::default()).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        s.upsert(&record("123456789"), Some(&unit(3)), Some(b"jpeg"))
            .unwrap();
        let got = s.get("123456789").unwrap().unwrap();
        assert_eq!(got.record, record("123456789"));
        assert_eq!(got.face.unwrap().cosine(&unit(3)), 1.0);
        let listed = s.list().unwrap();
        assert_eq!(
            listed[0].fields,
            ["lastNameKh", "firstNameEn", "gender", "dob"]
        );
        assert!(!listed[0].has_photo, "photos are not kept unless enabled");
        assert!(s.remove("123456789").unwrap());
        assert!(s.get("123456789").unwrap().is_none());
        assert!(!s.remove("123456789").unwrap());
    }

    #[test]
    fn photos_kept_only_when_enabled() {
        let s = SqliteStore::open_in_memory(StoreOptions { keep_photos: true }).unwrap();
        s.upsert(&record("1"), None, Some(b"jpeg")).unwrap();
        assert!(s.list().unwrap()[0].has_photo);
    }

    #[test]
    fn unknown_id_is_none_so_the_engine_answers_400() {
        let s = SqliteStore::open_in_memory(StoreOptions::default()).unwrap();
        assert!(s.lookup("999").unwrap().is_none());
    }

    #[test]
    fn reopening_a_file_keeps_records_and_does_not_remigrate() {
        let dir = std::env::temp_dir().join(format!("kyc-store-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        let _ = std::fs::remove_file(&path);
        {
            let s = SqliteStore::open(&path, StoreOptions::default()).unwrap();
            s.upsert(&record("42"), None, None).unwrap();
        }
        let s = SqliteStore::open(&path, StoreOptions::default()).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(s.get("42").unwrap().is_some());
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = SqliteStore::with_connection(conn, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    }

    #[test]
    fn csv_import_validates_each_row() {
        let s = SqliteStore::open_in_memory(StoreOptions::default()).unwrap();
        let csv = "idNumber,firstNameEn,dob,gender,photo\n\
                   111111111,Dara,1985-01-31,M,\n\
                   222222222,Bopha,1985-02-30,F,\n\
                   333333333,Vanna,1979-12-01,X,\n\
                   444444444,Chan,1990-06-01,M,missing.jpg\n";
        let report = s
            .import_csv(csv.as_bytes(), Path::new("/nonexistent"), |_| Ok(unit(0)))
            .unwrap();
        assert_eq!(report.imported, 1);
        let refused: Vec<usize> = report.refused.iter().map(|r| r.0).collect();
        assert_eq!(refused, [2, 3, 4]);
        assert!(report.refused[0].1.contains("dob"));
        assert!(report.refused[1].1.contains("gender"));
        assert!(s.get("111111111").unwrap().is_some());
    }
}
