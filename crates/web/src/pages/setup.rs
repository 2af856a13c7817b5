//! The first-run page: creates the first administrator while nobody has an account.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, DomainError, Email, ErrorCode, Password};
use relais_store::{NewUser, StoreError};
use serde::Deserialize;

use super::{Chrome, PageForm, PageResult, render, render_status};
use crate::context::{Ctx, see_other};
use crate::i18n::error_text;
use crate::pages::session::start_session;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    c: Chrome,
    error: Option<String>,
    name: String,
    email: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    name: String,
    email: String,
    password: String,
    password2: String,
}

pub async fn show(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> PageResult {
    if state.store.count_users().await? > 0 {
        return Ok(see_other("/login"));
    }
    render(&SetupPage {
        c: Chrome::new(&ctx, ctx.m().setup_title, "/setup"),
        error: None,
        name: String::new(),
        email: String::new(),
    })
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    PageForm(form): PageForm<SetupForm>,
) -> PageResult {
    let again = |err: DomainError| {
        render_status(
            crate::error::status_for(err.code),
            &SetupPage {
                c: Chrome::new(&ctx, ctx.m().setup_title, "/setup"),
                error: Some(error_text(ctx.lang, err.code, &err.message)),
                name: form.name.clone(),
                email: form.email.clone(),
            },
        )
    };
    let checked = (|| {
        let name = DisplayName::parse(&form.name)?;
        let email = Email::parse(&form.email)?;
        let password = Password::new(&form.password)?;
        if form.password != form.password2 {
            // Already in the page's language; InvalidInput keeps it as it is.
            return Err(DomainError::invalid(
                ErrorCode::InvalidInput,
                ctx.m().passwords_differ,
            ));
        }
        Ok((name, email, password))
    })();
    let (name, email, password) = match checked {
        Ok(v) => v,
        Err(e) => return again(e),
    };
    let hash = crate::auth::password::hash(password.expose().to_owned())
        .await
        .map_err(crate::error::WebError::internal)?;
    let audit = AuditEvent {
        workspace_id: None,
        actor: Actor {
            user_id: None,
            label: email.to_string(),
            origin: ctx.ip.clone(),
        },
        action: "setup.first_admin".into(),
        target: email.to_string(),
        details: serde_json::Value::Null,
    };
    let user = match state
        .store
        .create_first_admin(
            NewUser {
                email,
                name,
                password_hash: hash,
                is_instance_admin: true,
            },
            audit,
        )
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => return Ok(see_other("/login")),
        Err(e) => return Err(e.into()),
    };
    let cookie = start_session(&state, user.id).await?;
    let mut r = see_other("/workspaces");
    r.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(r.into_response())
}
