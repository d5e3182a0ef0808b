//! The worker with the simple transports: demo mode, unconfigured channels, missing files,
//! and its run loop.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use notify::{DevSink, NotifyConfig, Unconfigured, Worker};
use store::outbox::{Channel, OutboxFilter, OutboxStatus};

use crate::email::email;
use crate::fast_config;
use crate::support::test_stores;

#[tokio::test]
async fn demo_mode_marks_everything_delivered_for_the_dev_outbox_page() {
    for db in test_stores().await {
        let transports = NotifyConfig::default().transports(true).unwrap();
        let mut sms = email("+77011234567", "");
        sms.channel = Channel::Sms;
        let ids = db
            .store
            .enqueue_notifications(&[email("a@example.kz", "one"), sms], Utc::now())
            .await
            .unwrap();
        let w = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            transports.email,
            transports.sms,
            fast_config(),
        )
        .unwrap();
        assert_eq!(w.run_once().await, 2);
        let log = db
            .store
            .outbox_log(&OutboxFilter::default(), 50)
            .await
            .unwrap();
        assert_eq!(
            log.iter().map(|e| e.id).collect::<Vec<_>>(),
            ids.iter().rev().copied().collect::<Vec<_>>()
        );
        assert!(log.iter().all(
            |e| e.status == OutboxStatus::Delivered && e.lease_owner.as_deref() == Some(w.id())
        ));
    }
}

#[tokio::test]
async fn an_unconfigured_channel_gives_up_with_a_reason() {
    for db in test_stores().await {
        let mut sms = email("+77011234567", "");
        sms.channel = Channel::Sms;
        let id = db
            .store
            .enqueue_notification(&sms, Utc::now())
            .await
            .unwrap();
        let w = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            Arc::new(DevSink),
            Arc::new(Unconfigured(Channel::Sms)),
            fast_config(),
        )
        .unwrap();
        w.run_once().await;
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(e.status, OutboxStatus::GivenUp);
        assert_eq!(
            e.last_error.as_deref(),
            Some("no sms transport is configured")
        );
    }
}

#[tokio::test]
async fn a_missing_attachment_is_given_up_and_resend_retries_it() {
    for db in test_stores().await {
        let mut msg = email("a@example.kz", "receipt");
        msg.attachment_name = Some("receipt.pdf".into());
        msg.attachment_key = Some("0123456789abcdef0123456789abcdef".into());
        let id = db
            .store
            .enqueue_notification(&msg, Utc::now())
            .await
            .unwrap();
        let w = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            Arc::new(DevSink),
            Arc::new(DevSink),
            fast_config(),
        )
        .unwrap();
        w.run_once().await;
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(e.status, OutboxStatus::GivenUp);
        assert!(
            e.last_error.as_deref().unwrap().contains("missing"),
            "{:?}",
            e.last_error
        );
        // The administrator resends: a new row, tried at once.
        let copy = db
            .store
            .resend(id, "admin:1", "test", Utc::now())
            .await
            .unwrap();
        assert_eq!(w.run_once().await, 1);
        assert_eq!(
            db.store
                .outbox_entry(copy)
                .await
                .unwrap()
                .unwrap()
                .resent_from,
            Some(id)
        );
    }
}

#[tokio::test]
async fn run_delivers_what_arrives_and_stops_on_shutdown() {
    for db in test_stores().await {
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let w = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            Arc::new(DevSink),
            Arc::new(DevSink),
            fast_config(),
        )
        .unwrap();
        let running = tokio::spawn(w.run(shutdown));
        // Enqueued while the worker idles: picked up on its next poll.
        let id = db
            .store
            .enqueue_notification(&email("a@example.kz", "late"), Utc::now())
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while db.store.outbox_entry(id).await.unwrap().unwrap().status != OutboxStatus::Delivered {
            assert!(
                tokio::time::Instant::now() < deadline,
                "not delivered by the run loop"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("the worker stops")
            .unwrap();
    }
}
