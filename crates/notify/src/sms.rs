//! SMS through an HTTP gateway: one adapter configured by a URL, a method, an auth header, a
//! body template and a rule that recognises success, with a preset for Mobizon (Kazakhstan).
//!
//! Templates take `{phone}` (`+77011234567`), `{phone_digits}` (`77011234567`), `{text}`, `{id}`
//! (the outbox id, for gateways that de-duplicate by a client id) and `{secret}` (an API key
//! kept out of the template so that the template can be shown). Values are escaped for where
//! they land: percent-encoded in the URL and in form bodies, JSON-escaped in JSON bodies.
//! Substitution is one pass, so a text that contains `{secret}` stays that text.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::outbox::ClaimedMessage;

use crate::config::ConfigError;
use crate::transport::{SendError, SendFuture, Transport};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    #[default]
    Post,
}

/// A generic HTTP SMS gateway (`[notify.sms]` with `provider = "generic"`).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// May hold placeholders, e.g. `https://gw.example.kz/send?key={secret}`.
    pub url: String,
    #[serde(default)]
    pub method: HttpMethod,
    /// A whole header line, `Authorization: Bearer …`; may use `{secret}`. Never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_header: Option<String>,
    /// Substituted for `{secret}`. Never logged.
    #[serde(default)]
    pub secret: String,
    /// The request body; none for a GET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_template: Option<String>,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// A JSON pointer (`/code`) into the answer of a 2xx response. Without it any 2xx is success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_pointer: Option<String>,
    /// Values at `success_pointer` that mean "accepted".
    #[serde(default)]
    pub success_values: Vec<Value>,
    /// Values at `success_pointer` that mean "this message can never be sent" (a bad number);
    /// any other value is a temporary failure.
    #[serde(default)]
    pub permanent_values: Vec<Value>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_content_type() -> String {
    "application/json".into()
}

fn default_timeout_secs() -> u64 {
    15
}

impl SmsConfig {
    /// Mobizon (mobizon.kz): `POST https://api.mobizon.kz/service/message/sendsmsmessage` with the
    /// key in the query and `recipient`/`text` as a form; the answer is JSON whose `code` is 0
    /// (sent) or 100 (queued) on success. Code 1 is Mobizon's "data validation error" (a wrong
    /// recipient, an empty text): permanent. `from` is an approved alpha-name, if any.
    pub fn mobizon(api_key: impl Into<String>, api_host: &str, from: Option<&str>) -> SmsConfig {
        let mut body = "recipient={phone_digits}&text={text}".to_owned();
        if let Some(from) = from {
            body.push_str("&from=");
            body.push_str(&percent_encode(from));
        }
        SmsConfig {
            url: format!(
                "https://{api_host}/service/message/sendsmsmessage?output=json&api=v1&apiKey={{secret}}"
            ),
            method: HttpMethod::Post,
            auth_header: None,
            secret: api_key.into(),
            body_template: Some(body),
            content_type: "application/x-www-form-urlencoded".into(),
            success_pointer: Some("/code".into()),
            success_values: vec![Value::from(0), Value::from(100)],
            permanent_values: vec![Value::from(1)],
            timeout_secs: default_timeout_secs(),
        }
    }
}

impl fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsConfig")
            .field("url", &self.url)
            .field("method", &self.method)
            .field(
                "auth_header",
                &self.auth_header.as_ref().map(|_| "<redacted>"),
            )
            .field("secret", &"<redacted>")
            .field("body_template", &self.body_template)
            .field("content_type", &self.content_type)
            .field("success_pointer", &self.success_pointer)
            .field("success_values", &self.success_values)
            .field("permanent_values", &self.permanent_values)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// Sends SMS through the gateway an [`SmsConfig`] describes.
#[derive(Clone)]
pub struct SmsGateway {
    client: reqwest::Client,
    config: Arc<SmsConfig>,
    /// Parsed once: (name, value template).
    auth_header: Option<(reqwest::header::HeaderName, String)>,
}

