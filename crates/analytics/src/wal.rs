//! The write-ahead day logs: every accepted event is appended, as one JSON line, to the log of
//! its UTC day (`YYYY-MM-DD.jsonl`) before the tracker is answered, and synced to disk as the
//! store's [`crate::durability::Durability`] says. A line torn by a crash in the middle of a
//! write was never answered, and is skipped when the log is read back.
//!
//! When a day is over, its log is renamed `YYYY-MM-DD.<id>.sealing`, folded into the day's
//! columnar segments, then deleted (see `embedded.rs`).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use relais_audience::engine::period::utc_day;
use relais_audience::event::Event;

/// The open day logs of one directory.
pub struct DayLogs {
    dir: PathBuf,
    open: HashMap<NaiveDate, File>,
    /// Days written since the last [`DayLogs::unsynced`], and how many events.
    dirty: HashSet<NaiveDate>,
    dirty_events: u64,
}

impl DayLogs {
    pub fn open(dir: &Path) -> std::io::Result<DayLogs> {
        std::fs::create_dir_all(dir)?;
        Ok(DayLogs {
            dir: dir.to_path_buf(),
            open: HashMap::new(),
            dirty: HashSet::new(),
            dirty_events: 0,
        })
    }

    /// Appends events to their days' logs: once it returns they are in the kernel's hands (a
    /// crash of the process cannot lose them), not yet on the disk (see [`DayLogs::unsynced`]).
    pub fn append(&mut self, events: &[Event]) -> std::io::Result<()> {
        let mut by_day: HashMap<NaiveDate, Vec<u8>> = HashMap::new();
        for event in events {
            let line = by_day.entry(utc_day(event.at_ms)).or_default();
            serde_json::to_writer(&mut *line, event).map_err(std::io::Error::other)?;
            line.push(b'\n');
        }
        for (day, bytes) in &by_day {
            let file = match self.open.get_mut(day) {
                Some(f) => f,
                None => {
                    let f = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(self.path(*day))?;
                    self.open.entry(*day).or_insert(f)
                }
            };
            file.write_all(bytes)?;
            self.dirty.insert(*day);
        }
        self.dirty_events += events.len() as u64;
        Ok(())
    }

    /// The logs written since the last call (handles of their own, to be synced without holding
    /// the logs) and how many events were appended since; the next call starts counting again.
    pub fn unsynced(&mut self) -> std::io::Result<(Vec<File>, u64)> {
        let mut files = Vec::with_capacity(self.dirty.len());
        for day in self.dirty.drain() {
            // A day taken for sealing was synced by `take`.
            if let Some(f) = self.open.get(&day) {
                files.push(f.try_clone()?);
            }
        }
        Ok((files, std::mem::take(&mut self.dirty_events)))
    }

    /// Days that have a log.
    pub fn days(&self) -> std::io::Result<Vec<NaiveDate>> {
        let mut days: Vec<NaiveDate> = std::fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".jsonl")?.parse().ok()
            })
            .collect();
        days.sort();
        Ok(days)
    }

    /// Logs being sealed when the process stopped: `(day, id, path)`.
    pub fn sealing(&self) -> std::io::Result<Vec<(NaiveDate, String, PathBuf)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir)?.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".sealing") else {
                continue;
            };
            let Some((day, id)) = stem.split_once('.') else {
                continue;
            };
            if let Ok(day) = day.parse() {
                found.push((day, id.to_string(), entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Takes a day's log out of the way of new events, for sealing: new events of that day
    /// start a new log. Returns the renamed file's path, or `None` if the day had no log.
    pub fn take(&mut self, day: NaiveDate, id: &str) -> std::io::Result<Option<PathBuf>> {
        if let Some(file) = self.open.remove(&day) {
            file.sync_data()?;
        }
        let from = self.path(day);
        if !from.exists() {
            return Ok(None);
        }
        let to = self.dir.join(format!("{day}.{id}.sealing"));
        std::fs::rename(&from, &to)?;
        File::open(&self.dir)?.sync_all()?;
        Ok(Some(to))
    }

    fn path(&self, day: NaiveDate) -> PathBuf {
        self.dir.join(format!("{day}.jsonl"))
    }

    pub fn path_of_day(&self, day: NaiveDate) -> PathBuf {
        self.path(day)
    }
}

/// Reads a log back. Lines that do not parse (a line torn by a crash, which was never answered
/// 202) are counted, not returned.
pub fn read_log(path: &Path) -> std::io::Result<(Vec<Event>, usize)> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut events = Vec::new();
    let mut skipped = 0;
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Event>(&line) {
            Ok(e) => events.push(e),
            Err(_) => skipped += 1,
        }
    }
    Ok((events, skipped))
}
