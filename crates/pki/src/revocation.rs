//! Revocation: OCSP first when configured, then CRLs (preloaded, or fetched by the signer
//! certificate's distribution points and cached until their nextUpdate). Network access sits
//! behind `OcspClient` and `CrlFetcher`, which the server implements over HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::crl::Crl;
use crate::error::VerifyError;
use crate::ocsp::{self, CertStatus, OcspResponse};
use crate::x509::Certificate;

/// A network failure reported by a transport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Sends a DER OCSPRequest to the configured responder and returns the DER answer.
pub trait OcspClient: Send + Sync {
    fn check(&self, request_der: &[u8]) -> Result<Vec<u8>, FetchError>;
}

/// Downloads a CRL (DER or PEM) from a distribution point URL.
pub trait CrlFetcher: Send + Sync {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError>;
}

/// What to do when no source could say whether a certificate is revoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnreachablePolicy {
    #[default]
    Reject,
    Accept,
}

#[derive(Clone, Default)]
pub struct RevocationConfig {
    pub crls: Vec<Arc<Crl>>,
    pub ocsp: Option<Arc<dyn OcspClient>>,
    pub unreachable_policy: UnreachablePolicy,
    pub crl_fetcher: Option<Arc<dyn CrlFetcher>>,
}

impl RevocationConfig {
    /// No revocation sources: every certificate is reported `NotChecked`.
    pub fn none() -> RevocationConfig {
        RevocationConfig::default()
    }

    pub fn with_crls(crls: Vec<Crl>) -> RevocationConfig {
        RevocationConfig {
            crls: crls.into_iter().map(Arc::new).collect(),
            ..RevocationConfig::default()
        }
    }

    fn has_sources(&self) -> bool {
        !self.crls.is_empty() || self.ocsp.is_some() || self.crl_fetcher.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationSource {
    Crl,
    Ocsp,
}

/// The revocation answer for an accepted signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RevocationStatus {
    Good {
        source: RevocationSource,
    },
    /// No source answered and the policy accepts that.
    Unknown {
        detail: String,
    },
    /// No source is configured.
    NotChecked,
}

pub(crate) struct RevocationChecker {
    config: RevocationConfig,
    fetched: Mutex<HashMap<String, Arc<Crl>>>,
}

impl RevocationChecker {
    pub(crate) fn new(config: RevocationConfig) -> RevocationChecker {
        RevocationChecker {
            config,
            fetched: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn check(
        &self,
        leaf: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
    ) -> Result<RevocationStatus, VerifyError> {
        if !self.config.has_sources() {
            return Ok(RevocationStatus::NotChecked);
        }
        let mut problems = Vec::new();
        if let Some(client) = &self.config.ocsp {
            match check_ocsp(client.as_ref(), leaf, issuer, at) {
                Ok(Some(status)) => return status,
                Ok(None) => problems.push("OCSP: unknown".to_string()),
                Err(e) => problems.push(format!("OCSP: {e}")),
            }
        }
        match self.check_crls(leaf, issuer, at, &mut problems) {
            Some(result) => result,
            None => {
                let detail = if problems.is_empty() {
                    "no current CRL".to_string()
                } else {
                    problems.join("; ")
                };
                match self.config.unreachable_policy {
                    UnreachablePolicy::Reject => Err(VerifyError::RevocationUnknown(detail)),
                    UnreachablePolicy::Accept => Ok(RevocationStatus::Unknown { detail }),
                }
            }
        }
    }

    /// `None` when no current, correctly signed CRL of the issuer was available.
    fn check_crls(
        &self,
        leaf: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
        problems: &mut Vec<String>,
    ) -> Option<Result<RevocationStatus, VerifyError>> {
        let mut crls: Vec<Arc<Crl>> = self.config.crls.clone();
        if let Ok(cache) = self.fetched.lock() {
            crls.extend(leaf.crl_urls.iter().filter_map(|u| cache.get(u).cloned()));
        }
        if let Some(found) = evaluate(&crls, leaf, issuer, at, problems) {
            return Some(found);
        }
        let fetcher = self.config.crl_fetcher.as_ref()?;
        for url in &leaf.crl_urls {
            match fetcher
                .fetch(url)
                .map_err(|e| e.to_string())
                .and_then(|bytes| Crl::from_pem_or_der(&bytes).map_err(|e| e.to_string()))
            {
                Ok(crl) => {
                    let crl = Arc::new(crl);
                    if let Ok(mut cache) = self.fetched.lock() {
                        cache.insert(url.clone(), crl.clone());
                    }
                    crls.push(crl);
                }
                Err(e) => problems.push(format!("CRL {url}: {e}")),
            }
        }
        evaluate(&crls, leaf, issuer, at, problems)
    }
}

fn evaluate(
    crls: &[Arc<Crl>],
    leaf: &Certificate,
    issuer: &Certificate,
    at: DateTime<Utc>,
    problems: &mut Vec<String>,
) -> Option<Result<RevocationStatus, VerifyError>> {
    let mut have_current_base = false;
    for crl in crls.iter().filter(|c| c.is_issued_by(issuer)) {
        if let Err(e) = crl.verify_signature(issuer) {
            problems.push(format!("CRL: {e}"));
            continue;
        }
        if !crl.is_current(at) {
            continue;
        }
        if let Some(entry) = crl.is_revoked(&leaf.serial) {
            return Some(Err(VerifyError::Revoked {
                at: entry.revoked_at,
                reason: entry.reason.clone(),
            }));
        }
        have_current_base |= !crl.is_delta;
    }
    have_current_base.then_some(Ok(RevocationStatus::Good {
        source: RevocationSource::Crl,
    }))
}

/// `Ok(None)` when the responder does not know the certificate.
fn check_ocsp(
    client: &dyn OcspClient,
    leaf: &Certificate,
    issuer: &Certificate,
    at: DateTime<Utc>,
) -> Result<Option<Result<RevocationStatus, VerifyError>>, VerifyError> {
    let request = ocsp::build_request(leaf, issuer);
    let answer = client
        .check(&request.der)
        .map_err(|e| VerifyError::OcspInvalid(format!("unreachable: {e}")))?;
    let response = OcspResponse::parse(&answer)?;
    response.verify_signature(issuer, at)?;
    if let Some(nonce) = &response.nonce
        && nonce != &request.nonce
    {
        return Err(VerifyError::OcspInvalid("nonce mismatch".to_string()));
    }
    let Some(single) = response.status_for(leaf, issuer) else {
        return Err(VerifyError::OcspInvalid(
            "no answer for this certificate".into(),
        ));
    };
    if single.next_update.is_some_and(|n| n < at) {
        return Err(VerifyError::OcspInvalid("stale answer".into()));
    }
    Ok(match &single.status {
        CertStatus::Good => Some(Ok(RevocationStatus::Good {
            source: RevocationSource::Ocsp,
        })),
        CertStatus::Revoked { at, reason } => Some(Err(VerifyError::Revoked {
            at: *at,
            reason: reason.clone(),
        })),
        CertStatus::Unknown => None,
    })
}
