//! Reading Graph lists page by page: a list asked for directly (`GET /{page-id}/feed`) or one
//! nested in an answer by field expansion (`comments{…}` inside each post), whose next pages
//! come from its own edge (`GET /{post-id}/comments` with the query of `paging.next`).

use reqwest::Method;
use serde_json::Value;

use super::super::graph::{Body, Failure, Graph, items, next_page, str_field, time_ms};
use super::collect::Collector;
use crate::NetworkError;

/// The most pages of one list a read follows (the first one included); what lies beyond waits
/// for the next read, which starts again from the newest.
pub(crate) const MAX_PAGES: usize = 5;

/// The first page of a list: `Err` when Graph refused it or answered something that is not a
/// list.
pub(crate) async fn first_page(
    graph: &Graph<'_>,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Value, NetworkError> {
    let list = graph.get(path, query).await?;
    checked(list, path, graph.network)
}

/// Like [`first_page`] for a list the channel may lack the permission to read (a Page's
/// conversations need `pages_messaging`): `None` then, with a warning, so that the rest of the
/// inbox is still read.
pub(crate) async fn optional_first_page(
    graph: &Graph<'_>,
    path: &str,
    query: &[(&str, &str)],
    what: &str,
) -> Result<Option<Value>, NetworkError> {
    match graph.send(Method::GET, path, query, &Body::None).await? {
        Ok(list) => checked(list, path, graph.network).map(Some),
        Err(f) if is_permission(&f) => {
            tracing::warn!(
                network = graph.network,
                detail = %f.detail(),
                "{what} are left out of the inbox: the channel lacks the permission to read them"
            );
            Ok(None)
        }
        Err(f) => Err(f.into_network_error(graph.network)),
    }
}

/// Graph's codes for a permission the token lacks (10, 200–299).
fn is_permission(f: &Failure) -> bool {
    f.code.is_some_and(|c| c == 10 || (200..=299).contains(&c))
}

fn checked(list: Value, path: &str, network: &str) -> Result<Value, NetworkError> {
    if list.get("data").is_some_and(Value::is_array) {
        Ok(list)
    } else {
        Err(NetworkError::Transient(format!(
            "{network} answered {path} with something that is not a list"
        )))
    }
}

/// The items of `first` (a list already read; `Null` for an edge Graph left out because it is
/// empty) and of the pages after it, read from `path` while `wants_more` says so of the page
/// just read, up to [`MAX_PAGES`]. An object gone meanwhile (a post deleted between two
/// calls) ends its list without an error.
pub(crate) async fn with_next_pages(
    graph: &Graph<'_>,
    path: &str,
    first: &Value,
    wants_more: impl Fn(&[Value]) -> bool,
) -> Result<Vec<Value>, NetworkError> {
    let mut all: Vec<Value> = items(first).to_vec();
    let mut query = next_page(first);
    let mut last_page = items(first).to_vec();
    for _ in 1..MAX_PAGES {
        let Some(next) = query.take() else { break };
        if !wants_more(&last_page) {
            break;
        }
        let pairs: Vec<(&str, &str)> = next.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let page = match graph.send(Method::GET, path, &pairs, &Body::None).await? {
            Ok(page) => checked(page, path, graph.network)?,
            Err(f) if f.is_missing_object() => break,
            Err(f) => return Err(f.into_network_error(graph.network)),
        };
        last_page = items(&page).to_vec();
        all.extend(last_page.iter().cloned());
        query = next_page(&page);
    }
    Ok(all)
}

/// Whether the page after `page` may hold something the read wants, for a list Graph gives
/// newest first: not on a first read (the newest page only), and not once the page reaches
/// behind the cursor.
pub(crate) fn newer_may_follow(found: &Collector, page: &[Value], time_key: &str) -> bool {
    !found.is_first_read()
        && !page
            .iter()
            .filter_map(|item| str_field(item, time_key).and_then(time_ms))
            .any(|at| found.is_behind(at))
}

/// Like [`newer_may_follow`] for a list whose order Graph does not document (Instagram's
/// comments and replies): paging stops behind the cursor only when the page itself runs
/// newest first; otherwise what is newer may be on the next page.
pub(crate) fn newer_may_follow_any_order(
    found: &Collector,
    page: &[Value],
    time_key: &str,
) -> bool {
    let times: Vec<i64> = page
        .iter()
        .filter_map(|item| str_field(item, time_key).and_then(time_ms))
        .collect();
    let newest_first = match (times.first(), times.last()) {
        (Some(first), Some(last)) => first >= last,
        _ => false,
    };
    if newest_first {
        newer_may_follow(found, page, time_key)
    } else {
        !found.is_first_read()
    }
}
