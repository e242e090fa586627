//! Request parsing: strict where the hosted API is (dates, gender, actions,
//! base64), tolerant where clients differ (field order, unknown fields,
//! whitespace in base64, a `data:` URL prefix).

use super::ApiError;
use base64::Engine as _;
use kyc_mrz::Date;
use serde_json::{Map, Value};

/// The six operations of the hosted API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Info,
    InfoFace,
    InfoFaceIdCard,
    InfoIdCardLiveness,
    OcrIdCard,
    OcrPassport,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 6] = [
        Operation::Info,
        Operation::InfoFace,
        Operation::InfoFaceIdCard,
        Operation::InfoIdCardLiveness,
        Operation::OcrIdCard,
        Operation::OcrPassport,
    ];

    /// The name in the URL (`/api/2.0/kyc/<name>`, `…/<name>-v2.1`).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Info => "info",
            Operation::InfoFace => "info-face",
            Operation::InfoFaceIdCard => "info-face-idcard",
            Operation::InfoIdCardLiveness => "info-idcard-liveness",
            Operation::OcrIdCard => "ocr-idcard",
            Operation::OcrPassport => "ocr-passport",
        }
    }

    /// Looks an operation up by its URL name (with or without `-v2.1`).
    pub fn from_name(name: &str) -> Option<Operation> {
        let name = name.strip_suffix("-v2.1").unwrap_or(name);
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Gender as the API writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    M,
    F,
}

impl Gender {
    /// `"M"` or `"F"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::M => "M",
            Gender::F => "F",
        }
    }
}

/// The submitted identity fields. `None` = not submitted (absent, `null` or
/// an empty string); only submitted fields count in `info`'s score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    pub id_number: String,
    pub first_name_kh: Option<String>,
    pub last_name_kh: Option<String>,
    pub first_name_en: Option<String>,
    pub last_name_en: Option<String>,
    pub gender: Option<Gender>,
    pub dob: Option<Date>,
    pub issued_date: Option<Date>,
    pub expired_date: Option<Date>,
}

impl UserInfo {
    /// The request field names of the submitted fields other than `idNumber`, in API order.
    pub fn submitted_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs: [(&'static str, bool); 8] = [
            ("firstNameKh", self.first_name_kh.is_some()),
            ("lastNameKh", self.last_name_kh.is_some()),
            ("firstNameEn", self.first_name_en.is_some()),
            ("lastNameEn", self.last_name_en.is_some()),
            ("gender", self.gender.is_some()),
            ("dob", self.dob.is_some()),
            ("issuedDate", self.issued_date.is_some()),
            ("expiredDate", self.expired_date.is_some()),
        ];
        for (name, present) in pairs {
            if present {
                out.push(name);
            }
        }
        out
    }
}

/// A requested liveness action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `"1"`: turn the face to the subject's own left.
    TurnLeft,
    /// `"2"`: turn the face to the subject's own right.
    TurnRight,
    /// `"3"`: nod (down, then back up).
    Nod,
}

impl Action {
    /// The API's code: `"1"`, `"2"` or `"3"`.
    pub fn code(self) -> &'static str {
        match self {
            Action::TurnLeft => "1",
            Action::TurnRight => "2",
            Action::Nod => "3",
        }
    }

    /// Parses `"1"`, `"2"` or `"3"`.
    pub fn from_code(code: &str) -> Option<Action> {
        match code.trim() {
            "1" => Some(Action::TurnLeft),
            "2" => Some(Action::TurnRight),
            "3" => Some(Action::Nod),
            _ => None,
        }
    }
}

/// The ordered list of requested actions.
pub type Actions = Vec<Action>;

/// `info-face`.
#[derive(Debug, Clone, PartialEq)]
pub struct InfoFaceRequest {
    pub user_info: UserInfo,
    pub face_img: Vec<u8>,
}

/// `info-face-idcard`.
#[derive(Debug, Clone, PartialEq)]
pub struct InfoFaceIdCardRequest {
    pub user_info: UserInfo,
    pub face_img: Vec<u8>,
    pub id_image: Vec<u8>,
}

