//! A comment, as the Comments API lists them (`GET /rest/socialActions/{urn}/comments`), read
//! as an inbox message.
//!
//! Fields used: `commentUrn` (else built from `id` and `object`), `actor` (a person's or an
//! organisation's URN), `created.time` (Unix milliseconds), `message.text`, `parentComment`
//! (on a nested comment) and `commentsSummary` (how many comments are under it).

use serde_json::Value;

use super::super::shapes::{comment_urn, str_field};
use super::super::urn;
use crate::inbox::{Author, IncomingMessage, MessageKind, PostRef};

/// Where a comment was listed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Under<'a> {
    /// The organisation's URN: its own comments are left out.
    pub org: &'a str,
    /// The brand's post (a share or ugcPost URN): every comment's root.
    pub post: &'a str,
    /// The top-level comment whose comments were listed, for nested ones.
    pub comment: Option<&'a str>,
}

/// A comment's URN.
pub(crate) fn urn_of(c: &Value, post: &str) -> Option<String> {
    comment_urn(c, None, post)
}

/// When a comment was made.
pub(crate) fn created_ms(c: &Value) -> Option<i64> {
    c.get("created")
        .and_then(|t| t.get("time"))
        .and_then(Value::as_i64)
}

/// Whether comments may be nested under `c`: its `commentsSummary` counts some, or it has no
/// summary to say otherwise.
pub(crate) fn may_have_replies(c: &Value) -> bool {
    let Some(summary) = c.get("commentsSummary") else {
        return true;
    };
    ["aggregatedTotalComments", "totalFirstLevelComments"]
        .iter()
        .filter_map(|k| summary.get(*k).and_then(Value::as_u64))
        .max()
        .is_none_or(|n| n > 0)
}

fn post_ref(id: &str) -> PostRef {
    PostRef {
        id: id.to_owned(),
        version: None,
        url: Some(urn::address(id)),
    }
}

/// Who wrote it: LinkedIn gives the actor's URN only (a member's name would take the People
/// API, which LinkedIn keeps to a few partners), so the URN is the author's id and handle.
/// A company page gets its address.
fn author_of(actor: &str) -> Author {
    Author {
        id: actor.to_owned(),
        handle: actor.to_owned(),
        profile_url: urn::organization_id(actor)
            .map(|id| format!("https://www.linkedin.com/company/{id}/")),
        ..Author::default()
    }
}

/// `c` as a message: a [`MessageKind::Comment`] on the post, or a [`MessageKind::Reply`] when
/// nested under a comment (its `parentComment`, else the comment it was listed under), whose
/// version is that comment: where an answer to it must go, LinkedIn nesting one level. `None`
/// for the organisation's own comments and for what lacks a URN, an actor or a time.
pub(crate) fn message_of(c: &Value, under: Under<'_>) -> Option<IncomingMessage> {
    let network_id = urn_of(c, under.post)?;
    let actor = str_field(c, "actor")
        .map(str::trim)
        .filter(|a| a.starts_with("urn:li:"))?;
    if actor == under.org {
        return None;
    }
    let created_at = created_ms(c)?;
    let parent_comment = str_field(c, "parentComment")
        .filter(|p| urn::comment_parts(p).is_some())
        .or(under.comment)
        .filter(|p| *p != network_id);
    let text = c
        .get("message")
        .and_then(|m| str_field(m, "text"))
        .unwrap_or_default()
        .to_owned();
    Some(IncomingMessage {
        url: Some(urn::address(&network_id)),
        network_id,
        version: parent_comment.map(str::to_owned),
        kind: if parent_comment.is_some() {
            MessageKind::Reply
        } else {
            MessageKind::Comment
        },
        author: author_of(actor),
        text,
        lang: None,
        created_at,
        parent: Some(post_ref(parent_comment.unwrap_or(under.post))),
        root: Some(post_ref(under.post)),
        subject: None,
        direct_thread: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORG: &str = "urn:li:organization:2414183";
    const POST: &str = "urn:li:share:7000";
    const TOP: &str = "urn:li:comment:(urn:li:activity:8000,11)";

    fn top_level() -> Under<'static> {
        Under {
            org: ORG,
            post: POST,
            comment: None,
        }
    }

    #[test]
    fn a_comment_on_the_post_and_a_reply_under_a_comment() {
        let c = json!({
            "actor": "urn:li:person:abc", "commentUrn": TOP, "id": "11",
            "object": "urn:li:activity:8000", "message": { "text": "Bravo !", "attributes": [] },
            "created": { "actor": "urn:li:person:abc", "time": 1_700_000_000_000_i64 },
            "commentsSummary": { "totalFirstLevelComments": 0, "aggregatedTotalComments": 0 }
        });
        let m = message_of(&c, top_level()).expect("a message");
        assert_eq!((m.network_id.as_str(), m.kind), (TOP, MessageKind::Comment));
        assert_eq!(m.version, None);
        assert_eq!(m.parent.as_ref().map(|p| p.id.as_str()), Some(POST));
        assert_eq!(m.root.as_ref().map(|p| p.id.as_str()), Some(POST));
        assert_eq!(m.author.id, "urn:li:person:abc");
        assert_eq!(m.author.profile_url, None);
        assert_eq!(m.text, "Bravo !");
        assert!(m.url.as_deref().is_some_and(|u| u.contains("commentUrn=")));
        assert!(!may_have_replies(&c));

        let nested = json!({
            "actor": "urn:li:organization:99", "id": "12", "object": "urn:li:activity:8000",
            "parentComment": TOP, "message": { "text": "Merci" },
            "created": { "time": 1_700_000_100_000_i64 }
        });
        let m = message_of(
            &nested,
            Under {
                comment: Some(TOP),
                ..top_level()
            },
        )
        .expect("a message");
        assert_eq!(m.network_id, "urn:li:comment:(urn:li:activity:8000,12)");
        assert_eq!(m.kind, MessageKind::Reply);
        assert_eq!(m.version.as_deref(), Some(TOP));
        assert_eq!(m.parent.map(|p| p.id).as_deref(), Some(TOP));
        assert_eq!(
            m.author.profile_url.as_deref(),
            Some("https://www.linkedin.com/company/99/")
        );
        assert!(may_have_replies(&nested), "no summary: maybe");
    }

    #[test]
    fn the_organisations_own_and_broken_comments_are_left_out() {
        let own = json!({ "actor": ORG, "commentUrn": TOP, "created": { "time": 1 } });
        assert!(message_of(&own, top_level()).is_none());
        for bad in [
            json!({ "actor": "urn:li:person:a", "created": { "time": 1 } }),
            json!({ "actor": "urn:li:person:a", "commentUrn": TOP }),
            json!({ "commentUrn": TOP, "created": { "time": 1 } }),
            json!({ "actor": "someone", "commentUrn": TOP, "created": { "time": 1 } }),
            json!({ "actor": "urn:li:person:a", "id": "../x", "created": { "time": 1 } }),
        ] {
            assert!(message_of(&bad, top_level()).is_none(), "{bad}");
        }
    }
}
