//! These tests run against SQLite, and also against PostgreSQL when `MEKTEP_TEST_POSTGRES_URL`
//! is set (`.ci/run` sets it): each test gets a fresh database of its own.

use super::*;
use crate::applications::{ApplicationForm, Effect, Scope, Transition, TransitionOutcome};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};

pub(crate) struct TestDb {
    pub store: Store,
    _dir: Option<tempdir::TempDir>,
}

mod tempdir {
    /// A directory removed when dropped (kept dependency-free).
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new() -> TempDir {
            let p =
                std::env::temp_dir().join(format!("mektep-store-test-{}", crate::random_token(8)));
            std::fs::create_dir_all(&p).expect("temp dir");
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// One store per backend under test.
pub(crate) async fn stores() -> Vec<TestDb> {
    let mut out = Vec::new();
    let dir = tempdir::TempDir::new();
    let url = format!("sqlite://{}", dir.0.join("test.db").display());
    let store = Store::open(&StoreConfig {
        url,
        max_connections: 4,
    })
    .await
    .expect("sqlite store");
    out.push(TestDb {
        store,
        _dir: Some(dir),
    });
    if let Ok(base) = std::env::var("MEKTEP_TEST_POSTGRES_URL") {
        let url = create_postgres_database(&base, "mektep_test")
            .await
            .expect("PostgreSQL from MEKTEP_TEST_POSTGRES_URL must be reachable");
        let store = Store::open(&StoreConfig {
            url,
            max_connections: 4,
        })
        .await
        .expect("postgres store");
        out.push(TestDb { store, _dir: None });
    }
    out
}

/// A signer as a certificate names them.
fn test_signer(iin: &str) -> crate::Signer<'_> {
    crate::Signer {
        iin,
        surname: "ТЕСТОВА",
        given_name: "ӘСЕЛ",
        patronymic: None,
        language: "ru",
    }
}

fn test_session(token: &str) -> crate::NewSession<'_> {
    crate::NewSession {
        token,
        csrf_secret: "csrf",
        absolute_ttl: Duration::hours(12),
        answers: None,
    }
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn form(child_iin: &str) -> ApplicationForm {
    ApplicationForm {
        child_iin: child_iin.into(),
        child_surname: "Әлиев".into(),
        child_given_name: "Нұрлан".into(),
        child_patronymic: None,
        child_birth_date: NaiveDate::from_ymd_opt(2019, 3, 15).unwrap(),
        citizenship: "citizen".into(),
        relation: "mother".into(),
        born_abroad: false,
        special_needs: false,
        street_id: None,
        house: None,
        flat: String::new(),
        school_id: None,
        in_territory: false,
        language: Some("kk".into()),
        grade: 1,
        study_form: "full_time".into(),
        age_confirmed: false,
        consent: true,
    }
}

async fn parent_and_campaign(store: &Store) -> (i64, i64) {
    let p = store
        .person_signed_in(
            "123456789011",
            "ТЕСТОВ",
            "ТЕСТ",
            Some("ТЕСТОВИЧ"),
            "kk",
            "test",
            t0(),
        )
        .await
        .unwrap();
    let c = store
        .create_campaign("2026-2027", "{}", "system", "test", t0())
        .await
        .unwrap();
    (p.id, c)
}

/// The parent's draft for the child 190315650018.
async fn draft(s: &Store, parent: i64, campaign: i64) -> i64 {
    try_draft(s, parent, campaign).await.unwrap()
}

async fn try_draft(s: &Store, parent: i64, campaign: i64) -> Result<i64, StoreError> {
    s.create_application(
        campaign,
        parent,
        "electronic",
        &form("190315650018"),
        "test",
        t0(),
    )
    .await
}

#[tokio::test]
async fn migrations_apply_and_store_is_ready() {
    for db in stores().await {
        db.store.readiness().await.unwrap();
        // Opening again is a no-op, not an error.
        assert_eq!(db.store.setting("absent").await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_sign_in_uses_its_challenge_once_and_not_after_it_expires() {
    for db in stores().await {
        let s = &db.store;
        let challenge = |id: &str| crate::Challenge {
            id: id.into(),
            purpose: "login".into(),
            payload: format!("mektep:{id}"),
            created_at: t0(),
            expires_at: t0() + Duration::minutes(5),
        };
        // A sign-in answering `c` at `at`: why it was refused, if it was.
        let sign_in = async |token: &str, c: crate::Challenge, at| {
            let session = crate::NewSession {
                answers: Some(&c),
                ..test_session(token)
            };
            s.sign_in(&test_signer("880101300123"), &session, None, "-", at)
                .await
                .unwrap()
                .err()
        };
        assert_eq!(sign_in("s1", challenge("one"), t0()).await, None);
        // A replay opens no session: the challenge was used up with the first sign-in.
        assert_eq!(
            sign_in("s2", challenge("one"), t0()).await,
            Some(ChallengeRefusal::AlreadyUsed)
        );
        // Nor does a late one; refused as expired, it was not used up: in time, it still works.
        let late = t0() + Duration::minutes(6);
        assert_eq!(
            sign_in("s3", challenge("two"), late).await,
            Some(ChallengeRefusal::Expired)
        );
        assert_eq!(sign_in("s4", challenge("two"), t0()).await, None);
        let idle = Duration::minutes(30);
        for (token, opened) in [("s1", true), ("s2", false), ("s3", false), ("s4", true)] {
            assert_eq!(
                s.signed_in(token, t0(), idle).await.unwrap().is_some(),
                opened,
                "{token}"
            );
        }
        // Its record goes an hour after it expired.
        assert_eq!(
            s.purge_challenges(t0() + Duration::minutes(30))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            s.purge_challenges(t0() + Duration::minutes(66))
                .await
                .unwrap(),
            2
        );
    }
}

#[tokio::test]
async fn one_active_application_per_child() {
    for db in stores().await {
        let s = &db.store;
        let (parent, campaign) = parent_and_campaign(s).await;
        draft(s, parent, campaign).await;
        let second = try_draft(s, parent, campaign).await;
        assert!(
            matches!(second, Err(StoreError::Conflict("child_has_application"))),
            "{second:?}"
        );
    }
}

#[tokio::test]
async fn submit_is_idempotent_and_scoped_to_the_parent() {
    for db in stores().await {
        let s = &db.store;
        let (parent, campaign) = parent_and_campaign(s).await;
        let id = draft(s, parent, campaign).await;
        let told = [crate::outbox::OutboxMessage {
            channel: crate::outbox::Channel::Sms,
            recipient: "+77012345678".into(),
            subject: String::new(),
            body: "submitted".into(),
            attachment_name: None,
            attachment_key: None,
            kind: "submitted".into(),
            language: "kk".into(),
            dedupe_key: None,
        }];
        let tell = |number: Option<&str>| -> Vec<crate::outbox::OutboxMessage> {
            told.iter()
                .map(|m| crate::outbox::OutboxMessage {
                    body: format!("{number:?}"),
                    ..m.clone()
                })
                .collect()
        };
        let submit = |key: &'static str, scope| Transition {
            application_id: id,
            scope,
            from: "draft",
            to: "submitted",
            actor_id: Some(parent),
            actor: "person:1",
            action: "submit",
            source: "test",
            effect: Effect::Submit {
                submit_key: key,
                signed_document: "{}",
                signature_cms: "cms",
                received_on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                deadline: NaiveDate::from_ymd_opt(2026, 6, 8).unwrap(),
            },
            notifications: &tell,
            issues: None,
        };
        assert!(matches!(
            s.transition_application(&submit("k1", Scope::Parent(parent + 100)), t0())
                .await,
            Err(StoreError::NotFound)
        ));
        let first = s
            .transition_application(&submit("k1", Scope::Parent(parent)), t0())
            .await
            .unwrap();
        let TransitionOutcome::Done {
            number: Some(number),
        } = first
        else {
            panic!("{first:?}")
        };
        assert_eq!(number, format!("2026-{id:06}"));
        // The evidence is kept in the application's row, though pages no longer read it with it.
        let kept: (Option<String>, Option<String>) = crate::with_pool!(&s.read, |pool| {
            sqlx::query_as("SELECT signed_document, signature_cms FROM applications WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(kept, (Some("{}".to_owned()), Some("cms".to_owned())));
        let again = s
            .transition_application(&submit("k1", Scope::Parent(parent)), t0())
            .await
            .unwrap();
        assert_eq!(
            again,
            TransitionOutcome::AlreadyDone {
                number: Some(number)
            }
        );
        let other = s
            .transition_application(&submit("k2", Scope::Parent(parent)), t0())
            .await
            .unwrap();
        assert_eq!(
            other,
            TransitionOutcome::StateChanged {
                now: "submitted".into()
            }
        );
        // Its history, oldest first, as the status page reads it.
        let (_, _, history) = s
            .application_with_history(id, Scope::Parent(parent))
            .await
            .unwrap()
            .unwrap();
        let seen: Vec<(&str, Option<i64>, Option<&str>, _)> = history
            .iter()
            .map(|e| (e.status.as_str(), e.actor_id, e.comment.as_deref(), e.at))
            .collect();
        assert_eq!(
            seen,
            [
                ("draft", Some(parent), None, t0()),
                ("submitted", Some(parent), None, t0())
            ]
        );
        assert!(history[0].id < history[1].id && history.iter().all(|e| e.application_id == id));
        // The notification committed with the submission, once: not for the refused scope,
        // the repeat or the stale attempt.
        let queued = s.outbox_log(&Default::default(), 10).await.unwrap();
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!(
            queued[0].body,
            format!("Some({:?})", format!("2026-{id:06}")),
            "made from the assigned number"
        );
    }
}

#[tokio::test]
async fn a_school_decision_is_scoped_to_the_school_and_to_the_state_it_saw() {
    for db in stores().await {
        let s = &db.store;
        let (parent, campaign) = parent_and_campaign(s).await;
        let school = |bin: &'static str| NewSchool {
            bin,
            name_kk: "мектеп",
            name_ru: "школа",
            address: "Ақтөбе",
            phone: "",
            email: "",
            design_capacity: 500,
            places: &[("kk", 25)],
        };
        let ours = s
            .create_school(&school("950140010007"), "test", "test", t0())
            .await
            .unwrap();
        let theirs = s
            .create_school(&school("960240010002"), "test", "test", t0())
            .await
            .unwrap();
        let id = s
            .create_application(
                campaign,
                parent,
                "electronic",
                &ApplicationForm {
                    school_id: Some(ours),
                    ..form("190315650018")
                },
                "test",
                t0(),
            )
            .await
            .unwrap();
        let decide = |scope, from, effect| Transition {
            application_id: id,
            scope,
            from,
            to: "returned",
            actor_id: None,
            actor: "staff:1",
            action: "return_for_correction",
            source: "test",
            effect,
            notifications: &applications::no_notifications,
            issues: None,
        };
        let returned = || Effect::Decide {
            comment: Some("the photo is blurred"),
            refusal_ground: None,
        };
        let status = || async {
            s.application(id, Scope::Parent(parent))
                .await
                .unwrap()
                .expect("the application")
                .status
        };
        // Another school's clerk changes nothing, with or without a decision's effect: as for
        // no such application.
        for effect in [returned(), Effect::None] {
            assert!(matches!(
                s.transition_application(&decide(Scope::School(theirs), "draft", effect), t0())
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        assert_eq!(status().await, "draft");
        // Its own school, from a state that no longer holds: told what it is now.
        assert_eq!(
            s.transition_application(&decide(Scope::School(ours), "submitted", returned()), t0())
                .await
                .unwrap(),
            TransitionOutcome::StateChanged {
                now: "draft".into()
            }
        );
        assert_eq!(status().await, "draft");
        // From the state it saw: done.
        assert!(matches!(
            s.transition_application(&decide(Scope::School(ours), "draft", returned()), t0())
                .await
                .unwrap(),
            TransitionOutcome::Done { .. }
        ));
        let after = s
            .application(id, Scope::School(ours))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (after.status.as_str(), after.staff_comment.as_deref()),
            ("returned", Some("the photo is blurred"))
        );
    }
}

#[tokio::test]
async fn audit_chain_detects_changes_and_removals() {
    for db in stores().await {
        let s = &db.store;
        for i in 0..5 {
            let details = format!("event {i}");
            s.audit(
                &AuditEntry {
                    actor: "system",
                    action: "test",
                    object: "x:1",
                    details: &details,
                    source: "test",
                },
                t0(),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            s.verify_audit_chain().await.unwrap(),
            AuditVerification::Intact { records: 5 }
        );
        with_pool!(&s.write, |pool| {
            sqlx::query("UPDATE audit_log SET details = 'forged' WHERE id = 3")
                .execute(pool)
                .await
                .unwrap();
        });
        assert!(matches!(
            s.verify_audit_chain().await.unwrap(),
            AuditVerification::Broken { at_record: 3, .. }
        ));
        with_pool!(&s.write, |pool| {
            sqlx::query("UPDATE audit_log SET details = 'event 2' WHERE id = 3")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("DELETE FROM audit_log WHERE id = 5")
                .execute(pool)
                .await
                .unwrap();
        });
        assert!(matches!(
            s.verify_audit_chain().await.unwrap(),
            AuditVerification::Broken { at_record: 5, .. }
        ));
    }
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    for db in stores().await {
        let s = &db.store;
        let (parent, _) = parent_and_campaign(s).await;
        s.create_session("tok", parent, "csrf", t0(), Duration::hours(12))
            .await
            .unwrap();
        assert!(
            s.session("tok", t0() + Duration::minutes(10), Duration::minutes(30))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.session("tok", t0() + Duration::minutes(50), Duration::minutes(30))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.session("tok", t0(), Duration::minutes(30))
                .await
                .unwrap()
                .is_none(),
            "an expired session is deleted"
        );
    }
}

#[tokio::test]
async fn a_sign_in_records_the_person_opens_a_session_and_replaces_the_old_one_in_one_step() {
    for db in stores().await {
        let s = &db.store;
        let iin = "880101300123";
        s.grant_staff_role(iin, StaffRoleKind::Admin, None, "test", "-", t0())
            .await
            .unwrap();
        let signer = test_signer(iin);
        let (person, roles) = s
            .sign_in(&signer, &test_session("first"), None, "10.0.0.1", t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((person.iin.as_str(), person.language.as_str()), (iin, "ru"));
        assert_eq!(
            roles.len(),
            1,
            "the roles granted to the IIN come with the sign-in"
        );
        let idle = Duration::minutes(30);
        assert!(s.signed_in("first", t0(), idle).await.unwrap().is_some());

        // Signing in again from the same browser: a new session, the old one gone, same person.
        let (again, _) = s
            .sign_in(
                &signer,
                &test_session("second"),
                Some("first"),
                "10.0.0.1",
                t0(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, person.id);
        assert!(s.signed_in("first", t0(), idle).await.unwrap().is_none());
        assert!(s.signed_in("second", t0(), idle).await.unwrap().is_some());
        let sign_ins = s
            .audit_search(&format!("person:{}", person.id), "", 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "sign_in")
            .count();
        assert_eq!(sign_ins, 2, "each sign-in is in the audit log");
    }
}

#[tokio::test]
async fn the_signed_in_person_comes_with_their_roles_in_one_query_and_expires_the_same() {
    for db in stores().await {
        let s = &db.store;
        let (parent, _) = parent_and_campaign(s).await;
        s.create_session("tok", parent, "csrf", t0(), Duration::hours(12))
            .await
            .unwrap();
        let at = t0() + Duration::minutes(10);
        let idle = Duration::minutes(30);
        let (session, person, roles) = s.signed_in("tok", at, idle).await.unwrap().unwrap();
        let expected = s.person(parent).await.unwrap();
        assert_eq!(session.person_id, parent);
        assert_eq!(session.csrf_secret, "csrf");
        assert_eq!(
            (person.id, &person.iin, &person.surname, person.created_at),
            (
                expected.id,
                &expected.iin,
                &expected.surname,
                expected.created_at
            )
        );
        assert!(roles.is_empty(), "a parent has no staff roles");

        // Two roles, one of them revoked: only the live one comes back.
        let admin = s
            .grant_staff_role(&person.iin, StaffRoleKind::Admin, None, "test", "-", t0())
            .await
            .unwrap();
        s.grant_staff_role(&person.iin, StaffRoleKind::Clerk, None, "test", "-", t0())
            .await
            .unwrap();
        s.revoke_staff_role(admin, "test", "-", t0()).await.unwrap();
        let (_, _, roles) = s.signed_in("tok", at, idle).await.unwrap().unwrap();
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0].kind(), Some(StaffRoleKind::Clerk));
        assert_eq!(roles[0].school_id, None);
        assert_eq!(
            roles.iter().map(|r| r.id).collect::<Vec<_>>(),
            s.staff_roles(&person.iin)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        );

        // Idle too long: gone, and deleted.
        assert!(
            s.signed_in("tok", t0() + Duration::minutes(50), idle)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.signed_in("tok", at, idle).await.unwrap().is_none());
        assert!(
            s.signed_in("no such token", at, idle)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn photos_picked_together_are_attached_all_or_none_with_one_audit_record_naming_each() {
    for db in stores().await {
        let s = &db.store;
        let (parent, campaign) = parent_and_campaign(s).await;
        let id = draft(s, parent, campaign).await;
        let blobs: Vec<StoredBlob> = (1..=2)
            .map(|n| StoredBlob {
                key: format!("{n:032x}"),
                sha256: "0".repeat(64),
                size: n,
            })
            .collect();
        let uploads: Vec<applications::DocumentUpload<'_>> = blobs
            .iter()
            .map(|blob| applications::DocumentUpload {
                kind: "photo_3x4",
                blob,
                original_name: "photo.jpg",
                content_type: "image/jpeg",
            })
            .collect();
        // Not the parent's: nothing is attached, and no audit record is written.
        let audited = s.audit_search("", "application:", 100).await.unwrap().len();
        assert!(matches!(
            s.add_documents(id, parent + 100, &uploads, "test", t0())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(s.documents(id).await.unwrap().is_empty());
        assert_eq!(
            s.audit_search("", "application:", 100).await.unwrap().len(),
            audited
        );

        let ids = s
            .add_documents(id, parent, &uploads, "test", t0())
            .await
            .unwrap();
        assert_eq!(ids.len(), 2);
        let docs = s.documents(id).await.unwrap();
        assert_eq!(docs.len(), 2);
        // Inserted in one statement, each id still belongs to its own file.
        for (blob, doc_id) in blobs.iter().zip(&ids) {
            let doc = docs.iter().find(|d| d.id == *doc_id).expect("a row per id");
            assert_eq!(doc.storage_key, blob.key);
            assert_eq!(doc.size_bytes, blob.size as i64);
        }
        let added = s
            .audit_search(
                &format!("person:{parent}"),
                &format!("application:{id}"),
                100,
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "add_document")
            .collect::<Vec<_>>();
        assert_eq!(added.len(), 1, "one audit record for the upload");
        for doc in &docs {
            assert!(
                added[0]
                    .details
                    .contains(&format!("photo_3x4 document:{}", doc.id)),
                "the record names every file: {}",
                added[0].details
            );
        }
        assert!(matches!(
            s.verify_audit_chain().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn an_application_comes_with_its_documents_in_one_query_as_in_two() {
    for db in stores().await {
        let s = &db.store;
        let (parent, campaign) = parent_and_campaign(s).await;
        let id = draft(s, parent, campaign).await;
        let scoped = Scope::Parent(parent);
        let (alone, none) = s
            .application_with_documents(id, scoped)
            .await
            .unwrap()
            .expect("the parent's own");
        assert!(none.is_empty(), "no documents yet: {none:?}");
        assert_eq!(
            format!("{alone:?}"),
            format!("{:?}", s.application(id, scoped).await.unwrap().unwrap())
        );
        for (kind, n) in [("photo_3x4", 1), ("birth_certificate", 2), ("photo_3x4", 3)] {
            let blob = StoredBlob {
                key: format!("{n:032x}"),
                sha256: "0".repeat(64),
                size: n,
            };
            s.add_document(
                id,
                parent,
                kind,
                &blob,
                "f.pdf",
                "application/pdf",
                "test",
                // A time with a fraction of a second, as the service's clock gives: it comes
                // back the same through the documents' JSON as through their rows.
                t0() + chrono::Duration::nanoseconds(123_456_789 * n as i64),
            )
            .await
            .unwrap();
        }
        let (a, docs) = s
            .application_with_documents(id, scoped)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            format!("{a:?}"),
            format!("{:?}", s.application(id, scoped).await.unwrap().unwrap())
        );
        assert_eq!(
            format!("{docs:?}"),
            format!("{:?}", s.documents(id).await.unwrap()),
            "the same documents in the same order"
        );
        assert_eq!(docs.len(), 3);
        // With its history too, for the status page: the same again, and the draft's creation
        // (a submission's history: `submit_is_idempotent_and_scoped_to_the_parent`).
        let (with_history, docs_again, events) = s
            .application_with_history(id, scoped)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(format!("{with_history:?}"), format!("{a:?}"));
        assert_eq!(format!("{docs_again:?}"), format!("{docs:?}"));
        assert_eq!(
            events
                .iter()
                .map(|e| (e.status.as_str(), e.actor_id))
                .collect::<Vec<_>>(),
            [("draft", Some(parent))]
        );
        // Another parent's, or a school's that it is not addressed to: nothing, as for no such id.
        for scope in [Scope::Parent(parent + 100), Scope::School(987_654)] {
            assert!(
                s.application_with_documents(id, scope)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                s.application_with_history(id, scope)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        assert!(
            s.application_with_documents(id + 100, scoped)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.application_with_documents(id, Scope::City)
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test]
async fn the_status_page_reads_who_is_signed_in_with_the_application_as_apart() {
    for db in stores().await {
        let (parent, campaign) = parent_and_campaign(&db.store).await;
        let id = draft(&db.store, parent, campaign).await;
        let blob = StoredBlob {
            key: format!("{:032x}", 1),
            sha256: "0".repeat(64),
            size: 3,
        };
        db.store
            .add_document(
                id,
                parent,
                "photo_3x4",
                &blob,
                "f.pdf",
                "application/pdf",
                "test",
                t0(),
            )
            .await
            .unwrap();
        let other = db
            .store
            .person_signed_in("900202400234", "B", "C", None, "ru", "test", t0())
            .await
            .unwrap();
        for keep in [0, 600] {
            // Not remembered (the one query), and remembered (the application read alone).
            let s = &db
                .store
                .clone()
                .remember_signed_in_for(std::time::Duration::from_secs(keep));
            let token = format!("tok-{keep}");
            s.create_session(&token, parent, "csrf", t0(), Duration::hours(12))
                .await
                .unwrap();
            let at = t0() + Duration::minutes(10);
            let idle = Duration::minutes(30);
            for _ in 0..2 {
                let (who, application) = s
                    .signed_in_with_application(&token, at, idle, id)
                    .await
                    .unwrap();
                assert_eq!(
                    format!("{who:?}"),
                    format!("{:?}", s.signed_in(&token, at, idle).await.unwrap())
                );
                assert_eq!(
                    format!("{application:?}"),
                    format!(
                        "{:?}",
                        s.application_with_history(id, Scope::Parent(parent))
                            .await
                            .unwrap()
                    )
                );
                let (_, docs, events) = application.expect("the parent's own");
                assert_eq!((docs.len(), events.len()), (1, 1));
            }
            // No such application, or another parent's: signed in, no application.
            let (who, none) = s
                .signed_in_with_application(&token, at, idle, id + 1000)
                .await
                .unwrap();
            assert!(who.is_some() && none.is_none());
            let other_token = format!("other-{keep}");
            s.create_session(&other_token, other.id, "c", t0(), Duration::hours(12))
                .await
                .unwrap();
            // Twice: the second time who is signed in is remembered (where it is).
            for _ in 0..2 {
                let (who, none) = s
                    .signed_in_with_application(&other_token, at, idle, id)
                    .await
                    .unwrap();
                assert_eq!(who.map(|(_, p, _)| p.id), Some(other.id));
                assert!(none.is_none(), "another parent's application is not read");
            }
            // Idle too long, or no such session: neither, and the session is gone.
            let late = t0() + Duration::minutes(50);
            let (who, none) = s
                .signed_in_with_application(&token, late, idle, id)
                .await
                .unwrap();
            assert!(who.is_none() && none.is_none());
            assert!(s.signed_in(&token, at, idle).await.unwrap().is_none());
            let (who, none) = s
                .signed_in_with_application("no such token", at, idle, id)
                .await
                .unwrap();
            assert!(who.is_none() && none.is_none());
        }
    }
}

#[tokio::test]
async fn who_is_signed_in_is_remembered_and_forgotten_at_once_when_this_process_changes_it() {
    for db in stores().await {
        // Two instances of the service on one database: `here` remembers, `there` does not.
        let here = db
            .store
            .clone()
            .remember_signed_in_for(std::time::Duration::from_secs(600));
        let there = &db.store;
        let idle = Duration::minutes(30);
        let signer = test_signer("880101300123");
        let (person, _) = here
            .sign_in(&signer, &test_session("one"), None, "-", t0())
            .await
            .unwrap()
            .unwrap();
        here.sign_in(&signer, &test_session("two"), None, "-", t0())
            .await
            .unwrap()
            .unwrap();

        // Ended by the other instance: remembered here for a while, gone there.
        assert!(here.signed_in("one", t0(), idle).await.unwrap().is_some());
        there.delete_session("one").await.unwrap();
        assert!(there.signed_in("one", t0(), idle).await.unwrap().is_none());
        assert!(
            here.signed_in("one", t0(), idle).await.unwrap().is_some(),
            "remembered: the database was not asked"
        );
        // Ended here: gone at once.
        here.delete_session("one").await.unwrap();
        assert!(here.signed_in("one", t0(), idle).await.unwrap().is_none());
        // Replaced by another person's sign-in from the same browser, here: gone at once.
        let other = test_signer("900202400234");
        here.sign_in(&other, &test_session("three"), None, "-", t0())
            .await
            .unwrap()
            .unwrap();
        assert!(here.signed_in("three", t0(), idle).await.unwrap().is_some());
        here.sign_in(&signer, &test_session("four"), Some("three"), "-", t0())
            .await
            .unwrap()
            .unwrap();
        assert!(here.signed_in("three", t0(), idle).await.unwrap().is_none());

        // A change to the person, or to anyone's roles, made here is seen on the next request.
        here.set_person_language(person.id, "en").await.unwrap();
        let (_, p, roles) = here.signed_in("two", t0(), idle).await.unwrap().unwrap();
        assert_eq!((p.language.as_str(), roles.len()), ("en", 0));
        let role = here
            .grant_staff_role(&p.iin, StaffRoleKind::Admin, None, "test", "-", t0())
            .await
            .unwrap();
        let (_, _, roles) = here.signed_in("two", t0(), idle).await.unwrap().unwrap();
        assert_eq!(roles.len(), 1);
        here.revoke_staff_role(role, "test", "-", t0())
            .await
            .unwrap();
        let (_, _, roles) = here.signed_in("two", t0(), idle).await.unwrap().unwrap();
        assert!(
            roles.is_empty(),
            "a revoked role is gone at the next request"
        );

        // A remembered session still ends when idle, and its use is still written.
        let at = |minutes| t0() + Duration::minutes(minutes);
        assert!(here.signed_in("two", at(4), idle).await.unwrap().is_some());
        assert!(
            there.session("two", at(31), idle).await.unwrap().is_some(),
            "the use at 4 minutes was written to the database"
        );
        // Idle by what is remembered here (last used at 4), but in use at 31 on the other
        // instance: the database decides.
        assert!(here.signed_in("two", at(40), idle).await.unwrap().is_some());
        assert!(here.signed_in("two", at(80), idle).await.unwrap().is_none());
        assert!(there.session("two", at(41), idle).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_session_is_written_again_only_after_a_tenth_of_its_idle_time() {
    for db in stores().await {
        let s = &db.store;
        let (parent, _) = parent_and_campaign(s).await;
        let idle = Duration::minutes(30);
        let at = |minutes| t0() + Duration::minutes(minutes);
        for token in ["early", "late"] {
            s.create_session(token, parent, "csrf", t0(), Duration::hours(12))
                .await
                .unwrap();
        }
        // Used 2 minutes in: not written (less than 3), so it ends 30 minutes after its start.
        assert!(s.session("early", at(2), idle).await.unwrap().is_some());
        assert!(s.session("early", at(31), idle).await.unwrap().is_none());
        // Used 4 minutes in: written, so it lives until 34.
        assert!(s.session("late", at(4), idle).await.unwrap().is_some());
        assert!(s.session("late", at(31), idle).await.unwrap().is_some());
        assert!(s.session("late", at(62), idle).await.unwrap().is_none());
    }
}

/// Statements nobody waits for (`Deferred`): on PostgreSQL they go out with the transaction's
/// next statement or its commit, and their failure must reach the caller all the same.
#[tokio::test]
async fn a_deferred_statement_commits_with_its_transaction_or_fails_it() {
    const INSERT: &str = "INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, '')";
    const COUNT: &str = "SELECT count(*) FROM calendar_days";
    let day = |d: u32| NaiveDate::from_ymd_opt(2031, 1, d).expect("a date");
    // Executed and waited for: it also prepares the statement on the transaction's connection,
    // which PostgreSQL needs before it defers the same statement.
    macro_rules! insert_at_once {
        ($conn:ident, $d:expr) => {
            sqlx::query(INSERT)
                .bind(day($d))
                .bind("day_off")
                .execute(&mut *$conn)
                .await
                .expect("insert")
        };
    }
    for db in stores().await {
        let s = &db.store;
        let days = || async {
            s.calendar_days()
                .await
                .expect("calendar")
                .into_iter()
                .map(|(d, _, _)| d)
                .filter(|d| d.year() == 2031)
                .collect::<Vec<_>>()
        };
        // Deferred after the statement was prepared on this connection, and committed.
        let mut tx = s.begin().await.expect("begin");
        with_tx!(&mut tx, |conn| {
            insert_at_once!(conn, 1);
            for d in [2, 3] {
                conn.execute_deferred(sqlx::query(INSERT).bind(day(d)).bind("day_off"))
                    .await
                    .expect("deferred insert");
            }
        });
        tx.commit().await.expect("commit");
        assert_eq!(days().await, vec![day(1), day(2), day(3)]);

        // One of them breaks the CHECK on the kind: the commit that carries it fails (SQLite
        // fails the statement itself), and none of the transaction's rows is kept.
        let mut tx = s.begin().await.expect("begin");
        let on_postgres = matches!(tx, Tx::Postgres(_));
        let failed = with_tx!(&mut tx, |conn| {
            insert_at_once!(conn, 4);
            let fine = conn
                .execute_deferred(sqlx::query(INSERT).bind(day(5)).bind("day_off"))
                .await;
            let broken = conn
                .execute_deferred(sqlx::query(INSERT).bind(day(6)).bind("no such kind"))
                .await;
            fine.is_err() || broken.is_err()
        });
        // On PostgreSQL nothing was sent yet: had the statement not been deferred, its own
        // call would have failed.
        assert!(
            !(on_postgres && failed),
            "PostgreSQL sent a deferred statement at once"
        );
        let committed = if failed {
            drop(tx);
            false
        } else {
            tx.commit().await.is_ok()
        };
        assert!(
            !committed,
            "a transaction with a failed statement committed"
        );

        // The failure reaches the transaction's next statement too, not only its commit.
        let mut tx = s.begin().await.expect("begin");
        let failed = with_tx!(&mut tx, |conn| {
            insert_at_once!(conn, 7);
            let broken = conn
                .execute_deferred(sqlx::query(INSERT).bind(day(1)).bind("day_off"))
                .await;
            let next: Result<i64, _> = sqlx::query_scalar(COUNT).fetch_one(&mut *conn).await;
            broken.is_err() || next.is_err()
        });
        assert!(failed, "a duplicate day went unnoticed");
        drop(tx);

        // A transaction dropped with a deferred statement not yet sent keeps nothing either,
        // and its connection serves the next one.
        for _ in 0..8 {
            let mut tx = s.begin().await.expect("begin");
            with_tx!(&mut tx, |conn| {
                insert_at_once!(conn, 8);
                conn.execute_deferred(sqlx::query(INSERT).bind(day(9)).bind("day_off"))
                    .await
                    .expect("deferred insert");
            });
            drop(tx);
        }
        let mut tx = s.begin().await.expect("begin");
        with_tx!(&mut tx, |conn| {
            conn.execute_deferred(sqlx::query(INSERT).bind(day(10)).bind("day_off"))
                .await
                .expect("deferred insert")
        });
        tx.commit().await.expect("commit");
        assert_eq!(days().await, vec![day(1), day(2), day(3), day(10)]);
    }
}
