//! OCSP (RFC 6960): requests with a nonce, BasicOCSPResponse parsing and signature checks.
//! Transport is the caller's (`OcspClient`), so this crate holds no HTTP client.

use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::crl::{normalize_serial, reason_name};
use crate::der::{self, Tlv, tag, write};
use crate::error::VerifyError;
use crate::oid;
use crate::sig::{self, Hash};
use crate::x509::{Certificate, Name, read_algorithm};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CertStatus {
    Good,
    Revoked {
        at: DateTime<Utc>,
        reason: Option<String>,
    },
    Unknown,
}

#[derive(Debug, Clone)]
pub struct SingleResponse {
    pub hash_algorithm: String,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    pub serial: Vec<u8>,
    pub status: CertStatus,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum ResponderId {
    ByName(Name),
    ByKeyHash(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct OcspResponse {
    der: Vec<u8>,
    tbs: Range<usize>,
    pub responder: ResponderId,
    pub produced_at: DateTime<Utc>,
    pub responses: Vec<SingleResponse>,
    pub nonce: Option<Vec<u8>>,
    pub signature_algorithm: String,
    signature: Vec<u8>,
    pub certs: Vec<Certificate>,
}

fn invalid(what: &str) -> VerifyError {
    VerifyError::OcspInvalid(what.to_string())
}

impl OcspResponse {
    /// Parses an OCSPResponse; a non-successful responseStatus is an error naming it.
    pub fn parse(data: &[u8]) -> Result<OcspResponse, VerifyError> {
        let outer = der::parse_single(data)?;
        let mut r = outer.reader();
        let status = r.expect(tag::ENUMERATED)?;
        let code = der::small_uint(status.value)?;
        if code != 0 {
            return Err(VerifyError::OcspInvalid(format!("responseStatus {code}")));
        }
        let bytes = r.expect(tag::ctx(0))?;
        let rb = bytes.reader().expect(tag::SEQUENCE)?;
        let mut b = rb.reader();
        let response_type = b.read_oid()?;
        if response_type != oid::OCSP_BASIC {
            return Err(VerifyError::OcspInvalid(format!(
                "response type {response_type}"
            )));
        }
        let basic_der = b.expect(tag::OCTET_STRING)?.value;
        Self::parse_basic(basic_der)
    }

    fn parse_basic(data: &[u8]) -> Result<OcspResponse, VerifyError> {
        let basic = der::parse_single(data)?;
        let mut r = basic.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let signature_algorithm = read_algorithm(&mut r)?;
        let signature = r.read_bit_string_octets()?.to_vec();
        let mut certs = Vec::new();
        if let Some(wrapper) = r.optional(tag::ctx(0))? {
            let list = wrapper.reader().expect(tag::SEQUENCE)?;
            let mut c = list.reader();
            while !c.is_empty() {
                let raw = c.read()?.raw;
                // A responder certificate we cannot read (e.g. GOST key) is left out, not fatal.
                if let Ok(cert) = Certificate::from_der(raw) {
                    certs.push(cert);
                }
            }
        }
        let start = tbs.raw.as_ptr() as usize - data.as_ptr() as usize;

        let mut t = tbs.reader();
        let _version = t.optional(tag::ctx(0))?;
        let rid = t.read()?;
        let responder = if rid.tag == tag::ctx(1) {
            ResponderId::ByName(Name::parse(&rid.reader().expect(tag::SEQUENCE)?)?)
        } else if rid.tag == tag::ctx(2) {
            ResponderId::ByKeyHash(rid.reader().expect(tag::OCTET_STRING)?.value.to_vec())
        } else {
            return Err(invalid("responderID"));
        };
        let produced_at = t.read_time()?;
        let list = t.expect(tag::SEQUENCE)?;
        let mut responses = Vec::new();
        let mut l = list.reader();
        while !l.is_empty() {
            responses.push(parse_single_response(&l.expect(tag::SEQUENCE)?)?);
        }
        let mut nonce = None;
        if let Some(wrapper) = t.optional(tag::ctx(1))? {
            let exts = wrapper.reader().expect(tag::SEQUENCE)?;
            let mut x = exts.reader();
            while !x.is_empty() {
                let ext = x.expect(tag::SEQUENCE)?;
                let mut e = ext.reader();
                let id = e.read_oid()?;
                let _critical = e.optional(tag::BOOLEAN)?;
                let value = e.expect(tag::OCTET_STRING)?.value;
                if id == oid::OCSP_NONCE {
                    // RFC 8954: the nonce is an OCTET STRING inside extnValue; some responders
                    // put the raw bytes there.
                    nonce = Some(match der::parse_single(value) {
                        Ok(inner) if inner.tag == tag::OCTET_STRING => inner.value.to_vec(),
                        _ => value.to_vec(),
                    });
                }
            }
        }
        Ok(OcspResponse {
            der: data.to_vec(),
            tbs: start..start + tbs.raw.len(),
            responder,
            produced_at,
            responses,
            nonce,
            signature_algorithm,
            signature,
            certs,
        })
    }

    /// The answer about `leaf` (issued by `issuer`), matched by serial and issuer hashes.
    pub fn status_for(&self, leaf: &Certificate, issuer: &Certificate) -> Option<&SingleResponse> {
        let serial = normalize_serial(&leaf.serial);
        self.responses.iter().find(|r| {
            if normalize_serial(&r.serial) != serial {
                return false;
            }
            match hash_for(&r.hash_algorithm) {
                Some(h) => {
                    h(&issuer.subject.raw) == r.issuer_name_hash
                        && h(&issuer.public_key) == r.issuer_key_hash
                }
                None => false,
            }
        })
    }

    /// Checks the response signature: by the issuing CA itself, or by a responder certificate
    /// that the CA issued for OCSP signing (EKU id-kp-OCSPSigning), valid at `at`.
    pub fn verify_signature(
        &self,
        issuer: &Certificate,
        at: DateTime<Utc>,
    ) -> Result<(), VerifyError> {
        let tbs = self.der.get(self.tbs.clone()).unwrap_or(&[]);
        if self.responder_is(issuer) {
            return self.check_sig(issuer, tbs);
        }
        if let Some(responder) = self.certs.iter().find(|c| self.responder_is(c)) {
            if !issuer.could_issue(responder)
                || !sig::verify_signed(
                    issuer,
                    &responder.signature_algorithm,
                    responder.tbs_der(),
                    &responder.signature,
                )?
            {
                return Err(invalid("responder certificate not issued by the CA"));
            }
            if !responder
                .ext_key_usage
                .iter()
                .any(|e| e == oid::EKU_OCSP_SIGNING)
            {
                return Err(invalid("responder certificate lacks OCSP signing"));
            }
            if at < responder.not_before || at > responder.not_after {
                return Err(invalid("responder certificate not valid now"));
            }
            return self.check_sig(responder, tbs);
        }
        Err(invalid("no responder certificate"))
    }

    fn check_sig(&self, signer: &Certificate, tbs: &[u8]) -> Result<(), VerifyError> {
        if sig::verify_signed(signer, &self.signature_algorithm, tbs, &self.signature)? {
            Ok(())
        } else {
            Err(invalid("signature does not verify"))
        }
    }

    fn responder_is(&self, cert: &Certificate) -> bool {
        match &self.responder {
            ResponderId::ByName(name) => name.matches(&cert.subject),
            ResponderId::ByKeyHash(h) => {
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.public_key)
                    .as_ref()
                    == h.as_slice()
            }
        }
    }
}

type HashFn = fn(&[u8]) -> Vec<u8>;

fn hash_for(alg: &str) -> Option<HashFn> {
    fn sha1(d: &[u8]) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, d)
            .as_ref()
            .to_vec()
    }
    fn sha256(d: &[u8]) -> Vec<u8> {
        Hash::Sha256.digest(d)
    }
    match alg {
        oid::SHA1 => Some(sha1),
        oid::SHA256 => Some(sha256),
        _ => None,
    }
}

