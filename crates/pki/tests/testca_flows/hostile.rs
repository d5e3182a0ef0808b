//! A hostile CMS corpus: every way a signature can be malformed, mislabelled or signed by the
//! wrong party is refused with the reason that names it, and none of them panics or exhausts the
//! stack. CMS are built by the test CA (and edited structurally by the small DER tree below) and
//! taken from the real NCA material in `shared/nca-test`, read in place.

use chrono::{Duration, Utc};
use pki::der::write;
use pki::testca::{CmsSigner, Validity, sign_cms};
use pki::{
    Certificate, Crl, KeyKind, Purpose, RevocationConfig, TrustStore, Verifier, VerifyError,
};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::{CHALLENGE, fixture, verifier};

const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/nca-test");
const NCA_PERSON_AUTH: &str =
    "ncanode-go-testdata/personal/active/AUTH_RSA256_b2c70a9ff7a5dc59de0ccc3c0ddde3437cc1f12d.cms";

fn malformed(reason: &str) -> VerifyError {
    VerifyError::Malformed(reason.to_string())
}

fn login(cms: &[u8]) -> Result<pki::VerifiedSignature, VerifyError> {
    verifier().verify_cms(cms, CHALLENGE, Purpose::Login, Utc::now())
}

fn auth_cms() -> Vec<u8> {
    let f = fixture();
    sign_cms(&f.auth.key, &f.auth.cert_der, CHALLENGE, true).unwrap()
}

// ---------------------------------------------------------------------------------------------
// A DER tree, so a test can change one field and re-encode everything around it correctly.

#[derive(Debug, Clone)]
enum Node {
    Primitive(u8, Vec<u8>),
    Constructed {
        tag: u8,
        children: Vec<Node>,
        indefinite: bool,
    },
}

impl Node {
    fn parse(der: &[u8]) -> Node {
        let tlv = pki::der::parse_single(der).unwrap();
        Node::from_tlv(&tlv)
    }

    fn from_tlv(tlv: &pki::der::Tlv<'_>) -> Node {
        // OCTET STRINGs stay opaque (their content is DER only for some of them).
        if !tlv.is_constructed() {
            return Node::Primitive(tlv.tag, tlv.value.to_vec());
        }
        let mut children = Vec::new();
        let mut r = tlv.reader();
        while !r.is_empty() {
            children.push(Node::from_tlv(&r.read().unwrap()));
        }
        Node::Constructed {
            tag: tlv.tag,
            children,
            indefinite: tlv.indefinite,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Node::Primitive(tag, value) => pki::der::write::tlv(*tag, value),
            Node::Constructed {
                tag,
                children,
                indefinite,
            } => {
                let body: Vec<u8> = children.iter().flat_map(Node::encode).collect();
                if *indefinite {
                    [vec![*tag, 0x80], body, vec![0, 0]].concat()
                } else {
                    pki::der::write::tlv(*tag, &body)
                }
            }
        }
    }

    fn at(&mut self, path: &[usize]) -> &mut Node {
        let mut node = self;
        for i in path {
            node = match node {
                Node::Constructed { children, .. } => &mut children[*i],
                Node::Primitive(..) => panic!("path {path:?} goes through a primitive"),
            };
        }
        node
    }

    fn set_indefinite(&mut self) {
        if let Node::Constructed { indefinite, .. } = self {
            *indefinite = true;
        }
    }

    fn children(&mut self) -> &mut Vec<Node> {
        match self {
            Node::Constructed { children, .. } => children,
            Node::Primitive(..) => panic!("not constructed"),
        }
    }
}

// ContentInfo → [0] → SignedData; SignedData's fields; SignerInfo's fields.
const SIGNED_DATA: [usize; 2] = [1, 0];
const ENCAP_CONTENT_TYPE: [usize; 4] = [1, 0, 2, 0];
const FIRST_CERTIFICATE: [usize; 4] = [1, 0, 3, 0];
const SIGNER_INFOS: [usize; 3] = [1, 0, 4];
const SIGNER: [usize; 4] = [1, 0, 4, 0];
const SIGNER_DIGEST_ALG: [usize; 6] = [1, 0, 4, 0, 2, 0];
const SIGNED_ATTRS: [usize; 5] = [1, 0, 4, 0, 3];
const SIGNER_SIGNATURE_ALG: [usize; 6] = [1, 0, 4, 0, 4, 0];

fn oid_node(dotted: &str) -> Node {
    Node::parse(&write::oid(dotted))
}

fn edited(cms: &[u8], edit: impl FnOnce(&mut Node)) -> Vec<u8> {
    let mut tree = Node::parse(cms);
    edit(&mut tree);
    tree.encode()
}

