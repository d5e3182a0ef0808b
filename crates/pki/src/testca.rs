//! The project's own test CA: issues keys shaped like NCA RK's (same subject attributes, key
//! usage, EKU roles and policies), revokes them, publishes CRLs, answers OCSP and signs CMS the
//! way NCALayer does. Used by the CLI, demo mode, the load generator and tests — never trusted
//! in production (every name says "MEKTEP TEST").

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use crate::crl::{normalize_serial, reason_code};
use crate::der::{self, tag, write};
use crate::input::{pem_blocks, to_pem};
use crate::oid;
use crate::verify::{KeyKind, Role};
use crate::x509::Certificate;

#[derive(Debug, thiserror::Error)]
pub enum TestCaError {
    #[error("key generation failed: {0}")]
    KeyGeneration(String),
    #[error("bad private key: {0}")]
    BadKey(String),
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    #[error("signing failed")]
    Signing,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("test CA files: {0}")]
    Files(String),
}

/// Validity period of an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Validity {
    /// From one hour ago (clock skew) for `days` days, like NCA's one-year keys.
    pub fn days_from_now(days: i64) -> Validity {
        let now = Utc::now();
        Validity {
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(days),
        }
    }
}

/// A key and its certificate. `key` is PKCS#8 DER (RSA-2048).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub cert_der: Vec<u8>,
    pub key: Vec<u8>,
}

impl IssuedKey {
    /// Certificate and key as one PEM text.
    pub fn to_pem(&self) -> String {
        format!(
            "{}{}",
            to_pem("CERTIFICATE", &self.cert_der),
            to_pem("PRIVATE KEY", &self.key)
        )
    }

    pub fn from_pem(text: &str) -> Result<IssuedKey, TestCaError> {
        let cert = pem_blocks(text.as_bytes(), "CERTIFICATE");
        let key = pem_blocks(text.as_bytes(), "PRIVATE KEY");
        match (cert.into_iter().next(), key.into_iter().next()) {
            (Some(cert_der), Some(key)) => Ok(IssuedKey { cert_der, key }),
            _ => Err(TestCaError::Files(
                "PEM needs a CERTIFICATE and a PRIVATE KEY block".into(),
            )),
        }
    }

    pub fn certificate(&self) -> Result<Certificate, TestCaError> {
        Certificate::from_der(&self.cert_der)
            .map_err(|e| TestCaError::BadCertificate(e.to_string()))
    }

    pub fn serial_hex(&self) -> String {
        self.certificate()
            .map(|c| c.serial_hex())
            .unwrap_or_default()
    }
}

/// One CA level: certificate plus a ready signing key.
struct CaKey {
    cert: Certificate,
    key: Vec<u8>,
    pair: RsaKeyPair,
}

impl CaKey {
    fn new(cert_der: Vec<u8>, key: Vec<u8>) -> Result<CaKey, TestCaError> {
        let cert = Certificate::from_der(&cert_der)
            .map_err(|e| TestCaError::BadCertificate(e.to_string()))?;
        let pair = RsaKeyPair::from_pkcs8(&key).map_err(|e| TestCaError::BadKey(e.to_string()))?;
        Ok(CaKey { cert, key, pair })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TestCaError> {
        rsa_sign(&self.pair, message)
    }
}

#[derive(Debug, Clone)]
struct Revocation {
    serial: Vec<u8>,
    at: DateTime<Utc>,
    reason: Option<u64>,
}

/// Root → issuing CA, as NCA has `НЕГІЗГІ КО TEST (RSA)` → `ҰКО 3.0 (RSA TEST)`.
pub struct TestCa {
    root: CaKey,
    issuing: CaKey,
    revoked: Mutex<Vec<Revocation>>,
    crl_url: Option<String>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("root", &self.root.cert.subject.display())
            .field("issuing", &self.issuing.cert.subject.display())
            .finish()
    }
}

const SHA256_WITH_RSA_ALG: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];

fn sha256_alg() -> Vec<u8> {
    write::seq(&[&write::oid(oid::SHA256), &write::null()])
}

fn rsa_encryption_alg() -> Vec<u8> {
    write::seq(&[&write::oid(oid::RSA_ENCRYPTION), &write::null()])
}

