//! The notification outbox (written with its cause, delivered by the notify worker).
