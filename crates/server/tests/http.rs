//! End-to-end tests: the server on an ephemeral loopback port, real HTTP
//! requests built from fixtures, both path styles, errors, limits,
//! backpressure and concurrency.

use base64::Engine as _;
use image::{ImageFormat, Rgb, RgbImage};
use kyc_engine::api::UserInfo;
use kyc_engine::matching::ReferenceRecord;
use kyc_engine::reference::MemoryStore;
use kyc_engine::{Engine, EngineConfig};
use kyc_server::{serve_listener, AppState, ServerConfig};
use serde_json::{json, Value};
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOM_ID: &str = "010682723";

fn fixture(name: &str) -> RgbImage {
    let dir = std::env::var_os("KYC_FIXTURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
        });
    image::open(dir.join(name))
        .expect("fixture (scripts/setup)")
        .to_rgb8()
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let mut engine = Engine::load(EngineConfig::new(kyc_models::resolve_model_dir(None)))
            .expect("models (scripts/setup)");
        let photo = engine
            .face()
            .analyze(&fixture("Tom_Hanks_54745.png"))
            .unwrap();
        let store = MemoryStore::new();
        let user = UserInfo {
            id_number: TOM_ID.into(),
            last_name_en: Some("HANKS".into()),
            ..UserInfo::default()
        };
        store
            .insert(
                ReferenceRecord::from_user_info(&user),
                Some(photo.embedding),
            )
            .unwrap();
        engine.add_reference_source(Arc::new(store));
        Arc::new(engine)
    })
    .clone()
}

