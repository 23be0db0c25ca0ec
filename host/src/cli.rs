//! Command-line flags and their environment-variable fallbacks.

use std::path::PathBuf;

use clap::Parser;

/// The backend URL used when neither `--api-url` nor `KTRDR_API_URL` is given.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8000/api/v1";

/// `ktrdr-mcp`: serves a KTRDR tools WebAssembly component as an MCP server, on stdio or (with
/// `--http`) over Streamable HTTP.
///
/// Every exported function of the component becomes an MCP tool; its WIT types and doc comments
/// become the tool's schemas and description. The component runs sandboxed: it may reach only
/// the backend's URL (and hosts added with `--allow-host`), with no filesystem and no inherited
/// environment. stdout carries only MCP messages; logs go to stderr (`RUST_LOG`).
#[derive(Debug, Parser)]
#[command(name = "ktrdr-mcp", version, about, long_about)]
pub struct Cli {
    /// The tools component to serve (a wasm32-wasip2 component). Default: the component bundled
    /// into this binary at build time.
    #[arg(long, env = "KTRDR_COMPONENT", value_name = "PATH")]
    pub component: Option<PathBuf>,

    /// The KTRDR backend's base URL, API prefix included.
    #[arg(long, env = "KTRDR_API_URL", value_name = "URL", default_value = DEFAULT_API_URL)]
    pub api_url: String,

    /// Seconds each backend request may take (1 to 300); a call's deadline is this plus 5 s.
    #[arg(long = "timeout", env = "API_TIMEOUT", value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_secs: u64,

    /// A PEM file of CA certificates to trust for an `https` backend, besides the system's
    /// (repeatable; one file may hold several). For a backend whose certificate an internal CA
    /// signed.
    #[arg(long = "backend-ca", env = "KTRDR_MCP_BACKEND_CA", value_name = "FILE")]
    pub backend_ca: Vec<PathBuf>,

    /// Another `host:port` the component may reach besides the backend (repeatable).
    #[arg(long = "allow-host", value_name = "H:P")]
    pub allow_hosts: Vec<String>,

    /// Linear-memory cap of one call, in MiB.
    #[arg(long, env = "KTRDR_MCP_MAX_MEMORY_MB", value_name = "MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_memory_mb: u64,

    /// Calls that may run at once; each gets a pre-reserved instance slot, further calls wait
    /// for a free one.
    #[arg(long, env = "KTRDR_MCP_MAX_CONCURRENT_CALLS", value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrent_calls: u32,

    /// Directory of the compiled-component cache. Default: `$XDG_CACHE_HOME/ktrdr-mcp` or
    /// `~/.cache/ktrdr-mcp`.
    #[arg(long, env = "KTRDR_MCP_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile the component at every start instead of using the on-disk cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Print the tools (name, description, schemas, annotations) as JSON and exit.
    #[arg(long)]
    pub list_tools: bool,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Flags of the Streamable HTTP listener (`--http`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Remote MCP (Streamable HTTP)")]
pub struct RemoteArgs {
    /// Serve MCP Streamable HTTP at `/mcp` on this address instead of stdio.
    #[arg(long = "http", env = "KTRDR_MCP_HTTP", value_name = "HOST:PORT")]
    pub listen: Option<String>,

    /// A file of bearer tokens, one per line: every MCP request must carry one in
    /// `Authorization: Bearer`. Re-read on SIGHUP.
    #[arg(long, env = "KTRDR_MCP_AUTH_TOKEN_FILE", value_name = "FILE")]
    pub auth_token_file: Option<PathBuf>,

    /// Serve a non-loopback address without `--auth-token-file`.
    #[arg(long)]
    pub allow_unauthenticated: bool,

    /// Certificate chain (PEM) for HTTPS on the listener; needs `--tls-key`.
    #[arg(
        long,
        env = "KTRDR_MCP_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) of `--tls-cert`.
    #[arg(
        long,
        env = "KTRDR_MCP_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Serve plain HTTP on a non-loopback address (behind a proxy that terminates TLS).
    #[arg(long)]
    pub allow_plain_http: bool,

    /// A browser origin allowed to call (repeatable), e.g. `https://app.example.com`; a request
    /// with any other `Origin` (any at all, without this flag) gets 403. Requests without
    /// `Origin` (not from a browser) are allowed.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,

    /// A `Host` header value allowed (repeatable). Default: loopback names on a loopback
    /// address, any host otherwise.
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,

    /// The URL clients reach `/mcp` at (e.g. behind a proxy), named in the protected-resource
    /// metadata. Default: from the request's `Host`.
    #[arg(long, env = "KTRDR_MCP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Largest request body accepted, in KiB; a larger one gets 413.
    #[arg(long, value_name = "KIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_body_kib: u32,

    /// Seconds a client has to send a request's headers.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout: u64,

    /// MCP requests one token may have in flight; more get 429.
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_requests_per_token: u32,

    /// On SIGTERM, seconds to let in-flight requests finish before exiting.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub drain_seconds: u64,
}
