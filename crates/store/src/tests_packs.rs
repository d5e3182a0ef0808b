//! Documents in pack files: written together and each one durable before `put` returns, read
//! back, listed, deleted for good, restored in place, and found again after a crash cut a
//! record short. Documents stored one file each, before packs, stay readable.

use super::*;
use crate::packs::PackedKey;
use crate::test_support::Dir;

fn document(i: usize, len: usize) -> Vec<u8> {
    let line = format!("document {i}, a scan of a health form; ");
    line.bytes().cycle().take(len).collect()
}

/// The store lists exactly these keys, in any order.
fn assert_lists<'a>(blobs: &BlobStore, keys: impl IntoIterator<Item = &'a String>, why: &str) {
    let mut listed = blobs.keys().unwrap();
    listed.sort_unstable();
    let mut expected: Vec<String> = keys.into_iter().cloned().collect();
    expected.sort_unstable();
    assert_eq!(listed, expected, "{why}");
}

/// Whether a record's bytes read as zeros in its pack.
fn freed(dir: &Dir, key: &str) -> bool {
    let at = PackedKey::parse(key).unwrap();
    let pack = std::fs::read(pack_path(dir, key)).unwrap();
    pack[at.offset as usize..(at.offset + at.len) as usize]
        .iter()
        .all(|b| *b == 0)
}

fn pack_path(dir: &Dir, key: &str) -> std::path::PathBuf {
    let pack = PackedKey::parse(key).expect("a packed key").pack;
    dir.0.join("packs").join(format!("{pack:08x}.pack"))
}