impl TestCa {
    /// A new root and issuing CA (RSA-2048, ten years). `name` tells test CAs apart.
    pub fn generate(name: &str) -> Result<TestCa, TestCaError> {
        let label = if name.trim().is_empty() {
            String::new()
        } else {
            format!(" {}", name.trim())
        };
        let validity = Validity {
            not_before: Utc::now() - Duration::days(1),
            not_after: Utc::now() + Duration::days(3650),
        };
        let root_key = generate_rsa_key()?;
        let root_pair =
            RsaKeyPair::from_pkcs8(&root_key).map_err(|e| TestCaError::BadKey(e.to_string()))?;
        let root_name = ca_name(&format!("MEKTEP TEST ROOT (RSA){label}"));
        let root_spki = spki_of(&root_pair);
        let root_cert = build_certificate(
            &CertFields {
                issuer: &root_name,
                subject: &root_name,
                spki: &root_spki,
                validity,
                extensions: ca_extensions(&root_spki, None, None),
            },
            &root_pair,
        )?;
        let root = CaKey::new(root_cert, root_key)?;

        let issuing_key = generate_rsa_key()?;
        let issuing_pair =
            RsaKeyPair::from_pkcs8(&issuing_key).map_err(|e| TestCaError::BadKey(e.to_string()))?;
        let issuing_spki = spki_of(&issuing_pair);
        let issuing_cert = build_certificate(
            &CertFields {
                issuer: &root.cert.subject.raw,
                subject: &ca_name(&format!("MEKTEP TEST CA (RSA){label}")),
                spki: &issuing_spki,
                validity,
                extensions: ca_extensions(
                    &issuing_spki,
                    root.cert.subject_key_id.as_deref(),
                    Some(0),
                ),
            },
            &root.pair,
        )?;
        let issuing = CaKey::new(issuing_cert, issuing_key)?;
        Ok(TestCa {
            root,
            issuing,
            revoked: Mutex::new(Vec::new()),
            crl_url: None,
        })
    }

    /// Issue certificates that name this CRL distribution point (not saved with the CA).
    pub fn with_crl_url(mut self, url: &str) -> TestCa {
        self.crl_url = Some(url.to_string());
        self
    }

    pub fn root_cert_der(&self) -> &[u8] {
        &self.root.cert.der
    }

    /// The CA that issues persons' keys (the trust anchor of a NCALayer-shaped setup, whose
    /// CMS carries only the signer certificate).
    pub fn issuing_cert_der(&self) -> &[u8] {
        &self.issuing.cert.der
    }

    pub fn issuing_certificate(&self) -> &Certificate {
        &self.issuing.cert
    }

    /// Both CA certificates as PEM (a trust bundle).
    pub fn trust_pem(&self) -> String {
        format!(
            "{}{}",
            to_pem("CERTIFICATE", &self.issuing.cert.der),
            to_pem("CERTIFICATE", &self.root.cert.der)
        )
    }

