//! The CamDX gateway against a fake upstream on loopback that implements
//! the contract, including its faults: slow, 5xx, garbage JSON, connection
//! reset, nothing listening.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use axum::Router;
use kyc_engine::api::UserInfo;
use kyc_engine::matching::ReferenceRecord;
use kyc_engine::reference::MemoryStore;
use kyc_engine::{Engine, EngineConfig};
use kyc_server::{serve_listener, AppState, ForwardPolicy, Gateway, ServerConfig, UpstreamConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ID: &str = "123456789";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    Slow,
    ServerError,
    Garbage,
    NotFound,
}

#[derive(Default)]
struct Seen {
    requests: Vec<(String, Option<String>, Vec<u8>)>,
}

struct Fake {
    mode: Mode,
    seen: Mutex<Seen>,
}

async fn fake_handler(
    State(fake): State<Arc<Fake>>,
    Path((member, op)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let client = headers
        .get("x-road-client")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    fake.seen
        .lock()
        .unwrap()
        .requests
        .push((format!("{member}/{op}"), client, body.to_vec()));
    match fake.mode {
        Mode::Ok => (
            StatusCode::OK,
            json!({"error": 0, "message": "Successfully", "data": {"idNumber": ID, "score": 1, "incorrectFields": []}}).to_string(),
        ),
        Mode::NotFound => (
            StatusCode::NOT_FOUND,
            json!({"error": 400, "message": "Id card not exists in the system", "data": null}).to_string(),
        ),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, "{}".into())
        }
        Mode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded".into()),
        Mode::Garbage => (StatusCode::OK, "{\"error\": 0, \"message\": ".into()),
    }
}

async fn fake_upstream(mode: Mode) -> (SocketAddr, Arc<Fake>) {
    let fake = Arc::new(Fake {
        mode,
        seen: Mutex::new(Seen::default()),
    });
    let app = Router::new()
        .route(
            "/r1/CAMBODIA/GOV/{member}/CAMDIGIKEY_KYC/{op}",
            routing::post(fake_handler),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, fake)
}

/// A listener that accepts and immediately resets every connection.
async fn resetting_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).await;
                drop(s);
            }
        }
    });
    addr
}

fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let mut engine = Engine::load(EngineConfig::new(kyc_models::resolve_model_dir(None)))
            .expect("models (scripts/setup)");
        let store = MemoryStore::new();
        let user = UserInfo {
            id_number: ID.into(),
            last_name_en: Some("DARA".into()),
            expired_date: kyc_mrz::Date::from_iso("2035-01-01"),
            ..UserInfo::default()
        };
        store
            .insert(ReferenceRecord::from_user_info(&user), None)
            .unwrap();
        engine.add_reference_source(Arc::new(store));
        Arc::new(engine)
    })
    .clone()
}

fn gateway(upstream: SocketAddr, policy: ForwardPolicy) -> Gateway {
    Gateway::new(UpstreamConfig {
        base_url: format!("http://{upstream}"),
        member_code: "CAMDX-20201222".into(),
        client: "CAMBODIA/COM/BANK-001/KYC".into(),
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        default_policy: policy,
        policies: HashMap::new(),
        tls: Default::default(),
    })
    .unwrap()
}

async fn start(gw: Gateway) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig {
        upstream: Some(gw),
        ..ServerConfig::default()
    };
    let state = AppState::new(engine(), config);
    tokio::spawn(async move {
        serve_listener(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap()
    });
    (addr, tx)
}

async fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_slice(&raw[split + 4..]).unwrap())
}

