//! TLS to the backend: the certificates the host trusts, and what a failed handshake reports.
//!
//! The host trusts the system's certificate store (as `rustls-native-certs` finds it, which
//! honours `SSL_CERT_FILE` and `SSL_CERT_DIR`) plus the CA certificates given with
//! `--backend-ca`. The system store is read on the first `https` connection, so that a host
//! whose backend speaks plain HTTP never pays for it.
//!
//! A handshake that fails becomes a wasi-http error that says what failed and what to do, the
//! text the component passes on to the agent. `TLS-certificate-error` carries no text, so a
//! certificate the host refuses is reported as the alert its TLS client ends the handshake with
//! (`TLS-alert-received`: the alert's id, and a message naming the problem).

use std::error::Error as StdError;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use wasmtime_wasi_http::Error;

/// The certificates the host trusts for `https` backends, and the TLS client configuration
/// built from them on first use.
pub struct BackendTrust {
    /// CA certificates given with `--backend-ca`.
    extra: Vec<CertificateDer<'static>>,
    config: OnceLock<Arc<ClientConfig>>,
}

impl BackendTrust {
    /// Trust in the system store plus `extra`.
    pub fn new(extra: Vec<CertificateDer<'static>>) -> Self {
        Self {
            extra,
            config: OnceLock::new(),
        }
    }

    /// The TLS client configuration (TLS 1.2 and 1.3, `ring`), built on the first call.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.config
            .get_or_init(|| Arc::new(client_config(&self.extra)))
            .clone()
    }
}

fn client_config(extra: &[CertificateDer<'static>]) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for error in &system.errors {
        tracing::warn!("cannot read the system's CA certificates: {error}");
    }
    let (trusted, unusable) = roots.add_parsable_certificates(system.certs);
    tracing::debug!("{trusted} system CA certificates trusted, {unusable} unusable ones skipped");
    roots.add_parsable_certificates(extra.iter().cloned());
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring offers cipher suites for TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// The CA certificates of a PEM file given with `--backend-ca`: at least one, each usable as a
/// trust anchor.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| pem_error(&error))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| pem_error(&error))?;
    if certificates.is_empty() {
        bail!("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    let mut roots = RootCertStore::empty();
    for (index, certificate) in certificates.iter().enumerate() {
        roots
            .add(certificate.clone())
            .with_context(|| format!("its certificate number {} is unusable", index + 1))?;
    }
    Ok(certificates)
}

/// A PEM reading error in words (an unreadable file says why).
fn pem_error(error: &rustls::pki_types::pem::Error) -> anyhow::Error {
    match error {
        rustls::pki_types::pem::Error::Io(io) => anyhow::anyhow!("cannot read it: {io}"),
        other => anyhow::anyhow!("it is not valid PEM: {other:?}"),
    }
}

/// The TLS error somewhere in `error`'s chain of causes. The TLS stream reports it inside an
/// `io::Error`, whose `source` skips the error it wraps, so wrapped errors are opened too.
pub fn tls_error_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut cause = Some(error);
    while let Some(inner) = cause {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = match inner
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(wrapped) => Some(wrapped),
            None => inner.source(),
        };
    }
    None
}

/// The wasi-http error for a TLS handshake with the backend that failed with `error`.
pub fn handshake_failure(error: &rustls::Error) -> Error {
    match error {
        rustls::Error::InvalidCertificate(certificate) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(AlertDescription::from(certificate.clone()))),
            alert_message: Some(refused_certificate(certificate)),
        },
        rustls::Error::AlertReceived(alert) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!(
                "the backend ended the handshake with the alert {alert:?}"
            )),
        },
        rustls::Error::NoCertificatesPresented => Error::TlsCertificateError,
        _ => Error::TlsProtocolError,
    }
}

