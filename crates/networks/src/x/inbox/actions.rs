//! What the team does on X with the brand's account:
//!
//! | interaction | call | body | permission (OAuth 2.0 scope) |
//! |---|---|---|---|
//! | like | `POST /2/users/:id/likes` | `{"tweet_id"}` | `like.write` |
//! | repost | `POST /2/users/:id/retweets` | `{"tweet_id"}` | `tweet.write` |
//! | hide | `PUT /2/tweets/:id/hidden` | `{"hidden": true}` | `tweet.moderate.write` |
//! | mute | `POST /2/users/:id/muting` | `{"target_user_id"}` | `mute.write` |
//! | block | `POST /2/users/:id/blocking` | `{"target_user_id"}` | `block.write`, and X's Enterprise plan |
//!
//! `:id` is the brand's user id, except for hiding (the reply's). X hides only replies in a
//! conversation the brand started. Deleting someone else's post and reporting have no API:
//! they answer [`NetworkError::Unsupported`] with what to do instead. A direct message
//! (`dm:` id) can be neither liked, reposted nor hidden.

use reqwest::Method;
use serde_json::{Value, json};

use super::super::api::{Body, Failure};
use super::super::{X, api, is_id};
use super::message::DM_PREFIX;
use crate::inbox::{Author, Interaction, PostRef};
use crate::{Credentials, NetworkError};

pub(crate) async fn act(
    x: &X,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    let request = match interaction {
        Interaction::Like { message } => Request {
            verb: Method::POST,
            path: format!("/2/users/{}/likes", x.user_id(creds).await?),
            body: json!({ "tweet_id": post_id(message, "liked")? }),
            what: "like the post",
            scope: "like.write",
            gone: "the post was deleted",
        },
        Interaction::Repost { message } => Request {
            verb: Method::POST,
            path: format!("/2/users/{}/retweets", x.user_id(creds).await?),
            body: json!({ "tweet_id": post_id(message, "reposted")? }),
            what: "repost the post",
            scope: "tweet.write",
            gone: "the post was deleted",
        },
        Interaction::Hide { message } => Request {
            verb: Method::PUT,
            path: format!("/2/tweets/{}/hidden", post_id(message, "hidden")?),
            body: json!({ "hidden": true }),
            what: "hide the reply (X hides only replies in conversations the account started)",
            scope: "tweet.moderate.write",
            gone: "the reply was deleted",
        },
        Interaction::Mute { author } => Request {
            verb: Method::POST,
            path: format!("/2/users/{}/muting", x.user_id(creds).await?),
            body: json!({ "target_user_id": user_id(author)? }),
            what: "mute the account",
            scope: "mute.write",
            gone: "the account no longer exists",
        },
        Interaction::Block { author, .. } => Request {
            verb: Method::POST,
            path: format!("/2/users/{}/blocking", x.user_id(creds).await?),
            body: json!({ "target_user_id": user_id(author)? }),
            what: "block the account",
            scope: "block.write",
            gone: "the account no longer exists",
        },
        Interaction::Delete { .. } => {
            return Err(NetworkError::Unsupported(
                "on X only its author can delete a post: hide the reply (when it answers one of \
                 the account's posts), mute or block its author, or report it on x.com"
                    .into(),
            ));
        }
        Interaction::Report { .. } => {
            return Err(NetworkError::Unsupported(
                "X offers no API to report a post: report it on x.com (the post's ⋯ menu, then \
                 Report post)"
                    .into(),
            ));
        }
    };
    let blocking = matches!(interaction, Interaction::Block { .. });
    let who = match interaction {
        Interaction::Block { author, .. } if !author.handle.is_empty() => {
            format!("@{}", author.handle)
        }
        _ => "the account".to_owned(),
    };
    match x
        .call(
            creds,
            request.verb.clone(),
            &request.path,
            &[],
            Body::Json(request.body.clone()),
        )
        .await?
    {
        Ok(reply) => accepted(&reply.body, &request),
        Err(f) if blocking && f.status == 403 => Err(NetworkError::Unsupported(format!(
            "X refused to block the account ({}): X lets apps block only on its Enterprise \
             plan, with the `block.write` permission; block {who} on x.com, or mute them",
            f.detail()
        ))),
        Err(f) => Err(refused(f, &request)),
    }
}