impl fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmsGateway {
    pub fn new(config: SmsConfig) -> Result<SmsGateway, ConfigError> {
        if !(config.url.starts_with("https://") || config.url.starts_with("http://")) {
            return Err(ConfigError(format!(
                "sms.url must be an http(s) URL, got {:?}",
                config.url
            )));
        }
        if let Some(pointer) = &config.success_pointer
            && !(pointer.is_empty() || pointer.starts_with('/'))
        {
            return Err(ConfigError(format!(
                "sms.success_pointer must start with '/', got {pointer:?}"
            )));
        }
        let auth_header = match &config.auth_header {
            None => None,
            Some(line) => {
                let (name, value) = line.split_once(':').ok_or_else(|| {
                    ConfigError("sms.auth_header must read \"Name: value\"".into())
                })?;
                let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| {
                        ConfigError("sms.auth_header has an invalid header name".into())
                    })?;
                Some((name, value.trim().to_owned()))
            }
        };
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(config.timeout_secs.clamp(1, 10)))
            .build()
            .map_err(|e| ConfigError(format!("SMS HTTP client: {e}")))?;
        Ok(SmsGateway {
            client,
            config: Arc::new(config),
            auth_header,
        })
    }

    async fn deliver(&self, msg: &ClaimedMessage) -> Result<(), SendError> {
        let values = Placeholders::new(msg, &self.config.secret);
        let url = substitute(&self.config.url, &values, Escape::Percent);
        let mut request = match self.config.method {
            HttpMethod::Get => self.client.get(url),
            HttpMethod::Post => self.client.post(url),
        };
        if let Some((name, template)) = &self.auth_header {
            request = request.header(name.clone(), substitute(template, &values, Escape::None));
        }
        if let Some(template) = &self.config.body_template {
            let escape = Escape::for_content_type(&self.config.content_type);
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    self.config.content_type.as_str(),
                )
                .body(substitute(template, &values, escape));
        }
        // Errors name the URL, which may carry the key: drop it.
        let response = request.send().await.map_err(|e| {
            SendError::Temporary(format!("SMS gateway unreachable: {}", e.without_url()))
        })?;
        let status = response.status().as_u16();
        let body = read_limited(response, 64 * 1024).await?;
        judge(&self.config, status, &body)
    }
}

impl Transport for SmsGateway {
    fn send<'a>(&'a self, msg: &'a ClaimedMessage, _attachment: Option<Vec<u8>>) -> SendFuture<'a> {
        Box::pin(self.deliver(msg))
    }
}

/// rustls with ring (already built for pki) and the operating system's trust store.
fn tls_config() -> Result<rustls::ClientConfig, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError(format!("TLS versions: {e}")))?
        .with_platform_verifier()
        .map(|b| b.with_no_client_auth())
        .map_err(|e| ConfigError(format!("system trust store: {e}")))
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, SendError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        SendError::Temporary(format!("SMS gateway answer cut off: {}", e.without_url()))
    })? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// What a gateway's answer means. HTTP 4xx is a refusal of this request, so permanent —
