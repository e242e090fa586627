//! The router, the request path (access control → body → queue → engine)
//! and the server loop with graceful shutdown.

use crate::access::{x_road_client_ok, IpRange, Quota, QuotaBook};
use crate::gateway::{self, precheck_passed, ForwardPolicy, Gateway};
use crate::metrics::Metrics;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kyc_engine::api::{ApiError, Envelope, ErrorCode, Operation};
use kyc_engine::Engine;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Server settings. The defaults bind to localhost only.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Largest accepted request body (default 48 MiB: a base64 video and an ID image).
    pub max_body_bytes: usize,
    /// Time limit for one request, from arrival to answer (default 60 s).
    pub request_timeout: Duration,
    /// Requests computed at once (default: the number of cores).
    pub workers: usize,
    /// Requests allowed to wait for a worker; beyond that, immediate backpressure.
    pub queue: usize,
    /// Client addresses allowed (empty = everyone who can reach the socket).
    pub allow: Vec<IpRange>,
    /// Per-client quota (client = `X-Road-Client` header, else IP address).
    pub quota: Option<Quota>,
    /// Accepted `memberCode`s in the X-Road path (empty = any).
    pub member_codes: Vec<String>,
    /// The CamDX upstream to forward to, if any.
    pub upstream: Option<crate::gateway::Gateway>,
    /// Serve HTTPS (optionally requiring client certificates) instead of HTTP.
    pub tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 48 << 20,
            request_timeout: Duration::from_secs(60),
            workers: cores,
            queue: 4 * cores,
            allow: Vec::new(),
            quota: None,
            member_codes: Vec::new(),
            upstream: None,
            tls: None,
        }
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The server loop failed.
    #[error("server: {0}")]
    Serve(std::io::Error),
    /// The TLS certificate, key or client CA could not be used.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Shared state of the handlers.
pub struct AppState {
    engine: Arc<Engine>,
    config: ServerConfig,
    metrics: Metrics,
    admission: Arc<Semaphore>,
    workers: Arc<Semaphore>,
    quotas: QuotaBook,
    next_id: AtomicU64,
}

impl AppState {
    /// State for an engine and a configuration.
    pub fn new(engine: Arc<Engine>, config: ServerConfig) -> Arc<Self> {
        let workers = config.workers.max(1);
        Arc::new(Self {
            admission: Arc::new(Semaphore::new(workers + config.queue)),
            workers: Arc::new(Semaphore::new(workers)),
            engine,
            config,
            metrics: Metrics::default(),
            quotas: QuotaBook::default(),
            next_id: AtomicU64::new(1),
        })
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// The router: both path styles for every operation, and the operations endpoints.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/2.0/kyc/{op}", post(legacy_path))
        .route(
            "/r1/CAMBODIA/GOV/{member}/CAMDIGIKEY_KYC/{op}",
            post(x_road_path),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(crate::openapi_document()) }),
        )
        .fallback(not_found)
        .with_state(state)
}

/// Binds and serves until Ctrl-C or SIGTERM, then stops accepting and
/// finishes the requests in flight.
pub async fn serve(state: Arc<AppState>) -> Result<(), ServerError> {
    let addr = state.config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    match &state.config.tls {
        Some(tls) => {
            let config = crate::tls::server_config(tls).map_err(ServerError::Tls)?;
            crate::tls::serve_tls_listener(listener, state, config, shutdown_signal()).await
        }
        None => serve_listener(listener, state, shutdown_signal()).await,
    }
}

/// Serves on a bound listener until `shutdown` completes, then finishes the
/// requests in flight (tests bind to port 0 and pass their own signal).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    log(&json!({"event": "listening", "addr": listener.local_addr().ok().map(|a| a.to_string())}));
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(ServerError::Serve)?;
    log(&json!({"event": "stopped"}));
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    log(&json!({"event": "shutting_down"}));
}

pub(crate) fn log(v: &Value) {
    eprintln!("{v}");
}

async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    // The engine verified every model's sha256 and loaded it before the
    // server started; report what is loaded.
    let body = json!({"ready": true, "model_dir": st.engine.models().dir().display().to_string(),
        "models": st.engine.models().names().collect::<Vec<_>>()});
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    let err = ApiError::new(ErrorCode::InvalidRequest, "no such endpoint");
    envelope_response(
        &Envelope::failure(&err),
        Some(StatusCode::NOT_FOUND),
        0,
        &[],
    )
}