fn parse_single_response(t: &Tlv<'_>) -> Result<SingleResponse, VerifyError> {
    let mut r = t.reader();
    let cert_id = r.expect(tag::SEQUENCE)?;
    let mut c = cert_id.reader();
    let hash_algorithm = read_algorithm(&mut c)?;
    let issuer_name_hash = c.expect(tag::OCTET_STRING)?.value.to_vec();
    let issuer_key_hash = c.expect(tag::OCTET_STRING)?.value.to_vec();
    let serial = c.read_integer_bytes()?.to_vec();
    let st = r.read()?;
    let status = match st.tag {
        t if t == tag::ctx_prim(0) => CertStatus::Good,
        t if t == tag::ctx(1) => {
            let mut s = st.reader();
            let at = s.read_time()?;
            let reason = match s.optional(tag::ctx(0))? {
                Some(w) => {
                    let code = w.reader().expect(tag::ENUMERATED)?;
                    Some(reason_name(der::small_uint(code.value)?))
                }
                None => None,
            };
            CertStatus::Revoked { at, reason }
        }
        t if t == tag::ctx_prim(2) => CertStatus::Unknown,
        _ => return Err(invalid("certStatus")),
    };
    let this_update = r.read_time()?;
    let next_update = match r.optional(tag::ctx(0))? {
        Some(w) => Some(w.reader().read_time()?),
        None => None,
    };
    Ok(SingleResponse {
        hash_algorithm,
        issuer_name_hash,
        issuer_key_hash,
        serial,
        status,
        this_update,
        next_update,
    })
}

/// A DER OCSPRequest for one certificate, with the nonce it carries.
#[derive(Debug, Clone)]
pub struct OcspRequest {
    pub der: Vec<u8>,
    pub nonce: Vec<u8>,
}

/// Builds a request (CertID hashed with SHA-256, as NCA's responder answers) with a fresh
/// 16-byte nonce, so a replayed old answer is refused.
pub fn build_request(leaf: &Certificate, issuer: &Certificate) -> OcspRequest {
    let mut nonce = [0u8; 16];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).is_err() {
        // Without randomness the time keeps the nonce unique enough to spot replays.
        let now = Utc::now().timestamp_nanos_opt().unwrap_or(0);
        nonce[..8].copy_from_slice(&now.to_be_bytes());
    }
    build_request_with_nonce(leaf, issuer, &nonce)
}

pub fn build_request_with_nonce(
    leaf: &Certificate,
    issuer: &Certificate,
    nonce: &[u8],
) -> OcspRequest {
    let alg = write::seq(&[&write::oid(oid::SHA256), &write::null()]);
    let cert_id = write::seq(&[
        &alg,
        &write::octets(&Hash::Sha256.digest(&issuer.subject.raw)),
        &write::octets(&Hash::Sha256.digest(&issuer.public_key)),
        &der::write::tlv(tag::INTEGER, &leaf.serial),
    ]);
    let request = write::seq(&[&cert_id]);
    let nonce_ext = write::seq(&[
        &write::oid(oid::OCSP_NONCE),
        &write::octets(&write::octets(nonce)),
    ]);
    let tbs = write::seq(&[
        &write::seq(&[&request]),
        &write::explicit(2, &write::seq(&[&nonce_ext])),
    ]);
    OcspRequest {
        der: write::seq(&[&tbs]),
        nonce: nonce.to_vec(),
    }
}
