//! A sealed day's summary, beside its Arrow files: `summary/head.json` (span, visitors,
//! totals) and one `summary/<dimension>.json` per dashboard dimension (its dictionary and
//! rollup; see `relais_audience::engine::summary`). A store just opened answers the dashboard
//! from these small files, reading only the parts a question groups by, and reads a day's
//! columns only for the questions rollups cannot answer.

use std::path::{Path, PathBuf};

use relais_audience::engine::segment::Segment;
use relais_audience::engine::summary::{SummaryHead, SummaryPart, file_stem, summarize};
use serde::de::DeserializeOwned;

use crate::AnalyticsError;

const SUMMARY: &str = "summary";
const HEAD: &str = "head";

fn storage(path: &Path, e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::Storage(format!("{}: {e}", path.display()))
}

/// Writes the summary of `seg` into segment directory `dir`, replacing any, synced (nothing
/// for an empty segment).
pub fn write_summary(dir: &Path, seg: &Segment) -> Result<(), AnalyticsError> {
    let Some((head, parts)) = summarize(seg) else {
        return Ok(());
    };
    let staging = dir.join(format!("{SUMMARY}.new"));
    let target = dir.join(SUMMARY);
    let write = || -> Result<(), AnalyticsError> {
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| storage(&staging, e))?;
        write_json(&staging.join(format!("{HEAD}.json")), &head)?;
        for part in &parts {
            write_json(&staging.join(format!("{}.json", part.file_stem())), part)?;
        }
        sync_dir(&staging)?;
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(|e| storage(&target, e))?;
        }
        std::fs::rename(&staging, &target).map_err(|e| storage(&target, e))?;
        sync_dir(dir)
    };
    write()
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), AnalyticsError> {
    use std::io::Write;
    let bytes = serde_json::to_vec(value).map_err(|e| storage(path, e))?;
    let mut file = std::fs::File::create(path).map_err(|e| storage(path, e))?;
    file.write_all(&bytes).map_err(|e| storage(path, e))?;
    file.sync_all().map_err(|e| storage(path, e))
}

fn sync_dir(dir: &Path) -> Result<(), AnalyticsError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| storage(dir, e))
}

/// The head of the summary of segment directory `dir`; `None` when the day has no summary
/// (sealed before summaries existed).
pub fn read_head(dir: &Path) -> Result<Option<SummaryHead>, AnalyticsError> {
    read_json(&dir.join(SUMMARY).join(format!("{HEAD}.json")))
}

/// One dimension's part (by its Stats API name); `None` when the summary has none for it.
pub fn read_part(dir: &Path, dimension: &str) -> Result<Option<SummaryPart>, AnalyticsError> {
    read_json(&part_path(dir, dimension))
}

fn part_path(dir: &Path, dimension: &str) -> PathBuf {
    dir.join(SUMMARY)
        .join(format!("{}.json", file_stem(dimension)))
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, AnalyticsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(storage(path, e)),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        storage(
            path,
            format!("not a summary ({e}); delete the summary folder to rebuild it"),
        )
    })
}
