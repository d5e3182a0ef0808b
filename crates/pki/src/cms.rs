//! CMS SignedData (RFC 5652) as NCALayer and OpenSSL produce it: the parts a verifier reads,
//! borrowed from the input so the signed attributes can be hashed as they were sent.

use chrono::{DateTime, Utc};

use crate::der::{self, Reader, Tlv, tag};
use crate::error::{VerifyError, malformed};
use crate::oid;
use crate::x509::read_algorithm;

#[derive(Debug)]
pub struct SignedData<'a> {
    pub content_type: String,
    /// Attached content (`None` for a detached signature).
    pub content: Option<Vec<u8>>,
    pub certificates: Vec<&'a [u8]>,
    pub signers: Vec<SignerInfo<'a>>,
}

#[derive(Debug)]
pub enum SignerId<'a> {
    IssuerAndSerial { issuer: Tlv<'a>, serial: &'a [u8] },
    SubjectKeyId(&'a [u8]),
}

#[derive(Debug)]
pub struct SignerInfo<'a> {
    pub sid: SignerId<'a>,
    pub digest_algorithm: String,
    /// The `[0] IMPLICIT SET OF Attribute` element exactly as received.
    pub signed_attrs_raw: Option<&'a [u8]>,
    pub signed_attrs: Vec<Attribute<'a>>,
    pub signature_algorithm: String,
    pub signature: &'a [u8],
}

#[derive(Debug)]
pub struct Attribute<'a> {
    pub oid: String,
    pub values: Vec<Tlv<'a>>,
}

impl<'a> SignerInfo<'a> {
    /// The DER that was signed: the signed attributes with their tag turned into SET (0x31).
    /// The original bytes are kept: decoding and re-encoding could reorder them.
    pub fn signed_attrs_for_signature(&self) -> Option<Vec<u8>> {
        self.signed_attrs_raw.map(|raw| {
            let mut v = raw.to_vec();
            if let Some(first) = v.first_mut() {
                *first = tag::SET;
            }
            v
        })
    }

    /// The single value of an attribute that must occur exactly once with one value.
    pub fn single_attr(
        &self,
        oid: &str,
        name: &'static str,
    ) -> Result<Option<&Tlv<'a>>, VerifyError> {
        let mut found = self.signed_attrs.iter().filter(|a| a.oid == oid);
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() || first.values.len() != 1 {
            return Err(VerifyError::MissingSignedAttribute(name));
        }
        Ok(first.values.first())
    }

    pub fn signing_time(&self) -> Result<Option<DateTime<Utc>>, VerifyError> {
        match self.single_attr(oid::ATTR_SIGNING_TIME, "signingTime")? {
            Some(t) => Ok(Some(der::parse_time(t)?)),
            None => Ok(None),
        }
    }
}

/// Parses a DER (or outer-BER) ContentInfo holding SignedData.
pub fn parse_signed_data(data: &[u8]) -> Result<SignedData<'_>, VerifyError> {
    let ci = der::parse_single(data)?;
    if ci.tag != tag::SEQUENCE {
        return Err(malformed("ContentInfo is not a sequence"));
    }
    let mut r = ci.reader();
    let ct = r.read_oid()?;
    if ct != oid::CMS_SIGNED_DATA {
        return Err(VerifyError::NotSignedData);
    }
    let wrapper = r.expect(tag::ctx(0))?;
    let sd = wrapper.reader().expect(tag::SEQUENCE)?;
    let mut s = sd.reader();
    let _version = s.read_small_uint()?;
    let digest_algs = s.expect(tag::SET)?;
    let mut d = digest_algs.reader();
    while !d.is_empty() {
        read_algorithm(&mut d)?;
    }

    let encap = s.expect(tag::SEQUENCE)?;
    let mut e = encap.reader();
    let content_type = e.read_oid()?;
    let content = match e.optional(tag::ctx(0))? {
        Some(explicit) => {
            let inner = explicit.reader().read()?;
            if inner.tag & 0x1f != tag::OCTET_STRING {
                return Err(malformed("eContent is not an OCTET STRING"));
            }
            Some(inner.octets()?)
        }
        None => None,
    };

    let mut certificates = Vec::new();
    if let Some(certs) = s.optional(tag::ctx(0))? {
        let mut c = certs.reader();
        while !c.is_empty() {
            let cert = c.read()?;
            // Only plain certificates; attribute certificates and others are skipped.
            if cert.tag == tag::SEQUENCE {
                certificates.push(cert.raw);
            }
        }
    }
    let _crls = s.optional(tag::ctx(1))?;

    let signer_set = s.expect(tag::SET)?;
    let mut signers = Vec::new();
    let mut si = signer_set.reader();
    while !si.is_empty() {
        signers.push(parse_signer_info(&si.expect(tag::SEQUENCE)?)?);
    }
    Ok(SignedData {
        content_type,
        content,
        certificates,
        signers,
    })
}

fn parse_signer_info<'a>(t: &Tlv<'a>) -> Result<SignerInfo<'a>, VerifyError> {
    let mut r = t.reader();
    let _version = r.read_small_uint()?;
    let sid_tlv = r.read()?;
    let sid = match sid_tlv.tag {
        tag::SEQUENCE => {
            let mut s = sid_tlv.reader();
            let issuer = s.expect(tag::SEQUENCE)?;
            let serial = s.read_integer_bytes()?;
            SignerId::IssuerAndSerial { issuer, serial }
        }
        t if t == tag::ctx_prim(0) => SignerId::SubjectKeyId(sid_tlv.value),
        _ => return Err(malformed("unknown signer identifier")),
    };
    let digest_algorithm = read_algorithm(&mut r)?;
    let (signed_attrs_raw, signed_attrs) = match r.optional(tag::ctx(0))? {
        Some(attrs) => {
            if attrs.indefinite {
                return Err(malformed("signed attributes are not DER"));
            }
            (Some(attrs.raw), parse_attributes(&mut attrs.reader())?)
        }
        None => (None, Vec::new()),
    };
    let signature_algorithm = read_algorithm(&mut r)?;
    let signature = r.expect(tag::OCTET_STRING)?.value;
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attrs_raw,
        signed_attrs,
        signature_algorithm,
        signature,
    })
}

fn parse_attributes<'a>(r: &mut Reader<'a>) -> Result<Vec<Attribute<'a>>, VerifyError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let attr = r.expect(tag::SEQUENCE)?;
        let mut a = attr.reader();
        let oid = a.read_oid()?;
        let set = a.expect(tag::SET)?;
        let mut values = Vec::new();
        let mut v = set.reader();
        while !v.is_empty() {
            values.push(v.read()?);
        }
        out.push(Attribute { oid, values });
    }
    Ok(out)
}
