//! Verifications per second on one core for a login CMS.
//!
//! `cargo run --release -p pki --example bench_verify [iterations]`
//!
//! Cases: the NCALayer shape (signer certificate only, the issuing CA is the anchor), a chain
//! through an embedded intermediate to a trusted root with the chain cache on and off, the real
//! NCA test AUTH CMS (4096-bit CA), and CMS signing with the test CA (the load generator's cost).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use pki::testca::{CmsSigner, TestCa, Validity};
use pki::{KeyKind, Purpose, RevocationConfig, TrustStore, Verifier};

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let ca = TestCa::generate("bench").expect("test CA");
    let key = ca
        .issue_person(
            "900101300015",
            "ЖҰМАБАЕВ",
            "ӘЛИХАН",
            Some("СЕРІКҰЛЫ"),
            KeyKind::Auth,
            Validity::days_from_now(30),
        )
        .expect("key");
    let challenge = b"mektep-login:0123456789abcdef0123456789abcdef";
    let signer = CmsSigner::from_issued(&key).expect("signer");
    let plain = signer.sign(challenge, true).expect("cms");
    let chained = CmsSigner::from_issued(&key)
        .expect("signer")
        .with_extra_certs(vec![ca.issuing_cert_der().to_vec()])
        .sign(challenge, true)
        .expect("cms");
    let now = Utc::now();

    let issuing = TrustStore::from_pem_or_der(ca.issuing_cert_der()).expect("trust");
    let root = TrustStore::from_pem_or_der(ca.root_cert_der()).expect("trust");

    let v = Verifier::new(issuing, RevocationConfig::none());
    bench(
        "login CMS, anchor = issuing CA (NCALayer shape)",
        iterations,
        || v.verify_cms(&plain, challenge, Purpose::Login, now).is_ok(),
    );
    let cached = Verifier::new(root.clone(), RevocationConfig::none());
    bench(
        "login CMS, leaf → intermediate → root, chain cached",
        iterations,
        || {
            cached
                .verify_cms(&chained, challenge, Purpose::Login, now)
                .is_ok()
        },
    );
    let uncached = Verifier::new(root, RevocationConfig::none()).without_chain_cache();
    bench(
        "login CMS, leaf → intermediate → root, no cache",
        iterations,
        || {
            uncached
                .verify_cms(&chained, challenge, Purpose::Login, now)
                .is_ok()
        },
    );

    let nca_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/nca-test");
    if let (Ok(cms), Ok(anchor)) = (
        std::fs::read(format!(
            "{nca_dir}/ncanode-go-testdata/personal/active/AUTH_RSA256_b2c70a9ff7a5dc59de0ccc3c0ddde3437cc1f12d.cms"
        )),
        std::fs::read(format!("{nca_dir}/ca/nca_rsa_test.crt")),
    ) {
        let nca = Verifier::new(
            TrustStore::from_pem_or_der(&anchor).expect("NCA anchor"),
            RevocationConfig::none(),
        );
        let at = Utc
            .with_ymd_and_hms(2020, 10, 1, 0, 0, 0)
            .single()
            .expect("time");
        bench(
            "real NCA AUTH CMS (base64, 4096-bit CA)",
            iterations,
            || nca.verify_cms(&cms, b"asdasd", Purpose::Login, at).is_ok(),
        );
    }

    bench(
        "sign a login CMS (test CA, RSA-2048)",
        iterations / 5,
        || signer.sign(challenge, true).is_ok(),
    );
}

fn bench(label: &str, iterations: u32, mut f: impl FnMut() -> bool) {
    assert!(f(), "{label}: the first run must succeed");
    let start = Instant::now();
    for _ in 0..iterations {
        assert!(f());
    }
    let elapsed = start.elapsed();
    let per = elapsed / iterations.max(1);
    println!(
        "{label:55} {:>8.0}/s per core  ({:>6.1} µs each, n={iterations})",
        iterations as f64 / elapsed.as_secs_f64(),
        per.as_secs_f64() * 1e6
    );
}
