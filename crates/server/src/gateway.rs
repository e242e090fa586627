//! The CamDX gateway: forwards a request to the hosted KYC service (MOI
//! behind CamDX) when the operator's policy says so, typically only once
//! the local precheck has passed, so that quota is spent only on captures
//! that can succeed.
//!
//! The caller's body is forwarded byte for byte. The upstream's answer is
//! returned with the local precheck added under `data.precheck`. Failures:
//! no connection or no answer in time → 503; an answer that is not the
//! contract's envelope → 504.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kyc_engine::api::{ApiError, Envelope, ErrorCode, Operation};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// When to forward an operation upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardPolicy {
    /// Answer locally only.
    Never,
    /// Forward every request (the local precheck is still attached).
    Always,
    /// Forward only when the local precheck passed; otherwise answer locally.
    WhenPrecheckPasses,
}

impl std::str::FromStr for ForwardPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "never" => Ok(Self::Never),
            "always" => Ok(Self::Always),
            "precheck" | "when-precheck-passes" => Ok(Self::WhenPrecheckPasses),
            other => Err(format!(
                "unknown forwarding policy `{other}` (never, always, precheck)"
            )),
        }
    }
}

/// The upstream service.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Base URL of the CamDX security server, e.g. `http://10.0.0.5:8080`.
    pub base_url: String,
    /// The service's member code in the path (`CAMDX-20201222` development,
    /// `CAMDX-000003` production).
    pub member_code: String,
    /// This client's X-Road identity for the `X-Road-Client` header:
    /// `CAMBODIA/{class}/{memberCode}/{subsystemCode}`.
    pub client: String,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for the whole upstream exchange.
    pub timeout: Duration,
    /// Policy for operations not listed in `policies`.
    pub default_policy: ForwardPolicy,
    /// Per-operation policies.
    pub policies: HashMap<Operation, ForwardPolicy>,
    /// Trust anchors and client certificate for an `https://` upstream.
    pub tls: crate::tls::UpstreamTls,
}

/// Largest upstream answer accepted.
const MAX_ANSWER_BYTES: usize = 8 << 20;

/// The gateway: a pooled HTTP client for the upstream.
#[derive(Debug, Clone)]
pub struct Gateway {
    config: UpstreamConfig,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Gateway {
    /// A gateway for `config`; the base URL is `http://host[:port]` (the
    /// CamDX security server on the local network) or `https://host[:port]`
    /// with `config.tls` naming the CA and, usually, a client certificate.
    pub fn new(config: UpstreamConfig) -> Result<Self, String> {
        let uri: hyper::Uri = config
            .base_url
            .parse()
            .map_err(|e| format!("upstream URL `{}`: {e}", config.base_url))?;
        let https = uri.scheme_str() == Some("https");
        if !(https || uri.scheme_str() == Some("http")) || uri.host().is_none() {
            return Err(format!(
                "upstream URL `{}`: must be http://host[:port] or https://host[:port]",
                config.base_url
            ));
        }
        let tls = if https {
            crate::tls::client_config(&config.tls)?
        } else {
            // Plain HTTP: the TLS layer is never used.
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
        };
        if !crate::access::x_road_client_ok(&config.client) {
            return Err(format!(
                "X-Road client `{}`: must be INSTANCE/CLASS/MEMBER/SUBSYSTEM",
                config.client
            ));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { config, client })
    }

    /// The policy for `op`.
    pub fn policy(&self, op: Operation) -> ForwardPolicy {
        self.config
            .policies
            .get(&op)
            .copied()
            .unwrap_or(self.config.default_policy)
    }

    /// The upstream URL of `op`.
    pub fn url(&self, op: Operation) -> String {
        format!(
            "{}/r1/CAMBODIA/GOV/{}/CAMDIGIKEY_KYC/{}-v2.1",
            self.config.base_url.trim_end_matches('/'),
            self.config.member_code,
            op.name()
        )
    }

    /// Sends `body` unchanged and returns the upstream's envelope.
    pub async fn forward(&self, op: Operation, body: Bytes) -> Result<Envelope, ApiError> {
        let request = hyper::Request::post(self.url(op))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("X-Road-Client", &self.config.client)
            .body(Full::new(body))
            .map_err(|e| {
                ApiError::new(ErrorCode::MoiConnection, format!("upstream request: {e}"))
            })?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                ApiError::new(
                    ErrorCode::MoiConnection,
                    format!("upstream unreachable: {}", error_chain(&e)),
                )
            })?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::MoiConnection,
                        format!("upstream answer cut off: {e}"),
                    )
                })?
                .to_bytes();
            Ok::<_, ApiError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.config.timeout, exchange)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::MoiConnection,
                    format!(
                        "upstream did not answer within {} s",
                        self.config.timeout.as_secs()
                    ),
                )
            })??;
        parse_upstream(status.as_u16(), &bytes)
    }
}

