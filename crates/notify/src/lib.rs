//! Notifications (хабарлама / уведомления): what a parent and the staff are told, and the
//! delivery of it by e-mail and SMS.
//!
//! The flow: the code that changes an application calls [`compose`] for the event and writes
//! the messages to the store's outbox *in the same transaction* as the change. A [`Worker`]
//! on every instance takes due messages by lease and hands them to a [`Transport`]
//! ([`SmtpTransport`], [`SmsGateway`], or [`DevSink`] in demo mode), retrying temporary
//! failures with exponential backoff and giving up on permanent ones or after
//! [`WorkerConfig::max_age`], with the reason in the delivery log.

mod compose;
mod config;
mod sms;
mod smtp;
mod transport;
mod worker;

pub use compose::{NotificationEvent, Recipient, Translate, compose, strip_isolation_marks};
pub use config::{ConfigError, NotifyConfig, SmsSettings, Transports};
pub use sms::{HttpMethod, SmsConfig, SmsGateway};
pub use smtp::{SmtpConfig, SmtpTls, SmtpTransport};
pub use store::outbox::{Channel, ClaimedMessage, OutboxMessage};
pub use transport::{DevSink, SendError, SendFuture, Transport, Unconfigured};
pub use worker::{Worker, WorkerConfig, retry_delay};

/// Cuts `text` to at most `max` characters (not bytes), marking the cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
