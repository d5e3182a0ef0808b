//! The NCALayer stand-in answers like the real transcripts and its signatures verify.
#![cfg(feature = "ncalayer")]

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use pki::ncalayer::{Behaviour, Responder, Transport, serve};
use pki::testca::{IssuedKey, TestCa, Validity};
use pki::{KeyKind, Purpose, RevocationConfig, TrustStore, Verifier, VerifyError};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

struct Keys {
    ca: TestCa,
    auth: IssuedKey,
    sign: IssuedKey,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let ca = TestCa::generate("ncalayer").unwrap();
        let v = Validity::days_from_now(30);
        let auth = ca
            .issue_person(
                "900101300015",
                "ТЕСТОВ",
                "ТЕСТ",
                Some("ТЕСТОВИЧ"),
                KeyKind::Auth,
                v,
            )
            .unwrap();
        let sign = ca
            .issue_person(
                "900101300015",
                "ТЕСТОВ",
                "ТЕСТ",
                Some("ТЕСТОВИЧ"),
                KeyKind::Sign,
                v,
            )
            .unwrap();
        Keys { ca, auth, sign }
    })
}

fn responder() -> Responder {
    let k = keys();
    Responder::new(Some(k.auth.clone()), Some(k.sign.clone())).unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(
        TrustStore::from_pem_or_der(keys().ca.issuing_cert_der()).unwrap(),
        RevocationConfig::none(),
    )
}

fn ask(r: &Responder, request: Value) -> Value {
    serde_json::from_str(&r.answer(&request.to_string())).unwrap()
}

fn basics(data: Value, params: Value, eku: &[&str]) -> Value {
    json!({
        "module": "kz.gov.pki.knca.basics",
        "method": "sign",
        "args": {
            "allowedStorages": null,
            "format": "cms",
            "data": data,
            "signingParams": params,
            "signerParams": { "extKeyUsageOids": eku, "chain": [] },
            "locale": "kk",
        }
    })
}

const CHALLENGE: &[u8] = b"mektep-login:c0ffee";

#[test]
fn greeting_is_the_version_message() {
    let v: Value = serde_json::from_str(&responder().greeting()).unwrap();
    assert!(v["result"]["version"].is_string());
}

