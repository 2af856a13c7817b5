//! LinkedIn's URNs: what Relais keeps as a published post's id, checked before it goes in a
//! path, and the addresses people open.
//!
//! - a post: `urn:li:share:{id}` or `urn:li:ugcPost:{id}` (the Posts API gives either);
//! - a comment: `urn:li:comment:({post or activity URN},{comment id})`;
//! - an organisation: `urn:li:organization:{id}`.
//!
//! In a path or a query, a URN is percent-encoded whole (Rest.li 2.0 reads `:`, `(`, `)`
//! and `,` as syntax).

use crate::oauth::encode;

/// A numeric id as LinkedIn gives them.
pub(crate) fn is_numeric_id(id: &str) -> bool {
    (1..=30).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// `urn:li:{kind}:{id}` with a numeric id, for one of `kinds`.
fn is_urn_of(urn: &str, kinds: &[&str]) -> bool {
    urn.strip_prefix("urn:li:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(kind, id)| kinds.contains(&kind) && is_numeric_id(id))
}

/// A post made through the Posts API (or LinkedIn's older share APIs).
pub(crate) fn is_post(urn: &str) -> bool {
    is_urn_of(urn, &["share", "ugcPost"])
}

/// What a comment can be made on or found under (a post, or the activity LinkedIn names a
/// post by in comment URNs).
fn is_commentable(urn: &str) -> bool {
    is_urn_of(urn, &["share", "ugcPost", "activity"])
}

/// A comment URN's parts: the URN of what it comments on, and its own id.
pub(crate) fn comment_parts(urn: &str) -> Option<(&str, &str)> {
    let inner = urn.strip_prefix("urn:li:comment:(")?.strip_suffix(')')?;
    let (object, id) = inner.rsplit_once(',')?;
    (is_commentable(object) && is_numeric_id(id)).then_some((object, id))
}

/// The organisation URN for a numeric id.
pub(crate) fn organization(id: &str) -> String {
    format!("urn:li:organization:{id}")
}

/// The numeric id in `urn:li:organization:{id}`.
pub(crate) fn organization_id(urn: &str) -> Option<&str> {
    urn.strip_prefix("urn:li:organization:")
        .filter(|id| is_numeric_id(id))
}

/// Where people see a post (`https://www.linkedin.com/feed/update/{urn}/`), or a comment:
/// its post's address with `?commentUrn=` (how LinkedIn's own links point at a comment).
pub(crate) fn address(urn: &str) -> String {
    match comment_parts(urn) {
        Some((object, _)) => format!(
            "https://www.linkedin.com/feed/update/{object}/?commentUrn={}",
            encode(urn)
        ),
        None => format!("https://www.linkedin.com/feed/update/{urn}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_and_comments_are_told_apart_and_checked() {
        assert!(is_post("urn:li:share:7141138937766391808"));
        assert!(is_post("urn:li:ugcPost:6970000000000000000"));
        assert!(!is_post("urn:li:activity:1"));
        assert!(!is_post("urn:li:share:"));
        assert!(!is_post("urn:li:share:12/../../me"));
        assert!(!is_post("1234"));
        assert_eq!(
            comment_parts(
                "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562688)"
            ),
            Some(("urn:li:activity:6631349431612559360", "6636062862760562688"))
        );
        assert_eq!(
            comment_parts("urn:li:comment:(urn:li:ugcPost:1,2)"),
            Some(("urn:li:ugcPost:1", "2"))
        );
        assert_eq!(comment_parts("urn:li:comment:(urn:li:person:1,2)"), None);
        assert_eq!(comment_parts("urn:li:comment:(urn:li:share:1,x)"), None);
        assert_eq!(comment_parts("urn:li:share:1"), None);
        assert_eq!(
            organization_id("urn:li:organization:2414183"),
            Some("2414183")
        );
        assert_eq!(organization_id("urn:li:organization:abc"), None);
        assert_eq!(organization_id("urn:li:person:1"), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address("urn:li:share:7141138937766391808"),
            "https://www.linkedin.com/feed/update/urn:li:share:7141138937766391808/"
        );
        assert_eq!(
            address("urn:li:comment:(urn:li:activity:10,20)"),
            "https://www.linkedin.com/feed/update/urn:li:activity:10/\
             ?commentUrn=urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A10%2C20%29"
        );
    }
}
