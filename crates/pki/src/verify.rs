//! The EDS (ЭЦҚ / ЭЦП) verifier: what DOMAIN.md §8 lists, in that order — the signed content is
//! the one this server issued, messageDigest, the signature over the signed attributes, the
//! chain to a configured anchor, validity at signing time and now, key usage for the purpose,
//! revocation — and then the person read from the certificate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cms::{self, SignerId};
use crate::error::VerifyError;
use crate::input::parse_cms_input;
use crate::oid;
use crate::revocation::{RevocationChecker, RevocationConfig, RevocationStatus};
use crate::sig;
use crate::trust::TrustStore;
use crate::x509::{CertSummary, Certificate, KeyUsage, Name};

/// What a signature is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Logging in (a signed challenge): only AUTH keys.
    Login,
    /// Signing an application or other document: SIGN keys, AUTH keys if the policy allows.
    Sign,
}

/// Which keys may sign documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignPolicy {
    pub accept_auth_keys_for_signing: bool,
}

/// The two NCA key kinds: AUTH (аутентификация) and RSA/SIGN (қол қою / подпись).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Auth,
    Sign,
}

/// Roles NCA writes into the extended key usage (1.2.398.3.3.4.1.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Жеке тұлға / физическое лицо.
    Individual,
    /// Заңды тұлға / юридическое лицо.
    LegalEntity,
    /// Бірінші басшы / первый руководитель.
    FirstHead,
    /// Қол қою құқығы бар тұлға / лицо с правом подписи.
    SigningRight,
    /// Кадр қызметі / сотрудник отдела кадров.
    Hr,
    /// Қызметкер / сотрудник.
    Employee,
}

impl Role {
    pub fn from_oid(o: &str) -> Option<Role> {
        match o {
            oid::ROLE_INDIVIDUAL => Some(Role::Individual),
            oid::ROLE_LEGAL_ENTITY => Some(Role::LegalEntity),
            oid::ROLE_FIRST_HEAD => Some(Role::FirstHead),
            oid::ROLE_SIGNING_RIGHT => Some(Role::SigningRight),
            oid::ROLE_HR => Some(Role::Hr),
            oid::ROLE_EMPLOYEE => Some(Role::Employee),
            _ => None,
        }
    }

    pub fn oid(self) -> &'static str {
        match self {
            Role::Individual => oid::ROLE_INDIVIDUAL,
            Role::LegalEntity => oid::ROLE_LEGAL_ENTITY,
            Role::FirstHead => oid::ROLE_FIRST_HEAD,
            Role::SigningRight => oid::ROLE_SIGNING_RIGHT,
            Role::Hr => oid::ROLE_HR,
            Role::Employee => oid::ROLE_EMPLOYEE,
        }
    }
}

/// The person (and organization) named by the signer certificate, as the CA wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerIdentity {
    /// From SERIALNUMBER `IIN…`, not checksum-validated (NCA test certificates fail the check).
    pub iin: Option<String>,
    /// From OU `BIN…`.
    pub bin: Option<String>,
    pub surname: Option<String>,
    pub given_name: Option<String>,
    /// NCA writes the patronymic into G (givenName).
    pub patronymic: Option<String>,
    pub common_name: String,
    pub organization: Option<String>,
    pub email: Option<String>,
}

impl SignerIdentity {
    pub fn from_subject(subject: &Name) -> SignerIdentity {
        let common_name = subject.get(oid::AT_CN).unwrap_or_default().to_string();
        let surname = subject
            .get(oid::AT_SURNAME)
            .map(str::to_string)
            .or_else(|| common_name.split_whitespace().next().map(str::to_string));
        // CN is "SURNAME NAME": the given name is what follows the surname.
        let given_name = match &surname {
            Some(s) if common_name.starts_with(s.as_str()) => {
                Some(common_name[s.len()..].trim().to_string())
            }
            _ => common_name.split_whitespace().nth(1).map(str::to_string),
        }
        .filter(|g| !g.is_empty());
        SignerIdentity {
            iin: subject
                .get_all(oid::AT_SERIAL_NUMBER)
                .find_map(|v| v.strip_prefix("IIN"))
                .map(str::to_string),
            bin: subject
                .get_all(oid::AT_ORG_UNIT)
                .find_map(|v| v.strip_prefix("BIN"))
                .map(str::to_string),
            surname,
            given_name,
            patronymic: subject.get(oid::AT_GIVEN_NAME).map(str::to_string),
            common_name,
            organization: subject.get(oid::AT_ORGANIZATION).map(str::to_string),
            email: subject.get(oid::AT_EMAIL).map(str::to_string),
        }
    }
}

