//! `kyc serve`: the hosted API's endpoints over HTTP.

use crate::cmd_ops::{load_engine, EngineArgs};
use crate::{exit, Failure};
use kyc_server::{AppState, IpRange, Quota, ServerConfig};
use std::net::SocketAddr;
use std::path::Path;
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
    #[command(flatten)]
    engine: EngineArgs,
}

/// Runs the server until Ctrl-C / SIGTERM.
pub fn run(args: ServeArgs, model_dir: &Path) -> Result<(), Failure> {
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