async fn legacy_path(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(op): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(st, peer, &op, None, headers, body, false).await
}

async fn x_road_path(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((member, op)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(st, peer, &op, Some(member), headers, body, true).await
}

/// A failure decided by the server itself, with its HTTP status override.
struct Refusal {
    error: ApiError,
    status: Option<StatusCode>,
    retry_after: Option<Duration>,
}

impl Refusal {
    fn api(error: ApiError) -> Self {
        Self {
            error,
            status: None,
            retry_after: None,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    st: Arc<AppState>,
    peer: SocketAddr,
    op_name: &str,
    member: Option<String>,
    headers: HeaderMap,
    body: Body,
    x_road: bool,
) -> Response {
    let started = Instant::now();
    let id = st.next_id.fetch_add(1, Ordering::Relaxed);
    let op = Operation::from_name(op_name).filter(|_| !x_road || op_name.ends_with("-v2.1"));
    let op_label = op.map_or("unknown", Operation::name);
    let deadline = st.config.request_timeout;
    let outcome = match tokio::time::timeout(
        deadline,
        process(&st, peer, op, member, &headers, body, x_road),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(Refusal {
            error: ApiError::new(
                ErrorCode::InternalService,
                format!("the request took longer than {} s", deadline.as_secs()),
            ),
            status: Some(StatusCode::GATEWAY_TIMEOUT),
            retry_after: None,
        }),
    };
    let (envelope, status, retry) = match outcome {
        Ok(env) => (env, None, None),
        Err(r) => (Envelope::failure(&r.error), r.status, r.retry_after),
    };
    let seconds = started.elapsed().as_secs_f64();
    st.metrics.record(op_label, envelope.error, seconds);
    let mut stages = Vec::new();
    if let Some(t) = envelope
        .data
        .as_ref()
        .and_then(|d| d.get("precheck"))
        .and_then(|p| p.get("timings_ms"))
        .and_then(Value::as_object)
    {
        for (stage, ms) in t {
            if let Some(ms) = ms.as_f64() {
                st.metrics.record_stage(stage, ms);
                stages.push((stage.clone(), ms));
            }
        }
    }
    log(
        &json!({"request_id": id, "operation": op_label, "error": envelope.error,
        "ms": (seconds * 1e4).round() / 10.0, "peer": peer.ip().to_string()}),
    );
    let mut response = envelope_response(&envelope, status, id, &stages);
    if let Some(after) = retry {
        if let Ok(v) = HeaderValue::from_str(&after.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn process(
    st: &Arc<AppState>,
    peer: SocketAddr,
    op: Option<Operation>,
    member: Option<String>,
    headers: &HeaderMap,
    body: Body,
    x_road: bool,
) -> Result<Envelope, Refusal> {
    let cfg = &st.config;
    if !cfg.allow.is_empty() && !cfg.allow.iter().any(|r| r.contains(peer.ip())) {
        return Err(Refusal::api(ApiError::new(
            ErrorCode::IpNotAllowed,
            "the client address is not in the allowlist",
        )));
    }
    let client_header = headers.get("x-road-client").and_then(|v| v.to_str().ok());
    if x_road {
        match client_header {
            Some(c) if x_road_client_ok(c) => {}
            Some(_) => {
                return Err(Refusal::api(ApiError::invalid_field(
                    "X-Road-Client",
                    "must be INSTANCE/CLASS/MEMBER/SUBSYSTEM",
                )))
            }
            None => {
                return Err(Refusal::api(ApiError::invalid_field(
                    "X-Road-Client",
                    "is required on this path",
                )))
            }
        }
        if let Some(m) = &member {
            if !cfg.member_codes.is_empty() && !cfg.member_codes.iter().any(|c| c == m) {
                return Err(Refusal {
                    error: ApiError::invalid_field(
                        "memberCode",
                        "is not a member code this engine serves",
                    ),
                    status: Some(StatusCode::NOT_FOUND),
                    retry_after: None,
                });
            }
        }
    }
    let Some(op) = op else {
        return Err(Refusal {
            error: ApiError::invalid_field("path", "no such operation"),
            status: Some(StatusCode::NOT_FOUND),
            retry_after: None,
        });
    };
    if let Some(quota) = &cfg.quota {
        let client = client_header.map_or_else(|| peer.ip().to_string(), str::to_string);
        if let Err(retry) = st.quotas.admit(quota, &client, Instant::now()) {
            return Err(Refusal {
                error: ApiError::new(
                    ErrorCode::QuotaReached,
                    "the client's request quota is used up",
                ),
                status: None,
                retry_after: Some(retry),
            });
        }
    }
    let too_big = || Refusal {
        error: ApiError::invalid_field(
            "body",
            format!("is larger than {} bytes", cfg.max_body_bytes),
        ),
        status: Some(StatusCode::PAYLOAD_TOO_LARGE),
        retry_after: None,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cfg.max_body_bytes as u64) {
        return Err(too_big());
    }
    // Backpressure before reading the body: a full queue answers at once.
    let admitted = st.admission.clone().try_acquire_owned().map_err(|_| {
        st.metrics.record_rejected();
        Refusal {
            error: ApiError::new(
                ErrorCode::InternalService,
                "engine saturated: too many requests in progress, retry shortly",
            ),
            status: Some(StatusCode::SERVICE_UNAVAILABLE),
            retry_after: Some(Duration::from_secs(1)),
        }
    })?;
    let bytes = axum::body::to_bytes(body, cfg.max_body_bytes)
        .await
        .map_err(|e| {
            if std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit")
            {
                too_big()
            } else {
                Refusal::api(ApiError::invalid_field(
                    "body",
                    format!("could not be read: {e}"),
                ))
            }
        })?;
    st.metrics.queued.fetch_add(1, Ordering::Relaxed);
    let worker = st.workers.clone().acquire_owned().await;
    st.metrics.queued.fetch_sub(1, Ordering::Relaxed);
    let worker = worker.map_err(|_| {
        Refusal::api(ApiError::new(
            ErrorCode::InternalService,
            "the server is stopping",
        ))
    })?;
    st.metrics.running.fetch_add(1, Ordering::Relaxed);
    let engine = st.engine.clone();
    let st2 = st.clone();
    let original = bytes.clone();
    let job = tokio::task::spawn_blocking(move || {
        let envelope = engine.handle(op, &bytes);
        st2.metrics.running.fetch_sub(1, Ordering::Relaxed);
        drop(worker);
        drop(admitted);
        envelope
    });
    let local = job.await.map_err(|e| {
        Refusal::api(ApiError::new(
            ErrorCode::InternalService,
            format!("the engine failed: {e}"),
        ))
    })?;
    Ok(match &cfg.upstream {
        None => local,
        Some(gateway) => forward(gateway, op, original, local).await,
    })
}

/// Applies the operation's forwarding policy to a local answer.
async fn forward(
    gateway: &Gateway,
    op: Operation,
    body: axum::body::Bytes,
    local: Envelope,
) -> Envelope {
    match gateway.policy(op) {
        ForwardPolicy::Never => return local,
        ForwardPolicy::Always => {}
        ForwardPolicy::WhenPrecheckPasses => {
            if let Err(reason) = precheck_passed(&local) {
                return gateway::not_forwarded(local, &reason);
            }
        }
    }
    match gateway.forward(op, body).await {
        Ok(upstream) => gateway::merge(upstream, &local),
        Err(e) => {
            let local_json = serde_json::to_value(&local).unwrap_or(Value::Null);
            Envelope::failure(&e.with_details(json!({"forwarded": true, "local": local_json})))
        }
    }
}

fn envelope_response(
    envelope: &Envelope,
    status: Option<StatusCode>,
    id: u64,
    stages: &[(String, f64)],
) -> Response {
    let status = status.unwrap_or_else(|| {
        ErrorCode::from_code(envelope.error)
            .and_then(|c| StatusCode::from_u16(c.http_status()).ok())
            .unwrap_or(StatusCode::OK)
    });
    let body = serde_json::to_vec(envelope).unwrap_or_else(|_| {
        b"{\"error\":502,\"message\":\"Internal services error\",\"data\":null}".to_vec()
    });
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-request-id", v);
    }
    if !stages.is_empty() {
        let timing: Vec<String> = stages
            .iter()
            .filter(|(s, _)| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .map(|(s, ms)| format!("{s};dur={ms}"))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&timing.join(", ")) {
            response.headers_mut().insert("server-timing", v);
        }
    }
    response
}
