//! Signature algorithms: which hash goes with which OID, and RSA PKCS#1 v1.5 verification by ring.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::error::VerifyError;
use crate::oid;
use crate::x509::Certificate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The digest algorithm named by a CMS `digestAlgorithm`. SHA-1 is refused on purpose.
    pub fn from_digest_oid(o: &str) -> Result<Hash, VerifyError> {
        match o {
            oid::SHA256 => Ok(Hash::Sha256),
            oid::SHA384 => Ok(Hash::Sha384),
            oid::SHA512 => Ok(Hash::Sha512),
            other => Err(VerifyError::UnsupportedAlgorithm(other.to_string())),
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Hash::Sha256 => &ring::digest::SHA256,
            Hash::Sha384 => &ring::digest::SHA384,
            Hash::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }

    fn rsa(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Hash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

/// Hash of a `shaXWithRSAEncryption` signature algorithm (certificates, CRLs, OCSP).
pub fn rsa_signature_hash(sig_alg: &str) -> Result<Hash, VerifyError> {
    match sig_alg {
        oid::SHA256_WITH_RSA => Ok(Hash::Sha256),
        oid::SHA384_WITH_RSA => Ok(Hash::Sha384),
        oid::SHA512_WITH_RSA => Ok(Hash::Sha512),
        other => Err(VerifyError::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Hash for a CMS signer: `rsaEncryption` (OpenSSL, Kalkan) takes it from the digest algorithm;
/// `shaXWithRSAEncryption` must agree with it.
pub fn cms_signature_hash(sig_alg: &str, digest_alg: &str) -> Result<Hash, VerifyError> {
    let digest = Hash::from_digest_oid(digest_alg)?;
    if sig_alg == oid::RSA_ENCRYPTION {
        return Ok(digest);
    }
    let implied = rsa_signature_hash(sig_alg)?;
    if implied != digest {
        return Err(VerifyError::UnsupportedAlgorithm(sig_alg.to_string()));
    }
    Ok(digest)
}

/// Verifies an RSA PKCS#1 v1.5 signature of `message` with the certificate's key.
/// `Ok(false)` means the signature is wrong; `Err` that the key cannot be used at all.
pub fn verify_rsa(
    key_holder: &Certificate,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, VerifyError> {
    if key_holder.public_key_algorithm != oid::RSA_ENCRYPTION {
        return Err(VerifyError::UnsupportedAlgorithm(
            key_holder.public_key_algorithm.clone(),
        ));
    }
    let key = UnparsedPublicKey::new(hash.rsa(), &key_holder.public_key);
    Ok(key.verify(message, signature).is_ok())
}

/// Verifies a signature made by `signer` under a `shaXWithRSAEncryption` algorithm identifier.
pub fn verify_signed(
    signer: &Certificate,
    sig_alg: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, VerifyError> {
    let hash = rsa_signature_hash(sig_alg)?;
    verify_rsa(signer, hash, message, signature)
}
