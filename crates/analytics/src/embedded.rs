//! The embedded event store: day logs for durability, Arrow segments for speed, in one directory
//! (`<data dir>/analytics`).
//!
//! ```text
//! log/2024-05-01.jsonl                         events of the day, appended (then synced)
//! log/2024-04-30.<id>.sealing                  a finished day being folded into segments
//! segments/<site id>/2024-04-30/*.arrow        one site's day, in columns (see `arrow_io`)
//! segments/<site id>/2024-04-30/merged         the sealing ids already folded in
//! ```
//!
//! An event is written to its day's log before the tracker is answered (and synced as
//! [`Durability`] says), then added to that day's in-memory segment, which queries read at once. When a UTC day is over (plus a
//! grace period for requests in flight), its log is taken aside, merged with any segment the day
//! already has, written as new segment directories, and deleted. Each step can be interrupted:
//! on start, a log being sealed is sealed again, and a site whose segment already lists the
//! log's id is skipped, so no event is counted twice or lost.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use relais_audience::engine::aggregate::needs_columns;
use relais_audience::engine::answer::{Answer, Site, answer};
use relais_audience::engine::funnel::{Step, funnel};
use relais_audience::engine::goal::Goal;
use relais_audience::engine::period::{resolve, utc_day};
use relais_audience::engine::segment::{Builder, Segment};
use relais_audience::engine::summary::{
    SummaryHead, SummaryPart, dashboard_dimensions, summary_segment,
};
use relais_audience::event::Event;
use relais_audience::query::parse::dimension_name;
use relais_audience::query::{DateRange, Dimension, Filter, Query};
use tokio::sync::{mpsc, oneshot};

use crate::arrow_io::{read_segment, write_segment};
use crate::durability::{Durability, SyncState};
use crate::summary_io::{read_head, read_part, write_summary};
use crate::wal::{DayLogs, read_log};
use crate::{AnalyticsError, EventStore, SiteInfo};

/// How long after a UTC day ends its log is sealed: requests received at 23:59:59 may still be
/// on their way to the log.
const SEAL_GRACE: Duration = Duration::minutes(5);

/// Realtime visitors are those seen in this window.
const CURRENT_WINDOW_MS: i64 = 5 * 60 * 1000;

type Key = (String, NaiveDate);

/// What of a sealed day a question reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    /// Its summary with the rollup of this dimension (`None`: the totals), or its columns if
    /// already in memory.
    Summary(Option<Dimension>),
    Columns,
}

/// A sealed day's summary as read so far: its head, the parts read (and those it lacks), and
/// the segment they make.
#[derive(Clone)]
struct Summarized {
    head: SummaryHead,
    parts: Vec<SummaryPart>,
    absent: HashSet<String>,
    segment: Arc<Segment>,
}

impl Summarized {
    /// Whether the parts of all these dimensions were read (or found absent).
    fn has(&self, dimensions: &[Option<Dimension>]) -> bool {
        dimensions
            .iter()
            .flatten()
            .all(|d| part_known(&self.parts, &self.absent, &dimension_name(d)))
    }
}

/// Whether a dimension's part was read, or found absent.
fn part_known(parts: &[SummaryPart], absent: &HashSet<String>, name: &str) -> bool {
    absent.contains(name) || parts.iter().any(|p| p.dimension() == name)
}

/// The rollup a question could be answered from: no filter and at most one dimension besides
/// time. `None`: it needs the columns. (The engine decides for good; this only picks the part
/// of the summaries to read.)
fn rollup_wanted(query: &Query) -> Option<Option<Dimension>> {
    if query.filter.is_some() {
        return None;
    }
    let mut others = query
        .dimensions
        .iter()
        .filter(|d| !matches!(d, Dimension::Time(_)));
    match (others.next(), others.next()) {
        (None, _) => Some(None),
        (Some(d), None) => Some(Some(d.clone())),
        _ => None,
    }
}

/// A day still receiving events: columns built as events arrive, and a snapshot for queries
/// (taken again only when events arrived since).
#[derive(Default)]
struct Live {
    builder: Builder,
    snapshot: Option<Arc<Segment>>,
}

