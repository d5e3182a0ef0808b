//! Who is signed in with a session token, remembered for a few seconds.
//!
//! Every request of a signed-in person asks the database who they are (session, person and
//! staff roles: one query over three tables). In the opening rush that query was the most
//! frequent one, about one in six statements, and on SQLite each one starts from a page cache
//! that the last commit emptied. A parent's requests come in bursts (a form sent, the page it
//! leads to, an upload, the next), so remembering the answer for a few seconds saves most of them.
//!
//! What this process changes is forgotten at once: a sign-out, a sign-in that replaces a session,
//! a person's language or contacts, any role granted or revoked, expired sessions purged. What
//! another process changes (another instance of the service on the same PostgreSQL database, or
//! a `mektep` command) is seen within the time an answer is kept (`session_cache_seconds`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::people::{Person, StaffRole};
use crate::sessions::SessionRecord;

/// Beyond this many remembered sessions the oldest half is dropped: memory stays bounded
/// (an entry is about a kilobyte) whatever the number of parents signing in.
const MAX_ENTRIES: usize = 50_000;

/// A signed-in person as the database gave them.
#[derive(Clone, Debug)]
pub(crate) struct SignedIn {
    pub session: SessionRecord,
    pub person: Person,
    pub roles: Vec<StaffRole>,
}

struct Entry {
    signed_in: SignedIn,
    loaded: Instant,
}

#[derive(Default)]
struct Entries {
    by_token_hash: HashMap<String, Entry>,
    /// The token hashes remembered for each person, so that a change to a person forgets their
    /// sessions without a scan.
    by_person: HashMap<i64, Vec<String>>,
}

impl Entries {
    fn remove(&mut self, token_hash: &str) {
        if let Some(e) = self.by_token_hash.remove(token_hash) {
            let pid = e.signed_in.person.id;
            if let Some(hashes) = self.by_person.get_mut(&pid) {
                hashes.retain(|h| h != token_hash);
                if hashes.is_empty() {
                    self.by_person.remove(&pid);
                }
            }
        }
    }

    fn shrink(&mut self, keep: Duration) {
        let now = Instant::now();
        self.by_token_hash
            .retain(|_, e| now.duration_since(e.loaded) < keep);
        if self.by_token_hash.len() >= MAX_ENTRIES {
            // Everything is fresh: the oldest half goes.
            let mut ages: Vec<Instant> = self.by_token_hash.values().map(|e| e.loaded).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            self.by_token_hash.retain(|_, e| e.loaded > cut);
        }
        let live = &self.by_token_hash;
        self.by_person.retain(|_, hashes| {
            hashes.retain(|h| live.contains_key(h));
            !hashes.is_empty()
        });
    }
}

/// See the module's documentation. A `keep` of zero remembers nothing.
pub(crate) struct SignedInCache {
    keep: Duration,
    entries: Mutex<Entries>,
    /// Counts every forgetting. An answer read from the database is remembered only if nothing
    /// was forgotten while it was being read: otherwise it may predate the change that was.
    forgets: AtomicU64,
}

