//! `/w/{slug}/inbox/events`: server-sent events telling the open inbox pages which
//! conversations changed, so that their script fetches the columns again without a reload.
//!
//! The stream asks the store every 2 seconds what changed since its last look and sends one
//! `changed` event per batch: `data` is `{"ids": [...]}`, `id` is the time of the newest change
//! (Unix ms). A browser that reconnects sends that id back as `Last-Event-ID`, and the stream
//! goes on from there, so nothing is missed across a reconnection. Comments keep the
//! connection open through proxies, and the stream ends after about ten minutes so that no
//! proxy or test holds it forever (the browser simply reconnects).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream;
use relais_core::{ConversationId, Timestamp, WorkspaceId};
use relais_store::Store;
use serde::Deserialize;
use tokio::time::Instant;

use crate::context::Ctx;
use crate::pages::{PageResult, enter_workspace};
use crate::state::AppState;

/// How often the store is asked.
const POLL: Duration = Duration::from_secs(2);
/// How long one stream lasts before the browser has to reconnect.
const LIFETIME: Duration = Duration::from_secs(600);
/// Comments sent while nothing changes, so that proxies keep the connection.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Changes read per look (the next look reads the rest).
const BATCH: u32 = 500;
/// How far back each look reads again, for changes whose transaction ended late.
const LAG_MS: i64 = 5_000;
/// How far back a reconnection may ask: older changes are long drawn by a reload anyway.
const MAX_BACK_MS: i64 = 15 * 60_000;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EventsParams {
    /// Where to start (Unix ms): when the page was made. `Last-Event-ID` wins over it.
    since: String,
}

/// Where a stream stands: the time of the newest change seen, and what was sent lately. A
/// change is written with the time its transaction began, so it may become visible a little
/// after newer ones: each look goes back [`LAG_MS`] before the newest change seen, and sends a
/// conversation again only when its change time is not the one already sent. Nothing from
/// before the stream's start is told: the page was drawn after it (and a member's own action,
/// which reloads the page, is not news to them).
struct Watch {
    store: Arc<dyn Store>,
    workspace: WorkspaceId,
    /// Changes at or before this time are not told.
    floor: i64,
    cursor: i64,
    sent: HashMap<ConversationId, i64>,
    until: Instant,
    first: bool,
}

impl Watch {
    /// The next batch of changes, or `None` when the stream is over.
    async fn next_batch(&mut self) -> Option<Event> {
        loop {
            if !self.first {
                tokio::time::sleep(POLL).await;
            }
            self.first = false;
            if Instant::now() >= self.until {
                return None;
            }
            let since = Timestamp::from_millis(self.cursor.saturating_sub(LAG_MS + 1));
            let changed = match self
                .store
                .conversations_changed_since(self.workspace, since, BATCH)
                .await
            {
                Ok(changed) => changed,
                Err(e) => {
                    // The browser reconnects from the last id it got: nothing is lost.
                    tracing::warn!(error = %e, "inbox events: cannot read the changes");
                    return None;
                }
            };
            let fresh: Vec<(ConversationId, i64)> = changed
                .into_iter()
                .map(|(id, at)| (id, at.millis()))
                .filter(|(id, at)| *at > self.floor && self.sent.get(id) != Some(at))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            for (id, at) in &fresh {
                self.sent.insert(*id, *at);
                self.cursor = self.cursor.max(*at);
            }
            let horizon = self.cursor - LAG_MS;
            self.sent.retain(|_, at| *at >= horizon);
            let ids: Vec<String> = fresh.iter().map(|(id, _)| id.to_string()).collect();
            let data = serde_json::json!({ "ids": ids }).to_string();
            return Some(
                Event::default()
                    .event("changed")
                    .id(self.cursor.to_string())
                    .data(data),
            );
        }
    }
}

/// Where a stream starts: the browser's `Last-Event-ID`, else the page's `since`, else now;
/// never more than [`MAX_BACK_MS`] ago, nor ahead of now.
fn start(headers: &HeaderMap, since: &str, now: i64) -> i64 {
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let asked = last_id
        .or_else(|| since.trim().parse::<i64>().ok())
        .unwrap_or(now);
    asked.clamp(now - MAX_BACK_MS, now)
}

pub async fn events(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<EventsParams>,
    headers: HeaderMap,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let now = Timestamp::now().millis();
    let from = start(&headers, &params.since, now);
    let watch = Watch {
        store: state.store.clone(),
        workspace: access.workspace.id,
        floor: from,
        cursor: from,
        sent: HashMap::new(),
        until: Instant::now() + LIFETIME,
        first: true,
    };
    let events = stream::unfold(watch, |mut watch| async move {
        let event = watch.next_batch().await?;
        Some((Ok::<Event, Infallible>(event), watch))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_reconnection_goes_on_from_its_last_event() {
        let now = 1_714_564_800_000;
        let mut headers = HeaderMap::new();
        assert_eq!(start(&headers, "", now), now);
        assert_eq!(
            start(&headers, &(now - 5_000).to_string(), now),
            now - 5_000
        );
        headers.insert("last-event-id", HeaderValue::from_static("1714564790000"));
        assert_eq!(
            start(&headers, &(now - 5_000).to_string(), now),
            now - 10_000
        );
        // Not from the future, nor from long ago.
        assert_eq!(start(&HeaderMap::new(), &(now + 9).to_string(), now), now);
        assert_eq!(start(&HeaderMap::new(), "0", now), now - MAX_BACK_MS);
        assert_eq!(start(&HeaderMap::new(), "soon", now), now);
    }
}