#[test]
fn documents_written_at_once_from_many_threads_each_come_back_whole() {
    let dir = Dir::new();
    let blobs = BlobStore::open(&dir.0).unwrap();
    let stored: Vec<(Vec<u8>, StoredBlob)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let blobs = blobs.clone();
                s.spawn(move || {
                    let data: Vec<Vec<u8>> = (0..25)
                        .map(|i| document(t * 100 + i, 1 + (t * 7919 + i * 104_729) % 150_000))
                        .collect();
                    // Half the writers put one document at a time, half a few in one write,
                    // as an upload does.
                    let stored: Vec<StoredBlob> = if t % 2 == 0 {
                        data.iter()
                            .map(|d| blobs.put_blocking(d).unwrap())
                            .collect()
                    } else {
                        data.chunks(1 + t % 4)
                            .flat_map(|group| {
                                let refs: Vec<&[u8]> = group.iter().map(|d| &d[..]).collect();
                                blobs.put_all_blocking(&refs).unwrap()
                            })
                            .collect()
                    };
                    data.into_iter().zip(stored).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut listed = blobs.keys().unwrap();
    listed.sort_unstable();
    let mut keys: Vec<String> = stored.iter().map(|(_, b)| b.key.clone()).collect();
    keys.sort();
    assert_eq!(listed, keys, "every record listed once");
    assert!(keys.iter().all(|k| BlobStore::is_packed(k)));
    // ~15 MB through packs of 1 MiB in tests: the writers crossed from pack to pack together,
    // and each pack was left only once (one process, one pack at a time).
    let packs: std::collections::BTreeSet<u32> = keys
        .iter()
        .map(|k| PackedKey::parse(k).unwrap().pack)
        .collect();
    assert!(packs.len() > 5, "{} packs", packs.len());
    let on_disk = std::fs::read_dir(dir.0.join("packs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert_eq!(on_disk, packs.len());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (data, blob) in &stored {
        assert_eq!(blob.sha256, sha256_hex(data));
        assert_eq!(&runtime.block_on(blobs.get(&blob.key)).unwrap(), data);
    }
}

#[tokio::test]
async fn a_deleted_document_is_gone_from_the_disk_and_its_neighbours_stay() {
    let dir = Dir::new();
    let blobs = BlobStore::open(&dir.0).unwrap();
    let a = blobs.put(document(1, 70_000)).await.unwrap();
    let b = blobs.put(document(2, 90_000)).await.unwrap();
    let c = blobs.put(document(3, 10_000)).await.unwrap();
    blobs.delete(&b.key).await.unwrap();
    blobs.delete(&b.key).await.unwrap(); // twice is not an error
    assert!(matches!(blobs.get(&b.key).await, Err(StoreError::NotFound)));
    assert!(blobs.read_stored_blocking(&b.key).unwrap().is_none());
    assert_eq!(blobs.get(&a.key).await.unwrap(), document(1, 70_000));
    assert_eq!(blobs.get(&c.key).await.unwrap(), document(3, 10_000));
    assert_lists(&blobs, [&a.key, &c.key], "the deleted one is not listed");
    // The bytes themselves are gone, not only the name.
    assert!(freed(&dir, &b.key), "deleted bytes still on disk");
    let at = PackedKey::parse(&b.key).unwrap();
    // A key naming another place, or garbage, finds nothing.
    let forged = format!("p{}", &a.key[1..9]) + &format!("{:012x}", at.offset + 1) + &a.key[21..];
    assert!(matches!(
        blobs.get(&forged).await,
        Err(StoreError::NotFound)
    ));
    // Nor does one claiming more bytes than the pack holds.
    let huge = format!("{}ffffffff{}", &a.key[..21], &a.key[29..]);
    assert!(matches!(blobs.get(&huge).await, Err(StoreError::NotFound)));
    assert!(blobs.get("../../etc/passwd").await.is_err());
}

#[tokio::test]
async fn while_a_backup_holds_them_deleted_bytes_stay_until_the_next_deletion_or_start() {
    let dir = Dir::new();
    let blobs = BlobStore::open(&dir.0).unwrap();
    let first = blobs.put(document(1, 20_000)).await.unwrap();
    let second = blobs.put(document(2, 20_000)).await.unwrap();
    let stored = blobs.read_stored_blocking(&first.key).unwrap().unwrap();
    {
        // The hold is a lock on a file: another store on the folder (another process) keeps it.
        let _hold = BlobStore::open(&dir.0).unwrap().hold_deletions().unwrap();
        blobs.delete(&first.key).await.unwrap();
        assert!(matches!(
            blobs.get(&first.key).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(blobs.read_held_blocking(&first.key).unwrap(), Some(stored));
        assert!(!freed(&dir, &first.key), "freed while a backup held it");
    }
    // The next deletion with no backup running frees both.
    blobs.delete(&second.key).await.unwrap();
    assert!(freed(&dir, &first.key) && freed(&dir, &second.key));
    assert!(!dir.0.join("packs").join("deferred").exists());

    // Or, if none comes, the next start of the service.
    let third = blobs.put(document(3, 20_000)).await.unwrap();
    {
        let _hold = blobs.hold_deletions().unwrap();
        blobs.delete(&third.key).await.unwrap();
    }
    assert!(!freed(&dir, &third.key));
    BlobStore::open(&dir.0).unwrap();
    assert!(freed(&dir, &third.key));
}

#[tokio::test]
async fn a_record_cut_short_by_a_crash_leaves_the_others_listed_and_a_new_pack_is_started() {
    let dir = Dir::new();
    let key = {
        let blobs = BlobStore::open(&dir.0).unwrap();
        let stored = blobs.put(document(1, 5_000)).await.unwrap();
        // The crash: half a record at the end of the pack.
        let path = pack_path(&dir, &stored.key);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"MKPBp0000000");
        std::fs::write(&path, bytes).unwrap();
        stored.key
    };
    let blobs = BlobStore::open(&dir.0).unwrap();
    let after = blobs.put(document(2, 5_000)).await.unwrap();
    assert_ne!(pack_path(&dir, &after.key), pack_path(&dir, &key));
    assert_lists(&blobs, [&key, &after.key], "both packs listed");
    assert_eq!(blobs.get(&key).await.unwrap(), document(1, 5_000));
}

#[tokio::test]
async fn restored_records_go_back_in_place_around_the_gaps_deleted_ones_leave() {
    let dir = Dir::new();
    let blobs = BlobStore::open(&dir.0).unwrap();
    let mut kept = Vec::new();
    for i in 0..6 {
        let blob = blobs.put(document(i, 3_000 + i * 1_000)).await.unwrap();
        if i % 2 == 0 {
            blobs.delete(&blob.key).await.unwrap();
        } else {
            let stored = blobs.read_stored_blocking(&blob.key).unwrap().unwrap();
            let file = dir.0.join(format!("backup-{}", blob.key));
            std::fs::write(&file, stored).unwrap();
            kept.push((i, blob.key, file));
        }
    }
    let target = Dir::new();
    let restored = BlobStore::open(&target.0).unwrap();
    for (_, key, file) in &kept {
        restored.restore_blocking(key, file).unwrap();
    }
    assert_lists(
        &restored,
        kept.iter().map(|(_, k, _)| k),
        "gaps are stepped over",
    );
    for (i, key, _) in &kept {
        assert_eq!(
            restored.get(key).await.unwrap(),
            document(*i, 3_000 + i * 1_000)
        );
    }
    // New documents go to a pack of their own, after the restored ones.
    let new = restored.put(document(9, 100)).await.unwrap();
    assert!(PackedKey::parse(&new.key).unwrap().pack > PackedKey::parse(&kept[0].1).unwrap().pack);
}

#[tokio::test]
async fn documents_stored_one_file_each_are_still_read_listed_and_deleted() {
    let dir = Dir::new();
    let blobs = BlobStore::open(&dir.0).unwrap();
    let old = blobs.put_file_blocking(&document(1, 4_000)).unwrap();
    let new = blobs.put(document(2, 4_000)).await.unwrap();
    assert!(!BlobStore::is_packed(&old.key));
    assert_eq!(blobs.get(&old.key).await.unwrap(), document(1, 4_000));
    assert_lists(&blobs, [&old.key, &new.key], "one-file and packed");
    blobs.delete(&old.key).await.unwrap();
    assert!(matches!(
        blobs.get(&old.key).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(blobs.keys().unwrap(), vec![new.key]);
}
