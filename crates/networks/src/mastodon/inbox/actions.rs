//! What the team does on Mastodon with the brand's account: favourite and boost a status,
//! mute and block its author, report it to the instance's moderators. Mastodon lets no one
//! hide or delete a status of another account, so those answer [`NetworkError::Unsupported`].

use reqwest::Method;
use serde_json::{Value, json};

use super::super::Mastodon;
use super::super::api::Payload;
use super::super::is_id;
use crate::inbox::{Author, Interaction, PostRef};
use crate::search::host_of;
use crate::{Credentials, NetworkError};

/// The longest report comment Mastodon takes.
const MAX_COMMENT_CHARS: usize = 1000;

pub(crate) async fn act(
    mastodon: &Mastodon,
    creds: &Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    let (path, body, gone) = match interaction {
        Interaction::Like { message } => (
            format!("/api/v1/statuses/{}/favourite", status_id(message)?),
            None,
            "the message was deleted",
        ),
        Interaction::Repost { message } => (
            format!("/api/v1/statuses/{}/reblog", status_id(message)?),
            None,
            "the message was deleted",
        ),
        Interaction::Mute { author } => (
            format!("/api/v1/accounts/{}/mute", account_id(author)?),
            None,
            "the account no longer exists",
        ),
        Interaction::Block { author, .. } => (
            format!("/api/v1/accounts/{}/block", account_id(author)?),
            None,
            "the account no longer exists",
        ),
        Interaction::Report {
            message,
            author,
            reason,
        } => (
            "/api/v1/reports".to_owned(),
            Some(report(message, author, reason, home(creds).as_deref())?),
            "the account or the message no longer exists",
        ),
        Interaction::Hide { .. } => {
            return Err(NetworkError::Unsupported(
                "Mastodon cannot hide an answer from others: mute or block its author, or \
                 report it to the instance's moderators"
                    .into(),
            ));
        }
        Interaction::Delete { .. } => {
            return Err(NetworkError::Unsupported(
                "on Mastodon only its author (or the moderators of their instance) can delete \
                 a status: block its author or report it instead"
                    .into(),
            ));
        }
    };
    let payload = body.map_or(Payload::None, Payload::Json);
    match mastodon
        .call(creds, Method::POST, &path, &[], payload, None)
        .await?
    {
        Ok(_) => Ok(()),
        Err(f) if f.status == 404 => Err(NetworkError::Rejected(gone.to_owned())),
        Err(f) => Err(f.into_network_error()),
    }
}

/// `POST /api/v1/reports`'s body: the account, the status (when it is one), the reason as
/// the comment, and forwarded to the author's own instance when it is another one (its
/// moderators are the ones who can act).
pub(crate) fn report(
    message: &PostRef,
    author: &Author,
    reason: &str,
    home: Option<&str>,
) -> Result<Value, NetworkError> {
    let account = account_id(author)?;
    let statuses: Vec<&str> = Some(message.id.as_str())
        .filter(|id| is_id(id))
        .into_iter()
        .collect();
    let comment: String = reason.trim().chars().take(MAX_COMMENT_CHARS).collect();
    // "violation" needs the instance's rule ids, which Relais does not keep.
    let category = if reason.to_lowercase().contains("spam") {
        "spam"
    } else {
        "other"
    };
    let remote = author
        .handle
        .rsplit_once('@')
        .map(|(_, host)| host.to_ascii_lowercase())
        .is_some_and(|host| !host.is_empty() && Some(host.as_str()) != home);
    Ok(json!({
        "account_id": account,
        "status_ids": statuses,
        "comment": comment,
        "category": category,
        "forward": remote,
    }))
}

fn status_id(message: &PostRef) -> Result<&str, NetworkError> {
    Some(message.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| {
            NetworkError::Rejected(format!(
                "`{}` is not a Mastodon status (a repost cannot be liked or boosted)",
                message.id
            ))
        })
}

fn account_id(author: &Author) -> Result<&str, NetworkError> {
    Some(author.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| {
            NetworkError::Rejected(format!("`{}` is not a Mastodon account id", author.id))
        })
}

fn home(creds: &Credentials) -> Option<String> {
    Mastodon::instance(creds)
        .ok()
        .and_then(|i| host_of(&i))
        .map(|h| h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(id: &str, handle: &str) -> Author {
        Author {
            id: id.into(),
            handle: handle.into(),
            ..Author::default()
        }
    }

    fn post(id: &str) -> PostRef {
        PostRef {
            id: id.into(),
            ..PostRef::default()
        }
    }

    #[test]
    fn reports_name_the_status_and_forward_to_other_instances() {
        let body = report(
            &post("100"),
            &author("20", "fan@remote.example"),
            "Insults",
            Some("home.example"),
        )
        .expect("a report");
        assert_eq!(body["account_id"], "20");
        assert_eq!(body["status_ids"], json!(["100"]));
        assert_eq!(body["comment"], "Insults");
        assert_eq!(body["category"], "other");
        assert_eq!(body["forward"], true);

        let local = report(
            &post("reblog:20:80"),
            &author("20", "fan@Home.example"),
            &format!("SPAM {}", "x".repeat(2000)),
            Some("home.example"),
        )
        .expect("a report");
        assert_eq!(local["status_ids"], json!([]), "a repost is no status");
        assert_eq!(local["category"], "spam");
        assert_eq!(local["forward"], false);
        assert_eq!(
            local["comment"].as_str().map(|c| c.chars().count()),
            Some(MAX_COMMENT_CHARS)
        );

        assert!(matches!(
            report(&post("1"), &author("../1", "x"), "r", None),
            Err(NetworkError::Rejected(_))
        ));
    }

    #[tokio::test]
    async fn hide_delete_and_odd_ids_are_refused_before_any_call() {
        let mastodon =
            Mastodon::new(relais_outbound::HttpClient::new(Default::default()).expect("client"));
        let creds = Credentials::default();
        for (interaction, want_unsupported) in [
            (Interaction::Hide { message: post("1") }, true),
            (Interaction::Delete { message: post("1") }, true),
            (
                Interaction::Like {
                    message: post("reblog:1:2"),
                },
                false,
            ),
            (
                Interaction::Block {
                    author: author("a/b", "x"),
                    message: None,
                },
                false,
            ),
        ] {
            let err = act(&mastodon, &creds, &interaction)
                .await
                .expect_err("refused");
            match err {
                NetworkError::Unsupported(m) => assert!(want_unsupported, "{m}"),
                NetworkError::Rejected(m) => assert!(!want_unsupported, "{m}"),
                other => panic!("{other}"),
            }
        }
    }
}
