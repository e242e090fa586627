//! `kyc serve`: the hosted API's endpoints over HTTP.

use crate::cmd_ops::{load_engine, EngineArgs};
use crate::{exit, Failure};
use kyc_engine::api::Operation;
use kyc_server::{
    AppState, ForwardPolicy, Gateway, IpRange, Quota, ServerConfig, ServerTls, UpstreamConfig,
    UpstreamTls,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `kyc serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Localhost by default: expose it deliberately.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Requests computed at once (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Requests allowed to wait for a worker (default: 4 per worker); beyond
    /// that the answer is immediate backpressure (HTTP 503 + Retry-After).
    #[arg(long)]
    queue: Option<usize>,
    /// Largest request body in MiB.
    #[arg(long, default_value_t = 48)]
    max_body_mib: usize,
    /// Time limit per request in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_s: u64,
    /// Allowed client addresses or CIDR ranges (repeatable; error 421 for others).
    #[arg(long = "allow-ip", value_name = "CIDR")]
    allow: Vec<IpRange>,
    /// Per-client quota, e.g. `100/min` (error 420 beyond it).
    #[arg(long)]
    quota: Option<Quota>,
    /// Accepted memberCode in the X-Road path (repeatable; default: any).
    #[arg(long = "member-code")]
    member_codes: Vec<String>,
    /// CamDX upstream base URL (the local security server), e.g. `http://10.0.0.5:8080`.
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// The service's member code on the upstream path.
    #[arg(long, default_value = "CAMDX-20201222")]
    upstream_member_code: String,
    /// This client's X-Road identity: CAMBODIA/{class}/{memberCode}/{subsystemCode}.
    #[arg(long, value_name = "ID")]
    upstream_client: Option<String>,
    /// Upstream time limit in seconds.
    #[arg(long, default_value_t = 20)]
    upstream_timeout_s: u64,
    /// PEM CA certificates an `https://` upstream's certificate must chain to.
    #[arg(long, value_name = "PEM")]
    upstream_ca: Option<PathBuf>,
    /// PEM client certificate chain presented to the upstream (with --upstream-key).
    #[arg(long, value_name = "PEM", requires = "upstream_key")]
    upstream_cert: Option<PathBuf>,
    /// PEM private key of --upstream-cert.
    #[arg(long, value_name = "PEM", requires = "upstream_cert")]
    upstream_key: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by these PEM CA certificates (mutual TLS).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// When to forward: never, always, precheck (only when the local precheck passes).
    #[arg(long, default_value = "precheck")]
    forward: ForwardPolicy,
    /// Per-operation policy, e.g. `info=never` (repeatable).
    #[arg(long = "forward-op", value_name = "OP=POLICY")]
    forward_op: Vec<String>,
    #[command(flatten)]
    engine: EngineArgs,
}

fn gateway(args: &ServeArgs) -> Result<Option<Gateway>, Failure> {
    let Some(url) = &args.upstream else {
        return Ok(None);
    };
    let client = args.upstream_client.clone().ok_or_else(|| {
        Failure::new(
            exit::USAGE,
            "--upstream needs --upstream-client CAMBODIA/CLASS/MEMBER/SUBSYSTEM",
        )
    })?;
    let mut policies = HashMap::new();
    for item in &args.forward_op {
        let (op, policy) = item.split_once('=').ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("--forward-op `{item}`: write OP=POLICY"),
            )
        })?;
        let op = Operation::from_name(op)
            .ok_or_else(|| Failure::new(exit::USAGE, format!("unknown operation `{op}`")))?;
        let policy: ForwardPolicy = policy
            .parse()
            .map_err(|e: String| Failure::new(exit::USAGE, e))?;
        policies.insert(op, policy);
    }
    Gateway::new(UpstreamConfig {
        base_url: url.clone(),
        member_code: args.upstream_member_code.clone(),
        client,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(args.upstream_timeout_s.max(1)),
        default_policy: args.forward,
        policies,
        tls: UpstreamTls {
            ca: args.upstream_ca.clone(),
            client_cert: args.upstream_cert.clone().zip(args.upstream_key.clone()),
        },
    })
    .map(Some)
    .map_err(|e| Failure::new(exit::USAGE, e))
}

/// Runs the server until Ctrl-C / SIGTERM.
pub fn run(args: ServeArgs, model_dir: &Path) -> Result<(), Failure> {
    let upstream = gateway(&args)?;
    let engine = load_engine(model_dir, &args.engine)?;
    let defaults = ServerConfig::default();
    let workers = args.workers.unwrap_or(defaults.workers).max(1);
    let config = ServerConfig {
        listen: args.listen,
        max_body_bytes: args.max_body_mib << 20,
        request_timeout: Duration::from_secs(args.timeout_s.max(1)),
        workers,
        queue: args.queue.unwrap_or(4 * workers),
        allow: args.allow,
        quota: args.quota,
        member_codes: args.member_codes,
        upstream,
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| ServerTls {
                cert,
                key,
                client_ca: args.tls_client_ca,
            }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::REJECTED, format!("cannot start the runtime: {e}")))?;
    let state = AppState::new(Arc::new(engine), config);
    runtime
        .block_on(kyc_server::serve(state))
        .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))
}
