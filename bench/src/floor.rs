//! The floor: the backend's HTTP requests made directly from native Rust with hyper's HTTP/1.1
//! client, the same client wasmtime-wasi-http uses under the component.

use std::net::SocketAddr;

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use backend_launcher::API_PREFIX;

/// A direct HTTP client of the backend at one address.
pub struct Floor {
    addr: SocketAddr,
}

impl Floor {
    /// A client of the backend listening on `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    /// `GET {API_PREFIX}{path}` on a fresh TCP connection, closed afterwards (for reference: the
    /// host keeps its backend connections alive).
    pub async fn get_fresh(&self, path: &str) -> Result<Bytes> {
        self.connect().await?.send(Method::GET, path, None).await
    }

    /// `POST {API_PREFIX}{path}` with a JSON body on a fresh connection.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Bytes> {
        let body = serde_json::to_vec(body)?;
        self.connect()
            .await?
            .send(Method::POST, path, Some(body))
            .await
    }

    /// Connections kept alive across requests, as a pooled client (and the host) keeps them.
    pub fn keep_alive(&self) -> KeepAlive {
        KeepAlive {
            floor: Floor { addr: self.addr },
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    async fn connect(&self) -> Result<Connection> {
        let stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Drives the connection until the sender is dropped, then closes it.
        tokio::spawn(connection);
        Ok(Connection {
            sender,
            authority: self.addr.to_string(),
        })
    }
}

/// Keep-alive HTTP/1.1 connections to the backend: a request takes an idle one (or opens one)
/// and puts it back when its response has been read, so there are as many connections as
/// requests ever in flight at once.
pub struct KeepAlive {
    floor: Floor,
    idle: std::sync::Mutex<Vec<Connection>>,
}

impl KeepAlive {
    /// `GET {API_PREFIX}{path}` on an idle connection, or a new one.
    pub async fn get(&self, path: &str) -> Result<Bytes> {
        let idle = self.idle.lock().expect("idle connections").pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.floor.connect().await?,
        };
        let body = connection.send(Method::GET, path, None).await?;
        self.idle.lock().expect("idle connections").push(connection);
        Ok(body)
    }
}

struct Connection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Connection {
    /// Sends one request and reads the whole response body; a non-2xx status is an error.
    async fn send(&mut self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Bytes> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{API_PREFIX}{path}"))
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::ACCEPT, "application/json");
        if body.is_some() {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        ensure!(
            status.is_success(),
            "{path}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(body)
    }
}