/// `info-idcard-liveness`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdCardLivenessRequest {
    pub user_info: UserInfo,
    pub actions: Actions,
    /// The engine's addition: the video's frames are mirrored (a selfie preview).
    pub mirrored: bool,
    pub id_image: Vec<u8>,
    pub liveness: Vec<u8>,
}

/// `ocr-idcard`.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrIdCardRequest {
    pub id_image: Vec<u8>,
}

/// `ocr-passport`.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPassportRequest {
    pub passport_image: Vec<u8>,
}

/// A parsed request of any operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Info(UserInfo),
    InfoFace(InfoFaceRequest),
    InfoFaceIdCard(InfoFaceIdCardRequest),
    InfoIdCardLiveness(IdCardLivenessRequest),
    OcrIdCard(OcrIdCardRequest),
    OcrPassport(OcrPassportRequest),
}

/// Parses a request body of `op`. Every failure is a 505 naming the field.
pub fn parse_request(op: Operation, body: &[u8]) -> Result<Request, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_field("body", format!("not valid JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::invalid_field("body", "the request body must be a JSON object"))?;
    Ok(match op {
        Operation::Info => Request::Info(parse_user_info(obj, "")?),
        Operation::InfoFace => Request::InfoFace(InfoFaceRequest {
            user_info: parse_user_info(nested(obj, "userInfo")?, "userInfo.")?,
            face_img: base64_field(obj, "faceImg")?,
        }),
        Operation::InfoFaceIdCard => Request::InfoFaceIdCard(InfoFaceIdCardRequest {
            user_info: parse_user_info(nested(obj, "userInfo")?, "userInfo.")?,
            face_img: base64_field(obj, "faceImg")?,
            id_image: base64_field(obj, "idImage")?,
        }),
        Operation::InfoIdCardLiveness => Request::InfoIdCardLiveness(IdCardLivenessRequest {
            actions: parse_actions(obj)?,
            mirrored: parse_mirrored(obj)?,
            user_info: parse_user_info(nested(obj, "userInfo")?, "userInfo.")?,
            id_image: base64_field(obj, "idImage")?,
            liveness: base64_field(obj, "liveness")?,
        }),
        Operation::OcrIdCard => Request::OcrIdCard(OcrIdCardRequest {
            id_image: base64_field(obj, "idImage")?,
        }),
        Operation::OcrPassport => Request::OcrPassport(OcrPassportRequest {
            passport_image: base64_field(obj, "passportImage")?,
        }),
    })
}

fn nested<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, ApiError> {
    match obj.get(key) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(ApiError::invalid_field(key, "must be a JSON object")),
        None => Err(ApiError::invalid_field(key, "is required")),
    }
}

/// A string field; absent, `null` and `""` all mean "not submitted".
fn optional_string(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(ApiError::invalid_field(
            format!("{prefix}{key}"),
            "must be a string",
        )),
    }
}

fn optional_date(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<Date>, ApiError> {
    match optional_string(obj, key, prefix)? {
        None => Ok(None),
        Some(s) => Date::from_iso(&s).map(Some).ok_or_else(|| {
            ApiError::invalid_field(
                format!("{prefix}{key}"),
                format!("`{s}` is not a valid yyyy-MM-dd date"),
            )
        }),
    }
}

fn parse_user_info(obj: &Map<String, Value>, prefix: &str) -> Result<UserInfo, ApiError> {
    let id_number = optional_string(obj, "idNumber", prefix)?
        .ok_or_else(|| ApiError::invalid_field(format!("{prefix}idNumber"), "is required"))?;
    if id_number.chars().count() > 32 || !id_number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_field(
            format!("{prefix}idNumber"),
            "must be 1-32 letters or digits",
        ));
    }
    let gender = match optional_string(obj, "gender", prefix)?.as_deref() {
        None => None,
        Some("M") => Some(Gender::M),
        Some("F") => Some(Gender::F),
        Some(other) => {
            return Err(ApiError::invalid_field(
                format!("{prefix}gender"),
                format!("`{other}` is not \"M\" or \"F\""),
            ))
        }
    };
    Ok(UserInfo {
        id_number,
        first_name_kh: optional_string(obj, "firstNameKh", prefix)?,
        last_name_kh: optional_string(obj, "lastNameKh", prefix)?,
        first_name_en: optional_string(obj, "firstNameEn", prefix)?,
        last_name_en: optional_string(obj, "lastNameEn", prefix)?,
        gender,
        dob: optional_date(obj, "dob", prefix)?,
        issued_date: optional_date(obj, "issuedDate", prefix)?,
        expired_date: optional_date(obj, "expiredDate", prefix)?,
    })
}

