//! Mail about approval: editors hear that a post waits for them, authors hear the decision.
//! Each person reads it in their own language (their account's choice, English otherwise).
//! Mail is best effort: it is sent in the background, and a failure is logged, never shown as
//! a failure of the post itself.

use std::time::Duration;

use relais_core::Permission;
use relais_mail::Mail;
use relais_store::{Post, Workspace};

use crate::i18n::Lang;
use crate::state::AppState;

fn excerpt(post: &Post) -> String {
    let text = post
        .parts
        .first()
        .map(|p| p.text.as_str())
        .unwrap_or_default();
    let mut short: String = text.chars().take(280).collect();
    if text.chars().count() > 280 {
        short.push('…');
    }
    short
}

fn send_later(state: &AppState, mails: Vec<Mail>) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    tokio::spawn(async move {
        for mail in mails {
            let to = mail.to.clone();
            match tokio::time::timeout(Duration::from_secs(20), mailer.send(mail)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, %to, "approval mail not sent"),
                Err(_) => tracing::warn!(%to, "approval mail timed out"),
            }
        }
    });
}

fn lang_of(locale: Option<&str>) -> Lang {
    locale.and_then(Lang::parse).unwrap_or(Lang::En)
}

/// Tells every member who may approve (but the author) that `post` waits.
pub async fn approval_asked(state: &AppState, ws: &Workspace, post: &Post, author: &str) {
    let Ok(members) = state.store.members(ws.id).await else {
        return;
    };
    let link = format!(
        "{}/w/{}/publish",
        state.config.public_url.trim_end_matches('/'),
        ws.slug
    );
    let mails = members
        .into_iter()
        .filter(|m| m.role.allows(Permission::Approve) && Some(m.user.id) != post.author_id)
        .map(|m| {
            let (subject, text) = match lang_of(m.user.locale.as_deref()) {
                Lang::Fr => (
                    format!("Publication à valider dans {}", ws.name),
                    format!("{author} propose cette publication :\n\n{}\n\nValidez-la ou refusez-la ici : {link}\n", excerpt(post)),
                ),
                Lang::En => (
                    format!("A post waits for your approval in {}", ws.name),
                    format!("{author} proposes this post:\n\n{}\n\nApprove or refuse it here: {link}\n", excerpt(post)),
                ),
            };
            Mail { to: m.user.email.to_string(), subject, text }
        })
        .collect();
    send_later(state, mails);
}

/// Tells the author of `post` what an editor decided.
pub async fn decision(state: &AppState, ws: &Workspace, post: &Post, approved: bool, editor: &str) {
    let Some(author) = post.author_id else { return };
    let Ok(Some(user)) = state.store.user_by_id(author).await else {
        return;
    };
    if user.email.as_str() == editor {
        return; // an editor deciding on their own post needs no mail
    }
    let link = format!(
        "{}/w/{}/publish",
        state.config.public_url.trim_end_matches('/'),
        ws.slug
    );
    let (subject, text) = match (lang_of(user.locale.as_deref()), approved) {
        (Lang::Fr, true) => (
            format!("Publication validée dans {}", ws.name),
            format!(
                "{editor} a validé votre publication :\n\n{}\n\nElle partira à l’heure prévue : {link}\n",
                excerpt(post)
            ),
        ),
        (Lang::Fr, false) => (
            format!("Publication refusée dans {}", ws.name),
            format!(
                "{editor} a refusé votre publication :\n\n{}\n\nParlez-en avec l’équipe, puis proposez-en une autre : {link}\n",
                excerpt(post)
            ),
        ),
        (Lang::En, true) => (
            format!("Your post was approved in {}", ws.name),
            format!(
                "{editor} approved your post:\n\n{}\n\nIt goes out at the planned time: {link}\n",
                excerpt(post)
            ),
        ),
        (Lang::En, false) => (
            format!("Your post was refused in {}", ws.name),
            format!(
                "{editor} refused your post:\n\n{}\n\nTalk it over with the team, then propose another one: {link}\n",
                excerpt(post)
            ),
        ),
    };
    send_later(
        state,
        vec![Mail {
            to: user.email.to_string(),
            subject,
            text,
        }],
    );
}