#[test]
fn the_tree_re_encodes_a_cms_byte_for_byte() {
    // Without this, every edit below could be testing the tree rather than the verifier.
    let cms = auth_cms();
    assert_eq!(Node::parse(&cms).encode(), cms);
    login(&cms).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Truncation, nesting and lengths.

#[test]
fn every_prefix_of_a_valid_cms_is_malformed() {
    let nca =
        pki::parse_cms_input(&std::fs::read(format!("{NCA}/{NCA_PERSON_AUTH}")).unwrap()).unwrap();
    let f = fixture();
    let detached = sign_cms(&f.sign.key, &f.sign.cert_der, CHALLENGE, false).unwrap();
    for (name, cms) in [
        ("test CA", auth_cms()),
        ("detached", detached),
        ("NCA", nca),
    ] {
        for len in 0..cms.len() {
            let err = login(&cms[..len]).unwrap_err();
            assert!(
                matches!(err, VerifyError::Malformed(_)),
                "{name}: prefix of {len} bytes gave {err:?}"
            );
        }
    }
}

/// `depth` SEQUENCEs (or other `tag`s) inside each other around `inner`, built outside-in in
/// linear time (wrapping one at a time would copy the whole buffer on every level).
fn nested(tag: u8, depth: usize, inner: &[u8]) -> Vec<u8> {
    let mut lengths = Vec::with_capacity(depth);
    let mut len = inner.len();
    for _ in 0..depth {
        lengths.push(len);
        len += 1 + length_bytes(len).len();
    }
    let mut out = Vec::with_capacity(len);
    for l in lengths.iter().rev() {
        out.push(tag);
        out.extend_from_slice(&length_bytes(*l));
    }
    out.extend_from_slice(inner);
    out
}

fn length_bytes(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let mut out = vec![0x80 | (bytes.len() - skip) as u8];
    out.extend_from_slice(&bytes[skip..]);
    out
}

#[test]
fn deep_nesting_neither_overflows_the_stack_nor_is_accepted() {
    // 100 000 definite-length SEQUENCEs: the reader descends one level per call, never recursively.
    let deep = nested(0x30, 100_000, &[]);
    assert_eq!(pki::der::parse_single(&deep).unwrap().raw.len(), deep.len());
    assert_eq!(login(&deep).unwrap_err(), malformed("unexpected tag"));
    // The certificate reader finds the TBS spanning everything, then no signature algorithm.
    assert_eq!(
        Certificate::from_der(&deep).unwrap_err(),
        malformed("missing tag")
    );

    // The same depth with indefinite lengths must be walked to find its end: bounded depth.
    let mut indefinite = [0x30u8, 0x80].repeat(100_000);
    indefinite.extend(std::iter::repeat_n(0u8, 200_000));
    assert_eq!(
        login(&indefinite).unwrap_err(),
        malformed("nested too deeply")
    );

    // Constructed OCTET STRINGs (BER pieces of eContent) are joined recursively: bounded too.
    let pieces = nested(0x24, 100_000, &write::octets(CHALLENGE));
    let shell = write::seq(&[
        &write::oid("1.2.840.113549.1.7.2"),
        &write::explicit(
            0,
            &write::seq(&[
                &write::small_int(1),
                &write::set_of(&[]),
                &write::seq(&[
                    &write::oid("1.2.840.113549.1.7.1"),
                    &write::explicit(0, &pieces),
                ]),
                &write::set_of(&[]),
            ]),
        ),
    ]);
    assert_eq!(
        login(&shell).unwrap_err(),
        malformed("octet string nested too deeply")
    );
}

#[test]
fn absurd_lengths_are_refused_before_anything_is_allocated() {
    // A length claiming 2^63 bytes, and the 0xff form reserved by X.690.
    let huge = [0x30, 0x88, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x01, 0x00];
    assert_eq!(login(&huge).unwrap_err(), malformed("length too large"));
    assert_eq!(
        login(&[0x30, 0xff, 1, 2]).unwrap_err(),
        malformed("length too large")
    );
    // 4 GiB claimed, a few bytes sent.
    let big = [0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00];
    assert_eq!(login(&big).unwrap_err(), malformed("truncated element"));
    // The certificate inside a valid CMS claims more than the CMS holds.
    let cms = auth_cms();
    let cert = Certificate::from_der(&fixture().auth.cert_der).unwrap();
    let at = cms
        .windows(cert.der.len())
        .position(|w| w == cert.der.as_slice())
        .unwrap();
    let mut long = cms.clone();
    assert_eq!(long[at + 1], 0x82);
    long[at + 2] = 0x7f;
    assert_eq!(login(&long).unwrap_err(), malformed("truncated element"));
}

#[test]
fn non_minimal_and_misplaced_indefinite_lengths_are_refused() {
    let cms = auth_cms();
    // The outer length with a leading zero octet (0x82 LL LL → 0x83 00 LL LL).
    assert_eq!(cms[1], 0x82);
    let padded = [&[0x30, 0x83, 0x00][..], &cms[2..]].concat();
    assert_eq!(
        login(&padded).unwrap_err(),
        malformed("non-minimal length encoding")
    );
    // A short length in the long form.
    let short = [0x30, 0x81, 0x03, 0x02, 0x01, 0x00];
    assert_eq!(
        login(&short).unwrap_err(),
        malformed("non-minimal length encoding")
    );

    // Indefinite length on the outer layers is BER that CMS producers use: still accepted…
    let outer = edited(&cms, |t| {
        t.set_indefinite();
        t.at(&SIGNED_DATA).set_indefinite();
    });
    login(&outer).unwrap();
    // …but not on a primitive, not on signed attributes (they are hashed as DER) and not on a
    // certificate.
    let primitive = [0x04, 0x80, 0x01, 0x00, 0x00];
    assert_eq!(
        login(&[&[0x30, 0x80][..], &primitive, &[0, 0]].concat()).unwrap_err(),
        malformed("indefinite length on a primitive")
    );
    let attrs = edited(&cms, |t| t.at(&SIGNED_ATTRS).set_indefinite());
    assert_eq!(
        login(&attrs).unwrap_err(),
        malformed("signed attributes are not DER")
    );
    let cert = edited(&cms, |t| t.at(&FIRST_CERTIFICATE).set_indefinite());
    assert_eq!(
        login(&cert).unwrap_err(),
        malformed("certificate is not a DER sequence")
    );
}

// ---------------------------------------------------------------------------------------------
// Object identifiers.

#[test]
fn wrong_object_identifiers_are_named() {
    let cms = auth_cms();
    // ContentInfo says envelopedData.
    let enveloped = edited(&cms, |t| *t.at(&[0]) = oid_node("1.2.840.113549.1.7.3"));
    assert_eq!(login(&enveloped).unwrap_err(), VerifyError::NotSignedData);
    // The encapsulated content is labelled digestedData; the signed contentType says data.
    let relabelled = edited(&cms, |t| {
        *t.at(&ENCAP_CONTENT_TYPE) = oid_node("1.2.840.113549.1.7.5")
    });
    assert_eq!(
        login(&relabelled).unwrap_err(),
        VerifyError::ContentTypeMismatch
    );
    // SHA-1 (refused on purpose) and MD5 as the digest algorithm.
    for digest in ["1.3.14.3.2.26", "1.2.840.113549.2.5"] {
        let weak = edited(&cms, |t| *t.at(&SIGNER_DIGEST_ALG) = oid_node(digest));
        assert_eq!(
            login(&weak).unwrap_err(),
            VerifyError::UnsupportedAlgorithm(digest.into())
        );
    }
    // sha1WithRSA, and sha512WithRSA that disagrees with the SHA-256 digest algorithm.
    for sig in ["1.2.840.113549.1.1.5", "1.2.840.113549.1.1.13"] {
        let wrong = edited(&cms, |t| *t.at(&SIGNER_SIGNATURE_ALG) = oid_node(sig));
        assert_eq!(
            login(&wrong).unwrap_err(),
            VerifyError::UnsupportedAlgorithm(sig.into())
        );
    }
    // sha256WithRSA agrees with SHA-256: accepted like rsaEncryption.
    let explicit = edited(&cms, |t| {
        *t.at(&SIGNER_SIGNATURE_ALG) = oid_node("1.2.840.113549.1.1.11")
    });
    login(&explicit).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Who signed what.

#[test]
fn signer_count_must_be_one() {
    let cms = auth_cms();
    let none = edited(&cms, |t| t.at(&SIGNER_INFOS).children().clear());
    assert_eq!(login(&none).unwrap_err(), VerifyError::SignerCount(0));
    let twice = edited(&cms, |t| {
        let signer = t.at(&SIGNER).clone();
        t.at(&SIGNER_INFOS).children().push(signer);
    });
    assert_eq!(login(&twice).unwrap_err(), VerifyError::SignerCount(2));
}

#[test]
fn a_certificate_that_did_not_sign_is_refused() {
    let f = fixture();
    // Signed with the AUTH key, but carrying (and naming) the organization head's certificate.
    let impostor = CmsSigner::new(&f.auth.key, &f.head.cert_der)
        .unwrap()
        .sign(CHALLENGE, true)
        .unwrap();
    assert_eq!(login(&impostor).unwrap_err(), VerifyError::BadSignature);
    // The signer's certificate swapped for another one: the identifier names a missing one.
    let swapped = edited(&auth_cms(), |t| {
        *t.at(&FIRST_CERTIFICATE) = Node::parse(&f.head.cert_der)
    });
    assert_eq!(
        login(&swapped).unwrap_err(),
        VerifyError::SignerCertNotFound
    );
}

#[test]
fn a_valid_signature_over_other_content_is_refused() {
    let f = fixture();
    let other = b"mektep-login:00000000";
    let detached = sign_cms(&f.auth.key, &f.auth.cert_der, other, false).unwrap();
    assert_eq!(
        login(&detached).unwrap_err(),
        VerifyError::MessageDigestMismatch
    );
    let attached = sign_cms(&f.auth.key, &f.auth.cert_der, other, true).unwrap();
    assert_eq!(login(&attached).unwrap_err(), VerifyError::ContentMismatch);
}

#[test]
fn signed_attributes_with_a_wrong_message_digest_are_refused() {
    let f = fixture();
    // A correct signature over attributes whose messageDigest is of other content.
    let wrong = ring::digest::digest(&ring::digest::SHA256, b"something else");
    let cms = CmsSigner::from_issued(&f.auth)
        .unwrap()
        .sign_digest_at(wrong.as_ref(), Utc::now())
        .unwrap();
    assert_eq!(login(&cms).unwrap_err(), VerifyError::MessageDigestMismatch);
    // A messageDigest that is not even an OCTET STRING.
    let cms = auth_cms();
    let mut tree = Node::parse(&cms);
    let attrs = tree.at(&SIGNED_ATTRS).children();
    let digest_attr = attrs
        .iter_mut()
        .find(|a| {
            matches!(a, Node::Constructed { children, .. }
                if matches!(&children[0], Node::Primitive(_, v) if *v == write::oid("1.2.840.113549.1.9.4")[2..]))
        })
        .unwrap();
    *digest_attr.at(&[1, 0]) = Node::parse(&write::utf8("digest"));
    assert_eq!(
        login(&tree.encode()).unwrap_err(),
        VerifyError::MessageDigestMismatch
    );
}

// ---------------------------------------------------------------------------------------------
// Certificates: time, revocation, trust, key usage, loops.

#[test]
fn expired_and_revoked_certificates_are_refused() {
    let f = fixture();
    let expired =
        f.ca.issue_person(
            "900101300015",
            "A",
            "B",
            None,
            KeyKind::Auth,
            Validity {
                not_before: Utc::now() - Duration::days(400),
                not_after: Utc::now() - Duration::days(35),
            },
        )
        .unwrap();
    let cms = CmsSigner::from_issued(&expired)
        .unwrap()
        .sign_at(CHALLENGE, true, Utc::now() - Duration::days(40))
        .unwrap();
    let err = login(&cms).unwrap_err();
    assert!(matches!(err, VerifyError::Expired { .. }), "{err:?}");

    let revoked =
        f.ca.issue_person(
            "900101300015",
            "A",
            "B",
            None,
            KeyKind::Auth,
            Validity::days_from_now(30),
        )
        .unwrap();
    f.ca.revoke_with_reason(
        &revoked.certificate().unwrap().serial,
        Some("keyCompromise"),
    );
    let crl = Crl::from_der(&f.ca.crl().unwrap()).unwrap();
    let trust = TrustStore::from_pem_or_der(f.ca.issuing_cert_der()).unwrap();
    let v = Verifier::new(trust, RevocationConfig::with_crls(vec![crl]));
    let cms = sign_cms(&revoked.key, &revoked.cert_der, CHALLENGE, true).unwrap();
    let err = v
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Revoked { ref reason, .. } if reason.as_deref() == Some("keyCompromise")),
        "{err:?}"
    );
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_refused() {
    // NCA's test CA is trusted; our test CA is not.
    let nca =
        TrustStore::from_pem_or_der(&std::fs::read(format!("{NCA}/ca/nca_rsa_test.crt")).unwrap())
            .unwrap();
    let v = Verifier::new(nca, RevocationConfig::none());
    let err = v
        .verify_cms(&auth_cms(), CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::UntrustedChain { ref subject } if subject.contains("MEKTEP TEST CA")),
        "{err:?}"
    );
}

