//! The outbox worker: takes due messages by lease, delivers them, records the outcome.
//!
//! Any number of workers may run, in one process or on many instances: the store's claim
//! gives each row to one worker at a time. A worker that dies (a killed process, a dropped
//! future) leaves its rows leased; they become due again when the lease ends, so the lease
//! must outlast a send by far — [`WorkerConfig::validate`] insists on twice the send timeout.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::redact::personal_data;
use serde::{Deserialize, Serialize};
use store::outbox::{Channel, ClaimedMessage};
use store::{BlobStore, Store, StoreError};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::ConfigError;
use crate::transport::{SendError, Transport};

/// `[notify.worker]` in the config file (durations in seconds there).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Messages claimed, and sent concurrently, at a time.
    pub batch: u32,
    /// How long a claim holds a message.
    #[serde(rename = "lease_secs", with = "secs")]
    pub lease: Duration,
    /// A send that has not finished by then counts as a temporary failure.
    #[serde(rename = "send_timeout_secs", with = "secs")]
    pub send_timeout: Duration,
    /// Give up on a message this long after it was written (48 h by default).
    #[serde(rename = "max_age_secs", with = "secs")]
    pub max_age: Duration,
    /// The first retry waits about this long; each further one twice as long…
    #[serde(rename = "backoff_base_secs", with = "secs")]
    pub backoff_base: Duration,
    /// …up to this.
    #[serde(rename = "backoff_max_secs", with = "secs")]
    pub backoff_max: Duration,
    /// How often an idle worker looks for due messages.
    #[serde(rename = "poll_secs", with = "secs")]
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch: 16,
            lease: Duration::from_secs(300),
            send_timeout: Duration::from_secs(60),
            max_age: Duration::from_secs(48 * 3600),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            poll: Duration::from_secs(2),
        }
    }
}

impl WorkerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch == 0 {
            return Err(ConfigError("notify.worker.batch must be at least 1".into()));
        }
        if self.lease < self.send_timeout * 2 {
            return Err(ConfigError(format!(
                "notify.worker.lease_secs ({}) must be at least twice send_timeout_secs ({}): a lease that ends \
                 while a send is still running lets a second worker send the same message",
                self.lease.as_secs_f64(),
                self.send_timeout.as_secs_f64()
            )));
        }
        if self.backoff_base.is_zero() || self.backoff_max < self.backoff_base {
            return Err(ConfigError(
                "notify.worker: need 0 < backoff_base_secs <= backoff_max_secs".into(),
            ));
        }
        if self.poll.is_zero() {
            return Err(ConfigError(
                "notify.worker.poll_secs must be positive".into(),
            ));
        }
        // Bounds that keep date arithmetic far from overflow, and far beyond any sensible value.
        const DAY: Duration = Duration::from_secs(24 * 3600);
        for (name, value, limit) in [
            ("lease_secs", self.lease, DAY),
            ("backoff_max_secs", self.backoff_max, DAY),
            ("poll_secs", self.poll, DAY),
            ("max_age_secs", self.max_age, DAY * 90),
        ] {
            if value > limit {
                return Err(ConfigError(format!(
                    "notify.worker.{name} is {} s, more than the limit of {} s",
                    value.as_secs(),
                    limit.as_secs()
                )));
            }
        }
        Ok(())
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

