//! Bundled sample inputs for the demo, the end-to-end tests and the
//! benchmarks: a generated Khmer ID card and passport page carrying a
//! fixture face as portrait, a selfie of the same person, a generated
//! head-turn clip, and a reference record with the reference photo's
//! embedding. Nothing here is third-party data beyond the fixture photos
//! that `scripts/setup` fetches from package registries (sha256-pinned).

use crate::api::{Gender, Operation, UserInfo};
use crate::matching::ReferenceRecord;
use crate::reference::MemoryStore;
use base64::Engine as _;
use image::{imageops, RgbImage};
use kyc_face::FaceModels;
use kyc_ocr::synth::{degrade, Degradation, Generator, Identity};
use serde_json::{json, Value};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The fixture photo used as the sample customer's face.
pub const FACE_FIXTURE: &str = "Tom_Hanks_54745.png";

/// The fixture folder: `$KYC_FIXTURE_DIR`, else `testdata/fixtures` under
/// the current directory.
pub fn fixture_dir() -> PathBuf {
    std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("testdata/fixtures"))
}

/// The sample inputs.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The generated identity.
    pub identity: Identity,
    /// A photo of the ID card (JPEG, slightly rotated).
    pub id_card: Vec<u8>,
    /// A photo of the passport data page (JPEG).
    pub passport: Vec<u8>,
    /// A selfie of the same person (JPEG, smaller and brighter than the reference).
    pub selfie: Vec<u8>,
    /// A generated clip performing [`Samples::ACTIONS`] (MP4).
    pub clip: Vec<u8>,
    /// The reference photo (the fixture itself).
    pub reference_photo: RgbImage,
}

fn jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Pastes `face` (its detected face region, with margin) into the portrait
/// box `(x, y, w, h)` in pixels.
fn paste_portrait(
    doc: &mut RgbImage,
    face: &RgbImage,
    face_box: [f32; 4],
    dst: (u32, u32, u32, u32),
) {
    let [x1, y1, x2, y2] = face_box;
    let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
    let h = (y2 - y1) * 1.9;
    let w = h * dst.2 as f32 / dst.3 as f32;
    let left = (cx - w / 2.0).max(0.0) as u32;
    let top = (cy - h / 2.0).max(0.0) as u32;
    let cw = (w as u32).min(face.width().saturating_sub(left)).max(1);
    let ch = (h as u32).min(face.height().saturating_sub(top)).max(1);
    let crop = imageops::crop_imm(face, left, top, cw, ch).to_image();
    let resized = imageops::resize(&crop, dst.2, dst.3, imageops::FilterType::Triangle);
    imageops::overlay(doc, &resized, i64::from(dst.0), i64::from(dst.1));
}

