//! The hosted CamDigiKey KYC API's endpoints, served on the device.
//!
//! * Both path styles for every operation: `/api/2.0/kyc/<op>` and the CamDX
//!   (X-Road) style `/r1/CAMBODIA/GOV/{memberCode}/CAMDIGIKEY_KYC/<op>-v2.1`,
//!   the latter only with a well-formed `X-Road-Client` header.
//! * The envelope and error codes of the contract, with an HTTP status that
//!   agrees with the error ([`kyc_engine::api::ErrorCode::http_status`]).
//! * Bounded everything: body size, request time, CPU work on a fixed number
//!   of workers with a bounded queue; when the queue is full the answer is
//!   immediate backpressure (HTTP 503, `Retry-After`, envelope error 502 with
//!   the reason `engine saturated`), never an unbounded queue.
//! * Access control like the hosted service: an IP allowlist (error 421) and
//!   per-client quotas (error 420); binds to localhost by default.
//! * `/healthz`, `/readyz`, `/metrics` (Prometheus text), `/openapi.json`.
//! * Structured logs (one JSON line per request on stderr) with a request id,
//!   operation, error code and latency; never images, names or ID numbers.

mod access;
mod app;
pub mod gateway;
mod metrics;
mod openapi;
pub mod store;
pub mod tls;

pub use access::{IpRange, Quota};
pub use app::{router, serve, serve_listener, AppState, ServerConfig, ServerError};
pub use gateway::{ForwardPolicy, Gateway, UpstreamConfig};
pub use metrics::Metrics;
pub use openapi::openapi_document;
pub use store::{SqliteStore, StoreError, StoreOptions};
pub use tls::{serve_tls_listener, ServerTls, UpstreamTls};
