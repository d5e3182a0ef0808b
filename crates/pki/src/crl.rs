//! Certificate revocation lists (RFC 5280 §5): parsed once into a lookup table, signature checked
//! against the issuing CA before use.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::der::{self, tag};
use crate::error::{VerifyError, malformed};
use crate::oid;
use crate::sig;
use crate::x509::{Certificate, Name, read_algorithm, sha256};

/// One revoked serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    pub revoked_at: DateTime<Utc>,
    /// RFC 5280 CRLReason name (`keyCompromise`, `certificateHold`, …), when given.
    pub reason: Option<String>,
}

#[derive(Debug)]
pub struct Crl {
    der: Vec<u8>,
    tbs: Range<usize>,
    signature_algorithm: String,
    signature: Vec<u8>,
    pub issuer: Name,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub is_delta: bool,
    revoked: HashMap<Vec<u8>, RevokedEntry>,
    /// Fingerprints of the issuer certificates this CRL's signature was already checked with.
    verified_by: Mutex<Vec<[u8; 32]>>,
}

impl Crl {
    pub fn from_pem_or_der(data: &[u8]) -> Result<Crl, VerifyError> {
        match crate::input::pem_blocks(data, "CRL").into_iter().next() {
            Some(der) => Crl::from_der(&der),
            None => Crl::from_der(data),
        }
    }

    pub fn from_der(data: &[u8]) -> Result<Crl, VerifyError> {
        let outer = der::parse_single(data)?;
        if outer.tag != tag::SEQUENCE || outer.indefinite {
            return Err(malformed("CRL is not a DER sequence"));
        }
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let signature_algorithm = read_algorithm(&mut r)?;
        let signature = r.read_bit_string_octets()?.to_vec();
        r.finish()?;
        let start = tbs.raw.as_ptr() as usize - data.as_ptr() as usize;

        let mut t = tbs.reader();
        if t.peek_tag() == Some(tag::INTEGER) {
            t.read_small_uint()?;
        }
        let inner_alg = read_algorithm(&mut t)?;
        if inner_alg != signature_algorithm {
            return Err(malformed(
                "CRL signature algorithm differs inside and outside",
            ));
        }
        let issuer = Name::parse(&t.expect(tag::SEQUENCE)?)?;
        let this_update = t.read_time()?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME) | Some(tag::GENERALIZED_TIME) => Some(t.read_time()?),
            _ => None,
        };
        let mut revoked = HashMap::new();
        if let Some(list) = t.optional(tag::SEQUENCE)? {
            let mut l = list.reader();
            while !l.is_empty() {
                let entry = l.expect(tag::SEQUENCE)?;
                let mut e = entry.reader();
                let serial = normalize_serial(e.read_integer_bytes()?);
                let revoked_at = e.read_time()?;
                let mut reason = None;
                if let Some(exts) = e.optional(tag::SEQUENCE)? {
                    let mut x = exts.reader();
                    while !x.is_empty() {
                        let ext = x.expect(tag::SEQUENCE)?;
                        let mut xe = ext.reader();
                        let id = xe.read_oid()?;
                        let _critical = xe.optional(tag::BOOLEAN)?;
                        let value = xe.expect(tag::OCTET_STRING)?.value;
                        if id == oid::EXT_CRL_REASON {
                            let code = der::parse_single(value)?;
                            if code.tag == tag::ENUMERATED {
                                reason = Some(reason_name(der::small_uint(code.value)?));
                            }
                        }
                    }
                }
                revoked.insert(serial, RevokedEntry { revoked_at, reason });
            }
        }
        let mut authority_key_id = None;
        let mut is_delta = false;
        if let Some(wrapper) = t.optional(tag::ctx(0))? {
            let exts = wrapper.reader().expect(tag::SEQUENCE)?;
            let mut x = exts.reader();
            while !x.is_empty() {
                let ext = x.expect(tag::SEQUENCE)?;
                let mut xe = ext.reader();
                let id = xe.read_oid()?;
                let _critical = xe.optional(tag::BOOLEAN)?;
                let value = xe.expect(tag::OCTET_STRING)?.value;
                match id.as_str() {
                    oid::EXT_AUTHORITY_KEY_ID => {
                        let aki = der::parse_single(value)?;
                        if let Some(k) = aki.reader().optional(tag::ctx_prim(0))? {
                            authority_key_id = Some(k.value.to_vec());
                        }
                    }
                    "2.5.29.27" => is_delta = true,
                    _ => {}
                }
            }
        }
        Ok(Crl {
            der: data.to_vec(),
            tbs: start..start + tbs.raw.len(),
            signature_algorithm,
            signature,
            issuer,
            this_update,
            next_update,
            authority_key_id,
            is_delta,
            revoked,
            verified_by: Mutex::new(Vec::new()),
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }

    /// Whether `issuer` is the CA that signs this CRL (names and key identifiers).
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        if !self.issuer.matches(&issuer.subject) {
            return false;
        }
        match (&self.authority_key_id, &issuer.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Checks the CRL's signature with the issuing CA's key (remembered once it passed).
    pub fn verify_signature(&self, issuer: &Certificate) -> Result<(), VerifyError> {
        if let Ok(done) = self.verified_by.lock()
            && done.contains(&issuer.sha256)
        {
            return Ok(());
        }
        if !self.is_issued_by(issuer) {
            return Err(VerifyError::CrlSignatureInvalid);
        }
        if let Some(ku) = issuer.key_usage
            && !ku.has(crate::x509::KeyUsage::CRL_SIGN)
        {
            return Err(VerifyError::CrlSignatureInvalid);
        }
        let tbs = self.der.get(self.tbs.clone()).unwrap_or(&[]);
        if !sig::verify_signed(issuer, &self.signature_algorithm, tbs, &self.signature)? {
            return Err(VerifyError::CrlSignatureInvalid);
        }
        if let Ok(mut done) = self.verified_by.lock() {
            done.push(issuer.sha256);
        }
        Ok(())
    }

    /// The revocation entry for a serial number (as encoded in the certificate), if listed.
    /// `removeFromCRL` entries of a delta CRL mean "no longer on hold".
    pub fn is_revoked(&self, serial: &[u8]) -> Option<&RevokedEntry> {
        self.revoked
            .get(&normalize_serial(serial))
            .filter(|e| e.reason.as_deref() != Some("removeFromCRL"))
    }

    /// Usable at `at`: issued already and not past its next update.
    pub fn is_current(&self, at: DateTime<Utc>) -> bool {
        self.this_update <= at && self.next_update.is_none_or(|n| at <= n)
    }

    pub fn fingerprint(&self) -> [u8; 32] {
        sha256(&self.der)
    }
}

/// Serial numbers compare without the sign octet DER may add.
pub fn normalize_serial(serial: &[u8]) -> Vec<u8> {
    let skip = serial
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(serial.len().saturating_sub(1));
    serial.get(skip..).unwrap_or(&[]).to_vec()
}

pub fn reason_name(code: u64) -> String {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown",
    }
    .to_string()
}

pub fn reason_code(name: &str) -> Option<u64> {
    (0..=10).find(|c| reason_name(*c) == name && name != "unknown")
}
