//! Trust anchors: the CA certificates the configuration names. An anchor may be an intermediate
//! (NCA publishes its test root only inside Kalkan, so the test intermediate is the anchor).

use std::sync::Arc;

use crate::error::VerifyError;
use crate::x509::{Certificate, certificates_from_pem_or_der};

#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Arc<Certificate>>,
}

impl TrustStore {
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// A store holding every certificate of a PEM bundle or one DER certificate.
    pub fn from_pem_or_der(data: &[u8]) -> Result<TrustStore, VerifyError> {
        let mut store = TrustStore::new();
        store.add(data)?;
        Ok(store)
    }

    /// Adds the certificates of a PEM bundle or one DER certificate.
    pub fn add(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        for cert in certificates_from_pem_or_der(data)? {
            self.add_certificate(cert);
        }
        Ok(())
    }

    pub fn add_certificate(&mut self, cert: Certificate) {
        if !self.anchors.iter().any(|a| a.sha256 == cert.sha256) {
            self.anchors.push(Arc::new(cert));
        }
    }

    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    pub fn anchors(&self) -> &[Arc<Certificate>] {
        &self.anchors
    }

    /// Anchors that could have issued `child` (by name and key identifier).
    pub fn issuers_of<'a>(
        &'a self,
        child: &'a Certificate,
    ) -> impl Iterator<Item = &'a Arc<Certificate>> + 'a {
        self.anchors.iter().filter(move |a| a.could_issue(child))
    }

    /// Whether this exact certificate is an anchor.
    pub fn contains(&self, cert: &Certificate) -> bool {
        self.anchors.iter().any(|a| a.sha256 == cert.sha256)
    }
}