#[test]
fn basics_sign_for_login_uses_the_auth_key_and_verifies() {
    let r = responder();
    let params =
        json!({ "decode": true, "encapsulate": true, "digested": false, "tsaProfile": null });
    let answer = ask(
        &r,
        basics(
            json!(STANDARD.encode(CHALLENGE)),
            params,
            &["1.3.6.1.5.5.7.3.2"],
        ),
    );
    assert_eq!(answer["status"], true);
    let pem = answer["body"]["result"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN CMS-----"));
    let v = verifier()
        .verify_cms(pem.as_bytes(), CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    assert_eq!(v.key_kind, KeyKind::Auth);
    assert_eq!(v.signer.iin.as_deref(), Some("900101300015"));
}

#[test]
fn basics_sign_for_documents_uses_the_sign_key_detached_and_arrays() {
    let r = responder();
    let doc = b"<application/>";
    let params = json!({ "decode": true, "encapsulate": false, "digested": false });
    let data = json!([STANDARD.encode(doc), STANDARD.encode(doc)]);
    let answer = ask(&r, basics(data, params, &["1.3.6.1.5.5.7.3.4"]));
    let results = answer["body"]["result"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for pem in results {
        let v = verifier()
            .verify_cms(
                pem.as_str().unwrap().as_bytes(),
                doc,
                Purpose::Sign,
                Utc::now(),
            )
            .unwrap();
        assert_eq!(v.key_kind, KeyKind::Sign);
    }
    // Digested: the page sends the SHA-256 of the document.
    let hash = ring::digest::digest(&ring::digest::SHA256, doc);
    let params = json!({ "decode": true, "encapsulate": false, "digested": true });
    let answer = ask(&r, basics(json!(STANDARD.encode(hash)), params, &[]));
    let pem = answer["body"]["result"].as_str().unwrap();
    verifier()
        .verify_cms(pem.as_bytes(), doc, Purpose::Sign, Utc::now())
        .unwrap();
}

#[test]
fn basics_cancel_error_and_bad_params_look_like_ncalayer() {
    let r = responder();
    let params = json!({});
    let data = json!(STANDARD.encode(CHALLENGE));
    // No key has the requested role: the person can only cancel.
    let answer = ask(
        &r,
        basics(data.clone(), params.clone(), &["1.2.398.3.3.4.1.2.1"]),
    );
    assert_eq!(answer, json!({ "body": {}, "status": true }));
    let answer = ask(&r, basics(data.clone(), json!(555), &[]));
    assert_eq!(answer["code"], "INVOCATION_ERROR");
    assert_eq!(answer["status"], false);
    r.set_behaviour(Behaviour::Cancel);
    assert_eq!(
        ask(&r, basics(data.clone(), params.clone(), &[])),
        json!({ "body": {}, "status": true })
    );
    r.set_behaviour(Behaviour::Error);
    let answer = ask(&r, basics(data, params, &[]));
    assert_eq!(answer["status"], false);
    assert!(answer["code"].is_string() && answer["message"].is_string());
}

#[test]
fn common_utils_methods_answer_as_in_the_transcripts() {
    let r = responder();
    let call = |method: &str, args: Value| json!({ "module": "kz.gov.pki.knca.commonUtils", "method": method, "args": args });
    assert_eq!(
        ask(&r, call("getActiveTokens", json!([]))),
        json!({ "code": "200", "responseObject": [] })
    );
    assert_eq!(ask(&r, call("changeLocale", json!(["kk"])))["code"], "200");
    let mismatch = ask(&r, call("getKeyInfo", json!([null])));
    assert_eq!(mismatch["code"], "500");
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap()
            .contains("argument type mismatch")
    );
    let info = ask(&r, call("getKeyInfo", json!(["PKCS12"])));
    assert_eq!(info["code"], "200");
    assert!(
        info["responseObject"]["subjectCn"]
            .as_str()
            .unwrap()
            .contains("ТЕСТОВ ТЕСТ")
    );

    let b64 = STANDARD.encode(CHALLENGE);
    let answer = ask(
        &r,
        call(
            "createCMSSignatureFromBase64",
            json!(["PKCS12", "AUTHENTICATION", b64, true]),
        ),
    );
    assert_eq!(answer["code"], "200");
    let cms = answer["responseObject"].as_str().unwrap();
    verifier()
        .verify_cms(cms.as_bytes(), CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();
    let answer = ask(
        &r,
        call(
            "createCMSSignatureFromBase64",
            json!(["PKCS12", "SIGNATURE", b64, false]),
        ),
    );
    let cms = answer["responseObject"].as_str().unwrap();
    let err = verifier()
        .verify_cms(cms.as_bytes(), CHALLENGE, Purpose::Login, Utc::now())
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongKeyUsage {
            expected: Purpose::Login
        }
    );
    let bad = ask(
        &r,
        call(
            "createCMSSignatureFromBase64",
            json!(["PKCS12", [7, 7, 7], b64, false]),
        ),
    );
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("argument type mismatch")
    );
    r.set_behaviour(Behaviour::Cancel);
    let canceled = ask(
        &r,
        call(
            "createCMSSignatureFromBase64",
            json!(["PKCS12", "AUTHENTICATION", b64, true]),
        ),
    );
    assert_eq!(
        canceled,
        json!({ "code": "500", "message": "action.canceled" })
    );
}

async fn exchange<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>, request: Value) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    ws.send(Message::text(request.to_string())).await.unwrap();
    loop {
        if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test]
async fn wss_server_greets_and_signs() {
    let server = serve("127.0.0.1:0".parse().unwrap(), responder(), Transport::Tls)
        .await
        .unwrap();
    let addr = server.local_addr();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            server.tls_certificate_der().unwrap().to_vec(),
        ))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = connector.connect(name, tcp).await.unwrap();
    let url = format!("wss://127.0.0.1:{}/", addr.port());
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let Message::Text(greeting) = ws.next().await.unwrap().unwrap() else {
        panic!("greeting")
    };
    assert!(greeting.contains("\"version\""));

    let params =
        json!({ "decode": true, "encapsulate": true, "digested": false, "tsaProfile": null });
    let answer = exchange(
        &mut ws,
        basics(
            json!(STANDARD.encode(CHALLENGE)),
            params.clone(),
            &["1.3.6.1.5.5.7.3.2"],
        ),
    )
    .await;
    let pem = answer["body"]["result"].as_str().unwrap().to_string();
    verifier()
        .verify_cms(pem.as_bytes(), CHALLENGE, Purpose::Login, Utc::now())
        .unwrap();

    server.set_behaviour(Behaviour::Cancel);
    let answer = exchange(
        &mut ws,
        basics(json!(STANDARD.encode(CHALLENGE)), params, &[]),
    )
    .await;
    assert_eq!(answer, json!({ "body": {}, "status": true }));
    server.shutdown();
}

#[tokio::test]
async fn plain_ws_transport_works_too() {
    let server = serve(
        "127.0.0.1:0".parse().unwrap(),
        responder(),
        Transport::Plain,
    )
    .await
    .unwrap();
    assert!(server.tls_certificate_der().is_none());
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let _greeting = ws.next().await.unwrap().unwrap();
    let answer = exchange(
        &mut ws,
        json!({ "module": "kz.gov.pki.knca.commonUtils", "method": "getActiveTokens", "args": [] }),
    )
    .await;
    assert_eq!(answer["code"], "200");
    server.shutdown();
}