impl std::fmt::Debug for SignedInCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedInCache")
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl SignedInCache {
    pub fn new(keep: Duration) -> SignedInCache {
        SignedInCache {
            keep,
            entries: Mutex::new(Entries::default()),
            forgets: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map holds no invariant a panic elsewhere could break halfway.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, token_hash: &str) -> Option<SignedIn> {
        if self.keep.is_zero() {
            return None;
        }
        let entries = self.entries();
        let e = entries.by_token_hash.get(token_hash)?;
        (e.loaded.elapsed() < self.keep).then(|| e.signed_in.clone())
    }

    /// The mark to pass to [`SignedInCache::remember`] for an answer about to be read.
    pub fn mark(&self) -> u64 {
        self.forgets.load(Ordering::Acquire)
    }

    /// Remembers an answer read after `mark` was taken, unless something was forgotten since.
    pub fn remember(&self, mark: u64, signed_in: SignedIn) {
        if self.keep.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if self.forgets.load(Ordering::Acquire) != mark {
            return;
        }
        if entries.by_token_hash.len() >= MAX_ENTRIES {
            entries.shrink(self.keep);
        }
        let hash = signed_in.session.token_hash.clone();
        let pid = signed_in.person.id;
        entries.remove(&hash);
        entries.by_person.entry(pid).or_default().push(hash.clone());
        entries.by_token_hash.insert(
            hash,
            Entry {
                signed_in,
                loaded: Instant::now(),
            },
        );
    }

    /// A session's last use as written, so that the next request does not write it again.
    pub fn touched(&self, token_hash: &str, at: chrono::DateTime<chrono::Utc>) {
        if let Some(e) = self.entries().by_token_hash.get_mut(token_hash) {
            e.signed_in.session.last_seen_at = at;
        }
    }

    fn forgetting(&self) -> std::sync::MutexGuard<'_, Entries> {
        let entries = self.entries();
        self.forgets.fetch_add(1, Ordering::AcqRel);
        entries
    }

    pub fn forget_session(&self, token_hash: &str) {
        self.forgetting().remove(token_hash);
    }

    pub fn forget_person(&self, person_id: i64) {
        let mut entries = self.forgetting();
        for hash in entries.by_person.remove(&person_id).unwrap_or_default() {
            entries.by_token_hash.remove(&hash);
        }
    }

    pub fn forget_all(&self) {
        let mut entries = self.forgetting();
        entries.by_token_hash.clear();
        entries.by_person.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn signed_in(token_hash: &str, person_id: i64) -> SignedIn {
        let now = Utc::now();
        SignedIn {
            session: SessionRecord {
                token_hash: token_hash.into(),
                person_id,
                csrf_secret: "c".into(),
                created_at: now,
                last_seen_at: now,
                expires_at: now,
            },
            person: Person {
                id: person_id,
                iin: "880101300123".into(),
                surname: "S".into(),
                given_name: "G".into(),
                patronymic: None,
                email: None,
                email_confirmed_at: None,
                phone: None,
                phone_confirmed_at: None,
                language: "kk".into(),
                created_at: now,
                last_login_at: None,
            },
            roles: Vec::new(),
        }
    }

    #[test]
    fn an_answer_read_while_something_was_forgotten_is_not_remembered() {
        let cache = SignedInCache::new(Duration::from_secs(60));
        let mark = cache.mark();
        cache.forget_person(7);
        cache.remember(mark, signed_in("a", 7));
        assert!(cache.get("a").is_none());
        cache.remember(cache.mark(), signed_in("a", 7));
        assert!(cache.get("a").is_some());
    }

    #[test]
    fn a_person_is_forgotten_with_all_their_sessions_and_only_theirs() {
        let cache = SignedInCache::new(Duration::from_secs(60));
        for (hash, person) in [("a", 1), ("b", 1), ("c", 2)] {
            cache.remember(cache.mark(), signed_in(hash, person));
        }
        cache.forget_person(1);
        assert!(cache.get("a").is_none() && cache.get("b").is_none());
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn nothing_is_remembered_with_no_time_to_keep_it_and_memory_stays_bounded() {
        let off = SignedInCache::new(Duration::ZERO);
        off.remember(off.mark(), signed_in("a", 1));
        assert!(off.get("a").is_none());
        let cache = SignedInCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            cache.remember(cache.mark(), signed_in(&i.to_string(), i as i64));
        }
        let entries = cache.entries();
        assert!(entries.by_token_hash.len() <= MAX_ENTRIES);
        assert_eq!(entries.by_token_hash.len(), entries.by_person.len());
        assert!(
            entries
                .by_token_hash
                .contains_key(&(MAX_ENTRIES + 9).to_string())
        );
    }
}
