//! "Add to queue": the next weekly slot of the chosen channels that no post takes yet.

use relais_core::Timestamp;
use relais_publish::plan::slots::{self, HORIZON_DAYS, WeeklySlot};
use relais_publish::plan::time;
use relais_store::{Channel, Store, StoreResult, Workspace};

/// What a person writes instead of a time to mean "the next free slot".
pub const IN_QUEUE: &str = "queue";

/// Whether a written time means the queue (`queue`, or `file` in French).
pub fn means_queue(written: &str) -> bool {
    matches!(written.trim().to_lowercase().as_str(), "queue" | "file")
}

/// The earliest slot of any of `channels` after `after_ms` that none of them has a post at,
/// with the slot's time zone. `None` when they have no slots, or all are taken for a year.
pub async fn next_slot(
    store: &dyn Store,
    ws: &Workspace,
    channels: &[Channel],
    after_ms: i64,
) -> StoreResult<Option<(i64, String)>> {
    let horizon =
        Timestamp::from_millis(after_ms.saturating_add(HORIZON_DAYS * 86_400_000 + 86_400_000));
    let from = Timestamp::from_millis(after_ms);
    let mut taken = Vec::new();
    for c in channels {
        taken.extend(
            store
                .planned_times(ws.id, c.id, from, horizon)
                .await?
                .into_iter()
                .map(|t| t.millis()),
        );
    }
    let mut best: Option<(i64, String)> = None;
    for c in channels {
        let rows = store.queue_slots(ws.id, c.id).await?;
        let Some(zone_name) = rows.first().map(|s| s.time_zone.clone()) else {
            continue;
        };
        let Ok(zone) = time::zone(&zone_name) else {
            continue;
        };
        let weekly: Vec<WeeklySlot> = rows
            .iter()
            .filter_map(|s| WeeklySlot::new(s.weekday, s.minute))
            .collect();
        if let Some(at) = slots::next_free(&weekly, zone, after_ms, &taken)
            && best.as_ref().is_none_or(|(b, _)| at < *b)
        {
            best = Some((at, zone_name));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_said_in_both_languages() {
        assert!(means_queue("queue") && means_queue(" File ") && means_queue(IN_QUEUE));
        assert!(!means_queue("2026-06-01 09:00") && !means_queue(""));
    }
}
