//! E-mail over SMTP (lettre, pooled connections, optional STARTTLS or implicit TLS).

use std::fmt;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use store::outbox::ClaimedMessage;

use crate::config::ConfigError;
use crate::transport::{SendError, SendFuture, Transport};

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: a relay on the same host or network only.
    None,
    /// Upgrade with STARTTLS, which must succeed (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `[notify.smtp]` in the config file.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 25, 587 or 465 by `tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Never logged (see the `Debug` impl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender, `Mektep <noreply@mektep.example.kz>`; its domain also names Message-IDs.
    pub from: String,
    /// The name announced in EHLO; defaults to this host's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_name: Option<String>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Connections kept open to the server.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
}

fn default_timeout_secs() -> u64 {
    30
}

fn default_pool_size() -> u32 {
    4
}

impl SmtpConfig {
    /// A configuration with the defaults for everything but the server and the sender.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: None,
            tls: SmtpTls::default(),
            username: None,
            password: None,
            from: from.into(),
            hello_name: None,
            timeout_secs: default_timeout_secs(),
            pool_size: default_pool_size(),
        }
    }

    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.effective_port())
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("hello_name", &self.hello_name)
            .field("timeout_secs", &self.timeout_secs)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Sends e-mail through one SMTP server.
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Checks the configuration and prepares the connection pool; connects on the first send.
    /// Must be called inside a Tokio runtime (the pool starts a task that closes idle
    /// connections); outside one it returns an error instead of panicking.
    pub fn new(config: &SmtpConfig) -> Result<SmtpTransport, ConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError(
                "SmtpTransport::new must run inside a Tokio runtime".into(),
            ));
        }
        let from: Mailbox = config.from.parse().map_err(|e| {
            ConfigError(format!("smtp.from {:?} is not a mailbox: {e}", config.from))
        })?;
        let builder = match config.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            }
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| ConfigError(format!("smtp TLS setup for {:?}: {e}", config.host)))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| ConfigError(format!("smtp TLS setup for {:?}: {e}", config.host)))?,
        };
        let mut builder = builder
            .port(config.effective_port())
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))))
            .pool_config(PoolConfig::new().max_size(config.pool_size.max(1)));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError(
                    "smtp.username and smtp.password go together".into(),
                ));
            }
        }
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        Ok(SmtpTransport {
            mailer: builder.build(),
            from,
        })
    }

    /// The e-mail for an outbox message. Its Message-ID is derived from the outbox row (id and
    /// creation time), so every retry of one row carries the same id and a receiving side that
    /// de-duplicates by Message-ID drops the copy a crash after acceptance would cause.
    pub fn build_message(
        &self,
        msg: &ClaimedMessage,
        attachment: Option<Vec<u8>>,
    ) -> Result<Message, SendError> {
        let to: Mailbox = msg
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("recipient address is not valid: {e}")))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone())
            .message_id(Some(message_id(msg, self.from.email.domain())))
            // RFC 3834: no auto-replies (vacation notices) to the service.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        let text = SinglePart::plain(msg.body.clone());
        let built = match attachment {
            None => builder.singlepart(text),
            Some(bytes) => {
                let name = msg
                    .attachment_name
                    .clone()
                    .unwrap_or_else(|| "attachment".to_owned());
                let content_type = ContentType::parse(content_type_of(&name))
                    .map_err(|e| SendError::Permanent(format!("attachment type: {e}")))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(text)
                        .singlepart(Attachment::new(name).body(bytes, content_type)),
                )
            }
        };
        built.map_err(|e| SendError::Permanent(format!("message cannot be built: {e}")))
    }
}

impl Transport for SmtpTransport {
    fn send<'a>(&'a self, msg: &'a ClaimedMessage, attachment: Option<Vec<u8>>) -> SendFuture<'a> {
        Box::pin(async move {
            let email = self.build_message(msg, attachment)?;
            match self.mailer.send(email).await {
                Ok(_) => Ok(()),
                Err(e) => Err(classify(e.status().map(u16::from), &e.to_string())),
            }
        })
    }
}

pub(crate) fn message_id(msg: &ClaimedMessage, domain: &str) -> String {
    format!(
        "<outbox.{}.{}@{}>",
        msg.id,
        msg.created_at.timestamp_micros(),
        domain
    )
}

fn content_type_of(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        "application/pdf"
    } else if lower.ends_with(".csv") {
        "text/csv"
    } else if lower.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "application/octet-stream"
    }
}

/// Sorts an SMTP failure. Only a refusal *of this recipient or this message* is permanent:
/// enhanced status 5.1 (address), 5.2 (mailbox), 5.3 (mail system: too big), 5.4 (routing,
/// which some servers use for unknown recipients) and 5.6 (content); without an enhanced code,
/// 550/551/553/556. A 5xx about authentication, relaying or policy (5.7), protocol (5.5) or an
/// unknown reason is temporary: it is our configuration or the server's state, which an
/// operator fixes, and giving up every message meanwhile would lose them all.
pub(crate) fn classify(code: Option<u16>, text: &str) -> SendError {
    let permanent = match code {
        Some(code) if code / 100 == 5 => match enhanced_status(text) {
            Some((5, subject)) => matches!(subject, 1 | 2 | 3 | 4 | 6),
            Some(_) => false,
            None => matches!(code, 550 | 551 | 553 | 556),
        },
        _ => false,
    };
    let text = crate::clip(text, 500);
    if permanent {
        SendError::Permanent(text)
    } else {
        SendError::Temporary(text)
    }
}

