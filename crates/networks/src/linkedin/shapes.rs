//! The JSON LinkedIn takes and gives: the body of a new post, and reading what its answers
//! hold (posts, comments, organisations).

use serde_json::{Map, Value, json};

use super::{LOOKBACK_MS, text, urn};
use crate::{NetworkError, OutgoingPost, PublishedPost};

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `elements` of a collection.
pub(crate) fn elements(body: &Value) -> &[Value] {
    body.get("elements")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Where `find_published` starts looking, in milliseconds since the epoch.
pub(crate) fn since(post: &OutgoingPost) -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    post.created_at_ms.min(now).saturating_sub(LOOKBACK_MS)
}

pub(crate) fn published(urn: String) -> PublishedPost {
    PublishedPost {
        url: urn::address(&urn),
        id: urn,
        version: None,
    }
}

/// What a comment on a thread goes under: the root post (or, should the root be a comment,
/// the post it is on).
pub(crate) fn comment_target(root: &PublishedPost) -> Result<&str, NetworkError> {
    if urn::is_post(&root.id) {
        return Ok(&root.id);
    }
    urn::comment_parts(&root.id)
        .map(|(object, _)| object)
        .ok_or_else(|| {
            NetworkError::Rejected(format!(
                "`{}` is not a LinkedIn post to comment on",
                root.id
            ))
        })
}

/// A comment's URN: its `commentUrn`, else the `x-restli-id` when it is one, else built from
/// its `id` and `object`.
pub(crate) fn comment_urn(
    comment: &Value,
    restli_id: Option<&str>,
    target: &str,
) -> Option<String> {
    let good = |u: &&str| urn::comment_parts(u).is_some();
    if let Some(u) = str_field(comment, "commentUrn").filter(good) {
        return Some(u.to_owned());
    }
    if let Some(u) = restli_id.filter(good) {
        return Some(u.to_owned());
    }
    let id = str_field(comment, "id").filter(|id| urn::is_numeric_id(id))?;
    let object = str_field(comment, "object").unwrap_or(target);
    let built = format!("urn:li:comment:({object},{id})");
    urn::comment_parts(&built).is_some().then_some(built)
}

/// A name to show for an organisation: its `localizedName`, else the first of its localized
/// names, else its vanity name, else its id.
pub(crate) fn organization_display(org: &Value, id: &str) -> String {
    let clean = |s: &str| s.trim().to_owned();
    str_field(org, "localizedName")
        .map(clean)
        .filter(|n| !n.is_empty())
        .or_else(|| {
            org.get("name")
                .and_then(|n| n.get("localized"))
                .and_then(Value::as_object)
                .and_then(|m| m.values().find_map(Value::as_str))
                .map(clean)
                .filter(|n| !n.is_empty())
        })
        .or_else(|| {
            str_field(org, "vanityName")
                .map(clean)
                .filter(|n| !n.is_empty())
        })
        .unwrap_or_else(|| format!("LinkedIn organization {id}"))
}

/// How many images a post (as the Posts API gives it back) carries.
pub(crate) fn image_count(post: &Value) -> usize {
    let content = post.get("content").unwrap_or(&Value::Null);
    if let Some(images) = content
        .get("multiImage")
        .and_then(|m| m.get("images"))
        .and_then(Value::as_array)
    {
        return images.len();
    }
    usize::from(content.get("media").is_some_and(Value::is_object))
}

/// Whether a post of the page is `post`: made in the window, with as many images, and the
/// same text once LinkedIn's rewriting is undone.
pub(crate) fn is_this_post(candidate: &Value, post: &OutgoingPost, since: i64) -> bool {
    let id_ok = str_field(candidate, "id").is_some_and(urn::is_post);
    let created = candidate
        .get("createdAt")
        .or_else(|| candidate.get("publishedAt"))
        .and_then(Value::as_i64);
    let shown = str_field(candidate, "commentary").unwrap_or_default();
    id_ok
        && created.is_some_and(|t| t >= since)
        && str_field(candidate, "lifecycleState").is_none_or(|s| s == "PUBLISHED")
        && image_count(candidate) == post.media.len()
        && text::shown_as_sent(&post.text, shown)
}

