//! When an accepted event reaches the disk, and the thread that puts it there.
//!
//! Every event is written to its day's log before the tracker is answered, so a crash of
//! Relais itself (a panic, a kill, an out-of-memory stop) loses nothing that was answered: the
//! kernel holds the bytes and writes them out. Only a crash of the machine (power, kernel) can
//! lose what the kernel had not yet written, and how much is the store's choice:
//! [`Durability::EachAnswer`] syncs before answering (nothing answered is ever lost, but each
//! answer waits for the disk, which caps the rate at the clients in flight over the disk's sync
//! time: about 64 / 1.5 ms on this project's test machine), [`Durability::Within`] syncs in the
//! background at least that often (the default, 20 ms: what a machine crash can lose).

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::wal::DayLogs;

/// When an answered event is on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Synced before the answer.
    EachAnswer,
    /// Synced at most this long after the answer (a crash of Relais still loses nothing).
    Within(Duration),
}

impl Default for Durability {
    fn default() -> Self {
        Durability::Within(Duration::from_millis(20))
    }
}

impl Durability {
    /// From the config's `audience_sync_ms`: 0 syncs before each answer.
    pub fn from_millis(ms: u64) -> Durability {
        match ms {
            0 => Durability::EachAnswer,
            ms => Durability::Within(Duration::from_millis(ms)),
        }
    }
}

/// What the writer and the syncing thread share.
#[derive(Default)]
pub(crate) struct SyncState {
    /// Events written and not yet synced.
    pending: AtomicU64,
    /// Why the last background sync failed: from then on nothing more is accepted (the disk
    /// can no longer be trusted to keep what is answered).
    failure: Mutex<Option<String>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SyncState {
    /// Counts events just written (call it under the logs' lock, right after the write).
    pub(crate) fn written(&self, events: u64) {
        self.pending.fetch_add(events, Ordering::SeqCst);
    }

    pub(crate) fn pending(&self) -> u64 {
        self.pending.load(Ordering::SeqCst)
    }

    pub(crate) fn failure(&self) -> Option<String> {
        lock(&self.failure).clone()
    }

    /// Syncs every log written since the last sync. The logs are held only to take their
    /// handles: writers go on while the disk works.
    pub(crate) fn sync(&self, logs: &Mutex<DayLogs>) -> std::io::Result<()> {
        let taken = lock(logs).unsynced()?;
        self.sync_taken(taken)
    }

    /// [`SyncState::sync`] by the writer, which holds the logs already.
    pub(crate) fn sync_held(&self, logs: &mut DayLogs) -> std::io::Result<()> {
        let taken = logs.unsynced()?;
        self.sync_taken(taken)
    }

    fn sync_taken(&self, (files, events): (Vec<File>, u64)) -> std::io::Result<()> {
        for file in files {
            file.sync_data()?;
        }
        self.pending.fetch_sub(events, Ordering::SeqCst);
        Ok(())
    }

    /// The background syncing of [`Durability::Within`]: every `every` (sooner when stopped),
    /// until [`SyncState::stop`]; its last round syncs what the writer wrote last.
    pub(crate) fn run(&self, logs: &Mutex<DayLogs>, every: Duration) {
        loop {
            let stopping = {
                let stop = lock(&self.stop);
                let (stop, _) = self
                    .wake
                    .wait_timeout_while(stop, every, |stop| !*stop)
                    .unwrap_or_else(|p| p.into_inner());
                *stop
            };
            if self.pending() > 0
                && let Err(e) = self.sync(logs)
            {
                tracing::error!(error = %e, "audience: the event log cannot be synced to disk; new events are refused until Relais restarts");
                *lock(&self.failure) = Some(format!(
                    "the disk refused to sync the event log ({e}); check the disk, then restart Relais"
                ));
            }
            if stopping {
                return;
            }
        }
    }

    /// Ends [`SyncState::run`] after one last sync.
    pub(crate) fn stop(&self) {
        *lock(&self.stop) = true;
        self.wake.notify_all();
    }
}
