//! Bearer tokens: read from a file, compared in constant time, re-read on demand (SIGHUP).
//!
//! The file holds one token per line; blank lines and lines starting with `#` are skipped. Each
//! token is kept only as its SHA-256 digest. A presented token is hashed and compared with every
//! digest in constant time, so neither the comparison nor the number of tokens tried tells a
//! caller how close a guess came.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{bail, Context, Result};
use ring::digest::{digest, SHA256};
use subtle::ConstantTimeEq;

/// Shortest token accepted: a token is a secret, not a password.
const MIN_TOKEN_CHARS: usize = 16;

/// Identifies a valid token (its digest) without holding the token itself.
pub type TokenId = [u8; 32];

/// The tokens of a token file.
pub struct BearerTokens {
    path: PathBuf,
    digests: RwLock<Arc<Vec<TokenId>>>,
}

impl BearerTokens {
    /// Reads `path`, which must hold at least one token.
    pub fn load(path: &Path) -> Result<Self> {
        let digests = read(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            digests: RwLock::new(Arc::new(digests)),
        })
    }

    /// Reads the file again; on an error the tokens already loaded stay in force. Returns how
    /// many tokens are now valid.
    pub fn reload(&self) -> Result<usize> {
        let digests = read(&self.path)?;
        let count = digests.len();
        *self.digests.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(digests);
        Ok(count)
    }

    /// The id of `presented` if it is one of the tokens.
    pub fn verify(&self, presented: &str) -> Option<TokenId> {
        let candidate = sha256(presented);
        let digests = self
            .digests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut found = subtle::Choice::from(0);
        for known in digests.iter() {
            found |= known.ct_eq(&candidate);
        }
        bool::from(found).then_some(candidate)
    }
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn read(path: &Path) -> Result<Vec<TokenId>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let mut digests = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let token = line.trim();
        if token.is_empty() || token.starts_with('#') {
            continue;
        }
        let line = number + 1;
        if token.chars().count() < MIN_TOKEN_CHARS {
            bail!(
                "{}:{line}: a token needs at least {MIN_TOKEN_CHARS} characters \
                 (e.g. `openssl rand -hex 32`)",
                path.display()
            );
        }
        if !token.bytes().all(is_b64token_byte) {
            bail!(
                "{}:{line}: a token may hold only letters, digits and `-._~+/=` (RFC 6750)",
                path.display()
            );
        }
        digests.push(sha256(token));
    }
    if digests.is_empty() {
        bail!("the token file {} holds no token", path.display());
    }
    Ok(digests)
}

/// Whether `byte` may appear in an RFC 6750 `b64token`.
fn is_b64token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte)
}

fn sha256(token: &str) -> TokenId {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .try_into()
        .expect("SHA-256 gives 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn only_listed_tokens_verify_and_each_has_its_own_id() {
        let file = file("# operators\n0123456789abcdef\n\n  fedcba9876543210-x  \n");
        let tokens = BearerTokens::load(file.path()).unwrap();
        let first = tokens.verify("0123456789abcdef").unwrap();
        let second = tokens.verify("fedcba9876543210-x").unwrap();
        assert_ne!(first, second);
        assert_eq!(tokens.verify("0123456789abcdeF"), None);
        assert_eq!(tokens.verify(""), None);
        assert_eq!(tokens.verify("# operators"), None);
    }

    #[test]
    fn reload_replaces_the_tokens_and_keeps_them_on_a_bad_file() {
        let file = file("0123456789abcdef\n");
        let tokens = BearerTokens::load(file.path()).unwrap();
        std::fs::write(file.path(), "ffffffffffffffff\n").unwrap();
        assert_eq!(tokens.reload().unwrap(), 1);
        assert!(tokens.verify("0123456789abcdef").is_none());
        assert!(tokens.verify("ffffffffffffffff").is_some());
        std::fs::write(file.path(), "short\n").unwrap();
        assert!(tokens.reload().is_err());
        assert!(tokens.verify("ffffffffffffffff").is_some());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let message =
            |text: &str| format!("{:#}", BearerTokens::load(file(text).path()).err().unwrap());
        assert!(message("# nothing\n\n").contains("holds no token"));
        assert!(message("tooshort\n").contains(":1: a token needs at least 16"));
        assert!(message("0123456789abcdef\nwith a space inside it\n")
            .contains(":2: a token may hold only"));
        let missing = BearerTokens::load(Path::new("/nonexistent/tokens"))
            .err()
            .unwrap();
        assert!(format!("{missing:#}").contains("cannot read the token file /nonexistent/tokens"));
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