/// A signature that passed every check.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedSignature {
    pub signer: SignerIdentity,
    pub key_usage: Vec<String>,
    pub ext_key_usage: Vec<String>,
    pub roles: Vec<Role>,
    pub key_kind: KeyKind,
    pub signing_time: Option<DateTime<Utc>>,
    /// Signer first, trust anchor last.
    pub chain: Vec<CertSummary>,
    #[serde(skip)]
    pub certificate_der: Vec<u8>,
    pub revocation: RevocationStatus,
}

/// Decides AUTH vs SIGN from key usage and EKU (2022 CAs carry only the generic policy),
/// falling back to the older NCA policies.
pub fn key_kind(cert: &Certificate) -> Option<KeyKind> {
    let eku = |o: &str| cert.ext_key_usage.iter().any(|e| e == o);
    let ku = cert.key_usage.unwrap_or_default();
    let non_repudiation = ku.has(KeyUsage::NON_REPUDIATION);
    if eku(oid::EKU_CLIENT_AUTH) && !non_repudiation {
        return Some(KeyKind::Auth);
    }
    if non_repudiation || eku(oid::EKU_EMAIL_PROTECTION) {
        return Some(KeyKind::Sign);
    }
    let policy = |o: &str| cert.policies.iter().any(|p| p == o);
    if policy(oid::POLICY_INDIVIDUAL_AUTH) || policy(oid::POLICY_LEGAL_AUTH) {
        return Some(KeyKind::Auth);
    }
    if policy(oid::POLICY_INDIVIDUAL_SIGN) || policy(oid::POLICY_LEGAL_SIGN) {
        return Some(KeyKind::Sign);
    }
    None
}

/// A chain decision for one issuing certificate, reused until the chain's validity ends.
#[derive(Debug, Clone)]
struct CachedPath {
    /// From the leaf's issuer up to the anchor.
    chain: Vec<CertSummary>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
}

const CHAIN_CACHE_LIMIT: usize = 4096;
const MAX_CHAIN_DEPTH: usize = 6;

pub struct Verifier {
    trust: TrustStore,
    revocation: RevocationChecker,
    sign_policy: SignPolicy,
    chain_cache: Mutex<HashMap<[u8; 32], CachedPath>>,
    use_chain_cache: bool,
}

impl Verifier {
    pub fn new(trust: TrustStore, revocation: RevocationConfig) -> Verifier {
        Verifier {
            trust,
            revocation: RevocationChecker::new(revocation),
            sign_policy: SignPolicy::default(),
            chain_cache: Mutex::new(HashMap::new()),
            use_chain_cache: true,
        }
    }

    pub fn with_sign_policy(mut self, policy: SignPolicy) -> Verifier {
        self.sign_policy = policy;
        self
    }

