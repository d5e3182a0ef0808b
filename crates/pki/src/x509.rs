//! X.509 certificates: the fields a verifier needs, with the original bytes kept for signatures.

use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::der::{self, Reader, Tlv, tag};
use crate::error::{VerifyError, malformed};
use crate::oid;

/// A distinguished name: attributes in order, plus the encoding as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub raw: Vec<u8>,
    pub attributes: Vec<(String, String)>,
}

impl Name {
    pub fn parse(t: &Tlv<'_>) -> Result<Name, VerifyError> {
        if t.tag != tag::SEQUENCE {
            return Err(malformed("name is not a sequence"));
        }
        let mut attributes = Vec::new();
        let mut rdns = t.reader();
        while !rdns.is_empty() {
            let rdn = rdns.expect(tag::SET)?;
            let mut atvs = rdn.reader();
            while !atvs.is_empty() {
                let atv = atvs.expect(tag::SEQUENCE)?;
                let mut r = atv.reader();
                let oid = r.read_oid()?;
                let value = r.read()?;
                // A value of a type we cannot show is kept as hex rather than refusing the name.
                let text = der::decode_string(&value).unwrap_or_else(|_| hex::encode(value.value));
                attributes.push((oid, text));
            }
        }
        Ok(Name {
            raw: t.raw.to_vec(),
            attributes,
        })
    }

    /// The first value of an attribute.
    pub fn get(&self, oid: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(o, _)| o == oid)
            .map(|(_, v)| v.as_str())
    }

    /// All values of an attribute (a subject may carry several OU).
    pub fn get_all<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |(o, _)| o == oid)
            .map(|(_, v)| v.as_str())
    }

    /// Same name: byte-identical, or the same attributes in the same order whatever string
    /// types were used (RFC 5280 name matching, without case folding).
    pub fn matches(&self, other: &Name) -> bool {
        self.raw == other.raw || self.attributes == other.attributes
    }

    /// An RFC 4514-like one-line form for reports, most significant attribute last as written.
    pub fn display(&self) -> String {
        self.attributes
            .iter()
            .map(|(o, v)| format!("{}={}", short_name(o), v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn short_name(oid: &str) -> &str {
    match oid {
        oid::AT_CN => "CN",
        oid::AT_SURNAME => "SURNAME",
        oid::AT_SERIAL_NUMBER => "SERIALNUMBER",
        oid::AT_COUNTRY => "C",
        oid::AT_LOCALITY => "L",
        oid::AT_STATE => "ST",
        oid::AT_ORGANIZATION => "O",
        oid::AT_ORG_UNIT => "OU",
        oid::AT_GIVEN_NAME => "G",
        oid::AT_EMAIL => "E",
        other => other,
    }
}

/// Key usage bits as numbered in RFC 5280 (bit 0 = digitalSignature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u8 = 0;
    pub const NON_REPUDIATION: u8 = 1;
    pub const KEY_ENCIPHERMENT: u8 = 2;
    pub const DATA_ENCIPHERMENT: u8 = 3;
    pub const KEY_AGREEMENT: u8 = 4;
    pub const KEY_CERT_SIGN: u8 = 5;
    pub const CRL_SIGN: u8 = 6;
    pub const ENCIPHER_ONLY: u8 = 7;
    pub const DECIPHER_ONLY: u8 = 8;

    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];

    pub fn has(&self, bit: u8) -> bool {
        bit < 16 && self.0 & (1 << bit) != 0
    }

    pub fn names(&self) -> Vec<String> {
        (0u8..9)
            .filter(|b| self.has(*b))
            .filter_map(|b| Self::NAMES.get(b as usize).map(|n| n.to_string()))
            .collect()
    }
}

/// A parsed certificate. Owned, so a trust store and a verdict can keep it.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub der: Vec<u8>,
    tbs: Range<usize>,
    pub serial: Vec<u8>,
    pub signature_algorithm: String,
    pub signature: Vec<u8>,
    pub issuer: Name,
    pub subject: Name,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub public_key_algorithm: String,
    /// The subjectPublicKey BIT STRING content (for RSA: the RSAPublicKey DER).
    pub public_key: Vec<u8>,
    pub key_usage: Option<KeyUsage>,
    pub ext_key_usage: Vec<String>,
    /// `Some(path_len)` when basicConstraints says cA.
    pub ca: Option<Option<u32>>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub policies: Vec<String>,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
    pub sha256: [u8; 32],
}