    /// Writes `root.pem`, `root.key.pem`, `ca.pem`, `ca.key.pem`, `revoked.txt`.
    pub fn save(&self, dir: &Path) -> Result<(), TestCaError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let files = [
            ("root.pem", to_pem("CERTIFICATE", &self.root.cert.der)),
            ("root.key.pem", to_pem("PRIVATE KEY", &self.root.key)),
            ("ca.pem", to_pem("CERTIFICATE", &self.issuing.cert.der)),
            ("ca.key.pem", to_pem("PRIVATE KEY", &self.issuing.key)),
            ("revoked.txt", self.revoked_text()),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| io_err(&path, e))?;
        }
        Ok(())
    }

    pub fn load(dir: &Path) -> Result<TestCa, TestCaError> {
        let read_one = |name: &str, label: &str| -> Result<Vec<u8>, TestCaError> {
            let path = dir.join(name);
            let text = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
            pem_blocks(&text, label)
                .into_iter()
                .next()
                .ok_or_else(|| TestCaError::Files(format!("{} has no {label}", path.display())))
        };
        let root = CaKey::new(
            read_one("root.pem", "CERTIFICATE")?,
            read_one("root.key.pem", "PRIVATE KEY")?,
        )?;
        let issuing = CaKey::new(
            read_one("ca.pem", "CERTIFICATE")?,
            read_one("ca.key.pem", "PRIVATE KEY")?,
        )?;
        let revoked_path = dir.join("revoked.txt");
        let revoked = match std::fs::read_to_string(&revoked_path) {
            Ok(text) => parse_revoked(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_err(&revoked_path, e)),
        };
        Ok(TestCa {
            root,
            issuing,
            revoked: Mutex::new(revoked),
            crl_url: None,
        })
    }

    /// An individual's key (жеке тұлға): AUTH or SIGN, subject as NCA writes it.
    pub fn issue_person(
        &self,
        iin: &str,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
        kind: KeyKind,
        validity: Validity,
    ) -> Result<IssuedKey, TestCaError> {
        self.issue_person_with_key(
            generate_rsa_key()?,
            iin,
            surname,
            given_name,
            patronymic,
            kind,
            validity,
        )
    }

    /// An individual's certificate over a key the caller already has (PKCS#8 RSA): a load
    /// generator gives thousands of test people their own certificates without generating
    /// thousands of RSA keys.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_person_with_key(
        &self,
        key: Vec<u8>,
        iin: &str,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
        kind: KeyKind,
        validity: Validity,
    ) -> Result<IssuedKey, TestCaError> {
        let person = Person {
            iin,
            surname,
            given_name,
            patronymic,
            organization: None,
        };
        self.issue_with_key(key, &person, &[Role::Individual], kind, validity)
    }

    /// An employee of a legal entity (заңды тұлға): adds `O` and `OU=BIN…`, and the roles.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_organization_person(
        &self,
        iin: &str,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
        bin: &str,
        organization: &str,
        roles: &[Role],
        kind: KeyKind,
        validity: Validity,
    ) -> Result<IssuedKey, TestCaError> {
        let person = Person {
            iin,
            surname,
            given_name,
            patronymic,
            organization: Some((bin, organization)),
        };
        let mut all = vec![Role::LegalEntity];
        all.extend(roles.iter().copied().filter(|r| *r != Role::LegalEntity));
        self.issue(&person, &all, kind, validity)
    }

    fn issue(
        &self,
        person: &Person<'_>,
        roles: &[Role],
        kind: KeyKind,
        validity: Validity,
    ) -> Result<IssuedKey, TestCaError> {
        self.issue_with_key(generate_rsa_key()?, person, roles, kind, validity)
    }

    fn issue_with_key(
        &self,
        key: Vec<u8>,
        person: &Person<'_>,
        roles: &[Role],
        kind: KeyKind,
        validity: Validity,
    ) -> Result<IssuedKey, TestCaError> {
        let pair = RsaKeyPair::from_pkcs8(&key).map_err(|e| TestCaError::BadKey(e.to_string()))?;
        let spki = spki_of(&pair);
        let legal = person.organization.is_some();
        let (ku_bits, eku_first, policy) = match (kind, legal) {
            (KeyKind::Auth, false) => (
                vec![0u8, 2],
                oid::EKU_CLIENT_AUTH,
                oid::POLICY_INDIVIDUAL_AUTH,
            ),
            (KeyKind::Auth, true) => (vec![0, 2], oid::EKU_CLIENT_AUTH, oid::POLICY_LEGAL_AUTH),
            (KeyKind::Sign, false) => (
                vec![0, 1],
                oid::EKU_EMAIL_PROTECTION,
                oid::POLICY_INDIVIDUAL_SIGN,
            ),
            (KeyKind::Sign, true) => (
                vec![0, 1],
                oid::EKU_EMAIL_PROTECTION,
                oid::POLICY_LEGAL_SIGN,
            ),
        };
        let mut eku: Vec<Vec<u8>> = vec![write::oid(eku_first)];
        eku.extend(roles.iter().map(|r| write::oid(r.oid())));
        let eku_refs: Vec<&[u8]> = eku.iter().map(Vec::as_slice).collect();
        let mut extensions = vec![
            extension(oid::EXT_KEY_USAGE, true, &write::named_bits(&ku_bits)),
            extension(oid::EXT_EXT_KEY_USAGE, false, &write::seq(&eku_refs)),
            aki_extension(self.issuing.cert.subject_key_id.as_deref()),
            extension(
                oid::EXT_SUBJECT_KEY_ID,
                false,
                &write::octets(&key_id(&spki)),
            ),
            extension(
                oid::EXT_CERT_POLICIES,
                false,
                &write::seq(&[&write::seq(&[&write::oid(policy)])]),
            ),
        ];
        if let Some(url) = &self.crl_url {
            // CRLDistributionPoints { DistributionPoint { fullName [0] { URI [6] } } }
            let uri = der::write::tlv(tag::ctx_prim(6), url.as_bytes());
            let dp = write::seq(&[&write::explicit(0, &write::explicit(0, &uri))]);
            extensions.push(extension(
                oid::EXT_CRL_DISTRIBUTION_POINTS,
                false,
                &write::seq(&[&dp]),
            ));
        }
        let cert_der = build_certificate(
            &CertFields {
                issuer: &self.issuing.cert.subject.raw,
                subject: &person.name(),
                spki: &spki,
                validity,
                extensions,
            },
            &self.issuing.pair,
        )?;
        Ok(IssuedKey { cert_der, key })
    }

    /// Marks a serial number (as in the certificate) revoked now.
    pub fn revoke(&self, serial: &[u8]) {
        self.revoke_with_reason(serial, None);
    }

    /// `reason` is an RFC 5280 name such as `keyCompromise`.
    pub fn revoke_with_reason(&self, serial: &[u8], reason: Option<&str>) {
        if let Ok(mut list) = self.revoked.lock() {
            let serial = normalize_serial(serial);
            if !list.iter().any(|r| r.serial == serial) {
                list.push(Revocation {
                    serial,
                    at: Utc::now(),
                    reason: reason.and_then(reason_code),
                });
            }
        }
    }

    /// A CRL of the issuing CA valid from now for one day.
    pub fn crl(&self) -> Result<Vec<u8>, TestCaError> {
        let now = Utc::now() - Duration::minutes(5);
        self.crl_between(now, now + Duration::days(1))
    }

    pub fn crl_between(
        &self,
        this_update: DateTime<Utc>,
        next_update: DateTime<Utc>,
    ) -> Result<Vec<u8>, TestCaError> {
        let revoked = self.revoked.lock().map(|l| l.clone()).unwrap_or_default();
        let entries: Vec<Vec<u8>> = revoked
            .iter()
            .map(|r| {
                let mut parts = vec![write::uint(&r.serial), write::time(r.at)];
                if let Some(code) = r.reason {
                    let value = der::write::tlv(tag::ENUMERATED, &[code as u8]);
                    parts.push(write::seq(&[&extension(
                        oid::EXT_CRL_REASON,
                        false,
                        &value,
                    )]));
                }
                let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                write::seq(&refs)
            })
            .collect();
        let crl_number = Utc::now().timestamp_millis().max(0) as u64;
        let exts = write::seq(&[
            &aki_extension(self.issuing.cert.subject_key_id.as_deref()),
            &extension(oid::EXT_CRL_NUMBER, false, &write::small_int(crl_number)),
        ]);
        let mut parts: Vec<Vec<u8>> = vec![
            write::small_int(1),
            SHA256_WITH_RSA_ALG.to_vec(),
            self.issuing.cert.subject.raw.clone(),
            write::time(this_update),
            write::time(next_update),
        ];
        if !entries.is_empty() {
            let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            parts.push(write::seq(&refs));
        }
        parts.push(write::explicit(0, &exts));
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let tbs = write::seq(&refs);
        let signature = self.issuing.sign(&tbs)?;
        Ok(write::seq(&[
            &tbs,
            SHA256_WITH_RSA_ALG,
            &write::bit_string(&signature),
        ]))
    }

    /// Answers a DER OCSPRequest as the issuing CA would (signed by the CA itself, nonce echoed).
    pub fn ocsp_response(
        &self,
        request_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, TestCaError> {
        let bad = |w: &str| TestCaError::Files(format!("OCSP request: {w}"));
        let req = der::parse_single(request_der).map_err(|e| bad(e.0))?;
        let tbs = req.reader().expect(tag::SEQUENCE).map_err(|e| bad(e.0))?;
        let mut t = tbs.reader();
        let _version = t.optional(tag::ctx(0)).map_err(|e| bad(e.0))?;
        let _name = t.optional(tag::ctx(1)).map_err(|e| bad(e.0))?;
        let list = t.expect(tag::SEQUENCE).map_err(|e| bad(e.0))?;
        let first = list.reader().expect(tag::SEQUENCE).map_err(|e| bad(e.0))?;
        let cert_id = first.reader().expect(tag::SEQUENCE).map_err(|e| bad(e.0))?;
        let mut c = cert_id.reader();
        let _alg = c.read().map_err(|e| bad(e.0))?;
        let _name_hash = c.read().map_err(|e| bad(e.0))?;
        let _key_hash = c.read().map_err(|e| bad(e.0))?;
        let serial = c.read_integer_bytes().map_err(|e| bad(e.0))?;
        let mut nonce_ext = None;
        if let Some(exts) = t.optional(tag::ctx(2)).map_err(|e| bad(e.0))? {
            let seq = exts.reader().expect(tag::SEQUENCE).map_err(|e| bad(e.0))?;
            let mut x = seq.reader();
            while !x.is_empty() {
                let ext = x.read().map_err(|e| bad(e.0))?;
                if ext.reader().read_oid().ok().as_deref() == Some(oid::OCSP_NONCE) {
                    nonce_ext = Some(ext.raw.to_vec());
                }
            }
        }
        let revoked = self.revoked.lock().ok().and_then(|l| {
            l.iter()
                .find(|r| r.serial == normalize_serial(serial))
                .cloned()
        });
        let status = match revoked {
            Some(r) => {
                let mut inner = write::generalized_time(r.at);
                if let Some(code) = r.reason {
                    inner.extend(write::explicit(
                        0,
                        &der::write::tlv(tag::ENUMERATED, &[code as u8]),
                    ));
                }
                der::write::tlv(tag::ctx(1), &inner)
            }
            None => vec![tag::ctx_prim(0), 0],
        };
        let single = write::seq(&[
            cert_id.raw,
            &status,
            &write::generalized_time(now),
            &write::explicit(0, &write::generalized_time(now + Duration::hours(1))),
        ]);
        let mut data_parts = vec![
            write::explicit(1, &self.issuing.cert.subject.raw),
            write::generalized_time(now),
            write::seq(&[&single]),
        ];
        if let Some(n) = nonce_ext {
            data_parts.push(write::explicit(1, &write::seq(&[&n])));
        }
        let refs: Vec<&[u8]> = data_parts.iter().map(Vec::as_slice).collect();
        let data = write::seq(&refs);
        let signature = self.issuing.sign(&data)?;
        let basic = write::seq(&[&data, SHA256_WITH_RSA_ALG, &write::bit_string(&signature)]);
        let bytes = write::seq(&[&write::oid(oid::OCSP_BASIC), &write::octets(&basic)]);
        Ok(write::seq(&[
            &der::write::tlv(tag::ENUMERATED, &[0]),
            &write::explicit(0, &bytes),
        ]))
    }

    fn revoked_text(&self) -> String {
        let list = self.revoked.lock().map(|l| l.clone()).unwrap_or_default();
        list.iter()
            .map(|r| {
                format!(
                    "{} {} {}\n",
                    hex::encode_upper(&r.serial),
                    r.at.to_rfc3339(),
                    r.reason
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into())
                )
            })
            .collect()
    }
}