    /// Turns the chain cache off (benchmarks and tests of the uncached path).
    pub fn without_chain_cache(mut self) -> Verifier {
        self.use_chain_cache = false;
        self
    }

    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verifies a CMS (DER, base64 or PEM) over `expected_content` for `purpose` at time `at`
    /// (the server passes its clock; only tests and the CLI pass another time).
    pub fn verify_cms(
        &self,
        cms: &[u8],
        expected_content: &[u8],
        purpose: Purpose,
        at: DateTime<Utc>,
    ) -> Result<VerifiedSignature, VerifyError> {
        let der = parse_cms_input(cms)?;
        let sd = cms::parse_signed_data(&der)?;

        // 1. The signed content is the content this server issued.
        if let Some(attached) = &sd.content
            && attached.as_slice() != expected_content
        {
            return Err(VerifyError::ContentMismatch);
        }
        let content = expected_content;

        let [signer] = sd.signers.as_slice() else {
            return Err(VerifyError::SignerCount(sd.signers.len()));
        };
        let hash = sig::cms_signature_hash(&signer.signature_algorithm, &signer.digest_algorithm)?;

        // The signer certificate, among those the CMS carries.
        let embedded: Vec<Certificate> = sd
            .certificates
            .iter()
            .map(|raw| Certificate::from_der(raw))
            .collect::<Result<_, _>>()?;
        let leaf = embedded
            .iter()
            .find(|c| signer_matches(&signer.sid, c))
            .ok_or(VerifyError::SignerCertNotFound)?;

        // 2–3. messageDigest and the signature over the signed attributes as sent.
        let signed_bytes = match signer.signed_attrs_for_signature() {
            Some(attrs) => {
                let digest = signer
                    .single_attr(oid::ATTR_MESSAGE_DIGEST, "messageDigest")?
                    .ok_or(VerifyError::MissingSignedAttribute("messageDigest"))?;
                if digest.tag != crate::der::tag::OCTET_STRING
                    || digest.value != hash.digest(content).as_slice()
                {
                    return Err(VerifyError::MessageDigestMismatch);
                }
                let ct = signer
                    .single_attr(oid::ATTR_CONTENT_TYPE, "contentType")?
                    .ok_or(VerifyError::MissingSignedAttribute("contentType"))?;
                if ct.tag != crate::der::tag::OID
                    || crate::der::oid_to_string(ct.value).ok().as_deref()
                        != Some(sd.content_type.as_str())
                {
                    return Err(VerifyError::ContentTypeMismatch);
                }
                attrs
            }
            // Without signed attributes the signature is over the content itself.
            None => content.to_vec(),
        };
        if !sig::verify_rsa(leaf, hash, &signed_bytes, signer.signature)? {
            return Err(VerifyError::BadSignature);
        }
        let signing_time = signer.signing_time()?;

        // 4. Chain to a configured anchor.
        let (chain_above, issuer) = self.build_chain(leaf, &embedded, at)?;

        // 5. Validity of the signer certificate now and at the (claimed) signing time.
        check_validity(leaf, at)?;
        if let Some(st) = signing_time {
            check_validity(leaf, st)?;
        }

        // 6. Key usage for the purpose.
        let kind = self.check_purpose(leaf, purpose)?;

        // 7. Revocation.
        let revocation = self.revocation.check(leaf, &issuer, at)?;

        let mut chain = vec![leaf.summary()];
        chain.extend(chain_above);
        Ok(VerifiedSignature {
            signer: SignerIdentity::from_subject(&leaf.subject),
            key_usage: leaf.key_usage.map(|k| k.names()).unwrap_or_default(),
            ext_key_usage: leaf.ext_key_usage.clone(),
            roles: leaf
                .ext_key_usage
                .iter()
                .filter_map(|o| Role::from_oid(o))
                .collect(),
            key_kind: kind,
            signing_time,
            chain,
            certificate_der: leaf.der.clone(),
            revocation,
        })
    }

    fn check_purpose(&self, leaf: &Certificate, purpose: Purpose) -> Result<KeyKind, VerifyError> {
        let wrong = VerifyError::WrongKeyUsage { expected: purpose };
        let kind = key_kind(leaf).ok_or_else(|| wrong.clone())?;
        if let Some(ku) = leaf.key_usage
            && !ku.has(KeyUsage::DIGITAL_SIGNATURE)
            && !ku.has(KeyUsage::NON_REPUDIATION)
        {
            return Err(wrong);
        }
        let allowed = match purpose {
            Purpose::Login => kind == KeyKind::Auth,
            Purpose::Sign => {
                kind == KeyKind::Sign
                    || (kind == KeyKind::Auth && self.sign_policy.accept_auth_keys_for_signing)
            }
        };
        if allowed { Ok(kind) } else { Err(wrong) }
    }

