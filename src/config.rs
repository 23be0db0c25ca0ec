//! The component's configuration, read from `wasi:cli/environment`.
//!
//! - `KTRDR_API_URL`: the backend's base URL including the API prefix, `http` or `https`,
//!   without user info, query or fragment. Default: [`DEFAULT_API_URL`].
//! - `API_TIMEOUT`: whole seconds each backend request may take, 1 to 300.
//!   Default: [`DEFAULT_TIMEOUT_SECONDS`].
//!
//! A variable that is unset or blank takes its default. Only these two variables are read
//! (never the whole environment).

use crate::error::ApiError;
use std::time::Duration;

/// The base URL used when `KTRDR_API_URL` is unset.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8000/api/v1";
/// The request timeout used when `API_TIMEOUT` is unset, in seconds.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// The accepted `API_TIMEOUT` values, in seconds.
pub const TIMEOUT_RANGE_SECONDS: std::ops::RangeInclusive<u64> = 1..=300;

const URL_VARIABLE: &str = "KTRDR_API_URL";
const TIMEOUT_VARIABLE: &str = "API_TIMEOUT";

/// Where the backend is and how long a request may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    base_url: String,
    scheme_len: usize,
    authority: String,
    timeout: Duration,
}

impl Config {
    /// Reads `KTRDR_API_URL` and `API_TIMEOUT` from the environment.
    pub fn from_env() -> Result<Self, ApiError> {
        Self::parse(
            read_variable(URL_VARIABLE)?.as_deref(),
            read_variable(TIMEOUT_VARIABLE)?.as_deref(),
        )
    }

    /// Builds a configuration from the two variables' values (`None`: unset).
    pub fn parse(api_url: Option<&str>, timeout: Option<&str>) -> Result<Self, ApiError> {
        let api_url = api_url.map(str::trim).filter(|url| !url.is_empty());
        let (base_url, scheme_len, authority) = parse_base_url(api_url.unwrap_or(DEFAULT_API_URL))?;
        let timeout = match timeout.map(str::trim).filter(|text| !text.is_empty()) {
            None => DEFAULT_TIMEOUT_SECONDS,
            Some(text) => parse_timeout(text)?,
        };
        Ok(Config {
            base_url,
            scheme_len,
            authority,
            timeout: Duration::from_secs(timeout),
        })
    }

    /// The base URL without a trailing `/`, e.g. `http://127.0.0.1:8000/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The scheme of the base URL: `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.base_url.get(..self.scheme_len).unwrap_or("http")
    }

    /// The `host[:port]` of the base URL.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `scheme://host[:port]`: the destination the host must allow.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme(), self.authority)
    }

    /// The path of the base URL (the API prefix), e.g. `/api/v1`; empty when there is none.
    pub fn base_path(&self) -> &str {
        let prefix = self.scheme_len + "://".len() + self.authority.len();
        self.base_url.get(prefix..).unwrap_or("")
    }

    /// How long one request may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// An environment variable's value; `None` when unset.
fn read_variable(name: &'static str) -> Result<Option<String>, ApiError> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => Err(ApiError::Configuration {
            variable: name,
            value: raw.to_string_lossy().into_owned(),
            problem: "is not valid UTF-8".to_owned(),
        }),
    }
}

fn url_error(value: &str, problem: &str) -> ApiError {
    ApiError::Configuration {
        variable: URL_VARIABLE,
        value: value.to_owned(),
        problem: format!(
            "{problem}; expected an http(s) URL with the API prefix, e.g. {DEFAULT_API_URL}"
        ),
    }
}

