//! Why a signature, certificate, CRL or OCSP answer was refused.

use chrono::{DateTime, Utc};

use crate::Purpose;
use crate::der::DerError;

/// Each variant names exactly what failed; `message_key()` gives the Fluent key of the text
/// shown to a person (`locales/*/pki.ftl`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed input: {0}")]
    Malformed(String),
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported critical certificate extension {0}")]
    UnsupportedCriticalExtension(String),
    #[error("the CMS is not SignedData")]
    NotSignedData,
    #[error("expected exactly one signer, found {0}")]
    SignerCount(usize),
    #[error("signed content differs from the expected content")]
    ContentMismatch,
    #[error("signed attribute {0} is missing or repeated")]
    MissingSignedAttribute(&'static str),
    #[error("contentType attribute does not match the signed content type")]
    ContentTypeMismatch,
    #[error("messageDigest does not match the content")]
    MessageDigestMismatch,
    #[error("signature does not verify with the signer certificate")]
    BadSignature,
    #[error("signer certificate is not in the CMS")]
    SignerCertNotFound,
    #[error("certificate chain does not lead to a trusted anchor ({subject})")]
    UntrustedChain { subject: String },
    #[error("certificate signature in the chain is invalid ({subject})")]
    ChainSignatureInvalid { subject: String },
    #[error("issuer certificate is not a CA ({subject})")]
    NotACa { subject: String },
    #[error("certificate expired ({subject}) at {at}")]
    Expired { subject: String, at: DateTime<Utc> },
    #[error("certificate not yet valid ({subject}) at {at}")]
    NotYetValid { subject: String, at: DateTime<Utc> },
    #[error("key usage does not allow {expected:?}")]
    WrongKeyUsage { expected: Purpose },
    #[error("certificate revoked at {at} ({reason:?})")]
    Revoked {
        at: DateTime<Utc>,
        reason: Option<String>,
    },
    #[error("revocation status unknown: {0}")]
    RevocationUnknown(String),
    #[error("CRL signature does not verify against its issuer")]
    CrlSignatureInvalid,
    #[error("OCSP response invalid: {0}")]
    OcspInvalid(String),
}

impl VerifyError {
    /// Stable key of the translated message.
    pub fn message_key(&self) -> &'static str {
        match self {
            VerifyError::Malformed(_) => "pki-err-malformed",
            VerifyError::UnsupportedAlgorithm(_) => "pki-err-unsupported-algorithm",
            VerifyError::UnsupportedCriticalExtension(_) => "pki-err-unsupported-extension",
            VerifyError::NotSignedData => "pki-err-not-signed-data",
            VerifyError::SignerCount(_) => "pki-err-signer-count",
            VerifyError::ContentMismatch => "pki-err-content-mismatch",
            VerifyError::MissingSignedAttribute(_) => "pki-err-missing-attribute",
            VerifyError::ContentTypeMismatch => "pki-err-content-type-mismatch",
            VerifyError::MessageDigestMismatch => "pki-err-message-digest-mismatch",
            VerifyError::BadSignature => "pki-err-bad-signature",
            VerifyError::SignerCertNotFound => "pki-err-signer-cert-not-found",
            VerifyError::UntrustedChain { .. } => "pki-err-untrusted-chain",
            VerifyError::ChainSignatureInvalid { .. } => "pki-err-chain-signature-invalid",
            VerifyError::NotACa { .. } => "pki-err-not-a-ca",
            VerifyError::Expired { .. } => "pki-err-expired",
            VerifyError::NotYetValid { .. } => "pki-err-not-yet-valid",
            VerifyError::WrongKeyUsage {
                expected: Purpose::Login,
            } => "pki-err-wrong-key-usage-login",
            VerifyError::WrongKeyUsage {
                expected: Purpose::Sign,
            } => "pki-err-wrong-key-usage-sign",
            VerifyError::Revoked { .. } => "pki-err-revoked",
            VerifyError::RevocationUnknown(_) => "pki-err-revocation-unknown",
            VerifyError::CrlSignatureInvalid => "pki-err-crl-signature-invalid",
            VerifyError::OcspInvalid(_) => "pki-err-ocsp-invalid",
        }
    }

    /// The Fluent variables of the message (`$oid`, `$count`, `$name`, `$subject`, `$at`).
    pub fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            VerifyError::UnsupportedAlgorithm(o) | VerifyError::UnsupportedCriticalExtension(o) => {
                vec![("oid", o.clone())]
            }
            VerifyError::SignerCount(n) => vec![("count", n.to_string())],
            VerifyError::MissingSignedAttribute(name) => vec![("name", name.to_string())],
            VerifyError::UntrustedChain { subject }
            | VerifyError::ChainSignatureInvalid { subject }
            | VerifyError::NotACa { subject }
            | VerifyError::Expired { subject, .. }
            | VerifyError::NotYetValid { subject, .. } => vec![("subject", subject.clone())],
            VerifyError::Revoked { at, .. } => {
                vec![("at", at.format("%Y-%m-%d %H:%M UTC").to_string())]
            }
            _ => Vec::new(),
        }
    }

    /// Every key `message_key` can return (the locale files are checked against this list).
    pub const ALL_MESSAGE_KEYS: &'static [&'static str] = &[
        "pki-err-malformed",
        "pki-err-unsupported-algorithm",
        "pki-err-unsupported-extension",
        "pki-err-not-signed-data",
        "pki-err-signer-count",
        "pki-err-content-mismatch",
        "pki-err-missing-attribute",
        "pki-err-content-type-mismatch",
        "pki-err-message-digest-mismatch",
        "pki-err-bad-signature",
        "pki-err-signer-cert-not-found",
        "pki-err-untrusted-chain",
        "pki-err-chain-signature-invalid",
        "pki-err-not-a-ca",
        "pki-err-expired",
        "pki-err-not-yet-valid",
        "pki-err-wrong-key-usage-login",
        "pki-err-wrong-key-usage-sign",
        "pki-err-revoked",
        "pki-err-revocation-unknown",
        "pki-err-crl-signature-invalid",
        "pki-err-ocsp-invalid",
    ];
}

impl From<DerError> for VerifyError {
    fn from(e: DerError) -> Self {
        VerifyError::Malformed(e.0.to_string())
    }
}

pub(crate) fn malformed(what: &str) -> VerifyError {
    VerifyError::Malformed(what.to_string())
}
