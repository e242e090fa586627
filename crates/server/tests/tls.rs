//! TLS: the server with client certificates (mutual TLS), and the gateway
//! to an `https://` upstream that authenticates members by certificate,
//! including the upstream TLS failures. Certificates are made by the test.

use kyc_engine::api::{ErrorCode, Operation};
use kyc_engine::{Engine, EngineConfig};
use kyc_server::tls::{client_config, server_config};
use kyc_server::{
    serve_tls_listener, AppState, ForwardPolicy, Gateway, ServerConfig, ServerTls, UpstreamConfig,
    UpstreamTls,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA and the PEM files of certificates it signed, in a fresh folder.
struct Pki {
    dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "kyc-tls-test-{}-{name}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let ca = params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca, ca_key }
    }

    fn ca_pem(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Issues a certificate; returns (cert.pem, key.pem).
    fn issue(&self, name: &str, client: bool) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let (c, k) = (
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}.key")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        Arc::new(
            Engine::load(EngineConfig::new(kyc_models::resolve_model_dir(None)))
                .expect("models (scripts/setup)"),
        )
    })
    .clone()
}

/// Starts `kyc serve` over TLS requiring client certificates of `pki`.
async fn start_mtls_server(pki: &Pki) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (cert, key) = pki.issue("server", false);
    let tls = ServerTls {
        cert,
        key,
        client_ca: Some(pki.ca_pem()),
    };
    let config = server_config(&tls).unwrap();
    let state = AppState::new(engine(), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_tls_listener(listener, state, config, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// GET `path` over TLS with the client identity `client` (or none);
/// `Err` when the handshake or the exchange fails.
async fn get(
    addr: SocketAddr,
    ca: &Path,
    client: Option<(PathBuf, PathBuf)>,
    path: &str,
) -> Result<String, String> {
    let config = client_config(&UpstreamTls {
        ca: Some(ca.to_path_buf()),
        client_cert: client,
    })
    .unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn server_answers_a_client_with_a_certificate_of_its_ca() {
    let pki = Pki::new("server-ok");
    let (addr, stop) = start_mtls_server(&pki).await;
    let response = get(
        addr,
        &pki.ca_pem(),
        Some(pki.issue("terminal", true)),
        "/healthz",
    )
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok\n"), "{response}");
    let _ = stop.send(());
}

#[tokio::test]
async fn server_refuses_a_client_without_a_certificate_or_from_another_ca() {
    let pki = Pki::new("server-refuse");
    let (addr, stop) = start_mtls_server(&pki).await;
    let anonymous = get(addr, &pki.ca_pem(), None, "/healthz").await;
    assert!(
        anonymous.as_ref().is_err() || anonymous.as_ref().is_ok_and(|r| r.is_empty()),
        "{anonymous:?}"
    );
    let other = Pki::new("intruder");
    let stranger = get(
        addr,
        &pki.ca_pem(),
        Some(other.issue("intruder", true)),
        "/healthz",
    )
    .await;
    assert!(
        stranger.as_ref().is_err() || stranger.as_ref().is_ok_and(|r| r.is_empty()),
        "{stranger:?}"
    );
    // The server is still up for a legitimate terminal.
    let ok = get(
        addr,
        &pki.ca_pem(),
        Some(pki.issue("terminal", true)),
        "/healthz",
    )
    .await;
    assert!(ok.unwrap().starts_with("HTTP/1.1 200"));
    let _ = stop.send(());
}

/// A fake CamDX security server over TLS requiring client certificates of
/// `client_ca`, answering every request with a success envelope.
async fn fake_https_upstream(cert: &Path, key: &Path, client_ca: &Path) -> SocketAddr {
    let config = server_config(&ServerTls {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        client_ca: Some(client_ca.to_path_buf()),
    })
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                // Read the head and the body (Content-Length).
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = tls.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let body = r#"{"error":0,"message":"Successfully","data":{"idNumber":"123456789","score":1,"incorrectFields":[]}}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn gateway(addr: SocketAddr, tls: UpstreamTls) -> Gateway {
    Gateway::new(UpstreamConfig {
        base_url: format!("https://localhost:{}", addr.port()),
        member_code: "CAMDX-20201222".into(),
        client: "CAMBODIA/COM/BANK-001/KYC".into(),
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        default_policy: ForwardPolicy::Always,
        policies: HashMap::new(),
        tls,
    })
    .unwrap()
}

const BODY: &[u8] = br#"{"idNumber":"123456789","lastNameEn":"DARA"}"#;

#[tokio::test]
async fn gateway_forwards_over_mutual_tls() {
    let upstream_pki = Pki::new("camdx");
    let members = Pki::new("members");
    let (cert, key) = upstream_pki.issue("camdx-ss", false);
    let addr = fake_https_upstream(&cert, &key, &members.ca_pem()).await;
    let gw = gateway(
        addr,
        UpstreamTls {
            ca: Some(upstream_pki.ca_pem()),
            client_cert: Some(members.issue("bank-001", true)),
        },
    );
    let envelope = gw
        .forward(Operation::Info, BODY.to_vec().into())
        .await
        .unwrap();
    assert_eq!(envelope.error, 0);
    assert_eq!(envelope.data.unwrap()["idNumber"], "123456789");
}

#[tokio::test]
async fn upstream_tls_failures_are_connection_errors_with_the_reason() {
    let upstream_pki = Pki::new("camdx2");
    let members = Pki::new("members2");
    let (cert, key) = upstream_pki.issue("camdx-ss", false);
    let addr = fake_https_upstream(&cert, &key, &members.ca_pem()).await;

    // The upstream's certificate does not chain to the CA we trust.
    let elsewhere = Pki::new("elsewhere");
    let untrusted = gateway(
        addr,
        UpstreamTls {
            ca: Some(elsewhere.ca_pem()),
            client_cert: Some(members.issue("bank-001", true)),
        },
    );
    let err = untrusted
        .forward(Operation::Info, BODY.to_vec().into())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MoiConnection);
    assert!(err.reason.contains("certificate"), "{}", err.reason);

    // We present no client certificate: the upstream refuses us.
    let anonymous = gateway(
        addr,
        UpstreamTls {
            ca: Some(upstream_pki.ca_pem()),
            client_cert: None,
        },
    );
    let err = anonymous
        .forward(Operation::Info, BODY.to_vec().into())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MoiConnection, "{}", err.reason);
}

#[test]
fn https_upstream_without_a_ca_is_a_configuration_error() {
    let err = Gateway::new(UpstreamConfig {
        base_url: "https://localhost:8443".into(),
        member_code: "CAMDX-20201222".into(),
        client: "CAMBODIA/COM/BANK-001/KYC".into(),
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        default_policy: ForwardPolicy::Always,
        policies: HashMap::new(),
        tls: UpstreamTls::default(),
    })
    .unwrap_err();
    assert!(err.contains("--upstream-ca"), "{err}");
}
