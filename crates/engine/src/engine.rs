//! [`Engine`]: owns the loaded models and configuration and runs the six
//! operations of the hosted API.

use crate::api::{
    self, ApiError, Envelope, ErrorCode, IdCardLivenessRequest, IdCardOcrData, InfoData,
    InfoFaceData, InfoFaceIdCardData, InfoFaceIdCardRequest, LivenessData, Operation,
    PassportOcrData, Request, UserInfo,
};
use crate::debug::DebugSink;
use crate::document::{
    id_card_evidence, merge_checks, reading_checks, record_from_id_card, submitted_checks,
    CardEvidence, CardReading,
};
use crate::matching::{match_user_info, InfoMatch, ReferenceKind};
use crate::readers::ReaderPool;
use crate::reference::{Reference, ReferenceSource};
use image::{DynamicImage, RgbImage};
use kyc_face::{AnalyzeOptions, FaceAnalysis, FaceConfig, FaceError, FaceModels, MatchResult};
use kyc_liveness::CheckOptions;
use kyc_models::{ModelError, ModelSet};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The verified model directory (see `kyc_models::resolve_model_dir`).
    pub model_dir: PathBuf,
    /// Threads one request may use for its parallel parts (selfie ∥ ID card).
    pub threads_per_request: usize,
    /// Face pipeline settings.
    pub face: FaceConfig,
    /// Write intermediate artefacts (face crops, document and MRZ crops, pose
    /// plots) under this folder. Off by default: nothing personal reaches disk
    /// unless the operator asks.
    pub debug_dir: Option<PathBuf>,
}

