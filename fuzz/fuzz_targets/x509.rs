//! Certificates, CRLs and OCSP responses: what a CMS carries and what revocation checking fetches.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = pki::Certificate::from_der(data) {
        // What the verifier and reports read of a parsed certificate.
        let _ = cert.summary();
        let _ = pki::key_kind(&cert);
        let _ = pki::SignerIdentity::from_subject(&cert.subject);
        let _ = cert.could_issue(&cert);
        let _ = pki::sig::verify_signed(
            &cert,
            &cert.signature_algorithm,
            cert.tbs_der(),
            &cert.signature,
        );
    }
    let _ = pki::x509::certificates_from_pem_or_der(data);
    let _ = pki::Crl::from_pem_or_der(data);
    let _ = pki::OcspResponse::parse(data);
});
