//! A certificate authority made by a test, and server certificates it signs.

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::NamedTempFile;

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub certificate: CertificateDer<'static>,
    /// Its certificate as a PEM file, for `--backend-ca` or `SSL_CERT_FILE`.
    pem_file: NamedTempFile,
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "ktrdr-mcp test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).unwrap();
        let pem_file = NamedTempFile::new().unwrap();
        std::fs::write(pem_file.path(), certificate.pem()).unwrap();
        Self {
            issuer: Issuer::new(params, key),
            certificate: certificate.der().clone(),
            pem_file,
        }
    }

    pub fn pem_path(&self) -> &str {
        self.pem_file.path().to_str().unwrap()
    }

    /// A server certificate for `names` (DNS names or IP addresses) and its key, valid from
    /// `not_before` to `not_after` (years).
    pub fn server_certificate(
        &self,
        names: &[&str],
        (not_before, not_after): (i32, i32),
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let (certificate, key) = self.sign(names, (not_before, not_after));
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        (certificate.der().clone(), key.into())
    }

    /// A server certificate for `names`, valid now, and its key, as PEM files.
    pub fn server_pem_files(&self, names: &[&str]) -> (NamedTempFile, NamedTempFile) {
        let (certificate, key) = self.sign(names, (2020, 2200));
        let certificate_file = NamedTempFile::new().unwrap();
        let key_file = NamedTempFile::new().unwrap();
        std::fs::write(certificate_file.path(), certificate.pem()).unwrap();
        std::fs::write(key_file.path(), key.serialize_pem()).unwrap();
        (certificate_file, key_file)
    }

    fn sign(&self, names: &[&str], (not_before, not_after): (i32, i32)) -> (Certificate, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.not_before = rcgen::date_time_ymd(not_before, 1, 1);
        params.not_after = rcgen::date_time_ymd(not_after, 1, 1);
        (params.signed_by(&key, &self.issuer).unwrap(), key)
    }
}