/// Why the host refused the backend's certificate, and what to do about it.
fn refused_certificate(error: &CertificateError) -> String {
    use CertificateError as C;
    let problem = match error {
        C::UnknownIssuer => "it is signed by a CA the host does not trust (unknown issuer); \
                            pass that CA's PEM certificate to the host with --backend-ca FILE"
            .to_owned(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "it is for {}, not {} (name mismatch): use a name it is for in the backend URL",
            presented
                .iter()
                .map(|name| subject_name(name))
                .collect::<Vec<_>>()
                .join(", "),
            expected.to_str()
        ),
        C::NotValidForName => "it is not for the backend URL's host name (name mismatch): \
                               use a name it is for in the backend URL"
            .to_owned(),
        C::Expired | C::ExpiredContext { .. } => {
            "it has expired: renew the backend's certificate".to_owned()
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet: check the clocks of the host and the backend".to_owned()
        }
        C::Revoked => "it has been revoked".to_owned(),
        other => format!("{other}"),
    };
    format!("the host refused the backend's certificate: {problem}")
}

/// A subject name as rustls presents it (`DnsName("a.example")`, `IpAddress(10.0.0.1)`),
/// without the wrapping.
fn subject_name(presented: &str) -> &str {
    presented
        .strip_prefix("DnsName(\"")
        .and_then(|name| name.strip_suffix("\")"))
        .or_else(|| {
            presented
                .strip_prefix("IpAddress(")
                .and_then(|ip| ip.strip_suffix(')'))
        })
        .unwrap_or(presented)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    fn message(error: Error) -> String {
        match error {
            Error::TlsAlertReceived {
                alert_message: Some(message),
                ..
            } => message,
            other => panic!("not an alert with a message: {other:?}"),
        }
    }

    #[test]
    fn refused_certificates_say_what_failed_and_what_to_do() {
        let unknown = handshake_failure(&CertificateError::UnknownIssuer.into());
        assert!(matches!(
            unknown,
            Error::TlsAlertReceived {
                alert_id: Some(48),
                ..
            }
        ));
        let unknown = message(unknown);
        assert!(unknown.contains("unknown issuer"), "{unknown}");
        assert!(unknown.contains("--backend-ca"), "{unknown}");

        let mismatch = message(handshake_failure(
            &CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("127.0.0.1").unwrap(),
                presented: vec![
                    "DnsName(\"localhost\")".into(),
                    "IpAddress(10.0.0.1)".into(),
                ],
            }
            .into(),
        ));
        assert!(
            mismatch.contains("it is for localhost, 10.0.0.1, not 127.0.0.1 (name mismatch)"),
            "{mismatch}"
        );

        let expired = message(handshake_failure(&CertificateError::Expired.into()));
        assert!(expired.contains("expired"), "{expired}");
    }

    #[test]
    fn other_failures_keep_their_kind() {
        let alert = handshake_failure(&rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure,
        ));
        assert_eq!(
            message(alert),
            "the backend ended the handshake with the alert HandshakeFailure"
        );
        assert!(matches!(
            handshake_failure(&rustls::Error::NoCertificatesPresented),
            Error::TlsCertificateError
        ));
        assert!(matches!(
            handshake_failure(&rustls::Error::DecryptError),
            Error::TlsProtocolError
        ));
    }

    #[test]
    fn the_tls_error_is_found_inside_wrapped_io_errors() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let inner = io::Error::new(io::ErrorKind::InvalidData, tls.clone());
        let outer = io::Error::other(inner);
        assert_eq!(tls_error_in(&outer), Some(&tls));
        assert_eq!(tls_error_in(&io::Error::other("plain")), None);
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no PEM here\n").unwrap();
        let error = read_ca_file(&empty).unwrap_err().to_string();
        assert!(error.contains("no PEM certificate"), "{error}");
        let missing = read_ca_file(&dir.path().join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot read it"), "{missing}");
        let garbled = dir.path().join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = format!("{:#}", read_ca_file(&garbled).unwrap_err());
        assert!(
            error.contains("certificate number 1 is unusable"),
            "{error}"
        );
    }
}
