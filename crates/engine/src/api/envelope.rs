use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The error codes of the hosted API (release 2.1.0, section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: the ID number is not in the reference source.
    IdCardNotFound,
    /// 420: the client's quota is spent.
    QuotaReached,
    /// 421: the client's address is not allowed.
    IpNotAllowed,
    /// 500: no usable face in the selfie or video.
    FaceRecognition,
    /// 501: no usable face on the ID card image.
    IdCardFace,
    /// 502: an internal service failed.
    InternalService,
    /// 503: the upstream (MOI / CamDX) could not be reached.
    MoiConnection,
    /// 504: the upstream answered with unusable data.
    MoiData,
    /// 505: the request is invalid (or an internal error the hosted API lumps in).
    InvalidRequest,
    /// 506: OCR failed (no document, no MRZ).
    Ocr,
    /// 507: the OCR service could not be reached.
    OcrNetwork,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::IdCardNotFound,
        ErrorCode::QuotaReached,
        ErrorCode::IpNotAllowed,
        ErrorCode::FaceRecognition,
        ErrorCode::IdCardFace,
        ErrorCode::InternalService,
        ErrorCode::MoiConnection,
        ErrorCode::MoiData,
        ErrorCode::InvalidRequest,
        ErrorCode::Ocr,
        ErrorCode::OcrNetwork,
    ];

    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            ErrorCode::IdCardNotFound => 400,
            ErrorCode::QuotaReached => 420,
            ErrorCode::IpNotAllowed => 421,
            ErrorCode::FaceRecognition => 500,
            ErrorCode::IdCardFace => 501,
            ErrorCode::InternalService => 502,
            ErrorCode::MoiConnection => 503,
            ErrorCode::MoiData => 504,
            ErrorCode::InvalidRequest => 505,
            ErrorCode::Ocr => 506,
            ErrorCode::OcrNetwork => 507,
        }
    }

    /// The hosted API's message, verbatim.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::IdCardNotFound => "Id card not exists in the system",
            ErrorCode::QuotaReached => "Request quota reached",
            ErrorCode::IpNotAllowed => "IP address is not allowed to request",
            ErrorCode::FaceRecognition => {
                "Problem with facial recognition from requested image/video"
            }
            ErrorCode::IdCardFace => "Problem detecting face from submitted Idcard Image",
            ErrorCode::InternalService => "Internal services error",
            ErrorCode::MoiConnection => "Problem with connection to MOI service",
            ErrorCode::MoiData => "Problem with data from MOI service",
            ErrorCode::InvalidRequest => "Invalid request or internal server error.",
            ErrorCode::Ocr => "OCR service error",
            ErrorCode::OcrNetwork => "OCR service network problem",
        }
    }

    /// Looks a numeric code up.
    pub fn from_code(code: u16) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The HTTP status that goes with the code (release 2.1.0 "fixed HTTP
    /// header status": 200 only for success). The mapping:
    ///
    /// | error | HTTP |
    /// |---|---|
    /// | 400 id card not found | 404 Not Found |
    /// | 420 quota | 429 Too Many Requests |
    /// | 421 IP not allowed | 403 Forbidden |
    /// | 500, 501 face problems, 506 OCR | 422 Unprocessable Content |
    /// | 502 internal | 500 Internal Server Error |
    /// | 503 upstream unreachable, 504 bad upstream data | 502 Bad Gateway |
    /// | 505 invalid request | 400 Bad Request |
    /// | 507 OCR network | 503 Service Unavailable |
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::IdCardNotFound => 404,
            ErrorCode::QuotaReached => 429,
            ErrorCode::IpNotAllowed => 403,
            ErrorCode::FaceRecognition | ErrorCode::IdCardFace | ErrorCode::Ocr => 422,
            ErrorCode::InternalService => 500,
            ErrorCode::MoiConnection | ErrorCode::MoiData => 502,
            ErrorCode::InvalidRequest => 400,
            ErrorCode::OcrNetwork => 503,
        }
    }
}