fn parse_revoked(text: &str) -> Result<Vec<Revocation>, TestCaError> {
    let bad = |line: &str| TestCaError::Files(format!("revoked.txt: bad line {line:?}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.split_whitespace();
            let serial = parts
                .next()
                .and_then(|s| hex::decode(s).ok())
                .ok_or_else(|| bad(line))?;
            let at = parts
                .next()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .ok_or_else(|| bad(line))?
                .with_timezone(&Utc);
            let reason = parts.next().and_then(|s| s.parse().ok());
            Ok(Revocation { serial, at, reason })
        })
        .collect()
}

fn io_err(path: &Path, source: std::io::Error) -> TestCaError {
    TestCaError::Io {
        path: path.display().to_string(),
        source,
    }
}

struct Person<'a> {
    iin: &'a str,
    surname: &'a str,
    given_name: &'a str,
    patronymic: Option<&'a str>,
    organization: Option<(&'a str, &'a str)>,
}

impl Person<'_> {
    /// NCA's order: CN, SURNAME, SERIALNUMBER, C, [O], G, [OU].
    fn name(&self) -> Vec<u8> {
        let mut rdns = vec![
            rdn(
                oid::AT_CN,
                &write::utf8(&format!("{} {}", self.surname, self.given_name)),
            ),
            rdn(oid::AT_SURNAME, &write::utf8(self.surname)),
            rdn(
                oid::AT_SERIAL_NUMBER,
                &write::printable(&format!("IIN{}", self.iin)),
            ),
            rdn(oid::AT_COUNTRY, &write::printable("KZ")),
        ];
        if let Some((_, org)) = self.organization {
            rdns.push(rdn(oid::AT_ORGANIZATION, &write::utf8(org)));
        }
        if let Some(p) = self.patronymic {
            rdns.push(rdn(oid::AT_GIVEN_NAME, &write::utf8(p)));
        }
        if let Some((bin, _)) = self.organization {
            rdns.push(rdn(oid::AT_ORG_UNIT, &write::utf8(&format!("BIN{bin}"))));
        }
        let refs: Vec<&[u8]> = rdns.iter().map(Vec::as_slice).collect();
        write::seq(&refs)
    }
}

