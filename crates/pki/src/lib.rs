//! EDS (ЭЦҚ / ЭЦП) for Mektep: CMS verification against NCA RK certificates, chains, revocation
//! (CRL, OCSP), the person named by a certificate, and a test CA that issues NCA-shaped keys.
//!
//! All cryptography of the project lives here. RSA arithmetic is ring's; ASN.1 is read by the
//! small `der` module so signatures are checked over the bytes exactly as they were signed.

pub mod cli;
pub mod cms;
pub mod crl;
pub mod der;
pub mod error;
pub mod input;
#[cfg(feature = "ncalayer")]
pub mod ncalayer;
pub mod ocsp;
pub mod oid;
pub mod revocation;
pub mod sig;
pub mod testca;
pub mod trust;
pub mod verify;
pub mod x509;

pub use crl::{Crl, RevokedEntry};
pub use error::VerifyError;
pub use input::parse_cms_input;
pub use ocsp::{CertStatus, OcspRequest, OcspResponse};
pub use revocation::{
    CrlFetcher, FetchError, OcspClient, RevocationConfig, RevocationSource, RevocationStatus,
    UnreachablePolicy,
};
pub use trust::TrustStore;
pub use verify::{
    KeyKind, Purpose, Role, SignPolicy, SignerIdentity, VerifiedSignature, Verifier, key_kind,
};
pub use x509::{CertSummary, Certificate};
