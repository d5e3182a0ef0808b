//! SMS through the HTTP adapter, against an HTTP test double.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use notify::{DevSink, HttpMethod, SmsConfig, SmsGateway, Worker, WorkerConfig};
use serde_json::json;
use store::outbox::{Channel, OutboxMessage, OutboxStatus};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fast_config;
use crate::support::{TestStore, form_decode, test_stores};

const TEXT: &str =
    "Mektep: № 2026-000001 өтініш тіркелді. Жауап 08.06.2026 дейін. https://m.kz/a/1?x=1&y=\"2\"";

fn sms(phone: &str) -> OutboxMessage {
    OutboxMessage {
        channel: Channel::Sms,
        recipient: phone.into(),
        subject: String::new(),
        body: TEXT.into(),
        attachment_name: None,
        attachment_key: None,
        kind: "submitted".into(),
        language: "kk".into(),
        dedupe_key: None,
    }
}

fn mobizon_at(server: &MockServer) -> SmsConfig {
    let mut c = SmsConfig::mobizon("KEY123", "api.mobizon.kz", Some("Mektep"));
    c.url = c.url.replace("https://api.mobizon.kz", &server.uri());
    c.timeout_secs = 2;
    c
}

fn worker(db: &TestStore, config: SmsConfig, worker_config: WorkerConfig) -> Worker {
    let gateway = SmsGateway::new(config).expect("gateway");
    Worker::new(
        db.store.clone(),
        db.blobs.clone(),
        Arc::new(DevSink),
        Arc::new(gateway),
        worker_config,
    )
    .expect("worker")
}

#[tokio::test]
async fn mobizon_gets_its_form_and_answers_code_zero() {
    for db in test_stores().await {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/service/message/sendsmsmessage"))
            .and(query_param("apiKey", "KEY123"))
            .and(query_param("output", "json"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"code": 0, "data": {"campaignId": "1", "messageId": "2", "status": 1}, "message": ""}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let id = db
            .store
            .enqueue_notification(&sms("+7 701 123 45 67"), Utc::now())
            .await
            .unwrap();
        assert_eq!(
            worker(&db, mobizon_at(&server), fast_config())
                .run_once()
                .await,
            1
        );
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(e.status, OutboxStatus::Delivered, "{:?}", e.last_error);
        let requests = server.received_requests().await.unwrap();
        let form = form_decode(std::str::from_utf8(&requests[0].body).unwrap());
        assert_eq!(form["recipient"], "77011234567");
        assert_eq!(form["text"], TEXT, "the text arrives intact");
        assert_eq!(form["from"], "Mektep");
    }
}

#[tokio::test]
async fn mobizon_validation_error_is_permanent_and_not_retried() {
    for db in test_stores().await {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 1, "data": {"recipient": "Неверный номер"}, "message": "Validation error"})))
            .expect(1)
            .mount(&server)
            .await;
        let id = db
            .store
            .enqueue_notification(&sms("+7 000 000 00 00"), Utc::now())
            .await
            .unwrap();
        let w = worker(&db, mobizon_at(&server), fast_config());
        assert_eq!(w.run_once().await, 1);
        tokio::time::sleep(fast_config().backoff_max * 2).await;
        assert_eq!(
            w.run_once().await,
            0,
            "a permanent refusal is not tried again"
        );
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!((e.status, e.attempts), (OutboxStatus::GivenUp, 1));
        assert!(
            e.last_error.as_deref().unwrap().contains("/code = 1"),
            "{:?}",
            e.last_error
        );
        assert!(
            !e.last_error.as_deref().unwrap().contains("KEY123"),
            "the key stays out of the log"
        );
    }
}