impl Samples {
    /// The actions the sample clip performs, as the API writes them.
    pub const ACTIONS: [&'static str; 3] = ["2", "1", "3"];

    /// Builds the samples from the fixture folder (see [`fixture_dir`]).
    pub fn build(fixtures: &Path, face: &FaceModels) -> Result<Self, String> {
        let path = fixtures.join(FACE_FIXTURE);
        let photo = image::open(&path)
            .map_err(|e| format!("{}: {e} (run scripts/setup)", path.display()))?
            .to_rgb8();
        let det = face
            .analyze(&photo)
            .map_err(|e| format!("{FACE_FIXTURE}: {e}"))?;
        let b = det.detection.bbox;
        let face_box = [b.x1, b.y1, b.x2, b.y2];
        let mut identity = Identity::random(2026);
        identity.surname_en = "HANKS".into();
        identity.given_en = "TOM".into();
        identity.sex = 'M';
        let generator = Generator::new().map_err(|e| e.to_string())?;

        // ID card at 12 px/mm (1027 × 648), the portrait at 4,10 mm, 21 × 27 mm.
        let ppm = 12.0f32;
        let mut card = generator
            .id_card(&identity, ppm)
            .map_err(|e| e.to_string())?
            .image;
        let mm = |v: f32| (v * ppm).round() as u32;
        paste_portrait(
            &mut card,
            &photo,
            face_box,
            (mm(4.0), mm(10.0), mm(21.0), mm(27.0)),
        );
        let photo_of_card = degrade(
            &card,
            &Degradation {
                rotation_deg: 3.0,
                width: 1280,
                jpeg_quality: Some(90),
                ..Degradation::default()
            },
            7,
        );
        // Passport page at 10 px/mm, the portrait at 6,14 mm, 32 × 40 mm.
        let ppm = 10.0f32;
        let mut page = generator
            .passport(&identity, ppm)
            .map_err(|e| e.to_string())?
            .image;
        let mm = |v: f32| (v * ppm).round() as u32;
        paste_portrait(
            &mut page,
            &photo,
            face_box,
            (mm(6.0), mm(14.0), mm(32.0), mm(40.0)),
        );

        let small = imageops::resize(
            &photo,
            photo.width() * 8 / 10,
            photo.height() * 8 / 10,
            imageops::FilterType::Triangle,
        );
        let selfie = imageops::colorops::brighten(&small, 15);

        let actions: Vec<kyc_liveness::Action> = Self::ACTIONS
            .iter()
            .filter_map(|a| a.parse().ok().and_then(kyc_liveness::Action::from_code))
            .collect();
        let clip = kyc_liveness::render_clip(
            &photo,
            face_box,
            &actions,
            &kyc_liveness::ClipSpec::default(),
        )
        .map_err(|e| format!("clip: {e}"))?;
        Ok(Self {
            identity,
            id_card: jpeg(&photo_of_card, 90)?,
            passport: jpeg(&page, 90)?,
            selfie: jpeg(&selfie, 90)?,
            clip: clip.bytes,
            reference_photo: photo,
        })
    }

    /// The identity as submitted by a kiosk (`userInfo`).
    pub fn user_info(&self) -> UserInfo {
        user_info_of(&self.identity)
    }

    /// `userInfo` as request JSON.
    pub fn user_info_json(&self) -> Value {
        let u = self.user_info();
        json!({
            "idNumber": u.id_number,
            "firstNameKh": u.first_name_kh, "lastNameKh": u.last_name_kh,
            "firstNameEn": u.first_name_en, "lastNameEn": u.last_name_en,
            "gender": u.gender.map(Gender::as_str),
            "dob": u.dob.map(|d| d.to_string()),
            "issuedDate": u.issued_date.map(|d| d.to_string()),
            "expiredDate": u.expired_date.map(|d| d.to_string()),
        })
    }

    /// The request body of `op` built from the samples.
    pub fn request_body(&self, op: Operation) -> Value {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match op {
            Operation::Info => self.user_info_json(),
            Operation::InfoFace => {
                json!({"userInfo": self.user_info_json(), "faceImg": b64(&self.selfie)})
            }
            Operation::InfoFaceIdCard => json!({
                "userInfo": self.user_info_json(), "faceImg": b64(&self.selfie), "idImage": b64(&self.id_card)}),
            Operation::InfoIdCardLiveness => json!({
                "userInfo": self.user_info_json(), "actions": Self::ACTIONS,
                "idImage": b64(&self.id_card), "liveness": b64(&self.clip)}),
            Operation::OcrIdCard => json!({"idImage": b64(&self.id_card)}),
            Operation::OcrPassport => json!({"passportImage": b64(&self.passport)}),
        }
    }

    /// A reference store (the MOI stand-in) holding the identity and the
    /// reference photo's embedding.
    pub fn reference_store(&self, face: &FaceModels) -> Result<MemoryStore, String> {
        let store = MemoryStore::new();
        let embedding = face
            .analyze(&self.reference_photo)
            .map_err(|e| format!("reference photo: {e}"))?
            .embedding;
        store
            .insert(
                ReferenceRecord::from_user_info(&self.user_info()),
                Some(embedding),
            )
            .map_err(|e| e.to_string())?;
        Ok(store)
    }

    /// Writes the samples as files (for trying the CLI by hand).
    pub fn write_to(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let files: [(&str, &[u8]); 4] = [
            ("id_card.jpg", &self.id_card),
            ("passport.jpg", &self.passport),
            ("selfie.jpg", &self.selfie),
            ("clip.mp4", &self.clip),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"))?;
        }
        let info = serde_json::to_vec_pretty(&self.user_info_json()).unwrap_or_default();
        std::fs::write(dir.join("info.json"), info).map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// The `userInfo` a kiosk would submit for a generated identity.
pub fn user_info_of(id: &Identity) -> UserInfo {
    UserInfo {
        id_number: id.number.clone(),
        first_name_kh: Some(id.given_kh.clone()),
        last_name_kh: Some(id.surname_kh.clone()),
        first_name_en: Some(id.given_en.clone()),
        last_name_en: Some(id.surname_en.clone()),
        gender: Some(if id.sex == 'F' { Gender::F } else { Gender::M }),
        dob: Some(id.dob),
        issued_date: Some(id.issued),
        expired_date: Some(id.expiry),
    }
}
