//! The host's resolved configuration: flags and environment checked once at start.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::pki_types::CertificateDer;

use crate::cli::Cli;
use crate::wasm::{read_ca_file, AllowedOrigin};

/// Extra time a call gets beyond the backend request timeout, for the component's own work.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// Where the component comes from.
#[derive(Debug, Clone)]
pub enum ComponentSource {
    /// The component embedded into this binary at build time.
    Bundled,
    /// A component file given with `--component` or `KTRDR_COMPONENT`.
    File(PathBuf),
}

/// The release component embedded at build time (see `build.rs`).
const BUNDLED_COMPONENT: &[u8] = include_bytes!(env!("KTRDR_BUNDLED_COMPONENT"));

impl ComponentSource {
    /// The component's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match self {
            Self::Bundled => Ok(BUNDLED_COMPONENT.to_vec()),
            Self::File(path) => std::fs::read(path)
                .with_context(|| format!("cannot read the component {}", path.display())),
        }
    }
}

/// Everything the host needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The component to serve.
    pub component: ComponentSource,
    /// The backend's base URL, as the component receives it in `KTRDR_API_URL`.
    pub api_url: String,
    /// The backend request timeout, as the component receives it in `API_TIMEOUT`.
    pub request_timeout: Duration,
    /// The wall-clock budget of one tool call: the request timeout plus a margin.
    pub call_deadline: Duration,
    /// The only origins the component may send HTTP requests to.
    pub allowed_origins: Vec<AllowedOrigin>,
    /// CA certificates trusted for `https` origins besides the system's (`--backend-ca`).
    pub backend_ca: Vec<CertificateDer<'static>>,
    /// The linear-memory cap of one call, in bytes.
    pub max_memory_bytes: usize,
    /// How many calls may run at once (the size of the instance pool).
    pub max_concurrent_calls: u32,
    /// Directory of the compiled-component cache; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl Config {
    /// Checks the command line and builds the configuration, or says clearly what is wrong.
    pub fn from_cli(cli: &Cli) -> Result<Self> {
        let backend = AllowedOrigin::from_url(&cli.api_url)
            .with_context(|| format!("invalid --api-url / KTRDR_API_URL `{}`", cli.api_url))?;
        let mut allowed_origins = vec![backend];
        for entry in &cli.allow_hosts {
            allowed_origins.push(
                AllowedOrigin::from_host_port(entry)
                    .with_context(|| format!("invalid --allow-host `{entry}`"))?,
            );
        }
        let mut backend_ca = Vec::new();
        for path in &cli.backend_ca {
            backend_ca.extend(
                read_ca_file(path)
                    .with_context(|| format!("invalid --backend-ca `{}`", path.display()))?,
            );
        }
        let request_timeout = Duration::from_secs(cli.timeout_secs);
        let cache_dir = if cli.no_cache {
            None
        } else {
            cli.cache_dir.clone().or_else(default_cache_dir)
        };
        if let Some(path) = &cli.component {
            if !path.is_file() {
                bail!("the component file {} does not exist", path.display());
            }
        }
        Ok(Config {
            component: cli
                .component
                .clone()
                .map_or(ComponentSource::Bundled, ComponentSource::File),
            api_url: cli.api_url.clone(),
            request_timeout,
            call_deadline: request_timeout + DEADLINE_MARGIN,
            allowed_origins,
            backend_ca,
            max_memory_bytes: usize::try_from(cli.max_memory_mb << 20)
                .context("--max-memory-mb is too large for this machine")?,
            max_concurrent_calls: cli.max_concurrent_calls,
            cache_dir,
        })
    }

    /// The environment the component sees: its two configuration keys and nothing else.
    pub fn guest_environment(&self) -> [(&'static str, String); 2] {
        [
            ("KTRDR_API_URL", self.api_url.clone()),
            ("API_TIMEOUT", self.request_timeout.as_secs().to_string()),
        ]
    }
}

/// `$XDG_CACHE_HOME/ktrdr-mcp`, else `$HOME/.cache/ktrdr-mcp`; `None` without either variable.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("ktrdr-mcp"))
}