    /// Finds and checks the path from `leaf` to an anchor. Returns the summaries above the
    /// leaf and the leaf's issuer (needed for revocation). The leaf's own signature is checked
    /// every time; the decision about its issuer's path is cached.
    fn build_chain(
        &self,
        leaf: &Certificate,
        embedded: &[Certificate],
        at: DateTime<Utc>,
    ) -> Result<(Vec<CertSummary>, Certificate), VerifyError> {
        // Anchors first: the common NCA case (anchor = the issuing intermediate).
        let mut last_error = None;
        for anchor in self.trust.issuers_of(leaf) {
            match check_issued_by(leaf, anchor) {
                Ok(()) => {
                    check_validity(anchor, at)?;
                    return Ok((vec![anchor.summary()], (**anchor).clone()));
                }
                Err(e) => last_error = Some(e),
            }
        }
        for issuer in embedded
            .iter()
            .filter(|c| c.could_issue(leaf) && c.sha256 != leaf.sha256)
        {
            if let Err(e) = check_issued_by(leaf, issuer) {
                last_error = Some(e);
                continue;
            }
            if let Some(path) = self.cached_path(issuer, at) {
                return Ok((path, issuer.clone()));
            }
            match self.path_from_intermediate(issuer, embedded, at) {
                Ok(path) => {
                    self.remember_path(issuer, &path, embedded);
                    return Ok((path, issuer.clone()));
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| VerifyError::UntrustedChain {
            subject: leaf.issuer.display(),
        }))
    }

    /// Verifies an intermediate (not an anchor) up to an anchor.
    fn path_from_intermediate(
        &self,
        intermediate: &Certificate,
        embedded: &[Certificate],
        at: DateTime<Utc>,
    ) -> Result<Vec<CertSummary>, VerifyError> {
        let mut path = Vec::new();
        let mut current = intermediate.clone();
        for below in 0..MAX_CHAIN_DEPTH {
            check_is_ca(&current)?;
            // basicConstraints pathLenConstraint: CAs allowed beneath this one.
            if let Some(Some(limit)) = current.ca
                && (below as u32) > limit
            {
                return Err(VerifyError::NotACa {
                    subject: current.subject.display(),
                });
            }
            check_validity(&current, at)?;
            path.push(current.summary());
            if self.trust.contains(&current) {
                return Ok(path);
            }
            let mut next = None;
            let mut last_error = None;
            let anchors = self.trust.issuers_of(&current).map(|a| (**a).clone());
            let others = embedded
                .iter()
                .filter(|c| c.could_issue(&current) && c.sha256 != current.sha256)
                .cloned();
            for candidate in anchors.collect::<Vec<_>>().into_iter().chain(others) {
                match check_issued_by(&current, &candidate) {
                    Ok(()) => {
                        next = Some(candidate);
                        break;
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            match next {
                Some(n) => current = n,
                None => {
                    return Err(last_error.unwrap_or_else(|| VerifyError::UntrustedChain {
                        subject: current.issuer.display(),
                    }));
                }
            }
        }
        Err(VerifyError::UntrustedChain {
            subject: current.subject.display(),
        })
    }

    fn cached_path(&self, issuer: &Certificate, at: DateTime<Utc>) -> Option<Vec<CertSummary>> {
        if !self.use_chain_cache {
            return None;
        }
        let cache = self.chain_cache.lock().ok()?;
        let entry = cache.get(&issuer.sha256)?;
        (entry.valid_from <= at && at <= entry.valid_until).then(|| entry.chain.clone())
    }

    fn remember_path(&self, issuer: &Certificate, path: &[CertSummary], _embedded: &[Certificate]) {
        if !self.use_chain_cache {
            return;
        }
        let valid_from = path.iter().map(|c| c.not_before).max();
        let valid_until = path.iter().map(|c| c.not_after).min();
        let (Some(valid_from), Some(valid_until)) = (valid_from, valid_until) else {
            return;
        };
        if let Ok(mut cache) = self.chain_cache.lock() {
            if cache.len() >= CHAIN_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(
                issuer.sha256,
                CachedPath {
                    chain: path.to_vec(),
                    valid_from,
                    valid_until,
                },
            );
        }
    }

    /// Number of cached chain decisions (for tests and metrics).
    pub fn cached_chains(&self) -> usize {
        self.chain_cache.lock().map(|c| c.len()).unwrap_or(0)
    }
}

fn signer_matches(sid: &SignerId<'_>, cert: &Certificate) -> bool {
    match sid {
        SignerId::IssuerAndSerial { issuer, serial } => {
            crate::crl::normalize_serial(serial) == crate::crl::normalize_serial(&cert.serial)
                && Name::parse(issuer).is_ok_and(|n| n.matches(&cert.issuer))
        }
        SignerId::SubjectKeyId(id) => cert.subject_key_id.as_deref() == Some(*id),
    }
}

fn check_issued_by(child: &Certificate, issuer: &Certificate) -> Result<(), VerifyError> {
    if sig::verify_signed(
        issuer,
        &child.signature_algorithm,
        child.tbs_der(),
        &child.signature,
    )? {
        Ok(())
    } else {
        Err(VerifyError::ChainSignatureInvalid {
            subject: child.subject.display(),
        })
    }
}

fn check_is_ca(cert: &Certificate) -> Result<(), VerifyError> {
    let key_cert_sign = cert
        .key_usage
        .is_none_or(|ku| ku.has(KeyUsage::KEY_CERT_SIGN));
    if cert.ca.is_some() && key_cert_sign {
        Ok(())
    } else {
        Err(VerifyError::NotACa {
            subject: cert.subject.display(),
        })
    }
}

fn check_validity(cert: &Certificate, at: DateTime<Utc>) -> Result<(), VerifyError> {
    if at < cert.not_before {
        return Err(VerifyError::NotYetValid {
            subject: cert.subject.display(),
            at,
        });
    }
    if at > cert.not_after {
        return Err(VerifyError::Expired {
            subject: cert.subject.display(),
            at,
        });
    }
    Ok(())
}

/// Shared form for callers that keep one verifier for the whole server.
pub type SharedVerifier = Arc<Verifier>;

#[cfg(test)]
mod tests {
    /// The server shares one verifier between blocking tasks.
    #[test]
    fn verifier_is_send_and_sync() {
        fn is<T: Send + Sync>() {}
        is::<super::Verifier>();
    }
}