/// A body with unusual but valid formatting: it must reach upstream byte for byte.
const BODY: &[u8] =
    b"{ \"idNumber\" : \"123456789\",\n  \"lastNameEn\": \"Dara\", \"extra\": [1, 2] }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_precheck_is_forwarded_unchanged_and_answered_with_both() {
    let (up, fake) = fake_upstream(Mode::Ok).await;
    let (addr, stop) = start(gateway(up, ForwardPolicy::WhenPrecheckPasses)).await;
    let (status, v) = post(addr, "/api/2.0/kyc/info", BODY).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["error"], 0);
    assert_eq!(v["data"]["score"], 1);
    assert_eq!(v["data"]["precheck"]["forwarded"], true);
    assert_eq!(v["data"]["precheck"]["local"]["data"]["score"], 1);
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 1);
    let (path, client, body) = &seen.requests[0];
    assert_eq!(path, "CAMDX-20201222/info-v2.1");
    assert_eq!(client.as_deref(), Some("CAMBODIA/COM/BANK-001/KYC"));
    assert_eq!(
        body.as_slice(),
        BODY,
        "the caller's request must reach upstream unaltered"
    );
    stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_precheck_is_not_forwarded() {
    let (up, fake) = fake_upstream(Mode::Ok).await;
    let (addr, stop) = start(gateway(up, ForwardPolicy::WhenPrecheckPasses)).await;
    let expired = br#"{"idNumber": "123456789", "expiredDate": "2001-01-01"}"#;
    let (status, v) = post(addr, "/api/2.0/kyc/info", expired).await;
    assert_eq!(status, 200);
    assert_eq!(v["data"]["precheck"]["forwarded"], false);
    assert!(v["data"]["precheck"]["not_forwarded_reason"]
        .as_str()
        .unwrap()
        .contains("not_expired"));
    assert!(
        fake.seen.lock().unwrap().requests.is_empty(),
        "no quota spent"
    );
    stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_and_always_policies() {
    let (up, fake) = fake_upstream(Mode::Ok).await;
    let (addr, stop) = start(gateway(up, ForwardPolicy::Never)).await;
    let (_, v) = post(addr, "/api/2.0/kyc/info", BODY).await;
    assert!(v["data"]["precheck"].get("forwarded").is_none());
    assert!(fake.seen.lock().unwrap().requests.is_empty());
    stop.send(()).unwrap();

    let (addr, stop) = start(gateway(up, ForwardPolicy::Always)).await;
    let expired = br#"{"idNumber": "123456789", "expiredDate": "2001-01-01"}"#;
    let (_, v) = post(addr, "/api/2.0/kyc/info", expired).await;
    assert_eq!(v["data"]["precheck"]["forwarded"], true);
    assert_eq!(fake.seen.lock().unwrap().requests.len(), 1);
    stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_pass_through_with_their_code() {
    let (up, _fake) = fake_upstream(Mode::NotFound).await;
    let (addr, stop) = start(gateway(up, ForwardPolicy::Always)).await;
    let (status, v) = post(addr, "/api/2.0/kyc/info", BODY).await;
    assert_eq!((status, v["error"].as_u64()), (404, Some(400)));
    assert_eq!(v["message"], "Id card not exists in the system");
    stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_faults_map_to_503_and_504() {
    let refused = {
        // Bind then drop: nothing listens on this port.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let reset = resetting_upstream().await;
    let (slow, _) = fake_upstream(Mode::Slow).await;
    let (five, _) = fake_upstream(Mode::ServerError).await;
    let (garbage, _) = fake_upstream(Mode::Garbage).await;
    for (up, code, what) in [
        (refused, 503, "connection refused"),
        (reset, 503, "connection reset"),
        (slow, 503, "slow upstream"),
        (five, 504, "5xx without the envelope"),
        (garbage, 504, "garbage JSON"),
    ] {
        let (addr, stop) = start(gateway(up, ForwardPolicy::Always)).await;
        let (status, v) = post(addr, "/api/2.0/kyc/info", BODY).await;
        assert_eq!(v["error"], code, "{what}: {v}");
        assert_eq!(status, 502, "{what}");
        assert_eq!(
            v["data"]["precheck"]["details"]["local"]["error"], 0,
            "{what}: the local answer is kept"
        );
        stop.send(()).unwrap();
    }
}
