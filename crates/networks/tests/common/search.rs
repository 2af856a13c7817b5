//! What the listening search tests share: the search as listening runs it, checks of what it
//! gives and of how it fails, and the paging their fakes answer with (all of the networks'
//! searches page the same way: newest first, a page size capped, a token for the next page).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use relais_networks::search::{SearchPage, SearchQuery, search};
use relais_networks::{Credentials, NetworkError};
use serde_json::Value;

use super::{Injected, push_injected};

/// A network's search, by its name, called as listening calls it with a client allowed to
/// reach the fakes on loopback.
#[derive(Clone, Copy, Debug)]
pub struct Network(pub &'static str);

/// An answer the fake gives the next search (status and body), and whether the error the
/// search then returns is the one expected.
pub type Failure<'a> = (u16, &'a str, fn(&NetworkError) -> bool);

impl Network {
    pub async fn search(
        self,
        creds: &mut Credentials,
        query: &SearchQuery<'_>,
    ) -> Result<SearchPage, NetworkError> {
        let http = super::client(Duration::from_secs(10));
        search(self.0, &http, creds, query).await
    }

    /// A search of `terms` after `cursor`.
    pub async fn find(
        self,
        creds: &mut Credentials,
        terms: &str,
        cursor: Option<&str>,
    ) -> Result<SearchPage, NetworkError> {
        self.search(creds, &SearchQuery::new(terms).after(cursor))
            .await
    }

    /// The cursor a first search of `terms` gives (it must give one).
    pub async fn first_cursor(self, creds: &mut Credentials, terms: &str) -> String {
        self.find(creds, terms, None)
            .await
            .unwrap()
            .cursor
            .expect("a first search that finds something gives a cursor")
    }

    /// With `cursor`, the search of `terms` finds nothing, and gives `cursor` back: nothing
    /// comes twice, and the cursor stays.
    pub async fn assert_nothing_new(self, creds: &mut Credentials, terms: &str, cursor: &str) {
        let page = self.find(creds, terms, Some(cursor)).await.unwrap();
        assert!(page.hits.is_empty(), "{}: {:?}", self.0, page.hits);
        assert_eq!(
            page.cursor.as_deref(),
            Some(cursor),
            "{}: the cursor stays",
            self.0
        );
    }

    /// For each failure in turn: `answer(status, body)` makes the fake answer the next search
    /// so, and the search of `terms` fails as expected.
    pub async fn assert_failures(
        self,
        creds: &mut Credentials,
        terms: &str,
        mut answer: impl FnMut(u16, &str),
        failures: &[Failure<'_>],
    ) {
        for (status, body, expected) in failures {
            answer(*status, body);
            let err = self.find(creds, terms, None).await.unwrap_err();
            assert!(expected(&err), "{} after {status} {body}: {err}", self.0);
        }
    }
}

/// The ids of the hits, in order.
pub fn ids(page: &SearchPage) -> Vec<&str> {
    page.hits.iter().map(|h| h.network_id.as_str()).collect()
}

/// The wait a rate limit says; any other error fails the test.
pub fn rate_limit_wait(err: NetworkError) -> Duration {
    let NetworkError::RateLimited {
        retry_after: Some(wait),
    } = err
    else {
        panic!("a rate limit with a wait: {err}");
    };
    wait
}

/// Now, Unix seconds: what rate-limit headers count their reset from.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Asserts that a request to a fake carried each `(parameter, value)`.
pub fn assert_sent(query: &HashMap<String, String>, expected: &[(&str, &str)]) {
    for (key, value) in expected {
        assert_eq!(query.get(*key).map(String::as_str), Some(*value), "{key}");
    }
}

// What the fakes share.

/// A fake that answers from its queue of injected answers before anything else.
pub trait Injectable {
    fn injected(&mut self) -> &mut VecDeque<Injected>;
}

/// Makes `fake` answer the next `method path` request with `status`, `headers` and `body`.
pub fn inject(
    fake: &Mutex<impl Injectable>,
    method: &'static str,
    path: &str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) {
    let mut fake = fake.lock().unwrap();
    push_injected(fake.injected(), method, path, status, headers, body);
}

/// Whether `text` holds every word of `terms`, whatever the case: how the fakes match.
pub fn has_every_word(terms: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    terms
        .split_whitespace()
        .all(|w| text.contains(&w.to_lowercase()))
}

/// A page size asked in `key`: `default` when not given, at most `max`.
pub fn page_size(query: &HashMap<String, String>, key: &str, default: usize, max: usize) -> usize {
    query
        .get(key)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
        .min(max)
}

/// The `size` items of `matching` from `start` on.
pub fn page_of(matching: &[&Value], start: usize, size: usize) -> Vec<Value> {
    matching
        .iter()
        .skip(start)
        .take(size)
        .map(|v| (*v).clone())
        .collect()
}
