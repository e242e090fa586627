//! The OpenAPI 3.1 document of the API as served here (`GET /openapi.json`).

use kyc_engine::api::{ErrorCode, Operation};
use serde_json::{json, Map, Value};

fn user_info_schema() -> Value {
    let date = json!({"type": "string", "format": "date", "description": "yyyy-MM-dd"});
    json!({
        "type": "object",
        "required": ["idNumber"],
        "properties": {
            "idNumber": {"type": "string"},
            "firstNameKh": {"type": "string"}, "lastNameKh": {"type": "string"},
            "firstNameEn": {"type": "string"}, "lastNameEn": {"type": "string"},
            "gender": {"type": "string", "enum": ["M", "F"]},
            "dob": date, "issuedDate": date, "expiredDate": date
        }
    })
}

fn request_schema(op: Operation) -> Value {
    let b64 = json!({"type": "string", "contentEncoding": "base64"});
    let user = json!({"$ref": "#/components/schemas/UserInfo"});
    match op {
        Operation::Info => user,
        Operation::InfoFace => json!({"type": "object", "required": ["userInfo", "faceImg"],
            "properties": {"userInfo": user, "faceImg": b64}}),
        Operation::InfoFaceIdCard => {
            json!({"type": "object", "required": ["userInfo", "faceImg", "idImage"],
            "properties": {"userInfo": user, "faceImg": b64, "idImage": b64}})
        }
        Operation::InfoIdCardLiveness => json!({"type": "object",
            "required": ["userInfo", "idImage", "liveness", "actions"],
            "properties": {"userInfo": user, "idImage": b64, "liveness": b64,
                "actions": {"type": "array", "items": {"type": "string", "enum": ["1", "2", "3"]},
                    "description": "1 turn left, 2 turn right, 3 nod; in this order"},
                "mirrored": {"type": "boolean", "default": false,
                    "description": "engine extension: the video is mirrored (front camera)"}}}),
        Operation::OcrIdCard => {
            json!({"type": "object", "required": ["idImage"], "properties": {"idImage": b64}})
        }
        Operation::OcrPassport => json!({"type": "object", "required": ["passportImage"],
            "properties": {"passportImage": b64}}),
    }
}

fn data_schema(op: Operation) -> Value {
    let score = json!({"type": ["number", "null"], "minimum": 0, "maximum": 1});
    let s = json!({"type": ["string", "null"]});
    let info = json!({"$ref": "#/components/schemas/InfoData"});
    let precheck = json!({"type": "object", "description": "engine extension: per-check evidence, thresholds, timings"});
    match op {
        Operation::Info => info,
        Operation::InfoFace => {
            json!({"type": "object", "properties": {"userInfo": info, "faceMoiScore": score, "precheck": precheck}})
        }
        Operation::InfoFaceIdCard => json!({"type": "object", "properties": {"userInfo": info,
            "faceDocumentScore": score, "faceMoiScore": score, "precheck": precheck}}),
        Operation::InfoIdCardLiveness => json!({"type": "object", "properties": {"userInfo": info,
            "livenessScore": score, "faceDocumentScore": score, "faceMoiScore": score, "precheck": precheck}}),
        Operation::OcrIdCard => {
            let mut p = Map::new();
            for k in [
                "idNumber",
                "firstNameKh",
                "lastNameKh",
                "firstNameEn",
                "lastNameEn",
                "gender",
                "dob",
                "issuedDate",
                "expiredDate",
                "MRZ1",
                "MRZ2",
                "MRZ3",
            ] {
                p.insert(k.into(), s.clone());
            }
            p.insert("precheck".into(), precheck);
            json!({"type": "object", "properties": p})
        }
        Operation::OcrPassport => {
            let mut p = Map::new();
            for k in [
                "expiredDate",
                "dob",
                "document_number",
                "nationality",
                "gender",
                "firstNameEn",
                "lastNameEn",
            ] {
                p.insert(k.into(), s.clone());
            }
            p.insert("precheck".into(), precheck);
            json!({"type": "object", "properties": p})
        }
    }
}

fn operation_object(op: Operation, x_road: bool) -> Value {
    let mut params = vec![];
    if x_road {
        params.push(json!({"name": "memberCode", "in": "path", "required": true, "schema": {"type": "string"}}));
        params.push(
            json!({"name": "X-Road-Client", "in": "header", "required": true,
            "schema": {"type": "string", "example": "CAMBODIA/COM/BANK-001/KYC"}}),
        );
    }
    let errors: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"error": c.code(), "message": c.message(), "http_status": c.http_status()}))
        .collect();
    json!({
        "post": {
            "operationId": format!("{}{}", op.name(), if x_road { "-v2.1" } else { "" }),
            "parameters": params,
            "requestBody": {"required": true, "content": {"application/json": {"schema": request_schema(op)}}},
            "responses": {
                "200": {"description": "error 0: Successfully",
                    "content": {"application/json": {"schema": {"allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {"type": "object", "properties": {"data": data_schema(op)}}]}}}},
                "default": {"description": "an API error; the HTTP status follows the error code",
                    "x-error-codes": errors,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}
            }
        }
    })
}

/// The OpenAPI document.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for op in Operation::ALL {
        paths.insert(
            format!("/api/2.0/kyc/{}", op.name()),
            operation_object(op, false),
        );
        paths.insert(
            format!(
                "/r1/CAMBODIA/GOV/{{memberCode}}/CAMDIGIKEY_KYC/{}-v2.1",
                op.name()
            ),
            operation_object(op, true),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "CamDigiKey KYC API (on-device engine)", "version": "2.1.0"},
        "paths": paths,
        "components": {"schemas": {
            "UserInfo": user_info_schema(),
            "InfoData": {"type": "object", "properties": {
                "idNumber": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "incorrectFields": {"type": "array", "items": {"type": "string"}},
                "precheck": {"type": "object"}}},
            "Envelope": {"type": "object", "required": ["error", "message", "data"], "properties": {
                "error": {"type": "integer"}, "message": {"type": "string"},
                "data": {"type": ["object", "null"]}}}
        }}
    })
}
