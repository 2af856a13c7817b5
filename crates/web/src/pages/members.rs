//! Workspace settings: members (change role, remove) and invitations (send, revoke).

use std::time::Duration;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use relais_core::audit::AuditEvent;
use relais_core::{
    DomainError, Email, ErrorCode, InvitationId, Permission, Role, Timestamp, UserId,
};
use relais_mail::Mail;
use relais_store::NewInvitation;
use serde::Deserialize;

use super::{
    Access, Chrome, PageForm, PageResult, RoleOption, enter_workspace, render_status, role_options,
};
use crate::auth::secret;
use crate::context::{Ctx, see_other};
use crate::error::{WebError, status_for};
use crate::i18n::{Lang, error_text};
use crate::state::AppState;

pub struct MemberRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    role_label: &'static str,
    editable: bool,
}

pub struct InvitationRow {
    id: String,
    email: String,
    role_label: &'static str,
    expires: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    can_tokens: bool,
    can_audit: bool,
    can_manage: bool,
    can_rename: bool,
    workspace_name: String,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    role_options: Vec<RoleOption>,
    error: Option<String>,
    notice: Option<String>,
    invite_link: Option<String>,
}

#[derive(Default)]
struct Flash {
    error: Option<DomainError>,
    notice: Option<String>,
    invite_link: Option<String>,
}

impl Flash {
    fn failed(error: impl Into<DomainError>) -> Self {
        Self {
            error: Some(error.into()),
            ..Default::default()
        }
    }
}

