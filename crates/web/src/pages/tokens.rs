//! Workspace settings: API tokens. The secret is shown once, at creation; only its hash is kept.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use relais_core::audit::AuditEvent;
use relais_core::{ApiTokenId, DisplayName, DomainError, Permission, Role};
use relais_store::NewApiToken;
use serde::Deserialize;

use super::{
    Access, Chrome, PageForm, PageResult, RoleOption, enter_workspace, render_status, role_options,
};
use crate::auth::secret;
use crate::context::{Ctx, see_other};
use crate::error::{WebError, status_for};
use crate::i18n::error_text;
use crate::state::AppState;

/// The prefix of every Relais API token, so that a leaked one is easy to spot.
pub const TOKEN_PREFIX: &str = "rls_";

pub struct TokenRow {
    id: String,
    name: String,
    role_label: &'static str,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    can_tokens: bool,
    can_audit: bool,
    tokens: Vec<TokenRow>,
    role_options: Vec<RoleOption>,
    error: Option<String>,
    new_token: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    error: Option<DomainError>,
    new_token: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let slug = access.workspace.slug.to_string();
    let tokens = state
        .store
        .api_tokens(access.workspace.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            role_label: m.role(t.role),
            created: t.created_at.to_rfc3339(),
            last_used: t
                .last_used_at
                .map_or_else(|| m.token_never.to_owned(), |x| x.to_rfc3339()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |e| status_for(e.code));
    render_status(
        status,
        &TokensPage {
            c: Chrome::workspace(
                ctx,
                m.tokens_title,
                &format!("/w/{slug}/settings/tokens"),
                &access.workspace,
                "settings",
            ),
            slug,
            tab: "tokens",
            can_tokens: true,
            can_audit: access.role.allows(Permission::ViewAudit),
            tokens,
            role_options: role_options(m, access.role),
            error: error.map(|e| error_text(ctx.lang, e.code, &e.message)),
            new_token,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageTokens)?;
    page(&state, &ctx, &access, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    name: String,
    role: String,
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CreateForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageTokens)?;
    let checked = DisplayName::parse(&form.name).and_then(|n| Ok((n, form.role.parse::<Role>()?)));
    let (name, role) = match checked {
        Ok(v) => v,
        Err(e) => return page(&state, &ctx, &access, Some(e), None).await,
    };
    // A token never holds more than its maker may hand out.
    if !access.role.may_assign(None, role) {
        return Err(WebError::forbidden());
    }
    let token = secret::new_secret(TOKEN_PREFIX);
    state
        .store
        .create_api_token(
            NewApiToken {
                workspace_id: access.workspace.id,
                name: name.to_string(),
                role,
                token_hash: secret::hash_secret(&token),
                created_by: Some(access.user.id),
            },
            AuditEvent {
                workspace_id: Some(access.workspace.id),
                actor: access.actor(&ctx),
                action: "token.create".into(),
                target: name.to_string(),
                details: serde_json::json!({ "role": role.as_str() }),
            },
        )
        .await?;
    page(&state, &ctx, &access, None, Some(token)).await
}

pub async fn revoke(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageTokens)?;
    let id: ApiTokenId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .revoke_api_token(
            access.workspace.id,
            id,
            AuditEvent {
                workspace_id: Some(access.workspace.id),
                actor: access.actor(&ctx),
                action: "token.revoke".into(),
                target: id.to_string(),
                details: serde_json::Value::Null,
            },
        )
        .await?;
    Ok(see_other(&format!(
        "/w/{}/settings/tokens",
        access.workspace.slug
    )))
}