impl Certificate {
    /// Parses one DER certificate; the whole input must be the certificate.
    pub fn from_der(data: &[u8]) -> Result<Certificate, VerifyError> {
        let outer = der::parse_single(data)?;
        if outer.tag != tag::SEQUENCE || outer.indefinite {
            return Err(malformed("certificate is not a DER sequence"));
        }
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let sig_alg = read_algorithm(&mut r)?;
        let signature = r.read_bit_string_octets()?.to_vec();
        r.finish()?;

        let tbs_start = tbs.raw.as_ptr() as usize - data.as_ptr() as usize;
        let tbs_range = tbs_start..tbs_start + tbs.raw.len();

        let mut t = tbs.reader();
        if let Some(v) = t.optional(tag::ctx(0))? {
            let version = v.reader().read_small_uint()?;
            if version > 2 {
                return Err(malformed("unknown certificate version"));
            }
        }
        let serial = t.read_integer_bytes()?.to_vec();
        let inner_alg = read_algorithm(&mut t)?;
        if inner_alg != sig_alg {
            return Err(malformed(
                "signature algorithm differs inside and outside TBS",
            ));
        }
        let issuer = Name::parse(&t.expect(tag::SEQUENCE)?)?;
        let validity = t.expect(tag::SEQUENCE)?;
        let mut v = validity.reader();
        let not_before = v.read_time()?;
        let not_after = v.read_time()?;
        let subject = Name::parse(&t.expect(tag::SEQUENCE)?)?;
        let spki = t.expect(tag::SEQUENCE)?;
        let mut s = spki.reader();
        let public_key_algorithm = read_algorithm(&mut s)?;
        let public_key = s.read_bit_string_octets()?.to_vec();

        let mut cert = Certificate {
            der: data.to_vec(),
            tbs: tbs_range,
            serial,
            signature_algorithm: sig_alg,
            signature,
            issuer,
            subject,
            not_before,
            not_after,
            public_key_algorithm,
            public_key,
            key_usage: None,
            ext_key_usage: Vec::new(),
            ca: None,
            subject_key_id: None,
            authority_key_id: None,
            policies: Vec::new(),
            crl_urls: Vec::new(),
            ocsp_urls: Vec::new(),
            sha256: sha256(data),
        };
        // issuerUniqueID [1] and subjectUniqueID [2] are skipped; extensions are [3].
        while !t.is_empty() {
            let field = t.read()?;
            if field.tag == tag::ctx(3) {
                let exts = field.reader().expect(tag::SEQUENCE)?;
                cert.parse_extensions(&exts)?;
            }
        }
        Ok(cert)
    }

    /// The TBSCertificate bytes exactly as issued: what the issuer signed.
    pub fn tbs_der(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or(&[])
    }

    pub fn serial_hex(&self) -> String {
        serial_hex(&self.serial)
    }

