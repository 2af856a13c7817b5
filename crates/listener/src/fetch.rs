//! One poll of one source: a feed or a watched page through `relais-sources`, a network's
//! search through `relais-networks` with the credentials of the source's channel. Whatever
//! goes wrong ends in the source's poll state (its health, its back-off), never in an error
//! that would stop the other sources.

use std::time::Duration;

use relais_core::Timestamp;
use relais_listen::found::Found;
use relais_networks::search::{SearchHit, SearchQuery, search};
use relais_networks::{Credentials, NetworkError};
use relais_outbound::HttpClient;
use relais_sources::page::PageSnapshot;
use relais_sources::poll::{FeedOutcome, PageOutcome, poll_feed, poll_page};
use relais_sources::schedule;
use relais_store::listening::{ListenSource, PollState, SourceKind};
use relais_store::{Store, StoreResult};
use relais_vault::Vault;

/// What a poll found, and the source's state to store.
pub struct Polled {
    pub found: Vec<Found>,
    pub poll: PollState,
}

fn to_millis(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::millis)
}

fn to_time(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis)
}

/// The stored state as the poller of `relais-sources` reads it.
fn poller_state(stored: &PollState) -> schedule::PollState {
    schedule::PollState {
        etag: stored.etag.clone(),
        last_modified: stored.last_modified.clone(),
        content_hash: stored.content_hash.clone(),
        failures: stored.failures,
        last_success_at: to_millis(stored.last_success_at),
        last_error: stored.last_error.clone(),
        last_error_at: to_millis(stored.last_error_at),
        failing_since: None,
        next_poll_at: to_millis(stored.next_poll_at),
    }
}

/// The poller's state back into the stored one (`cursor` and `last_items` are the caller's).
fn stored_state(
    state: &schedule::PollState,
    cursor: Option<String>,
    items: Option<u64>,
) -> PollState {
    PollState {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        content_hash: state.content_hash.clone(),
        cursor,
        next_poll_at: to_time(state.next_poll_at),
        failures: state.failures,
        last_success_at: to_time(state.last_success_at),
        last_error: state.last_error.clone(),
        last_error_at: to_time(state.last_error_at),
        last_items: items,
    }
}

/// A seed for the back-off's jitter that differs from source to source.
fn jitter_seed(source: &ListenSource) -> u64 {
    source.id.as_uuid().as_u64_pair().1
}

/// Polls `source` once at `now`.
pub async fn poll_source(
    http: &HttpClient,
    vault: Option<&Vault>,
    store: &dyn Store,
    source: &ListenSource,
    now: Timestamp,
) -> StoreResult<Polled> {
    let interval = Duration::from_secs(u64::from(source.interval_secs.max(60)));
    let state = poller_state(&source.poll);
    let at = now.millis();
    Ok(match source.kind {
        SourceKind::Feed => {
            let polled = poll_feed(http, &source.target, &state, at, interval).await;
            let (found, items) = match polled.outcome {
                FeedOutcome::Fresh(feed) => {
                    let n = feed.items.len() as u64;
                    (feed.items, Some(n))
                }
                FeedOutcome::NotModified => (Vec::new(), Some(0)),
                FeedOutcome::Failed(_) => (Vec::new(), source.poll.last_items),
            };
            Polled {
                found,
                poll: stored_state(&polled.state, None, items),
            }
        }
        SourceKind::Page => {
            // A watched page keeps its last snapshot (JSON) where searches keep their cursor.
            let previous: Option<PageSnapshot> = source
                .poll
                .cursor
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok());
            let polled = poll_page(
                http,
                &source.target,
                &state,
                previous.as_ref(),
                at,
                interval,
            )
            .await;
            match polled.outcome {
                PageOutcome::Fresh { snapshot, change } => Polled {
                    found: change.map(|found| *found).into_iter().collect(),
                    poll: stored_state(
                        &polled.state,
                        serde_json::to_string(&snapshot).ok(),
                        Some(1),
                    ),
                },
                PageOutcome::NotModified => Polled {
                    found: Vec::new(),
                    poll: stored_state(&polled.state, source.poll.cursor.clone(), Some(0)),
                },
                PageOutcome::Failed(_) => Polled {
                    found: Vec::new(),
                    poll: stored_state(
                        &polled.state,
                        source.poll.cursor.clone(),
                        source.poll.last_items,
                    ),
                },
            }
        }
        network => {
            search_network(http, vault, store, source, network, state, now, interval).await?
        }
    })
}

