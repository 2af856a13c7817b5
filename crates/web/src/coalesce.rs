//! Reads that many requests make at once, made once for all of them, without ever answering
//! with something older than the request.
//!
//! Every page asks the database the same few things: whose session this is, the member's role
//! in the workspace, the inbox's version. Under load, a team's requests ask them with the same
//! key many times a millisecond. A [`Coalesced`] read lets a request share the answer of a read
//! of the same key that *started after the request arrived*: such a read saw every change
//! committed before the request came, so its answer is exactly what the request would have read
//! itself (a sign-out or a new message committed before the request is always seen). A read
//! already running when a request arrives may have started before a change the request must
//! see, so the request waits for it to end and shares the next one instead, which the first of
//! the waiting requests starts. Nothing is kept once read: this is not a cache.
//!
//! At most one read per key runs at a time; a request waits at most for the read running when
//! it came plus its own. A failed read is given to its reader alone: each waiting request then
//! reads again for itself (one at a time, as above), so an error never reaches a request that
//! did not see it happen.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// Keys kept at most. Past it the map starts again empty: a request holding an entry keeps it
/// alive until it ends, and a new request makes a new one, which only costs one more read.
const MOST_KEYS: usize = 4_096;

/// Reads by key, each shared by the requests that arrived before it started.
pub struct Coalesced<K, V> {
    entries: Mutex<HashMap<K, Arc<Entry<V>>>>,
}

impl<K, V> Default for Coalesced<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

struct Entry<V> {
    state: Mutex<EntryState<V>>,
    /// Sends the number of reads ended (well or not), to wake the requests waiting on them.
    ended: watch::Sender<u64>,
}

struct EntryState<V> {
    /// Reads started so far; the running one, if any, is the last.
    started: u64,
    running: bool,
    /// The last read that succeeded: its number and answer.
    answer: Option<(u64, V)>,
}

impl<K: Eq + Hash + Clone, V: Clone> Coalesced<K, V> {
    /// The answer of `read` for `key`, as read by a read that started after this call.
    pub async fn read<E, F, Fut>(&self, key: K, read: F) -> Result<V, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let entry = self.entry(key);
        // Any read numbered `needed` or more started after now.
        let needed = lock(&entry.state).started + 1;
        loop {
            // Decided under the lock, acted on after it: no lock is held across an await.
            let step = {
                let mut state = lock(&entry.state);
                match &state.answer {
                    Some((number, answer)) if *number >= needed => Step::Answer(answer.clone()),
                    _ if !state.running => {
                        state.started += 1;
                        state.running = true;
                        Step::Read(state.started)
                    }
                    // Subscribed under the lock: the running read cannot end unseen.
                    _ => Step::Wait(entry.ended.subscribe()),
                }
            };
            match step {
                Step::Answer(answer) => return Ok(answer),
                Step::Read(number) => return entry.run(number, &read).await,
                // The sender lives in `entry`, held here: this returns once a read ended.
                Step::Wait(mut ended) => {
                    let _ = ended.changed().await;
                }
            }
        }
    }

    fn entry(&self, key: K) -> Arc<Entry<V>> {
        let mut entries = lock(&self.entries);
        if entries.len() >= MOST_KEYS && !entries.contains_key(&key) {
            entries.clear();
        }
        entries
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Entry {
                    state: Mutex::new(EntryState {
                        started: 0,
                        running: false,
                        answer: None,
                    }),
                    ended: watch::channel(0).0,
                })
            })
            .clone()
    }
}

impl<V: Clone> Entry<V> {
    async fn run<E, F, Fut>(&self, number: u64, read: &F) -> Result<V, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        // Should this request be dropped mid-read (its client gone), the entry must not stay
        // marked as running, or the requests waiting on it would wait forever.
        let mut guard = EndGuard {
            entry: self,
            answer: None,
        };
        let result = read().await;
        if let Ok(answer) = &result {
            guard.answer = Some((number, answer.clone()));
        }
        drop(guard);
        result
    }
}

/// What a request does next, as its entry's state says.
enum Step<V> {
    Answer(V),
    /// Run the read of this number.
    Read(u64),
    Wait(watch::Receiver<u64>),
}

/// Ends the running read when dropped, having recorded its answer if it has one.
struct EndGuard<'a, V> {
    entry: &'a Entry<V>,
    answer: Option<(u64, V)>,
}

impl<V> Drop for EndGuard<'_, V> {
    fn drop(&mut self) {
        let mut state = lock(&self.entry.state);
        state.running = false;
        if let Some(answer) = self.answer.take() {
            state.answer = Some(answer);
        }
        self.entry.ended.send_modify(|n| *n += 1);
    }
}