/// A failed operation: the hosted API's code plus the engine's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The code the client sees in `error`.
    pub code: ErrorCode,
    /// The request field at fault, as named in the request (`userInfo.dob`), if any.
    pub field: Option<String>,
    /// Why, in words: goes to `data.precheck.reason`.
    pub reason: String,
    /// Extra evidence for the extension object (e.g. MRZ checks, face warnings).
    pub details: Option<Box<Value>>,
}

impl ApiError {
    /// An error with a reason.
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            reason: reason.into(),
            details: None,
        }
    }

    /// A 505 naming the request field at fault.
    pub fn invalid_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidRequest,
            field: Some(field.into()),
            reason: reason.into(),
            details: None,
        }
    }

    /// Attaches evidence for the extension object.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code.code(), self.reason)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The response envelope: `{"error": int, "message": string, "data": object|null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub error: u16,
    pub message: String,
    pub data: Option<Value>,
}

impl Envelope {
    /// `error: 0, message: "Successfully"` with `data`.
    pub fn success(data: Value) -> Self {
        Self {
            error: 0,
            message: "Successfully".to_string(),
            data: Some(data),
        }
    }

    /// The hosted API's error envelope. The explanation goes under
    /// `data.precheck` so that strict clients, which read only `error` and
    /// `message`, are unaffected.
    pub fn failure(err: &ApiError) -> Self {
        let mut precheck = serde_json::Map::new();
        precheck.insert("reason".into(), Value::String(err.reason.clone()));
        if let Some(field) = &err.field {
            precheck.insert("field".into(), Value::String(field.clone()));
        }
        if let Some(details) = &err.details {
            precheck.insert("details".into(), (**details).clone());
        }
        let mut data = serde_json::Map::new();
        data.insert(super::PRECHECK_KEY.into(), Value::Object(precheck));
        Self {
            error: err.code.code(),
            message: err.code.message().to_string(),
            data: Some(Value::Object(data)),
        }
    }

    /// The HTTP status that agrees with `error` (see [`ErrorCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        if self.error == 0 {
            200
        } else {
            ErrorCode::from_code(self.error).map_or(500, ErrorCode::http_status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_are_the_hosted_apis() {
        let table: Vec<(u16, &str)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.code(), c.message()))
            .collect();
        assert_eq!(
            table,
            vec![
                (400, "Id card not exists in the system"),
                (420, "Request quota reached"),
                (421, "IP address is not allowed to request"),
                (
                    500,
                    "Problem with facial recognition from requested image/video"
                ),
                (501, "Problem detecting face from submitted Idcard Image"),
                (502, "Internal services error"),
                (503, "Problem with connection to MOI service"),
                (504, "Problem with data from MOI service"),
                (505, "Invalid request or internal server error."),
                (506, "OCR service error"),
                (507, "OCR service network problem"),
            ]
        );
    }

    #[test]
    fn http_status_is_200_only_for_success() {
        assert_eq!(Envelope::success(serde_json::json!({})).http_status(), 200);
        for code in ErrorCode::ALL {
            let env = Envelope::failure(&ApiError::new(code, "x"));
            assert_ne!(env.http_status(), 200, "{code:?}");
            assert!(env.http_status() >= 400);
        }
    }

    #[test]
    fn success_envelope_has_the_exact_shape() {
        let env = Envelope::success(
            serde_json::json!({"idNumber": "010682723", "score": 1, "incorrectFields": []}),
        );
        let text = serde_json::to_string(&env).unwrap();
        assert_eq!(
            text,
            r#"{"error":0,"message":"Successfully","data":{"idNumber":"010682723","score":1,"incorrectFields":[]}}"#
        );
    }

    #[test]
    fn failure_envelope_explains_under_precheck() {
        let env = Envelope::failure(&ApiError::invalid_field(
            "userInfo.dob",
            "not a yyyy-MM-dd date",
        ));
        let v = serde_json::to_value(&env).unwrap();
        assert_eq!(v["error"], 505);
        assert_eq!(v["message"], "Invalid request or internal server error.");
        assert_eq!(v["data"]["precheck"]["field"], "userInfo.dob");
        assert_eq!(v["data"]["precheck"]["reason"], "not a yyyy-MM-dd date");
    }
}
