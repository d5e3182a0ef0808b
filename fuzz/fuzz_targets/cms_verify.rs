//! The EDS verifier's entry, as the server calls it: a CMS (DER, base64 or PEM) from the network
//! checked over a fixed content. Trust anchors come from the PEM bundle named by
//! MEKTEP_FUZZ_TRUST (scripts/fuzz.sh passes NCA's test CA and a fresh test CA), so seeds that
//! are real signatures reach the chain, validity, key usage and revocation checks.
#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use pki::{Purpose, RevocationConfig, TrustStore, Verifier, VerifyError};

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let trust = std::env::var_os("MEKTEP_FUZZ_TRUST")
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|pem| TrustStore::from_pem_or_der(&pem).ok())
            .unwrap_or_default();
        // Without the chain cache every input walks the whole chain.
        Verifier::new(trust, RevocationConfig::none()).without_chain_cache()
    })
}

fuzz_target!(|data: &[u8]| {
    // The NCA material signs "asdasd" in 2020; the test CA's seeds sign "mektep-fuzz" now.
    let nca_time = Utc.with_ymd_and_hms(2020, 10, 1, 0, 0, 0).unwrap();
    for (content, purpose) in [
        (&b"asdasd"[..], Purpose::Login),
        (&b"mektep-fuzz"[..], Purpose::Sign),
    ] {
        match verifier().verify_cms(data, content, purpose, nca_time) {
            Err(VerifyError::NotYetValid { .. }) => {
                let _ = verifier().verify_cms(data, content, purpose, Utc::now());
            }
            Err(VerifyError::ContentMismatch | VerifyError::MessageDigestMismatch) => continue,
            _ => {}
        }
        break;
    }
    // The parser alone, so its errors are reached even where the verifier stops early.
    if let Ok(der) = pki::parse_cms_input(data) {
        let _ = pki::cms::parse_signed_data(&der);
    }
});
