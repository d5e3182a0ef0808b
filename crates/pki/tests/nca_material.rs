//! The verifier against real NCA RK test material (`shared/nca-test`, used in place).

use chrono::{DateTime, TimeZone, Utc};
use pki::{
    CertStatus, Certificate, Crl, KeyKind, OcspResponse, Purpose, RevocationConfig, Role,
    SignPolicy, TrustStore, Verifier, VerifyError,
};

const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/nca-test");

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{NCA}/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const PERSON_AUTH: &str =
    "ncanode-go-testdata/personal/active/AUTH_RSA256_b2c70a9ff7a5dc59de0ccc3c0ddde3437cc1f12d";
const PERSON_SIGN: &str =
    "ncanode-go-testdata/personal/active/RSA256_11c707bd54cbfcccb3815e39c4eb57b1dc7dfea9";
const PERSON_AUTH_REVOKED: &str =
    "ncanode-go-testdata/personal/revoked/AUTH_RSA256_60d5a0346dd52fb5f3b9148e6cfbcd6cf323d119";
const PERSON_SIGN_REVOKED: &str =
    "ncanode-go-testdata/personal/revoked/RSA256_346a7e57c2995259140b6fc375b6ff3bba7e852f";
const ORG_AUTH: &str =
    "ncanode-go-testdata/organization/active/AUTH_RSA256_d682726b55b3e62600ea8fe1c74e75fc96f47790";
const ORG_GOST: &str =
    "ncanode-go-testdata/organization/active/GOSTKNCA_13a3741b52d7bf860aab199b56fad1f4652e357b";

/// Every `.cms` signs the 6 bytes `asdasd` (attached).
const CONTENT: &[u8] = b"asdasd";

/// Inside the leaves' validity (2020-01-28 … 2021-01-27) and after their signingTime (2020-09-09).
fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 10, 1, 0, 0, 0).unwrap()
}

fn test_ca() -> TrustStore {
    TrustStore::from_pem_or_der(&read("ca/nca_rsa_test.crt")).unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(test_ca(), RevocationConfig::none())
}

fn cms(name: &str) -> Vec<u8> {
    read(&format!("{name}.cms"))
}

#[test]
fn individual_auth_logs_in_with_iin_and_names() {
    let v = verifier()
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Login, at())
        .unwrap();
    assert_eq!(v.signer.iin.as_deref(), Some("123456789011"));
    assert_eq!(v.signer.surname.as_deref(), Some("ТЕСТОВ"));
    assert_eq!(v.signer.given_name.as_deref(), Some("ТЕСТ"));
    assert_eq!(v.signer.patronymic.as_deref(), Some("ТЕСТОВИЧ"));
    assert_eq!(v.signer.common_name, "ТЕСТОВ ТЕСТ");
    assert_eq!(v.signer.bin, None);
    assert_eq!(v.key_kind, KeyKind::Auth);
    assert_eq!(v.roles, vec![Role::Individual]);
    assert_eq!(v.key_usage, vec!["digitalSignature", "keyEncipherment"]);
    assert_eq!(
        v.signing_time,
        Some(Utc.with_ymd_and_hms(2020, 9, 9, 20, 3, 13).unwrap())
    );
    assert_eq!(v.chain.len(), 2);
    assert_eq!(
        v.chain[0].serial_hex,
        "391759E5658DCA490117417838E6C72CD8A853E7"
    );
    assert!(v.chain[1].subject.contains("ҰКО 3.0 (RSA TEST)"));
    let cer =
        pki::x509::certificates_from_pem_or_der(&read(&format!("{PERSON_AUTH}.cer"))).unwrap();
    assert_eq!(v.certificate_der, cer[0].der);
}

#[test]
fn individual_sign_key_is_refused_for_login_and_accepted_for_signing() {
    let err = verifier()
        .verify_cms(&cms(PERSON_SIGN), CONTENT, Purpose::Login, at())
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongKeyUsage {
            expected: Purpose::Login
        }
    );
    let v = verifier()
        .verify_cms(&cms(PERSON_SIGN), CONTENT, Purpose::Sign, at())
        .unwrap();
    assert_eq!(v.key_kind, KeyKind::Sign);
    assert_eq!(v.signer.iin.as_deref(), Some("123456789011"));
    assert!(v.key_usage.contains(&"nonRepudiation".to_string()));
}

#[test]
fn auth_key_signs_documents_only_when_configured() {
    let err = verifier()
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Sign, at())
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongKeyUsage {
            expected: Purpose::Sign
        }
    );
    let lenient = verifier().with_sign_policy(SignPolicy {
        accept_auth_keys_for_signing: true,
    });
    let v = lenient
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Sign, at())
        .unwrap();
    assert_eq!(v.key_kind, KeyKind::Auth);
}

