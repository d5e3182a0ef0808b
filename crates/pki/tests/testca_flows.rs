//! The project's test CA end to end: issue, sign like NCALayer, verify, revoke (CRL, OCSP),
//! chains through an intermediate, persistence, and cross-checks with OpenSSL.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::Utc;
use pki::testca::{CmsSigner, IssuedKey, TestCa, Validity, sign_cms};
use pki::{
    Crl, CrlFetcher, FetchError, KeyKind, OcspClient, Purpose, RevocationConfig, RevocationSource,
    RevocationStatus, Role, TrustStore, UnreachablePolicy, Verifier, VerifyError,
};

struct Fixture {
    ca: TestCa,
    auth: IssuedKey,
    sign: IssuedKey,
    head: IssuedKey,
}

/// Key generation is the slow part: one CA and three keys for the whole file.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let ca = TestCa::generate("tests").unwrap();
        let v = Validity::days_from_now(365);
        let auth = ca
            .issue_person(
                "900101300015",
                "ЖҰМАБАЕВ",
                "ӘЛИХАН",
                Some("СЕРІКҰЛЫ"),
                KeyKind::Auth,
                v,
            )
            .unwrap();
        let sign = ca
            .issue_person(
                "900101300015",
                "ЖҰМАБАЕВ",
                "ӘЛИХАН",
                Some("СЕРІКҰЛЫ"),
                KeyKind::Sign,
                v,
            )
            .unwrap();
        let head = ca
            .issue_organization_person(
                "800202400021",
                "ИВАНОВА",
                "МАРИЯ",
                None,
                "123456789021",
                "КГУ \"Школа-гимназия №1\"",
                &[Role::FirstHead],
                KeyKind::Auth,
                v,
            )
            .unwrap();
        Fixture {
            ca,
            auth,
            sign,
            head,
        }
    })
}

fn trust_issuing() -> TrustStore {
    TrustStore::from_pem_or_der(fixture().ca.issuing_cert_der()).unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(trust_issuing(), RevocationConfig::none())
}

const CHALLENGE: &[u8] = b"mektep-login:7f3a9c2e";

#[test]
fn auth_key_logs_in_and_names_come_from_the_certificate() {
    let f = fixture();
    let cms = sign_cms(&f.auth.key, &f.auth.cert_der, CHALLENGE, true).unwrap();
    let v = verifier()
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(v.signer.iin.as_deref(), Some("900101300015"));
    assert_eq!(v.signer.surname.as_deref(), Some("ЖҰМАБАЕВ"));
    assert_eq!(v.signer.given_name.as_deref(), Some("ӘЛИХАН"));
    assert_eq!(v.signer.patronymic.as_deref(), Some("СЕРІКҰЛЫ"));
    assert_eq!(v.key_kind, KeyKind::Auth);
    assert_eq!(v.roles, vec![Role::Individual]);
    assert_eq!(v.key_usage, vec!["digitalSignature", "keyEncipherment"]);
    assert_eq!(v.revocation, RevocationStatus::NotChecked);
    assert!(v.chain[1].subject.contains("MEKTEP TEST CA"));
}

#[test]
fn sign_key_signs_documents_but_does_not_log_in() {
    let f = fixture();
    let doc = "<application><iin>900101300015</iin></application>".as_bytes();
    let cms = sign_cms(&f.sign.key, &f.sign.cert_der, doc, false).unwrap();
    let v = verifier()
        .verify_cms(&cms, doc, Purpose::Sign, Utc::now())
        .unwrap();
    assert_eq!(v.key_kind, KeyKind::Sign);
    assert!(v.key_usage.contains(&"nonRepudiation".into()));
    let err = verifier()
        .verify_cms(&cms, doc, Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongKeyUsage {
            expected: Purpose::Login
        }
    );
}

#[test]
fn organization_key_carries_bin_and_roles() {
    let f = fixture();
    let cms = sign_cms(&f.head.key, &f.head.cert_der, CHALLENGE, true).unwrap();
    let v = verifier()
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(v.signer.bin.as_deref(), Some("123456789021"));
    assert_eq!(
        v.signer.organization.as_deref(),
        Some("КГУ \"Школа-гимназия №1\"")
    );
    assert_eq!(v.signer.patronymic, None);
    assert_eq!(v.roles, vec![Role::LegalEntity, Role::FirstHead]);
}

