//! Prometheus metrics, rendered in the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// Latency buckets in seconds.
const BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// The server's metrics. Label values are operation names, error codes and
/// stage names only: never anything from the request.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    stages: Mutex<BTreeMap<String, Histogram>>,
    /// Requests waiting for a worker.
    pub(crate) queued: AtomicI64,
    /// Requests being computed.
    pub(crate) running: AtomicI64,
    rejected: AtomicI64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Metrics {
    /// Records one answered request.
    pub fn record(&self, operation: &str, error: u16, seconds: f64) {
        *lock(&self.requests)
            .entry((operation.to_string(), error))
            .or_default() += 1;
        lock(&self.latency)
            .entry(operation.to_string())
            .or_default()
            .observe(seconds);
    }

    /// Records one stage timing (milliseconds, from the precheck extension).
    pub fn record_stage(&self, stage: &str, millis: f64) {
        lock(&self.stages)
            .entry(stage.to_string())
            .or_default()
            .observe(millis / 1000.0);
    }

    /// Counts a request turned away because the queue was full.
    pub fn record_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP kyc_requests_total Requests answered, by operation and API error code (0 = success).\n");
        out.push_str("# TYPE kyc_requests_total counter\n");
        for ((op, code), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "kyc_requests_total{{operation=\"{op}\",error=\"{code}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP kyc_request_duration_seconds Time from request to answer, by operation.\n",
        );
        out.push_str("# TYPE kyc_request_duration_seconds histogram\n");
        for (op, h) in lock(&self.latency).iter() {
            h.render(
                &mut out,
                "kyc_request_duration_seconds",
                &format!("operation=\"{op}\""),
            );
        }
        out.push_str("# HELP kyc_stage_duration_seconds Time spent in each pipeline stage.\n");
        out.push_str("# TYPE kyc_stage_duration_seconds histogram\n");
        for (stage, h) in lock(&self.stages).iter() {
            h.render(
                &mut out,
                "kyc_stage_duration_seconds",
                &format!("stage=\"{stage}\""),
            );
        }
        out.push_str(
            "# HELP kyc_queue_depth Requests waiting for a worker.\n# TYPE kyc_queue_depth gauge\n",
        );
        let _ = writeln!(
            out,
            "kyc_queue_depth {}",
            self.queued.load(Ordering::Relaxed)
        );
        out.push_str("# HELP kyc_in_flight Requests being computed.\n# TYPE kyc_in_flight gauge\n");
        let _ = writeln!(
            out,
            "kyc_in_flight {}",
            self.running.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP kyc_rejected_total Requests turned away because the queue was full.\n",
        );
        out.push_str("# TYPE kyc_rejected_total counter\n");
        let _ = writeln!(
            out,
            "kyc_rejected_total {}",
            self.rejected.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record("info", 0, 0.02);
        m.record("info", 400, 0.3);
        m.record_stage("selfie_face", 40.0);
        let text = m.render();
        assert!(text.contains("kyc_requests_total{operation=\"info\",error=\"0\"} 1"));
        assert!(text.contains("kyc_requests_total{operation=\"info\",error=\"400\"} 1"));
        assert!(
            text.contains("kyc_request_duration_seconds_bucket{operation=\"info\",le=\"0.025\"} 1")
        );
        assert!(text.contains("kyc_request_duration_seconds_count{operation=\"info\"} 2"));
        assert!(
            text.contains("kyc_stage_duration_seconds_bucket{stage=\"selfie_face\",le=\"0.05\"} 1")
        );
    }
}
