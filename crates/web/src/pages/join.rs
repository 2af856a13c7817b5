//! Accepting an invitation: as the logged-in account with the invited e-mail, or by creating
//! that account on the spot.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, DomainError, ErrorCode, Password, Timestamp};
use relais_store::{Invitation, Invitee, NewUser};
use serde::Deserialize;

use super::{Chrome, PageForm, PageResult, render_status};
use crate::auth::{password, secret};
use crate::context::{Ctx, see_other};
use crate::error::{WebError, status_for};
use crate::i18n::error_text;
use crate::pages::session::start_session;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    c: Chrome,
    token: String,
    workspace: String,
    role: &'static str,
    email: String,
    new_account: bool,
    blocked: bool,
    error: Option<String>,
}

enum Situation {
    /// Logged in as the invited address.
    Member,
    /// No account for the address: the form creates it.
    NewAccount,
    /// An account exists for the address but is not the one logged in (or none is).
    MustLogIn,
    /// Logged in as someone else.
    WrongAccount,
}

async fn load(state: &AppState, token: &str) -> Result<(Invitation, String), WebError> {
    let gone = || {
        WebError::new(
            StatusCode::GONE,
            ErrorCode::InvitationExpired,
            "this invitation was already used, revoked or has expired; ask for a new one",
        )
    };
    let inv = state
        .store
        .invitation_by_token_hash(&secret::hash_secret(token))
        .await?
        .ok_or_else(gone)?;
    if !inv.is_pending(Timestamp::now()) {
        return Err(gone());
    }
    let name = state
        .store
        .workspace_by_id(inv.workspace_id)
        .await?
        .map(|w| w.name)
        .ok_or_else(gone)?;
    Ok((inv, name))
}

async fn situation(state: &AppState, ctx: &Ctx, inv: &Invitation) -> Result<Situation, WebError> {
    if let Some(user) = &ctx.user {
        return Ok(if user.email == inv.email {
            Situation::Member
        } else {
            Situation::WrongAccount
        });
    }
    Ok(match state.store.credentials_by_email(&inv.email).await? {
        Some(_) => Situation::MustLogIn,
        None => Situation::NewAccount,
    })
}

fn page(
    ctx: &Ctx,
    token: &str,
    inv: &Invitation,
    workspace: &str,
    sit: &Situation,
    error: Option<DomainError>,
) -> PageResult {
    let m = ctx.m();
    let (blocked, situation_error) = match sit {
        Situation::WrongAccount => (true, Some(m.join_wrong_account.to_owned())),
        Situation::MustLogIn => (true, Some(m.join_login_first.to_owned())),
        _ => (false, None),
    };
    let status = error
        .as_ref()
        .map_or(StatusCode::OK, |e| status_for(e.code));
    render_status(
        status,
        &JoinPage {
            c: Chrome::new(ctx, m.join_title, &format!("/invite/{token}")),
            token: token.to_owned(),
            workspace: workspace.to_owned(),
            role: m.role(inv.role),
            email: inv.email.to_string(),
            new_account: matches!(sit, Situation::NewAccount),
            blocked,
            error: error
                .map(|e| error_text(ctx.lang, e.code, &e.message))
                .or(situation_error),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(token): Path<String>,
) -> PageResult {
    let (inv, workspace) = load(&state, &token).await?;
    let sit = situation(&state, &ctx, &inv).await?;
    page(&ctx, &token, &inv, &workspace, &sit, None)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JoinForm {
    name: String,
    password: String,
    password2: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(token): Path<String>,
    PageForm(form): PageForm<JoinForm>,
) -> PageResult {
    let (inv, workspace) = load(&state, &token).await?;
    let sit = situation(&state, &ctx, &inv).await?;
    let audit = |label: String, user_id| AuditEvent {
        workspace_id: Some(inv.workspace_id),
        actor: Actor {
            user_id,
            label,
            origin: ctx.ip.clone(),
        },
        action: "invitation.accept".into(),
        target: inv.email.to_string(),
        details: serde_json::json!({ "role": inv.role.as_str() }),
    };
    let (who, new_login) = match sit {
        Situation::Member => {
            let user = ctx.user.clone().ok_or_else(WebError::not_found)?;
            (Invitee::Existing(user.id), false)
        }
        Situation::NewAccount => {
            let checked = DisplayName::parse(&form.name).and_then(|n| {
                let p = Password::new(&form.password)?;
                if form.password != form.password2 {
                    return Err(DomainError::invalid(
                        ErrorCode::InvalidInput,
                        ctx.m().passwords_differ,
                    ));
                }
                Ok((n, p))
            });
            let (name, pw) = match checked {
                Ok(v) => v,
                Err(e) => return page(&ctx, &token, &inv, &workspace, &sit, Some(e)),
            };
            let hash = password::hash(pw.expose().to_owned())
                .await
                .map_err(WebError::internal)?;
            (
                Invitee::New(NewUser {
                    email: inv.email.clone(),
                    name,
                    password_hash: hash,
                    is_instance_admin: false,
                }),
                true,
            )
        }
        Situation::MustLogIn | Situation::WrongAccount => {
            return page(&ctx, &token, &inv, &workspace, &sit, None);
        }
    };
    let (label, uid) = match &ctx.user {
        Some(u) => (u.email.to_string(), Some(u.id)),
        None => (inv.email.to_string(), None),
    };
    let user = match state
        .store
        .accept_invitation(inv.id, who, Timestamp::now(), audit(label, uid))
        .await
    {
        Ok(u) => u,
        Err(e) => return page(&ctx, &token, &inv, &workspace, &sit, Some(e.into())),
    };
    let slug = state
        .store
        .workspace_by_id(inv.workspace_id)
        .await?
        .map(|w| w.slug.to_string())
        .unwrap_or_default();
    let mut r = see_other(&format!("/w/{slug}"));
    if new_login {
        let cookie = start_session(&state, user.id).await?;
        r.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(r.into_response())
}
