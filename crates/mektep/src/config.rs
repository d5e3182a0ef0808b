//! Configuration: built-in defaults, then `mektep.toml` (or `--config FILE`), then `MEKTEP_*`
//! environment variables (`MEKTEP_SMTP__HOST` for nested keys), then command-line flags.
//! Every key is documented in the README. Secrets are never printed: `Debug` hides them.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/mektep.db`.
    pub database_url: String,
    /// The address people open; empty means `http://<listen>`.
    pub public_url: String,
    pub demo: bool,
    /// Mark cookies `Secure`; unset means "when `public_url` is https".
    pub cookie_secure: Option<bool>,
    /// Longest time one request may take, reading an upload included.
    pub request_timeout_seconds: u64,
    /// Behind a reverse proxy (nginx `proxy_add_x_forwarded_for`): rate limits count the client
    /// address the proxy appends to `X-Forwarded-For`. Never set it without such a proxy.
    pub trust_forwarded_for: bool,
    pub database_max_connections: u32,
    pub log: String,
    pub session: SessionConfig,
    pub pki: PkiConfig,
    pub rate_limits: RateLimitsConfig,
    /// E-mail (SMTP), SMS gateway and delivery worker; see the README.
    pub notify: notify::NotifyConfig,
    /// Encryption of document files at rest.
    pub storage: StorageConfig,
    /// How long documents of applications that ended without admission are kept.
    pub retention: RetentionConfig,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Master keys as `id:base64` (32 bytes); the first seals new files, the others still open
    /// the files they sealed. Empty: the key in `<data_dir>/storage.key` (the demo makes one).
    pub encryption_keys: Vec<String>,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self
            .encryption_keys
            .iter()
            .map(|k| k.split_once(':').map_or("?", |(id, _)| id))
            .collect();
        f.debug_struct("StorageConfig")
            .field("encryption_key_ids", &ids)
            .finish()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days after which the uploaded documents of refused and withdrawn applications are
    /// deleted (the application's record and the audit trail stay); 0 keeps them for ever.
    pub refused_and_withdrawn_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            refused_and_withdrawn_days: 365,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    /// How long the server remembers who is signed in with a session instead of asking the
    /// database on every request (0: always ask). A sign-out or a revoked role takes effect at
    /// once on the instance that made it, and within this time on other instances.
    pub remember_seconds: u64,
}

/// Requests per client (address, and session when signed in): a burst, refilled per hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    pub sign_in_burst: u32,
    pub sign_in_per_hour: u32,
    pub sms_burst: u32,
    pub sms_per_hour: u32,
    pub upload_burst: u32,
    pub upload_per_hour: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        let d = web::rate_limit::RateLimits::default();
        RateLimitsConfig {
            sign_in_burst: d.sign_in.burst,
            sign_in_per_hour: d.sign_in.per_hour,
            sms_burst: d.sms.burst,
            sms_per_hour: d.sms.per_hour,
            upload_burst: d.upload.burst,
            upload_per_hour: d.upload.per_hour,
        }
    }
}

