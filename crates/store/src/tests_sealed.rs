//! Documents at rest: sealed files round-trip, and every kind of damage or missing key is
//! refused with an error that says so.

use super::*;
use crate::sealed::{Keyring, MasterKey, SEGMENT};
use crate::test_support::Dir;

fn keyring(entries: &[&str]) -> Keyring {
    Keyring::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

/// Recognisable, non-repeating content (so that a segment cannot be mistaken for another).
fn content(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(format!("line {i} of a birth certificate scan;").as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// The whole pack file holding a packed document.
fn pack_of(dir: &Dir, key: &str) -> Vec<u8> {
    let pack = crate::packs::PackedKey::parse(key)
        .expect("a packed key")
        .pack;
    std::fs::read(dir.0.join("packs").join(format!("{pack:08x}.pack"))).unwrap()
}

fn expect_crypto_error(r: Result<Vec<u8>, StoreError>, what: &str) -> String {
    match r {
        Err(StoreError::Crypto(m)) => m,
        Err(other) => panic!("{what}: expected an encryption error, got {other}"),
        Ok(_) => panic!("{what}: a damaged or unreadable file was returned as if intact"),
    }
}

#[tokio::test]
async fn sealed_files_round_trip_and_keep_no_plaintext_on_disk() {
    let dir = Dir::new();
    let k1 = MasterKey::generate("k1");
    let blobs = BlobStore::open_with_keys(&dir.0, keyring(&[&k1])).unwrap();
    assert!(blobs.encrypts());
    for len in [
        0,
        1,
        1000,
        SEGMENT - 1,
        SEGMENT,
        SEGMENT + 1,
        3 * SEGMENT + 17,
    ] {
        let data = content(len);
        let stored = blobs.put(data.clone()).await.unwrap();
        // What the database records (and signatures cover) is the plaintext's hash.
        assert_eq!(stored.sha256, sha256_hex(&data), "len {len}");
        assert_eq!(stored.size, len as u64);
        assert_eq!(blobs.get(&stored.key).await.unwrap(), data, "len {len}");
        let on_disk = blobs.read_stored_blocking(&stored.key).unwrap().unwrap();
        assert!(on_disk.starts_with(crate::sealed::MAGIC));
        let pack = pack_of(&dir, &stored.key);
        if len >= 32 {
            // No 32-byte window of the plaintext appears in the file.
            for window in data.chunks(32).take(50) {
                if window.len() == 32 {
                    assert!(
                        !on_disk.windows(32).any(|w| w == window)
                            && !pack.windows(32).any(|w| w == window),
                        "plaintext found on disk (len {len})"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn documents_sealed_together_in_one_write_each_open_alone_with_its_own_hash() {
    let dir = Dir::new();
    let k1 = MasterKey::generate("k1");
    let blobs = BlobStore::open_with_keys(&dir.0, keyring(&[&k1])).unwrap();
    let documents: Vec<Vec<u8>> = [0, 1, SEGMENT + 1, 2 * SEGMENT, 70_000]
        .into_iter()
        .map(content)
        .collect();
    let refs: Vec<&[u8]> = documents.iter().map(|d| &d[..]).collect();
    let stored = blobs.put_all_blocking(&refs).unwrap();
    assert_eq!(stored.len(), documents.len());
    let pack = crate::packs::PackedKey::parse(&stored[0].key).unwrap().pack;
    for (data, blob) in documents.iter().zip(&stored) {
        assert_eq!(
            crate::packs::PackedKey::parse(&blob.key).unwrap().pack,
            pack
        );
        assert_eq!(blob.sha256, sha256_hex(data));
        assert_eq!(blob.size, data.len() as u64);
        assert_eq!(&blobs.get(&blob.key).await.unwrap(), data);
    }
    // Deleting one leaves its neighbours in the same write whole.
    blobs.delete(&stored[2].key).await.unwrap();
    assert!(matches!(
        blobs.get(&stored[2].key).await,
        Err(StoreError::NotFound)
    ));
    for i in [0, 1, 3, 4] {
        assert_eq!(blobs.get(&stored[i].key).await.unwrap(), documents[i]);
    }
    assert!(blobs.put_all_blocking(&[]).unwrap().is_empty());
}

#[tokio::test]
async fn a_changed_cut_or_reordered_file_is_refused() {
    let dir = Dir::new();
    let k1 = MasterKey::generate("k1");
    let blobs = BlobStore::open_with_keys(&dir.0, keyring(&[&k1])).unwrap();
    let data = content(3 * SEGMENT + 100);
    // A file of its own, to damage it byte by byte; a pack's record is read by the same code.
    let stored = blobs.put_file_blocking(&data).unwrap();
    let path = blobs.path_of(&stored.key).unwrap();
    let original = std::fs::read(&path).unwrap();
    let header = original.len() - (data.len() + 4 * 16);
    let seg = SEGMENT + 16;

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for (name, at) in [
        ("a byte of the first segment", header + 5),
        ("a byte of the last segment", original.len() - 20),
        ("a tag byte", original.len() - 1),
        ("a byte of the wrapped key", 8 + 1 + 2 + 12 + 3),
        ("the segment size", header - 1),
    ] {
        let mut f = original.clone();
        f[at] ^= 0x01;
        cases.push((name, f));
    }
    cases.push((
        "cut at a segment boundary",
        original[..header + 2 * seg].to_vec(),
    ));
    cases.push((
        "cut inside a segment",
        original[..header + seg + 100].to_vec(),
    ));
    cases.push(("cut to the header", original[..header].to_vec()));
    let mut swapped = original[..header].to_vec();
    swapped.extend_from_slice(&original[header + seg..header + 2 * seg]);
    swapped.extend_from_slice(&original[header..header + seg]);
    swapped.extend_from_slice(&original[header + 2 * seg..]);
    cases.push(("two segments swapped", swapped));
    let mut longer = original.clone();
    longer.extend_from_slice(&original[header..header + seg]);
    cases.push(("a segment repeated at the end", longer));

    for (name, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let message = expect_crypto_error(blobs.get(&stored.key).await, name);
        assert!(message.contains(&stored.key), "{name}: {message}");
    }
    std::fs::write(&path, &original).unwrap();
    assert_eq!(blobs.get(&stored.key).await.unwrap(), data);
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_a_clear_error() {
    let dir = Dir::new();
    let k1 = MasterKey::generate("k1");
    let blobs = BlobStore::open_with_keys(&dir.0, keyring(&[&k1])).unwrap();
    let stored = blobs.put(content(5000)).await.unwrap();

    let other_k1 = MasterKey::generate("k1");
    let wrong = BlobStore::open_with_keys(&dir.0, keyring(&[&other_k1])).unwrap();
    let m = expect_crypto_error(wrong.get(&stored.key).await, "wrong key");
    assert!(m.contains("does not open with key \"k1\""), "{m}");

    let k2 = MasterKey::generate("k2");
    let missing = BlobStore::open_with_keys(&dir.0, keyring(&[&k2])).unwrap();
    let m = expect_crypto_error(missing.get(&stored.key).await, "missing key");
    assert!(m.contains("key \"k1\", which is not configured"), "{m}");

    let none = BlobStore::open(&dir.0).unwrap();
    let m = expect_crypto_error(none.get(&stored.key).await, "no keys");
    assert!(m.contains("not configured"), "{m}");

    for bad in ["nokey", "k:notbase64!", "k:AAAA", "bad id:AAAA", ":AAAA"] {
        assert!(
            matches!(MasterKey::parse(bad), Err(StoreError::Keys(_))),
            "{bad} was accepted"
        );
    }
    assert!(Keyring::parse(&[k1.clone(), k1.clone()]).is_err());
    // Debug output never shows key material.
    let parsed = MasterKey::parse(&k1).unwrap();
    let b64 = k1.split_once(':').unwrap().1;
    assert!(!format!("{parsed:?}").contains(b64));
}

#[tokio::test]
async fn keys_rotate_and_files_written_in_the_clear_stay_readable() {
    let dir = Dir::new();
    // A file from before encryption was configured.
    let clear = BlobStore::open(&dir.0).unwrap();
    let legacy_data = content(70_000);
    let legacy = clear.put(legacy_data.clone()).await.unwrap();

    let k1 = MasterKey::generate("k1");
    let first = BlobStore::open_with_keys(&dir.0, keyring(&[&k1])).unwrap();
    let old_data = content(1234);
    let old = first.put(old_data.clone()).await.unwrap();
    assert_eq!(first.get(&legacy.key).await.unwrap(), legacy_data);

    // Rotation: the new key first, the old one kept for the files it sealed.
    let k2 = MasterKey::generate("k2");
    let rotated = BlobStore::open_with_keys(&dir.0, keyring(&[&k2, &k1])).unwrap();
    let new_data = content(99);
    let new = rotated.put(new_data.clone()).await.unwrap();
    assert_eq!(rotated.get(&old.key).await.unwrap(), old_data);
    assert_eq!(rotated.get(&new.key).await.unwrap(), new_data);
    assert_eq!(rotated.get(&legacy.key).await.unwrap(), legacy_data);
    let head = rotated.read_stored_blocking(&new.key).unwrap().unwrap();
    assert_eq!(crate::sealed::key_id_of(&head).as_deref(), Some("k2"));

    // Without the old key, its files are refused and the new ones still open.
    let only_new = BlobStore::open_with_keys(&dir.0, keyring(&[&k2])).unwrap();
    expect_crypto_error(only_new.get(&old.key).await, "old key dropped");
    assert_eq!(only_new.get(&new.key).await.unwrap(), new_data);
}
