//! One's own account: change the password (which ends the other sessions), log out everywhere
//! else.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DomainError, ErrorCode, Password};
use serde::Deserialize;

use super::{Chrome, PageForm, PageResult, render_status, require_user};
use crate::auth::{password, secret};
use crate::context::Ctx;
use crate::error::{WebError, status_for};
use crate::i18n::error_text;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    name: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
}

fn page(ctx: &Ctx, error: Option<DomainError>, notice: Option<String>) -> PageResult {
    let user = require_user(ctx)?;
    let status = error
        .as_ref()
        .map_or(StatusCode::OK, |e| status_for(e.code));
    render_status(
        status,
        &AccountPage {
            c: Chrome::new(ctx, ctx.m().account_title, "/account"),
            name: user.name.to_string(),
            email: user.email.to_string(),
            error: error.map(|e| error_text(ctx.lang, e.code, &e.message)),
            notice,
        },
    )
}

pub async fn show(Extension(ctx): Extension<Ctx>) -> PageResult {
    page(&ctx, None, None)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    password: String,
    password2: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    let user = require_user(&ctx)?.clone();
    let (_, stored) = state
        .store
        .credentials_by_email(&user.email)
        .await?
        .ok_or_else(WebError::not_found)?;
    if !password::verify(form.current.clone(), Some(stored)).await {
        let e = DomainError::invalid(ErrorCode::WrongCredentials, ctx.m().wrong_current_password);
        return page(&ctx, Some(e), None);
    }
    let new = match Password::new(&form.password) {
        Ok(p) if form.password == form.password2 => p,
        Ok(_) => {
            let e = DomainError::invalid(ErrorCode::InvalidInput, ctx.m().passwords_differ);
            return page(&ctx, Some(e), None);
        }
        Err(e) => return page(&ctx, Some(e), None),
    };
    let hash = password::hash(new.expose().to_owned())
        .await
        .map_err(WebError::internal)?;
    let keep = ctx.session_secret.as_deref().map(secret::hash_secret);
    let event = AuditEvent {
        workspace_id: None,
        actor: Actor {
            user_id: Some(user.id),
            label: user.email.to_string(),
            origin: ctx.ip.clone(),
        },
        action: "user.password_change".into(),
        target: user.email.to_string(),
        details: serde_json::Value::Null,
    };
    state
        .store
        .set_password(user.id, &hash, keep.as_deref(), event)
        .await?;
    page(&ctx, None, Some(ctx.m().password_changed.to_owned()))
}

pub async fn end_other_sessions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> PageResult {
    let user = require_user(&ctx)?;
    let keep = ctx.session_secret.as_deref().map(secret::hash_secret);
    let n = state
        .store
        .delete_other_sessions(user.id, keep.as_deref())
        .await?;
    page(&ctx, None, Some(format!("{} {n}", ctx.m().sessions_ended)))
}