#[test]
fn auth_and_sign_keys_are_kept_to_their_purpose() {
    let f = fixture();
    let doc = b"<application/>";
    let by_auth = sign_cms(&f.auth.key, &f.auth.cert_der, doc, false).unwrap();
    assert_eq!(
        verifier()
            .verify_cms(&by_auth, doc, Purpose::Sign, Utc::now())
            .unwrap_err(),
        VerifyError::WrongKeyUsage {
            expected: Purpose::Sign
        }
    );
    let by_sign = sign_cms(&f.sign.key, &f.sign.cert_der, CHALLENGE, true).unwrap();
    assert_eq!(
        login(&by_sign).unwrap_err(),
        VerifyError::WrongKeyUsage {
            expected: Purpose::Login
        }
    );
}

fn rsa_pair(pkcs8: &[u8]) -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(pkcs8).unwrap()
}

fn spki(pair: &RsaKeyPair) -> Vec<u8> {
    use ring::signature::KeyPair;
    write::seq(&[
        &write::seq(&[&write::oid("1.2.840.113549.1.1.1"), &write::null()]),
        &write::bit_string(pair.public_key().as_ref()),
    ])
}

fn name(cn: &str) -> Vec<u8> {
    write::seq(&[&write::set_of(&[&write::seq(&[
        &write::oid("2.5.4.3"),
        &write::utf8(cn),
    ])])])
}

