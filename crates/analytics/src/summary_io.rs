//! A sealed day's summary (`summary.json` beside its Arrow files): the dictionaries and dashboard
//! rollups of `relais_audience::engine::summary`, so that a store just opened answers the
//! dashboard without reading the day's columns.

use std::path::Path;

use relais_audience::engine::segment::Segment;
use relais_audience::engine::summary::Summary;

use crate::AnalyticsError;

const SUMMARY: &str = "summary.json";

fn storage(path: &Path, e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::Storage(format!("{}: {e}", path.display()))
}

/// Writes the summary of `seg` into segment directory `dir` and syncs it (nothing for an empty
/// segment).
pub fn write_summary(dir: &Path, seg: &Segment) -> Result<(), AnalyticsError> {
    let Some(summary) = Summary::of(seg) else {
        return Ok(());
    };
    let path = dir.join(SUMMARY);
    let bytes = serde_json::to_vec(&summary).map_err(|e| storage(&path, e))?;
    let staging = dir.join(format!("{SUMMARY}.new"));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::File::create(&staging)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&staging, &path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| storage(&path, e))
}

/// The summary segment of directory `dir`; `None` when the day has none (sealed before
/// summaries existed, or empty).
pub fn read_summary(dir: &Path) -> Result<Option<Segment>, AnalyticsError> {
    let path = dir.join(SUMMARY);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(storage(&path, e)),
    };
    let summary: Summary = serde_json::from_slice(&bytes).map_err(|e| {
        storage(
            &path,
            format!("not a summary ({e}); delete it to rebuild it"),
        )
    })?;
    summary.into_segment().map(Some).map_err(|e| {
        storage(
            &path,
            format!("a damaged summary: {e}; delete it to rebuild it"),
        )
    })
}