    fn parse_extensions(&mut self, exts: &Tlv<'_>) -> Result<(), VerifyError> {
        let mut r = exts.reader();
        while !r.is_empty() {
            let ext = r.expect(tag::SEQUENCE)?;
            let mut e = ext.reader();
            let id = e.read_oid()?;
            let critical = match e.optional(tag::BOOLEAN)? {
                Some(b) => b.value.first().is_some_and(|v| *v != 0),
                None => false,
            };
            let value = e.expect(tag::OCTET_STRING)?.value;
            let known = matches!(
                id.as_str(),
                oid::EXT_KEY_USAGE
                    | oid::EXT_EXT_KEY_USAGE
                    | oid::EXT_BASIC_CONSTRAINTS
                    | oid::EXT_SUBJECT_KEY_ID
                    | oid::EXT_AUTHORITY_KEY_ID
                    | oid::EXT_CERT_POLICIES
                    | oid::EXT_CRL_DISTRIBUTION_POINTS
                    | oid::EXT_AUTHORITY_INFO_ACCESS
            );
            if !known {
                if critical && id != oid::EXT_SUBJECT_ALT_NAME && id != oid::EXT_FRESHEST_CRL {
                    return Err(VerifyError::UnsupportedCriticalExtension(id));
                }
                continue;
            }
            let inner = der::parse_single(value)?;
            match id.as_str() {
                oid::EXT_KEY_USAGE => self.key_usage = Some(parse_key_usage(&inner)?),
                oid::EXT_EXT_KEY_USAGE => {
                    let mut k = inner.reader();
                    while !k.is_empty() {
                        self.ext_key_usage.push(k.read_oid()?);
                    }
                }
                oid::EXT_BASIC_CONSTRAINTS => {
                    let mut b = inner.reader();
                    let ca = match b.optional(tag::BOOLEAN)? {
                        Some(v) => v.value.first().is_some_and(|x| *x != 0),
                        None => false,
                    };
                    let path_len = match b.optional(tag::INTEGER)? {
                        Some(v) => Some(der::small_uint(v.value)?.min(u32::MAX as u64) as u32),
                        None => None,
                    };
                    self.ca = ca.then_some(path_len);
                }
                oid::EXT_SUBJECT_KEY_ID => {
                    if inner.tag != tag::OCTET_STRING {
                        return Err(malformed("subjectKeyIdentifier"));
                    }
                    self.subject_key_id = Some(inner.value.to_vec());
                }
                oid::EXT_AUTHORITY_KEY_ID => {
                    let mut a = inner.reader();
                    if let Some(k) = a.optional(tag::ctx_prim(0))? {
                        self.authority_key_id = Some(k.value.to_vec());
                    }
                }
                oid::EXT_CERT_POLICIES => {
                    let mut p = inner.reader();
                    while !p.is_empty() {
                        let info = p.expect(tag::SEQUENCE)?;
                        self.policies.push(info.reader().read_oid()?);
                    }
                }
                oid::EXT_CRL_DISTRIBUTION_POINTS => {
                    collect_uris(&inner, &mut self.crl_urls, 0)?;
                }
                oid::EXT_AUTHORITY_INFO_ACCESS => {
                    let mut a = inner.reader();
                    while !a.is_empty() {
                        let desc = a.expect(tag::SEQUENCE)?;
                        let mut d = desc.reader();
                        let method = d.read_oid()?;
                        let location = d.read()?;
                        if method == oid::AIA_OCSP && location.tag == tag::ctx_prim(6) {
                            self.ocsp_urls
                                .push(String::from_utf8_lossy(location.value).into_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether `self` could have issued `child`: names match and, where both carry them,
    /// the key identifiers agree.
    pub fn could_issue(&self, child: &Certificate) -> bool {
        if !self.subject.matches(&child.issuer) {
            return false;
        }
        match (&child.authority_key_id, &self.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject.display(),
            issuer: self.issuer.display(),
            serial_hex: self.serial_hex(),
            not_before: self.not_before,
            not_after: self.not_after,
        }
    }
}

/// What a report shows of one certificate of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub serial_hex: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// Serial numbers are shown without the sign octet DER may add, upper-case like NCA's tools.
pub fn serial_hex(serial: &[u8]) -> String {
    let trimmed = match serial.split_first() {
        Some((0, rest)) if !rest.is_empty() => rest,
        _ => serial,
    };
    hex::encode_upper(trimmed)
}

fn parse_key_usage(t: &Tlv<'_>) -> Result<KeyUsage, VerifyError> {
    if t.tag != tag::BIT_STRING {
        return Err(malformed("keyUsage is not a bit string"));
    }
    let bytes = t.value.get(1..).unwrap_or(&[]);
    let mut bits = 0u16;
    for (i, byte) in bytes.iter().take(2).enumerate() {
        for j in 0..8 {
            if byte & (0x80 >> j) != 0 {
                bits |= 1 << (i * 8 + j);
            }
        }
    }
    Ok(KeyUsage(bits))
}

/// Collects every uniformResourceIdentifier [6] under a structure (CRL distribution points).
fn collect_uris(t: &Tlv<'_>, out: &mut Vec<String>, depth: usize) -> Result<(), VerifyError> {
    if depth > 8 {
        return Ok(());
    }
    if t.tag == tag::ctx_prim(6) {
        out.push(String::from_utf8_lossy(t.value).into_owned());
        return Ok(());
    }
    if t.is_constructed() {
        let mut r = t.reader();
        while !r.is_empty() {
            collect_uris(&r.read()?, out, depth + 1)?;
        }
    }
    Ok(())
}

/// Reads an AlgorithmIdentifier, returning its OID (parameters are NULL or absent for RSA).
pub fn read_algorithm(r: &mut Reader<'_>) -> Result<String, VerifyError> {
    let alg = r.expect(tag::SEQUENCE)?;
    let mut a = alg.reader();
    Ok(a.read_oid()?)
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Parses every certificate of a PEM bundle, or one DER certificate.
pub fn certificates_from_pem_or_der(data: &[u8]) -> Result<Vec<Certificate>, VerifyError> {
    let blocks = crate::input::pem_blocks(data, "CERTIFICATE");
    if blocks.is_empty() {
        return Ok(vec![Certificate::from_der(data)?]);
    }
    blocks.iter().map(|b| Certificate::from_der(b)).collect()
}