/// Decodes a base64 image or video. Tolerates ASCII whitespace (line-wrapped
/// base64), a `data:…;base64,` prefix and missing padding.
fn base64_field(obj: &Map<String, Value>, key: &str) -> Result<Vec<u8>, ApiError> {
    let text = match obj.get(key) {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => return Err(ApiError::invalid_field(key, "is required")),
        Some(_) => return Err(ApiError::invalid_field(key, "must be a base64 string")),
    };
    decode_base64(text).map_err(|reason| ApiError::invalid_field(key, reason))
}

/// Decodes base64 as the request parser does (see [`parse_request`]).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut body = text.trim();
    if body.starts_with("data:") {
        body = body
            .split_once(',')
            .map(|(_, rest)| rest)
            .ok_or("a data: URL without a comma")?;
    }
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err("is empty".to_string());
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(compact.as_bytes())
        .map_err(|e| format!("is not valid base64: {e}"))
}

fn parse_actions(obj: &Map<String, Value>) -> Result<Actions, ApiError> {
    let list = match obj.get("actions") {
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "actions",
                "must be a list such as [\"2\",\"1\",\"3\"]",
            ))
        }
        None => return Err(ApiError::invalid_field("actions", "is required")),
    };
    if list.is_empty() {
        return Err(ApiError::invalid_field(
            "actions",
            "must name at least one action",
        ));
    }
    if list.len() > 10 {
        return Err(ApiError::invalid_field("actions", "at most 10 actions"));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let code = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            Action::from_code(&code).ok_or_else(|| {
                ApiError::invalid_field(
                    format!("actions[{i}]"),
                    format!("{v} is not an action (\"1\" left, \"2\" right, \"3\" nod)"),
                )
            })
        })
        .collect()
}

