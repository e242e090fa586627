//! TLS with rustls (ring provider): the server's certificate, optionally
//! requiring client certificates signed by a given CA (terminal and engine
//! on different hosts), and the upstream's trust anchors and client
//! certificate (CamDX security servers authenticate members by certificate).
//!
//! PEM files only; nothing is fetched, no system trust store is consulted:
//! the operator names every anchor.

use crate::app::{log, router, AppState, ServerError};
use axum::extract::ConnectInfo;
use axum::Extension;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The server side: certificate chain, key and, for mutual TLS, the CA that
/// client certificates must chain to.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA certificates; when set, a client without a certificate
    /// signed by one of them is refused during the handshake.
    pub client_ca: Option<PathBuf>,
}

/// The upstream side: whom to trust and how to identify ourselves.
#[derive(Debug, Clone, Default)]
pub struct UpstreamTls {
    /// PEM CA certificates the upstream's certificate must chain to
    /// (required for an `https://` upstream).
    pub ca: Option<PathBuf>,
    /// PEM client certificate chain and key presented to the upstream.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// Time allowed for a client's TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut data.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not PEM certificates: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    rustls_pemfile::private_key(&mut data.as_slice())
        .map_err(|e| format!("{}: not a PEM key: {e}", path.display()))?
        .ok_or_else(|| format!("{}: no private key found", path.display()))
}

fn roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: unusable CA certificate: {e}", path.display()))?;
    }
    Ok(roots)
}

/// The rustls server configuration for `tls` (HTTP/1.1).
pub fn server_config(tls: &ServerTls) -> Result<Arc<rustls::ServerConfig>, String> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                    .build()
                    .map_err(|e| format!("client CA {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(load_certs(&tls.cert)?, load_key(&tls.key)?)
        .map_err(|e| format!("server certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The rustls client configuration for an `https://` upstream.
pub fn client_config(tls: &UpstreamTls) -> Result<rustls::ClientConfig, String> {
    let ca = tls
        .ca
        .as_ref()
        .ok_or("an https upstream needs --upstream-ca (the CA its certificate chains to)")?;
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(ca)?);
    // No ALPN here: the HTTP connector sets it (and refuses a preset one).
    let config = match &tls.client_cert {
        Some((cert, key)) => builder
            .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
            .map_err(|e| format!("upstream client certificate and key: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(config)
}

/// Serves HTTPS on a bound listener until `shutdown` completes, then
/// finishes the requests in flight. A failed handshake (no or untrusted
/// client certificate, plain HTTP) closes that connection only.
pub async fn serve_tls_listener(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    log(&json!({"event": "listening", "tls": true,
        "client_certificates": "required when a client CA is configured",
        "addr": listener.local_addr().ok().map(|a| a.to_string())}));
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let app = router(state);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    log(&json!({"event": "accept_failed", "reason": e.to_string()}));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let service = app
            .clone()
            .layer(Extension(ConnectInfo::<SocketAddr>(peer)));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    log(&json!({"event": "tls_handshake_failed", "reason": e.to_string()}));
                    return;
                }
                Err(_) => {
                    log(&json!({"event": "tls_handshake_failed", "reason": "timeout"}));
                    return;
                }
            };
            let service = hyper_util::service::TowerToHyperService::new(service);
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service);
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    log(&json!({"event": "stopped"}));
    Ok(())
}
