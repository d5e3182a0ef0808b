//! The `[notify]` section of the config file, and the transports it makes.
//!
//! ```toml
//! [notify.smtp]
//! host = "smtp.example.kz"
//! tls = "starttls"            # none | starttls | tls
//! username = "mektep"
//! password = "…"              # better: MEKTEP_NOTIFY__SMTP__PASSWORD (or however the binary maps env)
//! from = "Mektep <noreply@mektep.example.kz>"
//!
//! [notify.sms]
//! provider = "mobizon"        # mobizon | generic | off
//! api_key = "…"
//!
//! [notify.worker]
//! max_age_secs = 172800
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::outbox::Channel;

use crate::sms::{SmsConfig, SmsGateway};
use crate::smtp::{SmtpConfig, SmtpTransport};
use crate::transport::{DevSink, Transport, Unconfigured};
use crate::worker::WorkerConfig;

/// A configuration that cannot work, with what is wrong in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("notification settings: {0}")]
pub struct ConfigError(pub String);

/// Which SMS gateway, if any.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum SmsSettings {
    /// No SMS: messages for phones are given up with that reason in the delivery log.
    #[default]
    Off,
    /// Mobizon Kazakhstan.
    Mobizon {
        api_key: String,
        #[serde(default = "default_mobizon_host")]
        api_host: String,
        /// An alpha-name approved by Mobizon; their default sender if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Any HTTP gateway, described by an [`SmsConfig`].
    Generic(SmsConfig),
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSettings::Off => f.write_str("Off"),
            SmsSettings::Mobizon { api_host, from, .. } => f
                .debug_struct("Mobizon")
                .field("api_key", &"<redacted>")
                .field("api_host", api_host)
                .field("from", from)
                .finish(),
            SmsSettings::Generic(config) => f.debug_tuple("Generic").field(config).finish(),
        }
    }
}

fn default_mobizon_host() -> String {
    "api.mobizon.kz".into()
}

/// `[notify]`. `Serialize` is there for layered loaders (figment's `Serialized::defaults`); it
/// writes secrets as they are, so never print a serialized config — `Debug` hides them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Without it e-mail is off (messages given up with that reason), unless in demo mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpConfig>,
    pub sms: SmsSettings,
    pub worker: WorkerConfig,
}

/// The two transports a [`crate::Worker`] needs.
#[derive(Clone)]
pub struct Transports {
    pub email: Arc<dyn Transport>,
    pub sms: Arc<dyn Transport>,
}

impl NotifyConfig {
    /// Builds the transports. In demo mode nothing leaves the machine: both are [`DevSink`]
    /// and the messages show on `/dev/outbox`, whatever is configured.
    pub fn transports(&self, demo: bool) -> Result<Transports, ConfigError> {
        if demo {
            return Ok(Transports {
                email: Arc::new(DevSink),
                sms: Arc::new(DevSink),
            });
        }
        let email: Arc<dyn Transport> = match &self.smtp {
            Some(smtp) => Arc::new(SmtpTransport::new(smtp)?),
            None => Arc::new(Unconfigured(Channel::Email)),
        };
        let sms: Arc<dyn Transport> = match &self.sms {
            SmsSettings::Off => Arc::new(Unconfigured(Channel::Sms)),
            SmsSettings::Mobizon {
                api_key,
                api_host,
                from,
            } => {
                if api_key.trim().is_empty() {
                    return Err(ConfigError("notify.sms.api_key is empty".into()));
                }
                Arc::new(SmsGateway::new(SmsConfig::mobizon(
                    api_key.clone(),
                    api_host,
                    from.as_deref(),
                ))?)
            }
            SmsSettings::Generic(config) => Arc::new(SmsGateway::new(config.clone())?),
        };
        self.worker.validate()?;
        Ok(Transports { email, sms })
    }
}

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_full_section_reads() {
        let c: NotifyConfig = serde_json::from_value(json!({
            "smtp": { "host": "smtp.example.kz", "tls": "none", "port": 2525, "from": "Mektep <noreply@example.kz>" },
            "sms": { "provider": "mobizon", "api_key": "k3y-abc" },
            "worker": { "batch": 4 }
        }))
        .unwrap();
        let smtp = c.smtp.as_ref().unwrap();
        assert_eq!((smtp.effective_port(), smtp.timeout_secs), (2525, 30));
        assert!(
            matches!(&c.sms, SmsSettings::Mobizon { api_host, .. } if api_host == "api.mobizon.kz")
        );
        assert_eq!(c.worker.batch, 4);
        assert!(c.transports(false).is_ok());
        let round: NotifyConfig =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(format!("{round:?}"), format!("{c:?}"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("k3y-abc") && shown.contains("Mobizon"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn a_generic_gateway_reads() {
        let c: NotifyConfig = serde_json::from_value(json!({
            "sms": {
                "provider": "generic",
                "url": "https://gw.example.kz/v1/sms",
                "method": "POST",
                "auth_header": "Authorization: Bearer {secret}",
                "secret": "t0k3n",
                "body_template": "{\"to\":\"{phone}\",\"text\":\"{text}\",\"ref\":\"{id}\"}",
                "success_pointer": "/status",
                "success_values": ["queued", "sent"],
                "permanent_values": ["invalid_number"]
            }
        }))
        .unwrap();
        let SmsSettings::Generic(g) = &c.sms else {
            panic!("{:?}", c.sms)
        };
        assert_eq!(g.content_type, "application/json");
        assert!(!format!("{c:?}").contains("t0k3n"));
        assert!(c.transports(false).is_ok());
    }

    #[test]
    fn empty_section_means_nothing_is_sent_but_everything_is_logged() {
        let c = NotifyConfig::default();
        assert!(c.smtp.is_none() && matches!(c.sms, SmsSettings::Off));
        assert!(c.transports(false).is_ok());
        assert!(c.transports(true).is_ok());
    }

    #[test]
    fn mistakes_are_refused() {
        let unknown = serde_json::from_value::<NotifyConfig>(json!({ "smpt": {} }));
        assert!(unknown.is_err());
        let c: NotifyConfig =
            serde_json::from_value(json!({ "sms": { "provider": "mobizon", "api_key": " " } }))
                .unwrap();
        assert!(c.transports(false).is_err());
        // …but demo mode never needs real credentials.
        assert!(c.transports(true).is_ok());
    }
}