#[test]
fn organization_auth_yields_bin_and_first_head() {
    let v = verifier()
        .verify_cms(&cms(ORG_AUTH), CONTENT, Purpose::Login, at())
        .unwrap();
    assert_eq!(v.signer.bin.as_deref(), Some("123456789021"));
    assert_eq!(v.signer.iin.as_deref(), Some("123456789011"));
    assert_eq!(v.signer.organization.as_deref(), Some("АО \"ТЕСТ\""));
    assert!(v.roles.contains(&Role::LegalEntity));
    assert!(v.roles.contains(&Role::FirstHead));
    assert!(!v.roles.contains(&Role::Individual));
}

#[test]
fn revoked_folder_keys_verify_cryptographically() {
    // Their revocation is not in the CRL we have (another period); without a revocation
    // source they pass the signature and chain checks.
    for (name, purpose) in [
        (PERSON_AUTH_REVOKED, Purpose::Login),
        (PERSON_SIGN_REVOKED, Purpose::Sign),
    ] {
        verifier()
            .verify_cms(&cms(name), CONTENT, purpose, at())
            .unwrap();
    }
}

#[test]
fn gost_is_unsupported_not_a_panic() {
    let err = verifier()
        .verify_cms(&cms(ORG_GOST), CONTENT, Purpose::Login, at())
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::UnsupportedAlgorithm(ref o) if o.starts_with("1.2.398.3.10")),
        "{err:?}"
    );
}

#[test]
fn wrong_content_and_times_are_refused() {
    let err = verifier()
        .verify_cms(&cms(PERSON_AUTH), b"asdasD", Purpose::Login, at())
        .unwrap_err();
    assert_eq!(err, VerifyError::ContentMismatch);
    let late = Utc.with_ymd_and_hms(2021, 6, 1, 0, 0, 0).unwrap();
    let err = verifier()
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Login, late)
        .unwrap_err();
    assert!(matches!(err, VerifyError::Expired { .. }), "{err:?}");
    let early = Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).unwrap();
    let err = verifier()
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Login, early)
        .unwrap_err();
    assert!(matches!(err, VerifyError::NotYetValid { .. }), "{err:?}");
}

#[test]
fn without_the_anchor_the_chain_is_untrusted() {
    let prod = TrustStore::from_pem_or_der(&read("ca/prod_nca_rsa_2018.crt")).unwrap();
    let v = Verifier::new(prod, RevocationConfig::none());
    let err = v
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Login, at())
        .unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
}

#[test]
fn test_crl_verifies_against_the_test_ca_and_answers_serials() {
    let ca = Certificate::from_der(
        &pki::input::pem_blocks(&read("ca/nca_rsa_test.crt"), "CERTIFICATE")[0],
    )
    .unwrap();
    let crl = Crl::from_pem_or_der(&read("crl/nca_rsa_test.crl")).unwrap();
    assert_eq!(crl.len(), 126);
    crl.verify_signature(&ca).unwrap();
    let listed = hex::decode("474C38696D8677A2C8B6E40345A8B04168C0905C").unwrap();
    let entry = crl.is_revoked(&listed).unwrap();
    assert_eq!(entry.reason.as_deref(), Some("certificateHold"));
    let key_compromise = hex::decode("4B779CB5647C4DA7B07327C503EAB1656D716ED8").unwrap();
    assert_eq!(
        crl.is_revoked(&key_compromise).unwrap().reason.as_deref(),
        Some("keyCompromise")
    );
    // The leaves of the revoked folder are of another period: not listed.
    for name in [PERSON_AUTH_REVOKED, PERSON_SIGN_REVOKED] {
        let der = pki::cms::parse_signed_data(&pki::parse_cms_input(&cms(name)).unwrap())
            .unwrap()
            .certificates[0]
            .to_vec();
        let leaf = Certificate::from_der(&der).unwrap();
        assert!(crl.is_revoked(&leaf.serial).is_none());
    }
    // Another CA's key does not verify it.
    let prod = Certificate::from_der(&read("ca/prod_nca_rsa_2018.crt")).unwrap();
    assert_eq!(
        crl.verify_signature(&prod),
        Err(VerifyError::CrlSignatureInvalid)
    );
}