/// A certificate named `subject`, issued (and signed) by `issuer_key` under the name `issuer`.
fn certificate(
    subject: &str,
    subject_key: &RsaKeyPair,
    issuer: &str,
    issuer_key: &RsaKeyPair,
    ca: bool,
    serial: u8,
) -> Vec<u8> {
    let alg = write::seq(&[&write::oid("1.2.840.113549.1.1.11"), &write::null()]);
    let extension = |id: &str, value: &[u8]| {
        write::seq(&[
            &write::oid(id),
            &write::boolean(true),
            &write::octets(value),
        ])
    };
    let extensions = if ca {
        vec![
            extension("2.5.29.19", &write::seq(&[&write::boolean(true)])),
            extension("2.5.29.15", &write::named_bits(&[5, 6])),
        ]
    } else {
        vec![
            extension("2.5.29.15", &write::named_bits(&[0, 2])),
            write::seq(&[
                &write::oid("2.5.29.37"),
                &write::octets(&write::seq(&[&write::oid("1.3.6.1.5.5.7.3.2")])),
            ]),
        ]
    };
    let ext_refs: Vec<&[u8]> = extensions.iter().map(Vec::as_slice).collect();
    let tbs = write::seq(&[
        &write::explicit(0, &write::small_int(2)),
        &write::uint(&[serial]),
        &alg,
        &name(issuer),
        &write::seq(&[
            &write::time(Utc::now() - Duration::hours(1)),
            &write::time(Utc::now() + Duration::days(30)),
        ]),
        &name(subject),
        &spki(subject_key),
        &write::explicit(3, &write::seq(&ext_refs)),
    ]);
    let mut signature = vec![0u8; issuer_key.public().modulus_len()];
    issuer_key
        .sign(
            &RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            &tbs,
            &mut signature,
        )
        .unwrap();
    write::seq(&[&tbs, &alg, &write::bit_string(&signature)])
}

