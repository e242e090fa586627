//! `kyc-load`: a bounded load generator for `kyc serve` on loopback.
//!
//! `kyc-load --url URL --body FILE [--concurrency N] [--duration-s S] [--pid PID]`
//! posts the body with N concurrent keep-alive connections for S seconds and
//! prints one JSON line: requests, throughput, p50/p99 latency, answers by
//! HTTP status and API error code, and the server's peak resident memory
//! (`VmHWM` of `--pid`) with its resident memory at the start, every tenth
//! of the run and at the end.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

struct Args {
    url: String,
    body: Bytes,
    concurrency: usize,
    duration: Duration,
    pid: Option<u32>,
}

fn usage(msg: &str) -> ! {
    eprintln!("kyc-load: {msg}\nusage: kyc-load --url URL --body FILE [--concurrency N] [--duration-s S] [--pid PID]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let (mut url, mut body, mut concurrency, mut duration, mut pid) = (None, None, 4, 30, None);
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--url" => url = Some(val()),
            "--body" => {
                let p = val();
                body = Some(std::fs::read(&p).unwrap_or_else(|e| usage(&format!("{p}: {e}"))))
            }
            "--concurrency" => concurrency = val().parse().unwrap_or_else(|_| usage("bad N")),
            "--duration-s" => duration = val().parse().unwrap_or_else(|_| usage("bad S")),
            "--pid" => pid = Some(val().parse().unwrap_or_else(|_| usage("bad PID"))),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    Args {
        url: url.unwrap_or_else(|| usage("--url is required")),
        body: Bytes::from(body.unwrap_or_else(|| usage("--body is required"))),
        concurrency: concurrency.max(1),
        duration: Duration::from_secs(duration.max(1)),
        pid,
    }
}

/// (`VmRSS`, `VmHWM`) of a process in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse_args();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let start_mem = args.pid.and_then(memory_kib);
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let url = args.url.clone();
        let body = args.body.clone();
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(f64, String)> = Vec::new();
            while Instant::now() < deadline {
                let req = hyper::Request::post(url.as_str())
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))
                    .expect("request");
                let t = Instant::now();
                let outcome = match client.request(req).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let bytes = resp.into_body().collect().await.map(|b| b.to_bytes());
                        let code = bytes
                            .ok()
                            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                            .and_then(|v| v.get("error").and_then(Value::as_i64));
                        match code {
                            Some(c) => format!("{status}/{c}"),
                            None => format!("{status}/-"),
                        }
                    }
                    Err(e) => format!("transport: {e}"),
                };
                out.push((t.elapsed().as_secs_f64() * 1000.0, outcome));
            }
            out
        }));
    }
    // Server memory every tenth of the run: flat or growing?
    let sampler = args.pid.map(|pid| {
        let step = args.duration / 10;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            for _ in 0..10 {
                tokio::time::sleep(step).await;
                if let Some((rss, _)) = memory_kib(pid) {
                    samples.push((rss as f64 / 1024.0).round());
                }
            }
            samples
        })
    });
    let mut latencies = Vec::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        for (ms, outcome) in t.await.unwrap_or_default() {
            latencies.push(ms);
            *outcomes.entry(outcome).or_default() += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss_samples = match sampler {
        Some(h) => h.await.unwrap_or_default(),
        None => Vec::new(),
    };
    latencies.sort_by(f64::total_cmp);
    let end_mem = args.pid.and_then(memory_kib);
    println!(
        "{}",
        json!({
            "url": args.url,
            "concurrency": args.concurrency,
            "duration_s": elapsed,
            "requests": latencies.len(),
            "throughput_rps": latencies.len() as f64 / elapsed,
            "p50_ms": percentile(&latencies, 0.5),
            "p99_ms": percentile(&latencies, 0.99),
            "answers": outcomes,
            "server_rss_start_mib": start_mem.map(|m| m.0 as f64 / 1024.0),
            "server_rss_end_mib": end_mem.map(|m| m.0 as f64 / 1024.0),
            "server_peak_rss_mib": end_mem.map(|m| m.1 as f64 / 1024.0),
            "server_rss_every_tenth_mib": rss_samples,
        })
    );
}
