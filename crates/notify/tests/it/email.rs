//! E-mail through a real SMTP conversation with the test server.

use std::sync::Arc;

use chrono::Utc;
use notify::{
    DevSink, NotificationEvent, Recipient, SmtpConfig, SmtpTls, SmtpTransport, Worker, compose,
};
use store::outbox::{Channel, OutboxMessage, OutboxStatus};

use crate::fast_config;
use crate::support::{Locales, Part, SmtpServer, closed_port, decode_header, test_stores};

pub fn smtp_to(port: u16) -> Arc<SmtpTransport> {
    let mut c = SmtpConfig::new("127.0.0.1", "Mektep <noreply@mektep.example.kz>");
    c.tls = SmtpTls::None;
    c.port = Some(port);
    c.timeout_secs = 2;
    Arc::new(SmtpTransport::new(&c).expect("smtp transport"))
}

pub fn email(recipient: &str, subject: &str) -> OutboxMessage {
    OutboxMessage {
        channel: Channel::Email,
        recipient: recipient.into(),
        subject: subject.into(),
        body: format!("Body of {subject}"),
        attachment_name: None,
        attachment_key: None,
        kind: "test".into(),
        language: "en".into(),
        dedupe_key: None,
    }
}

/// Bytes that survive only a faithful base64 round trip.
fn fake_pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.extend((0..=255u8).cycle().take(5000));
    v.extend(b"\n%%EOF\n");
    v
}

#[tokio::test]
async fn accepted_email_arrives_in_kazakh_with_the_receipt_pdf() {
    let locales = Locales::load();
    let server = SmtpServer::start().await;
    for db in test_stores().await {
        let pdf = fake_pdf();
        let blob = db.blobs.put(pdf.clone()).await.unwrap();
        let event = NotificationEvent::Accepted {
            number: "2026-000042".into(),
            receipt_url: "https://mektep.example.kz/r/abc".into(),
            receipt_blob_key: Some(blob.key.clone()),
        };
        let address = format!("ata-ana-{}@example.kz", db.backend);
        let to = Recipient {
            email: Some(address.clone()),
            phone: None,
        };
        let msgs = compose(&event, &to, "kk", &|l, k, a| locales.tr(l, k, a));
        assert_eq!(msgs.len(), 1);
        let id = db
            .store
            .enqueue_notifications(&msgs, Utc::now())
            .await
            .unwrap()[0];
        let worker = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            smtp_to(server.port),
            Arc::new(DevSink),
            fast_config(),
        )
        .unwrap();
        assert_eq!(worker.run_once().await, 1);
        let entry = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(
            entry.status,
            OutboxStatus::Delivered,
            "{:?}",
            entry.last_error
        );

        let got: Vec<_> = server
            .received()
            .into_iter()
            .filter(|r| r.rcpt_to == [address.clone()])
            .collect();
        assert_eq!(got.len(), 1, "{}", db.backend);
        assert_eq!(got[0].mail_from, "noreply@mektep.example.kz");
        let mail = Part::parse(&got[0].data);
        assert_eq!(
            decode_header(mail.header("Subject").unwrap()),
            "№ 2026-000042 өтініш бойынша құжаттар қабылданды"
        );
        let expected_id = format!(
            "<outbox.{id}.{}@mektep.example.kz>",
            entry.created_at.timestamp_micros()
        );
        assert_eq!(mail.header("Message-ID"), Some(expected_id.as_str()));
        assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
        let parts = mail.parts();
        assert_eq!(parts.len(), 2, "text and attachment: {}", got[0].data);
        let text = parts[0].text();
        assert!(
            text.contains("Мектеп № 2026-000042 өтініш бойынша құжаттарды қабылдады"),
            "{text}"
        );
        assert!(text.contains("https://mektep.example.kz/r/abc"), "{text}");
        assert!(
            text.contains("«Mektep» қызметінен автоматты түрде"),
            "footer: {text}"
        );
        assert!(
            !text.contains('\u{2068}') && !text.contains('\u{2069}'),
            "no isolation marks"
        );
        let attachment = &parts[1];
        assert!(
            attachment
                .header("Content-Type")
                .unwrap()
                .starts_with("application/pdf"),
            "{attachment:?}"
        );
        assert_eq!(
            attachment
                .param("Content-Disposition", "filename")
                .as_deref(),
            Some("қолхат-2026-000042.pdf")
        );
        assert_eq!(
            attachment.decoded_body(),
            pdf,
            "the PDF arrives byte for byte"
        );
    }
}

#[tokio::test]
async fn a_rejected_address_is_given_up_at_once_and_does_not_hold_up_others() {
    let server = SmtpServer::start().await;
    server.reject("nobody@example.kz");
    for db in test_stores().await {
        let bad = db
            .store
            .enqueue_notification(&email("nobody@example.kz", "bad"), Utc::now())
            .await
            .unwrap();
        let good = db
            .store
            .enqueue_notification(&email("somebody@example.kz", "good"), Utc::now())
            .await
            .unwrap();
        let worker = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            smtp_to(server.port),
            Arc::new(DevSink),
            fast_config(),
        )
        .unwrap();
        assert_eq!(worker.run_once().await, 2);
        let bad = db.store.outbox_entry(bad).await.unwrap().unwrap();
        assert_eq!((bad.status, bad.attempts), (OutboxStatus::GivenUp, 1));
        assert!(
            bad.last_error.as_deref().unwrap().contains("5.1.1"),
            "{:?}",
            bad.last_error
        );
        assert!(bad.given_up_at.is_some());
        assert_eq!(
            db.store.outbox_entry(good).await.unwrap().unwrap().status,
            OutboxStatus::Delivered
        );
        // Never tried again.
        tokio::time::sleep(fast_config().backoff_max * 2).await;
        assert_eq!(worker.run_once().await, 0);
    }
    assert_eq!(
        server
            .received()
            .iter()
            .filter(|r| r.rcpt_to == ["nobody@example.kz"])
            .count(),
        0
    );
}

#[tokio::test]
async fn a_mail_server_that_is_down_means_try_again_later() {
    let port = closed_port().await;
    for db in test_stores().await {
        let id = db
            .store
            .enqueue_notification(&email("a@example.kz", "later"), Utc::now())
            .await
            .unwrap();
        let worker = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            smtp_to(port),
            Arc::new(DevSink),
            fast_config(),
        )
        .unwrap();
        let before = Utc::now();
        assert_eq!(worker.run_once().await, 1);
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!((e.status, e.attempts), (OutboxStatus::Pending, 1));
        assert!(e.last_error.is_some());
        assert!(e.lease_until.is_none(), "the lease is released");
        assert!(
            e.next_attempt_at > before,
            "backed off: {} vs {before}",
            e.next_attempt_at
        );
        // Not due yet.
        assert_eq!(worker.run_once().await, 0);
        tokio::time::sleep(fast_config().backoff_max).await;
        assert_eq!(worker.run_once().await, 1);
        assert_eq!(
            db.store.outbox_entry(id).await.unwrap().unwrap().attempts,
            2
        );
    }
}