/// One call of an interaction, and the words for what can go wrong.
struct Request {
    verb: Method,
    path: String,
    body: Value,
    /// What was asked, after "X refused to".
    what: &'static str,
    /// The permission the call needs.
    scope: &'static str,
    /// What a 404 means.
    gone: &'static str,
}

/// A 200 can still carry only `errors` (a post X no longer finds).
fn accepted(body: &Value, request: &Request) -> Result<(), NetworkError> {
    if body.get("data").is_some() || body.get("errors").is_none() {
        return Ok(());
    }
    let detail = api::problem_detail(body);
    Err(NetworkError::Rejected(if mentions_gone(&detail) {
        format!("{} ({detail})", request.gone)
    } else {
        format!("X refused to {}: {detail}", request.what)
    }))
}

fn refused(f: Failure, request: &Request) -> NetworkError {
    let detail = f.detail();
    match f.status {
        404 => NetworkError::Rejected(format!("{} ({detail})", request.gone)),
        400 | 403 if mentions_gone(&detail) => {
            NetworkError::Rejected(format!("{} ({detail})", request.gone))
        }
        403 => NetworkError::Rejected(format!(
            "X refused to {} ({detail}); if the channel was connected before Relais asked for \
             the `{}` permission, connect it again",
            request.what, request.scope
        )),
        _ => f.into_network_error(),
    }
}

/// Whether X's words say the post or account is gone.
fn mentions_gone(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    ["deleted", "not found", "could not find", "does not exist"]
        .iter()
        .any(|w| d.contains(w))
}

/// A post's id, checked; a direct message cannot be `done` (liked, reposted, hidden).
fn post_id<'a>(message: &'a PostRef, done: &str) -> Result<&'a str, NetworkError> {
    if message.id.starts_with(DM_PREFIX) {
        return Err(NetworkError::Unsupported(format!(
            "a direct message cannot be {done} on X"
        )));
    }
    Some(message.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not an X post id", message.id)))
}

fn user_id(author: &Author) -> Result<&str, NetworkError> {
    Some(author.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not an X user id", author.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_before_any_call() {
        let dm = PostRef {
            id: "dm:7-1001:500".into(),
            ..PostRef::default()
        };
        assert!(matches!(
            post_id(&dm, "liked"),
            Err(NetworkError::Unsupported(m)) if m.contains("direct message")
        ));
        let odd = PostRef {
            id: "../2/users/me".into(),
            ..PostRef::default()
        };
        assert!(matches!(
            post_id(&odd, "liked"),
            Err(NetworkError::Rejected(_))
        ));
        let author = Author {
            id: "fan".into(),
            ..Author::default()
        };
        assert!(matches!(user_id(&author), Err(NetworkError::Rejected(_))));
    }

    #[test]
    fn refusals_say_what_to_do() {
        let request = Request {
            verb: Method::POST,
            path: "/2/users/1/likes".into(),
            body: Value::Null,
            what: "like the post",
            scope: "like.write",
            gone: "the post was deleted",
        };
        let f = |status: u16, detail: &str| Failure {
            status,
            detail: detail.into(),
            retry_after: None,
        };
        assert!(matches!(
            refused(f(403, "Forbidden"), &request),
            NetworkError::Rejected(m) if m.contains("like.write")
        ));
        assert!(matches!(
            refused(f(404, ""), &request),
            NetworkError::Rejected(m) if m.starts_with("the post was deleted")
        ));
        assert!(matches!(
            refused(f(429, ""), &request),
            NetworkError::RateLimited { .. }
        ));
        let gone = serde_json::json!({ "errors": [{ "detail": "Could not find tweet with tweet_id: [5]." }] });
        assert!(matches!(
            accepted(&gone, &request),
            Err(NetworkError::Rejected(m)) if m.starts_with("the post was deleted")
        ));
        assert!(accepted(&serde_json::json!({ "data": { "liked": true } }), &request).is_ok());
    }
}