#[test]
fn crl_of_the_period_without_the_serial_gives_good_and_stale_crl_gives_unknown() {
    let crl = Crl::from_pem_or_der(&read("crl/nca_rsa_test.crl")).unwrap();
    let v = Verifier::new(test_ca(), RevocationConfig::with_crls(vec![crl]));
    // At 2020-10-01 the 2022 CRL is not current: status unknown, refused by default policy.
    let err = v
        .verify_cms(&cms(PERSON_AUTH), CONTENT, Purpose::Login, at())
        .unwrap_err();
    assert!(matches!(err, VerifyError::RevocationUnknown(_)), "{err:?}");
}

#[test]
fn ocsp_responses_parse_to_good_and_revoked() {
    let cases = [
        (
            "ocsp/ocsp_response_individual_sign_2004.bin",
            "4279390A141F5353A62947B61ED65E81741467D1",
            None,
        ),
        (
            "ocsp/ocsp_response_ceo_sign_2004_revoked.bin",
            "12E3E7B9966D09EB9CDA64251457E815C2A8DDED",
            Some("superseded"),
        ),
        (
            "ocsp/ocsp_response_ceo_2015_revoked.bin",
            "3A90343E720594C55204B19CB9A402422EF0E622",
            Some("certificateHold"),
        ),
        (
            "ocsp/ocsp_response_individual_2015.bin",
            "0FF06211DC82BEB00253FFA000F1DE84ABEF454F",
            Some("certificateHold"),
        ),
    ];
    for (file, serial, revoked) in cases {
        let resp = OcspResponse::parse(&read(file)).unwrap();
        assert_eq!(resp.responses.len(), 1, "{file}");
        let single = &resp.responses[0];
        assert_eq!(pki::x509::serial_hex(&single.serial), serial, "{file}");
        match (revoked, &single.status) {
            (None, CertStatus::Good) => {}
            (Some(r), CertStatus::Revoked { reason, .. }) => assert_eq!(reason.as_deref(), Some(r)),
            other => panic!("{file}: {other:?}"),
        }
        assert!(resp.nonce.as_ref().is_some_and(|n| n.len() == 8), "{file}");
    }
}

#[test]
fn ocsp_good_response_signature_verifies_through_the_delegated_responder() {
    let ca = Certificate::from_der(
        &pki::input::pem_blocks(&read("ca/nca_rsa_test.crt"), "CERTIFICATE")[0],
    )
    .unwrap();
    let resp = OcspResponse::parse(&read("ocsp/ocsp_response_individual_sign_2004.bin")).unwrap();
    let when = Utc.with_ymd_and_hms(2022, 9, 2, 17, 0, 0).unwrap();
    resp.verify_signature(&ca, when).unwrap();
    // Outside the responder certificate's validity it is refused.
    let later = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    assert!(resp.verify_signature(&ca, later).is_err());
    // GOST-signed responses are not verifiable here: an error, not a panic.
    let gost = OcspResponse::parse(&read("ocsp/ocsp_response_ceo_2015_revoked.bin")).unwrap();
    assert!(gost.verify_signature(&ca, when).is_err());
}