fn rdn(attr: &str, value: &[u8]) -> Vec<u8> {
    write::set_of(&[&write::seq(&[&write::oid(attr), value])])
}

fn ca_name(cn: &str) -> Vec<u8> {
    write::seq(&[
        &rdn(oid::AT_COUNTRY, &write::printable("KZ")),
        &rdn(
            oid::AT_ORGANIZATION,
            &write::utf8("Mektep test CA - not for production"),
        ),
        &rdn(oid::AT_CN, &write::utf8(cn)),
    ])
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        write::seq(&[
            &write::oid(id),
            &write::boolean(true),
            &write::octets(value),
        ])
    } else {
        write::seq(&[&write::oid(id), &write::octets(value)])
    }
}

fn aki_extension(issuer_key_id: Option<&[u8]>) -> Vec<u8> {
    let id = issuer_key_id.unwrap_or(&[]);
    extension(
        oid::EXT_AUTHORITY_KEY_ID,
        false,
        &write::seq(&[&der::write::tlv(tag::ctx_prim(0), id)]),
    )
}

fn ca_extensions(spki: &[u8], issuer_key_id: Option<&[u8]>, path_len: Option<u64>) -> Vec<Vec<u8>> {
    let bc = match path_len {
        Some(n) => write::seq(&[&write::boolean(true), &write::small_int(n)]),
        None => write::seq(&[&write::boolean(true)]),
    };
    let own_id = key_id(spki);
    vec![
        extension(oid::EXT_BASIC_CONSTRAINTS, true, &bc),
        extension(oid::EXT_KEY_USAGE, true, &write::named_bits(&[5, 6])),
        extension(oid::EXT_SUBJECT_KEY_ID, false, &write::octets(&own_id)),
        aki_extension(Some(issuer_key_id.unwrap_or(&own_id))),
    ]
}