/// except the ones that speak of us or of time: 401/403/407 (our credentials), 404/405 (our
/// URL), 408/425/429 (timing, rate limits), which an operator or a wait fixes.
pub(crate) fn judge(config: &SmsConfig, status: u16, body: &[u8]) -> Result<(), SendError> {
    let snippet = || crate::clip(&String::from_utf8_lossy(body), 300);
    match status {
        200..=299 => {}
        401 | 403 | 404 | 405 | 407 | 408 | 425 | 429 => {
            return Err(SendError::Temporary(format!(
                "SMS gateway answered HTTP {status}: {}",
                snippet()
            )));
        }
        400..=499 => {
            return Err(SendError::Permanent(format!(
                "SMS gateway refused with HTTP {status}: {}",
                snippet()
            )));
        }
        _ => {
            return Err(SendError::Temporary(format!(
                "SMS gateway answered HTTP {status}: {}",
                snippet()
            )));
        }
    }
    let Some(pointer) = &config.success_pointer else {
        return Ok(());
    };
    let answer: Value = serde_json::from_slice(body).map_err(|_| {
        SendError::Temporary(format!("SMS gateway answer is not JSON: {}", snippet()))
    })?;
    let Some(value) = answer.pointer(pointer) else {
        return Err(SendError::Temporary(format!(
            "SMS gateway answer has no {pointer}: {}",
            snippet()
        )));
    };
    if config.success_values.iter().any(|v| same_value(v, value)) {
        Ok(())
    } else if config.permanent_values.iter().any(|v| same_value(v, value)) {
        Err(SendError::Permanent(format!(
            "SMS gateway refused ({pointer} = {value}): {}",
            snippet()
        )))
    } else {
        Err(SendError::Temporary(format!(
            "SMS gateway failed ({pointer} = {value}): {}",
            snippet()
        )))
    }
}

/// Gateways are loose about types (`"code": "0"` or `0`): compare numbers and strings by text.
fn same_value(expected: &Value, got: &Value) -> bool {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    expected == got || matches!((text(expected), text(got)), (Some(a), Some(b)) if a == b)
}

pub(crate) struct Placeholders<'a> {
    phone: &'a str,
    phone_digits: String,
    text: &'a str,
    id: String,
    secret: &'a str,
}

