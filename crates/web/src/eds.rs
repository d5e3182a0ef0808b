//! The server's half of EDS (ЭЦҚ/ЭЦП): challenges to sign, and verification of what NCALayer
//! (or a demo key) returned. The verifier itself lives in the `pki` crate.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use pki::{Purpose, VerifiedSignature};
use store::{Challenge, ChallengeRefusal};

use crate::error::AppError;
use crate::state::AppState;

/// Why a signature was not accepted, as a translation key for the person.
#[derive(Debug)]
pub struct SignatureRefused {
    pub message_key: &'static str,
    pub detail: String,
}

impl SignatureRefused {
    fn new(message_key: &'static str, detail: impl Into<String>) -> Self {
        SignatureRefused {
            message_key,
            detail: detail.into(),
        }
    }
}

/// In demo mode, the signature the demo person's own SIGN key makes over `document` (the
/// sign-in page's one-click people): base64 CMS, as NCALayer would return it, checked afterwards
/// by the same verifier. Anyone else is refused.
pub fn demo_signature(state: &AppState, iin: &str, document: &str) -> Result<String, AppError> {
    let person = state
        .demo_people
        .iter()
        .find(|p| p.iin == iin)
        .ok_or(AppError::Forbidden)?;
    let signer = pki::testca::CmsSigner::from_issued(&person.sign)
        .map_err(|e| AppError::internal("demo key", e))?;
    let der = signer
        .sign(document.as_bytes(), true)
        .map_err(|e| AppError::internal("demo signing", e))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der))
}

/// A fresh challenge: nothing is written until a sign-in uses it (`Store::sign_in`). Its id is
/// a random nonce, the second it was issued and a MAC of both and the purpose under the
/// service's key, so that any instance can tell its own challenges from made-up ones; `text`
/// builds what the person signs from the id.
pub fn issue_challenge(
    state: &AppState,
    purpose: &str,
    text: impl FnOnce(&str) -> String,
) -> Challenge {
    let issued = Utc::now().timestamp();
    let nonce = store::random_token(24);
    let mac = challenge_mac(&state.csrf_key, purpose, &nonce, issued);
    challenge_of(
        state,
        purpose,
        format!("{nonce}.{issued}.{mac}"),
        issued,
        text,
    )
}

fn challenge_of(
    state: &AppState,
    purpose: &str,
    id: String,
    issued: i64,
    text: impl FnOnce(&str) -> String,
) -> Challenge {
    let created_at = DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or_default();
    Challenge {
        payload: text(&id),
        id,
        purpose: purpose.to_owned(),
        created_at,
        expires_at: created_at + Duration::seconds(state.config.challenge_ttl_seconds),
    }
}

fn challenge_mac(key: &[u8], purpose: &str, nonce: &str, issued: i64) -> String {
    crate::ctx::csrf_token(key, &format!("eds-challenge\0{purpose}\0{nonce}\0{issued}"))
}

/// The challenge an id names, if this service issued it for `purpose`.
fn issued_challenge(
    state: &AppState,
    id: &str,
    purpose: &str,
    text: impl FnOnce(&str) -> String,
) -> Option<Challenge> {
    let issued = issued_at(&state.csrf_key, id, purpose)?;
    Some(challenge_of(state, purpose, id.to_owned(), issued, text))
}

