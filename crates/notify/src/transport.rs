//! What every way of delivering a message has in common.

use std::future::Future;
use std::pin::Pin;

use store::outbox::{Channel, ClaimedMessage};

/// Why a transport did not deliver a message. The worker retries `Temporary` and gives up on
/// `Permanent` at once, so a transport says `Permanent` only when the same message can never
/// succeed (an address or number the other side refuses), never for its own outage or a
/// configuration mistake that an operator can fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Temporary(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A boxed future, so that transports can sit behind `Arc<dyn Transport>`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Delivers one message. `Ok` means the other side has accepted it: the worker marks the
/// message delivered right after.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, msg: &'a ClaimedMessage, attachment: Option<Vec<u8>>) -> SendFuture<'a>;
}

/// Demo mode: accepts everything and sends nothing. The message is then marked delivered and
/// shows on the `/dev/outbox` page, which lists the outbox.
#[derive(Clone, Copy, Debug, Default)]
pub struct DevSink;

impl Transport for DevSink {
    fn send<'a>(&'a self, msg: &'a ClaimedMessage, _attachment: Option<Vec<u8>>) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(outbox_id = msg.id, channel = msg.channel.as_str(), kind = %msg.kind, "demo mode: message kept for /dev/outbox");
            Ok(())
        })
    }
}

/// A channel this installation has not configured (no SMS gateway, say): each message is
/// given up at once with that reason, so the delivery log tells the administrator instead of
/// a queue that silently grows.
#[derive(Clone, Copy, Debug)]
pub struct Unconfigured(pub Channel);

impl Transport for Unconfigured {
    fn send<'a>(
        &'a self,
        _msg: &'a ClaimedMessage,
        _attachment: Option<Vec<u8>>,
    ) -> SendFuture<'a> {
        let channel = self.0.as_str();
        Box::pin(async move {
            Err(SendError::Permanent(format!(
                "no {channel} transport is configured"
            )))
        })
    }
}
