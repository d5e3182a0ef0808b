//! The server's half of EDS (ЭЦҚ/ЭЦП): challenges to sign, and verification of what NCALayer
//! (or a demo key) returned. The verifier itself lives in the `pki` crate.

use base64::Engine;
use chrono::{Duration, Utc};
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

pub async fn issue_challenge(
    state: &AppState,
    purpose: &str,
    text: impl FnOnce(&str) -> String,
) -> Result<Challenge, AppError> {
    let ttl = Duration::seconds(state.config.challenge_ttl_seconds);
    Ok(state
        .store
        .issue_challenge(purpose, text, ttl, Utc::now())
        .await?)
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

/// Checks a signed challenge and uses it up. The signature is verified first, so that a
/// forged attempt does not burn the legitimate user's challenge.
pub async fn verify_challenge(
    state: &AppState,
    challenge_id: &str,
    purpose_code: &str,
    cms: &str,
    purpose: Purpose,
) -> Result<VerifiedSignature, SignatureRefused> {
    let challenge = state
        .store
        .challenge(challenge_id, purpose_code)
        .await
        .map_err(|e| SignatureRefused::new("error-internal", e.to_string()))?
        .ok_or_else(|| SignatureRefused::new("auth-challenge-unknown", "unknown challenge"))?;
    let verified = verify(state, cms, challenge.payload.clone().into_bytes(), purpose).await?;
    match state
        .store
        .consume_challenge(challenge_id, purpose_code, Utc::now())
        .await
    {
        Ok(Ok(_)) => Ok(verified),
        Ok(Err(ChallengeRefusal::Expired)) => {
            Err(SignatureRefused::new("auth-challenge-expired", "expired"))
        }
        Ok(Err(ChallengeRefusal::AlreadyUsed)) => {
            Err(SignatureRefused::new("auth-challenge-used", "already used"))
        }
        Ok(Err(ChallengeRefusal::Unknown)) => {
            Err(SignatureRefused::new("auth-challenge-unknown", "unknown"))
        }
        Err(e) => Err(SignatureRefused::new("error-internal", e.to_string())),
    }
}
