//! Regression: `kyc` runs Tesseract with one OpenMP thread even when the
//! operator did not set `OMP_THREAD_LIMIT`. libgomp reads the variable when
//! it is loaded, before `main`, so the binary starts itself again with it
//! set; setting it from `main` (the earlier fix) left `kyc eval ocr` four
//! times slower and its time budget cutting reads short.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KYC: &str = env!("CARGO_BIN_EXE_kyc");

/// The environment the process `pid` was started (or last exec'd) with.
fn start_environment(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// Starts `kyc mrz` (which waits for MRZ lines on stdin) with the given
/// `OMP_THREAD_LIMIT`, and returns its value as the running process was
/// started with it, once the process has read its arguments.
fn thread_limit_seen(limit: Option<&str>) -> Option<String> {
    let mut command = Command::new(KYC);
    command
        .arg("mrz")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match limit {
        Some(v) => command.env("OMP_THREAD_LIMIT", v),
        None => command.env_remove("OMP_THREAD_LIMIT"),
    };
    let mut child = command.spawn().unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = None;
    while Instant::now() < deadline {
        let env = start_environment(pid);
        seen = env
            .iter()
            .find_map(|v| v.strip_prefix("OMP_THREAD_LIMIT=").map(str::to_string));
        if seen.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(child.stdin.take());
    let _ = child.wait();
    seen
}

#[test]
fn tesseract_gets_one_openmp_thread_without_the_operator_asking() {
    assert_eq!(thread_limit_seen(None).as_deref(), Some("1"));
}

#[test]
fn the_operators_openmp_thread_limit_is_kept() {
    assert_eq!(thread_limit_seen(Some("2")).as_deref(), Some("2"));
}