fn generic_at(server: &MockServer) -> SmsConfig {
    SmsConfig {
        url: format!("{}/v1/sms", server.uri()),
        method: HttpMethod::Post,
        auth_header: Some("Authorization: Bearer {secret}".into()),
        secret: "t0k3n".into(),
        body_template: Some(r#"{"to":"{phone}","text":"{text}","ref":"{id}"}"#.into()),
        content_type: "application/json".into(),
        success_pointer: Some("/status".into()),
        success_values: vec![json!("queued")],
        permanent_values: vec![json!("invalid_number")],
        timeout_secs: 1,
    }
}

#[tokio::test]
async fn a_generic_json_gateway_with_a_bearer_token() {
    for db in test_stores().await {
        let server = MockServer::start().await;
        let id = db
            .store
            .enqueue_notification(&sms("+77011234567"), Utc::now())
            .await
            .unwrap();
        Mock::given(method("POST"))
            .and(path("/v1/sms"))
            .and(header("authorization", "Bearer t0k3n"))
            .and(body_json(
                json!({"to": "+77011234567", "text": TEXT, "ref": id.to_string()}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "queued"})))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(
            worker(&db, generic_at(&server), fast_config())
                .run_once()
                .await,
            1
        );
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(e.status, OutboxStatus::Delivered, "{:?}", e.last_error);
    }
}

#[tokio::test]
async fn http_errors_are_sorted_into_retry_and_give_up() {
    // (gateway answer, expected status after one attempt)
    let cases: Vec<(ResponseTemplate, OutboxStatus)> = vec![
        (
            ResponseTemplate::new(400).set_body_string("invalid phone"),
            OutboxStatus::GivenUp,
        ),
        (
            ResponseTemplate::new(422).set_body_string("invalid phone"),
            OutboxStatus::GivenUp,
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"status": "invalid_number"})),
            OutboxStatus::GivenUp,
        ),
        (ResponseTemplate::new(500), OutboxStatus::Pending),
        (ResponseTemplate::new(503), OutboxStatus::Pending),
        (ResponseTemplate::new(429), OutboxStatus::Pending),
        (ResponseTemplate::new(401), OutboxStatus::Pending),
        (
            ResponseTemplate::new(200).set_body_json(json!({"status": "error"})),
            OutboxStatus::Pending,
        ),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "queued"}))
                .set_delay(Duration::from_secs(3)),
            OutboxStatus::Pending,
        ),
    ];
    let dbs = test_stores().await;
    let db = &dbs[0];
    for (answer, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer.clone())
            .mount(&server)
            .await;
        let id = db
            .store
            .enqueue_notification(&sms("+77011234567"), Utc::now())
            .await
            .unwrap();
        assert_eq!(
            worker(db, generic_at(&server), fast_config())
                .run_once()
                .await,
            1
        );
        let e = db.store.outbox_entry(id).await.unwrap().unwrap();
        assert_eq!(e.status, expected, "{answer:?}: {:?}", e.last_error);
        assert!(e.last_error.is_some());
    }
}

#[tokio::test]
async fn a_gateway_outage_is_retried_until_it_recovers() {
    for db in test_stores().await {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0})))
            .mount(&server)
            .await;
        let id = db
            .store
            .enqueue_notification(&sms("+77011234567"), Utc::now())
            .await
            .unwrap();
        let w = worker(&db, mobizon_at(&server), fast_config());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            w.run_once().await;
            let e = db.store.outbox_entry(id).await.unwrap().unwrap();
            if e.status == OutboxStatus::Delivered {
                assert_eq!(e.attempts, 3, "two failures, then success");
                assert!(
                    e.last_error.as_deref().unwrap().contains("503"),
                    "the log keeps the last failure"
                );
                break;
            }
            assert_eq!(e.status, OutboxStatus::Pending);
            assert!(
                tokio::time::Instant::now() < deadline,
                "not delivered in time: {e:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn after_max_age_the_worker_gives_up_with_the_reason() {
    for db in test_stores().await {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let id = db
            .store
            .enqueue_notification(&sms("+77011234567"), Utc::now())
            .await
            .unwrap();
        let config = WorkerConfig {
            max_age: Duration::from_millis(300),
            ..fast_config()
        };
        let w = worker(&db, mobizon_at(&server), config);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let e = loop {
            w.run_once().await;
            let e = db.store.outbox_entry(id).await.unwrap().unwrap();
            if e.status != OutboxStatus::Pending {
                break e;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never gave up: {e:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(e.status, OutboxStatus::GivenUp);
        assert!(e.attempts >= 2, "retried before giving up: {e:?}");
        let reason = e.last_error.unwrap();
        assert!(
            reason.starts_with(&format!("gave up after {} attempts", e.attempts))
                && reason.contains("502"),
            "{reason}"
        );
    }
}
