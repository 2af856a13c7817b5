//! What the team does on LinkedIn as the organisation: like a comment (the Reactions API,
//! `POST /rest/reactions?actor={org}` with `{"root": <comment URN>, "reactionType": "LIKE"}`)
//! and delete a comment on one of its posts (`DELETE /rest/socialActions/{post}/comments/
//! {comment id}?actor={org}`). LinkedIn's API offers no way to hide a comment, repost one,
//! or mute, block or report a member: those answer [`NetworkError::Unsupported`].

use reqwest::Method;
use serde_json::json;

use super::super::api::Body;
use super::super::{Dest, LinkedIn, Settings, urn};
use crate::inbox::{Interaction, PostRef};
use crate::oauth::encode;
use crate::{Credentials, NetworkError};

pub(crate) async fn act(
    li: &LinkedIn,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    let unsupported = |what: &str| Err(NetworkError::Unsupported(what.to_owned()));
    match interaction {
        Interaction::Like { message } => like(li, creds, message).await,
        Interaction::Delete { message } => delete(li, creds, message).await,
        Interaction::Hide { .. } => unsupported(
            "LinkedIn's API offers no way to hide a comment: delete it, or hide it from the \
             page on linkedin.com",
        ),
        Interaction::Repost { .. } => {
            unsupported("LinkedIn cannot repost a comment: only posts are reposted")
        }
        Interaction::Mute { .. } => unsupported(
            "LinkedIn's API offers no way for a page to mute a member: do it on linkedin.com",
        ),
        Interaction::Block { .. } => unsupported(
            "LinkedIn's API offers no way for a page to block a member: do it on linkedin.com",
        ),
        Interaction::Report { .. } => unsupported(
            "LinkedIn's API offers no way to report a comment: report it on linkedin.com",
        ),
    }
}

/// A LIKE reaction of the organisation on a comment (or a post). Liked already is done.
async fn like(
    li: &LinkedIn,
    creds: &mut Credentials,
    message: &PostRef,
) -> Result<(), NetworkError> {
    let target = message.id.trim();
    if urn::comment_parts(target).is_none() && !urn::is_post(target) {
        return Err(NetworkError::Rejected(format!(
            "`{}` is not a LinkedIn comment or post URN",
            message.id
        )));
    }
    let s = Settings::of(creds)?;
    let path = format!("/rest/reactions?actor={}", encode(&s.author()));
    let body = Body::Json(json!({ "root": target, "reactionType": "LIKE" }));
    match li
        .call(
            creds,
            &s,
            Method::POST,
            Dest::Api(&path),
            &body,
            "the reaction",
        )
        .await?
    {
        Ok(_) => Ok(()),
        Err(f) if f.status == 409 => Ok(()),
        Err(f) if matches!(f.status, 404 | 410) => Err(NetworkError::Rejected(format!(
            "the comment was deleted from LinkedIn: there is nothing to like ({})",
            f.detail()
        ))),
        Err(f) => Err(f.into_network_error()),
    }
}

/// Deletes a comment as the organisation (LinkedIn lets a page delete comments on its own
/// posts). One already gone is what was asked.
async fn delete(
    li: &LinkedIn,
    creds: &mut Credentials,
    message: &PostRef,
) -> Result<(), NetworkError> {
    let Some((object, id)) = urn::comment_parts(message.id.trim()) else {
        return Err(NetworkError::Rejected(format!(
            "`{}` is not a LinkedIn comment URN: only comments are deleted from the inbox",
            message.id
        )));
    };
    let s = Settings::of(creds)?;
    let path = format!(
        "/rest/socialActions/{}/comments/{id}?actor={}",
        encode(object),
        encode(&s.author())
    );
    match li
        .call(
            creds,
            &s,
            Method::DELETE,
            Dest::Api(&path),
            &Body::None,
            "the deletion",
        )
        .await?
    {
        Ok(_) => Ok(()),
        Err(f) if matches!(f.status, 404 | 410) => Ok(()),
        Err(f) => Err(f.into_network_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Author;

    #[tokio::test]
    async fn what_linkedin_does_not_offer_and_odd_ids_are_refused_before_any_call() {
        let li =
            LinkedIn::new(relais_outbound::HttpClient::new(Default::default()).expect("client"));
        let mut creds = Credentials::default();
        let post = |id: &str| PostRef {
            id: id.into(),
            ..PostRef::default()
        };
        let comment = "urn:li:comment:(urn:li:activity:1,2)";
        for interaction in [
            Interaction::Hide {
                message: post(comment),
            },
            Interaction::Repost {
                message: post(comment),
            },
            Interaction::Mute {
                author: Author::default(),
            },
            Interaction::Block {
                author: Author::default(),
                message: None,
            },
            Interaction::Report {
                message: post(comment),
                author: Author::default(),
                reason: "spam".into(),
            },
        ] {
            let err = act(&li, &mut creds, &interaction)
                .await
                .expect_err("refused");
            assert!(matches!(err, NetworkError::Unsupported(_)), "{err}");
        }
        for interaction in [
            Interaction::Like {
                message: post("urn:li:person:1"),
            },
            Interaction::Delete {
                message: post("urn:li:share:1"),
            },
        ] {
            let err = act(&li, &mut creds, &interaction)
                .await
                .expect_err("refused");
            assert!(matches!(err, NetworkError::Rejected(_)), "{err}");
        }
    }
}
