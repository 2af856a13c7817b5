//! What the inbox's pages read from the database, kept a moment, so that a team (or a wall
//! screen, or the live page redrawing a column) asking again for what did not change does not
//! walk the database again each time: the columns' lists and counts, and the page's frame (the
//! workspace's settings, channels, members, tags, and the member's saved columns).
//!
//! An entry holds while two things are true: the workspace's inbox version
//! ([`relais_store::inbox::InboxStore::inbox_version`], marks of the last changes to
//! conversations, settings, channels, members and columns, read in one query) is the one the
//! entry was read at, and the entry is younger than [`FRESH_FOR`]. The first makes a member's
//! own change show at once, whichever process made it, since it moves the version before the
//! page is drawn again; the second bounds what the version cannot see: what time alone changes
//! (a snooze ending, a conversation falling overdue), erased conversations, renamed members.
//!
//! Versions are milliseconds: a change made in the millisecond an entry was read might leave
//! the version as it was. So an entry read in the same millisecond as its version's newest
//! change serves nobody: the next request reads again.
//!
//! One read per entry at a time. When the version moved, the requests that want the entry
//! wait for the first one's read instead of all asking the database at once. When only time
//! ran out ([`FRESH_FOR`]), one request reads again while the others are still given the entry
//! (for [`AGING_FOR`] more at most): what the version cannot see is then at most two seconds
//! old, and no request waits for a read just because a second went by.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relais_core::{Timestamp, UserId, WorkspaceId};
use relais_store::inbox::{Conversation, InboxColumn, InboxSettings, InboxVersion};
use relais_store::{Channel, Member, Store, StoreResult};

use crate::i18n::Lang;

/// How long an entry is served without reading again, however still the inbox is.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// How much longer an entry still right at the inbox's version is served while one request
/// reads it again.
pub const AGING_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most; past this the cache starts again empty (entries are small and cheap
/// to read again, and a bound matters more than which ones stay).
const MOST_ENTRIES: usize = 4_096;

/// One list as a member asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListKey {
    pub workspace: WorkspaceId,
    /// The member's own: "mine" and "assigned to me" differ from one member to the next.
    pub member: UserId,
    /// The filters and the page's place, as the list's address writes them.
    pub filters: String,
    pub rows: u32,
}

/// A page of conversations and how many the filter holds (up to the count's cap).
#[derive(Debug)]
pub struct ListRead {
    pub found: Vec<Conversation>,
    pub total: u64,
    /// The rows as HTML, by language and workspace slug, drawn by the first request that
    /// showed them (see [`ListRead::drawn`]).
    drawn: Mutex<Vec<DrawnRows>>,
}

/// Rows drawn for a language and a workspace slug.
type DrawnRows = ((Lang, String), Arc<str>);

impl ListRead {
    pub fn new(found: Vec<Conversation>, total: u64) -> Self {
        Self {
            found,
            total,
            drawn: Mutex::default(),
        }
    }

    /// The rows as `draw` makes them in `lang` for the workspace `slug`, made once per list
    /// read. Escaping and laying out the rows was most of the page's work, and a list kept a
    /// second is shown many times; what the rows show of time (how late, snoozed until) is
    /// then as old as the list itself, two seconds at most.
    pub fn drawn<E>(
        &self,
        lang: Lang,
        slug: &str,
        draw: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<str>, E> {
        if let Some((_, html)) = lock(&self.drawn)
            .iter()
            .find(|((l, s), _)| *l == lang && s == slug)
        {
            return Ok(html.clone());
        }
        // Drawn outside the lock: two requests may both draw, and the last one's is kept.
        let html: Arc<str> = Arc::from(draw()?);
        let mut drawn = lock(&self.drawn);
        drawn.retain(|((l, s), _)| !(*l == lang && s == slug));
        drawn.push(((lang, slug.to_owned()), html.clone()));
        Ok(html)
    }
}

/// The inbox's caches, shared by every request.
#[derive(Default)]
pub struct InboxCache {
    pub lists: VersionedCache<ListKey, ListRead>,
    tags: VersionedCache<WorkspaceId, Vec<String>>,
    settings: VersionedCache<WorkspaceId, InboxSettings>,
    channels: VersionedCache<WorkspaceId, Vec<Channel>>,
    members: VersionedCache<WorkspaceId, Vec<Member>>,
    columns: VersionedCache<(WorkspaceId, UserId), Vec<InboxColumn>>,
}

impl InboxCache {
    /// The tags in use in the workspace, by name.
    pub async fn tags(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        version: InboxVersion,
    ) -> StoreResult<Arc<Vec<String>>> {
        self.tags
            .get_or_read(ws, version, || async {
                let tags = store.conversation_tags(ws).await?;
                Ok(tags.into_iter().map(|(tag, _)| tag).collect())
            })
            .await
    }