impl Live {
    fn snapshot(&mut self) -> Arc<Segment> {
        self.snapshot
            .get_or_insert_with(|| Arc::new(self.builder.segment().clone()))
            .clone()
    }
}

struct Inner {
    root: PathBuf,
    logs: Mutex<DayLogs>,
    live: Mutex<HashMap<Key, Live>>,
    /// Days taken out of `live` while their log is sealed.
    sealing: Mutex<HashMap<Key, Arc<Segment>>>,
    /// Sealed segments read from disk so far.
    sealed: Mutex<HashMap<Key, Arc<Segment>>>,
    /// Summaries of sealed segments read from disk so far (see `summary_io`).
    summaries: Mutex<HashMap<Key, Summarized>>,
    /// Every sealed segment on disk.
    on_disk: Mutex<BTreeSet<Key>>,
    /// One sealing at a time.
    seal_lock: Mutex<()>,
    durability: Durability,
    sync: SyncState,
}

/// The embedded event store. Cheap to clone.
#[derive(Clone)]
pub struct Embedded {
    inner: Arc<Inner>,
    owner: Arc<Owner>,
}

/// The log writer and the directory's lock, released when the last clone goes: the writer is
/// stopped and joined first, so a process opening the directory next finds the logs complete.
struct Owner {
    writer: Mutex<Option<mpsc::UnboundedSender<Append>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The background syncing of [`Durability::Within`].
    syncer: Mutex<Option<std::thread::JoinHandle<()>>>,
    inner: Arc<Inner>,
    /// Held for the store's life: two processes appending to the same logs would interleave.
    _lock: std::fs::File,
}

impl Drop for Owner {
    fn drop(&mut self) {
        lock(&self.writer).take();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        // After the writer: its last events are synced too.
        self.inner.sync.stop();
        if let Some(thread) = lock(&self.syncer).take() {
            let _ = thread.join();
        }
    }
}

struct Append {
    events: Vec<Event>,
    done: oneshot::Sender<std::io::Result<()>>,
}

