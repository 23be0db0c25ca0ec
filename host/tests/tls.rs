//! TLS to the backend: the reference backend behind a loopback HTTPS front whose certificate a
//! CA made by the test signs. The host reaches it once it trusts that CA (`--backend-ca`, or
//! `SSL_CERT_FILE` as the system store), over one kept-alive connection; otherwise the call
//! fails with a message that says what failed and what to do.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::test_ca::TestCa;
use common::{call, connect, connect_command, error_of, host_command, success_of, Backend};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Years a certificate valid now spans.
const CURRENT: (i32, i32) = (2020, 2200);

/// A loopback HTTPS front for the reference backend: it ends TLS with the given certificate and
/// relays the bytes to the backend; it counts the connections it accepted.
struct HttpsFront {
    /// The backend's base URL through the front, with `host` as given.
    api_url: String,
    accepted: Arc<AtomicUsize>,
    _backend: Backend,
}

impl HttpsFront {
    /// A front reached as `host`, its certificate signed by `ca` for `names` over `years`.
    async fn start(host: &str, ca: &TestCa, names: &[&str], years: (i32, i32)) -> Self {
        let (certificate, key) = ca.server_certificate(names, years);
        let backend = Backend::start();
        let backend_addr = backend_addr(&backend.api_url);
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate, ca.certificate.clone()], key)
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A refused handshake ends here: the host reports its own side of it.
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    let mut backend = TcpStream::connect(backend_addr).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                });
            }
        });
        Self {
            api_url: format!("https://{host}:{port}/api/v1"),
            accepted,
            _backend: backend,
        }
    }
}

/// The socket address in a backend URL `http://127.0.0.1:PORT/api/v1`.
fn backend_addr(api_url: &str) -> SocketAddr {
    let authority = api_url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("unexpected backend URL {api_url}"));
    authority.parse().unwrap()
}

/// The error message of a `list_operations` call through the host at `api_url` started with
/// `extra` flags, which must fail as `unavailable`.
async fn refusal(api_url: &str, extra: &[&str]) -> String {
    let client = connect(api_url, extra).await;
    let error = error_of(&call(&client, "list_operations", json!({})).await);
    assert_eq!(error["code"], "unavailable", "{error:?}");
    error["message"].as_str().unwrap().to_string()
}

async fn list_operations(client: &common::Client) -> Value {
    success_of(&call(client, "list_operations", json!({})).await)
}

#[tokio::test]
async fn a_backend_signed_by_an_unknown_ca_is_refused_with_what_to_do() {
    let ca = TestCa::new();
    let front = HttpsFront::start("127.0.0.1", &ca, &["127.0.0.1"], CURRENT).await;
    let message = refusal(&front.api_url, &[]).await;
    assert!(
        message.contains(&format!(
            "The KTRDR backend at {} is unreachable (TLS handshake failed: the host refused \
             the backend's certificate: it is signed by a CA the host does not trust (unknown \
             issuer); pass that CA's PEM certificate to the host with --backend-ca FILE).",
            front.api_url
        )),
        "{message}"
    );
}

#[tokio::test]
async fn with_its_ca_the_backend_is_served_over_one_kept_alive_connection() {
    let ca = TestCa::new();
    let front = HttpsFront::start("127.0.0.1", &ca, &["127.0.0.1"], CURRENT).await;
    let client = connect(&front.api_url, &["--backend-ca", ca.pem_path()]).await;
    for _ in 0..3 {
        let listed = list_operations(&client).await;
        assert!(listed["operations"].is_array(), "{listed}");
    }
    assert_eq!(front.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ssl_cert_file_stands_for_the_system_store() {
    let ca = TestCa::new();
    let front = HttpsFront::start("localhost", &ca, &["localhost"], CURRENT).await;
    let mut command = host_command(&front.api_url, &[]);
    command.env("SSL_CERT_FILE", ca.pem_path());
    let client = connect_command(command).await;
    let listed = list_operations(&client).await;
    assert!(listed["operations"].is_array(), "{listed}");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_naming_both() {
    let ca = TestCa::new();
    let front = HttpsFront::start("127.0.0.1", &ca, &["localhost"], CURRENT).await;
    let message = refusal(&front.api_url, &["--backend-ca", ca.pem_path()]).await;
    assert!(
        message.contains(
            "the host refused the backend's certificate: it is for localhost, not 127.0.0.1 \
             (name mismatch): use a name it is for in the backend URL"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn an_expired_certificate_is_refused_as_expired() {
    let ca = TestCa::new();
    let front = HttpsFront::start("127.0.0.1", &ca, &["127.0.0.1"], (2020, 2021)).await;
    let message = refusal(&front.api_url, &["--backend-ca", ca.pem_path()]).await;
    assert!(
        message.contains("it has expired: renew the backend's certificate"),
        "{message}"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_port_says_so() {
    let backend = Backend::start();
    let api_url = backend.api_url.replacen("http://", "https://", 1);
    let message = refusal(&api_url, &[]).await;
    assert!(
        message
            .contains("(TLS protocol error: no TLS handshake with it; check that it serves HTTPS"),
        "{message}"
    );
}

#[test]
fn an_unusable_backend_ca_stops_the_host_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for (path, reason) in [
        (dir.path().join("missing.pem"), "cannot read it"),
        (not_pem, "it holds no PEM certificate"),
    ] {
        let stderr = start_failure(&path);
        assert!(
            stderr.contains(&format!("invalid --backend-ca `{}`", path.display()))
                && stderr.contains(reason),
            "{stderr}"
        );
    }
}

/// What the host says on stderr when `--backend-ca path` stops it at start.
fn start_failure(path: &Path) -> String {
    let output = std::process::Command::new(common::host_bin())
        .arg("--backend-ca")
        .arg(path)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cannot run the host");
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}