/// A poisoned lock only means a panic elsewhere while it was held; the state is still whole
/// (every change under these locks is a single assignment).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use super::*;

    /// A "database" whose value can change, counting reads, each taking `pause`.
    struct Source {
        value: AtomicU64,
        reads: AtomicU64,
        pause: Duration,
    }

    impl Source {
        fn new(pause_ms: u64) -> Arc<Self> {
            Arc::new(Source {
                value: AtomicU64::new(1),
                reads: AtomicU64::new(0),
                pause: Duration::from_millis(pause_ms),
            })
        }

        /// Reads the value when the read starts, as a database statement sees its snapshot.
        async fn read(&self) -> Result<u64, String> {
            let seen = self.value.load(Ordering::SeqCst);
            self.reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.pause).await;
            Ok(seen)
        }
    }

    #[tokio::test]
    async fn requests_that_wait_together_share_one_read() {
        let source = Source::new(50);
        let reads = Arc::new(Coalesced::<&str, u64>::default());
        // The first request starts a read; the next 20 arrive while it runs and share the
        // one that follows it.
        let first = {
            let (reads, source) = (reads.clone(), source.clone());
            tokio::spawn(async move { reads.read("k", || source.read()).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut others = Vec::new();
        for _ in 0..20 {
            let (reads, source) = (reads.clone(), source.clone());
            others.push(tokio::spawn(async move {
                reads.read("k", || source.read()).await
            }));
        }
        assert_eq!(first.await.unwrap(), Ok(1));
        for other in others {
            assert_eq!(other.await.unwrap(), Ok(1));
        }
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            2,
            "one read, then one for the 20"
        );
    }

    #[tokio::test]
    async fn a_change_made_before_a_request_is_always_seen() {
        let source = Source::new(50);
        let reads = Arc::new(Coalesced::<&str, u64>::default());
        // A read starts and sees 1; then the value changes; then a request comes while that
        // read still runs. It must not be given the 1.
        let early = {
            let (reads, source) = (reads.clone(), source.clone());
            tokio::spawn(async move { reads.read("k", || source.read()).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        source.value.store(2, Ordering::SeqCst);
        let late = reads.read("k", || source.read()).await;
        assert_eq!(early.await.unwrap(), Ok(1));
        assert_eq!(late, Ok(2));
    }

    #[tokio::test]
    async fn keys_are_read_apart() {
        let source = Source::new(1);
        let reads = Coalesced::<&str, u64>::default();
        assert_eq!(reads.read("a", || source.read()).await, Ok(1));
        source.value.store(5, Ordering::SeqCst);
        assert_eq!(reads.read("b", || source.read()).await, Ok(5));
        // One request after the other: each reads for itself, nothing is kept.
        assert_eq!(reads.read("a", || source.read()).await, Ok(5));
        assert_eq!(source.reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_error_reaches_only_its_reader_and_the_others_read_again() {
        let reads = Arc::new(Coalesced::<&str, u64>::default());
        let attempts = Arc::new(AtomicU64::new(0));
        let failing_then_fine = {
            let attempts = attempts.clone();
            move || {
                let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    if attempt == 0 {
                        Err("the database went away".to_owned())
                    } else {
                        Ok(7)
                    }
                }
            }
        };
        let first = {
            let (reads, read) = (reads.clone(), failing_then_fine.clone());
            tokio::spawn(async move { reads.read("k", read).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut others = Vec::new();
        for _ in 0..5 {
            let (reads, read) = (reads.clone(), failing_then_fine.clone());
            others.push(tokio::spawn(async move { reads.read("k", read).await }));
        }
        assert_eq!(
            first.await.unwrap(),
            Err("the database went away".to_owned())
        );
        for other in others {
            assert_eq!(other.await.unwrap(), Ok(7));
        }
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_reader_gone_mid_read_does_not_leave_the_others_waiting() {
        let source = Source::new(200);
        let reads = Arc::new(Coalesced::<&str, u64>::default());
        let abandoned = {
            let (reads, source) = (reads.clone(), source.clone());
            tokio::spawn(async move { reads.read("k", || source.read()).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let waiting = {
            let (reads, source) = (reads.clone(), source.clone());
            tokio::spawn(async move { reads.read("k", || source.read()).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        abandoned.abort();
        let answer = tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("the waiting request is not left hanging");
        assert_eq!(answer.unwrap(), Ok(1));
    }
}