async fn page(state: &AppState, ctx: &Ctx, access: &Access, flash: Flash) -> PageResult {
    let m = ctx.m();
    let slug = access.workspace.slug.to_string();
    let can_manage = access.role.allows(Permission::ManageMembers);
    let members = state
        .store
        .members(access.workspace.id)
        .await?
        .into_iter()
        .map(|mem| MemberRow {
            id: mem.user.id.to_string(),
            name: mem.user.name.to_string(),
            email: mem.user.email.to_string(),
            role: mem.role.as_str(),
            role_label: m.role(mem.role),
            editable: access.role.may_assign(Some(mem.role), mem.role),
        })
        .collect();
    let invitations = if can_manage {
        state
            .store
            .pending_invitations(access.workspace.id, Timestamp::now())
            .await?
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.to_string(),
                email: i.email.to_string(),
                role_label: m.role(i.role),
                expires: i.expires_at.to_rfc3339(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = flash
        .error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |e| status_for(e.code));
    render_status(
        status,
        &MembersPage {
            c: Chrome::workspace(
                ctx,
                m.nav_settings,
                &format!("/w/{slug}/settings"),
                &access.workspace,
                "settings",
            ),
            slug,
            tab: "members",
            can_tokens: access.role.allows(Permission::ManageTokens),
            can_audit: access.role.allows(Permission::ViewAudit),
            can_manage,
            can_rename: access.role.allows(Permission::AdministerWorkspace),
            workspace_name: access.workspace.name.clone(),
            members,
            invitations,
            role_options: role_options(m, access.role),
            error: flash
                .error
                .map(|e| error_text(ctx.lang, e.code, &e.message)),
            notice: flash.notice,
            invite_link: flash.invite_link,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    page(&state, &ctx, &access, Flash::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

fn invitation_mail(
    lang: Lang,
    workspace: &str,
    inviter: &str,
    role: &str,
    link: &str,
    days: i64,
) -> (String, String) {
    match lang {
        Lang::Fr => (
            format!("Invitation à rejoindre {workspace} sur Relais"),
            format!(
                "Bonjour,\n\n{inviter} vous invite à rejoindre l’espace « {workspace} » sur Relais, avec le rôle {role}.\n\nOuvrez ce lien pour accepter (il sert une fois, pendant {days} jours) :\n{link}\n\nSi vous n’attendiez pas cette invitation, ignorez ce message.\n"
            ),
        ),
        Lang::En => (
            format!("Invitation to join {workspace} on Relais"),
            format!(
                "Hello,\n\n{inviter} invites you to join the workspace \"{workspace}\" on Relais, as {role}.\n\nOpen this link to accept (it works once, for {days} days):\n{link}\n\nIf you did not expect this invitation, ignore this message.\n"
            ),
        ),
    }
}

pub async fn invite(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<InviteForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageMembers)?;
    let checked = Email::parse(&form.email).and_then(|e| Ok((e, form.role.parse::<Role>()?)));
    let (email, role) = match checked {
        Ok(v) => v,
        Err(e) => {
            return page(&state, &ctx, &access, Flash::failed(e)).await;
        }
    };
    if !access.role.may_assign(None, role) {
        return Err(WebError::forbidden());
    }
    let members = state.store.members(access.workspace.id).await?;
    if members.iter().any(|mem| mem.user.email == email) {
        let e = DomainError::invalid(
            ErrorCode::AlreadyMember,
            "this person is already a member; change their role instead",
        );
        return page(&state, &ctx, &access, Flash::failed(e)).await;
    }
    let token = secret::new_secret("inv_");
    let days = state.config.invitation_days;
    state
        .store
        .create_invitation(
            NewInvitation {
                workspace_id: access.workspace.id,
                email: email.clone(),
                role,
                token_hash: secret::hash_secret(&token),
                invited_by: Some(access.user.id),
                expires_at: Timestamp::now().plus_seconds(days * 24 * 3600),
            },
            AuditEvent {
                workspace_id: Some(access.workspace.id),
                actor: access.actor(&ctx),
                action: "invitation.create".into(),
                target: email.to_string(),
                details: serde_json::json!({ "role": role.as_str() }),
            },
        )
        .await?;
    let link = format!(
        "{}/invite/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    let m = ctx.m();
    let mut flash = Flash::default();
    let sent = match &state.mailer {
        Some(mailer) => {
            let (subject, text) = invitation_mail(
                ctx.lang,
                &access.workspace.name,
                access.user.name.as_str(),
                m.role(role),
                &link,
                days,
            );
            let sending = mailer.send(Mail {
                to: email.to_string(),
                subject,
                text,
            });
            match tokio::time::timeout(Duration::from_secs(20), sending).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "invitation mail not sent");
                    false
                }
                Err(_) => {
                    tracing::warn!("invitation mail timed out");
                    false
                }
            }
        }
        None => false,
    };
    if sent {
        flash.notice = Some(format!("{} {email}", m.invite_sent));
    } else {
        flash.notice = Some(m.invite_not_sent.to_owned());
        flash.invite_link = Some(link);
    }
    page(&state, &ctx, &access, flash).await
}

pub async fn revoke_invitation(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageMembers)?;
    let id: InvitationId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .revoke_invitation(
            access.workspace.id,
            id,
            AuditEvent {
                workspace_id: Some(access.workspace.id),
                actor: access.actor(&ctx),
                action: "invitation.revoke".into(),
                target: id.to_string(),
                details: serde_json::Value::Null,
            },
        )
        .await?;
    Ok(see_other(&format!("/w/{}/settings", access.workspace.slug)))
}

/// The member a change or removal aims at: their id, current role and e-mail (for the audit
/// log), once it is known that `access` may touch them (and give them `to`, when given).
async fn member_to_change(
    state: &AppState,
    access: &Access,
    user: &str,
    to: Option<Role>,
) -> Result<(UserId, Role, String), WebError> {
    let user: UserId = user.parse().map_err(|_| WebError::not_found())?;
    let current = state
        .store
        .role_of(access.workspace.id, user)
        .await?
        .ok_or_else(WebError::not_found)?;
    if !access.role.may_assign(Some(current), to.unwrap_or(current)) {
        return Err(WebError::forbidden());
    }
    let email = state
        .store
        .user_by_id(user)
        .await?
        .map(|u| u.email.to_string())
        .unwrap_or_default();
    Ok((user, current, email))
}

fn member_event(
    access: &Access,
    ctx: &Ctx,
    action: &str,
    target: String,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(ctx),
        action: action.into(),
        target,
        details,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
    PageForm(form): PageForm<RoleForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageMembers)?;
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => {
            return page(&state, &ctx, &access, Flash::failed(e)).await;
        }
    };
    let (user, current, target) = member_to_change(&state, &access, &user, Some(role)).await?;
    let details = serde_json::json!({ "from": current.as_str(), "to": role.as_str() });
    let event = member_event(&access, &ctx, "member.role_change", target, details);
    match state
        .store
        .change_role(access.workspace.id, user, role, event)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/w/{}/settings", access.workspace.slug))),
        Err(e) => page(&state, &ctx, &access, Flash::failed(e)).await,
    }
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, user)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageMembers)?;
    let (user, current, target) = member_to_change(&state, &access, &user, None).await?;
    let event = member_event(
        &access,
        &ctx,
        "member.remove",
        target,
        serde_json::json!({ "role": current.as_str() }),
    );
    match state
        .store
        .remove_member(access.workspace.id, user, event)
        .await
    {
        // Someone who removed themselves has nothing more to see here.
        Ok(()) if user == access.user.id => Ok(see_other("/workspaces")),
        Ok(()) => Ok(see_other(&format!("/w/{}/settings", access.workspace.slug))),
        Err(e) => page(&state, &ctx, &access, Flash::failed(e)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    name: String,
}

/// Renames the workspace; its slug, and so every address, stays.
pub async fn rename(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<RenameForm>,
) -> PageResult {
    let mut access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::AdministerWorkspace)?;
    let name = match relais_core::DisplayName::parse(&form.name) {
        Ok(n) => n,
        Err(e) => {
            return page(&state, &ctx, &access, Flash::failed(e)).await;
        }
    };
    let details = serde_json::json!({ "from": access.workspace.name, "to": name.as_str() });
    let event = member_event(
        &access,
        &ctx,
        "workspace.rename",
        access.workspace.slug.to_string(),
        details,
    );
    state
        .store
        .rename_workspace(access.workspace.id, name.as_str(), event)
        .await?;
    access.workspace.name = name.to_string();
    Ok(see_other(&format!("/w/{}/settings", access.workspace.slug)))
}
