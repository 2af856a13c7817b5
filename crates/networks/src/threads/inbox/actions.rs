//! What the team does on Threads with the brand's account: hide a reply to one of its posts
//! (`POST /{reply-id}/manage_reply` with `hide=true`). The Threads API offers nothing else a
//! page could do to another account's post or to the account itself: the rest answers
//! [`NetworkError::Unsupported`], saying where to do it instead.

use reqwest::Method;
use serde_json::Value;

use super::super::{Threads, is_id};
use crate::inbox::{Interaction, PostRef};
use crate::{Credentials, NetworkError};

pub(crate) async fn act(
    threads: &Threads,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    let unsupported = |what: &str| Err(NetworkError::Unsupported(what.to_owned()));
    match interaction {
        Interaction::Hide { message } => hide(threads, creds, message).await,
        Interaction::Like { .. } => {
            unsupported("the Threads API offers no way to like a post: like it in the Threads app")
        }
        Interaction::Repost { .. } => unsupported(
            "the Threads API offers no way to repost another account's post: repost it in the \
             Threads app",
        ),
        Interaction::Delete { .. } => unsupported(
            "Threads lets an account delete only its own posts: hide the reply instead, which \
             leaves it visible to its author only",
        ),
        Interaction::Mute { .. } => unsupported(
            "the Threads API offers no way to mute an account: mute it in the Threads app",
        ),
        Interaction::Block { .. } => unsupported(
            "the Threads API offers no way to block an account: block it in the Threads app",
        ),
        Interaction::Report { .. } => unsupported(
            "the Threads API offers no way to report a post: report it in the Threads app",
        ),
    }
}

/// Hides a reply under one of the brand's posts. Threads hides top-level replies only (with
/// the replies under them); a deeper one is refused by Threads, which is said.
async fn hide(
    threads: &Threads,
    creds: &mut Credentials,
    message: &PostRef,
) -> Result<(), NetworkError> {
    let id = message.id.trim();
    if !is_id(id) {
        return Err(NetworkError::Rejected(format!(
            "`{}` is not a Threads reply id",
            message.id
        )));
    }
    let settings = threads.prepare(creds).await?;
    let path = format!("/{id}/manage_reply");
    match threads
        .call(creds, &settings, Method::POST, &path, &[("hide", "true")])
        .await?
    {
        Ok(reply) if reply.body.get("success").and_then(Value::as_bool) == Some(false) => Err(
            NetworkError::Transient(format!("Threads did not hide the reply {id}; try again")),
        ),
        Ok(_) => Ok(()),
        Err(f) if f.is_gone() => Err(NetworkError::Rejected(format!(
            "the reply {id} was deleted from Threads: there is nothing to hide"
        ))),
        Err(f) => {
            let detail = f.detail();
            Err(match f.into_network_error() {
                NetworkError::Rejected(_) => NetworkError::Rejected(format!(
                    "Threads refused to hide the reply {id} ({detail}): it hides only the \
                     replies made directly to the account's own posts, each with the replies \
                     under it"
                )),
                other => other,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Author;

    #[tokio::test]
    async fn only_hide_is_offered_and_ids_are_checked_before_any_call() {
        let threads =
            Threads::new(relais_outbound::HttpClient::new(Default::default()).expect("client"));
        let mut creds = Credentials::default();
        let post = |id: &str| PostRef {
            id: id.into(),
            ..PostRef::default()
        };
        for interaction in [
            Interaction::Like { message: post("1") },
            Interaction::Repost { message: post("1") },
            Interaction::Delete { message: post("1") },
            Interaction::Mute {
                author: Author::default(),
            },
            Interaction::Block {
                author: Author::default(),
                message: None,
            },
            Interaction::Report {
                message: post("1"),
                author: Author::default(),
                reason: "spam".into(),
            },
        ] {
            let err = act(&threads, &mut creds, &interaction)
                .await
                .expect_err("refused");
            assert!(
                matches!(err, NetworkError::Unsupported(ref m) if m.contains("Threads")),
                "{err}"
            );
        }
        let err = act(
            &threads,
            &mut creds,
            &Interaction::Hide {
                message: post("1/../me"),
            },
        )
        .await
        .expect_err("refused");
        assert!(matches!(err, NetworkError::Rejected(_)), "{err}");
    }
}
