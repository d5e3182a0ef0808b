//! Integration tests of the notify crate: one binary (one link) for all of them.
//! They run on SQLite, and on PostgreSQL too when `MEKTEP_TEST_POSTGRES_URL` is set.

mod support;

mod email;
mod restart;
mod sms;
mod templates;
mod worker;

use std::time::Duration;

use notify::WorkerConfig;

/// Short times so that retries and lease expiry happen within a test.
pub fn fast_config() -> WorkerConfig {
    WorkerConfig {
        batch: 20,
        lease: Duration::from_secs(4),
        send_timeout: Duration::from_secs(2),
        max_age: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(400),
        poll: Duration::from_millis(50),
    }
}
