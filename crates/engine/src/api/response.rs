//! Response `data` objects, field for field as the hosted API writes them.
//! Each carries the engine's extension object under `precheck`, omitted
//! when empty so that the bare shape is exactly the hosted one.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Writes whole numbers as integers (`"score": 1`, as the hosted API does)
/// and other values as floats.
fn score<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        s.serialize_i64(*value as i64)
    } else {
        s.serialize_f64(*value)
    }
}

fn opt_score<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => score(v, s),
        None => s.serialize_none(),
    }
}

/// `info`'s data, and `userInfo` inside the other verification responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoData {
    #[serde(rename = "idNumber")]
    pub id_number: String,
    /// Share of submitted fields that match the reference, in [0,1].
    #[serde(serialize_with = "score")]
    pub score: f64,
    /// Request field names that did not match.
    #[serde(rename = "incorrectFields")]
    pub incorrect_fields: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

/// `info-face`'s data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoFaceData {
    #[serde(rename = "userInfo")]
    pub user_info: InfoData,
    #[serde(rename = "faceMoiScore", serialize_with = "opt_score")]
    pub face_moi_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

/// `info-face-idcard`'s data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoFaceIdCardData {
    #[serde(rename = "userInfo")]
    pub user_info: InfoData,
    #[serde(rename = "faceDocumentScore", serialize_with = "opt_score")]
    pub face_document_score: Option<f64>,
    #[serde(rename = "faceMoiScore", serialize_with = "opt_score")]
    pub face_moi_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

/// `info-idcard-liveness`'s data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivenessData {
    #[serde(rename = "userInfo")]
    pub user_info: InfoData,
    #[serde(rename = "livenessScore", serialize_with = "score")]
    pub liveness_score: f64,
    #[serde(rename = "faceDocumentScore", serialize_with = "opt_score")]
    pub face_document_score: Option<f64>,
    #[serde(rename = "faceMoiScore", serialize_with = "opt_score")]
    pub face_moi_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

/// `ocr-idcard`'s data. A field that could not be read is `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdCardOcrData {
    #[serde(rename = "idNumber")]
    pub id_number: Option<String>,
    #[serde(rename = "firstNameKh")]
    pub first_name_kh: Option<String>,
    #[serde(rename = "lastNameKh")]
    pub last_name_kh: Option<String>,
    #[serde(rename = "firstNameEn")]
    pub first_name_en: Option<String>,
    #[serde(rename = "lastNameEn")]
    pub last_name_en: Option<String>,
    pub gender: Option<String>,
    pub dob: Option<String>,
    #[serde(rename = "issuedDate")]
    pub issued_date: Option<String>,
    #[serde(rename = "expiredDate")]
    pub expired_date: Option<String>,
    #[serde(rename = "MRZ1")]
    pub mrz1: Option<String>,
    #[serde(rename = "MRZ2")]
    pub mrz2: Option<String>,
    #[serde(rename = "MRZ3")]
    pub mrz3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

/// `ocr-passport`'s data (note the one snake_case key, `document_number`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassportOcrData {
    #[serde(rename = "expiredDate")]
    pub expired_date: Option<String>,
    pub dob: Option<String>,
    pub document_number: Option<String>,
    pub nationality: Option<String>,
    pub gender: Option<String>,
    #[serde(rename = "firstNameEn")]
    pub first_name_en: Option<String>,
    #[serde(rename = "lastNameEn")]
    pub last_name_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub precheck: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// Parses a seed example, re-serialises it and checks nothing changed.
    fn round_trip<T: Serialize + DeserializeOwned>(seed: &str) -> T {
        let original: Value = serde_json::from_str(seed).unwrap();
        let typed: T = serde_json::from_value(original["data"].clone()).unwrap();
        let again = serde_json::to_value(&typed).unwrap();
        assert_eq!(again, original["data"], "round trip changed the payload");
        typed
    }

    // The example payloads of the CamDigiKey KYC API 2.1.0 document.
    #[test]
    fn info_seed_round_trips() {
        let d: InfoData = round_trip(
            r#"{"error":0,"message":"Successfully","data":{"idNumber":"id_number","score":1,"incorrectFields":[]}}"#,
        );
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"idNumber":"id_number","score":1,"incorrectFields":[]}"#
        );
    }

    #[test]
    fn info_face_seed_round_trips() {
        round_trip::<InfoFaceData>(
            r#"{"error":0,"message":"Successfully","data":{"userInfo":{"idNumber":"id-card-number","score":1,"incorrectFields":[]},"faceMoiScore":0.9792682}}"#,
        );
    }

    #[test]
    fn info_face_idcard_seed_round_trips() {
        round_trip::<InfoFaceIdCardData>(
            r#"{"error":0,"message":"Successfully","data":{"userInfo":{"idNumber":"id_number","score":1,"incorrectFields":[]},"faceDocumentScore":0.9457877,"faceMoiScore":0.9792682}}"#,
        );
    }

    #[test]
    fn liveness_seed_round_trips() {
        round_trip::<LivenessData>(
            r#"{"error":0,"message":"Successfully","data":{"userInfo":{"idNumber":"010682723","score":1,"incorrectFields":[]},"livenessScore":0.9248705,"faceDocumentScore":0.94440883,"faceMoiScore":0.9769943}}"#,
        );
    }

    #[test]
    fn ocr_idcard_seed_round_trips() {
        round_trip::<IdCardOcrData>(
            r#"{"error":0,"message":"Successfully","data":{"idNumber":"id_number","firstNameKh":"first_name_kh","lastNameKh":"last_name_kh","firstNameEn":"first_name_en","lastNameEn":"last_name_en","gender":"M_or_F","dob":"yyyy-MM-dd","issuedDate":"yyyy-MM-dd","expiredDate":"yyyy-MM-dd","MRZ1":"String","MRZ2":"String","MRZ3":"String"}}"#,
        );
    }

    #[test]
    fn ocr_passport_seed_round_trips() {
        let d: PassportOcrData = round_trip(
            r#"{"error":0,"message":"Successfully","data":{"expiredDate":"expired_date","dob":"yyyy-MM-dd","document_number":"passport_number","nationality":"nationality","gender":"M_or_F","firstNameEn":"first_name","lastNameEn":"last_name"}}"#,
        );
        let keys: Vec<String> = serde_json::to_value(&d)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(keys.contains(&"document_number".to_string()));
    }

    #[test]
    fn unavailable_score_is_null_not_missing() {
        let d = InfoFaceData {
            user_info: InfoData {
                id_number: "1".into(),
                score: 0.5,
                incorrect_fields: vec!["dob".into()],
                precheck: None,
            },
            face_moi_score: None,
            precheck: Some(serde_json::json!({"faceMoiScore": "no reference photo"})),
        };
        let v = serde_json::to_value(&d).unwrap();
        assert!(v.as_object().unwrap().contains_key("faceMoiScore"));
        assert!(v["faceMoiScore"].is_null());
        assert_eq!(v["userInfo"]["score"], 0.5);
    }
}
