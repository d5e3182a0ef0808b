//! Encryption of document files at rest: envelope encryption with AES-256-GCM.
//!
//! Each file gets a random data key; the data key is wrapped (encrypted) with the current
//! master key, whose id is written into the file's header so that keys can be rotated: files
//! sealed with an older key stay readable as long as that key is still listed. The contents are
//! sealed in segments of [`SEGMENT`] bytes, each with its own nonce (the segment's index) and a
//! final-segment flag, and the whole header as associated data: a changed byte, a removed or
//! reordered segment, a cut-off tail or a swapped header is refused, never returned as garbage.
//! Segments also let a large file be written without a second copy of it in memory.
//!
//! Layout: `MAGIC | id length (1) | key id | wrap nonce (12) | wrapped data key (32 + 16) |
//! segment size (4, big-endian) | segments…`, each segment its ciphertext followed by its tag.
//! Files written before encryption was introduced have no magic and are read as they are.

use std::io::{Read, Write};

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::StoreError;

/// Marks a sealed file; version 1 of the layout above.
pub const MAGIC: &[u8; 8] = b"MKTPENC1";
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG: usize = 16;
const KEY_LEN: usize = 32;
const WRAP_AAD: &[u8] = b"mektep document data key";

/// A master key with the id under which files name it.
#[derive(Clone)]
pub struct MasterKey {
    pub id: String,
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({:?}, ***)", self.id)
    }
}

impl MasterKey {
    /// Parses `id:base64` (32 bytes of key, standard base64). Ids are short ASCII names, as they
    /// are written into every file's header.
    pub fn parse(text: &str) -> Result<MasterKey, StoreError> {
        let (id, b64) = text.trim().split_once(':').ok_or_else(|| {
            StoreError::Keys("an encryption key must be written as id:base64".into())
        })?;
        if id.is_empty()
            || id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(StoreError::Keys(format!(
                "encryption key id {id:?} must be 1–32 letters, digits, - or _"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| StoreError::Keys(format!("encryption key {id:?} is not base64")))?;
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
            StoreError::Keys(format!(
                "encryption key {id:?} must be 32 bytes, it is {}",
                b.len()
            ))
        })?;
        Ok(MasterKey {
            id: id.to_owned(),
            key,
        })
    }

    /// A fresh random key, written as `id:base64`.
    pub fn generate(id: &str) -> String {
        let mut key = [0u8; KEY_LEN];
        fill_random(&mut key);
        format!(
            "{id}:{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        )
    }

    fn aead(&self) -> LessSafeKey {
        aead_key(&self.key)
    }
}

/// The master keys: the first seals new files, all of them open old ones.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(keys: Vec<MasterKey>) -> Result<Keyring, StoreError> {
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.id == k.id) {
                return Err(StoreError::Keys(format!(
                    "encryption key id {:?} is listed twice",
                    k.id
                )));
            }
        }
        Ok(Keyring { keys })
    }

    /// Parses a list of `id:base64` entries, the current key first.
    pub fn parse(entries: &[String]) -> Result<Keyring, StoreError> {
        Keyring::new(
            entries
                .iter()
                .map(|e| MasterKey::parse(e))
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn current(&self) -> Option<&MasterKey> {
        self.keys.first()
    }

    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    fn by_id(&self, id: &str) -> Option<&MasterKey> {
        self.keys.iter().find(|k| k.id == id)
    }
}

fn aead_key(bytes: &[u8; KEY_LEN]) -> LessSafeKey {
    // 32 bytes is always a valid AES-256 key.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).unwrap_or_else(|_| unreachable!()))
}

fn fill_random(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rng().fill_bytes(buf);
}

/// Nonce of a segment: its index and whether it is the last one. Each data key seals one file
/// only, so counting from zero never repeats a nonce under a key.
fn segment_nonce(index: u64, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[..8].copy_from_slice(&index.to_be_bytes());
    n[8] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Seals `data` with the keyring's current key and writes it to `out`.
pub fn seal_to(master: &MasterKey, data: &[u8], out: &mut impl Write) -> Result<(), StoreError> {
    let mut sealed = Vec::with_capacity(sealed_len(data.len()));
    seal_into(master, data, &mut sealed, |_| {})?;
    out.write_all(&sealed)?;
    Ok(())
}

/// An upper bound of the sealed size of `len` bytes of plaintext.
pub fn sealed_len(len: usize) -> usize {
    len + len.div_ceil(SEGMENT).max(1) * TAG + 256
}

/// Seals `data` with the keyring's current key, appending it to `out`: each segment is copied
/// once, into `out`, and encrypted where it lies there. `each` sees every plaintext segment on
/// its way, while it is in the processor's cache (the caller's SHA-256 of the document: in the
/// rush, separate passes over the upload's bytes each cost what the memory bus did).
pub fn seal_into(
    master: &MasterKey,
    data: &[u8],
    out: &mut Vec<u8>,
    mut each: impl FnMut(&[u8]),
) -> Result<(), StoreError> {
    let mut data_key = [0u8; KEY_LEN];
    fill_random(&mut data_key);
    let mut wrap_nonce = [0u8; NONCE_LEN];
    fill_random(&mut wrap_nonce);
    let mut wrapped = data_key.to_vec();
    master
        .aead()
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(wrap_nonce),
            Aad::from(wrap_aad(&master.id)),
            &mut wrapped,
        )
        .map_err(|_| StoreError::Crypto("cannot wrap the data key".into()))?;
    let header_at = out.len();
    out.extend_from_slice(MAGIC);
    out.push(master.id.len() as u8);
    out.extend_from_slice(master.id.as_bytes());
    out.extend_from_slice(&wrap_nonce);
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&(SEGMENT as u32).to_be_bytes());
    let header = out[header_at..].to_vec();

    let key = aead_key(&data_key);
    let count = data.len().div_ceil(SEGMENT).max(1);
    out.reserve(data.len() + count * TAG);
    for i in 0..count {
        let chunk = &data[(i * SEGMENT).min(data.len())..((i + 1) * SEGMENT).min(data.len())];
        each(chunk);
        let at = out.len();
        out.extend_from_slice(chunk);
        let tag = key
            .seal_in_place_separate_tag(
                segment_nonce(i as u64, i + 1 == count),
                Aad::from(&header[..]),
                &mut out[at..],
            )
            .map_err(|_| StoreError::Crypto("cannot seal a segment".into()))?;
        out.extend_from_slice(tag.as_ref());
    }
    Ok(())
}