#[test]
fn detached_signature_is_checked_over_the_expected_content() {
    let f = fixture();
    let cms = sign_cms(&f.auth.key, &f.auth.cert_der, CHALLENGE, false).unwrap();
    verifier()
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    let err = verifier()
        .verify_cms(&cms, b"mektep-login:other", Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(err, VerifyError::MessageDigestMismatch);
    // Attached content must be exactly the challenge.
    let attached = sign_cms(&f.auth.key, &f.auth.cert_der, CHALLENGE, true).unwrap();
    let err = verifier()
        .verify_cms(&attached, b"mektep-login:other", Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(err, VerifyError::ContentMismatch);
}

#[test]
fn another_ca_is_not_trusted() {
    let other = TestCa::generate("other").unwrap();
    let key = other
        .issue_person(
            "900101300015",
            "A",
            "B",
            None,
            KeyKind::Auth,
            Validity::days_from_now(1),
        )
        .unwrap();
    let cms = sign_cms(&key.key, &key.cert_der, CHALLENGE, true).unwrap();
    let err = verifier()
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
}

#[test]
fn root_only_trust_needs_the_intermediate_and_caches_its_decision() {
    let f = fixture();
    let root = TrustStore::from_pem_or_der(f.ca.root_cert_der()).unwrap();
    let v = Verifier::new(root.clone(), RevocationConfig::none());
    // NCALayer-shaped CMS (signer certificate only): no path to the root.
    let plain = sign_cms(&f.auth.key, &f.auth.cert_der, CHALLENGE, true).unwrap();
    let err = v
        .verify_cms(&plain, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
    // With the intermediate embedded the chain is leaf → intermediate → root.
    let signer = CmsSigner::from_issued(&f.auth)
        .unwrap()
        .with_extra_certs(vec![f.ca.issuing_cert_der().to_vec()]);
    let cms = signer.sign(CHALLENGE, true).unwrap();
    assert_eq!(v.cached_chains(), 0);
    let first = v
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(first.chain.len(), 3);
    assert_eq!(v.cached_chains(), 1);
    let second = v
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(first.chain, second.chain);
    // The cache never skips the leaf's own signature: a tampered signature still fails.
    let mut bad = cms.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let err = v
        .verify_cms(&bad, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(err, VerifyError::BadSignature);
    // Uncached verifier agrees.
    let uncached = Verifier::new(root, RevocationConfig::none()).without_chain_cache();
    uncached
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(uncached.cached_chains(), 0);
}

#[test]
fn crl_revocation_is_refused_and_others_are_good() {
    let ca = TestCa::generate("crl").unwrap();
    let v = Validity::days_from_now(30);
    let good = ca
        .issue_person("900101300015", "A", "B", None, KeyKind::Auth, v)
        .unwrap();
    let bad = ca
        .issue_person("900101300015", "A", "B", None, KeyKind::Auth, v)
        .unwrap();
    ca.revoke_with_reason(&bad.certificate().unwrap().serial, Some("keyCompromise"));
    let crl = Crl::from_der(&ca.crl().unwrap()).unwrap();
    crl.verify_signature(ca.issuing_certificate()).unwrap();
    let trust = TrustStore::from_pem_or_der(ca.issuing_cert_der()).unwrap();
    let verifier = Verifier::new(trust, RevocationConfig::with_crls(vec![crl]));

    let ok = sign_cms(&good.key, &good.cert_der, CHALLENGE, true).unwrap();
    let status = verifier
        .verify_cms(&ok, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap()
        .revocation;
    assert_eq!(
        status,
        RevocationStatus::Good {
            source: RevocationSource::Crl
        }
    );

    let revoked = sign_cms(&bad.key, &bad.cert_der, CHALLENGE, true).unwrap();
    let err = verifier
        .verify_cms(&revoked, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Revoked { ref reason, .. } if reason.as_deref() == Some("keyCompromise")),
        "{err:?}"
    );
    assert_eq!(err.message_key(), "pki-err-revoked");
}

struct CaResponder(Arc<TestCa>);
impl OcspClient for CaResponder {
    fn check(&self, request_der: &[u8]) -> Result<Vec<u8>, FetchError> {
        self.0
            .ocsp_response(request_der, Utc::now())
            .map_err(|e| FetchError(e.to_string()))
    }
}

struct Down;
impl OcspClient for Down {
    fn check(&self, _: &[u8]) -> Result<Vec<u8>, FetchError> {
        Err(FetchError("connection refused".into()))
    }
}

#[test]
fn ocsp_answers_good_and_revoked_and_unreachable_follows_policy() {
    let ca = Arc::new(TestCa::generate("ocsp").unwrap());
    let v = Validity::days_from_now(30);
    let good = ca
        .issue_person("900101300015", "A", "B", None, KeyKind::Auth, v)
        .unwrap();
    let bad = ca
        .issue_person("900101300015", "A", "B", None, KeyKind::Auth, v)
        .unwrap();
    ca.revoke(&bad.certificate().unwrap().serial);
    let trust = TrustStore::from_pem_or_der(ca.issuing_cert_der()).unwrap();
    let config = RevocationConfig {
        ocsp: Some(Arc::new(CaResponder(ca.clone()))),
        ..RevocationConfig::default()
    };
    let verifier = Verifier::new(trust.clone(), config);
    let ok = sign_cms(&good.key, &good.cert_der, CHALLENGE, true).unwrap();
    let status = verifier
        .verify_cms(&ok, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap()
        .revocation;
    assert_eq!(
        status,
        RevocationStatus::Good {
            source: RevocationSource::Ocsp
        }
    );
    let revoked = sign_cms(&bad.key, &bad.cert_der, CHALLENGE, true).unwrap();
    let err = verifier
        .verify_cms(&revoked, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(matches!(err, VerifyError::Revoked { .. }), "{err:?}");

    for (policy, accepted) in [
        (UnreachablePolicy::Reject, false),
        (UnreachablePolicy::Accept, true),
    ] {
        let config = RevocationConfig {
            ocsp: Some(Arc::new(Down)),
            unreachable_policy: policy,
            ..RevocationConfig::default()
        };
        let result = Verifier::new(trust.clone(), config).verify_cms(
            &ok,
            CHALLENGE,
            Purpose::Login,
            Utc::now(),
        );
        match (accepted, result) {
            (false, Err(VerifyError::RevocationUnknown(detail))) => {
                assert!(detail.contains("connection refused"))
            }
            (true, Ok(v)) => assert!(matches!(v.revocation, RevocationStatus::Unknown { .. })),
            (_, other) => panic!("{policy:?}: {other:?}"),
        }
    }
}

struct CountingFetcher {
    ca: Arc<TestCa>,
    calls: AtomicUsize,
}
impl CrlFetcher for CountingFetcher {
    fn fetch(&self, _url: &str) -> Result<Vec<u8>, FetchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.ca.crl().map_err(|e| FetchError(e.to_string()))
    }
}

#[test]
fn fetched_crl_is_cached_until_next_update() {
    let ca = Arc::new(
        TestCa::generate("fetch")
            .unwrap()
            .with_crl_url("http://crl.test/mektep.crl"),
    );
    let v = Validity::days_from_now(3);
    let key = ca
        .issue_person("900101300015", "A", "B", None, KeyKind::Auth, v)
        .unwrap();
    assert_eq!(
        key.certificate().unwrap().crl_urls,
        vec!["http://crl.test/mektep.crl"]
    );
    let fetcher = Arc::new(CountingFetcher {
        ca: ca.clone(),
        calls: AtomicUsize::new(0),
    });
    let config = RevocationConfig {
        crl_fetcher: Some(fetcher.clone()),
        ..RevocationConfig::default()
    };
    let trust = TrustStore::from_pem_or_der(ca.issuing_cert_der()).unwrap();
    let verifier = Verifier::new(trust, config);
    let cms = sign_cms(&key.key, &key.cert_der, CHALLENGE, true).unwrap();
    for _ in 0..3 {
        let v = verifier
            .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
            .unwrap();
        assert_eq!(
            v.revocation,
            RevocationStatus::Good {
                source: RevocationSource::Crl
            }
        );
    }
    assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
    // After its nextUpdate the cached CRL is no longer current: fetched again.
    // (The fresh one does not cover that time either, so the status is unknown.)
    let later = Utc::now() + chrono::Duration::days(2);
    let err = verifier
        .verify_cms(&cms, CHALLENGE, Purpose::Login, later)
        .unwrap_err();
    assert!(matches!(err, VerifyError::RevocationUnknown(_)), "{err:?}");
    assert_eq!(fetcher.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn save_load_and_pem_round_trips() {
    let f = fixture();
    let dir = temp_dir("saveload");
    f.ca.save(&dir).unwrap();
    let loaded = TestCa::load(&dir).unwrap();
    assert_eq!(loaded.issuing_cert_der(), f.ca.issuing_cert_der());
    assert_eq!(loaded.root_cert_der(), f.ca.root_cert_der());
    let pem = f.auth.to_pem();
    assert_eq!(IssuedKey::from_pem(&pem).unwrap(), f.auth);
    // Revocations survive a save/load.
    loaded.revoke(&f.sign.certificate().unwrap().serial);
    loaded.save(&dir).unwrap();
    let again = TestCa::load(&dir).unwrap();
    let crl = Crl::from_der(&again.crl().unwrap()).unwrap();
    assert!(
        crl.is_revoked(&f.sign.certificate().unwrap().serial)
            .is_some()
    );
    assert!(
        crl.is_revoked(&f.auth.certificate().unwrap().serial)
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pki-{tag}-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed")
}

#[test]
fn openssl_verifies_our_cms() {
    let f = fixture();
    let dir = temp_dir("ossl-verify");
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&ca_pem, f.ca.trust_pem()).unwrap();
    for attached in [true, false] {
        let cms = sign_cms(&f.sign.key, &f.sign.cert_der, CHALLENGE, attached).unwrap();
        let cms_path = dir.join("sig.der");
        std::fs::write(&cms_path, &cms).unwrap();
        let content_path = dir.join("content.bin");
        std::fs::write(&content_path, CHALLENGE).unwrap();
        let mut args = vec![
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            cms_path.to_str().unwrap(),
            "-CAfile",
            ca_pem.to_str().unwrap(),
            "-purpose",
            "any",
        ];
        if !attached {
            args.extend(["-content", content_path.to_str().unwrap()]);
        }
        let out = openssl(&args);
        assert!(
            out.status.success(),
            "attached={attached}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, CHALLENGE);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn our_verifier_accepts_openssl_cms() {
    let f = fixture();
    let dir = temp_dir("ossl-sign");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let content = dir.join("content.bin");
    let out_path = dir.join("sig.der");
    std::fs::write(&cert, pki::input::to_pem("CERTIFICATE", &f.auth.cert_der)).unwrap();
    std::fs::write(&key, pki::input::to_pem("PRIVATE KEY", &f.auth.key)).unwrap();
    std::fs::write(&content, CHALLENGE).unwrap();
    let out = openssl(&[
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-md",
        "sha256",
        "-outform",
        "DER",
        "-signer",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        content.to_str().unwrap(),
        "-out",
        out_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cms = std::fs::read(&out_path).unwrap();
    let v = verifier()
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(v.signer.iin.as_deref(), Some("900101300015"));
    // Tampered content is refused.
    let err = verifier()
        .verify_cms(&cms, b"other", Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(err, VerifyError::ContentMismatch);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openssl_accepts_our_crl() {
    let f = fixture();
    let dir = temp_dir("ossl-crl");
    let crl = dir.join("ca.crl");
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&crl, f.ca.crl().unwrap()).unwrap();
    std::fs::write(
        &ca_pem,
        pki::input::to_pem("CERTIFICATE", f.ca.issuing_cert_der()),
    )
    .unwrap();
    let out = openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        crl.to_str().unwrap(),
        "-CAfile",
        ca_pem.to_str().unwrap(),
        "-noout",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("verify OK")
            || String::from_utf8_lossy(&out.stdout).contains("verify OK"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[path = "testca_flows/hostile.rs"]
mod hostile;