/// Starts a server; returns its address and a handle that stops it.
async fn start(
    config: ServerConfig,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(engine(), config);
    let task = tokio::spawn(async move {
        serve_listener(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, tx, task)
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// `info` for one `idNumber`, the body an integrator sends most.
async fn post_info(addr: SocketAddr, id_number: &str) -> Reply {
    let body = json!({ "idNumber": id_number }).to_string();
    http(addr, "POST", "/api/2.0/kyc/info", &[], body.as_bytes()).await
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // A server may answer before reading a large body; ignore write errors then.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

const X_ROAD: &str = "/r1/CAMBODIA/GOV/CAMDX-20201222/CAMDIGIKEY_KYC";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_path_styles_answer_the_same_envelope() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    let body = json!({"idNumber": TOM_ID, "lastNameEn": "Hanks"}).to_string();
    let a = http(
        addr,
        "POST",
        "/api/2.0/kyc/info",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await;
    let b = http(
        addr,
        "POST",
        &format!("{X_ROAD}/info-v2.1"),
        &[
            ("Content-Type", "application/json"),
            ("X-Road-Client", "CAMBODIA/COM/BANK-001/KYC"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 200);
    let (ja, jb) = (a.json(), b.json());
    assert_eq!(ja["error"], 0);
    assert_eq!(ja["data"]["score"], 1);
    assert_eq!(jb["data"]["score"], 1);
    assert!(a.header("x-request-id").is_some());
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_road_path_requires_a_well_formed_client_header() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    let body = json!({"idNumber": TOM_ID}).to_string();
    for headers in [vec![], vec![("X-Road-Client", "CAMBODIA/COM")]] {
        let r = http(
            addr,
            "POST",
            &format!("{X_ROAD}/info-v2.1"),
            &headers,
            body.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 400);
        let j = r.json();
        assert_eq!(j["error"], 505);
        assert_eq!(j["data"]["precheck"]["field"], "X-Road-Client");
    }
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_status_agrees_with_the_error_code() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    // 400 unknown ID → 404.
    let r = post_info(addr, "1").await;
    assert_eq!((r.status, r.json()["error"].as_u64()), (404, Some(400)));
    // 505 malformed → 400.
    let r = http(addr, "POST", "/api/2.0/kyc/info", &[], b"{not json").await;
    assert_eq!((r.status, r.json()["error"].as_u64()), (400, Some(505)));
    // 500 no face in the selfie → 422.
    let blank = png(&RgbImage::from_pixel(200, 200, Rgb([120, 120, 120])));
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&blank)}).to_string();
    let r = http(addr, "POST", "/api/2.0/kyc/info-face", &[], body.as_bytes()).await;
    assert_eq!((r.status, r.json()["error"].as_u64()), (422, Some(500)));
    // Unknown operation → 404 with the envelope.
    let r = http(addr, "POST", "/api/2.0/kyc/nope", &[], b"{}").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], 505);
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_face_over_http_matches_the_reference_photo() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    let selfie = png(&fixture("Tom_Hanks_54745.png"));
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&selfie)}).to_string();
    let r = http(addr, "POST", "/api/2.0/kyc/info-face", &[], body.as_bytes()).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert!(j["data"]["faceMoiScore"].as_f64().unwrap() > 0.9, "{j}");
    assert!(r.header("server-timing").unwrap().contains("selfie_face"));
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_refused_with_413_and_the_envelope() {
    let config = ServerConfig {
        max_body_bytes: 1024,
        ..ServerConfig::default()
    };
    let (addr, stop, task) = start(config).await;
    let big = vec![b' '; 4096];
    let r = http(addr, "POST", "/api/2.0/kyc/info", &[], &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], 505);
    assert_eq!(r.json()["data"]["precheck"]["field"], "body");
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowlist_and_quota_answer_421_and_420() {
    let config = ServerConfig {
        allow: vec!["10.0.0.0/8".parse().unwrap()],
        ..ServerConfig::default()
    };
    let (addr, stop, task) = start(config).await;
    let r = post_info(addr, TOM_ID).await;
    assert_eq!((r.status, r.json()["error"].as_u64()), (403, Some(421)));
    stop.send(()).unwrap();
    task.await.unwrap();

    let config = ServerConfig {
        quota: Some("2/min".parse().unwrap()),
        ..ServerConfig::default()
    };
    let (addr, stop, task) = start(config).await;
    let body = json!({"idNumber": TOM_ID}).to_string();
    for _ in 0..2 {
        let r = http(addr, "POST", "/api/2.0/kyc/info", &[], body.as_bytes()).await;
        assert_eq!(r.status, 200);
    }
    let r = http(addr, "POST", "/api/2.0/kyc/info", &[], body.as_bytes()).await;
    assert_eq!((r.status, r.json()["error"].as_u64()), (429, Some(420)));
    assert!(r.header("retry-after").is_some());
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saturation_gives_backpressure_not_an_unbounded_queue() {
    // One worker, no queue: of several concurrent face requests, at least
    // one is turned away at once with 503 + Retry-After; none fails otherwise.
    let config = ServerConfig {
        workers: 1,
        queue: 0,
        ..ServerConfig::default()
    };
    let (addr, stop, task) = start(config).await;
    let selfie = png(&fixture("t1.jpg"));
    let body =
        Arc::new(json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&selfie)}).to_string());
    let mut handles = Vec::new();
    for _ in 0..6 {
        let body = body.clone();
        handles.push(tokio::spawn(async move {
            http(addr, "POST", "/api/2.0/kyc/info-face", &[], body.as_bytes()).await
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        let r = h.await.unwrap();
        if r.status == 503 {
            assert_eq!(r.json()["error"], 502);
            assert_eq!(r.header("retry-after").as_deref(), Some("1"));
        }
        statuses.push(r.status);
    }
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 503 || *s == 200),
        "{statuses:?}"
    );
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_all_answer_correctly() {
    // A queue long enough for all of them: none is turned away.
    let config = ServerConfig {
        queue: 32,
        ..ServerConfig::default()
    };
    let (addr, stop, task) = start(config).await;
    let mut handles = Vec::new();
    for i in 0..16 {
        handles.push(tokio::spawn(async move {
            let id = if i % 2 == 0 { TOM_ID } else { "123456789" };
            let r = post_info(addr, id).await;
            (i, r.json()["error"].as_u64().unwrap())
        }));
    }
    for h in handles {
        let (i, error) = h.await.unwrap();
        assert_eq!(error, if i % 2 == 0 { 0 } else { 400 });
    }
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    assert_eq!(http(addr, "GET", "/healthz", &[], b"").await.status, 200);
    let ready = http(addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["models"].as_array().unwrap().len(), 9);
    let _ = post_info(addr, TOM_ID).await;
    let m = http(addr, "GET", "/metrics", &[], b"").await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("kyc_requests_total{operation=\"info\",error=\"0\"} 1"),
        "{text}"
    );
    assert!(text.contains("kyc_queue_depth 0"));
    let doc = http(addr, "GET", "/openapi.json", &[], b"").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/2.0/kyc/info-face-idcard"].is_object());
    assert!(
        doc["paths"]["/r1/CAMBODIA/GOV/{memberCode}/CAMDIGIKEY_KYC/ocr-passport-v2.1"].is_object()
    );
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let (addr, stop, task) = start(ServerConfig::default()).await;
    let selfie = png(&fixture("t1.jpg"));
    let body = json!({"userInfo": {"idNumber": TOM_ID}, "faceImg": b64(&selfie)}).to_string();
    let in_flight = tokio::spawn(async move {
        http(addr, "POST", "/api/2.0/kyc/info-face", &[], body.as_bytes()).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    task.await.unwrap();
}