#[test]
fn a_chain_that_loops_ends_as_untrusted() {
    // A issued by B, B issued by A, the signer issued by A; only our test CA is trusted. The
    // fixture's keys serve as A's and B's keys: no key generation needed.
    let f = fixture();
    let (a_key, b_key, leaf_key) = (
        rsa_pair(&f.sign.key),
        rsa_pair(&f.head.key),
        rsa_pair(&f.auth.key),
    );
    let a = certificate("LOOP A", &a_key, "LOOP B", &b_key, true, 1);
    let b = certificate("LOOP B", &b_key, "LOOP A", &a_key, true, 2);
    let leaf = certificate("LOOP LEAF", &leaf_key, "LOOP A", &a_key, false, 3);
    let cms = CmsSigner::new(&f.auth.key, &leaf)
        .unwrap()
        .with_extra_certs(vec![a.clone(), b.clone()])
        .sign(CHALLENGE, true)
        .unwrap();
    let started = std::time::Instant::now();
    let err = login(&cms).unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Even with B trusted the loop does not matter: A is then issued by an anchor.
    let mut trust = TrustStore::new();
    trust.add(&b).unwrap();
    let v = Verifier::new(trust, RevocationConfig::none());
    let ok = v
        .verify_cms(&cms, CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(ok.chain.len(), 3);
}