/// Key identifier: SHA-1 of the subjectPublicKey, RFC 5280 method 1 (what NCA uses too).
fn key_id(spki: &[u8]) -> Vec<u8> {
    let key_bits = der::parse_single(spki)
        .ok()
        .and_then(|t| {
            let mut r = t.reader();
            r.read().ok()?;
            r.read_bit_string_octets().ok().map(<[u8]>::to_vec)
        })
        .unwrap_or_default();
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &key_bits)
        .as_ref()
        .to_vec()
}

fn spki_of(pair: &RsaKeyPair) -> Vec<u8> {
    use ring::signature::KeyPair;
    write::seq(&[
        &rsa_encryption_alg(),
        &write::bit_string(pair.public_key().as_ref()),
    ])
}

struct CertFields<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
    validity: Validity,
    extensions: Vec<Vec<u8>>,
}

fn build_certificate(fields: &CertFields<'_>, signer: &RsaKeyPair) -> Result<Vec<u8>, TestCaError> {
    let ext_refs: Vec<&[u8]> = fields.extensions.iter().map(Vec::as_slice).collect();
    let tbs = write::seq(&[
        &write::explicit(0, &write::small_int(2)),
        &write::uint(&random_serial()),
        SHA256_WITH_RSA_ALG,
        fields.issuer,
        &write::seq(&[
            &write::time(fields.validity.not_before),
            &write::time(fields.validity.not_after),
        ]),
        fields.subject,
        fields.spki,
        &write::explicit(3, &write::seq(&ext_refs)),
    ]);
    let signature = rsa_sign(signer, &tbs)?;
    Ok(write::seq(&[
        &tbs,
        SHA256_WITH_RSA_ALG,
        &write::bit_string(&signature),
    ]))
}