impl<'a> Placeholders<'a> {
    pub(crate) fn new(msg: &'a ClaimedMessage, secret: &'a str) -> Placeholders<'a> {
        Placeholders {
            phone: &msg.recipient,
            phone_digits: msg.recipient.chars().filter(char::is_ascii_digit).collect(),
            text: &msg.body,
            id: msg.id.to_string(),
            secret,
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "phone" => self.phone,
            "phone_digits" => &self.phone_digits,
            "text" => self.text,
            "id" => &self.id,
            "secret" => self.secret,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Escape {
    None,
    Percent,
    Json,
}

impl Escape {
    fn for_content_type(content_type: &str) -> Escape {
        let ct = content_type.to_ascii_lowercase();
        if ct.contains("json") {
            Escape::Json
        } else if ct.contains("x-www-form-urlencoded") {
            Escape::Percent
        } else {
            Escape::None
        }
    }

    fn apply(self, value: &str, out: &mut String) {
        match self {
            Escape::None => out.push_str(value),
            Escape::Percent => out.push_str(&percent_encode(value)),
            Escape::Json => {
                let quoted = serde_json::Value::from(value).to_string();
                // `to_string` of a JSON string is always quoted.
                out.push_str(
                    quoted
                        .get(1..quoted.len().saturating_sub(1))
                        .unwrap_or_default(),
                );
            }
        }
    }
}

/// Replaces `{name}` for the known names in one pass; anything else (JSON braces) stays.
pub(crate) fn substitute(template: &str, values: &Placeholders<'_>, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match (after[name_len..].starts_with('}'), values.get(name)) {
            (true, Some(value)) => {
                escape.apply(value, &mut out);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use store::outbox::Channel;

    fn msg(text: &str) -> ClaimedMessage {
        ClaimedMessage {
            id: 7,
            attempt: 1,
            channel: Channel::Sms,
            recipient: "+7 701 123 45 67".into(),
            subject: String::new(),
            body: text.into(),
            attachment_name: None,
            attachment_key: None,
            kind: "submitted".into(),
            language: "kk".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn placeholders_are_escaped_for_where_they_land() {
        let m = msg("Өтініш \"№1\" & {secret}\n");
        let v = Placeholders::new(&m, "KEY");
        let cases: &[(&str, Escape, &str)] = &[
            (
                "to={phone_digits}&id={id}",
                Escape::Percent,
                "to=77011234567&id=7",
            ),
            (
                "?k={secret}&t={text}",
                Escape::Percent,
                "?k=KEY&t=%D3%A8%D1%82%D1%96%D0%BD%D1%96%D1%88%20%22%E2%84%961%22%20%26%20%7Bsecret%7D%0A",
            ),
            (
                r#"{"to":"{phone}","text":"{text}"}"#,
                Escape::Json,
                r#"{"to":"+7 701 123 45 67","text":"Өтініш \"№1\" & {secret}\n"}"#,
            ),
            ("{unknown} {text", Escape::None, "{unknown} {text"),
            ("{phone}{", Escape::None, "+7 701 123 45 67{"),
            ("", Escape::None, ""),
        ];
        for (template, escape, expected) in cases {
            assert_eq!(substitute(template, &v, *escape), *expected, "{template}");
        }
    }

    #[test]
    fn content_types_choose_the_escape() {
        assert_eq!(
            Escape::for_content_type("application/json; charset=utf-8"),
            Escape::Json
        );
        assert_eq!(
            Escape::for_content_type("application/x-www-form-urlencoded"),
            Escape::Percent
        );
        assert_eq!(Escape::for_content_type("text/plain"), Escape::None);
    }

    #[test]
    fn answers_are_judged_by_status_and_json() {
        let mobizon = SmsConfig::mobizon("k", "api.mobizon.kz", None);
        let mut plain = mobizon.clone();
        plain.success_pointer = None;
        let cases: &[(&SmsConfig, u16, &str, &str)] = &[
            (
                &mobizon,
                200,
                r#"{"code":0,"data":{"messageId":"1"},"message":""}"#,
                "ok",
            ),
            (
                &mobizon,
                200,
                r#"{"code":100,"data":{},"message":""}"#,
                "ok",
            ),
            (&mobizon, 200, r#"{"code":"0"}"#, "ok"),
            (
                &mobizon,
                200,
                r#"{"code":1,"message":"Неверный номер получателя"}"#,
                "permanent",
            ),
            (
                &mobizon,
                200,
                r#"{"code":999,"message":"unknown"}"#,
                "temporary",
            ),
            (&mobizon, 200, "<html>oops</html>", "temporary"),
            (&mobizon, 200, r#"{"message":"no code"}"#, "temporary"),
            (&plain, 204, "", "ok"),
            (&plain, 400, "bad number", "permanent"),
            (&plain, 422, "bad number", "permanent"),
            (&plain, 401, "bad key", "temporary"),
            (&plain, 429, "slow down", "temporary"),
            (&plain, 500, "", "temporary"),
            (&plain, 503, "", "temporary"),
            (&plain, 302, "", "temporary"),
        ];
        for (config, status, body, expected) in cases {
            let got = match judge(config, *status, body.as_bytes()) {
                Ok(()) => "ok",
                Err(SendError::Permanent(_)) => "permanent",
                Err(SendError::Temporary(_)) => "temporary",
            };
            assert_eq!(got, *expected, "{status} {body}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut config = SmsConfig::mobizon("api-key-123", "api.mobizon.kz", Some("Mektep"));
        config.auth_header = Some("Authorization: Bearer token-456".into());
        let shown = format!("{:?}", SmsGateway::new(config).unwrap());
        assert!(
            !shown.contains("api-key-123") && !shown.contains("token-456"),
            "{shown}"
        );
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut c = SmsConfig::mobizon("k", "api.mobizon.kz", None);
        c.url = "ftp://x".into();
        assert!(SmsGateway::new(c.clone()).is_err());
        c.url = "https://x".into();
        c.auth_header = Some("no colon".into());
        assert!(SmsGateway::new(c.clone()).is_err());
        c.auth_header = None;
        c.success_pointer = Some("code".into());
        assert!(SmsGateway::new(c).is_err());
    }
}