    pub async fn settings(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        version: InboxVersion,
    ) -> StoreResult<Arc<InboxSettings>> {
        self.settings
            .get_or_read(ws, version, || store.inbox_settings(ws))
            .await
    }

    pub async fn channels(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        version: InboxVersion,
    ) -> StoreResult<Arc<Vec<Channel>>> {
        self.channels
            .get_or_read(ws, version, || store.channels(ws))
            .await
    }

    pub async fn members(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        version: InboxVersion,
    ) -> StoreResult<Arc<Vec<Member>>> {
        self.members
            .get_or_read(ws, version, || store.members(ws))
            .await
    }

    /// The columns `member` sees: the team's and their own.
    pub async fn columns(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        member: UserId,
        version: InboxVersion,
    ) -> StoreResult<Arc<Vec<InboxColumn>>> {
        self.columns
            .get_or_read((ws, member), version, || store.inbox_columns(ws, member))
            .await
    }
}

struct Entry<V> {
    version: InboxVersion,
    /// When the read began, by the clock the versions come from.
    read_from: Timestamp,
    read_at: Instant,
    value: Arc<V>,
}

impl<V> Entry<V> {
    /// Read at `version`, strictly after its newest change: what it holds is still right,
    /// bar what time alone changes.
    fn holds_at(&self, version: InboxVersion) -> bool {
        self.version == version && self.version.newest().is_none_or(|v| v < self.read_from)
    }
}

/// One key's entry, and the lock its reads take (one at a time).
struct Slot<V> {
    kept: Mutex<Option<Entry<V>>>,
    reading: tokio::sync::Mutex<()>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        }
    }
}

/// What a kept entry is worth to a request at a version.
enum Kept<V> {
    Fresh(Arc<V>),
    /// Right at this version but older than [`FRESH_FOR`]: served while one request reads
    /// it again.
    Aging(Arc<V>),
    Useless,
}

/// Values read at a version of the inbox, by key.
pub struct VersionedCache<K, V> {
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K, V> Default for VersionedCache<K, V> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Clone + Eq + Hash, V> VersionedCache<K, V> {
    /// The value of `key` at `version`, reading it with `read` when none is kept. A failed
    /// read keeps nothing.
    ///
    /// An entry that is right at `version` but older than [`FRESH_FOR`] is read again by one
    /// request while the others are still given it, up to [`AGING_FOR`] more: the requests
    /// arriving as an entry runs out do not all wait for its read. An entry the version moved
    /// past is never given: those requests wait for the read.
    pub async fn get_or_read<E, F, Fut>(
        &self,
        key: K,
        version: InboxVersion,
        read: F,
    ) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = self.slot(key);
        let reading = match slot.look(version) {
            Kept::Fresh(value) => return Ok(value),
            Kept::Aging(value) => match slot.reading.try_lock() {
                Ok(reading) => reading,
                // Someone is reading it again already.
                Err(_) => return Ok(value),
            },
            Kept::Useless => {
                let reading = slot.reading.lock().await;
                // Whoever read while this request waited may have read what it needs.
                if let Kept::Fresh(value) = slot.look(version) {
                    return Ok(value);
                }
                reading
            }
        };
        let read_from = Timestamp::now();
        let value = Arc::new(read().await?);
        *lock(&slot.kept) = Some(Entry {
            version,
            read_from,
            read_at: Instant::now(),
            value: value.clone(),
        });
        drop(reading);
        Ok(value)
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = lock(&self.slots);
        if slots.len() >= MOST_ENTRIES && !slots.contains_key(&key) {
            slots.clear();
        }
        slots.entry(key).or_default().clone()
    }
}

impl<V> Slot<V> {
    fn look(&self, version: InboxVersion) -> Kept<V> {
        match lock(&self.kept).as_ref() {
            Some(kept) if kept.holds_at(version) => {
                let age = kept.read_at.elapsed();
                if age < FRESH_FOR {
                    Kept::Fresh(kept.value.clone())
                } else if age < FRESH_FOR + AGING_FOR {
                    Kept::Aging(kept.value.clone())
                } else {
                    Kept::Useless
                }
            }
            _ => Kept::Useless,
        }
    }
}

