//! Backups (taken while writes go on, restored into an empty database and compared) and
//! retention, on SQLite and, with `MEKTEP_TEST_POSTGRES_URL`, on PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::*;
use crate::applications::{ApplicationForm, Scope};
use crate::sealed::{Keyring, MasterKey};
use crate::test_support::Dir;
use crate::tests::stores;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn form(child_iin: &str) -> ApplicationForm {
    ApplicationForm {
        child_iin: child_iin.into(),
        child_surname: "Сейтқали".into(),
        child_given_name: "Аружан".into(),
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
        .person_signed_in("880101300123", "ТЕСТОВА", "ӘСЕЛ", None, "kk", "test", now())
        .await
        .unwrap();
    let c = store
        .create_campaign("2026-2027", "{}", "system", "test", now())
        .await
        .unwrap();
    (p.id, c)
}

/// A draft with `n` uploaded documents; returns its id.
async fn application_with_documents(
    store: &Store,
    blobs: &BlobStore,
    parent: i64,
    campaign: i64,
    serial: usize,
    n: usize,
) -> i64 {
    let id = store
        .create_application(
            campaign,
            parent,
            "portal",
            &form(&format!("19031550{serial:04}")),
            "test",
            now(),
        )
        .await
        .unwrap();
    for k in 0..n {
        let blob = blobs
            .put(format!("scan {serial}/{k} ").repeat(3000 + k).into_bytes())
            .await
            .unwrap();
        store
            .add_document(
                id,
                parent,
                "birth_certificate",
                &blob,
                "scan.pdf",
                "application/pdf",
                "test",
                now(),
            )
            .await
            .unwrap();
    }
    id
}

async fn set_status(store: &Store, id: i64, status: &str, at: chrono::DateTime<Utc>) {
    with_pool!(&store.write, |pool| {
        sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(at)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    });
}

/// A fresh, empty database of the same kind as `store`'s.
async fn empty_target(store: &Store, dir: &std::path::Path) -> StoreConfig {
    let url = match store.backend() {
        Backend::Sqlite => format!("sqlite://{}", dir.join("restored.db").display()),
        Backend::Postgres => {
            let base = std::env::var("MEKTEP_TEST_POSTGRES_URL").unwrap();
            create_postgres_database(&base, "mektep_test")
                .await
                .unwrap()
        }
    };
    StoreConfig {
        url,
        max_connections: 4,
    }
}

/// Every document row of `store` has its file in `blobs`, whose plaintext has the row's hash.
async fn every_row_has_its_file(store: &Store, blobs: &BlobStore) -> usize {
    let rows = store.all_documents().await.unwrap();
    for d in &rows {
        let data = blobs
            .get(&d.storage_key)
            .await
            .unwrap_or_else(|e| panic!("document {} has no readable file: {e}", d.id));
        assert_eq!(sha256_hex(&data), d.sha256, "document {}", d.id);
    }
    rows.len()
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_with_every_file() {
    for db in stores().await {
        let s = &db.store;
        let dir = Dir::new();
        let keys = Keyring::parse(&[MasterKey::generate("k1")]).unwrap();
        let blobs = BlobStore::open_with_keys(dir.0.join("documents"), keys.clone()).unwrap();
        let (parent, campaign) = parent_and_campaign(s).await;
        for i in 0..4 {
            application_with_documents(s, &blobs, parent, campaign, i, 2).await;
        }
        let manifest = s.backup(&blobs, &dir.0.join("backup")).await.unwrap();
        assert_eq!(manifest.documents.len(), 8);
        assert_eq!(manifest.tables["documents"].rows, 8);
        assert_eq!(manifest.key_ids, vec!["k1".to_string()]);

        // Restored elsewhere, it holds the same rows and every file.
        let target = empty_target(s, &dir.0).await;
        let docs = dir.0.join("restored-documents");
        let (_, restored) = backup::restore(&dir.0.join("backup"), &target, &docs)
            .await
            .unwrap();
        let restored_blobs = BlobStore::open_with_keys(&docs, keys.clone()).unwrap();
        assert_eq!(every_row_has_its_file(&restored, &restored_blobs).await, 8);
        assert_eq!(
            format!("{:?}", s.all_documents().await.unwrap()),
            format!("{:?}", restored.all_documents().await.unwrap())
        );
        assert_eq!(
            format!("{:?}", s.applications_of_parent(parent).await.unwrap()),
            format!(
                "{:?}",
                restored.applications_of_parent(parent).await.unwrap()
            )
        );
        assert_eq!(
            s.verify_audit_chain().await.unwrap(),
            restored.verify_audit_chain().await.unwrap()
        );
        assert!(matches!(
            restored.verify_audit_chain().await.unwrap(),
            AuditVerification::Intact { records } if records > 8
        ));
        // The restored database goes on: new rows get new ids, the audit chain continues.
        let more =
            application_with_documents(&restored, &restored_blobs, parent, campaign, 99, 1).await;
        assert!(more > 4);
        assert!(matches!(
            restored.verify_audit_chain().await.unwrap(),
            AuditVerification::Intact { .. }
        ));

        // A restore refuses a non-empty target, and a backup that does not match its manifest.
        let again = backup::restore(&dir.0.join("backup"), &target, &docs).await;
        assert!(matches!(again, Err(StoreError::Backup(_))), "{again:?}");
        let victim = dir.0.join("backup").join(&manifest.documents[3].path);
        let mut bytes = std::fs::read(&victim).unwrap();
        bytes[100] ^= 1;
        std::fs::write(&victim, bytes).unwrap();
        let fresh = empty_target(s, &dir.0.join("other")).await;
        match backup::restore(&dir.0.join("backup"), &fresh, &dir.0.join("d2")).await {
            Err(StoreError::Backup(m)) => assert!(m.contains("changed"), "{m}"),
            other => panic!("a changed backup was restored: {other:?}"),
        }
        restored.close().await;
    }
}

#[tokio::test]
async fn a_backup_taken_during_writes_is_consistent() {
    for db in stores().await {
        let s = db.store.clone();
        let dir = Dir::new();
        let keys = Keyring::parse(&[MasterKey::generate("k1")]).unwrap();
        let blobs = BlobStore::open_with_keys(dir.0.join("documents"), keys.clone()).unwrap();
        let (parent, campaign) = parent_and_campaign(&s).await;
        for i in 0..10 {
            application_with_documents(&s, &blobs, parent, campaign, i, 3).await;
        }
        // Writers add documents and remove others (deleting their files) all through the backup.
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (s, blobs, stop, written) =
                (s.clone(), blobs.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                let mut serial = 1000;
                while !stop.load(Ordering::Relaxed) {
                    let id =
                        application_with_documents(&s, &blobs, parent, campaign, serial, 2).await;
                    let docs = s.documents(id).await.unwrap();
                    let key = s
                        .remove_document(id, parent, docs[0].id, "test", now())
                        .await
                        .unwrap();
                    blobs.delete(&key).await.unwrap();
                    serial += 1;
                    written.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        while written.load(Ordering::Relaxed) < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let manifest = s.backup(&blobs, &dir.0.join("backup")).await.unwrap();
        let during = written.load(Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        assert!(
            written.load(Ordering::Relaxed) > during,
            "writes went on after the backup"
        );

        let target = empty_target(&s, &dir.0).await;
        let docs = dir.0.join("restored-documents");
        let (_, restored) = backup::restore(&dir.0.join("backup"), &target, &docs)
            .await
            .unwrap();
        let restored_blobs = BlobStore::open_with_keys(&docs, keys).unwrap();
        let n = every_row_has_its_file(&restored, &restored_blobs).await;
        assert_eq!(n as i64, manifest.tables["documents"].rows);
        assert_eq!(n, manifest.documents.len());
        assert!(n < s.all_documents().await.unwrap().len());
        assert!(matches!(
            restored.verify_audit_chain().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
        restored.close().await;
    }
}

#[tokio::test]
async fn retention_purges_only_old_refused_and_withdrawn_documents() {
    for db in stores().await {
        let s = &db.store;
        let dir = Dir::new();
        let blobs = BlobStore::open(dir.0.join("documents")).unwrap();
        let (parent, campaign) = parent_and_campaign(s).await;
        let long_ago = now() - Duration::days(400);
        let old_refused = application_with_documents(s, &blobs, parent, campaign, 1, 2).await;
        set_status(s, old_refused, "refused", long_ago).await;
        let old_withdrawn = application_with_documents(s, &blobs, parent, campaign, 2, 1).await;
        set_status(s, old_withdrawn, "withdrawn", long_ago).await;
        let recent_refused = application_with_documents(s, &blobs, parent, campaign, 3, 1).await;
        set_status(s, recent_refused, "refused", now() - Duration::days(10)).await;
        let old_accepted = application_with_documents(s, &blobs, parent, campaign, 4, 1).await;
        set_status(s, old_accepted, "accepted", long_ago).await;
        let keys_of = |id| async move {
            s.documents(id)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.storage_key)
                .collect::<Vec<_>>()
        };
        let old_keys = [keys_of(old_refused).await, keys_of(old_withdrawn).await].concat();
        let cutoff = now() - Duration::days(365);

        // A dry run names them and changes nothing.
        let planned = purge_expired(s, &blobs, cutoff, true, "system", "test", now())
            .await
            .unwrap();
        let ids: Vec<i64> = planned.iter().map(|c| c.application_id).collect();
        assert_eq!(ids, vec![old_refused, old_withdrawn]);
        assert_eq!(s.all_documents().await.unwrap().len(), 5);

        let purged = purge_expired(s, &blobs, cutoff, false, "system", "test", now())
            .await
            .unwrap();
        assert_eq!(purged.iter().map(|c| c.documents).sum::<i64>(), 3);
        for key in &old_keys {
            assert!(matches!(blobs.get(key).await, Err(StoreError::NotFound)));
        }
        assert!(s.documents(old_refused).await.unwrap().is_empty());
        assert!(s.documents(old_withdrawn).await.unwrap().is_empty());
        // The application itself stays, as does everything else.
        let app = s.application(old_refused, Scope::City).await.unwrap();
        assert_eq!(app.map(|a| a.status).as_deref(), Some("refused"));
        assert_eq!(s.documents(recent_refused).await.unwrap().len(), 1);
        assert_eq!(s.documents(old_accepted).await.unwrap().len(), 1);
        assert_eq!(every_row_has_its_file(s, &blobs).await, 2);
        // Every purge is audited, and a second pass finds nothing.
        let audit = s
            .audit_search("", "application:", 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "purge_documents")
            .map(|r| r.object)
            .collect::<Vec<_>>();
        assert_eq!(
            audit.len(),
            2,
            "one audit record per purged application: {audit:?}"
        );
        assert!(
            purge_expired(s, &blobs, cutoff, false, "system", "test", now())
                .await
                .unwrap()
                .is_empty()
        );
    }
}
