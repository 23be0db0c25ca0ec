//! The component's sandbox, deny by default: outgoing HTTP only to allowed origins, no
//! filesystem, no sockets, no inherited environment, arguments or stdio.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use http::uri::Scheme;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use super::connections::{HttpClient, Sent};

/// One origin the component may send requests to: a host and port, and optionally a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    /// `http` or `https`; `None` allows both (from `--allow-host`).
    scheme: Option<String>,
    /// Lower-case host name or IP address, without IPv6 brackets.
    host: String,
    /// Port, the scheme's default filled in.
    port: u16,
}

impl AllowedOrigin {
    /// The origin of a backend URL: scheme, host and port. Only `http` and `https` are accepted.
    pub fn from_url(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url).context("not an absolute URL")?;
        let scheme = parsed.scheme();
        if scheme != "http" && scheme != "https" {
            bail!("the scheme must be http or https, not `{scheme}`");
        }
        let host = parsed.host_str().context("the URL has no host")?;
        let port = parsed
            .port_or_known_default()
            .context("the URL has no port")?;
        Ok(Self {
            scheme: Some(scheme.to_string()),
            host: normalize_host(host),
            port,
        })
    }

    /// An origin given as `host:port` (`[::1]:8080` for IPv6), for either scheme.
    pub fn from_host_port(entry: &str) -> Result<Self> {
        let (host, port) = entry
            .rsplit_once(':')
            .context("expected HOST:PORT, e.g. 127.0.0.1:9000")?;
        let port = port
            .parse::<u16>()
            .with_context(|| format!("`{port}` is not a port number"))?;
        if host.is_empty() {
            bail!("the host is empty");
        }
        Ok(Self {
            scheme: None,
            host: normalize_host(host),
            port,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.scheme
            .as_deref()
            .is_none_or(|allowed| allowed == scheme)
            && self.host == host
            && self.port == port
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match &self.scheme {
            Some(scheme) => write!(f, "{scheme}://{host}:{}", self.port),
            None => write!(f, "{host}:{}", self.port),
        }
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// The `wasi:http` hooks of one call: requests to an allowed origin go out (through the host's
/// shared client and its kept-alive connections), every other request fails inside the
/// component with `HTTP-request-denied`.
pub struct OutgoingHttpPolicy {
    allowed: Vec<AllowedOrigin>,
    client: Arc<HttpClient>,
}

impl OutgoingHttpPolicy {
    /// A policy that lets requests reach `allowed`, through `client`, and nothing else.
    pub fn new(allowed: Vec<AllowedOrigin>, client: Arc<HttpClient>) -> Self {
        Self { allowed, client }
    }

    /// Whether `uri` may be requested; `Err` carries the refused `scheme://authority`.
    fn check(&self, uri: &http::Uri) -> Result<(), String> {
        let scheme = uri.scheme_str().unwrap_or("");
        let host = normalize_host(uri.host().unwrap_or(""));
        let port = uri.port_u16().or(match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        match port {
            Some(port) if self.allowed.iter().any(|o| o.allows(scheme, &host, port)) => Ok(()),
            _ => Err(format!(
                "{scheme}://{}",
                uri.authority().map_or("", |a| a.as_str())
            )),
        }
    }
}

/// The boxed future `send_request` returns.
type SendFuture = Box<dyn Future<Output = wasmtime_wasi_http::Result<Sent>> + Send>;

impl WasiHttpHooks for OutgoingHttpPolicy {
    fn is_supported_scheme(&mut self, scheme: &Scheme) -> bool {
        *scheme == Scheme::HTTP || *scheme == Scheme::HTTPS
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_error: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        if let Err(refused) = self.check(request.uri()) {
            tracing::warn!(
                destination = %refused,
                allowed = %self.allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                "sandbox refused an outgoing request"
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(self.client.clone().send(request, options))
    }
}

/// The WASI context of one call: the given environment variables and nothing else — no
/// preopened directories, no arguments, no sockets or name lookups, stdin closed, stdout
/// discarded (it is the MCP channel); only stderr goes to the host's stderr, for guest panics.
pub fn wasi_context(environment: &[(&str, String)]) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    builder
        .envs(environment)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .inherit_stderr();
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(backend: &str, extra: &[&str]) -> OutgoingHttpPolicy {
        let mut allowed = vec![AllowedOrigin::from_url(backend).unwrap()];
        allowed.extend(
            extra
                .iter()
                .map(|e| AllowedOrigin::from_host_port(e).unwrap()),
        );
        OutgoingHttpPolicy::new(allowed, Arc::new(HttpClient::new(Vec::new())))
    }

    fn check(policy: &OutgoingHttpPolicy, uri: &str) -> Result<(), String> {
        policy.check(&uri.parse().unwrap())
    }

    #[test]
    fn only_the_backend_origin_is_allowed() {
        let policy = policy("http://127.0.0.1:8000/api/v1", &[]);
        assert!(check(&policy, "http://127.0.0.1:8000/api/v1/operations").is_ok());
        assert_eq!(
            check(&policy, "http://127.0.0.1:8001/api/v1/operations"),
            Err("http://127.0.0.1:8001".to_string())
        );
        assert!(check(&policy, "https://127.0.0.1:8000/").is_err());
        assert!(check(&policy, "http://localhost:8000/").is_err());
        assert!(check(&policy, "http://example.com/").is_err());
    }

    #[test]
    fn default_ports_and_case_are_normalized() {
        let policy = policy("https://Backend.Example/api/v1", &[]);
        assert!(check(&policy, "https://backend.example:443/x").is_ok());
        assert!(check(&policy, "https://BACKEND.example/x").is_ok());
        assert!(check(&policy, "http://backend.example/x").is_err());
    }

    #[test]
    fn allow_host_adds_an_origin_for_both_schemes() {
        let policy = policy("http://127.0.0.1:8000", &["[::1]:9000", "data.example:443"]);
        assert!(check(&policy, "http://[::1]:9000/").is_ok());
        assert!(check(&policy, "https://data.example/").is_ok());
        assert!(check(&policy, "http://data.example/").is_err());
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert!(AllowedOrigin::from_url("ftp://x/").is_err());
        assert!(AllowedOrigin::from_url("127.0.0.1:8000").is_err());
        assert!(AllowedOrigin::from_url("not a url").is_err());
        assert!(AllowedOrigin::from_host_port("nohost").is_err());
        assert!(AllowedOrigin::from_host_port("h:99999").is_err());
    }
}