/// 20 random bytes, positive, like NCA's serials.
fn random_serial() -> Vec<u8> {
    let mut serial = [0u8; 20];
    if SystemRandom::new().fill(&mut serial).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or(1);
        serial[..8].copy_from_slice(&nanos.to_be_bytes());
    }
    serial[0] = (serial[0] & 0x7f) | 0x10;
    serial.to_vec()
}

/// A fresh RSA-2048 key as PKCS#8 DER.
pub fn generate_rsa_key() -> Result<Vec<u8>, TestCaError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
        .map_err(|e| TestCaError::KeyGeneration(e.to_string()))?;
    let doc = key
        .to_pkcs8_der()
        .map_err(|e| TestCaError::KeyGeneration(e.to_string()))?;
    Ok(doc.as_bytes().to_vec())
}

fn rsa_sign(pair: &RsaKeyPair, message: &[u8]) -> Result<Vec<u8>, TestCaError> {
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message,
        &mut signature,
    )
    .map_err(|_| TestCaError::Signing)?;
    Ok(signature)
}

/// Signs CMS the way NCALayer does: SignedData, SHA-256, RSA PKCS#1 v1.5, signed attributes
/// contentType + signingTime + messageDigest, the signer certificate embedded. Keeps the parsed
/// key so a load generator can sign thousands of times cheaply.
pub struct CmsSigner {
    pair: RsaKeyPair,
    cert_der: Vec<u8>,
    cert: Certificate,
    extra_certs: Vec<Vec<u8>>,
}

impl CmsSigner {
    pub fn new(key_pkcs8: &[u8], cert_der: &[u8]) -> Result<CmsSigner, TestCaError> {
        let pair =
            RsaKeyPair::from_pkcs8(key_pkcs8).map_err(|e| TestCaError::BadKey(e.to_string()))?;
        let cert = Certificate::from_der(cert_der)
            .map_err(|e| TestCaError::BadCertificate(e.to_string()))?;
        Ok(CmsSigner {
            pair,
            cert_der: cert_der.to_vec(),
            cert,
            extra_certs: Vec::new(),
        })
    }

    pub fn from_issued(key: &IssuedKey) -> Result<CmsSigner, TestCaError> {
        CmsSigner::new(&key.key, &key.cert_der)
    }

    /// Also embed these certificates (e.g. the intermediate when only the root is trusted).
    pub fn with_extra_certs(mut self, certs: Vec<Vec<u8>>) -> CmsSigner {
        self.extra_certs = certs;
        self
    }

    pub fn sign(&self, content: &[u8], attached: bool) -> Result<Vec<u8>, TestCaError> {
        self.sign_at(content, attached, Utc::now())
    }

