//! What the team does on Facebook and Instagram with the brand's account.
//!
//! | | Facebook Page | Instagram |
//! |---|---|---|
//! | hide | `POST /{comment-id}` `is_hidden=true` | `POST /{ig-comment-id}` `hide=true` |
//! | delete | `DELETE /{comment-id}` (gone already: done) | `DELETE /{ig-comment-id}` (the same) |
//! | like | `POST /{object-id}/likes` | not offered |
//! | block | `POST /{page-id}/blocked` `user=<id>` | not offered |
//! | repost, mute, report | not offered | not offered |
//!
//! Hiding and deleting need the `pages_manage_engagement` (Facebook) or
//! `instagram_manage_comments` permission; Graph's refusal for lack of it asks to connect the
//! channel again.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::super::graph::{Body, Graph};
use super::super::{graph_for, id_setting, object_id};
use super::DIRECT_PREFIX;
use crate::inbox::{Interaction, PostRef};
use crate::{Credentials, NetworkError};

pub(crate) async fn facebook(
    http: &HttpClient,
    creds: &Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    const NETWORK: &str = "Facebook";
    let graph = graph_for(http, creds, NETWORK)?;
    match interaction {
        Interaction::Hide { message } => {
            let id = acted_on(message, NETWORK)?;
            let form = vec![("is_hidden".to_owned(), "true".to_owned())];
            post(&graph, &format!("/{id}"), form, "the comment was deleted").await
        }
        Interaction::Delete { message } => delete(&graph, acted_on(message, NETWORK)?).await,
        Interaction::Like { message } => {
            let id = acted_on(message, NETWORK)?;
            let path = format!("/{id}/likes");
            post(&graph, &path, Vec::new(), "the message was deleted").await
        }
        Interaction::Block { author, .. } => {
            let page = id_setting(creds, "page_id", NETWORK)?;
            let user = object_id(&author.id, NETWORK)?;
            let form = vec![("user".to_owned(), user.to_owned())];
            let answer = graph
                .send(
                    Method::POST,
                    &format!("/{page}/blocked"),
                    &[],
                    &Body::Form(form),
                )
                .await?;
            match answer {
                // `{"<id>": true}`: each id and whether it is now blocked.
                Ok(v) if v.get(user).and_then(Value::as_bool) == Some(false) => {
                    Err(NetworkError::Rejected(format!(
                        "Facebook did not block {}: block them from the Page's settings",
                        author.handle
                    )))
                }
                Ok(_) => Ok(()),
                Err(f) if f.is_missing_object() => Err(NetworkError::Rejected(
                    "the account no longer exists on Facebook".into(),
                )),
                Err(f) => Err(f.into_network_error(NETWORK)),
            }
        }
        Interaction::Repost { .. } => Err(NetworkError::Unsupported(
            "Facebook's API does not let a Page share someone's post: share it on facebook.com"
                .into(),
        )),
        Interaction::Mute { .. } => Err(NetworkError::Unsupported(
            "a Facebook Page cannot mute a person through the API: hide their comments or \
             block them"
                .into(),
        )),
        Interaction::Report { .. } => Err(NetworkError::Unsupported(
            "Facebook offers no API to report a comment or a post: report it on facebook.com"
                .into(),
        )),
    }
}

pub(crate) async fn instagram(
    http: &HttpClient,
    creds: &Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    const NETWORK: &str = "Instagram";
    let graph = graph_for(http, creds, NETWORK)?;
    match interaction {
        Interaction::Hide { message } => {
            let id = object_id(&message.id, NETWORK)?;
            let form = vec![("hide".to_owned(), "true".to_owned())];
            post(&graph, &format!("/{id}"), form, "the comment was deleted").await
        }
        Interaction::Delete { message } => delete(&graph, object_id(&message.id, NETWORK)?).await,
        Interaction::Like { .. } => Err(NetworkError::Unsupported(
            "the Instagram API cannot like a comment: like it in the Instagram app".into(),
        )),
        Interaction::Repost { .. } => Err(NetworkError::Unsupported(
            "Instagram has no reposts an API can make: share it from the Instagram app".into(),
        )),
        Interaction::Mute { .. } => Err(NetworkError::Unsupported(
            "the Instagram API cannot mute an account: hide its comments, or mute it in the \
             Instagram app"
                .into(),
        )),
        Interaction::Block { .. } => Err(NetworkError::Unsupported(
            "the Instagram API cannot block an account: hide its comments, or block it in the \
             Instagram app"
                .into(),
        )),
        Interaction::Report { .. } => Err(NetworkError::Unsupported(
            "Instagram offers no API to report a comment: report it in the Instagram app".into(),
        )),
    }
}

/// The id of the comment or post to act on; a Messenger message is none.
fn acted_on<'a>(message: &'a PostRef, network: &str) -> Result<&'a str, NetworkError> {
    if message
        .version
        .as_deref()
        .is_some_and(|v| v.starts_with(DIRECT_PREFIX))
    {
        return Err(NetworkError::Unsupported(
            "Facebook's API cannot hide, delete or like a Messenger message: do it in Meta \
             Business Suite"
                .into(),
        ));
    }
    object_id(&message.id, network)
}

/// A `POST` whose answer is `{"success": true}`; `gone` says what a missing object means.
async fn post(
    graph: &Graph<'_>,
    path: &str,
    form: Vec<(String, String)>,
    gone: &str,
) -> Result<(), NetworkError> {
    let body = if form.is_empty() {
        Body::None
    } else {
        Body::Form(form)
    };
    match graph.send(Method::POST, path, &[], &body).await? {
        Ok(v) if v.get("success").and_then(Value::as_bool) == Some(false) => Err(
            NetworkError::Rejected(format!("{} refused it without a reason", graph.network)),
        ),
        Ok(_) => Ok(()),
        Err(f) if f.is_missing_object() => Err(NetworkError::Rejected(format!(
            "{gone} on {}",
            graph.network
        ))),
        Err(f) => Err(f.into_network_error(graph.network)),
    }
}

/// `DELETE /{id}`; a comment already gone is deleted.
async fn delete(graph: &Graph<'_>, id: &str) -> Result<(), NetworkError> {
    match graph
        .send(Method::DELETE, &format!("/{id}"), &[], &Body::None)
        .await?
    {
        Ok(_) => Ok(()),
        Err(f) if f.is_missing_object() => Ok(()),
        Err(f) => Err(f.into_network_error(graph.network)),
    }
}