/// Validates the base URL and returns it without trailing `/`, with the length of its scheme
/// and its authority.
fn parse_base_url(url: &str) -> Result<(String, usize, String), ApiError> {
    // `:` then `//`, as one `split_once("://")` would, without linking a substring searcher.
    let Some((scheme, rest)) = url
        .split_once(':')
        .and_then(|(scheme, rest)| Some((scheme, rest.strip_prefix("//")?)))
    else {
        return Err(url_error(url, "has no scheme"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(url_error(url, "must use http or https"));
    }
    if let Some(bad) = url
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(url_error(
            url,
            &format!("must not contain {bad:?} (no query, fragment or spaces)"),
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(url_error(url, "must not contain user info"));
    }
    if !valid_authority(authority) {
        return Err(url_error(url, "has no valid host[:port]"));
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(url_error(url, "must not contain . or .. path segments"));
    }
    let base = format!("{scheme}://{authority}{}", path.trim_end_matches('/'));
    Ok((base, scheme.len(), authority.to_owned()))
}

/// `host[:port]` with a DNS name, IPv4 address or bracketed IPv6 address.
fn valid_authority(authority: &str) -> bool {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ipv6, after)) if !ipv6.is_empty() => {
                if !ipv6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
                {
                    return false;
                }
                match after.strip_prefix(':') {
                    Some(port) => ("[ipv6]", Some(port)),
                    None if after.is_empty() => ("[ipv6]", None),
                    None => return false,
                }
            }
            _ => return false,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = host == "[ipv6]"
        || (!host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|number| number > 0));
    host_ok && port_ok
}

fn parse_timeout(text: &str) -> Result<u64, ApiError> {
    match text.parse::<u64>() {
        Ok(seconds) if TIMEOUT_RANGE_SECONDS.contains(&seconds) => Ok(seconds),
        _ => Err(ApiError::Configuration {
            variable: TIMEOUT_VARIABLE,
            value: text.to_owned(),
            problem: format!(
                "must be whole seconds from {} to {}",
                TIMEOUT_RANGE_SECONDS.start(),
                TIMEOUT_RANGE_SECONDS.end()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode;

    fn url(value: &str) -> Result<Config, ApiError> {
        Config::parse(Some(value), None)
    }

    #[test]
    fn defaults_apply_when_unset_or_blank() {
        for config in [
            Config::parse(None, None),
            Config::parse(Some("  "), Some("")),
        ] {
            let config = config.unwrap();
            assert_eq!(config.base_url(), DEFAULT_API_URL);
            assert_eq!(config.authority(), "127.0.0.1:8000");
            assert_eq!(config.timeout(), Duration::from_secs(30));
        }
    }

    #[test]
    fn trailing_slashes_are_stripped_and_prefix_kept() {
        let config = url("http://backend:8000/api/v1/").unwrap();
        assert_eq!(config.base_url(), "http://backend:8000/api/v1");
        assert_eq!(config.authority(), "backend:8000");
        assert_eq!(
            url("HTTPS://Example.com").unwrap().base_url(),
            "https://Example.com"
        );
        assert_eq!(
            url("http://[::1]:8000/api/v1").unwrap().authority(),
            "[::1]:8000"
        );
    }

    #[test]
    fn bad_urls_are_configuration_errors() {
        for bad in [
            "127.0.0.1:8000/api/v1",
            "ftp://host/api/v1",
            "file:///etc/passwd",
            "http://user:pw@host/api/v1",
            "http://host/api/v1?x=1",
            "http://host/api/v1#frag",
            "http:///api/v1",
            "http://host:notaport/api",
            "http://host:0/api",
            "http://ho st/api",
            "http://host/api/../admin",
            "http://[zz]:80/",
        ] {
            let error = url(bad).expect_err(bad);
            assert_eq!(error.code(), ErrorCode::Configuration, "{bad}");
            assert!(
                error.to_string().contains("KTRDR_API_URL"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn timeout_range_is_enforced() {
        assert_eq!(
            Config::parse(None, Some(" 300 ")).unwrap().timeout(),
            Duration::from_secs(300)
        );
        assert_eq!(
            Config::parse(None, Some("1")).unwrap().timeout(),
            Duration::from_secs(1)
        );
        for bad in ["0", "301", "-1", "2.5", "ten"] {
            let error = Config::parse(None, Some(bad)).expect_err(bad);
            assert_eq!(error.code(), ErrorCode::Configuration);
            assert!(error
                .to_string()
                .contains("API_TIMEOUT must be whole seconds from 1 to 300"));
        }
    }
}
