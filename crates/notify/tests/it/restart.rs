//! The acceptance test: kill the server while the mail server is down and 1,000
//! messages are queued, start it again with the mail server up: all 1,000 arrive, each once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use notify::{DevSink, Worker, WorkerConfig};
use store::outbox::{OutboxCounts, OutboxFilter};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::email::{email, smtp_to};
use crate::fast_config;
use crate::support::{Part, SmtpServer, closed_port, decode_header, test_stores};

const N: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_messages_survive_a_crash_while_the_mail_server_is_down() {
    for db in test_stores().await {
        let port = closed_port().await;
        let msgs: Vec<_> = (0..N)
            .map(|i| email(&format!("parent{i}@example.kz"), &format!("Message {i:04}")))
            .collect();
        db.store
            .enqueue_notifications(&msgs, Utc::now())
            .await
            .unwrap();
        let config = WorkerConfig {
            batch: 50,
            ..fast_config()
        };

        // Another instance dies holding a batch it claimed.
        let lease = chrono::Duration::from_std(config.lease).unwrap();
        let orphaned = db
            .store
            .claim_outbox("crashed-instance", Utc::now(), lease, 50)
            .await
            .unwrap();
        assert_eq!(orphaned.len(), 50);

        // First life: the mail server is down.
        let first = Worker::new(
            db.store.clone(),
            db.blobs.clone(),
            smtp_to(port),
            Arc::new(DevSink),
            config.clone(),
        )
        .unwrap();
        let (_keep, shutdown) = watch::channel(false);
        let life = tokio::spawn(first.run(shutdown));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // kill -9: no graceful stop; the sends in flight are dropped where they are.
        life.abort();
        let _ = life.await;
        assert_eq!(
            db.store.outbox_counts().await.unwrap(),
            OutboxCounts {
                pending: N as i64,
                delivered: 0,
                given_up: 0
            },
            "{}: nothing delivered, nothing lost",
            db.backend
        );
        let log = db
            .store
            .outbox_log(&OutboxFilter::default(), N as i64)
            .await
            .unwrap();
        let failed = log.iter().filter(|e| e.last_error.is_some()).count();
        assert!(
            failed > 100,
            "{}: the first life kept trying ({failed} rows failed)",
            db.backend
        );

        // Second life: the mail server is up on the same port; three instances share the queue.
        let server = SmtpServer::start_on(port).await;
        let started = Instant::now();
        let (stop, shutdown) = watch::channel(false);
        let mut lives = Vec::new();
        for _ in 0..3 {
            let store = db.another_instance().await;
            let w = Worker::new(
                store,
                db.blobs.clone(),
                smtp_to(port),
                Arc::new(DevSink),
                config.clone(),
            )
            .unwrap();
            lives.push(tokio::spawn(w.run(shutdown.clone())));
        }
        let deadline = started + Duration::from_secs(120);
        loop {
            let counts = db.store.outbox_counts().await.unwrap();
            assert_eq!(counts.given_up, 0, "{}: nothing given up", db.backend);
            if counts.delivered == N as i64 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: only {} of {N} delivered",
                db.backend,
                counts.delivered
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.send(true).unwrap();
        for life in lives {
            tokio::time::timeout(Duration::from_secs(10), life)
                .await
                .expect("workers stop")
                .unwrap();
        }
        eprintln!(
            "{}: {N} delivered {:?} after the restart",
            db.backend,
            started.elapsed()
        );

        // Every row is delivered, so nothing more can go out: what arrived is final.
        let received = server.received();
        assert_eq!(
            received.len(),
            N,
            "{}: each message exactly once",
            db.backend
        );
        let mut subjects = HashSet::new();
        let mut message_ids = HashSet::new();
        for r in &received {
            let mail = Part::parse(&r.data);
            let subject = decode_header(mail.header("Subject").unwrap());
            let i: usize = subject.strip_prefix("Message ").unwrap().parse().unwrap();
            assert_eq!(
                r.rcpt_to,
                [format!("parent{i}@example.kz")],
                "to the right parent"
            );
            subjects.insert(subject);
            message_ids.insert(mail.header("Message-ID").unwrap().to_owned());
        }
        assert_eq!(subjects.len(), N, "{}: 1,000 distinct messages", db.backend);
        assert_eq!(message_ids.len(), N);
        let orphan_ids: HashSet<i64> = orphaned.iter().map(|m| m.id).collect();
        let log = db
            .store
            .outbox_log(&OutboxFilter::default(), N as i64)
            .await
            .unwrap();
        assert!(
            log.iter()
                .filter(|e| orphan_ids.contains(&e.id))
                .all(|e| e.delivered_at.is_some() && e.attempts >= 2),
            "the dead instance's batch was taken over after its lease"
        );
    }
}