/// A poisoned lock only means another request panicked while holding it: what it guards is
/// still whole (each change under it is one assignment).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn at(conversations: Option<i64>) -> InboxVersion {
        InboxVersion {
            conversations: conversations.map(Timestamp::from_millis),
            ..InboxVersion::default()
        }
    }

    async fn read_counting(
        cache: &VersionedCache<u32, u32>,
        reads: &AtomicU32,
        version: InboxVersion,
    ) -> u32 {
        let got = cache
            .get_or_read(1, version, || async {
                Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await
            .unwrap();
        *got
    }

    #[tokio::test]
    async fn a_value_is_read_again_when_the_inbox_changed_and_not_before() {
        let cache = VersionedCache::default();
        let reads = AtomicU32::new(0);
        assert_eq!(read_counting(&cache, &reads, at(Some(10))).await, 1);
        assert_eq!(read_counting(&cache, &reads, at(Some(10))).await, 1, "kept");
        assert_eq!(
            read_counting(&cache, &reads, at(Some(11))).await,
            2,
            "changed"
        );
        assert_eq!(read_counting(&cache, &reads, at(Some(11))).await, 2);
        let member_added = InboxVersion {
            members: 1,
            ..at(Some(11))
        };
        assert_eq!(
            read_counting(&cache, &reads, member_added).await,
            3,
            "any mark that moves"
        );
    }

    #[tokio::test]
    async fn a_value_read_in_the_millisecond_of_its_change_is_read_again() {
        let cache = VersionedCache::default();
        let reads = AtomicU32::new(0);
        // A change stamped now, or later by another process's clock.
        let just_changed = InboxVersion {
            settings: Some(Timestamp::from_millis(Timestamp::now().millis() + 60_000)),
            ..at(Some(10))
        };
        assert_eq!(read_counting(&cache, &reads, just_changed).await, 1);
        assert_eq!(read_counting(&cache, &reads, just_changed).await, 2);
    }

    #[tokio::test]
    async fn a_value_runs_out_with_time_even_in_a_still_inbox() {
        let cache = VersionedCache::default();
        let reads = AtomicU32::new(0);
        assert_eq!(read_counting(&cache, &reads, at(None)).await, 1);
        tokio::time::sleep(FRESH_FOR + Duration::from_millis(20)).await;
        assert_eq!(read_counting(&cache, &reads, at(None)).await, 2);
    }

    #[tokio::test]
    async fn an_aging_entry_is_served_while_one_request_reads_it_again() {
        let cache: Arc<VersionedCache<u32, u32>> = Arc::default();
        let reads = Arc::new(AtomicU32::new(0));
        assert_eq!(read_counting(&cache, &reads, at(Some(10))).await, 1);
        tokio::time::sleep(FRESH_FOR + Duration::from_millis(20)).await;
        // One request reads again (slowly); one arriving meanwhile is given the kept value.
        let refreshing = {
            let (cache, reads) = (cache.clone(), reads.clone());
            tokio::spawn(async move {
                let got = cache
                    .get_or_read(1, at(Some(10)), || async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
                    })
                    .await
                    .unwrap();
                *got
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            read_counting(&cache, &reads, at(Some(10))).await,
            1,
            "served aging"
        );
        assert_eq!(refreshing.await.unwrap(), 2);
        assert_eq!(
            read_counting(&cache, &reads, at(Some(10))).await,
            2,
            "fresh again"
        );
        // Past the version, an aging entry is never given.
        tokio::time::sleep(FRESH_FOR + Duration::from_millis(20)).await;
        assert_eq!(read_counting(&cache, &reads, at(Some(12))).await, 3);
        // Past both delays, it is read again before answering.
        tokio::time::sleep(FRESH_FOR + AGING_FOR + Duration::from_millis(20)).await;
        assert_eq!(read_counting(&cache, &reads, at(Some(12))).await, 4);
    }

    #[tokio::test]
    async fn a_failed_read_keeps_nothing_and_waiting_requests_share_one_read() {
        let cache: Arc<VersionedCache<u32, u32>> = Arc::default();
        let failed = cache
            .get_or_read(1, at(None), || async { Err::<u32, &str>("down") })
            .await;
        assert_eq!(failed.unwrap_err(), "down");
        let reads = Arc::new(AtomicU32::new(0));
        let mut waiting = Vec::new();
        for _ in 0..8 {
            let (cache, reads) = (cache.clone(), reads.clone());
            waiting.push(tokio::spawn(async move {
                let got = cache
                    .get_or_read(1, at(None), || async {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
                    })
                    .await
                    .unwrap();
                *got
            }));
        }
        for w in waiting {
            assert_eq!(w.await.unwrap(), 1);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