fn wrap_aad(id: &str) -> Vec<u8> {
    let mut aad = WRAP_AAD.to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// The id of the master key a sealed file needs, or `None` for a file stored in the clear.
pub fn key_id_of(head: &[u8]) -> Option<String> {
    let rest = head.strip_prefix(&MAGIC[..])?;
    let len = *rest.first()? as usize;
    rest.get(1..1 + len)
        .map(|id| String::from_utf8_lossy(id).into_owned())
}

/// Reads a whole file: opens it segment by segment if it is sealed, returns it as it is if it
/// was written in the clear (before encryption was configured). `len` is the file's length.
pub fn open_from(
    keys: &Keyring,
    input: &mut impl Read,
    len: u64,
    what: &str,
) -> Result<Vec<u8>, StoreError> {
    let mut magic = [0u8; 8];
    let got = read_up_to(input, &mut magic)?;
    if got < magic.len() || &magic != MAGIC {
        // Stored in the clear, before encryption.
        let mut data = Vec::with_capacity(len as usize);
        data.extend_from_slice(&magic[..got]);
        input.read_to_end(&mut data)?;
        return Ok(data);
    }
    let damaged = |why: &str| StoreError::Crypto(format!("{what}: {why}"));
    let mut id_len = [0u8; 1];
    input
        .read_exact(&mut id_len)
        .map_err(|_| damaged("header cut short"))?;
    let mut rest = vec![0u8; id_len[0] as usize + NONCE_LEN + KEY_LEN + TAG + 4];
    input
        .read_exact(&mut rest)
        .map_err(|_| damaged("header cut short"))?;
    let mut header = Vec::with_capacity(9 + rest.len());
    header.extend_from_slice(MAGIC);
    header.push(id_len[0]);
    header.extend_from_slice(&rest);
    let (id, rest) = rest.split_at(id_len[0] as usize);
    let id = String::from_utf8_lossy(id).into_owned();
    let (wrap_nonce, rest) = rest.split_at(NONCE_LEN);
    let (wrapped, seg) = rest.split_at(KEY_LEN + TAG);
    let segment = u32::from_be_bytes([seg[0], seg[1], seg[2], seg[3]]) as usize;
    if segment == 0 || segment > 16 * 1024 * 1024 {
        return Err(damaged("bad segment size"));
    }
    let master = keys.by_id(&id).ok_or_else(|| {
        StoreError::Crypto(format!(
            "{what} is encrypted with key {id:?}, which is not configured (storage.encryption_keys)"
        ))
    })?;
    let mut data_key = wrapped.to_vec();
    let data_key: [u8; KEY_LEN] = master
        .aead()
        .open_in_place(
            Nonce::try_assume_unique_for_key(wrap_nonce).map_err(|_| damaged("bad nonce"))?,
            Aad::from(wrap_aad(&id)),
            &mut data_key,
        )
        .map_err(|_| {
            StoreError::Crypto(format!(
                "{what}: its data key does not open with key {id:?} (wrong key, or the file was changed)"
            ))
        })?
        .try_into()
        .map_err(|_| damaged("bad data key"))?;
    let key = aead_key(&data_key);

    let body = len
        .checked_sub(header.len() as u64)
        .ok_or_else(|| damaged("cut short"))?;
    let full = (segment + TAG) as u64;
    let count = body.div_ceil(full).max(1);
    let mut out = Vec::with_capacity(body.saturating_sub(count * TAG as u64) as usize);
    let mut buf = vec![0u8; segment + TAG];
    for i in 0..count {
        let this = if i + 1 == count {
            (body - i * full) as usize
        } else {
            full as usize
        };
        if this < TAG {
            return Err(damaged("cut short"));
        }
        let buf = &mut buf[..this];
        input
            .read_exact(buf)
            .map_err(|_| damaged("cut short or changed while reading"))?;
        let plain = key
            .open_in_place(
                segment_nonce(i, i + 1 == count),
                Aad::from(&header[..]),
                buf,
            )
            .map_err(|_| {
                damaged(
                    "contents do not match their authentication tag (changed, cut or reordered)",
                )
            })?;
        out.extend_from_slice(plain);
    }
    let mut extra = [0u8; 1];
    if read_up_to(input, &mut extra)? != 0 {
        return Err(damaged("file grew while reading"));
    }
    Ok(out)
}

fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, StoreError> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(got)
}