/// An error with its causes (a TLS refusal is a cause of a connect error).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// Checks that the upstream answered the contract's envelope.
pub fn parse_upstream(status: u16, bytes: &[u8]) -> Result<Envelope, ApiError> {
    let bad = |why: String| {
        ApiError::new(
            ErrorCode::MoiData,
            format!("upstream answer (HTTP {status}): {why}"),
        )
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    let error = obj
        .get("error")
        .and_then(Value::as_u64)
        .and_then(|e| u16::try_from(e).ok())
        .ok_or_else(|| bad("no integer `error`".into()))?;
    let message = obj
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no string `message`".into()))?;
    let data = match obj.get("data") {
        None | Some(Value::Null) => None,
        Some(d @ Value::Object(_)) => Some(d.clone()),
        Some(_) => return Err(bad("`data` is neither an object nor null".into())),
    };
    if error == 0 && data.is_none() {
        return Err(bad("success without `data`".into()));
    }
    if error == 0 && !(200..300).contains(&status) {
        return Err(bad("success envelope with a failure status".into()));
    }
    Ok(Envelope {
        error,
        message: message.to_string(),
        data,
    })
}

/// Whether the local answer is good enough to spend an upstream call on:
/// success, every face comparison a match, liveness passed, no failed
/// document check. `Err` says why not.
pub fn precheck_passed(local: &Envelope) -> Result<(), String> {
    if local.error != 0 {
        return Err(format!("the local precheck answered error {}", local.error));
    }
    let pre = local
        .data
        .as_ref()
        .and_then(|d| d.get("precheck"))
        .cloned()
        .unwrap_or(Value::Null);
    for key in ["faceDocument", "faceMoi"] {
        if pre.get(key).and_then(|m| m.get("is_match")) == Some(&Value::Bool(false)) {
            return Err(format!("{key}: the faces do not match"));
        }
    }
    if pre.get("liveness").and_then(|l| l.get("passed")) == Some(&Value::Bool(false)) {
        return Err("liveness failed".into());
    }
    if let Some(checks) = pre.get("document_checks").and_then(Value::as_array) {
        if let Some(failed) = checks
            .iter()
            .find(|c| c.get("passed") == Some(&Value::Bool(false)))
        {
            return Err(format!(
                "document check `{}` failed: {}",
                failed.get("check").and_then(Value::as_str).unwrap_or("?"),
                failed.get("detail").and_then(Value::as_str).unwrap_or("")
            ));
        }
    }
    Ok(())
}

/// The upstream's envelope with the local precheck under `data.precheck`.
pub fn merge(upstream: Envelope, local: &Envelope) -> Envelope {
    let mut local_data = local.data.clone().unwrap_or(Value::Null);
    let local_precheck = local_data
        .as_object_mut()
        .and_then(|d| d.remove("precheck"))
        .unwrap_or(Value::Null);
    let precheck = json!({
        "forwarded": true,
        "local": {"error": local.error, "data": local_data, "precheck": local_precheck},
    });
    let mut data = match upstream.data {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    data.insert("precheck".into(), precheck);
    Envelope {
        error: upstream.error,
        message: upstream.message,
        data: Some(Value::Object(data)),
    }
}

/// The local envelope, saying why it was not forwarded.
pub fn not_forwarded(mut local: Envelope, reason: &str) -> Envelope {
    let data = local.data.get_or_insert_with(|| Value::Object(Map::new()));
    if let Some(obj) = data.as_object_mut() {
        let pre = obj
            .entry("precheck")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(p) = pre.as_object_mut() {
            p.insert("forwarded".into(), Value::Bool(false));
            p.insert(
                "not_forwarded_reason".into(),
                Value::String(reason.to_string()),
            );
        }
    }
    local
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_envelopes_are_validated() {
        assert!(parse_upstream(
            200,
            br#"{"error":0,"message":"Successfully","data":{"score":1}}"#
        )
        .is_ok());
        let e = parse_upstream(
            200,
            br#"{"error":400,"message":"Id card not exists in the system","data":null}"#,
        )
        .unwrap();
        assert_eq!(e.error, 400);
        for bad in [
            &b"<html>"[..],
            br#"{"message":"x"}"#,
            br#"{"error":0,"message":"ok"}"#,
            b"[]",
        ] {
            assert_eq!(
                parse_upstream(200, bad).unwrap_err().code,
                ErrorCode::MoiData
            );
        }
        assert_eq!(
            parse_upstream(500, br#"{"error":0,"message":"Successfully","data":{}}"#)
                .unwrap_err()
                .code,
            ErrorCode::MoiData
        );
    }

    #[test]
    fn precheck_gate() {
        let ok = Envelope::success(json!({"precheck": {"faceMoi": {"is_match": true}}}));
        assert!(precheck_passed(&ok).is_ok());
        let mismatch =
            Envelope::success(json!({"precheck": {"faceDocument": {"is_match": false}}}));
        assert!(precheck_passed(&mismatch)
            .unwrap_err()
            .contains("faceDocument"));
        let expired = Envelope::success(
            json!({"precheck": {"document_checks": [{"check": "not_expired", "passed": false, "detail": "expired"}]}}),
        );
        assert!(precheck_passed(&expired)
            .unwrap_err()
            .contains("not_expired"));
        let failed = Envelope::failure(&ApiError::new(ErrorCode::FaceRecognition, "no face"));
        assert!(precheck_passed(&failed).is_err());
    }

    #[test]
    fn merge_keeps_upstream_fields_and_adds_local_precheck() {
        let upstream =
            Envelope::success(json!({"idNumber": "1", "score": 1, "incorrectFields": []}));
        let local = Envelope::success(
            json!({"idNumber": "1", "score": 0.5, "incorrectFields": ["dob"], "precheck": {"x": 1}}),
        );
        let m = merge(upstream, &local);
        let d = m.data.unwrap();
        assert_eq!(d["score"], 1);
        assert_eq!(d["precheck"]["local"]["data"]["score"], 0.5);
        assert_eq!(d["precheck"]["local"]["precheck"]["x"], 1);
        assert_eq!(d["precheck"]["forwarded"], true);
    }

    #[test]
    fn config_is_validated() {
        let cfg = |url: &str, client: &str| UpstreamConfig {
            base_url: url.into(),
            member_code: "CAMDX-20201222".into(),
            client: client.into(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            default_policy: ForwardPolicy::WhenPrecheckPasses,
            policies: HashMap::new(),
            tls: Default::default(),
        };
        assert!(Gateway::new(cfg("ftp://x", "CAMBODIA/COM/B/K")).is_err());
        assert!(Gateway::new(cfg("http://127.0.0.1:9", "CAMBODIA/COM")).is_err());
        let g = Gateway::new(cfg("http://127.0.0.1:9/", "CAMBODIA/COM/B/K")).unwrap();
        assert_eq!(
            g.url(Operation::Info),
            "http://127.0.0.1:9/r1/CAMBODIA/GOV/CAMDX-20201222/CAMDIGIKEY_KYC/info-v2.1"
        );
    }
}
