//! The server's log holds no personal data: a whole flow (sign-in with a refused expired key,
//! contacts, an application with documents, review, acceptance and refusal, searches with an
//! IIN in the query, the periodic jobs, and deliveries that fail with an error echoing the
//! address) runs with every log line of our crates captured, at the most verbose level; none
//! may name the IINs, names, phone numbers or e-mail addresses used.

use std::sync::{Arc, Mutex};

use super::*;
use notify::{ClaimedMessage, SendError, SendFuture, Transport, Worker, WorkerConfig};
use pki::testca::Validity;

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// A mail server or SMS gateway that refuses with an error naming the recipient, as real ones do.
struct EchoingRefusal;

impl Transport for EchoingRefusal {
    fn send<'a>(&'a self, msg: &'a ClaimedMessage, _: Option<Vec<u8>>) -> SendFuture<'a> {
        Box::pin(async move {
            Err(SendError::Temporary(format!(
                "550 5.1.1 <{}>: recipient rejected",
                msg.recipient
            )))
        })
    }
}

#[tokio::test]
async fn the_log_of_a_whole_flow_names_no_person() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let c = captured.clone();
            move || c.clone()
        })
        .with_ansi(false)
        // Every level of the service's own crates and of the HTTP layer; the test's HTTP
        // client (reqwest, hyper) is not the server.
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,hyper=off,hyper_util=off,reqwest=off,h2=off,rustls=off,cookie_store=off",
        ))
        .finish();
    // The process-wide subscriber (no other test sets one): a thread-local one misses events
    // whose callsites other tests' threads registered first. Other tests' lines land here too,
    // and are held to the same rule.
    tracing::subscriber::set_global_default(subscriber).expect("the only log subscriber");

    let email = "aigerim.abilova@example.kz";
    let phone = "+7 701 555 44 33";
    let child_iin = valid_iin("2007155");
    let mut secrets: Vec<String> = vec![
        "900512400123".into(), // the parent
        CHILD.into(),
        child_iin.clone(),
        CLERK_A_IIN.into(),
        "ӘБІЛОВА".into(),
        "АЙГЕРІМ".into(),
        "Аружан".into(),
        "НҰРЛАНОВА".into(),
        "ГҮЛНАР".into(),
        "ЕСКІ".into(),
        email.into(),
        "aigerim.abilova".into(),
        "7015554433".into(),
        "701 555 44 33".into(),
    ];

    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();

        // A sign-in with an expired key is refused; the refusal is logged without its subject.
        let old_iin = valid_iin("6001013");
        secrets.push(old_iin.clone());
        let expired =
            f.ca.issue_person(
                &old_iin,
                "ЕСКІ",
                "КІЛТ",
                None,
                KeyKind::Auth,
                Validity {
                    not_before: Utc::now() - chrono::Duration::days(400),
                    not_after: Utc::now() - chrono::Duration::days(35),
                },
            )
            .expect("expired key");
        let r = sign_in(&app, &client(), &expired).await;
        assert_ne!(r.status(), 200, "an expired key signs nobody in");

        let parent = client();
        sign_in(&app, &parent, &f.parent_a.auth).await;
        confirm_contacts(&app, &parent, email, phone).await;
        let path = apply_and_submit(&app, &parent, &f.parent_a, CHILD, "2020-03-15").await;
        let id = path.rsplit('/').next().expect("id").to_owned();
        let path2 = apply_and_submit(&app, &parent, &f.parent_a, &child_iin, "2020-07-15").await;
        let id2 = path2.rsplit('/').next().expect("id").to_owned();

        let clerk = client();
        sign_in(&app, &clerk, &f.clerk_a.auth).await;
        page(&clerk, &format!("{}/school/applications/{id}", app.base)).await;
        page(
            &clerk,
            &format!("{}/school/applications/{id}/documents/1", app.base),
        )
        .await;
        // Query strings carry what people type (an IIN searched for): never logged.
        for url in [
            format!("/school?q={CHILD}"),
            format!("/admin/audit?actor=admin:{CLERK_A_IIN}&object={child_iin}"),
            format!("/applications?q={email}"),
        ] {
            page(&clerk, &format!("{}{url}", app.base)).await;
        }
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id,
            &[("decision", "accept")],
        )
        .await;
        decide_and_sign(
            &app,
            &clerk,
            &f.clerk_a.sign,
            &id2,
            &[
                ("decision", "refuse"),
                ("ground", "incomplete_documents"),
                ("grounds_text", "026/у-3 жоқ"),
            ],
        )
        .await;
        assert_eq!(
            app.store
                .application(id2.parse().expect("id"), store::applications::Scope::City)
                .await
                .expect("db")
                .expect("app")
                .status,
            "refused"
        );

        // The periodic jobs, and deliveries that fail with the address in the error.
        web::jobs::run_once(&app.state, Utc::now())
            .await
            .expect("jobs");
        web::jobs::purge_expired_documents(&app.state, Utc::now())
            .await
            .expect("retention");
        let worker = Worker::new(
            app.store.clone(),
            app.state.blobs.clone(),
            Arc::new(EchoingRefusal),
            Arc::new(EchoingRefusal),
            WorkerConfig::default(),
        )
        .expect("worker");
        assert!(worker.run_once().await > 0, "messages were waiting");
    }

    let log = captured.text();
    assert!(
        log.contains("request") && log.contains("delivery failed"),
        "the log was captured: {} bytes",
        log.len()
    );
    let lower = log.to_lowercase();
    let found: Vec<&String> = secrets
        .iter()
        .filter(|s| lower.contains(&s.to_lowercase()))
        .collect();
    let mut lines = Vec::new();
    for s in &found {
        if let Some(line) = log
            .lines()
            .find(|l| l.to_lowercase().contains(&s.to_lowercase()))
        {
            lines.push(line.to_owned());
        }
    }
    assert!(
        found.is_empty(),
        "personal data in the log: {found:?}\n{}",
        lines.join("\n")
    );
}
