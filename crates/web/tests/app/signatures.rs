//! Hostile signed challenges at the web level: a challenge signed with someone else's key under
//! the parent's certificate, and a signature over another challenge. (Replays and SIGN keys are
//! in `sign_in_refuses_sign_keys_replays_and_anonymous_access`.)

use super::*;

async fn log_in(
    app: &App,
    c: &reqwest::Client,
    csrf: &str,
    id: &serde_json::Value,
    cms: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = c
        .post(format!("{}/auth/login", app.base))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({ "challenge_id": id, "cms": B64.encode(cms) }))
        .send()
        .await
        .expect("login");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn challenges_signed_by_another_key_or_over_other_data_are_refused() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let c = client();
        let (csrf, id, data) = challenge(&app, &c).await;

        // Parent B's key under parent A's certificate: the signature does not verify, and the
        // challenge is not used up by the forgery.
        let forged = CmsSigner::new(&f.parent_b.auth.key, &f.parent_a.auth.cert_der)
            .expect("signer")
            .sign(&data, true)
            .expect("sign");
        let (status, body) = log_in(&app, &c, &csrf, &id, forged).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"], "pki-err-bad-signature", "{body}");
        let cabinet = c
            .get(format!("{}/cabinet", app.base))
            .send()
            .await
            .expect("cabinet");
        assert_eq!(cabinet.headers()["location"], "/login");

        // A genuine signature over another challenge's text, sent with this challenge's id.
        let other = client();
        let (_, _, other_data) = challenge(&app, &other).await;
        let elsewhere = CmsSigner::from_issued(&f.parent_a.auth)
            .expect("signer")
            .sign(&other_data, true)
            .expect("sign");
        let (status, body) = log_in(&app, &c, &csrf, &id, elsewhere).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"], "pki-err-content-mismatch", "{body}");
        let detached = CmsSigner::from_issued(&f.parent_a.auth)
            .expect("signer")
            .sign(&other_data, false)
            .expect("sign");
        let (_, body) = log_in(&app, &c, &csrf, &id, detached).await;
        assert_eq!(body["error"], "pki-err-message-digest-mismatch", "{body}");

        // The parent's own signature over this challenge still signs in: nothing above burnt it.
        let genuine = CmsSigner::from_issued(&f.parent_a.auth)
            .expect("signer")
            .sign(&data, true)
            .expect("sign");
        let (status, body) = log_in(&app, &c, &csrf, &id, genuine).await;
        assert_eq!(status, 200, "{body}");
    }
}