/// The class and subject of the first RFC 3463 enhanced status code (`5.1.1`) in a reply.
fn enhanced_status(text: &str) -> Option<(u8, u16)> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find_map(|word| {
            let mut parts = word.split('.');
            let class: u8 = parts.next()?.parse().ok()?;
            let subject: u16 = parts.next()?.parse().ok()?;
            let detail: u16 = parts.next()?.parse().ok()?;
            (parts.next().is_none() && (2..=5).contains(&class) && subject < 1000 && detail < 1000)
                .then_some((class, subject))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use store::outbox::Channel;

    #[test]
    fn smtp_failures_are_sorted_by_who_can_fix_them() {
        let cases: &[(Option<u16>, &str, bool)] = &[
            (
                Some(550),
                "permanent error (550): 5.1.1 <x@y.kz>: Recipient address rejected: User unknown",
                true,
            ),
            (
                Some(550),
                "permanent error (550): mailbox unavailable",
                true,
            ),
            (
                Some(553),
                "permanent error (553): mailbox name not allowed",
                true,
            ),
            (Some(552), "permanent error (552): 5.2.2 mailbox full", true),
            (
                Some(554),
                "permanent error (554): 5.6.0 message content rejected",
                true,
            ),
            (
                Some(550),
                "permanent error (550): 5.4.1 Recipient address rejected: Access denied",
                true,
            ),
            (
                Some(550),
                "permanent error (550): 5.7.1 Relaying denied",
                false,
            ),
            (
                Some(535),
                "permanent error (535): 5.7.8 Authentication credentials invalid",
                false,
            ),
            (
                Some(530),
                "permanent error (530): Authentication required",
                false,
            ),
            (
                Some(554),
                "permanent error (554): no SMTP service here",
                false,
            ),
            (Some(501), "permanent error (501): syntax error", false),
            (
                Some(451),
                "transient error (451): 4.3.0 try again later",
                false,
            ),
            (Some(421), "transient error (421): closing", false),
            (
                None,
                "Connection error: Connection refused (os error 111)",
                false,
            ),
            (None, "network error: timed out", false),
        ];
        for (code, text, permanent) in cases {
            let got = classify(*code, text);
            assert_eq!(
                matches!(got, SendError::Permanent(_)),
                *permanent,
                "{code:?} {text}"
            );
        }
    }

    #[test]
    fn enhanced_codes_are_found_only_where_they_are() {
        assert_eq!(enhanced_status("550 5.1.1 user unknown"), Some((5, 1)));
        assert_eq!(enhanced_status("(550): 4.7.0 greylisted"), Some((4, 7)));
        assert_eq!(enhanced_status("version 1.2.3 of something"), None);
        assert_eq!(enhanced_status("5.1"), None);
        assert_eq!(enhanced_status(""), None);
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let mut config = SmtpConfig::new("smtp.example.kz", "Mektep <noreply@example.kz>");
        config.username = Some("mektep".into());
        config.password = Some("s3cr3t-pa55".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-pa55"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("587"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn configuration_mistakes_are_reported() {
        let bad_from = SmtpConfig::new("localhost", "not a mailbox");
        assert!(SmtpTransport::new(&bad_from).is_err());
        let mut half_credentials = SmtpConfig::new("localhost", "noreply@example.kz");
        half_credentials.username = Some("user".into());
        assert!(SmtpTransport::new(&half_credentials).is_err());
        let outside = std::thread::spawn(|| {
            SmtpTransport::new(&SmtpConfig::new("localhost", "noreply@example.kz")).is_err()
        });
        assert!(
            outside.join().unwrap(),
            "outside a runtime: an error, not a panic"
        );
        for tls in [SmtpTls::None, SmtpTls::StartTls, SmtpTls::Tls] {
            let mut ok = SmtpConfig::new("localhost", "Mektep <noreply@example.kz>");
            ok.tls = tls;
            assert!(SmtpTransport::new(&ok).is_ok(), "{tls:?}");
        }
    }

    #[tokio::test]
    async fn a_bad_recipient_is_permanent_and_message_ids_follow_the_row() {
        let transport =
            SmtpTransport::new(&SmtpConfig::new("localhost", "noreply@mektep.kz")).unwrap();
        let mut msg = ClaimedMessage {
            id: 42,
            attempt: 1,
            channel: Channel::Email,
            recipient: "not-an-address".into(),
            subject: "s".into(),
            body: "b".into(),
            attachment_name: None,
            attachment_key: None,
            kind: "submitted".into(),
            language: "kk".into(),
            created_at: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        };
        assert!(matches!(
            transport.build_message(&msg, None),
            Err(SendError::Permanent(_))
        ));
        msg.recipient = "ata-ana@example.kz".into();
        let id = message_id(&msg, "mektep.kz");
        assert_eq!(
            id,
            format!(
                "<outbox.42.{}@mektep.kz>",
                msg.created_at.timestamp_micros()
            )
        );
        msg.attempt = 2;
        assert_eq!(message_id(&msg, "mektep.kz"), id, "a retry keeps the id");
        let formatted =
            String::from_utf8(transport.build_message(&msg, None).unwrap().formatted()).unwrap();
        assert!(formatted.contains(&id), "{formatted}");
        assert!(
            formatted.contains("Auto-Submitted: auto-generated"),
            "{formatted}"
        );
    }
}