/// How long to wait after failed attempt number `attempt` (1-based) of message `id`:
/// `base · 2^(attempt−1)`, capped at `max`, spread by ±20 % so that a queue that failed all at
/// once (the mail server was down) does not retry all at once. The spread is derived from the
/// id and attempt, not a random source, so it is the same on every instance and in tests.
pub fn retry_delay(config: &WorkerConfig, id: i64, attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let raw = config
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(config.backoff_max);
    let mix = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (attempt as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    let spread = 0.8 + 0.4 * ((mix >> 11) as f64 / (1u64 << 53) as f64);
    raw.mul_f64(spread)
}

struct Shared {
    store: Store,
    blobs: BlobStore,
    email: Arc<dyn Transport>,
    sms: Arc<dyn Transport>,
    config: WorkerConfig,
    id: String,
}

/// Delivers the outbox. Cheap to run several; see the module documentation.
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.shared.id)
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Worker {
    pub fn new(
        store: Store,
        blobs: BlobStore,
        email: Arc<dyn Transport>,
        sms: Arc<dyn Transport>,
        config: WorkerConfig,
    ) -> Result<Worker, ConfigError> {
        config.validate()?;
        let id = format!(
            "{}-{}-{}",
            host_name(),
            std::process::id(),
            store::random_token(4)
        );
        Ok(Worker {
            shared: Arc::new(Shared {
                store,
                blobs,
                email,
                sms,
                config,
                id,
            }),
        })
    }

    /// Names this worker in the delivery log (`lease_owner`): host, process, random suffix.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// Runs until `shutdown` turns true (or its sender is dropped). A batch in flight is
    /// finished first, which takes at most the send timeout.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.shared.id, "outbox worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let claimed = self.run_once().await;
            if claimed > 0 {
                // More may be due right away: keep going while there is work.
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.shared.config.poll) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!(worker = %self.shared.id, "outbox worker stopped");
    }

    /// Claims one batch and delivers it; returns how many messages it claimed. Dropping the
    /// returned future aborts the sends in flight (as a crash would): their leases run out
    /// and another worker takes them. That includes messages of the batch already sent but not
    /// yet recorded, which then go out a second time, as after a crash between a send and its
    /// record.
    pub async fn run_once(&self) -> usize {
        let s = &self.shared;
        let lease =
            chrono::Duration::from_std(s.config.lease).unwrap_or(chrono::Duration::minutes(5));
        let claimed = match s
            .store
            .claim_outbox(&s.id, Utc::now(), lease, i64::from(s.config.batch))
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(worker = %s.id, error = %e, "outbox claim failed");
                return 0;
            }
        };
        let count = claimed.len();
        let mut sends = JoinSet::new();
        for msg in claimed {
            let shared = Arc::clone(&self.shared);
            sends.spawn(async move { shared.deliver(msg).await });
        }
        let mut delivered = Vec::with_capacity(count);
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(Some(id)) => delivered.push(id),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(worker = %s.id, error = %e, "outbox delivery task failed")
                }
            }
        }
        if let Err(e) = s.record_deliveries(&delivered).await {
            // The leases run out and the messages go again: a copy, never a loss.
            tracing::error!(worker = %s.id, error = %e, count = delivered.len(), "cannot record the deliveries");
        }
        count
    }
}