/// `in:WHERE terms` searches within a video or channel (YouTube) or a subreddit (Reddit).
fn split_within(target: &str) -> (Option<&str>, &str) {
    match target.trim().strip_prefix("in:") {
        Some(rest) => {
            let (within, terms) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            (Some(within), terms.trim())
        }
        None => (None, target.trim()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn search_network(
    http: &HttpClient,
    vault: Option<&Vault>,
    store: &dyn Store,
    source: &ListenSource,
    network: SourceKind,
    mut state: schedule::PollState,
    now: Timestamp,
    interval: Duration,
) -> StoreResult<Polled> {
    let at = now.millis();
    let failed = |mut state: schedule::PollState, reason: &str, retry_after: Option<Duration>| {
        state.after_failure(at, interval, reason, retry_after, jitter_seed(source));
        Polled {
            found: Vec::new(),
            poll: stored_state(&state, source.poll.cursor.clone(), source.poll.last_items),
        }
    };
    let Some(channel_id) = source.channel_id else {
        return Ok(failed(
            state,
            "this search has no account to search with; choose a connected channel of the network for it",
            None,
        ));
    };
    let Some(channel) = store.channel(source.workspace_id, channel_id).await? else {
        return Ok(failed(
            state,
            "its channel was removed; choose another one",
            None,
        ));
    };
    let Some(vault) = vault else {
        return Ok(failed(
            state,
            "the secret key is not configured, so the channel's credentials cannot be read",
            None,
        ));
    };
    let context = format!("channel:{}", channel.id);
    let secrets = match vault.open_all(&context, &channel.secrets) {
        Ok(secrets) => secrets,
        Err(err) => {
            return Ok(failed(
                state,
                &format!("the channel's credentials cannot be read: {err}"),
                None,
            ));
        }
    };
    let mut creds = Credentials {
        settings: channel.settings.clone(),
        secrets,
        changed: false,
    };
    let (within, terms) = split_within(&source.target);
    let query = SearchQuery {
        terms,
        cursor: source.poll.cursor.as_deref(),
        local_only: false,
        within,
    };
    let result = search(network.as_str(), http, &mut creds, &query).await;
    if creds.changed
        && let Ok(sealed) = vault.seal_all(&context, &creds.secrets)
    {
        store
            .update_channel_secrets(source.workspace_id, channel.id, &sealed)
            .await?;
    }
    match result {
        Ok(page) => {
            state.after_success(at, interval);
            let found: Vec<Found> = page.hits.into_iter().map(found_of_hit).collect();
            let items = Some(found.len() as u64);
            let cursor = page.cursor.or_else(|| source.poll.cursor.clone());
            Ok(Polled {
                found,
                poll: stored_state(&state, cursor, items),
            })
        }
        Err(err) => {
            let retry_after = match &err {
                NetworkError::RateLimited { retry_after } => *retry_after,
                _ => None,
            };
            Ok(failed(state, &err.to_string(), retry_after))
        }
    }
}

fn found_of_hit(hit: SearchHit) -> Found {
    Found {
        key: hit.network_id,
        url: hit.url,
        title: hit.title,
        text: hit.text,
        author: hit.author_handle.or(hit.author_name),
        reach: hit.author_followers,
        published_at: hit.published_at,
        lang: hit.lang,
        site: hit.site,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_target_may_say_where_to_search() {
        assert_eq!(
            split_within("relais OR \"relais app\""),
            (None, "relais OR \"relais app\"")
        );
        assert_eq!(
            split_within("in:r/france relais"),
            (Some("r/france"), "relais")
        );
        assert_eq!(
            split_within(" in:UCabc  relais  "),
            (Some("UCabc"), "relais")
        );
        assert_eq!(split_within("in:dQw4w9WgXcQ"), (Some("dQw4w9WgXcQ"), ""));
    }

    #[test]
    fn poll_states_round_trip_between_store_and_poller() {
        let stored = PollState {
            etag: Some("\"e\"".into()),
            last_modified: Some("Mon, 07 Dec 2026 10:00:00 GMT".into()),
            content_hash: Some("h".into()),
            cursor: Some("c".into()),
            next_poll_at: Some(Timestamp::from_millis(5)),
            failures: 2,
            last_success_at: Some(Timestamp::from_millis(1)),
            last_error: Some("boom".into()),
            last_error_at: Some(Timestamp::from_millis(3)),
            last_items: Some(7),
        };
        let back = stored_state(
            &poller_state(&stored),
            stored.cursor.clone(),
            stored.last_items,
        );
        assert_eq!(back, stored);
    }
}