    pub fn sign_at(
        &self,
        content: &[u8],
        attached: bool,
        signing_time: DateTime<Utc>,
    ) -> Result<Vec<u8>, TestCaError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, content);
        self.build(attached.then_some(content), digest.as_ref(), signing_time)
    }

    /// A detached CMS over content of which only the SHA-256 `digest` is given
    /// (NCALayer's `digested: true` / `createCAdESFromBase64Hash`).
    pub fn sign_digest_at(
        &self,
        digest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Result<Vec<u8>, TestCaError> {
        self.build(None, digest, signing_time)
    }

    fn build(
        &self,
        attached: Option<&[u8]>,
        digest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Result<Vec<u8>, TestCaError> {
        let attrs = [
            write::seq(&[
                &write::oid(oid::ATTR_CONTENT_TYPE),
                &write::set_of(&[&write::oid(oid::CMS_DATA)]),
            ]),
            write::seq(&[
                &write::oid(oid::ATTR_SIGNING_TIME),
                &write::set_of(&[&write::utc_time(signing_time)]),
            ]),
            write::seq(&[
                &write::oid(oid::ATTR_MESSAGE_DIGEST),
                &write::set_of(&[&write::octets(digest)]),
            ]),
        ];
        let attr_refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
        let signed_set = write::set_of(&attr_refs);
        let signature = rsa_sign(&self.pair, &signed_set)?;
        let mut signed_attrs = signed_set;
        if let Some(first) = signed_attrs.first_mut() {
            *first = tag::ctx(0);
        }
        let signer_info = write::seq(&[
            &write::small_int(1),
            &write::seq(&[
                &self.cert.issuer.raw,
                &der::write::tlv(tag::INTEGER, &self.cert.serial),
            ]),
            &sha256_alg(),
            &signed_attrs,
            &rsa_encryption_alg(),
            &write::octets(&signature),
        ]);
        let encap = match attached {
            Some(content) => write::seq(&[
                &write::oid(oid::CMS_DATA),
                &write::explicit(0, &write::octets(content)),
            ]),
            None => write::seq(&[&write::oid(oid::CMS_DATA)]),
        };
        let mut certs = self.cert_der.clone();
        for extra in &self.extra_certs {
            certs.extend_from_slice(extra);
        }
        let signed_data = write::seq(&[
            &write::small_int(1),
            &write::set_of(&[&sha256_alg()]),
            &encap,
            &der::write::tlv(tag::ctx(0), &certs),
            &write::set_of(&[&signer_info]),
        ]);
        Ok(write::seq(&[
            &write::oid(oid::CMS_SIGNED_DATA),
            &write::explicit(0, &signed_data),
        ]))
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }
}

/// A self-signed TLS server certificate (RSA-2048, serverAuth) for `localhost` and 127.0.0.1,
/// as NCALayer serves on `wss://127.0.0.1:13579`. Returns (certificate DER, PKCS#8 key DER).
pub fn self_signed_tls_identity() -> Result<(Vec<u8>, Vec<u8>), TestCaError> {
    let key = generate_rsa_key()?;
    let pair = RsaKeyPair::from_pkcs8(&key).map_err(|e| TestCaError::BadKey(e.to_string()))?;
    let spki = spki_of(&pair);
    let name = write::seq(&[&rdn(
        oid::AT_CN,
        &write::utf8("127.0.0.1 (Mektep NCALayer stand-in)"),
    )]);
    let san = write::seq(&[
        &der::write::tlv(tag::ctx_prim(2), b"localhost"),
        &der::write::tlv(tag::ctx_prim(7), &[127, 0, 0, 1]),
    ]);
    let extensions = vec![
        extension(oid::EXT_BASIC_CONSTRAINTS, true, &write::seq(&[])),
        extension(oid::EXT_KEY_USAGE, true, &write::named_bits(&[0, 2])),
        extension(
            oid::EXT_EXT_KEY_USAGE,
            false,
            &write::seq(&[&write::oid("1.3.6.1.5.5.7.3.1")]),
        ),
        extension(oid::EXT_SUBJECT_ALT_NAME, false, &san),
        extension(
            oid::EXT_SUBJECT_KEY_ID,
            false,
            &write::octets(&key_id(&spki)),
        ),
    ];
    let cert = build_certificate(
        &CertFields {
            issuer: &name,
            subject: &name,
            spki: &spki,
            validity: Validity::days_from_now(825),
            extensions,
        },
        &pair,
    )?;
    Ok((cert, key))
}

/// One-shot CMS signing (parses the key each time; use `CmsSigner` in loops).
pub fn sign_cms(
    key_pkcs8: &[u8],
    cert_der: &[u8],
    content: &[u8],
    attached: bool,
) -> Result<Vec<u8>, TestCaError> {
    CmsSigner::new(key_pkcs8, cert_der)?.sign(content, attached)
}