impl EngineConfig {
    /// Defaults for a model directory: 2 threads per request.
    pub fn new(model_dir: PathBuf) -> Self {
        Self {
            model_dir,
            threads_per_request: 2,
            face: FaceConfig::default(),
            debug_dir: None,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A model file is missing, corrupt or unloadable.
    #[error(transparent)]
    Models(#[from] ModelError),
    /// The face models failed to load.
    #[error("face models: {0}")]
    Face(#[from] FaceError),
    /// The OCR models failed to load.
    #[error("OCR models: {0}")]
    Ocr(#[from] kyc_ocr::OcrError),
    /// The thread pool could not be created.
    #[error("thread pool: {0}")]
    Threads(String),
}

/// The engine: models loaded once, shared by every request (`Send + Sync`).
pub struct Engine {
    models: ModelSet,
    face: Arc<FaceModels>,
    pool: rayon::ThreadPool,
    references: Vec<Arc<dyn ReferenceSource>>,
    debug_dir: Option<PathBuf>,
    readers: ReaderPool,
    liveness: CheckOptions,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("model_dir", &self.models.dir())
            .field("references", &self.references.len())
            .finish_non_exhaustive()
    }
}

/// Per-stage timings of one request, in milliseconds.
#[derive(Debug, Default)]
struct Timings(Vec<(&'static str, f64)>);

impl Timings {
    fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push((stage, ms(t)));
        out
    }

    fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        )
    }
}

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

impl Engine {
    /// Verifies every model file and loads the models once.
    pub fn load(config: EngineConfig) -> Result<Self, EngineError> {
        let models = ModelSet::open(&config.model_dir)?;
        let face = FaceModels::load(&models, config.face)?;
        let readers = ReaderPool::new(models.dir().to_path_buf())?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads_per_request.max(1))
            .thread_name(|i| format!("kyc-engine-{i}"))
            .build()
            .map_err(|e| EngineError::Threads(e.to_string()))?;
        Ok(Self {
            models,
            face: Arc::new(face),
            pool,
            references: Vec::new(),
            debug_dir: config.debug_dir,
            readers,
            liveness: CheckOptions::default(),
        })
    }

    /// Adds a reference source; sources are asked in the order added.
    pub fn add_reference_source(&mut self, source: Arc<dyn ReferenceSource>) {
        self.references.push(source);
    }

    /// The verified model set.
    pub fn models(&self) -> &ModelSet {
        &self.models
    }

    /// The face models.
    pub fn face(&self) -> &FaceModels {
        &self.face
    }

    /// Answers a raw request body of `op` exactly as the server does.
    pub fn handle(&self, op: Operation, body: &[u8]) -> Envelope {
        let started = Instant::now();
        let debug = self
            .debug_dir
            .as_deref()
            .and_then(|dir| DebugSink::for_request(dir, op.name()));
        let result =
            api::parse_request(op, body).and_then(|req| self.run_with(req, debug.as_ref()));
        match result {
            Ok(mut data) => {
                if let Some(pre) = data
                    .get_mut(api::PRECHECK_KEY)
                    .and_then(Value::as_object_mut)
                {
                    pre.insert("total_ms".into(), json!(ms(started)));
                }
                Envelope::success(data)
            }
            Err(e) => Envelope::failure(&e),
        }
    }

    /// Runs a parsed request; the `data` object on success.
    pub fn run(&self, request: Request) -> Result<Value, ApiError> {
        self.run_with(request, None)
    }

    fn run_with(&self, request: Request, debug: Option<&DebugSink>) -> Result<Value, ApiError> {
        let data = match request {
            Request::Info(user) => to_value(self.info(&user)?),
            Request::InfoFace(r) => to_value(self.info_face(&r.user_info, &r.face_img, debug)?),
            Request::InfoFaceIdCard(r) => to_value(self.info_face_idcard(&r, debug)?),
            Request::InfoIdCardLiveness(r) => to_value(self.info_idcard_liveness(&r, debug)?),
            Request::OcrIdCard(r) => to_value(self.ocr_idcard(&r.id_image, debug)?),
            Request::OcrPassport(r) => to_value(self.ocr_passport(&r.passport_image, debug)?),
        };
        Ok(data)
    }

    /// Looks the ID number up in the configured reference sources.
    fn reference(&self, id_number: &str) -> Result<(Reference, String), ApiError> {
        if self.references.is_empty() {
            return Err(ApiError::new(
                ErrorCode::MoiConnection,
                "no reference source (reference store or upstream) is configured",
            ));
        }
        for source in &self.references {
            if let Some(found) = source.lookup(id_number)? {
                return Ok((found, source.name().to_string()));
            }
        }
        Err(ApiError::new(
            ErrorCode::IdCardNotFound,
            "the idNumber is not in any configured reference source",
        ))
    }

    /// `info`: submitted fields against the reference record.
    pub fn info(&self, user: &UserInfo) -> Result<InfoData, ApiError> {
        let mut timings = Timings::default();
        let (reference, source) =
            timings.time("reference_lookup", || self.reference(&user.id_number))?;
        let matched = match_user_info(user, &reference.record);
        let mut data = info_data(user, &matched, None);
        data.precheck = Some(json!({
            "reference": {"source": source, "kind": reference.kind},
            "fields": matched.checks,
            "document_checks": submitted_checks(user, crate::clock::today()),
            "timings_ms": timings.to_json(),
        }));
        Ok(data)
    }

    /// `info-face`: fields against the reference record, selfie against its photo.
    pub fn info_face(
        &self,
        user: &UserInfo,
        face_img: &[u8],
        debug: Option<&DebugSink>,
    ) -> Result<InfoFaceData, ApiError> {
        let mut timings = Timings::default();
        let (reference, source) =
            timings.time("reference_lookup", || self.reference(&user.id_number))?;
        let selfie = timings.time("selfie_face", || self.analyze_selfie(face_img, debug))?;
        let matched = match_user_info(user, &reference.record);
        let (moi, moi_json) = self.compare_with_reference(&selfie, &reference);
        Ok(InfoFaceData {
            user_info: info_data(user, &matched, None),
            face_moi_score: moi.map(|m| f64::from(m.score)),
            precheck: Some(json!({
                "reference": {"source": source, "kind": reference.kind},
                "fields": matched.checks,
                "selfie": face_json(&selfie),
                "faceMoi": moi_json,
                "document_checks": submitted_checks(user, crate::clock::today()),
                "timings_ms": timings.to_json(),
            })),
        })
    }

    /// `info-face-idcard`: the selfie against the ID card's portrait
    /// (`faceDocumentScore`) and the reference photo (`faceMoiScore`); the
    /// fields against the reference record, or against the card itself when
    /// no reference source is configured.
    pub fn info_face_idcard(
        &self,
        r: &InfoFaceIdCardRequest,
        debug: Option<&DebugSink>,
    ) -> Result<InfoFaceIdCardData, ApiError> {
        let mut timings = Timings::default();
        let lookup = timings.time("reference_lookup", || {
            self.lookup_optional(&r.user_info.id_number)
        })?;
        let started = Instant::now();
        let (selfie, card) = self.join(
            || {
                let t = Instant::now();
                (self.analyze_selfie(&r.face_img, debug), ms(t))
            },
            || {
                let t = Instant::now();
                (self.read_card(&r.id_image, debug), ms(t))
            },
        );
        timings.0.push(("selfie_face", selfie.1));
        timings.0.push(("id_card", card.1));
        timings.0.push(("selfie_and_id_card_parallel", ms(started)));
        let selfie = selfie.0?;
        let card = card.0?;
        let document = kyc_face::compare(
            &selfie.embedding,
            &card.face.embedding,
            self.face.config().false_match_rate,
        );
        let (reference, source) = match lookup {
            Some((reference, source)) => (reference, source),
            None => (card.reference(), "document".to_string()),
        };
        let matched = match_user_info(&r.user_info, &reference.record);
        let (moi, moi_json) = self.compare_with_reference(&selfie, &reference);
        let checks = merge_checks(
            &card.checks,
            submitted_checks(&r.user_info, crate::clock::today()),
        );
        Ok(InfoFaceIdCardData {
            user_info: info_data(&r.user_info, &matched, None),
            face_document_score: Some(f64::from(document.score)),
            face_moi_score: moi.map(|m| f64::from(m.score)),
            precheck: Some(json!({
                "reference": {"source": source, "kind": reference.kind},
                "fields": matched.checks,
                "selfie": face_json(&selfie),
                "idCard": card.to_json(),
                "faceDocument": document,
                "faceMoi": moi_json,
                "document_checks": checks,
                "timings_ms": timings.to_json(),
            })),
        })
    }

    /// Like [`Self::reference`], but `None` when no reference source is
    /// configured (the card itself is then the reference).
    fn lookup_optional(&self, id_number: &str) -> Result<Option<(Reference, String)>, ApiError> {
        if self.references.is_empty() {
            return Ok(None);
        }
        self.reference(id_number).map(Some)
    }

    /// Decodes the ID card photo once, finds its portrait (501 when there is
    /// none) and reads its fields.
    fn read_card(&self, bytes: &[u8], debug: Option<&DebugSink>) -> Result<CardEvidence, ApiError> {
        let img = kyc_face::decode_image(bytes, &self.face.config().limits)
            .map_err(|e| face_error(e, ErrorCode::IdCardFace, "idImage"))?;
        if let Some(d) = debug {
            d.save("id_card", &img);
        }
        let face = self
            .face
            .analyze_with(&img, &AnalyzeOptions::id_document())
            .map_err(|e| face_error(e, ErrorCode::IdCardFace, "idImage"))?;
        if let Some(d) = debug {
            d.save_face("id_card_face", &img, &face);
        }
        let reading = self.read_card_fields(&img, debug);
        Ok(CardEvidence::new(face, reading, crate::clock::today()))
    }

    /// Reads the card's fields (MRZ and front) with the OCR stage; a card
    /// that cannot be read is not an error here (its fields are unknown).
    fn read_card_fields(
        &self,
        img: &RgbImage,
        _debug: Option<&DebugSink>,
    ) -> Result<CardReading, String> {
        let image = DynamicImage::ImageRgb8(img.clone());
        let reading = self
            .readers
            .with(|r| r.read_id_card(&image, crate::clock::today()))
            .map_err(|e| e.to_string())?;
        Ok(CardReading {
            record: record_from_id_card(&reading),
            mrz: Some(reading.mrz.clone()),
            evidence: id_card_evidence(&reading),
        })
    }

    /// Decodes an image field (EXIF orientation applied, limits first).
    fn decode(&self, bytes: &[u8], field: &str) -> Result<RgbImage, ApiError> {
        kyc_face::decode_image(bytes, &self.face.config().limits)
            .map_err(|e| ApiError::invalid_field(field, e.to_string()))
    }

    /// `ocr-idcard`: the fields of a Khmer national ID card photo.
    pub fn ocr_idcard(
        &self,
        id_image: &[u8],
        debug: Option<&DebugSink>,
    ) -> Result<IdCardOcrData, ApiError> {
        let mut timings = Timings::default();
        let img = timings.time("decode", || self.decode(id_image, "idImage"))?;
        if let Some(d) = debug {
            d.save("id_card", &img);
        }
        let image = DynamicImage::ImageRgb8(img);
        let reading = timings
            .time("ocr", || {
                self.readers
                    .with(|r| r.read_id_card(&image, crate::clock::today()))
            })
            .map_err(|e| ocr_error(e, "idImage"))?;
        let record = record_from_id_card(&reading);
        let checks = reading_checks(&record, Some(&reading.mrz), crate::clock::today());
        let v = |f: &kyc_ocr::Field| f.value.clone();
        Ok(IdCardOcrData {
            id_number: v(&reading.id_number),
            first_name_kh: v(&reading.first_name_kh),
            last_name_kh: v(&reading.last_name_kh),
            first_name_en: v(&reading.first_name_en),
            last_name_en: v(&reading.last_name_en),
            gender: v(&reading.gender),
            dob: v(&reading.dob),
            issued_date: v(&reading.issued_date),
            expired_date: v(&reading.expired_date),
            mrz1: v(&reading.mrz_lines[0]),
            mrz2: v(&reading.mrz_lines[1]),
            mrz3: v(&reading.mrz_lines[2]),
            precheck: Some(json!({
                "evidence": id_card_evidence(&reading),
                "placeOfBirth": v(&reading.place_of_birth),
                "address": v(&reading.address),
                "document_checks": checks,
                "timings_ms": timings.to_json(),
            })),
        })
    }

    /// `ocr-passport`: the fields of a passport data page photo.
    pub fn ocr_passport(
        &self,
        image: &[u8],
        debug: Option<&DebugSink>,
    ) -> Result<PassportOcrData, ApiError> {
        let mut timings = Timings::default();
        let img = timings.time("decode", || self.decode(image, "passportImage"))?;
        if let Some(d) = debug {
            d.save("passport", &img);
        }
        let image = DynamicImage::ImageRgb8(img);
        let reading = timings
            .time("ocr", || {
                self.readers
                    .with(|r| r.read_passport(&image, crate::clock::today()))
            })
            .map_err(|e| ocr_error(e, "passportImage"))?;
        let v = |f: &kyc_ocr::Field| f.value.clone();
        let f = |field: &kyc_ocr::Field| json!({"verified_by_check_digit": field.verified_by_check_digit, "source": field.source, "reason": field.reason});
        let date = |f: &kyc_ocr::Field| f.value.as_deref().and_then(kyc_mrz::Date::from_iso);
        let checks = {
            let mut c = vec![crate::document::mrz_check(&reading.mrz)];
            c.extend(crate::document::date_checks(
                date(&reading.dob),
                None,
                date(&reading.expired_date),
                crate::clock::today(),
            ));
            c
        };
        Ok(PassportOcrData {
            expired_date: v(&reading.expired_date),
            dob: v(&reading.dob),
            document_number: v(&reading.document_number),
            nationality: v(&reading.nationality),
            gender: v(&reading.gender),
            first_name_en: v(&reading.first_name_en),
            last_name_en: v(&reading.last_name_en),
            precheck: Some(json!({
                "evidence": {
                    "fields": {
                        "document_number": f(&reading.document_number), "nationality": f(&reading.nationality),
                        "dob": f(&reading.dob), "expiredDate": f(&reading.expired_date), "gender": f(&reading.gender),
                        "firstNameEn": f(&reading.first_name_en), "lastNameEn": f(&reading.last_name_en),
                    },
                    "mrz": reading.mrz,
                },
                "document_checks": checks,
                "timings_ms": timings.to_json(),
            })),
        })
    }

    /// `info-idcard-liveness`: active liveness from the video, the best
    /// frames against the card's portrait and the reference photo, the
    /// fields against the reference (or the card).
    pub fn info_idcard_liveness(
        &self,
        r: &IdCardLivenessRequest,
        debug: Option<&DebugSink>,
    ) -> Result<LivenessData, ApiError> {
        let mut timings = Timings::default();
        let lookup = timings.time("reference_lookup", || {
            self.lookup_optional(&r.user_info.id_number)
        })?;
        let requested: Vec<kyc_liveness::Action> = r
            .actions
            .iter()
            .filter_map(|a| {
                a.code()
                    .parse::<u8>()
                    .ok()
                    .and_then(kyc_liveness::Action::from_code)
            })
            .collect();
        let started = Instant::now();
        let (live, card) = self.join(
            || {
                let t = Instant::now();
                let out = kyc_liveness::check_liveness(
                    &self.face,
                    &r.liveness,
                    &requested,
                    r.mirrored,
                    &self.liveness,
                );
                (out, ms(t))
            },
            || {
                let t = Instant::now();
                (self.read_card(&r.id_image, debug), ms(t))
            },
        );
        timings.0.push(("liveness_video", live.1));
        timings.0.push(("id_card", card.1));
        timings.0.push(("video_and_id_card_parallel", ms(started)));
        let report = live.0.map_err(liveness_error)?;
        let card = card.0?;
        if let Some(d) = debug {
            let yaw: Vec<(f64, f64)> = report
                .frames
                .iter()
                .filter_map(|f| f.obs.face.map(|o| (f.obs.t_ms / 1000.0, o.yaw_lmk)))
                .collect();
            let pitch: Vec<(f64, f64)> = report
                .frames
                .iter()
                .filter_map(|f| f.obs.face.map(|o| (f.obs.t_ms / 1000.0, o.pitch_lmk)))
                .collect();
            d.save_plot(
                "pose_over_time",
                &[
                    ("yaw", image::Rgb([220, 40, 40]), yaw),
                    ("pitch", image::Rgb([40, 40, 220]), pitch),
                ],
            );
        }
        let far = self.face.config().false_match_rate;
        let best = report
            .best_frames
            .iter()
            .map(|b| {
                (
                    b,
                    kyc_face::compare(&b.analysis.embedding, &card.face.embedding, far),
                )
            })
            .max_by(|a, b| a.1.cosine.total_cmp(&b.1.cosine));
        let Some((best_frame, document)) = best else {
            return Err(ApiError::new(
                ErrorCode::FaceRecognition,
                "no frame of the video has a usable face",
            ));
        };
        let (reference, source) = match lookup {
            Some(found) => found,
            None => (card.reference(), "document".to_string()),
        };
        let matched = match_user_info(&r.user_info, &reference.record);
        let (moi, moi_json) = self.compare_with_reference(&best_frame.analysis, &reference);
        let checks = merge_checks(
            &card.checks,
            submitted_checks(&r.user_info, crate::clock::today()),
        );
        let result = &report.result;
        Ok(LivenessData {
            user_info: info_data(&r.user_info, &matched, None),
            liveness_score: (result.score * 1e6).round() / 1e6,
            face_document_score: Some(f64::from(document.score)),
            face_moi_score: moi.map(|m| f64::from(m.score)),
            precheck: Some(json!({
                "reference": {"source": source, "kind": reference.kind},
                "fields": matched.checks,
                "liveness": {
                    "passed": result.passed,
                    "score": result.score,
                    "threshold": kyc_liveness::PASS_THRESHOLD,
                    "requested": report.requested,
                    "detected": result.detected,
                    "mirrored": report.mirrored,
                    "actions": result.events,
                    "reasons": result.reasons,
                    "signals": report.signals,
                    "video": report.video,
                    "best_frame_ms": best_frame.t_ms,
                },
                "idCard": card.to_json(),
                "faceDocument": document,
                "faceMoi": moi_json,
                "document_checks": checks,
                "timings_ms": timings.to_json(),
            })),
        })
    }

    /// Analyses the selfie: no usable face is error 500.
    fn analyze_selfie(
        &self,
        bytes: &[u8],
        debug: Option<&DebugSink>,
    ) -> Result<FaceAnalysis, ApiError> {
        let img = kyc_face::decode_image(bytes, &self.face.config().limits)
            .map_err(|e| face_error(e, ErrorCode::FaceRecognition, "faceImg"))?;
        let face = self
            .face
            .analyze_with(&img, &AnalyzeOptions::selfie())
            .map_err(|e| face_error(e, ErrorCode::FaceRecognition, "faceImg"))?;
        if let Some(d) = debug {
            d.save_face("selfie_face", &img, &face);
        }
        Ok(face)
    }

    /// The selfie against the reference photo's embedding, if the source has one.
    fn compare_with_reference(
        &self,
        selfie: &FaceAnalysis,
        reference: &Reference,
    ) -> (Option<MatchResult>, Value) {
        match &reference.face {
            Some(embedding) => {
                let m = kyc_face::compare(
                    &selfie.embedding,
                    embedding,
                    self.face.config().false_match_rate,
                );
                (Some(m), json!(m))
            }
            None if reference.kind == ReferenceKind::Document => (
                None,
                json!({"unavailable": "no reference source with photos (reference store or upstream) is configured; the card's portrait is compared in faceDocumentScore"}),
            ),
            None => (
                None,
                json!({"unavailable": "the reference source has no photo for this idNumber"}),
            ),
        }
    }

    /// Runs two closures on the engine's bounded pool, in parallel.
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        self.pool.install(|| rayon::join(a, b))
    }
}

/// Maps an OCR failure to the API: bad image 505 (naming the field), no
/// MRZ / wrong document 506 with the reason, model failures 502.
fn ocr_error(e: kyc_ocr::OcrError, field: &str) -> ApiError {
    match e.api_code() {
        505 => ApiError::invalid_field(field, e.to_string()),
        506 => ApiError::new(ErrorCode::Ocr, e.to_string()),
        _ => ApiError::new(ErrorCode::InternalService, e.to_string()),
    }
}

/// Maps a liveness failure: bad video 505, no face 500, others 502.
fn liveness_error(e: kyc_liveness::LivenessError) -> ApiError {
    match e.api_code() {
        505 => ApiError::invalid_field("liveness", e.to_string()),
        500 => ApiError::new(ErrorCode::FaceRecognition, e.to_string()),
        _ => match e {
            kyc_liveness::LivenessError::InvalidRequest(reason) => {
                ApiError::invalid_field("actions", reason)
            }
            other => ApiError::new(ErrorCode::InternalService, other.to_string()),
        },
    }
}

fn to_value(data: impl serde::Serialize) -> Value {
    serde_json::to_value(data).unwrap_or(Value::Null)
}

fn info_data(user: &UserInfo, matched: &InfoMatch, precheck: Option<Value>) -> InfoData {
    InfoData {
        id_number: user.id_number.clone(),
        score: (matched.score * 1e6).round() / 1e6,
        incorrect_fields: matched.incorrect_fields.clone(),
        precheck,
    }
}

/// The face evidence for the extension object (never the embedding).
pub(crate) fn face_json(a: &FaceAnalysis) -> Value {
    json!({
        "box": a.detection.bbox,
        "detection_score": a.detection.score,
        "quality": a.quality,
        "warnings": a.warnings,
        "other_faces": a.other_faces.len(),
        "anti_spoof": a.anti_spoof,
        "head_pose": a.head_pose,
    })
}

/// Maps a face-stage failure to the API: bad bytes are 505, no face is
/// `no_face_code` (500 selfie / 501 ID image), model failures 502.
pub(crate) fn face_error(e: FaceError, no_face_code: ErrorCode, field: &str) -> ApiError {
    match e {
        FaceError::NoFace => ApiError::new(no_face_code, format!("no face found in `{field}`")),
        FaceError::Decode(_) | FaceError::ImageTooLarge { .. } | FaceError::InvalidInput(_) => {
            ApiError::invalid_field(field, e.to_string())
        }
        other => ApiError::new(ErrorCode::InternalService, other.to_string()),
    }
}
