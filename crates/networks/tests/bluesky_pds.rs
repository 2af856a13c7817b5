//! The Bluesky connector against a real local PDS (npm @atproto/pds through @atproto/dev-env,
//! started by the test kit): a post with a link, a mention and a hashtag (facets checked byte
//! for byte), an image with alt text, a thread of three, exactly-once on retry, delete.
#![allow(clippy::unwrap_used)]

use relais_networks::bluesky::Bluesky;
use relais_networks::{Connector, Credentials, MediaFile, NetworkError, OutgoingPost, ReplyTarget};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::bluesky::BlueskyPds;
use serde_json::{Value, json};

fn connector() -> Bluesky {
    // The PDS lives on loopback: the SSRF guard is lifted for this test, as the config allows.
    let http = HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        ..Default::default()
    })
    .unwrap();
    Bluesky::new(http)
}

fn credentials(pds: &BlueskyPds, account: usize) -> Credentials {
    let a = &pds.accounts[account];
    Credentials {
        settings: json!({ "service": pds.service, "handle": a.handle }),
        secrets: [(
            "app_password".to_owned(),
            a.app_password.clone().unwrap_or_else(|| a.password.clone()),
        )]
        .into(),
        changed: false,
    }
}

fn post(text: &str, key: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: key.to_owned(),
        created_at_ms: 1_763_900_000_000,
    }
}

/// Reads a record back from the PDS, without the connector.
async fn record(pds: &BlueskyPds, uri: &str) -> Value {
    let parts: Vec<&str> = uri.trim_start_matches("at://").split('/').collect();
    let url = format!(
        "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection={}&rkey={}",
        pds.service, parts[0], parts[1], parts[2]
    );
    reqwest::get(url)
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["value"]
        .clone()
}

/// An 8×8 blue PNG, made for this test.
const PNG: &[u8] = include_bytes!("fixtures/blue-8x8.png");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_rich_text_images_and_threads_exactly_once() {
    let pds = tokio::task::spawn_blocking(BlueskyPds::start)
        .await
        .unwrap();
    let bsky = connector();
    let mut brand = credentials(&pds, 0);
    let handle = bsky.verify(&mut brand).await.unwrap();
    assert_eq!(handle, pds.accounts[0].handle);
    assert!(brand.changed, "the session tokens are to be saved (sealed)");

    // Rich text: accents and an emoji before the facets make byte and char offsets differ.
    let fan = pds.accounts[1].handle.clone();
    let text = format!("Été 🎉 : merci @{fan} ! Voir https://example.com/été #Lancement");
    let published = bsky
        .publish(&mut brand, &post(&text, "post-rich"))
        .await
        .unwrap();
    assert!(published.id.starts_with("at://did:"), "{}", published.id);
    let stored = record(&pds, &published.id).await;
    assert_eq!(stored["text"], text);
    let facets = stored["facets"].as_array().expect("facets stored");
    let slice = |f: &Value| {
        let (s, e) = (
            f["index"]["byteStart"].as_u64().unwrap() as usize,
            f["index"]["byteEnd"].as_u64().unwrap() as usize,
        );
        text.as_bytes()[s..e].to_vec()
    };
    let kinds: Vec<(String, Vec<u8>)> = facets
        .iter()
        .map(|f| {
            (
                f["features"][0]["$type"].as_str().unwrap().to_owned(),
                slice(f),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(
            "app.bsky.richtext.facet#mention".into(),
            format!("@{fan}").into_bytes()
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            "app.bsky.richtext.facet#link".into(),
            b"https://example.com/\xc3\xa9t\xc3\xa9".to_vec()
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("app.bsky.richtext.facet#tag".into(), b"#Lancement".to_vec())),
        "{kinds:?}"
    );
    let mention = facets
        .iter()
        .find(|f| f["features"][0]["$type"] == "app.bsky.richtext.facet#mention")
        .unwrap();
    assert_eq!(
        mention["features"][0]["did"], pds.accounts[1].did,
        "mentions point at the DID"
    );

    // Exactly once: publishing the same post again returns the same record, not a new one.
    let again = bsky
        .publish(&mut brand, &post(&text, "post-rich"))
        .await
        .unwrap();
    assert_eq!(again.id, published.id);
    let found = bsky
        .find_published(&mut brand, &post(&text, "post-rich"))
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.id), Some(published.id.clone()));
    assert!(
        bsky.find_published(&mut brand, &post("never sent", "post-none"))
            .await
            .unwrap()
            .is_none()
    );

    // An image with alt text.
    let mut with_image = post("Notre nouveau logo", "post-image");
    with_image.media.push(MediaFile {
        mime: "image/png".into(),
        bytes: PNG.to_vec(),
        alt: Some("Le logo, bleu sur blanc".into()),
        public_url: None,
    });
    let img = bsky.publish(&mut brand, &with_image).await.unwrap();
    let stored = record(&pds, &img.id).await;
    assert_eq!(stored["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(
        stored["embed"]["images"][0]["alt"],
        "Le logo, bleu sur blanc"
    );
    assert_eq!(
        stored["embed"]["images"][0]["image"]["mimeType"],
        "image/png"
    );

    // A thread of three: each reply points at the root and at its parent.
    let first = bsky
        .publish(&mut brand, &post("1/3 Un fil", "thread-1"))
        .await
        .unwrap();
    let mut second = post("2/3 la suite", "thread-2");
    second.reply_to = Some(ReplyTarget {
        parent: first.clone(),
        root: first.clone(),
    });
    let second_p = bsky.publish(&mut brand, &second).await.unwrap();
    let mut third = post("3/3 la fin", "thread-3");
    third.reply_to = Some(ReplyTarget {
        parent: second_p.clone(),
        root: first.clone(),
    });
    let third_p = bsky.publish(&mut brand, &third).await.unwrap();
    let stored = record(&pds, &third_p.id).await;
    assert_eq!(stored["reply"]["root"]["uri"], first.id);
    assert_eq!(stored["reply"]["parent"]["uri"], second_p.id);
    assert_eq!(
        stored["reply"]["parent"]["cid"],
        second_p.version.clone().unwrap()
    );

    // Delete, and the record is gone.
    bsky.delete(&mut brand, &third_p).await.unwrap();
    assert!(
        bsky.find_published(&mut brand, &third)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_and_oversized_images_say_what_to_do() {
    let pds = tokio::task::spawn_blocking(BlueskyPds::start)
        .await
        .unwrap();
    let bsky = connector();
    let mut wrong = credentials(&pds, 0);
    wrong
        .secrets
        .insert("app_password".into(), "xxxx-xxxx-xxxx-xxxx".into());
    let err = bsky.verify(&mut wrong).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("app password")),
        "{err}"
    );

    let mut brand = credentials(&pds, 0);
    let mut big = post("trop lourd", "big");
    big.media.push(MediaFile {
        mime: "image/jpeg".into(),
        bytes: vec![0; 1_000_001],
        alt: None,
        public_url: None,
    });
    let err = bsky.publish(&mut brand, &big).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("1000000")),
        "{err}"
    );

    // An expired access token is refreshed without anyone noticing.
    bsky.verify(&mut brand).await.unwrap();
    brand
        .secrets
        .insert("access_jwt".into(), "expired.token.value".into());
    bsky.publish(&mut brand, &post("après rafraîchissement", "refresh"))
        .await
        .unwrap();

    // With the guard on, a PDS on loopback is refused before any connection.
    let guarded = Bluesky::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded.verify(&mut credentials(&pds, 0)).await.unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}