fn parse_mirrored(obj: &Map<String, Value>) -> Result<bool, ApiError> {
    match obj.get("mirrored") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::invalid_field("mirrored", "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;

    const SEED_INFO: &str = r#"{ "idNumber" : "010682723", "firstNameKh" : "សុខ", "lastNameKh" : "ដារា",
        "firstNameEn" : "DARA", "lastNameEn" : "SOK", "gender" : "M", "dob" : "1990-01-01",
        "issuedDate" : "2020-06-09", "expiredDate" : "2030-06-08" }"#;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn info_request_of_the_seed_shape_parses() {
        let Request::Info(u) = parse_request(Operation::Info, SEED_INFO.as_bytes()).unwrap() else {
            panic!("wrong operation")
        };
        assert_eq!(u.id_number, "010682723");
        assert_eq!(u.gender, Some(Gender::M));
        assert_eq!(u.dob, Date::new(1990, 1, 1));
        assert_eq!(u.submitted_fields().len(), 8);
    }

    #[test]
    fn liveness_request_of_the_seed_shape_parses() {
        let body = format!(
            r#"{{"actions":["2","1","3"],"userInfo":{SEED_INFO},"idImage":"{}","liveness":"{}"}}"#,
            b64(b"card"),
            b64(b"video")
        );
        let Request::InfoIdCardLiveness(r) =
            parse_request(Operation::InfoIdCardLiveness, body.as_bytes()).unwrap()
        else {
            panic!("wrong operation")
        };
        assert_eq!(
            r.actions,
            vec![Action::TurnRight, Action::TurnLeft, Action::Nod]
        );
        assert!(!r.mirrored);
        assert_eq!(r.id_image, b"card");
        assert_eq!(r.liveness, b"video");
    }

    fn err_field(op: Operation, body: &str) -> (ErrorCode, String) {
        let e = parse_request(op, body.as_bytes()).unwrap_err();
        (e.code, e.field.unwrap_or_default())
    }

    #[test]
    fn malformed_date_is_505_naming_the_field() {
        let body = SEED_INFO.replace("1990-01-01", "01/01/1990");
        assert_eq!(
            err_field(Operation::Info, &body),
            (ErrorCode::InvalidRequest, "dob".into())
        );
        let body = SEED_INFO.replace("2030-06-08", "2030-02-30");
        assert_eq!(
            err_field(Operation::Info, &body),
            (ErrorCode::InvalidRequest, "expiredDate".into())
        );
    }

    #[test]
    fn gender_must_be_m_or_f() {
        let body = SEED_INFO.replace(r#""M""#, r#""male""#);
        assert_eq!(
            err_field(Operation::Info, &body),
            (ErrorCode::InvalidRequest, "gender".into())
        );
    }

    #[test]
    fn unknown_action_is_505_naming_its_index() {
        let body = format!(
            r#"{{"actions":["2","4"],"userInfo":{SEED_INFO},"idImage":"{0}","liveness":"{0}"}}"#,
            b64(b"x")
        );
        assert_eq!(
            err_field(Operation::InfoIdCardLiveness, &body),
            (ErrorCode::InvalidRequest, "actions[1]".into())
        );
    }

    #[test]
    fn invalid_base64_is_505_naming_the_field() {
        let body = format!(r#"{{"userInfo":{SEED_INFO},"faceImg":"@@@not base64@@@"}}"#);
        assert_eq!(
            err_field(Operation::InfoFace, &body),
            (ErrorCode::InvalidRequest, "faceImg".into())
        );
    }

    #[test]
    fn missing_image_and_missing_id_number_are_named() {
        assert_eq!(
            err_field(Operation::OcrIdCard, "{}"),
            (ErrorCode::InvalidRequest, "idImage".into())
        );
        assert_eq!(
            err_field(
                Operation::InfoFace,
                r#"{"userInfo":{"dob":"1990-01-01"},"faceImg":"AAAA"}"#
            ),
            (ErrorCode::InvalidRequest, "userInfo.idNumber".into())
        );
    }

    #[test]
    fn not_json_is_505() {
        assert_eq!(
            err_field(Operation::Info, "{nope"),
            (ErrorCode::InvalidRequest, "body".into())
        );
        assert_eq!(
            err_field(Operation::Info, "[1,2]"),
            (ErrorCode::InvalidRequest, "body".into())
        );
    }

    #[test]
    fn tolerant_of_unknown_fields_order_and_wrapped_base64() {
        let wrapped = r"aGVs\nbG8g\r\nd29y bGQ"; // JSON escapes, as a client sends them
        let body =
            format!(r#"{{"extra":{{"a":1}},"passportImage":"data:image/jpeg;base64,{wrapped}"}}"#);
        let Request::OcrPassport(r) =
            parse_request(Operation::OcrPassport, body.as_bytes()).unwrap()
        else {
            panic!("wrong operation")
        };
        assert_eq!(r.passport_image, b"hello world");
    }

    #[test]
    fn empty_strings_are_not_submitted_fields() {
        let Request::Info(u) = parse_request(
            Operation::Info,
            br#"{"idNumber":"123456789","firstNameKh":"","dob":null}"#,
        )
        .unwrap() else {
            panic!("wrong operation")
        };
        assert!(u.submitted_fields().is_empty());
    }

    #[test]
    fn operation_names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(
                Operation::from_name(&format!("{}-v2.1", op.name())),
                Some(op)
            );
        }
        assert_eq!(Operation::from_name("nope"), None);
    }
}