fn storage(e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::Storage(e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves plain data behind, still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Embedded {
    /// Opens (or creates) the store in `root` with the default [`Durability`]; see
    /// [`Embedded::open_with`].
    pub fn open(root: &Path) -> Result<Embedded, AnalyticsError> {
        Embedded::open_with(root, Durability::default())
    }

    /// Opens (or creates) the store in `root`, finishing any sealing a stop interrupted and
    /// reading back the logs of days not yet sealed. Blocking: call it before serving.
    pub fn open_with(root: &Path, durability: Durability) -> Result<Embedded, AnalyticsError> {
        let logs = DayLogs::open(&root.join("log")).map_err(storage)?;
        std::fs::create_dir_all(root.join("segments")).map_err(storage)?;
        let lock_file = std::fs::File::create(root.join("lock")).map_err(storage)?;
        if lock_file.try_lock().is_err() {
            return Err(AnalyticsError::Storage(format!(
                "another Relais process is using {}; stop it first (one process keeps a data directory's audience)",
                root.display()
            )));
        }
        let inner = Arc::new(Inner {
            root: root.to_path_buf(),
            logs: Mutex::new(logs),
            live: Mutex::new(HashMap::new()),
            sealing: Mutex::new(HashMap::new()),
            sealed: Mutex::new(HashMap::new()),
            summaries: Mutex::new(HashMap::new()),
            on_disk: Mutex::new(BTreeSet::new()),
            seal_lock: Mutex::new(()),
            durability,
            sync: SyncState::default(),
        });
        inner.recover_segments()?;
        let pending = lock(&inner.logs).sealing().map_err(storage)?;
        for (day, id, path) in pending {
            inner.seal_log(day, &id, &path)?;
        }
        inner.replay_logs()?;
        let (writer, requests) = mpsc::unbounded_channel();
        let for_writer = inner.clone();
        let thread = std::thread::Builder::new()
            .name("relais-analytics-log".into())
            .spawn(move || for_writer.write_loop(requests))
            .map_err(storage)?;
        let syncer = match durability {
            Durability::EachAnswer => None,
            Durability::Within(every) => {
                let for_syncer = inner.clone();
                Some(
                    std::thread::Builder::new()
                        .name("relais-analytics-sync".into())
                        .spawn(move || for_syncer.sync.run(&for_syncer.logs, every))
                        .map_err(storage)?,
                )
            }
        };
        let owner = Arc::new(Owner {
            writer: Mutex::new(Some(writer)),
            thread: Mutex::new(Some(thread)),
            syncer: Mutex::new(syncer),
            inner: inner.clone(),
            _lock: lock_file,
        });
        Ok(Embedded { inner, owner })
    }

    /// Events answered and not yet synced to disk (always 0 with [`Durability::EachAnswer`]
    /// once `append` has returned).
    pub fn unsynced_events(&self) -> u64 {
        self.inner.sync.pending()
    }

    /// Seals every finished day (see the module's notes); returns how many days. Blocking.
    pub fn seal_finished_days(&self, now: DateTime<Utc>) -> Result<usize, AnalyticsError> {
        let _one = lock(&self.inner.seal_lock);
        let today = utc_day((now - SEAL_GRACE).timestamp_millis());
        let days = lock(&self.inner.logs).days().map_err(storage)?;
        let mut sealed = 0;
        for day in days.into_iter().filter(|d| *d < today) {
            let id = random_id();
            let taken = {
                let mut logs = lock(&self.inner.logs);
                let Some(path) = logs.take(day, &id).map_err(storage)? else {
                    continue;
                };
                // Under the log's lock: no event of the day can be between the log and memory.
                let mut live = lock(&self.inner.live);
                let keys: Vec<Key> = live.keys().filter(|k| k.1 == day).cloned().collect();
                let mut sealing = lock(&self.inner.sealing);
                for key in keys {
                    if let Some(mut l) = live.remove(&key) {
                        sealing.insert(key, l.snapshot());
                    }
                }
                path
            };
            self.inner.seal_log(day, &id, &taken)?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Reads the summaries of the sealed days of the last `days` days into memory (writing those
    /// missing, for days sealed before summaries existed), so that the first visitors of the
    /// dashboard after a start do not wait for the disk. Blocking: run it on a thread of its own.
    /// Returns how many days it read.
    pub fn warm(&self, now: DateTime<Utc>, days: i64) -> Result<usize, AnalyticsError> {
        let since = utc_day(now.timestamp_millis()) - Duration::days(days);
        let keys: Vec<Key> = lock(&self.inner.on_disk)
            .iter()
            .filter(|k| k.1 >= since)
            .cloned()
            .collect();
        for key in &keys {
            // Every part at once: one rebuild of the day's summary, not one per part.
            self.inner.sealed_summary(key, &dashboard_dimensions())?;
        }
        Ok(keys.len())
    }

    /// The segments holding a site's events of some UTC days; sealed days as their summaries
    /// unless `read` says the columns are needed.
    fn segments(
        &self,
        site: &str,
        days: &[NaiveDate],
        read: Read,
    ) -> Result<Vec<Arc<Segment>>, AnalyticsError> {
        if let Read::Summary(dimension) = &read {
            let keys: Vec<Key> = days.iter().map(|d| (site.to_string(), *d)).collect();
            self.inner
                .read_summaries(&keys, std::slice::from_ref(dimension))?;
        }
        let mut out = Vec::new();
        for day in days {
            let key = (site.to_string(), *day);
            let sealed = match &read {
                Read::Columns => self.inner.sealed_segment(&key)?,
                Read::Summary(dimension) => self
                    .inner
                    .sealed_summary(&key, std::slice::from_ref(dimension))?,
            };
            if let Some(seg) = sealed {
                out.push(seg);
            }
            if let Some(seg) = lock(&self.inner.sealing).get(&key) {
                out.push(seg.clone());
            }
            if let Some(live) = lock(&self.inner.live).get_mut(&key) {
                out.push(live.snapshot());
            }
        }
        Ok(out)
    }

    /// Every UTC day a site has events on.
    fn days_of(&self, site: &str) -> Vec<NaiveDate> {
        let mut days: BTreeSet<NaiveDate> = lock(&self.inner.on_disk)
            .iter()
            .filter(|k| k.0 == site)
            .map(|k| k.1)
            .collect();
        days.extend(
            lock(&self.inner.live)
                .keys()
                .filter(|k| k.0 == site)
                .map(|k| k.1),
        );
        days.extend(
            lock(&self.inner.sealing)
                .keys()
                .filter(|k| k.0 == site)
                .map(|k| k.1),
        );
        days.into_iter().collect()
    }

    /// Bytes the segments of a site take on disk (for the benchmark's bytes per event).
    pub fn bytes_on_disk(&self) -> u64 {
        fn walk(dir: &Path) -> u64 {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| match e.file_type() {
                            Ok(t) if t.is_dir() => walk(&e.path()),
                            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.inner.root.join("segments"))
    }
}

#[async_trait]
impl EventStore for Embedded {
    async fn append(&self, events: Vec<Event>) -> Result<(), AnalyticsError> {
        if let Some(bad) = events.iter().find(|e| !is_site_id(&e.site)) {
            return Err(AnalyticsError::Storage(format!(
                "`{}` is not a site id",
                bad.site.chars().take(40).collect::<String>()
            )));
        }
        if events.is_empty() {
            return Ok(());
        }
        let (done, written) = oneshot::channel();
        let writer = lock(&self.owner.writer).clone();
        writer
            .ok_or_else(|| storage("the event store is closing"))?
            .send(Append { events, done })
            .map_err(|_| storage("the event log writer has stopped"))?;
        written
            .await
            .map_err(|_| storage("the event log writer has stopped"))?
            .map_err(storage)
    }

    async fn answer(
        &self,
        site: &SiteInfo,
        query: &Query,
        now: DateTime<Utc>,
    ) -> Result<Answer, AnalyticsError> {
        let period = resolve(&query.date_range, now, site.tz, site.start)
            .map_err(|e| AnalyticsError::Query(e.0))?;
        // The UTC days the period touches, and those of the previous period for comparisons.
        let before = if query.include.compare_previous_period {
            (period.last_day - period.first_day).num_days() + 2
        } else {
            0
        };
        let days = utc_days(&period, before);
        let store = self.clone();
        let site = site.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || {
            let view = Site {
                goals: &site.goals,
                tz: site.tz,
                start: site.start,
            };
            // The days' summaries answer the dashboard's usual questions; others read columns.
            let summary = rollup_wanted(&query).map(Read::Summary);
            for read in summary.into_iter().chain([Read::Columns]) {
                let segments = store.segments(&site.id, &days, read.clone())?;
                let refs: Vec<&Segment> = segments.iter().map(Arc::as_ref).collect();
                match answer(&query, &refs, view, now) {
                    Err(e) if needs_columns(&e.0) && read != Read::Columns => continue,
                    answered => return answered.map_err(|e| AnalyticsError::Query(e.0)),
                }
            }
            Err(AnalyticsError::Storage(
                "a day's columns could not be read".into(),
            ))
        })
        .await
        .map_err(storage)?
    }

    async fn funnel(
        &self,
        site: &SiteInfo,
        steps: &[Goal],
        range: &DateRange,
        filter: Option<&Filter>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Step>, AnalyticsError> {
        let period =
            resolve(range, now, site.tz, site.start).map_err(|e| AnalyticsError::Query(e.0))?;
        let days = utc_days(&period, 0);
        let (store, site, steps, filter) =
            (self.clone(), site.clone(), steps.to_vec(), filter.cloned());
        tokio::task::spawn_blocking(move || {
            let segments = store.segments(&site.id, &days, Read::Columns)?;
            let refs: Vec<&Segment> = segments.iter().map(Arc::as_ref).collect();
            funnel(&refs, &period, filter.as_ref(), &steps).map_err(|e| AnalyticsError::Query(e.0))
        })
        .await
        .map_err(storage)?
    }

    async fn current_visitors(
        &self,
        site: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, AnalyticsError> {
        let now_ms = now.timestamp_millis();
        let since = now_ms - CURRENT_WINDOW_MS;
        let days = [utc_day(since), utc_day(now_ms)];
        let mut days: Vec<NaiveDate> = days.to_vec();
        days.dedup();
        let mut seen: HashSet<(usize, u32)> = HashSet::new();
        for (n, seg) in self
            .segments(site, &days, Read::Columns)?
            .iter()
            .enumerate()
        {
            let e = &seg.events;
            let from = e.at_ms.partition_point(|&t| t < since);
            let to = e.at_ms.partition_point(|&t| t <= now_ms);
            for i in from..to {
                seen.insert((n, seg.sessions.visitor[e.session[i] as usize]));
            }
        }
        Ok(seen.len() as u64)
    }

    async fn export(&self, site: &str) -> Result<Vec<Event>, AnalyticsError> {
        let days = self.days_of(site);
        let store = self.clone();
        let site = site.to_string();
        tokio::task::spawn_blocking(move || {
            let mut events = Vec::new();
            for seg in store.segments(&site, &days, Read::Columns)? {
                events.extend(seg.events(&site));
            }
            events.sort_by_key(|e| e.at_ms);
            Ok(events)
        })
        .await
        .map_err(storage)?
    }

    async fn recent_visits(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, u64, u64, i64)>, AnalyticsError> {
        let live = lock(&self.inner.live);
        Ok(live
            .iter()
            .flat_map(|((site, _), l)| {
                l.builder
                    .visits()
                    .into_iter()
                    .filter(|v| v.2 >= since_ms)
                    .map(|(visitor, visit, last)| (site.clone(), visitor, visit, last))
                    .collect::<Vec<_>>()
            })
            .collect())
    }
}

impl Inner {
    /// The log writer: takes every request waiting, writes them at once (and syncs them, with
    /// [`Durability::EachAnswer`]: one sync for many requests under load), then shows them to
    /// queries and answers.
    fn write_loop(self: Arc<Self>, mut requests: mpsc::UnboundedReceiver<Append>) {
        while let Some(first) = requests.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < 4096 {
                match requests.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            // The events move out of their requests: only the answers are sent back.
            let owned: Vec<Event> = batch
                .iter_mut()
                .flat_map(|a| std::mem::take(&mut a.events))
                .collect();
            let result = {
                let mut logs = lock(&self.logs);
                let written = match self.sync.failure() {
                    Some(why) => Err(std::io::Error::other(why)),
                    None => logs.append(&owned),
                }
                .and_then(|()| {
                    self.sync.written(owned.len() as u64);
                    match self.durability {
                        Durability::EachAnswer => self.sync.sync_held(&mut logs),
                        Durability::Within(_) => Ok(()),
                    }
                });
                if written.is_ok() {
                    let mut live = lock(&self.live);
                    for event in &owned {
                        let l = live
                            .entry((event.site.clone(), utc_day(event.at_ms)))
                            .or_default();
                        l.builder.push(event);
                        l.snapshot = None;
                    }
                }
                written
            };
            for append in batch {
                let answer = match &result {
                    Ok(()) => Ok(()),
                    Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
                };
                // The caller may have gone (a closed connection): the events are kept anyway.
                let _ = append.done.send(answer);
            }
        }
    }

    fn segment_dir(&self, site: &str, day: NaiveDate) -> PathBuf {
        self.root.join("segments").join(site).join(day.to_string())
    }

    fn sealed_segment(&self, key: &Key) -> Result<Option<Arc<Segment>>, AnalyticsError> {
        if !lock(&self.on_disk).contains(key) {
            return Ok(None);
        }
        if let Some(seg) = lock(&self.sealed).get(key) {
            return Ok(Some(seg.clone()));
        }
        let seg = Arc::new(read_segment(&self.segment_dir(&key.0, key.1)).map_err(storage)?);
        lock(&self.sealed).insert(key.clone(), seg.clone());
        Ok(Some(seg))
    }

    /// A sealed day as its summary with the rollups of `dimensions` (read now if not yet); its columns
    /// when they are in memory already, or when the day has no summary (sealed by an earlier
    /// version: the summary is then written) or an unreadable one.
    fn sealed_summary(
        &self,
        key: &Key,
        dimensions: &[Option<Dimension>],
    ) -> Result<Option<Arc<Segment>>, AnalyticsError> {
        if !lock(&self.on_disk).contains(key) {
            return Ok(None);
        }
        if let Some(seg) = lock(&self.sealed).get(key) {
            return Ok(Some(seg.clone()));
        }
        let known = match lock(&self.summaries).get(key) {
            Some(known) if known.has(dimensions) => return Ok(Some(known.segment.clone())),
            known => known.cloned(),
        };
        // Read without holding the summaries: other days are read at the same time.
        let dir = self.segment_dir(&key.0, key.1);
        match self.read_summary(&dir, known, dimensions) {
            Ok(Some(summarized)) => {
                let segment = summarized.segment.clone();
                lock(&self.summaries).insert(key.clone(), summarized);
                Ok(Some(segment))
            }
            Ok(None) => {
                let seg = self.sealed_segment(key)?;
                if let Some(seg) = &seg {
                    write_summary(&dir, seg)?;
                }
                Ok(seg)
            }
            Err(e) => {
                tracing::warn!(error = %e, "audience: a day's summary is unreadable; its columns are read instead");
                self.sealed_segment(key)
            }
        }
    }

    /// Reads the summaries (with the parts of `dimensions`) of the days among `keys` not yet in
    /// memory, on as many threads as the machine has cores: a month of them is read in the
    /// time of half a month on two.
    fn read_summaries(
        &self,
        keys: &[Key],
        dimensions: &[Option<Dimension>],
    ) -> Result<(), AnalyticsError> {
        let missing: Vec<&Key> = {
            let (summaries, sealed) = (lock(&self.summaries), lock(&self.sealed));
            keys.iter()
                .filter(|k| {
                    !sealed.contains_key(*k)
                        && !summaries.get(*k).is_some_and(|s| s.has(dimensions))
                })
                .collect()
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if missing.len() < 2 || threads < 2 {
            return Ok(());
        }
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let mine: Vec<&Key> =
                        missing.iter().skip(t).step_by(threads).copied().collect();
                    scope.spawn(move || -> Result<(), AnalyticsError> {
                        for key in mine {
                            self.sealed_summary(key, dimensions)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for worker in workers {
                worker
                    .join()
                    .map_err(|_| storage("reading a day's summary stopped"))??;
            }
            Ok(())
        })
    }

    /// What is known of a day's summary, with the parts of `dimensions` read; `None` without a
    /// summary.
    fn read_summary(
        &self,
        dir: &Path,
        known: Option<Summarized>,
        dimensions: &[Option<Dimension>],
    ) -> Result<Option<Summarized>, AnalyticsError> {
        let (head, mut parts, mut absent) = match known {
            Some(k) => (k.head, k.parts, k.absent),
            None => match read_head(dir)? {
                Some(head) => (head, Vec::new(), HashSet::new()),
                None => return Ok(None),
            },
        };
        for d in dimensions.iter().flatten() {
            let name = dimension_name(d);
            if part_known(&parts, &absent, &name) {
                continue;
            }
            match read_part(dir, &name)? {
                Some(part) => parts.push(part),
                None => {
                    absent.insert(name);
                }
            }
        }
        let segment = summary_segment(&head, &parts)
            .map_err(|e| AnalyticsError::Storage(format!("{}: {e}", dir.display())))?;
        Ok(Some(Summarized {
            head,
            parts,
            absent,
            segment: Arc::new(segment),
        }))
    }

    /// Folds a taken log into its day's segments, site by site, then deletes it.
    fn seal_log(&self, day: NaiveDate, id: &str, path: &Path) -> Result<(), AnalyticsError> {
        let (events, torn) = read_log(path).map_err(storage)?;
        if torn > 0 {
            tracing::warn!(%day, torn, "skipped unreadable lines of an event log (torn by a crash, never acknowledged)");
        }
        let mut by_site: HashMap<String, Vec<Event>> = HashMap::new();
        for event in events {
            by_site.entry(event.site.clone()).or_default().push(event);
        }
        for (site, mut events) in by_site {
            let dir = self.segment_dir(&site, day);
            let mut merged = read_merged(&dir);
            if merged.contains(id) {
                continue; // folded in before a stop
            }
            let key = (site.clone(), day);
            if let Some(existing) = self.sealed_segment(&key)? {
                events.extend(existing.events(&site));
            }
            let seg = Segment::build(&events);
            merged.insert(id.to_string());
            replace_segment(&dir, &seg, &merged)?;
            lock(&self.on_disk).insert(key.clone());
            lock(&self.sealed).insert(key.clone(), Arc::new(seg));
            lock(&self.summaries).remove(&key);
            lock(&self.sealing).remove(&key);
        }
        lock(&self.sealing).retain(|k, _| k.1 != day);
        std::fs::remove_file(path).map_err(storage)?;
        Ok(())
    }

    /// Finishes directory switches a stop interrupted and lists the segments on disk.
    fn recover_segments(&self) -> Result<(), AnalyticsError> {
        let base = self.root.join("segments");
        let mut found = BTreeSet::new();
        for site in std::fs::read_dir(&base)
            .map_err(storage)?
            .filter_map(Result::ok)
        {
            let site_name = site.file_name().to_string_lossy().into_owned();
            if !is_site_id(&site_name) {
                continue;
            }
            for entry in std::fs::read_dir(site.path())
                .map_err(storage)?
                .filter_map(Result::ok)
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if let Some(day) = name.strip_suffix(".new") {
                    let target = site.path().join(day);
                    if path.join(COMPLETE).exists() && !target.exists() {
                        std::fs::rename(&path, &target).map_err(storage)?;
                    } else {
                        std::fs::remove_dir_all(&path).map_err(storage)?;
                    }
                } else if let Some(day) = name.strip_suffix(".old") {
                    let target = site.path().join(day);
                    if target.exists() {
                        std::fs::remove_dir_all(&path).map_err(storage)?;
                    } else {
                        std::fs::rename(&path, &target).map_err(storage)?;
                    }
                }
            }
            for entry in std::fs::read_dir(site.path())
                .map_err(storage)?
                .filter_map(Result::ok)
            {
                if let Ok(day) = entry.file_name().to_string_lossy().parse::<NaiveDate>() {
                    found.insert((site_name.clone(), day));
                }
            }
        }
        *lock(&self.on_disk) = found;
        Ok(())
    }

    /// Reads the logs of days not yet sealed back into memory.
    fn replay_logs(&self) -> Result<(), AnalyticsError> {
        let logs = lock(&self.logs);
        let mut live = lock(&self.live);
        for day in logs.days().map_err(storage)? {
            let (mut events, torn) = read_log(&logs.path_of_day(day)).map_err(storage)?;
            if torn > 0 {
                tracing::warn!(%day, torn, "skipped unreadable lines of an event log (torn by a crash, never acknowledged)");
            }
            events.sort_by_key(|e| e.at_ms);
            for event in &events {
                live.entry((event.site.clone(), day))
                    .or_default()
                    .builder
                    .push(event);
            }
        }
        Ok(())
    }
}

/// The UTC days a period touches, starting `before` days earlier (for comparisons).
fn utc_days(period: &relais_audience::engine::period::Period, before: i64) -> Vec<NaiveDate> {
    let first = utc_day(period.start_ms) - Duration::days(before);
    let last = utc_day(period.end_ms - 1);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .take(20_000)
        .collect()
}

/// Marks a segment directory fully written.
const COMPLETE: &str = "complete";
const MERGED: &str = "merged";

fn read_merged(dir: &Path) -> HashSet<String> {
    std::fs::read_to_string(dir.join(MERGED))
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Writes a segment in `<dir>.new`, then swaps it with `<dir>`: readers see the old segment or
/// the new one, never half of each.
fn replace_segment(
    dir: &Path,
    seg: &Segment,
    merged: &HashSet<String>,
) -> Result<(), AnalyticsError> {
    let staging = dir.with_extension("new");
    let old = dir.with_extension("old");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(storage)?;
    }
    write_segment(&staging, seg).map_err(storage)?;
    write_summary(&staging, seg)?;
    let mut ids: Vec<&String> = merged.iter().collect();
    ids.sort();
    let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
    write_synced(&staging.join(MERGED), text.as_bytes())?;
    write_synced(&staging.join(COMPLETE), b"")?;
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(storage)?;
    }
    std::fs::rename(&staging, dir).map_err(storage)?;
    if let Some(parent) = dir.parent() {
        std::fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(storage)?;
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(storage)?;
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), AnalyticsError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(storage)?;
    f.write_all(bytes).map_err(storage)?;
    f.sync_all().map_err(storage)
}

/// Site ids are UUIDs; nothing else names a directory.
fn is_site_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn random_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return format!("{}", Utc::now().timestamp_nanos_opt().unwrap_or(0));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