impl RateLimitsConfig {
    pub fn limits(&self) -> web::rate_limit::RateLimits {
        let rate = |burst, per_hour| web::rate_limit::Rate { burst, per_hour };
        web::rate_limit::RateLimits {
            sign_in: rate(self.sign_in_burst, self.sign_in_per_hour),
            sms: rate(self.sms_burst, self.sms_per_hour),
            upload: rate(self.upload_burst, self.upload_per_hour),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PkiConfig {
    /// PEM or DER files of trusted CA certificates (roots or intermediates).
    pub trust_anchors: Vec<PathBuf>,
    /// CRL files loaded at start.
    pub crls: Vec<PathBuf>,
    pub accept_auth_keys_for_signing: bool,
    pub challenge_ttl_seconds: i64,
    /// Download CRLs from the distribution points the certificates name (cached until nextUpdate).
    pub fetch_crls: bool,
    /// OCSP responder to ask, e.g. `http://ocsp.pki.gov.kz/`; empty: none.
    pub ocsp_url: String,
    /// When revocation sources are configured but none answers: accept the signature (true) or
    /// refuse it with "revocation status unknown" (false, the default).
    pub accept_when_unreachable: bool,
    pub fetch_timeout_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            public_url: String::new(),
            demo: false,
            cookie_secure: None,
            request_timeout_seconds: 60,
            trust_forwarded_for: false,
            database_max_connections: 16,
            log: "info".into(),
            session: SessionConfig::default(),
            pki: PkiConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            notify: notify::NotifyConfig::default(),
            storage: StorageConfig::default(),
            retention: RetentionConfig::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_minutes: 30,
            absolute_hours: 12,
            remember_seconds: 10,
        }
    }
}

impl Default for PkiConfig {
    fn default() -> Self {
        PkiConfig {
            trust_anchors: Vec::new(),
            crls: Vec::new(),
            accept_auth_keys_for_signing: true,
            challenge_ttl_seconds: 300,
            fetch_crls: false,
            ocsp_url: String::new(),
            accept_when_unreachable: false,
            fetch_timeout_seconds: 10,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***{}", &url[..scheme_end], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The top-level keys of [`Config`], for picking them out of the environment.
const CONFIG_KEYS: [&str; 16] = [
    "listen",
    "data_dir",
    "database_url",
    "public_url",
    "demo",
    "cookie_secure",
    "request_timeout_seconds",
    "trust_forwarded_for",
    "database_max_connections",
    "log",
    "session",
    "pki",
    "rate_limits",
    "notify",
    "storage",
    "retention",
];

impl Config {
    /// Reads the file (if any) and the environment. `DATABASE_URL` is honoured as well as
    /// `MEKTEP_DATABASE_URL`, as most deployment tools set the former.
    pub fn load(file: Option<&PathBuf>) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(format!(
                        "configuration file {} does not exist",
                        path.display()
                    ));
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("mektep.toml")),
        }
        figment = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            )
            // Only the service's own keys: other tools share the prefix (MEKTEP_CONFIG is the
            // command line's, MEKTEP_TEST_POSTGRES_URL the test suite's), and a typo in the
            // config file is still refused by `deny_unknown_fields`.
            .merge(Env::prefixed("MEKTEP_").split("__").filter(|key| {
                // The filter sees the key as written (`SESSION__IDLE_MINUTES`).
                let key = key.as_str().to_ascii_lowercase();
                CONFIG_KEYS.iter().any(|k| {
                    key == *k
                        || key.starts_with(&format!("{k}__"))
                        || key.starts_with(&format!("{k}."))
                })
            }));
        figment.extract().map_err(|e| format!("configuration: {e}"))
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("mektep.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// Cookies are `Secure` when configured so, or else when people open an https address.
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
            .unwrap_or_else(|| self.public_url().starts_with("https://"))
    }

    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_tools_variables_with_the_prefix_are_not_config() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("MEKTEP_TEST_POSTGRES_URL", "postgres://x@y/z");
            jail.set_env("MEKTEP_LISTEN", "127.0.0.1:9999");
            jail.set_env("MEKTEP_SESSION__IDLE_MINUTES", "7");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:9999");
            assert_eq!(c.session.idle_minutes, 7);
            Ok(())
        });
    }

    #[test]
    fn cookies_are_secure_behind_https_unless_configured_otherwise() {
        let at = |url: &str, secure: Option<bool>| Config {
            public_url: url.into(),
            cookie_secure: secure,
            ..Config::default()
        };
        assert!(at("https://mektep.aktobe.kz", None).cookie_secure());
        assert!(!at("http://127.0.0.1:8080", None).cookie_secure());
        assert!(!at("", None).cookie_secure());
        assert!(at("http://10.0.0.1", Some(true)).cookie_secure());
        assert!(!at("https://mektep.aktobe.kz", Some(false)).cookie_secure());
    }

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/mektep"),
            "postgres://app:***@db:5432/mektep"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            redact_url("sqlite://data/mektep.db"),
            "sqlite://data/mektep.db"
        );
        let c = Config {
            database_url: "postgres://u:pw@h/db".into(),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("pw"));
        let s = StorageConfig {
            encryption_keys: vec!["k1:c2VjcmV0LWtleS1tYXRlcmlhbA==".into()],
        };
        let shown = format!("{s:?}");
        assert!(
            shown.contains("k1") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }

    #[test]
    fn storage_keys_and_retention_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "MEKTEP_STORAGE__ENCRYPTION_KEYS",
                "[\"k2:AAAA\", \"k1:BBBB\"]",
            );
            jail.set_env("MEKTEP_RETENTION__REFUSED_AND_WITHDRAWN_DAYS", "30");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.storage.encryption_keys, vec!["k2:AAAA", "k1:BBBB"]);
            assert_eq!(c.retention.refused_and_withdrawn_days, 30);
            Ok(())
        });
    }
}
