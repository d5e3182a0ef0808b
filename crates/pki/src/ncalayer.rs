//! A stand-in for NCALayer, the NCA RK desktop signer that web pages reach at
//! `wss://127.0.0.1:13579/`. It speaks both APIs seen in the real transcripts
//! (`shared/nca-test/ncalayer/transcripts.json`): the current `kz.gov.pki.knca.basics` `sign`
//! and the older positional `kz.gov.pki.knca.commonUtils` methods, signing with keys of the
//! project's test CA. Switches make it answer "cancelled" or an error, for the pages' unhappy
//! paths. For demo mode, end-to-end tests and the load generator — never a real signer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::input::to_pem;
use crate::oid;
use crate::testca::{CmsSigner, IssuedKey, TestCaError, self_signed_tls_identity};
use crate::verify::KeyKind;

/// How the stand-in answers signing requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Sign with the configured key (as if the person chose it and typed the password).
    #[default]
    Sign,
    /// As if the person closed the key dialog.
    Cancel,
    /// As if NCALayer failed (e.g. a broken token).
    Error,
}

#[derive(Debug, thiserror::Error)]
pub enum NcaLayerError {
    #[error("NCALayer stand-in key: {0}")]
    Key(#[from] TestCaError),
    #[error("NCALayer stand-in TLS: {0}")]
    Tls(String),
    #[error("NCALayer stand-in socket: {0}")]
    Io(#[from] std::io::Error),
}

struct KeySlot {
    kind: KeyKind,
    issued: IssuedKey,
    signer: CmsSigner,
}

/// Answers NCALayer requests (transport-independent, so it is testable without sockets).
pub struct Responder {
    keys: Vec<KeySlot>,
    behaviour: Mutex<Behaviour>,
    version: String,
}

impl Responder {
    /// `auth` answers login requests (clientAuth), `sign` document signing (emailProtection).
    pub fn new(
        auth: Option<IssuedKey>,
        sign: Option<IssuedKey>,
    ) -> Result<Responder, NcaLayerError> {
        let mut keys = Vec::new();
        for (kind, key) in [(KeyKind::Auth, auth), (KeyKind::Sign, sign)] {
            if let Some(issued) = key {
                let signer = CmsSigner::from_issued(&issued)?;
                keys.push(KeySlot {
                    kind,
                    issued,
                    signer,
                });
            }
        }
        Ok(Responder {
            keys,
            behaviour: Mutex::new(Behaviour::Sign),
            version: "1.4".to_string(),
        })
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        if let Ok(mut b) = self.behaviour.lock() {
            *b = behaviour;
        }
    }

    pub fn behaviour(&self) -> Behaviour {
        self.behaviour.lock().map(|b| *b).unwrap_or_default()
    }

    /// The message NCALayer sends as soon as a page connects.
    pub fn greeting(&self) -> String {
        json!({ "result": { "version": self.version } }).to_string()
    }

    /// The answer to one request text.
    pub fn answer(&self, request: &str) -> String {
        let Ok(req) = serde_json::from_str::<Value>(request) else {
            return json!({ "code": "500", "message": "Invalid request" }).to_string();
        };
        let module = req["module"].as_str().unwrap_or_default();
        let method = req["method"].as_str().unwrap_or_default();
        let answer = match module {
            "kz.gov.pki.knca.basics" if method == "sign" => self.basics_sign(&req["args"]),
            "kz.gov.pki.knca.basics" => basics_error("METHOD_NOT_FOUND", method),
            "kz.gov.pki.knca.commonUtils" => self.common_utils(method, &req["args"]),
            _ => json!({ "code": "500", "message": format!("Module not found: {module}") }),
        };
        answer.to_string()
    }

    // ---- kz.gov.pki.knca.basics -------------------------------------------------------------

    fn basics_sign(&self, args: &Value) -> Value {
        let params = &args["signingParams"];
        if !params.is_object() {
            return json!({
                "code": "INVOCATION_ERROR",
                "details": "org.json.JSONException: JSONObject[\"signingParams\"] is not a JSONObject.",
                "message": "An invoked method threw an exception.",
                "status": false,
            });
        }
        let format = args["format"].as_str().unwrap_or("cms");
        if format != "cms" {
            return basics_error(
                "UNSUPPORTED_FORMAT",
                "only CMS is signed by the Mektep stand-in",
            );
        }
        match self.behaviour() {
            Behaviour::Cancel => return json!({ "body": {}, "status": true }),
            Behaviour::Error => return basics_error("SIGNING_FAILED", "configured to fail"),
            Behaviour::Sign => {}
        }
        let wanted: Vec<&str> = args["signerParams"]["extKeyUsageOids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // NCALayer lists only keys whose EKU has every requested OID; none left = the person
        // can only cancel.
        let Some(slot) = self.pick_by_eku(&wanted) else {
            return json!({ "body": {}, "status": true });
        };
        let decode = params["decode"].as_bool().unwrap_or(true);
        let encapsulate = params["encapsulate"].as_bool().unwrap_or(true);
        let digested = params["digested"].as_bool().unwrap_or(false);
        let sign_one = |data: &Value| -> Result<String, Value> {
            let text = data
                .as_str()
                .ok_or_else(|| basics_error("INVALID_DATA", "data must be a string"))?;
            let bytes = if decode || digested {
                crate::input::decode_base64(text.as_bytes())
                    .ok_or_else(|| basics_error("INVALID_DATA", "data is not base64"))?
            } else {
                text.as_bytes().to_vec()
            };
            let cms = if digested {
                slot.signer.sign_digest_at(&bytes, Utc::now())
            } else {
                slot.signer.sign_at(&bytes, encapsulate, Utc::now())
            }
            .map_err(|e| basics_error("SIGNING_FAILED", &e.to_string()))?;
            Ok(to_pem("CMS", &cms))
        };
        let result = match &args["data"] {
            Value::Array(items) => items
                .iter()
                .map(sign_one)
                .collect::<Result<Vec<_>, _>>()
                .map(|v| json!(v)),
            single => sign_one(single).map(|s| json!(s)),
        };
        match result {
            Ok(result) => json!({ "body": { "result": result }, "status": true }),
            Err(error) => error,
        }
    }

    fn pick_by_eku(&self, wanted: &[&str]) -> Option<&KeySlot> {
        let fits = |slot: &&KeySlot| {
            let eku = &slot.signer.certificate().ext_key_usage;
            wanted.iter().all(|w| eku.iter().any(|e| e == w))
        };
        // Without a filter a document is being signed: the SIGN key comes first.
        let preferred = if wanted.contains(&oid::EKU_CLIENT_AUTH) {
            KeyKind::Auth
        } else {
            KeyKind::Sign
        };
        self.keys
            .iter()
            .filter(fits)
            .find(|s| s.kind == preferred)
            .or_else(|| self.keys.iter().find(fits))
    }

    // ---- kz.gov.pki.knca.commonUtils --------------------------------------------------------

    fn common_utils(&self, method: &str, args: &Value) -> Value {
        let empty = Vec::new();
        let args = args.as_array().unwrap_or(&empty);
        let mismatch = || {
            json!({
                "code": "500",
                "message": format!("java.lang.IllegalArgumentException: argument type mismatch. Method: {method}"),
            })
        };
        let str_arg = |i: usize| args.get(i).and_then(Value::as_str);
        match method {
            "getActiveTokens" => json!({ "code": "200", "responseObject": [] }),
            "changeLocale" => match str_arg(0) {
                Some(_) => json!({ "code": "200" }),
                None => mismatch(),
            },
            "getKeyInfo" => {
                if str_arg(0).is_none() {
                    return mismatch();
                }
                if let Some(stop) = self.stopped() {
                    return stop;
                }
                match self.pick_by_type("") {
                    Some(slot) => json!({ "code": "200", "responseObject": key_info(slot) }),
                    None => canceled(),
                }
            }
            "createCMSSignatureFromBase64" | "createCAdESFromBase64" => {
                let (Some(_storage), Some(key_type), Some(data)) =
                    (str_arg(0), str_arg(1), str_arg(2))
                else {
                    return mismatch();
                };
                let attach = args.get(3).and_then(Value::as_bool).unwrap_or(false);
                if let Some(stop) = self.stopped() {
                    return stop;
                }
                let Some(slot) = self.pick_by_type(key_type) else {
                    return canceled();
                };
                let Some(bytes) = crate::input::decode_base64(data.as_bytes()) else {
                    return json!({ "code": "500", "message": "Data is not base64" });
                };
                match slot.signer.sign_at(&bytes, attach, Utc::now()) {
                    Ok(cms) => json!({ "code": "200", "responseObject": STANDARD.encode(cms) }),
                    Err(e) => json!({ "code": "500", "message": e.to_string() }),
                }
            }
            "createCAdESFromBase64Hash" => {
                let (Some(_storage), Some(key_type), Some(hash)) =
                    (str_arg(0), str_arg(1), str_arg(2))
                else {
                    return mismatch();
                };
                if let Some(stop) = self.stopped() {
                    return stop;
                }
                let Some(slot) = self.pick_by_type(key_type) else {
                    return canceled();
                };
                let digest = crate::input::decode_base64(hash.as_bytes()).unwrap_or_default();
                if digest.len() != 32 {
                    return json!({ "code": "500" });
                }
                match slot.signer.sign_digest_at(&digest, Utc::now()) {
                    Ok(cms) => json!({ "code": "200", "responseObject": STANDARD.encode(cms) }),
                    Err(e) => json!({ "code": "500", "message": e.to_string() }),
                }
            }
            "signXml" | "signXmls" => json!({
                "code": "500",
                "message": "XML signing is not available in the Mektep NCALayer stand-in",
            }),
            _ => json!({ "code": "500", "message": format!("Method not found: {method}") }),
        }
    }

    fn stopped(&self) -> Option<Value> {
        match self.behaviour() {
            Behaviour::Sign => None,
            Behaviour::Cancel => Some(canceled()),
            Behaviour::Error => Some(json!({ "code": "500", "message": "configured to fail" })),
        }
    }

    /// `AUTHENTICATION` / `SIGNATURE` as the old API names key types; anything else: any key.
    fn pick_by_type(&self, key_type: &str) -> Option<&KeySlot> {
        match key_type {
            "AUTHENTICATION" => self.keys.iter().find(|s| s.kind == KeyKind::Auth),
            "SIGNATURE" => self.keys.iter().find(|s| s.kind == KeyKind::Sign),
            _ => self.keys.first(),
        }
    }
}

fn canceled() -> Value {
    json!({ "code": "500", "message": "action.canceled" })
}

fn basics_error(code: &str, message: &str) -> Value {
    json!({ "status": false, "code": code, "message": message })
}

fn key_info(slot: &KeySlot) -> Value {
    let cert = slot.signer.certificate();
    json!({
        "alias": cert.serial_hex().to_lowercase(),
        "keyId": cert.subject_key_id.as_deref().map(hex::encode).unwrap_or_default(),
        "algorithm": "RSA",
        "subjectCn": cert.subject.get(oid::AT_CN).unwrap_or_default(),
        "subjectDn": cert.subject.display(),
        "issuerCn": cert.issuer.get(oid::AT_CN).unwrap_or_default(),
        "issuerDn": cert.issuer.display(),
        "serialNumber": cert.serial_hex().to_lowercase(),
        "certNotBefore": cert.not_before.timestamp_millis().to_string(),
        "certNotAfter": cert.not_after.timestamp_millis().to_string(),
        "pem": to_pem("CERTIFICATE", &slot.issued.cert_der),
    })
}

/// Whether the stand-in serves `wss://` (as NCALayer) or plain `ws://` (simpler in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tls,
    Plain,
}

/// A running stand-in; dropping it does not stop it, `shutdown` does.
pub struct NcaLayerServer {
    local_addr: SocketAddr,
    tls_certificate_der: Option<Vec<u8>>,
    responder: Arc<Responder>,
    stop: watch::Sender<bool>,
}

impl NcaLayerServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The self-signed certificate a client must trust (TLS transport only).
    pub fn tls_certificate_der(&self) -> Option<&[u8]> {
        self.tls_certificate_der.as_deref()
    }

    pub fn responder(&self) -> &Arc<Responder> {
        &self.responder
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.responder.set_behaviour(behaviour);
    }

    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` (e.g. `127.0.0.1:13579`, or port 0 in tests) and serves in the background.
pub async fn serve(
    addr: SocketAddr,
    responder: Responder,
    transport: Transport,
) -> Result<NcaLayerServer, NcaLayerError> {
    let (acceptor, cert) = match transport {
        Transport::Tls => {
            let (cert, key) = self_signed_tls_identity()?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| NcaLayerError::Tls(e.to_string()))?
                .with_no_client_auth()
                .with_single_cert(
                    vec![rustls::pki_types::CertificateDer::from(cert.clone())],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
                )
                .map_err(|e| NcaLayerError::Tls(e.to_string()))?;
            (
                Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
                Some(cert),
            )
        }
        Transport::Plain => (None, None),
    };
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let responder = Arc::new(responder);
    let (stop, mut stopped) = watch::channel(false);
    let shared = responder.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((tcp, _)) = accepted else { continue };
                    let responder = shared.clone();
                    let acceptor = acceptor.clone();
                    let stop = stopped.clone();
                    tokio::spawn(async move {
                        match acceptor {
                            Some(acceptor) => {
                                if let Ok(tls) = acceptor.accept(tcp).await {
                                    session(tls, responder, stop).await;
                                }
                            }
                            None => session(tcp, responder, stop).await,
                        }
                    });
                }
                _ = stopped.changed() => break,
            }
        }
    });
    Ok(NcaLayerServer {
        local_addr,
        tls_certificate_der: cert,
        responder,
        stop,
    })
}

async fn session<S>(stream: S, responder: Arc<Responder>, mut stop: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    if ws.send(Message::text(responder.greeting())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            message = ws.next() => {
                let Some(Ok(message)) = message else { return };
                match message {
                    Message::Text(text) => {
                        // Signing is CPU work (an RSA private-key operation).
                        let responder = responder.clone();
                        let request = text.to_string();
                        let answer = tokio::task::spawn_blocking(move || responder.answer(&request))
                            .await
                            .unwrap_or_else(|_| json!({ "code": "500" }).to_string());
                        if ws.send(Message::text(answer)).await.is_err() {
                            return;
                        }
                    }
                    Message::Close(_) => return,
                    _ => {}
                }
            }
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return;
            }
        }
    }
}