impl Shared {
    /// Sends one message. A failure is recorded here; a delivery is returned, to be recorded
    /// with the rest of its batch in one statement ([`Shared::record_deliveries`]).
    async fn deliver(&self, msg: ClaimedMessage) -> Option<i64> {
        let transport = match msg.channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
        };
        let attachment = match &msg.attachment_key {
            None => None,
            Some(key) => match self.blobs.get(key).await {
                Ok(bytes) => Some(bytes),
                // Retrying cannot bring a file back: say so in the log, where an administrator
                // can restore it and resend.
                Err(StoreError::NotFound | StoreError::Data(_)) => {
                    self.record_failure(
                        &msg,
                        SendError::Permanent(format!(
                            "attachment {key} is missing from document storage"
                        )),
                    )
                    .await;
                    return None;
                }
                Err(e) => {
                    self.record_failure(
                        &msg,
                        SendError::Temporary(format!("attachment {key} cannot be read: {e}")),
                    )
                    .await;
                    return None;
                }
            },
        };
        let outcome =
            match tokio::time::timeout(self.config.send_timeout, transport.send(&msg, attachment))
                .await
            {
                Ok(outcome) => outcome,
                Err(_) => Err(SendError::Temporary(format!(
                    "no answer within {} s",
                    self.config.send_timeout.as_secs_f64()
                ))),
            };
        match outcome {
            Ok(()) => Some(msg.id),
            Err(failure) => {
                self.record_failure(&msg, failure).await;
                None
            }
        }
    }

    async fn record_failure(&self, msg: &ClaimedMessage, failure: SendError) {
        let now = Utc::now();
        let result = match failure {
            SendError::Permanent(reason) => {
                tracing::warn!(outbox_id = msg.id, channel = msg.channel.as_str(), attempt = msg.attempt, reason = %personal_data(&reason), "giving up: permanent failure");
                self.store
                    .mark_given_up(msg.id, msg.attempt, &reason, now)
                    .await
                    .map(|_| ())
            }
            SendError::Temporary(error) => {
                let age = (now - msg.created_at).to_std().unwrap_or_default();
                if age >= self.config.max_age {
                    let reason = format!(
                        "gave up after {} attempts over {} h; last error: {error}",
                        msg.attempt,
                        age.as_secs() / 3600
                    );
                    tracing::warn!(outbox_id = msg.id, channel = msg.channel.as_str(), reason = %personal_data(&reason), "giving up: too old");
                    self.store
                        .mark_given_up(msg.id, msg.attempt, &reason, now)
                        .await
                        .map(|_| ())
                } else {
                    let deadline = msg.created_at + chrono_duration(self.config.max_age);
                    // The last try falls on the deadline rather than after it.
                    let next = (now
                        + chrono_duration(retry_delay(&self.config, msg.id, msg.attempt)))
                    .min(deadline);
                    tracing::info!(outbox_id = msg.id, channel = msg.channel.as_str(), attempt = msg.attempt, error = %personal_data(&error), retry_at = %next, "delivery failed, will retry");
                    self.store
                        .mark_failed(msg.id, msg.attempt, &error, next)
                        .await
                        .map(|_| ())
                }
            }
        };
        if let Err(e) = result {
            // The lease runs out and the message is tried again: nothing is lost.
            tracing::error!(outbox_id = msg.id, error = %e, "cannot record the delivery outcome");
        }
    }

    /// The messages are out: record them as soon as their batch is done (at most the send
    /// timeout after the first, well within the lease), and insist while the database hiccups,
    /// because every moment a row stays unmarked is a moment in which a lease expiry would send
    /// it again. Gives up trying at half the lease.
    async fn record_deliveries(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let give_up_at = tokio::time::Instant::now() + self.config.lease / 2;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.store.mark_delivered(ids, Utc::now()).await {
                Ok(copies) => {
                    for id in copies {
                        tracing::warn!(
                            outbox_id = id,
                            "message was already marked delivered: a second copy went out"
                        );
                    }
                    return Ok(());
                }
                Err(e) if tokio::time::Instant::now() + pause < give_up_at => {
                    tracing::warn!(count = ids.len(), error = %e, "cannot mark delivered yet, retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WorkerConfig {
        WorkerConfig {
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            ..Default::default()
        }
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let c = config();
        // (attempt, nominal seconds)
        let cases = [
            (1, 30.0),
            (2, 60.0),
            (3, 120.0),
            (4, 240.0),
            (7, 1920.0),
            (8, 3600.0),
            (40, 3600.0),
            (0, 30.0),
            (-5, 30.0),
        ];
        for (attempt, nominal) in cases {
            for id in [1, 2, 999, i64::MAX] {
                let got = retry_delay(&c, id, attempt).as_secs_f64();
                assert!(
                    (nominal * 0.8..=nominal * 1.2).contains(&got),
                    "attempt {attempt} id {id}: {got}"
                );
            }
        }
    }

    #[test]
    fn retries_of_a_burst_are_spread() {
        let c = config();
        let delays: std::collections::HashSet<u128> = (1..=100)
            .map(|id| retry_delay(&c, id, 1).as_millis())
            .collect();
        assert!(delays.len() > 90, "{} distinct delays of 100", delays.len());
        assert_eq!(
            retry_delay(&c, 5, 3),
            retry_delay(&c, 5, 3),
            "the same on every instance"
        );
    }

    #[test]
    fn configurations_that_would_duplicate_or_spin_are_refused() {
        assert!(WorkerConfig::default().validate().is_ok());
        let short_lease = WorkerConfig {
            lease: Duration::from_secs(60),
            send_timeout: Duration::from_secs(45),
            ..Default::default()
        };
        assert!(short_lease.validate().is_err());
        assert!(
            WorkerConfig {
                batch: 0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            WorkerConfig {
                backoff_base: Duration::ZERO,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            WorkerConfig {
                backoff_max: Duration::from_secs(1),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            WorkerConfig {
                poll: Duration::ZERO,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        let forever = Duration::from_secs(u64::MAX / 4);
        for too_long in [
            WorkerConfig {
                max_age: forever,
                ..Default::default()
            },
            WorkerConfig {
                backoff_max: forever,
                ..Default::default()
            },
            WorkerConfig {
                lease: forever,
                ..Default::default()
            },
        ] {
            assert!(too_long.validate().is_err(), "{too_long:?}");
        }
    }

    #[test]
    fn the_config_file_speaks_in_seconds() {
        let c: WorkerConfig = serde_json::from_value(serde_json::json!({
            "batch": 8, "lease_secs": 600, "max_age_secs": 86400
        }))
        .unwrap();
        assert_eq!(c.batch, 8);
        assert_eq!(c.lease, Duration::from_secs(600));
        assert_eq!(c.max_age, Duration::from_secs(86400));
        assert_eq!(c.send_timeout, WorkerConfig::default().send_timeout);
        assert!(serde_json::from_value::<WorkerConfig>(serde_json::json!({ "lease": 5 })).is_err());
        // Serialize too, for layered config loaders that start from the defaults.
        let round: WorkerConfig =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(round, c);
    }
}