fn der_of(name: &str) -> Vec<u8> {
    pki::parse_cms_input(&cms(name)).unwrap()
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

#[test]
fn a_changed_byte_is_refused_with_the_reason_that_names_it() {
    let original = der_of(PERSON_AUTH);
    let v = verifier();
    let verify = |der: &[u8], content: &[u8]| v.verify_cms(der, content, Purpose::Login, at());
    verify(&original, CONTENT).unwrap();

    // Content: the attached bytes changed (and the server expects the changed text).
    let mut content = original.clone();
    let pos = find(&content, b"asdasd");
    content[pos + 5] = b'X';
    assert_eq!(
        verify(&content, b"asdasX").unwrap_err(),
        VerifyError::MessageDigestMismatch
    );

    // Signature value: the last byte of the CMS.
    let mut signature = original.clone();
    let last = signature.len() - 1;
    signature[last] ^= 0x01;
    assert_eq!(
        verify(&signature, CONTENT).unwrap_err(),
        VerifyError::BadSignature
    );

    // Signed attributes: a digit of signingTime.
    let mut attrs = original.clone();
    let pos = find(&attrs, b"200909200313Z");
    attrs[pos + 11] = b'4';
    assert_eq!(
        verify(&attrs, CONTENT).unwrap_err(),
        VerifyError::BadSignature
    );

    // Certificate: a letter of the subject's locality, so the CA's signature breaks.
    let mut cert = original.clone();
    let pos = find(&cert, "НУР-СУЛТАН".as_bytes());
    cert[pos + 1] ^= 0x01;
    assert!(matches!(
        verify(&cert, CONTENT).unwrap_err(),
        VerifyError::ChainSignatureInvalid { .. }
    ),);

    // Certificate: the serial no longer matches the signer identifier.
    let mut serial = original.clone();
    let pos = find(&serial, &hex::decode("391759E5658DCA49").unwrap());
    serial[pos] ^= 0x01;
    assert_eq!(
        verify(&serial, CONTENT).unwrap_err(),
        VerifyError::SignerCertNotFound
    );
}

#[test]
fn truncated_or_bit_flipped_cms_never_panics() {
    let v = verifier();
    for name in [PERSON_AUTH, ORG_GOST] {
        let original = der_of(name);
        for len in 0..original.len() {
            assert!(
                v.verify_cms(&original[..len], CONTENT, Purpose::Login, at())
                    .is_err(),
                "prefix {len} of {name}"
            );
        }
        let mut refused = 0;
        for pos in 0..original.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut changed = original.clone();
                changed[pos] ^= mask;
                if v.verify_cms(&changed, CONTENT, Purpose::Login, at())
                    .is_err()
                {
                    refused += 1;
                }
            }
        }
        // Only bytes nobody signs (e.g. the digestAlgorithms set, unused parameters) may change.
        assert!(
            refused * 100 >= original.len() * 3 * 95,
            "{name}: {refused}"
        );
    }
    // Random garbage of many sizes, as text and as binary.
    for size in [0usize, 1, 2, 3, 10, 100, 1000, 100_000] {
        let junk: Vec<u8> = (0..size).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(v.verify_cms(&junk, CONTENT, Purpose::Login, at()).is_err());
        let mut der_like = junk.clone();
        if let Some(first) = der_like.first_mut() {
            *first = 0x30;
        }
        assert!(
            v.verify_cms(&der_like, CONTENT, Purpose::Login, at())
                .is_err()
        );
    }
}

#[test]
fn base64_pem_and_der_inputs_verify_alike() {
    let b64 = cms(PERSON_AUTH);
    let der = der_of(PERSON_AUTH);
    let pem = pki::input::to_pem("CMS", &der);
    for input in [b64, der, pem.into_bytes()] {
        verifier()
            .verify_cms(&input, CONTENT, Purpose::Login, at())
            .unwrap();
    }
}

#[test]
fn every_error_has_a_message_in_each_language() {
    for lang in ["kk", "ru", "en"] {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../locales/").to_string() + lang + "/pki.ftl";
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for key in VerifyError::ALL_MESSAGE_KEYS {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{key} ="))),
                "{lang}: {key} missing"
            );
        }
    }
}

#[test]
fn real_certificates_map_to_key_kind_roles_and_identity() {
    use pki::x509::certificates_from_pem_or_der;
    let table: &[(&str, KeyKind, &[Role], Option<&str>)] = &[
        (
            "certs/individual_valid_sign_2004_rsa.cer",
            KeyKind::Sign,
            &[Role::Individual],
            None,
        ),
        (
            "certs/individual_valid_sign_2004_rsa_auth.cer",
            KeyKind::Auth,
            &[Role::Individual],
            None,
        ),
        (
            &format!("{PERSON_AUTH}.cer"),
            KeyKind::Auth,
            &[Role::Individual],
            None,
        ),
        (
            &format!("{PERSON_SIGN}.cer"),
            KeyKind::Sign,
            &[Role::Individual],
            None,
        ),
        (
            &format!("{ORG_AUTH}.cer"),
            KeyKind::Auth,
            &[Role::LegalEntity, Role::FirstHead],
            Some("123456789021"),
        ),
        (
            &format!("{ORG_GOST}.cer"),
            KeyKind::Sign,
            &[Role::LegalEntity, Role::FirstHead],
            Some("123456789021"),
        ),
    ];
    for (file, kind, roles, bin) in table {
        let cert = certificates_from_pem_or_der(&read(file)).unwrap().remove(0);
        assert_eq!(pki::key_kind(&cert), Some(*kind), "{file}");
        let found: Vec<Role> = cert
            .ext_key_usage
            .iter()
            .filter_map(|o| Role::from_oid(o))
            .collect();
        assert_eq!(&found, roles, "{file}");
        let who = pki::SignerIdentity::from_subject(&cert.subject);
        assert_eq!(who.iin.as_deref(), Some("123456789011"), "{file}");
        assert_eq!(who.bin.as_deref(), *bin, "{file}");
        assert_eq!(who.surname.as_deref(), Some("ТЕСТОВ"), "{file}");
        assert_eq!(who.given_name.as_deref(), Some("ТЕСТ"), "{file}");
    }
}
