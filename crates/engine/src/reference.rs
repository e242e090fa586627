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
        let id = record
            .id_number
            .clone()
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "a reference record needs an idNumber"))?;
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