/// The body of `POST /rest/posts`.
pub(crate) fn post_body(author: &str, post: &OutgoingPost, images: &[String]) -> Value {
    let mut body = Map::new();
    body.insert("author".into(), json!(author));
    body.insert("commentary".into(), json!(text::escape(&post.text)));
    body.insert("visibility".into(), json!("PUBLIC"));
    body.insert(
        "distribution".into(),
        json!({
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        }),
    );
    body.insert("lifecycleState".into(), json!("PUBLISHED"));
    body.insert("isReshareDisabledByAuthor".into(), json!(false));
    let alt = |i: usize| {
        post.media
            .get(i)
            .and_then(|m| m.alt.as_deref())
            .map(str::trim)
            .filter(|a| !a.is_empty())
    };
    let image = |i: usize, id: &String| {
        let mut v = json!({ "id": id });
        if let Some(a) = alt(i) {
            v["altText"] = json!(a);
        }
        v
    };
    match images {
        [] => {}
        [one] => {
            body.insert("content".into(), json!({ "media": image(0, one) }));
        }
        many => {
            let list: Vec<Value> = many
                .iter()
                .enumerate()
                .map(|(i, id)| image(i, id))
                .collect();
            body.insert(
                "content".into(),
                json!({ "multiImage": { "images": list } }),
            );
        }
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaFile;

    fn outgoing(text: &str, media: usize) -> OutgoingPost {
        OutgoingPost {
            text: text.into(),
            media: (0..media)
                .map(|i| MediaFile {
                    mime: "image/png".into(),
                    bytes: vec![1],
                    alt: (i == 0).then(|| "Le logo".into()),
                    public_url: None,
                })
                .collect(),
            reply_to: None,
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 1_000_000,
        }
    }

    #[test]
    fn post_bodies_for_text_one_image_and_many() {
        let b = post_body(
            "urn:li:organization:1",
            &outgoing("Salut (toi) #relais", 0),
            &[],
        );
        assert_eq!(
            b,
            json!({
                "author": "urn:li:organization:1",
                "commentary": r"Salut \(toi\) #relais",
                "visibility": "PUBLIC",
                "distribution": { "feedDistribution": "MAIN_FEED", "targetEntities": [],
                                  "thirdPartyDistributionChannels": [] },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false
            })
        );
        let one = post_body(
            "urn:li:organization:1",
            &outgoing("x", 1),
            &["urn:li:image:A".into()],
        );
        assert_eq!(
            one["content"],
            json!({ "media": { "id": "urn:li:image:A", "altText": "Le logo" } })
        );
        let two = post_body(
            "urn:li:organization:1",
            &outgoing("x", 2),
            &["urn:li:image:A".into(), "urn:li:image:B".into()],
        );
        assert_eq!(
            two["content"],
            json!({ "multiImage": { "images": [
                { "id": "urn:li:image:A", "altText": "Le logo" }, { "id": "urn:li:image:B" }
            ] } })
        );
    }

    #[test]
    fn a_post_of_the_page_is_recognised() {
        let post = outgoing("Bonjour (tous) #relais", 0);
        let candidate = json!({
            "id": "urn:li:share:7", "createdAt": 1_000_500, "lifecycleState": "PUBLISHED",
            "commentary": r"Bonjour \(tous\) {hashtag|\#|relais}"
        });
        assert!(is_this_post(&candidate, &post, 940_000));
        assert!(!is_this_post(&candidate, &post, 1_000_600), "too old");
        let mut with_image = candidate.clone();
        with_image["content"] = json!({ "media": { "id": "urn:li:image:A" } });
        assert!(!is_this_post(&with_image, &post, 0));
        assert!(is_this_post(
            &with_image,
            &outgoing("Bonjour (tous) #relais", 1),
            0
        ));
        let mut other = candidate.clone();
        other["commentary"] = json!("Bonjour tous");
        assert!(!is_this_post(&other, &post, 0));
        let mut draft = candidate.clone();
        draft["lifecycleState"] = json!("DRAFT");
        assert!(!is_this_post(&draft, &post, 0));
        assert_eq!(
            image_count(&json!({ "content": { "multiImage": { "images": [{}, {}, {}] } } })),
            3
        );
    }

    #[test]
    fn comment_urns_from_any_answer() {
        let target = "urn:li:share:9";
        assert_eq!(
            comment_urn(
                &json!({ "commentUrn": "urn:li:comment:(urn:li:activity:8,11)", "id": "11" }),
                None,
                target
            ),
            Some("urn:li:comment:(urn:li:activity:8,11)".into())
        );
        assert_eq!(
            comment_urn(
                &json!(null),
                Some("urn:li:comment:(urn:li:share:9,12)"),
                target
            ),
            Some("urn:li:comment:(urn:li:share:9,12)".into())
        );
        assert_eq!(
            comment_urn(&json!({ "id": "13" }), None, target),
            Some("urn:li:comment:(urn:li:share:9,13)".into())
        );
        assert_eq!(comment_urn(&json!({ "id": "../x" }), None, target), None);
    }

    #[test]
    fn organisations_are_named() {
        assert_eq!(
            organization_display(&json!({ "localizedName": " Acme " }), "1"),
            "Acme"
        );
        assert_eq!(
            organization_display(
                &json!({ "name": { "localized": { "fr_FR": "Acmé" } } }),
                "1"
            ),
            "Acmé"
        );
        assert_eq!(
            organization_display(&json!({ "vanityName": "acme" }), "1"),
            "acme"
        );
        assert_eq!(
            organization_display(&json!({}), "1"),
            "LinkedIn organization 1"
        );
    }
}
