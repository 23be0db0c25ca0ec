//! The listener's settings, checked at start: what it listens on, how it proves clients, and
//! what it refuses to do without being told.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use url::Url;

use super::tokens::BearerTokens;
use crate::cli::RemoteArgs;

/// Where and how the host serves MCP over Streamable HTTP.
pub struct RemoteSettings {
    /// The address listened on.
    pub address: SocketAddr,
    /// HTTPS on the listener, if configured.
    pub tls: Option<Arc<ServerConfig>>,
    /// The tokens a request must present; `None` serves anyone who reaches the port.
    pub tokens: Option<Arc<BearerTokens>>,
    /// Browser origins allowed (`Origin` header); others get 403.
    pub allowed_origins: Vec<String>,
    /// `Host` header values allowed; `None` allows any.
    pub allowed_hosts: Option<Vec<String>>,
    /// The URL of `/mcp` as clients reach it, if given.
    pub public_url: Option<Url>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// MCP requests one token may have in flight.
    pub max_requests_per_token: u32,
    /// Time in-flight requests get to finish after SIGTERM.
    pub drain: Duration,
}

/// The `Host` names accepted on a loopback listener unless `--allowed-host` says otherwise.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl RemoteSettings {
    /// The settings of `--http`, or `None` to serve stdio.
    pub fn from_args(args: &RemoteArgs) -> Result<Option<Self>> {
        let Some(listen) = &args.listen else {
            return Ok(None);
        };
        let address = resolve(listen)?;
        let loopback = address.ip().is_loopback();
        let tokens = args
            .auth_token_file
            .as_deref()
            .map(|path| BearerTokens::load(path).map(Arc::new))
            .transpose()
            .context("invalid --auth-token-file")?;
        if !loopback && tokens.is_none() && !args.allow_unauthenticated {
            bail!(
                "refusing to serve {address} without authentication: give --auth-token-file \
                 FILE, or --allow-unauthenticated if anyone who reaches this port may start and \
                 cancel jobs"
            );
        }
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(Arc::new(tls_config(cert, key)?)),
            _ => None,
        };
        if !loopback && tls.is_none() && !args.allow_plain_http {
            bail!(
                "refusing to serve plain HTTP on {address}: give --tls-cert and --tls-key, or \
                 --allow-plain-http behind a proxy that terminates TLS"
            );
        }
        let allowed_origins = args
            .allowed_origins
            .iter()
            .map(|origin| {
                origin_with_port(origin)
                    .with_context(|| format!("invalid --allowed-origin `{origin}`"))
            })
            .collect::<Result<_>>()?;
        let allowed_hosts = match (&args.allowed_hosts[..], loopback) {
            ([], true) => Some(LOOPBACK_HOSTS.map(String::from).to_vec()),
            ([], false) => None,
            (hosts, _) => Some(hosts.to_vec()),
        };
        let public_url = args
            .public_url
            .as_deref()
            .map(|url| public_url(url).with_context(|| format!("invalid --public-url `{url}`")))
            .transpose()?;
        Ok(Some(Self {
            address,
            tls,
            tokens,
            allowed_origins,
            allowed_hosts,
            public_url,
            max_body_bytes: args.max_body_kib as usize * 1024,
            header_timeout: Duration::from_secs(args.header_timeout),
            max_requests_per_token: args.max_requests_per_token,
            drain: Duration::from_secs(args.drain_seconds),
        }))
    }
}

fn resolve(listen: &str) -> Result<SocketAddr> {
    listen
        .to_socket_addrs()
        .with_context(|| format!("invalid --http `{listen}`: expected HOST:PORT"))?
        .next()
        .with_context(|| format!("invalid --http `{listen}`: the host has no address"))
}