/// When a challenge id was issued, if its MAC is the service's for `purpose`.
fn issued_at(key: &[u8], id: &str, purpose: &str) -> Option<i64> {
    let mut parts = id.splitn(3, '.');
    let (nonce, issued, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let issued: i64 = issued.parse().ok()?;
    crate::ctx::same_secret(&challenge_mac(key, purpose, nonce, issued), mac).then_some(issued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_services_own_challenges_for_their_purpose_are_known() {
        let key = b"key";
        let mac = challenge_mac(key, "login", "nonce", 1_700_000_000);
        let id = format!("nonce.1700000000.{mac}");
        assert_eq!(issued_at(key, &id, "login"), Some(1_700_000_000));
        assert_eq!(issued_at(key, &id, "sign"), None, "another purpose");
        assert_eq!(issued_at(b"other key", &id, "login"), None);
        let later = format!("nonce.1800000000.{mac}");
        assert_eq!(issued_at(key, &later, "login"), None, "a moved issue time");
        for made_up in ["none", "", "a.b.c", "nonce.1700000000.", "nonce..x"] {
            assert_eq!(issued_at(key, made_up, "login"), None, "{made_up}");
        }
    }
}

pub fn challenge_base64(c: &Challenge) -> String {
    base64::engine::general_purpose::STANDARD.encode(c.payload.as_bytes())
}

/// Verifies a CMS over `content` at the server's clock, off the async workers (RSA and
/// certificate parsing are CPU work).
pub async fn verify(
    state: &AppState,
    cms: &str,
    content: Vec<u8>,
    purpose: Purpose,
) -> Result<VerifiedSignature, SignatureRefused> {
    if cms.len() > 256 * 1024 {
        return Err(SignatureRefused::new("pki-err-malformed", "CMS too large"));
    }
    let verifier = state.verifier.clone();
    let cms = cms.as_bytes().to_vec();
    let result = tokio::task::spawn_blocking(move || {
        verifier.verify_cms(&cms, &content, purpose, Utc::now())
    })
    .await
    .map_err(|e| SignatureRefused::new("error-internal", e.to_string()))?;
    result.map_err(|e| SignatureRefused::new(e.message_key(), log_safe(e)))
}

/// The refusal's detail for the log, without the certificate's subject (a person's name and
/// IIN): the message key and the rest of the detail say enough to diagnose.
fn log_safe(e: pki::VerifyError) -> String {
    use pki::VerifyError as V;
    let withheld = || "subject withheld".to_owned();
    match e {
        V::UntrustedChain { .. } => V::UntrustedChain {
            subject: withheld(),
        },
        V::ChainSignatureInvalid { .. } => V::ChainSignatureInvalid {
            subject: withheld(),
        },
        V::NotACa { .. } => V::NotACa {
            subject: withheld(),
        },
        V::Expired { at, .. } => V::Expired {
            subject: withheld(),
            at,
        },
        V::NotYetValid { at, .. } => V::NotYetValid {
            subject: withheld(),
            at,
        },
        other => other,
    }
    .to_string()
}

/// Checks a signed challenge; the sign-in it opens uses it up in its own transaction
/// (`Store::sign_in`, and [`challenge_refused`] for its answer). The signature is verified
/// first, so that a forged attempt does not burn the legitimate user's challenge. `text` is the
/// one the challenge was issued with.
pub async fn verify_challenge(
    state: &AppState,
    challenge_id: &str,
    purpose_code: &str,
    text: impl FnOnce(&str) -> String,
    cms: &str,
    purpose: Purpose,
) -> Result<(VerifiedSignature, Challenge), SignatureRefused> {
    let challenge = issued_challenge(state, challenge_id, purpose_code, text)
        .ok_or_else(|| SignatureRefused::new("auth-challenge-unknown", "unknown challenge"))?;
    let verified = verify(state, cms, challenge.payload.clone().into_bytes(), purpose).await?;
    Ok((verified, challenge))
}

/// Why a challenge whose signature was good could not be used.
pub fn challenge_refused(refusal: ChallengeRefusal) -> SignatureRefused {
    match refusal {
        ChallengeRefusal::Expired => SignatureRefused::new("auth-challenge-expired", "expired"),
        ChallengeRefusal::AlreadyUsed => {
            SignatureRefused::new("auth-challenge-used", "already used")
        }
        ChallengeRefusal::Unknown => SignatureRefused::new("auth-challenge-unknown", "unknown"),
    }
}
