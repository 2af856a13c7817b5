//! The Bluesky test peer is a real PDS: log in with an app password, publish a post, read it
//! back, and see that wrong credentials and foreign repositories are refused.

use relais_testkit::bluesky::BlueskyPds;
use serde_json::{Value, json};

async fn xrpc_post(
    http: &reqwest::Client,
    pds: &BlueskyPds,
    method: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = http
        .post(format!("{}/xrpc/{method}", pds.service))
        .json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("the PDS answers");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn xrpc_get(
    http: &reqwest::Client,
    pds: &BlueskyPds,
    method: &str,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let res = http
        .get(format!("{}/xrpc/{method}", pds.service))
        .query(query)
        .send()
        .await
        .expect("the PDS answers");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn publishes_and_reads_back_a_post_with_an_app_password() {
    let pds = BlueskyPds::start();
    let http = reqwest::Client::new();
    let brand = pds.brand().clone();
    let fan = pds.fan().clone();
    assert!(brand.did.starts_with("did:plc:"), "{brand:?}");
    assert_ne!(brand.did, fan.did);

    // The handles resolve to the accounts' DIDs.
    let (status, resolved) = xrpc_get(
        &http,
        &pds,
        "com.atproto.identity.resolveHandle",
        &[("handle", &fan.handle)],
    )
    .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["did"], fan.did.as_str());

    // A wrong password is refused.
    let (status, refused) = xrpc_post(
        &http,
        &pds,
        "com.atproto.server.createSession",
        None,
        json!({"identifier": brand.handle, "password": "not-the-password"}),
    )
    .await;
    assert_eq!(status, 401, "{refused}");

    // Log in as Relais would: the handle and an app password.
    let app_password = brand
        .app_password
        .clone()
        .expect("the peer made an app password for the brand account");
    let (status, session) = xrpc_post(
        &http,
        &pds,
        "com.atproto.server.createSession",
        None,
        json!({"identifier": brand.handle, "password": app_password}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["did"], brand.did.as_str());
    assert_eq!(session["handle"], brand.handle.as_str());
    let token = session["accessJwt"]
        .as_str()
        .expect("createSession gives an access token")
        .to_owned();

    // Publish a post.
    let text = "Relais says hello to the local PDS";
    let (status, created) = xrpc_post(
        &http,
        &pds,
        "com.atproto.repo.createRecord",
        Some(&token),
        json!({
            "repo": brand.did,
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": "2026-01-02T03:04:05.000Z",
            },
        }),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let uri = created["uri"].as_str().expect("createRecord gives a URI");
    let prefix = format!("at://{}/app.bsky.feed.post/", brand.did);
    let rkey = uri
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{uri} is not a post of {}", brand.did));
    assert!(created["cid"].as_str().is_some_and(|c| !c.is_empty()));

    // The same session may not write to someone else's repository.
    let (status, foreign) = xrpc_post(
        &http,
        &pds,
        "com.atproto.repo.createRecord",
        Some(&token),
        json!({
            "repo": fan.did,
            "collection": "app.bsky.feed.post",
            "record": {"$type": "app.bsky.feed.post", "text": "not mine", "createdAt": "2026-01-02T03:04:05.000Z"},
        }),
    )
    .await;
    assert!((400..500).contains(&status), "{status} {foreign}");

    // Read it back, one record and as a list.
    let (status, record) = xrpc_get(
        &http,
        &pds,
        "com.atproto.repo.getRecord",
        &[
            ("repo", &brand.did),
            ("collection", "app.bsky.feed.post"),
            ("rkey", rkey),
        ],
    )
    .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["uri"], uri);
    assert_eq!(record["value"]["text"], text);
    assert_eq!(record["value"]["$type"], "app.bsky.feed.post");

    let (status, list) = xrpc_get(
        &http,
        &pds,
        "com.atproto.repo.listRecords",
        &[
            ("repo", &brand.handle),
            ("collection", "app.bsky.feed.post"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let records = list["records"].as_array().expect("a list of records");
    assert_eq!(records.len(), 1, "{list}");
    assert_eq!(records[0]["value"]["text"], text);

    // The fan has published nothing.
    let (status, empty) = xrpc_get(
        &http,
        &pds,
        "com.atproto.repo.listRecords",
        &[("repo", &fan.did), ("collection", "app.bsky.feed.post")],
    )
    .await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(
        empty["records"].as_array().map(Vec::len),
        Some(0),
        "{empty}"
    );
}
