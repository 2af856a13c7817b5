//! Mastodon's listening search against a real Mastodon API server: the PyPI package
//! mastodon-mock (stateful, FastAPI + SQLite, with fault injection), started by the test kit.
//! The `fan` account posts; the `brand` account's channel searches the hashtag and public
//! timelines, with `min_id` as the cursor and pages of 40.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::search::{Network, ids, rate_limit_wait};
use relais_networks::search::{SearchPage, SearchQuery};
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};

const MASTODON: Network = Network("mastodon");

async fn mock() -> MockMastodon {
    tokio::task::spawn_blocking(MockMastodon::start)
        .await
        .unwrap()
}

fn channel(m: &MockMastodon, user: &str) -> Credentials {
    Credentials {
        settings: json!({ "instance": m.instance }),
        secrets: [(
            "access_token".to_owned(),
            m.account(user).access_token.clone(),
        )]
        .into(),
        changed: false,
    }
}

/// A call to the server as `user`, without the connector.
async fn api(m: &MockMastodon, user: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", m.instance))
        .bearer_auth(&m.account(user).access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// A public status by `fan`; its id.
async fn toot(m: &MockMastodon, text: &str, extra: Value) -> String {
    let mut body = json!({ "status": text, "visibility": "public", "language": "fr" });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    api(m, "fan", "/api/v1/statuses", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn hashtags_words_cursors_and_pages() {
    let m = mock().await;
    let fan = reqwest::Client::new()
        .get(format!("{}/api/v1/accounts/verify_credentials", m.instance))
        .bearer_auth(&m.fan().access_token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let fan_id = fan["id"].as_str().unwrap();
    api(
        &m,
        "brand",
        &format!("/api/v1/accounts/{fan_id}/follow"),
        json!({}),
    )
    .await;

    let tagged = toot(&m, "J'aime #Relais pour publier & planifier", json!({})).await;
    let words = toot(&m, "Relais marche très bien", json!({})).await;
    toot(&m, "Autre chose", json!({ "language": "en" })).await;
    let warned = toot(&m, "#relais c'est top", json!({ "spoiler_text": "avis" })).await;
    toot(&m, "#relais en privé", json!({ "visibility": "private" })).await;

    let mut brand = channel(&m, "brand");
    let page = MASTODON.find(&mut brand, "#relais", None).await.unwrap();
    assert_eq!(
        ids(&page),
        [warned.as_str(), tagged.as_str()],
        "public, tagged, newest first"
    );
    assert_eq!(page.cursor.as_deref(), Some(warned.as_str()));
    let hit = &page.hits[1];
    assert_eq!(hit.text, "J'aime #Relais pour publier & planifier");
    let host = url::Url::parse(&m.instance)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    assert_eq!(hit.author_handle, Some(format!("fan@{host}")));
    assert_eq!(hit.author_followers, Some(1), "the brand follows the fan");
    assert_eq!(hit.lang.as_deref(), Some("fr"));
    assert_eq!(hit.site.as_deref(), Some(host.as_str()));
    assert!(
        hit.url.as_deref().unwrap().contains(&tagged),
        "{:?}",
        hit.url
    );
    assert!(hit.published_at.unwrap() > 1_700_000_000_000);
    assert_eq!(hit.in_reply_to, None);
    assert_eq!(
        page.hits[0].text, "avis\n\n#relais c'est top",
        "the warning comes first"
    );

    // Words read the public timeline and keep the statuses that hold them all.
    let page = MASTODON
        .find(&mut brand, "relais BIEN", None)
        .await
        .unwrap();
    assert_eq!(ids(&page), [words.as_str()]);
    let local = SearchQuery {
        local_only: true,
        ..SearchQuery::new("\"marche très\"")
    };
    assert_eq!(
        ids(&MASTODON.search(&mut brand, &local).await.unwrap()),
        [words.as_str()]
    );

    // Only what is newer than the cursor; nothing twice.
    let cursor = warned.clone();
    let reply = toot(&m, "Merci #relais", json!({ "in_reply_to_id": tagged })).await;
    let page = MASTODON
        .find(&mut brand, "#relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(ids(&page), [reply.as_str()]);
    assert_eq!(page.hits[0].in_reply_to.as_deref(), Some(tagged.as_str()));
    let cursor = page.cursor.unwrap();
    assert_eq!(cursor, reply);
    MASTODON
        .assert_nothing_new(&mut brand, "#relais", &cursor)
        .await;

    // More than a page of new statuses: all of them, over two pages.
    let mut posted = Vec::new();
    for n in 0..45 {
        posted.push(toot(&m, &format!("#relais numéro {n}"), json!({})).await);
    }
    let page = MASTODON
        .find(&mut brand, "#relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 45);
    assert_eq!(page.hits[0].network_id, posted[44]);
    assert_eq!(page.cursor.as_deref(), Some(posted[44].as_str()));

    // Nothing found: no hits, no cursor.
    let page = MASTODON
        .find(&mut brand, "#introuvable", None)
        .await
        .unwrap();
    assert_eq!(page, SearchPage::default());
}

#[tokio::test]
async fn refusals_limits_and_garbage() {
    let m = mock().await;
    toot(&m, "#relais", json!({})).await;
    let mut brand = channel(&m, "brand");
    let query = SearchQuery::new("#relais");

    // A revoked token (the mock serves public timelines to anyone, so the refusal is forced
    // as Mastodon words it).
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/timelines/tag/relais" },
        "effect": { "type": "status", "status": 401,
                    "body": { "error": "The access token was revoked" } },
        "count": 1
    }));
    let err = MASTODON.search(&mut brand, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.starts_with("Mastodon search:") && m.contains("connect the channel again")),
        "{err}"
    );

    let reset = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/timelines/tag/relais" },
        "effect": { "type": "status", "status": 429, "body": { "error": "Too many requests" },
                    "headers": { "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                 "X-RateLimit-Reset": reset } },
        "count": 1
    }));
    let wait = rate_limit_wait(MASTODON.search(&mut brand, &query).await.unwrap_err());
    assert!(
        (Duration::from_secs(100)..=Duration::from_secs(120)).contains(&wait),
        "{wait:?}"
    );

    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/timelines/public" },
        "effect": { "type": "malformed" },
        "count": 1
    }));
    let err = MASTODON.find(&mut brand, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.starts_with("Mastodon search:") && m.contains("not JSON")),
        "{err}"
    );

    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/timelines/tag/relais" },
        "effect": { "type": "status", "status": 200, "body": { "error": "not a list" } },
        "count": 1
    }));
    let err = MASTODON.search(&mut brand, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not a list of statuses")),
        "{err}"
    );

    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/timelines/tag/relais" },
        "effect": { "type": "status", "status": 503 },
        "count": 1
    }));
    assert!(matches!(
        MASTODON.search(&mut brand, &query).await.unwrap_err(),
        NetworkError::Transient(_)
    ));

    // The next call works again, and a cursor that is no status id is dropped, not fatal.
    let page = MASTODON
        .search(&mut brand, &query.clone().after(Some("w1 5 5:x")))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 1);

    let mut nowhere = Credentials::default();
    let err = MASTODON.search(&mut nowhere, &query).await.unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}
