//! AT Protocol rich-text facets for a post: links, mentions and hashtags found by
//! `relais-publish` (on UTF-8 byte offsets, as the protocol counts), with mentions resolved from
//! handle to DID. A handle that does not resolve stays plain text, as in the Bluesky app.

use relais_publish::richtext::{FacetKind, facets};
use serde_json::{Value, json};

/// The facets of `text`; `resolve` turns a handle into a DID, or `None`.
pub(crate) async fn for_text<F, Fut>(text: &str, mut resolve: F) -> Vec<Value>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    let mut out = Vec::new();
    for f in facets(text) {
        let feature = match f.kind {
            FacetKind::Link(uri) => json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri }),
            FacetKind::Tag(tag) => json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag }),
            FacetKind::Mention(handle) => match resolve(handle).await {
                Some(did) => json!({ "$type": "app.bsky.richtext.facet#mention", "did": did }),
                None => continue,
            },
        };
        out.push(json!({
            "index": { "byteStart": f.start, "byteEnd": f.end },
            "features": [feature],
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offsets_are_bytes_and_unknown_handles_stay_text() {
        let text = "é @known.test @ghost.test #Fête https://a.example/x";
        let got = for_text(text, |h| async move {
            (h == "known.test").then(|| "did:plc:known".to_owned())
        })
        .await;
        let kinds: Vec<&str> = got
            .iter()
            .map(|f| f["features"][0]["$type"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            kinds,
            [
                "app.bsky.richtext.facet#mention",
                "app.bsky.richtext.facet#tag",
                "app.bsky.richtext.facet#link"
            ]
        );
        let start = got[0]["index"]["byteStart"].as_u64().unwrap_or(0) as usize;
        assert_eq!(start, "é ".len(), "3 bytes, though 2 characters");
        assert_eq!(got[0]["features"][0]["did"], "did:plc:known");
        assert_eq!(got[1]["features"][0]["tag"], "Fête");
    }
}
