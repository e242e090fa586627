//! Reference sources: where the engine finds the record (and photo) that a
//! request is compared with. The submitted ID card is always one; the others
//! plug in through [`ReferenceSource`].

use crate::api::{ApiError, ErrorCode};
use crate::matching::{ReferenceKind, ReferenceRecord};
use kyc_face::Embedding;
use std::collections::HashMap;
use std::sync::RwLock;

/// A reference identity: the record and, when the source has one, the
/// embedding of its reference photo (never the photo itself unless the
/// operator enabled storing photos).
#[derive(Debug, Clone)]
pub struct Reference {
    /// The identity fields.
    pub record: ReferenceRecord,
    /// Embedding of the reference (government / enrolment) photo.
    pub face: Option<Embedding>,
    /// Which kind of source answered.
    pub kind: ReferenceKind,
}

/// A source of reference identities, looked up by ID number.
pub trait ReferenceSource: Send + Sync {
    /// A short name for the extension object (`"store"`, `"camdx"`).
    fn name(&self) -> &str;
    /// The record for `id_number`: `Ok(None)` when the source does not know
    /// it (the engine answers 400, as the hosted service does); `Err` when the
    /// source failed (503/504).
    fn lookup(&self, id_number: &str) -> Result<Option<Reference>, ApiError>;
}

/// An in-memory reference store: the stand-in for MOI in tests and demos.
#[derive(Default)]
pub struct MemoryStore {
    records: RwLock<HashMap<String, Reference>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a record (keyed by its ID number).
    pub fn insert(&self, record: ReferenceRecord, face: Option<Embedding>) -> Result<(), ApiError> {
        let id = record.id_number.clone().ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                "a reference record needs an idNumber",
            )
        })?;
        let mut map = self.records.write().unwrap_or_else(|p| p.into_inner());
        map.insert(
            id,
            Reference {
                record,
                face,
                kind: ReferenceKind::Store,
            },
        );
        Ok(())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReferenceSource for MemoryStore {
    fn name(&self) -> &str {
        "memory-store"
    }

    fn lookup(&self, id_number: &str) -> Result<Option<Reference>, ApiError> {
        Ok(self
            .records
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id_number.trim())
            .cloned())
    }
}

impl ReferenceRecord {
    /// A store record from identity fields in the API's `userInfo` shape.
    pub fn from_user_info(user: &crate::api::UserInfo) -> Self {
        Self {
            id_number: Some(user.id_number.clone()),
            first_name_kh: user.first_name_kh.clone(),
            last_name_kh: user.last_name_kh.clone(),
            first_name_en: user.first_name_en.clone(),
            last_name_en: user.last_name_en.clone(),
            gender: user.gender,
            dob: user.dob,
            issued_date: user.issued_date,
            expired_date: user.expired_date,
            latin_names_truncated: false,
            khmer_names_ocr: false,
        }
    }
}

/// One entry of a reference file: the identity fields in the API's
/// `userInfo` shape, and optionally the path of a reference photo.
#[derive(Debug, Clone)]
pub struct ReferenceEntry {
    /// The identity fields.
    pub record: ReferenceRecord,
    /// The reference photo's path as written in the file (relative paths are
    /// relative to the file's folder; resolving them is the caller's job).
    pub photo: Option<String>,
}

/// Parses a reference file: a JSON array of objects with the `userInfo`
/// fields (validated exactly like an `info` request) and an optional
/// `"photo"` string. Errors name the entry and the field.
pub fn parse_reference_entries(json: &[u8]) -> Result<Vec<ReferenceEntry>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| ApiError::invalid_field("references", format!("not valid JSON: {e}")))?;
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid_field("references", "must be a JSON array of records"))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let body = serde_json::to_vec(item).unwrap_or_default();
        let user = match crate::api::parse_request(crate::api::Operation::Info, &body) {
            Ok(crate::api::Request::Info(user)) => user,
            Ok(_) => {
                return Err(ApiError::invalid_field(
                    format!("references[{i}]"),
                    "not an identity record",
                ))
            }
            Err(e) => {
                let field = e.field.unwrap_or_default();
                return Err(ApiError::invalid_field(
                    format!("references[{i}].{field}"),
                    e.reason,
                ));
            }
        };
        let photo = match item.get("photo") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(p)) => Some(p.clone()),
            Some(_) => {
                return Err(ApiError::invalid_field(
                    format!("references[{i}].photo"),
                    "must be a path string",
                ))
            }
        };
        out.push(ReferenceEntry {
            record: ReferenceRecord::from_user_info(&user),
            photo,
        });
    }
    Ok(out)
}