/// An origin as browsers send it, `scheme://host[:port]` (or `null`), with its port written
/// out: an `https://app.example.com` entry matches that origin on port 443 only.
fn origin_with_port(origin: &str) -> Result<String> {
    if origin == "null" {
        return Ok(origin.to_owned());
    }
    let url = Url::parse(origin)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("expected http(s)://HOST[:PORT]");
    }
    if url.path() != "/" || url.query().is_some() || origin.ends_with('/') {
        bail!("an origin has no path: expected http(s)://HOST[:PORT]");
    }
    let port = url
        .port_or_known_default()
        .expect("http(s) has a default port");
    Ok(format!(
        "{}://{}:{port}",
        url.scheme(),
        url.host_str().expect("checked")
    ))
}

fn public_url(text: &str) -> Result<Url> {
    let url = Url::parse(text)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("expected an http(s) URL, e.g. https://mcp.example.com/mcp");
    }
    Ok(url)
}

/// A TLS server configuration from a PEM certificate chain and its private key.
fn tls_config(cert: &Path, key: &Path) -> Result<ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "cannot read certificates from --tls-cert {}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        bail!("--tls-cert {} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a private key from --tls-key {}", key.display()))?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring offers cipher suites for TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("--tls-cert and --tls-key do not make a usable pair")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> Result<Option<RemoteSettings>> {
        let cli = crate::cli::Cli::try_parse_from([&["ktrdr-mcp"], args].concat())?;
        RemoteSettings::from_args(&cli.remote)
    }

    fn error(args: &[&str]) -> String {
        format!("{:#}", settings(args).err().expect("refused"))
    }

    #[test]
    fn without_http_the_host_serves_stdio() {
        assert!(settings(&[]).unwrap().is_none());
    }

    #[test]
    fn loopback_needs_no_token_and_accepts_only_loopback_host_names() {
        let settings = settings(&["--http", "127.0.0.1:0"]).unwrap().unwrap();
        assert!(settings.tokens.is_none() && settings.tls.is_none());
        assert_eq!(settings.allowed_hosts.unwrap(), LOOPBACK_HOSTS);
    }

    #[test]
    fn a_public_address_needs_tokens_and_tls_or_an_explicit_opt_out() {
        assert!(error(&["--http", "0.0.0.0:0"]).contains("without authentication"));
        let tokens = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tokens.path(), "0123456789abcdef0123\n").unwrap();
        let file = tokens.path().to_str().unwrap();
        assert!(error(&["--http", "0.0.0.0:0", "--auth-token-file", file])
            .contains("refusing to serve plain HTTP"));
        let open = settings(&[
            "--http",
            "0.0.0.0:0",
            "--auth-token-file",
            file,
            "--allow-plain-http",
        ])
        .unwrap()
        .unwrap();
        assert!(open.tokens.is_some() && open.allowed_hosts.is_none());
        assert!(settings(&[
            "--http",
            "0.0.0.0:0",
            "--allow-unauthenticated",
            "--allow-plain-http"
        ])
        .unwrap()
        .unwrap()
        .tokens
        .is_none());
    }

    #[test]
    fn origins_are_written_with_their_port() {
        let settings = settings(&[
            "--http",
            "127.0.0.1:0",
            "--allowed-origin",
            "https://app.example.com",
            "--allowed-origin",
            "http://localhost:6274",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            settings.allowed_origins,
            ["https://app.example.com:443", "http://localhost:6274"]
        );
    }

    #[test]
    fn bad_values_are_named() {
        assert!(error(&["--http", "nowhere"]).contains("invalid --http `nowhere`"));
        assert!(error(&[
            "--http",
            "127.0.0.1:0",
            "--allowed-origin",
            "https://a.example/x"
        ])
        .contains("an origin has no path"));
        assert!(
            error(&["--http", "127.0.0.1:0", "--public-url", "ftp://x"]).contains("--public-url")
        );
        assert!(error(&[
            "--http",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key"
        ])
        .contains("cannot read certificates from --tls-cert /nonexistent.pem"));
        assert!(error(&["--http", "127.0.0.1:0", "--tls-cert", "/x.pem"]).contains("--tls-key"));
    }
}
